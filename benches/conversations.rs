//! Turns over HTTP without a language model: `councilbot serve` (release build) on the sample
//! council, driven two ways. Saturated: 1, 100 and 1,000 concurrent conversations, each sending
//! its next message as soon as the last was answered, which measures the most turns a second
//! the server manages (latency is then mostly waiting in line). Paced: the same conversations
//! sending at a steady total rate (1,000 turns a second by default), which measures the latency
//! residents see at that load, each turn timed from when it was due, so a slow reply delays
//! the clock rather than hiding. Reports throughput, p50/p99 turn latency, errors and the
//! server's memory.
//!
//! `cargo bench --bench conversations` (BENCH_SECONDS: how long each run lasts, default 10;
//! BENCH_LEVELS: concurrency levels, default 1,100,1000; BENCH_RATE: the paced rate, default 1000).

use std::io::BufRead;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// What conversations say, in turn: questions, small talk, and a request gathered then cancelled.
const SCRIPT: &[&str] = &[
    "hello",
    "what day are bins collected in Oakley Green?",
    "how can i pay my council tax",
    "when is the tip open",
    "my bin wasn't emptied",
    "EB4 2QX",
    "12",
    "cancel",
    "how do I apply for a blue badge",
    "what goes in the blue bin",
    "how much does a bulky waste collection cost?",
    "no thanks",
    "what time does the library open",
    "thanks",
];

fn main() {
    let seconds: u64 = std::env::var("BENCH_SECONDS").ok().and_then(|text| text.parse().ok()).unwrap_or(10);
    let levels: Vec<usize> = std::env::var("BENCH_LEVELS")
        .ok()
        .map(|text| text.split(',').filter_map(|level| level.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1, 100, 1000]);
    rpa::http::install_crypto_provider();
    if std::env::var("BENCH_ENGINE_ONLY").is_ok() {
        engine_only(seconds);
        return;
    }
    let server = Server::start();
    println!("councilbot serve (pid {}) at {}", server.pid, server.url);
    println!("| conversations | turns/s | p50 | p99 | errors | server memory (RSS) |");
    println!("| --- | --- | --- | --- | --- | --- |");
    let rate: f64 = std::env::var("BENCH_RATE").ok().and_then(|text| text.parse().ok()).unwrap_or(1000.0);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let length = Duration::from_secs(seconds);
    for level in &levels {
        let result = runtime.block_on(drive(&server.url, *level, None, length));
        print_row(&format!("{level}, saturated"), &result, &server);
    }
    for level in levels.iter().filter(|level| **level > 1) {
        let result = runtime.block_on(drive(&server.url, *level, Some(rate), length));
        print_row(&format!("{level}, paced at {rate:.0} turns/s"), &result, &server);
    }
}

/// The engine alone, in this process, one turn after another: the cost of a turn without HTTP.
fn engine_only(seconds: u64) {
    use bot::conversation::{
        Audience, ConversationStore, Engine, EngineParts, EngineSettings, Inbound, InboundContent, Services,
        system_clock,
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = tempfile::tempdir().expect("temp dir");
    let counter = knowledge_base::TokenCounter::built_in().expect("tokenizer");
    let settings = knowledge_base::IndexSettings::default();
    knowledge_base::build_index(
        &data.path().join("index"),
        &[root.join("knowledge-base/content")],
        &settings,
        &counter,
        &|_| {},
    )
    .expect("index");
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let knowledge = Arc::new(knowledge_base::KnowledgeBase::open(&data.path().join("index")).expect("index"));
        let database = storage::Database::open_file(&data.path().join("councilbot.db")).await.expect("database");
        let (catalogue, _) = rpa::workflow::Catalogue::load(&[root.join("workflows")]);
        let engine = Engine::new(EngineParts {
            services: Services::with_knowledge(catalogue, knowledge.clone()),
            knowledge,
            store: ConversationStore::open(database).await.expect("store"),
            runner: None,
            model: None,
            settings: EngineSettings::default(),
            clock: system_clock(),
        });
        let id = engine.start_conversation("web", "", Audience::Resident).await.expect("conversation").id;
        let started = Instant::now();
        let mut latencies = Vec::new();
        let mut step = 0;
        while started.elapsed() < Duration::from_secs(seconds) {
            let sent = Instant::now();
            let inbound = Inbound { conversation: id.clone(), content: InboundContent::Text(SCRIPT[step].into()) };
            engine.handle(inbound).await.expect("turn");
            latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
            step = (step + 1) % SCRIPT.len();
        }
        latencies.sort_by(f64::total_cmp);
        println!(
            "engine alone: {:.0} turns/s, p50 {:.2} ms, p99 {:.2} ms",
            latencies.len() as f64 / started.elapsed().as_secs_f64(),
            percentile(&latencies, 0.5),
            percentile(&latencies, 0.99)
        );
    });
}

fn print_row(label: &str, result: &Outcome, server: &Server) {
    println!(
        "| {label} | {:.0} | {:.2} ms | {:.2} ms | {} | {:.0} MiB (peak {:.0} MiB) |",
        result.turns as f64 / result.elapsed.as_secs_f64(),
        percentile(&result.latencies, 0.50),
        percentile(&result.latencies, 0.99),
        result.errors,
        server.memory_kib("VmRSS") as f64 / 1024.0,
        server.memory_kib("VmHWM") as f64 / 1024.0,
    );
}

struct Outcome {
    turns: usize,
    errors: usize,
    elapsed: Duration,
    latencies: Vec<f64>,
}

/// Drives `conversations` for `length`: saturated, or at a total `rate` of turns a second.
async fn drive(url: &str, conversations: usize, rate: Option<f64>, length: Duration) -> Outcome {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(conversations)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let mut ids = Vec::with_capacity(conversations);
    for _ in 0..conversations {
        let created: Value = client
            .post(format!("{url}/api/v1/conversations"))
            .send()
            .await
            .expect("create")
            .json()
            .await
            .expect("json");
        ids.push(created["id"].as_str().expect("id").to_string());
    }
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (number, id) in ids.into_iter().enumerate() {
        let (client, url, stop) = (client.clone(), url.to_string(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let (mut latencies, mut errors) = (Vec::new(), 0);
            let mut step = number % SCRIPT.len();
            // Paced conversations start spread over one interval and keep to a timetable.
            let interval = rate.map(|rate| Duration::from_secs_f64(conversations as f64 / rate));
            let mut due = Instant::now()
                + interval.map(|every| every.mul_f64(number as f64 / conversations as f64)).unwrap_or_default();
            while !stop.load(Ordering::Relaxed) {
                if interval.is_some() {
                    tokio::time::sleep_until(due.into()).await;
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                }
                let sent = if interval.is_some() { due } else { Instant::now() };
                due += interval.unwrap_or_default();
                let response = client
                    .post(format!("{url}/api/v1/conversations/{id}/messages"))
                    .json(&json!({"text": SCRIPT[step]}))
                    .send()
                    .await;
                match response {
                    Ok(response) if response.status().is_success() => {
                        let _ = response.bytes().await;
                        latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
                    }
                    _ => errors += 1,
                }
                step = (step + 1) % SCRIPT.len();
            }
            (latencies, errors)
        }));
    }
    tokio::time::sleep(length).await;
    stop.store(true, Ordering::Relaxed);
    let mut outcome = Outcome { turns: 0, errors: 0, elapsed: Duration::ZERO, latencies: Vec::new() };
    for task in tasks {
        let (latencies, errors) = task.await.expect("task");
        outcome.errors += errors;
        outcome.latencies.extend(latencies);
    }
    outcome.elapsed = started.elapsed();
    outcome.turns = outcome.latencies.len();
    outcome.latencies.sort_by(f64::total_cmp);
    outcome
}

fn percentile(sorted: &[f64], share: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * share).round() as usize]
}

/// The server under test, stopped when dropped.
struct Server {
    url: String,
    pid: u32,
    child: std::process::Child,
    _data: tempfile::TempDir,
}

impl Server {
    fn start() -> Server {
        let data = tempfile::tempdir().expect("temp dir");
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let config = data.path().join("councilbot.toml");
        std::fs::write(
            &config,
            format!(
                "[server]\nlisten = \"127.0.0.1:0\"\n[content]\ndirectories = [{:?}]\n[conversations]\nmessages_per_minute = 1000000\nmessage_burst = 100000\nconversations_per_minute = 1000000\n",
                root.join("knowledge-base/content").display().to_string()
            ),
        )
        .expect("config");
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_councilbot"))
            .arg("--data-dir")
            .arg(data.path())
            .arg("--config")
            .arg(&config)
            .arg("--workflows")
            .arg(root.join("workflows"))
            .arg("serve")
            .env("COUNCILBOT_LOG", "error")
            .env_remove("DATABASE_URL")
            .env_remove("OPENAI_BASE_URL")
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("councilbot serve");
        let mut lines = std::io::BufReader::new(child.stderr.take().expect("stderr")).lines();
        let url = loop {
            let line = lines.next().expect("the server says where it listens").expect("line");
            if let Some(address) = line.split(" at http://").nth(1) {
                break format!("http://{}", address.trim());
            }
        };
        std::thread::spawn(move || for _ in lines {});
        Server { url, pid: child.id(), child, _data: data }
    }

    /// A memory figure of the server from /proc, in KiB.
    fn memory_kib(&self, field: &str) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.pid))
            .ok()
            .and_then(|status| {
                status
                    .lines()
                    .find(|line| line.starts_with(field))
                    .and_then(|line| line.split_whitespace().nth(1).and_then(|kib| kib.parse().ok()))
            })
            .unwrap_or(0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
