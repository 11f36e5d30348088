//! The shared service's console under `/shared/console`: staff who work for several councils
//! of one deployment sign in once, with a role in each of their councils, and see those
//! councils' queues, runs and figures together, with the council on every row and as a filter.
//! Each row opens in that council's own console, which keeps its own accounts and audit log.

pub mod memberships;
mod pages;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::console::accounts::{
    AccountError, Accounts, Principal, Role, SESSION_MILLIS, is_username, printable_username, random_token,
};
use crate::console::auth::tokens_match;
use crate::console::cookies::session_cookie;
use crate::web::cookie;
use memberships::{Membership, Memberships};

/// The path everything of the shared service is under.
pub const SHARED_PREFIX: &str = "/shared/";

/// The id the shared service is known by, which no council may have.
pub const SHARED_ID: &str = "shared";

/// The shared service's session cookie.
const SESSION_COOKIE: &str = "councilbot_shared_session";

/// The cookie that carries the shared sign-in form's CSRF token before there is a session.
const LOGIN_CSRF_COOKIE: &str = "councilbot_shared_login_csrf";

/// A council the shared service works for.
#[derive(Clone)]
pub struct SharedCouncil {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The host name its own console is reached at, when it has one.
    pub host: Option<String>,
    /// Its service.
    pub state: AppState,
}

/// The shared service: its staff's accounts and councils, and the councils it works for.
#[derive(Clone)]
pub struct SharedService {
    inner: Arc<Inner>,
}

struct Inner {
    accounts: Accounts,
    memberships: Memberships,
    councils: Vec<SharedCouncil>,
    /// The first council's service: its settings (trusted proxies, cookies, origins) are the
    /// deployment's, and its templates render the shared pages too.
    first: AppState,
}

impl SharedService {
    /// The shared service over its staff's accounts and councils, for these councils; `None`
    /// when there are none.
    pub fn new(accounts: Accounts, memberships: Memberships, councils: Vec<SharedCouncil>) -> Option<SharedService> {
        let first = councils.first()?.state.clone();
        Some(SharedService { inner: Arc::new(Inner { accounts, memberships, councils, first }) })
    }

    /// Its staff's accounts.
    pub fn accounts(&self) -> &Accounts {
        &self.inner.accounts
    }

    /// Which councils its staff work for.
    pub fn memberships(&self) -> &Memberships {
        &self.inner.memberships
    }

    /// The councils it works for.
    pub fn councils(&self) -> &[SharedCouncil] {
        &self.inner.councils
    }

    /// The first council's service, whose settings are the deployment's.
    fn first(&self) -> &AppState {
        &self.inner.first
    }

    fn secure_cookies(&self) -> bool {
        self.first().settings.secure_cookies
    }

    /// A page of the shared service's console.
    fn page(&self, status: StatusCode, name: &str, mut context: Value) -> Response {
        if let Some(fields) = context.as_object_mut() {
            let names: Vec<&str> = self.inner.councils.iter().map(|council| council.name.as_str()).collect();
            fields.insert("council".into(), json!({"name": "Shared service", "serves": names.join(", ")}));
        }
        self.inner.first.templates.page(status, name, context)
    }

    /// Writes to the audit log of each of someone's councils; a failure is logged, not shown.
    async fn record(&self, councils: &[Membership], actor: &str, action: &str) {
        for council in self.inner.councils.iter().filter(|council| councils.iter().any(|m| m.council == council.id)) {
            if let Err(error) = council.state.engine.store().audit(actor, action, "shared service", "").await {
                tracing::error!(error = %error, action, council = council.id, "the audit log could not be written");
            }
        }
    }
}

/// The shared service's routes, all under `/shared/`.
pub fn router(service: SharedService) -> Router {
    let first = service.first().clone();
    let origins = Arc::new(first.settings.origins.clone());
    Router::new()
        .route("/shared/console/login", get(login_form).post(login))
        .route("/shared/console/logout", post(logout))
        .merge(pages::router())
        .with_state(service)
        .layer(axum::extract::DefaultBodyLimit::max(16 * 1024))
        .layer(axum::middleware::from_fn_with_state(origins.clone(), crate::security::check_origin))
        .layer(axum::middleware::from_fn_with_state(origins, crate::security::headers))
        .layer(axum::middleware::from_fn(crate::security::no_store))
}

/// A member of the shared service's staff, signed in, with the councils they work for.
#[derive(Debug, Clone)]
pub struct SharedStaff {
    /// Who they are (with their session's CSRF token).
    pub who: Principal,
    /// Their councils, each with their role in it.
    pub councils: Vec<Membership>,
}

impl SharedStaff {
    /// Whether they work the queue of a council.
    pub fn supervises(&self, council: &str) -> bool {
        self.councils.iter().any(|membership| membership.council == council && membership.role >= Role::Supervisor)
    }
}

impl FromRequestParts<SharedService> for SharedStaff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, service: &SharedService) -> Result<SharedStaff, Response> {
        let unavailable = |error: &dyn std::fmt::Display| {
            tracing::error!(error = %error, "checking who is signed in to the shared service failed");
            (StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, "5")], "Please try again in a moment.")
                .into_response()
        };
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(login_page(service, StatusCode::UNAUTHORIZED, None, None));
        };
        let who = match service.inner.accounts.session(&token).await {
            Ok(Some(who)) => who,
            Ok(None) => return Err(login_page(service, StatusCode::UNAUTHORIZED, None, None)),
            Err(error) => return Err(unavailable(&error)),
        };
        let councils = service.inner.memberships.of(&who.username).await.map_err(|error| unavailable(&error))?;
        let staff = SharedStaff { who, councils };
        if !service.inner.councils.iter().any(|council| staff.supervises(&council.id)) {
            let message = "Your account works for none of the councils here. Ask an administrator for access.";
            return Err(problem_page(
                service,
                StatusCode::FORBIDDEN,
                Some(&staff),
                "You cannot see this page",
                message,
            ));
        }
        Ok(staff)
    }
}

/// The shared service's sign-in page, with a fresh CSRF token in its cookie.
fn login_page(service: &SharedService, status: StatusCode, error: Option<&str>, username: Option<&str>) -> Response {
    let token = random_token();
    let mut response = service.page(
        status,
        "shared_login.html",
        json!({"title": "Sign in", "error": error, "username": username, "login_csrf": token}),
    );
    let cookie = session_cookie(LOGIN_CSRF_COOKIE, &token, 3600, service.secure_cookies());
    response.headers_mut().append(header::SET_COOKIE, cookie);
    response
}

/// A page that says what is wrong.
fn problem_page(
    service: &SharedService,
    status: StatusCode,
    staff: Option<&SharedStaff>,
    heading: &str,
    message: &str,
) -> Response {
    let who = staff.map(|staff| &staff.who);
    service.page(
        status,
        "shared_problem.html",
        json!({"title": heading, "heading": heading, "message": message, "who": who,
               "csrf": who.and_then(|who| who.csrf.clone())}),
    )
}

/// `GET /shared/console/login`.
async fn login_form(State(service): State<SharedService>) -> Response {
    login_page(&service, StatusCode::OK, None, None)
}

/// The sign-in form.
#[derive(Debug, Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    csrf: Option<String>,
}

/// `POST /shared/console/login`: the same answer whether the username is unknown or has another
/// password; failures slow further attempts down, as on every council's console.
async fn login(
    State(service): State<SharedService>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE);
    if !tokens_match(expected.as_deref(), form.csrf.as_deref()) {
        return login_page(&service, StatusCode::FORBIDDEN, Some("The form expired. Please sign in again."), None);
    }
    let client: IpAddr = service.first().settings.trusted_proxies.client(peer.ip(), &headers);
    let username = form.username.trim();
    let shown = is_username(username).then_some(username);
    if let Err(wait) = service.first().logins.check(&client.to_string()) {
        let message = format!("Too many attempts from here. Wait {} seconds, then try again.", wait.max(1));
        return login_page(&service, StatusCode::TOO_MANY_REQUESTS, Some(&message), shown);
    }
    match service.inner.accounts.sign_in(username, &form.password, client).await {
        Ok(principal) => start_session(&service, &principal).await,
        Err(AccountError::WrongCredentials) => {
            tracing::info!(username = %printable_username(username), "a sign-in to the shared service failed");
            login_page(&service, StatusCode::UNAUTHORIZED, Some("The username or password is not right."), shown)
        }
        Err(AccountError::Throttled(seconds)) => {
            let message = format!("Too many failed sign-ins. Wait {} seconds, then try again.", seconds.max(1));
            login_page(&service, StatusCode::TOO_MANY_REQUESTS, Some(&message), shown)
        }
        Err(error) => {
            tracing::error!(error = %error, "signing in to the shared service failed");
            login_page(
                &service,
                StatusCode::SERVICE_UNAVAILABLE,
                Some("Signing in is unavailable. Try again shortly."),
                None,
            )
        }
    }
}

/// Starts a session and sends the person to the shared queue.
async fn start_session(service: &SharedService, principal: &Principal) -> Response {
    let (token, _) = match service.inner.accounts.start_session(principal).await {
        Ok(started) => started,
        Err(error) => {
            tracing::error!(error = %error, "a shared service session could not be started");
            let message = "Signing in is unavailable. Try again shortly.";
            return login_page(service, StatusCode::SERVICE_UNAVAILABLE, Some(message), None);
        }
    };
    let councils = service.inner.memberships.of(&principal.username).await.unwrap_or_default();
    service.record(&councils, &principal.username, "sign_in").await;
    let secure = service.secure_cookies();
    let mut response = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::REFRESH, "0;url=/shared/console")],
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Signed in</title></head><body>\
         <p><a href=\"/shared/console\">Continue to the shared service's console</a></p></body></html>",
    )
        .into_response();
    let headers = response.headers_mut();
    headers.append(header::SET_COOKIE, session_cookie(SESSION_COOKIE, &token, SESSION_MILLIS / 1000, secure));
    headers.append(header::SET_COOKIE, session_cookie(LOGIN_CSRF_COOKIE, "", 0, secure));
    response
}

/// A form that only carries the CSRF token.
#[derive(Debug, Deserialize)]
struct CsrfForm {
    csrf: Option<String>,
}

/// `POST /shared/console/logout`: ends this session.
async fn logout(
    State(service): State<SharedService>,
    staff: SharedStaff,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !tokens_match(staff.who.csrf.as_deref(), form.csrf.as_deref()) {
        let message = "Go back, reload the page and try again.";
        return problem_page(&service, StatusCode::FORBIDDEN, Some(&staff), "The form has expired", message);
    }
    if let Some(token) = cookie(&headers, SESSION_COOKIE)
        && let Err(error) = service.inner.accounts.end_session(&token).await
    {
        tracing::error!(error = %error, "a shared service session could not be ended");
    }
    service.record(&staff.councils, &staff.who.username, "sign_out").await;
    let mut response = login_page(&service, StatusCode::OK, None, None);
    response.headers_mut().append(header::SET_COOKIE, session_cookie(SESSION_COOKIE, "", 0, service.secure_cookies()));
    response
}
