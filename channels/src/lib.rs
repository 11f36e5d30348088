//! The channels through which residents, staff and supervisors reach councilbot, and the HTTP
//! server they share.

pub mod api;
pub mod health;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use bot::conversation::Engine;
use tower_http::timeout::TimeoutLayer;

pub use api::{ApiLimits, ApiState};

/// How long a request may take before it is answered with 408 (event streams are not cut off:
/// only the wait for their first byte counts).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The whole HTTP application: the chat API, health and metrics.
pub fn app(engine: Arc<Engine>, limits: ApiLimits) -> Router {
    let http_metrics = Arc::new(health::HttpMetrics::default());
    Router::new()
        .merge(api::router(ApiState::new(engine.clone(), limits)))
        .merge(health::router(engine, http_metrics.clone()))
        .layer(axum::middleware::from_fn_with_state(http_metrics, health::count_responses))
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
}
