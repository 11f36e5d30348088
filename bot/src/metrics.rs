//! Counters of what the engine does, in the Prometheus text format.

use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How a turn went, for the counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TurnOutcome {
    /// A question was answered.
    Answered,
    /// A question could not be answered.
    Unanswered,
    /// A service request moved on.
    Form,
    /// A person was brought in.
    Escalated,
    /// Small talk.
    SmallTalk,
    /// The message was for the member of staff who took over.
    ForStaff,
    /// A question that could be about more than one service was asked back.
    Clarified,
    /// The person said the answer just given was wrong or did not help.
    SaidWrong,
}

impl TurnOutcome {
    const ALL: [TurnOutcome; 8] = [
        TurnOutcome::Answered,
        TurnOutcome::Unanswered,
        TurnOutcome::Form,
        TurnOutcome::Escalated,
        TurnOutcome::SmallTalk,
        TurnOutcome::ForStaff,
        TurnOutcome::Clarified,
        TurnOutcome::SaidWrong,
    ];

    /// The outcome's name, as counted and stored.
    pub fn as_str(self) -> &'static str {
        match self {
            TurnOutcome::Answered => "answered",
            TurnOutcome::Unanswered => "unanswered",
            TurnOutcome::Form => "form",
            TurnOutcome::Escalated => "escalated",
            TurnOutcome::SmallTalk => "small_talk",
            TurnOutcome::ForStaff => "for_staff",
            TurnOutcome::Clarified => "clarified",
            TurnOutcome::SaidWrong => "said_wrong",
        }
    }
}

/// Upper bounds of the turn duration histogram, in seconds.
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

/// The engine's counters.
#[derive(Debug, Default)]
pub struct EngineMetrics {
    conversations: AtomicU64,
    turns: [AtomicU64; TurnOutcome::ALL.len()],
    turn_buckets: [AtomicU64; BUCKETS.len()],
    turn_micros: AtomicU64,
    workflow_starts: AtomicU64,
    model_fallbacks: AtomicU64,
    escalations: Mutex<Vec<(String, u64)>>,
}

impl EngineMetrics {
    /// Counts a conversation started.
    pub fn conversation_started(&self) {
        self.conversations.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a turn and how long it took.
    pub fn turn(&self, outcome: TurnOutcome, took: Duration) {
        let index = TurnOutcome::ALL.iter().position(|known| *known == outcome).unwrap_or(0);
        self.turns[index].fetch_add(1, Ordering::Relaxed);
        let seconds = took.as_secs_f64();
        for (bucket, bound) in self.turn_buckets.iter().zip(BUCKETS) {
            if seconds <= bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.turn_micros.fetch_add(took.as_micros() as u64, Ordering::Relaxed);
    }

    /// Counts a service request started.
    pub fn workflow_started(&self) {
        self.workflow_starts.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a turn answered without the language model because it failed.
    pub fn model_fell_back(&self) {
        self.model_fallbacks.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts an escalation by reason.
    pub fn escalated(&self, reason: &str) {
        let mut escalations = self.escalations.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match escalations.iter_mut().find(|(known, _)| known == reason) {
            Some((_, count)) => *count += 1,
            None => escalations.push((reason.to_string(), 1)),
        }
    }

    /// The counters in the Prometheus text format.
    pub fn render(&self, out: &mut String) {
        let turns: u64 = self.turns.iter().map(|count| count.load(Ordering::Relaxed)).sum();
        let _ = writeln!(out, "# HELP councilbot_conversations_started_total Conversations started.");
        let _ = writeln!(out, "# TYPE councilbot_conversations_started_total counter");
        let _ = writeln!(out, "councilbot_conversations_started_total {}", self.conversations.load(Ordering::Relaxed));
        let _ = writeln!(out, "# HELP councilbot_turns_total Messages handled, by outcome.");
        let _ = writeln!(out, "# TYPE councilbot_turns_total counter");
        for (outcome, count) in TurnOutcome::ALL.iter().zip(&self.turns) {
            let _ = writeln!(
                out,
                "councilbot_turns_total{{outcome=\"{}\"}} {}",
                outcome.as_str(),
                count.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(out, "# HELP councilbot_turn_duration_seconds Time to handle a message.");
        let _ = writeln!(out, "# TYPE councilbot_turn_duration_seconds histogram");
        for (bucket, bound) in self.turn_buckets.iter().zip(BUCKETS) {
            let _ = writeln!(
                out,
                "councilbot_turn_duration_seconds_bucket{{le=\"{bound}\"}} {}",
                bucket.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(out, "councilbot_turn_duration_seconds_bucket{{le=\"+Inf\"}} {turns}");
        let _ = writeln!(
            out,
            "councilbot_turn_duration_seconds_sum {}",
            self.turn_micros.load(Ordering::Relaxed) as f64 / 1_000_000.0
        );
        let _ = writeln!(out, "councilbot_turn_duration_seconds_count {turns}");
        let _ = writeln!(out, "# HELP councilbot_workflow_starts_total Service requests started by conversation.");
        let _ = writeln!(out, "# TYPE councilbot_workflow_starts_total counter");
        let _ = writeln!(out, "councilbot_workflow_starts_total {}", self.workflow_starts.load(Ordering::Relaxed));
        let _ = writeln!(
            out,
            "# HELP councilbot_model_fallbacks_total Turns answered without the language model because it failed."
        );
        let _ = writeln!(out, "# TYPE councilbot_model_fallbacks_total counter");
        let _ = writeln!(out, "councilbot_model_fallbacks_total {}", self.model_fallbacks.load(Ordering::Relaxed));
        let _ = writeln!(out, "# HELP councilbot_escalations_total Conversations handed to a person, by reason.");
        let _ = writeln!(out, "# TYPE councilbot_escalations_total counter");
        let escalations = self.escalations.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for (reason, count) in escalations.iter() {
            let _ = writeln!(out, "councilbot_escalations_total{{reason=\"{reason}\"}} {count}");
        }
    }
}
