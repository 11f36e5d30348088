//! Texts through Twilio and GOV.UK Notify, with the platforms' own libraries on the other side:
//! webhooks signed by `twilio`'s RequestValidator and answered in the TwiML its
//! MessagingResponse builds; Notify's JWTs checked by `notifications-python-client`'s decoder.

use std::collections::HashMap;
use std::io::BufRead;
use std::sync::{Arc, Mutex};

use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use base64::Engine as _;
use serde_json::{Value, json};
use storage::sqlx::{self, Row};

use crate::support::{LocalService, PracticePortal, Server, council_with, python};

pub(crate) const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
pub(crate) const AUTH_TOKEN: &str = "8d6f1c2e4b7a9d0c3e5f7a9b1c3d5e7f";
pub(crate) const PUBLIC_URL: &str = "https://chat.eastbrook.example";
const COUNCIL_NUMBER: &str = "+447700900000";
const NOTIFY_SERVICE: &str = "26785a09-ab16-4eb0-8407-a37497a57506";
const NOTIFY_SECRET: &str = "3d844edf-8d35-48ac-975b-e847b4f122b0";
pub(crate) const NOTIFY_CALLBACK_TOKEN: &str = "a-long-random-token-agreed-with-notify";
const NOTIFY_TEMPLATE: &str = "f33517ff-2a88-4f6e-b855-c550268ce08a";

/// Twilio's Messages API as far as councilbot uses it: HTTP Basic with the account's SID and
/// token, a form, and the created message's SID back.
pub(crate) struct TwilioApi {
    service: LocalService,
    sent: SentTexts,
}

/// The forms posted to the Messages API, in order.
type SentTexts = Arc<Mutex<Vec<HashMap<String, String>>>>;

async fn create_message(
    State(sent): State<SentTexts>,
    UrlPath(account): UrlPath<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> axum::response::Response {
    let expected =
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT_SID}:{AUTH_TOKEN}")));
    let authorised = headers.get("authorization").and_then(|value| value.to_str().ok()) == Some(expected.as_str());
    if !authorised || account != ACCOUNT_SID {
        let refusal = json!({"code": 20003, "message": "Authenticate", "status": 401});
        return (StatusCode::UNAUTHORIZED, axum::Json(refusal)).into_response();
    }
    let form: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let mut sent = sent.lock().unwrap();
    sent.push(form);
    let sid = format!("SM{:032x}", sent.len());
    (StatusCode::CREATED, axum::Json(json!({"sid": sid, "status": "queued"}))).into_response()
}

impl TwilioApi {
    pub(crate) fn start() -> TwilioApi {
        let sent = Arc::new(Mutex::new(Vec::new()));
        let router = axum::Router::new()
            .route("/2010-04-01/Accounts/{account}/Messages.json", axum::routing::post(create_message))
            .with_state(sent.clone());
        TwilioApi { service: LocalService::start(router), sent }
    }

    pub(crate) fn sent(&self) -> Vec<HashMap<String, String>> {
        self.sent.lock().unwrap().clone()
    }

    pub(crate) fn url(&self) -> &str {
        &self.service.url
    }
}

/// The local Notify API, in Python, checking tokens with Notify's own decoder.
pub(crate) struct NotifyApi {
    url: String,
    child: std::process::Child,
}

impl NotifyApi {
    pub(crate) fn start() -> NotifyApi {
        let mut child = python("notify_server.py")
            .args([NOTIFY_SERVICE, NOTIFY_SECRET])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("the local Notify server starts");
        let mut port = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut port).unwrap();
        NotifyApi { url: format!("http://127.0.0.1:{}", port.trim()), child }
    }
}

impl Drop for NotifyApi {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// councilbot set up for texts through both providers, with the providers' local stand-ins.
struct Texting {
    server: Server,
    twilio: TwilioApi,
    notify: NotifyApi,
    runtime: tokio::runtime::Runtime,
    http: reqwest::Client,
    next_sid: std::cell::Cell<u32>,
}

pub(crate) fn texting_config(twilio: &TwilioApi, notify: &NotifyApi, extra: &str) -> String {
    format!(
        "[web]\npublic_url = \"{PUBLIC_URL}\"\n[sms]\nmax_segments = 2\n{extra}\n[sms.twilio]\napi_url = \"{}\"\nfrom = \"{COUNCIL_NUMBER}\"\n\
         [sms.notify]\napi_url = \"{}\"\ntemplate_id = \"{NOTIFY_TEMPLATE}\"\n",
        twilio.service.url, notify.url
    )
}

pub(crate) fn texting_env() -> Vec<(&'static str, String)> {
    vec![
        ("TWILIO_ACCOUNT_SID", ACCOUNT_SID.to_string()),
        ("TWILIO_AUTH_TOKEN", AUTH_TOKEN.to_string()),
        ("NOTIFY_API_KEY", format!("councilbot_test-{NOTIFY_SERVICE}-{NOTIFY_SECRET}")),
        ("NOTIFY_CALLBACK_TOKEN", NOTIFY_CALLBACK_TOKEN.to_string()),
    ]
}

impl Texting {
    fn start(extra_config: &str) -> Texting {
        Texting::start_with(extra_config, Server::start)
    }

    fn start_with(extra_config: &str, start: impl FnOnce(&str, &[(&str, &str)]) -> Server) -> Texting {
        let twilio = TwilioApi::start();
        let notify = NotifyApi::start();
        let env = texting_env();
        let env: Vec<(&str, &str)> = env.iter().map(|(name, value)| (*name, value.as_str())).collect();
        let server = start(&texting_config(&twilio, &notify, extra_config), &env);
        http_client::install_crypto_provider();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        Texting { server, twilio, notify, runtime, http: reqwest::Client::new(), next_sid: std::cell::Cell::new(0) }
    }

    /// Posts to a Twilio webhook as Twilio would (or, by `mode`, without or with a broken
    /// signature), signed over `sign_as`; returns what the reference client saw.
    fn twilio_post(&self, path: &str, sign_as: &str, token: &str, params: &[(&str, &str)], mode: &str) -> Value {
        post_as_twilio(&format!("{}{path}", self.server.url), sign_as, token, params, mode)
    }

    /// A text from `from`, as Twilio delivers it; returns the answer's messages.
    fn text(&self, from: &str, body: &str) -> Vec<String> {
        let sid = self.next_sid.get() + 1;
        self.next_sid.set(sid);
        let sid = format!("SM{sid:032x}");
        let answer = self.twilio_post(
            "/channels/sms/twilio",
            &format!("{PUBLIC_URL}/channels/sms/twilio"),
            AUTH_TOKEN,
            &inbound(&sid, from, body),
            "signed",
        );
        assert_eq!(answer["status"], 200, "{answer}");
        assert_eq!(answer["same_as_library"], true, "the answer is TwiML as the twilio library builds it: {answer}");
        answer["messages"].as_array().unwrap().iter().map(|message| message.as_str().unwrap().to_string()).collect()
    }

    /// A text from `from`, as Notify delivers it, with `token` as the bearer token.
    fn notify_text(&self, from: &str, body: &str, token: Option<&str>) -> u16 {
        let message = json!({
            "id": uuid::Uuid::new_v4().to_string(),
            "source_number": from,
            "destination_number": "07700900000",
            "message": body,
            "date_received": "2026-12-01T10:00:00.000000Z",
            "sms_sender_id": null,
        });
        self.notify_post("/channels/sms/notify", &message, token)
    }

    fn notify_post(&self, path: &str, body: &Value, token: Option<&str>) -> u16 {
        self.runtime.block_on(async {
            let mut request = self.http.post(format!("{}{path}", self.server.url)).json(body);
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            request.send().await.unwrap().status().as_u16()
        })
    }

    /// What the local Notify server received.
    fn notify_recorded(&self) -> Vec<Value> {
        self.runtime.block_on(async {
            let response = self.http.get(format!("{}/recorded", self.notify.url)).send().await.unwrap();
            response.json().await.unwrap()
        })
    }

    fn query_count(&self, sql: &str) -> i64 {
        self.runtime.block_on(async {
            let database = storage::Database::connect(&self.server.database_url()).await.unwrap();
            let row = sqlx::query(sql).fetch_one(database.pool()).await.unwrap();
            row.get::<i64, _>(0)
        })
    }

    fn query_text(&self, sql: &str) -> Vec<String> {
        self.runtime.block_on(async {
            let database = storage::Database::connect(&self.server.database_url()).await.unwrap();
            let rows = sqlx::query(sql).fetch_all(database.pool()).await.unwrap();
            rows.iter().map(|row| row.get::<String, _>(0)).collect()
        })
    }

    /// The bearer token of a new console API token for a supervisor.
    fn supervisor_token(&self) -> String {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_councilbot"))
            .args(["--database-url", &self.server.database_url(), "staff", "token", "texts", "--role", "supervisor"])
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap().trim().to_string()
    }

    fn api(&self, token: &str, method: &str, path: &str, body: Value) -> Value {
        self.runtime.block_on(async {
            let url = format!("{}{path}", self.server.url);
            let request = if method == "GET" { self.http.get(url) } else { self.http.post(url).json(&body) };
            let response = request.bearer_auth(token).send().await.unwrap();
            assert!(response.status().is_success(), "{path}: {}", response.status());
            response.json().await.unwrap()
        })
    }
}

/// Posts a form to `post_to` as Twilio would (or, by `mode`, without or with a broken
/// signature), signed by Twilio's own library over `sign_as`; returns what it saw.
pub(crate) fn post_as_twilio(post_to: &str, sign_as: &str, token: &str, params: &[(&str, &str)], mode: &str) -> Value {
    let params: serde_json::Map<String, Value> =
        params.iter().map(|(name, value)| (name.to_string(), json!(value))).collect();
    let request = json!({ "post_to": post_to, "sign_as": sign_as, "token": token, "params": params, "mode": mode });
    let mut child = python("twilio_client.py")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python runs");
    serde_json::to_writer(child.stdin.take().unwrap(), &request).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "the Twilio client failed");
    serde_json::from_slice(&output.stdout).unwrap()
}

pub(crate) fn inbound<'a>(sid: &'a str, from: &'a str, body: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("MessageSid", sid),
        ("SmsSid", sid),
        ("AccountSid", ACCOUNT_SID),
        ("MessagingServiceSid", ""),
        ("From", from),
        ("To", COUNCIL_NUMBER),
        ("Body", body),
        ("NumMedia", "0"),
        ("NumSegments", "1"),
        ("SmsStatus", "received"),
        ("ApiVersion", "2010-04-01"),
        ("FromCountry", "GB"),
    ]
}

#[test]
fn texts_signed_by_twilios_library_are_answered_in_twiml_written_for_a_phone() {
    let texting = Texting::start("");
    let help = texting.text("+447700900101", "HELP");
    assert_eq!(help.len(), 1);
    assert!(help[0].contains("STOP") && help[0].contains("01632 960000"), "{help:?}");

    let answer = texting.text("+447700900101", "How can I pay my council tax?");
    assert_eq!(answer.len(), 1, "{answer:?}");
    let text = &answer[0];
    assert!(text.starts_with("Eastbrook District Council (automated):"), "the first text says who it is from: {text}");
    assert!(text.contains(&format!("\nMore: {PUBLIC_URL}/")), "one link to the full page, served here: {text}");
    assert!(!text.contains("[1]"), "no citation marks on a phone: {text}");
    assert!(channels::sms::render::segments(text).1 <= 2, "within the configured two segments: {text}");

    let again = texting.text("+447700900101", "and what about parking permits?");
    assert!(!again[0].starts_with("Eastbrook District Council (automated)"), "only the first says so: {again:?}");
    assert_eq!(texting.query_count("SELECT COUNT(*) FROM conversations WHERE channel = 'sms'"), 1);
}

#[test]
fn an_unclear_question_by_text_is_asked_back_with_numbers_and_a_number_picks_the_answer() {
    let texting = Texting::start("");
    let resident = "+447700900109";
    let asked = texting.text(resident, crate::clarifying::UNCLEAR);
    assert_eq!(asked.len(), 1, "{asked:?}");
    let text = &asked[0];
    assert!(text.contains("Is this about ") && text.contains("\nReply 1 for "), "numbered choices: {text}");
    assert!(channels::sms::render::segments(text).1 <= 2, "within the configured two segments: {text}");
    let number = text
        .split("Reply ")
        .nth(1)
        .and_then(|options| options.split("; ").find(|option| option.ends_with("for Ways to pay your council tax")))
        .and_then(|option| option.split(' ').next())
        .unwrap_or_else(|| panic!("council tax is offered: {text}"))
        .to_string();
    assert!(text.contains("for Something else"), "{text}");

    let answer = texting.text(resident, &number);
    assert_eq!(answer.len(), 1, "{answer:?}");
    assert!(answer[0].contains(&format!("\nMore: {PUBLIC_URL}{}", crate::clarifying::COUNCIL_TAX_PATH)), "{answer:?}");
    assert!(!answer[0].contains("Reply 1"), "answered, not asked again: {answer:?}");

    // The words of a choice pick it too.
    texting.text(resident, crate::clarifying::UNCLEAR);
    let rent = texting.text(resident, "rent");
    assert!(rent[0].contains(&format!("\nMore: {PUBLIC_URL}/housing/pay-your-rent")), "{rent:?}");
}

#[test]
fn webhooks_not_signed_by_twilio_for_this_address_are_refused_without_effect() {
    let texting = Texting::start("");
    let webhook = format!("{PUBLIC_URL}/channels/sms/twilio");
    let params = inbound("SM00000000000000000000000000000001", "+447700900102", "my bin was not collected");
    for (what, sign_as, token, mode) in [
        ("no signature", webhook.as_str(), AUTH_TOKEN, "unsigned"),
        ("a tampered body", webhook.as_str(), AUTH_TOKEN, "tampered"),
        ("another address", "https://elsewhere.example/channels/sms/twilio", AUTH_TOKEN, "signed"),
        ("another account's token", webhook.as_str(), "0000000000000000000000000000000f", "signed"),
    ] {
        let answer = texting.twilio_post("/channels/sms/twilio", sign_as, token, &params, mode);
        assert_eq!(answer["status"], 403, "{what}: {answer}");
    }
    let status = texting.twilio_post(
        "/channels/sms/twilio/status",
        &format!("{PUBLIC_URL}/channels/sms/twilio/status"),
        AUTH_TOKEN,
        &[("MessageSid", "SM1"), ("MessageStatus", "delivered")],
        "unsigned",
    );
    assert_eq!(status["status"], 403, "{status}");
    // The default port written out is the same address, as Twilio's own validators accept.
    let with_port = texting.twilio_post(
        "/channels/sms/twilio",
        "https://chat.eastbrook.example:443/channels/sms/twilio",
        AUTH_TOKEN,
        &inbound("SM00000000000000000000000000000002", "+447700900103", "HELP"),
        "signed",
    );
    assert_eq!(with_port["status"], 200, "{with_port}");
    assert_eq!(texting.query_count("SELECT COUNT(*) FROM conversations"), 0, "nothing refused was taken in");
    assert_eq!(texting.query_count("SELECT COUNT(*) FROM sms_received"), 1, "only the signed text");
    assert!(texting.twilio.sent().is_empty());
}

#[test]
fn after_stop_nothing_is_sent_until_start() {
    let texting = Texting::start("");
    let resident = "+447700900104";
    let handoff = texting.text(resident, "talk to a person please");
    assert!(!handoff.is_empty(), "{handoff:?}");
    let token = texting.supervisor_token();
    let escalations = texting.api(&token, "GET", "/api/v1/escalations", Value::Null);
    let escalation = escalations["escalations"][0]["id"].as_str().expect("an escalation").to_string();
    texting.api(&token, "POST", &format!("/api/v1/escalations/{escalation}/claim"), Value::Null);
    texting.server.eventually("the joining notice by text", || (texting.twilio.sent().len() == 1).then_some(()));

    assert!(texting.text(resident, "STOP").is_empty(), "no answer to STOP");
    assert_eq!(
        texting.query_count("SELECT opted_out FROM sms_numbers WHERE address = '07700900104'"),
        1,
        "the opt-out is stored"
    );
    texting.api(
        &token,
        "POST",
        &format!("/api/v1/escalations/{escalation}/reply"),
        json!({"text": "Hello, it's Sam."}),
    );
    assert!(texting.text(resident, "is anyone there?").is_empty(), "no answer while opted out");
    assert!(texting.text(resident, "help").is_empty(), "not even help");
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert_eq!(texting.twilio.sent().len(), 1, "nothing is sent to a number that opted out");

    let back = texting.text(resident, "START");
    assert!(back[0].contains("again"), "{back:?}");
    texting.api(
        &token,
        "POST",
        &format!("/api/v1/escalations/{escalation}/reply"),
        json!({"text": "Sorry we missed you."}),
    );
    let sent = texting.server.eventually("the reply by text", || {
        let sent = texting.twilio.sent();
        (sent.len() == 2).then_some(sent)
    });
    assert_eq!(sent[1]["To"], resident);
    assert_eq!(sent[1]["From"], COUNCIL_NUMBER);
    assert!(sent[1]["Body"].contains("Sorry we missed you."), "{:?}", sent[1]);
}

#[test]
fn slow_answers_follow_an_empty_twiml_answer_and_delivery_reports_are_recorded() {
    let texting = Texting::start("reply_within_seconds = 0");
    assert!(texting.text("+447700900105", "when is my recycling collected?").is_empty(), "an empty answer");
    let sent =
        texting.server.eventually("the answer through the Messages API", || texting.twilio.sent().first().cloned());
    assert_eq!(sent["To"], "+447700900105");
    assert_eq!(sent["StatusCallback"], format!("{PUBLIC_URL}/channels/sms/twilio/status"));
    assert!(sent["Body"].starts_with("Eastbrook District Council (automated):"), "{sent:?}");

    let sid = format!("SM{:032x}", 1);
    let report = texting.twilio_post(
        "/channels/sms/twilio/status",
        &format!("{PUBLIC_URL}/channels/sms/twilio/status"),
        AUTH_TOKEN,
        &[("MessageSid", &sid), ("MessageStatus", "undelivered"), ("ErrorCode", "30003"), ("AccountSid", ACCOUNT_SID)],
        "signed",
    );
    assert_eq!(report["status"], 204, "{report}");
    assert_eq!(
        texting.query_text(&format!("SELECT status || ' ' || error_code FROM sms_sent WHERE message_id = '{sid}'")),
        vec!["undelivered 30003".to_string()]
    );
}

#[test]
fn notify_carries_the_same_conversation_with_its_own_jwt_and_bearer_token() {
    let texting = Texting::start("");
    let first = texting.text("+447700900106", "How can I pay my council tax?");
    assert!(!first.is_empty());

    assert_eq!(texting.notify_text("447700900106", "what about parking permits?", None), 401);
    assert_eq!(texting.notify_text("447700900106", "what about parking permits?", Some("a-guess")), 401);
    assert_eq!(texting.query_count("SELECT COUNT(*) FROM sms_received"), 1, "refused texts leave no trace");

    assert_eq!(texting.notify_text("447700900106", "what about parking permits?", Some(NOTIFY_CALLBACK_TOKEN)), 204);
    let sent = texting.server.eventually("the answer through Notify", || {
        texting.notify_recorded().into_iter().find(|request| request["path"] == "/v2/notifications/sms")
    });
    assert_eq!(sent["token_error"], Value::Null, "Notify's own decoder accepts the token: {sent}");
    assert_eq!(sent["body"]["phone_number"], "+447700900106");
    assert_eq!(sent["body"]["template_id"], NOTIFY_TEMPLATE);
    let message = sent["body"]["personalisation"]["message"].as_str().unwrap();
    assert!(message.to_lowercase().contains("parking") && !message.contains("(automated)"), "{message}");
    let conversations = texting.query_text("SELECT id FROM conversations WHERE channel = 'sms'");
    assert_eq!(conversations.len(), 1, "one conversation whichever provider carries it");
    let reference = sent["body"]["reference"].as_str().unwrap();
    assert!(reference.starts_with("cb-") && reference != conversations[0], "an opaque reference: {reference}");

    let id = sent["id"].as_str().unwrap();
    let receipt = json!({"id": id, "reference": reference, "to": "447700900106", "status": "delivered",
        "created_at": "2026-12-01T10:00:00Z", "completed_at": "2026-12-01T10:00:02Z", "notification_type": "sms"});
    assert_eq!(texting.notify_post("/channels/sms/notify/status", &receipt, Some("a-guess")), 401);
    assert_eq!(texting.notify_post("/channels/sms/notify/status", &receipt, Some(NOTIFY_CALLBACK_TOKEN)), 204);
    assert_eq!(
        texting.query_text(&format!("SELECT status FROM sms_sent WHERE message_id = '{id}'")),
        vec!["delivered".to_string()]
    );

    assert_eq!(texting.notify_text("447700900106", "Stop", Some(NOTIFY_CALLBACK_TOKEN)), 204);
    assert_eq!(texting.notify_text("447700900106", "when is the tip open?", Some(NOTIFY_CALLBACK_TOKEN)), 204);
    assert!(texting.text("+447700900106", "hello?").is_empty(), "the opt-out holds for Twilio too");
    std::thread::sleep(std::time::Duration::from_secs(2));
    let sends = texting.notify_recorded().into_iter().filter(|request| request["path"] == "/v2/notifications/sms");
    assert_eq!(sends.count(), 1, "nothing more is sent after STOP");
}

#[test]
fn a_missed_bin_reported_by_text_is_carried_out_on_the_councils_system() {
    let portal = PracticePortal::start();
    let texting = Texting::start_with("", |config, env| council_with(&portal, config, env));
    let resident = "+447700900107";
    let asked = texting.text(resident, "my recycling wasn't collected yesterday, postcode EB2 7LP");
    let asked = &asked[0];
    assert!(asked.contains("Do you want to report a missed bin collection?"), "asked first: {asked}");
    assert!(asked.contains("Reply 1 for Yes"), "the choices as numbers to reply: {asked}");
    texting.text(resident, "1");
    texting.text(resident, "Rose Cottage");
    let summary = texting.text(resident, "skip");
    let summary = &summary[0];
    assert!(summary.contains("Reply 1 for Yes, send it"), "choices as numbers to reply: {summary}");
    assert!(summary.contains("EB2 7LP"), "{summary}");
    let started = texting.text(resident, "1");
    let reference =
        started[0].split_whitespace().find(|word| word.starts_with("CB-")).expect("the request's reference");
    let reference = reference.trim_matches(|c: char| !c.is_alphanumeric() && c != '-').to_string();

    let done = texting.server.eventually("the outcome by text", || {
        texting.twilio.sent().into_iter().find(|sent| sent["Body"].contains("WB-"))
    });
    assert_eq!(done["To"], resident);
    let cases = portal.portal.cases_with_external_reference(&reference);
    assert_eq!(cases.len(), 1, "one case on the council's system");
    assert!(done["Body"].contains(&cases[0].reference), "{done:?}");
}

#[test]
fn a_text_reaches_the_council_whose_number_it_was_sent_to_in_a_shared_deployment() {
    const WESTBROOK_NUMBER: &str = "+447700900999";
    let folder = tempfile::tempdir().unwrap();
    let westbrook = folder.path().join("westbrook");
    std::fs::create_dir_all(&westbrook).unwrap();
    let pages = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("councils/westbrook/content");
    let twilio = TwilioApi::start();
    std::fs::write(
        westbrook.join("councilbot.toml"),
        format!(
            "[council]\nname = \"Westbrook Borough Council\"\nphone = \"01632 961000\"\n\
             [content]\ndirectories = [{:?}]\nbase_url = \"https://www.westbrook.gov.uk\"\n\
             [web]\npublic_url = \"{PUBLIC_URL}\"\nhosts = [\"westbrook.localhost\"]\n\
             [sms.twilio]\napi_url = \"{}\"\nfrom = \"{WESTBROOK_NUMBER}\"\n",
            pages.display().to_string(),
            twilio.url()
        ),
    )
    .unwrap();
    // Westbrook's own credentials, in its own secrets file.
    let secrets = westbrook.join("secrets");
    std::fs::write(&secrets, format!("twilio_account_sid={ACCOUNT_SID}\ntwilio_auth_token={AUTH_TOKEN}\n")).unwrap();
    #[cfg(unix)]
    std::fs::set_permissions(&secrets, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let deployment = format!("[deployment]\ncouncils = [{:?}]\n", westbrook.display().to_string());
    let texting = Texting::start(&deployment);

    let mut params =
        inbound("SM00000000000000000000000000000101", "+447700900101", "How much is the garden waste bin?");
    for (name, value) in params.iter_mut() {
        if *name == "To" {
            *value = WESTBROOK_NUMBER;
        }
    }
    let answer = texting.twilio_post(
        "/channels/sms/twilio",
        &format!("{PUBLIC_URL}/channels/sms/twilio"),
        AUTH_TOKEN,
        &params,
        "signed",
    );
    assert_eq!(answer["status"], 200, "{answer}");
    let text = answer["messages"][0].as_str().unwrap_or_default();
    assert!(text.starts_with("Westbrook Borough Council (automated):"), "Westbrook answers its number: {text}");
    assert!(text.contains("£58"), "from Westbrook's own page: {text}");

    let eastbrook = texting.text("+447700900101", "How can I pay my council tax?");
    assert!(eastbrook[0].starts_with("Eastbrook District Council (automated):"), "{eastbrook:?}");
    assert_eq!(
        texting.query_count("SELECT COUNT(*) FROM conversations WHERE channel = 'sms'"),
        1,
        "Westbrook's text is not in Eastbrook's database"
    );
}
