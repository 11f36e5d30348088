//! The static files of the widget, the chat pages and the console, built into the program (no
//! CDN, nothing fetched from elsewhere).

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Every file, by name, with its media type.
const FILES: &[(&str, &str, &str)] = &[
    ("govuk-frontend.min.css", "text/css; charset=utf-8", include_str!("../assets/govuk-frontend.min.css")),
    ("councilbot.css", "text/css; charset=utf-8", include_str!("../assets/councilbot.css")),
    ("chat.js", "text/javascript; charset=utf-8", include_str!("../assets/chat.js")),
    ("console.js", "text/javascript; charset=utf-8", include_str!("../assets/console.js")),
    ("console-worker.js", "text/javascript; charset=utf-8", include_str!("../assets/console-worker.js")),
    ("widget.js", "text/javascript; charset=utf-8", include_str!("../assets/widget.js")),
    ("widget.css", "text/css; charset=utf-8", include_str!("../assets/widget.css")),
];

fn serve(name: &str) -> Response {
    match FILES.iter().find(|(file, _, _)| *file == name) {
        Some((_, media_type, body)) => {
            ([(header::CONTENT_TYPE, *media_type), (header::CACHE_CONTROL, "public, max-age=300")], *body)
                .into_response()
        }
        None => (StatusCode::NOT_FOUND, "no such file").into_response(),
    }
}

/// `GET /assets/{file}`.
pub async fn asset(Path(name): Path<String>) -> Response {
    serve(&name)
}

/// `GET /widget.js`: the one tag councils put on their pages loads this.
pub async fn widget() -> Response {
    let mut response = serve("widget.js");
    // Council pages on other sites load it.
    response.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, header::HeaderValue::from_static("*"));
    response
}
