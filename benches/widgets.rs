//! Many open chat widgets on one instance: `councilbot serve` (release build) on the sample
//! council holds 5,000 Server-Sent Events streams, one per conversation as a widget keeps,
//! while 100 of those conversations take turns at 100 a second in all. Reports the turns'
//! p50/p99 latency (each timed from when it was due), errors, streams that ended early, the
//! answers the widgets heard live, and the server's memory before the streams, with them held,
//! and at the end.
//!
//! `cargo bench --bench widgets` (BENCH_WIDGETS: streams held, default 5000; BENCH_RATE: turns a
//! second, default 100; BENCH_TALKING: conversations taking turns, default 100; BENCH_SECONDS:
//! how long turns are taken, default 30).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use support::{Server, drive, percentile, start_conversations};

mod support;

fn setting<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|text| text.parse().ok()).unwrap_or(default)
}

/// What the widgets' streams have seen, counted as it happens.
#[derive(Default)]
struct Heard {
    /// Streams whose first bytes have arrived.
    open: AtomicUsize,
    /// Streams that ended or failed before the benchmark finished.
    ended: AtomicUsize,
    /// Answers (`message` events from the bot) heard live.
    answers: AtomicUsize,
}

/// Holds one conversation's event stream open, as a widget does, counting what it hears.
async fn hold(client: reqwest::Client, url: String, id: String, heard: Arc<Heard>) {
    let response = match client.get(format!("{url}/api/v1/conversations/{id}/events")).send().await {
        Ok(response) if response.status().is_success() => response,
        _ => {
            heard.ended.fetch_add(1, Ordering::Relaxed);
            return;
        }
    };
    heard.open.fetch_add(1, Ordering::Relaxed);
    let mut body = response.bytes_stream();
    let mut pending = String::new();
    while let Some(chunk) = body.next().await {
        let Ok(chunk) = chunk else { break };
        pending.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = pending.find("\n\n") {
            let event: String = pending.drain(..end + 2).collect();
            if event.contains("event: message") && event.contains("\"role\":\"bot\"") {
                heard.answers.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    heard.ended.fetch_add(1, Ordering::Relaxed);
}

fn main() {
    let widgets: usize = setting("BENCH_WIDGETS", 5000);
    let rate: f64 = setting("BENCH_RATE", 100.0);
    let talking: usize = setting::<usize>("BENCH_TALKING", 100).min(widgets);
    let seconds: u64 = setting("BENCH_SECONDS", 30);
    http_client::install_crypto_provider();
    let server = Server::start();
    println!("councilbot serve (pid {}) at {}", server.pid, server.url);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        // Streams never time out on the client side; turns do (30 s).
        let streams = reqwest::Client::builder().pool_max_idle_per_host(0).build().expect("client");
        let turns = support::client_for(talking);
        let ids = start_conversations(&turns, &server.url, widgets).await;
        let before = server.memory_kib("VmRSS");

        let heard = Arc::new(Heard::default());
        let opening = Instant::now();
        for id in &ids {
            tokio::spawn(hold(streams.clone(), server.url.clone(), id.clone(), heard.clone()));
        }
        while heard.open.load(Ordering::Relaxed) + heard.ended.load(Ordering::Relaxed) < widgets {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let opened = opening.elapsed();
        // Each new conversation's welcome arrives on its stream first; count only what follows.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let welcomes = heard.answers.swap(0, Ordering::Relaxed);
        let held = server.memory_kib("VmRSS");

        let outcome =
            drive(&turns, &server.url, ids[..talking].to_vec(), Some(rate), Duration::from_secs(seconds)).await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        let after = server.memory_kib("VmRSS");

        let mib = |kib: u64| kib as f64 / 1024.0;
        println!("| measure | result |");
        println!("| --- | --- |");
        println!("| widget streams held | {} of {widgets} (opened in {:.1} s) |", heard.open.load(Ordering::Relaxed), opened.as_secs_f64());
        println!("| streams ended early | {} |", heard.ended.load(Ordering::Relaxed));
        println!("| welcomes heard on opening | {welcomes} |");
        println!(
            "| turns | {} in {:.1} s ({:.0} a second, {} conversations) |",
            outcome.turns,
            outcome.elapsed.as_secs_f64(),
            outcome.turns as f64 / outcome.elapsed.as_secs_f64(),
            talking
        );
        println!(
            "| turn latency | p50 {:.2} ms, p99 {:.2} ms |",
            percentile(&outcome.latencies, 0.50),
            percentile(&outcome.latencies, 0.99)
        );
        println!("| errors | {} |", outcome.errors);
        println!("| answers heard live by the widgets | {} |", heard.answers.load(Ordering::Relaxed));
        println!(
            "| server memory (RSS) | {:.0} MiB before the streams, {:.0} MiB holding them ({:.1} KiB a stream), {:.0} MiB at the end (peak {:.0} MiB) |",
            mib(before),
            mib(held),
            (held.saturating_sub(before)) as f64 / widgets as f64,
            mib(after),
            mib(server.memory_kib("VmHWM"))
        );
    });
}
