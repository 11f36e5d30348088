//! What arrives from outside, generated at random and sent to a running server: chat messages,
//! Bot Framework activities (with valid tokens, so they reach the parser and the engine), Twilio
//! webhooks (signed as Twilio signs them) and Notify callbacks (with the agreed token). Every
//! request gets an answer that is not a server error, nothing panics, the server stays up and
//! its memory stays bounded. Inputs that fail are kept by proptest in `proptest-regressions/`
//! and tried first on every later run.

use std::collections::BTreeMap;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

use crate::sms::{
    AUTH_TOKEN, NOTIFY_CALLBACK_TOKEN, NotifyApi, PUBLIC_URL, TwilioApi, inbound, texting_config, texting_env,
};
use crate::support::Server;
use crate::teams::{APP_ID, Microsoft, RESIDENT, TEAMS_ENV, TENANT, activity, channel_claims, token};

/// Generated requests of each kind.
const CASES: u32 = 300;

/// The most the server's memory may grow over the whole run.
const MEMORY_GROWTH_LIMIT_KIB: u64 = 256 * 1024;

/// Text residents, platforms and attackers might send.
fn awkward_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ -~]{0,80}",
        "\\PC{0,200}",
        Just(String::new()),
        Just("\u{0}\u{1}\u{7f}\u{202e}\u{feff}".to_string()),
        Just("🧹🗑️ my bin 🙏🏽 wasn't emptied".to_string()),
        Just("{{ 7*7 }} {% raw %} <script>alert(1)</script>".to_string()),
        Just("'; DROP TABLE conversations; --".to_string()),
        Just("STOP".to_string()),
        Just("1".to_string()),
        Just("speak to a person".to_string()),
        Just("report a housing repair".to_string()),
        "[a-z ]{1,3}".prop_map(|text| text.repeat(6_000)),
    ]
}

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |number| number.is_finite()).prop_map(Value::from),
        awkward_text().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map("[a-zA-Z]{1,10}", inner, 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// A request body: JSON with some fields changed, or bytes that are not JSON at all.
#[derive(Debug, Clone)]
enum Body {
    Json(Value),
    Bytes(Vec<u8>),
}

/// A valid JSON document with fields replaced, removed or added.
fn mutated(base: Value, fields: &'static [&'static str]) -> impl Strategy<Value = Body> {
    let value = prop_oneof![3 => awkward_text().prop_map(Value::from), 1 => any_json()];
    let changes = prop::collection::vec((prop::sample::select(fields), prop::option::weighted(0.9, value)), 0..4);
    let extra = prop::option::of(("[a-zA-Z]{1,12}", any_json()));
    prop_oneof![
        8 => (changes, extra).prop_map(move |(changes, extra)| {
            let mut document = base.clone();
            for (field, value) in changes {
                match value {
                    Some(value) => document[field] = value,
                    None => {
                        document.as_object_mut().map(|object| object.remove(field));
                    }
                }
            }
            if let Some((name, value)) = extra {
                document[name] = value;
            }
            Body::Json(document)
        }),
        1 => any_json().prop_map(Body::Json),
        1 => prop::collection::vec(any::<u8>(), 0..300).prop_map(Body::Bytes),
    ]
}

/// The status of a request, and what the server said.
type Answer = (u16, String);

/// A server with every channel on, and a client to send it requests.
struct Target {
    server: Server,
    microsoft: Microsoft,
    _twilio: TwilioApi,
    _notify: NotifyApi,
    runtime: tokio::runtime::Runtime,
    http: reqwest::Client,
}

impl Target {
    fn start() -> Target {
        let microsoft = Microsoft::start();
        let twilio = TwilioApi::start();
        let notify = NotifyApi::start();
        let config = format!(
            "{}[teams]\nopenid_metadata_url = \"{1}/v1/.well-known/openidconfiguration\"\nlogin_url = \"{1}\"\n\
             allowed_service_urls = [\"{2}\"]\n[conversations]\nconversations_per_minute = 100000\nmessages_per_minute = 100000\nmessage_burst = 100000\n",
            texting_config(&twilio, &notify, ""),
            microsoft.url(),
            microsoft.service_url()
        );
        let mut env: Vec<(&str, String)> = texting_env();
        env.extend(TEAMS_ENV.iter().map(|(name, value)| (*name, value.to_string())));
        let env: Vec<(&str, &str)> = env.iter().map(|(name, value)| (*name, value.as_str())).collect();
        let server = Server::start(&config, &env);
        http_client::install_crypto_provider();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        Target { server, microsoft, _twilio: twilio, _notify: notify, runtime, http: reqwest::Client::new() }
    }

    fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        self.runtime.block_on(async {
            let response = request.send().await.expect("the server answers every request");
            let status = response.status().as_u16();
            (status, response.text().await.unwrap_or_default())
        })
    }

    fn post(&self, path: &str, body: &Body) -> reqwest::RequestBuilder {
        let request = self.http.post(format!("{}{path}", self.server.url));
        match body {
            Body::Json(value) => request.json(value),
            Body::Bytes(bytes) => request.header("content-type", "application/json").body(bytes.clone()),
        }
    }

    fn memory_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.server.pid())).unwrap_or_default();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }
}

/// Twilio's signature: HMAC-SHA1 with the auth token over the URL and each parameter's name
/// and value, sorted by name, in Base64 (as Twilio's documentation describes it).
fn twilio_signature(url: &str, params: &BTreeMap<String, String>) -> String {
    let mut signed = url.to_string();
    for (name, value) in params {
        signed.push_str(name);
        signed.push_str(value);
    }
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(AUTH_TOKEN.as_bytes()).unwrap();
    mac.update(signed.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Runs `cases` generated requests and checks each answer is not a server error.
fn fuzz<S: Strategy>(server: &Server, name: &str, strategy: S, send: impl Fn(S::Value) -> Answer)
where
    S::Value: std::fmt::Debug,
{
    let config = Config {
        cases: CASES,
        failure_persistence: Some(Box::new(proptest::test_runner::FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        source_file: Some(file!()),
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let statuses = std::cell::RefCell::new(BTreeMap::<u16, u32>::new());
    let outcome = runner.run(&strategy, |input| {
        let (status, body) = send(input);
        prop_assert!(status < 500, "{name}: {status} {body}");
        *statuses.borrow_mut().entry(status).or_default() += 1;
        Ok(())
    });
    if let Err(failure) = outcome {
        let errors: Vec<String> = server
            .log()
            .lines()
            .filter(|line| line.contains("ERROR") || line.contains("WARN"))
            .map(str::to_string)
            .collect();
        panic!("{failure}\nwhat the server logged:\n{}", errors.join("\n"));
    }
    // Enough requests get past authentication and parsing to reach what handles them.
    let statuses = statuses.into_inner();
    let accepted: u32 = statuses.range(200..300).map(|(_, count)| count).sum();
    assert!(accepted >= CASES / 10, "{name}: only {accepted} requests were taken in: {statuses:?}");
}

#[test]
fn whatever_arrives_from_outside_is_answered_without_a_server_error() {
    let target = Target::start();
    let memory_before = target.memory_kib();

    // The chat input path: a conversation, then anything as a message.
    let (status, created) = target.send(target.http.post(format!("{}/api/v1/conversations", target.server.url)));
    assert_eq!(status, 201, "{created}");
    let conversation: Value = serde_json::from_str(&created).unwrap();
    let path = format!("/api/v1/conversations/{}/messages", conversation["id"].as_str().unwrap());
    fuzz(&target.server, "chat", mutated(json!({"text": "hello"}), &["text", "choice"]), |body| {
        target.send(target.post(&path, &body))
    });

    // Bot Framework activities, each with a valid token for the serviceUrl it names.
    let base = activity(&RESIDENT, &target.microsoft.service_url(), "message", "fuzz");
    let fields = &[
        "type",
        "id",
        "text",
        "value",
        "name",
        "serviceUrl",
        "channelId",
        "from",
        "recipient",
        "conversation",
        "channelData",
        "membersAdded",
        "attachments",
        "entities",
        "locale",
        "replyToId",
        "textFormat",
    ];
    let service_url = target.microsoft.service_url();
    let other_apps_base = base.clone();
    fuzz(&target.server, "teams", (mutated(base, fields), awkward_text()), |(mut body, text)| {
        if let Body::Json(Value::Object(activity)) = &mut body {
            activity.entry("text").or_insert(json!(text));
        }
        let named = match &body {
            Body::Json(activity) => activity["serviceUrl"].as_str().unwrap_or(&service_url).to_string(),
            Body::Bytes(_) => service_url.clone(),
        };
        let bearer = token("bf-key-1", &channel_claims(&named));
        target.send(target.post("/api/messages", &body).bearer_auth(bearer))
    });
    let (status, _) = target.send(target.post("/api/messages", &Body::Json(json!({"type": "message"}))));
    assert_eq!(status, 401, "activities without a token are still refused after all that");

    // The same activities under tokens of the council's tenant issued to other apps: none is
    // taken in, whatever the activity says.
    let mut runner = TestRunner::new(Config { cases: CASES / 3, ..Config::default() });
    let other_app = "[a-f0-9]{8}-other-[a-z0-9]{1,12}";
    let outcome = runner.run(&(mutated(other_apps_base, fields), other_app), |(body, app)| {
        let named = match &body {
            Body::Json(activity) => activity["serviceUrl"].as_str().unwrap_or(&service_url).to_string(),
            Body::Bytes(_) => service_url.clone(),
        };
        let now = storage::now_millis() / 1000;
        let claims = json!({
            "iss": format!("https://login.microsoftonline.com/{TENANT}/v2.0"), "aud": APP_ID, "azp": app,
            "tid": TENANT, "serviceurl": named, "oid": app, "scp": "access_as_user", "nbf": now - 60, "exp": now + 3600,
        });
        let (status, answer) =
            target.send(target.post("/api/messages", &body).bearer_auth(token("entra-key-1", &claims)));
        prop_assert!(matches!(status, 400 | 401 | 413), "another app's token was answered {status} {answer}");
        Ok(())
    });
    if let Err(failure) = outcome {
        panic!("{failure}");
    }

    // Twilio's webhook, signed for the council's public address.
    let extra = prop::collection::btree_map("[A-Za-z]{1,12}", awkward_text(), 0..4);
    let from = prop_oneof![3 => "\\+447700900[0-9]{3}", 1 => awkward_text()];
    let fields = (from, awkward_text(), prop::option::of("[A-Za-z0-9]{0,40}"), extra);
    let sent = std::cell::Cell::new(0u32);
    fuzz(&target.server, "twilio", fields, |(from, body, sid, extra)| {
        sent.set(sent.get() + 1);
        let generated = format!("SM{:032x}", sent.get());
        let sid = sid.unwrap_or(generated);
        let mut params: BTreeMap<String, String> =
            inbound(&sid, &from, &body).into_iter().map(|(name, value)| (name.into(), value.into())).collect();
        params.extend(extra);
        let url = format!("{PUBLIC_URL}/channels/sms/twilio");
        let signature = twilio_signature(&url, &params);
        let request = target
            .http
            .post(format!("{}/channels/sms/twilio", target.server.url))
            .header("x-twilio-signature", signature)
            .form(&params);
        target.send(request)
    });

    // Notify's callbacks, with the agreed bearer token.
    let message = json!({
        "id": "a3ee7f3e-0b5d-4b8e-8f4a-5a0f2b4a1d11",
        "source_number": "447700900123",
        "destination_number": "07700900000",
        "message": "hello",
        "date_received": "2026-12-01T10:00:00.000000Z",
    });
    let fields = &["id", "source_number", "destination_number", "message", "date_received"];
    fuzz(&target.server, "notify", mutated(message, fields), |body| {
        target.send(target.post("/channels/sms/notify", &body).bearer_auth(NOTIFY_CALLBACK_TOKEN))
    });
    let receipt = json!({"id": "a3ee7f3e-0b5d-4b8e-8f4a-5a0f2b4a1d11", "status": "delivered", "to": "447700900123"});
    fuzz(&target.server, "notify receipts", mutated(receipt, &["id", "status", "to", "reference"]), |body| {
        target.send(target.post("/channels/sms/notify/status", &body).bearer_auth(NOTIFY_CALLBACK_TOKEN))
    });

    // Still up, nothing panicked, memory bounded.
    let (status, _) = target.send(target.http.get(format!("{}/healthz", target.server.url)));
    assert_eq!(status, 200);
    let memory_after = target.memory_kib();
    assert!(
        memory_after < memory_before + MEMORY_GROWTH_LIMIT_KIB,
        "memory grew from {memory_before} KiB to {memory_after} KiB"
    );
    // Turns started by Teams activities finish in the background; give them their moment.
    std::thread::sleep(std::time::Duration::from_secs(2));
    let log = target.server.log();
    assert!(!log.contains("panicked"), "{log}");
}

/// A sign-in to the console: the first admin with the right password, or anything at all.
#[derive(Debug, Clone)]
enum SignIn {
    FirstAdmin,
    Generated(String, String),
}

#[test]
fn whatever_is_typed_into_the_console_sign_in_is_answered_without_a_server_error() {
    // On PostgreSQL, which refuses some text (a NUL byte) that SQLite takes.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let database = runtime.block_on(storage::TestPostgres::create()).expect("PostgreSQL at 127.0.0.1:5432");
    let server = Server::start("", &[("DATABASE_URL", database.url.as_str())]);
    let password_file = server.data.path().join("first-admin-password.txt");
    let password = server.eventually("the first admin's password", || {
        Some(std::fs::read_to_string(&password_file).ok()?.trim().to_string()).filter(|password| !password.is_empty())
    });
    let username = prop_oneof![
        4 => awkward_text(),
        1 => "[\\x00-\\x1f\\x7f]{1,8}",
        1 => Just("supervisor\0".to_string()),
        // Padded, so trimming is exercised; not the first admin's name, whose wrong guesses would
        // slow the first admin's own sign-ins in this test.
        1 => Just(" casey ".to_string()),
        1 => "\\PC{90,120}",
    ];
    let attempt = prop_oneof![
        1 => Just(SignIn::FirstAdmin),
        4 => (username, awkward_text()).prop_map(|(username, password)| SignIn::Generated(username, password)),
    ];
    // Each attempt from a loopback address of its own, so the limits on an address do not
    // stop the attempts before they reach the accounts.
    let sent = std::cell::Cell::new(0u32);
    fuzz(&server, "console sign-in", attempt, |attempt| {
        sent.set(sent.get() + 1);
        let n = sent.get();
        let address = std::net::IpAddr::from([127, 1, (n / 250) as u8, (n % 250 + 1) as u8]);
        let browser = crate::console::client_at(Some(address));
        let (username, typed) = match attempt {
            SignIn::FirstAdmin => ("supervisor".to_string(), password.clone()),
            SignIn::Generated(username, password) => (username, password),
        };
        runtime.block_on(async {
            let login = format!("{}/console/login", server.url);
            let page = browser.get(&login).send().await.expect("the sign-in page").text().await.unwrap_or_default();
            let csrf = crate::console::hidden(&page, "csrf");
            let form = [("username", username.as_str()), ("password", typed.as_str()), ("csrf", csrf.as_str())];
            let response = browser.post(&login).form(&form).send().await.expect("an answer");
            let status = response.status().as_u16();
            (status, response.text().await.unwrap_or_default())
        })
    });
    let health = runtime.block_on(async {
        crate::console::client().get(format!("{}/healthz", server.url)).send().await.unwrap().status()
    });
    assert_eq!(health, 200);
    assert!(!server.log().contains("panicked"), "{}", server.log());
}
