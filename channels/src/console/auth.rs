//! Who is asking: a session cookie (the console) or a bearer token (programs), and the role
//! each action needs, as extractors (`Supervisor`, `Editor`, `Admin`). Without either the answer
//! is 401; with the wrong role, 403. Forms carry the session's CSRF token, and JSON requests sent
//! with a session carry it as a header.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::accounts::{Principal, Role};
use super::cookies::SESSION_COOKIE;
use super::error::PageError;
use super::views::{login_page, problem_page};
use crate::AppState;
use crate::web::cookie;

/// The header JSON requests made with a session carry the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Someone signed in or holding a token.
#[derive(Debug, Clone)]
pub struct Signed(pub Principal);

fn wants_json(parts: &Parts) -> bool {
    parts.uri.path().starts_with("/api/")
}

/// The 401 answer: the sign-in page for the console, JSON for the API.
pub fn unauthenticated(state: &AppState, json: bool) -> Response {
    if json {
        let mut response = (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"error": {"code": "unauthenticated", "message": "sign in, or send a bearer token"}})),
        )
            .into_response();
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return response;
    }
    login_page(state, StatusCode::UNAUTHORIZED, None, None, None)
}

/// The 403 answer.
pub fn forbidden(state: &AppState, json: bool, who: &Principal) -> Response {
    let message = "Your account does not have the role this needs. Ask an administrator for access.";
    if json {
        return (StatusCode::FORBIDDEN, axum::Json(json!({"error": {"code": "forbidden", "message": message}})))
            .into_response();
    }
    problem_page(state, StatusCode::FORBIDDEN, Some(who), "You cannot see this page", message)
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Signed, Response> {
        let json = wants_json(parts);
        if let Some(token) = bearer(&parts.headers) {
            return match state.accounts.token(&token).await {
                Ok(Some(principal)) => Ok(Signed(principal)),
                Ok(None) => Err(unauthenticated(state, true)),
                Err(error) => Err(internal(error)),
            };
        }
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(unauthenticated(state, json));
        };
        match state.accounts.session(&token).await {
            Ok(Some(principal)) => Ok(Signed(principal)),
            Ok(None) => Err(unauthenticated(state, json)),
            Err(error) => Err(internal(error)),
        }
    }
}

fn internal(error: impl std::fmt::Display) -> Response {
    tracing::error!(error = %error, "checking who is signed in failed");
    (StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, "5")], "Please try again in a moment.").into_response()
}

/// The bearer token a request carries in `Authorization`, if any.
pub fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer "))?.trim();
    (!token.is_empty()).then(|| token.to_string())
}

/// Someone signed in whose role is at least `needed`: anyone else is refused with 403.
async fn signed_as(parts: &mut Parts, state: &AppState, needed: Role) -> Result<Principal, Response> {
    let Signed(who) = Signed::from_request_parts(parts, state).await?;
    if who.role >= needed { Ok(who) } else { Err(forbidden(state, wants_json(parts), &who)) }
}

/// Someone who works the queue (a supervisor, editor or admin).
#[derive(Debug, Clone)]
pub struct Supervisor(pub Principal);

impl FromRequestParts<AppState> for Supervisor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Supervisor, Response> {
        signed_as(parts, state, Role::Supervisor).await.map(Supervisor)
    }
}

/// Someone who writes curated answers and examples of services (an editor or admin).
#[derive(Debug, Clone)]
pub struct Editor(pub Principal);

impl FromRequestParts<AppState> for Editor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Editor, Response> {
        signed_as(parts, state, Role::Editor).await.map(Editor)
    }
}

/// An administrator.
#[derive(Debug, Clone)]
pub struct Admin(pub Principal);

impl FromRequestParts<AppState> for Admin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Admin, Response> {
        signed_as(parts, state, Role::Admin).await.map(Admin)
    }
}

/// Checks a form's CSRF token against the session's (tokens sent by programs need none): what
/// every console form that changes something checks first.
pub fn check_csrf(state: &AppState, who: &Principal, sent: Option<&str>) -> Result<(), PageError> {
    match &who.csrf {
        None => Ok(()),
        Some(expected) if sent.is_some_and(|sent| constant_time_eq(sent.as_bytes(), expected.as_bytes())) => Ok(()),
        Some(_) => Err(PageError::from(problem_page(
            state,
            StatusCode::FORBIDDEN,
            Some(who),
            "The form has expired",
            "Go back, reload the page and try again.",
        ))),
    }
}

/// Whether a form sent the token expected of it; with none expected or none sent, it did not.
pub fn tokens_match(expected: Option<&str>, sent: Option<&str>) -> bool {
    matches!((expected, sent), (Some(expected), Some(sent)) if constant_time_eq(expected.as_bytes(), sent.as_bytes()))
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |difference, (x, y)| difference | (x ^ y)) == 0
}
