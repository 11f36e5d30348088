//! Builds and updates the index incrementally from directories of content.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tantivy::directory::error::LockError;
use tantivy::directory::{Directory, INDEX_WRITER_LOCK, MmapDirectory};
use tantivy::schema::Facet;
use tantivy::{Index, IndexWriter, TantivyDocument, TantivyError, Term};

use super::schema::Fields;
use super::{open_or_create, slug};
use crate::chunk::{ChunkSettings, chunk_document};
use crate::document::Audience;
use crate::error::{Error, Result};
use crate::extract::extract;
use crate::language::Language;
use crate::sources::{SourceFile, discover, read_limited};
use crate::tokenizer::{TokenCounter, hex};

/// Version of the way documents are turned into passages and terms (extraction, chunking, the
/// analyzer's stop words); a change rebuilds every index.
const PIPELINE_VERSION: u32 = 6;

/// What an index build needs to know besides the directories.
#[derive(Debug, Clone)]
pub struct IndexSettings {
    /// Passage length limits.
    pub chunks: ChunkSettings,
    /// Files larger than this many bytes are skipped.
    pub max_file_bytes: u64,
    /// Prefix for the URL of documents that declare none (else their path is used).
    pub base_url: Option<String>,
}

impl Default for IndexSettings {
    fn default() -> Self {
        IndexSettings { chunks: ChunkSettings::default(), max_file_bytes: 20 * 1024 * 1024, base_url: None }
    }
}

/// Something that happened while indexing, for progress display.
#[derive(Debug)]
pub enum IndexEvent<'a> {
    /// The files to look at have been found.
    Found {
        /// How many content files there are.
        files: usize,
    },
    /// A file has been looked at.
    Processed {
        /// The file.
        path: &'a Path,
    },
    /// A file was skipped.
    Skipped(&'a Skipped),
}

/// A file that was not indexed, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    /// The file.
    pub path: PathBuf,
    /// Why it was skipped.
    pub reason: String,
    /// Whether an earlier version of it stays in the index.
    pub kept_previous: bool,
}

/// The outcome of an index build.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IndexReport {
    /// Documents new to the index.
    pub added: usize,
    /// Documents whose content changed.
    pub updated: usize,
    /// Documents already indexed as they are.
    pub unchanged: usize,
    /// Documents removed because their file is gone.
    pub removed: usize,
    /// Files that could not be indexed.
    pub skipped: Vec<Skipped>,
    /// Files passed over because they are not content (images, stylesheets and the like).
    pub ignored: usize,
    /// Documents in the index afterwards.
    pub documents: usize,
    /// Passages in the index afterwards.
    pub passages: usize,
    /// Whether everything was re-indexed because the settings or tokenizer changed.
    pub rebuilt: bool,
}

/// What the index remembers about its documents, stored with each commit.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Manifest {
    /// Identifies the settings and tokenizer the index was built with.
    settings: String,
    /// Document key to what was indexed for it.
    documents: BTreeMap<String, IndexedDocument>,
}

/// Memory the index writer may use before it writes a segment.
const WRITER_MEMORY_BYTES: usize = 100_000_000;

/// How long a build waits while another process builds the same index.
const WAIT_FOR_OTHER_BUILDER: Duration = Duration::from_secs(600);

#[derive(Debug, Clone, Serialize, Deserialize)]
struct IndexedDocument {
    /// SHA-256 of the file's bytes.
    hash: String,
    /// How many passages it produced.
    passages: usize,
}

/// The result of looking at one file.
enum Outcome {
    Unchanged,
    Indexed { hash: String, documents: Vec<TantivyDocument> },
    Skipped(String),
}

/// Builds or updates the index in `index_dir` from the content under `roots`.
pub fn build_index(
    index_dir: &Path,
    roots: &[PathBuf],
    settings: &IndexSettings,
    counter: &TokenCounter,
    progress: &(dyn Fn(IndexEvent<'_>) + Sync),
) -> Result<IndexReport> {
    settings.chunks.validate()?;
    let mut found = Vec::new();
    let mut report = IndexReport::default();
    let mut root_keys = Vec::new();
    for root in roots {
        let (files, ignored) = discover(root)?;
        let absolute = std::fs::canonicalize(root).map_err(|source| Error::io(root, source))?;
        root_keys.push(format!("{}{}", absolute.display(), std::path::MAIN_SEPARATOR));
        report.ignored += ignored;
        found.extend(files);
    }
    progress(IndexEvent::Found { files: found.len() });

    let (index, fields) = open_for_building(index_dir)?;
    let indexing_failed = |source| Error::index(index_dir, source);
    // Read what is indexed only once this process may write: another that shares the
    // directory may have just brought it up to date, leaving nothing to do here.
    let mut writer = writer_when_free(&index, index_dir)?;
    let mut manifest = read_manifest(&index);
    // Everything that shapes the stored passages: a change re-indexes every document.
    let fingerprint = format!(
        "v{PIPELINE_VERSION}:{}:{}:{}:{}",
        counter.fingerprint(),
        settings.chunks.max_tokens,
        settings.chunks.overlap_tokens,
        settings.base_url.as_deref().unwrap_or_default()
    );
    if manifest.settings != fingerprint {
        report.rebuilt = !manifest.documents.is_empty();
        writer.delete_all_documents().map_err(indexing_failed)?;
        manifest = Manifest { settings: fingerprint, documents: BTreeMap::new() };
    }

    let outcomes: Vec<(&SourceFile, Outcome)> = found
        .par_iter()
        .map(|file| {
            let outcome = look_at(file, &manifest, settings, counter, fields);
            progress(IndexEvent::Processed { path: &file.path });
            (file, outcome)
        })
        .collect();

    let mut seen = HashSet::new();
    let mut changed = report.rebuilt;
    for (file, outcome) in outcomes {
        if !seen.insert(file.key.clone()) {
            continue;
        }
        match outcome {
            Outcome::Unchanged => report.unchanged += 1,
            Outcome::Indexed { hash, documents } => {
                let previous = manifest.documents.contains_key(&file.key);
                writer.delete_term(Term::from_field_text(fields.document, &file.key));
                let passages = documents.len();
                for document in documents {
                    writer.add_document(document).map_err(indexing_failed)?;
                }
                manifest.documents.insert(file.key.clone(), IndexedDocument { hash, passages });
                if previous {
                    report.updated += 1
                } else {
                    report.added += 1
                }
                changed = true;
            }
            Outcome::Skipped(reason) => {
                let skipped = Skipped {
                    path: file.path.clone(),
                    reason,
                    kept_previous: manifest.documents.contains_key(&file.key),
                };
                progress(IndexEvent::Skipped(&skipped));
                report.skipped.push(skipped);
            }
        }
    }

    let gone: Vec<String> = manifest
        .documents
        .keys()
        .filter(|key| !seen.contains(*key) && root_keys.iter().any(|root| key.starts_with(root)))
        .cloned()
        .collect();
    for key in gone {
        writer.delete_term(Term::from_field_text(fields.document, &key));
        manifest.documents.remove(&key);
        report.removed += 1;
        changed = true;
    }

    if changed {
        let payload = serde_json::to_string(&manifest)
            .map_err(|error| Error::IncompatibleIndex { path: index_dir.to_path_buf(), detail: error.to_string() })?;
        let mut commit = writer.prepare_commit().map_err(indexing_failed)?;
        commit.set_payload(&payload);
        commit.commit().map_err(indexing_failed)?;
        writer.wait_merging_threads().map_err(indexing_failed)?;
    }
    report.documents = manifest.documents.len();
    report.passages = manifest.documents.values().map(|document| document.passages).sum();
    Ok(report)
}

/// Opens the index to bring it up to date. An index of an older layout is emptied first, once
/// no other process is building it: it is made from the content alone, which is indexed again.
fn open_for_building(index_dir: &Path) -> Result<(Index, Fields)> {
    if !matches!(open_or_create(index_dir), Err(Error::IncompatibleIndex { .. })) {
        return open_or_create(index_dir);
    }
    let directory = MmapDirectory::open(index_dir).map_err(|error| Error::index(index_dir, error.into()))?;
    let started = Instant::now();
    let lock = loop {
        match directory.acquire_lock(&INDEX_WRITER_LOCK) {
            Err(LockError::LockBusy) if started.elapsed() < WAIT_FOR_OTHER_BUILDER => {
                std::thread::sleep(Duration::from_millis(250));
            }
            outcome => {
                break outcome.map_err(|error| Error::index(index_dir, TantivyError::LockFailure(error, None)))?;
            }
        }
    };
    // Another process may have rebuilt it while this one waited.
    if matches!(open_or_create(index_dir), Err(Error::IncompatibleIndex { .. })) {
        let entries = std::fs::read_dir(index_dir).map_err(|source| Error::io(index_dir, source))?;
        for entry in entries {
            let path = entry.map_err(|source| Error::io(index_dir, source))?.path();
            let is_lock = path.file_name().is_some_and(|name| name.to_string_lossy().ends_with(".lock"));
            if path.is_file() && !is_lock {
                std::fs::remove_file(&path).map_err(|source| Error::io(&path, source))?;
            }
        }
    }
    drop(lock);
    open_or_create(index_dir)
}

/// The index's writer, once no other process holds it (another instance building the same
/// shared index), waiting up to [`WAIT_FOR_OTHER_BUILDER`].
fn writer_when_free(index: &Index, index_dir: &Path) -> Result<IndexWriter> {
    let started = Instant::now();
    loop {
        match index.writer(WRITER_MEMORY_BYTES) {
            Err(TantivyError::LockFailure(LockError::LockBusy, _)) if started.elapsed() < WAIT_FOR_OTHER_BUILDER => {
                std::thread::sleep(Duration::from_millis(250));
            }
            outcome => return outcome.map_err(|source| Error::index(index_dir, source)),
        }
    }
}

/// The manifest stored with the last commit, or an empty one.
fn read_manifest(index: &Index) -> Manifest {
    index
        .load_metas()
        .ok()
        .and_then(|metas| metas.payload)
        .and_then(|payload| serde_json::from_str(&payload).ok())
        .unwrap_or_default()
}

/// Reads, and when it changed extracts and chunks, one file.
fn look_at(
    file: &SourceFile,
    manifest: &Manifest,
    settings: &IndexSettings,
    counter: &TokenCounter,
    fields: Fields,
) -> Outcome {
    let bytes = match read_limited(&file.path, settings.max_file_bytes) {
        Ok(bytes) => bytes,
        Err(reason) => return Outcome::Skipped(reason),
    };
    let hash = hex(&Sha256::digest(&bytes));
    if manifest.documents.get(&file.key).is_some_and(|indexed| indexed.hash == hash) {
        return Outcome::Unchanged;
    }
    let document = match extract(file.format, &bytes, &file.stem()) {
        Ok(document) => document,
        Err(error) => return Outcome::Skipped(error.to_string()),
    };
    let url = file.address(document.url.as_deref(), settings.base_url.as_deref());
    let area =
        document.service_area.clone().or_else(|| file.folder_service_area()).unwrap_or_else(|| "general".to_string());
    let audience: Audience = document.audience.unwrap_or_else(|| file.folder_audience());
    let language = document_language(&document, &url, &file.relative);
    let text = fields.text(language);
    let mut analyzer = match language {
        Language::English => super::schema::english_analyzer(),
        Language::Welsh => super::welsh::welsh_analyzer(),
    };
    let documents = chunk_document(&document, settings.chunks, counter)
        .into_iter()
        .enumerate()
        .map(|(ordinal, chunk)| {
            let mut indexed = TantivyDocument::default();
            indexed.add_text(fields.id, format!("{}#{ordinal}", file.key));
            indexed.add_text(fields.document, &file.key);
            indexed.add_text(text.title, &document.title);
            indexed.add_text(text.headings, chunk.heading_path.join(super::schema::HEADING_SEPARATOR));
            indexed.add_text(text.body, &chunk.text);
            indexed.add_text(text.url_words, super::schema::url_words(&url));
            indexed.add_text(fields.language, language.code());
            indexed.add_text(fields.url, &url);
            indexed.add_facet(fields.service_area, Facet::from_path([slug(&area)]));
            indexed.add_text(fields.audience, audience.as_str());
            indexed.add_u64(fields.ordinal, ordinal as u64);
            indexed
                .add_text(fields.terms, super::stored_terms::encode(&mut analyzer, &chunk.heading_path, &chunk.text));
            indexed
        })
        .collect();
    Outcome::Indexed { hash, documents }
}

/// The language a document is written in: Welsh when it says so (`lang` in its front matter or
/// page) or its address or file lies under a `cy` folder, else English. A page's own `lang` is
/// not trusted to say English, since many sites' templates put `lang="en"` on every page.
fn document_language(document: &crate::document::Document, url: &str, relative: &str) -> Language {
    if document.language == Some(Language::Welsh)
        || Language::of_address(url) == Some(Language::Welsh)
        || Language::of_address(relative) == Some(Language::Welsh)
    {
        Language::Welsh
    } else {
        Language::English
    }
}
