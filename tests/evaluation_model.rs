//! `councilbot eval --model`: the golden set answered by a language model (a local server
//! speaking the OpenAI chat completions protocol) from the passages the search finds, measured
//! as the extractive answerer is; a question the model fails on is a miss with its reason.

use std::collections::BTreeSet;
use std::process::Output;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::support::{Councilbot, LocalService};

const KEY: &str = "sk-eval-secret-4242";

/// What the model does with a question.
enum Says {
    /// Quotes the sentence containing these words from the passage of this page, citing it.
    Quote { page: &'static str, words: &'static str },
    /// Quotes the first sentence of the first passage from any page but this one, citing it.
    QuoteOtherThan(&'static str),
    /// Says the passages do not answer the question.
    NoAnswer,
    /// Fails with HTTP 500.
    Fails,
}

/// What the model was sent and what it cited.
#[derive(Default)]
struct Seen {
    keys: Vec<String>,
    questions: BTreeSet<String>,
    cited: Vec<String>,
}

#[derive(Clone)]
struct Model {
    says: Arc<dyn Fn(&str) -> Says + Send + Sync>,
    seen: Arc<Mutex<Seen>>,
}

/// A passage as the model is given it: its number, page and text.
struct Passage {
    number: usize,
    url: String,
    text: String,
}

/// The passages and the question in the message the model is sent.
fn read_request(content: &str) -> (Vec<Passage>, String) {
    let mut passages: Vec<Passage> = Vec::new();
    let (listed, question) = content.split_once("<<<\n").unwrap_or((content, ""));
    for line in listed.lines() {
        let heading = line
            .strip_prefix('[')
            .and_then(|rest| rest.split_once("] "))
            .and_then(|(number, rest)| Some((number.parse().ok()?, rest.rsplit_once(" (")?.1.strip_suffix(')')?)));
        match (heading, passages.last_mut()) {
            (Some((number, url)), _) => passages.push(Passage { number, url: url.to_string(), text: String::new() }),
            (None, Some(passage)) => passage.text.push_str(&format!("{line}\n")),
            (None, None) => {}
        }
    }
    (passages, question.split("\n>>>").next().unwrap_or_default().to_string())
}

/// The sentences of a passage.
fn sentences(text: &str) -> impl Iterator<Item = &str> {
    text.split(['\n', '.']).map(str::trim).filter(|sentence| sentence.split_whitespace().count() >= 3)
}

async fn complete(State(model): State<Model>, headers: HeaderMap, body: String) -> Response {
    let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let key = headers.get("authorization").and_then(|value| value.to_str().ok()).unwrap_or_default();
    model.seen.lock().unwrap().keys.push(key.to_string());
    let content = body["messages"][1]["content"].as_str().unwrap_or_default();
    let (passages, question) = read_request(content);
    model.seen.lock().unwrap().questions.insert(question.clone());
    let quoted = match (model.says)(&question) {
        Says::Fails => {
            let error = json!({"error": {"message": "the model is overloaded", "type": "server_error", "param": null, "code": null}});
            return (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(error)).into_response();
        }
        Says::NoAnswer => None,
        Says::Quote { page, words } => passages.iter().filter(|passage| passage.url == page).find_map(|passage| {
            sentences(&passage.text).find(|sentence| sentence.contains(words)).map(|sentence| (passage, sentence))
        }),
        Says::QuoteOtherThan(page) => passages
            .iter()
            .filter(|passage| passage.url != page)
            .find_map(|passage| sentences(&passage.text).next().map(|sentence| (passage, sentence))),
    };
    let answer = match quoted {
        Some((passage, sentence)) => {
            model.seen.lock().unwrap().cited.push(passage.url.clone());
            format!("{sentence} [{}].", passage.number)
        }
        None => "NO_ANSWER".to_string(),
    };
    // Streamed in two pieces, as a model writes.
    let (first, rest) = answer.split_at(answer.len() / 2);
    let chunk = |delta: Value, finish: Value| {
        json!({"id": "chatcmpl-eval", "object": "chat.completion.chunk", "created": 1_796_000_000, "model": "test-model",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
    };
    let events = [
        chunk(json!({"role": "assistant", "content": first}), Value::Null),
        chunk(json!({"content": rest}), Value::Null),
        chunk(json!({}), json!("stop")),
    ]
    .iter()
    .map(|chunk| format!("data: {chunk}\n\n"))
    .collect::<String>()
        + "data: [DONE]\n\n";
    Response::builder().header("content-type", "text/event-stream").body(Body::from(events)).expect("response")
}

/// A local model server that does what `says` says for each question.
fn start_model(says: impl Fn(&str) -> Says + Send + Sync + 'static) -> (LocalService, Arc<Mutex<Seen>>) {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let model = Model { says: Arc::new(says), seen: seen.clone() };
    let service = LocalService::start(
        Router::new().route("/v1/chat/completions", axum::routing::post(complete)).with_state(model),
    );
    (service, seen)
}

/// Runs councilbot with the API key in the environment, as a deployment sets it.
fn run(councilbot: &Councilbot, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_councilbot"))
        .arg("--data-dir")
        .arg(councilbot.data.path())
        .args(args)
        .env_remove("COUNCILBOT_INDEX_DIR")
        .env_remove("OPENAI_BASE_URL")
        .env_remove("OPENAI_MODEL")
        .env("OPENAI_API_KEY", KEY)
        .output()
        .expect("councilbot runs")
}

const BINS: &str = "https://www.eastbrook.gov.uk/waste/bin-collection-days";
const BULKY: &str = "https://www.eastbrook.gov.uk/waste/bulky-waste-collection";

const GOLDEN: &str = "questions:
  - ask: what day are bins collected in Brookside
    source: https://www.eastbrook.gov.uk/waste/bin-collection-days
    fact: Tuesday
    half: dev
  - ask: how much does it cost to get rid of an old sofa
    source: https://www.eastbrook.gov.uk/waste/bulky-waste-collection
    fact: £38
    half: held_out
  - ask: do you empty bins on bank holidays
    source: https://www.eastbrook.gov.uk/waste/bin-collection-days
    fact: as normal
    half: dev
  - ask: can I book a garden waste bin online
    source: https://www.eastbrook.gov.uk/waste/garden-waste-subscription
    fact: online
    half: held_out
  - ask: how much do you charge to collect a piano
    unanswerable: true
    near: https://www.eastbrook.gov.uk/waste/bulky-waste-collection
    half: dev
";

/// What the model says to each question of [`GOLDEN`].
fn script(question: &str) -> Says {
    if question.contains("Brookside") {
        Says::Quote { page: BINS, words: "Tuesday" }
    } else if question.contains("sofa") {
        Says::Quote { page: BULKY, words: "£38" }
    } else if question.contains("bank holidays") {
        Says::QuoteOtherThan(BINS)
    } else if question.contains("garden") {
        Says::Fails
    } else {
        Says::NoAnswer
    }
}

/// A configuration file with `[llm]` pointing at the model server.
fn config_for(councilbot: &Councilbot, model: &LocalService) -> String {
    let path = councilbot.data.path().join("councilbot.toml");
    let text = format!("[llm]\nbase_url = \"{}/v1\"\nmodel = \"test-model\"\ntimeout_seconds = 10\n", model.url);
    std::fs::write(&path, text).expect("write the configuration");
    path.to_str().expect("utf-8").to_string()
}

#[test]
fn the_model_answers_the_golden_set_from_the_passages_found_and_is_measured_like_the_extractive_answerer() {
    let councilbot = Councilbot::with_sample_council();
    let (model, seen) = start_model(script);
    let config = config_for(&councilbot, &model);
    let golden = councilbot.data.path().join("golden.yaml");
    std::fs::write(&golden, GOLDEN).expect("write the golden set");
    let golden = golden.to_str().expect("utf-8");

    let output = run(&councilbot, &["--config", &config, "eval", "--model", "--json", golden]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let report: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(report["answerer"], "model");
    assert_eq!(report["model"], "test-model");
    assert_eq!(report["endpoint"], format!("{}/v1", model.url));
    assert!(report.get("calibration").is_none(), "a model has no threshold to calibrate: {report:#}");
    assert!(!stdout.contains(KEY), "the API key is never printed: {stdout}");
    let seen = seen.lock().unwrap();
    assert_eq!(seen.questions.len(), 5, "every question is put to the model: {:?}", seen.questions);
    assert!(seen.keys.iter().all(|key| *key == format!("Bearer {KEY}")), "{:?}", seen.keys);

    let overall = &report["overall"];
    assert_eq!(overall["questions"], 5);
    assert_eq!(overall["answerable"], 4);
    assert_eq!(overall["unanswerable"], 1);
    assert_eq!(overall["failed"], 1);
    // Right page first and the fact stated for bin days and the sofa; the answer on bank
    // holidays cites another page; the garden waste question failed, which counts as neither.
    assert_eq!(overall["hit_at_1"], 0.5, "{report:#}");
    assert_eq!(overall["fact_rate"], 0.5, "{report:#}");
    assert_eq!(overall["false_refusal_rate"], 0.0, "{report:#}");
    assert_eq!(overall["correct_refusal_rate"], 1.0, "the piano question is declined: {report:#}");

    let misses = report["misses"].as_array().expect("misses");
    assert_eq!(misses.len(), 2, "{misses:#?}");
    let holidays = &misses[0];
    assert_eq!(holidays["ask"], "do you empty bins on bank holidays");
    assert_eq!(holidays["reason"]["kind"], "wrong_page_first");
    let first_page = &holidays["reason"]["first_page"];
    assert_eq!(*first_page, seen.cited[2], "the page the model cited comes first");
    assert_ne!(*first_page, BINS);
    let failed = &misses[1];
    assert_eq!(failed["ask"], "can I book a garden waste bin online");
    assert_eq!(failed["reason"]["kind"], "failed");
    let error = failed["reason"]["error"].as_str().expect("the reason");
    assert!(error.contains("overloaded"), "{error}");
    drop(seen);

    // The same, as people read it.
    let output = run(&councilbot, &["--config", &config, "eval", "--model", golden]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let named = format!("answered by the language model test-model at {}/v1\n", model.url);
    assert!(stdout.starts_with(&named), "{stdout}");
    assert!(
        stdout.contains("5 questions: 4 answerable, 1 unanswerable (1 of them near misses); it failed on 1"),
        "{stdout}"
    );
    assert!(stdout.contains("\"can I book a garden waste bin online\": failed to answer: "), "{stdout}");
    assert!(!stdout.contains("threshold in use"), "{stdout}");
    assert!(!stdout.contains(KEY), "{stdout}");
}

#[test]
fn eval_with_the_model_and_no_model_configured_names_the_missing_setting() {
    let councilbot = Councilbot::new();
    let golden = councilbot.data.path().join("golden.yaml");
    std::fs::write(&golden, GOLDEN).expect("write the golden set");
    let output = run(&councilbot, &["eval", "--model", golden.to_str().expect("utf-8")]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("[llm]") && stderr.contains("base_url"), "{stderr}");
}
