//! Text messages, through Twilio or GOV.UK Notify: one conversation per number whichever
//! provider carries it, opt-out words honoured, and replies written for a phone.

pub mod config;
pub mod notify;
pub mod render;
pub mod store;
pub mod twilio;
mod webhooks;

use std::sync::Arc;
use std::time::Duration;

use bot::conversation::feedback::Vote;
use bot::conversation::{
    Audience, Conversation, Engine, EngineError, Inbound, InboundContent, Reply, Role, StoredMessage,
};
use storage::StorageError;

pub use config::{NotifyConfig, SmsConfig, TwilioConfig};
pub use webhooks::{TWILIO_PATH, TWILIO_STATUS_PATH, router};

use notify::NotifySettings;
use store::{SentRecord, SmsStore};
use twilio::TwilioSettings;

/// The channel name conversations by text carry.
pub const CHANNEL: &str = "sms";

/// The most segments Notify sends in one text (918 characters).
const NOTIFY_MAX_SEGMENTS: usize = 6;

/// Attempts at sending one text when the provider is unreachable or busy.
const SEND_ATTEMPTS: u32 = 3;

/// A service that carries texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    /// Twilio.
    Twilio,
    /// GOV.UK Notify.
    Notify,
}

impl Provider {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        storage::names::name_of(&self)
    }

    /// The value a stored name stands for.
    pub fn parse(text: &str) -> Option<Self> {
        storage::names::from_name(text)
    }
}

/// Why a text was not sent.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The number's owner asked for no more texts.
    #[error("the number has opted out of texts")]
    OptedOut,
    /// No provider that can reach the number is set up.
    #[error("no text provider is set up for this number")]
    NoProvider,
    /// The text is longer than the most segments one text may take.
    #[error("the text is too long: it may take at most {0} text message segments")]
    TooLong(usize),
    /// The provider could not be reached.
    #[error("the text provider could not be reached: {0}")]
    Unreachable(String),
    /// The provider refused the text.
    #[error("the text provider refused the text (HTTP {status}): {detail}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// What it said.
        detail: String,
    },
    /// The records could not be written.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl SendError {
    /// Whether trying again later may work.
    fn is_transient(&self) -> bool {
        match self {
            SendError::Unreachable(_) => true,
            SendError::Refused { status, .. } => *status == 429 || *status >= 500,
            _ => false,
        }
    }
}

/// What a provider answered a send with: the message it created, or the status and body of its
/// refusal.
async fn provider_answer<T: serde::de::DeserializeOwned>(
    sent: Result<reqwest::Response, reqwest::Error>,
) -> Result<Result<T, (u16, String)>, SendError> {
    let response = sent.map_err(|error| SendError::Unreachable(error.without_url().to_string()))?;
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    if !(200..300).contains(&status) {
        return Ok(Err((status, text)));
    }
    serde_json::from_str(&text)
        .map(Ok)
        .map_err(|error| SendError::Refused { status, detail: format!("unreadable answer: {error}") })
}

/// What can go wrong with a text received.
#[derive(Debug, thiserror::Error)]
pub enum ReceiveError {
    /// The sender is not a phone number.
    #[error("the sender `{0}` is not a phone number")]
    NotANumber(String),
    /// The conversation engine failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The records could not be read or written.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// How the text channel behaves: [`SmsConfig`] once checked.
#[derive(Debug, Clone)]
pub struct SmsSettings {
    /// Twilio, when set up.
    pub twilio: Option<TwilioSettings>,
    /// GOV.UK Notify, when set up.
    pub notify: Option<NotifySettings>,
    /// The address Twilio reaches this server at (webhooks are signed over it).
    pub public_url: String,
    /// The most segments one reply may take.
    pub max_segments: usize,
    /// How long a webhook waits for the turn: a reply ready by then goes back in Twilio's answer
    /// (a turn failed by then is left for the provider to retry); later ones are sent after.
    pub reply_within: Duration,
    /// How long after the last message a text still continues the same conversation.
    pub continue_within: Duration,
    /// The council, named in replies.
    pub council_name: String,
    /// The council's phone number, offered in help.
    pub council_phone: String,
    /// Whether answers end with "Reply 1 if this helped or 2 if not", and a bare 1 or 2 right
    /// after one is taken as that feedback.
    pub answer_feedback: bool,
}

/// A text received from someone.
#[derive(Debug, Clone)]
pub struct Received {
    /// The provider that carried it.
    pub provider: Provider,
    /// The provider's id for it.
    pub message_id: String,
    /// The sender's number, as the provider gives it.
    pub from: String,
    /// What it says.
    pub body: String,
}

/// A word that, as the whole text, manages the subscription rather than talking to the bot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyword {
    /// Send no more texts.
    OptOut,
    /// Texts may be sent again.
    OptIn,
    /// What this number is for.
    Help,
}

/// The keyword a text is, if it is one (the whole text, in any case, punctuation aside).
pub fn keyword(text: &str) -> Option<Keyword> {
    let word = text.trim().trim_matches(|c: char| c.is_ascii_punctuation() || c.is_whitespace()).to_uppercase();
    match word.as_str() {
        "STOP" | "STOPALL" | "STOP ALL" | "UNSUBSCRIBE" | "CANCEL" | "END" | "QUIT" | "OPTOUT" | "REVOKE" => {
            Some(Keyword::OptOut)
        }
        "START" | "YES" | "UNSTOP" => Some(Keyword::OptIn),
        "HELP" | "INFO" => Some(Keyword::Help),
        _ => None,
    }
}

/// A sender's number as conversations know it (national digits for a UK number, so a request
/// for someone's data finds their texts) and in international form to send to.
pub fn number_forms(from: &str) -> Option<(String, String)> {
    let trimmed = from.trim();
    let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    if !(7..=15).contains(&digits.len())
        || trimmed.chars().any(|c| !(c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')')))
    {
        return None;
    }
    let international = if trimmed.starts_with('+') {
        format!("+{digits}")
    } else if let Some(rest) = digits.strip_prefix("00") {
        format!("+{rest}")
    } else if let Some(rest) = digits.strip_prefix('0') {
        format!("+44{rest}")
    } else {
        format!("+{digits}")
    };
    let address = match international.strip_prefix("+44") {
        Some(rest) => format!("0{rest}"),
        None => international.clone(),
    };
    Some((address, international))
}

/// The text channel: receives texts from either provider and sends the replies.
pub struct SmsChannel {
    engine: Arc<Engine>,
    store: SmsStore,
    settings: SmsSettings,
    http: reqwest::Client,
}

impl SmsChannel {
    /// The channel over an engine; its records live in the engine's database.
    pub async fn open(engine: Arc<Engine>, settings: SmsSettings) -> Result<Arc<SmsChannel>, StorageError> {
        let store = SmsStore::open(engine.store().database().clone()).await?;
        let http = http_client::client_builder()
            .timeout(Duration::from_secs(20))
            .build()
            .expect("an HTTP client with TLS in place");
        Ok(Arc::new(SmsChannel { engine, store, settings, http }))
    }

    /// How the channel behaves.
    pub fn settings(&self) -> &SmsSettings {
        &self.settings
    }

    /// The channel's records.
    pub fn store(&self) -> &SmsStore {
        &self.store
    }

    /// Takes a text through the conversation. With `answer_inline`, a reply ready within the
    /// channel's time limit is returned for the webhook's answer; anything later (or everything,
    /// without it) is sent through the provider.
    pub async fn receive(
        self: &Arc<Self>,
        received: Received,
        answer_inline: bool,
    ) -> Result<Option<String>, ReceiveError> {
        let (address, phone) =
            number_forms(&received.from).ok_or_else(|| ReceiveError::NotANumber(received.from.clone()))?;
        if !self.store.first_receipt(received.provider, &received.message_id).await? {
            tracing::info!(provider = received.provider.as_str(), "a text already received arrived again; ignored");
            return Ok(None);
        }
        let (provider, message_id) = (received.provider, received.message_id.clone());
        let taken = self.take_in(received, address, phone, answer_inline).await;
        if taken.is_err() {
            // Not taken in: the provider's next attempt at the same text must not be ignored.
            if let Err(error) = self.store.forget_receipt(provider, &message_id).await {
                tracing::warn!(error = %error, "a text that was not taken in could not be forgotten");
            }
        }
        taken
    }

    async fn take_in(
        self: &Arc<Self>,
        received: Received,
        address: String,
        phone: String,
        answer_inline: bool,
    ) -> Result<Option<String>, ReceiveError> {
        self.store.saw_number(&address, &phone, received.provider).await?;
        let opted_out = self.store.number(&address).await?.is_some_and(|number| number.opted_out);
        let immediate = match keyword(&received.body) {
            Some(Keyword::OptOut) => {
                self.store.set_opted_out(&address, true).await?;
                tracing::info!(provider = received.provider.as_str(), "a number opted out of texts");
                return Ok(None);
            }
            Some(Keyword::OptIn) if opted_out => {
                self.store.set_opted_out(&address, false).await?;
                tracing::info!(provider = received.provider.as_str(), "a number opted back in to texts");
                Some(format!(
                    "You will get texts from {} again. Text a question or what you need. Text HELP for help, STOP to \
                     stop.",
                    self.settings.council_name
                ))
            }
            Some(Keyword::Help) if !opted_out => Some(self.help_text()),
            _ if opted_out => {
                tracing::info!("a text from a number that opted out is not answered until it texts START");
                return Ok(None);
            }
            _ => None,
        };
        if let Some(text) = immediate {
            return self.answer(&address, None, text, answer_inline).await;
        }

        let (conversation, new) = self.conversation_for(&address).await?;
        if let Some(thanks) = self.take_feedback(&conversation, &received.body).await? {
            return self.answer(&address, Some(&conversation.id), thanks.to_string(), answer_inline).await;
        }
        let content = self.read_reply(&conversation, &received.body).await?;
        let channel = self.clone();
        let conversation_id = conversation.id.clone();
        let mut turn =
            tokio::spawn(
                async move { channel.engine.handle(Inbound { conversation: conversation_id, content }).await },
            );
        let waited = if self.settings.reply_within.is_zero() {
            None
        } else {
            tokio::time::timeout(self.settings.reply_within, &mut turn).await.ok()
        };
        let channel = self.clone();
        match waited {
            // The turn is over in time: a failure is left for the provider to try again, and
            // the answer goes back now or is sent.
            Some(joined) => {
                let messages = joined.map_err(|error| EngineError::Internal(error.to_string()))??;
                if answer_inline {
                    let language = self.engine.speaking_in(&conversation.id).await;
                    return Ok(self.turn_text(&messages, new, Provider::Twilio, language));
                }
                tokio::spawn(async move { channel.send_turn(&address, &conversation.id, &messages, new).await });
            }
            None => {
                tokio::spawn(async move {
                    match turn.await {
                        Ok(Ok(messages)) => channel.send_turn(&address, &conversation.id, &messages, new).await,
                        Ok(Err(error)) => tracing::warn!(error = %error, "a text could not be answered"),
                        Err(error) => tracing::error!(error = %error, "answering a text stopped unexpectedly"),
                    }
                });
            }
        }
        Ok(None)
    }

    /// Sends the bot's part of a turn through the number's provider.
    async fn send_turn(&self, address: &str, conversation: &str, messages: &[StoredMessage], new: bool) {
        let provider = self.provider_for(address).await;
        let language = self.engine.speaking_in(conversation).await;
        if let Some(text) = self.turn_text(messages, new, provider, language) {
            self.send_logged(address, conversation, &text).await;
        }
    }

    /// Answers at once: in the webhook's answer, or sent through the provider.
    async fn answer(
        &self,
        address: &str,
        conversation: Option<&str>,
        text: String,
        answer_inline: bool,
    ) -> Result<Option<String>, ReceiveError> {
        if answer_inline {
            return Ok(Some(text));
        }
        self.send_logged(address, conversation.unwrap_or(""), &text).await;
        Ok(None)
    }

    fn help_text(&self) -> String {
        format!(
            "This is {}'s text service, answered automatically. Text a question or what you need, such as \"missed \
             bin\". Text \"talk to a person\" for our team, or call {}. Text STOP to stop texts.",
            self.settings.council_name, self.settings.council_phone
        )
    }

    /// The number's conversation from the last day, or a new one; `true` when new.
    async fn conversation_for(&self, address: &str) -> Result<(Conversation, bool), ReceiveError> {
        let since = storage::now_millis() - self.settings.continue_within.as_millis() as i64;
        if let Some(conversation) =
            self.engine.store().latest_for_address(CHANNEL, address, since).await.map_err(EngineError::from)?
        {
            return Ok((conversation, false));
        }
        Ok((self.engine.start_conversation(CHANNEL, address, Audience::Resident).await?, true))
    }

    /// A bare "1" or "2" right after an answer that asked whether it helped is that feedback: the
    /// vote is recorded and the thanks returned. Anything else is for the conversation.
    async fn take_feedback(&self, conversation: &Conversation, body: &str) -> Result<Option<String>, ReceiveError> {
        if !self.settings.answer_feedback {
            return Ok(None);
        }
        let Some(helpful) = render::feedback_number(body) else { return Ok(None) };
        let store = self.engine.store();
        let Some(answer) = store.answer_last_said(&conversation.id).await.map_err(EngineError::from)? else {
            return Ok(None);
        };
        let vote = Vote::from_helpful(helpful);
        store.vote(&conversation.id, answer, vote).await.map_err(EngineError::from)?;
        Ok(Some(vote.thanks(conversation.state.speaking(self.engine.settings().council.language))))
    }

    /// A bare number picks from the choices the last message offered.
    async fn read_reply(&self, conversation: &Conversation, body: &str) -> Result<InboundContent, ReceiveError> {
        let recent = self.engine.transcript(&conversation.id, (conversation.last_seq - 10).max(0)).await?;
        let offered =
            recent.iter().rev().find(|message| message.role != Role::User).and_then(|message| match &message.reply {
                Reply::Choices { choices, .. } | Reply::Confirm { choices, .. } => Some(choices),
                _ => None,
            });
        if let Some(choice) = offered.and_then(|choices| render::picked(choices, body)) {
            return Ok(InboundContent::Choice(choice.value.clone()));
        }
        Ok(InboundContent::Text(body.to_string()))
    }

    /// The bot's part of a turn as one text in `language`; the first text of a conversation says
    /// who it is from.
    fn turn_text(
        &self,
        messages: &[StoredMessage],
        new: bool,
        provider: Provider,
        language: knowledge_base::Language,
    ) -> Option<String> {
        let replies = messages.iter().filter(|message| message.role != Role::User).map(|message| &message.reply);
        let max_segments = self.max_segments(provider);
        // Only an answer that is the last thing said asks whether it helped, so a bare number
        // never has two meanings.
        let answered_last = replies.clone().next_back().is_some_and(Reply::is_answer);
        let ending = (self.settings.answer_feedback && answered_last).then(|| render::feedback_line(language));
        let text = render::compose(replies, &self.settings.council_name, max_segments, ending.as_deref(), language)?;
        if !new {
            return Some(text);
        }
        let council = &self.settings.council_name;
        let introduced =
            crate::words::interface_words().fill(language, "sms.automated", &[("council", council), ("text", &text)]);
        Some(if render::segments(&introduced).1 <= render::segments(&text).1 { introduced } else { text })
    }

    fn max_segments(&self, provider: Provider) -> usize {
        match provider {
            Provider::Notify => self.settings.max_segments.min(NOTIFY_MAX_SEGMENTS),
            Provider::Twilio => self.settings.max_segments,
        }
    }

    /// The provider to send to a number by: the one it last texted through, when set up.
    async fn provider_for(&self, address: &str) -> Provider {
        let last = self.store.number(address).await.ok().flatten().map(|number| number.provider);
        match (last, &self.settings.twilio, &self.settings.notify) {
            (Some(Provider::Notify), _, Some(_)) | (_, None, Some(_)) => Provider::Notify,
            _ => Provider::Twilio,
        }
    }

    /// Sends a text and logs (without the number) when it cannot be sent.
    async fn send_logged(&self, address: &str, conversation: &str, text: &str) {
        match self.send(address, conversation, text).await {
            Ok(()) => {}
            Err(SendError::OptedOut) => tracing::info!("a text was not sent: the number has opted out"),
            Err(error) => tracing::warn!(error = %error, "a text could not be sent"),
        }
    }

    /// Sends a text to a number that has texted before, unless it opted out, through the
    /// provider it last used; retries while the provider is unreachable or busy.
    pub async fn send(&self, address: &str, conversation: &str, text: &str) -> Result<(), SendError> {
        let number = self.store.number(address).await?.ok_or(SendError::NoProvider)?;
        if number.opted_out {
            return Err(SendError::OptedOut);
        }
        let provider = self.provider_for(address).await;
        self.send_through(provider, address, &number.phone, conversation, text).await
    }

    /// Sends a text from a member of staff to a UK mobile number the person gave in a
    /// conversation (national digits), unless the number opted out: through the provider it last
    /// texted by, or the one set up (Twilio when both are).
    pub async fn send_from_staff(&self, number: &str, conversation: &str, text: &str) -> Result<(), SendError> {
        let (address, phone) = number_forms(number).ok_or(SendError::NoProvider)?;
        let known = self.store.number(&address).await?;
        if known.as_ref().is_some_and(|known| known.opted_out) {
            return Err(SendError::OptedOut);
        }
        let provider = match known {
            Some(_) => self.provider_for(&address).await,
            None if self.settings.twilio.is_some() => Provider::Twilio,
            None => Provider::Notify,
        };
        let most = self.max_segments(provider);
        if render::segments(text).1 > most {
            return Err(SendError::TooLong(most));
        }
        self.send_through(provider, &address, &phone, conversation, text).await
    }

    async fn send_through(
        &self,
        provider: Provider,
        address: &str,
        phone: &str,
        conversation: &str,
        text: &str,
    ) -> Result<(), SendError> {
        // Notify keeps the reference and shows it in its own records: an opaque one, never the
        // conversation's id, which reads and writes the chat.
        let reference = format!("cb-{}", uuid::Uuid::new_v4().simple());
        let mut attempt = 0;
        let message_id = loop {
            attempt += 1;
            let sent = match provider {
                Provider::Twilio => {
                    let Some(settings) = &self.settings.twilio else { return Err(SendError::NoProvider) };
                    let callback =
                        format!("{}/channels/sms/twilio/status", self.settings.public_url.trim_end_matches('/'));
                    twilio::send(&self.http, settings, phone, text, Some(&callback)).await
                }
                Provider::Notify => {
                    let Some(settings) = &self.settings.notify else { return Err(SendError::NoProvider) };
                    notify::send(&self.http, settings, phone, text, &reference).await
                }
            };
            match sent {
                Ok(id) => break id,
                Err(SendError::OptedOut) => {
                    self.store.set_opted_out(address, true).await?;
                    return Err(SendError::OptedOut);
                }
                Err(error) if error.is_transient() && attempt < SEND_ATTEMPTS => {
                    tokio::time::sleep(Duration::from_millis(500 * 2u64.pow(attempt))).await;
                }
                Err(error) => return Err(error),
            }
        };
        let record = SentRecord {
            provider,
            message_id,
            conversation_id: conversation.to_string(),
            segments: render::segments(text).1 as i64,
            status: "accepted".into(),
            error_code: None,
        };
        self.store.sent(&record).await?;
        Ok(())
    }
}

impl crate::delivery::Delivers for SmsChannel {
    const CHANNEL: &'static str = CHANNEL;

    fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    async fn deliver(&self, conversation: Conversation, message: StoredMessage) {
        self.send_turn(&conversation.address, &conversation.id, std::slice::from_ref(&message), false).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_whole_texts_in_any_case() {
        assert_eq!(keyword("STOP"), Some(Keyword::OptOut));
        assert_eq!(keyword(" stop. "), Some(Keyword::OptOut));
        assert_eq!(keyword("Cancel"), Some(Keyword::OptOut));
        assert_eq!(keyword("unsubscribe"), Some(Keyword::OptOut));
        assert_eq!(keyword("start"), Some(Keyword::OptIn));
        assert_eq!(keyword("Help!"), Some(Keyword::Help));
        assert_eq!(keyword("please stop the bin request"), None);
        assert_eq!(keyword("cancel my request"), None);
    }

    #[test]
    fn numbers_are_kept_as_conversations_know_them() {
        assert_eq!(number_forms("+447700900123"), Some(("07700900123".into(), "+447700900123".into())));
        assert_eq!(number_forms("447700900123").map(|forms| forms.1), Some("+447700900123".into()));
        assert_eq!(number_forms("07700 900123"), Some(("07700900123".into(), "+447700900123".into())));
        assert_eq!(number_forms("+353 85 123 4567"), Some(("+353851234567".into(), "+353851234567".into())));
        assert_eq!(number_forms("Eastbrook"), None);
        assert_eq!(number_forms("12"), None);
    }
}
