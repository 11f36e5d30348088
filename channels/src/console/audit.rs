//! The audit log, newest first, two hundred entries a page: admins only.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Admin;
use super::error::PageError;
use super::views::clock;
use crate::AppState;

/// The audit log's route.
pub fn router() -> Router<AppState> {
    Router::new().route("/console/audit", get(audit))
}

/// Which entries of the audit log to show.
#[derive(Debug, Deserialize)]
struct AuditQuery {
    before: Option<i64>,
}

/// `GET /console/audit`.
async fn audit(
    State(state): State<AppState>,
    Admin(who): Admin,
    Query(query): Query<AuditQuery>,
) -> Result<Response, PageError> {
    let entries = state
        .engine
        .store()
        .audit_log(200, query.before)
        .await
        .map_err(|error| PageError::unavailable(&state, &who, "the audit log could not be read", &error))?;
    let older = (entries.len() == 200).then(|| entries.last().map(|entry| entry.id)).flatten();
    let rows: Vec<Value> = entries
        .iter()
        .map(|entry| {
            json!({"when": clock(entry.at), "actor": entry.actor, "action": entry.action.replace('_', " "),
                             "target": entry.target, "detail": entry.detail})
        })
        .collect();
    let council = &state.engine.settings().council;
    Ok(state.templates.page(
        StatusCode::OK,
        "audit.html",
        json!({"council": council, "title": "Audit log", "who": who, "csrf": who.csrf, "page": "audit",
               "entries": rows, "older": older}),
    ))
}
