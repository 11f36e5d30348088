//! `/healthz` for load balancers and `/metrics` for Prometheus: on the main address, or on one
//! of its own, and only with a bearer token when one is configured.

use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Instant;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bot::conversation::Engine;
use prometheus_client::encoding::{EncodeLabelSet, prometheus_text};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use serde_json::json;

use crate::console::auth::{bearer, constant_time_eq};

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ClassLabel {
    class: &'static str,
}

/// The status classes counted, each shown from the start.
const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

/// Counts of HTTP responses by status class, and their total time.
#[derive(Debug)]
pub struct HttpMetrics {
    by_class: Family<ClassLabel, Counter>,
    seconds: Counter<f64, AtomicU64>,
}

impl Default for HttpMetrics {
    fn default() -> HttpMetrics {
        let by_class = Family::default();
        for class in CLASSES {
            let _ = by_class.get_or_create(&ClassLabel { class });
        }
        HttpMetrics { by_class, seconds: Counter::default() }
    }
}

impl HttpMetrics {
    fn record(&self, status: StatusCode, took: std::time::Duration) {
        let class = CLASSES[(status.as_u16() / 100).clamp(1, 5) as usize - 1];
        self.by_class.get_or_create(&ClassLabel { class }).inc();
        self.seconds.inc_by(took.as_secs_f64());
    }

    /// Adds the counts to `registry`, named without the `_total` suffix the encoder adds.
    fn register(&self, registry: &mut Registry) {
        registry.register("councilbot_http_responses", "HTTP responses, by status class", self.by_class.clone());
        registry.register(
            "councilbot_http_response_seconds",
            "Time spent answering HTTP requests",
            self.seconds.clone(),
        );
    }
}

/// Counts every response (the middleware for [`HttpMetrics`]).
pub async fn count_responses(State(metrics): State<Arc<HttpMetrics>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let response = next.run(request).await;
    metrics.record(response.status(), started.elapsed());
    response
}

/// Who may read `/metrics`.
#[derive(Debug, Clone, Default)]
pub struct MetricsAccess {
    /// The bearer token a scraper must send; without one, anyone who reaches the address may
    /// read the metrics.
    pub token: Option<SecretString>,
    /// Whether `/metrics` is served on an address of its own instead of the main one.
    pub separate: bool,
}

#[derive(Clone)]
struct HealthState {
    engine: Arc<Engine>,
    registry: Arc<Registry>,
    live_conversations: Gauge,
    token: Option<Arc<str>>,
}

impl HealthState {
    fn new(engine: Arc<Engine>, http: &HttpMetrics, access: &MetricsAccess) -> HealthState {
        let mut registry = Registry::default();
        engine.metrics().register(&mut registry);
        http.register(&mut registry);
        let live_conversations = Gauge::default();
        registry.register(
            "councilbot_live_conversations",
            "Conversations with a client listening to their events",
            live_conversations.clone(),
        );
        HealthState {
            engine,
            registry: Arc::new(registry),
            live_conversations,
            token: access.token.as_ref().map(|token| Arc::from(token.expose_secret())),
        }
    }
}

/// The routes `/healthz` and, unless it is served separately, `/metrics`.
pub fn router(engine: Arc<Engine>, http: Arc<HttpMetrics>, access: &MetricsAccess) -> Router {
    let router = Router::new().route("/healthz", get(health));
    let router = if access.separate { router } else { router.route("/metrics", get(metrics)) };
    router.with_state(HealthState::new(engine, &http, access))
}

/// `/metrics` alone, for an address of its own.
pub fn metrics_router(engine: Arc<Engine>, http: Arc<HttpMetrics>, access: &MetricsAccess) -> Router {
    Router::new().route("/metrics", get(metrics)).with_state(HealthState::new(engine, &http, access))
}

async fn health(State(state): State<HealthState>) -> Response {
    let database = storage::sqlx::query("SELECT 1").execute(state.engine.store().database().pool()).await;
    match database {
        Ok(_) => (StatusCode::OK, axum::Json(json!({"status": "ok"}))).into_response(),
        Err(error) => {
            tracing::warn!(error = %error, "health check: the database is not answering");
            let body = axum::Json(json!({"status": "unavailable", "reason": "the database is not answering"}));
            (StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, "5")], body).into_response()
        }
    }
}

async fn metrics(State(state): State<HealthState>, headers: HeaderMap) -> Response {
    if let Some(expected) = &state.token {
        let sent = bearer(&headers).unwrap_or_default();
        if !constant_time_eq(sent.as_bytes(), expected.as_bytes()) {
            return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer")], "a bearer token is needed\n")
                .into_response();
        }
    }
    let live = state.engine.hub().listened_conversations();
    state.live_conversations.set(i64::try_from(live).unwrap_or(i64::MAX));
    let mut out = String::new();
    // Writing to a `String` cannot fail.
    let _ = prometheus_text::encode(&mut out, &state.registry);
    ([(header::CONTENT_TYPE, prometheus_text::CONTENT_TYPE)], out).into_response()
}
