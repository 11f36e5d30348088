//! An escalation's life: why it is raised and how urgent it is, the statuses it can be in, what
//! staff can do to it, and the one function that says where each action leads from each status.

use serde::{Deserialize, Serialize};

/// How urgent an escalation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// In turn.
    Normal,
    /// Before anything else.
    High,
}

impl Priority {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        storage::names::name_of(&self)
    }
}

/// Why a conversation is handed to a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationReason {
    /// The person asked for one.
    Requested,
    /// The bot could not answer questions in a row.
    Unanswered,
    /// The person sounded frustrated.
    Frustration,
    /// Someone may be in danger.
    Safeguarding,
    /// A service request could not be carried out.
    WorkflowFailed,
    /// A service request waits for a member of staff.
    WorkflowWaiting,
    /// The person's answers to a question could not be understood.
    NotUnderstood,
}

impl EscalationReason {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        storage::names::name_of(&self)
    }
}

/// Where an escalation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationStatus {
    /// Waiting for a member of staff.
    Waiting,
    /// Taken by a member of staff; the bot stays quiet.
    Claimed,
    /// Handed back to the bot; it can be taken again.
    Returned,
    /// Closed with an outcome.
    Resolved,
}

/// Something staff do that moves an escalation on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationAction {
    /// Take it.
    Claim,
    /// Give the conversation back to the bot.
    HandBack,
    /// Close it.
    Resolve,
}

/// Why an action does not apply to an escalation in its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NotNow {
    /// It is closed.
    #[error("this conversation has already been resolved")]
    Resolved,
    /// Someone has taken it already.
    #[error("this conversation is already taken")]
    Taken,
    /// Only a taken one can be handed back.
    #[error("only a conversation that was taken can be handed back")]
    NotTaken,
}

impl EscalationStatus {
    /// Every status.
    pub const ALL: [EscalationStatus; 4] =
        [EscalationStatus::Waiting, EscalationStatus::Claimed, EscalationStatus::Returned, EscalationStatus::Resolved];

    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        storage::names::name_of(&self)
    }

    /// Whether it still needs someone (not resolved).
    pub fn is_open(self) -> bool {
        self != EscalationStatus::Resolved
    }

    /// The status after an action, or why the action does not apply now.
    pub fn after(self, action: EscalationAction) -> Result<EscalationStatus, NotNow> {
        use EscalationAction::{Claim, HandBack, Resolve};
        use EscalationStatus::{Claimed, Resolved, Returned, Waiting};
        match (self, action) {
            (Waiting | Returned, Claim) => Ok(Claimed),
            (Claimed, Claim) => Err(NotNow::Taken),
            (Claimed, HandBack) => Ok(Returned),
            (Waiting | Returned | Resolved, HandBack) => Err(NotNow::NotTaken),
            (Waiting | Claimed | Returned, Resolve) => Ok(Resolved),
            (Resolved, Claim | Resolve) => Err(NotNow::Resolved),
        }
    }
}

impl EscalationAction {
    /// Every action.
    pub const ALL: [EscalationAction; 3] =
        [EscalationAction::Claim, EscalationAction::HandBack, EscalationAction::Resolve];

    /// The statuses it applies to, and the status it leads to from them.
    pub fn moves(self) -> (Vec<EscalationStatus>, Option<EscalationStatus>) {
        let mut from = Vec::new();
        let mut to = None;
        for status in EscalationStatus::ALL {
            if let Ok(next) = status.after(self) {
                from.push(status);
                to = Some(next);
            }
        }
        (from, to)
    }
}

#[cfg(test)]
mod tests {
    use super::EscalationAction::{Claim, HandBack, Resolve};
    use super::EscalationStatus::{Claimed, Resolved, Returned, Waiting};
    use super::*;

    #[test]
    fn every_action_from_every_status_leads_where_staff_expect() {
        let expected = [
            ((Waiting, Claim), Ok(Claimed)),
            ((Waiting, HandBack), Err(NotNow::NotTaken)),
            ((Waiting, Resolve), Ok(Resolved)),
            ((Claimed, Claim), Err(NotNow::Taken)),
            ((Claimed, HandBack), Ok(Returned)),
            ((Claimed, Resolve), Ok(Resolved)),
            ((Returned, Claim), Ok(Claimed)),
            ((Returned, HandBack), Err(NotNow::NotTaken)),
            ((Returned, Resolve), Ok(Resolved)),
            ((Resolved, Claim), Err(NotNow::Resolved)),
            ((Resolved, HandBack), Err(NotNow::NotTaken)),
            ((Resolved, Resolve), Err(NotNow::Resolved)),
        ];
        assert_eq!(expected.len(), EscalationStatus::ALL.len() * EscalationAction::ALL.len());
        for status in EscalationStatus::ALL {
            for action in EscalationAction::ALL {
                let (_, wanted) = expected.iter().find(|(pair, _)| *pair == (status, action)).expect("listed");
                assert_eq!(status.after(action), *wanted, "{status:?} then {action:?}");
            }
        }
    }

    #[test]
    fn each_action_leads_to_one_status() {
        for action in EscalationAction::ALL {
            let (from, to) = action.moves();
            assert!(!from.is_empty());
            assert!(from.iter().all(|status| status.after(action) == Ok(to.expect("a target"))));
        }
    }

    #[test]
    fn statuses_keep_their_stored_names() {
        let names: Vec<&str> = EscalationStatus::ALL.iter().map(|status| status.as_str()).collect();
        assert_eq!(names, ["waiting", "claimed", "returned", "resolved"]);
    }
}
