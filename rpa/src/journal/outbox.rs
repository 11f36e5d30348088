//! The notification outbox: messages for residents and staff about runs, kept until a channel
//! delivers them.

use serde::Serialize;
use storage::{Statement, StorageError, sqlx};

use super::{Journal, StartedBy, to_json};

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

/// A notification row as stored, its recipient in JSON.
#[derive(Debug, sqlx::FromRow)]
struct NotificationRow {
    id: i64,
    run_id: String,
    audience: String,
    recipient: String,
    message: String,
    created_at: i64,
}

impl From<NotificationRow> for Notification {
    fn from(row: NotificationRow) -> Notification {
        Notification {
            id: row.id,
            run_id: row.run_id,
            audience: row.audience,
            recipient: serde_json::from_str(&row.recipient).unwrap_or_default(),
            message: row.message,
            created_at: row.created_at,
        }
    }
}

/// A message about a run for someone, to leave in the outbox.
#[derive(Debug, Clone, Copy)]
pub struct Notice<'a> {
    /// `resident` or `staff`.
    pub audience: &'a str,
    /// Who gets it.
    pub recipient: &'a StartedBy,
    /// The message.
    pub message: &'a str,
}

impl Journal {
    /// Writes a message for a resident or staff, for a channel to deliver.
    pub async fn notify(
        &self,
        run_id: &str,
        audience: &str,
        recipient: &StartedBy,
        message: &str,
    ) -> Result<(), StorageError> {
        self.database.write_together(&[self.notice_row(run_id, Notice { audience, recipient, message })]).await?;
        Ok(())
    }

    /// The statement that leaves a message in the outbox.
    pub(super) fn notice_row(&self, run_id: &str, notice: Notice<'_>) -> Statement {
        Statement::new(
            "INSERT INTO workflow_notifications (run_id, audience, recipient, message, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(run_id)
        .bind(notice.audience)
        .bind(to_json(notice.recipient))
        .bind(notice.message)
        .bind(self.now())
    }

    /// Messages for an audience not yet delivered, oldest first, at most `limit`.
    pub async fn undelivered(&self, audience: &str, limit: i64) -> Result<Vec<Notification>, StorageError> {
        let rows = sqlx::query_as::<_, NotificationRow>(
            "SELECT id, run_id, audience, recipient, message, created_at FROM workflow_notifications \
             WHERE audience = $1 AND delivered_at IS NULL ORDER BY id LIMIT $2",
        )
        .bind(audience)
        .bind(limit)
        .fetch_all(self.database.pool())
        .await?;
        Ok(rows.into_iter().map(Notification::from).collect())
    }

    /// Marks a message delivered; returns whether it had not been already.
    pub async fn mark_delivered(&self, notification_id: i64) -> Result<bool, StorageError> {
        let changed =
            sqlx::query("UPDATE workflow_notifications SET delivered_at = $1 WHERE id = $2 AND delivered_at IS NULL")
                .bind(self.now())
                .bind(notification_id)
                .execute(self.database.writer())
                .await?
                .rows_affected();
        Ok(changed == 1)
    }

    /// The messages written about a run, oldest first.
    pub async fn notifications(&self, run_id: &str) -> Result<Vec<Notification>, StorageError> {
        let rows = sqlx::query_as::<_, NotificationRow>(
            "SELECT id, run_id, audience, recipient, message, created_at FROM workflow_notifications \
             WHERE run_id = $1 ORDER BY id",
        )
        .bind(run_id)
        .fetch_all(self.database.pool())
        .await?;
        Ok(rows.into_iter().map(Notification::from).collect())
    }
}
