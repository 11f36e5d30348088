//! Conversations in the database: their state, transcript, the contact details they hold, and
//! escalations with what happened to them. Each turn is written in one transaction, and so is
//! each thing staff do with its entry in the audit log.

mod audit;
mod conversations;
mod escalations;
mod feedback;
mod privacy;
mod staff_actions;

use knowledge_base::memo::Memo;
use serde::Serialize;
use storage::sqlx;
use storage::{Database, Migration, StorageError};

pub use super::lifecycle::{EscalationReason, Priority};
pub use super::records::{
    AuditEntry, Conversation, ConversationStatus, Escalation, EscalationChange, EscalationEvent, NewEscalation,
    NewMessage, TurnRecord,
};
pub(crate) use audit::record_audit;
pub use staff_actions::StaffAction;

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "conversations, messages, contacts and escalations",
        sqlite: include_str!("../../../migrations/sqlite/0001_conversations.sql"),
        postgres: include_str!("../../../migrations/postgres/0001_conversations.sql"),
    },
    Migration {
        version: 2,
        description: "turn outcomes and the audit log",
        sqlite: include_str!("../../../migrations/sqlite/0002_outcomes_and_audit.sql"),
        postgres: include_str!("../../../migrations/postgres/0002_outcomes_and_audit.sql"),
    },
    Migration {
        version: 3,
        description: "what residents made of each answer",
        sqlite: include_str!("../../../migrations/sqlite/0003_answer_feedback.sql"),
        postgres: include_str!("../../../migrations/postgres/0003_answer_feedback.sql"),
    },
    Migration {
        version: 4,
        description: "the language of each conversation",
        sqlite: include_str!("../../../migrations/sqlite/0004_conversation_language.sql"),
        postgres: include_str!("../../../migrations/postgres/0004_conversation_language.sql"),
    },
    Migration {
        version: 5,
        description: "the service a request asked about first was confirmed for",
        sqlite: include_str!("../../../migrations/sqlite/0005_confirmed_requests.sql"),
        postgres: include_str!("../../../migrations/postgres/0005_confirmed_requests.sql"),
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

fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_string())
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
}
