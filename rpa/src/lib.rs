//! Workflows that carry out service requests on legacy web systems: the language, its checks,
//! and the durable runner.

pub mod allowed_hosts;
pub mod browser;
pub mod events;
pub mod inputs;
pub mod journal;
pub mod plan;
pub mod runner;
pub mod schema;
pub mod secrets;
pub mod workflow;
