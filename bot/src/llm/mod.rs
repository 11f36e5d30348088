//! An optional language model behind any OpenAI-compatible endpoint (OpenAI, Azure OpenAI,
//! vLLM, llama.cpp, Ollama): it recognises requests for services by function calling and
//! writes grounded answers from retrieved passages. Whatever it says is checked before use.

mod grounded;
mod routing;

use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;

use async_openai::Client;
use async_openai::config::{AzureConfig, Config, OpenAIConfig};
use serde::{Deserialize, Serialize};

pub use grounded::{GroundedAnswer, ModelFailure, check_answer};
pub use routing::{Route, ServiceTool};

/// Which API dialect the endpoint speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    /// OpenAI and the many servers compatible with it: `Authorization: Bearer`, `/chat/completions`.
    #[default]
    Openai,
    /// Azure OpenAI: `api-key` header, `/openai/deployments/{deployment}/chat/completions?api-version=`.
    Azure,
}

/// How to reach the language model.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelSettings {
    /// The API dialect.
    pub provider: Provider,
    /// The endpoint's base URL, such as `https://api.openai.com/v1` or
    /// `https://NAME.openai.azure.com` (also `OPENAI_BASE_URL`).
    pub base_url: String,
    /// The model, or for Azure the deployment name (also `OPENAI_MODEL`).
    pub model: String,
    /// The Azure API version.
    pub api_version: String,
    /// The API key; only ever from the environment (`OPENAI_API_KEY`) or a secrets file.
    #[serde(skip)]
    pub api_key: Option<SecretString>,
    /// How long to wait for the model to start answering, and between parts of its answer.
    pub timeout_seconds: u64,
    /// The longest answer, in tokens.
    pub max_tokens: u32,
    /// How varied answers are (0 for the most predictable).
    pub temperature: f32,
}

impl Default for ModelSettings {
    fn default() -> Self {
        ModelSettings {
            provider: Provider::Openai,
            base_url: String::new(),
            model: "gpt-4o-mini".into(),
            api_version: "2024-10-21".into(),
            api_key: None,
            timeout_seconds: 15,
            max_tokens: 400,
            temperature: 0.1,
        }
    }
}

impl ModelSettings {
    /// Whether a model is configured at all.
    pub fn is_configured(&self) -> bool {
        !self.base_url.trim().is_empty()
    }

    /// Every problem with the settings, each naming the field.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !self.is_configured() {
            return problems;
        }
        if !(self.base_url.starts_with("http://") || self.base_url.starts_with("https://")) {
            problems.push(format!("llm.base_url: `{}` is not an http or https URL", self.base_url));
        }
        if self.model.trim().is_empty() {
            problems.push("llm.model: a model (or Azure deployment) name is needed".into());
        }
        if self.timeout_seconds == 0 {
            problems.push("llm.timeout_seconds: must be at least 1".into());
        }
        if !(0.0..=2.0).contains(&self.temperature) {
            problems.push(format!("llm.temperature: {} is outside 0 to 2", self.temperature));
        }
        problems
    }
}

/// A connection to the language model.
pub struct LanguageModel {
    client: Client<Box<dyn Config>>,
    settings: ModelSettings,
}

impl LanguageModel {
    /// A client for the configured endpoint; nothing is sent until it is used.
    pub fn new(settings: ModelSettings) -> LanguageModel {
        let config: Box<dyn Config> = match settings.provider {
            Provider::Openai => Box::new(
                OpenAIConfig::new()
                    .with_api_base(settings.base_url.trim_end_matches('/'))
                    .with_api_key(settings.api_key.as_ref().map(|key| key.expose_secret()).unwrap_or_default()),
            ),
            Provider::Azure => Box::new(
                AzureConfig::new()
                    .with_api_base(settings.base_url.trim_end_matches('/'))
                    .with_deployment_id(settings.model.clone())
                    .with_api_version(settings.api_version.clone())
                    .with_api_key(settings.api_key.as_ref().map(|key| key.expose_secret()).unwrap_or_default()),
            ),
        };
        let timeout = Duration::from_secs(settings.timeout_seconds.max(1));
        // Building fails only without a TLS backend, which `client_builder` puts in place.
        let http = http_client::client_builder()
            .connect_timeout(timeout)
            .read_timeout(timeout)
            .build()
            .expect("an HTTP client with TLS in place");
        LanguageModel { client: Client::build(http, config), settings }
    }

    /// The settings in use.
    pub fn settings(&self) -> &ModelSettings {
        &self.settings
    }

    fn timeout(&self) -> Duration {
        Duration::from_secs(self.settings.timeout_seconds.max(1))
    }
}
