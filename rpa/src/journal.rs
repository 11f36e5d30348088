//! The journal: every run and every step's outcome, kept in the database so runs survive a crash.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use storage::sqlx;
use storage::sqlx::Row;
use storage::sqlx::any::AnyRow;
use storage::{Database, Migration, StorageError, now_millis};

/// The journal's tables, for SQLite and PostgreSQL.
const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    description: "workflow runs, steps, evidence and notifications",
    sqlite: include_str!("../migrations/sqlite/0001_runs.sql"),
    postgres: include_str!("../migrations/postgres/0001_runs.sql"),
}];

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
        crate::names::name_of(&self)
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
}

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
        crate::names::name_of(&self)
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

/// A message for someone, waiting to be delivered by a channel.
#[derive(Debug, Clone, Serialize)]
pub struct Notification {
    /// Its id.
    pub id: i64,
    /// The run it is about.
    pub run_id: String,
    /// `resident` or `staff`.
    pub audience: String,
    /// Who gets it: the channel and address for a resident.
    pub recipient: StartedBy,
    /// The message.
    pub message: String,
    /// When it was written.
    pub created_at: i64,
}

/// The journal of workflow runs.
#[derive(Debug, Clone)]
pub struct Journal {
    database: Database,
}

fn json_map(text: Option<String>) -> Map<String, Value> {
    text.and_then(|text| serde_json::from_str(&text).ok()).unwrap_or_default()
}

fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_string())
}

const RUN_COLUMNS: &str = "id, reference, workflow, version, definition, source_path, inputs, started_by, status, \
                           waiting_for, task, outputs, message, reason, created_at, updated_at, finished_at";

/// The condition of a run ready to work: queued, or running under a lease that lapsed before
/// `now` (a query parameter such as `$3`).
fn ready_to_work(now: &str) -> String {
    format!("(status = 'queued' OR (status = 'running' AND (lease_until IS NULL OR lease_until < {now})))")
}

fn run_from_row(row: &AnyRow) -> Result<RunRecord, sqlx::Error> {
    let waiting_for: Option<String> = row.try_get("waiting_for")?;
    let task: Option<String> = row.try_get("task")?;
    let started_by: String = row.try_get("started_by")?;
    Ok(RunRecord {
        id: row.try_get("id")?,
        reference: row.try_get("reference")?,
        workflow: row.try_get("workflow")?,
        version: row.try_get("version")?,
        definition: row.try_get("definition")?,
        source_path: row.try_get("source_path")?,
        inputs: json_map(row.try_get("inputs")?),
        started_by: serde_json::from_str(&started_by).unwrap_or_default(),
        status: crate::names::column(row, "status")?,
        waiting_for: waiting_for.and_then(|text| serde_json::from_value(Value::String(text)).ok()),
        task: task.and_then(|text| serde_json::from_str(&text).ok()),
        outputs: json_map(row.try_get("outputs")?),
        message: row.try_get("message")?,
        reason: row.try_get("reason")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        finished_at: row.try_get("finished_at")?,
    })
}

/// A text with the characters that `LIKE` treats specially escaped by a backslash.
fn like_escaped(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

fn notification_from_row(row: &AnyRow) -> Result<Notification, sqlx::Error> {
    let recipient: String = row.try_get("recipient")?;
    Ok(Notification {
        id: row.try_get("id")?,
        run_id: row.try_get("run_id")?,
        audience: row.try_get("audience")?,
        recipient: serde_json::from_str(&recipient).unwrap_or_default(),
        message: row.try_get("message")?,
        created_at: row.try_get("created_at")?,
    })
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

impl Journal {
    /// Opens the journal in a database, creating its tables on first use.
    pub async fn open(database: Database) -> Result<Journal, StorageError> {
        database.migrate("rpa", MIGRATIONS).await?;
        Ok(Journal { database })
    }

    /// The database behind the journal.
    pub fn database(&self) -> &Database {
        &self.database
    }

    /// Records a new queued run and returns it.
    pub async fn create_run(&self, run: NewRun<'_>) -> Result<RunRecord, StorageError> {
        let id = format!("run_{}", uuid::Uuid::new_v4().simple());
        let reference = short_reference(&id);
        let now = now_millis();
        sqlx::query(
            "INSERT INTO workflow_runs (id, reference, workflow, version, definition, source_path, inputs, started_by, \
             status, outputs, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued', '{}', $9, $9)",
        )
        .bind(&id)
        .bind(&reference)
        .bind(run.workflow)
        .bind(run.version)
        .bind(run.definition)
        .bind(run.source_path)
        .bind(to_json(run.inputs))
        .bind(to_json(run.started_by))
        .bind(now)
        .execute(self.database.pool())
        .await?;
        self.run(&id).await?.ok_or(StorageError::Query(sqlx::Error::RowNotFound))
    }

    /// The run with this id or reference.
    pub async fn run(&self, id_or_reference: &str) -> Result<Option<RunRecord>, StorageError> {
        let row = sqlx::query(&format!("SELECT {RUN_COLUMNS} FROM workflow_runs WHERE id = $1 OR reference = $1"))
            .bind(id_or_reference)
            .fetch_optional(self.database.pool())
            .await?;
        Ok(row.as_ref().map(run_from_row).transpose()?)
    }

    /// The most recent runs, newest first.
    pub async fn runs(&self, limit: i64) -> Result<Vec<RunRecord>, StorageError> {
        let rows =
            sqlx::query(&format!("SELECT {RUN_COLUMNS} FROM workflow_runs ORDER BY created_at DESC, id LIMIT $1"))
                .bind(limit)
                .fetch_all(self.database.pool())
                .await?;
        Ok(rows.iter().map(run_from_row).collect::<Result<_, _>>()?)
    }

    /// Takes the run for this instance if it is ready to work and nobody else holds it: queued,
    /// or running under a lease that has lapsed (its instance died). Returns whether it was taken.
    pub async fn claim(&self, run_id: &str, instance: &str, lease_millis: i64) -> Result<bool, StorageError> {
        let now = now_millis();
        let taken = sqlx::query(&format!(
            "UPDATE workflow_runs SET status = 'running', claimed_by = $1, lease_until = $2, updated_at = $3 \
             WHERE id = $4 AND {}",
            ready_to_work("$3")
        ))
        .bind(instance)
        .bind(now + lease_millis)
        .bind(now)
        .bind(run_id)
        .execute(self.database.pool())
        .await?
        .rows_affected();
        Ok(taken == 1)
    }

    /// Takes the oldest run ready to work (queued, or running under a lapsed lease) for this
    /// instance, passing over runs another instance is taking at the same moment. Returns its id,
    /// or `None` when nothing is ready.
    pub async fn claim_next(&self, instance: &str, lease_millis: i64) -> Result<Option<String>, StorageError> {
        // PostgreSQL locks the chosen row and skips rows others have locked, so instances never
        // wait on each other; SQLite runs one writing statement at a time, which is as exclusive.
        let locking = match self.database.backend() {
            storage::Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            storage::Backend::Sqlite => "",
        };
        let now = now_millis();
        let row = sqlx::query(&format!(
            "UPDATE workflow_runs SET status = 'running', claimed_by = $1, lease_until = $2, updated_at = $3 \
             WHERE id = (SELECT id FROM workflow_runs WHERE {} ORDER BY created_at, id LIMIT 1{locking}) RETURNING id",
            ready_to_work("$3")
        ))
        .bind(instance)
        .bind(now + lease_millis)
        .bind(now)
        .fetch_optional(self.database.pool())
        .await?;
        Ok(row.map(|row| row.try_get("id")).transpose()?)
    }

    /// Puts back in the queue the runs waiting on a human task whose time limit has passed, so
    /// they go on as their workflow says. Returns how many.
    pub async fn requeue_overdue_tasks(&self) -> Result<u64, StorageError> {
        let now = now_millis();
        let mut requeued = 0;
        for (id, task) in self.waiting_tasks().await? {
            if task.is_some_and(|task| task.decision.is_none() && task.deadline < now) {
                requeued += sqlx::query(
                    "UPDATE workflow_runs SET status = 'queued', updated_at = $1 \
                     WHERE id = $2 AND status = 'waiting' AND waiting_for = 'task'",
                )
                .bind(now)
                .bind(&id)
                .execute(self.database.pool())
                .await?
                .rows_affected();
            }
        }
        Ok(requeued)
    }

    /// Runs waiting on a human task, with the task.
    async fn waiting_tasks(&self) -> Result<Vec<(String, Option<HumanTask>)>, StorageError> {
        let rows = sqlx::query("SELECT id, task FROM workflow_runs WHERE status = 'waiting' AND waiting_for = 'task'")
            .fetch_all(self.database.pool())
            .await?;
        rows.iter()
            .map(|row| {
                let task: Option<HumanTask> =
                    row.try_get::<Option<String>, _>("task")?.and_then(|t| serde_json::from_str(&t).ok());
                Ok((row.try_get("id")?, task))
            })
            .collect()
    }

    /// Extends this instance's hold on a run it is working. Returns whether it still holds it:
    /// false once the hold has lapsed (another instance may take the run, or already has) or
    /// the run was cancelled.
    pub async fn renew(&self, run_id: &str, instance: &str, lease_millis: i64) -> Result<bool, StorageError> {
        let now = now_millis();
        let renewed = sqlx::query(
            "UPDATE workflow_runs SET lease_until = $1 WHERE id = $2 AND claimed_by = $3 AND status = 'running' \
             AND lease_until >= $4",
        )
        .bind(now + lease_millis)
        .bind(run_id)
        .bind(instance)
        .bind(now)
        .execute(self.database.pool())
        .await?
        .rows_affected();
        Ok(renewed == 1)
    }

    /// Runs that should be worked now: queued, or running under a lapsed lease; runs waiting on
    /// a human task whose time limit has passed are queued first.
    pub async fn runnable(&self) -> Result<Vec<String>, StorageError> {
        self.requeue_overdue_tasks().await?;
        let rows =
            sqlx::query(&format!("SELECT id FROM workflow_runs WHERE {} ORDER BY created_at, id", ready_to_work("$1")))
                .bind(now_millis())
                .fetch_all(self.database.pool())
                .await?;
        rows.iter().map(|row| Ok(row.try_get("id")?)).collect()
    }

    /// Sets a run's status, leaving its other fields.
    pub async fn set_status(&self, run_id: &str, status: RunStatus) -> Result<(), StorageError> {
        sqlx::query("UPDATE workflow_runs SET status = $1, updated_at = $2 WHERE id = $3")
            .bind(status.as_str())
            .bind(now_millis())
            .bind(run_id)
            .execute(self.database.pool())
            .await?;
        Ok(())
    }

    /// Puts a run back in the queue after a person asked for it to go on; only from a state a
    /// person can act on. Returns whether it was queued.
    pub async fn requeue(&self, run_id: &str) -> Result<bool, StorageError> {
        let changed = sqlx::query(
            "UPDATE workflow_runs SET status = 'queued', waiting_for = NULL, message = NULL, reason = NULL, \
             finished_at = NULL, claimed_by = NULL, lease_until = NULL, updated_at = $1 \
             WHERE id = $2 AND (status = 'waiting' OR status = 'failed')",
        )
        .bind(now_millis())
        .bind(run_id)
        .execute(self.database.pool())
        .await?
        .rows_affected();
        Ok(changed == 1)
    }

    /// Records that a run waits for a person, with why.
    pub async fn wait(
        &self,
        run_id: &str,
        waiting_for: WaitingFor,
        task: Option<&HumanTask>,
        reason: Option<&str>,
    ) -> Result<(), StorageError> {
        let waiting = match waiting_for {
            WaitingFor::Error => "error",
            WaitingFor::Task => "task",
        };
        sqlx::query(
            "UPDATE workflow_runs SET status = 'waiting', waiting_for = $1, task = COALESCE($2, task), reason = $3, \
             claimed_by = NULL, lease_until = NULL, updated_at = $4 WHERE id = $5 AND status <> 'cancelled'",
        )
        .bind(waiting)
        .bind(task.map(to_json))
        .bind(reason)
        .bind(now_millis())
        .bind(run_id)
        .execute(self.database.pool())
        .await?;
        Ok(())
    }

    /// Records the decision on a run's human task, if it is waiting on one. Returns whether it was.
    pub async fn decide(&self, run_id: &str, decision: Decision) -> Result<bool, StorageError> {
        let Some(run) = self.run(run_id).await? else { return Ok(false) };
        let (RunStatus::Waiting, Some(WaitingFor::Task), Some(mut task)) = (run.status, run.waiting_for, run.task)
        else {
            return Ok(false);
        };
        task.decision = Some(decision);
        let changed = sqlx::query(
            "UPDATE workflow_runs SET task = $1, status = 'queued', waiting_for = NULL, updated_at = $2 \
             WHERE id = $3 AND status = 'waiting'",
        )
        .bind(to_json(&task))
        .bind(now_millis())
        .bind(&run.id)
        .execute(self.database.pool())
        .await?
        .rows_affected();
        Ok(changed == 1)
    }

    /// Ends a run: succeeded, failed or cancelled, with what the resident is told and why.
    pub async fn finish(
        &self,
        run_id: &str,
        status: RunStatus,
        outputs: &Map<String, Value>,
        message: Option<&str>,
        reason: Option<&str>,
    ) -> Result<(), StorageError> {
        let now = now_millis();
        sqlx::query(
            "UPDATE workflow_runs SET status = $1, outputs = $2, message = $3, reason = $4, waiting_for = NULL, \
             claimed_by = NULL, lease_until = NULL, updated_at = $5, finished_at = $5 \
             WHERE id = $6 AND status <> 'cancelled'",
        )
        .bind(status.as_str())
        .bind(to_json(outputs))
        .bind(message)
        .bind(reason)
        .bind(now)
        .bind(run_id)
        .execute(self.database.pool())
        .await?;
        Ok(())
    }

    /// Records the start of a step attempt; returns its sequence number.
    pub async fn step_started(
        &self,
        run_id: &str,
        step_key: &str,
        step_id: Option<&str>,
        kind: &str,
        name: &str,
        attempt: i64,
    ) -> Result<i64, StorageError> {
        // One statement, so that SQLite takes its write lock at once rather than upgrading a read.
        let seq: i64 = sqlx::query(
            "INSERT INTO workflow_steps (run_id, seq, step_key, step_id, kind, name, status, attempt, effects, started_at) \
             SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5, 'started', $6, '{}', $7 FROM workflow_steps WHERE run_id = $1 \
             RETURNING seq",
        )
        .bind(run_id)
        .bind(step_key)
        .bind(step_id)
        .bind(kind)
        .bind(name)
        .bind(attempt)
        .bind(now_millis())
        .fetch_one(self.database.pool())
        .await?
        .try_get("seq")?;
        Ok(seq)
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
        .bind(now_millis())
        .bind(run_id)
        .bind(seq)
        .execute(self.database.pool())
        .await?;
        Ok(())
    }

    /// Every step attempt of a run, in order.
    pub async fn steps(&self, run_id: &str) -> Result<Vec<StepRecord>, StorageError> {
        let rows = sqlx::query(
            "SELECT seq, step_key, step_id, kind, name, status, attempt, effects, error, started_at, finished_at \
             FROM workflow_steps WHERE run_id = $1 ORDER BY seq",
        )
        .bind(run_id)
        .fetch_all(self.database.pool())
        .await?;
        let mut steps = Vec::with_capacity(rows.len());
        for row in rows {
            steps.push(StepRecord {
                seq: row.try_get("seq")?,
                step_key: row.try_get("step_key")?,
                step_id: row.try_get("step_id")?,
                kind: row.try_get("kind")?,
                name: row.try_get("name")?,
                status: crate::names::column(&row, "status")?,
                attempt: row.try_get("attempt")?,
                effects: json_map(row.try_get("effects")?),
                error: row.try_get("error")?,
                started_at: row.try_get("started_at")?,
                finished_at: row.try_get("finished_at")?,
            });
        }
        Ok(steps)
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
        use base64::Engine as _;
        sqlx::query(
            "INSERT INTO workflow_evidence (run_id, step_key, name, media_type, content, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(run_id)
        .bind(step_key)
        .bind(name)
        .bind(media_type)
        .bind(base64::engine::general_purpose::STANDARD.encode(content))
        .bind(now_millis())
        .execute(self.database.pool())
        .await?;
        Ok(())
    }

    /// The evidence kept with a run, oldest first.
    pub async fn evidence(&self, run_id: &str) -> Result<Vec<Evidence>, StorageError> {
        use base64::Engine as _;
        let rows = sqlx::query(
            "SELECT step_key, name, media_type, content, created_at FROM workflow_evidence WHERE run_id = $1 ORDER BY id",
        )
        .bind(run_id)
        .fetch_all(self.database.pool())
        .await?;
        let mut evidence = Vec::with_capacity(rows.len());
        for row in rows {
            let content: String = row.try_get("content")?;
            evidence.push(Evidence {
                step_key: row.try_get("step_key")?,
                name: row.try_get("name")?,
                media_type: row.try_get("media_type")?,
                content: base64::engine::general_purpose::STANDARD.decode(content).unwrap_or_default(),
                created_at: row.try_get("created_at")?,
            });
        }
        Ok(evidence)
    }

    /// Writes a message for a resident or staff, for a channel to deliver.
    pub async fn notify(
        &self,
        run_id: &str,
        audience: &str,
        recipient: &StartedBy,
        message: &str,
    ) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO workflow_notifications (run_id, audience, recipient, message, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(run_id)
        .bind(audience)
        .bind(to_json(recipient))
        .bind(message)
        .bind(now_millis())
        .execute(self.database.pool())
        .await?;
        Ok(())
    }

    /// Messages for an audience not yet delivered, oldest first, at most `limit`.
    pub async fn undelivered(&self, audience: &str, limit: i64) -> Result<Vec<Notification>, StorageError> {
        let rows = sqlx::query(
            "SELECT id, run_id, audience, recipient, message, created_at FROM workflow_notifications \
             WHERE audience = $1 AND delivered_at IS NULL ORDER BY id LIMIT $2",
        )
        .bind(audience)
        .bind(limit)
        .fetch_all(self.database.pool())
        .await?;
        rows.iter().map(notification_from_row).collect::<Result<_, _>>().map_err(StorageError::from)
    }

    /// Marks a message delivered; returns whether it had not been already.
    pub async fn mark_delivered(&self, notification_id: i64) -> Result<bool, StorageError> {
        let changed =
            sqlx::query("UPDATE workflow_notifications SET delivered_at = $1 WHERE id = $2 AND delivered_at IS NULL")
                .bind(now_millis())
                .bind(notification_id)
                .execute(self.database.pool())
                .await?
                .rows_affected();
        Ok(changed == 1)
    }

    /// Runs that wait for a person or have failed, changed since `since` (milliseconds since
    /// 1970), oldest first, at most `limit`.
    pub async fn runs_needing_people(&self, since: i64, limit: i64) -> Result<Vec<RunRecord>, StorageError> {
        let rows = sqlx::query(&format!(
            "SELECT {RUN_COLUMNS} FROM workflow_runs WHERE status IN ('waiting', 'failed') AND updated_at >= $1 \
             ORDER BY created_at LIMIT $2"
        ))
        .bind(since)
        .bind(limit)
        .fetch_all(self.database.pool())
        .await?;
        Ok(rows.iter().map(run_from_row).collect::<Result<_, _>>()?)
    }

    /// Runs started by someone at an address (such as a conversation or a phone number), oldest
    /// first.
    pub async fn runs_started_at(&self, address: &str) -> Result<Vec<RunRecord>, StorageError> {
        if address.is_empty() {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(&format!(
            "SELECT {RUN_COLUMNS} FROM workflow_runs WHERE started_by LIKE $1 ESCAPE '\\' ORDER BY created_at"
        ))
        .bind(format!("%{}%", like_escaped(address)))
        .fetch_all(self.database.pool())
        .await?;
        let runs: Vec<RunRecord> = rows.iter().map(run_from_row).collect::<Result<_, _>>()?;
        Ok(runs.into_iter().filter(|run| run.started_by.address == address).collect())
    }

    /// Runs whose inputs hold a value (such as a phone number or email address, compared
    /// without regard to case), oldest first.
    pub async fn runs_with_input(&self, value: &str) -> Result<Vec<RunRecord>, StorageError> {
        let wanted = value.trim().to_lowercase();
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(&format!(
            "SELECT {RUN_COLUMNS} FROM workflow_runs WHERE LOWER(inputs) LIKE $1 ESCAPE '\\' ORDER BY created_at"
        ))
        .bind(format!("%{}%", like_escaped(&wanted)))
        .fetch_all(self.database.pool())
        .await?;
        let runs: Vec<RunRecord> = rows.iter().map(run_from_row).collect::<Result<_, _>>()?;
        Ok(runs
            .into_iter()
            .filter(|run| {
                run.inputs.values().any(|input| input.as_str().is_some_and(|text| text.to_lowercase() == wanted))
            })
            .collect())
    }

    /// Deletes runs with everything recorded about them; a run still being worked is cancelled
    /// first so its worker stops.
    pub async fn delete_runs(&self, run_ids: &[String]) -> Result<u64, StorageError> {
        let mut transaction = self.database.pool().begin().await?;
        let mut deleted = 0;
        for id in run_ids {
            for table in ["workflow_steps", "workflow_evidence", "workflow_notifications", "workflow_actions"] {
                sqlx::query(&format!("DELETE FROM {table} WHERE run_id = $1"))
                    .bind(id)
                    .execute(&mut *transaction)
                    .await?;
            }
            deleted += sqlx::query("DELETE FROM workflow_runs WHERE id = $1")
                .bind(id)
                .execute(&mut *transaction)
                .await?
                .rows_affected();
        }
        transaction.commit().await?;
        Ok(deleted)
    }

    /// Runs recorded from `start` up to `end` (milliseconds since 1970), oldest first.
    pub async fn runs_created_between(&self, start: i64, end: i64) -> Result<Vec<RunRecord>, StorageError> {
        let rows = sqlx::query(&format!(
            "SELECT {RUN_COLUMNS} FROM workflow_runs WHERE created_at >= $1 AND created_at < $2 ORDER BY created_at"
        ))
        .bind(start)
        .bind(end)
        .fetch_all(self.database.pool())
        .await?;
        Ok(rows.iter().map(run_from_row).collect::<Result<_, _>>()?)
    }

    /// Runs that ended before `cutoff` (milliseconds since 1970): those a retention period has
    /// run out for.
    pub async fn finished_before(&self, cutoff: i64) -> Result<Vec<String>, StorageError> {
        let rows = sqlx::query(
            "SELECT id FROM workflow_runs WHERE status IN ('succeeded', 'failed', 'cancelled') AND updated_at < $1",
        )
        .bind(cutoff)
        .fetch_all(self.database.pool())
        .await?;
        Ok(rows.iter().map(|row| row.try_get("id")).collect::<Result<_, _>>()?)
    }

    /// The messages written about a run, oldest first.
    pub async fn notifications(&self, run_id: &str) -> Result<Vec<Notification>, StorageError> {
        let rows = sqlx::query(
            "SELECT id, run_id, audience, recipient, message, created_at FROM workflow_notifications \
             WHERE run_id = $1 ORDER BY id",
        )
        .bind(run_id)
        .fetch_all(self.database.pool())
        .await?;
        rows.iter().map(notification_from_row).collect::<Result<_, _>>().map_err(StorageError::from)
    }
}

/// Something a person did to a run.
#[derive(Debug, Clone, Serialize)]
pub struct Action {
    /// Who did it.
    pub actor: String,
    /// What they did: `retry`, `complete`, `approve`, `reject` or `cancel`.
    pub action: String,
    /// What they said or entered.
    pub detail: String,
    /// When, in milliseconds since 1970.
    pub created_at: i64,
}

impl Journal {
    /// Records something a person did to a run.
    pub async fn record_action(
        &self,
        run_id: &str,
        actor: &str,
        action: &str,
        detail: &str,
    ) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO workflow_actions (run_id, actor, action, detail, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(run_id)
        .bind(actor)
        .bind(action)
        .bind(detail)
        .bind(now_millis())
        .execute(self.database.pool())
        .await?;
        Ok(())
    }

    /// What people did to a run, oldest first.
    pub async fn actions(&self, run_id: &str) -> Result<Vec<Action>, StorageError> {
        let rows =
            sqlx::query("SELECT actor, action, detail, created_at FROM workflow_actions WHERE run_id = $1 ORDER BY id")
                .bind(run_id)
                .fetch_all(self.database.pool())
                .await?;
        let mut actions = Vec::with_capacity(rows.len());
        for row in rows {
            actions.push(Action {
                actor: row.try_get("actor")?,
                action: row.try_get("action")?,
                detail: row.try_get("detail")?,
                created_at: row.try_get("created_at")?,
            });
        }
        Ok(actions)
    }

    /// A run's status now.
    pub async fn status(&self, run_id: &str) -> Result<Option<RunStatus>, StorageError> {
        let row = sqlx::query("SELECT status FROM workflow_runs WHERE id = $1")
            .bind(run_id)
            .fetch_optional(self.database.pool())
            .await?;
        Ok(row.map(|row| crate::names::column(&row, "status")).transpose()?)
    }

    /// Ends a run that has not ended, as cancelled; returns whether it was cancelled.
    pub async fn cancel(&self, run_id: &str) -> Result<bool, StorageError> {
        let now = now_millis();
        let changed = sqlx::query(
            "UPDATE workflow_runs SET status = 'cancelled', waiting_for = NULL, claimed_by = NULL, lease_until = NULL, \
             updated_at = $1, finished_at = $1 WHERE id = $2 AND status IN ('queued', 'running', 'waiting')",
        )
        .bind(now)
        .bind(run_id)
        .execute(self.database.pool())
        .await?
        .rows_affected();
        Ok(changed == 1)
    }
}

/// A short, readable reference for a run, such as `CB-1A2B3C4D`.
fn short_reference(id: &str) -> String {
    let hex = id.trim_start_matches("run_");
    format!("CB-{}", hex[..8.min(hex.len())].to_uppercase())
}
