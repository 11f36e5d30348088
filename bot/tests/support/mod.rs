//! What the engine's tests share: the sample council indexed (with extra pages when a test
//! needs them), an engine over a fresh database, and a local server speaking the OpenAI chat
//! completions protocol whose answers each test scripts.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bot::conversation::{
    Audience, ConversationStore, Engine, EngineParts, EngineSettings, Inbound, InboundContent, Reply, Role, Services,
};
use bot::llm::{LanguageModel, ModelSettings, Provider};
use knowledge_base::{IndexSettings, KnowledgeBase, TokenCounter, build_index};
use rpa::journal::Journal;
use rpa::runner::{Runner, RunnerConfig};
use rpa::secrets::Secrets;
use rpa::workflow::Catalogue;
use serde_json::{Value, json};

/// The sample council's content.
pub fn sample_content() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../knowledge-base/content")
}

/// The council's workflows.
pub fn council_workflows() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../workflows")
}

/// The sample council indexed, with extra pages (path, text) added to its content.
pub struct Council {
    pub index: tempfile::TempDir,
    _extra: tempfile::TempDir,
}

impl Council {
    pub fn with_pages(pages: &[(&str, &str)]) -> Council {
        let index = tempfile::tempdir().expect("temp dir");
        let extra = tempfile::tempdir().expect("temp dir");
        for (path, text) in pages {
            let path = extra.path().join(path);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, text).expect("write page");
        }
        let counter = TokenCounter::built_in().expect("tokenizer");
        let settings =
            IndexSettings { base_url: Some("https://www.eastbrook.gov.uk".into()), ..IndexSettings::default() };
        build_index(index.path(), &[sample_content(), extra.path().to_path_buf()], &settings, &counter, &|_| {})
            .expect("index");
        Council { index, _extra: extra }
    }

    pub fn sample() -> Council {
        Council::with_pages(&[])
    }

    /// An engine over this council with a fresh SQLite database, the council's workflows (runs
    /// are recorded but not worked) and, when given, a language model.
    pub async fn engine(&self, database: &Path, model: Option<ModelSettings>) -> Engine {
        let url = format!("sqlite://{}", database.join("councilbot.db").display());
        self.engine_on(&url, model).await
    }

    /// An engine over this council on the database at `url`.
    pub async fn engine_on(&self, url: &str, model: Option<ModelSettings>) -> Engine {
        let knowledge = Arc::new(KnowledgeBase::open(self.index.path()).expect("open index"));
        let database = storage::Database::connect(url).await.expect("database");
        let store = ConversationStore::open(database.clone()).await.expect("store");
        let curated = bot::curated::CuratedStore::open(&store).await.expect("curated answers");
        let examples = bot::service_examples::ServiceExampleStore::open(&store).await.expect("service examples");
        let journal = Journal::open(database).await.expect("journal");
        let (catalogue, errors) = Catalogue::load(&[council_workflows()]);
        assert!(errors.is_empty(), "{errors:?}");
        let secrets = Secrets::from_pairs([("ecss_user", "agent"), ("ecss_password", "stand-in")]);
        let runner = Runner::new(journal, catalogue.clone(), secrets, RunnerConfig::default());
        Engine::new(EngineParts {
            knowledge: knowledge.clone(),
            store,
            runner: Some(Arc::new(runner)),
            services: Services::with_knowledge(catalogue, knowledge),
            curated,
            examples,
            model: model.map(LanguageModel::new),
            settings: EngineSettings::default(),
            clock: Arc::new(|| {
                // Tuesday 1 December 2026, 10:00 UTC.
                uk::calendar::days_from_civil(2026, 12, 1) * 86_400_000 + 10 * 3_600_000
            }),
        })
    }
}

/// Sends one message in a conversation and returns the bot's replies.
pub async fn say(engine: &Engine, conversation: &str, text: &str) -> Vec<Reply> {
    let inbound = Inbound { conversation: conversation.to_string(), content: InboundContent::Text(text.to_string()) };
    engine
        .handle(inbound)
        .await
        .expect("the turn is handled")
        .into_iter()
        .filter(|message| message.role != Role::User)
        .map(|message| message.reply)
        .collect()
}

/// A new conversation with a resident on the web.
pub async fn conversation(engine: &Engine) -> String {
    engine.start_conversation("web", "", Audience::Resident).await.expect("conversation").id
}

/// What the scripted model does with a request.
#[derive(Clone)]
pub enum Behaviour {
    /// Streams these pieces of text, then ends.
    Stream(Vec<String>),
    /// Answers (not streamed) with this text.
    Text(String),
    /// Calls a function with these arguments (not streamed).
    Call { name: String, arguments: String },
    /// Waits this long before answering anything.
    Stall(Duration),
    /// Streams a chunk that is not JSON.
    Garbage,
    /// Answers with an HTTP error.
    Fail(u16),
}

/// A request the model received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub query: String,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Received {
    /// Every message's content, joined.
    pub fn text(&self) -> String {
        self.body["messages"]
            .as_array()
            .map(|messages| {
                messages.iter().map(|m| m["content"].as_str().unwrap_or_default()).collect::<Vec<_>>().join("\n")
            })
            .unwrap_or_default()
    }

    /// Whether this is a request to choose a function (routing) rather than to answer.
    pub fn is_routing(&self) -> bool {
        self.body.get("tools").is_some()
    }
}

type Script = Arc<dyn Fn(&Received) -> Behaviour + Send + Sync>;

#[derive(Clone)]
struct ModelState {
    script: Script,
    received: Arc<Mutex<Vec<Received>>>,
}

/// A local server speaking the OpenAI chat completions protocol (and Azure's path for it).
pub struct FakeModel {
    pub url: String,
    received: Arc<Mutex<Vec<Received>>>,
    server: tokio::task::JoinHandle<()>,
}

impl FakeModel {
    pub async fn start(script: impl Fn(&Received) -> Behaviour + Send + Sync + 'static) -> FakeModel {
        let received = Arc::new(Mutex::new(Vec::new()));
        let state = ModelState { script: Arc::new(script), received: received.clone() };
        let router = Router::new().fallback(complete).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address: SocketAddr = listener.local_addr().expect("address");
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        FakeModel { url: format!("http://{address}"), received, server }
    }

    /// Settings that reach this server as OpenAI would be reached.
    pub fn settings(&self) -> ModelSettings {
        ModelSettings {
            base_url: format!("{}/v1", self.url),
            api_key: Some("sk-test-key".into()),
            model: "test-model".into(),
            timeout_seconds: 2,
            ..ModelSettings::default()
        }
    }

    /// Settings that reach this server as Azure OpenAI would be reached.
    pub fn azure_settings(&self) -> ModelSettings {
        ModelSettings {
            provider: Provider::Azure,
            base_url: self.url.clone(),
            model: "council-gpt".into(),
            ..self.settings()
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

impl Drop for FakeModel {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn complete(State(state): State<ModelState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 22).await.unwrap_or_default();
    let received = Received {
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or_default().to_string(),
        headers: parts.headers.clone(),
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    };
    state.received.lock().unwrap().push(received.clone());
    if !received.path.ends_with("/chat/completions") {
        return (StatusCode::NOT_FOUND, "unknown path").into_response();
    }
    match (state.script)(&received) {
        Behaviour::Stall(duration) => {
            tokio::time::sleep(duration).await;
            completion(json!({"role": "assistant", "content": "too late"}), "stop")
        }
        Behaviour::Fail(status) => (
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            axum::Json(json!({"error": {"message": "the model is overloaded", "type": "server_error", "param": null, "code": null}})),
        )
            .into_response(),
        Behaviour::Text(text) => completion(json!({"role": "assistant", "content": text}), "stop"),
        Behaviour::Call { name, arguments } => completion(
            json!({"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": name, "arguments": arguments}}]}),
            "tool_calls",
        ),
        Behaviour::Stream(pieces) => {
            let mut events = String::new();
            for (index, piece) in pieces.iter().enumerate() {
                let delta = if index == 0 { json!({"role": "assistant", "content": piece}) } else { json!({"content": piece}) };
                events.push_str(&format!("data: {}\n\n", chunk(delta, Value::Null)));
            }
            events.push_str(&format!("data: {}\n\n", chunk(json!({}), json!("stop"))));
            events.push_str("data: [DONE]\n\n");
            event_stream(events)
        }
        Behaviour::Garbage => {
            let events = format!("data: {}\n\ndata: {{\"choices\": [oops\n\ndata: [DONE]\n\n", chunk(json!({"role": "assistant", "content": "Bins"}), Value::Null));
            event_stream(events)
        }
    }
}

fn chunk(delta: Value, finish: Value) -> Value {
    json!({"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 1_796_000_000, "model": "test-model",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
}

fn completion(message: Value, finish: &str) -> Response {
    axum::Json(
        json!({"id": "chatcmpl-test", "object": "chat.completion", "created": 1_796_000_000, "model": "test-model",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}),
    )
    .into_response()
}

fn event_stream(events: String) -> Response {
    Response::builder().header("content-type", "text/event-stream").body(Body::from(events)).expect("response")
}
