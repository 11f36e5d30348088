//! Where a conversation stands between turns, kept with it in the database.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What the bot remembers of a conversation between messages.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DialogueState {
    /// The service request being gathered, if any.
    pub form: Option<FormState>,
    /// What a plain "yes" or "no" would answer next.
    pub offer: Option<Offer>,
    /// A question asked back, waiting to hear which service it is about.
    pub clarification: Option<Clarification>,
    /// How many questions in a row the bot could not answer.
    pub unanswered: u32,
    /// How frustrated the last few messages sounded, added up and fading by one each calm turn.
    pub frustration: u32,
    /// The last message, to notice the same thing sent again and again.
    pub last_message: Option<String>,
    /// How many times in a row the same message was sent.
    pub repeats: u32,
    /// The open escalation, while a person is to take over or has.
    pub escalation: Option<String>,
    /// Whether a person has taken the conversation over (the bot then stays quiet).
    pub human: bool,
    /// The answer given last turn, to see what the person makes of it next.
    pub last_answer: Option<super::feedback::LastAnswer>,
    /// The language the person chose for the conversation (with the chat's language switch,
    /// or by accepting the offer of Welsh); the council's own language until they choose.
    pub language: Option<knowledge_base::Language>,
    /// The language of the last message whose words told, which messages that do not tell
    /// (a postcode, a name) are answered in.
    pub wrote_in: Option<knowledge_base::Language>,
    /// Whether the person has been offered to carry on in Welsh.
    pub offered_welsh: bool,
}

impl DialogueState {
    /// The language the conversation is in: the one the person chose, else `council`'s.
    pub fn chosen_language(&self, council: knowledge_base::Language) -> knowledge_base::Language {
        self.language.unwrap_or(council)
    }

    /// The language to speak to the person in outside a turn: that of their last message whose
    /// words told, else the conversation's.
    pub fn speaking(&self, council: knowledge_base::Language) -> knowledge_base::Language {
        self.wrote_in.unwrap_or_else(|| self.chosen_language(council))
    }
}

/// A service request being gathered, input by input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormState {
    /// The workflow that will carry it out.
    pub workflow: String,
    /// The values gathered so far, by input name, in the form the workflow expects.
    pub values: BTreeMap<String, String>,
    /// Optional inputs the person chose to leave out.
    #[serde(default)]
    pub skipped: Vec<String>,
    /// Where the form stands.
    pub stage: FormStage,
    /// How many answers in a row to the current question could not be used.
    #[serde(default)]
    pub failed_answers: u32,
    /// Whether the person has been told what to do if the request is an emergency.
    #[serde(default)]
    pub urgent_told: bool,
}

/// Where a form stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum FormStage {
    /// Waiting for the answer to the question for this input.
    Asking {
        /// The input asked for.
        input: String,
        /// Whether the form goes back to the summary once it is answered (a change).
        #[serde(default)]
        then_confirm: bool,
    },
    /// Waiting for the summary to be confirmed.
    Confirming,
    /// Waiting to hear which value to change.
    ChoosingChange,
}

/// What a "yes" would accept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "offer", rename_all = "snake_case")]
pub enum Offer {
    /// To put the person in touch with a member of staff.
    Person,
    /// To start gathering a service request.
    Workflow {
        /// The workflow.
        workflow: String,
    },
    /// To start a service request a message was perhaps asking for; if not, the message is
    /// answered as a question.
    Perhaps {
        /// The workflow.
        workflow: String,
        /// The message, read for its values or answered.
        text: String,
    },
    /// To leave the current request and start another.
    Switch {
        /// The workflow to switch to.
        workflow: String,
    },
    /// To make a request that may be an emergency online after all, once told whom to phone.
    Urgent {
        /// The workflow.
        workflow: String,
        /// The message that asked for it, read again for its values.
        text: String,
        /// Values carried into it.
        carried: BTreeMap<String, String>,
    },
}

/// A question asked back because its best answers came from different services: the question,
/// and the pages offered to choose between.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Clarification {
    /// The question as it was asked, answered again once the service is chosen.
    pub question: String,
    /// The pages offered, in the order shown.
    pub pages: Vec<PageChoice>,
}

/// A page a question may be about, offered as a choice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageChoice {
    /// The page title, which the choice shows.
    pub title: String,
    /// Its address.
    pub url: String,
    /// Its service area, to whose pages the answer is then kept.
    pub service_area: String,
}
