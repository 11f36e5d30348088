//! Workflow engine benchmark: HTTP-only runs per second with the journal on SQLite (against the
//! same requests sent directly), the flagship browser workflow against the practice back
//! office compared with the same WebDriver commands sent directly, and the WebDriver commands
//! and time a click and a fill take. Every WebDriver command goes through a counting relay. Run
//! with `cargo bench --bench workflows`; `BENCH_RUNS` (default 1000), `BENCH_BROWSER_RUNS`
//! (default 5) and `BENCH_WORKERS` (default 4) change the counts.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::routing::get;
use axum::{Json, Router};
use fantoccini::{Client, ClientBuilder, Locator};
use legacy_portal::{Portal, PortalConfig};
use rpa::browser::{BrowserConfig, ChromeDriver, find_chromedriver, literal};
use rpa::journal::{Journal, RunStatus, StartedBy};
use rpa::runner::{Runner, RunnerConfig};
use rpa::secrets::Secrets;
use rpa::workflow::Catalogue;
use serde_json::json;

const HTTP_WORKFLOW: &str = r#"name: log_and_confirm
version: 1
description: Log a case through an API and confirm it.
system: { name: api, base_url: http://unused.invalid }
outputs:
  case_reference: The case.
steps:
  - http: { url: /status, extract: { open: /open } }
  - http:
      method: POST
      url: /cases
      json: { ref: "{{ run.reference }}" }
      extract: { case_reference: /reference }
  - succeed:
      outputs: { case_reference: "{{ case_reference }}" }
"#;

fn count(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|value| value.parse().ok()).unwrap_or(default)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_stack_size(8 * 1024 * 1024)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        http_runs(count("BENCH_RUNS", 1000), count("BENCH_WORKERS", 4)).await;
        browser_overhead(count("BENCH_BROWSER_RUNS", 5)).await;
    });
}

/// A relay in front of ChromeDriver that counts the WebDriver commands sent through it.
#[derive(Clone)]
struct CommandCounter {
    webdriver: String,
    client: reqwest::Client,
    commands: Arc<AtomicUsize>,
}

impl CommandCounter {
    /// Starts the relay; its address is used as the WebDriver URL.
    async fn start(webdriver: &str) -> (String, CommandCounter) {
        let counter = CommandCounter {
            webdriver: webdriver.trim_end_matches('/').to_string(),
            client: reqwest::Client::new(),
            commands: Arc::new(AtomicUsize::new(0)),
        };
        let relay = counter.clone();
        let router = Router::new().fallback(move |request: axum::extract::Request| {
            let relay = relay.clone();
            async move { relay.forward(request).await }
        });
        (serve(router).await, counter)
    }

    async fn forward(&self, request: axum::extract::Request) -> axum::response::Response {
        self.commands.fetch_add(1, Ordering::SeqCst);
        let method = request.method().clone();
        let path = request.uri().path_and_query().map(|path| path.as_str().to_string()).unwrap_or_default();
        let body = axum::body::to_bytes(request.into_body(), usize::MAX).await.expect("body");
        let answer = self
            .client
            .request(method, format!("{}{path}", self.webdriver))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("webdriver");
        let status = answer.status();
        let bytes = answer.bytes().await.expect("answer");
        axum::response::Response::builder()
            .status(status.as_u16())
            .header("content-type", "application/json")
            .body(axum::body::Body::from(bytes))
            .expect("response")
    }

    fn count(&self) -> usize {
        self.commands.load(Ordering::SeqCst)
    }
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{address}")
}

async fn http_runs(runs: usize, worker_count: usize) {
    let api = serve(
        Router::new()
            .route("/status", get(|| async { Json(json!({ "open": true })) }))
            .route("/cases", axum::routing::post(|| async { Json(json!({ "reference": "C-1" })) })),
    )
    .await;
    let directory = tempfile::tempdir().expect("temp dir");
    std::fs::write(directory.path().join("flow.yaml"), HTTP_WORKFLOW).expect("workflow");
    let (catalogue, errors) = Catalogue::load(&[directory.path().to_path_buf()]);
    assert!(errors.is_empty(), "{errors:?}");
    let file = catalogue.get("log_and_confirm").expect("workflow").clone();
    let database = storage::Database::open_file(&directory.path().join("journal.db")).await.expect("database");
    let journal = Journal::open(database).await.expect("journal");
    let config = RunnerConfig { system_urls: [("api".to_string(), api.clone())].into(), ..RunnerConfig::default() };
    let runner = Arc::new(Runner::new(journal, catalogue, Secrets::default(), config));
    let by = StartedBy { channel: "bench".to_string(), address: String::new(), language: None };

    // Warm up, then start every run and work them with four workers.
    for _ in 0..20 {
        let run = runner.start(&file, &[], &by).await.expect("start");
        runner.work(&run.id).await.expect("work");
    }
    let started = Instant::now();
    let mut ids = Vec::with_capacity(runs);
    for _ in 0..runs {
        ids.push(runner.start(&file, &[], &by).await.expect("start").id);
    }
    let recorded = started.elapsed();
    let shares: Vec<Vec<String>> =
        (0..worker_count).map(|worker| ids.iter().skip(worker).step_by(worker_count).cloned().collect()).collect();
    let mut workers = Vec::new();
    for share in shares {
        let runner = runner.clone();
        workers.push(tokio::spawn(async move {
            for id in share {
                let run = runner.work(&id).await.expect("work").expect("taken");
                assert_eq!(run.status, RunStatus::Succeeded);
            }
        }));
    }
    for worker in workers {
        worker.await.expect("worker");
    }
    let engine = started.elapsed();

    let client = reqwest::Client::new();
    let direct_started = Instant::now();
    for _ in 0..runs {
        let status: serde_json::Value =
            client.get(format!("{api}/status")).send().await.expect("get").json().await.expect("json");
        assert_eq!(status["open"], true);
        client.post(format!("{api}/cases")).json(&json!({ "ref": "x" })).send().await.expect("post");
    }
    let direct = direct_started.elapsed();
    let steps = runs * 3;
    println!("HTTP-only workflow (3 steps: GET, POST, succeed), journal on a SQLite file, 4 workers:");
    println!("  runs:                  {runs}");
    println!(
        "  engine:                {:.2} s, {:.0} runs/s",
        engine.as_secs_f64(),
        runs as f64 / engine.as_secs_f64()
    );
    println!("  of which recording:    {:.2} s (the runs started one after another)", recorded.as_secs_f64());
    println!("  same requests direct:  {:.2} s", direct.as_secs_f64());
    println!(
        "  engine time per step:  {:.2} ms (journal, templates, checks and the request)",
        engine.as_secs_f64() * 1000.0 / steps as f64
    );
}

/// The same work as `report_housing_repair`, as WebDriver commands sent straight to the browser.
async fn repair_by_hand(webdriver: &str, config: &BrowserConfig, portal: &str) -> String {
    let mut builder = ClientBuilder::rustls().expect("tls");
    builder.capabilities(config.capabilities());
    let client = builder.connect(webdriver).await.expect("session");
    let wait = Duration::from_secs(20);
    let field = |label: &str| {
        format!(
            "//*[self::input or self::select or self::textarea][@id=//label[normalize-space(.)={}]/@for]",
            literal(label)
        )
    };
    client.goto(&format!("{portal}/login")).await.expect("login page");
    fill(&client, &field("User name"), legacy_portal::USER, wait).await;
    fill(&client, &field("Password"), legacy_portal::PASSWORD, wait).await;
    client.find(Locator::Css("input[type=submit]")).await.expect("button").click().await.expect("log in");
    client.wait().at_most(wait).for_element(Locator::Css("frame[name=content]")).await.expect("main screen");
    client.find(Locator::Css("frame[name=menu]")).await.expect("menu").enter_frame().await.expect("enter menu");
    client
        .wait()
        .at_most(wait)
        .for_element(Locator::LinkText("New repair request"))
        .await
        .expect("link")
        .click()
        .await
        .expect("open form");
    client.enter_parent_frame().await.expect("leave menu");
    client
        .find(Locator::Css("frame[name=content]"))
        .await
        .expect("content")
        .enter_frame()
        .await
        .expect("enter content");
    fill(&client, &field("Property postcode"), "EB4 2QX", wait).await;
    fill(&client, &field("House number or name"), "12", wait).await;
    let category =
        client.wait().at_most(wait).for_element(Locator::XPath(&field("Repair category"))).await.expect("category");
    category.wait_for_option("Plumbing", wait).await;
    fill(&client, &field("Description of the problem"), "The kitchen tap is leaking under the sink", wait).await;
    fill(&client, &field("Contact telephone"), "01632960123", wait).await;
    fill(&client, &field("Caller reference"), "DIRECT", wait).await;
    client.find(Locator::Css("input[type=submit]")).await.expect("submit").click().await.expect("submit");
    let started = Instant::now();
    while client.get_alert_text().await.is_err() && started.elapsed() < wait {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    client.accept_alert().await.expect("confirm");
    client.wait().at_most(wait).for_element(Locator::Css(".case-ref, #errors")).await.expect("result");
    let errors = client.find_all(Locator::Css(".error-item")).await.expect("errors");
    assert!(errors.is_empty());
    let reference = client.find(Locator::Css(".case-ref")).await.expect("reference").text().await.expect("text");
    client.close().await.expect("close");
    reference
}

async fn fill(client: &Client, xpath: &str, value: &str, wait: Duration) {
    let element = client.wait().at_most(wait).for_element(Locator::XPath(xpath)).await.expect("field");
    element.clear().await.expect("clear");
    element.send_keys(value).await.expect("type");
}

/// Chooses an option once the dropdown has loaded it.
trait WaitForOption {
    async fn wait_for_option(&self, text: &str, wait: Duration);
}

impl WaitForOption for fantoccini::elements::Element {
    async fn wait_for_option(&self, text: &str, wait: Duration) {
        let started = Instant::now();
        let option = format!(".//option[normalize-space(.)={}]", literal(text));
        loop {
            if let Ok(found) = self.find(Locator::XPath(&option)).await {
                found.click().await.expect("choose");
                return;
            }
            assert!(started.elapsed() < wait, "the option never loaded");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

async fn browser_overhead(runs: usize) {
    if runs == 0 {
        return;
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let Some(chromedriver) = find_chromedriver(None) else {
        println!("browser workflow: skipped (ChromeDriver is not installed)");
        return;
    };
    let quiet = PortalConfig { slow_every: 0, ..PortalConfig::default() };
    let portal = Portal::start(quiet).await.expect("portal");
    let driver = ChromeDriver::start(&chromedriver, None).await.expect("chromedriver");
    let (relay, counter) = CommandCounter::start(driver.url()).await;
    let browsers = BrowserConfig { webdriver_url: Some(relay.clone()), ..BrowserConfig::default() };
    let workflows = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("workflows");
    let (catalogue, errors) = Catalogue::load(&[workflows]);
    assert!(errors.is_empty(), "{errors:?}");
    let file = catalogue.get("report_housing_repair").expect("workflow").clone();
    let directory = tempfile::tempdir().expect("temp dir");
    let database = storage::Database::open_file(&directory.path().join("journal.db")).await.expect("database");
    let config = RunnerConfig {
        browsers: browsers.clone(),
        system_urls: [("ecss".to_string(), portal.url())].into(),
        ..RunnerConfig::default()
    };
    let secrets = Secrets::from_pairs([("ecss_user", legacy_portal::USER), ("ecss_password", legacy_portal::PASSWORD)]);
    let runner = Runner::new(Journal::open(database).await.expect("journal"), catalogue, secrets, config);
    let inputs: Vec<(String, String)> = [
        ("postcode", "EB4 2QX"),
        ("house", "12"),
        ("category", "Plumbing"),
        ("description", "The kitchen tap is leaking under the sink"),
        ("phone", "01632 960123"),
    ]
    .iter()
    .map(|(name, value)| (name.to_string(), value.to_string()))
    .collect();
    let by = StartedBy { channel: "bench".to_string(), address: String::new(), language: None };

    let mut engine = Vec::new();
    let mut direct = Vec::new();
    // A warm-up of each, counting its commands, then the two alternate so both see the same
    // machine.
    let before = counter.count();
    repair_by_hand(&relay, &browsers, &portal.url()).await;
    let direct_commands = counter.count() - before;
    let before = counter.count();
    let run = runner.start(&file, &inputs, &by).await.expect("start");
    runner.work(&run.id).await.expect("work");
    let engine_commands = counter.count() - before;
    for _ in 0..runs {
        let started = Instant::now();
        let run = runner.start(&file, &inputs, &by).await.expect("start");
        let run = runner.work(&run.id).await.expect("work").expect("taken");
        assert_eq!(run.status, RunStatus::Succeeded, "{:?}", run.reason);
        engine.push(started.elapsed());
        let started = Instant::now();
        let reference = repair_by_hand(&relay, &browsers, &portal.url()).await;
        assert!(reference.starts_with("HR-"));
        direct.push(started.elapsed());
    }
    engine.sort();
    direct.sort();
    let (engine, direct) = (engine[engine.len() / 2], direct[direct.len() / 2]);
    let overhead = (engine.as_secs_f64() - direct.as_secs_f64()) / engine.as_secs_f64() * 100.0;
    println!("Browser workflow report_housing_repair against the practice back office, headless Chromium:");
    println!("  runs of each:          {runs} (medians below)");
    println!("  engine:                {:.2} s", engine.as_secs_f64());
    println!("  same WebDriver direct: {:.2} s", direct.as_secs_f64());
    println!("  engine overhead:       {overhead:.1}% of the workflow's time");
    println!("  WebDriver commands:    engine {engine_commands}, direct {direct_commands} (one run each)");
    step_costs(runs, &relay, &counter, &browsers).await;
}

/// A form whose ten fields and ten buttons are ready at once.
const READY_FORM: &str = r#"<!DOCTYPE html><html><head><title>Form</title></head><body><form onsubmit="return false">
<label for="f1">Field 1</label><input id="f1"> <label for="f2">Field 2</label><input id="f2">
<label for="f3">Field 3</label><input id="f3"> <label for="f4">Field 4</label><input id="f4">
<label for="f5">Field 5</label><input id="f5"> <label for="f6">Field 6</label><input id="f6">
<label for="f7">Field 7</label><input id="f7"> <label for="f8">Field 8</label><input id="f8">
<label for="f9">Field 9</label><input id="f9"> <label for="f10">Field 10</label><input id="f10">
<button id="b1">One</button><button id="b2">Two</button><button id="b3">Three</button><button id="b4">Four</button>
<button id="b5">Five</button><button id="b6">Six</button><button id="b7">Seven</button><button id="b8">Eight</button>
<button id="b9">Nine</button><button id="b10">Ten</button></form></body></html>"#;

/// What ten clicks and ten fills cost in WebDriver commands and time, through the engine and
/// as raw WebDriver commands (find, then act; a fill also clears the field).
async fn step_costs(runs: usize, relay: &str, counter: &CommandCounter, browsers: &BrowserConfig) {
    let page = serve(Router::new().route("/form", get(|| async { axum::response::Html(READY_FORM) }))).await;
    let steps = |each: &dyn Fn(usize) -> String| (1..=10).map(each).collect::<Vec<_>>().join("\n");
    let workflow = |name: &str, body: &str| {
        format!(
            "name: {name}\nversion: 1\ndescription: Steps on a ready form.\nsystem: {{ name: form, base_url: http://unused.invalid }}\nsteps:\n  - open: /form\n{body}\n"
        )
    };
    let directory = tempfile::tempdir().expect("temp dir");
    let files = [
        ("baseline", workflow("baseline", "  - set: { done: \"yes\" }")),
        ("fills", workflow("fills", &steps(&|n| format!("  - fill: {{ label: Field {n}, value: value {n} }}")))),
        ("clicks", workflow("clicks", &steps(&|n| format!("  - click: {{ css: \"#b{n}\" }}")))),
    ];
    for (name, text) in &files {
        std::fs::write(directory.path().join(format!("{name}.yaml")), text).expect("workflow");
    }
    let (catalogue, errors) = Catalogue::load(&[directory.path().to_path_buf()]);
    assert!(errors.is_empty(), "{errors:?}");
    let database = storage::Database::open_file(&directory.path().join("journal.db")).await.expect("database");
    let config = RunnerConfig {
        browsers: browsers.clone(),
        system_urls: [("form".to_string(), page.clone())].into(),
        ..RunnerConfig::default()
    };
    let runner =
        Runner::new(Journal::open(database).await.expect("journal"), catalogue.clone(), Secrets::default(), config);
    let by = StartedBy { channel: "bench".to_string(), address: String::new(), language: None };
    let mut measured = std::collections::BTreeMap::new();
    for (name, _) in &files {
        let file = catalogue.get(name).expect("workflow").clone();
        let mut times = Vec::new();
        let mut commands = 0;
        for _ in 0..runs.max(3) {
            let before = counter.count();
            let started = Instant::now();
            let run = runner.start(&file, &[], &by).await.expect("start");
            let run = runner.work(&run.id).await.expect("work").expect("taken");
            assert_eq!(run.status, RunStatus::Succeeded, "{:?}", run.reason);
            times.push(started.elapsed());
            commands = counter.count() - before;
        }
        times.sort();
        measured.insert(*name, (times[times.len() / 2], commands));
    }
    let (base_time, base_commands) = measured["baseline"];
    let per_step = |name: &str| {
        let (time, commands) = measured[name];
        ((commands as f64 - base_commands as f64) / 10.0, (time.as_secs_f64() - base_time.as_secs_f64()) * 100.0)
    };

    // The same twenty steps as raw WebDriver commands on one session.
    let mut builder = ClientBuilder::rustls().expect("tls");
    builder.capabilities(browsers.capabilities());
    let client = builder.connect(relay).await.expect("session");
    client.goto(&format!("{page}/form")).await.expect("form");
    let mut fill_times = Vec::new();
    let mut click_times = Vec::new();
    let (mut fill_commands, mut click_commands) = (0, 0);
    for _ in 0..runs.max(3) {
        let before = counter.count();
        let started = Instant::now();
        for n in 1..=10 {
            let field = format!("//input[@id=//label[normalize-space(.)='Field {n}']/@for]");
            let element = client.find(Locator::XPath(&field)).await.expect("field");
            element.clear().await.expect("clear");
            element.send_keys(&format!("value {n}")).await.expect("type");
        }
        fill_times.push(started.elapsed());
        fill_commands = counter.count() - before;
        let before = counter.count();
        let started = Instant::now();
        for n in 1..=10 {
            client.find(Locator::Css(&format!("#b{n}"))).await.expect("button").click().await.expect("click");
        }
        click_times.push(started.elapsed());
        click_commands = counter.count() - before;
    }
    client.close().await.expect("close");
    fill_times.sort();
    click_times.sort();
    let direct_ms = |times: &[Duration]| times[times.len() / 2].as_secs_f64() * 100.0;
    let (fill_engine, fill_ms) = per_step("fills");
    let (click_engine, click_ms) = per_step("clicks");
    println!("Steps on a ready form (10 of each, medians of {} runs):", runs.max(3));
    println!(
        "  fill by label:  engine {fill_engine:.1} commands, {fill_ms:.1} ms a step; raw WebDriver {:.1} commands, {:.1} ms",
        fill_commands as f64 / 10.0,
        direct_ms(&fill_times)
    );
    println!(
        "  click by css:   engine {click_engine:.1} commands, {click_ms:.1} ms a step; raw WebDriver {:.1} commands, {:.1} ms",
        click_commands as f64 / 10.0,
        direct_ms(&click_times)
    );
}
