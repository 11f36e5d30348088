//! A step in a few words, from what the file says (never from values filled in at run time, so
//! no personal data or secret can appear in it).

use super::step::{Locator, Step};

impl Step {
    /// The step's `name`, or a description made from its kind and what it acts on.
    pub fn describe(&self) -> String {
        if let Some(name) = &self.name {
            return name.clone();
        }
        let kind = self.kind();
        let detail = match kind {
            "open" => self.open.as_ref().map(|url| url.value.clone()),
            "click" => self.click.as_ref().map(describe_locator),
            "fill" => self.fill.as_ref().map(|fill| describe_locator(&fill.locator())),
            "select" => self.select.as_ref().map(|select| describe_locator(&select.locator())),
            "check" => self.check.as_ref().map(|check| describe_locator(&check.locator())),
            "upload" => self.upload.as_ref().map(|upload| describe_locator(&upload.locator())),
            "press" => self.press.as_ref().map(|press| press.key.clone()),
            "wait_for" => self.wait_for.as_ref().map(|wait| {
                if let Some(locator) = &wait.visible {
                    format!("{} visible", describe_locator(locator))
                } else if let Some(locator) = &wait.gone {
                    format!("{} gone", describe_locator(locator))
                } else if let Some(text) = &wait.text {
                    format!("text {:?}", text.value)
                } else {
                    wait.url.as_ref().map(|url| format!("address {}", url.value)).unwrap_or_default()
                }
            }),
            "extract" => self
                .extract
                .as_ref()
                .map(|extract| format!("{} as {}", describe_locator(&extract.locator()), extract.into.value)),
            "frame" => self.frame.as_ref().map(|frame| {
                if frame.top {
                    "top page".to_string()
                } else if frame.parent {
                    "parent".to_string()
                } else {
                    frame
                        .css
                        .as_ref()
                        .or(frame.xpath.as_ref())
                        .map(|selector| selector.value.clone())
                        .unwrap_or_default()
                }
            }),
            "dialog" => self.dialog.as_ref().map(|dialog| format!("{:?}", dialog.action).to_lowercase()),
            "http" => self
                .http
                .as_ref()
                .map(|http| format!("{} {}", format!("{:?}", http.method).to_uppercase(), http.url.value)),
            "call" => self.call.as_ref().map(|call| call.workflow.value.clone()),
            "human_task" => self.human_task.as_ref().map(|task| task.title.value.clone()),
            "screenshot" => self.screenshot.as_ref().map(|shot| shot.name.value.clone()),
            "set" => self.set.as_ref().map(|set| set.keys().cloned().collect::<Vec<_>>().join(", ")),
            "if" => self.if_then.as_ref().map(|branch| branch.condition.value.clone()),
            "for_each" => self.for_each.as_ref().map(|each| each.items.value.clone()),
            _ => None,
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
    } else {
        return "the focused element".to_string();
    };
    format!("{how} {:?}", what.value)
}
