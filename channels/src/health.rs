//! `/healthz` for load balancers and `/metrics` for Prometheus: on the main address, or on one
//! of its own, and only with a bearer token when one is configured.

use std::fmt::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bot::conversation::Engine;
use serde_json::json;

use crate::console::auth::{bearer, constant_time_eq};

/// Counts of HTTP responses by status class, and their total time.
#[derive(Debug, Default)]
pub struct HttpMetrics {
    by_class: [AtomicU64; 5],
    micros: AtomicU64,
}

impl HttpMetrics {
    fn record(&self, status: StatusCode, took: std::time::Duration) {
        let class = (status.as_u16() / 100).clamp(1, 5) as usize - 1;
        self.by_class[class].fetch_add(1, Ordering::Relaxed);
        self.micros.fetch_add(took.as_micros() as u64, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String) {
        let _ = writeln!(out, "# HELP councilbot_http_responses_total HTTP responses, by status class.");
        let _ = writeln!(out, "# TYPE councilbot_http_responses_total counter");
        for (index, count) in self.by_class.iter().enumerate() {
            let _ = writeln!(
                out,
                "councilbot_http_responses_total{{class=\"{}xx\"}} {}",
                index + 1,
                count.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(out, "# HELP councilbot_http_response_seconds_total Time spent answering HTTP requests.");
        let _ = writeln!(out, "# TYPE councilbot_http_response_seconds_total counter");
        let _ = writeln!(
            out,
            "councilbot_http_response_seconds_total {}",
            self.micros.load(Ordering::Relaxed) as f64 / 1_000_000.0
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
    pub token: Option<String>,
    /// Whether `/metrics` is served on an address of its own instead of the main one.
    pub separate: bool,
}

#[derive(Clone)]
struct HealthState {
    engine: Arc<Engine>,
    http: Arc<HttpMetrics>,
    token: Option<Arc<str>>,
}

/// The routes `/healthz` and, unless it is served separately, `/metrics`.
pub fn router(engine: Arc<Engine>, http: Arc<HttpMetrics>, access: &MetricsAccess) -> Router {
    let router = Router::new().route("/healthz", get(health));
    let router = if access.separate { router } else { router.route("/metrics", get(metrics)) };
    router.with_state(HealthState { engine, http, token: access.token.as_deref().map(Arc::from) })
}

/// `/metrics` alone, for an address of its own.
pub fn metrics_router(engine: Arc<Engine>, http: Arc<HttpMetrics>, access: &MetricsAccess) -> Router {
    Router::new().route("/metrics", get(metrics)).with_state(HealthState {
        engine,
        http,
        token: access.token.as_deref().map(Arc::from),
    })
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
    let mut out = String::new();
    state.engine.metrics().render(&mut out);
    state.http.render(&mut out);
    let _ =
        writeln!(out, "# HELP councilbot_live_conversations Conversations with a client listening to their events.");
    let _ = writeln!(out, "# TYPE councilbot_live_conversations gauge");
    let _ = writeln!(out, "councilbot_live_conversations {}", state.engine.hub().listened_conversations());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}
