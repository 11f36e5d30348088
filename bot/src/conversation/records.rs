//! What conversations and escalations are made of, as the store reads and writes them.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::feedback::{ANSWER, FollowUp};
use super::lifecycle::{EscalationAction, EscalationReason, EscalationStatus, Priority};
use super::message::{Audience, Reply, Role};
use super::state::DialogueState;

/// Where a conversation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationStatus {
    /// The bot is answering.
    Active,
    /// Waiting for a person; the bot still answers meanwhile.
    Escalated,
    /// A person has taken over; the bot stays quiet.
    Human,
    /// Ended by the member of the public.
    Ended,
}

impl ConversationStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        storage::names::name_of(&self)
    }
}

/// A conversation as stored.
#[derive(Debug, Clone, Serialize)]
pub struct Conversation {
    /// Its id.
    pub id: String,
    /// The channel it is on: `web`, `api`, `teams`, `sms`.
    pub channel: String,
    /// The person's address on the channel (a phone number, a Teams user), empty on the web.
    pub address: String,
    /// Who the person is to the council.
    pub audience: Audience,
    /// Where the dialogue stands.
    #[serde(skip)]
    pub state: DialogueState,
    /// Where the conversation stands.
    pub status: ConversationStatus,
    /// The number of the last message.
    pub last_seq: i64,
    /// Counts the turns written, to notice two written at once.
    #[serde(skip)]
    pub version: i64,
    /// When it began, in milliseconds since 1970.
    pub created_at: i64,
    /// When it last changed.
    pub updated_at: i64,
    /// The language it is held in: the one the person chose or last wrote in.
    pub language: knowledge_base::Language,
}

/// A message to add to a transcript.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// Who wrote it.
    pub role: Role,
    /// What it says.
    pub reply: Reply,
    /// A key that keeps the same message from being added twice, such as a notification's id.
    pub dedupe_key: Option<String>,
    /// How the turn went, on the person's message (`answered`, `unanswered`, `form`, ...).
    pub outcome: Option<&'static str>,
    /// On the person's yes to "Do you want to …?", the service their message before it asked for.
    pub confirmed_service: Option<String>,
}

impl NewMessage {
    /// A message from the bot; one that answers a question is marked as an answer.
    pub fn bot(reply: Reply) -> NewMessage {
        let outcome = reply.is_answer().then_some(ANSWER);
        NewMessage { role: Role::Bot, reply, dedupe_key: None, outcome, confirmed_service: None }
    }

    /// A message from the person, with how the turn went.
    pub fn user(text: &str, outcome: &'static str) -> NewMessage {
        NewMessage {
            role: Role::User,
            reply: Reply::User { text: text.to_string() },
            dedupe_key: None,
            outcome: Some(outcome),
            confirmed_service: None,
        }
    }
}

/// A request for a person to take over.
#[derive(Debug, Clone)]
pub struct NewEscalation {
    /// Why.
    pub reason: EscalationReason,
    /// More about why, such as the kind of danger or the run's error.
    pub detail: String,
    /// How urgent.
    pub priority: Priority,
    /// The workflow run concerned, if any.
    pub run_id: Option<String>,
    /// The service request's inputs gathered so far.
    pub inputs: Map<String, Value>,
}

/// An escalation as stored.
#[derive(Debug, Clone, Serialize)]
pub struct Escalation {
    /// Its id.
    pub id: String,
    /// The conversation.
    pub conversation_id: String,
    /// Why it was raised.
    pub reason: EscalationReason,
    /// More about why.
    pub detail: String,
    /// How urgent: `high` or `normal`.
    pub priority: Priority,
    /// Where it stands.
    pub status: EscalationStatus,
    /// The workflow run concerned, if any.
    pub run_id: Option<String>,
    /// The inputs gathered when it was raised.
    pub inputs: Map<String, Value>,
    /// The transcript up to this message was there when it was raised.
    pub transcript_seq: i64,
    /// Who claimed it.
    pub assignee: Option<String>,
    /// How it was resolved.
    pub outcome: Option<String>,
    /// When it was raised, in milliseconds since 1970.
    pub created_at: i64,
    /// When it last changed.
    pub updated_at: i64,
    /// When it was resolved.
    pub resolved_at: Option<i64>,
    /// The language of its conversation.
    pub language: knowledge_base::Language,
}

/// Something that happened to an escalation.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct EscalationEvent {
    /// What: `raised`, `raised_again`, `claimed`, `replied`, `texted`, `returned`, `resolved`,
    /// or `left` (the person ended the conversation).
    pub kind: String,
    /// Who: `councilbot`, `resident` or a member of staff.
    pub actor: String,
    /// More about it.
    pub detail: String,
    /// When, in milliseconds since 1970.
    #[sqlx(rename = "created_at")]
    pub at: i64,
}

/// A change of an escalation's status, made by a member of staff.
#[derive(Debug, Clone, Copy)]
pub struct EscalationChange<'a> {
    /// What was done; the escalation's lifecycle says which statuses it applies to and where
    /// it leads, and the event recorded is named after the status it takes.
    pub action: EscalationAction,
    /// Who it is assigned to, when that changes.
    pub assignee: Option<&'a str>,
    /// How it was resolved, when it is.
    pub outcome: Option<&'a str>,
    /// The conversation's status from now, when that changes.
    pub conversation_status: Option<ConversationStatus>,
    /// More about it, for the event recorded.
    pub detail: &'a str,
}

/// Something a member of staff did.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AuditEntry {
    /// Its number.
    pub id: i64,
    /// Who.
    pub actor: String,
    /// What: `sign_in`, `claim`, `reply`, `hand_back`, `resolve`, `retry_run`, ...
    pub action: String,
    /// What it was done to (an escalation, a run, an account).
    pub target: String,
    /// More about it (never what residents wrote).
    pub detail: String,
    /// When, in milliseconds since 1970.
    #[sqlx(rename = "created_at")]
    pub at: i64,
}

/// What a turn writes.
#[derive(Debug, Clone)]
pub struct TurnRecord {
    /// The dialogue state after the turn.
    pub state: DialogueState,
    /// The conversation's status after the turn.
    pub status: ConversationStatus,
    /// The messages of the turn, in order.
    pub messages: Vec<NewMessage>,
    /// Phone numbers and email addresses the turn mentioned, normalised.
    pub contacts: Vec<String>,
    /// A request for a person raised by the turn.
    pub escalation: Option<NewEscalation>,
    /// What the person's message says of the answer just before it, when it says it did not help.
    pub follow_up: Option<FollowUp>,
    /// The language the turn was held in.
    pub language: knowledge_base::Language,
}
