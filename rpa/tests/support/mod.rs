//! What the workflow tests share: a journal in a fresh database, workflows written on the fly,
//! a runner with the council's secrets, and a small HTTP service to call.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use rpa::journal::{Journal, RunRecord, StartedBy};
use rpa::runner::{Runner, RunnerConfig};
use rpa::secrets::Secrets;
use rpa::workflow::{Catalogue, WorkflowFile};
use storage::Database;
use storage::clock::FastForwardClock;

/// The password of the practice back office, kept as a secret.
pub const ECSS_PASSWORD: &str = legacy_portal::PASSWORD;

/// The council's workflow files.
pub fn council_workflows() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../workflows")
}

/// Workflow files written into a temporary directory.
pub struct Workflows {
    pub directory: tempfile::TempDir,
}

impl Workflows {
    pub fn new(files: &[(&str, &str)]) -> Workflows {
        let directory = tempfile::tempdir().expect("temp dir");
        for (name, text) in files {
            std::fs::write(directory.path().join(name), text).expect("write workflow");
        }
        Workflows { directory }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.directory.path().join(name)
    }

    /// Every workflow in the directory, which must all be valid.
    pub fn catalogue(&self) -> Catalogue {
        let (catalogue, errors) = Catalogue::load(&[self.directory.path().to_path_buf()]);
        assert!(errors.is_empty(), "{}", errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"));
        catalogue
    }
}

/// A journal in a fresh SQLite file.
pub async fn sqlite_journal(directory: &Path) -> Journal {
    let database = Database::open_file(&directory.join("councilbot.db")).await.expect("database");
    Journal::open(database).await.expect("journal")
}

/// A journal in a fresh SQLite file keeping time by a clock the test moves forward.
pub async fn sqlite_journal_keeping_time(directory: &Path, clock: &FastForwardClock) -> Journal {
    sqlite_journal(directory).await.with_clock(clock.clock())
}

/// The secrets the council's workflows use.
pub fn council_secrets() -> Secrets {
    Secrets::from_pairs([("ecss_user", legacy_portal::USER), ("ecss_password", ECSS_PASSWORD)])
}

/// How long a test runner's hold on a run lasts without renewal.
pub const LEASE: Duration = Duration::from_secs(2);

/// Settings for a runner in a test: short leases, a named instance, systems pointed at `urls`.
pub fn config(instance: &str, urls: &[(&str, &str)]) -> RunnerConfig {
    RunnerConfig {
        instance: instance.to_string(),
        lease: LEASE,
        step_timeout: Duration::from_secs(15),
        system_urls: urls.iter().map(|(name, url)| (name.to_string(), url.to_string())).collect(),
        ..RunnerConfig::default()
    }
}

/// A resident who started a run on the web chat.
pub fn resident() -> StartedBy {
    StartedBy { channel: "web".to_string(), address: "conversation-1".to_string(), language: None }
}

/// Starts a run and works it to where it stops.
pub async fn run(runner: &Runner, file: &WorkflowFile, inputs: &[(&str, &str)]) -> RunRecord {
    let inputs: Vec<(String, String)> =
        inputs.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect();
    let run = runner.start(file, &inputs, &resident()).await.expect("run starts");
    runner.work(&run.id).await.expect("run works").expect("run is taken")
}

/// A small HTTP service started on a free port, with a count of the requests it answered.
pub struct Service {
    pub url: String,
    pub hits: Arc<AtomicUsize>,
    server: tokio::task::JoinHandle<()>,
}

impl Service {
    pub async fn start(router: Router) -> Service {
        let hits = Arc::new(AtomicUsize::new(0));
        let counted = hits.clone();
        let router = router.layer(axum::middleware::from_fn(
            move |request: axum::extract::Request, next: axum::middleware::Next| {
                let counted = counted.clone();
                async move {
                    counted.fetch_add(1, Ordering::SeqCst);
                    next.run(request).await
                }
            },
        ));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address: SocketAddr = listener.local_addr().expect("address");
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Service { url: format!("http://{address}"), hits, server }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Records kept by a test service, shared with its handlers.
pub type Shared<T> = Arc<Mutex<T>>;

/// Every text of the journal that people or logs see: run reasons and messages, step errors,
/// evidence and messages to people (not the inputs and variables the run itself needs).
pub async fn everything_stored(journal: &Journal) -> String {
    use storage::sqlx::Row;
    let mut text = String::new();
    for (table, columns) in [
        ("workflow_runs", "COALESCE(reason, '') || ' ' || COALESCE(message, '') || ' ' || outputs"),
        ("workflow_steps", "COALESCE(error, '') || ' ' || name"),
        ("workflow_evidence", "content"),
        ("workflow_notifications", "message"),
    ] {
        let rows = storage::sqlx::query(&format!("SELECT COALESCE({columns}, '') AS text FROM {table}"))
            .fetch_all(journal.database().pool())
            .await
            .expect("read table");
        for row in rows {
            let value: String = row.get("text");
            if table == "workflow_evidence" {
                use base64::Engine as _;
                let bytes = base64::engine::general_purpose::STANDARD.decode(value.as_bytes()).unwrap_or_default();
                text.push_str(&String::from_utf8_lossy(&bytes));
            } else {
                text.push_str(&value);
            }
            text.push('\n');
        }
    }
    text
}
