//! What the text channel remembers: each number's opt-out and provider, the messages received
//! (so one delivered twice is handled once), and the messages sent with their delivery status.

use storage::names::column;
use storage::sqlx::{self, Row};
use storage::{Database, Migration, StorageError, now_millis};

use super::Provider;

const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    description: "numbers, messages received and messages sent",
    sqlite: include_str!("../../migrations/any/0001_sms.sql"),
    postgres: include_str!("../../migrations/any/0001_sms.sql"),
}];

/// A phone number the council texts with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberRecord {
    /// The number as conversations know it (national digits for UK numbers).
    pub address: String,
    /// The number to send to, in international form.
    pub phone: String,
    /// Whether its owner asked for no more texts.
    pub opted_out: bool,
    /// The provider their last text came through.
    pub provider: Provider,
}

/// A text sent, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentRecord {
    /// Who carried it.
    pub provider: Provider,
    /// The provider's id for it.
    pub message_id: String,
    /// The conversation it belongs to.
    pub conversation_id: String,
    /// How many segments it took.
    pub segments: i64,
    /// The latest status the provider reported.
    pub status: String,
    /// The provider's error code, when it failed.
    pub error_code: Option<String>,
}

/// The text channel's records.
#[derive(Debug, Clone)]
pub struct SmsStore {
    database: Database,
}

impl SmsStore {
    /// Opens the records, creating their tables when needed.
    pub async fn open(database: Database) -> Result<SmsStore, StorageError> {
        database.migrate("sms", MIGRATIONS).await?;
        Ok(SmsStore { database })
    }

    /// The number, when it has texted before.
    pub async fn number(&self, address: &str) -> Result<Option<NumberRecord>, StorageError> {
        let row = sqlx::query("SELECT address, phone, opted_out, provider FROM sms_numbers WHERE address = $1")
            .bind(address)
            .fetch_optional(self.database.pool())
            .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(NumberRecord {
            address: row.get("address"),
            phone: row.get("phone"),
            opted_out: row.get::<i64, _>("opted_out") != 0,
            provider: column(&row, "provider")?,
        }))
    }

    /// Records that a number texted through a provider, keeping any opt-out.
    pub async fn saw_number(&self, address: &str, phone: &str, provider: Provider) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO sms_numbers (address, phone, opted_out, provider, changed_at) VALUES ($1, $2, 0, $3, $4) \
             ON CONFLICT (address) DO UPDATE SET phone = excluded.phone, provider = excluded.provider, \
             changed_at = excluded.changed_at",
        )
        .bind(address)
        .bind(phone)
        .bind(provider.as_str())
        .bind(now_millis())
        .execute(self.database.writer())
        .await?;
        Ok(())
    }

    /// Records that a number opted out of texts (`true`) or back in.
    pub async fn set_opted_out(&self, address: &str, opted_out: bool) -> Result<(), StorageError> {
        sqlx::query("UPDATE sms_numbers SET opted_out = $1, changed_at = $2 WHERE address = $3")
            .bind(i64::from(opted_out))
            .bind(now_millis())
            .bind(address)
            .execute(self.database.writer())
            .await?;
        Ok(())
    }

    /// Records a message received; `false` when it was received before (a repeated webhook).
    pub async fn first_receipt(&self, provider: Provider, message_id: &str) -> Result<bool, StorageError> {
        let done = sqlx::query(
            "INSERT INTO sms_received (provider, message_id, received_at) VALUES ($1, $2, $3) \
             ON CONFLICT (provider, message_id) DO NOTHING",
        )
        .bind(provider.as_str())
        .bind(message_id)
        .bind(now_millis())
        .execute(self.database.writer())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Forgets a message received, so that the provider's next attempt at it is taken in.
    pub async fn forget_receipt(&self, provider: Provider, message_id: &str) -> Result<(), StorageError> {
        sqlx::query("DELETE FROM sms_received WHERE provider = $1 AND message_id = $2")
            .bind(provider.as_str())
            .bind(message_id)
            .execute(self.database.writer())
            .await?;
        Ok(())
    }

    /// Records a message sent.
    pub async fn sent(&self, record: &SentRecord) -> Result<(), StorageError> {
        let now = now_millis();
        sqlx::query(
            "INSERT INTO sms_sent (provider, message_id, conversation_id, segments, status, error_code, sent_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (provider, message_id) DO NOTHING",
        )
        .bind(record.provider.as_str())
        .bind(&record.message_id)
        .bind(&record.conversation_id)
        .bind(record.segments)
        .bind(&record.status)
        .bind(record.error_code.as_deref())
        .bind(now)
        .execute(self.database.writer())
        .await?;
        Ok(())
    }

    /// Records a delivery status a provider reported; `false` when no such message was sent.
    pub async fn delivery_status(
        &self,
        provider: Provider,
        message_id: &str,
        status: &str,
        error_code: Option<&str>,
    ) -> Result<bool, StorageError> {
        let done = sqlx::query(
            "UPDATE sms_sent SET status = $1, error_code = $2, updated_at = $3 WHERE provider = $4 AND message_id = $5",
        )
        .bind(status)
        .bind(error_code)
        .bind(now_millis())
        .bind(provider.as_str())
        .bind(message_id)
        .execute(self.database.writer())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The texts sent in a conversation, oldest first.
    pub async fn sent_in(&self, conversation_id: &str) -> Result<Vec<SentRecord>, StorageError> {
        let rows = sqlx::query(
            "SELECT provider, message_id, conversation_id, segments, status, error_code FROM sms_sent \
             WHERE conversation_id = $1 ORDER BY sent_at, message_id",
        )
        .bind(conversation_id)
        .fetch_all(self.database.pool())
        .await?;
        let mut sent = Vec::with_capacity(rows.len());
        for row in &rows {
            sent.push(SentRecord {
                provider: column(row, "provider")?,
                message_id: row.get("message_id"),
                conversation_id: row.get("conversation_id"),
                segments: row.get("segments"),
                status: row.get("status"),
                error_code: row.get("error_code"),
            });
        }
        Ok(sent)
    }
}
