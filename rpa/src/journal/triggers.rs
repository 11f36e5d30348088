//! What the triggers started, recorded so that it happens once across every instance: each due
//! time of a schedule is claimed by one instance with its run, and each idempotency key of a
//! webhook call keeps the run it started.

use storage::{StorageError, sqlx};

use super::runs::insert_run;
use super::{Journal, NewRun, RunRecord};

/// A due time of a workflow's schedule, as claimed.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ScheduleClaim {
    /// The workflow.
    pub workflow: String,
    /// The due time, in milliseconds since 1970.
    pub due_at: i64,
    /// The run started for it; none when it was missed and the policy is to skip.
    pub run_id: Option<String>,
    /// How many earlier due times were missed while nothing was running.
    pub missed: i64,
    /// Whether it started late, after the time it was due.
    pub late: i64,
    /// The instance that claimed it.
    pub claimed_by: String,
    /// When it was claimed, in milliseconds since 1970.
    pub claimed_at: i64,
}

/// A due time to claim.
#[derive(Debug, Clone)]
pub struct DueTime<'a> {
    /// The workflow.
    pub workflow: &'a str,
    /// The due time, in milliseconds since 1970.
    pub due_at: i64,
    /// How many earlier due times were missed.
    pub missed: i64,
    /// Whether it is being started late.
    pub late: bool,
    /// The instance claiming it.
    pub instance: &'a str,
}

/// The run an idempotency key stands for.
#[derive(Debug, Clone)]
pub enum Keyed {
    /// The key was new: this run was started for it.
    Started(RunRecord),
    /// The key was used before with the same inputs: the run it started then.
    Again(RunRecord),
    /// The key was used before with other inputs.
    OtherInputs,
}

/// A key's row.
#[derive(Debug, sqlx::FromRow)]
struct KeyRow {
    fingerprint: String,
    run_id: String,
}

impl Journal {
    /// The latest due time of a workflow's schedule that was claimed, if any.
    pub async fn last_schedule_claim(&self, workflow: &str) -> Result<Option<ScheduleClaim>, StorageError> {
        Ok(sqlx::query_as::<_, ScheduleClaim>(
            "SELECT workflow, due_at, run_id, missed, late, claimed_by, claimed_at FROM workflow_schedule_claims \
             WHERE workflow = $1 ORDER BY due_at DESC LIMIT 1",
        )
        .bind(workflow)
        .fetch_optional(self.database.pool())
        .await?)
    }

    /// Claims a due time, recording its run (when there is one) in the same transaction, so a
    /// due time is never claimed without its run. `None` when another instance claimed it
    /// first.
    pub async fn claim_due_time(
        &self,
        due: DueTime<'_>,
        run: Option<NewRun<'_>>,
    ) -> Result<Option<ScheduleClaim>, StorageError> {
        let now = self.now();
        let mut transaction = self.database.begin_write().await?;
        let claimed = sqlx::query(
            "INSERT INTO workflow_schedule_claims (workflow, due_at, run_id, missed, late, claimed_by, claimed_at) \
             VALUES ($1, $2, NULL, $3, $4, $5, $6) ON CONFLICT (workflow, due_at) DO NOTHING",
        )
        .bind(due.workflow)
        .bind(due.due_at)
        .bind(due.missed)
        .bind(i64::from(due.late))
        .bind(due.instance)
        .bind(now)
        .execute(&mut *transaction)
        .await?;
        if claimed.rows_affected() == 0 {
            transaction.rollback().await?;
            return Ok(None);
        }
        let run_id = match run {
            Some(run) => {
                let id = insert_run(&mut *transaction, &run, now).await?;
                sqlx::query("UPDATE workflow_schedule_claims SET run_id = $1 WHERE workflow = $2 AND due_at = $3")
                    .bind(&id)
                    .bind(due.workflow)
                    .bind(due.due_at)
                    .execute(&mut *transaction)
                    .await?;
                Some(id)
            }
            None => None,
        };
        transaction.commit().await?;
        Ok(Some(ScheduleClaim {
            workflow: due.workflow.to_string(),
            due_at: due.due_at,
            run_id,
            missed: due.missed,
            late: i64::from(due.late),
            claimed_by: due.instance.to_string(),
            claimed_at: now,
        }))
    }

    /// Starts a run for an idempotency key once: a key seen before gives the run it started
    /// then, whichever instance it reached, and starts nothing new. `fingerprint` stands for
    /// the inputs, so a key reused with other inputs is told apart.
    pub async fn create_run_once(&self, key: &str, fingerprint: &str, run: NewRun<'_>) -> Result<Keyed, StorageError> {
        let now = self.now();
        let mut transaction = self.database.begin_write().await?;
        let id = insert_run(&mut *transaction, &run, now).await?;
        let kept = sqlx::query(
            "INSERT INTO workflow_idempotency_keys (workflow, idempotency_key, fingerprint, run_id, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (workflow, idempotency_key) DO NOTHING",
        )
        .bind(run.workflow)
        .bind(key)
        .bind(fingerprint)
        .bind(&id)
        .bind(now)
        .execute(&mut *transaction)
        .await?;
        if kept.rows_affected() == 1 {
            transaction.commit().await?;
            let started = self.run(&id).await?.ok_or(StorageError::Query(sqlx::Error::RowNotFound))?;
            return Ok(Keyed::Started(started));
        }
        // The key was there first: the run just recorded goes with the transaction.
        transaction.rollback().await?;
        let earlier = sqlx::query_as::<_, KeyRow>(
            "SELECT fingerprint, run_id FROM workflow_idempotency_keys WHERE workflow = $1 AND idempotency_key = $2",
        )
        .bind(run.workflow)
        .bind(key)
        .fetch_one(self.database.pool())
        .await?;
        if earlier.fingerprint != fingerprint {
            return Ok(Keyed::OtherInputs);
        }
        let again = self.run(&earlier.run_id).await?.ok_or(StorageError::Query(sqlx::Error::RowNotFound))?;
        Ok(Keyed::Again(again))
    }
}
