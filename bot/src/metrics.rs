//! Counters of what the engine does, in the Prometheus text format.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

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
    /// A question was asked back: which service a message is about, or whether it asks for one.
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

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ReasonLabel {
    reason: String,
}

/// The engine's counters.
#[derive(Debug)]
pub struct EngineMetrics {
    conversations: Counter,
    turns: Family<OutcomeLabel, Counter>,
    turn_duration: Histogram,
    workflow_starts: Counter,
    model_fallbacks: Counter,
    escalations: Family<ReasonLabel, Counter>,
}

impl Default for EngineMetrics {
    fn default() -> EngineMetrics {
        let turns = Family::default();
        // Every outcome is shown from the start, at zero until it happens.
        for outcome in TurnOutcome::ALL {
            let _ = turns.get_or_create(&OutcomeLabel { outcome: outcome.as_str() });
        }
        EngineMetrics {
            conversations: Counter::default(),
            turns,
            turn_duration: Histogram::new(BUCKETS),
            workflow_starts: Counter::default(),
            model_fallbacks: Counter::default(),
            escalations: Family::default(),
        }
    }
}

impl EngineMetrics {
    /// Counts a conversation started.
    pub fn conversation_started(&self) {
        self.conversations.inc();
    }

    /// Counts a turn and how long it took.
    pub fn turn(&self, outcome: TurnOutcome, took: Duration) {
        self.turns.get_or_create(&OutcomeLabel { outcome: outcome.as_str() }).inc();
        self.turn_duration.observe(took.as_secs_f64());
    }

    /// Counts a service request started.
    pub fn workflow_started(&self) {
        self.workflow_starts.inc();
    }

    /// Counts a turn answered without the language model because it failed.
    pub fn model_fell_back(&self) {
        self.model_fallbacks.inc();
    }

    /// Counts an escalation by reason.
    pub fn escalated(&self, reason: &str) {
        self.escalations.get_or_create(&ReasonLabel { reason: reason.to_string() }).inc();
    }

    /// Adds the counters to `registry`. Counters are named without their `_total` suffix, which
    /// the encoder adds.
    pub fn register(&self, registry: &mut Registry) {
        registry.register("councilbot_conversations_started", "Conversations started", self.conversations.clone());
        registry.register("councilbot_turns", "Messages handled, by outcome", self.turns.clone());
        registry.register("councilbot_turn_duration_seconds", "Time to handle a message", self.turn_duration.clone());
        registry.register(
            "councilbot_workflow_starts",
            "Service requests started by conversation",
            self.workflow_starts.clone(),
        );
        registry.register(
            "councilbot_model_fallbacks",
            "Turns answered without the language model because it failed",
            self.model_fallbacks.clone(),
        );
        registry.register(
            "councilbot_escalations",
            "Conversations handed to a person, by reason",
            self.escalations.clone(),
        );
    }

    /// The counters in the Prometheus text format.
    pub fn render(&self, out: &mut String) {
        let mut registry = Registry::default();
        self.register(&mut registry);
        // Writing to a `String` cannot fail.
        let _ = prometheus_text::encode(out, &registry);
    }
}
