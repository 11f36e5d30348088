//! Steps and evidence: each attempt of each step of a run, and the screenshots and pages kept
//! with it.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use storage::sqlx::Row;
use storage::{Statement, StorageError, sqlx};

use super::{Journal, json_map, to_json};
use storage::names;

/// How a step ended, as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// Begun and not yet ended (if the run is not running, the process died during it).
    Started,
    /// Done.
    Completed,
    /// Failed this attempt.
    Failed,
    /// Not run: its `when` was false, or an earlier submission was found.
    Skipped,
    /// Waiting for a person to act on its human task.
    Waiting,
}

impl StepStatus {
    fn as_str(self) -> &'static str {
        names::name_of(&self)
    }
}

/// One attempt of one step, as recorded.
#[derive(Debug, Clone, Serialize)]
pub struct StepRecord {
    /// Its order in the run.
    pub seq: i64,
    /// Where the step is in the workflow, such as `4` or `6.then.2` or `7.item3.1`.
    pub step_key: String,
    /// The step's `id`, if it has one.
    pub step_id: Option<String>,
    /// Its kind.
    pub kind: String,
    /// Its description.
    pub name: String,
    /// How it ended.
    pub status: StepStatus,
    /// Which attempt, from 1.
    pub attempt: i64,
    /// The variables it set.
    pub effects: Map<String, Value>,
    /// Why it failed.
    pub error: Option<String>,
    /// When it began, in milliseconds since 1970.
    pub started_at: i64,
    /// When it ended.
    pub finished_at: Option<i64>,
}

/// What is recorded of a step attempt when it begins.
#[derive(Debug, Clone, Copy)]
pub struct NewStep<'a> {
    /// Where the step is in the workflow, such as `3.2`.
    pub key: &'a str,
    /// The step's `id`, if it has one.
    pub id: Option<&'a str>,
    /// Its kind, such as `click`.
    pub kind: &'a str,
    /// What it does, in words.
    pub name: &'a str,
    /// Which attempt this is, from 1.
    pub attempt: i64,
}

/// How a step attempt ended, to be written with the run's next write: into the row recorded
/// as it began, or, for a step whose start need not be kept on its own (it has no lasting
/// effect, so an attempt cut off is simply made again), as a whole new row.
#[derive(Debug, Clone)]
pub struct EndedStep {
    /// The attempt's row, when it was recorded as it began; otherwise it is added.
    pub seq: Option<i64>,
    /// Where the step is in the workflow.
    pub key: String,
    /// The step's `id`, if it has one.
    pub id: Option<String>,
    /// Its kind.
    pub kind: String,
    /// What it does, in words.
    pub name: String,
    /// Which attempt it was, from 1.
    pub attempt: i64,
    /// How it ended.
    pub status: StepStatus,
    /// The variables it set, as JSON, already masked.
    pub effects: String,
    /// Why it failed.
    pub error: Option<String>,
    /// When it began, in milliseconds since 1970.
    pub started_at: i64,
    /// When it ended (`None` for an attempt only begun).
    pub finished_at: Option<i64>,
}

impl EndedStep {
    /// An attempt of `step` begun at `started_at` and ended at `finished_at`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        seq: Option<i64>,
        step: NewStep<'_>,
        started_at: i64,
        finished_at: i64,
        status: StepStatus,
        effects: &Map<String, Value>,
        error: Option<&str>,
    ) -> EndedStep {
        EndedStep {
            seq,
            status,
            effects: to_json(effects),
            error: error.map(str::to_string),
            finished_at: Some(finished_at),
            ..EndedStep::begun(step, started_at)
        }
    }

    /// An attempt of `step` begun at `started_at` and not yet ended.
    fn begun(step: NewStep<'_>, started_at: i64) -> EndedStep {
        EndedStep {
            seq: None,
            key: step.key.to_string(),
            id: step.id.map(str::to_string),
            kind: step.kind.to_string(),
            name: step.name.to_string(),
            attempt: step.attempt,
            status: StepStatus::Started,
            effects: "{}".to_string(),
            error: None,
            started_at,
            finished_at: None,
        }
    }
}

/// The statement that records how an attempt ended: in its own row when it has one, else in a
/// row added after the run's last one, followed by `returning`; with `held_by`, only while that
/// instance holds the run.
fn step_row(run_id: &str, held_by: Option<&str>, now: i64, step: &EndedStep, returning: &str) -> Statement {
    if let Some(seq) = step.seq {
        return Statement::new(
            "UPDATE workflow_steps SET status = $1, effects = $2, error = $3, finished_at = $4 WHERE run_id = $5 AND seq = $6",
        )
        .bind(step.status.as_str())
        .bind(step.effects.as_str())
        .bind(step.error.as_deref())
        .bind(step.finished_at)
        .bind(run_id)
        .bind(seq);
    }
    let hold = if held_by.is_some() {
        " WHERE EXISTS (SELECT 1 FROM workflow_runs WHERE id = $1 AND claimed_by = $12 AND status = 'running' \
         AND lease_until >= $13)"
    } else {
        ""
    };
    let statement = Statement::new(format!(
        "INSERT INTO workflow_steps (run_id, seq, step_key, step_id, kind, name, status, attempt, effects, error, started_at, finished_at) \
         SELECT $1, next.seq, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 \
         FROM (SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM workflow_steps WHERE run_id = $1) AS next{hold}{returning}"
    ))
    .bind(run_id)
    .bind(step.key.as_str())
    .bind(step.id.as_deref())
    .bind(step.kind.as_str())
    .bind(step.name.as_str())
    .bind(step.status.as_str())
    .bind(step.attempt)
    .bind(step.effects.as_str())
    .bind(step.error.as_deref())
    .bind(step.started_at)
    .bind(step.finished_at);
    match held_by {
        Some(instance) => statement.bind(instance).bind(now),
        None => statement,
    }
}

/// A step row as stored, before its name and JSON are read.
#[derive(Debug, sqlx::FromRow)]
struct StepRow {
    seq: i64,
    step_key: String,
    step_id: Option<String>,
    kind: String,
    name: String,
    status: String,
    attempt: i64,
    effects: Option<String>,
    error: Option<String>,
    started_at: i64,
    finished_at: Option<i64>,
}

impl TryFrom<StepRow> for StepRecord {
    type Error = sqlx::Error;

    fn try_from(row: StepRow) -> Result<StepRecord, sqlx::Error> {
        Ok(StepRecord {
            seq: row.seq,
            step_key: row.step_key,
            step_id: row.step_id,
            kind: row.kind,
            name: row.name,
            status: names::decode("status", row.status)?,
            attempt: row.attempt,
            effects: json_map(row.effects),
            error: row.error,
            started_at: row.started_at,
            finished_at: row.finished_at,
        })
    }
}

/// A piece of evidence kept with a run.
#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    /// The step it was taken at.
    pub step_key: String,
    /// Its name, such as `failure.png`.
    pub name: String,
    /// Its media type.
    pub media_type: String,
    /// Its content (PNG bytes or HTML text), with secrets and personal data masked.
    #[serde(skip)]
    pub content: Vec<u8>,
    /// When it was taken.
    pub created_at: i64,
}

/// An evidence row as stored, its content in base64.
#[derive(Debug, sqlx::FromRow)]
struct EvidenceRow {
    step_key: String,
    name: String,
    media_type: String,
    content: String,
    created_at: i64,
}

impl From<EvidenceRow> for Evidence {
    fn from(row: EvidenceRow) -> Evidence {
        Evidence {
            step_key: row.step_key,
            name: row.name,
            media_type: row.media_type,
            content: BASE64.decode(row.content).unwrap_or_default(),
            created_at: row.created_at,
        }
    }
}

impl Journal {
    /// Records the start of a step attempt, after the attempts that `ended` before it; returns
    /// its sequence number. With `holder` (this instance and its lease), its hold on the run is
    /// renewed first and nothing is recorded when another instance has taken the run over:
    /// then `None`.
    pub async fn step_started(
        &self,
        run_id: &str,
        ended: &[EndedStep],
        step: NewStep<'_>,
        holder: Option<(&str, i64)>,
    ) -> Result<Option<i64>, StorageError> {
        let now = self.now();
        let held_by = holder.map(|(instance, _)| instance);
        let mut statements = Vec::with_capacity(ended.len() + 2);
        if let Some((instance, lease_millis)) = holder {
            statements.push(self.renewal(run_id, instance, lease_millis, ""));
        }
        statements.extend(ended.iter().map(|step| step_row(run_id, held_by, now, step, "")));
        statements.push(step_row(run_id, held_by, now, &EndedStep::begun(step, now), " RETURNING seq"));
        let rows = self.database.write_together(&statements).await?;
        Ok(rows.last().map(|row| row.try_get::<i64, _>(0)).transpose()?)
    }

    /// Records step attempts that ended, in order, after those already recorded.
    pub async fn steps_ended(&self, run_id: &str, ended: &[EndedStep]) -> Result<(), StorageError> {
        self.database.write_together(&self.step_rows(run_id, ended)).await?;
        Ok(())
    }

    /// The statements that record step attempts that ended, in order.
    pub(super) fn step_rows(&self, run_id: &str, ended: &[EndedStep]) -> Vec<Statement> {
        let now = self.now();
        ended.iter().map(|step| step_row(run_id, None, now, step, "")).collect()
    }

    /// Every step attempt of a run, in order.
    pub async fn steps(&self, run_id: &str) -> Result<Vec<StepRecord>, StorageError> {
        let rows = sqlx::query_as::<_, StepRow>(
            "SELECT seq, step_key, step_id, kind, name, status, attempt, effects, error, started_at, finished_at \
             FROM workflow_steps WHERE run_id = $1 ORDER BY seq",
        )
        .bind(run_id)
        .fetch_all(self.database.pool())
        .await?;
        Ok(rows.into_iter().map(StepRecord::try_from).collect::<Result<_, _>>()?)
    }

    /// Keeps a piece of evidence with a run; its content must already be masked.
    pub async fn add_evidence(
        &self,
        run_id: &str,
        step_key: &str,
        name: &str,
        media_type: &str,
        content: &[u8],
    ) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO workflow_evidence (run_id, step_key, name, media_type, content, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(run_id)
        .bind(step_key)
        .bind(name)
        .bind(media_type)
        .bind(BASE64.encode(content))
        .bind(self.now())
        .execute(self.database.writer())
        .await?;
        Ok(())
    }

    /// The evidence kept with a run, oldest first.
    pub async fn evidence(&self, run_id: &str) -> Result<Vec<Evidence>, StorageError> {
        let rows = sqlx::query_as::<_, EvidenceRow>(
            "SELECT step_key, name, media_type, content, created_at FROM workflow_evidence WHERE run_id = $1 ORDER BY id",
        )
        .bind(run_id)
        .fetch_all(self.database.pool())
        .await?;
        Ok(rows.into_iter().map(Evidence::from).collect())
    }
}
