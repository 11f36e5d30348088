//! Security headers on every response, and the origins allowed to use the chat API and to frame
//! the chat.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Which other sites may use the chat.
#[derive(Debug, Clone, Default)]
pub struct Origins {
    /// Origins (`https://www.example.gov.uk`) whose pages may embed the widget and call the API.
    pub allowed: Vec<String>,
    /// Whether people reach this server over HTTPS (then Strict-Transport-Security is sent).
    pub https: bool,
}

impl Origins {
    fn allows(&self, origin: &str, own: Option<&str>) -> bool {
        let origin = origin.trim_end_matches('/');
        own.is_some_and(|own| origin == format!("http://{own}") || origin == format!("https://{own}"))
            || self.allowed.iter().any(|allowed| allowed.trim_end_matches('/') == origin)
    }
}

/// Refuses calls to the chat API from pages on sites that are not allowed (a browser sends the
/// page's `Origin`); programs that send none are not affected.
pub async fn check_origin(State(origins): State<Arc<Origins>>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if path.starts_with("/api/v1/conversations")
        && let Some(origin) = request.headers().get(header::ORIGIN).and_then(|value| value.to_str().ok())
    {
        let own = request.headers().get(header::HOST).and_then(|value| value.to_str().ok());
        if !origins.allows(origin, own) {
            return (
                StatusCode::FORBIDDEN,
                axum::Json(
                    json!({"error": {"code": "origin", "message": format!("pages at {origin} may not use this chat")}}),
                ),
            )
                .into_response();
        }
        if request.method() == Method::OPTIONS {
            let mut response = StatusCode::NO_CONTENT.into_response();
            cors(&mut response, origin);
            return response;
        }
        let origin = origin.to_string();
        let mut response = next.run(request).await;
        cors(&mut response, &origin);
        return response;
    }
    next.run(request).await
}

fn cors(response: &mut Response, origin: &str) {
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
    }
    headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST, DELETE"));
    headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("content-type, last-event-id"));
}

/// Adds the security headers: a strict Content-Security-Policy (the widget's frame may be
/// framed by the allowed origins, nothing else by anyone), no sniffing, no referrer leaks.
pub async fn headers(State(origins): State<Arc<Origins>>, request: Request, next: Next) -> Response {
    let framable = request.uri().path() == "/chat/embed";
    let mut response = next.run(request).await;
    let ancestors = if framable {
        let mut allowed = vec!["'self'".to_string()];
        allowed.extend(origins.allowed.iter().cloned());
        allowed.join(" ")
    } else {
        "'none'".to_string()
    };
    let policy = format!(
        "default-src 'self'; script-src 'self'; worker-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors {ancestors}"
    );
    let headers = response.headers_mut();
    // A response with a stricter policy of its own (a logo) keeps it.
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY)
        && let Ok(value) = HeaderValue::from_str(&policy)
    {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin"));
    headers
        .insert("permissions-policy", HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"));
    headers.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    if !framable {
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    if origins.https {
        headers
            .insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    }
    response
}

/// Whether a path serves only what is the same for everyone and holds nothing personal: the
/// static files, the widget's script and the sample council's page.
fn cacheable(path: &str) -> bool {
    path.starts_with("/assets/") || path == "/widget.js" || path == "/"
}

/// Tells browsers and proxies to keep no copy (`Cache-Control: no-store`) of every answer but
/// those that hold nothing personal: console pages, escalations, transcripts and chat pages
/// hold residents' words and staff names, and a shared computer's back button or a caching
/// proxy must not show them to the next person.
pub async fn no_store(request: Request, next: Next) -> Response {
    let cacheable = cacheable(request.uri().path());
    let mut response = next.run(request).await;
    let already = response
        .headers()
        .get(header::CACHE_CONTROL)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.contains("no-store"));
    if !cacheable && !already {
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::routing::get;
    use tower_service::Service;

    use super::*;

    #[tokio::test]
    async fn answers_with_personal_data_are_not_kept_by_caches() {
        let app = Router::new()
            .route("/console", get(|| async { "the queue" }))
            .route("/assets/{file}", get(|| async { ([(header::CACHE_CONTROL, "public, max-age=300")], "css") }))
            .route("/widget.js", get(|| async { ([(header::CACHE_CONTROL, "public, max-age=300")], "js") }))
            .route("/chat", get(|| async { ([(header::CACHE_CONTROL, "public, max-age=60")], "a transcript") }))
            .layer(axum::middleware::from_fn(no_store));
        let cache_control = |path: &str| {
            let mut app = app.clone();
            let request = axum::http::Request::get(path).body(Body::empty()).unwrap();
            async move {
                let response = app.call(request).await.unwrap();
                response.headers().get(header::CACHE_CONTROL).map(|value| value.to_str().unwrap().to_string())
            }
        };
        assert_eq!(cache_control("/console").await.as_deref(), Some("no-store"));
        assert_eq!(cache_control("/chat").await.as_deref(), Some("no-store"), "even when a handler said otherwise");
        assert_eq!(cache_control("/no/such/page").await.as_deref(), Some("no-store"));
        assert_eq!(cache_control("/assets/councilbot.css").await.as_deref(), Some("public, max-age=300"));
        assert_eq!(cache_control("/widget.js").await.as_deref(), Some("public, max-age=300"));
    }
}
