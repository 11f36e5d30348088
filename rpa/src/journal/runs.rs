//! Runs and their leases: recording a run, an instance taking and holding it, and each change
//! of its state.

use serde_json::{Map, Value};
use storage::sqlx::FromRow;
use storage::{Statement, StorageError, sqlx};

use super::outbox::Notice;
use super::records::{RUN_COLUMNS, RunRow, runs_from_rows};
use super::steps::EndedStep;
use super::{Decision, HumanTask, Journal, NewRun, RunRecord, RunStatus, WaitingFor, to_json};
use storage::names;

/// The condition of a run ready to work: queued, or running under a lease that lapsed before
/// `now` (a query parameter such as `$3`).
fn ready_to_work(now: &str) -> String {
    format!("(status = 'queued' OR (status = 'running' AND (lease_until IS NULL OR lease_until < {now})))")
}

/// A short, readable reference for a run, such as `CB-1A2B3C4D`.
fn short_reference(id: &str) -> String {
    let hex = id.trim_start_matches("run_");
    format!("CB-{}", hex[..8.min(hex.len())].to_uppercase())
}

/// A run waiting on a human task, with the task.
#[derive(Debug, sqlx::FromRow)]
struct WaitingTask {
    id: String,
    task: Option<String>,
}

/// Records a new queued run through `executor` (the pool, or a transaction that records more
/// with it) and returns its id.
pub(super) async fn insert_run<'e, E>(executor: E, run: &NewRun<'_>, now: i64) -> Result<String, StorageError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let id = format!("run_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(
        "INSERT INTO workflow_runs (id, reference, workflow, version, definition, source_path, inputs, started_by, \
         status, outputs, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued', '{}', $9, $9)",
    )
    .bind(&id)
    .bind(short_reference(&id))
    .bind(run.workflow)
    .bind(run.version)
    .bind(run.definition)
    .bind(run.source_path)
    .bind(to_json(run.inputs))
    .bind(to_json(run.started_by))
    .bind(now)
    .execute(executor)
    .await?;
    Ok(id)
}

/// How a run ends: its status, outputs, what the resident is told and why.
#[derive(Debug, Clone, Copy)]
pub struct Ending<'a> {
    /// Succeeded, failed or cancelled.
    pub status: RunStatus,
    /// Its outputs, already masked.
    pub outputs: &'a Map<String, Value>,
    /// What the resident is told.
    pub message: Option<&'a str>,
    /// Why, for staff.
    pub reason: Option<&'a str>,
}

impl Journal {
    /// Records a new queued run and returns it.
    pub async fn create_run(&self, run: NewRun<'_>) -> Result<RunRecord, StorageError> {
        let id = insert_run(self.database.writer(), &run, self.now()).await?;
        self.run(&id).await?.ok_or(StorageError::Query(sqlx::Error::RowNotFound))
    }

    /// The run with this id or reference.
    pub async fn run(&self, id_or_reference: &str) -> Result<Option<RunRecord>, StorageError> {
        let row = sqlx::query_as::<_, RunRow>(&format!(
            "SELECT {RUN_COLUMNS} FROM workflow_runs WHERE id = $1 OR reference = $1"
        ))
        .bind(id_or_reference)
        .fetch_optional(self.database.pool())
        .await?;
        Ok(row.map(RunRecord::try_from).transpose()?)
    }

    /// The most recent runs, newest first.
    pub async fn runs(&self, limit: i64) -> Result<Vec<RunRecord>, StorageError> {
        let rows = sqlx::query_as::<_, RunRow>(&format!(
            "SELECT {RUN_COLUMNS} FROM workflow_runs ORDER BY created_at DESC, id LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(self.database.pool())
        .await?;
        Ok(runs_from_rows(rows)?)
    }

    /// The latest run of a workflow, if it has one.
    pub async fn last_run(&self, workflow: &str) -> Result<Option<RunRecord>, StorageError> {
        let rows = sqlx::query_as::<_, RunRow>(&format!(
            "SELECT {RUN_COLUMNS} FROM workflow_runs WHERE workflow = $1 ORDER BY created_at DESC, id LIMIT 1"
        ))
        .bind(workflow)
        .fetch_all(self.database.pool())
        .await?;
        Ok(runs_from_rows(rows)?.pop())
    }

    /// Runs that wait for a person or have failed, changed since `since` (milliseconds since
    /// 1970), oldest first, at most `limit`.
    pub async fn runs_needing_people(&self, since: i64, limit: i64) -> Result<Vec<RunRecord>, StorageError> {
        let rows = sqlx::query_as::<_, RunRow>(&format!(
            "SELECT {RUN_COLUMNS} FROM workflow_runs WHERE status IN ('waiting', 'failed') AND updated_at >= $1 \
             ORDER BY created_at LIMIT $2"
        ))
        .bind(since)
        .bind(limit)
        .fetch_all(self.database.pool())
        .await?;
        Ok(runs_from_rows(rows)?)
    }

    /// Runs recorded from `start` up to `end` (milliseconds since 1970), oldest first.
    pub async fn runs_created_between(&self, start: i64, end: i64) -> Result<Vec<RunRecord>, StorageError> {
        let rows = sqlx::query_as::<_, RunRow>(&format!(
            "SELECT {RUN_COLUMNS} FROM workflow_runs WHERE created_at >= $1 AND created_at < $2 ORDER BY created_at"
        ))
        .bind(start)
        .bind(end)
        .fetch_all(self.database.pool())
        .await?;
        Ok(runs_from_rows(rows)?)
    }

    /// A run's status now.
    pub async fn status(&self, run_id: &str) -> Result<Option<RunStatus>, StorageError> {
        let status = sqlx::query_scalar::<_, String>("SELECT status FROM workflow_runs WHERE id = $1")
            .bind(run_id)
            .fetch_optional(self.database.pool())
            .await?;
        Ok(status.map(|status| names::decode("status", status)).transpose()?)
    }

    /// Takes the run for this instance if it is ready to work and nobody else holds it: queued,
    /// or running under a lease that has lapsed (its instance died). Returns whether it was taken.
    pub async fn claim(
        &self,
        run_id: &str,
        instance: &str,
        lease_millis: i64,
    ) -> Result<Option<RunRecord>, StorageError> {
        let now = self.now();
        let taken = sqlx::query_as::<_, RunRow>(&format!(
            "UPDATE workflow_runs SET status = 'running', claimed_by = $1, lease_until = $2, updated_at = $3, claims = claims + 1 \
             WHERE id = $4 AND {} RETURNING {RUN_COLUMNS}",
            ready_to_work("$3")
        ))
        .bind(instance)
        .bind(now + lease_millis)
        .bind(now)
        .bind(run_id)
        .fetch_optional(self.database.writer())
        .await?;
        Ok(taken.map(RunRecord::try_from).transpose()?)
    }

    /// Takes the oldest run ready to work (queued, or running under a lapsed lease) for this
    /// instance, passing over runs another instance is taking at the same moment. Returns its id,
    /// or `None` when nothing is ready.
    pub async fn claim_next(&self, instance: &str, lease_millis: i64) -> Result<Option<RunRecord>, StorageError> {
        // PostgreSQL locks the chosen row and skips rows others have locked, so instances never
        // wait on each other; SQLite runs one writing statement at a time, which is as exclusive.
        let locking = match self.database.backend() {
            storage::Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            storage::Backend::Sqlite => "",
        };
        let now = self.now();
        let taken = sqlx::query_as::<_, RunRow>(&format!(
            "UPDATE workflow_runs SET status = 'running', claimed_by = $1, lease_until = $2, updated_at = $3, claims = claims + 1 \
             WHERE id = (SELECT id FROM workflow_runs WHERE {} ORDER BY created_at, id LIMIT 1{locking}) \
             RETURNING {RUN_COLUMNS}",
            ready_to_work("$3")
        ))
        .bind(instance)
        .bind(now + lease_millis)
        .bind(now)
        .fetch_optional(self.database.writer())
        .await?;
        Ok(taken.map(RunRecord::try_from).transpose()?)
    }

    /// Extends this instance's hold on a run it is working. Returns whether it still holds it:
    /// false once the hold has lapsed (another instance may take the run, or already has) or
    /// the run was cancelled.
    pub async fn renew(&self, run_id: &str, instance: &str, lease_millis: i64) -> Result<bool, StorageError> {
        let renewed =
            self.database.write_together(&[self.renewal(run_id, instance, lease_millis, " RETURNING id")]).await?;
        Ok(renewed.len() == 1)
    }

    /// The statement that extends this instance's hold on a run, followed by `returning`.
    pub(super) fn renewal(&self, run_id: &str, instance: &str, lease_millis: i64, returning: &str) -> Statement {
        let now = self.now();
        Statement::new(format!(
            "UPDATE workflow_runs SET lease_until = $1 WHERE id = $2 AND claimed_by = $3 AND status = 'running' \
             AND lease_until >= $4{returning}"
        ))
        .bind(now + lease_millis)
        .bind(run_id)
        .bind(instance)
        .bind(now)
    }

    /// Puts back in the queue the runs waiting on a human task whose time limit has passed, so
    /// they go on as their workflow says. Returns how many.
    pub async fn requeue_overdue_tasks(&self) -> Result<u64, StorageError> {
        let now = self.now();
        let mut requeued = 0;
        for (id, task) in self.waiting_tasks().await? {
            if task.is_some_and(|task| task.decision.is_none() && task.deadline < now) {
                requeued += sqlx::query(
                    "UPDATE workflow_runs SET status = 'queued', updated_at = $1 \
                     WHERE id = $2 AND status = 'waiting' AND waiting_for = 'task'",
                )
                .bind(now)
                .bind(&id)
                .execute(self.database.writer())
                .await?
                .rows_affected();
            }
        }
        Ok(requeued)
    }

    /// Runs waiting on a human task, with the task.
    async fn waiting_tasks(&self) -> Result<Vec<(String, Option<HumanTask>)>, StorageError> {
        let rows = sqlx::query_as::<_, WaitingTask>(
            "SELECT id, task FROM workflow_runs WHERE status = 'waiting' AND waiting_for = 'task'",
        )
        .fetch_all(self.database.pool())
        .await?;
        Ok(rows.into_iter().map(|row| (row.id, row.task.and_then(|task| serde_json::from_str(&task).ok()))).collect())
    }

    /// Runs that should be worked now: queued, or running under a lapsed lease; runs waiting on
    /// a human task whose time limit has passed are queued first.
    pub async fn runnable(&self) -> Result<Vec<String>, StorageError> {
        self.requeue_overdue_tasks().await?;
        let ids = sqlx::query_scalar::<_, String>(&format!(
            "SELECT id FROM workflow_runs WHERE {} ORDER BY created_at, id",
            ready_to_work("$1")
        ))
        .bind(self.now())
        .fetch_all(self.database.pool())
        .await?;
        Ok(ids)
    }

    /// Sets a run's status, leaving its other fields.
    pub async fn set_status(&self, run_id: &str, status: RunStatus) -> Result<(), StorageError> {
        sqlx::query("UPDATE workflow_runs SET status = $1, updated_at = $2 WHERE id = $3")
            .bind(status.as_str())
            .bind(self.now())
            .bind(run_id)
            .execute(self.database.writer())
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
        .bind(self.now())
        .bind(run_id)
        .execute(self.database.writer())
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
        .bind(self.now())
        .bind(run_id)
        .execute(self.database.writer())
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
        .bind(self.now())
        .bind(&run.id)
        .execute(self.database.writer())
        .await?
        .rows_affected();
        Ok(changed == 1)
    }

    /// Ends a run: succeeded, failed or cancelled, with what the resident is told and why; the
    /// run as it then stands, or `None` when it had been cancelled.
    pub async fn finish(
        &self,
        run_id: &str,
        status: RunStatus,
        outputs: &Map<String, Value>,
        message: Option<&str>,
        reason: Option<&str>,
    ) -> Result<Option<RunRecord>, StorageError> {
        self.finish_after(run_id, &[], Ending { status, outputs, message, reason }, &[]).await
    }

    /// Ends a run as [`Journal::finish`] does, together with recording the step attempts that
    /// `ended` last and leaving `notices` in the outbox: all of it or nothing.
    pub async fn finish_after(
        &self,
        run_id: &str,
        ended: &[EndedStep],
        ending: Ending<'_>,
        notices: &[Notice<'_>],
    ) -> Result<Option<RunRecord>, StorageError> {
        let now = self.now();
        let mut statements = self.step_rows(run_id, ended);
        statements.push(
            Statement::new(format!(
                "UPDATE workflow_runs SET status = $1, outputs = $2, message = $3, reason = $4, waiting_for = NULL, \
                 claimed_by = NULL, lease_until = NULL, updated_at = $5, finished_at = $5 \
                 WHERE id = $6 AND status <> 'cancelled' RETURNING {RUN_COLUMNS}"
            ))
            .bind(ending.status.as_str())
            .bind(to_json(ending.outputs))
            .bind(ending.message)
            .bind(ending.reason)
            .bind(now)
            .bind(run_id),
        );
        statements.extend(notices.iter().map(|notice| self.notice_row(run_id, *notice)));
        let rows = self.database.write_together(&statements).await?;
        let ended = rows.first().map(RunRow::from_row).transpose()?;
        Ok(ended.map(RunRecord::try_from).transpose()?)
    }

    /// Ends a run that has not ended, as cancelled; returns whether it was cancelled.
    pub async fn cancel(&self, run_id: &str) -> Result<bool, StorageError> {
        let now = self.now();
        let changed = sqlx::query(
            "UPDATE workflow_runs SET status = 'cancelled', waiting_for = NULL, claimed_by = NULL, lease_until = NULL, \
             updated_at = $1, finished_at = $1 WHERE id = $2 AND status IN ('queued', 'running', 'waiting')",
        )
        .bind(now)
        .bind(run_id)
        .execute(self.database.writer())
        .await?
        .rows_affected();
        Ok(changed == 1)
    }
}
