//! Console accounts, sessions and API tokens: passwords hashed with argon2, repeated failures
//! locking the account for a while, sessions and tokens kept only as hashes.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use serde::Serialize;
use sha2::{Digest, Sha256};
use storage::sqlx::{self, Row};
use storage::{Database, Migration, StorageError, now_millis};

const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    description: "console accounts, sessions, tokens and sign-ins",
    sqlite: include_str!("../../migrations/sqlite/0001_console.sql"),
    postgres: include_str!("../../migrations/postgres/0001_console.sql"),
}];

/// Failed sign-ins in a row that lock an account.
pub const LOCK_AFTER: i64 = 5;
/// How long a locked account stays locked, in milliseconds.
pub const LOCKED_FOR_MILLIS: i64 = 15 * 60 * 1000;
/// How long a session lasts, in milliseconds.
pub const SESSION_MILLIS: i64 = 8 * 3600 * 1000;
/// The shortest password accepted.
pub const SHORTEST_PASSWORD: usize = 12;

/// What someone signed in may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Signed in, but given no role: may do nothing.
    None,
    /// Works the queue of escalations.
    Supervisor,
    /// A supervisor who also sees the audit log.
    Admin,
}

impl Role {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::None => "none",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
        }
    }

    /// The role a name stands for.
    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "none" => Some(Role::None),
            "supervisor" => Some(Role::Supervisor),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// What can go wrong with accounts.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The username or password is wrong (which one is not said).
    #[error("the username or password is not right")]
    WrongCredentials,
    /// Too many failed sign-ins; the account is locked until then.
    #[error("too many failed sign-ins: try again after {0} minutes")]
    Locked(i64),
    /// What was given is not acceptable.
    #[error("{0}")]
    Invalid(String),
}

impl From<sqlx::Error> for AccountError {
    fn from(error: sqlx::Error) -> AccountError {
        AccountError::Storage(StorageError::Query(error))
    }
}

/// Someone allowed in: by a session (with its CSRF token) or by an API token.
#[derive(Debug, Clone, Serialize)]
pub struct Principal {
    /// Their account name.
    pub username: String,
    /// Their name as shown.
    pub display_name: String,
    /// What they may do.
    pub role: Role,
    /// The session's CSRF token; `None` for API tokens, which are not sent by browsers.
    #[serde(skip)]
    pub csrf: Option<String>,
}

/// An account as listed.
#[derive(Debug, Clone, Serialize)]
pub struct Account {
    /// Its name.
    pub username: String,
    /// The name shown to residents.
    pub display_name: String,
    /// Its role.
    pub role: Role,
    /// `local` or `oidc`.
    pub source: String,
    /// Whether it is locked now.
    pub locked: bool,
}

/// The console's accounts in the database.
#[derive(Debug, Clone)]
pub struct Accounts {
    database: Database,
}

/// A new random token: 244 bits from the system's random source, hex.
pub fn random_token() -> String {
    format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
}

fn hashed(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

impl Accounts {
    /// Opens the accounts in a database, creating their tables on first use.
    pub async fn open(database: Database) -> Result<Accounts, StorageError> {
        database.migrate("console", MIGRATIONS).await?;
        Ok(Accounts { database })
    }

    /// The database behind the accounts.
    pub fn database(&self) -> &Database {
        &self.database
    }

    /// Adds a local account, or changes the password, name and role of one.
    pub async fn set_local(
        &self,
        username: &str,
        display_name: &str,
        password: &str,
        role: Role,
    ) -> Result<(), AccountError> {
        let username = username.trim();
        if username.is_empty() || username.len() > 100 || username.contains(char::is_whitespace) {
            return Err(AccountError::Invalid("a username is one word of up to 100 characters".into()));
        }
        if password.chars().count() < SHORTEST_PASSWORD {
            return Err(AccountError::Invalid(format!("a password needs at least {SHORTEST_PASSWORD} characters")));
        }
        let salt = SaltString::generate(&mut OsRng);
        let hash = Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map_err(|error| AccountError::Invalid(format!("the password cannot be hashed: {error}")))?
            .to_string();
        sqlx::query(
            "INSERT INTO console_accounts (username, display_name, password_hash, role, source, failed_logins, created_at) \
             VALUES ($1, $2, $3, $4, 'local', 0, $5) ON CONFLICT (username) DO UPDATE SET display_name = $2, \
             password_hash = $3, role = $4, source = 'local', failed_logins = 0, locked_until = NULL",
        )
        .bind(username)
        .bind(display_name.trim())
        .bind(hash)
        .bind(role.as_str())
        .bind(now_millis())
        .execute(self.database.pool())
        .await?;
        Ok(())
    }

    /// Records an account signed in through OpenID Connect, with the role it has now.
    pub async fn set_external(&self, username: &str, display_name: &str, role: Role) -> Result<(), AccountError> {
        sqlx::query(
            "INSERT INTO console_accounts (username, display_name, role, source, failed_logins, created_at) \
             VALUES ($1, $2, $3, 'oidc', 0, $4) ON CONFLICT (username) DO UPDATE SET display_name = $2, role = $3",
        )
        .bind(username)
        .bind(display_name)
        .bind(role.as_str())
        .bind(now_millis())
        .execute(self.database.pool())
        .await?;
        Ok(())
    }

    /// Removes an account and ends its sessions; returns whether it existed.
    pub async fn remove(&self, username: &str) -> Result<bool, AccountError> {
        sqlx::query("DELETE FROM console_sessions WHERE username = $1")
            .bind(username)
            .execute(self.database.pool())
            .await?;
        let removed = sqlx::query("DELETE FROM console_accounts WHERE username = $1")
            .bind(username)
            .execute(self.database.pool())
            .await?
            .rows_affected();
        Ok(removed > 0)
    }

    /// Every account.
    pub async fn list(&self) -> Result<Vec<Account>, AccountError> {
        let now = now_millis();
        let rows = sqlx::query(
            "SELECT username, display_name, role, source, locked_until FROM console_accounts ORDER BY username",
        )
        .fetch_all(self.database.pool())
        .await?;
        let mut accounts = Vec::with_capacity(rows.len());
        for row in rows {
            let locked_until: Option<i64> = row.try_get("locked_until")?;
            accounts.push(Account {
                username: row.try_get("username")?,
                display_name: row.try_get("display_name")?,
                role: Role::parse(&row.try_get::<String, _>("role")?).unwrap_or(Role::None),
                source: row.try_get("source")?,
                locked: locked_until.is_some_and(|until| until > now),
            });
        }
        Ok(accounts)
    }

    /// Checks a local account's password. Wrong passwords count towards locking it; a locked
    /// account refuses even the right password until the lock ends.
    pub async fn check_password(&self, username: &str, password: &str) -> Result<Principal, AccountError> {
        let now = now_millis();
        let row = sqlx::query(
            "SELECT display_name, password_hash, role, failed_logins, locked_until FROM console_accounts \
             WHERE username = $1 AND source = 'local'",
        )
        .bind(username)
        .fetch_optional(self.database.pool())
        .await?;
        let Some(row) = row else {
            // The same work as for a real account, so timing does not tell which names exist.
            let _ = Argon2::default().hash_password(password.as_bytes(), &SaltString::generate(&mut OsRng));
            return Err(AccountError::WrongCredentials);
        };
        if let Some(until) = row.try_get::<Option<i64>, _>("locked_until")?.filter(|until| *until > now) {
            return Err(AccountError::Locked(((until - now) / 60_000).max(1)));
        }
        let stored: Option<String> = row.try_get("password_hash")?;
        let matches = stored
            .as_deref()
            .and_then(|stored| PasswordHash::new(stored).ok())
            .is_some_and(|hash| Argon2::default().verify_password(password.as_bytes(), &hash).is_ok());
        if !matches {
            let failures: i64 = row.try_get::<i64, _>("failed_logins")? + 1;
            let locked_until = (failures >= LOCK_AFTER).then_some(now + LOCKED_FOR_MILLIS);
            sqlx::query("UPDATE console_accounts SET failed_logins = $1, locked_until = $2 WHERE username = $3")
                .bind(if locked_until.is_some() { 0 } else { failures })
                .bind(locked_until)
                .bind(username)
                .execute(self.database.pool())
                .await?;
            return Err(match locked_until {
                Some(_) => AccountError::Locked(LOCKED_FOR_MILLIS / 60_000),
                None => AccountError::WrongCredentials,
            });
        }
        sqlx::query("UPDATE console_accounts SET failed_logins = 0, locked_until = NULL WHERE username = $1")
            .bind(username)
            .execute(self.database.pool())
            .await?;
        Ok(Principal {
            username: username.to_string(),
            display_name: row.try_get("display_name")?,
            role: Role::parse(&row.try_get::<String, _>("role")?).unwrap_or(Role::None),
            csrf: None,
        })
    }

    /// Starts a session for someone; returns its token (for the cookie) and the principal
    /// with its CSRF token.
    pub async fn start_session(&self, who: &Principal) -> Result<(String, Principal), AccountError> {
        let token = random_token();
        let csrf = random_token();
        let now = now_millis();
        sqlx::query("DELETE FROM console_sessions WHERE expires_at < $1")
            .bind(now)
            .execute(self.database.pool())
            .await?;
        sqlx::query(
            "INSERT INTO console_sessions (token_hash, username, display_name, role, csrf, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(hashed(&token))
        .bind(&who.username)
        .bind(&who.display_name)
        .bind(who.role.as_str())
        .bind(&csrf)
        .bind(now)
        .bind(now + SESSION_MILLIS)
        .execute(self.database.pool())
        .await?;
        Ok((token, Principal { csrf: Some(csrf), ..who.clone() }))
    }

    /// The principal of a live session.
    pub async fn session(&self, token: &str) -> Result<Option<Principal>, AccountError> {
        let row = sqlx::query(
            "SELECT username, display_name, role, csrf FROM console_sessions WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(hashed(token))
        .bind(now_millis())
        .fetch_optional(self.database.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(Principal {
            username: row.try_get("username")?,
            display_name: row.try_get("display_name")?,
            role: Role::parse(&row.try_get::<String, _>("role")?).unwrap_or(Role::None),
            csrf: Some(row.try_get("csrf")?),
        }))
    }

    /// Ends a session.
    pub async fn end_session(&self, token: &str) -> Result<(), AccountError> {
        sqlx::query("DELETE FROM console_sessions WHERE token_hash = $1")
            .bind(hashed(token))
            .execute(self.database.pool())
            .await?;
        Ok(())
    }

    /// Makes an API token for a program acting with a role; returns the token, shown once.
    pub async fn create_token(&self, name: &str, role: Role) -> Result<String, AccountError> {
        let token = format!("cbt_{}", random_token());
        sqlx::query(
            "INSERT INTO console_tokens (token_hash, name, role, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (name) DO UPDATE SET token_hash = $1, role = $3, created_at = $4",
        )
        .bind(hashed(&token))
        .bind(name)
        .bind(role.as_str())
        .bind(now_millis())
        .execute(self.database.pool())
        .await?;
        Ok(token)
    }

    /// The principal an API token stands for.
    pub async fn token(&self, token: &str) -> Result<Option<Principal>, AccountError> {
        let row = sqlx::query("SELECT name, role FROM console_tokens WHERE token_hash = $1")
            .bind(hashed(token))
            .fetch_optional(self.database.pool())
            .await?;
        let Some(row) = row else { return Ok(None) };
        let name: String = row.try_get("name")?;
        Ok(Some(Principal {
            username: format!("token:{name}"),
            display_name: name,
            role: Role::parse(&row.try_get::<String, _>("role")?).unwrap_or(Role::None),
            csrf: None,
        }))
    }

    /// Remembers a sign-in through OpenID Connect in progress.
    pub async fn begin_sign_in(&self, state: &str, nonce: &str, verifier: &str) -> Result<(), AccountError> {
        let now = now_millis();
        sqlx::query("DELETE FROM console_sign_ins WHERE created_at < $1")
            .bind(now - 10 * 60 * 1000)
            .execute(self.database.pool())
            .await?;
        sqlx::query("INSERT INTO console_sign_ins (state, nonce, verifier, created_at) VALUES ($1, $2, $3, $4)")
            .bind(state)
            .bind(nonce)
            .bind(verifier)
            .bind(now)
            .execute(self.database.pool())
            .await?;
        Ok(())
    }

    /// Takes a sign-in in progress by its state (once): its nonce and PKCE verifier.
    pub async fn finish_sign_in(&self, state: &str) -> Result<Option<(String, String)>, AccountError> {
        let row = sqlx::query("SELECT nonce, verifier, created_at FROM console_sign_ins WHERE state = $1")
            .bind(state)
            .fetch_optional(self.database.pool())
            .await?;
        sqlx::query("DELETE FROM console_sign_ins WHERE state = $1").bind(state).execute(self.database.pool()).await?;
        let Some(row) = row else { return Ok(None) };
        let created: i64 = row.try_get("created_at")?;
        if created < now_millis() - 10 * 60 * 1000 {
            return Ok(None);
        }
        Ok(Some((row.try_get("nonce")?, row.try_get("verifier")?)))
    }
}
