//! `workflow validate` and `workflow schema`: the checks and the schema for editors.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use rpa::workflow::Catalogue;
use serde_json::json;

use crate::output::print_json;

/// Checks workflow files and prints every error as `file:line:col: error: message`.
pub fn validate(paths: &[PathBuf], json: bool) -> Result<ExitCode> {
    let (catalogue, errors) = Catalogue::load(paths);
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
        print_json(&json!({ "workflows": catalogue.len(), "errors": errors }))?;
    } else {
        for error in &errors {
            eprintln!("{error}\n");
        }
        if errors.is_empty() {
            println!("{} workflow{} checked: no errors", catalogue.len(), if catalogue.len() == 1 { "" } else { "s" });
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
            println!("wrote {}", path.display());
        }
        None => print!("{schema}"),
    }
    Ok(ExitCode::SUCCESS)
}
