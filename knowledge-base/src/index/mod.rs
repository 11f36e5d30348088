//! The Tantivy index: building it, opening it, and searching it.

mod analysed_thesaurus;
mod build;
mod compound;
mod schema;
mod search;
mod spelling;
mod stored_terms;
mod welsh;
mod welsh_to_english;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tantivy::directory::MmapDirectory;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Index, IndexReader, ReloadPolicy};

pub use build::{IndexEvent, IndexReport, IndexSettings, Skipped, build_index};
pub use search::{AnalysedPassage, Hit, Passage, QueryTerm, SearchRequest, SearchResults, Snippet, escape_html};

use crate::document::Audience;
use crate::error::{Error, Result};
use crate::language::Language;
use crate::memo::Memo;
use crate::thesaurus::Thesaurus;
use analysed_thesaurus::AnalysedThesaurus;
use schema::{ANALYZER, Fields, english_analyzer};
use welsh::{WELSH_ANALYZER, welsh_analyzer};

/// Pages whose analysed terms are remembered.
const PAGES_REMEMBERED: usize = 20_000;
/// Passages whose analysed sentences are remembered.
const PASSAGES_REMEMBERED: usize = 50_000;

/// A built index opened for searching; cheap to share between threads.
pub struct KnowledgeBase {
    thesaurus: Thesaurus,
    welsh_thesaurus: Thesaurus,
    reader: IndexReader,
    fields: Fields,
    english_analyzer: TextAnalyzer,
    welsh_analyzer: TextAnalyzer,
    dir: PathBuf,
    /// The analysed terms of whole pages, by document and viewer, for the index as loaded.
    page_terms: Memo<(String, Audience), Arc<HashSet<String>>>,
    /// Passages split into analysed sentences, by passage id, for the index as loaded.
    analysed_passages: Memo<String, Arc<AnalysedPassage>>,
    /// The neighbouring terms of the English vocabulary's phrases.
    english_pairs: PhrasePairs,
    /// The neighbouring terms of the Welsh vocabulary's phrases.
    welsh_pairs: PhrasePairs,
    /// The Welsh vocabulary's phrases as analysed terms, found whatever their mutation.
    welsh_phrases: AnalysedThesaurus,
}

/// For each analysed term, the terms that follow it in some phrase of a vocabulary ("gas" then
/// "servic"): the only neighbours a term set needs to hold to tell a phrase from its words.
type PhrasePairs = HashMap<String, HashSet<String>>;

/// The neighbouring terms of a thesaurus's phrases, analysed as a language's text is.
fn phrase_pairs(phrases: &AnalysedThesaurus) -> PhrasePairs {
    let mut pairs = PhrasePairs::new();
    for terms in phrases.groups().flatten() {
        for pair in terms.windows(2) {
            pairs.entry(pair[0].clone()).or_default().insert(pair[1].clone());
        }
    }
    pairs
}

impl KnowledgeBase {
    /// Opens the index in `dir` for searching; it must have been built.
    pub fn open(dir: &Path) -> Result<KnowledgeBase> {
        if !dir.join("meta.json").is_file() {
            return Err(Error::NoIndex { path: dir.to_path_buf() });
        }
        let (index, fields) = open_or_create(dir)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(|source| Error::index(dir, source))?;
        let (english_analyzer, welsh_analyzer) = (english_analyzer(), welsh_analyzer());
        let (thesaurus, welsh_thesaurus) = (Thesaurus::built_in(), Thesaurus::built_in_welsh());
        let welsh_phrases = AnalysedThesaurus::new(&welsh_thesaurus, &welsh_analyzer);
        Ok(KnowledgeBase {
            english_pairs: phrase_pairs(&AnalysedThesaurus::new(&thesaurus, &english_analyzer)),
            welsh_pairs: phrase_pairs(&welsh_phrases),
            welsh_phrases,
            thesaurus,
            welsh_thesaurus,
            reader,
            fields,
            english_analyzer,
            welsh_analyzer,
            dir: dir.to_path_buf(),
            page_terms: Memo::new(PAGES_REMEMBERED),
            analysed_passages: Memo::new(PASSAGES_REMEMBERED),
        })
    }

    /// Uses another thesaurus to link residents' words to the content's.
    pub fn with_thesaurus(mut self, thesaurus: Thesaurus) -> KnowledgeBase {
        self.english_pairs = phrase_pairs(&AnalysedThesaurus::new(&thesaurus, &self.english_analyzer));
        self.thesaurus = thesaurus;
        self.page_terms.clear();
        self.analysed_passages.clear();
        self
    }

    /// Uses another thesaurus to link Welsh speakers' words to the Welsh content's.
    pub fn with_welsh_thesaurus(mut self, thesaurus: Thesaurus) -> KnowledgeBase {
        self.welsh_phrases = AnalysedThesaurus::new(&thesaurus, &self.welsh_analyzer);
        self.welsh_pairs = phrase_pairs(&self.welsh_phrases);
        self.welsh_thesaurus = thesaurus;
        self.page_terms.clear();
        self.analysed_passages.clear();
        self
    }

    /// Picks up changes committed since the index was opened.
    pub fn reload(&self) -> Result<()> {
        self.reader.reload().map_err(|source| Error::index(&self.dir, source))?;
        self.page_terms.clear();
        self.analysed_passages.clear();
        Ok(())
    }

    /// The number of passages that can be searched.
    pub fn passage_count(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// An analyzer of text in a language, for this caller alone.
    fn analyzer(&self, language: Language) -> TextAnalyzer {
        match language {
            Language::English => self.english_analyzer.clone(),
            Language::Welsh => self.welsh_analyzer.clone(),
        }
    }

    /// The directory the index lives in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Opens the index in `dir`, creating an empty one when there is none, and checks its schema.
fn open_or_create(dir: &Path) -> Result<(Index, Fields)> {
    std::fs::create_dir_all(dir).map_err(|source| Error::io(dir, source))?;
    let directory = MmapDirectory::open(dir).map_err(|error| Error::index(dir, error.into()))?;
    let (schema, fields) = Fields::schema();
    let index = Index::open_or_create(directory, schema).map_err(|source| match source {
        tantivy::TantivyError::SchemaError(detail) => Error::IncompatibleIndex { path: dir.to_path_buf(), detail },
        source => Error::index(dir, source),
    })?;
    index.tokenizers().register(ANALYZER, english_analyzer());
    index.tokenizers().register(WELSH_ANALYZER, welsh_analyzer());
    Ok((index, fields))
}

/// A service area name as a facet segment: lowercase words joined by hyphens.
pub(crate) fn slug(text: &str) -> String {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join("-")
}
