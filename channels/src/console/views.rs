//! What the console's pages share: the sign-in and problem pages, and how reasons, times,
//! durations and long texts read on screen.

use axum::http::{StatusCode, header};
use axum::response::Response;
use bot::conversation::EscalationReason;
use serde_json::json;

use super::accounts::{Principal, random_token};
use super::cookies::{LOGIN_CSRF_COOKIE, session_cookie};
use crate::AppState;

/// What a reason is called on screen.
pub fn reason_text(reason: EscalationReason) -> String {
    console_words(&format!("console.reason.{}", reason.as_str()), &[])
}

/// The console's words for `key`, in the language of the page being shown (English outside
/// the console).
pub(super) fn console_words(key: &str, values: &[(&str, &str)]) -> String {
    let language = super::language::current().unwrap_or_default();
    crate::words::interface_words().fill(language, key, values)
}

/// "4 minutes", "2 hours 5 minutes", "3 days", in the console's language.
pub fn duration_text(millis: i64) -> String {
    let minutes = (millis / 60_000).max(0);
    let count = |count: i64, unit: &str| {
        let key = format!("console.duration.{unit}{}", if count == 1 { "_one" } else { "" });
        console_words(&key, &[("count", &count.to_string())])
    };
    match minutes {
        0 => console_words("console.duration.under_a_minute", &[]),
        1..=59 => count(minutes, "minutes"),
        60..=1439 if minutes % 60 == 0 => count(minutes / 60, "hours"),
        60..=1439 => console_words(
            "console.duration.hours_and_minutes",
            &[("hours", &count(minutes / 60, "hours")), ("minutes", &count(minutes % 60, "minutes"))],
        ),
        _ => count(minutes / 1440, "days"),
    }
}

/// A time as UK clock time, `YYYY-MM-DD HH:MM`.
pub(super) fn clock(millis: i64) -> String {
    let local = uk::calendar::uk_local_millis(millis);
    let minute = local.rem_euclid(86_400_000) / 60_000;
    format!("{} {:02}:{:02}", uk::calendar::date_of_millis(local), minute / 60, minute % 60)
}

/// A text cut to at most `most` characters, with an ellipsis when cut.
pub(super) fn shorten(text: &str, most: usize) -> String {
    if text.chars().count() <= most {
        return text.to_string();
    }
    let cut: String = text.chars().take(most).collect();
    format!("{}…", cut.trim_end())
}

/// The sign-in page, with a fresh CSRF token in its cookie.
pub fn login_page(
    state: &AppState,
    status: StatusCode,
    error: Option<String>,
    username: Option<String>,
    notice: Option<&str>,
) -> Response {
    let token = random_token();
    let council = &state.engine.settings().council;
    let mut response = state.templates.page(
        status,
        "login.html",
        json!({"council": council, "title": "Sign in", "error": error, "username": username, "notice": notice,
               "login_csrf": token, "oidc": state.oidc.is_some()}),
    );
    response
        .headers_mut()
        .append(header::SET_COOKIE, session_cookie(LOGIN_CSRF_COOKIE, &token, 3600, state.settings.secure_cookies));
    response
}

/// A page that says what is wrong.
pub fn problem_page(
    state: &AppState,
    status: StatusCode,
    who: Option<&Principal>,
    heading: &str,
    message: &str,
) -> Response {
    let council = &state.engine.settings().council;
    state.templates.page(
        status,
        "problem.html",
        json!({"council": council, "title": heading, "heading": heading, "message": message, "who": who,
               "csrf": who.and_then(|who| who.csrf.clone()), "back": "/console"}),
    )
}
