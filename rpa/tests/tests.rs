//! Tests of workflows: checking them, running them, and surviving crashes.

mod support;

mod alerts;
mod allowed_hosts;
mod browser_steps;
mod council_workflows;
mod durability;
mod fuzzing;
mod key_characters;
mod running;
mod triggers;
mod validation;
