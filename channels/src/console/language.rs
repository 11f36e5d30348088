//! The language of the console's own words, chosen by each member of staff with its language
//! switch and kept in a cookie; every console page is shown in it.

use axum::Router;
use axum::extract::{Query, Request};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use knowledge_base::Language;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;

/// The cookie holding the console's language.
pub const CONSOLE_LANGUAGE_COOKIE: &str = "councilbot_console_language";

tokio::task_local! {
    /// The console language of the request being answered, with the path it asked for.
    static CONSOLE_PAGE: (Language, String);
}

/// The console's language routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/console/language", get(choose))
}

/// Answers a console request in the language its cookie names (English without one).
pub async fn in_chosen_language(request: Request, next: Next) -> Response {
    let language = crate::web::cookie(request.headers(), CONSOLE_LANGUAGE_COOKIE)
        .and_then(|code| Language::parse(&code))
        .unwrap_or_default();
    let path = request.uri().path().to_string();
    CONSOLE_PAGE.scope((language, path), next.run(request)).await
}

/// The console language of the request being answered; English outside the console.
pub fn current() -> Option<Language> {
    CONSOLE_PAGE.try_with(|(language, _)| *language).ok()
}

/// The console's language switch: each language with the address that shows this page in it,
/// the current one marked.
pub fn options() -> Vec<Value> {
    let (current, path) =
        CONSOLE_PAGE.try_with(|page| page.clone()).unwrap_or_else(|_| (Language::English, String::new()));
    let back: String = form_urlencoded::byte_serialize(path.as_bytes()).collect();
    Language::ALL
        .iter()
        .map(|language| {
            json!({"code": language.code(), "name": language.own_name(), "current": *language == current,
                   "href": format!("/console/language?to={}&back={back}", language.code())})
        })
        .collect()
}

/// Where to show the console in another language.
#[derive(Debug, Deserialize)]
struct Choice {
    /// `en` or `cy`.
    to: Option<String>,
    /// The console page to go back to.
    back: Option<String>,
}

/// `GET /console/language?to=cy&back=/console/figures`: shows the console in that language
/// from now on, back at the page the switch was on (a console page, never another site).
async fn choose(Query(choice): Query<Choice>) -> Response {
    let back = choice
        .back
        .filter(|back| back.starts_with("/console") && !back.contains("//") && !back.contains('\\'))
        .unwrap_or_else(|| "/console".to_string());
    let mut response = Redirect::to(&back).into_response();
    if let Some(language) = choice.to.as_deref().and_then(Language::parse) {
        let cookie =
            format!("{CONSOLE_LANGUAGE_COOKIE}={}; Path=/console; SameSite=Lax; Max-Age=31536000", language.code());
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}
