//! What happens during runs, as it happens: for progress on a terminal and for conversations.

use serde::Serialize;

use crate::journal::{RunStatus, StepStatus, WaitingFor};

/// Something that happened in a run.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum RunEvent {
    /// A run was put in the queue to be worked: new, retried, or resumed after a decision.
    RunQueued {
        /// The run.
        run_id: String,
    },
    /// A step attempt began.
    StepStarted {
        /// The run.
        run_id: String,
        /// Where the step is in the workflow, such as `4` or `6.then.2`.
        step_key: String,
        /// Its kind.
        kind: String,
        /// What it does, for staff (it may name selectors and addresses).
        name: String,
        /// What the resident is shown, in plain words: the nearest `progress` text of the step,
        /// what holds it, or its workflow, else which of the workflow's steps it is.
        progress: String,
        /// Which attempt, from 1.
        attempt: i64,
    },
    /// A step attempt ended.
    StepFinished {
        /// The run.
        run_id: String,
        /// Where the step is in the workflow.
        step_key: String,
        /// Its kind.
        kind: String,
        /// What it does.
        name: String,
        /// Which attempt, from 1.
        attempt: i64,
        /// How it ended.
        status: StepStatus,
        /// How long it took, in milliseconds.
        millis: u64,
        /// Why it failed or was skipped (secrets and personal data masked).
        note: Option<String>,
    },
    /// The run stopped: it ended, or waits for a person.
    RunStopped {
        /// The run.
        run_id: String,
        /// Its reference.
        reference: String,
        /// Where it is now.
        status: RunStatus,
        /// What it waits for, if it waits.
        waiting_for: Option<WaitingFor>,
        /// What the person who started it is told.
        message: Option<String>,
    },
}
