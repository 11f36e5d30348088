//! Steps and evidence: each attempt of each step of a run, and the screenshots and pages kept
//! with it.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use storage::{StorageError, sqlx};

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
    /// Records the start of a step attempt; returns its sequence number.
    pub async fn step_started(&self, run_id: &str, step: NewStep<'_>) -> Result<i64, StorageError> {
        // One statement, so that SQLite takes its write lock at once rather than upgrading a read.
        let seq = sqlx::query_scalar::<_, i64>(
            "INSERT INTO workflow_steps (run_id, seq, step_key, step_id, kind, name, status, attempt, effects, started_at) \
             SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5, 'started', $6, '{}', $7 FROM workflow_steps WHERE run_id = $1 \
             RETURNING seq",
        )
        .bind(run_id)
        .bind(step.key)
        .bind(step.id)
        .bind(step.kind)
        .bind(step.name)
        .bind(step.attempt)
        .bind(self.now())
        .fetch_one(self.database.pool())
        .await?;
        Ok(seq)
    }

    /// Records a whole step attempt, begun at `started_at` and ended now, in one statement: for
    /// steps whose start need not be kept on its own (they have no lasting effect, so an
    /// attempt cut off is simply made again).
    #[allow(clippy::too_many_arguments)]
    pub async fn step_recorded(
        &self,
        run_id: &str,
        step: NewStep<'_>,
        started_at: i64,
        status: StepStatus,
        effects: &Map<String, Value>,
        error: Option<&str>,
    ) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO workflow_steps (run_id, seq, step_key, step_id, kind, name, status, attempt, effects, error, started_at, finished_at) \
             SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 FROM workflow_steps WHERE run_id = $1",
        )
        .bind(run_id)
        .bind(step.key)
        .bind(step.id)
        .bind(step.kind)
        .bind(step.name)
        .bind(status.as_str())
        .bind(step.attempt)
        .bind(to_json(effects))
        .bind(error)
        .bind(started_at)
        .bind(self.now())
        .execute(self.database.pool())
        .await?;
        Ok(())
    }

    /// Records how a step attempt ended.
    pub async fn step_finished(
        &self,
        run_id: &str,
        seq: i64,
        status: StepStatus,
        effects: &Map<String, Value>,
        error: Option<&str>,
    ) -> Result<(), StorageError> {
        sqlx::query(
            "UPDATE workflow_steps SET status = $1, effects = $2, error = $3, finished_at = $4 WHERE run_id = $5 AND seq = $6",
        )
        .bind(status.as_str())
        .bind(to_json(effects))
        .bind(error)
        .bind(self.now())
        .bind(run_id)
        .bind(seq)
        .execute(self.database.pool())
        .await?;
        Ok(())
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
        .execute(self.database.pool())
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
