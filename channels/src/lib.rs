//! The channels through which residents, staff and supervisors reach councilbot, and the HTTP
//! server they share: the chat API, the widget and chat pages, the supervisor console, health
//! and metrics.

pub mod api;
pub mod assets;
pub mod client;
pub mod console;
pub mod councils;
pub mod delivery;
pub mod health;
pub mod log_text;
pub mod look;
pub mod security;
pub mod server;
pub mod settings;
pub mod shared_service;
pub mod signing_keys;
pub mod site;
pub mod sms;
pub mod teams;
pub mod templates;
pub mod web;
pub mod words;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::response::Response;
use axum::routing::{get, post};
use bot::conversation::Engine;
use tower_http::classify::ServerErrorsFailureClass;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tracing::Span;

use api::rate_limit::RateLimiter;
pub use api::{ApiLimits, ApiState};
use console::accounts::Accounts;
use console::oidc::OidcProvider;
pub use security::Origins;
use templates::Templates;

/// How long a request may take before it is answered with 408 (event streams are not cut off:
/// only the wait for their first byte counts).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The largest form the chat page and the console accept.
const MAX_FORM_BYTES: usize = 64 * 1024;

/// How the web side behaves.
#[derive(Debug, Clone, Default)]
pub struct WebSettings {
    /// Other sites allowed to use the chat, and whether people arrive over HTTPS.
    pub origins: Origins,
    /// Whether cookies are marked Secure (when people reach the server over HTTPS).
    pub secure_cookies: bool,
    /// The load balancers whose `X-Forwarded-For` names the client.
    pub trusted_proxies: client::TrustedProxies,
    /// Who may read `/metrics`, and where.
    pub metrics: health::MetricsAccess,
}

/// What every web handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The conversation engine.
    pub engine: Arc<Engine>,
    /// The chat API's limits and rate limiters, shared with the chat page.
    pub api: ApiState,
    /// The console's accounts.
    pub accounts: Accounts,
    /// The pages.
    pub templates: Arc<Templates>,
    /// How the web side behaves.
    pub settings: Arc<WebSettings>,
    /// Sign-in attempts by client address.
    pub logins: Arc<RateLimiter>,
    /// The OpenID Connect provider, when one is set up.
    pub oidc: Option<Arc<OidcProvider>>,
    /// Text messages, when a provider is set up.
    pub sms: Option<Arc<sms::SmsChannel>>,
    /// Microsoft Teams, when set up.
    pub teams: Option<Arc<teams::TeamsChannel>>,
    /// Counts of HTTP responses, for `/metrics`.
    pub http_metrics: Arc<health::HttpMetrics>,
    /// The council's pages served as a website, when they are.
    pub site: Option<Arc<site::Site>>,
    /// The other councils the same deployment serves, which the home page links to.
    pub neighbours: Vec<councils::Neighbour>,
    /// The council's colour and logo on its pages.
    pub look: Arc<look::CouncilLook>,
}

impl AppState {
    /// The state over an engine and the console's accounts.
    pub fn new(
        engine: Arc<Engine>,
        accounts: Accounts,
        limits: ApiLimits,
        settings: WebSettings,
        oidc: Option<OidcProvider>,
    ) -> AppState {
        AppState {
            api: ApiState::new(engine.clone(), limits, settings.trusted_proxies.clone()),
            engine,
            accounts,
            templates: Arc::new(Templates::new()),
            settings: Arc::new(settings),
            logins: Arc::new(RateLimiter::new(10, 10)),
            oidc: oidc.map(Arc::new),
            sms: None,
            teams: None,
            http_metrics: Arc::new(health::HttpMetrics::default()),
            site: None,
            neighbours: Vec::new(),
            look: Arc::default(),
        }
    }

    /// Gives the council's pages its own look.
    pub fn set_look(&mut self, look: look::CouncilLook) {
        self.templates = Arc::new(Templates::with_look(&look));
        self.look = Arc::new(look);
    }
}

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    let http_metrics = state.http_metrics.clone();
    let origins = Arc::new(state.settings.origins.clone());
    let pages = Router::new()
        .route("/", if state.site.is_some() { get(site::home) } else { get(web::demo) })
        .route("/widget.js", get(assets::widget))
        .route("/assets/{file}", get(assets::asset))
        .route("/council.css", get(look::council_stylesheet))
        .route("/council-logo", get(look::council_logo))
        .route("/chat", get(web::chat_page).post(web::chat_post))
        .route("/chat/embed", get(web::embed))
        .route("/chat/end", post(web::chat_end))
        .route("/chat/feedback", post(web::chat_feedback))
        .route("/chat/transcript.txt", get(web::chat_transcript))
        .merge(console::router())
        .merge(api::escalations::router())
        .layer(DefaultBodyLimit::max(MAX_FORM_BYTES))
        .with_state(state.clone());
    let app = Router::new()
        .merge(api::router(state.api.clone()))
        .merge(sms::router(state.sms.clone()))
        .merge(teams::router(state.teams.clone()))
        .merge(pages)
        .merge(health::router(state.engine.clone(), http_metrics.clone(), &state.settings.metrics))
        .merge(site::router(state.clone()))
        .layer(axum::middleware::from_fn_with_state(origins.clone(), security::check_origin))
        .layer(axum::middleware::from_fn_with_state(origins, security::headers))
        .layer(axum::middleware::from_fn(security::no_store))
        .layer(axum::middleware::from_fn_with_state(http_metrics, health::count_responses))
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT));
    with_request_spans(app)
}

/// `/metrics` alone, for the address of its own set by `[server] metrics_listen`.
pub fn metrics_app(state: &AppState) -> Router {
    let metrics = health::metrics_router(state.engine.clone(), state.http_metrics.clone(), &state.settings.metrics)
        .layer(axum::middleware::from_fn(security::no_store));
    with_request_spans(metrics)
}

/// A span around each request holding its method, the route it matched (the template, such as
/// `/api/v1/conversations/{id}`, never the path with its ids, nor the query), and once answered
/// its status and latency. The span is at `info`, so what is logged while answering carries
/// them; the line each request ends with is at `debug` (`COUNCILBOT_LOG=channels=debug`), so
/// the default log does not grow with the traffic.
fn with_request_spans(router: Router) -> Router {
    router.layer(
        TraceLayer::new_for_http()
            .make_span_with(|request: &Request| {
                let route = request.extensions().get::<MatchedPath>().map(MatchedPath::as_str);
                tracing::info_span!(
                    "request",
                    method = %request.method(),
                    route,
                    status = tracing::field::Empty,
                    latency_ms = tracing::field::Empty,
                )
            })
            .on_request(())
            .on_response(|response: &Response, latency: Duration, span: &Span| {
                let status = response.status().as_u16();
                let latency_ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
                span.record("status", status).record("latency_ms", latency_ms);
                tracing::debug!("answered");
            })
            .on_body_chunk(())
            .on_eos(())
            .on_failure(|failure: ServerErrorsFailureClass, latency: Duration, _span: &Span| {
                let latency_ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
                tracing::debug!(%failure, latency_ms, "failed");
            }),
    )
}
