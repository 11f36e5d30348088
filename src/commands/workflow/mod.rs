//! `councilbot workflow`: check, run and look after workflows.

mod act;
mod check;
mod run;
mod suite;

pub use run::StoppedBySignal;
mod show;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use rpa::journal::{Journal, RunRecord, RunStatus};
use rpa::runner::{Runner, RunnerConfig};
use rpa::secrets::Secrets;
use rpa::workflow::{Catalogue, Diagnostic, WorkflowFile, called_workflows};

use crate::cli::WorkflowCommand;

/// Where workflows, their runs and their secrets are.
#[derive(Debug, Clone)]
pub struct Places {
    /// The database URL.
    pub database_url: String,
    /// The council's workflow files.
    pub workflows: PathBuf,
    /// The secrets file, if any.
    pub secrets_file: Option<PathBuf>,
    /// How runs are worked (`[automation]` and `[browser]`, with the environment's overrides).
    pub runner: RunnerConfig,
}

/// Exit status of a run that waits for a person.
const EXIT_WAITING: u8 = 3;

/// Runs a `workflow` subcommand.
pub fn run(places: &Places, command: WorkflowCommand) -> Result<ExitCode> {
    match command {
        WorkflowCommand::Validate { paths, json } => check::validate(&paths, places, json),
        WorkflowCommand::Schema { out } => check::schema(out.as_deref()),
        command => {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(run_async(places, command))
        }
    }
}

async fn run_async(places: &Places, command: WorkflowCommand) -> Result<ExitCode> {
    match command {
        WorkflowCommand::Run(args) => run::run(places, args).await,
        WorkflowCommand::Test(args) => suite::test(places, args).await,
        WorkflowCommand::Runs { status, limit, json } => {
            show::list(&journal(places).await?, status.as_deref(), limit, json).await
        }
        WorkflowCommand::Show { run, save_evidence, json } => {
            show::show(&journal(places).await?, &run, save_evidence.as_deref(), json).await
        }
        WorkflowCommand::Resume { json } => run::resume(places, json).await,
        WorkflowCommand::Retry(action) => act::retry(places, action).await,
        WorkflowCommand::Complete { action, outputs } => act::complete(places, action, &outputs).await,
        WorkflowCommand::Approve { action, values, comment } => {
            act::decide(places, action, true, &values, comment).await
        }
        WorkflowCommand::Reject { action, comment } => act::decide(places, action, false, &[], comment).await,
        WorkflowCommand::Cancel { action, reason } => act::cancel(places, action, &reason).await,
        WorkflowCommand::Validate { .. } | WorkflowCommand::Schema { .. } => unreachable!("handled without a runtime"),
    }
}

/// The journal in the configured database.
async fn journal(places: &Places) -> Result<Journal> {
    let url = places.database_url.clone();
    let database = storage::Database::connect(&url).await?;
    Ok(Journal::open(database).await?)
}

/// A runner over the configured database, workflows and secrets.
async fn runner(places: &Places) -> Result<Runner> {
    let journal = journal(places).await?;
    let (catalogue, _) = Catalogue::load(&existing(std::slice::from_ref(&places.workflows)));
    let secrets = Secrets::load(places.secrets_file.as_deref(), std::env::vars())?;
    Ok(Runner::new(journal, catalogue, secrets, places.runner.clone()))
}

fn existing(paths: &[PathBuf]) -> Vec<PathBuf> {
    paths.iter().filter(|path| path.exists()).cloned().collect()
}

/// Reads a workflow file with the council's other workflows (for the ones it calls); returns
/// the file and catalogue, or the errors that concern it.
fn load_with_catalogue(file: &Path, workflows: &Path) -> Result<(WorkflowFile, Catalogue), Vec<Diagnostic>> {
    let inside = workflows.is_dir()
        && file.canonicalize().ok().zip(workflows.canonicalize().ok()).is_some_and(|(file, dir)| file.starts_with(dir));
    let mut paths = existing(&[workflows.to_path_buf()]);
    if !inside {
        paths.push(file.to_path_buf());
    }
    let (catalogue, errors) = Catalogue::load(&paths);
    let Some(loaded) = catalogue.by_path(file).cloned() else {
        let own: Vec<Diagnostic> = errors.iter().filter(|error| same_file(&error.file, file)).cloned().collect();
        return Err(if own.is_empty() { errors } else { own });
    };
    let mut concerned = vec![loaded.path.clone()];
    let mut pending = vec![loaded.clone()];
    while let Some(next) = pending.pop() {
        for name in called_workflows(&next.steps) {
            if let Some(callee) = catalogue.get(&name)
                && !concerned.contains(&callee.path)
            {
                concerned.push(callee.path.clone());
                pending.push(callee.clone());
            }
        }
    }
    let relevant: Vec<Diagnostic> =
        errors.into_iter().filter(|error| concerned.iter().any(|path| same_file(&error.file, path))).collect();
    if relevant.is_empty() { Ok((loaded, catalogue)) } else { Err(relevant) }
}

fn same_file(a: &Path, b: &Path) -> bool {
    a == b || a.canonicalize().ok().zip(b.canonicalize().ok()).is_some_and(|(a, b)| a == b)
}

/// The exit status that says how a run stands.
fn exit_for(run: &RunRecord) -> ExitCode {
    match run.status {
        RunStatus::Succeeded => ExitCode::SUCCESS,
        RunStatus::Waiting | RunStatus::Queued | RunStatus::Running => ExitCode::from(EXIT_WAITING),
        RunStatus::Failed | RunStatus::Cancelled => ExitCode::FAILURE,
    }
}
