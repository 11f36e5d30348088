//! Microsoft Teams through the Bot Framework, checked against the platform's own libraries:
//! npm `botframework-connector` decides every token case as councilbot must, and
//! `@microsoft/agents-activity` checks every activity councilbot sends. A local server plays
//! the Bot Framework's OpenID metadata, Entra ID's token endpoint and the connector.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use storage::sqlx::{self, Row};

use crate::support::{BACKDATED_MOVE, Chat, LocalService, PracticePortal, Server, council_with, node};

pub(crate) const APP_ID: &str = "5f0c1b6e-8f3a-4d2b-9c71-2b7e4c1d9a30";
pub(crate) const APP_PASSWORD: &str = "bot-client-secret-for-tests";
pub(crate) const TENANT: &str = "0d9b6f64-2a4c-4c55-8a51-7e0e3a2f6b11";
const OTHER_TENANT: &str = "9a1e7c3b-5d2f-4e8a-b6c4-3f2d1e0a9b87";
const SUPERVISOR: &str = "c3a7e1d9-4b2f-4a6e-9d1c-8e7f6a5b4c3d";
const COLLEAGUE: &str = "e1d2c3b4-a5f6-4789-90ab-cdef01234567";
const BOT_FRAMEWORK_ISSUER: &str = "https://api.botframework.com";

/// What the local Microsoft services recorded: each request to the connector, and tokens issued.
#[derive(Default)]
struct Recorded {
    requests: Vec<ConnectorRequest>,
    tokens_issued: usize,
    bot_framework_keys: Vec<Value>,
    bot_framework_key_fetches: usize,
    busy_refusals: usize,
}

#[derive(Debug, Clone)]
struct ConnectorRequest {
    path: String,
    authorization: String,
    body: Value,
}

type Shared = Arc<Mutex<Recorded>>;

fn test_key(kid: &str, endorsements: &[&str]) -> Value {
    let jwks: Value =
        serde_json::from_str(include_str!("fixtures/oidc-test-jwks.json")).expect("the test key set is JSON");
    let mut key = jwks["keys"][0].clone();
    key["kid"] = json!(kid);
    key["endorsements"] = json!(endorsements);
    key
}

async fn metadata(State((_, base)): State<(Shared, String)>) -> axum::Json<Value> {
    axum::Json(json!({
        "issuer": BOT_FRAMEWORK_ISSUER,
        "authorization_endpoint": "https://invalid.botframework.com",
        "jwks_uri": format!("{base}/v1/keys"),
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
    }))
}

async fn bot_framework_keys(State((recorded, _)): State<(Shared, String)>) -> axum::Json<Value> {
    let mut recorded = recorded.lock().unwrap();
    recorded.bot_framework_key_fetches += 1;
    axum::Json(json!({"keys": recorded.bot_framework_keys.clone()}))
}

async fn entra_keys(UrlPath(tenant): UrlPath<String>) -> axum::response::Response {
    if tenant != TENANT {
        return StatusCode::NOT_FOUND.into_response();
    }
    let mut key = test_key("entra-key-1", &[]);
    key.as_object_mut().unwrap().remove("endorsements");
    axum::Json(json!({"keys": [key]})).into_response()
}

async fn issue_token(
    State((recorded, _)): State<(Shared, String)>,
    UrlPath(authority): UrlPath<String>,
    body: axum::body::Bytes,
) -> axum::response::Response {
    let form: std::collections::HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let right = authority == TENANT
        && form.get("grant_type").map(String::as_str) == Some("client_credentials")
        && form.get("client_id").map(String::as_str) == Some(APP_ID)
        && form.get("client_secret").map(String::as_str) == Some(APP_PASSWORD)
        && form.get("scope").map(String::as_str) == Some("https://api.botframework.com/.default");
    if !right {
        return (StatusCode::UNAUTHORIZED, axum::Json(json!({"error": "invalid_client"}))).into_response();
    }
    let mut recorded = recorded.lock().unwrap();
    recorded.tokens_issued += 1;
    let token = format!("connector-token-{}", recorded.tokens_issued);
    axum::Json(json!({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token}))
        .into_response()
}

async fn connector(
    State((recorded, _)): State<(Shared, String)>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> axum::response::Response {
    let authorization = headers.get("authorization").and_then(|value| value.to_str().ok()).unwrap_or_default();
    let mut recorded = recorded.lock().unwrap();
    // The path as sent, with the conversation id still percent-encoded.
    let path = uri.path().to_string();
    recorded.requests.push(ConnectorRequest { path: path.clone(), authorization: authorization.to_string(), body });
    if !authorization.starts_with("Bearer connector-token-") {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    // The first message to the busy conversation is turned away, as Teams does when a bot
    // sends too fast.
    if path.contains("a%3Abusy-chat") && recorded.busy_refusals == 0 {
        recorded.busy_refusals += 1;
        return (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "1")]).into_response();
    }
    if path == "/connector/v3/conversations" {
        return axum::Json(json!({"id": "a:supervisor-chat", "activityId": "", "serviceUrl": ""})).into_response();
    }
    axum::Json(json!({"id": format!("activity-{}", recorded.requests.len())})).into_response()
}

/// The Bot Framework, Entra ID and the connector, played locally.
pub(crate) struct Microsoft {
    service: LocalService,
    recorded: Shared,
}

impl Microsoft {
    pub(crate) fn start() -> Microsoft {
        let recorded: Shared = Arc::default();
        recorded.lock().unwrap().bot_framework_keys =
            vec![test_key("bf-key-1", &["msteams", "webchat"]), test_key("bf-key-skype", &["skype"])];
        let state = recorded.clone();
        let service = LocalService::start_with(move |base| {
            axum::Router::new()
                .route("/v1/.well-known/openidconfiguration", get(metadata))
                .route("/v1/keys", get(bot_framework_keys))
                .route("/{tenant}/discovery/v2.0/keys", get(entra_keys))
                .route("/{authority}/oauth2/v2.0/token", post(issue_token))
                .route("/connector/{*rest}", post(connector))
                .with_state((state, base.to_string()))
        });
        Microsoft { service, recorded }
    }

    pub(crate) fn url(&self) -> &str {
        &self.service.url
    }

    pub(crate) fn service_url(&self) -> String {
        format!("{}/connector/", self.service.url)
    }

    fn requests(&self) -> Vec<ConnectorRequest> {
        self.recorded.lock().unwrap().requests.clone()
    }

    fn bot_framework_key_fetches(&self) -> usize {
        self.recorded.lock().unwrap().bot_framework_key_fetches
    }

    fn publish_key(&self, kid: &str) {
        self.recorded.lock().unwrap().bot_framework_keys.push(test_key(kid, &["msteams"]));
    }
}

/// A token signed with the test key.
pub(crate) fn token(kid: &str, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_string());
    let key = EncodingKey::from_rsa_pem(include_bytes!("fixtures/oidc-test-key.pem")).expect("the test key");
    jsonwebtoken::encode(&header, claims, &key).expect("a token")
}

fn now() -> i64 {
    storage::now_millis() / 1000
}

/// The claims of a Bot Framework token for `service_url`.
pub(crate) fn channel_claims(service_url: &str) -> Value {
    json!({
        "iss": BOT_FRAMEWORK_ISSUER,
        "aud": APP_ID,
        "serviceurl": service_url,
        "nbf": now() - 60,
        "exp": now() + 3600,
    })
}

/// A person in Teams writing to the bot.
#[derive(Clone)]
pub(crate) struct Person {
    aad: &'static str,
    id: &'static str,
    name: &'static str,
    tenant: &'static str,
    conversation: &'static str,
}

pub(crate) const RESIDENT: Person = Person {
    aad: "",
    id: "29:resident",
    name: "Robin Resident",
    tenant: OTHER_TENANT,
    conversation: "a:resident-chat",
};
const STAFF: Person = Person {
    aad: COLLEAGUE,
    id: "29:colleague",
    name: "Casey Colleague",
    tenant: TENANT,
    conversation: "a:colleague-chat",
};
const SAM: Person =
    Person { aad: SUPERVISOR, id: "29:supervisor", name: "Sam Supervisor", tenant: TENANT, conversation: "a:sam-chat" };

pub(crate) fn activity(person: &Person, service_url: &str, kind: &str, id: &str) -> Value {
    json!({
        "type": kind,
        "id": id,
        "timestamp": "2026-12-01T10:00:00.000Z",
        "localTimestamp": "2026-12-01T10:00:00.000+00:00",
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": {"id": person.id, "name": person.name, "aadObjectId": if person.aad.is_empty() { Value::Null } else { json!(person.aad) }},
        "recipient": {"id": format!("28:{APP_ID}"), "name": "Eastbrook Assistant"},
        "conversation": {"id": person.conversation, "conversationType": "personal", "tenantId": person.tenant},
        "channelData": {"tenant": {"id": person.tenant}},
        "locale": "en-GB",
    })
}

/// councilbot with Teams on, and the local Microsoft services.
struct Teams {
    server: Server,
    microsoft: Microsoft,
    runtime: tokio::runtime::Runtime,
    http: reqwest::Client,
    next_id: std::cell::Cell<u32>,
}

fn teams_config(microsoft: &Microsoft) -> String {
    format!(
        "[web]\npublic_url = \"https://chat.eastbrook.example\"\n[teams]\nopenid_metadata_url = \"{0}/v1/.well-known/openidconfiguration\"\n\
         login_url = \"{0}\"\nsupervisors = [\"{SUPERVISOR}\"]\nallowed_service_urls = [\"{1}\"]\n",
        microsoft.url(),
        microsoft.service_url()
    )
}

pub(crate) const TEAMS_ENV: [(&str, &str); 3] =
    [("MICROSOFT_APP_ID", APP_ID), ("MICROSOFT_APP_PASSWORD", APP_PASSWORD), ("MICROSOFT_APP_TENANT_ID", TENANT)];

impl Teams {
    fn start() -> Teams {
        Teams::start_with(Server::start)
    }

    fn start_with(start: impl FnOnce(&str, &[(&str, &str)]) -> Server) -> Teams {
        let microsoft = Microsoft::start();
        let server = start(&teams_config(&microsoft), &TEAMS_ENV);
        http_client::install_crypto_provider();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
        Teams { server, microsoft, runtime, http, next_id: std::cell::Cell::new(0) }
    }

    fn post(&self, authorization: Option<&str>, activity: &Value) -> (u16, Value) {
        self.runtime.block_on(async {
            let mut request = self.http.post(format!("{}/api/messages", self.server.url)).json(activity);
            if let Some(authorization) = authorization {
                request = request.header("authorization", authorization);
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let body = response.json().await.unwrap_or(Value::Null);
            (status, body)
        })
    }

    fn new_id(&self) -> String {
        self.next_id.set(self.next_id.get() + 1);
        format!("1733000000{:03}", self.next_id.get())
    }

    /// An activity from a person, with a valid token; returns its id.
    fn send(&self, mut activity: Value) -> String {
        let id = self.new_id();
        activity["id"] = json!(id);
        let bearer = format!("Bearer {}", token("bf-key-1", &channel_claims(&self.microsoft.service_url())));
        let (status, _) = self.post(Some(&bearer), &activity);
        assert_eq!(status, 200, "{activity}");
        id
    }

    /// A message from a person; returns its id.
    fn say(&self, person: &Person, text: &str) -> String {
        let mut message = activity(person, &self.microsoft.service_url(), "message", "");
        message["text"] = json!(text);
        message["textFormat"] = json!("plain");
        self.send(message)
    }

    /// A card's `Action.Execute`, answered with the card that replaces it.
    fn execute(&self, person: &Person, verb: &str, data: &Value) -> Value {
        let mut invoke = activity(person, &self.microsoft.service_url(), "invoke", &self.new_id());
        invoke["name"] = json!("adaptiveCard/action");
        invoke["value"] =
            json!({"action": {"type": "Action.Execute", "verb": verb, "data": data}, "trigger": "manual"});
        let bearer = format!("Bearer {}", token("bf-key-1", &channel_claims(&self.microsoft.service_url())));
        let (status, body) = self.post(Some(&bearer), &invoke);
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["statusCode"], 200, "{body}");
        assert_eq!(body["type"], "application/vnd.microsoft.card.adaptive", "{body}");
        body["value"].clone()
    }

    /// The messages sent into a Teams conversation so far.
    fn sent_to(&self, conversation: &str) -> Vec<ConnectorRequest> {
        let encoded = conversation.replace(':', "%3A");
        self.microsoft
            .requests()
            .into_iter()
            .filter(|request| request.path.starts_with(&format!("/connector/v3/conversations/{encoded}/activities")))
            .collect()
    }

    /// Waits for a message into a conversation that `wanted` picks.
    fn wait_for(&self, conversation: &str, what: &str, wanted: impl Fn(&Value) -> bool) -> ConnectorRequest {
        self.server.eventually(what, || {
            self.sent_to(conversation)
                .into_iter()
                .find(|request| request.body["type"] == "message" && wanted(&request.body))
        })
    }

    fn audit(&self) -> Vec<(String, String)> {
        self.runtime.block_on(async {
            let database = storage::Database::connect(&self.server.database_url()).await.unwrap();
            let rows = sqlx::query("SELECT actor, action FROM audit_log ORDER BY id")
                .fetch_all(database.pool())
                .await
                .unwrap();
            rows.iter().map(|row| (row.get::<String, _>(0), row.get::<String, _>(1))).collect()
        })
    }

    fn count(&self, sql: &str) -> i64 {
        self.runtime.block_on(async {
            let database = storage::Database::connect(&self.server.database_url()).await.unwrap();
            sqlx::query(sql).fetch_one(database.pool()).await.unwrap().get::<i64, _>(0)
        })
    }

    /// Checks every activity councilbot has sent with the `@microsoft/agents-activity` schema.
    fn check_schema(&self) {
        let activities: Vec<Value> = self
            .microsoft
            .requests()
            .into_iter()
            .filter(|request| request.path.contains("/activities"))
            .map(|request| request.body)
            .collect();
        assert!(!activities.is_empty());
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), serde_json::to_vec(&activities).unwrap()).unwrap();
        let output = node("activity_schema.js").arg(file.path()).output().expect("node runs");
        let verdict: Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|_| panic!("the schema check failed to run: {}", String::from_utf8_lossy(&output.stderr)));
        assert_eq!(verdict["failures"], json!([]), "{verdict}");
        assert_eq!(verdict["checked"], activities.len());
    }
}

fn card_of(body: &Value) -> &Value {
    assert_eq!(body["attachments"][0]["contentType"], "application/vnd.microsoft.card.adaptive", "{body}");
    &body["attachments"][0]["content"]
}

/// The data of the card's `Action.Execute` with this title.
fn action_data(card: &Value, title: &str) -> Value {
    card["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|action| action["title"] == title && action["type"] == "Action.Execute")
        .unwrap_or_else(|| panic!("no {title} in {card}"))["data"]
        .clone()
}

#[test]
fn councilbot_and_the_bot_framework_sdk_agree_on_every_token() {
    let teams = Teams::start();
    let service_url = teams.microsoft.service_url();
    // Requests carrying any token but a valid one name this connector: it must never hear from councilbot.
    let elsewhere_requests = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = elsewhere_requests.clone();
    let elsewhere = LocalService::start(axum::Router::new().fallback(move || {
        counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        async { StatusCode::OK }
    }));
    let bogus_url = format!("{}/connector/", elsewhere.url);
    let with = |changes: Value, url: &str| {
        let mut claims = channel_claims(url);
        for (name, value) in changes.as_object().unwrap() {
            claims[name] = value.clone();
        }
        claims
    };
    let valid = token("bf-key-1", &channel_claims(&service_url));
    let mut bad_signature = token("bf-key-1", &channel_claims(&bogus_url));
    bad_signature.truncate(bad_signature.len() - 6);
    bad_signature.push_str("AAAAAA");
    let cases: Vec<(&str, Option<String>, String, bool)> = vec![
        (
            "wrong audience",
            Some(token("bf-key-1", &with(json!({"aud": "another-bot"}), &bogus_url))),
            bogus_url.clone(),
            false,
        ),
        (
            "wrong issuer",
            Some(token("bf-key-1", &with(json!({"iss": "https://sts.example.com"}), &bogus_url))),
            bogus_url.clone(),
            false,
        ),
        (
            "expired beyond the skew",
            Some(token("bf-key-1", &with(json!({"nbf": now() - 3600, "exp": now() - 600}), &bogus_url))),
            bogus_url.clone(),
            false,
        ),
        (
            "not yet valid",
            Some(token("bf-key-1", &with(json!({"nbf": now() + 900}), &bogus_url))),
            bogus_url.clone(),
            false,
        ),
        ("another service URL", Some(token("bf-key-1", &channel_claims(&service_url))), bogus_url.clone(), false),
        (
            "a key not endorsed for Teams",
            Some(token("bf-key-skype", &channel_claims(&bogus_url))),
            bogus_url.clone(),
            false,
        ),
        ("an unknown key id", Some(token("never-published", &channel_claims(&bogus_url))), bogus_url.clone(), false),
        ("a bad signature", Some(bad_signature), bogus_url.clone(), false),
        ("no Authorization header", None, bogus_url.clone(), false),
        ("valid", Some(valid), service_url.clone(), true),
        (
            "expired within the skew",
            Some(token("bf-key-1", &with(json!({"nbf": now() - 3600, "exp": now() - 120}), &service_url))),
            service_url.clone(),
            true,
        ),
    ];

    let mut ours = Vec::new();
    for (index, (name, token, url, _)) in cases.iter().enumerate() {
        let mut message = activity(&RESIDENT, url, "message", &format!("case-{index}"));
        message["text"] = json!(format!("hello, case {index}"));
        let bearer = token.as_ref().map(|token| format!("Bearer {token}"));
        let (status, body) = teams.post(bearer.as_deref(), &message);
        assert!(matches!(status, 200 | 401 | 403), "{name}: {status} {body}");
        ours.push(status == 200);
        if index == 8 {
            // Everything refused so far left no trace: nothing sent anywhere, nothing stored.
            std::thread::sleep(Duration::from_secs(1));
            assert!(teams.microsoft.requests().is_empty(), "{:?}", teams.microsoft.requests());
            assert_eq!(teams.count("SELECT COUNT(*) FROM teams_conversations"), 0);
            assert_eq!(teams.count("SELECT COUNT(*) FROM conversations"), 0);
        }
    }

    let input = json!({
        "appId": APP_ID,
        "metadataUrl": format!("{}/v1/.well-known/openidconfiguration", teams.microsoft.url()),
        "cases": cases.iter().map(|(name, token, url, _)| json!({
            "name": name,
            "authHeader": token.as_ref().map(|token| format!("Bearer {token}")).unwrap_or_default(),
            "activity": {"type": "message", "channelId": "msteams", "serviceUrl": url},
        })).collect::<Vec<_>>(),
    });
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), serde_json::to_vec(&input).unwrap()).unwrap();
    let output = node("botframework_validate.js").arg(file.path()).output().expect("node runs");
    let verdicts: Vec<Value> = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("the SDK's validator did not run: {}", String::from_utf8_lossy(&output.stderr)));
    for ((name, _, _, expected), (accepted, verdict)) in cases.iter().zip(ours.iter().zip(&verdicts)) {
        assert_eq!(verdict["accepted"], *expected, "the SDK on {name}: {verdict}");
        assert_eq!(*accepted, *expected, "councilbot on {name}");
    }
    teams.wait_for(RESIDENT.conversation, "the answer to the valid request", |_| true);
    assert_eq!(
        elsewhere_requests.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "the bot's token never goes to a service URL that came with a refused request"
    );
}

#[test]
fn replies_go_through_the_connector_with_one_cached_token_and_pass_the_activity_schema() {
    let teams = Teams::start();
    let asked = teams.say(&RESIDENT, "How can I pay my council tax?");
    let reply = teams.wait_for(RESIDENT.conversation, "an answer", |body| body["text"].is_string());
    assert_eq!(
        reply.path,
        format!("/connector/v3/conversations/a%3Aresident-chat/activities/{asked}"),
        "a reply to the message"
    );
    assert_eq!(reply.authorization, "Bearer connector-token-1", "the token the token endpoint issued");
    assert_eq!(reply.body["replyToId"], asked);
    assert_eq!(reply.body["recipient"]["id"], RESIDENT.id);
    assert_eq!(reply.body["from"]["id"], format!("28:{APP_ID}"));
    let text = reply.body["text"].as_str().unwrap();
    assert!(text.contains("](https://chat.eastbrook.example/"), "the pages it comes from, as links here: {text}");
    assert!(
        teams.sent_to(RESIDENT.conversation).iter().any(|request| request.body["type"] == "typing"),
        "typing is shown while the answer is worked out"
    );

    // Residents do not see staff guidance; staff do.
    teams.say(&RESIDENT, "When does a repair job get the VUL flag?");
    teams.say(&STAFF, "When does a repair job get the VUL flag?");
    let staff_answer = teams.wait_for(STAFF.conversation, "a staff answer", |body| body["text"].is_string());
    assert!(staff_answer.body["text"].as_str().unwrap().contains("intranet.eastbrook.gov.uk"), "{}", staff_answer.body);
    std::thread::sleep(Duration::from_secs(1));
    for request in teams.sent_to(RESIDENT.conversation) {
        assert!(!request.body.to_string().contains("intranet.eastbrook.gov.uk"), "{}", request.body);
    }
    assert_eq!(teams.microsoft.recorded.lock().unwrap().tokens_issued, 1, "the token is kept until it expires");

    // A busy connector is tried again after it says.
    let busy = Person { conversation: "a:busy-chat", ..RESIDENT };
    teams.say(&busy, "How can I pay my council tax?");
    teams.wait_for("a:busy-chat", "an answer after Teams said to slow down", |body| body["text"].is_string());
    assert_eq!(teams.microsoft.recorded.lock().unwrap().busy_refusals, 1);

    // Joining, edits, deletions and activities councilbot does not use are taken without error.
    let mut joined = activity(&STAFF, &teams.microsoft.service_url(), "conversationUpdate", "");
    joined["membersAdded"] = json!([{"id": format!("28:{APP_ID}")}]);
    teams.send(joined);
    teams.wait_for(STAFF.conversation, "a greeting", |body| {
        body["text"].as_str().is_some_and(|text| text.starts_with("Hello"))
    });
    for kind in ["messageUpdate", "messageDelete", "messageReaction", "installationUpdate", "somethingNew"] {
        let mut other = activity(&STAFF, &teams.microsoft.service_url(), kind, "");
        other["text"] = json!("edited words");
        teams.send(other);
    }
    let (status, body) = teams.post(None, &json!("not an activity"));
    assert_eq!(status, 400, "{body}");
    teams.check_schema();
}

#[test]
fn an_unclear_question_in_teams_gets_a_card_whose_buttons_pick_the_answer() {
    let teams = Teams::start();
    teams.say(&RESIDENT, crate::clarifying::UNCLEAR);
    let asked = teams.wait_for(RESIDENT.conversation, "the question asked back", |body| body["attachments"].is_array());
    let card = card_of(&asked.body);
    assert!(card["body"][0]["text"].as_str().is_some_and(|text| text.starts_with("Is this about ")), "{card}");
    let buttons: Vec<&str> =
        card["actions"].as_array().expect("buttons").iter().map(|action| action["title"].as_str().unwrap()).collect();
    assert!(buttons.contains(&"Ways to pay your council tax") && buttons.contains(&"Pay your rent"), "{buttons:?}");
    assert_eq!(buttons.last(), Some(&"Something else"));

    let chosen = teams.execute(&RESIDENT, "choose", &action_data(card, "Ways to pay your council tax"));
    assert!(chosen.to_string().contains("You chose"), "the card is replaced: {chosen}");
    let answer = teams.wait_for(RESIDENT.conversation, "the answer from the chosen page", |body| {
        body["text"].as_str().is_some_and(|text| text.contains(crate::clarifying::COUNCIL_TAX_PATH))
    });
    assert!(answer.body["text"].as_str().unwrap().contains("[Ways to pay your council tax]("), "{}", answer.body);
    teams.check_schema();
}

#[test]
fn tokens_of_the_councils_entra_tenant_and_new_keys_are_accepted() {
    let teams = Teams::start();
    let service_url = teams.microsoft.service_url();
    let entra = |issuer: &str, tid: &str| json!({"iss": issuer, "aud": APP_ID, "azp": APP_ID, "appid": APP_ID, "tid": tid, "serviceurl": service_url, "nbf": now() - 60, "exp": now() + 3600});
    let message = |index: usize| {
        let mut message = activity(&STAFF, &service_url, "message", &format!("entra-{index}"));
        message["text"] = json!("hello");
        message
    };
    let cases = [
        (token("entra-key-1", &entra(&format!("https://login.microsoftonline.com/{TENANT}/v2.0"), TENANT)), 200),
        (token("entra-key-1", &entra(&format!("https://sts.windows.net/{TENANT}/"), TENANT)), 200),
        (token("entra-key-1", &entra(&format!("https://login.microsoftonline.com/{TENANT}/v2.0"), OTHER_TENANT)), 401),
        (
            token(
                "entra-key-1",
                &entra(&format!("https://login.microsoftonline.com/{OTHER_TENANT}/v2.0"), OTHER_TENANT),
            ),
            401,
        ),
    ];
    for (index, (token, expected)) in cases.iter().enumerate() {
        let (status, body) = teams.post(Some(&format!("Bearer {token}")), &message(index));
        assert_eq!(status, *expected, "case {index}: {body}");
    }
    // A key published after the keys were fetched is found by fetching them again.
    let (status, _) =
        teams.post(Some(&format!("Bearer {}", token("bf-key-1", &channel_claims(&service_url)))), &message(10));
    assert_eq!(status, 200);
    teams.microsoft.publish_key("bf-key-2");
    let (status, body) =
        teams.post(Some(&format!("Bearer {}", token("bf-key-2", &channel_claims(&service_url)))), &message(11));
    assert_eq!(status, 200, "{body}");
}

#[test]
fn tokens_naming_unknown_signing_keys_cannot_force_unlimited_key_fetches() {
    let teams = Teams::start();
    let service_url = teams.microsoft.service_url();
    let message = |index: usize| {
        let mut message = activity(&RESIDENT, &service_url, "message", &format!("made-up-{index}"));
        message["text"] = json!("hello");
        message
    };
    for index in 0..20 {
        let made_up = token(&format!("made-up-key-{index}"), &channel_claims(&service_url));
        let (status, body) = teams.post(Some(&format!("Bearer {made_up}")), &message(index));
        assert_eq!(status, 401, "{body}");
    }
    // The keys were fetched once, then once more for a key they lacked, and no more.
    assert_eq!(teams.microsoft.bot_framework_key_fetches(), 2);
    let genuine = token("bf-key-1", &channel_claims(&service_url));
    let (status, body) = teams.post(Some(&format!("Bearer {genuine}")), &message(20));
    assert_eq!(status, 200, "the keys held still check genuine tokens: {body}");
    assert_eq!(teams.microsoft.bot_framework_key_fetches(), 2);
}

#[test]
fn supervisors_are_alerted_in_teams_and_claim_from_the_card() {
    let teams = Teams::start();
    teams.say(&SAM, "hello");
    teams.wait_for(SAM.conversation, "a greeting for the supervisor", |_| true);

    teams.say(&RESIDENT, "I can smell gas in my kitchen");
    let alert = teams.server.eventually("an alert to the supervisor", || {
        // The escalation's card (the supervisor may also be told that a workflow is in trouble).
        teams
            .sent_to("a:supervisor-chat")
            .into_iter()
            .find(|request| request.body["type"] == "message" && request.body.to_string().contains("Claim"))
    });
    let created =
        teams.microsoft.requests().into_iter().find(|request| request.path == "/connector/v3/conversations").unwrap();
    assert_eq!(created.body["members"][0]["id"], SAM.id);
    assert_eq!(created.body["channelData"]["tenant"]["id"], TENANT);
    assert_eq!(alert.body["channelData"]["notification"]["alert"], true, "a notification, not just a message");
    let card = card_of(&alert.body);
    assert!(card.to_string().contains("Urgent"), "{card}");
    let open = card["actions"].as_array().unwrap().iter().find(|action| action["type"] == "Action.OpenUrl").unwrap();
    assert!(open["url"].as_str().unwrap().starts_with("https://chat.eastbrook.example/console/escalations/"));

    let claim = action_data(card, "Claim");
    let refused = teams.execute(&STAFF, "claim", &claim);
    assert!(refused.to_string().contains("Only supervisors"), "{refused}");
    let claimed = teams.execute(&SAM, "claim", &claim);
    assert!(claimed.to_string().contains("Claimed by Sam Supervisor"), "{claimed}");
    assert!(
        teams.audit().contains(&("Sam Supervisor (Teams)".to_string(), "claim".to_string())),
        "{:?}",
        teams.audit()
    );
    teams.wait_for(RESIDENT.conversation, "the resident told someone has joined", |body| {
        body["text"].as_str().is_some_and(|text| text.contains("Sam Supervisor"))
    });
    teams.check_schema();
}

#[test]
fn staff_check_a_repair_and_approve_a_task_from_teams_on_the_councils_system() {
    let portal = PracticePortal::start();
    let teams = Teams::start_with(|config, env| council_with(&portal, config, env));
    teams.say(&SAM, "hello");
    teams.say(&STAFF, "what is the status of repair HR-100103?");
    let confirm = teams.wait_for(STAFF.conversation, "the details to confirm", |body| body["attachments"].is_array());
    let card = card_of(&confirm.body);
    assert!(card.to_string().contains("HR-100103"), "{card}");
    let answered = teams.execute(&STAFF, "choose", &action_data(card, "Yes, send it"));
    assert!(answered.to_string().contains("You chose"), "the card is replaced: {answered}");
    let status = teams.wait_for(STAFF.conversation, "the repair's status", |body| {
        body["text"].as_str().is_some_and(|text| text.contains("Awaiting parts"))
    });
    assert!(status.body["text"].as_str().unwrap().contains("HR-100103"), "{}", status.body);

    // A resident's backdated move waits for approval, which a supervisor gives from the alert.
    let chat = Chat::start(&teams.server);
    for text in BACKDATED_MOVE {
        chat.say(text);
    }
    let alert = teams.server.eventually("an alert with the task", || {
        teams.sent_to("a:supervisor-chat").into_iter().find(|request| request.body.to_string().contains("Approve"))
    });
    let approved = teams.execute(&SAM, "approve", &action_data(card_of(&alert.body), "Approve"));
    assert!(approved.to_string().contains("Approved by Sam Supervisor"), "{approved}");
    assert!(
        teams.audit().contains(&("Sam Supervisor (Teams)".to_string(), "approve_task".to_string())),
        "{:?}",
        teams.audit()
    );
    let done = chat.wait_for("the change recorded", |message| {
        message["kind"] == "workflow_status" && message["status"] == "succeeded"
    });
    assert!(done["text"].as_str().unwrap().contains("CT-"), "{done}");
    teams.check_schema();
}

/// The claims of an Entra ID token of the council's tenant (v2), issued to `app`.
fn tenant_claims(service_url: &str, app: &str) -> Value {
    json!({
        "iss": format!("https://login.microsoftonline.com/{TENANT}/v2.0"),
        "aud": APP_ID,
        "azp": app,
        "tid": TENANT,
        "serviceurl": service_url,
        "nbf": now() - 60,
        "exp": now() + 3600,
    })
}

#[test]
fn teams_single_tenant_tokens_of_another_app_or_without_a_service_url_are_refused() {
    let teams = Teams::start();
    let service_url = teams.microsoft.service_url();
    let message = |index: usize| {
        let mut message = activity(&STAFF, &service_url, "message", &format!("tenant-{index}"));
        message["text"] = json!("hello");
        message
    };
    let another_app = "7d1e2f3a-0000-4000-8000-000000000abc";
    let mut v1_another_app = tenant_claims(&service_url, another_app);
    v1_another_app["iss"] = json!(format!("https://sts.windows.net/{TENANT}/"));
    v1_another_app.as_object_mut().unwrap().remove("azp");
    v1_another_app["appid"] = json!(another_app);
    let mut no_service_url = tenant_claims(&service_url, APP_ID);
    no_service_url.as_object_mut().unwrap().remove("serviceurl");
    let mut no_app = tenant_claims(&service_url, APP_ID);
    no_app.as_object_mut().unwrap().remove("azp");
    let mut channel_without_service_url = channel_claims(&service_url);
    channel_without_service_url.as_object_mut().unwrap().remove("serviceurl");
    let cases = [
        ("another app (v2)", tenant_claims(&service_url, another_app), 401),
        ("another app (v1)", v1_another_app, 401),
        ("no app named", no_app, 401),
        ("no serviceurl claim", no_service_url, 401),
        ("a channel token without serviceurl", channel_without_service_url, 401),
        ("the bot's own app", tenant_claims(&service_url, APP_ID), 200),
    ];
    for (index, (name, claims, expected)) in cases.iter().enumerate() {
        let kid = if claims["iss"] == BOT_FRAMEWORK_ISSUER { "bf-key-1" } else { "entra-key-1" };
        let (status, body) = teams.post(Some(&format!("Bearer {}", token(kid, claims))), &message(index));
        assert_eq!(status, *expected, "{name}: {body}");
    }
    // A token of the tenant cannot speak for an activity of another tenant.
    let mut elsewhere = message(10);
    elsewhere["channelData"]["tenant"]["id"] = json!(OTHER_TENANT);
    elsewhere["conversation"]["tenantId"] = json!(OTHER_TENANT);
    let (status, body) =
        teams.post(Some(&format!("Bearer {}", token("entra-key-1", &tenant_claims(&service_url, APP_ID)))), &elsewhere);
    assert_eq!(status, 401, "{body}");
}

#[test]
fn teams_bot_token_goes_only_to_service_urls_on_the_allow_list() {
    let teams = Teams::start();
    let heard = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = heard.clone();
    let elsewhere = LocalService::start(axum::Router::new().fallback(move || {
        counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        async { StatusCode::OK }
    }));
    let off_list = format!("{}/connector/", elsewhere.url);
    // Even a token that names the address cannot make the bot send there.
    let mut message = activity(&RESIDENT, &off_list, "message", "off-list");
    message["text"] = json!("How can I pay my council tax?");
    let (status, body) =
        teams.post(Some(&format!("Bearer {}", token("bf-key-1", &channel_claims(&off_list)))), &message);
    assert_eq!(status, 403, "{body}");
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(heard.load(std::sync::atomic::Ordering::SeqCst), 0, "nothing was sent to the address");
    assert_eq!(teams.count("SELECT COUNT(*) FROM teams_conversations"), 0, "nothing was kept");
    assert_eq!(teams.count("SELECT COUNT(*) FROM conversations"), 0);
}

#[test]
fn teams_later_activities_cannot_move_stored_references_or_act_without_proof() {
    let teams = Teams::start();
    let service_url = teams.microsoft.service_url();
    teams.say(&SAM, "hello");
    teams.wait_for(SAM.conversation, "a greeting for the supervisor", |_| true);
    teams.say(&RESIDENT, "hello");
    teams.wait_for(RESIDENT.conversation, "an answer for the resident", |_| true);
    let stored = |sql: &str| {
        teams.runtime.block_on(async {
            let database = storage::Database::connect(&teams.server.database_url()).await.unwrap();
            sqlx::query(sql).fetch_one(database.pool()).await.unwrap().get::<String, _>(0)
        })
    };
    let sam_before = stored(&format!("SELECT user_id FROM teams_users WHERE aad_object_id = '{SUPERVISOR}'"));
    let resident_before =
        stored(&format!("SELECT user_id FROM teams_conversations WHERE conversation_id = '{}'", RESIDENT.conversation));

    // Someone else's activity naming the supervisor's object id and the resident's conversation.
    let impostor = Person { id: "29:impostor", name: "Impostor", ..SAM };
    teams.say(&impostor, "hello");
    let into_resident = Person { id: "29:impostor", name: "Impostor", ..RESIDENT };
    teams.say(&into_resident, "hello");
    assert_eq!(stored(&format!("SELECT user_id FROM teams_users WHERE aad_object_id = '{SUPERVISOR}'")), sam_before);
    assert_eq!(
        stored(&format!("SELECT user_id FROM teams_conversations WHERE conversation_id = '{}'", RESIDENT.conversation)),
        resident_before
    );

    // An app's token of the tenant proves no person: a card action under it is refused.
    teams.say(&RESIDENT, "I can smell gas in my kitchen");
    let alert = teams.server.eventually("an alert to the supervisor", || {
        // The escalation's card (the supervisor may also be told that a workflow is in trouble).
        teams
            .sent_to("a:supervisor-chat")
            .into_iter()
            .find(|request| request.body["type"] == "message" && request.body.to_string().contains("Claim"))
    });
    assert_eq!(alert.body["recipient"]["id"], SAM.id, "the alert reaches the supervisor as first known");
    let claim = action_data(card_of(&alert.body), "Claim");
    let invoke = |claims: &Value| {
        let mut invoke = activity(&SAM, &service_url, "invoke", &teams.new_id());
        invoke["name"] = json!("adaptiveCard/action");
        invoke["value"] = json!({"action": {"type": "Action.Execute", "verb": "claim", "data": claim}});
        let (status, body) = teams.post(Some(&format!("Bearer {}", token("entra-key-1", claims))), &invoke);
        assert_eq!(status, 200, "{body}");
        body["value"].clone()
    };
    let app_only = invoke(&tenant_claims(&service_url, APP_ID));
    assert!(app_only.to_string().contains("Only supervisors"), "{app_only}");
    assert!(!teams.audit().iter().any(|(_, action)| action == "claim"), "{:?}", teams.audit());
    let mut someone_else = tenant_claims(&service_url, APP_ID);
    someone_else["scp"] = json!("access_as_user");
    someone_else["oid"] = json!(COLLEAGUE);
    let other_user = invoke(&someone_else);
    assert!(other_user.to_string().contains("Only supervisors"), "{other_user}");
    let mut the_supervisor = someone_else.clone();
    the_supervisor["oid"] = json!(SUPERVISOR);
    let claimed = invoke(&the_supervisor);
    assert!(claimed.to_string().contains("Claimed by Sam Supervisor"), "{claimed}");
}

#[test]
fn text_from_before_authentication_reaches_the_log_escaped() {
    let teams = Teams::start();
    let service_url = teams.microsoft.service_url();
    let forged_line = "2026-12-03T10:00:00.000000Z  INFO councilbot: supervisor signed in";
    let mut claims = channel_claims(&service_url);
    claims["iss"] = json!(format!("https://evil.example/\n{forged_line}\u{1b}[2J"));
    let mut message = activity(&RESIDENT, &service_url, "message", "forged");
    message["text"] = json!("hello");
    let (status, _) = teams.post(Some(&format!("Bearer {}", token("bf-key-1", &claims))), &message);
    assert_eq!(status, 401);
    let log = teams.server.eventually("the refusal logged", || {
        let log = teams.server.log();
        log.contains("is not trusted").then_some(log)
    });
    assert!(!log.lines().any(|line| line.starts_with(forged_line)), "a forged log line: {log}");
    assert!(!log.contains('\u{1b}'), "an escape code reached the log: {log}");
    assert!(log.contains("\\n2026-12-03"), "the value is written out escaped: {log}");
}

/// A system that answers every request with an empty page until it is stopped; its address.
fn answering_system() -> (String, std::sync::Arc<std::sync::atomic::AtomicBool>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let stopped = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop = stopped.clone();
    std::thread::spawn(move || {
        for connection in listener.incoming() {
            if stop.load(std::sync::atomic::Ordering::SeqCst) {
                return;
            }
            let Ok(mut connection) = connection else { continue };
            let mut request = [0u8; 2048];
            let _ = connection.read(&mut request);
            let _ = connection.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    (format!("http://{address}"), stopped)
}

#[test]
fn supervisors_are_told_in_teams_when_a_workflows_system_stops_answering() {
    // ECSS answers at first; the workflows are checked every second.
    let (ecss, stopped) = answering_system();
    let teams = Teams::start_with(|config, env| {
        let mut env = env.to_vec();
        env.push(("COUNCILBOT_SYSTEM_ECSS_URL", &ecss));
        Server::start(&format!("{config}[automation]\nalert_check_every = \"1s\"\n"), &env)
    });
    teams.say(&SAM, "hello");
    teams.wait_for(SAM.conversation, "a greeting for the supervisor", |_| true);

    // It stops: the next connection is the last it takes.
    stopped.store(true, std::sync::atomic::Ordering::SeqCst);
    let _ = std::net::TcpStream::connect(ecss.trim_start_matches("http://"));
    let alert = teams.server.eventually("an alert about ECSS", || {
        teams
            .sent_to("a:supervisor-chat")
            .into_iter()
            .find(|request| request.body["type"] == "message" && request.body.to_string().contains("not answering"))
    });
    assert_eq!(alert.body["channelData"]["notification"]["alert"], true);
    assert_eq!(alert.body["summary"], "A workflow is in trouble");
    let card = card_of(&alert.body);
    let text = card.to_string();
    assert!(text.contains(&format!("ecss at {ecss} is not answering")), "{card}");
    assert!(
        text.contains("report_housing_repair") && text.contains("report_missed_bin"),
        "one card names them all: {card}"
    );
    let cards =
        teams.sent_to("a:supervisor-chat").into_iter().filter(|sent| sent.body.to_string().contains("not answering"));
    assert_eq!(cards.count(), 1, "one card for one system, however many workflows use it");
    let open = card["actions"].as_array().unwrap().iter().find(|action| action["type"] == "Action.OpenUrl").unwrap();
    assert!(open["url"].as_str().unwrap().starts_with("https://chat.eastbrook.example/console/runs"), "{open}");
    teams.check_schema();
}

#[test]
fn an_activity_goes_to_the_council_whose_teams_app_the_bot_framework_addressed() {
    use crate::councils::{COUNCILS, write_page};
    let root = tempfile::tempdir().unwrap();
    let teams = Teams::start_with(|teams_settings, _| {
        // The first council has no Teams app; the second's is the app the tokens are for, and
        // its credentials are in its own folder's secrets file.
        let first = root.path().join("first-content");
        write_page(&first, &COUNCILS[0]);
        let second = root.path().join(COUNCILS[1].id);
        write_page(&second.join("content"), &COUNCILS[1]);
        std::fs::write(
            second.join("councilbot.toml"),
            format!(
                "[council]\nname = \"Brackley Borough Council\"\n[content]\nbase_url = \"https://www.brackley.gov.uk\"\n{teams_settings}"
            ),
        )
        .unwrap();
        let secrets = second.join("secrets");
        let credentials: Vec<String> =
            TEAMS_ENV.iter().map(|(name, value)| format!("{}={value}", name.to_ascii_lowercase())).collect();
        std::fs::write(&secrets, credentials.join("\n") + "\n").unwrap();
        std::fs::set_permissions(&secrets, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
        let deployment = format!("[deployment]\ncouncils = [{:?}]\n", second.display().to_string());
        Server::for_council(&first, "https://www.ashdown.gov.uk", &deployment)
    });
    teams.say(&RESIDENT, "which day are the bins collected?");
    let reply = teams.wait_for(RESIDENT.conversation, "the second council's answer", |body| {
        body["text"].as_str().is_some_and(|text| text.contains("Wednesday"))
    });
    assert!(!reply.body.to_string().contains("Monday"), "{}", reply.body);
    assert!(reply.body.to_string().contains("brackley.gov.uk"), "it cites the second council's page: {}", reply.body);
}
