//! The configuration file (`councilbot.toml`) and the environment variables that override it.
//! Every option has a default that runs the sample council; secrets come only from the
//! environment or the secrets file.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use bot::conversation::hours::ServiceHours;
use bot::conversation::{Council, EmergencyContacts};
use bot::llm::ModelSettings;
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
}

/// The browser that carries out workflows.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BrowserSetup {
    /// Whether `serve` installs Chromium and ChromeDriver from the distribution's packages when
    /// they are missing and it may (as root, or with `sudo` that needs no password).
    pub install_missing: bool,
}

impl Default for BrowserSetup {
    fn default() -> Self {
        BrowserSetup { install_missing: true }
    }
}

/// Where workflows may go. Workflow authors are trusted, so by default their steps go anywhere
/// (internal addresses and `file:` included); a council may limit where `open` and `http` go.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AutomationConfig {
    /// The hosts `open` and `http` steps may reach: host names, `*.example.gov.uk` for any host
    /// under a domain, or either with `:port`; empty for no limit.
    pub allowed_hosts: Vec<String>,
}

/// The sample council's practice back office.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SampleConfig {
    /// Where `serve` runs the practice copy of ECSS the sample workflows use (also
    /// `COUNCILBOT_LEGACY_PORTAL`; `off` for none); without a configuration file, 127.0.0.1:8090.
    pub legacy_portal: String,
}

/// Where the practice back office runs when councilbot runs on its built-in defaults.
pub const SAMPLE_LEGACY_PORTAL: &str = "127.0.0.1:8090";

/// Text messages; credentials come only from the environment.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmsConfig {
    /// The most segments one reply may take (a segment is 160 plain characters, or 70 with
    /// characters outside the GSM alphabet); longer answers are shortened with a link.
    pub max_segments: usize,
    /// Seconds a reply may take to go back in Twilio's webhook answer; slower ones are sent after.
    pub reply_within_seconds: u64,
    /// Hours after the last message in which a text continues the same conversation.
    pub continue_within_hours: u64,
    /// Whether answers end with "Reply 1 if this helped or 2 if not"; a bare 1 or 2 right after
    /// such an answer is then taken as that feedback.
    pub answer_feedback: bool,
    /// Twilio (`TWILIO_ACCOUNT_SID`, `TWILIO_AUTH_TOKEN`).
    pub twilio: TwilioConfig,
    /// GOV.UK Notify (`NOTIFY_API_KEY`, `NOTIFY_CALLBACK_TOKEN`).
    pub notify: NotifyConfig,
}

impl Default for SmsConfig {
    fn default() -> Self {
        SmsConfig {
            max_segments: 3,
            reply_within_seconds: 4,
            continue_within_hours: 24,
            answer_feedback: false,
            twilio: TwilioConfig::default(),
            notify: NotifyConfig::default(),
        }
    }
}

/// Twilio.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TwilioConfig {
    /// The API's address.
    pub api_url: String,
    /// The council's number texts come from, such as `+447700900000`.
    pub from: String,
    /// The messaging service that sends texts (instead of `from`).
    pub messaging_service_sid: String,
    /// The account SID (only from `TWILIO_ACCOUNT_SID`).
    #[serde(skip)]
    pub account_sid: String,
    /// The auth token (only from `TWILIO_AUTH_TOKEN`).
    #[serde(skip)]
    pub auth_token: String,
}

impl Default for TwilioConfig {
    fn default() -> Self {
        TwilioConfig {
            api_url: channels::sms::twilio::DEFAULT_API_URL.into(),
            from: String::new(),
            messaging_service_sid: String::new(),
            account_sid: String::new(),
            auth_token: String::new(),
        }
    }
}

/// GOV.UK Notify.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotifyConfig {
    /// The API's address.
    pub api_url: String,
    /// The text message template whose whole body is `((message))`.
    pub template_id: String,
    /// The text sender to use, when not the service's default.
    pub sms_sender_id: String,
    /// The API key (only from `NOTIFY_API_KEY`).
    #[serde(skip)]
    pub api_key: String,
    /// The bearer token Notify sends to the callbacks (only from `NOTIFY_CALLBACK_TOKEN`).
    #[serde(skip)]
    pub callback_token: String,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            api_url: channels::sms::notify::DEFAULT_API_URL.into(),
            template_id: String::new(),
            sms_sender_id: String::new(),
            api_key: String::new(),
            callback_token: String::new(),
        }
    }
}

/// Microsoft Teams; credentials come only from the environment (`MICROSOFT_APP_ID`,
/// `MICROSOFT_APP_PASSWORD`, `MICROSOFT_APP_TENANT_ID`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TeamsConfig {
    /// The Bot Framework's OpenID metadata, which names its signing keys.
    pub openid_metadata_url: String,
    /// Microsoft Entra ID's sign-in address (tokens of single-tenant bots and their keys).
    pub login_url: String,
    /// Where the bot's own token comes from [default: `{login_url}/{tenant or botframework.com}/oauth2/v2.0/token`].
    pub token_url: String,
    /// The tenant whose users are staff [default: the bot's tenant].
    pub staff_tenant: String,
    /// Entra ID object ids of supervisors alerted in Teams to urgent escalations and tasks.
    pub supervisors: Vec<String>,
    /// The connector addresses (`serviceUrl`) the bot may send its token to; an activity naming
    /// another is refused. `*.` before a domain allows any host under it [default: Microsoft's
    /// documented Teams and Bot Framework hosts].
    pub allowed_service_urls: Vec<String>,
    /// The app id (only from `MICROSOFT_APP_ID`).
    #[serde(skip)]
    pub app_id: String,
    /// The client secret (only from `MICROSOFT_APP_PASSWORD`).
    #[serde(skip)]
    pub app_password: String,
    /// The bot's tenant, for a single-tenant bot (only from `MICROSOFT_APP_TENANT_ID`).
    #[serde(skip)]
    pub tenant_id: String,
}

impl Default for TeamsConfig {
    fn default() -> Self {
        TeamsConfig {
            openid_metadata_url: channels::teams::auth::BOT_FRAMEWORK_METADATA_URL.into(),
            login_url: channels::teams::auth::ENTRA_LOGIN_URL.into(),
            token_url: String::new(),
            staff_tenant: String::new(),
            supervisors: Vec::new(),
            allowed_service_urls: channels::teams::service_urls::MICROSOFT_SERVICE_URLS.map(str::to_string).to_vec(),
            app_id: String::new(),
            app_password: String::new(),
            tenant_id: String::new(),
        }
    }
}

/// The web chat.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebConfig {
    /// Origins (such as `https://www.example.gov.uk`) whose pages may embed the widget and call
    /// the chat API; this server's own pages always may.
    pub allowed_origins: Vec<String>,
    /// The address people reach this server at, such as `https://chat.example.gov.uk` (also
    /// `COUNCILBOT_PUBLIC_URL`); over HTTPS, cookies are Secure and HSTS is sent.
    pub public_url: String,
    /// How long a live event stream stays open before the browser reconnects (and resumes).
    pub event_stream_seconds: u64,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig { allowed_origins: Vec::new(), public_url: String::new(), event_stream_seconds: 1800 }
    }
}

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

/// OpenID Connect; the client secret comes only from `COUNCILBOT_OIDC_CLIENT_SECRET`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OidcConfig {
    /// The issuer, such as `https://login.microsoftonline.com/TENANT-ID/v2.0`; empty for none.
    pub issuer: String,
    /// The application (client) id.
    pub client_id: String,
    /// Where the provider sends people back [default: the public URL + `/console/oidc/callback`].
    pub redirect_url: String,
    /// The claim listing app roles.
    pub roles_claim: String,
    /// The app role of supervisors.
    pub supervisor_role: String,
    /// The app role of editors: supervisors who also curate answers and examples.
    pub editor_role: String,
    /// The app role of admins.
    pub admin_role: String,
    /// The client secret (only from the environment).
    #[serde(skip)]
    pub client_secret: String,
}

impl Default for OidcConfig {
    fn default() -> Self {
        OidcConfig {
            issuer: String::new(),
            client_id: String::new(),
            redirect_url: String::new(),
            roles_claim: "roles".into(),
            supervisor_role: "councilbot.supervisor".into(),
            editor_role: "councilbot.editor".into(),
            admin_role: "councilbot.admin".into(),
            client_secret: String::new(),
        }
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
    /// `listen`; empty to serve it on `listen`.
    pub metrics_listen: String,
    /// The bearer token Prometheus must send for `/metrics` (only from
    /// `COUNCILBOT_METRICS_TOKEN`).
    #[serde(skip)]
    pub metrics_token: String,
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
            metrics_listen: String::new(),
            metrics_token: String::new(),
        }
    }
}

/// Where state is kept.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite://PATH` or `postgres://USER@HOST/DB` (also `DATABASE_URL`); empty for a SQLite file
    /// in the data directory.
    pub url: String,
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
    /// The score (0 to 1) at which a message is taken as a request for a service.
    pub intent_threshold: f32,
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
            intent_threshold: bot::language::intents::DEFAULT_INTENT_THRESHOLD,
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
                Config { sample: SampleConfig { legacy_portal: SAMPLE_LEGACY_PORTAL.into() }, ..Config::default() },
                None,
            ),
        };
        let secrets = rpa::secrets::Secrets::load(secrets_file)?;
        config.apply_environment(|name| {
            std::env::var(name).ok().or_else(|| secrets.get(&name.to_ascii_lowercase()).map(str::to_string))
        });
        Ok((config, source))
    }

    fn from_file(path: &Path) -> Result<Config> {
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
            self.database.url = url;
        }
        if let Some(url) = set("OPENAI_BASE_URL") {
            self.llm.base_url = url;
        }
        if let Some(model) = set("OPENAI_MODEL") {
            self.llm.model = model;
        }
        if let Some(key) = set("OPENAI_API_KEY") {
            self.llm.api_key = key;
        }
        if let Some(url) = set("COUNCILBOT_PUBLIC_URL") {
            self.web.public_url = url;
        }
        if let Some(address) = set("COUNCILBOT_LEGACY_PORTAL") {
            self.sample.legacy_portal = if address == "off" { String::new() } else { address };
        }
        if let Some(secret) = set("COUNCILBOT_OIDC_CLIENT_SECRET") {
            self.console.oidc.client_secret = secret;
        }
        if let Some(token) = set("COUNCILBOT_METRICS_TOKEN") {
            self.server.metrics_token = token;
        }
        let secrets: [(&str, &mut String); 7] = [
            ("TWILIO_ACCOUNT_SID", &mut self.sms.twilio.account_sid),
            ("TWILIO_AUTH_TOKEN", &mut self.sms.twilio.auth_token),
            ("NOTIFY_API_KEY", &mut self.sms.notify.api_key),
            ("NOTIFY_CALLBACK_TOKEN", &mut self.sms.notify.callback_token),
            ("MICROSOFT_APP_ID", &mut self.teams.app_id),
            ("MICROSOFT_APP_PASSWORD", &mut self.teams.app_password),
            ("MICROSOFT_APP_TENANT_ID", &mut self.teams.tenant_id),
        ];
        for (name, slot) in secrets {
            if let Some(value) = set(name) {
                *slot = value;
            }
        }
    }

    /// Every problem with the configuration, each naming the option.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.server.listen.parse::<std::net::SocketAddr>().is_err() {
            problems.push(format!("server.listen: `{}` is not an address such as 127.0.0.1:8080", self.server.listen));
        }
        if self.server.workflow_workers == 0 {
            problems.push("server.workflow_workers: must be at least 1".into());
        }
        let metrics_listen = &self.server.metrics_listen;
        if !metrics_listen.is_empty() && metrics_listen.parse::<std::net::SocketAddr>().is_err() {
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
        if !(0.0..=1.0).contains(&conversations.intent_threshold) {
            problems
                .push(format!("conversations.intent_threshold: {} is outside 0 to 1", conversations.intent_threshold));
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
        if !self.web.public_url.is_empty() && !self.web.public_url.starts_with("http") {
            problems.push(format!("web.public_url: `{}` is not an http or https address", self.web.public_url));
        }
        let oidc = &self.console.oidc;
        if !oidc.issuer.is_empty() {
            if oidc.client_id.is_empty() {
                problems.push("console.oidc.client_id: needed with an issuer".into());
            }
            if oidc.client_secret.is_empty() {
                problems.push("console.oidc: COUNCILBOT_OIDC_CLIENT_SECRET is not set".into());
            }
            if oidc.redirect_url.is_empty() && self.web.public_url.is_empty() {
                problems.push("console.oidc.redirect_url: needed (or web.public_url)".into());
            }
        }
        if !self.sample.legacy_portal.is_empty() && self.sample.legacy_portal.parse::<std::net::SocketAddr>().is_err() {
            problems.push(format!(
                "sample.legacy_portal: `{}` is not an address such as 127.0.0.1:8090",
                self.sample.legacy_portal
            ));
        }
        if let Err(problem) = rpa::allowed_hosts::AllowedHosts::parse(&self.automation.allowed_hosts) {
            problems.push(format!("automation.allowed_hosts: {problem}"));
        }
        problems.extend(self.channel_problems());
        problems
    }

    fn channel_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if let Err(problem) =
            channels::teams::service_urls::ServiceUrlAllowList::parse(&self.teams.allowed_service_urls)
        {
            problems.push(format!("teams.allowed_service_urls: {problem}"));
        }
        let sms = &self.sms;
        if !(1..=10).contains(&sms.max_segments) {
            problems.push(format!("sms.max_segments: {} is outside 1 to 10", sms.max_segments));
        }
        if sms.continue_within_hours == 0 {
            problems.push("sms.continue_within_hours: must be at least 1".into());
        }
        let twilio = &sms.twilio;
        if twilio.account_sid.is_empty() != twilio.auth_token.is_empty() {
            problems.push("sms.twilio: TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are needed together".into());
        }
        if !twilio.account_sid.is_empty() {
            if twilio.from.is_empty() && twilio.messaging_service_sid.is_empty() {
                problems.push("sms.twilio.from: the council's number is needed (or messaging_service_sid)".into());
            }
            if self.web.public_url.is_empty() {
                problems.push(
                    "web.public_url: needed for Twilio, which signs its webhooks over the public address \
                     (COUNCILBOT_PUBLIC_URL)"
                        .into(),
                );
            }
        }
        let notify = &sms.notify;
        if !notify.api_key.is_empty() {
            if let Err(problem) = channels::sms::notify::ApiKey::parse(&notify.api_key) {
                problems.push(format!("sms.notify: {problem}"));
            }
            if notify.template_id.is_empty() {
                problems.push("sms.notify.template_id: the template whose body is ((message)) is needed".into());
            }
            if notify.callback_token.is_empty() {
                problems
                    .push("sms.notify: NOTIFY_CALLBACK_TOKEN is not set, so texts from Notify would be refused".into());
            }
        }
        let teams = &self.teams;
        if !teams.app_id.is_empty() && teams.app_password.is_empty() {
            problems.push("teams: MICROSOFT_APP_PASSWORD is needed with MICROSOFT_APP_ID".into());
        }
        if teams.app_id.is_empty() && (teams.tenant_id.len() + teams.app_password.len()) > 0 {
            problems.push("teams: MICROSOFT_APP_ID is needed with MICROSOFT_APP_PASSWORD".into());
        }
        for (option, url) in [
            ("sms.twilio.api_url", &twilio.api_url),
            ("sms.notify.api_url", &notify.api_url),
            ("teams.openid_metadata_url", &teams.openid_metadata_url),
            ("teams.login_url", &teams.login_url),
        ] {
            if !url.starts_with("http://") && !url.starts_with("https://") {
                problems.push(format!("{option}: `{url}` is not an http or https address"));
            }
        }
        if !teams.token_url.is_empty() && !teams.token_url.starts_with("http") {
            problems.push(format!("teams.token_url: `{}` is not an http or https address", teams.token_url));
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(config.database.url, "postgres://db/councilbot");
        assert_eq!(config.llm.model, "small");
        assert_eq!(config.llm.api_key, "sk-test");
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
        let guide = include_str!("../docs/configuration.md");
        let start = guide.find("```toml\n").expect("a TOML example") + "```toml\n".len();
        let example = &guide[start..start + guide[start..].find("```").expect("the example ends")];
        let documented: Config = toml::from_str(example).expect("the documented example is valid");
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
        assert_eq!(documented.llm, defaults.llm);
        let (a, b) = (&documented.conversations, &defaults.conversations);
        assert_eq!(
            (a.retention_days, a.messages_per_minute, a.message_burst, a.max_message_chars, a.unanswered_before_person),
            (b.retention_days, b.messages_per_minute, b.message_burst, b.max_message_chars, b.unanswered_before_person)
        );
        assert_eq!(
            (a.min_confidence, a.intent_threshold, a.curated_answer_threshold),
            (b.min_confidence, b.intent_threshold, b.curated_answer_threshold)
        );
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
        assert_eq!(documented.browser.install_missing, defaults.browser.install_missing);
        assert_eq!(documented.automation.allowed_hosts, defaults.automation.allowed_hosts);
        assert_eq!(documented.sample.legacy_portal, defaults.sample.legacy_portal);
        assert_eq!(
            documented.emergency.self_harm, defaults.emergency.self_harm,
            "unlisted dangers keep their defaults"
        );
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
        assert_eq!(config.server.metrics_token, "from-the-environment");
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
        assert_eq!((config.teams.app_id.as_str(), config.teams.app_password.as_str()), ("app", "from the file"));
        assert!(config.sample.legacy_portal.is_empty(), "a council's own file runs no practice back office");
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
