//! The API's errors: a small set of codes, each with its HTTP status and a message saying what
//! is wrong; internal details are logged, never sent.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bot::conversation::store::StoreError;
use bot::conversation::{EngineError, StaffActionError};
use serde_json::json;

use crate::console::refusals::Refusal;

/// An error answered to an API client.
#[derive(Debug)]
pub enum ApiError {
    /// The request is malformed (bad JSON, wrong fields).
    BadRequest(String),
    /// The request is well formed but its content is not acceptable.
    Unprocessable(String),
    /// Inputs that do not fit a workflow, each problem named.
    InvalidInputs(Vec<String>),
    /// The request does not carry the credentials it needs.
    Unauthorized(String),
    /// Nothing has that id.
    NotFound(String),
    /// The thing is not in a state to do that.
    Conflict(String),
    /// Too many requests; try again after this many seconds.
    TooManyRequests(u64),
    /// The body is too large.
    TooLarge(String),
    /// The body is not JSON.
    UnsupportedMediaType(String),
    /// A service councilbot depends on is down; try again after this many seconds.
    Unavailable(u64),
    /// A staff action on an escalation was refused, as the console would say it.
    Refused(Refusal),
    /// Something went wrong inside councilbot.
    Internal,
}

impl ApiError {
    /// The HTTP status.
    pub fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unprocessable(_) | ApiError::InvalidInputs(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Refused(refusal) => refusal.status,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Unprocessable(_) | ApiError::InvalidInputs(_) => "invalid",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::NotFound(_) => "not_found",
            ApiError::Conflict(_) => "conflict",
            ApiError::TooManyRequests(_) => "rate_limited",
            ApiError::TooLarge(_) => "too_large",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Refused(refusal) => refusal.code,
            ApiError::Internal => "internal",
        }
    }

    fn message(&self) -> String {
        match self {
            ApiError::BadRequest(message)
            | ApiError::Unprocessable(message)
            | ApiError::Unauthorized(message)
            | ApiError::NotFound(message)
            | ApiError::Conflict(message)
            | ApiError::TooLarge(message)
            | ApiError::UnsupportedMediaType(message) => message.clone(),
            ApiError::TooManyRequests(seconds) => {
                format!("too many requests; wait {seconds} seconds and try again")
            }
            ApiError::Unavailable(seconds) => {
                format!("the service is unavailable for a moment; try again in {seconds} seconds")
            }
            ApiError::InvalidInputs(problems) => format!("the inputs do not fit the workflow: {}", problems.join("; ")),
            ApiError::Refused(refusal) => refusal.message.clone(),
            ApiError::Internal => "something went wrong on our side; please try again".into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({"code": self.code(), "message": self.message()});
        if let ApiError::InvalidInputs(problems) = &self {
            error["problems"] = json!(problems);
        }
        let mut response = (self.status_code(), Json(json!({ "error": error }))).into_response();
        if let ApiError::Unauthorized(_) = self {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let ApiError::TooManyRequests(seconds) | ApiError::Unavailable(seconds) = self
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> ApiError {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => {
                ApiError::UnsupportedMediaType("send the body as JSON with `Content-Type: application/json`".into())
            }
            JsonRejection::JsonSyntaxError(error) => {
                ApiError::BadRequest(format!("the body is not valid JSON: {}", source_of(&error)))
            }
            JsonRejection::JsonDataError(error) => {
                ApiError::BadRequest(format!("the body does not fit: {}", source_of(&error)))
            }
            JsonRejection::BytesRejection(_) => ApiError::TooLarge("the body is too large".into()),
            other => ApiError::BadRequest(other.body_text()),
        }
    }
}

/// The innermost cause of an error, which names the field or position.
fn source_of(error: &dyn std::error::Error) -> String {
    let mut current = error;
    while let Some(source) = current.source() {
        current = source;
    }
    current.to_string()
}

impl From<EngineError> for ApiError {
    fn from(error: EngineError) -> ApiError {
        match error {
            EngineError::NoSuchConversation(id) => ApiError::NotFound(format!("no conversation has the id `{id}`")),
            EngineError::Ended(id) => ApiError::Conflict(format!("conversation `{id}` has ended")),
            EngineError::Store(bot::conversation::store::StoreError::Conflict(_)) => {
                ApiError::Conflict("the conversation changed at the same moment; send the message again".into())
            }
            EngineError::Store(bot::conversation::store::StoreError::Storage(error)) => {
                tracing::error!(error = %error, "the database failed");
                ApiError::Unavailable(5)
            }
            other => {
                tracing::error!(error = %other, "a request failed");
                ApiError::Internal
            }
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        tracing::error!(error = %error, "the database failed");
        ApiError::Unavailable(5)
    }
}

impl From<StaffActionError> for ApiError {
    fn from(error: StaffActionError) -> ApiError {
        let refusal = Refusal::from(&error);
        if refusal.status == StatusCode::SERVICE_UNAVAILABLE {
            return ApiError::Unavailable(5);
        }
        ApiError::Refused(refusal)
    }
}
