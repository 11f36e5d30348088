//! The conversation engine: answers grounded in the knowledge base, service requests gathered
//! by conversation, escalation to people, and how well it all does.

pub mod answer;
mod audited;
pub mod conversation;
pub mod curated;
mod error;
pub mod eval;
pub mod eval_intents;
pub mod figures;
pub mod language;
pub mod llm;
pub mod metrics;
pub mod privacy;
pub mod service_examples;
pub mod stories;
pub mod translations;
mod yaml_file;

pub use answer::{Answer, AnswerSettings, Citation, ExtractiveAnswerer};
pub use conversation::{Engine, EngineError, EngineParts, EngineSettings, Inbound, InboundContent, Reply};
pub use error::{Error, Result};
pub use yaml_file::FilesError;
