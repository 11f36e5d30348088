//! The audit log: what staff did, when, and to what.

use storage::now_millis;
use storage::sqlx;

use super::{ConversationStore, StoreError};
use crate::conversation::records::AuditEntry;

impl ConversationStore {
    /// Records something a member of staff did, for the audit log.
    pub async fn audit(&self, actor: &str, action: &str, target: &str, detail: &str) -> Result<(), StoreError> {
        let mut transaction = self.database.begin_write().await?;
        record_audit(&mut transaction, actor, action, target, detail).await?;
        transaction.commit().await?;
        Ok(())
    }

    /// The audit log, newest first, at most `limit` entries before `before` (an entry id).
    pub async fn audit_log(&self, limit: i64, before: Option<i64>) -> Result<Vec<AuditEntry>, StoreError> {
        let entries = sqlx::query_as(
            "SELECT id, actor, action, target, detail, created_at FROM audit_log WHERE id < $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(self.database.pool())
        .await?;
        Ok(entries)
    }
}

/// Records something a member of staff did, for the audit log, as part of a change made in the
/// same transaction.
pub(crate) async fn record_audit(
    transaction: &mut sqlx::Transaction<'_, sqlx::Any>,
    actor: &str,
    action: &str,
    target: &str,
    detail: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO audit_log (actor, action, target, detail, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(actor)
        .bind(action)
        .bind(target)
        .bind(detail)
        .bind(now_millis())
        .execute(&mut **transaction)
        .await?;
    Ok(())
}
