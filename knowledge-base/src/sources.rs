//! Finds content files under directories and reads them within limits.

use std::path::{Path, PathBuf};

use crate::document::Audience;
use crate::error::{Error, Result};
use crate::extract::Format;

/// A content file found under one of the directories being indexed.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path as found (the directory given, joined with the path inside it).
    pub path: PathBuf,
    /// A stable key for the file: its absolute path.
    pub key: String,
    /// The path relative to the directory it was found in, with `/` separators.
    pub relative: String,
    /// Its format.
    pub format: Format,
}

impl SourceFile {
    /// The service area implied by the file's place: its first folder inside the content root,
    /// after a language's folder (`cy/waste/…` is in `waste`).
    pub fn folder_service_area(&self) -> Option<String> {
        let (folder, rest) = self.relative.split_once('/')?;
        if crate::language::Language::of_address(folder).is_some()
            && let Some((inner, _)) = rest.split_once('/')
        {
            return Some(inner.to_string());
        }
        Some(folder.to_string())
    }

    /// The audience implied by the file's place: a top folder named for staff marks staff-only content.
    pub fn folder_audience(&self) -> Audience {
        match self.folder_service_area().as_deref().map(str::to_ascii_lowercase).as_deref() {
            Some("staff" | "internal" | "intranet") => Audience::Staff,
            _ => Audience::Public,
        }
    }

    /// The file name without its extension.
    pub fn stem(&self) -> String {
        self.path.file_stem().map(|stem| stem.to_string_lossy().into_owned()).unwrap_or_default()
    }

    /// The address a document read from this file is cited by: the one it declares, else its
    /// place under `base_url`, else the file's own path.
    pub fn address(&self, declared: Option<&str>, base_url: Option<&str>) -> String {
        match (declared, base_url) {
            (Some(declared), _) => declared.to_string(),
            (None, Some(base)) => format!("{}/{}", base.trim_end_matches('/'), web_path(&self.relative)),
            (None, None) => self.path.display().to_string(),
        }
    }
}

/// A page path as a web address: `.html` and `.md` pages are served without their extension;
/// documents such as PDFs keep theirs.
fn web_path(path: &str) -> &str {
    for extension in [".html", ".htm", ".xhtml", ".md", ".markdown"] {
        if let Some(stripped) = path.strip_suffix(extension) {
            return stripped;
        }
    }
    path
}

/// The content files under a directory, in a stable order, and how many other files were passed over.
pub fn discover(root: &Path) -> Result<(Vec<SourceFile>, usize)> {
    if !root.is_dir() {
        return Err(Error::NotADirectory { path: root.to_path_buf() });
    }
    let absolute_root = std::fs::canonicalize(root).map_err(|source| Error::io(root, source))?;
    let mut files = Vec::new();
    let mut other = 0;
    let walker = walkdir::WalkDir::new(root).follow_links(false).sort_by_file_name().into_iter();
    let walker =
        walker.filter_entry(|entry| entry.depth() == 0 || !entry.file_name().to_string_lossy().starts_with('.'));
    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                // An unreadable folder: reported as a file that could not be read.
                let path = error.path().unwrap_or(root).to_path_buf();
                files.push(unreadable(&absolute_root, root, path));
                continue;
            }
        };
        if entry.file_type().is_dir() {
            continue;
        }
        let Some(format) = Format::of(entry.path()) else {
            other += 1;
            continue;
        };
        let relative = entry.path().strip_prefix(root).unwrap_or(entry.path());
        files.push(SourceFile {
            path: entry.path().to_path_buf(),
            key: absolute_root.join(relative).to_string_lossy().into_owned(),
            relative: relative_string(relative),
            format,
        });
    }
    Ok((files, other))
}

/// A placeholder for something that could not even be listed; reading it reports the error.
fn unreadable(absolute_root: &Path, root: &Path, path: PathBuf) -> SourceFile {
    let relative = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
    SourceFile {
        key: absolute_root.join(&relative).to_string_lossy().into_owned(),
        relative: relative_string(&relative),
        path,
        format: Format::Text,
    }
}

fn relative_string(path: &Path) -> String {
    path.components().map(|part| part.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// Reads a file, refusing it when it is larger than `max_bytes`.
pub fn read_limited(path: &Path, max_bytes: u64) -> std::result::Result<Vec<u8>, String> {
    let metadata = std::fs::metadata(path).map_err(|error| format!("cannot read: {error}"))?;
    if !metadata.is_file() {
        return Err("not a regular file".to_string());
    }
    if metadata.len() > max_bytes {
        return Err(format!("too large ({} bytes; the limit is {max_bytes} bytes)", metadata.len()));
    }
    std::fs::read(path).map_err(|error| format!("cannot read: {error}"))
}
