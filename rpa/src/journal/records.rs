//! What the journal records of a run: its status, who started it, its human task, and the run
//! row itself.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use storage::sqlx;

use super::json_map;
use storage::names;

/// Where a run is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Waiting to be picked up.
    Queued,
    /// Being worked by an instance.
    Running,
    /// Waiting for a person: after an error that retries did not fix, or at a human task.
    Waiting,
    /// Finished with its outputs.
    Succeeded,
    /// Ended by a `fail` step.
    Failed,
    /// Stopped by a person.
    Cancelled,
}

impl RunStatus {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        names::name_of(&self)
    }

    /// Whether the run has ended for good.
    pub fn is_final(self) -> bool {
        matches!(self, RunStatus::Succeeded | RunStatus::Failed | RunStatus::Cancelled)
    }
}

/// What a waiting run waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitingFor {
    /// A person to retry it, complete it by hand or cancel it, after an error.
    Error,
    /// A member of staff to act on a human task.
    Task,
}

/// Who started a run, so they can be told the outcome.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StartedBy {
    /// The channel: `cli`, `web`, `teams`, `sms`, `schedule`, `webhook`.
    pub channel: String,
    /// Their address in that channel (a conversation id, a phone number), if any.
    #[serde(default)]
    pub address: String,
    /// The language the person who asked speaks, for the words the run sends them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<uk::language::Language>,
}

/// A human task a run waits on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HumanTask {
    /// The step that asked.
    pub step_key: String,
    /// What staff are asked to do.
    pub title: String,
    /// What they need to know.
    pub details: String,
    /// Values they must enter, by name, with the question.
    pub fields: Vec<(String, String)>,
    /// When the task lapses, in milliseconds since 1970.
    pub deadline: i64,
    /// What staff decided, once they have.
    pub decision: Option<Decision>,
}

/// What a member of staff decided on a human task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// Whether they approved.
    pub approved: bool,
    /// What they said.
    pub comment: String,
    /// The values they entered, by name.
    pub values: Map<String, Value>,
}

/// A run as recorded.
#[derive(Debug, Clone, Serialize)]
pub struct RunRecord {
    /// Its id.
    pub id: String,
    /// A short reference quoted to the resident and written into the legacy system.
    pub reference: String,
    /// The workflow's name.
    pub workflow: String,
    /// The workflow's version.
    pub version: i64,
    /// The workflow file's text when the run started, so a resumed run follows the same steps.
    #[serde(skip)]
    pub definition: String,
    /// Where the workflow was read from.
    pub source_path: String,
    /// The inputs.
    pub inputs: Map<String, Value>,
    /// Who started it.
    pub started_by: StartedBy,
    /// Where it is.
    pub status: RunStatus,
    /// What it waits for, when waiting.
    pub waiting_for: Option<WaitingFor>,
    /// Its human task, if it reached one.
    pub task: Option<HumanTask>,
    /// Its outputs, once succeeded.
    pub outputs: Map<String, Value>,
    /// What the resident is told.
    pub message: Option<String>,
    /// What went wrong, for staff.
    pub reason: Option<String>,
    /// When it was created, in milliseconds since 1970.
    pub created_at: i64,
    /// When it last changed.
    pub updated_at: i64,
    /// When it ended.
    pub finished_at: Option<i64>,
    /// How many times an instance has taken it to work it.
    pub claims: i64,
}

/// A new run, before it is recorded.
#[derive(Debug, Clone)]
pub struct NewRun<'a> {
    /// The workflow's name.
    pub workflow: &'a str,
    /// Its version.
    pub version: i64,
    /// The workflow file's text.
    pub definition: &'a str,
    /// Where it was read from.
    pub source_path: &'a str,
    /// The checked inputs.
    pub inputs: &'a Map<String, Value>,
    /// Who started it.
    pub started_by: &'a StartedBy,
}

/// The columns of a run row, in the order of [`RunRow`].
pub(super) const RUN_COLUMNS: &str = "id, reference, workflow, version, definition, source_path, inputs, started_by, \
                                      status, waiting_for, task, outputs, message, reason, created_at, updated_at, \
                                      finished_at, claims";

/// A run row as stored, before its names and JSON are read.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct RunRow {
    id: String,
    reference: String,
    workflow: String,
    version: i64,
    definition: String,
    source_path: String,
    inputs: Option<String>,
    started_by: String,
    status: String,
    waiting_for: Option<String>,
    task: Option<String>,
    outputs: Option<String>,
    message: Option<String>,
    reason: Option<String>,
    created_at: i64,
    updated_at: i64,
    finished_at: Option<i64>,
    claims: i64,
}

impl TryFrom<RunRow> for RunRecord {
    type Error = sqlx::Error;

    fn try_from(row: RunRow) -> Result<RunRecord, sqlx::Error> {
        Ok(RunRecord {
            id: row.id,
            reference: row.reference,
            workflow: row.workflow,
            version: row.version,
            definition: row.definition,
            source_path: row.source_path,
            inputs: json_map(row.inputs),
            started_by: serde_json::from_str(&row.started_by).unwrap_or_default(),
            status: names::decode("status", row.status)?,
            waiting_for: row.waiting_for.and_then(|text| names::from_name(&text)),
            task: row.task.and_then(|text| serde_json::from_str(&text).ok()),
            outputs: json_map(row.outputs),
            message: row.message,
            reason: row.reason,
            created_at: row.created_at,
            updated_at: row.updated_at,
            finished_at: row.finished_at,
            claims: row.claims,
        })
    }
}

/// Run rows read as runs; the first unknown name is an error.
pub(super) fn runs_from_rows(rows: Vec<RunRow>) -> Result<Vec<RunRecord>, sqlx::Error> {
    rows.into_iter().map(RunRecord::try_from).collect()
}
