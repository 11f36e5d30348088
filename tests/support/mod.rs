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
