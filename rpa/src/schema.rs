//! The JSON Schema of workflow files, generated from the workflow model, for editors.

use crate::workflow::Workflow;

/// Where the schema is published in the repository.
pub const SCHEMA_PATH: &str = "docs/workflow.schema.json";

/// The JSON Schema of a workflow file, as pretty JSON with a final newline.
pub fn workflow_schema() -> String {
    let mut schema = schemars::schema_for!(Workflow);
    schema.insert("$id".to_string(), serde_json::json!("https://councilbot.example/workflow.schema.json"));
    schema.insert("title".to_string(), serde_json::json!("councilbot workflow"));
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}
