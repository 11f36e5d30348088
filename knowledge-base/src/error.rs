//! Errors of the knowledge base.

use std::path::PathBuf;

/// Everything that can go wrong building, opening or searching a knowledge base.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A directory given to be indexed does not exist or is not a directory.
    #[error("{path}: not a directory")]
    NotADirectory {
        /// The path given.
        path: PathBuf,
    },
    /// The search index could not be opened, read or written.
    #[error("search index at {path}: {source}")]
    Index {
        /// The index directory.
        path: PathBuf,
        /// The underlying Tantivy error.
        source: tantivy::TantivyError,
    },
    /// No index has been built in the directory yet.
    #[error("no index in {path}: build one first with `councilbot index <DIR>`")]
    NoIndex {
        /// The directory that holds no index.
        path: PathBuf,
    },
    /// The index was built by an incompatible version and must be rebuilt.
    #[error("search index at {path} has an unsupported layout ({detail}): delete it and index again")]
    IncompatibleIndex {
        /// The index directory.
        path: PathBuf,
        /// What does not match.
        detail: String,
    },
    /// A tokenizer file could not be loaded or a tokenizer could not be trained.
    #[error("tokenizer {origin}: {message}")]
    Tokenizer {
        /// Where the tokenizer came from (a file path, or "built-in").
        origin: String,
        /// What went wrong.
        message: String,
    },
    /// A thesaurus file that is not valid.
    #[error("{origin}:{line}: {message}")]
    Thesaurus {
        /// The file (or "built-in thesaurus").
        origin: String,
        /// The line, counting from 1.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// Chunking settings that cannot work together.
    #[error("invalid chunk settings: {0}")]
    ChunkSettings(String),
}

/// The result type of the knowledge base.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An I/O error on a path.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }

    /// A Tantivy error on the index at a path.
    pub(crate) fn index(path: impl Into<PathBuf>, source: tantivy::TantivyError) -> Self {
        Error::Index { path: path.into(), source }
    }
}
