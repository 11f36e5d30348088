//! The text channel's options in `councilbot.toml` (`[sms]`), with the credentials the
//! environment adds, and their check into the settings the channel runs on.

use std::time::Duration;

use bot::conversation::Council;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::SmsSettings;
use super::notify::{self, ApiKey, NotifySettings};
use super::twilio::{self, TwilioSender, TwilioSettings};
use crate::settings::{blank_is_unset, is_http_url};

/// Text messages, through Twilio or GOV.UK Notify; credentials come only from the environment.
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
    #[serde(deserialize_with = "blank_is_unset")]
    pub from: Option<String>,
    /// The messaging service that sends texts (instead of `from`).
    #[serde(deserialize_with = "blank_is_unset")]
    pub messaging_service_sid: Option<String>,
    /// The account SID (only from `TWILIO_ACCOUNT_SID`).
    #[serde(skip)]
    pub account_sid: Option<String>,
    /// The auth token (only from `TWILIO_AUTH_TOKEN`).
    #[serde(skip)]
    pub auth_token: Option<SecretString>,
}

impl Default for TwilioConfig {
    fn default() -> Self {
        TwilioConfig {
            api_url: twilio::DEFAULT_API_URL.into(),
            from: None,
            messaging_service_sid: None,
            account_sid: None,
            auth_token: None,
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
    #[serde(deserialize_with = "blank_is_unset")]
    pub template_id: Option<String>,
    /// The text sender to use, when not the service's default.
    #[serde(deserialize_with = "blank_is_unset")]
    pub sms_sender_id: Option<String>,
    /// The API key (only from `NOTIFY_API_KEY`).
    #[serde(skip)]
    pub api_key: Option<SecretString>,
    /// The bearer token Notify sends to the callbacks (only from `NOTIFY_CALLBACK_TOKEN`).
    #[serde(skip)]
    pub callback_token: Option<SecretString>,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            api_url: notify::DEFAULT_API_URL.into(),
            template_id: None,
            sms_sender_id: None,
            api_key: None,
            callback_token: None,
        }
    }
}

impl SmsConfig {
    /// The channel's settings when Twilio or Notify is set up (none when neither is), or every
    /// problem, each naming its option. `public_url` is the address people reach the server at.
    pub fn validate(&self, public_url: Option<&str>, council: &Council) -> Result<Option<SmsSettings>, Vec<String>> {
        let mut problems = Vec::new();
        if !(1..=10).contains(&self.max_segments) {
            problems.push(format!("sms.max_segments: {} is outside 1 to 10", self.max_segments));
        }
        if self.continue_within_hours == 0 {
            problems.push("sms.continue_within_hours: must be at least 1".into());
        }
        let twilio = self.twilio.validate(public_url, &mut problems);
        let notify = self.notify.validate(&mut problems);
        if !problems.is_empty() {
            return Err(problems);
        }
        if twilio.is_none() && notify.is_none() {
            return Ok(None);
        }
        Ok(Some(SmsSettings {
            twilio,
            notify,
            public_url: public_url.unwrap_or_default().to_string(),
            max_segments: self.max_segments,
            reply_within: Duration::from_secs(self.reply_within_seconds),
            continue_within: Duration::from_secs(self.continue_within_hours * 3600),
            answer_feedback: self.answer_feedback,
            council_name: council.name.clone(),
            council_phone: council.phone.clone(),
        }))
    }
}

impl TwilioConfig {
    /// Twilio's settings when its credentials are given; problems are added to `problems`.
    fn validate(&self, public_url: Option<&str>, problems: &mut Vec<String>) -> Option<TwilioSettings> {
        if !is_http_url(&self.api_url) {
            problems.push(format!("sms.twilio.api_url: `{}` is not an http or https address", self.api_url));
        }
        let together = "sms.twilio: TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are needed together";
        let Some(account_sid) = &self.account_sid else {
            if self.auth_token.is_some() {
                problems.push(together.into());
            }
            return None;
        };
        let sender = self.needs_sender_and_address(public_url, problems);
        let Some(auth_token) = &self.auth_token else {
            problems.push(together.into());
            return None;
        };
        let sender = sender?;
        Some(TwilioSettings {
            account_sid: account_sid.clone(),
            auth_token: auth_token.clone(),
            api_url: self.api_url.clone(),
            sender,
        })
    }

    /// Who texts are sent as, with a problem for each of that and the public address missing.
    fn needs_sender_and_address(&self, public_url: Option<&str>, problems: &mut Vec<String>) -> Option<TwilioSender> {
        if public_url.is_none() {
            problems.push(
                "web.public_url: needed for Twilio, which signs its webhooks over the public address \
                 (COUNCILBOT_PUBLIC_URL)"
                    .into(),
            );
        }
        let sender = match (&self.messaging_service_sid, &self.from) {
            (Some(service), _) => Some(TwilioSender::MessagingService(service.clone())),
            (None, Some(number)) => Some(TwilioSender::Number(number.clone())),
            (None, None) => None,
        };
        if sender.is_none() {
            problems.push("sms.twilio.from: the council's number is needed (or messaging_service_sid)".into());
        }
        sender
    }
}

impl NotifyConfig {
    /// Notify's settings when its API key is given; problems are added to `problems`.
    fn validate(&self, problems: &mut Vec<String>) -> Option<NotifySettings> {
        if !is_http_url(&self.api_url) {
            problems.push(format!("sms.notify.api_url: `{}` is not an http or https address", self.api_url));
        }
        let key = self.api_key.as_ref()?;
        let api_key =
            ApiKey::parse(key.expose_secret()).map_err(|problem| problems.push(format!("sms.notify: {problem}")));
        if self.template_id.is_none() {
            problems.push("sms.notify.template_id: the template whose body is ((message)) is needed".into());
        }
        if self.callback_token.is_none() {
            problems.push("sms.notify: NOTIFY_CALLBACK_TOKEN is not set, so texts from Notify would be refused".into());
        }
        Some(NotifySettings {
            api_key: api_key.ok()?,
            api_url: self.api_url.clone(),
            template_id: self.template_id.clone()?,
            sms_sender_id: self.sms_sender_id.clone(),
            callback_token: self.callback_token.clone()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "councilbot_test-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0";

    #[test]
    fn a_notify_key_that_is_not_one_is_an_error_not_a_channel_left_off() {
        let mut config = SmsConfig::default();
        config.notify.api_key = Some("not-a-key".into());
        config.notify.template_id = Some("template".into());
        config.notify.callback_token = Some("token".into());
        let problems = config.validate(None, &Council::default()).unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].starts_with("sms.notify: NOTIFY_API_KEY is"), "{problems:?}");
    }

    #[test]
    fn texts_are_off_without_credentials_and_on_with_them() {
        let council = Council::default();
        assert!(SmsConfig::default().validate(None, &council).unwrap().is_none());
        let mut config = SmsConfig::default();
        config.notify.api_key = Some(KEY.into());
        config.notify.template_id = Some("template".into());
        config.notify.callback_token = Some("token".into());
        config.twilio.account_sid = Some("AC123".into());
        config.twilio.auth_token = Some("secret".into());
        config.twilio.from = Some("+447700900000".into());
        let settings = config.validate(Some("https://chat.example.gov.uk"), &council).unwrap().unwrap();
        assert!(settings.notify.is_some() && settings.twilio.is_some());
        assert!(!format!("{settings:?}").contains("secret"), "secrets are not shown: {settings:?}");
    }

    #[test]
    fn a_blank_option_is_unset() {
        let config: NotifyConfig = serde_json::from_str(r#"{"template_id": "", "sms_sender_id": "sender"}"#).unwrap();
        assert_eq!((config.template_id, config.sms_sender_id.as_deref()), (None, Some("sender")));
    }
}
