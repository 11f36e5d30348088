//! A council back office of the 2000s, with no API: the system workflows practise on.
//!
//! It has what makes real ones hard to automate: a login whose session cookie expires, pages in
//! frames, element ids that change on every page load, dropdowns that fill after a delay,
//! server-side validation errors, a JavaScript confirm before each submission, occasional slow
//! responses, and a paginated case search. Submissions create cases with reference numbers.

mod pages;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use tokio::net::TcpListener;

/// The user name the portal accepts.
pub const USER: &str = "agent";
/// The password the portal accepts.
pub const PASSWORD: &str = "Eastbrook#2004";
/// The session cookie's name.
const SESSION_COOKIE: &str = "LEGACYSESSID";
/// Postcode districts not on the housing register: repairs there are refused.
const OFF_REGISTER_PREFIX: &str = "EB9";

/// How the portal behaves.
#[derive(Debug, Clone)]
pub struct PortalConfig {
    /// How long a session lasts without use.
    pub session_ttl: Duration,
    /// Every this many page requests, one is slow (0: never).
    pub slow_every: u64,
    /// How slow a slow response is.
    pub slow_delay: Duration,
    /// How long dropdowns take to fill.
    pub dropdown_delay: Duration,
}

impl Default for PortalConfig {
    fn default() -> Self {
        PortalConfig {
            session_ttl: Duration::from_secs(15 * 60),
            slow_every: 7,
            slow_delay: Duration::from_millis(1200),
            dropdown_delay: Duration::from_millis(600),
        }
    }
}

/// A case logged on the portal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// The case reference, such as `HR-100231`.
    pub reference: String,
    /// What kind of case: `Housing repair`, `Missed bin`, `Bulky waste` or `Change of address`.
    pub kind: String,
    /// The address it concerns.
    pub address: String,
    /// Its status, such as `Logged` or `Completed`.
    pub status: String,
    /// The date it was logged, as the portal shows it.
    pub logged: String,
    /// The caller's own reference, if they gave one.
    pub external_reference: String,
    /// The fields submitted, by name.
    pub details: Vec<(String, String)>,
}

struct Sessions {
    expiry: HashMap<String, Instant>,
}

struct Shared {
    config: PortalConfig,
    cases: Mutex<Vec<Case>>,
    sessions: Mutex<Sessions>,
    requests: AtomicU64,
    next_number: AtomicU64,
    expire_at_next_submission: std::sync::atomic::AtomicBool,
}

/// A running portal.
pub struct Portal {
    shared: Arc<Shared>,
    address: SocketAddr,
    server: tokio::task::JoinHandle<()>,
}

impl Portal {
    /// Starts the portal on a free local port.
    pub async fn start(config: PortalConfig) -> std::io::Result<Portal> {
        Portal::start_on("127.0.0.1:0", config).await
    }

    /// Starts the portal on an address such as `127.0.0.1:8090`.
    pub async fn start_on(address: &str, config: PortalConfig) -> std::io::Result<Portal> {
        let listener = TcpListener::bind(address).await?;
        let address = listener.local_addr()?;
        let shared = Arc::new(Shared {
            config,
            cases: Mutex::new(seed_cases()),
            sessions: Mutex::new(Sessions { expiry: HashMap::new() }),
            requests: AtomicU64::new(0),
            next_number: AtomicU64::new(104_230),
            expire_at_next_submission: std::sync::atomic::AtomicBool::new(false),
        });
        let app = router(shared.clone());
        let server = tokio::spawn(async move {
            // The server ends only when the portal is dropped and its task aborted.
            let _ = axum::serve(listener, app).await;
        });
        Ok(Portal { shared, address, server })
    }

    /// The portal's base URL, such as `http://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Every case on the portal, oldest first.
    pub fn cases(&self) -> Vec<Case> {
        lock(&self.shared.cases).clone()
    }

    /// The cases whose caller's reference is this one.
    pub fn cases_with_external_reference(&self, reference: &str) -> Vec<Case> {
        self.cases().into_iter().filter(|case| case.external_reference == reference).collect()
    }

    /// Ends every session, as if they had all expired.
    pub fn expire_sessions(&self) {
        lock(&self.shared.sessions).expiry.clear();
    }

    /// Makes every session expire when the next form is submitted, as if the caller had taken
    /// too long filling it in.
    pub fn expire_sessions_at_next_submission(&self) {
        self.shared.expire_at_next_submission.store(true, Ordering::SeqCst);
    }
}

impl Drop for Portal {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to("/login") }))
        .route("/login", get(login_page).post(log_in))
        .route("/logout", get(log_out))
        .route("/main", get(main_frameset))
        .route("/menu", get(menu))
        .route("/home", get(home))
        .route("/repairs/new", get(repair_form).post(submit_repair))
        .route("/bins/missed/new", get(missed_bin_form).post(submit_missed_bin))
        .route("/bulky/new", get(bulky_form).post(submit_bulky))
        .route("/counciltax/address/new", get(address_form).post(submit_address))
        .route("/cases/search", get(search))
        .route("/cases/view", get(view_case))
        .with_state(shared)
}

/// Existing cases, so searches page and status checks find something.
fn seed_cases() -> Vec<Case> {
    let streets = ["Mill Lane", "Church Street", "Station Road", "Orchard Close", "Victoria Road", "The Green"];
    let statuses = ["Logged", "Awaiting parts", "Operative booked", "Completed", "Inspection due"];
    (0..34)
        .map(|n| {
            let kind = if n % 3 == 2 { "Missed bin" } else { "Housing repair" };
            let prefix = if kind == "Missed bin" { "WB" } else { "HR" };
            Case {
                reference: format!("{prefix}-{}", 100_100 + n * 3),
                kind: kind.to_string(),
                address: format!(
                    "{} {}, Eastbrook EB{} {}QX",
                    n + 2,
                    streets[n as usize % streets.len()],
                    n % 8 + 1,
                    n % 9
                ),
                status: statuses[n as usize % statuses.len()].to_string(),
                logged: format!("{:02}/10/2026", n % 28 + 1),
                external_reference: String::new(),
                details: Vec::new(),
            }
        })
        .collect()
}

impl Shared {
    /// Slows down some responses, as an overloaded old server does.
    async fn maybe_slow(&self) {
        let count = self.requests.fetch_add(1, Ordering::Relaxed) + 1;
        if self.config.slow_every > 0 && count.is_multiple_of(self.config.slow_every) {
            tokio::time::sleep(self.config.slow_delay).await;
        }
    }

    /// Whether the request carries a live session; using a session extends it.
    fn has_session(&self, headers: &HeaderMap) -> bool {
        let Some(token) = session_token(headers) else { return false };
        let mut sessions = lock(&self.sessions);
        let now = Instant::now();
        match sessions.expiry.get_mut(&token) {
            Some(expiry) if *expiry > now => {
                *expiry = now + self.config.session_ttl;
                true
            }
            _ => {
                sessions.expiry.remove(&token);
                false
            }
        }
    }

    /// Whether a form submission carries a live session (sessions may be set to expire first).
    fn submission_has_session(&self, headers: &HeaderMap) -> bool {
        if self.expire_at_next_submission.swap(false, Ordering::SeqCst) {
            lock(&self.sessions).expiry.clear();
        }
        self.has_session(headers)
    }

    fn new_reference(&self, prefix: &str) -> String {
        format!("{prefix}-{}", self.next_number.fetch_add(1, Ordering::Relaxed))
    }
}

fn session_token(headers: &HeaderMap) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|value| value.to_str().ok()).find_map(|cookies| {
        cookies
            .split(';')
            .find_map(|cookie| cookie.trim().strip_prefix(&format!("{SESSION_COOKIE}=")).map(str::to_string))
    })
}

fn random_token() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..24).map(|_| char::from(b"abcdefghijklmnopqrstuvwxyz0123456789"[rng.random_range(0..36)])).collect()
}

/// The answer to a page request made without a live session.
fn session_expired() -> Response {
    Html(pages::layout(
        "Session expired",
        "<p class=\"error\">Your session has expired. Please <a href=\"/login\" target=\"_top\">log in again</a>.</p>",
    ))
    .into_response()
}

async fn login_page(State(shared): State<Arc<Shared>>) -> Html<String> {
    shared.maybe_slow().await;
    Html(pages::login(None))
}

#[derive(Deserialize)]
struct Credentials {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

async fn log_in(State(shared): State<Arc<Shared>>, Form(credentials): Form<Credentials>) -> Response {
    shared.maybe_slow().await;
    if credentials.username != USER || credentials.password != PASSWORD {
        return (StatusCode::OK, Html(pages::login(Some("Invalid user name or password.")))).into_response();
    }
    let token = random_token();
    lock(&shared.sessions).expiry.insert(token.clone(), Instant::now() + shared.config.session_ttl);
    let cookie = format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly");
    ([(header::SET_COOKIE, cookie)], Redirect::to("/main")).into_response()
}

async fn log_out(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if let Some(token) = session_token(&headers) {
        lock(&shared.sessions).expiry.remove(&token);
    }
    Redirect::to("/login").into_response()
}

async fn main_frameset(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if !shared.has_session(&headers) {
        return Redirect::to("/login").into_response();
    }
    Html(pages::frameset()).into_response()
}

async fn menu(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if !shared.has_session(&headers) {
        return session_expired();
    }
    Html(pages::menu()).into_response()
}

async fn home(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    shared.maybe_slow().await;
    if !shared.has_session(&headers) {
        return session_expired();
    }
    Html(pages::layout("Welcome", "<p>Welcome to the Eastbrook Customer Services System (ECSS) v2.3.</p>"))
        .into_response()
}

/// A form submission, as field name and value pairs in order.
type Fields = Vec<(String, String)>;

fn field<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields.iter().find(|(key, _)| key == name).map(|(_, value)| value.trim()).unwrap_or("")
}

/// Whether `text` looks like a UK postcode.
fn is_postcode(text: &str) -> bool {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase();
    let bytes = compact.as_bytes();
    (5..=7).contains(&bytes.len())
        && bytes[0].is_ascii_alphabetic()
        && bytes[bytes.len() - 3].is_ascii_digit()
        && bytes[bytes.len() - 2..].iter().all(u8::is_ascii_alphabetic)
        && bytes.iter().all(u8::is_ascii_alphanumeric)
}

/// Whether `text` is a date written `DD/MM/YYYY`.
fn is_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('/').collect();
    parts.len() == 3
        && parts[0].len() == 2
        && parts[1].len() == 2
        && parts[2].len() == 4
        && parts[0].parse::<u32>().is_ok_and(|day| (1..=31).contains(&day))
        && parts[1].parse::<u32>().is_ok_and(|month| (1..=12).contains(&month))
        && parts[2].parse::<u32>().is_ok()
}

fn is_phone(text: &str) -> bool {
    let digits: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    (10..=11).contains(&digits.len()) && digits.starts_with('0') && digits.chars().all(|c| c.is_ascii_digit())
}

/// The submitted postcode in capitals, noting what is wrong with it and the house number or name.
fn check_address(fields: &Fields, errors: &mut Vec<String>) -> String {
    let postcode = field(fields, "postcode").to_uppercase();
    if !is_postcode(&postcode) {
        errors.push("Postcode is not valid.".to_string());
    }
    if field(fields, "house").is_empty() {
        errors.push("House number or name is required.".to_string());
    }
    postcode
}

fn record(shared: &Shared, prefix: &str, kind: &str, address: String, fields: &Fields) -> Case {
    let case = Case {
        reference: shared.new_reference(prefix),
        kind: kind.to_string(),
        address,
        status: "Logged".to_string(),
        logged: "23/11/2026".to_string(),
        external_reference: field(fields, "ext_ref").to_string(),
        details: fields.clone(),
    };
    lock(&shared.cases).push(case.clone());
    case
}

async fn repair_form(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    shared.maybe_slow().await;
    if !shared.has_session(&headers) {
        return session_expired();
    }
    Html(pages::repair_form(&[], &Vec::new(), shared.config.dropdown_delay)).into_response()
}

async fn submit_repair(State(shared): State<Arc<Shared>>, headers: HeaderMap, Form(fields): Form<Fields>) -> Response {
    shared.maybe_slow().await;
    if !shared.submission_has_session(&headers) {
        return session_expired();
    }
    let mut errors = Vec::new();
    let postcode = check_address(&fields, &mut errors);
    if is_postcode(&postcode) && postcode.starts_with(OFF_REGISTER_PREFIX) {
        errors.push(format!("Property not found on the housing register ({postcode}). Refer to Housing Options."));
    }
    if !pages::REPAIR_CATEGORIES.contains(&field(&fields, "category")) {
        errors.push("Select a repair category.".to_string());
    }
    let description = field(&fields, "description");
    if description.is_empty() {
        errors.push("Description is required.".to_string());
    } else if description.chars().count() > pages::DESCRIPTION_LIMIT {
        errors.push(format!("Description must be {} characters or fewer.", pages::DESCRIPTION_LIMIT));
    }
    if !is_phone(field(&fields, "phone")) {
        errors.push("Contact telephone must be a UK number of 10 or 11 digits.".to_string());
    }
    if !errors.is_empty() {
        return Html(pages::repair_form(&errors, &fields, shared.config.dropdown_delay)).into_response();
    }
    let address = format!("{}, {}", field(&fields, "house"), postcode);
    let case = record(&shared, "HR", "Housing repair", address, &fields);
    Html(pages::confirmation("Repair request logged", &case)).into_response()
}

async fn missed_bin_form(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    shared.maybe_slow().await;
    if !shared.has_session(&headers) {
        return session_expired();
    }
    Html(pages::missed_bin_form(&[], &Vec::new(), shared.config.dropdown_delay)).into_response()
}

async fn submit_missed_bin(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Response {
    shared.maybe_slow().await;
    if !shared.submission_has_session(&headers) {
        return session_expired();
    }
    let mut errors = Vec::new();
    let postcode = check_address(&fields, &mut errors);
    if !pages::BIN_TYPES.contains(&field(&fields, "bin")) {
        errors.push("Select the bin that was missed.".to_string());
    }
    if !is_date(field(&fields, "collection_date")) {
        errors.push("Collection date must be in the format DD/MM/YYYY.".to_string());
    }
    if !errors.is_empty() {
        return Html(pages::missed_bin_form(&errors, &fields, shared.config.dropdown_delay)).into_response();
    }
    let address = format!("{}, {}", field(&fields, "house"), postcode);
    let case = record(&shared, "WB", "Missed bin", address, &fields);
    Html(pages::confirmation("Missed collection logged", &case)).into_response()
}

async fn bulky_form(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    shared.maybe_slow().await;
    if !shared.has_session(&headers) {
        return session_expired();
    }
    Html(pages::bulky_form(&[], &Vec::new())).into_response()
}

async fn submit_bulky(State(shared): State<Arc<Shared>>, headers: HeaderMap, Form(fields): Form<Fields>) -> Response {
    shared.maybe_slow().await;
    if !shared.submission_has_session(&headers) {
        return session_expired();
    }
    let mut errors = Vec::new();
    let postcode = check_address(&fields, &mut errors);
    let items = field(&fields, "items").lines().filter(|line| !line.trim().is_empty()).count();
    if items == 0 {
        errors.push("List the items to collect, one per line.".to_string());
    } else if items > pages::BULKY_ITEM_LIMIT {
        errors.push(format!("A collection is limited to {} items.", pages::BULKY_ITEM_LIMIT));
    }
    if !is_date(field(&fields, "preferred_date")) {
        errors.push("Preferred date must be in the format DD/MM/YYYY.".to_string());
    }
    if !errors.is_empty() {
        return Html(pages::bulky_form(&errors, &fields)).into_response();
    }
    let address = format!("{}, {}", field(&fields, "house"), postcode);
    let mut case = record(&shared, "BW", "Bulky waste", address, &fields);
    case.details.push(("fee".to_string(), pages::bulky_fee(items).to_string()));
    Html(pages::confirmation("Bulky waste collection booked", &case)).into_response()
}

async fn address_form(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    shared.maybe_slow().await;
    if !shared.has_session(&headers) {
        return session_expired();
    }
    Html(pages::address_form(&[], &Vec::new())).into_response()
}

async fn submit_address(State(shared): State<Arc<Shared>>, headers: HeaderMap, Form(fields): Form<Fields>) -> Response {
    shared.maybe_slow().await;
    if !shared.submission_has_session(&headers) {
        return session_expired();
    }
    let mut errors = Vec::new();
    let account = field(&fields, "account");
    if account.len() != 8 || !account.chars().all(|c| c.is_ascii_digit()) {
        errors.push("Council tax account number must be 8 digits.".to_string());
    }
    if field(&fields, "new_address").is_empty() {
        errors.push("New address is required.".to_string());
    }
    let postcode = field(&fields, "new_postcode").to_uppercase();
    if !is_postcode(&postcode) {
        errors.push("New postcode is not valid.".to_string());
    }
    if !is_date(field(&fields, "move_date")) {
        errors.push("Date of move must be in the format DD/MM/YYYY.".to_string());
    }
    if !errors.is_empty() {
        return Html(pages::address_form(&errors, &fields)).into_response();
    }
    let address = format!("{}, {}", field(&fields, "new_address"), postcode);
    let case = record(&shared, "CT", "Change of address", address, &fields);
    Html(pages::confirmation("Change of address recorded", &case)).into_response()
}

#[derive(Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: Option<usize>,
}

async fn search(State(shared): State<Arc<Shared>>, headers: HeaderMap, Query(query): Query<SearchQuery>) -> Response {
    shared.maybe_slow().await;
    if !shared.has_session(&headers) {
        return session_expired();
    }
    let needle = query.q.trim().to_lowercase();
    let matches: Vec<Case> = lock(&shared.cases)
        .iter()
        .rev()
        .filter(|case| {
            needle.is_empty()
                || case.reference.to_lowercase().contains(&needle)
                || case.address.to_lowercase().contains(&needle)
                || case.external_reference.to_lowercase() == needle
        })
        .cloned()
        .collect();
    Html(pages::search(&query.q, &matches, query.page.unwrap_or(1))).into_response()
}

#[derive(Deserialize)]
struct CaseQuery {
    #[serde(default)]
    reference: String,
}

async fn view_case(State(shared): State<Arc<Shared>>, headers: HeaderMap, Query(query): Query<CaseQuery>) -> Response {
    shared.maybe_slow().await;
    if !shared.has_session(&headers) {
        return session_expired();
    }
    let case =
        lock(&shared.cases).iter().find(|case| case.reference.eq_ignore_ascii_case(query.reference.trim())).cloned();
    match case {
        Some(case) => Html(pages::case_page(&case)).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Html(pages::layout("Case not found", "<p class=\"error\">No case has that reference.</p>")),
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_postcodes_dates_and_phones() {
        assert!(is_postcode("EB4 2QX") && is_postcode("eb42qx") && !is_postcode("EB4") && !is_postcode("12345"));
        assert!(is_date("03/11/2026") && !is_date("3/11/2026") && !is_date("2026-11-03"));
        assert!(is_phone("01632 960 123") && !is_phone("12345"));
    }
}
