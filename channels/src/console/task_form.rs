//! The form on which staff decide a human task (`templates/task_decision.html`), on an
//! escalation's page and on a run's: approve or reject, the task's fields and a comment.

use rpa::journal::Decision;
use serde_json::Value;

/// The decision a posted task form gives: its `decision` button, `value.*` fields and comment.
pub(super) fn decision(fields: &[(String, String)]) -> Decision {
    let field = |name: &str| fields.iter().find(|(key, _)| key == name).map(|(_, value)| value.trim());
    Decision {
        approved: field("decision") == Some("approve"),
        comment: field("comment").unwrap_or_default().to_string(),
        values: fields
            .iter()
            .filter_map(|(key, value)| Some((key.strip_prefix("value.")?.to_string(), Value::String(value.clone()))))
            .collect(),
    }
}
