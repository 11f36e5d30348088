//! Workflows that carry out service requests on legacy web systems: the language, its checks,
//! and the durable runner.

pub mod allowed_hosts;
pub mod browser;
pub mod calendar;
pub mod card_numbers;
pub mod events;
pub mod http;
pub mod inputs;
pub mod journal;
pub mod names;
pub mod plan;
pub mod redact;
pub mod runner;
pub mod schema;
pub mod secrets;
pub mod workflow;
