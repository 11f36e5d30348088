//! `workflow runs` and `workflow show`: run history, steps, evidence and what people did.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use rpa::journal::{Journal, RunRecord, RunStatus, StepStatus};
use serde_json::json;

use crate::output::{print_json, stdout_is_terminal};

/// Lists recent runs, newest first.
pub async fn list(journal: &Journal, status: Option<&str>, limit: i64, json: bool) -> Result<ExitCode> {
    let wanted = status.map(str::to_ascii_lowercase);
    if let Some(wanted) = &wanted {
        let known = ["queued", "running", "waiting", "succeeded", "failed", "cancelled"];
        if !known.contains(&wanted.as_str()) {
            bail!("`{wanted}` is not a run state; use one of {}", known.join(", "));
        }
    }
    let runs: Vec<RunRecord> = journal
        .runs(if wanted.is_some() { 10_000 } else { limit.max(1) })
        .await?
        .into_iter()
        .filter(|run| wanted.as_deref().is_none_or(|wanted| run.status.as_str() == wanted))
        .take(limit.max(1) as usize)
        .collect();
    if json {
        print_json(&runs)?;
        return Ok(ExitCode::SUCCESS);
    }
    if runs.is_empty() {
        outln!("no runs");
    }
    for run in &runs {
        outln!(
            "{:<12} {:<10} {:<32} {}  {}",
            run.reference,
            state(run),
            run.workflow,
            uk::calendar::date_of_millis(run.created_at),
            run.reason.as_deref().or(run.message.as_deref()).unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn state(run: &RunRecord) -> String {
    match (run.status, run.waiting_for) {
        (RunStatus::Waiting, Some(rpa::journal::WaitingFor::Task)) => "waiting (task)".to_string(),
        (RunStatus::Waiting, _) => "waiting (error)".to_string(),
        (status, _) => status.as_str().to_string(),
    }
}

/// Shows one run in full.
pub async fn show(journal: &Journal, reference: &str, save_evidence: Option<&Path>, json: bool) -> Result<ExitCode> {
    let run = journal.run(reference).await?.with_context(|| format!("no run has the id or reference `{reference}`"))?;
    let steps = journal.steps(&run.id).await?;
    let evidence = journal.evidence(&run.id).await?;
    let notifications = journal.notifications(&run.id).await?;
    let actions = journal.actions(&run.id).await?;
    let mut saved = Vec::new();
    if let Some(directory) = save_evidence {
        // Evidence shows residents' details: only this user may read what is saved.
        storage::files::create_private_dir(directory)
            .with_context(|| format!("cannot create {}", directory.display()))?;
        for (number, item) in evidence.iter().enumerate() {
            let name = format!(
                "{:02}-{}-{}",
                number + 1,
                item.step_key.replace(['/', '\\', '[', ']'], "_"),
                item.name.replace(['/', '\\'], "_")
            );
            let path = directory.join(name);
            storage::files::write_private_file(&path, &item.content)
                .with_context(|| format!("cannot write {}", path.display()))?;
            saved.push(path.display().to_string());
        }
    }
    if json {
        let evidence: Vec<serde_json::Value> = evidence
            .iter()
            .map(|item| json!({ "step_key": item.step_key, "name": item.name, "media_type": item.media_type, "bytes": item.content.len(), "created_at": item.created_at }))
            .collect();
        print_json(&json!({
            "run": run,
            "steps": steps,
            "evidence": evidence,
            "saved_evidence": saved,
            "notifications": notifications,
            "actions": actions,
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    let (bold, plain) = if stdout_is_terminal() { ("\x1b[1m", "\x1b[0m") } else { ("", "") };
    outln!("{bold}{}{plain}  {} v{}  {}", run.reference, run.workflow, run.version, state(&run));
    outln!(
        "  started by {} {}  on {}",
        run.started_by.channel,
        run.started_by.address,
        uk::calendar::date_of_millis(run.created_at)
    );
    if let Some(message) = &run.message {
        outln!("  told the resident: {message}");
    }
    if let Some(reason) = &run.reason {
        outln!("  reason: {reason}");
    }
    if let Some(task) = &run.task {
        outln!("  task: {}{}", task.title, if task.decision.is_some() { " (decided)" } else { "" });
        if !task.details.is_empty() {
            outln!("        {}", task.details);
        }
        for (name, prompt) in &task.fields {
            outln!("        needs {name}: {prompt}");
        }
    }
    for (name, value) in &run.outputs {
        outln!("  output {name} = {}", value.as_str().map(str::to_string).unwrap_or_else(|| value.to_string()));
    }
    outln!();
    outln!("steps:");
    for step in &steps {
        let took =
            step.finished_at.map(|end| format!("{:.2}s", (end - step.started_at) as f64 / 1000.0)).unwrap_or_default();
        let attempt = if step.attempt > 1 { format!(" (attempt {})", step.attempt) } else { String::new() };
        outln!("  {:<9} {:<14} {}{attempt}  {took}", status_word(step.status), step.step_key, step.name);
        if let Some(error) = &step.error {
            outln!("  {:<9} {:<14} {error}", "", "");
        }
    }
    if !evidence.is_empty() {
        outln!();
        outln!("evidence:");
        for item in &evidence {
            outln!("  {} at step {} ({}, {} bytes)", item.name, item.step_key, item.media_type, item.content.len());
        }
        for path in &saved {
            outln!("  saved {path}");
        }
    }
    if !notifications.is_empty() {
        outln!();
        outln!("messages:");
        for note in &notifications {
            outln!("  to {}: {}", note.audience, note.message);
        }
    }
    if !actions.is_empty() {
        outln!();
        outln!("actions:");
        for action in &actions {
            outln!("  {} by {} {}", action.action, action.actor, action.detail);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A step's state in a word.
pub fn status_word(status: StepStatus) -> &'static str {
    match status {
        StepStatus::Started => "started",
        StepStatus::Completed => "ok",
        StepStatus::Failed => "FAILED",
        StepStatus::Skipped => "skipped",
        StepStatus::Waiting => "waiting",
    }
}
