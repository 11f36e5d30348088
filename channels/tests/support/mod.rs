//! The whole application router over real components (an index built for the test, in-memory
//! SQLite, a real engine and real console accounts), called in-process, and a browser that keeps
//! cookies to call it with.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode, header};
use axum::response::Response;
use bot::conversation::settings::PagesServedHere;
use bot::conversation::{
    Audience, ConversationStore, Engine, EngineParts, EngineSettings, Inbound, InboundContent, Services,
};
use bot::curated::CuratedStore;
use bot::service_examples::ServiceExampleStore;
use channels::console::accounts::{Accounts, Principal, Role};
use channels::console::cookies::SESSION_COOKIE;
use channels::{ApiLimits, AppState, WebSettings};
use knowledge_base::{IndexSettings, KnowledgeBase, TokenCounter, build_index};
use rpa::journal::Journal;
use rpa::runner::{Runner, RunnerConfig};
use rpa::secrets::Secrets;
use rpa::workflow::Catalogue;
use serde_json::Value;
use storage::Database;
use tower::ServiceExt;

/// The sample council's website, whose pages the application serves itself.
pub const SAMPLE_WEBSITE: &str = "https://www.eastbrook.gov.uk";

/// A workflow the website's form starts by webhook, with a personal input.
pub const RENEWAL: &str = r#"name: garden_waste_renewal
version: 1
description: Renew a garden waste subscription sent from the website's form.
trigger:
  webhook: { token_secret: renewal_token }
secrets: [renewal_token]
inputs:
  - name: uprn
    type: text
    prompt: The property's UPRN
    pattern: "^[0-9]{12}$"
    pattern_hint: twelve digits
  - name: email
    type: email
    prompt: Where to send the receipt
    personal: true
steps:
  - set: { renewed: "yes" }
"#;

/// A workflow that runs on a schedule.
pub const NIGHTLY: &str = r#"name: nightly_export
version: 1
description: Export the repairs logged since yesterday.
trigger:
  schedule: "0 7 * * *"
steps:
  - set: { exported: "yes" }
"#;

/// The password of console accounts made by tests.
pub const STAFF_PASSWORD: &str = "correct horse battery staple";

/// The sample council's pages.
fn sample_content() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../knowledge-base/content")
}

/// The council's workflows.
fn council_workflows() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../workflows")
}

/// What the application is built over, and how it behaves.
pub struct Setup {
    sample_council: bool,
    postgres: bool,
    limits: ApiLimits,
    web: WebSettings,
    workflows: Vec<(String, String)>,
    secrets: Vec<(String, String)>,
}

impl Setup {
    /// The sample council's pages (served here, as `councilbot serve` does for them) and
    /// workflows with a runner to take requests, instead of a single page about bins.
    pub fn sample_council(mut self) -> Setup {
        self.sample_council = true;
        self
    }

    /// Workflow files of its own (by file name and text) with the secrets they use, run by a
    /// runner whose runs nobody works here.
    pub fn workflows(mut self, files: &[(&str, &str)], secrets: &[(&str, &str)]) -> Setup {
        self.workflows = files.iter().map(|(name, text)| (name.to_string(), text.to_string())).collect();
        self.secrets = secrets.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect();
        self
    }

    /// Conversations, escalations and runs kept in a fresh PostgreSQL database of its own,
    /// rather than in memory on SQLite.
    pub fn on_postgres(mut self) -> Setup {
        self.postgres = true;
        self
    }

    /// The chat API's limits (the longest message also bounds what the engine takes).
    pub fn limits(mut self, limits: ApiLimits) -> Setup {
        self.limits = limits;
        self
    }

    /// How the web side behaves.
    pub fn web(mut self, web: WebSettings) -> Setup {
        self.web = web;
        self
    }

    /// Builds the index, the databases, the engine and the router.
    pub async fn start(self) -> App {
        let index = tempfile::tempdir().unwrap();
        let bins = tempfile::tempdir().unwrap();
        let content = if self.sample_council {
            sample_content()
        } else {
            std::fs::write(
                bins.path().join("bins.md"),
                "# Bin collections\n\nBins are collected every Tuesday. Put your bin out by 7am.\n",
            )
            .unwrap();
            bins.path().to_path_buf()
        };
        let website = SAMPLE_WEBSITE;
        let counter = TokenCounter::built_in().unwrap();
        let index_settings = IndexSettings { base_url: Some(website.into()), ..IndexSettings::default() };
        build_index(index.path(), std::slice::from_ref(&content), &index_settings, &counter, &|_| {}).unwrap();
        let knowledge = Arc::new(KnowledgeBase::open(index.path()).unwrap());

        let postgres = if self.postgres {
            Some(storage::TestPostgres::create().await.expect("PostgreSQL at 127.0.0.1:5432"))
        } else {
            None
        };
        let conversations = match &postgres {
            Some(server) => Database::connect(&server.url).await.unwrap(),
            None => Database::connect("sqlite::memory:").await.unwrap(),
        };
        let store = ConversationStore::open(conversations.clone()).await.unwrap();
        let curated = CuratedStore::open(&store).await.unwrap();
        let examples = ServiceExampleStore::open(&store).await.unwrap();
        let own_workflows = tempfile::tempdir().unwrap();
        for (name, text) in &self.workflows {
            std::fs::write(own_workflows.path().join(name), text).unwrap();
        }
        let mut workflows = if self.sample_council { vec![council_workflows()] } else { Vec::new() };
        if !self.workflows.is_empty() {
            workflows.push(own_workflows.path().to_path_buf());
        }
        // As `serve` reads them: a file with errors is left out.
        let (catalogue, _) = Catalogue::default().reload(&workflows);
        // The council's requests are taken (the runner holds them; none is carried out here).
        let runner = if workflows.is_empty() {
            None
        } else {
            let journal = Journal::open(conversations.clone()).await.unwrap();
            let secrets = Secrets::from_pairs(self.secrets.iter().map(|(name, value)| (name.as_str(), value.as_str())));
            Some(Arc::new(Runner::new(journal, catalogue.clone(), secrets, RunnerConfig::default())))
        };
        let mut settings =
            EngineSettings { max_message_chars: self.limits.max_message_chars, ..EngineSettings::default() };
        if self.sample_council {
            settings.pages_served_here = Some(PagesServedHere { website: website.into(), served_at: String::new() });
        }
        let engine = Arc::new(Engine::new(EngineParts {
            knowledge: knowledge.clone(),
            store,
            runner,
            services: Services::with_knowledge(catalogue, knowledge),
            curated,
            examples,
            model: None,
            settings,
            clock: Arc::new(storage::now_millis),
        }));
        let accounts = Accounts::open(Database::connect("sqlite::memory:").await.unwrap()).await.unwrap();
        let mut state = AppState::new(engine.clone(), accounts.clone(), self.limits, self.web, None);
        if self.sample_council {
            state.site = Some(Arc::new(channels::site::Site::load(&[content], website)));
        }
        App {
            state: state.clone(),
            router: channels::app(state.clone()),
            metrics: channels::metrics_app(&state),
            engine,
            accounts,
            conversations,
            _index: index,
            _workflows: own_workflows,
            _postgres: postgres,
        }
    }
}

/// The application over a fresh in-memory database for conversations and another for the
/// console's accounts, so the first can fail while people stay signed in.
pub struct App {
    /// What the application's handlers share.
    pub state: AppState,
    router: Router,
    metrics: Router,
    /// The conversation engine.
    pub engine: Arc<Engine>,
    /// The console's accounts.
    pub accounts: Accounts,
    /// The database of conversations, escalations and the audit log.
    pub conversations: Database,
    _index: tempfile::TempDir,
    _workflows: tempfile::TempDir,
    /// The PostgreSQL database, dropped with the application.
    _postgres: Option<storage::TestPostgres>,
}

impl App {
    /// How the application is built: by default over a page about bins, with default settings.
    pub fn setup() -> Setup {
        Setup {
            sample_council: false,
            postgres: false,
            limits: ApiLimits::default(),
            web: WebSettings::default(),
            workflows: Vec::new(),
            secrets: Vec::new(),
        }
    }

    /// The application over a page about bins, with default settings.
    pub async fn start() -> App {
        App::setup().start().await
    }

    /// The application over the sample council, with default settings.
    pub async fn sample_council() -> App {
        App::setup().sample_council().start().await
    }

    /// A new browser, with no cookies yet.
    pub fn browser(&self) -> Browser<'_> {
        Browser { router: &self.router, cookies: Mutex::new(Vec::new()) }
    }

    /// Makes a console account with the staff password (as `councilbot staff add` does).
    pub async fn add_staff(&self, username: &str, name: &str, role: Role) {
        self.accounts.set_local(username, name, STAFF_PASSWORD, role).await.unwrap();
    }

    /// A session cookie for a new account with this role.
    pub async fn signed_in(&self, username: &str, role: Role) -> String {
        self.accounts.set_local(username, username, "a long enough password", role).await.unwrap();
        let principal = Principal { username: username.into(), display_name: username.into(), role, csrf: None };
        let (token, _) = self.accounts.start_session(&principal).await.unwrap();
        format!("{SESSION_COOKIE}={token}")
    }

    /// A resident's conversation in which they asked for a person; the escalation's id.
    pub async fn escalation(&self) -> String {
        let conversation = self.engine.start_conversation("web", "", Audience::Resident).await.unwrap();
        let text = "can I speak to someone".to_string();
        let inbound = Inbound { conversation: conversation.id, content: InboundContent::Text(text) };
        self.engine.handle(inbound).await.unwrap();
        let open = self.engine.store().open_escalations(10).await.unwrap();
        open.first().expect("the resident's request for a person is in the queue").id.clone()
    }

    /// The number a query counting rows of the conversations' database gives.
    pub async fn count(&self, sql: &str) -> i64 {
        storage::sqlx::query_scalar(sql).fetch_one(self.conversations.pool()).await.unwrap()
    }

    /// Runs a statement on the conversations' database, to make it fail.
    pub async fn execute(&self, sql: &str) {
        storage::sqlx::query(sql).execute(self.conversations.pool()).await.unwrap();
    }

    /// The application's response to a request, its body unread.
    pub async fn call(&self, request: Request<Body>) -> Response {
        call(&self.router, request).await
    }

    /// A `GET`, with a cookie header when one is given.
    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Answer {
        let mut request = Request::get(path);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        Answer::read(self.call(request.body(Body::empty()).unwrap()).await).await
    }

    /// A `GET` of `/metrics` alone, as served on an address of its own.
    pub async fn get_on_metrics_address(&self, path: &str) -> Answer {
        Answer::read(call(&self.metrics, Request::get(path).body(Body::empty()).unwrap()).await).await
    }

    /// A `GET` with a bearer token.
    pub async fn get_with_token(&self, path: &str, token: &str) -> Answer {
        let request = Request::get(path).header(header::AUTHORIZATION, format!("Bearer {token}"));
        Answer::read(self.call(request.body(Body::empty()).unwrap()).await).await
    }

    /// A JSON `POST` with a bearer token.
    pub async fn post_json_with_token(&self, path: &str, body: &Value, token: &str) -> Answer {
        let bearer = format!("Bearer {token}");
        let request = with_header(json_request(Request::post(path), body), header::AUTHORIZATION, &bearer);
        Answer::read(self.call(request).await).await
    }
}

/// The peer address requests come from, as a connection would give it.
fn peer() -> ConnectInfo<SocketAddr> {
    ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40_000)))
}

async fn call(router: &Router, mut request: Request<Body>) -> Response {
    request.extensions_mut().insert(peer());
    router.clone().oneshot(request).await.unwrap()
}

fn json_request(builder: axum::http::request::Builder, body: &Value) -> Request<Body> {
    builder.header(header::CONTENT_TYPE, "application/json").body(Body::from(body.to_string())).unwrap()
}

fn with_header(mut request: Request<Body>, name: header::HeaderName, value: &str) -> Request<Body> {
    request.headers_mut().insert(name, value.parse().unwrap());
    request
}

/// A response read to its end.
pub struct Answer {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body, as text.
    pub body: String,
}

impl Answer {
    /// Reads the whole response.
    pub async fn read(response: Response) -> Answer {
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 24).await.unwrap();
        Answer { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
    }

    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|error| panic!("{error}: {}", self.body))
    }

    /// A header's value, empty when it is missing.
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|value| value.to_str().ok()).unwrap_or_default()
    }
}

/// A browser: it keeps the cookies it is given and does not follow redirects.
pub struct Browser<'a> {
    router: &'a Router,
    cookies: Mutex<Vec<(String, String)>>,
}

impl Browser<'_> {
    /// Sends a request with this browser's cookies, keeping those the response sets.
    pub async fn send(&self, mut request: Request<Body>) -> Answer {
        let cookies = self.cookie_header();
        if !cookies.is_empty() && !request.headers().contains_key(header::COOKIE) {
            request.headers_mut().insert(header::COOKIE, cookies.parse().unwrap());
        }
        let response = call(self.router, request).await;
        self.keep_cookies(response.headers());
        Answer::read(response).await
    }

    /// A `GET`.
    pub async fn get(&self, path: &str) -> Answer {
        self.send(Request::get(path).body(Body::empty()).unwrap()).await
    }

    /// A `POST` of a JSON body.
    pub async fn post_json(&self, path: &str, body: &Value) -> Answer {
        self.send(json_request(Request::post(path), body)).await
    }

    /// A `POST` of a form.
    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Answer {
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        let request = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        self.send(request).await
    }

    /// Signs in through the sign-in form.
    pub async fn sign_in(&self, username: &str, password: &str) -> Answer {
        let page = self.get("/console/login").await;
        let csrf = hidden(&page.body, "csrf");
        self.post_form("/console/login", &[("username", username), ("password", password), ("csrf", &csrf)]).await
    }

    /// The session's CSRF token, from the queue page.
    pub async fn csrf(&self) -> String {
        hidden(&self.get("/console").await.body, "csrf")
    }

    /// Starts a conversation through the API; its id.
    pub async fn start_conversation(&self) -> String {
        let created = self.send(Request::post("/api/v1/conversations").body(Body::empty()).unwrap()).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        created.json()["id"].as_str().unwrap().to_string()
    }

    /// Says something in a conversation; the replies.
    pub async fn say(&self, conversation: &str, text: &str) -> Vec<Value> {
        let answer = self
            .post_json(&format!("/api/v1/conversations/{conversation}/messages"), &serde_json::json!({"text": text}))
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{text}: {}", answer.body);
        answer.json()["replies"].as_array().cloned().unwrap_or_default()
    }

    /// A conversation's messages, from the API.
    pub async fn transcript(&self, conversation: &str) -> Vec<Value> {
        self.get(&format!("/api/v1/conversations/{conversation}")).await.json()["messages"].as_array().cloned().unwrap()
    }

    /// A resident asks for a person; the conversation.
    pub async fn resident_asks_for_a_person(&self) -> String {
        let conversation = self.start_conversation().await;
        self.say(&conversation, "my email is jo@example.org, can I speak to someone").await;
        conversation
    }

    fn cookie_header(&self) -> String {
        let cookies = self.cookies.lock().unwrap();
        cookies.iter().map(|(name, value)| format!("{name}={value}")).collect::<Vec<_>>().join("; ")
    }

    fn keep_cookies(&self, headers: &HeaderMap) {
        let mut cookies = self.cookies.lock().unwrap();
        for set in headers.get_all(header::SET_COOKIE).iter().filter_map(|value| value.to_str().ok()) {
            let Some((name, value)) = set.split(';').next().and_then(|pair| pair.trim().split_once('=')) else {
                continue;
            };
            cookies.retain(|(kept, _)| kept != name);
            if !value.is_empty() && !set.contains("Max-Age=0") {
                cookies.push((name.to_string(), value.to_string()));
            }
        }
    }
}

/// A server-sent event: its name, its id and its data.
pub type Event = (String, String, Value);

/// Reads server-sent events from a response until `enough` says to stop, the stream ends, or a
/// safety limit of 20 seconds passes (so a broken stream fails the test instead of hanging it).
pub async fn read_events(response: Response, enough: impl Fn(&[Event]) -> bool) -> Vec<Event> {
    use futures::StreamExt;
    let mut events = Vec::new();
    let mut buffer = String::new();
    let mut stream = response.into_body().into_data_stream();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    while !enough(&events) {
        let next = tokio::time::timeout_at(deadline, stream.next()).await;
        let Ok(Some(Ok(chunk))) = next else { break };
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let (mut name, mut id, mut data) = (String::new(), String::new(), String::new());
            for line in block.lines() {
                if let Some(value) = line.strip_prefix("event:") {
                    name = value.trim().to_string();
                } else if let Some(value) = line.strip_prefix("id:") {
                    id = value.trim().to_string();
                } else if let Some(value) = line.strip_prefix("data:") {
                    data.push_str(value.trim());
                }
            }
            if !name.is_empty() {
                events.push((name, id, serde_json::from_str(&data).unwrap_or(Value::Null)));
            }
        }
    }
    events
}

/// The value of a hidden form field.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no {name} field in {html}")) + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

/// The first escalation a console page links to.
pub fn escalation_linked_from(page: &str) -> String {
    let marker = "/console/escalations/";
    let start = page.find(marker).unwrap() + marker.len();
    page[start..start + page[start..].find('"').unwrap()].to_string()
}
