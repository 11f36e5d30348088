//! GOV.UK Notify: the API key, the JWT each request carries, and sending a text through a
//! template whose body is `((message))`.

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::SendError;

/// Notify's API address.
pub const DEFAULT_API_URL: &str = "https://api.notifications.service.gov.uk";

/// A Notify API key, `{name}-{service id}-{secret}`, taken apart.
#[derive(Clone)]
pub struct ApiKey {
    /// The service the key belongs to (the JWT's issuer).
    pub service_id: String,
    secret: String,
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("ApiKey").field("service_id", &self.service_id).finish_non_exhaustive()
    }
}

impl ApiKey {
    /// Reads a key as Notify issues it: the service id is the 36 characters before the final
    /// 37, the secret the last 36.
    pub fn parse(key: &str) -> Result<ApiKey, String> {
        let key = key.trim();
        let looks_like_uuid = |text: &str| {
            text.len() == 36
                && text
                    .char_indices()
                    .all(|(at, c)| if [8, 13, 18, 23].contains(&at) { c == '-' } else { c.is_ascii_hexdigit() })
        };
        if key.len() < 74 || !key.is_char_boundary(key.len() - 73) {
            return Err("NOTIFY_API_KEY is too short: a Notify API key is {name}-{service id}-{secret}".into());
        }
        let service_id = &key[key.len() - 73..key.len() - 37];
        let secret = &key[key.len() - 36..];
        if !looks_like_uuid(service_id) || !looks_like_uuid(secret) || key.as_bytes()[key.len() - 37] != b'-' {
            return Err(
                "NOTIFY_API_KEY is not a Notify API key: {name}-{service id}-{secret}, the last two UUIDs".into()
            );
        }
        Ok(ApiKey { service_id: service_id.to_string(), secret: secret.to_string() })
    }

    /// A token for one request: HS256, the service id as issuer, issued now.
    pub fn token(&self, now_seconds: i64) -> String {
        #[derive(Serialize)]
        struct Claims<'a> {
            iss: &'a str,
            iat: i64,
        }
        let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        jsonwebtoken::encode(
            &header,
            &Claims { iss: &self.service_id, iat: now_seconds },
            &jsonwebtoken::EncodingKey::from_secret(self.secret.as_bytes()),
        )
        .expect("an HS256 token of two claims always encodes")
    }
}

/// What councilbot needs to use Notify.
#[derive(Debug, Clone)]
pub struct NotifySettings {
    /// The API key (`NOTIFY_API_KEY`).
    pub api_key: ApiKey,
    /// The API's address.
    pub api_url: String,
    /// The text message template whose whole body is `((message))`.
    pub template_id: String,
    /// The sender to use, when not the service's default.
    pub sms_sender_id: Option<String>,
    /// The bearer token Notify sends with inbound texts and receipts (`NOTIFY_CALLBACK_TOKEN`).
    pub callback_token: SecretString,
}

#[derive(Serialize)]
struct Personalisation<'a> {
    message: &'a str,
}

#[derive(Serialize)]
struct SmsRequest<'a> {
    phone_number: &'a str,
    template_id: &'a str,
    personalisation: Personalisation<'a>,
    reference: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    sms_sender_id: Option<&'a str>,
}

#[derive(Deserialize)]
struct Created {
    id: String,
}

#[derive(Deserialize)]
struct Refusal {
    #[serde(default)]
    errors: Vec<RefusalError>,
}

#[derive(Deserialize)]
struct RefusalError {
    #[serde(default)]
    error: String,
    #[serde(default)]
    message: String,
}

/// Sends a text and returns Notify's id for it.
pub async fn send(
    http: &reqwest::Client,
    settings: &NotifySettings,
    to: &str,
    body: &str,
    reference: &str,
) -> Result<String, SendError> {
    let url = format!("{}/v2/notifications/sms", settings.api_url.trim_end_matches('/'));
    let request = SmsRequest {
        phone_number: to,
        template_id: &settings.template_id,
        personalisation: Personalisation { message: body },
        reference,
        sms_sender_id: settings.sms_sender_id.as_deref(),
    };
    let token = settings.api_key.token(storage::now_millis() / 1000);
    let sent = http.post(&url).bearer_auth(token).json(&request).send().await;
    let (status, text) = match super::provider_answer::<Created>(sent).await? {
        Ok(created) => return Ok(created.id),
        Err(refused) => refused,
    };
    let detail = serde_json::from_str::<Refusal>(&text)
        .ok()
        .map(|refusal| {
            refusal
                .errors
                .iter()
                .map(|error| format!("{}: {}", error.error, error.message))
                .collect::<Vec<_>>()
                .join("; ")
        })
        .filter(|detail| !detail.is_empty())
        .unwrap_or_else(|| text.chars().take(200).collect());
    Err(SendError::Refused { status, detail })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "councilbot_test-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0";

    #[test]
    fn a_key_is_taken_apart_as_notify_does() {
        let key = ApiKey::parse(KEY).unwrap();
        assert_eq!(key.service_id, "26785a09-ab16-4eb0-8407-a37497a57506");
        assert_eq!(key.secret, "3d844edf-8d35-48ac-975b-e847b4f122b0");
        assert!(!format!("{key:?}").contains("3d844edf"), "the secret is never printed");
        assert!(ApiKey::parse("short").unwrap_err().contains("too short"));
        assert!(ApiKey::parse(&KEY.replace("-ab16", "xab16")).is_err());
    }

    #[test]
    fn tokens_carry_the_service_and_the_time() {
        let key = ApiKey::parse(KEY).unwrap();
        let token = key.token(1_700_000_000);
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.alg, jsonwebtoken::Algorithm::HS256);
        assert_eq!(header.typ.as_deref(), Some("JWT"));
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        let claims = jsonwebtoken::decode::<serde_json::Value>(
            &token,
            &jsonwebtoken::DecodingKey::from_secret(b"3d844edf-8d35-48ac-975b-e847b4f122b0"),
            &validation,
        )
        .unwrap()
        .claims;
        assert_eq!(claims, serde_json::json!({"iss": "26785a09-ab16-4eb0-8407-a37497a57506", "iat": 1_700_000_000}));
    }
}
