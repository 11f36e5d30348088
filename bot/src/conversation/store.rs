//! Conversations in the database: their state, transcript, the contact details they hold, and
//! escalations with what happened to them. Each turn is written in one transaction.

use knowledge_base::memo::Memo;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use storage::sqlx::any::AnyRow;
use storage::sqlx::{self, Row};
use storage::{Database, Migration, StorageError, now_millis};

use rpa::names::column;

use super::lifecycle::{EscalationAction, EscalationStatus};
use super::message::{Audience, Reply, Role, StoredMessage};
use super::state::DialogueState;

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "conversations, messages, contacts and escalations",
        sqlite: include_str!("../../migrations/sqlite/0001_conversations.sql"),
        postgres: include_str!("../../migrations/postgres/0001_conversations.sql"),
    },
    Migration {
        version: 2,
        description: "turn outcomes and the audit log",
        sqlite: include_str!("../../migrations/sqlite/0002_outcomes_and_audit.sql"),
        postgres: include_str!("../../migrations/postgres/0002_outcomes_and_audit.sql"),
    },
    Migration {
        version: 3,
        description: "what residents made of each answer",
        sqlite: include_str!("../../migrations/sqlite/0003_answer_feedback.sql"),
        postgres: include_str!("../../migrations/postgres/0003_answer_feedback.sql"),
    },
];

/// What can go wrong storing a conversation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Another turn of the same conversation was written first.
    #[error("conversation {0} changed while this message was handled")]
    Conflict(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> StoreError {
        StoreError::Storage(StorageError::Query(error))
    }
}

/// Where a conversation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationStatus {
    /// The bot is answering.
    Active,
    /// Waiting for a person; the bot still answers meanwhile.
    Escalated,
    /// A person has taken over; the bot stays quiet.
    Human,
    /// Ended by the member of the public.
    Ended,
}

impl ConversationStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        rpa::names::name_of(&self)
    }
}

/// A conversation as stored.
#[derive(Debug, Clone, Serialize)]
pub struct Conversation {
    /// Its id.
    pub id: String,
    /// The channel it is on: `web`, `api`, `teams`, `sms`.
    pub channel: String,
    /// The person's address on the channel (a phone number, a Teams user), empty on the web.
    pub address: String,
    /// Who the person is to the council.
    pub audience: Audience,
    /// Where the dialogue stands.
    #[serde(skip)]
    pub state: DialogueState,
    /// Where the conversation stands.
    pub status: ConversationStatus,
    /// The number of the last message.
    pub last_seq: i64,
    /// Counts the turns written, to notice two written at once.
    #[serde(skip)]
    pub version: i64,
    /// When it began, in milliseconds since 1970.
    pub created_at: i64,
    /// When it last changed.
    pub updated_at: i64,
}

/// A message to add to a transcript.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// Who wrote it.
    pub role: Role,
    /// What it says.
    pub reply: Reply,
    /// A key that keeps the same message from being added twice, such as a notification's id.
    pub dedupe_key: Option<String>,
    /// How the turn went, on the person's message (`answered`, `unanswered`, `form`, ...).
    pub outcome: Option<&'static str>,
}

impl NewMessage {
    /// A message from the bot; one that answers a question is marked as an answer.
    pub fn bot(reply: Reply) -> NewMessage {
        let outcome = reply.is_answer().then_some(super::feedback::ANSWER);
        NewMessage { role: Role::Bot, reply, dedupe_key: None, outcome }
    }

    /// A message from the person, with how the turn went.
    pub fn user(text: &str, outcome: &'static str) -> NewMessage {
        NewMessage {
            role: Role::User,
            reply: Reply::User { text: text.to_string() },
            dedupe_key: None,
            outcome: Some(outcome),
        }
    }
}

/// How urgent an escalation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// In turn.
    Normal,
    /// Before anything else.
    High,
}

impl Priority {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        rpa::names::name_of(&self)
    }
}

/// Why a conversation is handed to a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationReason {
    /// The person asked for one.
    Requested,
    /// The bot could not answer questions in a row.
    Unanswered,
    /// The person sounded frustrated.
    Frustration,
    /// Someone may be in danger.
    Safeguarding,
    /// A service request could not be carried out.
    WorkflowFailed,
    /// A service request waits for a member of staff.
    WorkflowWaiting,
    /// The person's answers to a question could not be understood.
    NotUnderstood,
}

impl EscalationReason {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        rpa::names::name_of(&self)
    }
}

/// A request for a person to take over.
#[derive(Debug, Clone)]
pub struct NewEscalation {
    /// Why.
    pub reason: EscalationReason,
    /// More about why, such as the kind of danger or the run's error.
    pub detail: String,
    /// How urgent.
    pub priority: Priority,
    /// The workflow run concerned, if any.
    pub run_id: Option<String>,
    /// The service request's inputs gathered so far.
    pub inputs: Map<String, Value>,
}

/// An escalation as stored.
#[derive(Debug, Clone, Serialize)]
pub struct Escalation {
    /// Its id.
    pub id: String,
    /// The conversation.
    pub conversation_id: String,
    /// Why it was raised.
    pub reason: EscalationReason,
    /// More about why.
    pub detail: String,
    /// How urgent: `high` or `normal`.
    pub priority: Priority,
    /// Where it stands.
    pub status: EscalationStatus,
    /// The workflow run concerned, if any.
    pub run_id: Option<String>,
    /// The inputs gathered when it was raised.
    pub inputs: Map<String, Value>,
    /// The transcript up to this message was there when it was raised.
    pub transcript_seq: i64,
    /// Who claimed it.
    pub assignee: Option<String>,
    /// How it was resolved.
    pub outcome: Option<String>,
    /// When it was raised, in milliseconds since 1970.
    pub created_at: i64,
    /// When it last changed.
    pub updated_at: i64,
    /// When it was resolved.
    pub resolved_at: Option<i64>,
}

/// Something that happened to an escalation.
#[derive(Debug, Clone, Serialize)]
pub struct EscalationEvent {
    /// What: `raised`, `raised_again`, `claimed`, `replied`, `texted`, `returned`, `resolved`,
    /// or `left` (the person ended the conversation).
    pub kind: String,
    /// Who: `councilbot`, `resident` or a member of staff.
    pub actor: String,
    /// More about it.
    pub detail: String,
    /// When, in milliseconds since 1970.
    pub at: i64,
}

/// A change of an escalation's status, made by someone.
#[derive(Debug, Clone, Copy)]
pub struct EscalationChange<'a> {
    /// What was done; the escalation's lifecycle says which statuses it applies to and where
    /// it leads, and the event recorded is named after the status it takes.
    pub action: EscalationAction,
    /// Who it is assigned to, when that changes.
    pub assignee: Option<&'a str>,
    /// How it was resolved, when it is.
    pub outcome: Option<&'a str>,
    /// The conversation's status from now, when that changes.
    pub conversation_status: Option<ConversationStatus>,
    /// Who made the change.
    pub actor: &'a str,
    /// More about it.
    pub detail: &'a str,
}

/// Something a member of staff did.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    /// Its number.
    pub id: i64,
    /// Who.
    pub actor: String,
    /// What: `sign_in`, `claim`, `reply`, `hand_back`, `resolve`, `retry_run`, ...
    pub action: String,
    /// What it was done to (an escalation, a run, an account).
    pub target: String,
    /// More about it (never what residents wrote).
    pub detail: String,
    /// When, in milliseconds since 1970.
    pub at: i64,
}

/// The conversations in the database.
#[derive(Debug, Clone)]
pub struct ConversationStore {
    database: Database,
    /// Conversations as this process last read or wrote them, so a turn need not read its
    /// conversation again; a turn written from a stale copy is refused by the version check
    /// and read afresh.
    recent: std::sync::Arc<Memo<String, Conversation>>,
}

/// How many conversations are remembered before the memory is cleared.
const REMEMBERED: usize = 20_000;

const CONVERSATION_COLUMNS: &str =
    "id, channel, address, audience, state, status, last_seq, version, created_at, updated_at";
const ESCALATION_COLUMNS: &str = "id, conversation_id, reason, detail, priority, status, run_id, inputs, \
                                  transcript_seq, assignee, outcome, created_at, updated_at, resolved_at";

fn conversation_from_row(row: &AnyRow) -> Result<Conversation, sqlx::Error> {
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

fn escalation_from_row(row: &AnyRow) -> Result<Escalation, sqlx::Error> {
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
    })
}

fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_string())
}

/// What a turn writes.
#[derive(Debug, Clone)]
pub struct TurnRecord {
    /// The dialogue state after the turn.
    pub state: DialogueState,
    /// The conversation's status after the turn.
    pub status: ConversationStatus,
    /// The messages of the turn, in order.
    pub messages: Vec<NewMessage>,
    /// Phone numbers and email addresses the turn mentioned, normalised.
    pub contacts: Vec<String>,
    /// A request for a person raised by the turn.
    pub escalation: Option<NewEscalation>,
    /// What the person's message says of the answer just before it, when it says it did not help.
    pub follow_up: Option<super::feedback::FollowUp>,
}

impl ConversationStore {
    /// Opens the conversations in a database, creating their tables on first use.
    pub async fn open(database: Database) -> Result<ConversationStore, StorageError> {
        database.migrate("conversations", MIGRATIONS).await?;
        Ok(ConversationStore { database, recent: std::sync::Arc::new(Memo::new(REMEMBERED)) })
    }

    /// The database behind the store.
    pub fn database(&self) -> &Database {
        &self.database
    }

    fn remember(&self, conversation: &Conversation) {
        self.recent.insert(conversation.id.clone(), conversation.clone());
    }

    fn forget(&self, id: &str) {
        self.recent.remove(&id.to_string());
    }

    /// Starts a conversation.
    pub async fn create(&self, channel: &str, address: &str, audience: Audience) -> Result<Conversation, StoreError> {
        let id = format!("c_{}", uuid::Uuid::new_v4().simple());
        let now = now_millis();
        let state = DialogueState::default();
        sqlx::query(
            "INSERT INTO conversations (id, channel, address, audience, state, status, last_seq, version, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, 'active', 0, 0, $6, $6)",
        )
        .bind(&id)
        .bind(channel)
        .bind(address)
        .bind(audience.as_str())
        .bind(to_json(&state))
        .bind(now)
        .execute(self.database.pool())
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
        let mut transaction = self.database.pool().begin().await?;
        let row = sqlx::query(
            "UPDATE conversations SET state = $1, status = $2, last_seq = last_seq + $3, version = version + 1, \
             updated_at = $4 WHERE id = $5 AND version = $6 RETURNING last_seq",
        )
        .bind(to_json(&turn.state))
        .bind(turn.status.as_str())
        .bind(count)
        .bind(now)
        .bind(&conversation.id)
        .bind(conversation.version)
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
            ..conversation.clone()
        };
        if let Some(follow_up) = turn.follow_up {
            super::feedback::note_follow_up(&mut transaction, &conversation.id, first, follow_up).await?;
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
        let now = now_millis();
        let mut transaction = self.database.pool().begin().await?;
        // Taking the conversation's row first orders appends to one conversation.
        let row = sqlx::query("UPDATE conversations SET updated_at = $1 WHERE id = $2 RETURNING last_seq")
            .bind(now)
            .bind(conversation_id)
            .fetch_optional(&mut *transaction)
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
                        .fetch_optional(&mut *transaction)
                        .await?;
                if seen.is_some() {
                    continue;
                }
            }
            last_seq += 1;
            insert_messages(&mut transaction, conversation_id, last_seq, std::slice::from_ref(&message), now).await?;
            stored.push(StoredMessage { seq: last_seq, role: message.role, at: now, reply: message.reply });
        }
        sqlx::query("UPDATE conversations SET last_seq = $1 WHERE id = $2")
            .bind(last_seq)
            .bind(conversation_id)
            .execute(&mut *transaction)
            .await?;
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
                .execute(self.database.pool())
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
        let mut transaction = self.database.pool().begin().await?;
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

    /// The phone numbers (national digits) and email addresses (lowercased) a conversation holds.
    pub async fn contacts_of(&self, conversation_id: &str) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query("SELECT contact FROM conversation_contacts WHERE conversation_id = $1 ORDER BY contact")
            .bind(conversation_id)
            .fetch_all(self.database.pool())
            .await?;
        Ok(rows.iter().map(|row| row.try_get("contact")).collect::<Result<_, _>>()?)
    }

    /// Raises an escalation outside a turn (for a workflow run); when the conversation already
    /// has an open one, that one takes the new reason's priority and run and is returned.
    pub async fn raise_escalation(
        &self,
        conversation_id: &str,
        escalation: &NewEscalation,
    ) -> Result<Escalation, StoreError> {
        self.forget(conversation_id);
        let mut transaction = self.database.pool().begin().await?;
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
        let rows = sqlx::query(
            "SELECT kind, actor, detail, created_at FROM escalation_events WHERE escalation_id = $1 ORDER BY id",
        )
        .bind(escalation_id)
        .fetch_all(self.database.pool())
        .await?;
        let mut events = Vec::with_capacity(rows.len());
        for row in rows {
            events.push(EscalationEvent {
                kind: row.try_get("kind")?,
                actor: row.try_get("actor")?,
                detail: row.try_get("detail")?,
                at: row.try_get("created_at")?,
            });
        }
        Ok(events)
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
        let mut transaction = self.database.pool().begin().await?;
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

    /// Moves an escalation on by an action (recording who, the outcome and the event, setting
    /// the conversation's status when given), all or nothing. Returns the escalation as it then
    /// is, or `None` when it was in no status the action applies to.
    pub async fn move_escalation(
        &self,
        id: &str,
        change: EscalationChange<'_>,
    ) -> Result<Option<Escalation>, StoreError> {
        let now = now_millis();
        let (from, to) = change.action.moves();
        let Some(to) = to else { return Ok(None) };
        let from: Vec<String> = from.iter().map(|status| format!("'{}'", status.as_str())).collect();
        let mut transaction = self.database.pool().begin().await?;
        let moved = sqlx::query(&format!(
            "UPDATE escalations SET status = $1, assignee = COALESCE($2, assignee), outcome = COALESCE($3, outcome), \
             updated_at = $4, resolved_at = CASE WHEN $1 = 'resolved' THEN $4 ELSE resolved_at END \
             WHERE id = $5 AND status IN ({})",
            from.join(", ")
        ))
        .bind(to.as_str())
        .bind(change.assignee)
        .bind(change.outcome)
        .bind(now)
        .bind(id)
        .execute(&mut *transaction)
        .await?
        .rows_affected();
        if moved == 0 {
            return Ok(None);
        }
        let row = sqlx::query(&format!("SELECT {ESCALATION_COLUMNS} FROM escalations WHERE id = $1"))
            .bind(id)
            .fetch_one(&mut *transaction)
            .await?;
        let escalation = escalation_from_row(&row)?;
        if let Some(status) = change.conversation_status {
            self.forget(&escalation.conversation_id);
            // A conversation the person ended stays ended, whatever staff do with the case.
            sqlx::query(
                "UPDATE conversations SET status = $1, version = version + 1, updated_at = $2 WHERE id = $3 \
                 AND status <> 'ended'",
            )
            .bind(status.as_str())
            .bind(now)
            .bind(&escalation.conversation_id)
            .execute(&mut *transaction)
            .await?;
        }
        record_event(&mut transaction, id, to.as_str(), change.actor, change.detail, now).await?;
        transaction.commit().await?;
        Ok(Some(escalation))
    }

    /// Records an event of an escalation (such as a reply or an action on its run).
    pub async fn escalation_event(&self, id: &str, kind: &str, actor: &str, detail: &str) -> Result<(), StoreError> {
        let mut transaction = self.database.pool().begin().await?;
        record_event(&mut transaction, id, kind, actor, detail, now_millis()).await?;
        transaction.commit().await?;
        Ok(())
    }

    /// Records something a member of staff did, for the audit log.
    pub async fn audit(&self, actor: &str, action: &str, target: &str, detail: &str) -> Result<(), StoreError> {
        let mut transaction = self.database.pool().begin().await?;
        record_audit(&mut transaction, actor, action, target, detail).await?;
        transaction.commit().await?;
        Ok(())
    }

    /// The audit log, newest first, at most `limit` entries before `before` (an entry id).
    pub async fn audit_log(&self, limit: i64, before: Option<i64>) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, actor, action, target, detail, created_at FROM audit_log WHERE id < $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(self.database.pool())
        .await?;
        let mut entries = Vec::with_capacity(rows.len());
        for row in rows {
            entries.push(AuditEntry {
                id: row.try_get("id")?,
                actor: row.try_get("actor")?,
                action: row.try_get("action")?,
                target: row.try_get("target")?,
                detail: row.try_get("detail")?,
                at: row.try_get("created_at")?,
            });
        }
        Ok(entries)
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
            let at = index * 8;
            let numbers: Vec<String> = (1..=8).map(|offset| format!("${}", at + offset)).collect();
            format!("({})", numbers.join(", "))
        })
        .collect();
    let sql = format!(
        "INSERT INTO conversation_messages (conversation_id, seq, role, kind, body, dedupe_key, outcome, created_at) \
         VALUES {}",
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
            .bind(now);
    }
    query.execute(&mut **transaction).await?;
    Ok(())
}

/// Raises an escalation, or when the conversation has an open one, raises that one's priority
/// and attaches the run; either way records the event.
async fn raise_in(
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

async fn record_event(
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
