//! What goes into and comes out of a conversation, in words that do not depend on the channel.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::lifecycle::{EscalationReason, Priority};
use crate::language::signals::Concern;

/// Who a person is to the council, which decides what they may see and ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// A member of the public.
    #[default]
    Resident,
    /// A member of the council's staff.
    Staff,
}

impl Audience {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        storage::names::name_of(&self)
    }

    /// What this audience may read in the knowledge base.
    pub fn viewer(self) -> knowledge_base::Audience {
        match self {
            Audience::Resident => knowledge_base::Audience::Public,
            Audience::Staff => knowledge_base::Audience::Staff,
        }
    }
}

/// A message into a conversation.
#[derive(Debug, Clone)]
pub struct Inbound {
    /// The conversation.
    pub conversation: String,
    /// What was sent.
    pub content: InboundContent,
}

/// What someone sent.
#[derive(Debug, Clone, PartialEq)]
pub enum InboundContent {
    /// Typed text.
    Text(String),
    /// A choice picked from those offered (a button, a card, "Reply 1"), by its value.
    Choice(String),
}

impl InboundContent {
    /// The words to understand, whichever way they came.
    pub fn text(&self) -> &str {
        match self {
            InboundContent::Text(text) | InboundContent::Choice(text) => text,
        }
    }
}

/// A page an answer comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CitationLink {
    /// The page title.
    pub title: String,
    /// Its address.
    pub url: String,
}

/// A choice offered as a button.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChoiceOption {
    /// What the button says.
    pub label: String,
    /// What is sent back when it is chosen.
    pub value: String,
}

impl ChoiceOption {
    /// A choice whose value is its label.
    pub fn plain(label: impl Into<String>) -> ChoiceOption {
        let label = label.into();
        ChoiceOption { value: label.clone(), label }
    }
}

/// One line of what a service request will send.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryLine {
    /// What the value is.
    pub label: String,
    /// The value as the resident will recognise it.
    pub value: String,
}

/// A way to get help in an emergency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmergencyContact {
    /// Who to contact.
    pub name: String,
    /// Their number.
    pub phone: String,
    /// When to use it.
    pub when: String,
}

/// Something said in a conversation, by the bot, a person or the member of the public.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reply {
    /// What the member of the public wrote.
    User {
        /// Their words.
        text: String,
    },
    /// A message, with the pages it comes from when it answers a question.
    Text {
        /// The words; facts carry the number of their citation, as `[1]`.
        text: String,
        /// The pages, numbered from 1 in this order.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        citations: Vec<CitationLink>,
    },
    /// A question with answers to pick from.
    Choices {
        /// The question.
        text: String,
        /// The answers.
        choices: Vec<ChoiceOption>,
    },
    /// What a service request will send, to be confirmed before anything is started.
    Confirm {
        /// The question.
        text: String,
        /// What will be sent.
        summary: Vec<SummaryLine>,
        /// The answers: confirm, change something, cancel.
        choices: Vec<ChoiceOption>,
    },
    /// How a service request carried out on a council system is getting on.
    WorkflowStatus {
        /// What the resident is told.
        text: String,
        /// The workflow.
        workflow: String,
        /// The request's reference.
        reference: String,
        /// Where the request stands.
        status: rpa::journal::RunStatus,
        /// What the request produced, such as the council system's own reference.
        #[serde(default, skip_serializing_if = "Map::is_empty")]
        outputs: Map<String, Value>,
    },
    /// The conversation is handed to a person.
    Handoff {
        /// What happens next, and how long it may take.
        text: String,
        /// Why.
        reason: EscalationReason,
        /// How urgent.
        priority: Priority,
    },
    /// Who to contact now, shown before anything else when someone may be in danger.
    Emergency {
        /// What to do.
        text: String,
        /// The danger.
        concern: Concern,
        /// Who to contact.
        contacts: Vec<EmergencyContact>,
    },
    /// A member of staff wrote to the member of the public.
    Agent {
        /// Their words.
        text: String,
        /// Their name as shown.
        name: String,
    },
    /// A member of staff joined the conversation, or left it to the bot again.
    Staff {
        /// What the person is told.
        text: String,
        /// The member of staff's name as shown.
        name: String,
        /// Whether they joined (`true`) or left (`false`).
        joined: bool,
    },
}

impl Reply {
    /// Plain text.
    pub fn text(text: impl Into<String>) -> Reply {
        Reply::Text { text: text.into(), citations: Vec::new() }
    }

    /// The words of the reply.
    pub fn words(&self) -> &str {
        match self {
            Reply::User { text }
            | Reply::Text { text, .. }
            | Reply::Choices { text, .. }
            | Reply::Confirm { text, .. }
            | Reply::WorkflowStatus { text, .. }
            | Reply::Handoff { text, .. }
            | Reply::Emergency { text, .. }
            | Reply::Agent { text, .. }
            | Reply::Staff { text, .. } => text,
        }
    }

    /// Whether the reply answers a question: words with the pages they come from (the council's
    /// curated answers among them).
    pub fn is_answer(&self) -> bool {
        matches!(self, Reply::Text { citations, .. } if !citations.is_empty())
    }

    /// The reply's kind, as in its JSON.
    pub fn kind(&self) -> &'static str {
        match self {
            Reply::User { .. } => "user",
            Reply::Text { .. } => "text",
            Reply::Choices { .. } => "choices",
            Reply::Confirm { .. } => "confirm",
            Reply::WorkflowStatus { .. } => "workflow_status",
            Reply::Handoff { .. } => "handoff",
            Reply::Emergency { .. } => "emergency",
            Reply::Agent { .. } => "agent",
            Reply::Staff { .. } => "staff",
        }
    }
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The member of the public, or the member of staff asking.
    User,
    /// councilbot.
    Bot,
    /// A supervisor who took over.
    Agent,
}

impl Role {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        storage::names::name_of(&self)
    }
}

/// A message as kept in a conversation's transcript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredMessage {
    /// Its position in the conversation, from 1; also its event id.
    pub seq: i64,
    /// Who wrote it.
    pub role: Role,
    /// When, in milliseconds since 1970.
    pub at: i64,
    /// What it says.
    #[serde(flatten)]
    pub reply: Reply,
}

/// What a conversation's live listeners are told.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum LiveEvent {
    /// A message was added to the transcript (boxed: each conversation's channel keeps room
    /// for many events, and most are small).
    Message(Box<StoredMessage>),
    /// More words of a reply still being written (the finished reply follows as a message).
    Delta {
        /// The words added.
        text: String,
    },
    /// The bot is working on a reply.
    Typing,
    /// A step of a service request began.
    Progress {
        /// The request's reference.
        reference: String,
        /// What is being done, in plain words for the resident (never a selector or a step kind).
        step: String,
    },
}

/// A change to the queue of escalations, for live views of it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QueueEvent {
    /// The escalation.
    pub escalation: String,
    /// What happened: `raised`, `claimed`, `replied`, `texted`, `returned`, `resolved`, `run`,
    /// `left` (the person ended the conversation).
    pub change: String,
}
