//! Signing in and out of the console: the sign-in form (local accounts), signing in through the
//! council's OpenID Connect service, and signing out here or everywhere.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::accounts::{
    AccountError, Principal, SESSION_MILLIS, SIGN_IN_MILLIS, is_username, printable_username, random_token,
};
use super::auth::{Signed, check_csrf, tokens_match};
use super::cookies::{LOGIN_CSRF_COOKIE, SESSION_COOKIE, SIGN_IN_COOKIE, session_cookie, sign_in_cookie};
use super::oidc::OidcProvider;
use super::views::{login_page, problem_page};
use crate::AppState;
use crate::client::ClientAddress;
use crate::web::cookie;

/// The routes for signing in and out.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/login", get(login_form).post(login))
        .route("/console/logout", post(logout))
        .route("/console/logout/everywhere", post(logout_everywhere))
        .route("/console/oidc/login", get(oidc_login))
        .route("/console/oidc/callback", get(oidc_callback))
}

/// `GET /console/login`.
async fn login_form(State(state): State<AppState>) -> Response {
    login_page(&state, StatusCode::OK, None, None, None)
}

/// The sign-in form.
#[derive(Debug, Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    csrf: Option<String>,
}

/// `POST /console/login`. Every refusal but a wait gives the same answer, whether the username
/// is unknown, unusable (control characters, too long) or has another password, and each is
/// audited under the name as typed (made printable).
async fn login(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE);
    if !tokens_match(expected.as_deref(), form.csrf.as_deref()) {
        return login_page(
            &state,
            StatusCode::FORBIDDEN,
            Some("The form expired. Please sign in again.".into()),
            None,
            None,
        );
    }
    let username = form.username.trim();
    let shown = is_username(username).then(|| username.to_string());
    let actor = printable_username(username);
    if let Err(wait) = state.logins.check(&client.to_string()) {
        return too_many(&state, wait, "Too many attempts from here.", shown);
    }
    match state.accounts.sign_in(username, &form.password, client).await {
        Ok(principal) => {
            record(&state, &principal.username, "sign_in", "password").await;
            start_session(&state, &principal).await
        }
        Err(AccountError::WrongCredentials) => {
            let detail = if shown.is_some() { "" } else { "a username no account could have" };
            record(&state, &actor, "sign_in_failed", detail).await;
            login_page(
                &state,
                StatusCode::UNAUTHORIZED,
                Some("The username or password is not right.".to_string()),
                shown,
                None,
            )
        }
        Err(AccountError::Throttled(seconds)) => {
            record(&state, &actor, "sign_in_waiting", "").await;
            too_many(&state, u64::try_from(seconds).unwrap_or(1), "Too many failed sign-ins.", shown)
        }
        Err(error) => {
            tracing::error!(error = %error, "signing in failed");
            login_page(
                &state,
                StatusCode::SERVICE_UNAVAILABLE,
                Some("Signing in is unavailable. Try again shortly.".into()),
                None,
                None,
            )
        }
    }
}

/// The answer to an attempt that must wait: 429 with `Retry-After`.
fn too_many(state: &AppState, seconds: u64, why: &str, username: Option<String>) -> Response {
    let seconds = seconds.max(1);
    let unit = if seconds == 1 { "second" } else { "seconds" };
    let message = format!("{why} Wait {seconds} {unit}, then try again.");
    let mut response = login_page(state, StatusCode::TOO_MANY_REQUESTS, Some(message), username, None);
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

/// Writes to the audit log; a failure is logged, not shown.
async fn record(state: &AppState, actor: &str, action: &str, detail: &str) {
    if let Err(error) = state.engine.store().audit(actor, action, "console", detail).await {
        tracing::error!(error = %error, action, "the audit log could not be written");
    }
}

/// Starts a session and sends the person to the queue.
async fn start_session(state: &AppState, principal: &Principal) -> Response {
    match state.accounts.start_session(principal).await {
        Ok((token, _)) => {
            // A page rather than a redirect, so the first request of the session is same-site
            // and carries its SameSite=Strict cookie even after a sign-in through another site.
            let mut response = (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::REFRESH, "0;url=/console")],
                "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Signed in</title></head><body>\
                 <p><a href=\"/console\">Continue to the console</a></p></body></html>",
            )
                .into_response();
            response.headers_mut().append(
                header::SET_COOKIE,
                session_cookie(SESSION_COOKIE, &token, SESSION_MILLIS / 1000, state.settings.secure_cookies),
            );
            response
                .headers_mut()
                .append(header::SET_COOKIE, session_cookie(LOGIN_CSRF_COOKIE, "", 0, state.settings.secure_cookies));
            response
        }
        Err(error) => {
            tracing::error!(error = %error, "a session could not be started");
            login_page(
                state,
                StatusCode::SERVICE_UNAVAILABLE,
                Some("Signing in is unavailable. Try again shortly.".into()),
                None,
                None,
            )
        }
    }
}

/// A form that only carries the CSRF token.
#[derive(Debug, Deserialize)]
struct CsrfForm {
    csrf: Option<String>,
}

/// `POST /console/logout`: ends this session.
async fn logout(
    State(state): State<AppState>,
    Signed(who): Signed,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(refused) = check_csrf(&state, &who, form.csrf.as_deref()) {
        return refused.into_response();
    }
    if let Some(token) = cookie(&headers, SESSION_COOKIE)
        && let Err(error) = state.accounts.end_session(&token).await
    {
        tracing::error!(error = %error, "a session could not be ended");
    }
    record(&state, &who.username, "sign_out", "").await;
    signed_out(&state, "You have signed out.")
}

/// `POST /console/logout/everywhere`: ends every session of the account, in every browser.
async fn logout_everywhere(State(state): State<AppState>, Signed(who): Signed, Form(form): Form<CsrfForm>) -> Response {
    if let Err(refused) = check_csrf(&state, &who, form.csrf.as_deref()) {
        return refused.into_response();
    }
    if who.csrf.is_none() {
        return problem_page(
            &state,
            StatusCode::BAD_REQUEST,
            Some(&who),
            "Not for tokens",
            "Signing out is for people signed in; an API token is withdrawn by making a new one.",
        );
    }
    match state.accounts.end_sessions(&who.username).await {
        Ok(ended) => {
            record(&state, &who.username, "sign_out_everywhere", &format!("{ended} sessions ended")).await;
            signed_out(&state, "You have signed out everywhere: every session of your account has ended.")
        }
        Err(error) => {
            tracing::error!(error = %error, "sessions could not be ended");
            problem_page(
                &state,
                StatusCode::SERVICE_UNAVAILABLE,
                Some(&who),
                "Unavailable",
                "Your sessions could not be ended. Please try again shortly.",
            )
        }
    }
}

/// The sign-in page with a notice, and the session cookie cleared.
fn signed_out(state: &AppState, notice: &str) -> Response {
    let mut response = login_page(state, StatusCode::OK, None, None, Some(notice));
    response
        .headers_mut()
        .append(header::SET_COOKIE, session_cookie(SESSION_COOKIE, "", 0, state.settings.secure_cookies));
    response
}

/// `GET /console/oidc/login`: off to the council's sign-in service, with a short-lived cookie
/// that binds the sign-in to this browser.
async fn oidc_login(State(state): State<AppState>) -> Response {
    let Some(provider) = &state.oidc else {
        return login_page(
            &state,
            StatusCode::NOT_FOUND,
            Some("Signing in with a council account is not set up.".into()),
            None,
            None,
        );
    };
    let binding = random_token();
    match provider.authorization_url(&state.accounts, &binding).await {
        Ok(url) => {
            let mut response = Redirect::to(&url).into_response();
            response.headers_mut().append(
                header::SET_COOKIE,
                sign_in_cookie(&binding, SIGN_IN_MILLIS / 1000, state.settings.secure_cookies),
            );
            response
        }
        Err(error) => {
            tracing::warn!(error = %error, "a sign-in could not be started");
            login_page(&state, StatusCode::BAD_GATEWAY, Some(error.to_string()), None, None)
        }
    }
}

/// What the sign-in service sends people back with.
#[derive(Debug, Deserialize)]
struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /console/oidc/callback`: completes a sign-in, only in the browser that started it.
async fn oidc_callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(callback): Query<Callback>,
) -> Response {
    let Some(provider) = &state.oidc else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut response = oidc_finish(&state, provider, &headers, callback).await;
    // The binding is used once, whatever happened.
    response.headers_mut().append(header::SET_COOKIE, sign_in_cookie("", 0, state.settings.secure_cookies));
    response
}

async fn oidc_finish(state: &AppState, provider: &OidcProvider, headers: &HeaderMap, callback: Callback) -> Response {
    if let Some(error) = callback.error {
        let message = format!("The sign-in was refused: {}", callback.error_description.unwrap_or(error));
        return login_page(state, StatusCode::UNAUTHORIZED, Some(message), None, None);
    }
    let (Some(code), Some(sign_in)) = (callback.code, callback.state) else {
        return login_page(
            state,
            StatusCode::BAD_REQUEST,
            Some("The sign-in came back incomplete.".into()),
            None,
            None,
        );
    };
    let binding = cookie(headers, SIGN_IN_COOKIE).unwrap_or_default();
    match provider.complete(&state.accounts, &code, &sign_in, &binding).await {
        Ok(principal) => {
            record(state, &principal.username, "sign_in", "openid connect").await;
            start_session(state, &principal).await
        }
        Err(error) => {
            tracing::warn!(error = %error, "a sign-in could not be completed");
            login_page(state, StatusCode::UNAUTHORIZED, Some(error.to_string()), None, None)
        }
    }
}
