//! A workflow file: what it is, when it runs, what it needs, and its steps.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use super::duration::DurationText;
use super::located::{Located, Template};
use super::step::RawStep;
use super::wording::Wording;

/// A workflow: a service request carried out on a council system, step by step.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Workflow {
    /// The workflow's name, unique among the council's workflows, in `snake_case`; other
    /// workflows call it by this name.
    pub name: Located<String>,
    /// Version of the workflow, raised when its steps change.
    pub version: u32,
    /// What the workflow does, in a sentence that starts with a verb ("Report a missed bin
    /// collection"); in English, or `{en: …, cy: …}`.
    pub description: Wording,
    /// Who may start it: `resident` (the default) or `staff`.
    #[serde(default)]
    pub audience: WorkflowAudience,
    /// What starts the workflow: a request in conversation, a schedule or a webhook. A workflow
    /// without one is only run by other workflows (with `call`) or from the command line.
    pub trigger: Option<Trigger>,
    /// The details the workflow needs, gathered in conversation or passed with `--input`.
    #[serde(default)]
    pub inputs: Vec<Input>,
    /// Names of the secrets the workflow uses, as `{{ secrets.NAME }}`; resolved from the
    /// environment or the secrets file, and never written to logs, the journal or evidence.
    #[serde(default)]
    pub secrets: Vec<Located<String>>,
    /// The system the workflow works on.
    pub system: Option<TargetSystem>,
    /// The results the workflow gives when it succeeds, by name, with what each means.
    #[serde(default)]
    pub outputs: BTreeMap<String, String>,
    /// When a request may be an emergency: how to tell, what to say first and who to contact.
    pub urgent: Option<Urgent>,
    /// Minutes a member of staff would spend doing this by hand, for the figures of time saved.
    #[serde(default)]
    pub manual_minutes: Option<u32>,
    /// What the resident is shown while this workflow's steps run, in plain words, unless a step
    /// says otherwise; also while another workflow calls it. Plain text: no templates, at most 80
    /// characters; in English, or `{en: …, cy: …}`.
    pub progress: Option<Located<Wording>>,
    /// Settings of the browser the workflow's run uses: permissions granted to pages, and a
    /// position to report. They need Chromium.
    pub browser: Option<BrowserSettings>,
    /// The steps, run in order.
    pub steps: Vec<Located<RawStep>>,
}

/// Settings of a run's browser.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BrowserSettings {
    /// What pages may use without asking: `geolocation`, `clipboard` (reading and writing).
    #[serde(default)]
    pub permissions: Vec<BrowserPermission>,
    /// Where the browser says it is, for pages that ask for the position (granting
    /// `geolocation` too).
    pub geolocation: Option<Located<Position>>,
}

/// Something a page may use without asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BrowserPermission {
    /// The device's position.
    Geolocation,
    /// Reading from and writing to the clipboard.
    Clipboard,
}

/// A position on the Earth.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Position {
    /// Degrees north of the equator (negative for south), from -90 to 90.
    pub latitude: f64,
    /// Degrees east of Greenwich (negative for west), from -180 to 180.
    pub longitude: f64,
    /// How sure the position is, in metres (default 50).
    #[serde(default = "default_accuracy")]
    pub accuracy: f64,
}

fn default_accuracy() -> f64 {
    50.0
}

/// Who may start a workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WorkflowAudience {
    /// Residents (and staff on their behalf).
    #[default]
    Resident,
    /// Council staff only.
    Staff,
}

/// What starts a workflow; at least one of `intent`, `schedule` and `webhook`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    /// A request made in conversation.
    pub intent: Option<Intent>,
    /// A schedule in cron syntax (minute hour day-of-month month day-of-week), such as `0 7 * * 1-5`.
    pub schedule: Option<Located<String>>,
    /// An HTTP webhook, authenticated with a bearer token held as a secret.
    pub webhook: Option<Webhook>,
}

/// When a request may be an emergency, which the person should phone about rather than report
/// online: it is told to them first, with the contacts, before they choose to go on or talk to a
/// person.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Urgent {
    /// Messages that describe an emergency, as people type them. A message more like one of
    /// these than like the intent's own examples is urgent.
    #[serde(default)]
    pub examples: Vec<String>,
    /// Words or phrases that make a message urgent wherever they appear, such as `sewage` or
    /// `water through the ceiling`.
    #[serde(default)]
    pub phrases: Vec<String>,
    /// What to tell the person first, in plain words; in English, or `{en: …, cy: …}`.
    pub message: Located<Wording>,
    /// Who to contact, with their number and when.
    #[serde(default)]
    pub contacts: Vec<UrgentContact>,
}

/// Someone to phone about an emergency.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UrgentContact {
    /// Who they are, such as `Emergency repairs (24 hours)`; in English, or `{en: …, cy: …}`.
    pub name: Wording,
    /// Their number.
    pub phone: String,
    /// When to call them; in English, or `{en: …, cy: …}`.
    #[serde(default)]
    pub when: Wording,
}

/// A request people make in conversation, recognised from examples.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Intent {
    /// The intent's name, in `snake_case`.
    pub name: String,
    /// What people want when they ask for this.
    pub description: String,
    /// Ways people ask for it, as they would type them.
    pub examples: Vec<String>,
}

/// A webhook that starts the workflow.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    /// The secret holding the bearer token callers must send.
    pub token_secret: Located<String>,
}

/// A detail the workflow needs.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The input's name, used as `{{ inputs.NAME }}`.
    pub name: Located<String>,
    /// The kind of value, which decides how it is checked.
    #[serde(rename = "type")]
    pub kind: InputType,
    /// The question the bot asks to get it; in English, or `{en: …, cy: …}`.
    pub prompt: Wording,
    /// What the input is called in the summary checked before sending, such as `Collection
    /// date`; by default its name in words.
    pub label: Option<Wording>,
    /// Whether the workflow cannot run without it.
    #[serde(default = "yes")]
    pub required: bool,
    /// The allowed values of a `choice` input. A choice written `{en: …, cy: …}` is shown in
    /// the person's language; the workflow always receives its English words.
    #[serde(default)]
    pub choices: Vec<Wording>,
    /// The fewest characters of a `text` input.
    pub min_length: Option<usize>,
    /// The most characters of a `text` input.
    pub max_length: Option<usize>,
    /// A regular expression a `text` input must match, such as `^[0-9]{8}$`.
    pub pattern: Option<String>,
    /// What to tell someone whose answer does not match `pattern`; in English, or `{en: …, cy: …}`.
    pub pattern_hint: Option<Wording>,
    /// For a `date` input: whether the date has passed (`past`, such as a missed collection) or
    /// is to come (`future`, such as a booking). It decides what "Tuesday" means in conversation,
    /// and dates on the wrong side of today are refused.
    pub when: Option<DateWhen>,
    /// Whether the value is personal data (name, address, contact details), to be redacted in logs.
    #[serde(default)]
    pub personal: bool,
}

/// Which side of today a date input falls on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DateWhen {
    /// Today or earlier.
    Past,
    /// Today or later.
    Future,
}

fn yes() -> bool {
    true
}

/// The kinds of input value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum InputType {
    /// Free text, within `min_length` and `max_length`.
    Text,
    /// A whole number.
    Number,
    /// A UK postcode, such as `EB4 2QX`.
    Postcode,
    /// An email address.
    Email,
    /// A UK phone number.
    Phone,
    /// A date; in conversation also "tomorrow" or "next Tuesday".
    Date,
    /// One of `choices`.
    Choice,
    /// Yes or no.
    YesNo,
}

/// The system a workflow works on.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetSystem {
    /// The system's name, shared by workflows that use it (their runs share its concurrency limit).
    pub name: String,
    /// Its base URL; relative addresses in `open` and `http` steps are joined to it. A deployment
    /// can point the system elsewhere with `COUNCILBOT_SYSTEM_<NAME>_URL`.
    pub base_url: Template,
    /// How many runs may use it at once.
    #[serde(default = "one")]
    pub concurrency: u32,
    /// The default time limit of each step on this system.
    pub step_timeout: Option<DurationText>,
}

fn one() -> u32 {
    1
}
