//! The supervisor console under `/console`: sign-in (local accounts or OpenID Connect), signing
//! out (here or everywhere), the live queue of escalations, each escalation with its transcript,
//! details and run (and, when the resident has left the chat, other ways to reach them), the
//! audit log, the figures, and the curated answers and examples of services that editors write.

pub mod accounts;
pub mod answers;
pub mod auth;
mod charts;
pub mod error;
pub mod examples;
pub mod hashing;
pub mod live;
pub mod oidc;
pub mod pages;
pub mod reach;
pub mod refusals;
pub mod throttle;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use self::accounts::SIGN_IN_MILLIS;
use self::oidc::OidcProvider;
use crate::AppState;
use crate::web::cookie;

/// The console's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console", get(pages::queue))
        .route("/console/login", get(pages::login_form).post(pages::login))
        .route("/console/logout", post(pages::logout))
        .route("/console/logout/everywhere", post(pages::logout_everywhere))
        .route("/console/oidc/login", get(oidc_login))
        .route("/console/oidc/callback", get(oidc_callback))
        .route("/console/queue", get(pages::queue_table))
        .route("/console/events", get(live::events))
        .route("/console/queue/events", get(live::events))
        .route("/console/escalations/{id}", get(pages::escalation))
        .route("/console/escalations/{id}/transcript", get(pages::escalation_transcript))
        .route("/console/escalations/{id}/status", get(pages::escalation_status))
        .route("/console/escalations/{id}/evidence/{index}", get(pages::evidence))
        .route("/console/escalations/{id}/run/{action}", post(pages::act_on_run))
        .route("/console/escalations/{id}/{action}", post(pages::act))
        .route("/console/audit", get(pages::audit))
        .route("/console/figures", get(pages::figures))
        .route("/console/figures.csv", get(pages::figures_csv))
        .route("/console/answers", get(answers::list))
        .route("/console/answers/new", get(answers::new_form).post(answers::create))
        .route("/console/answers/{id}", get(answers::show).post(answers::update))
        .route("/console/answers/{id}/switch", post(answers::switch))
        .route("/console/examples", get(examples::list).post(examples::add))
        .route("/console/examples/remove", post(examples::remove))
}

/// `GET /console/oidc/login`: off to the council's sign-in service, with a short-lived cookie
/// that binds the sign-in to this browser.
async fn oidc_login(State(state): State<AppState>) -> Response {
    let Some(provider) = &state.oidc else {
        return pages::login_page(
            &state,
            StatusCode::NOT_FOUND,
            Some("Signing in with a council account is not set up.".into()),
            None,
            None,
        );
    };
    let binding = accounts::random_token();
    match provider.authorization_url(&state.accounts, &binding).await {
        Ok(url) => {
            let mut response = Redirect::to(&url).into_response();
            response.headers_mut().append(
                header::SET_COOKIE,
                auth::sign_in_cookie(&binding, SIGN_IN_MILLIS / 1000, state.settings.secure_cookies),
            );
            response
        }
        Err(error) => {
            tracing::warn!(error = %error, "a sign-in could not be started");
            pages::login_page(&state, StatusCode::BAD_GATEWAY, Some(error.to_string()), None, None)
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
    response.headers_mut().append(header::SET_COOKIE, auth::sign_in_cookie("", 0, state.settings.secure_cookies));
    response
}

async fn oidc_finish(state: &AppState, provider: &OidcProvider, headers: &HeaderMap, callback: Callback) -> Response {
    if let Some(error) = callback.error {
        let message = format!("The sign-in was refused: {}", callback.error_description.unwrap_or(error));
        return pages::login_page(state, StatusCode::UNAUTHORIZED, Some(message), None, None);
    }
    let (Some(code), Some(sign_in)) = (callback.code, callback.state) else {
        return pages::login_page(
            state,
            StatusCode::BAD_REQUEST,
            Some("The sign-in came back incomplete.".into()),
            None,
            None,
        );
    };
    let binding = cookie(headers, auth::SIGN_IN_COOKIE).unwrap_or_default();
    match provider.complete(&state.accounts, &code, &sign_in, &binding).await {
        Ok(principal) => {
            if let Err(error) =
                state.engine.store().audit(&principal.username, "sign_in", "console", "openid connect").await
            {
                tracing::error!(error = %error, "the audit log could not be written");
            }
            pages::start_session(state, &principal).await
        }
        Err(error) => {
            tracing::warn!(error = %error, "a sign-in could not be completed");
            pages::login_page(state, StatusCode::UNAUTHORIZED, Some(error.to_string()), None, None)
        }
    }
}
