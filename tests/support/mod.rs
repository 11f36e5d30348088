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
