//! Answers the council curates: written by its staff for the questions everyone asks, each with
//! example questions and the page it comes from, kept with every version and given before the
//! council's pages are searched.

mod check;
mod files;
mod matcher;
mod store;

use serde::{Deserialize, Serialize};

pub use check::{Field, LONGEST_ID, Problem, is_id};
pub use files::{file_name, read_answers, write_answers};
pub use matcher::{CuratedMatch, CuratedMatcher, DEFAULT_CURATED_ANSWER_THRESHOLD};
pub use store::{Change, CuratedStore, Saved};

use crate::audited::split_older;
use crate::conversation::Audience;
use crate::yaml_file::FilesError;

/// The page a curated answer comes from, cited with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerSource {
    /// The page's address.
    pub url: String,
    /// The page's title.
    pub title: String,
}

/// What a curated answer says, as written in its file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CuratedAnswer {
    /// Its id, a slug such as `council-tax-payment-dates`.
    pub id: String,
    /// The answer given.
    pub answer: String,
    /// The page it comes from.
    pub source: AnswerSource,
    /// Questions it answers, as people ask them.
    pub examples: Vec<String>,
    /// Whether it is given; switched off, it is kept but never given.
    pub enabled: bool,
    /// Who it is given to: residents (and staff), or staff only.
    pub audience: Audience,
}

/// A curated answer as stored: its latest version, and who made it when.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredAnswer {
    /// What it says.
    #[serde(flatten)]
    pub answer: CuratedAnswer,
    /// The number of this version, from 1.
    pub version: i64,
    /// Who made this version.
    pub changed_by: String,
    /// When, in milliseconds since 1970.
    pub changed_at: i64,
}

/// What can go wrong with curated answers.
#[derive(Debug, thiserror::Error)]
pub enum CuratedError {
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] storage::StorageError),
    /// A stored answer holds a value councilbot does not know.
    #[error("curated answer `{id}` in the database cannot be read: {detail}")]
    Unreadable {
        /// The answer.
        id: String,
        /// What is wrong.
        detail: String,
    },
    /// Someone else changed the answer while this change was made.
    #[error("curated answer `{0}` was changed by someone else meanwhile; try again")]
    Conflict(String),
    /// A new answer was to be added with the id of one that exists.
    #[error("there is already a curated answer `{0}`")]
    Exists(String),
    /// Answer files could not be read or written, or have errors (and nothing was imported).
    #[error(transparent)]
    Files(#[from] FilesError),
}

impl From<storage::sqlx::Error> for CuratedError {
    fn from(error: storage::sqlx::Error) -> CuratedError {
        CuratedError::Storage(storage::StorageError::Query(error))
    }
}

/// Imports every answer file of a directory as `actor`, all or nothing: a file with an error
/// refuses the import, and each changed answer becomes a new version.
pub async fn import(
    store: &CuratedStore,
    directory: &std::path::Path,
    actor: &str,
) -> Result<Vec<Saved>, CuratedError> {
    let answers = read_answers(directory)?;
    store.save_all(&answers, actor).await
}

/// Imports the answer files of a directory as [`import`] does, except a file that holds an
/// older version of its answer: that answer was changed since (in the console), and the change
/// is kept rather than undone. Returns what was saved and the ids of the answers kept.
pub async fn import_newer(
    store: &CuratedStore,
    directory: &std::path::Path,
    actor: &str,
) -> Result<(Vec<Saved>, Vec<String>), CuratedError> {
    let (answers, older) =
        split_older(read_answers(directory)?, async |answer| store.is_older_version(answer).await).await?;
    let kept = older.into_iter().map(|answer| answer.id).collect();
    Ok((store.save_all(&answers, actor).await?, kept))
}
