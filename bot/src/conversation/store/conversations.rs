//! Conversations and their transcripts: starting one, reading it, writing a turn whole, adding
//! messages outside a turn, and ending it.

use storage::now_millis;
use storage::sqlx::any::AnyRow;
use storage::sqlx::{self, Row};

use storage::names::column;

use super::escalations::{raise_in, record_event};
use super::feedback::note_follow_up;
use super::{ConversationStore, StoreError, to_json};
use crate::conversation::message::{Audience, Reply, StoredMessage};
use crate::conversation::records::{Conversation, ConversationStatus, Escalation, NewMessage, TurnRecord};
use crate::conversation::state::DialogueState;
use knowledge_base::Language;

pub(super) const CONVERSATION_COLUMNS: &str =
    "id, channel, address, audience, state, status, last_seq, version, created_at, updated_at, language";

pub(super) fn conversation_from_row(row: &AnyRow) -> Result<Conversation, sqlx::Error> {
    let state: String = row.try_get("state")?;
    Ok(Conversation {
        id: row.try_get("id")?,
        channel: row.try_get("channel")?,
        address: row.try_get("address")?,
        audience: column(row, "audience")?,
        state: serde_json::from_str(&state).unwrap_or_default(),
        status: column(row, "status")?,
        last_seq: row.try_get("last_seq")?,
        version: row.try_get("version")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        language: column(row, "language")?,
    })
}

fn message_from_row(row: &AnyRow) -> Result<Option<StoredMessage>, sqlx::Error> {
    let body: String = row.try_get("body")?;
    let Ok(reply) = serde_json::from_str::<Reply>(&body) else { return Ok(None) };
    Ok(Some(StoredMessage {
        seq: row.try_get("seq")?,
        role: column(row, "role")?,
        at: row.try_get("created_at")?,
        reply,
    }))
}

impl ConversationStore {
    /// Starts a conversation in English.
    pub async fn create(&self, channel: &str, address: &str, audience: Audience) -> Result<Conversation, StoreError> {
        self.create_in(channel, address, audience, Language::English, false).await
    }

    /// Starts a conversation in `language`, which the person `chosen` themselves (rather than
    /// being the council's own).
    pub async fn create_in(
        &self,
        channel: &str,
        address: &str,
        audience: Audience,
        language: Language,
        chosen: bool,
    ) -> Result<Conversation, StoreError> {
        let id = format!("c_{}", uuid::Uuid::new_v4().simple());
        let now = now_millis();
        let state = DialogueState { language: chosen.then_some(language), ..DialogueState::default() };
        sqlx::query(
            "INSERT INTO conversations (id, channel, address, audience, state, status, last_seq, version, created_at, \
             updated_at, language) VALUES ($1, $2, $3, $4, $5, 'active', 0, 0, $6, $6, $7)",
        )
        .bind(&id)
        .bind(channel)
        .bind(address)
        .bind(audience.as_str())
        .bind(to_json(&state))
        .bind(now)
        .bind(language.code())
        .execute(self.database.writer())
        .await?;
        let conversation = Conversation {
            id,
            channel: channel.to_string(),
            address: address.to_string(),
            audience,
            state,
            status: ConversationStatus::Active,
            last_seq: 0,
            version: 0,
            created_at: now,
            updated_at: now,
            language,
        };
        self.remember(&conversation);
        Ok(conversation)
    }

    /// The conversation with this id.
    pub async fn get(&self, id: &str) -> Result<Option<Conversation>, StoreError> {
        let remembered = self.recent.get(&id.to_string());
        if remembered.is_some() {
            return Ok(remembered);
        }
        self.get_fresh(id).await
    }

    /// The conversation with this id, read from the database.
    pub async fn get_fresh(&self, id: &str) -> Result<Option<Conversation>, StoreError> {
        let row = sqlx::query(&format!("SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.database.pool())
            .await?;
        let conversation = row.as_ref().map(conversation_from_row).transpose()?;
        if let Some(conversation) = &conversation {
            self.remember(conversation);
        }
        Ok(conversation)
    }

    /// The latest conversation with someone on a channel that changed since `since`
    /// (milliseconds since 1970) and has not ended.
    pub async fn latest_for_address(
        &self,
        channel: &str,
        address: &str,
        since: i64,
    ) -> Result<Option<Conversation>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE channel = $1 AND address = $2 AND updated_at >= $3 \
             AND status <> 'ended' ORDER BY updated_at DESC LIMIT 1"
        ))
        .bind(channel)
        .bind(address)
        .bind(since)
        .fetch_optional(self.database.pool())
        .await?;
        Ok(row.as_ref().map(conversation_from_row).transpose()?)
    }

    /// Writes a turn: the new state, its messages, the contacts it mentioned and any escalation,
    /// all or nothing. Fails with [`StoreError::Conflict`] when another turn was written since
    /// `conversation` was read.
    pub async fn commit_turn(
        &self,
        conversation: &Conversation,
        turn: TurnRecord,
    ) -> Result<(Vec<StoredMessage>, Option<Escalation>), StoreError> {
        let now = now_millis();
        let count = turn.messages.len() as i64;
        let mut transaction = self.database.begin_write().await?;
        let row = sqlx::query(
            "UPDATE conversations SET state = $1, status = $2, last_seq = last_seq + $3, version = version + 1, \
             updated_at = $4, language = $7 WHERE id = $5 AND version = $6 RETURNING last_seq",
        )
        .bind(to_json(&turn.state))
        .bind(turn.status.as_str())
        .bind(count)
        .bind(now)
        .bind(&conversation.id)
        .bind(conversation.version)
        .bind(turn.language.code())
        .fetch_optional(&mut *transaction)
        .await?;
        let Some(row) = row else {
            self.forget(&conversation.id);
            return Err(StoreError::Conflict(conversation.id.clone()));
        };
        let last_seq: i64 = row.try_get("last_seq")?;
        let first = last_seq - count + 1;
        let written = Conversation {
            state: turn.state.clone(),
            status: turn.status,
            last_seq,
            version: conversation.version + 1,
            updated_at: now,
            language: turn.language,
            ..conversation.clone()
        };
        if let Some(follow_up) = turn.follow_up {
            note_follow_up(&mut transaction, &conversation.id, first, follow_up).await?;
        }
        insert_messages(&mut transaction, &conversation.id, first, &turn.messages, now).await?;
        let stored = turn
            .messages
            .into_iter()
            .enumerate()
            .map(|(index, message)| StoredMessage {
                seq: first + index as i64,
                role: message.role,
                at: now,
                reply: message.reply,
            })
            .collect();
        for contact in &turn.contacts {
            sqlx::query(
                "INSERT INTO conversation_contacts (conversation_id, contact) VALUES ($1, $2) \
                 ON CONFLICT (conversation_id, contact) DO NOTHING",
            )
            .bind(&conversation.id)
            .bind(contact)
            .execute(&mut *transaction)
            .await?;
        }
        let escalation = match turn.escalation {
            Some(escalation) => {
                Some(raise_in(&mut transaction, &conversation.id, &escalation, last_seq, "councilbot").await?)
            }
            None => None,
        };
        if let Err(error) = transaction.commit().await {
            self.forget(&conversation.id);
            return Err(error.into());
        }
        self.remember(&written);
        Ok((stored, escalation))
    }

    /// Adds messages to a conversation outside a turn (run updates, replies from staff). A
    /// message whose dedupe key is already in the conversation is left out. Returns the
    /// messages added.
    pub async fn append(
        &self,
        conversation_id: &str,
        messages: Vec<NewMessage>,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let mut transaction = self.database.begin_write().await?;
        let stored = append_in(&mut transaction, conversation_id, messages, now_millis()).await?;
        transaction.commit().await?;
        Ok(stored)
    }

    /// The messages after `after_seq`, oldest first, at most `limit`.
    pub async fn messages_after(
        &self,
        conversation_id: &str,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, role, body, created_at FROM conversation_messages WHERE conversation_id = $1 AND seq > $2 \
             ORDER BY seq LIMIT $3",
        )
        .bind(conversation_id)
        .bind(after_seq)
        .bind(limit)
        .fetch_all(self.database.pool())
        .await?;
        let mut messages = Vec::with_capacity(rows.len());
        for row in &rows {
            messages.extend(message_from_row(row)?);
        }
        Ok(messages)
    }

    /// Sets a conversation's status (as when a person takes over or hands back).
    pub async fn set_status(&self, conversation_id: &str, status: ConversationStatus) -> Result<bool, StoreError> {
        self.forget(conversation_id);
        let changed =
            sqlx::query("UPDATE conversations SET status = $1, version = version + 1, updated_at = $2 WHERE id = $3")
                .bind(status.as_str())
                .bind(now_millis())
                .bind(conversation_id)
                .execute(self.database.writer())
                .await?
                .rows_affected();
        Ok(changed > 0)
    }

    /// Ends a conversation at the person's wish and notes on each of its open escalations that
    /// they left. Returns the ids of those escalations (none when it had already ended), or
    /// `None` when no conversation has the id.
    pub async fn end(&self, conversation_id: &str) -> Result<Option<Vec<String>>, StoreError> {
        self.forget(conversation_id);
        let now = now_millis();
        let mut transaction = self.database.begin_write().await?;
        let row = sqlx::query(
            "UPDATE conversations SET status = 'ended', version = version + 1, updated_at = $1 WHERE id = $2 \
             AND status <> 'ended' RETURNING id",
        )
        .bind(now)
        .bind(conversation_id)
        .fetch_optional(&mut *transaction)
        .await?;
        if row.is_none() {
            let exists = sqlx::query("SELECT id FROM conversations WHERE id = $1")
                .bind(conversation_id)
                .fetch_optional(&mut *transaction)
                .await?;
            return Ok(exists.map(|_| Vec::new()));
        }
        let rows = sqlx::query(
            "SELECT id FROM escalations WHERE conversation_id = $1 AND status IN ('waiting', 'claimed', 'returned')",
        )
        .bind(conversation_id)
        .fetch_all(&mut *transaction)
        .await?;
        let open: Vec<String> = rows.iter().map(|row| row.try_get("id")).collect::<Result<_, _>>()?;
        for id in &open {
            record_event(&mut transaction, id, "left", "resident", "", now).await?;
        }
        transaction.commit().await?;
        Ok(Some(open))
    }

    /// The words of the last message the person sent in a conversation.
    pub async fn last_user_message(&self, conversation_id: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            "SELECT body FROM conversation_messages WHERE conversation_id = $1 AND role = 'user' ORDER BY seq DESC LIMIT 1",
        )
        .bind(conversation_id)
        .fetch_optional(self.database.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let body: String = row.try_get("body")?;
        Ok(serde_json::from_str::<Reply>(&body).ok().map(|reply| reply.words().to_string()))
    }

    /// Counts conversations.
    pub async fn count(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM conversations").fetch_one(self.database.pool()).await?;
        Ok(row.try_get("n")?)
    }
}

/// Inserts messages numbered from `first`, in one statement.
async fn insert_messages(
    transaction: &mut sqlx::Transaction<'_, sqlx::Any>,
    conversation_id: &str,
    first: i64,
    messages: &[NewMessage],
    now: i64,
) -> Result<(), sqlx::Error> {
    if messages.is_empty() {
        return Ok(());
    }
    let rows: Vec<String> = (0..messages.len())
        .map(|index| {
            let at = index * 9;
            let numbers: Vec<String> = (1..=9).map(|offset| format!("${}", at + offset)).collect();
            format!("({})", numbers.join(", "))
        })
        .collect();
    let sql = format!(
        "INSERT INTO conversation_messages \
         (conversation_id, seq, role, kind, body, dedupe_key, outcome, confirmed_service, created_at) VALUES {}",
        rows.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for (index, message) in messages.iter().enumerate() {
        query = query
            .bind(conversation_id)
            .bind(first + index as i64)
            .bind(message.role.as_str())
            .bind(message.reply.kind())
            .bind(to_json(&message.reply))
            .bind(message.dedupe_key.clone())
            .bind(message.outcome)
            .bind(message.confirmed_service.clone())
            .bind(now);
    }
    query.execute(&mut **transaction).await?;
    Ok(())
}

/// Adds messages to a conversation as part of a transaction, leaving out those whose dedupe key
/// is already in it; adds none when no conversation has the id. Returns the messages added.
pub(super) async fn append_in(
    transaction: &mut sqlx::Transaction<'_, sqlx::Any>,
    conversation_id: &str,
    messages: Vec<NewMessage>,
    now: i64,
) -> Result<Vec<StoredMessage>, sqlx::Error> {
    // Taking the conversation's row first orders appends to one conversation.
    let row = sqlx::query("UPDATE conversations SET updated_at = $1 WHERE id = $2 RETURNING last_seq")
        .bind(now)
        .bind(conversation_id)
        .fetch_optional(&mut **transaction)
        .await?;
    let Some(row) = row else { return Ok(Vec::new()) };
    let mut last_seq: i64 = row.try_get("last_seq")?;
    let mut stored = Vec::new();
    for message in messages {
        if let Some(key) = &message.dedupe_key {
            let seen =
                sqlx::query("SELECT seq FROM conversation_messages WHERE conversation_id = $1 AND dedupe_key = $2")
                    .bind(conversation_id)
                    .bind(key)
                    .fetch_optional(&mut **transaction)
                    .await?;
            if seen.is_some() {
                continue;
            }
        }
        last_seq += 1;
        insert_messages(transaction, conversation_id, last_seq, std::slice::from_ref(&message), now).await?;
        stored.push(StoredMessage { seq: last_seq, role: message.role, at: now, reply: message.reply });
    }
    sqlx::query("UPDATE conversations SET last_seq = $1 WHERE id = $2")
        .bind(last_seq)
        .bind(conversation_id)
        .execute(&mut **transaction)
        .await?;
    Ok(stored)
}
