//! Conversations: what goes in and comes out, where each one stands, how a turn is decided,
//! and how they are kept.

mod answering;
pub mod clarifying;
mod curated;
pub mod engine;
mod examples;
pub mod feedback;
pub mod form;
pub mod hearing;
pub mod hours;
pub mod hub;
pub mod lifecycle;
pub mod message;
mod peers;
pub mod records;
mod relay;
pub mod run_actions;
mod runs_watch;
pub mod services;
pub mod settings;
pub mod staff;
pub mod state;
pub mod store;
mod turn;
pub mod urgency;

pub use engine::{Engine, EngineError, EngineParts};
pub use hearing::{Heard, Hearing, RequestThresholds};
pub use lifecycle::{EscalationAction, EscalationReason, EscalationStatus, NotNow, Priority};
pub use message::{Audience, ChoiceOption, Inbound, InboundContent, LiveEvent, QueueEvent, Reply, Role, StoredMessage};
pub use records::{Conversation, ConversationStatus, Escalation};
pub use services::Services;
pub use settings::{Council, EmergencyContacts, EngineSettings, SafeguardingWording};
pub use staff::{StaffActionError, StaffMember};
pub use storage::clock::{Clock, system_clock};
pub use store::ConversationStore;
pub use turn::{IN_ENGLISH, IN_WELSH};
pub use turn::{OFFER_NO, OFFER_YES, without_card_numbers};
