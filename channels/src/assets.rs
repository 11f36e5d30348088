//! The static files of the widget, the chat pages and the console, built into the program (no
//! CDN, nothing fetched from elsewhere).

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Every file, by name, with its media type.
const FILES: &[(&str, &str, &str)] = &[
    ("govuk-frontend.min.css", "text/css; charset=utf-8", include_str!("../assets/govuk-frontend.min.css")),
    ("councilbot.css", "text/css; charset=utf-8", include_str!("../assets/councilbot.css")),
    ("chat.js", "text/javascript; charset=utf-8", include_str!("../assets/chat.js")),
    ("console.js", "text/javascript; charset=utf-8", include_str!("../assets/console.js")),
    ("console-worker.js", "text/javascript; charset=utf-8", include_str!("../assets/console-worker.js")),
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

/// Where the widget's script takes the council's language and its words.
const WIDGET_WORDS: &str = "/* the council's words */ {}";

/// `GET /widget.js`: the one tag councils put on their pages loads this, with the council's
/// language and the widget's words in each language.
pub async fn widget(State(state): State<crate::AppState>) -> Response {
    let council = &state.engine.settings().council;
    let words = crate::words::widget_words(council.language, council.welsh_first);
    let script = include_str!("../assets/widget.js").replacen(WIDGET_WORDS, &words.to_string(), 1);
    let mut response = (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=300")],
        script,
    )
        .into_response();
    // Council pages on other sites load it.
    response.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, header::HeaderValue::from_static("*"));
    response
}
