//! Browsers for workflow runs: one WebDriver session per run, from a configured WebDriver server
//! (such as a Selenium Grid) or from a ChromeDriver started and watched here.

mod driver;
mod leftovers;
mod locate;
mod page;
pub mod typing;

use std::path::PathBuf;

use fantoccini::ClientBuilder;
use fantoccini::error::{CmdError, NewSessionError};
use serde_json::json;
use tokio::sync::Mutex;

pub use driver::{ChromeDriver, find_chrome, find_chromedriver};
pub use locate::{How, Target, literal};
pub(crate) use page::key_text;
pub use page::{DialogAnswer, ELEMENT_KEY, Page, SelectBy, Wanted};

/// What went wrong in the browser.
#[derive(Debug, Clone, thiserror::Error)]
pub enum BrowserError {
    /// No browser could be had: nothing to start, or the WebDriver server refused.
    #[error("no browser available: {0}")]
    Unavailable(String),
    /// The browser or its session went away (it crashed, or was closed).
    #[error("the browser session was lost: {0}")]
    Lost(String),
    /// A command failed, or what it waited for did not happen in time.
    #[error("{0}")]
    Failed(String),
    /// A check on the page did not hold: what was expected and what was found.
    #[error("{0}")]
    CheckFailed(String),
}

impl BrowserError {
    /// Whether the session is gone, so a new one is needed.
    pub fn is_lost(&self) -> bool {
        matches!(self, BrowserError::Lost(_))
    }

    /// Whether a check on the page did not hold, rather than a command going wrong.
    pub fn is_check(&self) -> bool {
        matches!(self, BrowserError::CheckFailed(_))
    }

    /// An error from a WebDriver command, sorted into lost sessions and failed commands.
    pub fn from_command(doing: &str, error: CmdError) -> BrowserError {
        let text = error.to_string().to_ascii_lowercase();
        let crashed =
            ["tab crashed", "page crash", "session deleted", "chrome not reachable", "disconnected", "no such session"]
                .iter()
                .any(|sign| text.contains(sign));
        let lost = crashed
            || error.is_invalid_session_id()
            || error.is_no_such_window()
            || error.is_session_not_created()
            || matches!(error, CmdError::Lost(_) | CmdError::Failed(_) | CmdError::FailedC(_));
        if lost {
            BrowserError::Lost(format!("{doing}: {error}"))
        } else {
            BrowserError::Failed(format!("{doing}: {error}"))
        }
    }
}

/// Where browsers come from and how they run.
#[derive(Debug, Clone)]
pub struct BrowserConfig {
    /// A WebDriver server to ask for sessions (a Selenium Grid, a chromedriver already running);
    /// when unset, ChromeDriver is started here.
    pub webdriver_url: Option<String>,
    /// The ChromeDriver program [default: `chromedriver` on the `PATH`].
    pub chromedriver: Option<PathBuf>,
    /// The Chromium or Chrome program [default: the first found].
    pub chrome: Option<PathBuf>,
    /// Whether the browser runs without a window.
    pub headless: bool,
    /// The browser window's size in pixels.
    pub window: (u32, u32),
    /// A directory of the data directory where the ChromeDriver and browser profiles started
    /// here are recorded, so that what a killed process left behind is stopped and removed the
    /// next time browsers are started with the same directory [default: none recorded].
    pub records: Option<PathBuf>,
}

impl Default for BrowserConfig {
    fn default() -> Self {
        BrowserConfig {
            webdriver_url: None,
            chromedriver: None,
            chrome: None,
            headless: true,
            window: (1280, 1024),
            records: None,
        }
    }
}

impl BrowserConfig {
    /// The capabilities asked of the WebDriver server.
    pub fn capabilities(&self) -> serde_json::Map<String, serde_json::Value> {
        self.capabilities_with_profile(None)
    }

    /// The capabilities, with the browser keeping its profile in `profile` when given.
    fn capabilities_with_profile(
        &self,
        profile: Option<&std::path::Path>,
    ) -> serde_json::Map<String, serde_json::Value> {
        let mut args = vec![
            "--no-sandbox".to_string(),
            "--disable-dev-shm-usage".to_string(),
            "--disable-gpu".to_string(),
            "--disable-background-networking".to_string(),
            "--disable-component-update".to_string(),
            "--no-first-run".to_string(),
            "--disable-sync".to_string(),
            format!("--window-size={},{}", self.window.0, self.window.1),
        ];
        if self.headless {
            args.insert(0, "--headless=new".to_string());
        }
        if let Some(profile) = profile {
            args.push(format!("--user-data-dir={}", profile.display()));
        }
        let mut chrome_options = json!({ "args": args });
        if self.webdriver_url.is_none()
            && let Some(binary) = find_chrome(self.chrome.as_deref())
        {
            chrome_options["binary"] = json!(binary.display().to_string());
        }
        let capabilities = json!({
            "browserName": "chrome",
            "unhandledPromptBehavior": "ignore",
            "pageLoadStrategy": "normal",
            "goog:chromeOptions": chrome_options,
        });
        match capabilities {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        }
    }
}

/// Hands out browser sessions, starting ChromeDriver when needed and again if it dies.
#[derive(Debug)]
pub struct Browsers {
    config: BrowserConfig,
    driver: Mutex<Option<ChromeDriver>>,
}

impl Browsers {
    /// Browsers as configured; nothing starts until the first session is asked for. What an
    /// earlier process with the same records directory left running or on disk when it was
    /// killed is stopped and removed first.
    pub fn new(config: BrowserConfig) -> Browsers {
        if let Some(records) = &config.records {
            leftovers::clear(records);
        }
        Browsers { config, driver: Mutex::new(None) }
    }

    /// The configuration in use.
    pub fn config(&self) -> &BrowserConfig {
        &self.config
    }

    /// Stops the ChromeDriver started here, and every browser it started, at once; the next
    /// session asked for starts a new one.
    pub async fn stop(&self) {
        self.driver.lock().await.take();
    }

    /// A new browser session on a blank page.
    pub async fn open_page(&self) -> Result<Page, BrowserError> {
        let url = self.webdriver_url().await?;
        http_client::install_crypto_provider();
        // A browser started here keeps its profile in a directory of ours, removed when the
        // session ends, so runs leave nothing behind in the temporary directory.
        let profile = match self.config.webdriver_url {
            None => Some(
                leftovers::new_profile(self.config.records.as_deref())
                    .map_err(|error| BrowserError::Unavailable(format!("cannot make a browser profile: {error}")))?,
            ),
            Some(_) => None,
        };
        let mut builder = ClientBuilder::rustls().map_err(|error| BrowserError::Unavailable(error.to_string()))?;
        builder.capabilities(self.config.capabilities_with_profile(profile.as_ref().map(|profile| profile.path())));
        let client = builder.connect(&url).await.map_err(|error| match error {
            NewSessionError::Lost(_) | NewSessionError::Failed(_) | NewSessionError::FailedC(_) => {
                BrowserError::Unavailable(format!("cannot reach the WebDriver server at {url}: {error}"))
            }
            other => BrowserError::Unavailable(format!("the WebDriver server at {url} refused a session: {other}")),
        })?;
        Ok(Page::new(client).with_profile(profile))
    }

    /// The WebDriver URL to use: the configured one, or a local ChromeDriver's (started, or
    /// restarted if it died).
    async fn webdriver_url(&self) -> Result<String, BrowserError> {
        if let Some(url) = &self.config.webdriver_url {
            return Ok(url.clone());
        }
        let mut driver = self.driver.lock().await;
        if let Some(running) = driver.as_mut()
            && running.is_running()
        {
            return Ok(running.url().to_string());
        }
        let binary = find_chromedriver(self.config.chromedriver.as_deref()).ok_or_else(|| {
            BrowserError::Unavailable(
                "ChromeDriver was not found: install the `chromium` and `chromium-driver` packages, set \
                 COUNCILBOT_CHROMEDRIVER to the program, or set COUNCILBOT_WEBDRIVER_URL to a WebDriver server"
                    .to_string(),
            )
        })?;
        let started = ChromeDriver::start(&binary, self.config.records.as_deref()).await?;
        let url = started.url().to_string();
        *driver = Some(started);
        Ok(url)
    }
}
