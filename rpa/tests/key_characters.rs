//! Values never press keys in a legacy system's browser: WebDriver's key characters (U+E000 to
//! U+E05D, such as Tab and Enter) in an input are refused, naming the input, and whatever a `fill`
//! types (from inputs, pages or anywhere else) presses no key, in real headless Chromium.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::response::Html;
use axum::routing::{get, post};
use rpa::journal::RunStatus;
use rpa::runner::Runner;
use rpa::secrets::Secrets;

use crate::support::{Service, Workflows, config, resident, run, sqlite_journal};

const FORM: &str = r##"<!DOCTYPE html>
<html><head><title>Repair</title></head><body>
<form method="post" action="/submitted">
  <label for="description">Description</label> <input id="description" name="description">
  <label for="phone">Phone</label> <input id="phone" name="phone">
  <label for="notes">Notes</label> <textarea id="notes" name="notes"></textarea>
  <input type="submit" value="Send">
</form>
</body></html>"##;

const WORKFLOW: &str = r##"name: fill_form
version: 1
description: Type awkward values into a form without sending it.
inputs:
  - name: description
    type: text
    prompt: What is wrong?
system: { name: form, base_url: http://unused.invalid, step_timeout: 10s }
outputs:
  fields: What the form holds, field by field.
steps:
  - set:
      from_a_page: "tab\ue004enter\ue007line\nbreak\ttab\u0008"
      notes: "first line\ue006\r\nsecond line\ttabbed"
  - open: /form
  - fill: { label: Description, value: "{{ inputs.description }} {{ from_a_page }}" }
  - fill: { label: Notes, value: "{{ notes }}" }
  - script:
      code: "return [document.title, ...['description', 'phone', 'notes'].map(id => document.getElementById(id).value)]"
      as: fields
  - succeed:
      outputs:
        fields: "{{ fields }}"
"##;

#[tokio::test]
async fn webdriver_key_characters_in_inputs_are_refused_naming_the_input() {
    let workflows = Workflows::new(&[("fill.yaml", WORKFLOW)]);
    let file = workflows.catalogue().get("fill_form").unwrap().clone();
    for key in ['\u{E004}', '\u{E007}', '\u{E000}', '\u{E05D}'] {
        let given = vec![("description".to_string(), format!("the tap{key}leaks"))];
        let problems = rpa::inputs::check_inputs(&file.workflow, &given).unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].starts_with("input `description` holds U+E0"), "{problems:?}");
        assert!(problems[0].contains("would press as a key"), "{problems:?}");
    }
    let data = tempfile::tempdir().unwrap();
    let runner =
        Runner::new(sqlite_journal(data.path()).await, workflows.catalogue(), Secrets::default(), config("test", &[]));
    let given = vec![("description".to_string(), "a\u{E007}b".to_string())];
    let refused = runner.start(&file, &given, &resident()).await.unwrap_err().to_string();
    assert!(refused.contains("input `description` holds U+E007"), "{refused}");
    assert!(runner.journal().runs(10).await.unwrap().is_empty(), "no run was recorded");
}

#[tokio::test]
async fn values_typed_into_a_form_never_press_a_key() {
    let submitted = Arc::new(AtomicUsize::new(0));
    let counted = submitted.clone();
    let service = Service::start(Router::new().route("/form", get(|| async { Html(FORM) })).route(
        "/submitted",
        post(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            async { Html("<html><head><title>Sent</title></head><body>sent</body></html>") }
        }),
    ))
    .await;
    let workflows = Workflows::new(&[("fill.yaml", WORKFLOW)]);
    let data = tempfile::tempdir().unwrap();
    let runner = Runner::new(
        sqlite_journal(data.path()).await,
        workflows.catalogue(),
        Secrets::default(),
        config("test", &[("form", &service.url)]),
    );
    let file = workflows.catalogue().get("fill_form").unwrap().clone();
    let finished = run(&runner, &file, &[("description", "The tap leaks")]).await;
    assert_eq!(finished.status, RunStatus::Succeeded, "{:?}", finished.reason);
    assert_eq!(submitted.load(Ordering::SeqCst), 0, "nothing pressed Enter in the form");
    assert_eq!(
        finished.outputs["fields"],
        serde_json::json!(["Repair", "The tap leaks tabenterline break tab", "", "first line\nsecond line tabbed"]),
        "no Tab moved the value on, and line breaks stay only in the textarea"
    );
}
