//! The configuration file (`councilbot.toml`) and the environment variables that override it.
//! Every option has a default that runs the sample council; secrets come only from the
//! environment or the secrets file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use bot::conversation::hours::ServiceHours;
use bot::conversation::{Council, EmergencyContacts, SafeguardingWording};
use bot::llm::ModelSettings;
use channels::console::oidc::{OidcConfig, OidcSettings};
use channels::settings::blank_is_unset;
use channels::sms::{SmsConfig, SmsSettings};
use channels::teams::{TeamsConfig, TeamsSettings};
use rpa::allowed_hosts::AllowedHosts;
use rpa::browser::BrowserConfig;
use rpa::runner::{AlertRules, MissedSchedules, RunnerConfig};
use rpa::workflow::DurationText;
use secrecy::SecretString;
use serde::Deserialize;

/// The options that hold secrets, with the variable each comes from instead of the file.
const SECRET_OPTIONS: [(&str, &str); 10] = [
    ("llm.api_key", "OPENAI_API_KEY"),
    ("console.oidc.client_secret", "COUNCILBOT_OIDC_CLIENT_SECRET"),
    ("server.metrics_token", "COUNCILBOT_METRICS_TOKEN"),
    ("sms.twilio.account_sid", "TWILIO_ACCOUNT_SID"),
    ("sms.twilio.auth_token", "TWILIO_AUTH_TOKEN"),
    ("sms.notify.api_key", "NOTIFY_API_KEY"),
    ("sms.notify.callback_token", "NOTIFY_CALLBACK_TOKEN"),
    ("teams.app_id", "MICROSOFT_APP_ID"),
    ("teams.app_password", "MICROSOFT_APP_PASSWORD"),
    ("teams.tenant_id", "MICROSOFT_APP_TENANT_ID"),
];

/// Whether a dotted option is set in a TOML table.
fn option_in(table: &toml::Table, option: &str) -> bool {
    let mut current = table;
    let mut parts = option.split('.').peekable();
    while let Some(part) = parts.next() {
        match current.get(part) {
            Some(toml::Value::Table(inner)) if parts.peek().is_some() => current = inner,
            Some(_) => return parts.peek().is_none(),
            None => return false,
        }
    }
    false
}

/// Where the configuration file is looked for when none is named.
pub const DEFAULT_CONFIG_FILE: &str = "councilbot.toml";

/// Everything `councilbot serve` can be told.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The HTTP server.
    pub server: ServerConfig,
    /// Where state is kept.
    pub database: DatabaseConfig,
    /// The council's content, indexed for answers.
    pub content: ContentConfig,
    /// The council the bot speaks for.
    pub council: Council,
    /// When people answer escalated conversations.
    pub hours: ServiceHours,
    /// Who to call in an emergency, by kind of danger.
    pub emergency: EmergencyContacts,
    /// What the bot says first about each kind of danger, in the council's own words.
    pub safeguarding: SafeguardingWording,
    /// The optional language model.
    pub llm: ModelSettings,
    /// Conversations: limits, thresholds and how long they are kept.
    pub conversations: ConversationConfig,
    /// The web chat: which sites may use it, and the address people reach it at.
    pub web: WebConfig,
    /// The supervisor console.
    pub console: ConsoleConfig,
    /// Text messages through Twilio or GOV.UK Notify.
    pub sms: SmsConfig,
    /// Microsoft Teams, through Azure Bot Service.
    pub teams: TeamsConfig,
    /// The browser that carries out workflows.
    pub browser: BrowserSetup,
    /// Where workflows may go.
    pub automation: AutomationConfig,
    /// The sample council's practice back office.
    pub sample: SampleConfig,
    /// The other councils this deployment serves beside the one this file describes.
    pub deployment: DeploymentConfig,
    /// Values the environment gave that are not valid, each naming its variable.
    #[serde(skip)]
    environment_problems: Vec<String>,
}

/// The browser that carries out workflows.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BrowserSetup {
    /// Whether `serve` installs Chromium and ChromeDriver from the distribution's packages when
    /// they are missing and it may (as root, or with `sudo` that needs no password).
    pub install_missing: bool,
    /// A WebDriver server to ask for browsers, such as a Selenium Grid (also
    /// `COUNCILBOT_WEBDRIVER_URL`); unset to start ChromeDriver here.
    #[serde(deserialize_with = "channels::settings::blank_is_unset")]
    pub webdriver_url: Option<String>,
    /// The ChromeDriver program (also `COUNCILBOT_CHROMEDRIVER`) [default: found on the `PATH`].
    pub chromedriver: Option<PathBuf>,
    /// The Chromium or Chrome program (also `COUNCILBOT_CHROME`) [default: the first found].
    pub chrome: Option<PathBuf>,
    /// Whether the browser runs without a window (also `COUNCILBOT_BROWSER_HEADLESS`, where
    /// `false` or `0` shows it).
    pub headless: bool,
}

impl Default for BrowserSetup {
    fn default() -> Self {
        let browser = BrowserConfig::default();
        BrowserSetup {
            install_missing: true,
            webdriver_url: browser.webdriver_url,
            chromedriver: browser.chromedriver,
            chrome: browser.chrome,
            headless: browser.headless,
        }
    }
}

impl BrowserSetup {
    /// Where browsers come from and how they run.
    pub fn browser_config(&self) -> BrowserConfig {
        BrowserConfig {
            webdriver_url: self.webdriver_url.clone(),
            chromedriver: self.chromedriver.clone(),
            chrome: self.chrome.clone(),
            headless: self.headless,
            ..BrowserConfig::default()
        }
    }
}

/// Where workflows may go. Workflow authors are trusted, so by default their steps go anywhere
/// (internal addresses and `file:` included); a council may limit where `open` and `http` go.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AutomationConfig {
    /// The hosts `open` and `http` steps may reach: host names, `*.example.gov.uk` for any host
    /// under a domain, or either with `:port`; empty for no limit.
    pub allowed_hosts: Vec<String>,
    /// How long a run stays held by an instance that stops renewing it, because it died (also
    /// `COUNCILBOT_RUN_LEASE`).
    pub run_lease: DurationText,
    /// The time limit of a step when neither the step nor its system gives one (also
    /// `COUNCILBOT_STEP_TIMEOUT`).
    pub step_timeout: DurationText,
    /// Base URLs that replace those the workflows give their systems, by system name (also
    /// `COUNCILBOT_SYSTEM_<NAME>_URL`, such as `COUNCILBOT_SYSTEM_ECSS_URL` for `ecss`).
    pub system_urls: BTreeMap<String, String>,
    /// The time zone workflow schedules are due in.
    pub time_zone: String,
    /// What happens to a schedule's due times missed while no instance was running: `once`
    /// runs it once, late, and says so; `skip` runs nothing until the next due time.
    pub missed_schedules: MissedSchedules,
    /// How many of a workflow's latest finished runs its failure rate is measured over.
    pub alert_runs: usize,
    /// The share of those runs failing at which supervisors are alerted (0 to 1).
    pub alert_failure_rate: f64,
    /// How often the workflows are checked for alerts.
    pub alert_check_every: DurationText,
    /// Values this council's workflows read as `run.council.NAME` (beside `run.council.name`),
    /// so that one workflow file serves several councils.
    pub settings: BTreeMap<String, String>,
    /// Workflow files or folders shared with other councils, read beside the council's own.
    pub shared_workflows: Vec<PathBuf>,
}

impl Default for AutomationConfig {
    fn default() -> Self {
        let runner = RunnerConfig::default();
        AutomationConfig {
            allowed_hosts: Vec::new(),
            run_lease: DurationText(runner.lease),
            step_timeout: DurationText(runner.step_timeout),
            system_urls: BTreeMap::new(),
            time_zone: "Europe/London".to_string(),
            missed_schedules: MissedSchedules::default(),
            alert_runs: AlertRules::default().runs,
            alert_failure_rate: AlertRules::default().failure_rate,
            alert_check_every: DurationText(std::time::Duration::from_secs(60)),
            settings: BTreeMap::new(),
            shared_workflows: Vec::new(),
        }
    }
}

/// The sample council's practice back office.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SampleConfig {
    /// Where `serve` runs the practice copy of ECSS the sample workflows use (also
    /// `COUNCILBOT_LEGACY_PORTAL`; `off` for none); without a configuration file, 127.0.0.1:8090.
    #[serde(deserialize_with = "blank_is_unset")]
    pub legacy_portal: Option<String>,
}

/// Where the practice back office runs when councilbot runs on its built-in defaults.
pub const SAMPLE_LEGACY_PORTAL: &str = "127.0.0.1:8090";

/// The web chat.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebConfig {
    /// Origins (such as `https://www.example.gov.uk`) whose pages may embed the widget and call
    /// the chat API; this server's own pages always may.
    pub allowed_origins: Vec<String>,
    /// The address people reach this server at, such as `https://chat.example.gov.uk` (also
    /// `COUNCILBOT_PUBLIC_URL`); over HTTPS, cookies are Secure and HSTS is sent.
    #[serde(deserialize_with = "channels::settings::blank_is_unset")]
    pub public_url: Option<String>,
    /// How long a live event stream stays open before the browser reconnects (and resumes).
    pub event_stream_seconds: u64,
    /// The host names residents reach this council at, such as `chat.eastbrook.gov.uk`, when
    /// one deployment serves several councils.
    pub hosts: Vec<String>,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig { allowed_origins: Vec::new(), public_url: None, event_stream_seconds: 1800, hosts: Vec::new() }
    }
}

/// The councils one deployment serves: the one the configuration file describes, which also
/// answers at any host no other council claims, and one more for each folder named here.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeploymentConfig {
    /// Folders of other councils, each holding its own `councilbot.toml`, `content/`,
    /// `workflows/` and `answers/`.
    pub councils: Vec<PathBuf>,
    /// The shared service's database, which holds its staff's accounts and councils
    /// [default: a SQLite file in `<data-dir>/shared/`].
    pub database_url: Option<String>,
}

/// Where the second sample council's folder is, from the repository's root.
pub const SAMPLE_SECOND_COUNCIL: &str = "councils/westbrook";

/// The host name the sample council is reached at when both sample councils run.
pub const SAMPLE_HOST: &str = "eastbrook.localhost";

/// The sample council's logo, shown when the repository's file for it is here.
pub const SAMPLE_LOGO: &str = "knowledge-base/eastbrook-logo.svg";

/// The supervisor console.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsoleConfig {
    /// The username of the admin account `serve` makes when there is no account at all.
    pub first_admin: String,
    /// Signing in with the council's accounts through OpenID Connect (Microsoft Entra ID).
    pub oidc: OidcConfig,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        ConsoleConfig { first_admin: "supervisor".into(), oidc: OidcConfig::default() }
    }
}

/// The HTTP server.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// The address to listen on (also `COUNCILBOT_LISTEN` or `--listen`).
    pub listen: String,
    /// How many workflow runs this instance works at once.
    pub workflow_workers: usize,
    /// Load balancers and proxies (addresses or networks such as `10.0.0.0/8`) whose
    /// `X-Forwarded-For` names the client; from anyone else the header is ignored.
    pub trusted_proxies: Vec<String>,
    /// How long a client may take to send a request's headers, in seconds; also how long a
    /// kept-alive connection waits for its next request.
    pub header_timeout_seconds: u64,
    /// How long a connection may send and receive nothing before it is closed, in seconds; more
    /// than 60, the longest a request is worked on.
    pub idle_timeout_seconds: u64,
    /// The most connections held open at once; more wait to be accepted.
    pub max_connections: usize,
    /// An address of its own to serve `/metrics` on (such as `127.0.0.1:9100`), instead of
    /// `listen`; unset to serve it on `listen`.
    #[serde(deserialize_with = "channels::settings::blank_is_unset")]
    pub metrics_listen: Option<String>,
    /// The bearer token Prometheus must send for `/metrics` (only from
    /// `COUNCILBOT_METRICS_TOKEN`).
    #[serde(skip)]
    pub metrics_token: Option<SecretString>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:8080".into(),
            workflow_workers: 4,
            trusted_proxies: Vec::new(),
            header_timeout_seconds: 15,
            idle_timeout_seconds: 75,
            max_connections: 10_000,
            metrics_listen: None,
            metrics_token: None,
        }
    }
}

/// Where state is kept.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite://PATH` or `postgres://USER@HOST/DB` (also `DATABASE_URL`); unset for a SQLite file
    /// in the data directory.
    #[serde(deserialize_with = "blank_is_unset")]
    pub url: Option<String>,
}

/// The council's content.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ContentConfig {
    /// Directories of pages (HTML, Markdown, text, PDF) to index.
    pub directories: Vec<PathBuf>,
    /// The website address pages without their own URL are given.
    pub base_url: String,
    /// Whether `serve` serves the pages as a website, each at its address's path under
    /// `base_url` (`/waste/bin-collection-days`), and links citations there rather than to
    /// `base_url` [default: only for the sample council, whose website does not exist].
    pub serve_site: Option<bool>,
    /// Whether `serve` brings the index up to date when it starts (unchanged pages are skipped).
    pub index_on_start: bool,
    /// The council's curated answers (one YAML file each), imported by `serve` when it starts
    /// if the directory exists; empty for none.
    pub answers_dir: PathBuf,
    /// The examples the council added to its services (one YAML file per service), imported by
    /// `serve` when it starts if the directory exists; empty for none.
    pub examples_dir: PathBuf,
    /// The council's own vocabulary, added to the built-in one: a file of lines of phrases
    /// that mean the same thing, separated by commas (residents' words, local names,
    /// abbreviations); empty for none.
    pub vocabulary: PathBuf,
}

impl Default for ContentConfig {
    fn default() -> Self {
        ContentConfig {
            directories: vec![PathBuf::from("knowledge-base/content")],
            base_url: SAMPLE_WEBSITE.into(),
            serve_site: None,
            index_on_start: true,
            answers_dir: PathBuf::from("knowledge-base/answers"),
            examples_dir: PathBuf::from("knowledge-base/examples"),
            vocabulary: PathBuf::new(),
        }
    }
}

/// The address the sample council's content gives its pages; no such website exists.
pub const SAMPLE_WEBSITE: &str = "https://www.eastbrook.gov.uk";

impl ContentConfig {
    /// Whether `serve` serves the pages as a website: as set, else for the sample council only.
    pub fn serves_site(&self) -> bool {
        self.serve_site.unwrap_or_else(|| self.base_url.trim_end_matches('/') == SAMPLE_WEBSITE)
    }
}

/// Conversations.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConversationConfig {
    /// Days a conversation (and a finished workflow run) is kept after it last changed.
    pub retention_days: u32,
    /// Messages a conversation may send a minute, on average.
    pub messages_per_minute: u32,
    /// Messages a conversation may send at once.
    pub message_burst: u32,
    /// Conversations one client address may start a minute.
    pub conversations_per_minute: u32,
    /// The longest message accepted, in characters.
    pub max_message_chars: usize,
    /// Questions in a row the bot may fail to answer before a person is brought in.
    pub unanswered_before_person: u32,
    /// The confidence (0 to 1) below which the bot says it does not know.
    pub min_confidence: f32,
    /// The same for questions asked in Welsh.
    pub min_confidence_welsh: f32,
    /// The score (0 to 1) at which a message is taken as a request for a service.
    pub intent_threshold: f32,
    /// The score (0 to 1), at least `intent_threshold`, at which a request's form starts
    /// without first asking whether it is wanted.
    pub intent_start_threshold: f32,
    /// The score (0 to 1) a question must reach against an example of a curated answer for that
    /// answer to be given.
    pub curated_answer_threshold: f32,
}

impl Default for ConversationConfig {
    fn default() -> Self {
        ConversationConfig {
            retention_days: 90,
            messages_per_minute: 30,
            message_burst: 10,
            conversations_per_minute: 20,
            max_message_chars: 2000,
            unanswered_before_person: 2,
            min_confidence: bot::answer::DEFAULT_MIN_CONFIDENCE,
            min_confidence_welsh: bot::answer::DEFAULT_MIN_CONFIDENCE_WELSH,
            intent_threshold: bot::language::intents::DEFAULT_INTENT_THRESHOLD,
            intent_start_threshold: bot::language::intents::DEFAULT_INTENT_START_THRESHOLD,
            curated_answer_threshold: bot::curated::DEFAULT_CURATED_ANSWER_THRESHOLD,
        }
    }
}

impl Config {
    /// Reads the configuration: the file named (which must exist), else `councilbot.toml` when
    /// present, else the defaults (the sample council); then the environment's overrides, with
    /// credentials also taken from the secrets file. Every problem is named.
    pub fn load(file: Option<&Path>, secrets_file: Option<&Path>) -> Result<Config> {
        let (config, _) = Config::read(file, secrets_file)?;
        let problems = config.problems();
        if !problems.is_empty() {
            bail!("the configuration is not valid:\n  {}", problems.join("\n  "));
        }
        Ok(config)
    }

    /// The configuration and the file it came from (none for the built-in defaults), not yet
    /// checked for problems.
    pub fn read(file: Option<&Path>, secrets_file: Option<&Path>) -> Result<(Config, Option<PathBuf>)> {
        let (mut config, source) = match file {
            Some(path) => (Config::from_file(path)?, Some(path.to_path_buf())),
            None if Path::new(DEFAULT_CONFIG_FILE).is_file() => {
                (Config::from_file(Path::new(DEFAULT_CONFIG_FILE))?, Some(PathBuf::from(DEFAULT_CONFIG_FILE)))
            }
            None => (
                Config {
                    sample: SampleConfig { legacy_portal: Some(SAMPLE_LEGACY_PORTAL.into()) },
                    deployment: sample_deployment(),
                    web: WebConfig { hosts: vec![SAMPLE_HOST.to_string()], ..WebConfig::default() },
                    council: Council {
                        logo: if Path::new(SAMPLE_LOGO).is_file() { SAMPLE_LOGO.into() } else { String::new() },
                        ..Council::default()
                    },
                    ..Config::default()
                },
                None,
            ),
        };
        let secrets = rpa::secrets::Secrets::load(secrets_file, std::env::vars())?;
        config.apply_environment(|name| {
            std::env::var(name).ok().or_else(|| secrets.get(&name.to_ascii_lowercase()).map(str::to_string))
        });
        config.apply_system_urls(std::env::vars());
        Ok((config, source))
    }

    /// Reads a configuration file as it is, without the environment's overrides.
    pub fn from_file(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        if let Ok(table) = text.parse::<toml::Table>() {
            let misplaced: Vec<String> = SECRET_OPTIONS
                .iter()
                .filter(|(option, _)| option_in(&table, option))
                .map(|(option, variable)| {
                    format!("{option}: a secret is not read from the configuration file; set {variable} in the environment or the secrets file")
                })
                .collect();
            if !misplaced.is_empty() {
                bail!("{}:\n  {}", path.display(), misplaced.join("\n  "));
            }
        }
        toml::from_str(&text).map_err(|error| anyhow::anyhow!("{}: {error}", path.display()))
    }

    /// Takes the values the environment sets, under the ecosystem's usual names where there is one.
    pub fn apply_environment(&mut self, var: impl Fn(&str) -> Option<String>) {
        let set = |name: &str| var(name).map(|value| value.trim().to_string()).filter(|value| !value.is_empty());
        if let Some(listen) = set("COUNCILBOT_LISTEN") {
            self.server.listen = listen;
        }
        if let Some(url) = set("DATABASE_URL") {
            self.database.url = Some(url);
        }
        if let Some(url) = set("OPENAI_BASE_URL") {
            self.llm.base_url = url;
        }
        if let Some(model) = set("OPENAI_MODEL") {
            self.llm.model = model;
        }
        if let Some(key) = set("OPENAI_API_KEY") {
            self.llm.api_key = Some(key.into());
        }
        if let Some(url) = set("COUNCILBOT_PUBLIC_URL") {
            self.web.public_url = Some(url);
        }
        if let Some(address) = set("COUNCILBOT_LEGACY_PORTAL") {
            self.sample.legacy_portal = (address != "off").then_some(address);
        }
        let identifiers: [(&str, &mut Option<String>); 3] = [
            ("TWILIO_ACCOUNT_SID", &mut self.sms.twilio.account_sid),
            ("MICROSOFT_APP_ID", &mut self.teams.app_id),
            ("MICROSOFT_APP_TENANT_ID", &mut self.teams.tenant_id),
        ];
        for (name, slot) in identifiers {
            if let Some(value) = set(name) {
                *slot = Some(value);
            }
        }
        let secrets: [(&str, &mut Option<SecretString>); 6] = [
            ("COUNCILBOT_OIDC_CLIENT_SECRET", &mut self.console.oidc.client_secret),
            ("COUNCILBOT_METRICS_TOKEN", &mut self.server.metrics_token),
            ("TWILIO_AUTH_TOKEN", &mut self.sms.twilio.auth_token),
            ("NOTIFY_API_KEY", &mut self.sms.notify.api_key),
            ("NOTIFY_CALLBACK_TOKEN", &mut self.sms.notify.callback_token),
            ("MICROSOFT_APP_PASSWORD", &mut self.teams.app_password),
        ];
        for (name, slot) in secrets {
            if let Some(value) = set(name) {
                *slot = Some(SecretString::from(value));
            }
        }
        if let Some(url) = set("COUNCILBOT_WEBDRIVER_URL") {
            self.browser.webdriver_url = Some(url);
        }
        if let Some(program) = set("COUNCILBOT_CHROMEDRIVER") {
            self.browser.chromedriver = Some(PathBuf::from(program));
        }
        if let Some(program) = set("COUNCILBOT_CHROME") {
            self.browser.chrome = Some(PathBuf::from(program));
        }
        if let Some(headless) = set("COUNCILBOT_BROWSER_HEADLESS") {
            self.browser.headless = headless != "false" && headless != "0";
        }
        let durations: [(&str, &mut DurationText); 2] = [
            ("COUNCILBOT_RUN_LEASE", &mut self.automation.run_lease),
            ("COUNCILBOT_STEP_TIMEOUT", &mut self.automation.step_timeout),
        ];
        for (name, slot) in durations {
            if let Some(text) = set(name) {
                match DurationText::parse(&text) {
                    Ok(duration) => *slot = duration,
                    Err(problem) => self.environment_problems.push(format!("{name}: {problem}")),
                }
            }
        }
    }

    /// Takes the systems' base URLs the environment gives, as `COUNCILBOT_SYSTEM_<NAME>_URL`
    /// (`ecss` from `COUNCILBOT_SYSTEM_ECSS_URL`), over those of the file.
    pub fn apply_system_urls(&mut self, vars: impl IntoIterator<Item = (String, String)>) {
        for (key, value) in vars {
            let Some(name) = key.strip_prefix("COUNCILBOT_SYSTEM_").and_then(|rest| rest.strip_suffix("_URL")) else {
                continue;
            };
            if !value.trim().is_empty() {
                self.automation.system_urls.insert(name.to_ascii_lowercase(), value.trim().to_string());
            }
        }
    }

    /// How workflows are run, from `[automation]` and `[browser]`; the error names the option.
    pub fn runner_config(&self) -> Result<RunnerConfig, String> {
        let automation = &self.automation;
        let allowed_hosts = AllowedHosts::parse(&automation.allowed_hosts)
            .map_err(|problem| format!("automation.allowed_hosts: {problem}"))?;
        let time_zone = rpa::runner::time_zone(&automation.time_zone)
            .map_err(|problem| format!("automation.time_zone: {problem}"))?;
        if !(0.0..=1.0).contains(&automation.alert_failure_rate) || automation.alert_runs == 0 {
            return Err(format!(
                "automation.alert_failure_rate must be from 0 to 1 and automation.alert_runs at least 1 (they are {} and {})",
                automation.alert_failure_rate, automation.alert_runs
            ));
        }
        Ok(RunnerConfig {
            time_zone,
            alert_rules: AlertRules { runs: automation.alert_runs, failure_rate: automation.alert_failure_rate },
            missed_schedules: automation.missed_schedules,
            lease: automation.run_lease.0,
            step_timeout: automation.step_timeout.0,
            browsers: self.browser.browser_config(),
            system_urls: automation.system_urls.clone(),
            allowed_hosts,
            council: self.council_for_workflows(),
            ..RunnerConfig::default()
        })
    }

    /// The council as its workflows read it at `run.council`: its name, phone numbers and
    /// website, and the settings `[automation] settings` gives.
    fn council_for_workflows(&self) -> serde_json::Map<String, serde_json::Value> {
        let council = &self.council;
        let mut values: serde_json::Map<String, serde_json::Value> = [
            ("name", &council.name),
            ("phone", &council.phone),
            ("out_of_hours_phone", &council.out_of_hours_phone),
            ("website", &council.website),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_string(), serde_json::Value::String(value.clone())))
        .collect();
        for (name, value) in &self.automation.settings {
            values.insert(name.clone(), serde_json::Value::String(value.clone()));
        }
        values
    }

    /// The configuration proven valid, with the channels and the runner it sets up; otherwise
    /// every problem, each naming the option.
    pub fn validate(self) -> Result<Validated, Vec<String>> {
        let mut problems = self.general_problems();
        let components = self.components();
        let runner = self.runner_config();
        match (components, runner) {
            (Ok((oidc, sms, teams)), Ok(runner)) if problems.is_empty() => {
                Ok(Validated { config: self, oidc, sms, teams, runner })
            }
            (components, runner) => {
                problems.extend(components.err().unwrap_or_default());
                if let Err(problem) = runner
                    && !problems.contains(&problem)
                {
                    problems.push(problem);
                }
                Err(problems)
            }
        }
    }

    /// What the configuration switches on (signing in through OpenID Connect, texts, Teams), or
    /// every problem with them.
    fn components(&self) -> Result<Components, Vec<String>> {
        let public_url = self.web.public_url.as_deref();
        let oidc = self.console.oidc.validate(public_url);
        let sms = self.sms.validate(public_url, &self.council);
        let teams = self.teams.validate(public_url, &self.council.name);
        match (oidc, sms, teams) {
            (Ok(oidc), Ok(sms), Ok(teams)) => Ok((oidc, sms, teams)),
            (oidc, sms, teams) => Err([oidc.err(), sms.err(), teams.err()].into_iter().flatten().flatten().collect()),
        }
    }

    /// Every problem with the configuration, each naming the option.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = self.general_problems();
        problems.extend(self.components().err().unwrap_or_default());
        problems
    }

    /// The problems outside the channels' own options.
    fn general_problems(&self) -> Vec<String> {
        let mut problems = self.environment_problems.clone();
        if self.server.listen.parse::<std::net::SocketAddr>().is_err() {
            problems.push(format!("server.listen: `{}` is not an address such as 127.0.0.1:8080", self.server.listen));
        }
        if self.server.workflow_workers == 0 {
            problems.push("server.workflow_workers: must be at least 1".into());
        }
        if let Some(metrics_listen) = &self.server.metrics_listen
            && metrics_listen.parse::<std::net::SocketAddr>().is_err()
        {
            problems
                .push(format!("server.metrics_listen: `{metrics_listen}` is not an address such as 127.0.0.1:9100"));
        }
        if !channels::console::accounts::is_username(&self.console.first_admin) {
            problems.push(format!(
                "console.first_admin: `{}` is not a username (one word of up to 100 characters)",
                self.console.first_admin
            ));
        }
        if let Err(problem) = channels::client::TrustedProxies::parse(&self.server.trusted_proxies) {
            problems.push(format!("server.trusted_proxies: {problem}"));
        }
        if self.server.header_timeout_seconds == 0 {
            problems.push("server.header_timeout_seconds: must be at least 1".into());
        }
        if self.server.idle_timeout_seconds <= 60 {
            problems.push(format!(
                "server.idle_timeout_seconds: {} must be more than 60, the longest a request is worked on",
                self.server.idle_timeout_seconds
            ));
        }
        if self.server.max_connections < 16 {
            problems.push("server.max_connections: must be at least 16".into());
        }
        problems.extend(self.hours.problems());
        problems.extend(self.llm.problems());
        let conversations = &self.conversations;
        if !(0.0..=1.0).contains(&conversations.min_confidence) {
            problems.push(format!("conversations.min_confidence: {} is outside 0 to 1", conversations.min_confidence));
        }
        if !(0.0..=1.0).contains(&conversations.min_confidence_welsh) {
            problems.push(format!(
                "conversations.min_confidence_welsh: {} is outside 0 to 1",
                conversations.min_confidence_welsh
            ));
        }
        if !(0.0..=1.0).contains(&conversations.intent_threshold) {
            problems
                .push(format!("conversations.intent_threshold: {} is outside 0 to 1", conversations.intent_threshold));
        }
        if !(conversations.intent_threshold..=1.0).contains(&conversations.intent_start_threshold) {
            problems.push(format!(
                "conversations.intent_start_threshold: {} is outside {} (conversations.intent_threshold) to 1",
                conversations.intent_start_threshold, conversations.intent_threshold
            ));
        }
        if !(0.0..=1.0).contains(&conversations.curated_answer_threshold) {
            problems.push(format!(
                "conversations.curated_answer_threshold: {} is outside 0 to 1",
                conversations.curated_answer_threshold
            ));
        }
        if conversations.messages_per_minute == 0 || conversations.message_burst == 0 {
            problems.push("conversations.messages_per_minute and message_burst must be at least 1".into());
        }
        if conversations.max_message_chars == 0 {
            problems.push("conversations.max_message_chars: must be at least 1".into());
        }
        if conversations.retention_days == 0 {
            problems.push("conversations.retention_days: must be at least 1".into());
        }
        for origin in &self.web.allowed_origins {
            let host = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"))
                .map(|rest| rest.trim_end_matches('/'));
            if !host.is_some_and(|host| !host.is_empty() && !host.contains('/') && !host.contains(char::is_whitespace))
            {
                problems.push(format!(
                    "web.allowed_origins: `{origin}` is not an origin such as https://www.example.gov.uk"
                ));
            }
        }
        let colour = &self.council.colour;
        if !(colour.len() == 7 && colour.starts_with('#') && colour[1..].bytes().all(|byte| byte.is_ascii_hexdigit())) {
            problems.push(format!("council.colour: `{colour}` is not a colour such as #1d70b8"));
        }
        for (danger, placeholder) in self.safeguarding.unknown_placeholders() {
            problems.push(format!(
                "safeguarding.{danger}: `{placeholder}` is not a placeholder; the wording may use {{phone}} and {{out_of_hours_phone}}"
            ));
        }
        if !self.council.logo.is_empty()
            && let Err(problem) = channels::look::Logo::read(Path::new(&self.council.logo))
        {
            problems.push(problem);
        }
        for host in &self.web.hosts {
            if !is_host_name(host) {
                problems.push(format!(
                    "web.hosts: `{host}` is not a host name such as chat.eastbrook.gov.uk (lower case, no scheme or port)"
                ));
            }
        }
        if let Some(public_url) = &self.web.public_url
            && !public_url.starts_with("http")
        {
            problems.push(format!("web.public_url: `{public_url}` is not an http or https address"));
        }
        if let Some(address) = &self.sample.legacy_portal
            && address != "off"
            && address.parse::<std::net::SocketAddr>().is_err()
        {
            problems.push(format!("sample.legacy_portal: `{address}` is not an address such as 127.0.0.1:8090"));
        }
        if let Err(problem) = rpa::allowed_hosts::AllowedHosts::parse(&self.automation.allowed_hosts) {
            problems.push(format!("automation.allowed_hosts: {problem}"));
        }
        problems
    }
}

/// The other sample council, when the repository's folder for it is here.
fn sample_deployment() -> DeploymentConfig {
    let folder = PathBuf::from(SAMPLE_SECOND_COUNCIL);
    DeploymentConfig { councils: if folder.is_dir() { vec![folder] } else { Vec::new() }, database_url: None }
}

/// Whether a text is a host name as a browser sends it: lower-case labels of letters, digits
/// and hyphens, joined by dots.
fn is_host_name(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
        })
}

/// The optional components a configuration switches on, once checked.
type Components = (Option<OidcSettings>, Option<SmsSettings>, Option<TeamsSettings>);

/// A configuration without problems, with the channels and the runner it sets up.
pub struct Validated {
    /// The configuration.
    pub config: Config,
    /// Signing in to the console through OpenID Connect, when an issuer is named.
    pub oidc: Option<OidcSettings>,
    /// Texts, when Twilio or Notify is set up.
    pub sms: Option<SmsSettings>,
    /// Microsoft Teams, when the bot's app id is given.
    pub teams: Option<TeamsSettings>,
    /// How workflows are run.
    pub runner: RunnerConfig,
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use secrecy::ExposeSecret;

    use super::*;

    /// The TOML example in docs/configuration.md.
    fn documented_example() -> &'static str {
        let guide = include_str!("../docs/configuration.md");
        let start = guide.find("```toml\n").expect("a TOML example") + "```toml\n".len();
        &guide[start..start + guide[start..].find("```").expect("the example ends")]
    }

    /// The options a table of the configuration takes, as serde names them when refusing an
    /// unknown one; empty for a table that takes any key.
    fn options_of(table: &str) -> Vec<String> {
        let probe = format!("[{table}]\nnot_an_option_at_all = 1\n");
        let Err(error) = toml::from_str::<Config>(&probe) else { return Vec::new() };
        let error = error.to_string();
        let Some(expected) = error.find("unknown field").and_then(|at| error[at..].find("expected").map(|to| at + to))
        else {
            return Vec::new();
        };
        error[expected..].split('`').skip(1).step_by(2).map(str::to_string).collect()
    }

    #[test]
    fn every_option_in_the_code_is_in_the_documented_example() {
        let example = documented_example();
        let documented: toml::Table = example.parse().expect("the documented example is TOML");
        let written = |option: &str| {
            example.lines().any(|line| {
                let line = line.trim_start().trim_start_matches('#').trim_start();
                line.strip_prefix(option).is_some_and(|rest| rest.trim_start().starts_with('='))
            })
        };
        let mut missing = Vec::new();
        let mut tables = vec![(String::new(), &documented)];
        while let Some((path, table)) = tables.pop() {
            let options = if path.is_empty() {
                [
                    "server",
                    "database",
                    "content",
                    "council",
                    "hours",
                    "emergency",
                    "safeguarding",
                    "llm",
                    "conversations",
                ]
                .into_iter()
                .chain(["web", "console", "sms", "teams", "browser", "automation", "sample", "deployment"])
                .map(str::to_string)
                .collect()
            } else {
                options_of(&path)
            };
            for option in options {
                let dotted = if path.is_empty() { option.clone() } else { format!("{path}.{option}") };
                match table.get(&option) {
                    Some(toml::Value::Table(inner)) => tables.push((dotted, inner)),
                    Some(_) => {}
                    None if written(&option) => {}
                    None => missing.push(dotted),
                }
            }
        }
        assert!(missing.is_empty(), "options missing from docs/configuration.md: {missing:?}");
        assert!(options_of("sms.twilio").contains(&"messaging_service_sid".to_string()), "the probe finds options");
    }

    #[test]
    fn every_environment_variable_read_is_documented() {
        let guide = include_str!("../docs/configuration.md");
        let asked = std::cell::RefCell::new(Vec::new());
        Config::default().apply_environment(|name| {
            asked.borrow_mut().push(name.to_string());
            None
        });
        let asked = asked.into_inner();
        assert!(asked.len() > 20, "{asked:?}");
        let undocumented: Vec<&String> = asked.iter().filter(|name| !guide.contains(&format!("`{name}`"))).collect();
        assert!(undocumented.is_empty(), "variables missing from docs/configuration.md: {undocumented:?}");
        assert!(guide.contains("`COUNCILBOT_SYSTEM_<NAME>_URL`"));
    }

    #[test]
    fn the_runner_and_browser_settings_come_from_the_file_with_the_environment_over_it() {
        let mut config: Config = toml::from_str(
            "[automation]\nrun_lease = \"2m\"\nstep_timeout = \"45s\"\nsystem_urls = { ecss = \"http://file\" }\n\
             [browser]\nheadless = false\nchrome = \"/opt/chrome\"\n",
        )
        .unwrap();
        config.apply_environment(|name| match name {
            "COUNCILBOT_RUN_LEASE" => Some("1s".into()),
            "COUNCILBOT_WEBDRIVER_URL" => Some("http://grid:4444".into()),
            "COUNCILBOT_BROWSER_HEADLESS" => Some("true".into()),
            _ => None,
        });
        config.apply_system_urls([("COUNCILBOT_SYSTEM_ECSS_URL".to_string(), "http://environment".to_string())]);
        let runner = config.runner_config().unwrap();
        assert_eq!((runner.lease, runner.step_timeout), (Duration::from_secs(1), Duration::from_secs(45)));
        assert_eq!(runner.system_urls["ecss"], "http://environment");
        assert_eq!(runner.browsers.webdriver_url.as_deref(), Some("http://grid:4444"));
        assert_eq!(runner.browsers.chrome, Some(PathBuf::from("/opt/chrome")));
        assert!(runner.browsers.headless);
        let mut wrong = Config::default();
        wrong.apply_environment(|name| (name == "COUNCILBOT_STEP_TIMEOUT").then(|| "soon".into()));
        let problems = wrong.problems();
        assert!(problems.iter().any(|problem| problem.starts_with("COUNCILBOT_STEP_TIMEOUT: `soon`")), "{problems:?}");
    }

    #[test]
    fn signing_in_through_an_issuer_needs_its_client_and_a_way_back() {
        let config: Config = toml::from_str("[console.oidc]\nissuer = \"https://login.example/v2.0\"\n").unwrap();
        let problems = config.problems().join("\n");
        for expected in ["console.oidc.client_id", "COUNCILBOT_OIDC_CLIENT_SECRET", "console.oidc.redirect_url"] {
            assert!(problems.contains(expected), "{expected} in:\n{problems}");
        }
        let mut config: Config = toml::from_str(
            "[web]\npublic_url = \"https://chat.example.gov.uk/\"\n[console.oidc]\nissuer = \"https://login.example/v2.0\"\nclient_id = \"c\"\n",
        )
        .unwrap();
        config.apply_environment(|name| (name == "COUNCILBOT_OIDC_CLIENT_SECRET").then(|| "s".into()));
        let valid = config.validate().unwrap_or_else(|problems| panic!("{problems:?}"));
        let oidc = valid.oidc.expect("signing in through the issuer is on");
        assert_eq!(oidc.redirect_url, "https://chat.example.gov.uk/console/oidc/callback");
    }

    #[test]
    fn a_channel_set_up_wrongly_is_refused_never_left_off() {
        let mut config = Config::default();
        config.apply_environment(|name| match name {
            "NOTIFY_API_KEY" => Some("not-a-key".into()),
            "NOTIFY_CALLBACK_TOKEN" => Some("token".into()),
            _ => None,
        });
        config.sms.notify.template_id = Some("template".into());
        let Err(problems) = config.validate() else { panic!("a Notify key that is not one is refused") };
        assert!(problems.iter().any(|problem| problem.starts_with("sms.notify: NOTIFY_API_KEY")), "{problems:?}");
        let valid = Config::default().validate().unwrap_or_else(|problems| panic!("{problems:?}"));
        assert!(valid.sms.is_none() && valid.teams.is_none(), "no channel is on by default");
    }

    #[test]
    fn the_environment_overrides_the_file() {
        let mut config: Config =
            toml::from_str("[server]\nlisten = \"0.0.0.0:9000\"\n[llm]\nmodel = \"small\"\n").unwrap();
        config.apply_environment(|name| match name {
            "DATABASE_URL" => Some("postgres://db/councilbot".into()),
            "OPENAI_API_KEY" => Some("sk-test".into()),
            _ => None,
        });
        assert_eq!(config.server.listen, "0.0.0.0:9000");
        assert_eq!(config.database.url.as_deref(), Some("postgres://db/councilbot"));
        assert_eq!(config.llm.model, "small");
        assert_eq!(config.llm.api_key.as_ref().map(|key| key.expose_secret()), Some("sk-test"));
    }

    #[test]
    fn only_the_sample_council_has_its_pages_served_unless_told() {
        assert!(Config::default().content.serves_site(), "the sample council's website does not exist");
        let real: Config = toml::from_str("[content]\nbase_url = \"https://www.example.gov.uk\"\n").unwrap();
        assert!(!real.content.serves_site(), "a real council's pages are on its own website");
        let told: Config =
            toml::from_str("[content]\nbase_url = \"https://www.example.gov.uk\"\nserve_site = true\n").unwrap();
        assert!(told.content.serves_site());
        let sample_off: Config = toml::from_str("[content]\nserve_site = false\n").unwrap();
        assert!(!sample_off.content.serves_site());
    }

    #[test]
    fn the_documented_options_and_defaults_are_the_real_ones() {
        let documented: Config = toml::from_str(documented_example()).expect("the documented example is valid");
        assert!(documented.problems().is_empty(), "{:?}", documented.problems());
        let defaults = Config::default();
        assert_eq!(documented.server.listen, defaults.server.listen);
        assert_eq!(documented.server.workflow_workers, defaults.server.workflow_workers);
        assert_eq!(documented.server.metrics_listen, defaults.server.metrics_listen);
        assert_eq!(documented.console.first_admin, defaults.console.first_admin);
        let (a, b) = (&documented.server, &defaults.server);
        assert_eq!(
            (&a.trusted_proxies, a.header_timeout_seconds, a.idle_timeout_seconds, a.max_connections),
            (&b.trusted_proxies, b.header_timeout_seconds, b.idle_timeout_seconds, b.max_connections)
        );
        assert_eq!(documented.teams.allowed_service_urls, defaults.teams.allowed_service_urls);
        assert_eq!(documented.content.directories, defaults.content.directories);
        assert_eq!(documented.content.answers_dir, defaults.content.answers_dir);
        assert_eq!(documented.content.examples_dir, defaults.content.examples_dir);
        assert_eq!(documented.content.vocabulary, defaults.content.vocabulary);
        assert_eq!(documented.council, defaults.council);
        assert_eq!(documented.hours, defaults.hours);
        assert_eq!(serde_json::to_value(&documented.llm).unwrap(), serde_json::to_value(&defaults.llm).unwrap());
        let (a, b) = (&documented.conversations, &defaults.conversations);
        assert_eq!(
            (a.retention_days, a.messages_per_minute, a.message_burst, a.max_message_chars, a.unanswered_before_person),
            (b.retention_days, b.messages_per_minute, b.message_burst, b.max_message_chars, b.unanswered_before_person)
        );
        assert_eq!(
            (a.min_confidence, a.min_confidence_welsh, a.intent_threshold, a.curated_answer_threshold),
            (b.min_confidence, b.min_confidence_welsh, b.intent_threshold, b.curated_answer_threshold)
        );
        assert_eq!(a.intent_start_threshold, b.intent_start_threshold);
        let (a, b) = (&documented.sms, &defaults.sms);
        assert_eq!(
            (a.max_segments, a.reply_within_seconds, a.continue_within_hours, &a.twilio.api_url, &a.notify.api_url),
            (b.max_segments, b.reply_within_seconds, b.continue_within_hours, &b.twilio.api_url, &b.notify.api_url)
        );
        assert_eq!(a.answer_feedback, b.answer_feedback);
        let (a, b) = (&documented.teams, &defaults.teams);
        assert_eq!(
            (&a.openid_metadata_url, &a.login_url, &a.token_url),
            (&b.openid_metadata_url, &b.login_url, &b.token_url)
        );
        let (a, b) = (&documented.browser, &defaults.browser);
        assert_eq!(
            (a.install_missing, &a.webdriver_url, &a.chromedriver, &a.chrome, a.headless),
            (b.install_missing, &b.webdriver_url, &b.chromedriver, &b.chrome, b.headless)
        );
        let (a, b) = (&documented.automation, &defaults.automation);
        assert_eq!(
            (&a.allowed_hosts, a.run_lease, a.step_timeout, &a.system_urls, &a.time_zone, a.missed_schedules),
            (&b.allowed_hosts, b.run_lease, b.step_timeout, &b.system_urls, &b.time_zone, b.missed_schedules)
        );
        assert_eq!(
            (
                documented.automation.alert_runs,
                documented.automation.alert_failure_rate,
                documented.automation.alert_check_every
            ),
            (
                defaults.automation.alert_runs,
                defaults.automation.alert_failure_rate,
                defaults.automation.alert_check_every
            )
        );
        let (a, b) = (&documented.sms, &defaults.sms);
        assert_eq!(
            (&a.twilio.from, &a.twilio.messaging_service_sid, &a.notify.template_id, &a.notify.sms_sender_id),
            (&b.twilio.from, &b.twilio.messaging_service_sid, &b.notify.template_id, &b.notify.sms_sender_id)
        );
        assert_eq!(
            (&documented.teams.staff_tenant, &documented.teams.supervisors),
            (&defaults.teams.staff_tenant, &defaults.teams.supervisors)
        );
        assert_eq!(documented.sample.legacy_portal, defaults.sample.legacy_portal);
        assert_eq!(
            documented.emergency.self_harm, defaults.emergency.self_harm,
            "unlisted dangers keep their defaults"
        );
    }

    #[test]
    fn a_safeguarding_wording_naming_a_placeholder_there_is_not_is_refused() {
        let config: Config =
            toml::from_str("[safeguarding]\nhomeless = \"Call {housing_phone} or {out_of_hours_phone}\"\n").unwrap();
        let problems = config.problems().join("\n");
        assert!(problems.contains("safeguarding.homeless: `{housing_phone}` is not a placeholder"), "{problems}");
        assert!(!problems.contains("{out_of_hours_phone}` is not"), "{problems}");
    }

    #[test]
    fn a_logo_that_is_not_an_image_file_is_refused() {
        let config: Config = toml::from_str("[council]\nlogo = \"no-such-logo.svg\"\n").unwrap();
        assert!(config.problems().join("\n").contains("council.logo: cannot read no-such-logo.svg"));
        let config: Config = toml::from_str("[council]\nlogo = \"Cargo.toml\"\n").unwrap();
        assert!(config.problems().join("\n").contains("council.logo: Cargo.toml is not an SVG, PNG or JPEG file"));
    }

    #[test]
    fn channels_need_their_credentials_and_addresses() {
        let mut config = Config::default();
        config.apply_environment(|name| match name {
            "TWILIO_ACCOUNT_SID" => Some("AC123".into()),
            "NOTIFY_API_KEY" => Some("not-a-key".into()),
            "MICROSOFT_APP_ID" => Some("app".into()),
            _ => None,
        });
        let problems = config.problems().join("\n");
        for expected in [
            "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are needed together",
            "sms.twilio.from",
            "web.public_url: needed for Twilio",
            "sms.notify: NOTIFY_API_KEY is",
            "sms.notify.template_id",
            "NOTIFY_CALLBACK_TOKEN",
            "MICROSOFT_APP_PASSWORD is needed",
        ] {
            assert!(problems.contains(expected), "{expected} in:\n{problems}");
        }
        assert!(Config::default().problems().is_empty(), "no channel is on by default");
    }

    #[test]
    fn the_metrics_token_comes_only_from_the_environment_and_the_first_admin_is_a_username() {
        let directory = tempfile::tempdir().unwrap();
        let file = directory.path().join("councilbot.toml");
        std::fs::write(&file, "[server]\nmetrics_token = \"abc\"\n").unwrap();
        let error = Config::load(Some(&file), None).unwrap_err().to_string();
        assert!(error.contains("server.metrics_token") && error.contains("COUNCILBOT_METRICS_TOKEN"), "{error}");
        let mut config: Config =
            toml::from_str("[server]\nmetrics_listen = \"nowhere\"\n[console]\nfirst_admin = \"two words\"\n").unwrap();
        config.apply_environment(|name| (name == "COUNCILBOT_METRICS_TOKEN").then(|| "from-the-environment".into()));
        assert_eq!(
            config.server.metrics_token.as_ref().map(|token| token.expose_secret()),
            Some("from-the-environment")
        );
        let problems = config.problems().join("\n");
        assert!(problems.contains("server.metrics_listen: `nowhere`"), "{problems}");
        assert!(problems.contains("console.first_admin: `two words`"), "{problems}");
        assert_eq!(Config::default().console.first_admin, "supervisor");
    }

    #[test]
    fn secrets_in_the_file_are_refused_with_the_variable_to_use() {
        let directory = tempfile::tempdir().unwrap();
        let file = directory.path().join("councilbot.toml");
        std::fs::write(
            &file,
            "[sms.twilio]\nfrom = \"+447700900000\"\nauth_token = \"abc\"\n[llm]\napi_key = \"sk\"\n",
        )
        .unwrap();
        let error = Config::load(Some(&file), None).unwrap_err().to_string();
        assert!(
            error.contains(
                "sms.twilio.auth_token: a secret is not read from the configuration file; set TWILIO_AUTH_TOKEN"
            ),
            "{error}"
        );
        assert!(error.contains("llm.api_key") && error.contains("OPENAI_API_KEY"), "{error}");
        assert!(!error.contains("abc"), "the secret itself is not repeated: {error}");
    }

    #[test]
    fn platform_credentials_can_come_from_a_private_secrets_file() {
        let directory = tempfile::tempdir().unwrap();
        let secrets = directory.path().join("secrets");
        std::fs::write(&secrets, "MICROSOFT_APP_ID=app\nMICROSOFT_APP_PASSWORD='from the file'\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&secrets, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let file = directory.path().join("councilbot.toml");
        std::fs::write(&file, "").unwrap();
        let (config, source) = Config::read(Some(&file), Some(&secrets)).unwrap();
        assert_eq!(source.as_deref(), Some(file.as_path()));
        assert_eq!(
            (
                config.teams.app_id.as_deref(),
                config.teams.app_password.as_ref().map(|password| password.expose_secret())
            ),
            (Some("app"), Some("from the file"))
        );
        assert!(config.sample.legacy_portal.is_none(), "a council's own file runs no practice back office");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&secrets, std::fs::Permissions::from_mode(0o644)).unwrap();
            let error = Config::read(Some(&file), Some(&secrets)).unwrap_err().to_string();
            assert!(error.contains("can be read by other users"), "{error}");
        }
    }

    #[test]
    fn allowed_hosts_that_are_not_hosts_are_named() {
        let config: Config =
            toml::from_str("[automation]\nallowed_hosts = [\"ecss.example.gov.uk\", \"https://x.example\"]\n").unwrap();
        let problems = config.problems();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with("automation.allowed_hosts: `https://x.example` is not a host name"),
            "{problems:?}"
        );
    }

    #[test]
    fn mistakes_are_named_by_option() {
        let error = toml::from_str::<Config>("[server]\nlisen = \"x\"\n").unwrap_err().to_string();
        assert!(error.contains("lisen"), "{error}");
        let config: Config =
            toml::from_str("[hours]\nmonday = \"nine to five\"\n[conversations]\nmin_confidence = 2.0\n").unwrap();
        let problems = config.problems();
        assert!(problems.iter().any(|problem| problem.starts_with("hours.monday")), "{problems:?}");
        assert!(problems.iter().any(|problem| problem.starts_with("conversations.min_confidence")), "{problems:?}");
    }
}
