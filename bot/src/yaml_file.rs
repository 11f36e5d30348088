//! The council's own small YAML files (curated answers, examples of services): listed from a
//! directory, read with limits that keep a hostile file from hanging or exhausting memory, every
//! parse error at its `file:line:col`, and text written back quoted.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;
use rpa::workflow::Diagnostic;
use serde::de::DeserializeOwned;
use serde_saphyr::{Budget, Options};

/// The largest file read.
pub(crate) const MAX_FILE_BYTES: u64 = 256 * 1024;

static LOCATION_SUFFIX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\s*(at line \d+,? column \d+|at \d+:\d+)\.?\s*$").expect("valid pattern"));

/// The `.yaml` (and `.yml`) files of a directory, sorted by name.
pub(crate) fn yaml_files(directory: &Path) -> std::io::Result<Vec<PathBuf>> {
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
