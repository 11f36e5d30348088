//! The console's cookies: the session, the sign-in form's CSRF token, and the binding of a
//! sign-in through OpenID Connect to the browser that started it.

use axum::http::HeaderValue;

/// The session cookie.
pub const SESSION_COOKIE: &str = "councilbot_session";
/// The cookie that carries the sign-in form's CSRF token before there is a session.
pub const LOGIN_CSRF_COOKIE: &str = "councilbot_login_csrf";
/// The cookie binding a sign-in through OpenID Connect to the browser that started it.
pub const SIGN_IN_COOKIE: &str = "councilbot_oidc";

/// A cookie for a session or a sign-in, HttpOnly and SameSite=Strict (Secure over HTTPS).
pub fn session_cookie(name: &str, value: &str, max_age_seconds: i64, secure: bool) -> HeaderValue {
    let text = format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_seconds}{}",
        if secure { "; Secure" } else { "" }
    );
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The cookie binding a sign-in through OpenID Connect to this browser: HttpOnly, only sent to
/// `/console/oidc`, and SameSite=Lax because the provider sends the browser back from its own
/// site, when a Strict cookie would be held back (Secure over HTTPS).
pub fn sign_in_cookie(value: &str, max_age_seconds: i64, secure: bool) -> HeaderValue {
    let text = format!(
        "{SIGN_IN_COOKIE}={value}; Path=/console/oidc; HttpOnly; SameSite=Lax; Max-Age={max_age_seconds}{}",
        if secure { "; Secure" } else { "" }
    );
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}
