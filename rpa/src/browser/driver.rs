//! A ChromeDriver that councilbot starts and watches itself when no WebDriver URL is configured.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal};
use tokio::process::{Child, Command};

use super::BrowserError;
use super::leftovers::DriverRecord;

/// How long ChromeDriver may take to say it is ready.
const STARTUP_LIMIT: Duration = Duration::from_secs(20);

/// A running ChromeDriver process, stopped when dropped together with every browser it
/// started (they share its process group), so no browser outlives it.
#[derive(Debug)]
pub struct ChromeDriver {
    child: Child,
    url: String,
    /// Its record, so that a later process can stop it if this one is killed.
    _record: Option<DriverRecord>,
}

impl ChromeDriver {
    /// Starts ChromeDriver on a free local port and waits until it accepts sessions, recorded
    /// in `records` when given.
    pub async fn start(binary: &Path, records: Option<&Path>) -> Result<ChromeDriver, BrowserError> {
        let port = free_port().map_err(|error| BrowserError::Unavailable(format!("no free local port: {error}")))?;
        let mut child = Command::new(binary)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .map_err(|error| {
                BrowserError::Unavailable(format!("cannot start ChromeDriver ({}): {error}", binary.display()))
            })?;
        let record = records.zip(child.id()).and_then(|(records, pid)| DriverRecord::new(records, pid));
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        let client = http_client::client_builder()
            .timeout(Duration::from_secs(2))
            .build()
            .map_err(|error| BrowserError::Unavailable(error.to_string()))?;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(BrowserError::Unavailable(format!(
                    "ChromeDriver ({}) exited at start: {status}",
                    binary.display()
                )));
            }
            if let Ok(response) = client.get(format!("{url}/status")).send().await
                && let Ok(body) = response.json::<serde_json::Value>().await
                && body.pointer("/value/ready").and_then(serde_json::Value::as_bool) == Some(true)
            {
                return Ok(ChromeDriver { child, url, _record: record });
            }
            if started.elapsed() > STARTUP_LIMIT {
                stop_group(&child);
                let _ = child.start_kill();
                return Err(BrowserError::Unavailable(format!(
                    "ChromeDriver ({}) did not become ready within {}s",
                    binary.display(),
                    STARTUP_LIMIT.as_secs()
                )));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Its WebDriver URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        stop_group(&self.child);
    }
}

/// Stops ChromeDriver's process group: ChromeDriver and the browsers it started.
fn stop_group(child: &Child) {
    let Some(group) = child.id().and_then(|pid| i32::try_from(pid).ok()).and_then(Pid::from_raw) else { return };
    // ChromeDriver was started as the leader of its own group; when it has gone already there is
    // nothing left to stop.
    let _ = rustix::process::kill_process_group(group, Signal::KILL);
}

/// The ChromeDriver program: the one configured, else `chromedriver` on the `PATH`, else the
/// places distributions install it.
pub fn find_chromedriver(configured: Option<&Path>) -> Option<PathBuf> {
    if let Some(path) = configured {
        return Some(path.to_path_buf());
    }
    find_program(&["chromedriver"], &["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"])
}

/// The Chromium or Chrome program: the one configured, else the first found.
pub fn find_chrome(configured: Option<&Path>) -> Option<PathBuf> {
    if let Some(path) = configured {
        return Some(path.to_path_buf());
    }
    find_program(
        &["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"],
        &["/usr/bin/chromium", "/usr/lib/chromium/chromium"],
    )
}

fn find_program(names: &[&str], fallbacks: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in names {
        for directory in std::env::split_paths(&path) {
            let candidate = directory.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    fallbacks.iter().map(PathBuf::from).find(|candidate| candidate.is_file())
}

fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}
