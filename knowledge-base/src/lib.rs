//! Council content in, ranked passages out: ingest HTML, Markdown, text and PDF; chunk by
//! tokens along sections; index with Tantivy; search leniently with snippets and facets.

pub mod chunk;
pub mod document;
mod error;
pub mod extract;
mod index;
pub use uk::language;
pub mod memo;
mod panics;
pub mod sources;
#[cfg(any(test, feature = "test-support"))]
pub mod test_support;
pub mod text;
mod thesaurus;
pub mod tokenizer;

pub use chunk::{Chunk, ChunkSettings};
pub use document::{Audience, Document, Section};
pub use error::{Error, Result};
pub use index::{
    AnalysedPassage, Hit, IndexEvent, IndexReport, IndexSettings, KnowledgeBase, Passage, QueryTerm, SearchRequest,
    SearchResults, Skipped, Snippet, build_index, escape_html,
};
pub use language::Language;
pub use panics::quiet_contained_panics;
pub use thesaurus::Thesaurus;
pub use tokenizer::{TokenCounter, train_tokenizer, train_tokenizer_on_dirs};
