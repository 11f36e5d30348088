//! The console and the API's escalations, called in-process through the whole application
//! router: signing in is needed, roles are kept to, a database failure shows the problem page,
//! and refusals say nothing of the inside.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::response::Response;
use bot::conversation::{
    Audience, ConversationStore, Engine, EngineParts, EngineSettings, Inbound, InboundContent, Services,
};
use bot::curated::CuratedStore;
use bot::service_examples::ServiceExampleStore;
use channels::console::accounts::{Accounts, Principal, Role};
use channels::console::cookies::SESSION_COOKIE;
use channels::{ApiLimits, AppState, WebSettings};
use knowledge_base::{IndexSettings, KnowledgeBase, TokenCounter, build_index};
use rpa::workflow::Catalogue;
use serde_json::Value;
use storage::Database;
use tower::ServiceExt;

/// The application over a fresh in-memory database for conversations and another for the
/// console's accounts, so the first can fail while people stay signed in.
struct Console {
    app: Router,
    engine: Arc<Engine>,
    accounts: Accounts,
    conversations: Database,
    _index: tempfile::TempDir,
}

impl Console {
    async fn start() -> Console {
        let content = tempfile::tempdir().unwrap();
        std::fs::write(
            content.path().join("bins.md"),
            "# Bin collections\n\nBins are collected every Tuesday. Put your bin out by 7am.\n",
        )
        .unwrap();
        let index = tempfile::tempdir().unwrap();
        let counter = TokenCounter::built_in().unwrap();
        let settings =
            IndexSettings { base_url: Some("https://www.eastbrook.gov.uk".into()), ..IndexSettings::default() };
        build_index(index.path(), &[content.path().to_path_buf()], &settings, &counter, &|_| {}).unwrap();
        let knowledge = Arc::new(KnowledgeBase::open(index.path()).unwrap());

        let conversations = Database::connect("sqlite::memory:").await.unwrap();
        let store = ConversationStore::open(conversations.clone()).await.unwrap();
        let curated = CuratedStore::open(&store).await.unwrap();
        let examples = ServiceExampleStore::open(&store).await.unwrap();
        let (catalogue, _) = Catalogue::load(&[]);
        let engine = Arc::new(Engine::new(EngineParts {
            knowledge: knowledge.clone(),
            store,
            runner: None,
            services: Services::with_knowledge(catalogue, knowledge),
            curated,
            examples,
            model: None,
            settings: EngineSettings::default(),
            clock: Arc::new(storage::now_millis),
        }));
        let accounts = Accounts::open(Database::connect("sqlite::memory:").await.unwrap()).await.unwrap();
        let state = AppState::new(engine.clone(), accounts.clone(), ApiLimits::default(), WebSettings::default(), None);
        Console { app: channels::app(state), engine, accounts, conversations, _index: index }
    }

    /// A session cookie for a new account with this role.
    async fn signed_in(&self, username: &str, role: Role) -> String {
        self.accounts.set_local(username, username, "a long enough password", role).await.unwrap();
        let principal = Principal { username: username.into(), display_name: username.into(), role, csrf: None };
        let (token, _) = self.accounts.start_session(&principal).await.unwrap();
        format!("{SESSION_COOKIE}={token}")
    }

    /// A resident's conversation in which they asked for a person; the escalation's id.
    async fn escalation(&self) -> String {
        let conversation = self.engine.start_conversation("web", "", Audience::Resident).await.unwrap();
        let text = "can I speak to someone".to_string();
        let inbound = Inbound { conversation: conversation.id, content: InboundContent::Text(text) };
        self.engine.handle(inbound).await.unwrap();
        let open = self.engine.store().open_escalations(10).await.unwrap();
        open.first().expect("the resident's request for a person is in the queue").id.clone()
    }

    async fn call(&self, request: Request<Body>) -> (StatusCode, Response) {
        let response = self.app.clone().oneshot(request).await.unwrap();
        (response.status(), response)
    }

    async fn get(&self, path: &str, cookie: Option<&str>) -> (StatusCode, String) {
        let mut request = Request::get(path);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        let (status, response) = self.call(request.body(Body::empty()).unwrap()).await;
        (status, text(response).await)
    }

    async fn post_json(&self, path: &str, token: &str) -> (StatusCode, String) {
        let request = Request::post(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{}"))
            .unwrap();
        let (status, response) = self.call(request).await;
        (status, text(response).await)
    }
}

async fn text(response: Response) -> String {
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
    String::from_utf8_lossy(&bytes).into_owned()
}

#[tokio::test]
async fn the_queue_needs_a_sign_in() {
    let console = Console::start().await;
    let (status, page) = console.get("/console", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(page.contains("Sign in"), "the sign-in page: {page}");

    let (status, body) = console.get("/api/v1/escalations", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["error"]["code"], "unauthenticated");
}

#[tokio::test]
async fn a_supervisor_cannot_reach_an_admin_page() {
    let console = Console::start().await;
    let supervisor = console.signed_in("sam", Role::Supervisor).await;
    let (status, _) = console.get("/console", Some(&supervisor)).await;
    assert_eq!(status, StatusCode::OK, "the queue is theirs");

    let (status, page) = console.get("/console/audit", Some(&supervisor)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("You cannot see this page"), "{page}");

    let admin = console.signed_in("alex", Role::Admin).await;
    let (status, _) = console.get("/console/audit", Some(&admin)).await;
    assert_eq!(status, StatusCode::OK, "an admin sees the audit log");
}

#[tokio::test]
async fn a_database_failure_shows_the_problem_page() {
    let console = Console::start().await;
    let supervisor = console.signed_in("sam", Role::Supervisor).await;
    let escalation = console.escalation().await;
    console.conversations.close().await;

    for path in ["/console", "/console/queue", &format!("/console/escalations/{escalation}"), "/console/figures"] {
        let (status, page) = console.get(path, Some(&supervisor)).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{path}: {page}");
        assert!(page.contains("Unavailable") && page.contains("Please try again shortly."), "{path}: {page}");
        assert!(!page.contains("<table"), "{path}: nothing shown as if it were empty: {page}");
    }
}

#[tokio::test]
async fn api_refusals_carry_no_internal_text() {
    let console = Console::start().await;
    let escalation = console.escalation().await;
    let token = console.accounts.create_token("queue-robot", Role::Supervisor).await.unwrap();

    // Handing back what nobody took is refused in the words the console uses.
    let (status, body) = console.post_json(&format!("/api/v1/escalations/{escalation}/hand-back"), &token).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let refusal: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(refusal["error"]["code"], "conflict");

    // A database failure is unavailability, not the database's own words.
    storage::sqlx::query("DROP TABLE audit_log").execute(console.conversations.pool()).await.unwrap();
    let (status, body) = console.post_json(&format!("/api/v1/escalations/{escalation}/claim"), &token).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let refusal: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(refusal["error"]["code"], "unavailable");
    for inside in ["audit_log", "no such table", "SQL", "sqlx"] {
        assert!(!body.contains(inside), "`{inside}` is not sent: {body}");
    }
}
