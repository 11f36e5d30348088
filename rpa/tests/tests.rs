//! Tests of workflows: checking them, running them, and surviving crashes.

mod support;

mod browser_steps;
mod council_workflows;
mod durability;
mod fuzzing;
mod running;
mod validation;
