//! The council's own small YAML files (curated answers, examples of services), one a value and
//! named after it: a directory read whole or refused, each file read with limits that keep a
//! hostile file from hanging or exhausting memory, every error at its `file:line:col`, and text
//! written back quoted.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;
use rpa::workflow::{Diagnostic, Located};
use serde::de::DeserializeOwned;
use serde_saphyr::{Budget, Options};

/// The largest file read.
pub(crate) const MAX_FILE_BYTES: u64 = 256 * 1024;

static LOCATION_SUFFIX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\s*(at line \d+,? column \d+|at \d+:\d+)\.?\s*$").expect("valid pattern"));

/// What went wrong with a directory of the council's files (curated answers, examples of
/// services).
#[derive(Debug, thiserror::Error)]
pub enum FilesError {
    /// Files have errors; nothing was imported.
    #[error("{}", describe(.errors, .kind))]
    Invalid {
        /// What the files hold, as the message names it: "curated answer", "example".
        kind: &'static str,
        /// Every error, at its place.
        errors: Vec<Diagnostic>,
    },
    /// The directory or a file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// The file a value is kept in: its name (an answer's id, a service) with `.yaml`.
pub(crate) fn file_name(name: &str) -> String {
    format!("{name}.yaml")
}

/// Reads every `.yaml` (or `.yml`) file of a directory with `read`, by file name; any error in any
/// file (of `kind`: "example") refuses them all, as does a name (given by `name`, called `called`:
/// "service") in two files.
pub(crate) fn read_all<T>(
    directory: &Path,
    kind: &'static str,
    called: &str,
    name: impl Fn(&T) -> &str,
    read: impl Fn(&Path) -> Result<T, Vec<Diagnostic>>,
) -> Result<Vec<T>, FilesError> {
    let paths = yaml_files(directory).map_err(|source| FilesError::Io { path: directory.to_path_buf(), source })?;
    let mut values: Vec<T> = Vec::new();
    let mut errors = Vec::new();
    for path in &paths {
        match read(path) {
            Ok(value) if values.iter().any(|other| name(other) == name(&value)) => {
                errors.push(Diagnostic::file(path, format!("another file also has the {called} `{}`", name(&value))));
            }
            Ok(value) => values.push(value),
            Err(mut found) => errors.append(&mut found),
        }
    }
    if errors.is_empty() { Ok(values) } else { Err(FilesError::Invalid { kind, errors }) }
}

/// The error for a file not named after the name it holds (called `called`: "id"), placed at
/// the name; `None` when the file is named after it.
pub(crate) fn misnamed(path: &Path, source: &str, name: &Located<String>, called: &str) -> Option<Diagnostic> {
    let misnamed = path.file_stem().is_some_and(|stem| stem.to_string_lossy() != name.value);
    misnamed.then(|| {
        let message = format!("the {called} must be the file's name: this file should be called {}", file_name(name));
        Diagnostic::at(path, source, name.line, name.column, message)
    })
}

/// Writes values into a directory, one file each named by `name`, as `to_yaml` gives them;
/// returns the files written.
pub(crate) fn write_all<T>(
    directory: &Path,
    values: &[T],
    name: impl Fn(&T) -> &str,
    to_yaml: impl Fn(&T) -> String,
) -> Result<Vec<PathBuf>, FilesError> {
    std::fs::create_dir_all(directory).map_err(|source| FilesError::Io { path: directory.to_path_buf(), source })?;
    let mut written = Vec::with_capacity(values.len());
    for value in values {
        let path = directory.join(file_name(name(value)));
        std::fs::write(&path, to_yaml(value)).map_err(|source| FilesError::Io { path: path.clone(), source })?;
        written.push(path);
    }
    Ok(written)
}

/// Every error of a refused import, one after another, then how many files (of `kind`) had them.
fn describe(errors: &[Diagnostic], kind: &str) -> String {
    let mut files: Vec<&Path> = errors.iter().map(|error| error.file.as_path()).collect();
    files.sort();
    files.dedup();
    let listed: Vec<String> = errors.iter().map(ToString::to_string).collect();
    format!("{}\n{} {kind} file(s) have errors; nothing was imported", listed.join("\n"), files.len())
}

/// The `.yaml` (and `.yml`) files of a directory, sorted by name.
fn yaml_files(directory: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut paths: Vec<PathBuf> =
        std::fs::read_dir(directory)?.map(|entry| entry.map(|entry| entry.path())).collect::<Result<_, _>>()?;
    paths.retain(|path| {
        path.is_file() && path.extension().is_some_and(|extension| extension == "yaml" || extension == "yml")
    });
    paths.sort();
    Ok(paths)
}

/// Reads a file as `T`, returning it with the file's text (for placing later errors); `kind`
/// names what the file holds ("an answer file").
pub(crate) fn parse<T: DeserializeOwned>(path: &Path, kind: &str) -> Result<(T, String), Vec<Diagnostic>> {
    let whole = |message: String| vec![Diagnostic::file(path, message)];
    let size = std::fs::metadata(path).map_err(|error| whole(format!("cannot read: {error}")))?.len();
    if size > MAX_FILE_BYTES {
        return Err(whole(format!("the file is {size} bytes; {kind} may be at most {MAX_FILE_BYTES} bytes")));
    }
    let source = std::fs::read_to_string(path).map_err(|error| whole(format!("cannot read: {error}")))?;
    let value = serde_saphyr::from_str_with_options(&source, parse_options()).map_err(|error| {
        let (line, column) = error.location().map(|at| (at.line(), at.column())).unwrap_or((0, 0));
        let text = error.to_string();
        let message = LOCATION_SUFFIX.replace(text.lines().next().unwrap_or(&text), "").to_string();
        vec![if line == 0 {
            Diagnostic::file(path, message)
        } else {
            Diagnostic::at(path, &source, line, column, message)
        }]
    })?;
    Ok((value, source))
}

/// YAML limits that keep an alias bomb or a deep nest from hanging or exhausting memory.
fn parse_options() -> Options {
    let mut budget = Budget::default();
    budget.max_reader_input_bytes = Some(MAX_FILE_BYTES as usize);
    budget.max_aliases = 100;
    budget.max_anchors = 100;
    budget.max_depth = 16;
    budget.max_documents = 1;
    let mut options = Options::default();
    options.budget = Some(budget);
    options.with_snippet = false;
    options
}

/// A text double-quoted for YAML (JSON's quoting, which YAML reads the same).
pub(crate) fn quoted(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}
