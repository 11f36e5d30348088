//! One browser session: the page a run works on, with every action waiting for its element.

use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, MouseActions, PointerAction};
use fantoccini::elements::{Element, ElementRef};
use fantoccini::error::CmdError;
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use regex::Regex;
use serde_json::{Value, json};

use super::BrowserError;
use super::locate::{Query, Target, literal};
use super::typing::typeable;
use crate::workflow::{BrowserPermission, BrowserSettings};

/// How often a wait looks again.
const POLL: Duration = Duration::from_millis(100);

/// What an element must be before a step acts on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ready {
    /// On the page.
    Present,
    /// On the page and visible.
    Visible,
    /// Visible, enabled, not covered by another element and not moving.
    Click,
    /// Visible, enabled, and a field that takes typing (not read-only).
    Edit,
}

impl Ready {
    fn name(self) -> &'static str {
        match self {
            Ready::Present => "present",
            Ready::Visible => "visible",
            Ready::Click => "click",
            Ready::Edit => "edit",
        }
    }
}

/// What is said of a target that matches more than one element: what it matched.
fn ambiguous(target: &Target, count: u64, named: &[&str]) -> String {
    let more = if count as usize > named.len() {
        format!(" and {} more", count as usize - named.len())
    } else {
        String::new()
    };
    format!(
        "{target} matches {count} elements: {}{more}; say which with `nth: 2` (from 1) or `first: true`, or use a narrower locator",
        named.join(", ")
    )
}

/// Why a target was not ready for an action when time ran out, naming the condition.
fn not_ready(target: &Target, ready: Ready, state: &str, count: u64, detail: &str) -> String {
    let action = match ready {
        Ready::Present => "be found",
        Ready::Visible => "be visible",
        Ready::Click => "be clicked",
        Ready::Edit => "be typed into",
    };
    match state {
        "absent" if count == 0 => format!("{target} was not found on the page (nothing matches)"),
        "absent" => format!("{target} was not found on the page (only {count} match)"),
        "hidden" => format!("timed out waiting for {target} to {action}: it is on the page but not visible"),
        "disabled" => format!("timed out waiting for {target} to {action}: it is disabled"),
        "readonly" => format!("timed out waiting for {target} to {action}: it is read-only"),
        "uneditable" => format!("{target} cannot be typed into: it is a <{detail}>, not a field"),
        "covered" => format!("timed out waiting for {target} to {action}: it is covered by {detail}"),
        "moving" => format!("timed out waiting for {target} to {action}: it is still moving"),
        other => format!("timed out waiting for {target} to {action}: {other}"),
    }
}

/// Which option of a dropdown to choose.
#[derive(Debug, Clone)]
pub enum SelectBy {
    /// The option's visible text.
    Text(String),
    /// The option's `value` attribute.
    Value(String),
    /// The one option whose visible text matches.
    Matching(Regex),
}

/// What to do with an open alert, confirm or prompt.
#[derive(Debug, Clone)]
pub struct DialogAnswer {
    /// Press OK (else Cancel).
    pub accept: bool,
    /// Text to type into a prompt first.
    pub answer: Option<String>,
    /// Text the dialog must contain.
    pub expect: Option<String>,
}

/// A browser session and where in its frames the run is working.
#[derive(Debug)]
pub struct Page {
    client: Client,
    frame_depth: usize,
    /// The browser's profile directory when it is ours, removed when the page is closed.
    profile: Option<tempfile::TempDir>,
}

/// Whether a list and one of its options can be chosen: `""` when they can, `"list"` when the
/// list (or a fieldset around it) is disabled, `"option"` when the option (or its group) is.
const CHOICE_STATE: &str = r#"
const [list, option] = arguments;
if (list.matches(':disabled')) return 'list';
if (option.disabled || (option.parentElement && option.parentElement.tagName === 'OPTGROUP' && option.parentElement.disabled)) return 'option';
return '';
"#;

/// Reads a table into rows keyed by its column headings.
const READ_TABLE: &str = r#"
const table = arguments[0];
const text = (c) => (c.innerText || c.textContent || '').trim();
const ARIA_CELLS = '[role=cell],[role=gridcell],[role=columnheader],[role=rowheader]';
// An HTML table; else ARIA rows and cells (role=table or grid); else a grid of divs, whose
// rows are the element's children and cells theirs.
let rows, cellsOf, isHeading;
if (table.rows) {
  rows = Array.from(table.rows);
  cellsOf = (row) => Array.from(row.cells);
  isHeading = (c) => c.tagName === 'TH';
} else if (table.querySelector('[role=row]')) {
  rows = Array.from(table.querySelectorAll('[role=row]'));
  cellsOf = (row) => Array.from(row.querySelectorAll(ARIA_CELLS));
  isHeading = (c) => c.getAttribute('role') === 'columnheader';
} else if (table.querySelector('tr')) {
  rows = Array.from(table.querySelectorAll('tr'));
  cellsOf = (row) => Array.from(row.querySelectorAll('th,td'));
  isHeading = (c) => c.tagName === 'TH';
} else {
  rows = Array.from(table.children);
  cellsOf = (row) => Array.from(row.children);
  isHeading = (c) => c.tagName === 'TH' || c.getAttribute('role') === 'columnheader';
}
let headings = null;
const out = [];
for (const row of rows) {
  const cells = cellsOf(row);
  if (headings === null && cells.length && cells.every(isHeading)) {
    headings = cells.map((c, i) => text(c) || ('column ' + (i + 1)));
    continue;
  }
  if (headings === null) { headings = cells.map((c, i) => 'column ' + (i + 1)); }
  if (!cells.length) continue;
  const record = {};
  cells.forEach((c, i) => { record[headings[i] || ('column ' + (i + 1))] = text(c); });
  out.push(record);
}
return out;
"#;

/// Finds a target's elements in one call and says whether the one wanted can take the action.
/// Arguments: the queries (tried in turn until one matches), which match (from 1), whether
/// several matches is an error, what the element must be ready for (`present`, `visible`,
/// `click`, `edit`), whether to clear a field, and whether to return every match. Answers with
/// `{all}`, `{invalid}`, `{count, ambiguous}` or `{count, state, detail, element, tag}`, where
/// `state` is `ok`, `animated` (ready to click once [`STILL`] finds it still), or what stops
/// the action (`absent`, `hidden`, `disabled`, `readonly`, `uneditable`, `covered`).
const LOCATE: &str = r#"
const [queries, nth, strict, ready, clear, all] = arguments;
const describe = (el) => '<' + el.tagName.toLowerCase() + '> ' +
  JSON.stringify((el.innerText || el.value || '').trim().replace(/\s+/g, ' ').slice(0, 40));
const run = (query) => {
  if (query.css !== undefined) return Array.from(document.querySelectorAll(query.css));
  if (query.xpath !== undefined) {
    const result = document.evaluate(query.xpath, document, null, XPathResult.ORDERED_NODE_SNAPSHOT_TYPE, null);
    const out = [];
    for (let i = 0; i < result.snapshotLength; i++) {
      const node = result.snapshotItem(i);
      if (node.nodeType === 1) out.push(node);
    }
    return out;
  }
  if (query.link !== undefined) {
    const wanted = query.link.trim();
    return Array.from(document.querySelectorAll('a')).filter((a) => (a.innerText || a.textContent || '').trim() === wanted);
  }
  if (query.shadow !== undefined) {
    // Each selector is looked for in the open shadow roots of what the one before found.
    let found = [document];
    query.shadow.forEach((selector, index) => {
      const next = [];
      for (const scope of found) {
        const root = index === 0 ? scope : scope.shadowRoot;
        if (root) next.push(...root.querySelectorAll(selector));
      }
      found = next;
    });
    return found;
  }
  if (query.element !== undefined) return query.element && query.element.isConnected ? [query.element] : [];
  return [];
};
let found = [];
try {
  for (const query of queries) {
    found = run(query);
    if (found.length) break;
  }
} catch (error) {
  return { invalid: String((error && error.message) || error) };
}
if (all) return { all: found };
const count = found.length;
if (strict && count > 1) return { count, ambiguous: found.slice(0, 5).map(describe) };
const el = found[nth - 1];
const answer = (state, detail) => ({ count, state, detail: detail || '' });
if (!el) return answer('absent');
const tag = el.tagName.toLowerCase();
const ok = () => ({ count, state: 'ok', element: el, tag });
if (ready === 'present') return ok();
// An option of a closed list has no box of its own; WebDriver chooses it when it is clicked.
if (tag === 'option') return el.matches(':disabled') ? answer('disabled') : ok();
const shown = el.getClientRects().length > 0 &&
  (el.checkVisibility ? el.checkVisibility({ visibilityProperty: true }) : getComputedStyle(el).visibility !== 'hidden');
if (!shown) return answer('hidden');
if (ready === 'visible') return ok();
if (el.matches(':disabled') || el.getAttribute('aria-disabled') === 'true') return answer('disabled');
if (ready === 'edit') {
  const field = tag === 'textarea' || (tag === 'input' && !['button', 'submit', 'reset', 'checkbox', 'radio', 'image', 'hidden'].includes((el.type || '').toLowerCase()));
  if (!field && !el.isContentEditable) return answer('uneditable', tag);
  if (field && el.readOnly) return answer('readonly');
  if (clear) {
    if (field && el.value !== '') {
      // The native setter, so that pages which track the field's value see it change.
      Object.getOwnPropertyDescriptor(Object.getPrototypeOf(el), 'value').set.call(el, '');
      el.dispatchEvent(new Event('input', { bubbles: true }));
      el.dispatchEvent(new Event('change', { bubbles: true }));
    } else if (!field) {
      el.textContent = '';
    }
  }
  return ok();
}
// ready === 'click': in view, not covered by something else, and not moving.
let box = el.getBoundingClientRect();
if (box.top < 0 || box.left < 0 || box.bottom > innerHeight || box.right > innerWidth) {
  el.scrollIntoView({ block: 'center', inline: 'nearest' });
  box = el.getBoundingClientRect();
}
const x = box.left + box.width / 2, y = box.top + box.height / 2;
let hit = document.elementFromPoint(x, y);
while (hit && hit.shadowRoot) {
  const inner = hit.shadowRoot.elementFromPoint(x, y);
  if (!inner || inner === hit) break;
  hit = inner;
}
const inside = (node) => { for (let at = node; at; at = at.parentNode || at.host) { if (at === el) return true; } return false; };
if (hit && !inside(hit) && !(hit.tagName === 'LABEL' && hit.control === el)) return answer('covered', describe(hit));
// Only something being animated (CSS animations and transitions, or jQuery's) is watched over a
// frame for movement afterwards; anything else is taken to be where it is.
const animated = () => {
  for (const animation of document.getAnimations()) {
    const target = animation.playState === 'running' && animation.effect && animation.effect.target;
    if (target && target.contains && target.contains(el)) return true;
  }
  try {
    const $ = window.jQuery;
    return Boolean($ && $.fn && $(el).add($(el).parents()).is(':animated'));
  } catch (error) {
    return false;
  }
};
return animated() ? { count, state: 'animated', element: el, tag } : ok();
"#;

/// Whether an element stays in the same place from one frame to the next (asynchronous:
/// answers through the callback WebDriver adds).
const STILL: &str = r#"
const [el, done] = arguments;
const before = el.getBoundingClientRect();
let settled = false;
const compare = () => {
  if (settled) return;
  settled = true;
  const now = el.getBoundingClientRect();
  done(now.left === before.left && now.top === before.top && now.width === before.width && now.height === before.height);
};
requestAnimationFrame(compare);
setTimeout(compare, 100);
"#;

/// Drags one element onto another with HTML drag and drop events, when the first is
/// `draggable`; `false` when it is not (the mouse is used instead).
const HTML_DRAG: &str = r#"
const [source, target] = arguments;
if (!source.draggable) { return false; }
const data = new DataTransfer();
const fire = (element, type) => element.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: data }));
fire(source, 'dragstart');
fire(target, 'dragenter');
fire(target, 'dragover');
fire(target, 'drop');
fire(source, 'dragend');
return true;
"#;

/// The key a WebDriver element reference is sent under.
pub const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Masks values in the text and fields of the page and all its same-origin frames, keeping the
/// originals so they can be put back.
const MASK_PAGE: &str = r#"
const values = arguments[0];
const restore = [];
const mask = (text) => { let out = text; for (const v of values) { out = out.split(v).join('•••'); } return out; };
const walk = (win) => {
  let doc;
  try { doc = win.document; } catch (e) { return; }
  if (!doc || !doc.body) return;
  const texts = doc.createTreeWalker(doc.body, NodeFilter.SHOW_TEXT);
  while (texts.nextNode()) {
    const node = texts.currentNode; const masked = mask(node.nodeValue);
    if (masked !== node.nodeValue) { restore.push([node, 'nodeValue', node.nodeValue]); node.nodeValue = masked; }
  }
  for (const field of doc.querySelectorAll('input,textarea')) {
    const masked = mask(field.value);
    if (masked !== field.value) { restore.push([field, 'value', field.value]); field.value = masked; }
  }
  for (let i = 0; i < win.frames.length; i++) walk(win.frames[i]);
};
walk(window.top);
window.top.__councilbotRestore = restore;
"#;

/// Puts back what [`MASK_PAGE`] masked.
const UNMASK_PAGE: &str = r#"
const restore = window.top.__councilbotRestore || [];
for (const [target, key, value] of restore) { target[key] = value; }
delete window.top.__councilbotRestore;
"#;

/// A command of Chromium's DevTools protocol, sent through ChromeDriver.
#[derive(Debug)]
struct ChromiumCommand {
    cmd: &'static str,
    params: Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for ChromiumCommand {
    fn endpoint(&self, base_url: &url::Url, session_id: Option<&str>) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!("session/{}/chromium/send_command_and_get_result", session_id.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(json!({ "cmd": self.cmd, "params": self.params }).to_string()))
    }
}

impl Page {
    /// Applies a workflow's browser settings: grants its permissions to every page and sets
    /// the position the browser reports. Needs Chromium.
    pub async fn apply(&self, settings: &BrowserSettings) -> Result<(), BrowserError> {
        let mut granted = Vec::new();
        for permission in &settings.permissions {
            match permission {
                BrowserPermission::Geolocation => granted.push("geolocation"),
                BrowserPermission::Clipboard => granted.extend(["clipboardReadWrite", "clipboardSanitizedWrite"]),
            }
        }
        if settings.geolocation.is_some() && !granted.contains(&"geolocation") {
            granted.push("geolocation");
        }
        let unsupported = |error: CmdError| {
            BrowserError::Failed(format!("the browser settings could not be applied (they need Chromium): {error}"))
        };
        if !granted.is_empty() {
            let command =
                ChromiumCommand { cmd: "Browser.grantPermissions", params: json!({ "permissions": granted }) };
            self.client.issue_cmd(command).await.map_err(unsupported)?;
        }
        if let Some(position) = &settings.geolocation {
            let params = json!({ "latitude": position.latitude, "longitude": position.longitude, "accuracy": position.accuracy });
            let command = ChromiumCommand { cmd: "Emulation.setGeolocationOverride", params };
            self.client.issue_cmd(command).await.map_err(unsupported)?;
        }
        Ok(())
    }

    /// A page on a new session.
    pub fn new(client: Client) -> Page {
        Page { client, frame_depth: 0, profile: None }
    }

    /// The same page, whose browser keeps its profile in `profile`.
    pub fn with_profile(mut self, profile: Option<tempfile::TempDir>) -> Page {
        self.profile = profile;
        self
    }

    /// Goes to an address and waits for it to load.
    pub async fn open(&mut self, url: &str) -> Result<(), BrowserError> {
        self.client.goto(url).await.map_err(|error| BrowserError::from_command(&format!("opening {url}"), error))?;
        self.frame_depth = 0;
        Ok(())
    }

    /// The address of the top page.
    pub async fn url(&self) -> Result<String, BrowserError> {
        self.client
            .current_url()
            .await
            .map(|url| url.to_string())
            .map_err(|error| BrowserError::from_command("reading the address", error))
    }

    /// The elements matching a target now, trying its queries from exact to loose.
    async fn matches(&self, target: &Target) -> Result<Vec<Element>, BrowserError> {
        let answer = self.locate(target, Ready::Present, false, true).await?;
        Ok(answer.get("all").and_then(Value::as_array).map(|all| self.elements(all)).unwrap_or_default())
    }

    /// Element references in a script's answer, as elements.
    fn elements(&self, references: &[Value]) -> Vec<Element> {
        references
            .iter()
            .filter_map(|reference| reference.get(ELEMENT_KEY).and_then(Value::as_str))
            .map(|id| Element::from_element_id(self.client.clone(), ElementRef::from(id.to_string())))
            .collect()
    }

    /// One look for a target in a single WebDriver call: what [`LOCATE`] answers. An element
    /// that left the page before the call counts as not found.
    async fn locate(&self, target: &Target, ready: Ready, clear: bool, all: bool) -> Result<Value, BrowserError> {
        let queries: Vec<Value> = target
            .queries()
            .into_iter()
            .map(|query| match query {
                Query::Css(css) => json!({ "css": css }),
                Query::XPath(xpath) => json!({ "xpath": xpath }),
                Query::LinkText(text) => json!({ "link": text }),
                Query::Shadow(path) => json!({ "shadow": path }),
                Query::Element(reference) => json!({ "element": { ELEMENT_KEY: reference } }),
            })
            .collect();
        let arguments = vec![
            json!(queries),
            json!(target.nth),
            json!(target.strict),
            json!(ready.name()),
            json!(clear),
            json!(all),
        ];
        let answer = match self.client.execute(LOCATE, arguments).await {
            Ok(answer) => answer,
            Err(error) if error.is_stale_element_reference() || error.is_no_such_element() => {
                return Ok(if all { json!({ "all": [] }) } else { json!({ "count": 0, "state": "absent" }) });
            }
            Err(error) if error.is_unexpected_alert_open() => return Err(self.dialog_in_the_way().await),
            Err(error) => return Err(BrowserError::from_command(&format!("finding {target}"), error)),
        };
        if let Some(invalid) = answer.get("invalid").and_then(Value::as_str) {
            return Err(BrowserError::Failed(format!("{target} is not a valid selector: {invalid}")));
        }
        Ok(answer)
    }

    /// The element of a target once it is ready for `ready`, waiting until it is or the
    /// deadline passes, with its tag name; a field is cleared first when `clear` (for `edit`).
    /// Finding, checking and clearing take one WebDriver call each time it looks.
    async fn find_ready(
        &self,
        target: &Target,
        ready: Ready,
        clear: bool,
        deadline: Instant,
    ) -> Result<(Element, String), BrowserError> {
        loop {
            let answer = self.locate(target, ready, clear, false).await?;
            let count = answer.get("count").and_then(Value::as_u64).unwrap_or(0);
            if let Some(named) = answer.get("ambiguous").and_then(Value::as_array) {
                let named: Vec<&str> = named.iter().filter_map(Value::as_str).collect();
                return Err(BrowserError::Failed(ambiguous(target, count, &named)));
            }
            let mut state = answer.get("state").and_then(Value::as_str).unwrap_or("absent");
            let element = answer.get("element").map(|element| self.elements(std::slice::from_ref(element)));
            if let Some(element) = element.and_then(|mut found| found.pop()) {
                if state == "animated" {
                    // Something is animating it or around it: ready once it stays put over a frame.
                    let still = self.client.execute_async(STILL, vec![json!(element)]).await;
                    state = if still.ok().and_then(|still| still.as_bool()) == Some(true) { "ok" } else { "moving" };
                }
                if state == "ok" {
                    let tag = answer.get("tag").and_then(Value::as_str).unwrap_or_default().to_string();
                    return Ok((element, tag));
                }
            }
            if Instant::now() >= deadline {
                let detail = answer.get("detail").and_then(Value::as_str).unwrap_or_default();
                return Err(BrowserError::Failed(not_ready(target, ready, state, count, detail)));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    async fn dialog_in_the_way(&self) -> BrowserError {
        let text = self.client.get_alert_text().await.unwrap_or_default();
        BrowserError::Failed(format!(
            "a dialog is open ({text:?}); add a `dialog` step to accept or dismiss it before going on"
        ))
    }

    /// The element of a target, waiting until it appears or the deadline passes.
    pub async fn find(&self, target: &Target, deadline: Instant) -> Result<Element, BrowserError> {
        self.find_ready(target, Ready::Present, false, deadline).await.map(|(element, _)| element)
    }

    /// Every element matching a target now, without waiting.
    pub async fn find_all_now(&self, target: &Target) -> Result<Vec<Element>, BrowserError> {
        self.matches(target).await
    }

    /// Clicks an element once it is visible, enabled, not covered and not moving: two WebDriver
    /// calls when it is ready, one to find and check it and the native click.
    pub async fn click(&self, target: &Target, deadline: Instant) -> Result<(), BrowserError> {
        let target = &target.to_click();
        loop {
            let (element, _) = self.find_ready(target, Ready::Click, false, deadline).await?;
            match element.click().await {
                Ok(()) => return Ok(()),
                Err(error)
                    if (error.is_element_not_interactable()
                        || error.is_stale_element_reference()
                        || error.to_string().contains("click intercepted"))
                        && Instant::now() < deadline =>
                {
                    tokio::time::sleep(POLL).await;
                }
                Err(error) => return Err(BrowserError::from_command(&format!("clicking {target}"), error)),
            }
        }
    }

    /// Types a value into a field, clearing it first if asked. Nothing in the value presses a
    /// key: it is typed as [`typeable`] makes it, with line breaks kept only in a textarea.
    /// The field must be visible, enabled and not read-only; finding, checking and clearing it
    /// take one WebDriver call, and the typing (real key events) another.
    pub async fn fill(&self, target: &Target, value: &str, clear: bool, deadline: Instant) -> Result<(), BrowserError> {
        let (element, tag) = self.find_ready(target, Ready::Edit, clear, deadline).await?;
        let failed = |error| BrowserError::from_command(&format!("typing into {target}"), error);
        element.send_keys(&typeable(value, tag == "textarea")).await.map_err(failed)
    }

    /// Chooses an option of a dropdown, waiting for the option to be loaded and for the list
    /// and the option to be enabled; a list still disabled, or an option missing or disabled, at
    /// the deadline is an error, and so is a choice the list does not show afterwards.
    pub async fn select(&self, target: &Target, choice: &SelectBy, deadline: Instant) -> Result<(), BrowserError> {
        let wanted = match choice {
            SelectBy::Text(text) => format!("{text:?}"),
            SelectBy::Value(value) => format!("with value {value:?}"),
            SelectBy::Matching(pattern) => format!("matching `{pattern}`"),
        };
        let failed = |error| BrowserError::from_command(&format!("choosing in {target}"), error);
        loop {
            let select = self.find(target, deadline).await?;
            let option = match choice {
                SelectBy::Text(text) => Some(format!(".//option[normalize-space(.)={}]", literal(text.trim()))),
                SelectBy::Value(value) => Some(format!(".//option[@value={}]", literal(value))),
                SelectBy::Matching(pattern) => self.option_matching(&select, pattern, target).await?,
            };
            let found = match &option {
                Some(option) => match select.find(Locator::XPath(option)).await {
                    Ok(found) => Some(found),
                    Err(error) if (error.is_no_such_element() || error.is_stale_element_reference()) => None,
                    Err(error) => return Err(failed(error)),
                },
                None => None,
            };
            let Some(found) = found else {
                if Instant::now() >= deadline {
                    let offered = self.options(&select).await;
                    return Err(BrowserError::Failed(format!("{target} has no option {wanted}; it offers {offered}")));
                }
                tokio::time::sleep(POLL).await;
                continue;
            };
            let state = self
                .client
                .execute(CHOICE_STATE, vec![json!(select), json!(found)])
                .await
                .map_err(|error| BrowserError::from_command(&format!("choosing in {target}"), error))?;
            match state.as_str() {
                Some("") => {}
                Some(why) if Instant::now() >= deadline => {
                    let why = if why == "list" {
                        format!("{target} is disabled, so {wanted} cannot be chosen")
                    } else {
                        format!("the option {wanted} of {target} is disabled")
                    };
                    return Err(BrowserError::Failed(why));
                }
                _ => {
                    tokio::time::sleep(POLL).await;
                    continue;
                }
            }
            found.click().await.map_err(failed)?;
            let chosen =
                self.client.execute("return arguments[0].selected;", vec![json!(found)]).await.map_err(failed)?;
            if chosen.as_bool() != Some(true) {
                return Err(BrowserError::Failed(format!("choosing {wanted} in {target} did not take")));
            }
            return Ok(());
        }
    }

    /// The XPath of the one option whose text matches, or `None` while none does; several is
    /// an error naming them, rather than a guess.
    async fn option_matching(
        &self,
        select: &Element,
        pattern: &Regex,
        target: &Target,
    ) -> Result<Option<String>, BrowserError> {
        let texts = self
            .option_texts(select)
            .await
            .map_err(|error| BrowserError::from_command(&format!("reading the options of {target}"), error))?;
        let matching: Vec<(usize, &str)> = texts
            .iter()
            .enumerate()
            .filter(|(_, text)| pattern.is_match(text))
            .map(|(index, text)| (index, text.as_str()))
            .collect();
        match matching.as_slice() {
            [] => Ok(None),
            [(index, _)] => Ok(Some(format!("(.//option)[{}]", index + 1))),
            several => {
                let named: Vec<String> = several.iter().map(|(_, text)| format!("{text:?}")).collect();
                Err(BrowserError::Failed(format!(
                    "{} options of {target} match `{pattern}`: {}; make the pattern narrower, such as `^…$`",
                    several.len(),
                    named.join(", ")
                )))
            }
        }
    }

    /// The visible texts of a list's options, in order.
    async fn option_texts(&self, select: &Element) -> Result<Vec<String>, CmdError> {
        let script = "return Array.from(arguments[0].options).map(o => o.text.trim());";
        let texts = self.client.execute(script, vec![json!(select)]).await?;
        Ok(texts
            .as_array()
            .map(|texts| texts.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default())
    }

    async fn options(&self, select: &Element) -> String {
        match self.option_texts(select).await {
            Ok(texts) if texts.is_empty() => "no options".to_string(),
            Ok(texts) => texts.iter().map(|text| format!("{text:?}")).collect::<Vec<_>>().join(", "),
            Err(_) => "options that could not be read".to_string(),
        }
    }

    /// Ticks or unticks a checkbox or radio button.
    pub async fn set_checked(&self, target: &Target, checked: bool, deadline: Instant) -> Result<(), BrowserError> {
        let element = self.find(target, deadline).await?;
        let failed = |error| BrowserError::from_command(&format!("ticking {target}"), error);
        if element.is_selected().await.map_err(failed)? != checked {
            element.click().await.map_err(failed)?;
        }
        Ok(())
    }

    /// Attaches a file to a file field.
    pub async fn upload(&self, target: &Target, file: &str, deadline: Instant) -> Result<(), BrowserError> {
        if typeable(file, false) != file {
            return Err(BrowserError::Failed(
                "the name of the file to upload holds a character that would press a key".to_string(),
            ));
        }
        let path = std::path::Path::new(file);
        let absolute = std::path::absolute(path)
            .ok()
            .filter(|absolute| absolute.is_file())
            .ok_or_else(|| BrowserError::Failed(format!("the file to upload does not exist: {file}")))?;
        let element = self.find(target, deadline).await?;
        element
            .send_keys(&absolute.display().to_string())
            .await
            .map_err(|error| BrowserError::from_command(&format!("attaching a file to {target}"), error))
    }

    /// Moves the mouse over the middle of an element, once it is visible.
    pub async fn hover(&self, target: &Target, deadline: Instant) -> Result<(), BrowserError> {
        let (element, _) = self.find_ready(target, Ready::Visible, false, deadline).await?;
        let moved = MouseActions::new("mouse".to_string()).then(PointerAction::MoveToElement {
            element,
            duration: None,
            x: 0.0,
            y: 0.0,
        });
        self.client
            .perform_actions(moved)
            .await
            .map_err(|error| BrowserError::from_command(&format!("moving the mouse over {target}"), error))
    }

    /// Drags an element onto another: by HTML drag and drop events when the element is
    /// `draggable`, which a WebDriver's mouse does not start, else by pressing the mouse on it,
    /// moving it there and letting go.
    pub async fn drag(&self, from: &Target, to: &Target, deadline: Instant) -> Result<(), BrowserError> {
        let (source, _) = self.find_ready(from, Ready::Visible, false, deadline).await?;
        let destination = self.find(to, deadline).await?;
        let failed = |error| BrowserError::from_command(&format!("dragging {from} onto {to}"), error);
        let html = self.client.execute(HTML_DRAG, vec![json!(source), json!(destination)]).await.map_err(failed)?;
        if html.as_bool() == Some(true) {
            return Ok(());
        }
        let moves = MouseActions::new("mouse".to_string())
            .then(PointerAction::MoveToElement { element: source, duration: None, x: 0.0, y: 0.0 })
            .then(PointerAction::Down { button: fantoccini::actions::MOUSE_BUTTON_LEFT })
            .then(PointerAction::MoveBy { duration: Some(std::time::Duration::from_millis(100)), x: 5.0, y: 5.0 })
            .then(PointerAction::MoveToElement {
                element: destination,
                duration: Some(std::time::Duration::from_millis(200)),
                x: 0.0,
                y: 0.0,
            })
            .then(PointerAction::Up { button: fantoccini::actions::MOUSE_BUTTON_LEFT });
        self.client.perform_actions(moves).await.map_err(failed)
    }

    /// Scrolls an element into the middle of the view.
    pub async fn scroll_to(&self, target: &Target, deadline: Instant) -> Result<(), BrowserError> {
        let element = self.find(target, deadline).await?;
        self.client
            .execute("arguments[0].scrollIntoView({block: 'center', inline: 'nearest'});", vec![json!(element)])
            .await
            .map(|_| ())
            .map_err(|error| BrowserError::from_command(&format!("scrolling to {target}"), error))
    }

    /// Scrolls the page, or a box that scrolls, down by some pixels (up when negative).
    pub async fn scroll_by(&self, within: Option<&Target>, pixels: i64, deadline: Instant) -> Result<(), BrowserError> {
        let (script, arguments) = match within {
            Some(target) => {
                let element = self.find(target, deadline).await?;
                ("arguments[0].scrollBy(0, arguments[1]);", vec![json!(element), json!(pixels)])
            }
            None => ("window.scrollBy(0, arguments[0]);", vec![json!(pixels)]),
        };
        self.client
            .execute(script, arguments)
            .await
            .map(|_| ())
            .map_err(|error| BrowserError::from_command("scrolling", error))
    }

    /// Presses a key in an element, or wherever the focus is.
    pub async fn press(&self, target: Option<&Target>, key: &str, deadline: Instant) -> Result<(), BrowserError> {
        let keys = key_text(key).ok_or_else(|| BrowserError::Failed(format!("`{key}` is not a key name")))?;
        let element = match target {
            Some(target) => self.find(target, deadline).await?,
            None => self
                .client
                .active_element()
                .await
                .map_err(|error| BrowserError::from_command("finding the focused element", error))?,
        };
        element.send_keys(&keys).await.map_err(|error| BrowserError::from_command(&format!("pressing {key}"), error))
    }

    /// Waits until an element is there and enabled: not `disabled`, not `aria-disabled="true"`.
    pub async fn wait_enabled(&self, target: &Target, deadline: Instant) -> Result<(), BrowserError> {
        loop {
            let found = self.matches(target).await?;
            let mut state = "not on the page";
            if let Some(element) = found.get(target.nth - 1) {
                let disabled = !element.is_enabled().await.unwrap_or(false)
                    || element.attr("aria-disabled").await.ok().flatten().as_deref() == Some("true");
                if !disabled {
                    return Ok(());
                }
                state = "disabled";
            }
            if Instant::now() >= deadline {
                return Err(BrowserError::Failed(format!(
                    "timed out waiting for {target} to be enabled: it is still {state}"
                )));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until a locator matches exactly `count` elements.
    pub async fn wait_count(&self, target: &Target, count: usize, deadline: Instant) -> Result<(), BrowserError> {
        loop {
            let found = self.matches(target).await?.len();
            if found == count {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(BrowserError::Failed(format!(
                    "timed out waiting for {target} to match {count} element(s): it matches {found}"
                )));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until an element's attribute is, or matches, what is wanted.
    pub async fn wait_attribute(
        &self,
        target: &Target,
        name: &str,
        wanted: &Wanted,
        deadline: Instant,
    ) -> Result<(), BrowserError> {
        loop {
            let found = self.matches(target).await?;
            let value = match found.get(target.nth - 1) {
                Some(element) => element.attr(name).await.ok().flatten(),
                None => None,
            };
            if value.as_deref().is_some_and(|value| wanted.holds(value)) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                let now = match (&value, found.is_empty()) {
                    (_, true) => "the element is not on the page".to_string(),
                    (Some(value), false) => format!("it is {value:?}"),
                    (None, false) => "it has no such attribute".to_string(),
                };
                return Err(BrowserError::Failed(format!(
                    "timed out waiting for `{name}` of {target} to {wanted}: {now}"
                )));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until an element is visible.
    pub async fn wait_visible(&self, target: &Target, deadline: Instant) -> Result<(), BrowserError> {
        loop {
            for element in self.matches(target).await? {
                if element.is_displayed().await.unwrap_or(false) {
                    return Ok(());
                }
            }
            if Instant::now() >= deadline {
                return Err(BrowserError::Failed(format!("{target} did not become visible in time")));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until no visible element matches.
    pub async fn wait_gone(&self, target: &Target, deadline: Instant) -> Result<(), BrowserError> {
        loop {
            let mut visible = false;
            for element in self.matches(target).await? {
                visible |= element.is_displayed().await.unwrap_or(false);
            }
            if !visible {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(BrowserError::Failed(format!("{target} was still on the page when time ran out")));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The visible text of the current frame.
    pub async fn text_of_page(&self) -> Result<String, BrowserError> {
        match self.client.execute("return document.body ? document.body.innerText : '';", vec![]).await {
            Ok(value) => Ok(value.as_str().unwrap_or_default().to_string()),
            Err(error) if error.is_unexpected_alert_open() => Err(self.dialog_in_the_way().await),
            Err(error) => Err(BrowserError::from_command("reading the page", error)),
        }
    }

    /// Waits until text appears on the page.
    pub async fn wait_text(&self, text: &str, deadline: Instant) -> Result<(), BrowserError> {
        loop {
            if self.text_of_page().await?.contains(text) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(BrowserError::Failed(format!("the text {text:?} did not appear on the page in time")));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until the address matches a regular expression.
    pub async fn wait_url(&self, pattern: &Regex, deadline: Instant) -> Result<(), BrowserError> {
        loop {
            let url = self.url().await?;
            if pattern.is_match(&url) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(BrowserError::Failed(format!(
                    "the address {url} did not come to match `{pattern}` in time"
                )));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The text of an element (for a form field, its value).
    pub async fn text(&self, element: &Element) -> Result<String, BrowserError> {
        let failed = |error| BrowserError::from_command("reading an element", error);
        let tag = element.tag_name().await.map_err(failed)?.to_ascii_lowercase();
        if matches!(tag.as_str(), "input" | "textarea" | "select") {
            return Ok(element.prop("value").await.map_err(failed)?.unwrap_or_default());
        }
        Ok(element.text().await.map_err(failed)?.trim().to_string())
    }

    /// An attribute of an element.
    pub async fn attribute(&self, element: &Element, name: &str) -> Result<Option<String>, BrowserError> {
        element
            .attr(name)
            .await
            .map_err(|error| BrowserError::from_command(&format!("reading attribute {name}"), error))
    }

    /// A table's rows, each a map from column heading to cell text.
    pub async fn table(&self, element: &Element) -> Result<Value, BrowserError> {
        self.client
            .execute(READ_TABLE, vec![json!(element)])
            .await
            .map_err(|error| BrowserError::from_command("reading a table", error))
    }

    /// Works inside a frame element from now on.
    pub async fn enter_frame(&mut self, target: &Target, deadline: Instant) -> Result<(), BrowserError> {
        let frame = self.find(target, deadline).await?;
        frame
            .enter_frame()
            .await
            .map_err(|error| BrowserError::from_command(&format!("entering the frame {target}"), error))?;
        self.frame_depth += 1;
        Ok(())
    }

    /// Works in the frame holding the current one.
    pub async fn leave_frame(&mut self) -> Result<(), BrowserError> {
        self.client
            .enter_parent_frame()
            .await
            .map_err(|error| BrowserError::from_command("leaving the frame", error))?;
        self.frame_depth = self.frame_depth.saturating_sub(1);
        Ok(())
    }

    /// Works in the top page.
    pub async fn leave_all_frames(&mut self) -> Result<(), BrowserError> {
        while self.frame_depth > 0 {
            self.leave_frame().await?;
        }
        Ok(())
    }

    /// Deals with the alert, confirm or prompt that opens, waiting for it; returns its text.
    pub async fn answer_dialog(&self, answer: &DialogAnswer, deadline: Instant) -> Result<String, BrowserError> {
        let text = loop {
            match self.client.get_alert_text().await {
                Ok(text) => break text,
                Err(error) if error.is_no_such_alert() && Instant::now() < deadline => tokio::time::sleep(POLL).await,
                Err(error) if error.is_no_such_alert() => {
                    return Err(BrowserError::Failed("no dialog opened in time".to_string()));
                }
                Err(error) => return Err(BrowserError::from_command("reading the dialog", error)),
            }
        };
        if let Some(expected) = &answer.expect
            && !text.contains(expected.as_str())
        {
            let _ = self.client.dismiss_alert().await;
            return Err(BrowserError::Failed(format!("the dialog said {text:?}, not {expected:?}; it was dismissed")));
        }
        let failed = |error| BrowserError::from_command("answering the dialog", error);
        if let Some(reply) = &answer.answer {
            self.client.send_alert_text(&typeable(reply, false)).await.map_err(failed)?;
        }
        if answer.accept {
            self.client.accept_alert().await.map_err(failed)?;
        } else {
            self.client.dismiss_alert().await.map_err(failed)?;
        }
        Ok(text)
    }

    /// Runs JavaScript in the page and returns what it returns.
    pub async fn script(&self, code: &str) -> Result<Value, BrowserError> {
        self.client.execute(code, vec![]).await.map_err(|error| match error {
            error if error.is_javascript_error() => BrowserError::Failed(format!("the script failed: {error}")),
            error => BrowserError::from_command("running a script", error),
        })
    }

    /// A PNG picture of the window, with these values blanked out of the page while it is taken.
    pub async fn screenshot(&self, masked: &[&str]) -> Result<Vec<u8>, BrowserError> {
        let values: Vec<&str> = masked.iter().copied().filter(|value| !value.is_empty()).collect();
        if !values.is_empty() {
            self.client
                .execute(MASK_PAGE, vec![json!(values)])
                .await
                .map_err(|error| BrowserError::from_command("masking the page", error))?;
        }
        let picture =
            self.client.screenshot().await.map_err(|error| BrowserError::from_command("taking a screenshot", error));
        if !values.is_empty() {
            let _ = self.client.execute(UNMASK_PAGE, vec![]).await;
        }
        picture
    }

    /// The HTML of the current frame.
    pub async fn html(&self) -> Result<String, BrowserError> {
        self.client.source().await.map_err(|error| BrowserError::from_command("reading the page source", error))
    }

    /// Ends the session, closes the browser and removes its profile.
    pub async fn close(self) {
        let _ = self.client.close().await;
        if let Some(profile) = self.profile {
            remove_profile(profile).await;
        }
    }
}

/// Removes a browser's profile directory. The browser may still be writing to it for a moment
/// after its session ends, so removing is tried again a few times.
async fn remove_profile(profile: tempfile::TempDir) {
    let path = profile.keep();
    for _ in 0..20 {
        if std::fs::remove_dir_all(&path).is_ok() || !path.exists() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    tracing::warn!(path = %path.display(), "a browser profile could not be removed");
}

/// What an attribute is waited for to be.
#[derive(Debug, Clone)]
pub enum Wanted {
    /// Exactly this.
    Is(String),
    /// Matching this.
    Matches(Regex),
}

impl Wanted {
    /// Whether a value is what is wanted.
    pub fn holds(&self, value: &str) -> bool {
        match self {
            Wanted::Is(wanted) => value == wanted,
            Wanted::Matches(pattern) => pattern.is_match(value),
        }
    }
}

impl std::fmt::Display for Wanted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Wanted::Is(wanted) => write!(f, "be {wanted:?}"),
            Wanted::Matches(pattern) => write!(f, "match `{pattern}`"),
        }
    }
}

/// The keystrokes for a key: a character (`a`), a key's name (`Enter`, `Tab`, `ArrowDown`), or
/// a chord of modifiers and a key (`Control+A`, `Shift+Tab`, `Control+Shift+End`), whose
/// modifiers are held down for the key and let go after it. `None` for a name it does not know.
pub(crate) fn key_text(name: &str) -> Option<String> {
    let (modifiers, key) = match name.rsplit_once('+') {
        Some((modifiers, "")) if !modifiers.is_empty() => (modifiers.trim_end_matches('+'), "+"),
        Some((modifiers, key)) if !modifiers.is_empty() => (modifiers, key),
        _ => return single_key(name),
    };
    let mut keys = String::new();
    let mut shifted = false;
    for modifier in modifiers.split('+') {
        let held = match modifier.to_ascii_lowercase().as_str() {
            "control" | "ctrl" => Key::Control,
            "shift" => {
                shifted = true;
                Key::Shift
            }
            "alt" | "option" => Key::Alt,
            "meta" | "command" | "cmd" => Key::Meta,
            _ => return None,
        };
        keys.push(char::from(held));
    }
    // A letter in a chord is the key itself: Control+A selects all, it does not type a capital.
    let key = if key.chars().count() == 1 && !shifted { key.to_lowercase() } else { key.to_string() };
    keys.push_str(&single_key(&key)?);
    keys.push(char::from(Key::Null));
    Some(keys)
}

/// The keystroke for one key: a character, or a key's name.
fn single_key(name: &str) -> Option<String> {
    let mut characters = name.chars();
    if let (Some(only), None) = (characters.next(), characters.next()) {
        return Some(only.to_string());
    }
    let key = match name.to_ascii_lowercase().as_str() {
        "enter" => Key::Enter,
        "return" => Key::Return,
        "tab" => Key::Tab,
        "escape" | "esc" => Key::Escape,
        "backspace" => Key::Backspace,
        "delete" => Key::Delete,
        "space" => Key::Space,
        "arrowup" | "up" => Key::Up,
        "arrowdown" | "down" => Key::Down,
        "arrowleft" | "left" => Key::Left,
        "arrowright" | "right" => Key::Right,
        "home" => Key::Home,
        "end" => Key::End,
        "pageup" => Key::PageUp,
        "pagedown" => Key::PageDown,
        "f5" => Key::F5,
        _ => return None,
    };
    Some(char::from(key).to_string())
}

impl From<CmdError> for BrowserError {
    fn from(error: CmdError) -> BrowserError {
        BrowserError::from_command("browser command", error)
    }
}

#[cfg(test)]
mod tests {
    use super::key_text;

    #[test]
    fn key_names_become_keystrokes() {
        assert_eq!(key_text("a").as_deref(), Some("a"));
        assert_eq!(key_text("Enter").map(|text| text.chars().count()), Some(1));
        let chord = key_text("Control+A").unwrap();
        assert_eq!(chord.chars().nth(1), Some('a'), "the key itself, not a capital");
        assert_eq!(chord.chars().count(), 3, "the modifier, the key, and letting go");
        assert_eq!(key_text("Shift+Tab").map(|text| text.chars().count()), Some(3));
        assert_eq!(key_text("Control++").map(|text| text.chars().nth(1)), Some(Some('+')));
        assert_eq!(key_text("+").as_deref(), Some("+"));
        assert_eq!(key_text("Hyper+A"), None);
        assert_eq!(key_text("Control+Nothing"), None);
        assert_ne!(key_text("Tab"), key_text("Enter"));
        assert_eq!(key_text("Hyper"), None);
    }
}
