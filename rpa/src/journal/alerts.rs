//! Alerts about workflows in trouble, kept in the database so that every instance shows the
//! same ones and each is announced once, by the instance that raised or cleared it.

use storage::{StorageError, sqlx};

use super::{Journal, RunStatus};

/// An alert that is up.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct WorkflowAlert {
    /// The workflow.
    pub workflow: String,
    /// What is wrong: `failing` or `unreachable`.
    pub kind: String,
    /// What is wrong, in words.
    pub detail: String,
    /// When it was raised, in milliseconds since 1970.
    pub raised_at: i64,
}

/// A finished run's status, as stored.
#[derive(Debug, sqlx::FromRow)]
struct Finished {
    status: String,
}

impl Journal {
    /// Raises an alert; `false` when it was already up.
    pub async fn raise_alert(&self, workflow: &str, kind: &str, detail: &str) -> Result<bool, StorageError> {
        let raised = sqlx::query(
            "INSERT INTO workflow_alerts (workflow, kind, detail, raised_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (workflow, kind) DO NOTHING",
        )
        .bind(workflow)
        .bind(kind)
        .bind(detail)
        .bind(self.now())
        .execute(self.database.writer())
        .await?;
        Ok(raised.rows_affected() == 1)
    }

    /// Clears an alert; `false` when it was not up.
    pub async fn clear_alert(&self, workflow: &str, kind: &str) -> Result<bool, StorageError> {
        let cleared = sqlx::query("DELETE FROM workflow_alerts WHERE workflow = $1 AND kind = $2")
            .bind(workflow)
            .bind(kind)
            .execute(self.database.writer())
            .await?;
        Ok(cleared.rows_affected() == 1)
    }

    /// The alerts that are up, oldest first.
    pub async fn alerts(&self) -> Result<Vec<WorkflowAlert>, StorageError> {
        Ok(sqlx::query_as::<_, WorkflowAlert>(
            "SELECT workflow, kind, detail, raised_at FROM workflow_alerts ORDER BY raised_at, workflow, kind",
        )
        .fetch_all(self.database.pool())
        .await?)
    }

    /// Whether each of a workflow's latest `count` runs that succeeded or failed did fail, newest
    /// first.
    pub async fn latest_outcomes(&self, workflow: &str, count: i64) -> Result<Vec<bool>, StorageError> {
        let rows = sqlx::query_as::<_, Finished>(
            "SELECT status FROM workflow_runs WHERE workflow = $1 AND status IN ($2, $3) \
             ORDER BY finished_at DESC, id DESC LIMIT $4",
        )
        .bind(workflow)
        .bind(RunStatus::Succeeded.as_str())
        .bind(RunStatus::Failed.as_str())
        .bind(count)
        .fetch_all(self.database.pool())
        .await?;
        Ok(rows.into_iter().map(|row| row.status == RunStatus::Failed.as_str()).collect())
    }
}
