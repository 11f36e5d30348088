//! The steps that act on the browser page.

use std::time::Instant;

use regex::Regex;
use serde_json::Value;

use super::context::Frame;
use crate::allowed_hosts::AllowedHosts;
use crate::browser::{BrowserError, DialogAnswer, ELEMENT_KEY, How, Page, SelectBy, Target, Wanted};
use crate::workflow::{DialogAction, Locator, Nth, SelectChoice, Step, StepKind, Template};

/// What a browser step produced.
#[derive(Debug)]
pub enum Done {
    /// Nothing to keep.
    Nothing,
    /// A variable to set.
    Set(String, Value),
    /// A picture for the run's evidence, by name.
    Picture(String, Vec<u8>),
}

fn failed(message: String) -> BrowserError {
    BrowserError::Failed(message)
}

fn text(frame: &Frame, template: &Template) -> Result<String, BrowserError> {
    frame.text(template).map_err(|error| failed(format!("template error: {error}")))
}

/// The element a locator names, with its templates filled in.
fn target(frame: &Frame, locator: &Locator) -> Result<Target, BrowserError> {
    let (how, template) = if let Some(css) = &locator.css {
        (How::Css, css)
    } else if let Some(xpath) = &locator.xpath {
        (How::XPath, xpath)
    } else if let Some(link) = &locator.link {
        (How::Link, link)
    } else if let Some(label) = &locator.label {
        (How::Label, label)
    } else if let Some(visible) = &locator.text {
        (How::Text, visible)
    } else if let Some(path) = &locator.shadow {
        (How::Shadow, path)
    } else if let Some(variable) = &locator.element {
        let reference =
            frame.vars.get(&variable.value).and_then(|value| value.get(ELEMENT_KEY)).and_then(Value::as_str);
        let Some(reference) = reference else {
            return Err(failed(format!(
                "`{}` does not hold an element; set it with a `script` step that returns one, such as \
                 `return document.querySelector('#results tr:last-child')`",
                variable.value
            )));
        };
        return Ok(Target::script_element(variable.value.clone(), reference.to_string()));
    } else {
        return Err(failed("the step names no element".to_string()));
    };
    Ok(Target::new(how, text(frame, template)?, nth(frame, locator.nth.as_ref())?, locator.first))
}

/// Which match a locator wants, its template filled in.
fn nth(frame: &Frame, nth: Option<&Nth>) -> Result<Option<usize>, BrowserError> {
    match nth {
        None => Ok(None),
        Some(Nth::Number(number)) => Ok(Some(usize::try_from(*number).unwrap_or(usize::MAX))),
        Some(Nth::Template(template)) => {
            let written = frame.text(template).map_err(|error| failed(format!("`nth`: template error: {error}")))?;
            match written.trim().parse::<usize>() {
                Ok(number) if number >= 1 => Ok(Some(number)),
                _ => {
                    Err(failed(format!("`nth` must be a number from 1, but its template gave {:?}", excerpt(&written))))
                }
            }
        }
    }
}

fn pattern(frame: &Frame, template: &Template) -> Result<Regex, BrowserError> {
    let source = text(frame, template)?;
    Regex::new(&source).map_err(|error| failed(format!("`{source}` is not a regular expression: {error}")))
}

/// An address joined to the workflow system's base URL when it is relative.
fn address(frame: &Frame, template: &Template) -> Result<String, BrowserError> {
    let written = text(frame, template)?;
    resolve_url(frame, &written).map_err(failed)
}

/// A URL as written, or joined to the system's base URL when relative.
pub fn resolve_url(frame: &Frame, written: &str) -> Result<String, String> {
    if reqwest::Url::parse(written).is_ok() {
        return Ok(written.to_string());
    }
    let base = frame.base_url()?.ok_or_else(|| {
        format!("`{written}` is a relative address, but the workflow names no `system` with a `base_url`")
    })?;
    let base =
        reqwest::Url::parse(&base).map_err(|error| format!("the system's base_url `{base}` is not a URL: {error}"))?;
    base.join(written).map(|url| url.to_string()).map_err(|error| format!("`{written}` is not an address: {error}"))
}

/// Runs a browser step on the page; `open` goes only where `allowed` permits.
pub async fn run(
    page: &mut Page,
    frame: &Frame,
    step: &Step,
    deadline: Instant,
    masked: &[&str],
    allowed: &AllowedHosts,
) -> Result<Done, BrowserError> {
    match &step.kind {
        StepKind::Open(url) => {
            let url = address(frame, url)?;
            allowed.check("open", &url).map_err(failed)?;
            page.open(&url).await?;
            Ok(Done::Nothing)
        }
        StepKind::Click(locator) => {
            page.click(&target(frame, locator)?, deadline).await?;
            Ok(Done::Nothing)
        }
        StepKind::Hover(locator) => {
            page.hover(&target(frame, locator)?, deadline).await?;
            Ok(Done::Nothing)
        }
        StepKind::Drag(drag) => {
            page.drag(&target(frame, &drag.from)?, &target(frame, &drag.to)?, deadline).await?;
            Ok(Done::Nothing)
        }
        StepKind::Scroll(scroll) => {
            match (&scroll.to, scroll.by) {
                (Some(locator), _) => page.scroll_to(&target(frame, locator)?, deadline).await?,
                (None, Some(pixels)) => {
                    let within = scroll.within.as_ref().map(|locator| target(frame, locator)).transpose()?;
                    page.scroll_by(within.as_ref(), pixels, deadline).await?;
                }
                (None, None) => return Err(failed("`scroll` needs `to` or `by`".to_string())),
            }
            Ok(Done::Nothing)
        }
        StepKind::Fill(fill) => {
            let value = text(frame, &fill.value)?;
            page.fill(&target(frame, &fill.locator())?, &value, fill.clear, deadline).await?;
            Ok(Done::Nothing)
        }
        StepKind::Select(select) => {
            let choice = match &select.choice {
                SelectChoice::Text(option) => SelectBy::Text(text(frame, option)?),
                SelectChoice::Value(value) => SelectBy::Value(text(frame, value)?),
                SelectChoice::Matching(source) => SelectBy::Matching(pattern(frame, source)?),
            };
            page.select(&target(frame, &select.locator)?, &choice, deadline).await?;
            Ok(Done::Nothing)
        }
        StepKind::Check(check) => {
            page.set_checked(&target(frame, &check.locator())?, check.checked, deadline).await?;
            Ok(Done::Nothing)
        }
        StepKind::Upload(upload) => {
            let file = text(frame, &upload.file)?;
            page.upload(&target(frame, &upload.locator())?, &file, deadline).await?;
            Ok(Done::Nothing)
        }
        StepKind::Press(press) => {
            let locator = press.locator();
            let element = if locator.strategies() > 0 { Some(target(frame, &locator)?) } else { None };
            page.press(element.as_ref(), &press.key, deadline).await?;
            Ok(Done::Nothing)
        }
        StepKind::WaitFor(wait) => {
            if let Some(locator) = &wait.visible {
                page.wait_visible(&target(frame, locator)?, deadline).await?;
            } else if let Some(locator) = &wait.gone {
                page.wait_gone(&target(frame, locator)?, deadline).await?;
            } else if let Some(wanted) = &wait.text {
                page.wait_text(&text(frame, wanted)?, deadline).await?;
            } else if let Some(url) = &wait.url {
                page.wait_url(&pattern(frame, url)?, deadline).await?;
            } else if let Some(locator) = &wait.enabled {
                page.wait_enabled(&target(frame, locator)?, deadline).await?;
            } else if let Some(locator) = &wait.element {
                let found = target(frame, locator)?;
                if let Some(count) = wait.count {
                    page.wait_count(&found, count as usize, deadline).await?;
                } else if let Some(attribute) = &wait.attribute {
                    let wanted = match (&attribute.is, &attribute.matches) {
                        (Some(value), _) => Wanted::Is(text(frame, value)?),
                        (None, Some(expression)) => Wanted::Matches(pattern(frame, expression)?),
                        (None, None) => return Err(failed("an `attribute` needs `is` or `matches`".to_string())),
                    };
                    page.wait_attribute(&found, &attribute.name, &wanted, deadline).await?;
                }
            }
            Ok(Done::Nothing)
        }
        StepKind::Extract(extract) => {
            let found = target(frame, &extract.locator())?;
            let value = if extract.all {
                let mut values = Vec::new();
                for element in page.find_all_now(&found).await? {
                    values.push(read(page, &element, extract.table, extract.attribute.as_deref()).await?);
                }
                Value::Array(values)
            } else {
                let element = page.find(&found, deadline).await?;
                read(page, &element, extract.table, extract.attribute.as_deref()).await?
            };
            let value = match &extract.pattern {
                Some(source) => apply_pattern(source, value)?,
                None => value,
            };
            Ok(Done::Set(extract.into.value.clone(), value))
        }
        StepKind::Assert(assertion) => {
            if let Some(locator) = &assertion.visible {
                let found = target(frame, locator)?;
                page.wait_visible(&found, Instant::now()).await.map_err(|_| {
                    assertion_failed(
                        frame,
                        assertion,
                        format!("expected {found} to be visible, found it hidden or absent"),
                    )
                })?;
            } else if let Some(locator) = &assertion.hidden {
                let found = target(frame, locator)?;
                for element in page.find_all_now(&found).await? {
                    if element.is_displayed().await.unwrap_or(false) {
                        let problem = format!("expected {found} to be hidden, found it visible");
                        return Err(assertion_failed(frame, assertion, problem));
                    }
                }
            } else if let Some(locator) = &assertion.element {
                let found = target(frame, locator)?;
                let elements = page.find_all_now(&found).await?;
                if let Some(count) = assertion.count {
                    if elements.len() != count as usize {
                        let problem = format!("expected {count} element(s) matching {found}, found {}", elements.len());
                        return Err(assertion_failed(frame, assertion, problem));
                    }
                    return Ok(Done::Nothing);
                }
                let Some(element) = elements.first() else {
                    return Err(assertion_failed(
                        frame,
                        assertion,
                        format!("expected {found} on the page, found none"),
                    ));
                };
                if let Some(problem) = element_check(page, frame, assertion, element, &found).await? {
                    return Err(assertion_failed(frame, assertion, problem));
                }
            } else if let Some(wanted) = &assertion.text {
                let wanted = text(frame, wanted)?;
                if !page.text_of_page().await?.contains(&wanted) {
                    let problem = format!("expected the page to say {wanted:?}, found it does not");
                    return Err(assertion_failed(frame, assertion, problem));
                }
            } else if let Some(url) = &assertion.url {
                let expected = pattern(frame, url)?;
                let current = page.url().await?;
                if !expected.is_match(&current) {
                    return Err(assertion_failed(
                        frame,
                        assertion,
                        format!("expected the address to match `{expected}`, found {current}"),
                    ));
                }
            }
            Ok(Done::Nothing)
        }
        StepKind::Frame(frame_step) => {
            if frame_step.top {
                page.leave_all_frames().await?;
            } else if frame_step.parent {
                page.leave_frame().await?;
            } else {
                let (how, selector) = match (&frame_step.css, &frame_step.xpath) {
                    (Some(css), _) => (How::Css, css),
                    (None, Some(xpath)) => (How::XPath, xpath),
                    (None, None) => return Err(failed("`frame` needs `css`, `xpath`, `parent` or `top`".to_string())),
                };
                let found = Target::new(how, text(frame, selector)?, nth(frame, frame_step.nth.as_ref())?, false);
                page.enter_frame(&found, deadline).await?;
            }
            Ok(Done::Nothing)
        }
        StepKind::Dialog(dialog) => {
            let answer = DialogAnswer {
                accept: dialog.action == DialogAction::Accept,
                answer: dialog.answer.as_ref().map(|answer| text(frame, answer)).transpose()?,
                expect: dialog.expect.as_ref().map(|expect| text(frame, expect)).transpose()?,
            };
            page.answer_dialog(&answer, deadline).await?;
            Ok(Done::Nothing)
        }
        StepKind::Screenshot(screenshot) => {
            let mut name = text(frame, &screenshot.name)?;
            if !name.to_ascii_lowercase().ends_with(".png") {
                name.push_str(".png");
            }
            Ok(Done::Picture(name, page.screenshot(masked).await?))
        }
        StepKind::Script(script) => {
            let result = page.script(&text(frame, &script.code)?).await?;
            Ok(match &script.into {
                Some(into) => Done::Set(into.value.clone(), result),
                None => Done::Nothing,
            })
        }
        StepKind::Http(_)
        | StepKind::Set(_)
        | StepKind::If(_)
        | StepKind::ForEach(_)
        | StepKind::Block(_)
        | StepKind::Call(_)
        | StepKind::Wait(_)
        | StepKind::HumanTask(_)
        | StepKind::Notify(_)
        | StepKind::Succeed(_)
        | StepKind::Fail(_)
        | StepKind::Escalate(_) => Err(failed(format!("`{}` is not a browser step", step.kind.name()))),
    }
}

async fn read(
    page: &Page,
    element: &fantoccini::elements::Element,
    table: bool,
    attribute: Option<&str>,
) -> Result<Value, BrowserError> {
    if table {
        return page.table(element).await;
    }
    if let Some(name) = attribute {
        return Ok(page.attribute(element, name).await?.map(Value::String).unwrap_or(Value::Null));
    }
    Ok(Value::String(page.text(element).await?))
}

/// A value (or each of a list) reduced to a pattern's first group, or whole match.
fn apply_pattern(source: &str, value: Value) -> Result<Value, BrowserError> {
    let pattern =
        Regex::new(source).map_err(|error| failed(format!("`{source}` is not a regular expression: {error}")))?;
    let reduce = |text: &str| -> Result<Value, BrowserError> {
        let captures = pattern
            .captures(text)
            .ok_or_else(|| failed(format!("the text {:?} does not match `{source}`", excerpt(text))))?;
        let matched = captures.get(1).or_else(|| captures.get(0)).map(|found| found.as_str()).unwrap_or_default();
        Ok(Value::String(matched.to_string()))
    };
    match value {
        Value::String(text) => reduce(&text),
        Value::Array(items) => Ok(Value::Array(
            items.iter().map(|item| reduce(item.as_str().unwrap_or_default())).collect::<Result<_, _>>()?,
        )),
        other => Ok(other),
    }
}

fn excerpt(text: &str) -> String {
    let short: String = text.chars().take(80).collect();
    if short.len() < text.len() { format!("{short}…") } else { short }
}

/// What is wrong with an element an `assert` checks (its text or an attribute), in the form
/// "expected …, found …"; `None` when it holds.
async fn element_check(
    page: &Page,
    frame: &Frame,
    assertion: &crate::workflow::AssertStep,
    element: &fantoccini::elements::Element,
    found: &Target,
) -> Result<Option<String>, BrowserError> {
    if let Some(attribute) = &assertion.attribute {
        let value = page.attribute(element, &attribute.name).await?;
        let name = &attribute.name;
        let Some(value) = value else {
            return Ok(Some(format!("expected {found} to have the attribute `{name}`, found none")));
        };
        if let Some(wanted) = &attribute.is {
            let wanted = text(frame, wanted)?;
            return Ok((value != wanted)
                .then(|| format!("expected `{name}` of {found} to be {wanted:?}, found {:?}", excerpt(&value))));
        }
        if let Some(wanted) = &attribute.matches {
            let wanted = pattern(frame, wanted)?;
            return Ok((!wanted.is_match(&value))
                .then(|| format!("expected `{name}` of {found} to match `{wanted}`, found {:?}", excerpt(&value))));
        }
        return Ok(None);
    }
    let shown = page.text(element).await?;
    let shown = shown.trim();
    if let Some(wanted) = &assertion.text_is {
        let wanted = text(frame, wanted)?;
        return Ok((shown != wanted.trim())
            .then(|| format!("expected the text of {found} to be {wanted:?}, found {:?}", excerpt(shown))));
    }
    if let Some(wanted) = &assertion.text_contains {
        let wanted = text(frame, wanted)?;
        return Ok((!shown.contains(&wanted))
            .then(|| format!("expected the text of {found} to contain {wanted:?}, found {:?}", excerpt(shown))));
    }
    if let Some(wanted) = &assertion.text_matches {
        let wanted = pattern(frame, wanted)?;
        return Ok((!wanted.is_match(shown))
            .then(|| format!("expected the text of {found} to match `{wanted}`, found {:?}", excerpt(shown))));
    }
    Ok(None)
}

fn assertion_failed(frame: &Frame, assertion: &crate::workflow::AssertStep, fallback: String) -> BrowserError {
    match &assertion.message {
        Some(message) => BrowserError::CheckFailed(frame.text(message).unwrap_or_else(|_| message.value.clone())),
        None => BrowserError::CheckFailed(fallback),
    }
}
