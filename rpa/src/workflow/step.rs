//! Steps: what a workflow does, one thing at a time.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use super::duration::DurationText;
use super::located::{Located, Template};
use super::wording::WordingTemplate;

/// One step. It has exactly one kind key (such as `open`, `click` or `http`) and may have the
/// common keys `id`, `name`, `progress`, `when`, `timeout`, `retry`, `on_error`, `submits` and
/// `idempotency`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Step")]
pub struct RawStep {
    /// A name for the step, unique in the workflow, so the journal and errors can point at it.
    pub id: Option<Located<String>>,
    /// What the step does, in words, for staff: shown in run history and `workflow run` output.
    pub name: Option<String>,
    /// What the resident is shown while the step runs, in plain words, such as `Sending your
    /// repair`. Steps inside this one (and in a workflow it calls) show it too unless they have
    /// their own. Plain text: no templates, at most 80 characters; in English, or
    /// `{en: …, cy: …}`.
    pub progress: Option<WordingTemplate>,
    /// Run the step only when this expression is true, such as `inputs.urgent`.
    pub when: Option<Template>,
    /// How long the step may take before it fails (default: the system's `step_timeout`, or 30s).
    pub timeout: Option<DurationText>,
    /// How to try again when the step fails.
    pub retry: Option<Retry>,
    /// Steps to run when the step fails after its retries; the run then goes on after this
    /// step. The error is `{{ error.message }}`.
    pub on_error: Option<Vec<Located<RawStep>>>,
    /// Whether the step creates or changes a record in a system, so it must never run twice.
    /// Such a step needs `idempotency`.
    #[serde(default)]
    pub submits: bool,
    /// How to tell whether an earlier, interrupted attempt of a submitting step already took effect.
    pub idempotency: Option<Idempotency>,

    /// Browser: go to an address (relative addresses are joined to the system's `base_url`).
    pub open: Option<Template>,
    /// Browser: click an element.
    pub click: Option<Locator>,
    /// Browser: move the mouse over an element, as to open a menu that shows on hover.
    pub hover: Option<Locator>,
    /// Browser: scroll an element into view, or scroll the page or a box by a number of pixels.
    pub scroll: Option<Box<ScrollStep>>,
    /// Browser: drag an element onto another, by mouse or by HTML drag and drop.
    pub drag: Option<Box<DragStep>>,
    /// Browser: type a value into a field.
    pub fill: Option<Box<FillStep>>,
    /// Browser: choose an option of a dropdown by its visible text or its value.
    pub select: Option<Box<SelectStep>>,
    /// Browser: tick or untick a checkbox or radio button.
    pub check: Option<CheckStep>,
    /// Browser: attach a file to a file field.
    pub upload: Option<UploadStep>,
    /// Browser: press a key (`Enter`, `Tab`, `Escape`, `ArrowDown`, ...), in an element or the page.
    pub press: Option<PressStep>,
    /// Browser: wait until an element is visible, gone or enabled, text is present, the address matches, or an element has an attribute or a count.
    pub wait_for: Option<Box<WaitForStep>>,
    /// Browser: read text, an attribute or a whole table from the page into a variable.
    pub extract: Option<Box<ExtractStep>>,
    /// Browser or data: fail unless something holds.
    #[serde(rename = "assert")]
    pub assert_that: Option<Box<AssertStep>>,
    /// Browser: work inside a frame, or go back out to the parent or the top page.
    pub frame: Option<Box<FrameStep>>,
    /// Browser: accept, dismiss or answer an alert, confirm or prompt.
    pub dialog: Option<DialogStep>,
    /// Browser: keep a picture of the page with the run's evidence.
    pub screenshot: Option<ScreenshotStep>,
    /// Browser: run JavaScript in the page; its result can be kept in a variable.
    pub script: Option<ScriptStep>,
    /// Call an HTTP endpoint.
    pub http: Option<HttpStep>,
    /// Set variables from expressions.
    pub set: Option<BTreeMap<String, Template>>,
    /// Run some steps when an expression is true and others when it is not.
    #[serde(rename = "if")]
    pub if_then: Option<IfStep>,
    /// Run some steps once for each item of a list.
    pub for_each: Option<ForEachStep>,
    /// Run steps as one unit: with `submits`, the unit is never repeated once it has completed.
    pub block: Option<Vec<Located<RawStep>>>,
    /// Run another workflow and keep its outputs.
    pub call: Option<CallStep>,
    /// Pause for a length of time.
    pub wait: Option<DurationText>,
    /// Ask a member of staff to approve, or to enter values, within a time limit.
    pub human_task: Option<HumanTaskStep>,
    /// Send a message to the resident in their own channel, or to staff.
    pub notify: Option<NotifyStep>,
    /// End the run successfully, with its outputs.
    pub succeed: Option<SucceedStep>,
    /// End the run as failed, with a message for the resident and a reason for staff.
    pub fail: Option<FailStep>,
    /// Stop the run for a person to deal with, with the reason for staff.
    pub escalate: Option<EscalateStep>,
}

/// How often and how patiently a failed step is tried again.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Retry {
    /// How many attempts in all, counting the first.
    pub attempts: u32,
    /// The pause before the second attempt; each later pause is twice the one before.
    #[serde(default = "default_backoff")]
    pub backoff: DurationText,
    /// The longest pause between attempts.
    pub max_backoff: Option<DurationText>,
}

fn default_backoff() -> DurationText {
    DurationText(std::time::Duration::from_secs(1))
}

/// Steps that find out whether an earlier attempt of a submitting step already took effect.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Idempotency {
    /// Steps that look for the earlier submission, such as a search for the run's reference.
    pub check: Vec<Located<RawStep>>,
    /// An expression, evaluated after `check`, that is true when the submission already exists;
    /// the submitting step is then skipped.
    pub done_when: Template,
}

/// Which of several matches to use, counting from 1: a number, or a template that gives one.
#[derive(Debug, Clone, PartialEq)]
pub enum Nth {
    /// A number written in the file.
    Number(u64),
    /// A template whose text is the number, such as `{{ loop.index }}`.
    Template(String),
}

impl<'de> Deserialize<'de> for Nth {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Nth, D::Error> {
        struct NthVisitor;
        impl serde::de::Visitor<'_> for NthVisitor {
            type Value = Nth;
            fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                formatter.write_str("a number from 1, or a template that gives one")
            }
            fn visit_u64<E: serde::de::Error>(self, number: u64) -> Result<Nth, E> {
                Ok(Nth::Number(number))
            }
            fn visit_i64<E: serde::de::Error>(self, number: i64) -> Result<Nth, E> {
                u64::try_from(number).map(Nth::Number).map_err(|_| E::custom("`nth` counts from 1"))
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Nth, E> {
                match text.trim().parse::<u64>() {
                    Ok(number) => Ok(Nth::Number(number)),
                    Err(_) => Ok(Nth::Template(text.to_string())),
                }
            }
        }
        deserializer.deserialize_any(NthVisitor)
    }
}

impl JsonSchema for Nth {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Nth".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "Which match to use, from 1: a number, or a template that gives one.",
            "anyOf": [{ "type": "integer", "minimum": 1 }, { "type": "string" }]
        })
    }
}

/// Defines a step's struct with the shared locator keys plus its own.
macro_rules! with_locator {
    ($(#[$meta:meta])* $name:ident { $($(#[$field_meta:meta])* $field:ident : $ty:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            /// The element matched by a CSS selector.
            pub css: Option<Template>,
            /// The element matched by an XPath expression.
            pub xpath: Option<Template>,
            /// The link with exactly this text.
            pub link: Option<Template>,
            /// The form field whose label has this text.
            pub label: Option<Template>,
            /// The element whose visible text is exactly this (or, failing that, contains it).
            pub text: Option<Template>,
            /// The element inside open shadow roots: CSS selectors separated by `>>>`, each
            /// looked for inside the shadow root of what the one before found, such as
            /// `postcode-lookup >>> input[name=postcode]`.
            pub shadow: Option<Template>,
            /// The element held in this variable, as a `script` step returned it (such as
            /// `return document.querySelector('#results tr:last-child')`).
            pub element: Option<Located<String>>,
            /// Which match to use when several match, from 1: a number, or a template giving
            /// one such as `"{{ loop.index }}"`. Without it (or `first`), a `text`, `label` or
            /// `link` that matches more than one element is an error naming them.
            pub nth: Option<Nth>,
            /// Use the first match when several match.
            #[serde(default)]
            pub first: bool,
            $($(#[$field_meta])* pub $field: $ty,)*
        }

        impl $name {
            /// The element this step acts on, if the step names one.
            pub fn locator(&self) -> Locator {
                Locator {
                    css: self.css.clone(),
                    xpath: self.xpath.clone(),
                    link: self.link.clone(),
                    label: self.label.clone(),
                    text: self.text.clone(),
                    shadow: self.shadow.clone(),
                    element: self.element.clone(),
                    nth: self.nth.clone(),
                    first: self.first,
                }
            }
        }
    };
}

with_locator! {
    /// An element on the page, found by exactly one of `css`, `xpath`, `link`, `label` and `text`.
    Locator {}
}

with_locator! {
    /// Type a value into a field.
    FillStep {
        /// The value to type.
        value: Template,
        /// Whether to clear the field first.
        #[serde(default = "yes")]
        clear: bool,
    }
}

with_locator! {
    /// Choose an option of a dropdown; the options may load after a delay.
    SelectStep {
        /// The visible text of the option.
        option: Option<Template>,
        /// The `value` attribute of the option.
        value: Option<Template>,
        /// A regular expression that the visible text of exactly one option matches.
        option_matches: Option<Template>,
    }
}

with_locator! {
    /// Tick or untick a checkbox or radio button.
    CheckStep {
        /// Whether it should end up ticked.
        #[serde(default = "yes")]
        checked: bool,
    }
}

with_locator! {
    /// Attach a file to a file field.
    UploadStep {
        /// Path of the file to attach.
        file: Template,
    }
}

with_locator! {
    /// Press a key in an element, or in the page when no element is named.
    PressStep {
        /// The key: a character, or `Enter`, `Tab`, `Escape`, `Backspace`, `ArrowUp`, `ArrowDown`, ...
        key: String,
    }
}

with_locator! {
    /// Read from the page into a variable.
    ExtractStep {
        /// The variable to keep the value in.
        #[serde(rename = "as")]
        into: Located<String>,
        /// Read this attribute instead of the element's text.
        attribute: Option<String>,
        /// Read a whole HTML table into a list of rows, each a map from column heading to cell text.
        #[serde(default)]
        table: bool,
        /// Read every matching element into a list instead of the first.
        #[serde(default)]
        all: bool,
        /// A regular expression; the value becomes its first capture group (or whole match).
        pattern: Option<String>,
    }
}

fn yes() -> bool {
    true
}

/// Drag an element onto another.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DragStep {
    /// The element to drag.
    pub from: Locator,
    /// The element to drop it on.
    pub to: Locator,
}

/// Scroll: exactly one of `to` (an element brought into view) and `by` (pixels down, or up when
/// negative), the latter in the page or `in` a box that scrolls.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScrollStep {
    /// The element to bring into view.
    pub to: Option<Locator>,
    /// How many pixels to scroll down (up when negative).
    pub by: Option<i64>,
    /// The box to scroll by `by`, instead of the page.
    #[serde(rename = "in")]
    pub within: Option<Locator>,
}

/// Wait until something is true of the page: exactly one of `visible`, `text`, `url`, `gone`
/// and `enabled`, or an `element` with exactly one of `attribute` and `count`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WaitForStep {
    /// An element that must be visible.
    pub visible: Option<Locator>,
    /// An element that must be there and enabled (not `disabled`, not `aria-disabled="true"`).
    pub enabled: Option<Locator>,
    /// The element the waits `attribute` and `count` are about.
    pub element: Option<Locator>,
    /// An attribute the element must come to have, and what it must be.
    pub attribute: Option<AttributeCheck>,
    /// How many elements the `element` locator must come to match.
    pub count: Option<u32>,
    /// Text that must be on the page.
    pub text: Option<Template>,
    /// A regular expression the page address must match.
    pub url: Option<Template>,
    /// An element that must no longer be on the page.
    pub gone: Option<Locator>,
}

/// Fail unless something holds: exactly one of `visible`, `hidden`, `text`, `url` and `that`,
/// or an `element` with exactly one of `text_is`, `text_contains`, `text_matches`, `attribute`
/// and `count`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssertStep {
    /// An element that must be visible now.
    pub visible: Option<Locator>,
    /// An element that must not be visible now: hidden, or not on the page.
    pub hidden: Option<Locator>,
    /// The element the checks `text_is`, `text_contains`, `text_matches`, `attribute` and
    /// `count` are about.
    pub element: Option<Locator>,
    /// The element's text must be exactly this (spaces at either end aside).
    pub text_is: Option<Template>,
    /// The element's text must contain this.
    pub text_contains: Option<Template>,
    /// The element's text must match this regular expression.
    pub text_matches: Option<Template>,
    /// An attribute of the element, and what it must be.
    pub attribute: Option<AttributeCheck>,
    /// How many elements the `element` locator must match.
    pub count: Option<u32>,
    /// Text that must be on the page now.
    pub text: Option<Template>,
    /// A regular expression the page address must match now.
    pub url: Option<Template>,
    /// An expression that must be true, such as `rows | length > 0`.
    pub that: Option<Template>,
    /// What went wrong, for staff, when it does not hold.
    pub message: Option<Template>,
}

/// An attribute an element must have: exactly one of `is` and `matches`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AttributeCheck {
    /// The attribute's name, such as `aria-disabled` or `href`.
    pub name: String,
    /// Its value must be exactly this.
    pub is: Option<Template>,
    /// Its value must match this regular expression.
    pub matches: Option<Template>,
}

/// Enter a frame, or leave it; exactly one of the locator keys, `parent` or `top`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FrameStep {
    /// The frame element matched by a CSS selector.
    pub css: Option<Template>,
    /// The frame element matched by an XPath expression.
    pub xpath: Option<Template>,
    /// Which match to use when several match, from 1: a number, or a template giving one.
    pub nth: Option<Nth>,
    /// Go back out to the frame that holds this one.
    #[serde(default)]
    pub parent: bool,
    /// Go back out to the top page.
    #[serde(default)]
    pub top: bool,
}

/// Deal with an alert, confirm or prompt that is open.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DialogStep {
    /// What to do with it.
    pub action: DialogAction,
    /// Text to type into a prompt before accepting it.
    pub answer: Option<Template>,
    /// Text the dialog must contain; the step fails if it does not.
    pub expect: Option<Template>,
}

/// What to do with a dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DialogAction {
    /// Press OK.
    Accept,
    /// Press Cancel.
    Dismiss,
}

/// Keep a picture of the page.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScreenshotStep {
    /// A name for the picture in the run's evidence.
    pub name: Template,
}

/// Run JavaScript in the page.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScriptStep {
    /// The script's body; `return` a value to keep it.
    pub code: Template,
    /// The variable to keep the returned value in.
    #[serde(rename = "as")]
    pub into: Option<Located<String>>,
}

/// Call an HTTP endpoint.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HttpStep {
    /// The method.
    #[serde(default)]
    pub method: HttpMethod,
    /// The address (relative addresses are joined to the system's `base_url`).
    pub url: Template,
    /// Request headers.
    #[serde(default)]
    pub headers: BTreeMap<String, Template>,
    /// A JSON body; strings in it may be templates.
    pub json: Option<serde_json::Value>,
    /// A form body (`application/x-www-form-urlencoded`).
    pub form: Option<BTreeMap<String, Template>>,
    /// The statuses that count as success (default: any 2xx).
    #[serde(default)]
    pub expect_status: Vec<u16>,
    /// Values to keep from a JSON response: variable name to JSON pointer, such as `/case/reference`.
    #[serde(default)]
    pub extract: BTreeMap<String, String>,
    /// The variable to keep the whole response in, as `status`, `headers` and `body`.
    #[serde(rename = "as")]
    pub into: Option<Located<String>>,
}

/// An HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    /// Read.
    #[default]
    Get,
    /// Create or act.
    Post,
    /// Replace.
    Put,
    /// Change part.
    Patch,
    /// Remove.
    Delete,
}

impl HttpMethod {
    /// Whether repeating the request has no further effect on the system.
    pub fn is_safe(self) -> bool {
        matches!(self, HttpMethod::Get)
    }
}

/// Run steps depending on a condition.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IfStep {
    /// The expression, such as `rows | length == 0` or `inputs.urgent`.
    pub condition: Template,
    /// Steps to run when it is true.
    pub then: Vec<Located<RawStep>>,
    /// Steps to run when it is false.
    #[serde(rename = "else", default)]
    pub otherwise: Vec<Located<RawStep>>,
}

/// Run steps once for each item of a list.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ForEachStep {
    /// An expression giving the list, such as `rows` or `inputs.items`.
    pub items: Template,
    /// The variable that holds the current item (default: `item`); `loop.index` counts from 1.
    #[serde(rename = "as", default)]
    pub item: Option<Located<String>>,
    /// The steps to run for each item.
    pub steps: Vec<Located<RawStep>>,
}

/// Run another workflow.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CallStep {
    /// The other workflow's `name`.
    pub workflow: Located<String>,
    /// Its inputs, by name.
    #[serde(default)]
    pub inputs: BTreeMap<String, Template>,
    /// The variable to keep its outputs in.
    #[serde(rename = "as")]
    pub into: Option<Located<String>>,
}

/// Ask a member of staff.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HumanTaskStep {
    /// What staff are asked to do, in a line.
    pub title: Template,
    /// What they need to know to do it.
    pub details: Option<Template>,
    /// Values staff must enter (none: the task is to approve or reject).
    #[serde(default)]
    pub fields: Vec<TaskField>,
    /// How long staff have; after it the step fails (and its `on_error` steps run).
    pub time_limit: DurationText,
    /// The variable to keep the decision in: `approved` (true or false), `comment` and the fields.
    #[serde(rename = "as")]
    pub into: Option<Located<String>>,
}

/// A value staff enter to complete a human task.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskField {
    /// The field's name.
    pub name: String,
    /// What to ask for.
    pub prompt: String,
}

/// Send a message.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NotifyStep {
    /// Who gets it.
    pub to: Recipient,
    /// The message; for a resident, in English or `{en: …, cy: …}`.
    pub message: WordingTemplate,
}

/// Who a message goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Recipient {
    /// The person who started the run, in the channel they used.
    Resident,
    /// The staff who look after escalations.
    Staff,
}

/// End the run successfully.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SucceedStep {
    /// The workflow's outputs, by name.
    #[serde(default)]
    pub outputs: BTreeMap<String, Template>,
    /// What to tell the person who started the run, in English or `{en: …, cy: …}`.
    pub message: Option<WordingTemplate>,
}

/// End the run as failed.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FailStep {
    /// What to tell the resident, in plain words: in English or `{en: …, cy: …}`.
    pub message: WordingTemplate,
    /// What went wrong, for staff.
    pub reason: Option<Template>,
}

/// Stop the run for a person to deal with: the run waits, and a person can retry it, complete
/// it by hand or cancel it.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalateStep {
    /// Why the run needs a person, for staff.
    pub reason: Template,
}
