//! Tests of workflows.
