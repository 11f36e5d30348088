//! `workflow validate` and `workflow schema`: the checks and the schema for editors.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use rpa::allowed_hosts::check_hosts;
use rpa::workflow::Catalogue;
use serde_json::json;

use super::Places;
use crate::output::print_json;

/// Checks workflow files and prints every error as `file:line:col: error: message`; the
/// council's other workflows are read too, as the ones the files may call. Addresses written out
/// in full that go to hosts `[automation] allowed_hosts` does not allow are errors too.
pub fn validate(paths: &[PathBuf], places: &Places, json: bool) -> Result<ExitCode> {
    let workflows = places.workflows.as_path();
    let allowed = &places.runner.allowed_hosts;
    let system_urls = &places.runner.system_urls;
    let mut everything = paths.to_vec();
    if workflows.is_dir() {
        everything.push(workflows.to_path_buf());
    }
    let (catalogue, mut errors) = Catalogue::load(&everything);
    for file in catalogue.iter() {
        errors.extend(check_hosts(file, allowed, system_urls));
    }
    let asked: Vec<PathBuf> = paths.iter().map(|path| path.canonicalize().unwrap_or_else(|_| path.clone())).collect();
    let errors: Vec<_> = errors
        .into_iter()
        .filter(|error| {
            let file = error.file.canonicalize().unwrap_or_else(|_| error.file.clone());
            asked.iter().any(|path| file.starts_with(path))
        })
        .collect();
    let checked = catalogue.iter().filter(|file| {
        let canonical = file.path.canonicalize().unwrap_or_else(|_| file.path.clone());
        asked.iter().any(|path| canonical.starts_with(path))
    });
    let checked = checked.count();
    if json {
        let errors: Vec<serde_json::Value> = errors
            .iter()
            .map(|error| {
                json!({
                    "file": error.file.display().to_string(),
                    "line": error.line,
                    "column": error.column,
                    "message": error.message,
                })
            })
            .collect();
        print_json(&json!({ "workflows": checked, "errors": errors }))?;
    } else {
        for error in &errors {
            eprintln!("{error}\n");
        }
        if errors.is_empty() {
            outln!("{checked} workflow{} checked: no errors", if checked == 1 { "" } else { "s" });
        } else {
            eprintln!("{} error{} found", errors.len(), if errors.len() == 1 { "" } else { "s" });
        }
    }
    Ok(if errors.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// Prints the JSON Schema of workflow files, or writes it to a file.
pub fn schema(out: Option<&Path>) -> Result<ExitCode> {
    let schema = rpa::schema::workflow_schema();
    match out {
        Some(path) => {
            std::fs::write(path, schema).with_context(|| format!("cannot write {}", path.display()))?;
            outln!("wrote {}", path.display());
        }
        None => out!("{schema}"),
    }
    Ok(ExitCode::SUCCESS)
}
