//! What staff do with an escalated conversation: claim it (the bot then stays quiet), reply in
//! the person's own channel, hand it back to the bot, resolve it, and act on its workflow run.
//! Every action is recorded on the escalation and in the audit log, in the transaction that
//! makes it: an action whose audit entry cannot be written is not taken. A conversation the person
//! ended stays ended: its case can still be taken and resolved, but nobody is told in the chat,
//! and a reply there is refused, since nobody would see it.

use crate::translations::speak;
use rpa::journal::Decision;
use rpa::runner::RunnerError;

use super::engine::{Engine, EngineError};
use super::lifecycle::{EscalationAction, EscalationStatus, NotNow};
use super::message::{Reply, Role, StoredMessage};
use super::records::{ConversationStatus, Escalation, EscalationChange, NewMessage};
use super::store::StoreError;

/// The longest reply staff can send, in characters.
pub const MAX_STAFF_REPLY_CHARS: usize = 2000;

/// A member of staff acting.
#[derive(Debug, Clone)]
pub struct StaffMember {
    /// Their account name, for records.
    pub username: String,
    /// Their name as residents see it.
    pub name: String,
}

/// What can go wrong with a staff action.
#[derive(Debug, thiserror::Error)]
pub enum StaffActionError {
    /// No escalation has that id.
    #[error("no escalation has the id `{0}`")]
    NoSuchEscalation(String),
    /// The escalation is not in a state for that.
    #[error("{0}")]
    WrongState(String),
    /// The escalation's lifecycle does not allow that now.
    #[error(transparent)]
    NotNow(#[from] NotNow),
    /// The person ended the conversation, so a reply in it would not be seen.
    #[error("the resident has left the chat, so a reply there would not be seen: reach them another way")]
    ResidentLeft,
    /// What was sent is not acceptable.
    #[error("{0}")]
    Invalid(String),
    /// The workflow runtime refused.
    #[error(transparent)]
    Run(#[from] RunnerError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<EngineError> for StaffActionError {
    fn from(error: EngineError) -> StaffActionError {
        match error {
            EngineError::Store(error) => StaffActionError::Store(error),
            other => StaffActionError::Invalid(other.to_string()),
        }
    }
}

type Outcome<T> = Result<T, StaffActionError>;

impl Engine {
    async fn escalation_or_missing(&self, id: &str) -> Outcome<Escalation> {
        self.store().escalation(id).await?.ok_or_else(|| StaffActionError::NoSuchEscalation(id.to_string()))
    }

    /// Why an action could not move an escalation on, read afresh: it is gone, or its
    /// lifecycle does not allow the action in the status it is now in.
    async fn refusal(&self, id: &str, action: EscalationAction) -> StaffActionError {
        match self.escalation_or_missing(id).await {
            Ok(escalation) => match escalation.status.after(action) {
                Err(not_now) => StaffActionError::NotNow(not_now),
                // It moved between the attempt and this read: the attempt was too late.
                Ok(_) => StaffActionError::WrongState("this conversation changed meanwhile: try again".into()),
            },
            Err(error) => error,
        }
    }

    /// Whether the person ended the escalation's conversation (read afresh: another instance may
    /// have ended it).
    pub async fn resident_left(&self, escalation: &Escalation) -> Outcome<bool> {
        let conversation = self.store().get_fresh(&escalation.conversation_id).await?;
        Ok(conversation.is_some_and(|conversation| conversation.status == ConversationStatus::Ended))
    }

    /// Takes an escalation: the bot stays quiet in the conversation and the person is told a
    /// member of staff has joined (unless they have left it, which it stays). Taking one already
    /// taken by the same person changes nothing.
    pub async fn claim(&self, id: &str, staff: &StaffMember) -> Outcome<Escalation> {
        let escalation = self.escalation_or_missing(id).await?;
        if escalation.status == EscalationStatus::Claimed {
            return match escalation.assignee.as_deref() {
                Some(assignee) if assignee == staff.username => Ok(escalation),
                other => Err(StaffActionError::WrongState(format!(
                    "this conversation is already taken by {}",
                    other.unwrap_or("someone else")
                ))),
            };
        }
        let left = self.resident_left(&escalation).await?;
        let language = self.speaking_in(&escalation.conversation_id).await;
        let change = EscalationChange {
            action: EscalationAction::Claim,
            assignee: Some(&staff.username),
            outcome: None,
            conversation_status: (!left).then_some(ConversationStatus::Human),
            detail: "",
        };
        let mut action = self.store().staff_action(id, &staff.username).await?;
        let Some(claimed) = action.move_escalation(change).await? else {
            drop(action);
            return Err(self.refusal(id, EscalationAction::Claim).await);
        };
        let mut told = Vec::new();
        if !left {
            let council = &self.settings().council.name;
            let joined = Reply::Staff {
                text: speak(language, "handoff.staff_joined", &[("name", &staff.name), ("council", council)]),
                name: staff.name.clone(),
                joined: true,
            };
            told = action.append(&claimed.conversation_id, vec![NewMessage::bot(joined)]).await?;
        }
        action.commit("claim", "").await?;
        self.announce(&claimed.conversation_id, &told);
        self.queue_changed(id, "claimed");
        Ok(claimed)
    }

    /// Sends the person a message from the member of staff who took the conversation; refused
    /// when they have left it.
    pub async fn reply_as_staff(&self, id: &str, staff: &StaffMember, text: &str) -> Outcome<StoredMessage> {
        let text = text.trim();
        if text.is_empty() {
            return Err(StaffActionError::Invalid("the reply is empty".into()));
        }
        let length = text.chars().count();
        if length > MAX_STAFF_REPLY_CHARS {
            return Err(StaffActionError::Invalid(format!(
                "the reply has {length} characters; the most is {MAX_STAFF_REPLY_CHARS}"
            )));
        }
        let escalation = self.escalation_or_missing(id).await?;
        if self.resident_left(&escalation).await? {
            return Err(StaffActionError::ResidentLeft);
        }
        if escalation.status != EscalationStatus::Claimed
            || escalation.assignee.as_deref() != Some(staff.username.as_str())
        {
            return Err(StaffActionError::WrongState("take the conversation before replying".into()));
        }
        let message = NewMessage {
            role: Role::Agent,
            ..NewMessage::bot(Reply::Agent { text: text.to_string(), name: staff.name.clone() })
        };
        let mut action = self.store().staff_action(id, &staff.username).await?;
        let stored = action.append(&escalation.conversation_id, vec![message]).await?;
        let Some(stored) = stored.into_iter().next() else {
            return Err(StaffActionError::WrongState("the conversation no longer exists".into()));
        };
        action.record_event("replied", "").await?;
        action.commit("reply", &format!("{length} characters")).await?;
        self.announce(&escalation.conversation_id, std::slice::from_ref(&stored));
        self.queue_changed(id, "replied");
        Ok(stored)
    }

    /// Checks that a member of staff may text the person about an escalation: they have taken it.
    pub async fn may_text(&self, id: &str, staff: &StaffMember) -> Outcome<Escalation> {
        let escalation = self.escalation_or_missing(id).await?;
        if escalation.status != EscalationStatus::Claimed
            || escalation.assignee.as_deref() != Some(staff.username.as_str())
        {
            return Err(StaffActionError::WrongState("take the conversation before texting".into()));
        }
        Ok(escalation)
    }

    /// Records that a member of staff texted the person about an escalation: how long the text
    /// was, never what it said or where it went.
    pub async fn texted(&self, id: &str, staff: &StaffMember, characters: usize) -> Outcome<()> {
        let detail = format!("{characters} characters");
        let mut action = self.store().staff_action(id, &staff.username).await?;
        action.record_event("texted", &detail).await?;
        action.commit("text", &detail).await?;
        self.queue_changed(id, "texted");
        Ok(())
    }

    /// Gives a taken conversation back to the bot; the escalation can be taken again. Refused
    /// when the person has left it: there is nobody to hand back.
    pub async fn hand_back(&self, id: &str, staff: &StaffMember) -> Outcome<Escalation> {
        let escalation = self.escalation_or_missing(id).await?;
        if self.resident_left(&escalation).await? {
            return Err(StaffActionError::WrongState(
                "the resident has left the chat, so there is nobody to hand back to the assistant: resolve the case \
                 instead"
                    .into(),
            ));
        }
        let language = self.speaking_in(&escalation.conversation_id).await;
        let change = EscalationChange {
            action: EscalationAction::HandBack,
            assignee: None,
            outcome: None,
            conversation_status: Some(ConversationStatus::Active),
            detail: "",
        };
        let mut action = self.store().staff_action(id, &staff.username).await?;
        let Some(returned) = action.move_escalation(change).await? else {
            drop(action);
            return Err(self.refusal(id, EscalationAction::HandBack).await);
        };
        let left = Reply::Staff {
            text: speak(language, "handoff.handed_back", &[("name", &staff.name)]),
            name: staff.name.clone(),
            joined: false,
        };
        let told = action.append(&returned.conversation_id, vec![NewMessage::bot(left)]).await?;
        action.commit("hand_back", "").await?;
        self.announce(&returned.conversation_id, &told);
        self.queue_changed(id, "returned");
        Ok(returned)
    }

    /// Closes an escalation with how it was resolved; the bot answers the conversation again,
    /// unless the person ended it.
    pub async fn resolve(&self, id: &str, staff: &StaffMember, outcome: &str) -> Outcome<Escalation> {
        let outcome = outcome.trim();
        if outcome.is_empty() {
            return Err(StaffActionError::Invalid("say how the conversation was resolved".into()));
        }
        let escalation = self.escalation_or_missing(id).await?;
        let left = self.resident_left(&escalation).await?;
        let language = self.speaking_in(&escalation.conversation_id).await;
        let change = EscalationChange {
            action: EscalationAction::Resolve,
            assignee: Some(&staff.username),
            outcome: Some(outcome),
            conversation_status: Some(ConversationStatus::Active),
            detail: outcome,
        };
        let mut action = self.store().staff_action(id, &staff.username).await?;
        let Some(resolved) = action.move_escalation(change).await? else {
            drop(action);
            return Err(self.refusal(id, EscalationAction::Resolve).await);
        };
        let mut told = Vec::new();
        if !left {
            let closed = Reply::Staff {
                text: speak(language, "handoff.closed", &[("name", &staff.name)]),
                name: staff.name.clone(),
                joined: false,
            };
            told = action.append(&resolved.conversation_id, vec![NewMessage::bot(closed)]).await?;
        }
        action.commit("resolve", outcome).await?;
        self.announce(&resolved.conversation_id, &told);
        self.queue_changed(id, "resolved");
        Ok(resolved)
    }

    /// The workflow run an escalation is about.
    async fn run_of(&self, id: &str) -> Outcome<(Escalation, std::sync::Arc<rpa::runner::Runner>, String)> {
        let escalation = self.escalation_or_missing(id).await?;
        let run_id = escalation
            .run_id
            .clone()
            .ok_or_else(|| StaffActionError::WrongState("this conversation has no workflow run".into()))?;
        let runner = self
            .runner()
            .cloned()
            .ok_or_else(|| StaffActionError::WrongState("workflows are not running here".into()))?;
        Ok((escalation, runner, run_id))
    }

    /// Tries the escalation's failed run again; steps already done are not repeated.
    pub async fn retry_run(&self, id: &str, staff: &StaffMember) -> Outcome<()> {
        let (_, runner, run_id) = self.run_of(id).await?;
        let run = runner.retry(&run_id, &staff.username).await?;
        self.work_ready().notify_one();
        self.after_run_action(id, staff, "retry_run", &run.reference, None).await
    }

    /// Finishes the escalation's run by hand with the outputs staff entered, and resolves it.
    pub async fn complete_run(&self, id: &str, staff: &StaffMember, outputs: &[(String, String)]) -> Outcome<()> {
        let (_, runner, run_id) = self.run_of(id).await?;
        let run = runner.complete(&run_id, outputs, &staff.username).await?;
        self.after_run_action(id, staff, "complete_run", &run.reference, Some("completed by hand")).await
    }

    /// Cancels the escalation's run (the person is told), and resolves it.
    pub async fn cancel_run(&self, id: &str, staff: &StaffMember, reason: &str) -> Outcome<()> {
        let (_, runner, run_id) = self.run_of(id).await?;
        let run = runner.cancel(&run_id, &staff.username, reason).await?;
        self.after_run_action(id, staff, "cancel_run", &run.reference, Some("run cancelled")).await
    }

    /// Approves or rejects the human task the escalation's run waits on; the run goes on.
    pub async fn decide_task(&self, id: &str, staff: &StaffMember, decision: Decision) -> Outcome<()> {
        let (_, runner, run_id) = self.run_of(id).await?;
        let approved = decision.approved;
        let run = runner.decide(&run_id, decision, &staff.username).await?;
        self.work_ready().notify_one();
        let (action, outcome) =
            if approved { ("approve_task", "task approved") } else { ("reject_task", "task rejected") };
        self.after_run_action(id, staff, action, &run.reference, Some(outcome)).await
    }

    async fn after_run_action(
        &self,
        id: &str,
        staff: &StaffMember,
        action: &str,
        reference: &str,
        resolves: Option<&str>,
    ) -> Outcome<()> {
        let mut recorded = self.store().staff_action(id, &staff.username).await?;
        recorded.record_event(action, reference).await?;
        if let Some(outcome) = resolves {
            let change = EscalationChange {
                action: EscalationAction::Resolve,
                assignee: Some(&staff.username),
                outcome: Some(outcome),
                conversation_status: None,
                detail: outcome,
            };
            // Already resolved, it stays as it was.
            recorded.move_escalation(change).await?;
        }
        recorded.commit(action, reference).await?;
        self.queue_changed(id, "run");
        Ok(())
    }
}
