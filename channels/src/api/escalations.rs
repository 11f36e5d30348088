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

use super::conversations::{ReplyView, transcript_views};
use super::error::ApiError;
use crate::AppState;
use crate::console::accounts::{Principal, Role};
use crate::console::auth::{CSRF_HEADER, Signed, constant_time_eq, require};
use crate::console::refusals::Refusal;

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

fn supervisor(state: &AppState, who: &Principal) -> Result<(), crate::console::auth::Refused> {
    require(state, true, who, Role::Supervisor)
}

/// `GET /api/v1/escalations`: open ones (or those of a status), most urgent first.
async fn list(State(state): State<AppState>, Signed(who): Signed, Query(query): Query<ListQuery>) -> Response {
    if let Err(refused) = supervisor(&state, &who) {
        return refused.into();
    }
    let store = state.engine.store();
    let found = match query.status.as_deref() {
        None | Some("open") => store.open_escalations(500).await,
        Some(name) => match rpa::names::from_name::<EscalationStatus>(name) {
            Some(status) => store.escalations(Some(status), 500).await,
            None => {
                return ApiError::BadRequest(format!(
                    "`{name}` is not a status: use open, waiting, claimed, returned or resolved"
                ))
                .into_response();
            }
        },
    };
    match found {
        Ok(escalations) => Json(json!({"escalations": escalations})).into_response(),
        Err(_) => ApiError::Unavailable(5).into_response(),
    }
}

/// `GET /api/v1/escalations/{id}`: the escalation, its events and the transcript.
async fn show(State(state): State<AppState>, Signed(who): Signed, Path(id): Path<String>) -> Response {
    if let Err(refused) = supervisor(&state, &who) {
        return refused.into();
    }
    let store = state.engine.store();
    let Ok(Some(escalation)) = store.escalation(&id).await else {
        return ApiError::NotFound(format!("no escalation has the id `{id}`")).into_response();
    };
    let events = store.escalation_events(&id).await.unwrap_or_default();
    let transcript = transcript_views(&state.engine, &escalation.conversation_id).await;
    Json(json!({"escalation": escalation, "events": events, "transcript": transcript})).into_response()
}

/// `POST /api/v1/escalations/{id}/{action}` with `claim`, `reply` (`{"text"}`), `hand-back` or
/// `resolve` (`{"outcome"}`). A reply to a resident who has left the chat is refused with 409
/// and the code `resident_left`.
async fn act(
    State(state): State<AppState>,
    Signed(who): Signed,
    Path((id, action)): Path<(String, String)>,
    headers: HeaderMap,
    body: Option<Json<Value>>,
) -> Response {
    if let Err(refused) = supervisor(&state, &who) {
        return refused.into();
    }
    if let Some(expected) = &who.csrf {
        let sent = headers.get(CSRF_HEADER).and_then(|value| value.to_str().ok()).unwrap_or_default();
        if !constant_time_eq(sent.as_bytes(), expected.as_bytes()) {
            return (
                StatusCode::FORBIDDEN,
                Json(json!({"error": {"code": "csrf", "message": "send the session's CSRF token in X-CSRF-Token"}})),
            )
                .into_response();
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
        other => return ApiError::NotFound(format!("there is no action `{other}`")).into_response(),
    };
    match done {
        Ok(body) => Json(body).into_response(),
        Err(error) => {
            let refusal = Refusal::from(&error);
            if refusal.status == StatusCode::SERVICE_UNAVAILABLE {
                return ApiError::Unavailable(5).into_response();
            }
            let body = json!({"error": {"code": refusal.code, "message": refusal.message}});
            (refusal.status, Json(body)).into_response()
        }
    }
}
