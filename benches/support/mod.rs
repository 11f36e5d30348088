//! What the HTTP benchmarks share: the server under test, the residents' script and percentiles.

use std::io::BufRead;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// What conversations say, in turn: questions, small talk, and a request gathered then cancelled.
pub const SCRIPT: &[&str] = &[
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

/// What a run of turns came to.
pub struct Outcome {
    /// Turns answered.
    pub turns: usize,
    /// Turns that failed.
    pub errors: usize,
    /// How long the run took.
    pub elapsed: Duration,
    /// Each answered turn's latency in milliseconds, sorted.
    pub latencies: Vec<f64>,
}

/// Starts `count` conversations; returns their ids.
pub async fn start_conversations(client: &reqwest::Client, url: &str, count: usize) -> Vec<String> {
    let mut ids = Vec::with_capacity(count);
    for _ in 0..count {
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
    ids
}

/// A client for `conversations` at once.
pub fn client_for(conversations: usize) -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(conversations)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

/// Drives the conversations `ids` through the script for `length`: saturated, or at a total
/// `rate` of turns a second.
pub async fn drive(
    client: &reqwest::Client,
    url: &str,
    ids: Vec<String>,
    rate: Option<f64>,
    length: Duration,
) -> Outcome {
    let conversations = ids.len();
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

/// The figure `share` of the way through figures sorted in order.
pub fn percentile(sorted: &[f64], share: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * share).round() as usize]
}

/// The server under test, stopped when dropped.
pub struct Server {
    pub url: String,
    pub pid: u32,
    child: std::process::Child,
    _data: tempfile::TempDir,
}

impl Server {
    /// Starts the release `councilbot serve` on the sample council, its rate limits out of the way.
    pub fn start() -> Server {
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
    pub fn memory_kib(&self, field: &str) -> u64 {
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
