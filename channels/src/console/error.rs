//! The one way a console page fails: the problem page, with a plain message and the status that
//! fits, and the cause logged but never shown.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::accounts::Principal;
use super::views::problem_page;
use crate::AppState;

/// A console page that could not be shown, already rendered as the problem page.
#[derive(Debug)]
pub struct PageError(Box<Response>);

impl PageError {
    /// The 503 page for a failure to read or save what a page needs; `failed` is logged with the
    /// error, which is not shown.
    pub fn unavailable(state: &AppState, who: &Principal, failed: &str, error: &dyn std::fmt::Display) -> PageError {
        tracing::error!(error = %error, "{failed}");
        PageError::from(problem_page(
            state,
            StatusCode::SERVICE_UNAVAILABLE,
            Some(who),
            "Unavailable",
            "Please try again shortly.",
        ))
    }

    /// The 404 page: `message` says what there is no such of.
    pub fn not_found(state: &AppState, who: &Principal, message: &str) -> PageError {
        PageError::from(problem_page(state, StatusCode::NOT_FOUND, Some(who), "Not found", message))
    }
}

impl From<Response> for PageError {
    fn from(response: Response) -> PageError {
        PageError(Box::new(response))
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        *self.0
    }
}
