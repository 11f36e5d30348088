//! A step in a few words, from what the file says (never from values filled in at run time, so
//! no personal data or secret can appear in it).

use super::kind::{Step, StepKind};
use super::step::Locator;

impl Step {
    /// The step's `name`, or a description made from its kind and what it acts on.
    pub fn describe(&self) -> String {
        if let Some(name) = &self.common.name {
            return name.clone();
        }
        let kind = self.kind.name();
        let detail = match &self.kind {
            StepKind::Open(url) => Some(url.value.clone()),
            StepKind::Click(locator) | StepKind::Hover(locator) => Some(describe_locator(locator)),
            StepKind::Drag(drag) => {
                Some(format!("{} onto {}", describe_locator(&drag.from), describe_locator(&drag.to)))
            }
            StepKind::Scroll(scroll) => match (&scroll.to, scroll.by) {
                (Some(locator), _) => Some(describe_locator(locator)),
                (None, Some(by)) => Some(format!("by {by} pixels")),
                _ => None,
            },
            StepKind::Fill(fill) => Some(describe_locator(&fill.locator())),
            StepKind::Select(select) => Some(describe_locator(&select.locator)),
            StepKind::Check(check) => Some(describe_locator(&check.locator())),
            StepKind::Upload(upload) => Some(describe_locator(&upload.locator())),
            StepKind::Press(press) => Some(press.key.clone()),
            StepKind::WaitFor(wait) => Some(if let Some(locator) = &wait.visible {
                format!("{} visible", describe_locator(locator))
            } else if let Some(locator) = &wait.gone {
                format!("{} gone", describe_locator(locator))
            } else if let Some(text) = &wait.text {
                format!("text {:?}", text.value)
            } else {
                wait.url.as_ref().map(|url| format!("address {}", url.value)).unwrap_or_default()
            }),
            StepKind::Extract(extract) => {
                Some(format!("{} as {}", describe_locator(&extract.locator()), extract.into.value))
            }
            StepKind::Frame(frame) => Some(if frame.top {
                "top page".to_string()
            } else if frame.parent {
                "parent".to_string()
            } else {
                frame.css.as_ref().or(frame.xpath.as_ref()).map(|selector| selector.value.clone()).unwrap_or_default()
            }),
            StepKind::Dialog(dialog) => Some(format!("{:?}", dialog.action).to_lowercase()),
            StepKind::Http(http) => Some(format!("{} {}", format!("{:?}", http.method).to_uppercase(), http.url.value)),
            StepKind::Call(call) => Some(call.workflow.value.clone()),
            StepKind::HumanTask(task) => Some(task.title.value.clone()),
            StepKind::Screenshot(shot) => Some(shot.name.value.clone()),
            StepKind::Set(set) => Some(set.keys().cloned().collect::<Vec<_>>().join(", ")),
            StepKind::If(branch) => Some(branch.condition.value.clone()),
            StepKind::ForEach(each) => Some(each.items.value.clone()),
            StepKind::Assert(_)
            | StepKind::Script(_)
            | StepKind::Block(_)
            | StepKind::Wait(_)
            | StepKind::Notify(_)
            | StepKind::Succeed(_)
            | StepKind::Fail(_)
            | StepKind::Escalate(_) => None,
        };
        match detail {
            Some(detail) if !detail.is_empty() => format!("{kind} {detail}"),
            _ => kind.to_string(),
        }
    }
}

fn describe_locator(locator: &Locator) -> String {
    let (how, what) = if let Some(css) = &locator.css {
        ("css", css)
    } else if let Some(xpath) = &locator.xpath {
        ("xpath", xpath)
    } else if let Some(link) = &locator.link {
        ("link", link)
    } else if let Some(label) = &locator.label {
        ("label", label)
    } else if let Some(text) = &locator.text {
        ("text", text)
    } else if let Some(shadow) = &locator.shadow {
        ("shadow", shadow)
    } else {
        return "the focused element".to_string();
    };
    format!("{how} {:?}", what.value)
}
