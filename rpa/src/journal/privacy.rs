//! What privacy requests and retention need of the journal: finding a person's runs, finding
//! runs past their retention period, and deleting runs with everything recorded about them.

use storage::{StorageError, sqlx};

use super::records::{RUN_COLUMNS, RunRow, runs_from_rows};
use super::{Journal, RunRecord};

/// A text with the characters that `LIKE` treats specially escaped by a backslash.
fn like_escaped(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

impl Journal {
    /// Runs started by someone at an address (such as a conversation or a phone number), oldest
    /// first.
    pub async fn runs_started_at(&self, address: &str) -> Result<Vec<RunRecord>, StorageError> {
        if address.is_empty() {
            return Ok(Vec::new());
        }
        let rows = sqlx::query_as::<_, RunRow>(&format!(
            "SELECT {RUN_COLUMNS} FROM workflow_runs WHERE started_by LIKE $1 ESCAPE '\\' ORDER BY created_at"
        ))
        .bind(format!("%{}%", like_escaped(address)))
        .fetch_all(self.database.pool())
        .await?;
        let runs = runs_from_rows(rows)?;
        Ok(runs.into_iter().filter(|run| run.started_by.address == address).collect())
    }

    /// Runs whose inputs hold a value (such as a phone number or email address, compared
    /// without regard to case), oldest first.
    pub async fn runs_with_input(&self, value: &str) -> Result<Vec<RunRecord>, StorageError> {
        let wanted = value.trim().to_lowercase();
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let rows = sqlx::query_as::<_, RunRow>(&format!(
            "SELECT {RUN_COLUMNS} FROM workflow_runs WHERE LOWER(inputs) LIKE $1 ESCAPE '\\' ORDER BY created_at"
        ))
        .bind(format!("%{}%", like_escaped(&wanted)))
        .fetch_all(self.database.pool())
        .await?;
        let runs = runs_from_rows(rows)?;
        Ok(runs
            .into_iter()
            .filter(|run| {
                run.inputs.values().any(|input| input.as_str().is_some_and(|text| text.to_lowercase() == wanted))
            })
            .collect())
    }

    /// Runs that ended before `cutoff` (milliseconds since 1970): those a retention period has
    /// run out for.
    pub async fn finished_before(&self, cutoff: i64) -> Result<Vec<String>, StorageError> {
        let ids = sqlx::query_scalar::<_, String>(
            "SELECT id FROM workflow_runs WHERE status IN ('succeeded', 'failed', 'cancelled') AND updated_at < $1",
        )
        .bind(cutoff)
        .fetch_all(self.database.pool())
        .await?;
        Ok(ids)
    }

    /// Deletes runs with everything recorded about them; a run still being worked is cancelled
    /// first so its worker stops.
    pub async fn delete_runs(&self, run_ids: &[String]) -> Result<u64, StorageError> {
        let mut transaction = self.database.begin_write().await?;
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
}
