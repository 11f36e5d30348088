//! The database every part of councilbot keeps its state in: a SQLite file by default (created
//! on first use), PostgreSQL when the URL says so. One code path for both: runtime-checked
//! queries written with `$1` placeholders, and each owner's migrations in both dialects.

pub mod clock;
pub mod files;
pub mod names;
#[cfg(feature = "test-support")]
mod test_support;
mod together;

use std::path::Path;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{Any, AnyPool, Executor, Transaction};

pub use sqlx;
#[cfg(feature = "test-support")]
pub use test_support::TestPostgres;
pub use together::{Param, Statement};

/// What can go wrong with the database.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The database URL names a kind of database councilbot does not support.
    #[error("unsupported database URL `{0}`: use `sqlite://PATH` or `postgres://USER@HOST/DB`")]
    UnsupportedUrl(String),
    /// The database could not be reached or opened.
    #[error("cannot open the database at {url}: {cause}")]
    Connect {
        /// Where it was looked for, without any password.
        url: String,
        /// Why it failed.
        cause: sqlx::Error,
    },
    /// A migration failed; nothing of it was applied.
    #[error("migration {owner} {version} ({description}) failed: {cause}")]
    Migration {
        /// Which part of councilbot owns it.
        owner: String,
        /// Its number.
        version: i64,
        /// What it does.
        description: String,
        /// Why it failed.
        cause: sqlx::Error,
    },
    /// A query failed.
    #[error("database error: {0}")]
    Query(sqlx::Error),
}

impl From<sqlx::Error> for StorageError {
    fn from(error: sqlx::Error) -> StorageError {
        StorageError::Query(error)
    }
}

/// Which database engine is behind a [`Database`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file (or memory).
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// One change to the schema, written for both engines.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// Its number; migrations of one owner apply in increasing order.
    pub version: i64,
    /// What it does.
    pub description: &'static str,
    /// The SQL for SQLite.
    pub sqlite: &'static str,
    /// The SQL for PostgreSQL.
    pub postgres: &'static str,
}

/// A pool of connections to the database.
#[derive(Debug, Clone)]
pub struct Database {
    pool: AnyPool,
    /// The one connection that writes to a SQLite file; `None` where the pool writes.
    writer: Option<AnyPool>,
    backend: Backend,
    url: String,
}

impl Database {
    /// Opens the database at a URL: `sqlite://PATH` (created if missing), `sqlite::memory:`, or
    /// `postgres://...`.
    pub async fn connect(url: &str) -> Result<Database, StorageError> {
        install_default_drivers();
        let backend: Backend = url.parse()?;
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let mut options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(30));
        if let Some(file) = sqlite_path(url).filter(|_| backend == Backend::Sqlite && !in_memory) {
            let unmade = |path: &Path, error| StorageError::Connect {
                url: path.display().to_string(),
                cause: sqlx::Error::Io(error),
            };
            if let Some(parent) = file.parent().filter(|parent| !parent.as_os_str().is_empty()) {
                files::create_private_dir(parent).map_err(|error| unmade(parent, error))?;
            }
            // The file holds transcripts and password hashes, so only its owner may read it; SQLite
            // gives the -wal and -shm files it makes beside it the same permissions.
            files::create_private_file(&file).map_err(|error| unmade(&file, error))?;
        }
        let url = match backend {
            Backend::Sqlite => {
                // A connection to a file on this machine cannot go stale, so it is not pinged each
                // time it is taken from the pool: the ping is a round trip to the connection's
                // thread that doubled what every statement cost.
                options = options.max_connections(if in_memory { 1 } else { 8 }).test_before_acquire(false);
                options = options.after_connect(|connection, _| {
                    Box::pin(async move {
                        connection.execute("PRAGMA busy_timeout = 10000").await?;
                        connection.execute("PRAGMA foreign_keys = ON").await?;
                        // With the write-ahead log this survives any crash of the process; only
                        // the last moments before a power cut could be lost.
                        connection.execute("PRAGMA synchronous = NORMAL").await?;
                        Ok(())
                    })
                });
                if in_memory || url.contains('?') { url.to_string() } else { format!("{url}?mode=rwc") }
            }
            Backend::Postgres => {
                options = options.max_connections(16);
                url.to_string()
            }
        };
        let unopened = |cause| StorageError::Connect { url: redact_url(&url), cause };
        let pool = options.clone().connect(&url).await.map_err(unopened)?;
        let writer = if backend == Backend::Sqlite && !in_memory {
            pool.execute("PRAGMA journal_mode = WAL").await?;
            // SQLite lets one connection write at a time, and one that finds another writing
            // sleeps a millisecond or more before it tries again; writes that go through one
            // connection queue for it instead, in the order they came. It is opened on
            // first use, so a database nobody writes to this way costs nothing more.
            Some(options.max_connections(1).connect_lazy(&url).map_err(unopened)?)
        } else {
            None
        };
        Ok(Database { pool, writer, backend, url })
    }

    /// Tells every connection listening on a channel of this PostgreSQL database (nothing on
    /// SQLite, where there is only one instance).
    pub async fn notify(&self, channel: &str, payload: &str) -> Result<(), StorageError> {
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT count(*) FROM (SELECT pg_notify($1, $2)) AS sent")
                .bind(channel)
                .bind(payload)
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// Listens to a channel of this PostgreSQL database on a connection of its own, which comes
    /// back by itself after it is lost; `None` on SQLite.
    pub async fn listen(&self, channel: &str) -> Result<Option<sqlx::postgres::PgListener>, StorageError> {
        if self.backend != Backend::Postgres {
            return Ok(None);
        }
        let mut listener = sqlx::postgres::PgListener::connect(&self.url)
            .await
            .map_err(|cause| StorageError::Connect { url: redact_url(&self.url), cause })?;
        listener.listen(channel).await?;
        Ok(Some(listener))
    }

    /// Opens (creating if needed) the SQLite file at `path`.
    pub async fn open_file(path: &Path) -> Result<Database, StorageError> {
        if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
            files::create_private_dir(parent).map_err(|error| StorageError::Connect {
                url: path.display().to_string(),
                cause: sqlx::Error::Io(error),
            })?;
        }
        Database::connect(&format!("sqlite://{}", path.display())).await
    }

    /// The connection pool, for statements that only read.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The pool for every statement that writes: one connection on a SQLite file, so that
    /// writers queue for it in the order they came rather than for SQLite's lock, which is not
    /// a queue (a writer that has waited longest asks least often and can be passed over until
    /// its busy timeout runs out, while the machine is busy).
    pub fn writer(&self) -> &AnyPool {
        self.writer.as_ref().unwrap_or(&self.pool)
    }

    /// Starts a transaction that will write, on the writer's connection. On SQLite it takes the
    /// write lock as it begins: a transaction that read first and only then wrote would be
    /// refused at once ("database is locked", without waiting) if another process wrote
    /// meanwhile.
    pub async fn begin_write(&self) -> Result<Transaction<'static, Any>, StorageError> {
        Ok(match self.backend {
            Backend::Sqlite => self.writer().begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.writer().begin().await?,
        })
    }

    /// Which engine this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies the migrations of `owner` not yet applied, each in its own transaction.
    pub async fn migrate(&self, owner: &str, migrations: &[Migration]) -> Result<(), StorageError> {
        self.writer()
            .execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (owner TEXT NOT NULL, version BIGINT NOT NULL, \
                 description TEXT NOT NULL, applied_at BIGINT NOT NULL, PRIMARY KEY (owner, version))",
            )
            .await?;
        for migration in migrations {
            let mut transaction = self.begin_write().await?;
            if self.backend == Backend::Postgres {
                // Two instances starting together must not apply the same migration twice.
                sqlx::query("SELECT pg_advisory_xact_lock(7164002)").execute(&mut *transaction).await?;
            }
            let failed = |cause| StorageError::Migration {
                owner: owner.to_string(),
                version: migration.version,
                description: migration.description.to_string(),
                cause,
            };
            // Claiming the migration is the transaction's first statement and a write, so SQLite
            // takes its write lock at once and a second instance waits, then finds it applied.
            let claimed = sqlx::query(
                "INSERT INTO schema_migrations (owner, version, description, applied_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (owner, version) DO NOTHING",
            )
            .bind(owner)
            .bind(migration.version)
            .bind(migration.description)
            .bind(now_millis())
            .execute(&mut *transaction)
            .await
            .map_err(failed)?
            .rows_affected();
            if claimed == 0 {
                continue;
            }
            let sql = match self.backend {
                Backend::Sqlite => migration.sqlite,
                Backend::Postgres => migration.postgres,
            };
            transaction.execute(sql).await.map_err(failed)?;
            transaction.commit().await?;
        }
        Ok(())
    }

    /// Closes every connection.
    pub async fn close(&self) {
        if let Some(writer) = &self.writer {
            writer.close().await;
        }
        self.pool.close().await;
    }
}

/// The file a `sqlite:` URL names, if it names one (not for an in-memory database).
pub fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && !path.starts_with(':')).then(|| std::path::PathBuf::from(path))
}

/// The time now, in milliseconds since 1970, as the database stores times.
pub fn now_millis() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|elapsed| elapsed.as_millis() as i64).unwrap_or_default()
}

/// A database URL with any password replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let Some((credentials, host)) = rest.split_once('@') else { return url.to_string() };
    match credentials.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

impl FromStr for Backend {
    type Err = StorageError;
    fn from_str(url: &str) -> Result<Backend, StorageError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StorageError::UnsupportedUrl(redact_url(url)))
        }
    }
}
