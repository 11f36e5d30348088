//! `councilbot config check`: everything wrong with the configuration, named where it is.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use rpa::workflow::Catalogue;

use super::assemble::workflow_paths;
use super::data_dir::Kept;
use crate::config::Config;

/// Checks the configuration; `kept` says where the data is kept given the configured database
/// URL, and whatever of it other users may read is warned of.
pub fn run(
    file: Option<&Path>,
    secrets_file: Option<&Path>,
    workflows: &Path,
    kept: impl Fn(Option<&str>) -> Kept,
) -> Result<ExitCode> {
    let (config, source) = match Config::read(file, secrets_file) {
        Ok(read) => read,
        Err(error) => {
            outln!("error: {error:#}");
            return Ok(ExitCode::from(1));
        }
    };
    for found in kept(config.database.url.as_deref()).too_open() {
        outln!("warning: {found}");
    }
    let mut problems = config.problems();
    for directory in &config.content.directories {
        if !directory.is_dir() {
            problems.push(format!("content.directories: {} is not a directory", directory.display()));
        }
    }
    let mut workflow_errors: Vec<String> = if workflows.exists() {
        let paths = workflow_paths(workflows, &config.automation.shared_workflows);
        Catalogue::load(&paths).1.iter().map(ToString::to_string).collect()
    } else {
        vec![format!("workflows: there is no directory at {}", workflows.display())]
    };
    // Each other council of the deployment: its file, its pages and its workflows.
    match super::councils::added_councils(&config, Path::new("data")) {
        Ok(councils) => {
            for council in councils {
                for directory in &council.valid.config.content.directories {
                    if !directory.is_dir() {
                        problems.push(format!(
                            "the council `{}`: content.directories: {} is not a directory",
                            council.id,
                            directory.display()
                        ));
                    }
                }
                let paths =
                    workflow_paths(&council.places.workflows, &council.valid.config.automation.shared_workflows);
                if !paths.is_empty() {
                    let (_, errors) = Catalogue::load(&paths);
                    workflow_errors.extend(errors.iter().map(ToString::to_string));
                }
            }
        }
        Err(error) => problems.push(format!("{error:#}")),
    }
    let read_from = match &source {
        Some(path) => path.display().to_string(),
        None => "the built-in defaults (the sample council)".to_string(),
    };
    if problems.is_empty() && workflow_errors.is_empty() {
        outln!("the configuration ({read_from}, with the environment's overrides) is valid");
        return Ok(ExitCode::SUCCESS);
    }
    outln!("the configuration ({read_from}, with the environment's overrides) has problems:");
    for problem in &problems {
        outln!("  {problem}");
    }
    for error in &workflow_errors {
        outln!("{error}");
    }
    Ok(ExitCode::from(1))
}
