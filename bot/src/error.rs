//! Errors of the conversation engine.

use std::path::PathBuf;

/// Everything that can go wrong answering or evaluating.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The knowledge base failed.
    #[error(transparent)]
    KnowledgeBase(#[from] knowledge_base::Error),
    /// A golden set file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A golden set file is not valid.
    #[error("{path}: {message}")]
    GoldenSet {
        /// The file.
        path: PathBuf,
        /// What is wrong, and where.
        message: String,
    },
}

/// The result type of the conversation engine.
pub type Result<T, E = Error> = std::result::Result<T, E>;
