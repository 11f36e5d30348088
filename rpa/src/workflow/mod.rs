//! The workflow language: the model of a workflow file, reading it, and checking it.

mod check;
mod describe;
mod diagnostic;
mod duration;
mod kind;
mod load;
mod located;
mod model;
mod schedule;
mod step;
pub mod template;
mod wording;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use check::check_workflow;
pub use diagnostic::{Diagnostic, closest};
pub use duration::DurationText;
pub use kind::*;
pub use load::{MAX_WORKFLOW_BYTES, WorkflowFile, parse_workflow, read_workflow};
pub use located::{Located, Template};
pub use model::{
    BrowserPermission, BrowserSettings, DateWhen, Input, InputType, Intent, Position, TargetSystem, Trigger, Urgent,
    UrgentContact, Webhook, Workflow, WorkflowAudience,
};
pub use schedule::Schedule;
pub use step::*;
pub use wording::{Wording, WordingTemplate};

/// The most characters a `progress` text may have: it is one short line on a phone.
pub const MAX_PROGRESS_CHARS: usize = 80;

/// The name a workflow file that cannot be read gives itself, as well as can be told: its
/// top-level `name:` line, else its file name without the extension. Calls to it are then
/// answered with the file's own error rather than "no workflow is named".
fn name_in_unreadable_file(path: &Path) -> String {
    let named = std::fs::read_to_string(path).ok().and_then(|text| {
        text.lines().find_map(|line| {
            let value = line.strip_prefix("name:")?.split(" #").next()?.trim();
            let value = value.trim_matches(|c| c == '"' || c == '\'');
            (!value.is_empty()).then(|| value.to_string())
        })
    });
    named.unwrap_or_else(|| path.file_stem().map(|stem| stem.to_string_lossy().into_owned()).unwrap_or_default())
}

/// The workflows of a council, by name, read from files and checked together.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    files: BTreeMap<String, WorkflowFile>,
    /// The errors found when it was read, by file, line and column.
    problems: Vec<Diagnostic>,
}

impl Catalogue {
    /// Reads every `.yaml` and `.yml` file of the given files and directories (recursively) and
    /// checks them all; the catalogue holds the files that parsed, the list every error found.
    pub fn load(paths: &[PathBuf]) -> (Catalogue, Vec<Diagnostic>) {
        let mut errors = Vec::new();
        let mut parsed: Vec<WorkflowFile> = Vec::new();
        let mut unreadable = BTreeMap::new();
        for path in workflow_paths(paths, &mut errors) {
            match read_workflow(&path) {
                Ok(file) => parsed.push(file),
                Err(error) => {
                    unreadable.insert(name_in_unreadable_file(&path), error.clone());
                    errors.push(error);
                }
            }
        }
        let mut catalogue = Catalogue::default();
        for file in parsed {
            let name = file.workflow.name.value.clone();
            if let Some(first) = catalogue.files.get(&name) {
                let at = &file.workflow.name;
                let message = format!("workflow name `{name}` is already used by {}", first.path.display());
                errors.push(file.error_at(at.line, at.column, message));
                continue;
            }
            catalogue.files.insert(name, file);
        }
        let models: BTreeMap<String, Workflow> =
            catalogue.files.iter().map(|(name, file)| (name.clone(), file.workflow.clone())).collect();
        for file in catalogue.files.values() {
            errors.extend(check_workflow(file, &models, &unreadable));
        }
        catalogue.problems = errors.clone();
        (catalogue, errors)
    }

    /// The workflows of these paths as they are now, except that a file with errors keeps the
    /// version this catalogue holds (or is left out when it holds none); with every error found.
    pub fn reload(&self, paths: &[PathBuf]) -> (Catalogue, Vec<Diagnostic>) {
        let (fresh, errors) = Catalogue::load(paths);
        if errors.is_empty() {
            return (fresh, errors);
        }
        let broken: std::collections::BTreeSet<&Path> = errors.iter().map(|error| error.file.as_path()).collect();
        let mut files: BTreeMap<String, WorkflowFile> =
            fresh.files.into_iter().filter(|(_, file)| !broken.contains(file.path.as_path())).collect();
        for (name, earlier) in &self.files {
            if broken.contains(earlier.path.as_path()) && !files.contains_key(name) {
                files.insert(name.clone(), earlier.clone());
            }
        }
        (Catalogue { files, problems: errors.clone() }, errors)
    }

    /// The errors found when it was read, each at its file, line and column: the files with
    /// them are left out, or run as they were before the errors.
    pub fn problems(&self) -> &[Diagnostic] {
        &self.problems
    }

    /// The workflow with this name.
    pub fn get(&self, name: &str) -> Option<&WorkflowFile> {
        self.files.get(name)
    }

    /// The workflow read from this file.
    pub fn by_path(&self, path: &Path) -> Option<&WorkflowFile> {
        let wanted = path.canonicalize().ok();
        self.files.values().find(|file| file.path == path || file.path.canonicalize().ok() == wanted)
    }

    /// Every workflow, by name.
    pub fn iter(&self) -> impl Iterator<Item = &WorkflowFile> {
        self.files.values()
    }

    /// How many workflows it holds.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Whether the named workflow drives a browser, in its own steps or in a workflow it calls.
    pub fn uses_browser(&self, name: &str) -> bool {
        let mut seen = std::collections::BTreeSet::new();
        let mut waiting = vec![name.to_string()];
        while let Some(name) = waiting.pop() {
            if !seen.insert(name.clone()) {
                continue;
            }
            let Some(file) = self.files.get(&name) else { continue };
            if steps_use_browser(&file.steps) {
                return true;
            }
            waiting.extend(called_workflows(&file.steps));
        }
        false
    }

    /// The same catalogue without the workflows that need a browser, and their names.
    pub fn without_browser(&self) -> (Catalogue, Vec<String>) {
        let (left_out, kept): (Vec<_>, Vec<_>) = self.files.iter().partition(|(name, _)| self.uses_browser(name));
        let catalogue = Catalogue {
            files: kept.into_iter().map(|(name, file)| (name.clone(), file.clone())).collect(),
            problems: self.problems.clone(),
        };
        (catalogue, left_out.into_iter().map(|(name, _)| name.clone()).collect())
    }
}

/// Whether any of these steps, at any depth, drives the browser.
fn steps_use_browser(steps: &[Located<Step>]) -> bool {
    steps
        .iter()
        .any(|step| step.uses_browser() || step.children().iter().any(|(_, children)| steps_use_browser(children)))
}

/// The workflow files named, directories expanded to the YAML files in them, in order.
fn workflow_paths(paths: &[PathBuf], errors: &mut Vec<Diagnostic>) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut stack = vec![path.clone()];
            let mut files = Vec::new();
            while let Some(directory) = stack.pop() {
                match std::fs::read_dir(&directory) {
                    Ok(entries) => {
                        for entry in entries.flatten() {
                            let entry_path = entry.path();
                            if entry_path.is_dir() {
                                stack.push(entry_path);
                            } else if matches!(entry_path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")) {
                                files.push(entry_path);
                            }
                        }
                    }
                    Err(error) => errors.push(Diagnostic::file(&directory, format!("cannot read directory: {error}"))),
                }
            }
            files.sort();
            found.extend(files);
        } else if path.exists() {
            found.push(path.clone());
        } else {
            errors.push(Diagnostic::file(path, "no such file or directory"));
        }
    }
    // A file named twice (itself and through its directory) is read once.
    let mut seen = std::collections::BTreeSet::new();
    found.retain(|path| seen.insert(path.canonicalize().unwrap_or_else(|_| path.clone())));
    found
}

/// The names of the workflows some steps call, at any depth.
pub fn called_workflows(steps: &[Located<Step>]) -> Vec<String> {
    let mut names = Vec::new();
    for step in steps {
        if let StepKind::Call(call) = &step.kind {
            names.push(call.workflow.value.clone());
        }
        for (_, children) in step.children() {
            names.extend(called_workflows(children));
        }
    }
    names
}
