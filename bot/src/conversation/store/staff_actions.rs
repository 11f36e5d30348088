//! What staff do with an escalation (take it, reply, hand it back, resolve it, act on its run),
//! written in one transaction with its entry in the audit log, so neither lands without the other.

use storage::now_millis;
use storage::sqlx;

use super::conversations::append_in;
use super::escalations::{ESCALATION_COLUMNS, escalation_from_row, record_event};
use super::{ConversationStore, StoreError};
use crate::conversation::message::StoredMessage;
use crate::conversation::records::{Escalation, EscalationChange, NewMessage};

/// What a member of staff does to an escalation, written when it is committed with its entry in
/// the audit log: all of it or none.
pub struct StaffAction<'a> {
    store: &'a ConversationStore,
    transaction: sqlx::Transaction<'static, sqlx::Any>,
    escalation: String,
    actor: String,
    now: i64,
}

impl ConversationStore {
    /// Begins what a member of staff (`actor`, their account name) does to an escalation.
    pub async fn staff_action(&self, escalation_id: &str, actor: &str) -> Result<StaffAction<'_>, StoreError> {
        Ok(StaffAction {
            store: self,
            transaction: self.database().begin_write().await?,
            escalation: escalation_id.to_string(),
            actor: actor.to_string(),
            now: now_millis(),
        })
    }
}

impl StaffAction<'_> {
    /// Moves the escalation on by an action (recording who, the outcome and the event, setting
    /// the conversation's status when given). Returns the escalation as it then is, or `None`
    /// when it was in no status the action applies to (and nothing was changed).
    pub async fn move_escalation(&mut self, change: EscalationChange<'_>) -> Result<Option<Escalation>, StoreError> {
        let (from, to) = change.action.moves();
        let Some(to) = to else { return Ok(None) };
        let from: Vec<String> = from.iter().map(|status| format!("'{}'", status.as_str())).collect();
        let moved = sqlx::query(&format!(
            "UPDATE escalations SET status = $1, assignee = COALESCE($2, assignee), outcome = COALESCE($3, outcome), \
             updated_at = $4, resolved_at = CASE WHEN $1 = 'resolved' THEN $4 ELSE resolved_at END \
             WHERE id = $5 AND status IN ({})",
            from.join(", ")
        ))
        .bind(to.as_str())
        .bind(change.assignee)
        .bind(change.outcome)
        .bind(self.now)
        .bind(&self.escalation)
        .execute(&mut *self.transaction)
        .await?
        .rows_affected();
        if moved == 0 {
            return Ok(None);
        }
        let row = sqlx::query(&format!("SELECT {ESCALATION_COLUMNS} FROM escalations WHERE id = $1"))
            .bind(&self.escalation)
            .fetch_one(&mut *self.transaction)
            .await?;
        let escalation = escalation_from_row(&row)?;
        if let Some(status) = change.conversation_status {
            self.store.forget(&escalation.conversation_id);
            // A conversation the person ended stays ended, whatever staff do with the case.
            sqlx::query(
                "UPDATE conversations SET status = $1, version = version + 1, updated_at = $2 WHERE id = $3 \
                 AND status <> 'ended'",
            )
            .bind(status.as_str())
            .bind(self.now)
            .bind(&escalation.conversation_id)
            .execute(&mut *self.transaction)
            .await?;
        }
        record_event(&mut self.transaction, &self.escalation, to.as_str(), &self.actor, change.detail, self.now)
            .await?;
        Ok(Some(escalation))
    }

    /// Records an event of the escalation (such as a reply or an action on its run).
    pub async fn record_event(&mut self, kind: &str, detail: &str) -> Result<(), StoreError> {
        record_event(&mut self.transaction, &self.escalation, kind, &self.actor, detail, self.now).await?;
        Ok(())
    }

    /// Adds messages to a conversation, as [`ConversationStore::append`] does.
    pub async fn append(
        &mut self,
        conversation_id: &str,
        messages: Vec<NewMessage>,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        Ok(append_in(&mut self.transaction, conversation_id, messages, self.now).await?)
    }

    /// Records the action in the audit log (`action` done to the escalation, with `detail`) and
    /// writes it all.
    pub async fn commit(mut self, action: &str, detail: &str) -> Result<(), StoreError> {
        super::record_audit(&mut self.transaction, &self.actor, action, &self.escalation, detail).await?;
        self.transaction.commit().await?;
        Ok(())
    }
}
