//! `/api/v1/escalations`: the queue and its actions for programs (a bearer token) and for the
//! console's scripts (a session, with its CSRF token in `X-CSRF-Token`). Supervisors only.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bot::conversation::{EscalationStatus, StaffMember};
use serde::Deserialize;
use serde_json::{Value, json};

use super::conversations::ReplyView;
use super::error::ApiError;
use crate::AppState;
use crate::console::auth::{CSRF_HEADER, Supervisor, constant_time_eq};

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/escalations", get(list))
        .route("/api/v1/escalations/{id}", get(show))
        .route("/api/v1/escalations/{id}/{action}", post(act))
}

/// Which escalations to list.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    status: Option<String>,
}

/// `GET /api/v1/escalations`: open ones (or those of a status), most urgent first.
async fn list(
    State(state): State<AppState>,
    Supervisor(_): Supervisor,
    Query(query): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let store = state.engine.store();
    let escalations = match query.status.as_deref() {
        None | Some("open") => store.open_escalations(500).await?,
        Some(name) => match storage::names::from_name::<EscalationStatus>(name) {
            Some(status) => store.escalations(Some(status), 500).await?,
            None => {
                return Err(ApiError::BadRequest(format!(
                    "`{name}` is not a status: use open, waiting, claimed, returned or resolved"
                )));
            }
        },
    };
    Ok(Json(json!({"escalations": escalations})))
}

/// `GET /api/v1/escalations/{id}`: the escalation, its events and the transcript.
async fn show(
    State(state): State<AppState>,
    Supervisor(_): Supervisor,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let store = state.engine.store();
    let escalation =
        store.escalation(&id).await?.ok_or_else(|| ApiError::NotFound(format!("no escalation has the id `{id}`")))?;
    let events = store.escalation_events(&id).await?;
    let transcript: Vec<ReplyView> =
        state.engine.transcript(&escalation.conversation_id, 0).await?.into_iter().map(ReplyView::from).collect();
    Ok(Json(json!({"escalation": escalation, "events": events, "transcript": transcript})))
}

/// `POST /api/v1/escalations/{id}/{action}` with `claim`, `reply` (`{"text"}`), `hand-back` or
/// `resolve` (`{"outcome"}`). A reply to a resident who has left the chat is refused with 409
/// and the code `resident_left`.
async fn act(
    State(state): State<AppState>,
    Supervisor(who): Supervisor,
    Path((id, action)): Path<(String, String)>,
    headers: HeaderMap,
    body: Option<Json<Value>>,
) -> Result<Response, ApiError> {
    if let Some(expected) = &who.csrf {
        let sent = headers.get(CSRF_HEADER).and_then(|value| value.to_str().ok()).unwrap_or_default();
        if !constant_time_eq(sent.as_bytes(), expected.as_bytes()) {
            return Ok((
                StatusCode::FORBIDDEN,
                Json(json!({"error": {"code": "csrf", "message": "send the session's CSRF token in X-CSRF-Token"}})),
            )
                .into_response());
        }
    }
    let body = body.map(|Json(body)| body).unwrap_or(Value::Null);
    let text = |name: &str| body.get(name).and_then(Value::as_str).unwrap_or_default().to_string();
    let member = StaffMember { username: who.username.clone(), name: who.display_name.clone() };
    let engine = &state.engine;
    let done = match action.as_str() {
        "claim" => engine.claim(&id, &member).await.map(|escalation| json!({"escalation": escalation})),
        "reply" => engine
            .reply_as_staff(&id, &member, &text("text"))
            .await
            .map(|message| json!({"message": ReplyView::from(message)})),
        "hand-back" => engine.hand_back(&id, &member).await.map(|escalation| json!({"escalation": escalation})),
        "resolve" => {
            engine.resolve(&id, &member, &text("outcome")).await.map(|escalation| json!({"escalation": escalation}))
        }
        other => return Err(ApiError::NotFound(format!("there is no action `{other}`"))),
    };
    Ok(Json(done?).into_response())
}
