//! Alerts about workflows in trouble: a watcher looks every so often (a minute by default), tells supervisors in Teams
//! when an alert is raised or clears, and puts the alerts that are up in a banner on every
//! console page.

use std::time::Duration;

use rpa::journal::WorkflowAlert;
use rpa::runner::AlertChange;
use serde_json::{Value, json};

use super::views::clock;
use crate::AppState;
use crate::teams::AlertGroup;

/// An alert as the banner shows it.
fn banner_line(alert: &WorkflowAlert) -> Value {
    let what = if alert.kind == "unreachable" { "its system is not answering" } else { "it is failing" };
    json!({"workflow": alert.workflow, "what": what, "detail": alert.detail, "since": clock(alert.raised_at)})
}

/// Changes that say the same thing, told together: one system not answering is one card
/// naming every workflow that uses it, not one card each.
fn grouped(changes: Vec<AlertChange>) -> Vec<AlertGroup> {
    let mut groups: Vec<AlertGroup> = Vec::new();
    for change in changes {
        let same = |group: &&mut AlertGroup| {
            group.kind == change.kind && group.raised == change.raised && group.detail == change.detail
        };
        match groups.iter_mut().find(|group| change.kind == "unreachable" && same(group)) {
            Some(group) => group.workflows.push(change.workflow),
            None => groups.push(AlertGroup {
                workflows: vec![change.workflow],
                kind: change.kind,
                raised: change.raised,
                detail: change.detail,
            }),
        }
    }
    groups
}

/// Looks once: raises and clears alerts, tells Teams of each change this instance made, and
/// refreshes the banner from the alerts that are up.
pub async fn watch_once(state: &AppState) {
    let Some(runner) = state.engine.runner() else { return };
    match runner.check_alerts().await {
        Ok(changes) => {
            for change in &changes {
                if change.raised {
                    tracing::warn!(workflow = %change.workflow, kind = change.kind, detail = %change.detail, "a workflow alert was raised");
                } else {
                    tracing::info!(workflow = %change.workflow, kind = change.kind, "a workflow alert cleared");
                }
            }
            if let Some(teams) = &state.teams {
                for group in grouped(changes) {
                    teams.alert_supervisors_about_workflows(&group).await;
                }
            }
        }
        Err(error) => tracing::warn!(error = %error, "could not check the workflows for alerts"),
    }
    match runner.journal().alerts().await {
        Ok(alerts) => state.templates.show_workflow_alerts(alerts.iter().map(banner_line).collect()),
        Err(error) => tracing::warn!(error = %error, "could not read the workflow alerts"),
    }
}

/// Watches for workflows in trouble `every` so often, until the task is dropped.
pub fn spawn_watcher(state: AppState, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            watch_once(&state).await;
            tokio::time::sleep(every.max(Duration::from_secs(1))).await;
        }
    })
}
