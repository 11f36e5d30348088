//! Reading workflow files: YAML with limits, into the workflow model, with located errors.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;
use serde_saphyr::{Budget, Options};

use super::diagnostic::{Diagnostic, closest};
use super::kind::Step;
use super::located::Located;
use super::model::Workflow;

/// The largest workflow file accepted.
pub const MAX_WORKFLOW_BYTES: u64 = 1024 * 1024;

/// A workflow file that parsed, with its text kept for error messages.
#[derive(Debug, Clone)]
pub struct WorkflowFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its text.
    pub source: String,
    /// What it says.
    pub workflow: Workflow,
    /// Its steps in typed form; empty when a step has no single kind (see `well_formed`).
    pub steps: Vec<Located<Step>>,
    /// Whether every step has exactly one kind, so that `steps` holds them all.
    pub well_formed: bool,
}

impl WorkflowFile {
    /// An error at a line and column of this file.
    pub fn error_at(&self, line: u64, column: u64, message: impl Into<String>) -> Diagnostic {
        Diagnostic::at(&self.path, &self.source, line, column, message)
    }
}

/// Reads and parses one workflow file.
pub fn read_workflow(path: &Path) -> Result<WorkflowFile, Diagnostic> {
    let size = std::fs::metadata(path).map_err(|error| Diagnostic::file(path, format!("cannot read: {error}")))?.len();
    if size > MAX_WORKFLOW_BYTES {
        return Err(Diagnostic::file(
            path,
            format!("the file is {size} bytes; a workflow file may be at most {MAX_WORKFLOW_BYTES} bytes"),
        ));
    }
    let bytes = std::fs::read(path).map_err(|error| Diagnostic::file(path, format!("cannot read: {error}")))?;
    let source = String::from_utf8(bytes).map_err(|error| {
        Diagnostic::file(path, format!("not UTF-8 text (invalid byte at offset {})", error.utf8_error().valid_up_to()))
    })?;
    parse_workflow(path, source)
}

/// Parses workflow text read from `path`.
pub fn parse_workflow(path: &Path, source: String) -> Result<WorkflowFile, Diagnostic> {
    match serde_saphyr::from_str_with_options::<Workflow>(&source, parse_options()) {
        Ok(workflow) => {
            let steps = Step::from_raw_steps(&workflow.steps);
            let well_formed = steps.is_some();
            Ok(WorkflowFile {
                path: path.to_path_buf(),
                source,
                workflow,
                steps: steps.unwrap_or_default(),
                well_formed,
            })
        }
        Err(error) => {
            let (line, column) = error.location().map(|at| (at.line(), at.column())).unwrap_or((0, 0));
            let message = explain(&error.to_string());
            Err(if line == 0 {
                Diagnostic::file(path, message)
            } else {
                Diagnostic::at(path, &source, line, column, message)
            })
        }
    }
}

/// YAML limits that keep an alias bomb, a deep nest or a huge document from hanging or exhausting memory.
fn parse_options() -> Options {
    let mut budget = Budget::default();
    budget.max_reader_input_bytes = Some(MAX_WORKFLOW_BYTES as usize);
    budget.max_events = 200_000;
    budget.max_aliases = 1_000;
    budget.max_anchors = 1_000;
    budget.max_recorded_anchor_events = 20_000;
    budget.max_recorded_anchor_bytes = 1024 * 1024;
    budget.max_depth = 48;
    budget.max_documents = 1;
    budget.max_nodes = 100_000;
    budget.max_total_scalar_bytes = MAX_WORKFLOW_BYTES as usize;
    let mut options = Options::default();
    options.budget = Some(budget);
    options.with_snippet = false;
    options
}

static LOCATION_SUFFIX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\s*(at line \d+,? column \d+|at \d+:\d+)\.?\s*$").expect("valid pattern"));
static UNKNOWN_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"unknown (field|variant) `([^`]*)`, expected (?:one of )?(.+)$").expect("valid pattern")
});
static INVALID_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^invalid (u8|u16|u32|u64|usize|i8|i16|i32|i64|isize|f32|f64)\b").expect("valid pattern")
});
static MISSING_FIELD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"missing field `([^`]*)`").expect("valid pattern"));

/// Rewrites a YAML or type error in the words of workflow files, with a "did you mean" for
/// typos; the diagnostic made of it cuts long quoted values short.
fn explain(raw: &str) -> String {
    let message = LOCATION_SUFFIX.replace(raw.lines().next().unwrap_or(raw), "").to_string();
    if let Some(unknown) = UNKNOWN_NAME.captures(&message) {
        let what = if &unknown[1] == "field" { "key" } else { "value" };
        let name = &unknown[2];
        let expected: Vec<&str> = unknown[3]
            .split(", ")
            .flat_map(|part| part.split(" or "))
            .map(|name| name.trim().trim_matches('`'))
            .filter(|name| !name.is_empty())
            .collect();
        return match closest(name, expected.iter().copied()) {
            Some(suggestion) => format!("unknown {what} `{name}`; did you mean `{suggestion}`?"),
            None => format!("unknown {what} `{name}`; expected one of {}", quote_all(&expected)),
        };
    }
    if let Some(kind) = INVALID_NUMBER.captures(&message) {
        let kind = &kind[1];
        let what = if kind.starts_with('f') {
            "a number"
        } else if kind.starts_with('u') {
            "a whole number, 0 or more"
        } else {
            "a whole number"
        };
        return format!("expected {what} here");
    }
    if let Some(missing) = MISSING_FIELD.captures(&message) {
        return format!("missing required key `{}`", &missing[1]);
    }
    if message.to_lowercase().contains("duplicate") {
        return format!("{message} (each key may appear once in a mapping)");
    }
    if message.to_lowercase().contains("budget") || message.to_lowercase().contains("limit") {
        return format!(
            "{message}; the file is too large or too deeply nested to be a workflow (aliases expanding too far?)"
        );
    }
    message
}

/// Names as `` `a`, `b` and `c` ``.
pub fn quote_all(names: &[&str]) -> String {
    names.iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explains_unknown_keys_with_a_suggestion() {
        let raw = "unknown field `clik`, expected one of `id`, `name`, `click`, `check` at line 4 column 7";
        assert_eq!(explain(raw), "unknown key `clik`; did you mean `click`?");
        let raw = "unknown variant `teleport`, expected `resident` or `staff`";
        assert_eq!(explain(raw), "unknown value `teleport`; expected one of `resident`, `staff`");
    }

    #[test]
    fn huge_values_are_named_not_echoed() {
        let huge = format!("text{}", "'".repeat(5_000));
        let raw = format!("unknown variant `{huge}`, expected `text` or `label` at line 3 column 9");
        let explained = Diagnostic::file(Path::new("flow.yaml"), explain(&raw)).message;
        assert!(explained.starts_with("unknown value `text''"), "{explained}");
        assert!(explained.len() < 200, "{explained}");
        assert!(explained.contains("…`"), "{explained}");
        // The checks' own errors are cut the same way, such as a name that is far too long.
        let named = Diagnostic::file(Path::new("flow.yaml"), format!("workflow name `{huge}` must be snake_case"));
        assert!(named.message.len() < 200 && named.message.ends_with("…` must be snake_case"), "{}", named.message);
    }
}
