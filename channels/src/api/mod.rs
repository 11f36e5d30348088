//! The chat API under `/api/v1`: conversations, their messages and their live events, with
//! body size limits, rate limits and errors that say what is wrong.

pub mod conversations;
pub mod error;
pub mod escalations;
pub mod events;
pub mod rate_limit;
pub mod runs;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use bot::conversation::Engine;

use rate_limit::RateLimiter;

/// The OpenAPI description of the API.
pub const OPENAPI: &str = include_str!("openapi.json");

/// Limits on what clients may send.
#[derive(Debug, Clone)]
pub struct ApiLimits {
    /// The largest request body, in bytes.
    pub max_body_bytes: usize,
    /// The longest message, in characters.
    pub max_message_chars: usize,
    /// Messages a conversation may send a minute, on average.
    pub messages_per_minute: u32,
    /// Messages a conversation may send at once.
    pub message_burst: u32,
    /// Conversations a client address may start a minute, on average.
    pub conversations_per_minute: u32,
    /// Calls a client address may make a minute to start workflows or read their runs.
    pub workflow_calls_per_minute: u32,
    /// How long an event stream stays open before the client is asked to reconnect (it then
    /// resumes from the last event), so streams move between servers behind a load balancer.
    pub event_stream_seconds: u64,
}

impl Default for ApiLimits {
    fn default() -> Self {
        ApiLimits {
            max_body_bytes: 16 * 1024,
            max_message_chars: 2000,
            messages_per_minute: 30,
            message_burst: 10,
            conversations_per_minute: 20,
            workflow_calls_per_minute: 60,
            event_stream_seconds: 1800,
        }
    }
}

/// What the API's handlers share.
#[derive(Clone)]
pub struct ApiState {
    /// The conversation engine.
    pub engine: Arc<Engine>,
    /// The limits.
    pub limits: Arc<ApiLimits>,
    /// Messages by conversation.
    pub messages: Arc<RateLimiter>,
    /// New conversations by client address.
    pub new_conversations: Arc<RateLimiter>,
    /// Calls to start workflows and read their runs, by client address.
    pub workflow_calls: Arc<RateLimiter>,
    /// The load balancers whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Arc<crate::client::TrustedProxies>,
}

impl ApiState {
    /// The state for an engine with these limits.
    pub fn new(engine: Arc<Engine>, limits: ApiLimits, trusted_proxies: crate::client::TrustedProxies) -> ApiState {
        ApiState {
            trusted_proxies: Arc::new(trusted_proxies),
            messages: Arc::new(RateLimiter::new(limits.messages_per_minute, limits.message_burst)),
            new_conversations: Arc::new(RateLimiter::new(
                limits.conversations_per_minute,
                limits.conversations_per_minute.max(1),
            )),
            workflow_calls: Arc::new(RateLimiter::new(
                limits.workflow_calls_per_minute,
                limits.workflow_calls_per_minute.max(1),
            )),
            limits: Arc::new(limits),
            engine,
        }
    }
}

/// The routes under `/api/v1`.
pub fn router(state: ApiState) -> Router {
    let max_body = state.limits.max_body_bytes;
    Router::new()
        .route("/api/v1/conversations", post(conversations::create))
        .route("/api/v1/conversations/{id}", get(conversations::show).delete(conversations::end))
        .route("/api/v1/conversations/{id}/messages", post(conversations::send))
        .route("/api/v1/conversations/{id}/messages/{message_id}/feedback", post(conversations::feedback))
        .route("/api/v1/conversations/{id}/events", get(events::stream))
        .route("/api/v1/conversations/{id}/transcript.txt", get(transcript))
        .route("/api/v1/workflows/{name}/runs", post(runs::start))
        .route("/api/v1/runs/{id}", get(runs::show))
        .route("/api/v1/openapi.json", get(openapi))
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(state)
}

async fn transcript(
    axum::extract::State(state): axum::extract::State<ApiState>,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> axum::response::Response {
    crate::web::transcript_file(&state.engine, &id).await
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}
