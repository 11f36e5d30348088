//! What the store holds about a person, found by their contact details, and its deletion when
//! asked or when the retention period has run out.

use storage::sqlx::{self, Row};

use super::conversations::{CONVERSATION_COLUMNS, conversation_from_row};
use super::{ConversationStore, StoreError};
use crate::conversation::records::Conversation;

impl ConversationStore {
    /// The phone numbers (national digits) and email addresses (lowercased) a conversation holds.
    pub async fn contacts_of(&self, conversation_id: &str) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query("SELECT contact FROM conversation_contacts WHERE conversation_id = $1 ORDER BY contact")
            .bind(conversation_id)
            .fetch_all(self.database.pool())
            .await?;
        Ok(rows.iter().map(|row| row.try_get("contact")).collect::<Result<_, _>>()?)
    }

    /// The conversations that hold a contact (a normalised phone number or email address), or
    /// whose person is at that address.
    pub async fn conversations_with_contact(&self, contact: &str) -> Result<Vec<Conversation>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE address = $1 OR id IN \
             (SELECT conversation_id FROM conversation_contacts WHERE contact = $1) ORDER BY created_at"
        ))
        .bind(contact)
        .fetch_all(self.database.pool())
        .await?;
        Ok(rows.iter().map(conversation_from_row).collect::<Result<_, _>>()?)
    }

    /// Deletes conversations with their transcripts, contacts and escalations.
    pub async fn delete(&self, ids: &[String]) -> Result<u64, StoreError> {
        for id in ids {
            self.forget(id);
        }
        let mut transaction = self.database.begin_write().await?;
        let mut deleted = 0;
        for id in ids {
            for table in [
                "escalation_events WHERE escalation_id IN (SELECT id FROM escalations WHERE conversation_id = $1)",
                "escalations WHERE conversation_id = $1",
                "conversation_contacts WHERE conversation_id = $1",
                "conversation_messages WHERE conversation_id = $1",
            ] {
                sqlx::query(&format!("DELETE FROM {table}")).bind(id).execute(&mut *transaction).await?;
            }
            deleted += sqlx::query("DELETE FROM conversations WHERE id = $1")
                .bind(id)
                .execute(&mut *transaction)
                .await?
                .rows_affected();
        }
        transaction.commit().await?;
        Ok(deleted)
    }

    /// The conversations untouched since `cutoff` (milliseconds since 1970) with no open
    /// escalation: those a retention period has run out for.
    pub async fn expired(&self, cutoff: i64) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT id FROM conversations WHERE updated_at < $1 AND id NOT IN \
             (SELECT conversation_id FROM escalations WHERE status IN ('waiting', 'claimed'))",
        )
        .bind(cutoff)
        .fetch_all(self.database.pool())
        .await?;
        Ok(rows.iter().map(|row| row.try_get("id")).collect::<Result<_, _>>()?)
    }
}
