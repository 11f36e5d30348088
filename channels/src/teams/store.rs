//! Where Teams conversations and users are reached: kept from validated requests only, so the
//! bot can answer later and alert supervisors without their writing first each time.

use storage::sqlx::{self, Row};
use storage::{Database, Migration, StorageError, now_millis};

const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    description: "Teams conversations and users",
    sqlite: include_str!("../../migrations/any/0001_teams.sql"),
    postgres: include_str!("../../migrations/any/0001_teams.sql"),
}];

/// How to reach a Teams conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationReference {
    /// The Teams conversation.
    pub conversation_id: String,
    /// The connector that serves it.
    pub service_url: String,
    /// The Entra ID tenant.
    pub tenant_id: String,
    /// The bot's id in it.
    pub bot_id: String,
    /// The bot's name in it.
    pub bot_name: String,
    /// The user's id in it.
    pub user_id: String,
    /// The user's name.
    pub user_name: String,
    /// `personal`, `groupChat` or `channel`.
    pub conversation_type: String,
}

/// How to reach a Teams user for a one-to-one conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserReference {
    /// Their Entra ID object id.
    pub aad_object_id: String,
    /// Their id on the channel.
    pub user_id: String,
    /// Their name.
    pub name: String,
    /// The connector that serves them.
    pub service_url: String,
    /// Their tenant.
    pub tenant_id: String,
    /// The bot's id on the channel.
    pub bot_id: String,
}

/// The Teams channel's records.
#[derive(Debug, Clone)]
pub struct TeamsStore {
    database: Database,
}

impl TeamsStore {
    /// Opens the records, creating their tables when needed.
    pub async fn open(database: Database) -> Result<TeamsStore, StorageError> {
        database.migrate("teams", MIGRATIONS).await?;
        Ok(TeamsStore { database })
    }

    /// Keeps how to reach a conversation. Once kept, its tenant, bot and user stay as first seen;
    /// only the service URL (which every accepted token proves) and the bot's name may change.
    pub async fn remember_conversation(&self, reference: &ConversationReference) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO teams_conversations (conversation_id, service_url, tenant_id, bot_id, bot_name, user_id, \
             user_name, conversation_type, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (conversation_id) DO UPDATE SET service_url = excluded.service_url, \
             bot_name = excluded.bot_name, updated_at = excluded.updated_at \
             WHERE teams_conversations.tenant_id = excluded.tenant_id \
             AND teams_conversations.bot_id = excluded.bot_id",
        )
        .bind(&reference.conversation_id)
        .bind(&reference.service_url)
        .bind(&reference.tenant_id)
        .bind(&reference.bot_id)
        .bind(&reference.bot_name)
        .bind(&reference.user_id)
        .bind(&reference.user_name)
        .bind(&reference.conversation_type)
        .bind(now_millis())
        .execute(self.database.writer())
        .await?;
        Ok(())
    }

    /// How to reach a conversation, when it has been seen.
    pub async fn conversation(&self, conversation_id: &str) -> Result<Option<ConversationReference>, StorageError> {
        let row = sqlx::query(
            "SELECT conversation_id, service_url, tenant_id, bot_id, bot_name, user_id, user_name, conversation_type \
             FROM teams_conversations WHERE conversation_id = $1",
        )
        .bind(conversation_id)
        .fetch_optional(self.database.pool())
        .await?;
        Ok(row.map(|row| ConversationReference {
            conversation_id: row.get("conversation_id"),
            service_url: row.get("service_url"),
            tenant_id: row.get("tenant_id"),
            bot_id: row.get("bot_id"),
            bot_name: row.get("bot_name"),
            user_id: row.get("user_id"),
            user_name: row.get("user_name"),
            conversation_type: row.get("conversation_type"),
        }))
    }

    /// Keeps how to reach a user. Once kept, their channel id and tenant stay as first seen.
    pub async fn remember_user(&self, user: &UserReference) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO teams_users (aad_object_id, user_id, name, service_url, tenant_id, bot_id, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (aad_object_id) DO UPDATE SET \
             name = excluded.name, service_url = excluded.service_url, updated_at = excluded.updated_at \
             WHERE teams_users.tenant_id = excluded.tenant_id AND teams_users.user_id = excluded.user_id",
        )
        .bind(&user.aad_object_id)
        .bind(&user.user_id)
        .bind(&user.name)
        .bind(&user.service_url)
        .bind(&user.tenant_id)
        .bind(&user.bot_id)
        .bind(now_millis())
        .execute(self.database.writer())
        .await?;
        Ok(())
    }

    /// How to reach a user, when they have written to the bot.
    pub async fn user(&self, aad_object_id: &str) -> Result<Option<UserReference>, StorageError> {
        let row = sqlx::query(
            "SELECT aad_object_id, user_id, name, service_url, tenant_id, bot_id FROM teams_users \
             WHERE aad_object_id = $1",
        )
        .bind(aad_object_id)
        .fetch_optional(self.database.pool())
        .await?;
        Ok(row.map(|row| UserReference {
            aad_object_id: row.get("aad_object_id"),
            user_id: row.get("user_id"),
            name: row.get("name"),
            service_url: row.get("service_url"),
            tenant_id: row.get("tenant_id"),
            bot_id: row.get("bot_id"),
        }))
    }

    /// Every service URL seen on a validated request.
    pub async fn service_urls(&self) -> Result<Vec<String>, StorageError> {
        let rows = sqlx::query("SELECT service_url FROM teams_conversations UNION SELECT service_url FROM teams_users")
            .fetch_all(self.database.pool())
            .await?;
        Ok(rows.iter().map(|row| row.get("service_url")).collect())
    }
}
