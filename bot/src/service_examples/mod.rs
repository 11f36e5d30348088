//! Examples the council adds to its services: messages the bot did not recognise as a request,
//! each added by a member of staff as another way of asking for a service, recognised together
//! with the examples in the workflow's own file, and kept with every addition and removal.

mod files;
mod store;

use serde::Serialize;

pub use files::{file_name, read_examples, write_examples};
pub use store::ServiceExampleStore;

use crate::audited::split_older;
use crate::yaml_file::FilesError;

/// The longest example, in characters.
pub const LONGEST_EXAMPLE: usize = 300;

/// The examples added to one service, as written in its file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceExamples {
    /// The service: its workflow's name, such as `report_missed_bin`.
    pub service: String,
    /// The examples, as people write them.
    pub examples: Vec<String>,
}

/// An example added to a service, with who added it and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AddedExample {
    /// The service's workflow.
    pub service: String,
    /// The example.
    pub example: String,
    /// Who added it.
    pub added_by: String,
    /// When, in milliseconds since 1970.
    pub added_at: i64,
}

/// Whether an example was added or removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExampleChange {
    /// It was added.
    Added,
    /// It was removed.
    Removed,
}

impl ExampleChange {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        storage::names::name_of(&self)
    }

    /// The action recorded in the audit log.
    fn audit_action(self) -> &'static str {
        match self {
            ExampleChange::Added => "add_service_example",
            ExampleChange::Removed => "remove_service_example",
        }
    }
}

/// One addition or removal, as kept in the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExampleEvent {
    /// The service's workflow.
    pub service: String,
    /// The example.
    pub example: String,
    /// Added or removed.
    pub change: ExampleChange,
    /// Who did it.
    pub changed_by: String,
    /// When, in milliseconds since 1970.
    pub changed_at: i64,
}

/// What importing one service's file changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Imported {
    /// The service's workflow.
    pub service: String,
    /// The examples added.
    pub added: Vec<String>,
    /// The examples removed, since the file no longer has them.
    pub removed: Vec<String>,
}

/// What can go wrong with the examples of services.
#[derive(Debug, thiserror::Error)]
pub enum ExampleError {
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] storage::StorageError),
    /// A stored change holds a value councilbot does not know.
    #[error("a change to the examples of `{service}` in the database cannot be read: {detail}")]
    Unreadable {
        /// The service.
        service: String,
        /// What is wrong.
        detail: String,
    },
    /// What was given cannot be an example of a service.
    #[error("{0}")]
    Invalid(String),
    /// Example files could not be read or written, or have errors (and nothing was imported).
    #[error(transparent)]
    Files(#[from] FilesError),
}

impl From<storage::sqlx::Error> for ExampleError {
    fn from(error: storage::sqlx::Error) -> ExampleError {
        ExampleError::Storage(storage::StorageError::Query(error))
    }
}

/// Whether a text can name a service: a workflow's name, in `snake_case`.
pub fn is_service_name(text: &str) -> bool {
    let mut chars = text.chars();
    text.len() <= 100
        && chars.next().is_some_and(|first| first.is_ascii_lowercase() || first == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// An example as kept (its spaces tidied), or what is wrong with it, in lowercase.
pub fn tidy_example(text: &str) -> Result<String, String> {
    let tidy = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if tidy.is_empty() {
        return Err("the example is empty".into());
    }
    if tidy.chars().count() > LONGEST_EXAMPLE {
        return Err(format!("an example may be at most {LONGEST_EXAMPLE} characters"));
    }
    if tidy.chars().any(char::is_control) {
        return Err("an example cannot hold control characters".into());
    }
    Ok(tidy)
}

/// Imports every example file of a directory as `actor`, all or nothing: a file with an error
/// refuses the import, and each service with a file gets exactly the examples its file lists.
pub async fn import(
    store: &ServiceExampleStore,
    directory: &std::path::Path,
    actor: &str,
) -> Result<Vec<Imported>, ExampleError> {
    let sets = read_examples(directory)?;
    store.replace(&sets, actor).await
}

/// Imports the example files of a directory as [`import`] does, except a file that lists the
/// examples its service had before a later change (in the console): the change is kept rather
/// than undone. Returns what was imported and the services kept.
pub async fn import_newer(
    store: &ServiceExampleStore,
    directory: &std::path::Path,
    actor: &str,
) -> Result<(Vec<Imported>, Vec<String>), ExampleError> {
    let (sets, older) = split_older(read_examples(directory)?, async |set| store.is_older_set(set).await).await?;
    let kept = older.into_iter().map(|set| set.service).collect();
    Ok((store.replace(&sets, actor).await?, kept))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_are_tidied_and_names_checked() {
        assert_eq!(tidy_example("  the bin men\n skipped   us ").as_deref(), Ok("the bin men skipped us"));
        assert!(tidy_example(" \n ").is_err());
        assert!(tidy_example(&"a".repeat(LONGEST_EXAMPLE + 1)).is_err());
        assert!(is_service_name("report_missed_bin") && !is_service_name("Report-Missed") && !is_service_name(""));
    }
}
