//! The live queue of open escalations, most urgent first: the page, and its table alone for
//! live updates.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use bot::conversation::store::StoreError;
use bot::conversation::{ConversationStatus, ConversationStore, Escalation};
use serde::Deserialize;
use serde_json::{Value, json};

use super::accounts::Principal;
use super::auth::{Supervisor, check_csrf};
use super::error::PageError;
use super::views::{clock, duration_text, reason_text, shorten};
use crate::AppState;

/// The queue's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console", get(queue))
        .route("/console/queue", get(queue_table))
        .route("/console/languages", post(languages))
}

/// The open escalations as rows of the queue, Welsh conversations first (within each priority)
/// for someone who speaks Welsh; a failure to read any of it fails the page.
async fn queue_rows(state: &AppState, who: &Principal, speaks_welsh: bool) -> Result<Vec<Value>, PageError> {
    let mut rows = open_escalation_rows(state.engine.store())
        .await
        .map_err(|error| PageError::unavailable(state, who, "the queue could not be read", &error))?;
    if speaks_welsh {
        rows.sort_by_key(|row| (row["priority"] != "high", row["language"] != "cy"));
    }
    Ok(rows)
}

/// Whether the member of staff signed in has said they speak Welsh.
async fn speaks_welsh(state: &AppState, who: &Principal) -> Result<bool, PageError> {
    state
        .accounts
        .speaks_welsh(&who.username)
        .await
        .map_err(|error| PageError::unavailable(state, who, "the languages you speak could not be read", &error))
}

/// Every open escalation of a store as a row of a queue, most urgent first.
pub(crate) async fn open_escalation_rows(store: &ConversationStore) -> Result<Vec<Value>, StoreError> {
    let now = storage::now_millis();
    let escalations = store.open_escalations(500).await?;
    let mut rows = Vec::with_capacity(escalations.len());
    for escalation in escalations {
        let conversation = store.get(&escalation.conversation_id).await?;
        let preview = store
            .last_user_message(&escalation.conversation_id)
            .await?
            .map(|text| shorten(&text, 90))
            .unwrap_or_default();
        let left = match &conversation {
            Some(conversation) if conversation.status == ConversationStatus::Ended => {
                Some(left_at(store, &escalation, now).await?)
            }
            _ => None,
        };
        rows.push(json!({
            "id": escalation.id,
            "priority": escalation.priority,
            "reason_text": reason_text(escalation.reason),
            "waiting": duration_text(now - escalation.created_at),
            "since": escalation.created_at,
            "left": left,
            "channel": conversation.map(|conversation| conversation.channel).unwrap_or_default(),
            "preview": preview,
            "status": escalation.status,
            "assignee": escalation.assignee,
            "language": escalation.language.code(),
            "language_name": escalation.language.own_name(),
        }));
    }
    Ok(rows)
}

/// `GET /console`: the queue.
async fn queue(State(state): State<AppState>, Supervisor(who): Supervisor) -> Result<Response, PageError> {
    let council = &state.engine.settings().council;
    let welsh = speaks_welsh(&state, &who).await?;
    let rows = queue_rows(&state, &who, welsh).await?;
    Ok(state.templates.page(
        StatusCode::OK,
        "queue.html",
        json!({"council": council, "title": "Queue", "who": who, "csrf": who.csrf, "page": "queue", "rows": rows,
               "speaks_welsh": welsh}),
    ))
}

/// The form that says whether the member of staff signed in speaks Welsh.
#[derive(Debug, Deserialize)]
struct LanguagesForm {
    csrf: Option<String>,
    /// `yes` when they speak Welsh.
    welsh: Option<String>,
}

/// `POST /console/languages`: whether the member of staff signed in speaks Welsh; Welsh
/// conversations are then offered to them first.
async fn languages(
    State(state): State<AppState>,
    Supervisor(who): Supervisor,
    Form(form): Form<LanguagesForm>,
) -> Result<Response, PageError> {
    check_csrf(&state, &who, form.csrf.as_deref())?;
    let welsh = form.welsh.as_deref() == Some("yes");
    state
        .accounts
        .set_speaks_welsh(&who.username, welsh)
        .await
        .map_err(|error| PageError::unavailable(&state, &who, "the languages you speak could not be saved", &error))?;
    Ok(Redirect::to("/console").into_response())
}

/// `GET /console/queue`: the queue's table alone, for live updates.
async fn queue_table(State(state): State<AppState>, Supervisor(who): Supervisor) -> Result<Response, PageError> {
    let rows = queue_rows(&state, &who, speaks_welsh(&state, &who).await?).await?;
    Ok(state.templates.page(StatusCode::OK, "queue_table.html", json!({"rows": rows})))
}

/// When the person left the chat, as the console shows it (when it was noted).
pub(super) async fn left_view(
    state: &AppState,
    who: &Principal,
    escalation: &Escalation,
    now: i64,
) -> Result<Value, PageError> {
    left_at(state.engine.store(), escalation, now)
        .await
        .map_err(|error| PageError::unavailable(state, who, "when a person left the chat could not be read", &error))
}

/// When the person left the chat (when it was noted), as it is shown.
async fn left_at(store: &ConversationStore, escalation: &Escalation, now: i64) -> Result<Value, StoreError> {
    Ok(match store.left_at(&escalation.id).await? {
        Some(at) => json!({"at": clock(at), "ago": duration_text(now - at)}),
        None => json!({"at": null, "ago": null}),
    })
}
