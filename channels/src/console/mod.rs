//! The supervisor console under `/console`: sign-in (local accounts or OpenID Connect), signing
//! out (here or everywhere), the live queue of escalations, each escalation with its transcript,
//! details and run (and, when the resident has left the chat, other ways to reach them), the
//! audit log, the figures, and the curated answers and examples of services that editors write.

pub mod accounts;
pub mod alerts;
pub mod answers;
pub mod audit;
pub mod auth;
mod charts;
pub mod cookies;
pub mod error;
pub mod escalation;
pub mod examples;
pub mod figures;
pub mod hashing;
pub mod language;
pub mod live;
pub mod oidc;
pub mod queue;
pub mod reach;
pub mod refusals;
pub mod runs;
pub mod session;
mod task_form;
pub mod throttle;
pub mod views;
pub mod workflows;

use axum::Router;

use crate::AppState;

/// The console's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(session::router())
        .merge(queue::router())
        .merge(live::router())
        .merge(escalation::router())
        .merge(audit::router())
        .merge(figures::router())
        .merge(answers::router())
        .merge(examples::router())
        .merge(workflows::router())
        .merge(runs::router())
        .merge(language::router())
        .layer(axum::middleware::from_fn(language::in_chosen_language))
}
