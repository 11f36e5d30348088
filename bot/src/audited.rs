//! What the council's own audited rows share (curated answers, examples of services): their
//! tables live in the conversations' database, whose audit log records every change; a number
//! that grows with every change notices changes cheaply; and an import from files leaves alone
//! what was changed (in the console) since its file was written.

use storage::sqlx::{self, Row};
use storage::{Database, Migration, StorageError};

use crate::conversation::ConversationStore;

/// The conversations' database, with the tables of `owner` created or brought up to date.
pub(crate) async fn open(
    conversations: &ConversationStore,
    owner: &str,
    migrations: &[Migration],
) -> Result<Database, StorageError> {
    let database = conversations.database().clone();
    database.migrate(owner, migrations).await?;
    Ok(database)
}

/// The highest `seq` of a table of changes (0 when it has none): it grows with every change.
pub(crate) async fn revision(database: &Database, changes_table: &str) -> Result<i64, sqlx::Error> {
    let row = sqlx::query(&format!("SELECT COALESCE(MAX(seq), 0) AS revision FROM {changes_table}"))
        .fetch_one(database.pool())
        .await?;
    row.try_get("revision")
}

/// Splits what files hold into what to import and what `is_older` finds to be an older copy of
/// what is stored now (changed since the file was written, and kept), each in the files' order.
pub(crate) async fn split_older<T, E>(
    values: Vec<T>,
    is_older: impl AsyncFn(&T) -> Result<bool, E>,
) -> Result<(Vec<T>, Vec<T>), E> {
    let mut newer = Vec::with_capacity(values.len());
    let mut older = Vec::new();
    for value in values {
        if is_older(&value).await? {
            older.push(value);
        } else {
            newer.push(value);
        }
    }
    Ok((newer, older))
}
