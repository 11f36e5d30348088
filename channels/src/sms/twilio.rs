//! Twilio: checking the signature of its webhooks, answering them in TwiML, and sending texts
//! through its Messages API.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use sha1::Sha1;

use super::SendError;

/// Twilio's default API address.
pub const DEFAULT_API_URL: &str = "https://api.twilio.com";

/// What councilbot needs to use Twilio.
#[derive(Debug, Clone)]
pub struct TwilioSettings {
    /// The account SID (`TWILIO_ACCOUNT_SID`).
    pub account_sid: String,
    /// The auth token (`TWILIO_AUTH_TOKEN`), which also signs webhooks.
    pub auth_token: SecretString,
    /// The API's address.
    pub api_url: String,
    /// Who texts are sent as.
    pub sender: TwilioSender,
}

/// Who Twilio sends the council's texts as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TwilioSender {
    /// The council's number, such as `+447700900000`.
    Number(String),
    /// A messaging service, which picks the number.
    MessagingService(String),
}

/// The value of `X-Twilio-Signature` for a URL and the parameters posted to it.
pub fn signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut mac = Hmac::<Sha1>::new_from_slice(auth_token.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    BASE64.encode(mac.finalize().into_bytes())
}

/// Whether a signature is Twilio's for this URL (as configured, or with the default port
/// written out or left out) and these parameters; compared in constant time.
pub fn signature_matches(auth_token: &str, url: &str, params: &[(String, String)], given: &str) -> bool {
    let Ok(given) = BASE64.decode(given.trim()) else { return false };
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    url_variants(url).iter().any(|candidate| {
        let mut mac = Hmac::<Sha1>::new_from_slice(auth_token.as_bytes()).expect("HMAC takes a key of any length");
        mac.update(candidate.as_bytes());
        for (name, value) in &sorted {
            mac.update(name.as_bytes());
            mac.update(value.as_bytes());
        }
        mac.verify_slice(&given).is_ok()
    })
}

/// The URL as given, and with its scheme's default port written out or left out.
fn url_variants(url: &str) -> Vec<String> {
    let mut variants = vec![url.to_string()];
    for (scheme, port) in [("https://", ":443"), ("http://", ":80")] {
        let Some(rest) = url.strip_prefix(scheme) else { continue };
        let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (host, path) = rest.split_at(host_end);
        let other = match host.strip_suffix(port) {
            Some(bare) => format!("{scheme}{bare}{path}"),
            None if !host.contains(':') => format!("{scheme}{host}{port}{path}"),
            None => continue,
        };
        variants.push(other);
    }
    variants
}

/// A TwiML answer: one message, or none when `text` is empty.
pub fn twiml(text: &str) -> String {
    if text.is_empty() {
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>".into();
    }
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Message>{}</Message></Response>", xml_escape(text))
}

fn xml_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            // Control characters other than line breaks are not allowed in XML 1.0.
            c if c.is_control() && c != '\n' && c != '\r' && c != '\t' => {}
            c => escaped.push(c),
        }
    }
    escaped
}

#[derive(Deserialize)]
struct Created {
    sid: String,
}

#[derive(Deserialize)]
struct Refusal {
    #[serde(default)]
    code: Option<i64>,
    #[serde(default)]
    message: String,
}

/// Twilio's error for a number that opted out.
pub const OPTED_OUT_ERROR: i64 = 21610;

/// Sends a text through the Messages API and returns its SID.
pub async fn send(
    http: &reqwest::Client,
    settings: &TwilioSettings,
    to: &str,
    body: &str,
    status_callback: Option<&str>,
) -> Result<String, SendError> {
    let url = format!(
        "{}/2010-04-01/Accounts/{}/Messages.json",
        settings.api_url.trim_end_matches('/'),
        settings.account_sid
    );
    let mut form: Vec<(&str, &str)> = vec![("To", to), ("Body", body)];
    match &settings.sender {
        TwilioSender::Number(number) => form.push(("From", number)),
        TwilioSender::MessagingService(service) => form.push(("MessagingServiceSid", service)),
    }
    if let Some(callback) = status_callback {
        form.push(("StatusCallback", callback));
    }
    let sent = http
        .post(&url)
        .basic_auth(&settings.account_sid, Some(settings.auth_token.expose_secret()))
        .form(&form)
        .send()
        .await;
    let (status, text) = match super::provider_answer::<Created>(sent).await? {
        Ok(created) => return Ok(created.sid),
        Err(refused) => refused,
    };
    let refusal: Option<Refusal> = serde_json::from_str(&text).ok();
    if refusal.as_ref().and_then(|refusal| refusal.code) == Some(OPTED_OUT_ERROR) {
        return Err(SendError::OptedOut);
    }
    let detail = refusal
        .map(|refusal| format!("{} ({})", refusal.message, refusal.code.unwrap_or_default()))
        .unwrap_or_else(|| text.chars().take(200).collect());
    Err(SendError::Refused { status, detail })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect()
    }

    #[test]
    fn the_published_test_vector_passes() {
        let params = pairs(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ]);
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        assert_eq!(signature("12345", url, &params), "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
        assert!(signature_matches("12345", url, &params, "0/KCTR6DLpKmkAf8muzZqo1nDgQ="));
        assert!(
            signature_matches(
                "12345",
                "https://mycompany.com:443/myapp.php?foo=1&bar=2",
                &params,
                "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
            ),
            "the default port written out is the same URL"
        );
        assert!(!signature_matches("12346", url, &params, "0/KCTR6DLpKmkAf8muzZqo1nDgQ="));
        let mut tampered = params.clone();
        tampered[2].1 = "1235".into();
        assert!(!signature_matches("12345", url, &tampered, "0/KCTR6DLpKmkAf8muzZqo1nDgQ="));
        assert!(!signature_matches("12345", url, &params, "not base64!"));
    }

    #[test]
    fn twiml_escapes_what_xml_needs() {
        assert_eq!(twiml(""), "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>");
        assert!(twiml("Fish & chips <today>").contains("<Message>Fish &amp; chips &lt;today&gt;</Message>"));
    }
}
