//! `workflow run` and `workflow resume`: working runs here, with live progress.

use std::process::ExitCode;

use anyhow::Result;
use rpa::events::RunEvent;
use rpa::inputs::check_inputs;
use rpa::journal::{RunRecord, RunStatus, StartedBy, WaitingFor};
use rpa::runner::Runner;
use rpa::secrets::Secrets;

use super::{Places, exit_for, journal, load_with_catalogue, runner, show};
use crate::cli::WorkflowRunArgs;
use crate::output::print_json;

/// Starts a run of a workflow file and works it to the end, or shows its plan.
pub async fn run(places: &Places, args: WorkflowRunArgs) -> Result<ExitCode> {
    let (file, catalogue) = match load_with_catalogue(&args.file, &places.workflows) {
        Ok(loaded) => loaded,
        Err(errors) => {
            for error in &errors {
                eprintln!("{error}\n");
            }
            eprintln!("the workflow was not run: fix the errors above first");
            return Ok(ExitCode::FAILURE);
        }
    };
    if args.dry_run {
        let inputs = match check_inputs(&file.workflow, &args.inputs) {
            Ok(inputs) => inputs,
            Err(problems) => {
                for problem in &problems {
                    eprintln!("error: {problem}");
                }
                return Ok(ExitCode::FAILURE);
            }
        };
        let plan = rpa::plan::plan(&file, &inputs, &catalogue);
        if args.json {
            print_json(&plan)?;
        } else {
            outln!(
                "dry run of {} v{}: nothing is opened, sent or recorded",
                file.workflow.name.value,
                file.workflow.version
            );
            for step in &plan {
                let indent = "  ".repeat(step.depth + 1);
                let condition = step.condition.as_ref().map(|when| format!("  (when {when})")).unwrap_or_default();
                outln!("{indent}{} {}{condition}", step.key, step.name);
                for (label, value) in &step.values {
                    outln!("{indent}    {label}: {value}");
                }
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let secrets = Secrets::load(places.secrets_file.as_deref(), std::env::vars())?;
    let runner = Runner::new(journal(places).await?, catalogue, secrets, places.runner.clone());
    let user = std::env::var("USER").unwrap_or_default();
    let started = runner
        .start(&file, &args.inputs, &StartedBy { channel: "cli".to_string(), address: user, language: None })
        .await?;
    if !args.json {
        outln!("run {} of {} v{} started", started.reference, started.workflow, started.version);
    }
    let run = work_with_progress(&runner, &started.id, !args.json).await?;
    finish(&runner, &run, args.json).await
}

/// Works every run that is ready.
pub async fn resume(places: &Places, json: bool) -> Result<ExitCode> {
    let runner = runner(places).await?;
    let ready = runner.journal().runnable().await?;
    let mut worked = Vec::new();
    for run_id in ready {
        if !json && let Some(run) = runner.journal().run(&run_id).await? {
            outln!("resuming run {} of {}", run.reference, run.workflow);
        }
        worked.push(work_with_progress(&runner, &run_id, !json).await?);
    }
    if json {
        print_json(&worked)?;
    } else if worked.is_empty() {
        outln!("no runs are ready to work");
    } else {
        for run in &worked {
            summarise(run);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A run's work stopped by an interrupt or a termination signal: the browser and ChromeDriver
/// are stopped, and the run is left to be resumed.
#[derive(Debug)]
pub struct StoppedBySignal {
    /// The signal's name.
    pub signal: &'static str,
    /// The exit status a shell expects after it (128 + its number).
    pub exit_status: u8,
}

impl std::fmt::Display for StoppedBySignal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "stopped by {}: the browser is closed and the run can be finished with `councilbot workflow resume`",
            self.signal
        )
    }
}

impl std::error::Error for StoppedBySignal {}

/// Waits for an interrupt (Ctrl-C) or a termination signal.
async fn stop_signal() -> StoppedBySignal {
    let interrupted = async {
        let _ = tokio::signal::ctrl_c().await;
        StoppedBySignal { signal: "an interrupt", exit_status: 130 }
    };
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let terminated = async {
            match signal(SignalKind::terminate()) {
                Ok(mut terminate) => {
                    terminate.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
            StoppedBySignal { signal: "a termination signal", exit_status: 143 }
        };
        tokio::select! {
            stopped = interrupted => stopped,
            stopped = terminated => stopped,
        }
    }
    #[cfg(not(unix))]
    interrupted.await
}

/// Works a run, printing each step as it ends; returns the run as it then stands. An interrupt
/// or termination signal stops the browser first and ends with [`StoppedBySignal`].
pub async fn work_with_progress(runner: &Runner, run_id: &str, progress: bool) -> Result<RunRecord> {
    let mut events = runner.subscribe();
    let work = runner.work(run_id);
    tokio::pin!(work);
    let stop = stop_signal();
    tokio::pin!(stop);
    let outcome = loop {
        tokio::select! {
            outcome = &mut work => break outcome,
            event = events.recv() => if let (true, Ok(event)) = (progress, event) { print_event(&event) },
            stopped = &mut stop => {
                runner.stop_browsers().await;
                return Err(stopped.into());
            }
        }
    };
    while let (true, Ok(event)) = (progress, events.try_recv()) {
        print_event(&event);
    }
    outcome?;
    Ok(runner.find(run_id).await?)
}

fn print_event(event: &RunEvent) {
    if let RunEvent::StepFinished { step_key, name, attempt, status, millis, note, .. } = event {
        let word = if *attempt == 0 { "replayed" } else { show::status_word(*status) };
        let took = if *millis > 0 { format!("{:.2}s", *millis as f64 / 1000.0) } else { String::new() };
        let attempt = if *attempt > 1 { format!(" (attempt {attempt})") } else { String::new() };
        outln!("  {word:<9} {step_key:<14} {name}{attempt}  {took}");
        if let Some(note) = note.as_ref().filter(|_| *status != rpa::journal::StepStatus::Completed) {
            outln!("  {:<9} {:<14} {note}", "", "");
        }
    }
}

/// Prints how a run stands (or its JSON) and gives the exit status for it.
pub async fn finish(runner: &Runner, run: &RunRecord, json: bool) -> Result<ExitCode> {
    if json {
        show::show(runner.journal(), &run.id, None, true).await?;
    } else {
        summarise(run);
    }
    Ok(exit_for(run))
}

fn summarise(run: &RunRecord) {
    let reference = &run.reference;
    match (run.status, run.waiting_for) {
        (RunStatus::Succeeded, _) => {
            outln!("run {reference} succeeded");
            for (name, value) in &run.outputs {
                outln!("  {name} = {}", value.as_str().map(str::to_string).unwrap_or_else(|| value.to_string()));
            }
        }
        (RunStatus::Waiting, Some(WaitingFor::Task)) => {
            let title = run.task.as_ref().map(|task| task.title.as_str()).unwrap_or_default();
            outln!("run {reference} waits for a decision: {title}");
            outln!(
                "  decide with `councilbot workflow approve {reference}` or `councilbot workflow reject {reference}`"
            );
        }
        (RunStatus::Waiting, _) => {
            outln!("run {reference} waits for a person: {}", run.reason.as_deref().unwrap_or_default());
            outln!(
                "  see `councilbot workflow show {reference}`; then `retry`, `complete` (giving its outputs) or `cancel` it"
            );
        }
        (RunStatus::Failed, _) => {
            outln!("run {reference} failed: {}", run.message.as_deref().unwrap_or_default());
            if let Some(reason) = &run.reason {
                outln!("  reason: {reason}");
            }
        }
        (status, _) => outln!("run {reference} is {}", status.as_str()),
    }
    if let Some(message) = &run.message
        && run.status == RunStatus::Succeeded
    {
        outln!("  told the resident: {message}");
    }
}
