//! Bringing workflow runs back into the conversations that started them: progress as it
//! happens, the outcome in plain words (each message delivered once, whichever instance worked
//! the run), and an escalation when a run fails or waits for a person, linked to the run so
//! acting on the escalation acts on the run.

use std::sync::Arc;
use std::time::Duration;

use rpa::events::RunEvent;
use rpa::journal::{RunRecord, RunStatus, WaitingFor};
use serde_json::Value;
use tokio::sync::broadcast::error::RecvError;

use super::engine::{Engine, EngineError};
use super::lifecycle::{EscalationReason, EscalationStatus, Priority};
use super::message::{LiveEvent, Reply};
use super::records::{Escalation, NewEscalation, NewMessage};

/// How often runs worked elsewhere are looked for, when no event says so sooner.
const SWEEP_EVERY: Duration = Duration::from_secs(2);

/// How far back runs needing people are looked for.
const LOOK_BACK: Duration = Duration::from_secs(24 * 3600);

impl Engine {
    /// Delivers every run's messages for residents to their conversations; returns how many.
    pub async fn deliver_run_updates(&self) -> Result<usize, EngineError> {
        let Some(runner) = self.runner() else { return Ok(0) };
        let journal = runner.journal();
        let mut delivered = 0;
        for notification in journal.undelivered("resident", 200).await? {
            let conversation_id = notification.recipient.address.clone();
            let Some(run) = journal.run(&notification.run_id).await? else { continue };
            if self.store().get(&conversation_id).await?.is_some() {
                let reply = Reply::WorkflowStatus {
                    text: notification.message.clone(),
                    workflow: run.workflow.clone(),
                    reference: run.reference.clone(),
                    status: run.status,
                    outputs: if run.status == RunStatus::Succeeded { shown_outputs(&run) } else { Default::default() },
                };
                let message = NewMessage {
                    dedupe_key: Some(format!("notification:{}", notification.id)),
                    ..NewMessage::bot(reply)
                };
                delivered += self.post(&conversation_id, vec![message]).await?.len();
            }
            journal.mark_delivered(notification.id).await?;
        }
        Ok(delivered)
    }

    /// Raises an escalation for every run started in conversation that failed or waits for a
    /// person and has none open yet; returns how many were raised.
    pub async fn escalate_stuck_runs(&self) -> Result<usize, EngineError> {
        let Some(runner) = self.runner() else { return Ok(0) };
        let mut raised = 0;
        let since = self.now() - LOOK_BACK.as_millis() as i64;
        for run in runner.journal().runs_needing_people(since, 500).await? {
            if self.store().get(&run.started_by.address).await?.is_none() {
                continue;
            }
            let earlier = self.store().escalations_for_run(&run.id).await?;
            // One escalation for each time the run stopped: a run retried and stuck again gets another.
            let handled = |escalation: &Escalation| {
                escalation.created_at >= run.updated_at
                    || matches!(escalation.status, EscalationStatus::Waiting | EscalationStatus::Claimed)
            };
            if earlier.iter().any(handled) {
                continue;
            }
            let reason = match (run.status, run.waiting_for) {
                (RunStatus::Waiting, Some(WaitingFor::Task)) => EscalationReason::WorkflowWaiting,
                _ => EscalationReason::WorkflowFailed,
            };
            let detail = run.reason.clone().unwrap_or_default();
            let escalation = NewEscalation {
                reason,
                detail,
                priority: Priority::Normal,
                run_id: Some(run.id.clone()),
                inputs: run.inputs.clone(),
            };
            let opened = self.store().raise_escalation(&run.started_by.address, &escalation).await?;
            self.metrics().escalated(opened.reason.as_str());
            self.queue_changed(&opened.id, "raised");
            raised += 1;
            if reason == EscalationReason::WorkflowFailed {
                let language = run.started_by.language.unwrap_or(self.settings().council.language);
                let wait = self.settings().hours.wait_message(self.local_now(), language);
                let reply = Reply::Handoff {
                    text: crate::translations::speak(
                        language,
                        "handoff.run_failed",
                        &[("reference", &run.reference), ("wait", &wait)],
                    ),
                    reason,
                    priority: Priority::Normal,
                };
                let message =
                    NewMessage { dedupe_key: Some(format!("escalation:{}", opened.id)), ..NewMessage::bot(reply) };
                self.post(&run.started_by.address, vec![message]).await?;
            }
        }
        Ok(raised)
    }

    /// Shows a step starting, in the resident's words, in the conversation that started the run.
    async fn show_progress(&self, run_id: &str, progress: &str) -> Result<(), EngineError> {
        let Some(runner) = self.runner() else { return Ok(()) };
        let Some(run) = runner.journal().run(run_id).await? else { return Ok(()) };
        if self.hub().is_listened_to(&run.started_by.address) {
            let event = LiveEvent::Progress { reference: run.reference, step: progress.to_string() };
            self.hub().publish(&run.started_by.address, event);
        }
        Ok(())
    }

    /// Keeps conversations up to date with their runs until the engine is dropped: at once for
    /// runs worked here, within a couple of seconds for runs worked by another instance.
    pub fn spawn_run_relay(self: &Arc<Engine>) -> Option<tokio::task::JoinHandle<()>> {
        let runner = self.runner().cloned()?;
        let engine = Arc::downgrade(self);
        let mut events = runner.subscribe();
        Some(tokio::spawn(async move {
            let mut sweep = tokio::time::interval(SWEEP_EVERY);
            loop {
                let event = tokio::select! {
                    event = events.recv() => Some(event),
                    _ = sweep.tick() => None,
                };
                let Some(engine) = engine.upgrade() else { return };
                let outcome = match event {
                    Some(Ok(RunEvent::StepStarted { run_id, progress, .. })) => {
                        engine.show_progress(&run_id, &progress).await
                    }
                    Some(Ok(RunEvent::StepFinished { .. } | RunEvent::RunQueued { .. })) => Ok(()),
                    Some(Ok(RunEvent::RunStopped { .. })) | Some(Err(RecvError::Lagged(_))) | None => {
                        match engine.deliver_run_updates().await {
                            Ok(_) => engine.escalate_stuck_runs().await.map(|_| ()),
                            Err(error) => Err(error),
                        }
                    }
                    Some(Err(RecvError::Closed)) => return,
                };
                if let Err(error) = outcome {
                    tracing::warn!(error = %error, "could not bring run updates into conversations");
                }
            }
        }))
    }
}

/// A run's outputs worth showing the resident (text values that are not empty).
fn shown_outputs(run: &RunRecord) -> serde_json::Map<String, Value> {
    run.outputs
        .iter()
        .filter(|(_, value)| value.as_str().is_some_and(|text| !text.trim().is_empty()))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect()
}
