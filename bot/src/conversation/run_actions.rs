//! What staff do to a workflow run from the runs pages, whether or not a conversation raised
//! it: try it again, resume it with a decision on the human task it waits on, cancel it, or
//! complete it by hand. A run that belongs to an escalation is
//! acted on through the escalation, which records it; any other is recorded in the audit log
//! before it is acted on, so no action goes unrecorded.

use rpa::journal::{Decision, RunRecord};

use super::engine::Engine;
use super::staff::{StaffActionError, StaffMember};

/// What staff can do to a run.
#[derive(Debug, Clone)]
pub enum RunAction {
    /// Try a failed or stuck run again; steps already done are not repeated.
    Retry,
    /// Resume a run waiting on a human task, with the decision on it.
    Resume(Decision),
    /// Cancel it; the person who asked is told.
    Cancel,
    /// Finish it by hand with these outputs.
    Complete(Vec<(String, String)>),
}

impl RunAction {
    /// The name recorded in the audit log.
    fn audit_name(&self) -> &'static str {
        match self {
            RunAction::Retry => "retry_run",
            RunAction::Resume(decision) if decision.approved => "approve_task",
            RunAction::Resume(_) => "reject_task",
            RunAction::Cancel => "cancel_run",
            RunAction::Complete(_) => "complete_run",
        }
    }
}

impl Engine {
    /// Acts on a run, found by its id or reference, for a member of staff.
    pub async fn act_on_run(
        &self,
        run: &str,
        staff: &StaffMember,
        action: RunAction,
    ) -> Result<RunRecord, StaffActionError> {
        let runner = self
            .runner()
            .cloned()
            .ok_or_else(|| StaffActionError::WrongState("workflows are not running here".into()))?;
        let found = runner.find(run).await?;
        if let Some(escalation) = self.store().escalations_for_run(&found.id).await?.pop() {
            match action {
                RunAction::Retry => self.retry_run(&escalation.id, staff).await?,
                RunAction::Resume(decision) => self.decide_task(&escalation.id, staff, decision).await?,
                RunAction::Cancel => self.cancel_run(&escalation.id, staff, "cancelled by staff").await?,
                RunAction::Complete(outputs) => self.complete_run(&escalation.id, staff, &outputs).await?,
            }
            return Ok(runner.find(&found.id).await?);
        }
        // A decision that cannot be recorded is refused before it is audited as made.
        if let RunAction::Resume(decision) = &action {
            rpa::runner::check_decision(&found, decision)?;
        }
        self.store().audit(&staff.username, action.audit_name(), &found.reference, "").await?;
        let acted = match action {
            RunAction::Retry => {
                let run = runner.retry(&found.id, &staff.username).await?;
                self.work_ready().notify_one();
                run
            }
            RunAction::Resume(decision) => {
                let run = runner.decide(&found.id, decision, &staff.username).await?;
                self.work_ready().notify_one();
                run
            }
            RunAction::Cancel => runner.cancel(&found.id, &staff.username, "cancelled by staff").await?,
            RunAction::Complete(outputs) => runner.complete(&found.id, &outputs, &staff.username).await?,
        };
        Ok(acted)
    }
}
