//! Sending to Teams through the Bot Framework connector: the bot's own token (client
//! credentials, kept until shortly before it expires), only ever sent to service URLs that
//! arrived on validated requests; busy and failing answers retried with backoff; and Teams'
//! limits on messages per conversation kept.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::RwLock;
use std::time::Duration;

use tokio::time::Instant;

use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::Mutex;

/// The scope of the bot's token for the connector.
pub const CONNECTOR_SCOPE: &str = "https://api.botframework.com/.default";

/// Attempts at one request while the connector is busy or failing.
const ATTEMPTS: u32 = 4;
/// The longest wait a `Retry-After` may ask for.
const LONGEST_WAIT: Duration = Duration::from_secs(30);
/// A token is fetched again this long before it expires.
const TOKEN_MARGIN: Duration = Duration::from_secs(300);
/// Teams' limits per bot per conversation: messages per window.
const PACE: [(Duration, usize); 3] =
    [(Duration::from_secs(1), 7), (Duration::from_secs(30), 60), (Duration::from_secs(3600), 1800)];

/// What the bot sends with.
#[derive(Debug, Clone)]
pub struct ConnectorSettings {
    /// The bot's app id.
    pub app_id: String,
    /// The bot's client secret.
    pub app_password: secrecy::SecretString,
    /// Where its token comes from.
    pub token_url: String,
    /// The service URLs it may ever send its token to.
    pub allowed_service_urls: super::service_urls::ServiceUrlAllowList,
}

/// Why something could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
    /// The service URL did not arrive on a validated request, or is not on the allow-list, so the
    /// bot's token is not sent to it.
    #[error("the service URL is not an allowed one that Teams gave on a validated request")]
    UntrustedServiceUrl,
    /// No token could be had.
    #[error("the bot's token could not be fetched: {0}")]
    Token(String),
    /// The connector could not be reached, or kept failing.
    #[error("the connector could not be reached: {0}")]
    Unreachable(String),
    /// The connector refused.
    #[error("the connector refused (HTTP {status}): {detail}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// What it said.
        detail: String,
    },
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default = "default_expiry")]
    expires_in: u64,
}

fn default_expiry() -> u64 {
    3600
}

#[derive(Deserialize)]
struct Created {
    #[serde(default)]
    id: String,
}

/// A client of the Bot Framework connector.
pub struct Connector {
    settings: ConnectorSettings,
    http: reqwest::Client,
    token: Mutex<Option<(String, Instant)>>,
    trusted: RwLock<HashSet<String>>,
    sent: std::sync::Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Connector {
    /// A connector client for the bot.
    pub fn new(settings: ConnectorSettings, http: reqwest::Client) -> Connector {
        Connector {
            settings,
            http,
            token: Mutex::new(None),
            trusted: RwLock::new(HashSet::new()),
            sent: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// Whether the allow-list lets the bot send to this service URL at all.
    pub fn allows(&self, service_url: &str) -> bool {
        self.settings.allowed_service_urls.allows(service_url)
    }

    /// Trusts a service URL that arrived on a validated request, when the allow-list lets it.
    pub fn trust(&self, service_url: &str) -> bool {
        if !self.allows(service_url) {
            return false;
        }
        let mut trusted = self.trusted.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        if !trusted.contains(service_url) {
            trusted.insert(service_url.to_string());
        }
        true
    }

    fn is_trusted(&self, service_url: &str) -> bool {
        self.allows(service_url)
            && self.trusted.read().unwrap_or_else(|poisoned| poisoned.into_inner()).contains(service_url)
    }

    /// Sends an activity into a conversation (as a reply to `reply_to`, when given) and returns
    /// its id.
    pub async fn send(
        &self,
        service_url: &str,
        conversation_id: &str,
        reply_to: Option<&str>,
        activity: &Value,
    ) -> Result<String, ConnectorError> {
        let mut url = format!(
            "{}/v3/conversations/{}/activities",
            service_url.trim_end_matches('/'),
            encode_segment(conversation_id)
        );
        if let Some(reply_to) = reply_to.filter(|id| !id.is_empty()) {
            url.push('/');
            url.push_str(&encode_segment(reply_to));
        }
        self.keep_pace(conversation_id).await;
        self.post(service_url, &url, activity).await
    }

    /// Starts a one-to-one conversation with a user (to alert them) and returns its id.
    pub async fn create_conversation(&self, service_url: &str, parameters: &Value) -> Result<String, ConnectorError> {
        let url = format!("{}/v3/conversations", service_url.trim_end_matches('/'));
        self.post(service_url, &url, parameters).await
    }

    async fn post(&self, service_url: &str, url: &str, body: &Value) -> Result<String, ConnectorError> {
        if !self.is_trusted(service_url) {
            return Err(ConnectorError::UntrustedServiceUrl);
        }
        let mut attempt = 0;
        let mut renewed = false;
        loop {
            attempt += 1;
            let token = self.token().await?;
            let outcome = self.http.post(url).bearer_auth(&token).json(body).send().await;
            let wait = match outcome {
                Ok(response) if response.status().is_success() => {
                    let created: Created = response.json().await.unwrap_or(Created { id: String::new() });
                    return Ok(created.id);
                }
                Ok(response) if response.status() == StatusCode::UNAUTHORIZED && !renewed => {
                    // The token may have been revoked early: fetch a new one, once.
                    renewed = true;
                    *self.token.lock().await = None;
                    continue;
                }
                Ok(response)
                    if response.status() == StatusCode::TOO_MANY_REQUESTS || response.status().is_server_error() =>
                {
                    let asked = response
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|value| value.to_str().ok())
                        .and_then(|value| value.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    if attempt >= ATTEMPTS {
                        return Err(ConnectorError::Refused {
                            status: response.status().as_u16(),
                            detail: "still busy or failing after retries".into(),
                        });
                    }
                    asked.unwrap_or_else(|| backoff(attempt)).min(LONGEST_WAIT)
                }
                Ok(response) => {
                    let status = response.status().as_u16();
                    let detail: String = response.text().await.unwrap_or_default().chars().take(300).collect();
                    return Err(ConnectorError::Refused { status, detail });
                }
                Err(error) if attempt >= ATTEMPTS => {
                    return Err(ConnectorError::Unreachable(error.without_url().to_string()));
                }
                Err(_) => backoff(attempt),
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// The bot's token, fetched when there is none or it is about to expire.
    async fn token(&self) -> Result<String, ConnectorError> {
        let mut slot = self.token.lock().await;
        if let Some((token, expires)) = slot.as_ref()
            && Instant::now() + TOKEN_MARGIN < *expires
        {
            return Ok(token.clone());
        }
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", self.settings.app_id.as_str()),
            ("client_secret", secrecy::ExposeSecret::expose_secret(&self.settings.app_password)),
            ("scope", CONNECTOR_SCOPE),
        ];
        let response = self
            .http
            .post(&self.settings.token_url)
            .form(&form)
            .send()
            .await
            .map_err(|error| ConnectorError::Token(error.without_url().to_string()))?;
        if !response.status().is_success() {
            return Err(ConnectorError::Token(format!("the token endpoint answered {}", response.status())));
        }
        let answer: TokenAnswer =
            response.json().await.map_err(|error| ConnectorError::Token(format!("unreadable answer: {error}")))?;
        let expires = Instant::now() + Duration::from_secs(answer.expires_in);
        *slot = Some((answer.access_token.clone(), expires));
        Ok(answer.access_token)
    }

    /// Waits until another message to the conversation keeps within Teams' limits.
    async fn keep_pace(&self, conversation_id: &str) {
        loop {
            let wait = {
                let mut sent = self.sent.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                let now = Instant::now();
                let times = sent.entry(conversation_id.to_string()).or_default();
                while times.front().is_some_and(|at| now.duration_since(*at) > PACE[2].0) {
                    times.pop_front();
                }
                let wait = PACE
                    .iter()
                    .filter_map(|(window, limit)| {
                        let within: Vec<&Instant> =
                            times.iter().filter(|at| now.duration_since(**at) < *window).collect();
                        (within.len() >= *limit).then(|| *window - now.duration_since(*within[within.len() - limit]))
                    })
                    .max();
                if wait.is_none() {
                    times.push_back(now);
                }
                if sent.len() > 10_000 {
                    sent.retain(|_, times| times.back().is_some_and(|at| now.duration_since(*at) < PACE[2].0));
                }
                wait
            };
            match wait {
                Some(wait) => tokio::time::sleep(wait).await,
                None => return,
            }
        }
    }
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(500 * 2u64.pow(attempt.min(6)))
}

/// A conversation or activity id as one segment of a URL path.
fn encode_segment(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>().replace('+', "%20")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connector() -> Connector {
        let settings = ConnectorSettings {
            app_id: "app".into(),
            app_password: "secret".into(),
            token_url: String::new(),
            allowed_service_urls: Default::default(),
        };
        Connector::new(settings, http_client::client_builder().build().expect("a client"))
    }

    #[tokio::test(start_paused = true)]
    async fn messages_to_one_conversation_keep_within_teams_limits() {
        let connector = connector();
        let started = Instant::now();
        for _ in 0..7 {
            connector.keep_pace("a:chat").await;
        }
        assert_eq!(started.elapsed(), Duration::ZERO, "seven a second go at once");
        connector.keep_pace("a:chat").await;
        assert!(started.elapsed() >= Duration::from_secs(1), "the eighth waits for the second to pass");
        connector.keep_pace("a:other").await;
        let other_started = Instant::now();
        connector.keep_pace("a:other").await;
        assert_eq!(other_started.elapsed(), Duration::ZERO, "another conversation is not held up");
        for _ in 0..60 {
            connector.keep_pace("a:chat").await;
        }
        assert!(started.elapsed() >= Duration::from_secs(30), "sixty in thirty seconds at most");
    }

    #[tokio::test]
    async fn nothing_is_sent_to_a_service_url_that_did_not_arrive_on_a_validated_request() {
        let connector = connector();
        let sent =
            connector.send("https://smba.example/uk/", "a:chat", None, &serde_json::json!({"type": "message"})).await;
        assert!(matches!(sent, Err(ConnectorError::UntrustedServiceUrl)), "{sent:?}");
    }

    #[tokio::test]
    async fn a_service_url_off_the_allow_list_is_never_trusted() {
        let connector = connector();
        assert!(!connector.trust("https://attacker.example/connector/"));
        let sent = connector
            .send("https://attacker.example/connector/", "a:chat", None, &serde_json::json!({"type": "message"}))
            .await;
        assert!(matches!(sent, Err(ConnectorError::UntrustedServiceUrl)), "{sent:?}");
        assert!(connector.trust("https://smba.trafficmanager.net/uk/"));
    }
}
