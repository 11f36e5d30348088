//! Who is asking: a session cookie (the console) or a bearer token (programs), with the role
//! each action needs. Without either the answer is 401; with the wrong role, 403. Forms carry
//! the session's CSRF token, and JSON requests sent with a session carry it as a header.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::accounts::{Principal, Role};
use crate::AppState;
use crate::web::cookie;

/// The session cookie.
pub const SESSION_COOKIE: &str = "councilbot_session";
/// The cookie that carries the sign-in form's CSRF token before there is a session.
pub const LOGIN_CSRF_COOKIE: &str = "councilbot_login_csrf";
/// The cookie binding a sign-in through OpenID Connect to the browser that started it.
pub const SIGN_IN_COOKIE: &str = "councilbot_oidc";
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
    super::pages::login_page(state, StatusCode::UNAUTHORIZED, None, None, None)
}

/// The 403 answer.
pub fn forbidden(state: &AppState, json: bool, who: &Principal) -> Response {
    let message = "Your account does not have the role this needs. Ask an administrator for access.";
    if json {
        return (StatusCode::FORBIDDEN, axum::Json(json!({"error": {"code": "forbidden", "message": message}})))
            .into_response();
    }
    super::pages::problem_page(state, StatusCode::FORBIDDEN, Some(who), "You cannot see this page", message)
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

/// A request refused, with the answer to give.
pub struct Refused(Box<Response>);

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        *self.0
    }
}

impl From<Refused> for Response {
    fn from(refused: Refused) -> Response {
        *refused.0
    }
}

/// Refuses anyone whose role is below `needed`.
pub fn require(state: &AppState, json: bool, who: &Principal, needed: Role) -> Result<(), Refused> {
    if who.role >= needed { Ok(()) } else { Err(Refused(Box::new(forbidden(state, json, who)))) }
}

/// Refuses anyone whose role is below `needed`, then a form sent without the session's CSRF
/// token: what every console form that changes something checks first.
pub fn require_form(state: &AppState, who: &Principal, needed: Role, sent: Option<&str>) -> Result<(), Refused> {
    require(state, false, who, needed)?;
    check_csrf(state, who, sent)
}

/// Checks a form's CSRF token against the session's (tokens sent by programs need none).
pub fn check_csrf(state: &AppState, who: &Principal, sent: Option<&str>) -> Result<(), Refused> {
    match &who.csrf {
        None => Ok(()),
        Some(expected) if sent.is_some_and(|sent| constant_time_eq(sent.as_bytes(), expected.as_bytes())) => Ok(()),
        Some(_) => Err(Refused(Box::new(super::pages::problem_page(
            state,
            StatusCode::FORBIDDEN,
            Some(who),
            "The form has expired",
            "Go back, reload the page and try again.",
        )))),
    }
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |difference, (x, y)| difference | (x ^ y)) == 0
}

/// A cookie for a session or a sign-in, HttpOnly and SameSite=Strict (Secure over HTTPS).
pub fn session_cookie(name: &str, value: &str, max_age_seconds: i64, secure: bool) -> HeaderValue {
    let text = format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_seconds}{}",
        if secure { "; Secure" } else { "" }
    );
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The cookie binding a sign-in through OpenID Connect to this browser: HttpOnly, only sent to
/// `/console/oidc`, and SameSite=Lax because the provider sends the browser back from its own
/// site, when a Strict cookie would be held back (Secure over HTTPS).
pub fn sign_in_cookie(value: &str, max_age_seconds: i64, secure: bool) -> HeaderValue {
    let text = format!(
        "{SIGN_IN_COOKIE}={value}; Path=/console/oidc; HttpOnly; SameSite=Lax; Max-Age={max_age_seconds}{}",
        if secure { "; Secure" } else { "" }
    );
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}
