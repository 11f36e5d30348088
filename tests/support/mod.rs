//! Runs the councilbot binary against temporary data directories.

use std::path::{Path, PathBuf};
use std::process::Output;

/// Where the sample council's pages without a canonical URL live.
pub const SAMPLE_BASE_URL: &str = "https://www.eastbrook.gov.uk";

/// The sample council's content.
pub fn sample_content() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge-base/content")
}

/// The sample council's golden set.
pub fn golden_set() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge-base/golden.yaml")
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

/// `councilbot serve` running on a free port over the sample council, stopped when dropped.
pub struct Server {
    pub url: String,
    pub data: tempfile::TempDir,
    child: std::process::Child,
}

impl Server {
    /// Starts the server with extra configuration (TOML) and environment variables.
    pub fn start(extra_config: &str, env: &[(&str, &str)]) -> Server {
        use std::io::BufRead;
        let data = tempfile::tempdir().expect("temp dir");
        let config = data.path().join("councilbot.toml");
        let content = sample_content();
        std::fs::write(
            &config,
            format!(
                "[server]\nlisten = \"127.0.0.1:0\"\n[content]\ndirectories = [{:?}]\nbase_url = \"{SAMPLE_BASE_URL}\"\n{extra_config}",
                content.display().to_string()
            ),
        )
        .expect("write config");
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_councilbot"));
        command
            .arg("--data-dir")
            .arg(data.path())
            .arg("--config")
            .arg(&config)
            .arg("--workflows")
            .arg(council_workflows())
            .arg("serve")
            .env_remove("DATABASE_URL")
            .env_remove("OPENAI_BASE_URL")
            .env_remove("OPENAI_API_KEY")
            .env_remove("COUNCILBOT_INDEX_DIR")
            .env("COUNCILBOT_LOG", "warn")
            .stderr(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null());
        for (name, value) in env {
            command.env(name, value);
        }
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
        std::thread::spawn(move || for _ in lines {});
        Server { url, data, child }
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

    /// The server's database, to look at what it stored.
    pub fn database_url(&self) -> String {
        format!("sqlite://{}", self.data.path().join("councilbot.db").display())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
