//! `workflow retry|complete|approve|reject|cancel`: what a person decides about a run.

use std::process::ExitCode;

use anyhow::Result;
use rpa::journal::Decision;
use serde_json::{Map, Value};

use super::run::{finish, work_with_progress};
use super::{Places, runner};
use crate::cli::RunActionArgs;

/// Retries a run that failed or waits after an error, and works it.
pub async fn retry(places: &Places, action: RunActionArgs) -> Result<ExitCode> {
    let runner = runner(places).await?;
    let run = runner.retry(&action.run, &action.actor).await?;
    if !action.json {
        outln!("retrying run {} of {}", run.reference, run.workflow);
    }
    let run = work_with_progress(&runner, &run.id, !action.json).await?;
    finish(&runner, &run, action.json).await
}

/// Finishes a run by hand with its outputs.
pub async fn complete(places: &Places, action: RunActionArgs, outputs: &[(String, String)]) -> Result<ExitCode> {
    let runner = runner(places).await?;
    let run = runner.complete(&action.run, outputs, &action.actor).await?;
    finish(&runner, &run, action.json).await
}

/// Approves or rejects a run's human task, and works the run on.
pub async fn decide(
    places: &Places,
    action: RunActionArgs,
    approved: bool,
    values: &[(String, String)],
    comment: String,
) -> Result<ExitCode> {
    let runner = runner(places).await?;
    let values: Map<String, Value> =
        values.iter().map(|(name, value)| (name.clone(), Value::String(value.clone()))).collect();
    let run = runner.decide(&action.run, Decision { approved, comment, values }, &action.actor).await?;
    if !action.json {
        outln!("{} the task of run {}; working it on", if approved { "approved" } else { "rejected" }, run.reference);
    }
    let run = work_with_progress(&runner, &run.id, !action.json).await?;
    finish(&runner, &run, action.json).await
}

/// Cancels a run.
pub async fn cancel(places: &Places, action: RunActionArgs, reason: &str) -> Result<ExitCode> {
    let runner = runner(places).await?;
    let run = runner.cancel(&action.run, &action.actor, reason).await?;
    finish(&runner, &run, action.json).await?;
    Ok(ExitCode::SUCCESS)
}
