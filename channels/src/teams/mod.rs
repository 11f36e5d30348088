//! Microsoft Teams, through Azure Bot Service: activities received at `/api/messages` once their
//! token is validated, answered through the connector with typing shown while the engine
//! works; choices as Adaptive Cards; supervisors alerted with cards they can act on.

pub mod activity;
pub mod auth;
pub mod cards;
pub mod config;
pub mod connector;
pub mod service_urls;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use bot::conversation::feedback::Vote;
use bot::conversation::{
    Audience, Conversation, Engine, EngineError, Escalation, Inbound, InboundContent, Priority, QueueEvent, Role,
    StaffMember, StoredMessage,
};
use rpa::journal::Decision;
use secrecy::SecretString;
use serde_json::{Map, Value, json};
use storage::StorageError;
use tokio::sync::broadcast::error::RecvError;

use crate::signing_keys::SigningKeyCache;

use activity::Activity;
use auth::{AuthError, AuthSettings, Identity, TokenValidator};
use connector::{Connector, ConnectorError, ConnectorSettings};
use service_urls::ServiceUrlAllowList;
use store::{ConversationReference, TeamsStore, UserReference};

pub use config::TeamsConfig;

/// Alerts about workflows that say the same thing, told in one card.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertGroup {
    /// The workflows.
    pub workflows: Vec<String>,
    /// What is wrong: `failing` or `unreachable`.
    pub kind: &'static str,
    /// Whether they were raised (or cleared).
    pub raised: bool,
    /// What is wrong, or was, in words.
    pub detail: String,
}
/// The channel name conversations in Teams carry.
pub const CHANNEL: &str = "teams";
/// The path the Bot Service posts activities to.
pub const MESSAGES_PATH: &str = "/api/messages";

/// How often the typing indicator is sent again while the engine works.
const TYPING_EVERY: Duration = Duration::from_secs(3);
/// How long after the last message a Teams message still continues the same conversation.
const CONTINUE_WITHIN: Duration = Duration::from_secs(24 * 3600);
/// The largest activity accepted.
const MAX_ACTIVITY_BYTES: usize = 256 * 1024;

/// How the Teams channel is set up: [`TeamsConfig`] once checked.
#[derive(Debug, Clone)]
pub struct TeamsSettings {
    /// The bot's app id (`MICROSOFT_APP_ID`).
    pub app_id: String,
    /// The bot's client secret (`MICROSOFT_APP_PASSWORD`).
    pub app_password: SecretString,
    /// The bot's tenant, for a single-tenant bot (`MICROSOFT_APP_TENANT_ID`).
    pub tenant_id: Option<String>,
    /// The Bot Framework's OpenID metadata.
    pub openid_metadata_url: String,
    /// Entra ID's sign-in address.
    pub login_url: String,
    /// Where the bot's own token comes from.
    pub token_url: String,
    /// The tenant whose users are the council's staff, if any.
    pub staff_tenant: Option<String>,
    /// The Entra ID object ids of supervisors alerted in Teams.
    pub supervisors: Vec<String>,
    /// The address people reach this server at, for links to the console.
    pub public_url: String,
    /// The council, named in greetings.
    pub council_name: String,
    /// The connector addresses the bot may send its token to.
    pub allowed_service_urls: ServiceUrlAllowList,
}

/// The Teams channel.
pub struct TeamsChannel {
    engine: Arc<Engine>,
    validator: TokenValidator,
    connector: Connector,
    store: TeamsStore,
    settings: TeamsSettings,
    /// Turns taken at once; the others wait their turn without holding database connections,
    /// so a burst of messages cannot starve what takes activities in.
    turns: Arc<tokio::sync::Semaphore>,
}

/// How many Teams turns are worked at once; a database pool has more connections than this.
const TURNS_AT_ONCE: usize = 4;

impl TeamsChannel {
    /// The channel over an engine, checking tokens against the server's signing keys; its
    /// records live in the engine's database.
    pub async fn open(
        engine: Arc<Engine>,
        settings: TeamsSettings,
        signing_keys: SigningKeyCache,
    ) -> Result<Arc<TeamsChannel>, StorageError> {
        let http = http_client::client_builder()
            .timeout(Duration::from_secs(20))
            .build()
            .expect("an HTTP client with TLS in place");
        let store = TeamsStore::open(engine.store().database().clone()).await?;
        let validator = TokenValidator::new(
            AuthSettings {
                app_id: settings.app_id.clone(),
                tenant_id: settings.tenant_id.clone(),
                openid_metadata_url: settings.openid_metadata_url.clone(),
                login_url: settings.login_url.clone(),
            },
            http.clone(),
            signing_keys,
        );
        let connector = Connector::new(
            ConnectorSettings {
                app_id: settings.app_id.clone(),
                app_password: settings.app_password.clone(),
                token_url: settings.token_url.clone(),
                allowed_service_urls: settings.allowed_service_urls.clone(),
            },
            http,
        );
        for service_url in store.service_urls().await? {
            connector.trust(&service_url);
        }
        let turns = Arc::new(tokio::sync::Semaphore::new(TURNS_AT_ONCE));
        Ok(Arc::new(TeamsChannel { engine, validator, connector, store, settings, turns }))
    }

    /// The channel's records.
    pub fn store(&self) -> &TeamsStore {
        &self.store
    }

    /// Who is writing, to the council: staff when from the council's own tenant.
    fn audience(&self, activity: &Activity) -> Audience {
        let staff = self.settings.staff_tenant.as_deref() == Some(activity.tenant());
        if staff { Audience::Staff } else { Audience::Resident }
    }

    /// The councilbot conversation an activity belongs to: the chat itself when one-to-one, the
    /// person within it otherwise.
    fn address(activity: &Activity) -> String {
        if activity.is_personal() {
            activity.conversation.id.clone()
        } else {
            format!("{}|{}", activity.conversation.id, activity.from.id)
        }
    }

    /// Keeps how to reach the conversation, and the sender when the token vouches for who they are.
    async fn remember(&self, activity: &Activity, identity: &Identity) -> Result<(), StorageError> {
        let reference = ConversationReference {
            conversation_id: activity.conversation.id.clone(),
            service_url: activity.service_url.clone(),
            tenant_id: activity.tenant().to_string(),
            bot_id: activity.recipient.id.clone(),
            bot_name: activity.recipient.name.clone(),
            user_id: activity.from.id.clone(),
            user_name: activity.from.name.clone(),
            conversation_type: activity.conversation.conversation_type.clone(),
        };
        self.store.remember_conversation(&reference).await?;
        if identity.vouches_for(&activity.from.aad_object_id) {
            self.store
                .remember_user(&UserReference {
                    aad_object_id: activity.from.aad_object_id.clone(),
                    user_id: activity.from.id.clone(),
                    name: activity.from.name.clone(),
                    service_url: activity.service_url.clone(),
                    tenant_id: activity.tenant().to_string(),
                    bot_id: activity.recipient.id.clone(),
                })
                .await?;
        }
        Ok(())
    }

    async fn conversation_for(&self, activity: &Activity) -> Result<Conversation, EngineError> {
        let address = Self::address(activity);
        let since = storage::now_millis() - CONTINUE_WITHIN.as_millis() as i64;
        if let Some(conversation) = self.engine.store().latest_for_address(CHANNEL, &address, since).await? {
            return Ok(conversation);
        }
        self.engine.start_conversation(CHANNEL, &address, self.audience(activity)).await
    }

    /// An activity addressed back to where `activity` came from.
    fn addressed(activity: &Activity, mut outgoing: Value) -> Value {
        outgoing["from"] = json!({"id": activity.recipient.id, "name": activity.recipient.name});
        outgoing["recipient"] = json!({"id": activity.from.id, "name": activity.from.name});
        outgoing["conversation"] = json!({"id": activity.conversation.id});
        outgoing["channelId"] = json!(activity.channel_id);
        outgoing["serviceUrl"] = json!(activity.service_url);
        if !activity.id.is_empty() {
            outgoing["replyToId"] = json!(activity.id);
        }
        outgoing
    }

    /// Takes a message (or a choice from a card) through a turn, showing typing while the
    /// engine works, and sends the replies.
    async fn take_turn(self: Arc<Self>, activity: Activity, content: InboundContent) {
        // The semaphore is never closed, so waiting for a permit cannot fail.
        let Ok(_permit) = self.turns.clone().acquire_owned().await else { return };
        let outcome = async {
            let conversation = self.conversation_for(&activity).await.map_err(TurnError::Engine)?;
            let conversation_id = conversation.id.clone();
            let turn = self.engine.handle(Inbound { conversation: conversation.id, content });
            tokio::pin!(turn);
            let mut typing = tokio::time::interval(TYPING_EVERY);
            let messages = loop {
                tokio::select! {
                    done = &mut turn => break done.map_err(TurnError::Engine)?,
                    _ = typing.tick() => {
                        let indicator = Self::addressed(&activity, json!({"type": "typing"}));
                        if let Err(error) = self.connector.send(&activity.service_url, &activity.conversation.id, None, &indicator).await {
                            tracing::debug!(error = %error, "the typing indicator was not shown");
                        }
                    }
                }
            };
            let language = self.engine.speaking_in(&conversation_id).await;
            for message in messages.iter().filter(|message| message.role != Role::User) {
                let Some(outgoing) = cards::stored(message, language) else { continue };
                let outgoing = Self::addressed(&activity, outgoing);
                self.connector
                    .send(&activity.service_url, &activity.conversation.id, Some(&activity.id), &outgoing)
                    .await
                    .map_err(TurnError::Connector)?;
            }
            Ok::<(), TurnError>(())
        };
        if let Err(error) = outcome.await {
            tracing::warn!(error = %error, "a Teams message could not be answered");
            if matches!(error, TurnError::Engine(_)) {
                let sorry = Self::addressed(
                    &activity,
                    json!({"type": "message", "text": "Sorry, something went wrong on our side. Please try again in a few minutes."}),
                );
                let _ = self.connector.send(&activity.service_url, &activity.conversation.id, None, &sorry).await;
            }
        }
    }

    /// Records a vote on an answer pressed on the card under it (only an answer of the conversation
    /// the activity comes from), and thanks the person.
    async fn take_feedback(self: Arc<Self>, activity: Activity, vote: Vote, seq: i64) {
        let since = storage::now_millis() - CONTINUE_WITHIN.as_millis() as i64;
        let recorded = async {
            let store = self.engine.store();
            match store.latest_for_address(CHANNEL, &Self::address(&activity), since).await? {
                Some(conversation) => {
                    let language = conversation.state.speaking(self.engine.settings().council.language);
                    Ok(store.vote(&conversation.id, seq, vote).await?.then_some(language))
                }
                None => Ok(None),
            }
        };
        let text = match recorded.await {
            Ok(Some(language)) => vote.thanks(language),
            Ok(None) => "That answer is no longer in this conversation, so your feedback was not recorded.".to_string(),
            Err::<_, bot::conversation::store::StoreError>(error) => {
                tracing::warn!(error = %error, "a vote from Teams could not be recorded");
                "Sorry, your feedback could not be recorded. Please try again in a few minutes.".to_string()
            }
        };
        let reply = Self::addressed(&activity, json!({"type": "message", "text": text}));
        if let Err(error) = self.connector.send(&activity.service_url, &activity.conversation.id, None, &reply).await {
            tracing::warn!(error = %error, "the thanks for a vote could not be sent to Teams");
        }
    }

    /// Sends a message added outside a turn to the Teams conversation it belongs to.
    async fn send_posted(&self, conversation: &Conversation, message: &StoredMessage) -> Result<(), TurnError> {
        let language = conversation.state.speaking(self.engine.settings().council.language);
        let Some(outgoing) = cards::stored(message, language) else { return Ok(()) };
        let teams_conversation = conversation.address.split('|').next().unwrap_or_default();
        let Some(reference) = self.store.conversation(teams_conversation).await.map_err(TurnError::Storage)? else {
            return Ok(());
        };
        let mut outgoing = outgoing;
        outgoing["from"] = json!({"id": reference.bot_id, "name": reference.bot_name});
        outgoing["recipient"] = json!({"id": reference.user_id, "name": reference.user_name});
        outgoing["conversation"] = json!({"id": reference.conversation_id});
        outgoing["channelId"] = json!("msteams");
        self.connector
            .send(&reference.service_url, &reference.conversation_id, None, &outgoing)
            .await
            .map_err(TurnError::Connector)?;
        Ok(())
    }

    /// Alerts the configured supervisors in Teams to each urgent escalation, and to each
    /// workflow waiting for a decision, until the engine is dropped.
    pub fn spawn_supervisor_alerts(self: &Arc<Self>) -> Option<tokio::task::JoinHandle<()>> {
        if self.settings.supervisors.is_empty() {
            return None;
        }
        let mut queue = self.engine.subscribe_queue();
        let channel = Arc::downgrade(self);
        Some(tokio::spawn(async move {
            loop {
                let event: QueueEvent = match queue.recv().await {
                    Ok(event) => event,
                    Err(RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "some escalations were not sent to supervisors in Teams");
                        continue;
                    }
                    Err(RecvError::Closed) => return,
                };
                let Some(channel) = channel.upgrade() else { return };
                if event.change != "raised" {
                    continue;
                }
                match channel.engine.store().escalation(&event.escalation).await {
                    Ok(Some(escalation)) => channel.alert_supervisors(&escalation).await,
                    Ok(None) => {}
                    Err(error) => tracing::warn!(error = %error, "an escalation could not be sent to Teams"),
                }
            }
        }))
    }

    async fn alert_supervisors(&self, escalation: &Escalation) {
        let needs_decision = escalation.reason == bot::conversation::EscalationReason::WorkflowWaiting;
        if escalation.priority != Priority::High && !needs_decision {
            return;
        }
        let channel = match self.engine.conversation(&escalation.conversation_id).await {
            Ok(conversation) => conversation.channel,
            Err(_) => String::new(),
        };
        let console_url =
            format!("{}/console/escalations/{}", self.settings.public_url.trim_end_matches('/'), escalation.id);
        let card = cards::escalation_alert(escalation, &channel, &console_url);
        for supervisor in &self.settings.supervisors {
            if let Err(error) = self.alert(supervisor, &card, "A conversation needs a person").await {
                tracing::warn!(error = %error, "a supervisor could not be alerted in Teams");
            }
        }
    }

    /// Tells every supervisor set up for alerts that workflows are in trouble, or are not any more.
    pub async fn alert_supervisors_about_workflows(&self, group: &AlertGroup) {
        let query = match group.workflows.as_slice() {
            [only] => form_urlencoded::Serializer::new(String::new()).append_pair("workflow", only).finish(),
            _ => String::new(),
        };
        let console_url = format!("{}/console/runs?{query}", self.settings.public_url.trim_end_matches('/'));
        let card = cards::workflow_alert(group, &console_url);
        let summary = if group.raised { "A workflow is in trouble" } else { "A workflow is working again" };
        for supervisor in &self.settings.supervisors {
            if let Err(error) = self.alert(supervisor, &card, summary).await {
                tracing::warn!(error = %error, "a supervisor could not be alerted in Teams");
            }
        }
    }

    /// Opens (or reopens) a one-to-one chat with a supervisor and sends them a card with a
    /// notification.
    async fn alert(&self, supervisor: &str, card: &Value, summary: &str) -> Result<(), TurnError> {
        let Some(user) = self.store.user(supervisor).await.map_err(TurnError::Storage)? else {
            return Err(TurnError::UnknownSupervisor);
        };
        let bot_id = if user.bot_id.is_empty() { format!("28:{}", self.settings.app_id) } else { user.bot_id.clone() };
        let parameters = json!({
            "bot": {"id": bot_id},
            "members": [{"id": user.user_id}],
            "channelData": {"tenant": {"id": user.tenant_id}},
            "tenantId": user.tenant_id,
            "isGroup": false,
        });
        let conversation_id =
            self.connector.create_conversation(&user.service_url, &parameters).await.map_err(TurnError::Connector)?;
        let activity = json!({
            "type": "message",
            "from": {"id": bot_id},
            "recipient": {"id": user.user_id, "name": user.name},
            "conversation": {"id": conversation_id},
            "channelId": "msteams",
            "summary": summary,
            "attachments": [{"contentType": cards::CARD_TYPE, "content": card}],
            "channelData": {"notification": {"alert": true}},
        });
        self.connector
            .send(&user.service_url, &conversation_id, None, &activity)
            .await
            .map_err(TurnError::Connector)?;
        Ok(())
    }

    /// Answers a card's `Action.Execute` with the card that replaces it.
    async fn execute(self: &Arc<Self>, activity: Activity, identity: &Identity) -> Value {
        let value = activity.value.clone().unwrap_or_default();
        let verb = value.pointer("/action/verb").and_then(Value::as_str).unwrap_or_default().to_string();
        let data = value.pointer("/action/data").cloned().unwrap_or_default();
        let text = |name: &str| data.get(name).and_then(Value::as_str).unwrap_or_default().to_string();
        let card = match verb.as_str() {
            cards::CHOOSE => {
                let choice = text("choice");
                if choice.is_empty() {
                    cards::outcome("Nothing was chosen", "Choose one of the answers and try again.")
                } else {
                    let label = Some(text("label")).filter(|label| !label.is_empty()).unwrap_or_else(|| choice.clone());
                    tokio::spawn(self.clone().take_turn(activity, InboundContent::Choice(choice)));
                    let language = knowledge_base::Language::parse(&text("language")).unwrap_or_default();
                    cards::answered(&label, language)
                }
            }
            cards::CLAIM | cards::APPROVE | cards::REJECT => {
                self.act_as_supervisor(&activity, identity, &verb, &text("escalation")).await
            }
            _ => cards::outcome("This button is not known", "It may belong to an older version of this card."),
        };
        json!({"statusCode": 200, "type": cards::CARD_TYPE, "value": card})
    }

    /// A supervisor's action from an alert card, done as in the console and recorded the same;
    /// only when the token proves who pressed it.
    async fn act_as_supervisor(&self, activity: &Activity, identity: &Identity, verb: &str, escalation: &str) -> Value {
        let supervisor = &activity.from.aad_object_id;
        let staff_tenant = self.settings.staff_tenant.as_deref() == Some(activity.tenant());
        let proven = identity.vouches_for(supervisor);
        if !proven || !staff_tenant || !self.settings.supervisors.iter().any(|id| id == supervisor) {
            return cards::outcome("Only supervisors can do this", "Ask a supervisor, or use the console.");
        }
        let name = if activity.from.name.is_empty() { "Supervisor".to_string() } else { activity.from.name.clone() };
        let staff = StaffMember { username: format!("{name} (Teams)"), name: name.clone() };
        let done = match verb {
            cards::CLAIM => self.engine.claim(escalation, &staff).await.map(|_| "Claimed"),
            cards::APPROVE => self
                .engine
                .decide_task(
                    escalation,
                    &staff,
                    Decision { approved: true, comment: "approved in Teams".into(), values: Map::new() },
                )
                .await
                .map(|_| "Approved"),
            _ => self
                .engine
                .decide_task(
                    escalation,
                    &staff,
                    Decision { approved: false, comment: "rejected in Teams".into(), values: Map::new() },
                )
                .await
                .map(|_| "Rejected"),
        };
        match done {
            Ok(what) => cards::outcome(
                &format!("{what} by {name}"),
                "Recorded in the audit log. Open the console to see the conversation.",
            ),
            Err(error) => cards::outcome("That could not be done", &error.to_string()),
        }
    }

    /// Greets someone who has just added the bot to a one-to-one chat.
    async fn welcome(self: Arc<Self>, activity: Activity) {
        let audience = self.audience(&activity);
        let text = match audience {
            Audience::Staff => format!(
                "Hello, I'm {}'s assistant. Ask me about council guidance, or ask me to check the status of a \
                 repair by its reference.",
                self.settings.council_name
            ),
            Audience::Resident => format!(
                "Hello, I'm {}'s automated assistant. Ask me a question, or tell me what you need. Say \"talk to a \
                 person\" at any time.",
                self.settings.council_name
            ),
        };
        let mut outgoing = Self::addressed(&activity, json!({"type": "message", "text": text}));
        outgoing.as_object_mut().map(|object| object.remove("replyToId"));
        if let Err(error) = self.connector.send(&activity.service_url, &activity.conversation.id, None, &outgoing).await
        {
            tracing::warn!(error = %error, "the greeting could not be sent to Teams");
        }
    }
}

impl crate::delivery::Delivers for TeamsChannel {
    const CHANNEL: &'static str = CHANNEL;

    fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    async fn deliver(&self, conversation: Conversation, message: StoredMessage) {
        if let Err(error) = self.send_posted(&conversation, &message).await {
            tracing::warn!(error = %error, "a message could not be sent to Teams");
        }
    }
}

/// Why a Teams conversation could not be answered.
#[derive(Debug, thiserror::Error)]
enum TurnError {
    #[error(transparent)]
    Engine(EngineError),
    #[error(transparent)]
    Connector(ConnectorError),
    #[error(transparent)]
    Storage(StorageError),
    #[error("the supervisor has not yet written to the bot in Teams, so cannot be alerted there")]
    UnknownSupervisor,
}

type Channel = Option<Arc<TeamsChannel>>;

/// The messaging endpoint; it says so when Teams is not set up.
pub fn router(channel: Channel) -> Router {
    Router::new().route(MESSAGES_PATH, post(messages)).with_state(channel)
}

fn refused(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({"error": {"code": status.as_u16(), "message": message}}))).into_response()
}

async fn messages(State(channel): State<Channel>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(channel) = channel else {
        return refused(StatusCode::NOT_FOUND, "Microsoft Teams is not set up on this server");
    };
    if body.len() > MAX_ACTIVITY_BYTES {
        return refused(StatusCode::PAYLOAD_TOO_LARGE, "the activity is larger than 256 KB");
    }
    let activity: Activity = match serde_json::from_slice(&body) {
        Ok(activity) => activity,
        Err(error) => return refused(StatusCode::BAD_REQUEST, &format!("the body is not an activity: {error}")),
    };
    let authorization = headers.get(header::AUTHORIZATION).and_then(|value| value.to_str().ok());
    let identity = match channel.validator.validate(authorization, &activity.channel_id, &activity.service_url).await {
        Ok(identity) => identity,
        Err(AuthError::KeysUnavailable(error)) => {
            tracing::error!(error = %error, "Teams requests cannot be checked");
            return refused(StatusCode::SERVICE_UNAVAILABLE, "the request cannot be checked now; try again");
        }
        Err(error) => {
            tracing::warn!(error = %error, "a request to the Teams endpoint was refused");
            return refused(StatusCode::UNAUTHORIZED, &error.to_string());
        }
    };
    if activity.service_url.is_empty() || activity.conversation.id.is_empty() {
        return refused(StatusCode::BAD_REQUEST, "the activity has no serviceUrl or conversation");
    }
    if !identity.admits_tenant(activity.tenant()) {
        tracing::warn!("a Teams activity named a tenant its token was not issued in");
        return refused(StatusCode::UNAUTHORIZED, "the activity's tenant is not the token's");
    }
    if !channel.connector.trust(&activity.service_url) {
        tracing::warn!(
            service_url = %crate::log_text::escaped(&activity.service_url),
            "a Teams activity named a service URL that is not on the allow-list"
        );
        return refused(StatusCode::FORBIDDEN, "the serviceUrl is not an allowed connector address");
    }
    if let Err(error) = channel.remember(&activity, &identity).await {
        tracing::error!(error = %error, "a Teams conversation could not be recorded");
        return refused(StatusCode::SERVICE_UNAVAILABLE, "the activity could not be taken in; try again");
    }
    match activity.kind.as_str() {
        "message" => {
            let words = activity.words();
            let value = activity.value.as_ref();
            if let Some(vote) = value.and_then(|value| value.get(cards::FEEDBACK)).and_then(Value::as_str) {
                let seq = value.and_then(|value| value.get("message")).and_then(Value::as_i64);
                if let (Some(vote), Some(seq), true) = (Vote::parse(vote), seq, words.is_empty()) {
                    tokio::spawn(channel.clone().take_feedback(activity, vote, seq));
                }
                return StatusCode::OK.into_response();
            }
            let submitted = activity.value.as_ref().and_then(|value| value.get("choice")).and_then(Value::as_str);
            let content = match submitted {
                Some(choice) if words.is_empty() => InboundContent::Choice(choice.to_string()),
                _ if words.is_empty() => return StatusCode::OK.into_response(),
                _ => InboundContent::Text(words),
            };
            tokio::spawn(channel.clone().take_turn(activity, content));
            StatusCode::OK.into_response()
        }
        "invoke" if activity.name == "adaptiveCard/action" => {
            axum::Json(channel.execute(activity, &identity).await).into_response()
        }
        "invoke" => {
            tracing::debug!(name = %activity.name, "an invoke councilbot does not handle");
            axum::Json(json!({"statusCode": 200})).into_response()
        }
        "conversationUpdate" => {
            let bot_added = activity.members_added.iter().any(|member| member.id == activity.recipient.id);
            if bot_added && activity.is_personal() {
                tokio::spawn(channel.clone().welcome(activity));
            }
            StatusCode::OK.into_response()
        }
        "messageUpdate" | "messageDelete" => {
            // What was said has been answered; an edit or deletion in Teams changes nothing here.
            tracing::debug!(kind = %activity.kind, "a Teams message was edited or deleted");
            StatusCode::OK.into_response()
        }
        other => {
            tracing::debug!(kind = %other, "a Teams activity councilbot does not act on");
            StatusCode::OK.into_response()
        }
    }
}
