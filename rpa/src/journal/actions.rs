//! What staff did to runs: retries, completions by hand, decisions and cancellations.

use serde::Serialize;
use storage::{StorageError, sqlx};

use super::Journal;

/// Something a person did to a run.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
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
        .bind(self.now())
        .execute(self.database.writer())
        .await?;
        Ok(())
    }

    /// What people did to a run, oldest first.
    pub async fn actions(&self, run_id: &str) -> Result<Vec<Action>, StorageError> {
        let actions = sqlx::query_as::<_, Action>(
            "SELECT actor, action, detail, created_at FROM workflow_actions WHERE run_id = $1 ORDER BY id",
        )
        .bind(run_id)
        .fetch_all(self.database.pool())
        .await?;
        Ok(actions)
    }
}
