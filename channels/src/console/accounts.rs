//! Console accounts, sessions and API tokens: passwords hashed with argon2 (off the async
//! threads), failed sign-ins slowing further attempts down rather than locking anyone out,
//! sessions and tokens kept only as hashes, and each session's role read from its account.

use std::net::IpAddr;

use serde::Serialize;
use sha2::{Digest, Sha256};
use storage::sqlx::{self, Row};
use storage::{Database, Migration, StorageError, now_millis};

use super::hashing::{Hasher, HashingError, default_in_flight};
use super::throttle::{self, Subject, Throttle};

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "console accounts, sessions, tokens and sign-ins",
        sqlite: include_str!("../../migrations/sqlite/0001_console.sql"),
        postgres: include_str!("../../migrations/postgres/0001_console.sql"),
    },
    Migration {
        version: 2,
        description: "sign-in throttling, roles read per request, OpenID Connect accounts by issuer and subject",
        sqlite: include_str!("../../migrations/any/0002_console_sign_in.sql"),
        postgres: include_str!("../../migrations/any/0002_console_sign_in.sql"),
    },
    Migration {
        version: 3,
        description: "the languages members of staff speak",
        sqlite: include_str!("../../migrations/any/0003_staff_languages.sql"),
        postgres: include_str!("../../migrations/any/0003_staff_languages.sql"),
    },
];

/// How long a session lasts, in milliseconds.
pub const SESSION_MILLIS: i64 = 8 * 3600 * 1000;
/// The shortest password accepted.
pub const SHORTEST_PASSWORD: usize = 12;
/// The longest username.
pub const LONGEST_USERNAME: usize = 100;
/// How long a sign-in through OpenID Connect may take, in milliseconds.
pub const SIGN_IN_MILLIS: i64 = 10 * 60 * 1000;

/// What someone signed in may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Signed in, but given no role: may do nothing.
    None,
    /// Works the queue of escalations.
    Supervisor,
    /// A supervisor who also writes curated answers and adds examples to services.
    Editor,
    /// An editor who also sees the audit log.
    Admin,
}

impl Role {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        storage::names::name_of(&self)
    }

    /// The value a stored name stands for.
    pub fn parse(text: &str) -> Option<Self> {
        storage::names::from_name(text)
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
    /// Too many failed sign-ins for this username or from this address: wait this many seconds.
    #[error("too many failed sign-ins: try again in {0} seconds")]
    Throttled(i64),
    /// A password could not be hashed or checked.
    #[error(transparent)]
    Hashing(#[from] HashingError),
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
    /// Whether sign-ins to it must wait now, after failed ones.
    pub sign_ins_slowed: bool,
}

/// Someone signed in through OpenID Connect, as their verified ID token describes them.
#[derive(Debug, Clone)]
pub struct ExternalPerson<'a> {
    /// The provider that vouches for them.
    pub issuer: &'a str,
    /// Their permanent identifier at that provider (`sub`).
    pub subject: &'a str,
    /// The username they would like (`preferred_username`, their email, ...).
    pub preferred_username: &'a str,
    /// Their name as shown.
    pub display_name: &'a str,
    /// The role their token gives.
    pub role: Role,
}

/// The console's accounts in the database.
#[derive(Debug, Clone)]
pub struct Accounts {
    database: Database,
    hasher: Hasher,
    throttle: Throttle,
}

/// A new random token: 244 bits from the system's random source, hex.
pub fn random_token() -> String {
    format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
}

/// The SHA-256 of a secret, hex: what is kept of session and API tokens.
pub fn hashed(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Whether a username could be a local account's: one word of up to 100 characters, with no
/// control characters.
pub fn is_username(text: &str) -> bool {
    !text.is_empty()
        && text.chars().count() <= LONGEST_USERNAME
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A username as it may be shown or written to the audit log: control characters replaced and
/// at most 100 characters kept, whatever was typed.
pub fn printable_username(text: &str) -> String {
    text.chars().take(LONGEST_USERNAME).map(|c| if c.is_control() { '\u{fffd}' } else { c }).collect()
}

fn role_of(row: &sqlx::any::AnyRow) -> Result<Role, AccountError> {
    let text: String = row.try_get("role")?;
    Role::parse(&text).ok_or_else(|| AccountError::Invalid(format!("`{text}` is not a role")))
}

impl Accounts {
    /// Opens the accounts in a database, creating their tables on first use.
    pub async fn open(database: Database) -> Result<Accounts, StorageError> {
        database.migrate("console", MIGRATIONS).await?;
        let throttle = Throttle::new(database.clone());
        Ok(Accounts { database, hasher: Hasher::new(default_in_flight()), throttle })
    }

    /// The database behind the accounts.
    pub fn database(&self) -> &Database {
        &self.database
    }

    /// Adds a local account, or changes the password, name and role of one; a change ends every
    /// session the account had.
    pub async fn set_local(
        &self,
        username: &str,
        display_name: &str,
        password: &str,
        role: Role,
    ) -> Result<(), AccountError> {
        let username = username.trim();
        if !is_username(username) {
            return Err(AccountError::Invalid("a username is one word of up to 100 characters".into()));
        }
        if password.chars().count() < SHORTEST_PASSWORD {
            return Err(AccountError::Invalid(format!("a password needs at least {SHORTEST_PASSWORD} characters")));
        }
        let hash = self.hasher.hash(password).await?;
        let changed = sqlx::query(
            "INSERT INTO console_accounts (username, display_name, password_hash, role, source, created_at) \
             VALUES ($1, $2, $3, $4, 'local', $5) ON CONFLICT (username) DO UPDATE SET display_name = $2, \
             password_hash = $3, role = $4 WHERE console_accounts.source = 'local'",
        )
        .bind(username)
        .bind(display_name.trim())
        .bind(hash)
        .bind(role.as_str())
        .bind(now_millis())
        .execute(self.database.writer())
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(AccountError::Invalid(format!(
                "`{username}` is an account that signs in with the council's accounts; choose another username"
            )));
        }
        self.end_sessions(username).await?;
        self.throttle.forget(Subject::Account(username)).await?;
        Ok(())
    }

    /// Records someone signed in through OpenID Connect, known by issuer and subject, with the
    /// name and role their token gives now (a changed role ends their other sessions). On their
    /// first sign-in they get their preferred username, or, when an account already has it,
    /// that name with a number: never another account.
    pub async fn set_external(&self, person: &ExternalPerson<'_>) -> Result<Principal, AccountError> {
        // Room is left for a number after the name.
        let wanted: String = person.preferred_username.chars().filter(|c| !c.is_control()).take(90).collect();
        let wanted = match wanted.trim() {
            "" => "council-account".to_string(),
            name => name.to_string(),
        };
        let display_name = printable_username(person.display_name.trim());
        for attempt in 1..=50 {
            let existing =
                sqlx::query("SELECT username, role FROM console_accounts WHERE oidc_issuer = $1 AND oidc_subject = $2")
                    .bind(person.issuer)
                    .bind(person.subject)
                    .fetch_optional(self.database.pool())
                    .await?;
            if let Some(row) = existing {
                let username: String = row.try_get("username")?;
                let before = role_of(&row).ok();
                sqlx::query("UPDATE console_accounts SET display_name = $1, role = $2 WHERE username = $3")
                    .bind(&display_name)
                    .bind(person.role.as_str())
                    .bind(&username)
                    .execute(self.database.writer())
                    .await?;
                if before != Some(person.role) {
                    self.end_sessions(&username).await?;
                }
                return Ok(Principal { username, display_name, role: person.role, csrf: None });
            }
            let candidate = if attempt == 1 { wanted.clone() } else { format!("{wanted}-{attempt}") };
            // Any clash (the username, or the same person signing in at the same moment) leaves
            // the row as it is; the loop then finds them, or tries the next name.
            let inserted = sqlx::query(
                "INSERT INTO console_accounts (username, display_name, role, source, created_at, oidc_issuer, \
                 oidc_subject) VALUES ($1, $2, $3, 'oidc', $4, $5, $6) ON CONFLICT DO NOTHING",
            )
            .bind(&candidate)
            .bind(&display_name)
            .bind(person.role.as_str())
            .bind(now_millis())
            .bind(person.issuer)
            .bind(person.subject)
            .execute(self.database.writer())
            .await?
            .rows_affected();
            if inserted == 1 {
                return Ok(Principal { username: candidate, display_name, role: person.role, csrf: None });
            }
        }
        Err(AccountError::Invalid(format!("no free username like `{wanted}`")))
    }

    /// Removes an account and ends its sessions; returns whether it existed.
    pub async fn remove(&self, username: &str) -> Result<bool, AccountError> {
        self.end_sessions(username).await?;
        let removed = sqlx::query("DELETE FROM console_accounts WHERE username = $1")
            .bind(username)
            .execute(self.database.writer())
            .await?
            .rows_affected();
        sqlx::query("DELETE FROM console_languages WHERE username = $1")
            .bind(username)
            .execute(self.database.writer())
            .await?;
        Ok(removed > 0)
    }

    /// Whether a member of staff has said they speak Welsh.
    pub async fn speaks_welsh(&self, username: &str) -> Result<bool, AccountError> {
        let row = sqlx::query("SELECT welsh FROM console_languages WHERE username = $1")
            .bind(username)
            .fetch_optional(self.database.pool())
            .await?;
        Ok(match row {
            Some(row) => row.try_get::<i64, _>("welsh")? == 1,
            None => false,
        })
    }

    /// Records whether a member of staff speaks Welsh.
    pub async fn set_speaks_welsh(&self, username: &str, welsh: bool) -> Result<(), AccountError> {
        sqlx::query(
            "INSERT INTO console_languages (username, welsh) VALUES ($1, $2) \
             ON CONFLICT (username) DO UPDATE SET welsh = excluded.welsh",
        )
        .bind(username)
        .bind(i64::from(welsh))
        .execute(self.database.writer())
        .await?;
        Ok(())
    }

    /// Every account.
    pub async fn list(&self) -> Result<Vec<Account>, AccountError> {
        let now = now_millis();
        let rows = sqlx::query("SELECT username, display_name, role, source FROM console_accounts ORDER BY username")
            .fetch_all(self.database.pool())
            .await?;
        let mut accounts = Vec::with_capacity(rows.len());
        for row in rows {
            let username: String = row.try_get("username")?;
            let slowed = self.throttle.waiting_until(Subject::Account(&username), now).await?.is_some();
            accounts.push(Account {
                display_name: row.try_get("display_name")?,
                role: role_of(&row)?,
                source: row.try_get("source")?,
                sign_ins_slowed: slowed,
                username,
            });
        }
        Ok(accounts)
    }

    /// Signs in to a local account with its password, from a client address.
    ///
    /// The answer, and the work done, are the same whether or not the username exists: an
    /// unknown name is checked against a stand-in hash and fails like a wrong password, and
    /// failures are counted for the name typed either way. A name that no account could have
    /// (control characters, spaces, too long) is refused the same way without reaching the
    /// accounts. See [`super::throttle`] for the waits that follow failures.
    pub async fn sign_in(&self, username: &str, password: &str, address: IpAddr) -> Result<Principal, AccountError> {
        self.sign_in_at(username, password, address, now_millis()).await
    }

    async fn sign_in_at(
        &self,
        username: &str,
        password: &str,
        address: IpAddr,
        now: i64,
    ) -> Result<Principal, AccountError> {
        let username = username.trim();
        let account = is_username(username).then_some(Subject::Account(username));
        // Holding a place to hash from before the waits are read until the failure is counted
        // means attempts sent all at once are checked a few at a time, each seeing the waits
        // the ones before it started.
        let permit = self.hasher.permit().await?;
        let mut until = self.throttle.waiting_until(Subject::Address(address), now).await?;
        if let Some(account) = account {
            until = until.max(self.throttle.waiting_until(account, now).await?);
        }
        if let Some(until) = until {
            return Err(AccountError::Throttled(((until - now) + 999) / 1000));
        }
        let row = match account {
            Some(_) => {
                sqlx::query(
                    "SELECT display_name, password_hash, role FROM console_accounts \
                     WHERE username = $1 AND source = 'local'",
                )
                .bind(username)
                .fetch_optional(self.database.pool())
                .await?
            }
            None => None,
        };
        let stored = match &row {
            Some(row) => row.try_get::<Option<String>, _>("password_hash")?,
            None => None,
        };
        let matches = permit.verify(password, stored).await?;
        let (Some(row), true) = (row, matches) else {
            self.throttle.failed(Subject::Address(address), now).await?;
            if let Some(account) = account {
                let wait = throttle::ACCOUNT.wait_after(self.throttle.failed(account, now).await?);
                if wait > 0 {
                    // The address that started the account's wait waits twice as long, so the
                    // owner, elsewhere, has the first try when it ends.
                    self.throttle.wait_at_least(Subject::Address(address), now + 2 * wait).await?;
                }
            }
            return Err(AccountError::WrongCredentials);
        };
        drop(permit);
        if let Some(account) = account {
            self.throttle.forget(account).await?;
        }
        Ok(Principal {
            username: username.to_string(),
            display_name: row.try_get("display_name")?,
            role: role_of(&row)?,
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
            .execute(self.database.writer())
            .await?;
        sqlx::query(
            "INSERT INTO console_sessions (token_hash, username, csrf, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(hashed(&token))
        .bind(&who.username)
        .bind(&csrf)
        .bind(now)
        .bind(now + SESSION_MILLIS)
        .execute(self.database.writer())
        .await?;
        Ok((token, Principal { csrf: Some(csrf), ..who.clone() }))
    }

    /// The principal of a live session, with the name and role its account has now.
    pub async fn session(&self, token: &str) -> Result<Option<Principal>, AccountError> {
        let row = sqlx::query(
            "SELECT a.username, a.display_name, a.role, s.csrf FROM console_sessions s \
             JOIN console_accounts a ON a.username = s.username WHERE s.token_hash = $1 AND s.expires_at > $2",
        )
        .bind(hashed(token))
        .bind(now_millis())
        .fetch_optional(self.database.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(Principal {
            username: row.try_get("username")?,
            display_name: row.try_get("display_name")?,
            role: role_of(&row)?,
            csrf: Some(row.try_get("csrf")?),
        }))
    }

    /// Ends a session.
    pub async fn end_session(&self, token: &str) -> Result<(), AccountError> {
        sqlx::query("DELETE FROM console_sessions WHERE token_hash = $1")
            .bind(hashed(token))
            .execute(self.database.writer())
            .await?;
        Ok(())
    }

    /// Ends every session of an account; returns how many there were.
    pub async fn end_sessions(&self, username: &str) -> Result<u64, AccountError> {
        let ended = sqlx::query("DELETE FROM console_sessions WHERE username = $1")
            .bind(username)
            .execute(self.database.writer())
            .await?
            .rows_affected();
        Ok(ended)
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
        .execute(self.database.writer())
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
        Ok(Some(Principal { username: format!("token:{name}"), display_name: name, role: role_of(&row)?, csrf: None }))
    }

    /// Remembers a sign-in through OpenID Connect in progress, bound to the browser holding
    /// `binding` (kept only as a hash).
    pub async fn begin_sign_in(
        &self,
        state: &str,
        nonce: &str,
        verifier: &str,
        binding: &str,
    ) -> Result<(), AccountError> {
        let now = now_millis();
        sqlx::query("DELETE FROM console_sign_ins WHERE created_at < $1")
            .bind(now - SIGN_IN_MILLIS)
            .execute(self.database.writer())
            .await?;
        sqlx::query(
            "INSERT INTO console_sign_ins (state, nonce, verifier, created_at, binding) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(state)
        .bind(nonce)
        .bind(verifier)
        .bind(now)
        .bind(hashed(binding))
        .execute(self.database.writer())
        .await?;
        Ok(())
    }

    /// Takes a sign-in in progress (once), by its state and only for the browser that started
    /// it: its nonce and PKCE verifier.
    pub async fn finish_sign_in(&self, state: &str, binding: &str) -> Result<Option<(String, String)>, AccountError> {
        let row = sqlx::query(
            "DELETE FROM console_sign_ins WHERE state = $1 AND binding = $2 RETURNING nonce, verifier, created_at",
        )
        .bind(state)
        .bind(hashed(binding))
        .fetch_optional(self.database.writer())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let created: i64 = row.try_get("created_at")?;
        if created < now_millis() - SIGN_IN_MILLIS {
            return Ok(None);
        }
        Ok(Some((row.try_get("nonce")?, row.try_get("verifier")?)))
    }
}

#[cfg(test)]
mod tests;
