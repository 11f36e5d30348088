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

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use support::{Outcome, SCRIPT, Server, client_for, drive, percentile, start_conversations};

mod support;

fn main() {
    let seconds: u64 = std::env::var("BENCH_SECONDS").ok().and_then(|text| text.parse().ok()).unwrap_or(10);
    let levels: Vec<usize> = std::env::var("BENCH_LEVELS")
        .ok()
        .map(|text| text.split(',').filter_map(|level| level.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1, 100, 1000]);
    http_client::install_crypto_provider();
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
        let result = runtime.block_on(run_level(&server.url, *level, None, length));
        print_row(&format!("{level}, saturated"), &result, &server);
    }
    for level in levels.iter().filter(|level| **level > 1) {
        let result = runtime.block_on(run_level(&server.url, *level, Some(rate), length));
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
        let store = ConversationStore::open(database).await.expect("store");
        let curated = bot::curated::CuratedStore::open(&store).await.expect("curated answers");
        let examples = bot::service_examples::ServiceExampleStore::open(&store).await.expect("service examples");
        let engine = Engine::new(EngineParts {
            services: Services::with_knowledge(catalogue, knowledge.clone()),
            knowledge,
            store,
            curated,
            examples,
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

/// `conversations` new conversations driven for `length`, saturated or at `rate`.
async fn run_level(url: &str, conversations: usize, rate: Option<f64>, length: Duration) -> Outcome {
    let client = client_for(conversations);
    let ids = start_conversations(&client, url, conversations).await;
    drive(&client, url, ids, rate, length).await
}
