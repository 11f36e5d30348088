//! Runs the councilbot binary against temporary data directories.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Where the sample council's pages without a canonical URL live.
pub const SAMPLE_BASE_URL: &str = "https://www.eastbrook.gov.uk";

/// The sample council's content.
pub fn sample_content() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge-base/content")
}

/// The sample council's curated answers.
pub fn sample_answers() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge-base/answers")
}

/// The sample council's golden set.
pub fn golden_set() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge-base/golden.yaml")
}

/// The sample council's Welsh golden set.
pub fn welsh_golden_set() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge-base/golden-cy.yaml")
}

/// A temporary data directory to run councilbot commands in.
pub struct Councilbot {
    pub data: tempfile::TempDir,
}

impl Councilbot {
    pub fn new() -> Councilbot {
        Councilbot { data: tempfile::tempdir().expect("temp dir") }
    }

    /// With the sample council indexed.
    pub fn with_sample_council() -> Councilbot {
        let councilbot = Councilbot::new();
        let output =
            councilbot.run(&["index", "--base-url", SAMPLE_BASE_URL, sample_content().to_str().expect("utf-8 path")]);
        assert!(output.status.success(), "indexing failed: {}", String::from_utf8_lossy(&output.stderr));
        councilbot
    }

    pub fn run(&self, args: &[&str]) -> Output {
        std::process::Command::new(env!("CARGO_BIN_EXE_councilbot"))
            .arg("--data-dir")
            .arg(self.data.path())
            .args(args)
            .env_remove("COUNCILBOT_INDEX_DIR")
            .env_remove("COUNCILBOT_TOKENIZER")
            .output()
            .expect("councilbot runs")
    }

    /// Runs a command that must succeed and print JSON.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let output = self.run(args);
        assert!(output.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
        serde_json::from_slice(&output.stdout).expect("valid JSON on stdout")
    }
}

/// The council's workflow files.
pub fn council_workflows() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("workflows")
}

/// The practice back office, served by a runtime of its own so tests can run the CLI alongside.
pub struct PracticePortal {
    pub portal: legacy_portal::Portal,
    _runtime: tokio::runtime::Runtime,
}

impl PracticePortal {
    pub fn start() -> PracticePortal {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
        let portal =
            runtime.block_on(legacy_portal::Portal::start(legacy_portal::PortalConfig::default())).expect("portal");
        PracticePortal { portal, _runtime: runtime }
    }
}

impl Councilbot {
    /// A `councilbot workflow ...` command set up to work the council's workflows on `portal`.
    pub fn workflow_command(&self, portal: &PracticePortal, args: &[&str]) -> std::process::Command {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_councilbot"));
        command
            .arg("--data-dir")
            .arg(self.data.path())
            .arg("--workflows")
            .arg(council_workflows())
            .arg("workflow")
            .args(args)
            .env_remove("DATABASE_URL")
            .env("COUNCILBOT_SYSTEM_ECSS_URL", portal.portal.url())
            .env("COUNCILBOT_SECRET_ECSS_USER", legacy_portal::USER)
            .env("COUNCILBOT_SECRET_ECSS_PASSWORD", legacy_portal::PASSWORD)
            .env("COUNCILBOT_RUN_LEASE", "1s")
            .env("USER", "tester");
        command
    }

    /// Runs a `councilbot workflow ...` command to its end.
    pub fn workflow(&self, portal: &PracticePortal, args: &[&str]) -> Output {
        self.workflow_command(portal, args).output().expect("councilbot runs")
    }
}

/// The password of console accounts made by tests.
pub const STAFF_PASSWORD: &str = "correct horse battery staple";

/// `councilbot serve` with its data in a directory of its own, logging warnings to a pipe.
fn serve_command(data: &tempfile::TempDir) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_councilbot"));
    command
        .arg("--data-dir")
        .arg(data.path())
        .arg("serve")
        .env_remove("DATABASE_URL")
        .env_remove("OPENAI_BASE_URL")
        .env_remove("OPENAI_API_KEY")
        .env_remove("COUNCILBOT_INDEX_DIR")
        .env_remove("COUNCILBOT_LEGACY_PORTAL")
        .env("COUNCILBOT_LOG", "warn")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null());
    command
}

/// `councilbot serve` running on a free port over the sample council, stopped when dropped.
pub struct Server {
    pub url: String,
    pub data: tempfile::TempDir,
    child: std::process::Child,
    log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Server {
    /// Starts the server with extra configuration (TOML) and environment variables.
    pub fn start(extra_config: &str, env: &[(&str, &str)]) -> Server {
        Server::start_over(&sample_content(), &council_workflows(), extra_config, env)
    }

    /// Starts the server over other content and workflows.
    pub fn start_over(content: &Path, workflows: &Path, extra_config: &str, env: &[(&str, &str)]) -> Server {
        Server::start_configured(content, workflows, "", extra_config, env)
    }

    /// Starts the server over the sample council with its curated answers read from `answers`.
    pub fn start_with_answers(answers: &Path, extra_config: &str, env: &[(&str, &str)]) -> Server {
        let content = format!("answers_dir = {:?}\n", answers.display().to_string());
        Server::start_configured(&sample_content(), &council_workflows(), &content, extra_config, env)
    }

    /// Starts the server with more `[content]` settings and extra configuration.
    fn start_configured(
        content: &Path,
        workflows: &Path,
        content_extra: &str,
        extra_config: &str,
        env: &[(&str, &str)],
    ) -> Server {
        let data = tempfile::tempdir().expect("temp dir");
        let config = data.path().join("councilbot.toml");
        // A `[server]` section in the extra configuration joins the one written here.
        let (server, extra_config) = match extra_config.strip_prefix("[server]\n") {
            Some(rest) => rest.split_at(rest.find("\n[").map_or(rest.len(), |end| end + 1)),
            None => ("", extra_config),
        };
        std::fs::write(
            &config,
            format!(
                "[server]\nlisten = \"127.0.0.1:0\"\n{server}[content]\ndirectories = [{:?}]\nbase_url = \"{SAMPLE_BASE_URL}\"\n{content_extra}{extra_config}",
                content.display().to_string()
            ),
        )
        .expect("write config");
        let mut command = serve_command(&data);
        command.arg("--config").arg(&config).arg("--workflows").arg(workflows);
        for (name, value) in env {
            command.env(name, value);
        }
        Server::spawn(command, data)
    }

    /// Starts the server for a council other than the sample one: its own content, whose pages
    /// are on its own website.
    pub fn for_council(content: &Path, website: &str, extra_config: &str) -> Server {
        Server::for_council_with_env(content, website, extra_config, &[])
    }

    /// Starts the server for a council of its own, with variables in its environment.
    pub fn for_council_with_env(content: &Path, website: &str, extra_config: &str, env: &[(&str, &str)]) -> Server {
        let data = tempfile::tempdir().expect("temp dir");
        let config = data.path().join("councilbot.toml");
        std::fs::write(
            &config,
            format!(
                "[server]\nlisten = \"127.0.0.1:0\"\n[content]\ndirectories = [{:?}]\nbase_url = \"{website}\"\n{extra_config}",
                content.display().to_string()
            ),
        )
        .expect("write config");
        let mut command = serve_command(&data);
        command.arg("--config").arg(&config).arg("--workflows").arg(council_workflows()).envs(env.iter().copied());
        Server::spawn(command, data)
    }

    /// Starts `councilbot serve` as a newcomer would, with no configuration file: the sample
    /// council on its built-in defaults, from the repository's root.
    pub fn sample_council(env: &[(&str, &str)]) -> Server {
        let data = tempfile::tempdir().expect("temp dir");
        let mut command = serve_command(&data);
        command
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env_remove("COUNCILBOT_CONFIG")
            .env_remove("COUNCILBOT_WORKFLOWS")
            .env("COUNCILBOT_LISTEN", "127.0.0.1:0")
            .env("COUNCILBOT_LEGACY_PORTAL", "127.0.0.1:0");
        for (name, value) in env {
            command.env(name, value);
        }
        Server::spawn(command, data)
    }

    /// Runs the command and waits until it says where it listens.
    fn spawn(mut command: std::process::Command, data: tempfile::TempDir) -> Server {
        use std::io::BufRead;
        let mut child = command.spawn().expect("councilbot serve starts");
        let stderr = child.stderr.take().expect("stderr");
        let mut lines = std::io::BufReader::new(stderr).lines();
        let mut seen = Vec::new();
        let url = loop {
            let Some(Ok(line)) = lines.next() else {
                let _ = child.kill();
                panic!("councilbot serve stopped before listening:\n{}", seen.join("\n"));
            };
            if let Some(rest) = line.split(" at http://").nth(1) {
                break format!("http://{}", rest.trim());
            }
            seen.push(line);
        };
        // Keep reading what the server writes, so it never blocks on a full pipe.
        let log = std::sync::Arc::new(std::sync::Mutex::new(seen));
        let kept = log.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                kept.lock().unwrap().push(line);
            }
        });
        Server { url, data, child, log }
    }

    /// Adds a console account (password `correct horse battery staple`).
    pub fn add_staff(&self, username: &str, name: &str, role: &str) {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_councilbot"))
            .args(["--database-url", &self.database_url(), "staff", "add", username, "--name", name, "--role", role])
            .env("COUNCILBOT_STAFF_PASSWORD", STAFF_PASSWORD)
            .output()
            .expect("councilbot runs");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }

    /// Sends the server SIGHUP, which reloads its content and workflows.
    pub fn hang_up(&self) {
        let status = std::process::Command::new("kill")
            .args(["-HUP", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Stops the server with SIGKILL: it has no chance to record or release anything.
    pub fn kill(&mut self) {
        self.child.kill().expect("SIGKILL sent");
        self.child.wait().expect("the server ended");
    }

    /// The server's process id, which ends the instance name it records on the runs it holds.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the server has logged (warnings and errors).
    pub fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// Waits for a condition, failing after two minutes with what the server logged.
    pub fn eventually<T>(&self, what: &str, check: impl FnMut() -> Option<T>) -> T {
        wait_until(what, check, || self.log())
    }

    /// The server's database, to look at what it stored.
    pub fn database_url(&self) -> String {
        format!("sqlite://{}", self.data.path().join("councilbot.db").display())
    }
}

impl Drop for Server {
    /// Stops the server as a service manager would (SIGTERM, so it closes its browsers), and
    /// kills it if it has not stopped after a few seconds.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = std::process::Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
            for _ in 0..50 {
                if !matches!(self.child.try_wait(), Ok(None)) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a resident says to report a move dated last week, which a member of staff must approve.
pub const BACKDATED_MOVE: [&str; 7] = [
    "change my address for council tax",
    "40012345",
    "4 Mill Lane, Millford",
    "22 Station Road, Eastbrook",
    "EB1 2AB",
    "last friday",
    "yes",
];

/// A blocking client over the chat API.
pub struct Chat {
    pub runtime: tokio::runtime::Runtime,
    pub client: reqwest::Client,
    pub url: String,
    pub id: String,
}

impl Chat {
    pub fn start(server: &Server) -> Chat {
        http_client::install_crypto_provider();
        let client = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().expect("client");
        Chat::start_with(client, &server.url)
    }

    /// A conversation through `client` with the server at `url` (a council's own host name).
    pub fn start_with(client: reqwest::Client, url: &str) -> Chat {
        http_client::install_crypto_provider();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let url = url.to_string();
        let id = runtime.block_on(async {
            let body: Value =
                client.post(format!("{url}/api/v1/conversations")).send().await.unwrap().json().await.unwrap();
            body["id"].as_str().unwrap().to_string()
        });
        Chat { runtime, client, url, id }
    }

    pub fn say(&self, text: &str) -> Vec<Value> {
        self.runtime.block_on(async {
            let response = self
                .client
                .post(format!("{}/api/v1/conversations/{}/messages", self.url, self.id))
                .json(&json!({"text": text}))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200, "{text}");
            let body: Value = response.json().await.unwrap();
            body["replies"].as_array().unwrap().clone()
        })
    }

    pub fn transcript(&self) -> Vec<Value> {
        self.runtime.block_on(async {
            let body: Value = self
                .client
                .get(format!("{}/api/v1/conversations/{}", self.url, self.id))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            body["messages"].as_array().unwrap().clone()
        })
    }

    /// Waits until the transcript holds a message that `wanted` picks.
    pub fn wait_for(&self, what: &str, wanted: impl Fn(&Value) -> bool) -> Value {
        let started = Instant::now();
        loop {
            if let Some(found) = self.transcript().into_iter().find(|message| wanted(message)) {
                return found;
            }
            assert!(started.elapsed() < Duration::from_secs(120), "no {what} in {:#?}", self.transcript());
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

/// The sample council working its workflows on the practice back office.
pub fn council(portal: &PracticePortal) -> Server {
    council_with(portal, "", &[])
}

/// The sample council on the practice back office, with more configuration and environment.
pub fn council_with(portal: &PracticePortal, extra_config: &str, extra_env: &[(&str, &str)]) -> Server {
    council_on(&portal.portal.url(), extra_config, extra_env)
}

/// The sample council on the back office at `url`, with more configuration and environment.
pub fn council_on(url: &str, extra_config: &str, extra_env: &[(&str, &str)]) -> Server {
    let mut env = vec![
        ("COUNCILBOT_SYSTEM_ECSS_URL", url),
        ("COUNCILBOT_SECRET_ECSS_USER", legacy_portal::USER),
        ("COUNCILBOT_SECRET_ECSS_PASSWORD", legacy_portal::PASSWORD),
    ];
    env.extend_from_slice(extra_env);
    Server::start(extra_config, &env)
}

/// A reference script run with the platforms' own client libraries (`tests/reference`).
pub fn reference_script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference").join(name)
}

fn cache_dir() -> PathBuf {
    PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/root".into())).join(".cache/councilbot")
}

/// Node with the npm packages `./scripts/test` installs (`COUNCILBOT_NODE_MODULES`).
pub fn node(script: &str) -> std::process::Command {
    let modules = std::env::var("COUNCILBOT_NODE_MODULES")
        .map(PathBuf::from)
        .unwrap_or_else(|_| cache_dir().join("npm/node_modules"));
    assert!(
        modules.join("botframework-connector").is_dir() && modules.join("@microsoft/agents-activity").is_dir(),
        "the npm packages botframework-connector and @microsoft/agents-activity are missing from {}: \
         ./scripts/test installs them",
        modules.display()
    );
    let mut command = std::process::Command::new("node");
    command.arg(reference_script(script)).env("NODE_PATH", modules);
    command
}

/// Python with the PyPI packages `./scripts/test` installs (`COUNCILBOT_PYTHON`).
pub fn python(script: &str) -> std::process::Command {
    let python =
        std::env::var("COUNCILBOT_PYTHON").map(PathBuf::from).unwrap_or_else(|_| cache_dir().join("venv/bin/python"));
    assert!(
        python.exists(),
        "{} is missing: ./scripts/test makes it, with the twilio and notifications-python-client packages",
        python.display()
    );
    let mut command = std::process::Command::new(python);
    command.arg(reference_script(script));
    command
}

/// An HTTP server of the test's own, on a runtime of its own, for a platform that cannot be
/// reached from here.
pub struct LocalService {
    pub url: String,
    _runtime: tokio::runtime::Runtime,
}

impl LocalService {
    pub fn start(router: axum::Router) -> LocalService {
        LocalService::start_with(|_| router)
    }

    /// Starts a service whose routes need to know its own address.
    pub fn start_with(make: impl FnOnce(&str) -> axum::Router) -> LocalService {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("a free port");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let router = make(&url);
        runtime.spawn(async move { axum::serve(listener, router).await });
        LocalService { url, _runtime: runtime }
    }
}

fn wait_until<T>(what: &str, mut check: impl FnMut() -> Option<T>, log: impl Fn() -> String) -> T {
    let started = Instant::now();
    loop {
        if let Some(found) = check() {
            return found;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "timed out waiting for {what}\n{}", log());
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Reads server-sent events from a response until `enough` says to stop, or a time limit.
pub async fn read_events(
    response: reqwest::Response,
    enough: impl Fn(&[(String, String, Value)]) -> bool,
) -> Vec<(String, String, Value)> {
    use futures::StreamExt;
    let mut events = Vec::new();
    let mut buffer = String::new();
    let mut stream = response.bytes_stream();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !enough(&events) {
        let next = tokio::time::timeout_at(deadline, stream.next()).await;
        let Ok(Some(Ok(chunk))) = next else { break };
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let (mut name, mut id, mut data) = (String::new(), String::new(), String::new());
            for line in block.lines() {
                if let Some(value) = line.strip_prefix("event:") {
                    name = value.trim().to_string();
                } else if let Some(value) = line.strip_prefix("id:") {
                    id = value.trim().to_string();
                } else if let Some(value) = line.strip_prefix("data:") {
                    data.push_str(value.trim());
                }
            }
            if !name.is_empty() {
                events.push((name, id, serde_json::from_str(&data).unwrap_or(Value::Null)));
            }
        }
    }
    events
}

/// A TCP path to a server that a test can cut and restore, as when the server restarts:
/// while cut, every connection through it is closed and new ones are closed at once.
pub struct CuttablePath {
    /// The port to connect to instead of the server's.
    pub port: u16,
    open: std::sync::Arc<std::sync::atomic::AtomicBool>,
    connections: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl CuttablePath {
    /// Starts forwarding a free local port to `target`, on the test's runtime.
    pub async fn to(target: &str) -> CuttablePath {
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let port = listener.local_addr().expect("address").port();
        let open = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let connections = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (accepting, tracked, target) = (open.clone(), connections.clone(), target.to_string());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !accepting.load(Ordering::SeqCst) {
                    continue;
                }
                let target = target.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                tracked.lock().unwrap().push(task.abort_handle());
            }
        });
        CuttablePath { port, open, connections }
    }

    /// Closes every connection and refuses new ones until restored.
    pub fn cut(&self) {
        self.open.store(false, std::sync::atomic::Ordering::SeqCst);
        for connection in self.connections.lock().unwrap().drain(..) {
            connection.abort();
        }
    }

    /// Lets connections through again.
    pub fn restore(&self) {
        self.open.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Whether a text holds the test card's first two groups, with at most three separators between.
///
/// A bare "4111" is not enough: a timestamp's fraction of a second can hold it by chance.
pub fn holds_card_number(text: &str) -> bool {
    text.match_indices("4111").any(|(at, _)| {
        let mut rest = text[at + 4..].chars().peekable();
        let mut skipped = 0;
        while rest.peek().is_some_and(|c| !c.is_ascii_digit()) && skipped < 3 {
            rest.next();
            skipped += 1;
        }
        rest.take(4).collect::<String>() == "1111"
    })
}
