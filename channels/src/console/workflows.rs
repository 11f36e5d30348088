//! The workflows page: every workflow the council runs, what starts it, when a schedule is next
//! and was last due, and its latest run.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use rpa::journal::WorkflowRecord;
use rpa::runner::local_time;
use serde_json::{Value, json};

use super::auth::Supervisor;
use super::error::PageError;
use super::views::{clock, duration_text};
use crate::AppState;

/// The workflows page's route.
pub fn router() -> Router<AppState> {
    Router::new().route("/console/workflows", get(workflows))
}

/// A workflow's record over a period, as the page shows it.
fn record_view(record: &WorkflowRecord) -> Value {
    json!({
        "runs": record.runs,
        "success": record.success_rate().map(|rate| format!("{:.0}%", rate * 100.0)),
        "median": record.median_millis.map(duration_text),
        "p95": record.p95_millis.map(duration_text),
        "waiting": record.waiting,
    })
}

/// Minutes as hours and minutes, such as `3 h 20 min`.
fn hours_and_minutes(minutes: u64) -> String {
    match (minutes / 60, minutes % 60) {
        (0, minutes) => format!("{minutes} min"),
        (hours, 0) => format!("{hours} h"),
        (hours, minutes) => format!("{hours} h {minutes} min"),
    }
}

/// `GET /console/workflows`.
async fn workflows(State(state): State<AppState>, Supervisor(who): Supervisor) -> Result<Response, PageError> {
    let mut rows: Vec<Value> = Vec::new();
    if let Some(runner) = state.engine.runner() {
        let unavailable = |error: &dyn std::fmt::Display| {
            PageError::unavailable(&state, &who, "the workflows' runs could not be read", error)
        };
        let schedules = runner.schedules().await.map_err(|error| unavailable(&error))?;
        let zone = &runner.config().time_zone;
        for file in runner.catalogue().iter() {
            let workflow = &file.workflow;
            let name = &workflow.name.value;
            let trigger = workflow.trigger.as_ref();
            let schedule = schedules.iter().find(|status| &status.workflow == name).map(|status| {
                let last = status.last.as_ref();
                json!({
                    "cron": status.schedule,
                    "next": status.next_due.map(|due| local_time(due, zone)),
                    "last": last.map(|claim| local_time(claim.due_at, zone)),
                    "last_missed": last.is_some_and(|claim| claim.run_id.is_none()),
                    "last_late": last.is_some_and(|claim| claim.late != 0),
                })
            });
            let last_run = runner.journal().last_run(name).await.map_err(|error| unavailable(&error))?;
            let days_ago = |days: i64| storage::now_millis() - days * 86_400_000;
            let journal = runner.journal();
            let week = journal.workflow_record(name, days_ago(7)).await.map_err(|error| unavailable(&error))?;
            let month = journal.workflow_record(name, days_ago(30)).await.map_err(|error| unavailable(&error))?;
            let minutes_saved = workflow.manual_minutes.map(|minutes| u64::from(minutes) * month.succeeded as u64);
            rows.push(json!({
                "name": name,
                "version": workflow.version,
                "description": workflow.description.english,
                "intent": trigger.and_then(|trigger| trigger.intent.as_ref()).map(|intent| intent.name.clone()),
                "webhook": trigger.is_some_and(|trigger| trigger.webhook.is_some()),
                "schedule": schedule,
                "week": record_view(&week),
                "month": record_view(&month),
                "saved": minutes_saved.map(hours_and_minutes),
                "last_run": last_run.map(|run| json!({
                    "id": run.id,
                    "reference": run.reference,
                    "status": super::runs::status_text(run.status),
                    "when": clock(run.created_at),
                    "started_by": run.started_by.channel,
                })),
            }));
        }
    }
    let problems: Vec<String> = state
        .engine
        .runner()
        .map(|runner| runner.catalogue().problems().iter().map(|problem| problem.to_string()).collect())
        .unwrap_or_default();
    let council = &state.engine.settings().council;
    Ok(state.templates.page(
        StatusCode::OK,
        "workflows.html",
        json!({"council": council, "title": "Workflows", "who": who, "csrf": who.csrf, "page": "workflows",
               "workflows": rows, "problems": problems, "runs_here": state.engine.runner().is_some()}),
    ))
}
