//! Escalations and what happened to them: raising one (or raising the open one's priority),
//! reading them for the queue, and the events recorded on each.

use storage::now_millis;
use storage::sqlx::any::AnyRow;
use storage::sqlx::{self, Row};

use storage::names::{column, optional_column};

use super::{ConversationStore, StoreError, to_json};
use crate::conversation::lifecycle::EscalationStatus;
use crate::conversation::records::{Escalation, EscalationEvent, NewEscalation};

pub(super) const ESCALATION_COLUMNS: &str = "id, conversation_id, reason, detail, priority, status, run_id, inputs, \
                                  transcript_seq, assignee, outcome, created_at, updated_at, resolved_at, \
                                  (SELECT c.language FROM conversations c WHERE c.id = escalations.conversation_id) \
                                  AS language";

pub(super) fn escalation_from_row(row: &AnyRow) -> Result<Escalation, sqlx::Error> {
    let inputs: String = row.try_get("inputs")?;
    Ok(Escalation {
        id: row.try_get("id")?,
        conversation_id: row.try_get("conversation_id")?,
        reason: column(row, "reason")?,
        detail: row.try_get("detail")?,
        priority: column(row, "priority")?,
        status: column(row, "status")?,
        run_id: row.try_get("run_id")?,
        inputs: serde_json::from_str(&inputs).unwrap_or_default(),
        transcript_seq: row.try_get("transcript_seq")?,
        assignee: row.try_get("assignee")?,
        outcome: row.try_get("outcome")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        resolved_at: row.try_get("resolved_at")?,
        language: optional_column(row, "language")?.unwrap_or_default(),
    })
}

impl ConversationStore {
    /// Raises an escalation outside a turn (for a workflow run); when the conversation already
    /// has an open one, that one takes the new reason's priority and run and is returned.
    pub async fn raise_escalation(
        &self,
        conversation_id: &str,
        escalation: &NewEscalation,
    ) -> Result<Escalation, StoreError> {
        self.forget(conversation_id);
        let mut transaction = self.database.begin_write().await?;
        let row = sqlx::query(
            "UPDATE conversations SET status = CASE WHEN status IN ('human', 'ended') THEN status ELSE 'escalated' END, \
             version = version + 1, updated_at = $1 WHERE id = $2 RETURNING last_seq",
        )
        .bind(now_millis())
        .bind(conversation_id)
        .fetch_one(&mut *transaction)
        .await?;
        let last_seq: i64 = row.try_get("last_seq")?;
        let raised = raise_in(&mut transaction, conversation_id, escalation, last_seq, "councilbot").await?;
        transaction.commit().await?;
        Ok(raised)
    }

    /// The escalation with this id.
    pub async fn escalation(&self, id: &str) -> Result<Option<Escalation>, StoreError> {
        let row = sqlx::query(&format!("SELECT {ESCALATION_COLUMNS} FROM escalations WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.database.pool())
            .await?;
        Ok(row.as_ref().map(escalation_from_row).transpose()?)
    }

    /// The open (waiting or claimed) escalation of a conversation.
    pub async fn open_escalation(&self, conversation_id: &str) -> Result<Option<Escalation>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {ESCALATION_COLUMNS} FROM escalations WHERE conversation_id = $1 AND status IN ('waiting', 'claimed')"
        ))
        .bind(conversation_id)
        .fetch_optional(self.database.pool())
        .await?;
        Ok(row.as_ref().map(escalation_from_row).transpose()?)
    }

    /// The escalations ever raised for a workflow run.
    pub async fn escalations_for_run(&self, run_id: &str) -> Result<Vec<Escalation>, StoreError> {
        let rows =
            sqlx::query(&format!("SELECT {ESCALATION_COLUMNS} FROM escalations WHERE run_id = $1 ORDER BY created_at"))
                .bind(run_id)
                .fetch_all(self.database.pool())
                .await?;
        Ok(rows.iter().map(escalation_from_row).collect::<Result<_, _>>()?)
    }

    /// Escalations in a status (or all), most urgent then oldest first, at most `limit`.
    pub async fn escalations(
        &self,
        status: Option<EscalationStatus>,
        limit: i64,
    ) -> Result<Vec<Escalation>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ESCALATION_COLUMNS} FROM escalations WHERE ($1 = '' OR status = $1) \
             ORDER BY CASE priority WHEN 'high' THEN 0 ELSE 1 END, created_at LIMIT $2"
        ))
        .bind(status.map_or("", EscalationStatus::as_str))
        .bind(limit)
        .fetch_all(self.database.pool())
        .await?;
        Ok(rows.iter().map(escalation_from_row).collect::<Result<_, _>>()?)
    }

    /// Escalations still open (waiting, taken, or handed back), most urgent then oldest first.
    pub async fn open_escalations(&self, limit: i64) -> Result<Vec<Escalation>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ESCALATION_COLUMNS} FROM escalations WHERE status IN ('waiting', 'claimed', 'returned') \
             ORDER BY CASE priority WHEN 'high' THEN 0 ELSE 1 END, created_at LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(self.database.pool())
        .await?;
        Ok(rows.iter().map(escalation_from_row).collect::<Result<_, _>>()?)
    }

    /// Every escalation of a conversation, oldest first.
    pub async fn escalations_of(&self, conversation_id: &str) -> Result<Vec<Escalation>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ESCALATION_COLUMNS} FROM escalations WHERE conversation_id = $1 ORDER BY created_at"
        ))
        .bind(conversation_id)
        .fetch_all(self.database.pool())
        .await?;
        Ok(rows.iter().map(escalation_from_row).collect::<Result<_, _>>()?)
    }

    /// What happened to an escalation, oldest first.
    pub async fn escalation_events(&self, escalation_id: &str) -> Result<Vec<EscalationEvent>, StoreError> {
        let events = sqlx::query_as(
            "SELECT kind, actor, detail, created_at FROM escalation_events WHERE escalation_id = $1 ORDER BY id",
        )
        .bind(escalation_id)
        .fetch_all(self.database.pool())
        .await?;
        Ok(events)
    }

    /// When the person left an escalation's conversation, as noted on the escalation.
    pub async fn left_at(&self, escalation_id: &str) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query(
            "SELECT created_at FROM escalation_events WHERE escalation_id = $1 AND kind = 'left' \
             ORDER BY id DESC LIMIT 1",
        )
        .bind(escalation_id)
        .fetch_optional(self.database.pool())
        .await?;
        Ok(row.map(|row| row.try_get("created_at")).transpose()?)
    }
}

/// Raises an escalation, or when the conversation has an open one, raises that one's priority
/// and attaches the run; either way records the event.
pub(super) async fn raise_in(
    transaction: &mut sqlx::Transaction<'_, sqlx::Any>,
    conversation_id: &str,
    escalation: &NewEscalation,
    transcript_seq: i64,
    actor: &str,
) -> Result<Escalation, sqlx::Error> {
    let now = now_millis();
    let open = sqlx::query(&format!(
        "SELECT {ESCALATION_COLUMNS} FROM escalations WHERE conversation_id = $1 AND status IN ('waiting', 'claimed')"
    ))
    .bind(conversation_id)
    .fetch_optional(&mut **transaction)
    .await?;
    let id = match open {
        Some(row) => {
            let existing = escalation_from_row(&row)?;
            let priority = existing.priority.max(escalation.priority);
            sqlx::query(
                "UPDATE escalations SET priority = $1, run_id = COALESCE($2, run_id), updated_at = $3 WHERE id = $4",
            )
            .bind(priority.as_str())
            .bind(escalation.run_id.as_deref())
            .bind(now)
            .bind(&existing.id)
            .execute(&mut **transaction)
            .await?;
            record_event(transaction, &existing.id, "raised_again", actor, &event_detail(escalation), now).await?;
            existing.id
        }
        None => {
            let id = format!("e_{}", uuid::Uuid::new_v4().simple());
            sqlx::query(
                "INSERT INTO escalations (id, conversation_id, reason, detail, priority, status, run_id, inputs, \
                 transcript_seq, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'waiting', $6, $7, $8, $9, $9)",
            )
            .bind(&id)
            .bind(conversation_id)
            .bind(escalation.reason.as_str())
            .bind(&escalation.detail)
            .bind(escalation.priority.as_str())
            .bind(escalation.run_id.as_deref())
            .bind(to_json(&escalation.inputs))
            .bind(transcript_seq)
            .bind(now)
            .execute(&mut **transaction)
            .await?;
            record_event(transaction, &id, "raised", actor, &event_detail(escalation), now).await?;
            id
        }
    };
    let row = sqlx::query(&format!("SELECT {ESCALATION_COLUMNS} FROM escalations WHERE id = $1"))
        .bind(&id)
        .fetch_one(&mut **transaction)
        .await?;
    escalation_from_row(&row)
}

fn event_detail(escalation: &NewEscalation) -> String {
    let mut detail = format!("{} ({})", escalation.reason.as_str(), escalation.priority.as_str());
    if !escalation.detail.is_empty() {
        detail.push_str(": ");
        detail.push_str(&escalation.detail);
    }
    detail
}

pub(super) async fn record_event(
    transaction: &mut sqlx::Transaction<'_, sqlx::Any>,
    escalation_id: &str,
    kind: &str,
    actor: &str,
    detail: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO escalation_events (escalation_id, kind, actor, detail, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(escalation_id)
    .bind(kind)
    .bind(actor)
    .bind(detail)
    .bind(now)
    .execute(&mut **transaction)
    .await?;
    Ok(())
}
