//! Every kind of browser step, on a page made to need them, in real headless Chromium.

use std::collections::HashMap;

use axum::extract::Form;
use axum::response::Html;
use axum::routing::{get, post};
use axum::{Json, Router};
use rpa::journal::RunStatus;
use rpa::runner::Runner;
use rpa::secrets::Secrets;
use serde_json::json;

use crate::support::{Service, Workflows, config, run, sqlite_journal};

const PAGE: &str = r##"<!DOCTYPE html>
<html><head><title>Steps</title></head><body>
<h1>Report details</h1>
<form onsubmit="return false">
  <label><input type="checkbox" id="vulnerable"> Resident is vulnerable</label>
  <label for="photo">Photo of the problem</label> <input type="file" id="photo">
  <label for="search">Search</label> <input id="search" onkeydown="if (event.key === 'Enter') document.getElementById('searched').textContent = 'searched for ' + this.value">
</form>
<p id="searched"></p>
<button id="ask" onclick="document.getElementById('name').textContent = prompt('Your name?')">Ask</button>
<button onclick="if (!confirm('Delete the case?')) document.getElementById('kept').textContent = 'kept'">Delete</button>
<p id="name"></p><p id="kept"></p>
<div id="spinner">Loading...</div>
<script>
setTimeout(function () {
  document.getElementById('spinner').remove();
  var ready = document.createElement('p'); ready.id = 'ready'; ready.textContent = 'Ready now';
  document.body.appendChild(ready);
}, 500);
</script>
<a href="/next" data-case="HR-900900">Next page</a>
</body></html>"##;

const WORKFLOW: &str = r##"name: every_step
version: 1
description: Use every kind of browser step.
inputs:
  - name: photo
    type: text
    prompt: Which photo?
system: { name: page, base_url: http://unused.invalid, step_timeout: 10s }
outputs:
  state: What the form held.
  echoed: What the service echoed.
steps:
  - open: /page
  - check: { label: Resident is vulnerable }
  - upload: { label: Photo of the problem, file: "{{ inputs.photo }}" }
  - script:
      code: "return [String(document.getElementById('vulnerable').checked), document.getElementById('photo').files[0].name]"
      as: form_state
  - fill: { label: Search, value: HR-1 }
  - press: { label: Search, key: Enter }
  - assert: { text: searched for HR-1 }
  - click: { css: "#ask" }
  - dialog: { action: accept, answer: Ann, expect: Your name }
  - wait_for: { text: Ann }
  - click: { text: Delete }
  - dialog: { action: dismiss }
  - wait_for: { visible: { xpath: "//p[@id='kept' and text()='kept']" } }
  - wait_for: { gone: { css: "#spinner" } }
  - assert: { visible: { css: "#ready" } }
  - extract: { link: Next page, attribute: data-case, as: case_attr }
  - screenshot: { name: before-leaving }
  - click: { link: Next page }
  - wait_for: { url: "/next$" }
  - assert: { url: /next, message: the next page did not open }
  - extract: { xpath: "//h1", as: heading }
  - http:
      method: POST
      url: /echo
      form: { case: "{{ case_attr }}", heading: "{{ heading }}" }
      expect_status: [200]
      extract: { echoed: /case }
  - notify: { to: staff, message: "Case {{ case_attr }} was looked at" }
  - succeed:
      outputs:
        state: "{{ form_state | join(',') }}"
        echoed: "{{ echoed }}"
"##;

#[tokio::test]
async fn every_kind_of_browser_step_does_what_it_says() {
    let service = Service::start(
        Router::new()
            .route("/page", get(|| async { Html(PAGE) }))
            .route("/next", get(|| async { Html("<html><body><h1>Second page</h1></body></html>") }))
            .route(
                "/echo",
                post(|Form(fields): Form<HashMap<String, String>>| async move {
                    Json(json!({ "case": format!("{} on {}", fields["case"], fields["heading"]) }))
                }),
            ),
    )
    .await;
    let workflows = Workflows::new(&[("steps.yaml", WORKFLOW)]);
    let photo = workflows.path("photo.png");
    std::fs::write(&photo, b"\x89PNG\r\n\x1a\n").unwrap();
    let data = tempfile::tempdir().unwrap();
    let runner = Runner::new(
        sqlite_journal(data.path()).await,
        workflows.catalogue(),
        Secrets::default(),
        config("test", &[("page", &service.url)]),
    );
    let file = workflows.catalogue().get("every_step").unwrap().clone();
    let finished = run(&runner, &file, &[("photo", photo.to_str().unwrap())]).await;
    assert_eq!(finished.status, RunStatus::Succeeded, "{:?}", finished.reason);
    assert_eq!(finished.outputs["state"], "true,photo.png");
    assert_eq!(finished.outputs["echoed"], "HR-900900 on Second page");
    let evidence = runner.journal().evidence(&finished.id).await.unwrap();
    assert_eq!(evidence.len(), 1, "the screenshot step kept one picture and nothing failed");
    assert_eq!(evidence[0].name, "before-leaving.png");
    assert!(evidence[0].content.starts_with(b"\x89PNG"));
    let told = runner.journal().notifications(&finished.id).await.unwrap();
    assert!(
        told.iter().any(|note| note.audience == "staff" && note.message == "Case HR-900900 was looked at"),
        "{told:?}"
    );
}

#[tokio::test]
async fn a_missing_element_fails_with_what_was_looked_for_and_a_missing_file_is_named() {
    let service = Service::start(Router::new().route("/page", get(|| async { Html(PAGE) }))).await;
    let workflow = r##"name: missing
version: 1
description: Look for what is not there.
system: { name: page, base_url: http://unused.invalid, step_timeout: 20s }
steps:
  - open: /page
  - upload: { label: Photo of the problem, file: /no/such/photo.png }
    on_error:
      - set: { upload_problem: "{{ error.message }}" }
  - click: { text: Submit the form }
    timeout: 1s
"##;
    let kept = Kept::run(&service.url, "missing", workflow).await;
    let (runner, stuck) = (&kept.runner, kept.run.clone());
    assert_eq!(stuck.status, RunStatus::Waiting);
    let reason = stuck.reason.unwrap();
    assert!(reason.contains("step 3 (click text \"Submit the form\")"), "{reason}");
    assert!(reason.contains("text \"Submit the form\" was not found on the page (nothing matches)"), "{reason}");
    let steps = runner.journal().steps(&stuck.id).await.unwrap();
    let upload = steps.iter().find(|step| step.step_key == "2").unwrap();
    assert!(
        upload.error.as_deref().unwrap().contains("the file to upload does not exist: /no/such/photo.png"),
        "{:?}",
        upload.error
    );
}

#[tokio::test]
async fn choosing_in_a_disabled_list_or_a_disabled_option_fails_and_a_list_enabled_in_time_is_waited_for() {
    let page = r##"<!DOCTYPE html>
<html><head><title>Lists</title></head><body>
<label for="locked">Locked list</label>
<select id="locked" disabled><option>One</option><option>Two</option></select>
<fieldset disabled><label for="fenced">Fenced list</label>
<select id="fenced"><option>One</option><option>Two</option></select></fieldset>
<label for="partly">Partly closed list</label>
<select id="partly"><option>One</option><option disabled>Two</option></select>
<label for="later">Later list</label>
<select id="later" disabled><option>One</option><option>Two</option></select>
<script>setTimeout(function () { document.getElementById('later').disabled = false; }, 400);</script>
</body></html>"##;
    let service = Service::start(Router::new().route("/page", get(move || async move { Html(page) }))).await;
    let workflow = r##"name: lists
version: 1
description: Choose in lists that may not take a choice.
system: { name: page, base_url: http://unused.invalid, step_timeout: 20s }
outputs:
  locked: Why the locked list took no choice.
  fenced: Why the fenced list took no choice.
  partly: Why the option took no choice.
  later: What the later list shows.
steps:
  - open: /page
  - select: { label: Locked list, option: Two }
    timeout: 2s
    on_error:
      - set: { locked: "{{ error.message }}" }
  - select: { label: Fenced list, option: Two }
    timeout: 2s
    on_error:
      - set: { fenced: "{{ error.message }}" }
  - select: { label: Partly closed list, option: Two }
    timeout: 2s
    on_error:
      - set: { partly: "{{ error.message }}" }
  - select: { label: Later list, option: Two }
  - script: { code: "return document.getElementById('later').value", as: later }
  - succeed:
      outputs:
        locked: "{{ locked }}"
        fenced: "{{ fenced }}"
        partly: "{{ partly }}"
        later: "{{ later }}"
"##;
    let finished = run_here(&service.url, "lists", workflow).await;
    assert_eq!(finished.status, RunStatus::Succeeded, "{:?}", finished.reason);
    let output = |name: &str| finished.outputs[name].as_str().unwrap_or_default().to_string();
    assert!(output("locked").contains("is disabled, so \"Two\" cannot be chosen"), "{}", output("locked"));
    assert!(output("fenced").contains("is disabled, so \"Two\" cannot be chosen"), "{}", output("fenced"));
    assert!(output("partly").contains("the option \"Two\""), "{}", output("partly"));
    assert!(output("partly").contains("is disabled"), "{}", output("partly"));
    assert_eq!(output("later"), "Two", "a list enabled before the deadline is waited for");
}

#[tokio::test]
async fn an_option_is_chosen_by_a_regular_expression_once_exactly_one_matches() {
    // The slots arrive late, with the date in their text, as booking systems show them.
    let page = r##"<!DOCTYPE html>
<html><head><title>Slots</title></head><body>
<label for="slot">Collection slot</label>
<select id="slot"><option value="">Choose a slot</option></select>
<script>setTimeout(function () {
  var list = document.getElementById('slot');
  ['Tue 12 Jan 2027 (morning)', 'Tue 12 Jan 2027 (afternoon)', 'Fri 15 Jan 2027 (morning)'].forEach(function (text, index) {
    var option = document.createElement('option'); option.value = 'S' + (index + 1); option.text = text; list.add(option);
  });
}, 300);</script>
</body></html>"##;
    let service = Service::start(Router::new().route("/slots", get(move || async move { Html(page) }))).await;
    let workflow = |choose: &str| {
        on_page(
            "slots",
            "outputs:\n  slot: The slot chosen.\n",
            &format!(
                "  - open: /slots\n  - set: {{ day: 15 Jan }}\n  - select: {{ label: Collection slot, {choose} }}\n  - script: {{ code: \"return document.getElementById('slot').value\", as: slot }}\n  - succeed: {{ outputs: {{ slot: \"{{{{ slot }}}}\" }} }}"
            ),
        )
    };
    let chosen = run_here(&service.url, "slots", &workflow("option_matches: \"^Fri {{ day }} .*morning\"")).await;
    assert_eq!(chosen.status, RunStatus::Succeeded, "{:?}", chosen.reason);
    assert_eq!(chosen.outputs["slot"], "S3");

    let several = run_here(&service.url, "slots", &workflow("option_matches: \"12 Jan\"")).await;
    let reason = several.reason.unwrap_or_default();
    assert!(
        reason.contains("2 options of label \"Collection slot\" match `12 Jan`: \"Tue 12 Jan 2027 (morning)\", \"Tue 12 Jan 2027 (afternoon)\""),
        "{reason}"
    );

    let none = run_here(&service.url, "slots", &workflow("option_matches: \"^Sat\"")).await;
    let reason = none.reason.unwrap_or_default();
    assert!(reason.contains("has no option matching `^Sat`; it offers \"Choose a slot\", \"Tue 12 Jan"), "{reason}");
}

#[tokio::test]
async fn an_element_a_script_found_is_the_target_of_later_steps_while_it_stays_on_the_page() {
    // The free slot is known only from data on the rows, which no locator can say.
    let page = r##"<!DOCTYPE html>
<html><head><title>Slots</title></head><body>
<ul id="slots"><li data-free="0"><button>Book</button> Monday</li><li data-free="2"><button>Book</button> Tuesday</li></ul>
<p id="booked"></p>
<script>document.querySelectorAll('#slots button').forEach(function (button) {
  button.addEventListener('click', function () { document.getElementById('booked').textContent = button.parentElement.textContent.trim(); });
});</script>
</body></html>"##;
    let service = Service::start(Router::new().route("/slots", get(move || async move { Html(page) }))).await;
    let workflow = |after: &str| {
        on_page(
            "slots",
            "outputs:\n  booked: The slot booked.\n",
            &format!(
                r##"  - open: /slots
  - script:
      code: "return [...document.querySelectorAll('#slots li')].find(li => li.dataset.free > 0).querySelector('button')"
      as: free_slot
{after}
  - click: {{ element: free_slot }}
  - extract: {{ css: "#booked", as: booked }}
  - succeed: {{ outputs: {{ booked: "{{{{ booked }}}}" }} }}"##
            ),
        )
    };
    let booked = run_here(&service.url, "slots", &workflow("")).await;
    assert_eq!(booked.status, RunStatus::Succeeded, "{:?}", booked.reason);
    assert_eq!(booked.outputs["booked"], "Book Tuesday");

    // After the page reloads, the element the script found is gone: the step says so.
    let gone = run_here(&service.url, "slots", &workflow("  - open: /slots")).await;
    let reason = gone.reason.unwrap_or_default();
    assert!(reason.contains("the element in `free_slot` was not found on the page (nothing matches)"), "{reason}");

    let not_an_element = run_here(&service.url, "slots", &workflow("  - set: { free_slot: Tuesday }")).await;
    let reason = not_an_element.reason.unwrap_or_default();
    assert!(reason.contains("`free_slot` does not hold an element"), "{reason}");
}

/// Buttons that are not ready at first: under a loading overlay, disabled, sliding in; a field
/// that is read-only, and one that is hidden.
const NOT_READY: &str = r##"<!DOCTYPE html>
<html><head><title>Not ready</title>
<style>
  #overlay { position: fixed; inset: 0; background: rgba(0,0,0,0.4); }
  #blocker { position: fixed; inset: 0; background: rgba(0,0,0,0.4); display: none; }
  @keyframes slide { from { transform: translateX(400px); } to { transform: translateX(0); } }
  #sliding { animation: slide 2.5s linear; }
</style></head><body>
<button id="covered">Covered</button> <button id="disabled" disabled>Disabled</button>
<button id="sliding">Sliding</button>
<label for="locked">Locked</label> <input id="locked" readonly value="fixed">
<label for="secret">Secret</label> <input id="secret" style="display:none">
<p id="log"></p>
<div id="overlay">Loading…</div><div id="blocker">Please wait</div>
<script>
  const log = (text) => { document.getElementById('log').textContent += text + ';'; };
  ['covered', 'disabled', 'sliding'].forEach((id) => document.getElementById(id).addEventListener('click', () => log(id)));
  setTimeout(() => document.getElementById('overlay').remove(), 600);
  setTimeout(() => { document.getElementById('disabled').disabled = false; }, 900);
</script>
</body></html>"##;

#[tokio::test]
async fn a_click_waits_until_its_target_is_uncovered_enabled_and_still_and_a_fill_until_its_field_takes_typing() {
    let service = Service::start(Router::new().route("/page", get(|| async { Html(NOT_READY) }))).await;
    let workflow = |steps: &str| {
        let steps = format!(
            "  - open: /page\n{steps}\n  - extract: {{ css: \"#log\", as: log }}\n  - succeed: {{ outputs: {{ log: \"{{{{ log }}}}\" }} }}"
        );
        on_page("ready", "outputs:\n  log: What was clicked.\n", &steps)
    };
    // Each click lands once its button can take it, not on the overlay or a disabled button.
    let clicks = "  - click: { css: \"#covered\" }\n  - click: { css: \"#disabled\" }\n  - click: { text: Sliding }";
    let clicked = run_here(&service.url, "ready", &workflow(clicks)).await;
    assert_eq!(clicked.status, RunStatus::Succeeded, "{:?}", clicked.reason);
    assert_eq!(clicked.outputs["log"], "covered;disabled;sliding;");

    let stays_covered = "  - script: { code: \"document.getElementById('blocker').style.display = 'block'\" }\n  - click: { css: \"#covered\" }\n    timeout: 1500ms";
    let reason = run_here(&service.url, "ready", &workflow(stays_covered)).await.reason.unwrap_or_default();
    assert!(
        reason.contains("timed out waiting for css \"#covered\" to be clicked: it is covered by <div> \"Please wait\""),
        "{reason}"
    );

    let read_only = "  - fill: { label: Locked, value: changed }\n    timeout: 1s";
    let reason = run_here(&service.url, "ready", &workflow(read_only)).await.reason.unwrap_or_default();
    assert!(reason.contains("timed out waiting for label \"Locked\" to be typed into: it is read-only"), "{reason}");

    let hidden = "  - fill: { label: Secret, value: x }\n    timeout: 1s";
    let reason = run_here(&service.url, "ready", &workflow(hidden)).await.reason.unwrap_or_default();
    assert!(reason.contains("to be typed into: it is on the page but not visible"), "{reason}");

    let not_a_field = "  - fill: { css: \"#log\", value: x }\n    timeout: 1s";
    let reason = run_here(&service.url, "ready", &workflow(not_a_field)).await.reason.unwrap_or_default();
    assert!(reason.contains("css \"#log\" cannot be typed into: it is a <p>, not a field"), "{reason}");
}

#[tokio::test]
async fn an_option_of_a_closed_list_can_be_clicked() {
    let page = r#"<!DOCTYPE html><html><head><title>Pick</title></head><body>
<label for="colour">Colour</label><select id="colour"><option>Red</option><option>Blue</option></select></body></html>"#;
    let service = Service::start(Router::new().route("/pick", get(move || async move { Html(page) }))).await;
    let steps = "  - open: /pick\n  - click: { css: \"#colour option:nth-child(2)\" }\n  - extract: { label: Colour, as: colour }\n  - succeed: { outputs: { colour: \"{{ colour }}\" } }";
    let picked =
        run_here(&service.url, "pick", &on_page("pick", "outputs:\n  colour: The colour chosen.\n", steps)).await;
    assert_eq!(picked.status, RunStatus::Succeeded, "{:?}", picked.reason);
    assert_eq!(picked.outputs["colour"], "Blue");
}

/// A page that asks where the browser is and whether it may read the clipboard.
const WHERE: &str = r##"<!DOCTYPE html>
<html><head><title>Where</title></head><body>
<p id="geo">asking</p><p id="clip">asking</p>
<script>
  navigator.geolocation.getCurrentPosition(
    (p) => { document.getElementById('geo').textContent = p.coords.latitude.toFixed(4) + ',' + p.coords.longitude.toFixed(4); },
    (e) => { document.getElementById('geo').textContent = 'refused'; });
  navigator.permissions.query({ name: 'clipboard-read' }).then((s) => { document.getElementById('clip').textContent = s.state; });
</script>
</body></html>"##;

#[tokio::test]
async fn a_workflow_grants_its_pages_a_position_and_the_clipboard() {
    let service = Service::start(Router::new().route("/where", get(|| async { Html(WHERE) }))).await;
    let workflow = |browser: &str| {
        let header = format!("{browser}outputs:\n  clipboard: Whether the clipboard may be read.\n");
        let steps = "  - open: /where\n  - wait_for: { text: \"53.4808,-2.2426\" }\n  - extract: { css: \"#clip\", as: clipboard }\n  - succeed: { outputs: { clipboard: \"{{ clipboard }}\" } }";
        on_page("where", &header, steps)
    };
    let granted = "browser:\n  permissions: [clipboard]\n  geolocation: { latitude: 53.4808, longitude: -2.2426 }\n";
    let located = run_here(&service.url, "where", &workflow(granted)).await;
    assert_eq!(located.status, RunStatus::Succeeded, "{:?}", located.reason);
    assert_eq!(located.outputs["clipboard"], "granted");

    // Without the settings the page is given no position.
    let plain = run_here(&service.url, "where", &workflow("")).await;
    assert_ne!(plain.status, RunStatus::Succeeded, "the position was never granted");
}

/// A workflow named `name` on the page service, with more header keys (`header`, each line
/// ending in a line break) and its steps.
fn on_page(name: &str, header: &str, steps: &str) -> String {
    format!(
        "name: {name}\nversion: 1\ndescription: A workflow on a test page.\nsystem: {{ name: page, base_url: http://unused.invalid, step_timeout: 15s }}\n{header}steps:\n{steps}\n"
    )
}

/// Runs a workflow written in a test, named `name`, on the page service at `service`, to where
/// it stops.
async fn run_here(service: &str, name: &str, text: &str) -> rpa::journal::RunRecord {
    Kept::run(service, name, text).await.run
}

/// A run of a workflow written in a test, with its runner and journal kept for looking into.
struct Kept {
    runner: Runner,
    run: rpa::journal::RunRecord,
    _data: tempfile::TempDir,
    _workflows: Workflows,
}

impl Kept {
    /// Runs the workflow `text`, named `name`, on the page service at `service`, to where it stops.
    async fn run(service: &str, name: &str, text: &str) -> Kept {
        let file = format!("{name}.yaml");
        let workflows = Workflows::new(&[(file.as_str(), text)]);
        let data = tempfile::tempdir().unwrap();
        let runner = Runner::new(
            sqlite_journal(data.path()).await,
            workflows.catalogue(),
            Secrets::default(),
            config("test", &[("page", service)]),
        );
        let run = run(&runner, &workflows.catalogue().get(name).unwrap().clone(), &[]).await;
        Kept { runner, run, _data: data, _workflows: workflows }
    }
}

/// A page for checks: a status, a list, a disabled button and a hidden notice.
const CHECKED: &str = r##"<!DOCTYPE html>
<html><head><title>Case</title></head><body>
<h1>Case HR-100200</h1>
<p id="status">  Awaiting parts  </p>
<ul id="visits"><li>Mon</li><li>Wed</li><li>Fri</li></ul>
<button id="submit" aria-disabled="true" data-case="HR-100200">Submit</button>
<p id="notice" hidden>Saved</p>
</body></html>"##;

/// A workflow whose checks all hold, then one more check: `failing`.
fn checks(failing: &str) -> String {
    format!(
        r##"name: checks
version: 1
description: Check the case page.
system: {{ name: page, base_url: http://unused.invalid, step_timeout: 10s }}
steps:
  - open: /case
  - assert: {{ element: {{ css: "#status" }}, text_is: Awaiting parts }}
  - assert: {{ element: {{ css: "h1" }}, text_contains: HR-100200 }}
  - assert: {{ element: {{ css: "h1" }}, text_matches: "^Case HR-\\d{{6}}$" }}
  - assert: {{ element: {{ css: "#visits li" }}, count: 3 }}
  - assert: {{ element: {{ css: "#submit" }}, attribute: {{ name: aria-disabled, is: "true" }} }}
  - assert: {{ element: {{ css: "#submit" }}, attribute: {{ name: data-case, matches: "^HR-" }} }}
  - assert: {{ hidden: {{ css: "#notice" }} }}
  - assert: {{ hidden: {{ css: "#never-there" }} }}
{failing}
"##
    )
}

#[tokio::test]
async fn checks_on_an_element_hold_or_say_what_was_expected_and_what_was_found() {
    let service = Service::start(Router::new().route("/case", get(|| async { Html(CHECKED) }))).await;
    let cases = [
        ("", None),
        (
            "  - assert: { element: { css: \"#status\" }, text_is: Completed }",
            Some("expected the text of css \"#status\" to be \"Completed\", found \"Awaiting parts\""),
        ),
        (
            "  - assert: { element: { css: \"#visits li\" }, count: 2 }",
            Some("expected 2 element(s) matching css \"#visits li\", found 3"),
        ),
        (
            "  - assert: { element: { css: \"#submit\" }, attribute: { name: aria-disabled, is: \"false\" } }",
            Some("expected `aria-disabled` of css \"#submit\" to be \"false\", found \"true\""),
        ),
        (
            "  - assert: { element: { css: \"#submit\" }, attribute: { name: title, is: Send } }",
            Some("expected css \"#submit\" to have the attribute `title`, found none"),
        ),
        (
            "  - assert: { hidden: { css: \"#status\" } }",
            Some("expected css \"#status\" to be hidden, found it visible"),
        ),
        (
            "  - assert: { element: { css: \"#missing\" }, text_contains: x }",
            Some("expected css \"#missing\" on the page, found none"),
        ),
    ];
    for (failing, expected) in cases {
        let ended = run_here(&service.url, "checks", &checks(failing)).await;
        match expected {
            None => assert_eq!(ended.status, RunStatus::Succeeded, "{:?}", ended.reason),
            Some(expected) => {
                assert_eq!(ended.status, RunStatus::Failed, "a check that does not hold fails the run: {failing}");
                let reason = ended.reason.unwrap_or_default();
                assert!(reason.contains(expected), "{failing}: {reason}");
            }
        }
    }
}

#[tokio::test]
async fn a_failed_check_fails_the_run_and_escalate_makes_it_wait_for_a_person_with_the_page_kept() {
    let service = Service::start(Router::new().route("/case", get(|| async { Html(CHECKED) }))).await;
    let failing_check = "  - assert: { element: { css: \"#status\" }, text_is: Completed }";
    let failed = run_here(&service.url, "checks", &checks(failing_check)).await;
    assert_eq!(failed.status, RunStatus::Failed);
    assert_eq!(failed.waiting_for, None);
    assert_eq!(failed.message.as_deref(), Some(rpa::runner::FAILED_MESSAGE));

    // The same check, where a person can put it right, hands the run to one.
    let escalated = "  - assert: { element: { css: \"#status\" }, text_is: Completed }\n    on_error:\n      - escalate: { reason: \"Case not finished: {{ error.message }}\" }";
    let kept = Kept::run(&service.url, "checks", &checks(escalated)).await;
    let (runner, waiting) = (&kept.runner, kept.run.clone());
    assert_eq!((waiting.status, waiting.waiting_for), (RunStatus::Waiting, Some(rpa::journal::WaitingFor::Error)));
    let reason = waiting.reason.clone().unwrap();
    assert!(
        reason.starts_with("Case not finished: expected the text of css \"#status\" to be \"Completed\""),
        "{reason}"
    );
    let steps = runner.journal().steps(&waiting.id).await.unwrap();
    let escalate = steps.iter().find(|step| step.step_key == "10.on_error.1").expect("the escalate step is recorded");
    assert_eq!(escalate.error.as_deref(), Some(reason.as_str()));
    let evidence = runner.journal().evidence(&waiting.id).await.unwrap();
    let page = evidence.iter().find(|item| item.step_key == "10.on_error.1" && item.media_type == "text/html");
    assert!(String::from_utf8_lossy(&page.expect("the page as the run left it").content).contains("Awaiting parts"));

    // An escalate whose `when` does not hold is skipped.
    let skipped = "  - when: \"false\"\n    escalate: { reason: never }";
    let succeeded = run_here(&service.url, "checks", &checks(skipped)).await;
    assert_eq!(succeeded.status, RunStatus::Succeeded, "{:?}", succeeded.reason);
}

/// A menu that opens only while the mouse is over it, and two fields for the keyboard.
const MENU: &str = r##"<!DOCTYPE html>
<html><head><title>Menu</title>
<style>
  .submenu { display: none; }
  .menu:hover .submenu { display: block; }
</style></head><body>
<nav><ul><li class="menu"><a href="#" id="services">Services</a>
  <ul class="submenu"><li><a href="/repairs" id="repairs">Repairs</a></li></ul></li></ul></nav>
<label for="first">First</label> <input id="first">
<label for="second">Second</label> <input id="second" value="old text">
</body></html>"##;

#[tokio::test]
async fn a_menu_opened_by_hovering_is_used_and_key_chords_select_and_move_back() {
    let service = Service::start(
        Router::new()
            .route("/menu", get(|| async { Html(MENU) }))
            .route("/repairs", get(|| async { Html("<h1>Repairs</h1>") })),
    )
    .await;
    let workflow = r##"name: menus
version: 1
description: Open a hover menu and use key chords.
system: { name: page, base_url: http://unused.invalid, step_timeout: 10s }
outputs:
  replaced: What the second field held after its text was selected and typed over.
  focused: The field the focus went back to.
  heading: The heading of the page the menu led to.
steps:
  - open: /menu
  - assert: { hidden: { css: "#repairs" } }
  - press: { label: Second, key: Control+A }
  - press: { label: Second, key: x }
  - script: { code: "return document.getElementById('second').value", as: replaced }
  - press: { label: Second, key: Shift+Tab }
  - script: { code: "return document.activeElement.id", as: focused }
  - hover: { css: "#services" }
  - assert: { visible: { css: "#repairs" } }
  - click: { css: "#repairs" }
  - wait_for: { url: "/repairs$" }
  - extract: { css: h1, as: heading }
  - succeed:
      outputs: { replaced: "{{ replaced }}", focused: "{{ focused }}", heading: "{{ heading }}" }
"##;
    let ended = run_here(&service.url, "menus", workflow).await;
    assert_eq!(ended.status, RunStatus::Succeeded, "{:?}", ended.reason);
    assert_eq!(ended.outputs["replaced"], "x", "Control+A selected the old text, which x replaced");
    assert_eq!(ended.outputs["focused"], "first", "Shift+Tab went back a field");
    assert_eq!(ended.outputs["heading"], "Repairs");
}

/// Instructions that mention the button, and two links with the same text.
const AMBIGUOUS: &str = r##"<!DOCTYPE html>
<html><head><title>Form</title></head><body>
<pre id="help">When you are ready, press Send the report below.</pre>
<button onclick="document.getElementById('sent').textContent = 'sent'">Send the report now</button>
<p id="sent"></p>
<a href="/one">Details</a> <a href="/two">Details</a>
</body></html>"##;

#[tokio::test]
async fn a_text_that_matches_several_elements_is_an_error_and_a_click_never_lands_on_instructions() {
    let service = Service::start(Router::new().route("/form", get(|| async { Html(AMBIGUOUS) }))).await;
    let workflow = |last: &str| {
        on_page(
            "strict",
            "",
            &format!("  - open: /form\n  - click: {{ text: Send the report }}\n  - wait_for: {{ text: sent }}\n{last}"),
        )
    };
    let ran = |text: String| {
        let service = service.url.clone();
        async move { run_here(&service, "strict", &text).await }
    };
    // The instructions contain the words too, but only the button can be clicked.
    let chosen = ran(workflow("  - click: { text: Details, nth: 2 }\n  - wait_for: { url: \"/two$\" }")).await;
    assert_eq!(chosen.status, RunStatus::Succeeded, "{:?}", chosen.reason);

    let computed =
        "  - set: { which: 2 }\n  - click: { text: Details, nth: \"{{ which }}\" }\n  - wait_for: { url: \"/two$\" }";
    let by_template = ran(workflow(computed)).await;
    assert_eq!(by_template.status, RunStatus::Succeeded, "{:?}", by_template.reason);
    let nonsense = ran(workflow("  - set: { which: none }\n  - click: { text: Details, nth: \"{{ which }}\" }")).await;
    let reason = nonsense.reason.unwrap_or_default();
    assert!(reason.contains("`nth` must be a number from 1, but its template gave \"none\""), "{reason}");

    let first = ran(workflow("  - click: { text: Details, first: true }\n  - wait_for: { url: \"/one$\" }")).await;
    assert_eq!(first.status, RunStatus::Succeeded, "{:?}", first.reason);

    let unclear = ran(workflow("  - click: { text: Details }")).await;
    assert_eq!(unclear.status, RunStatus::Waiting);
    let reason = unclear.reason.unwrap();
    assert!(reason.contains("text \"Details\" matches 2 elements: <a> \"Details\", <a> \"Details\""), "{reason}");
    assert!(reason.contains("`nth: 2`") && reason.contains("`first: true`"), "{reason}");
}

/// A long page with a box that scrolls of its own.
const LONG: &str = r##"<!DOCTYPE html>
<html><head><title>Long</title></head><body style="margin:0">
<div id="results" style="height:100px; overflow:auto"><div style="height:1000px">Results</div></div>
<div style="height:3000px">Spacer</div>
<p id="terms">Terms and conditions</p>
<div style="height:3000px">More</div>
</body></html>"##;

#[tokio::test]
async fn scrolling_brings_an_element_into_view_and_moves_a_box_or_the_page_by_pixels() {
    let service = Service::start(Router::new().route("/long", get(|| async { Html(LONG) }))).await;
    let workflow = r##"name: scrolling
version: 1
description: Scroll to things.
system: { name: page, base_url: http://unused.invalid, step_timeout: 10s }
outputs:
  in_view: Whether the terms were in view after scrolling to them.
  box_scrolled: How far the results box had scrolled.
  page_moved: How far the page moved when scrolled by 200 pixels.
steps:
  - open: /long
  - scroll: { to: { css: "#terms" } }
  - script:
      code: "var box = document.getElementById('terms').getBoundingClientRect(); return String(box.top >= 0 && box.bottom <= window.innerHeight)"
      as: in_view
  - scroll: { in: { css: "#results" }, by: 300 }
  - script: { code: "return String(document.getElementById('results').scrollTop)", as: box_scrolled }
  - script: { code: "return window.scrollY", as: before }
  - scroll: { by: 200 }
  - script: { code: "return window.scrollY", as: after }
  - succeed:
      outputs: { in_view: "{{ in_view }}", box_scrolled: "{{ box_scrolled }}", page_moved: "{{ (after - before) | round | int }}" }
"##;
    let ended = run_here(&service.url, "scrolling", workflow).await;
    assert_eq!(ended.status, RunStatus::Succeeded, "{:?}", ended.reason);
    assert_eq!(ended.outputs["in_view"], "true");
    assert_eq!(ended.outputs["box_scrolled"], "300");
    assert_eq!(ended.outputs["page_moved"], json!(200));
}

/// A page that gets ready bit by bit: a button enabled, a state set and a list filled in later.
const LATER: &str = r##"<!DOCTYPE html>
<html><head><title>Later</title></head><body>
<button id="send" disabled>Send</button>
<div id="panel" data-state="loading">Panel</div>
<ul id="items"><li>one</li></ul>
<script>
setTimeout(function () {
  document.getElementById('send').disabled = false;
  document.getElementById('panel').setAttribute('data-state', 'ready');
  var items = document.getElementById('items');
  items.insertAdjacentHTML('beforeend', '<li>two</li><li>three</li>');
}, 400);
</script>
</body></html>"##;

#[tokio::test]
async fn waits_for_an_enabled_element_an_attribute_and_a_count_and_a_timeout_names_what_failed() {
    let service = Service::start(Router::new().route("/later", get(|| async { Html(LATER) }))).await;
    let workflow = |last: &str| {
        format!(
            "name: later\nversion: 1\ndescription: Wait for the page.\nsystem: {{ name: page, base_url: http://unused.invalid, step_timeout: 10s }}\nsteps:\n  - open: /later\n  - wait_for: {{ enabled: {{ css: \"#send\" }} }}\n  - wait_for: {{ element: {{ css: \"#panel\" }}, attribute: {{ name: data-state, is: ready }} }}\n  - wait_for: {{ element: {{ css: \"#items li\" }}, count: 3 }}\n  - assert: {{ element: {{ css: \"#items li\" }}, count: 3 }}\n{last}\n"
        )
    };
    let ran = |text: String| {
        let service = service.url.clone();
        async move { run_here(&service, "later", &text).await }
    };
    let ready = ran(workflow("")).await;
    assert_eq!(ready.status, RunStatus::Succeeded, "{:?}", ready.reason);

    let never = ran(workflow("  - wait_for: { element: { css: \"#items li\" }, count: 5 }\n    timeout: 1s")).await;
    let reason = never.reason.unwrap_or_default();
    assert!(reason.contains("timed out waiting for css \"#items li\" to match 5 element(s): it matches 3"), "{reason}");
    let state = ran(workflow(
        "  - wait_for: { element: { css: \"#panel\" }, attribute: { name: data-state, matches: \"^done$\" } }\n    timeout: 1s",
    ))
    .await;
    let reason = state.reason.unwrap_or_default();
    assert!(reason.contains("`data-state` of css \"#panel\" to match `^done$`: it is \"ready\""), "{reason}");
}

/// The same appointments as an ARIA table and as a grid of divs.
const GRIDS: &str = r##"<!DOCTYPE html>
<html><head><title>Grids</title></head><body>
<div id="aria" role="table" aria-label="Appointments">
  <div role="rowgroup"><div role="row"><span role="columnheader">Day</span><span role="columnheader">Time</span></div></div>
  <div role="rowgroup">
    <div role="row"><span role="cell">Monday</span><span role="cell">9am</span></div>
    <div role="row"><span role="cell">Friday</span><span role="cell">2pm</span></div>
  </div>
</div>
<div id="divs"><div><span>Tuesday</span><span>10am</span></div><div><span>Thursday</span><span>4pm</span></div></div>
</body></html>"##;

#[tokio::test]
async fn extract_table_reads_aria_tables_and_div_grids_as_well_as_html_tables() {
    let service = Service::start(Router::new().route("/grids", get(|| async { Html(GRIDS) }))).await;
    let workflow = r##"name: grids
version: 1
description: Read appointments from grids.
system: { name: page, base_url: http://unused.invalid, step_timeout: 10s }
outputs:
  aria: The ARIA table's rows.
  divs: The div grid's rows.
steps:
  - open: /grids
  - extract: { css: "#aria", table: true, as: aria }
  - extract: { css: "#divs", table: true, as: divs }
  - succeed:
      outputs: { aria: "{{ aria }}", divs: "{{ divs }}" }
"##;
    let ended = run_here(&service.url, "grids", workflow).await;
    assert_eq!(ended.status, RunStatus::Succeeded, "{:?}", ended.reason);
    assert_eq!(
        ended.outputs["aria"],
        json!([{"Day": "Monday", "Time": "9am"}, {"Day": "Friday", "Time": "2pm"}]),
        "headings from the column headers"
    );
    assert_eq!(
        ended.outputs["divs"],
        json!([{"column 1": "Tuesday", "column 2": "10am"}, {"column 1": "Thursday", "column 2": "4pm"}])
    );
}

/// A form inside a web component's open shadow root, and a component inside another.
const SHADOWS: &str = r##"<!DOCTYPE html>
<html><head><title>Components</title></head><body>
<postcode-lookup></postcode-lookup>
<outer-box></outer-box>
<script>
customElements.define('postcode-lookup', class extends HTMLElement {
  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    root.innerHTML = '<label>Postcode <input name="postcode"></label><button>Find</button><p id="result"></p>';
    root.querySelector('button').addEventListener('click', () => {
      root.getElementById('result').textContent = 'Addresses for ' + root.querySelector('input').value;
    });
  }
});
customElements.define('inner-box', class extends HTMLElement {
  constructor() { super(); this.attachShadow({ mode: 'open' }).innerHTML = '<span class="deep">deep inside</span>'; }
});
customElements.define('outer-box', class extends HTMLElement {
  constructor() { super(); this.attachShadow({ mode: 'open' }).innerHTML = '<inner-box></inner-box>'; }
});
</script>
</body></html>"##;

#[tokio::test]
async fn elements_inside_open_shadow_roots_are_filled_clicked_and_read() {
    let service = Service::start(Router::new().route("/components", get(|| async { Html(SHADOWS) }))).await;
    let workflow = r##"name: components
version: 1
description: Use a form inside a web component.
system: { name: page, base_url: http://unused.invalid, step_timeout: 10s }
outputs:
  result: What the component showed.
  deep: The text two shadow roots down.
steps:
  - open: /components
  - fill: { shadow: "postcode-lookup >>> input[name=postcode]", value: EB4 2QX }
  - click: { shadow: "postcode-lookup >>> button" }
  - extract: { shadow: "postcode-lookup >>> #result", as: result }
  - extract: { shadow: "outer-box >>> inner-box >>> .deep", as: deep }
  - succeed:
      outputs: { result: "{{ result }}", deep: "{{ deep }}" }
"##;
    let ended = run_here(&service.url, "components", workflow).await;
    assert_eq!(ended.status, RunStatus::Succeeded, "{:?}", ended.reason);
    assert_eq!(ended.outputs["result"], "Addresses for EB4 2QX");
    assert_eq!(ended.outputs["deep"], "deep inside");
}

/// A card dragged into a bin by HTML drag and drop, and a handle dragged by the mouse.
const DRAGGING: &str = r##"<!DOCTYPE html>
<html><head><title>Drag</title>
<style>
  #card { width: 120px; height: 40px; background: #ddd; }
  #bin { width: 200px; height: 100px; margin-top: 40px; background: #eee; }
  #handle { position: absolute; left: 300px; top: 20px; width: 30px; height: 30px; background: #333; }
  #slot { position: absolute; left: 500px; top: 200px; width: 60px; height: 60px; background: #ccc; }
</style></head><body>
<div id="card" draggable="true">Missed bin</div>
<div id="bin">Drop here</div>
<p id="dropped"></p>
<div id="handle"></div><div id="slot"></div><p id="moved"></p>
<script>
const card = document.getElementById('card'), bin = document.getElementById('bin');
card.addEventListener('dragstart', (e) => e.dataTransfer.setData('text/plain', card.textContent));
bin.addEventListener('dragover', (e) => e.preventDefault());
bin.addEventListener('drop', (e) => { e.preventDefault(); document.getElementById('dropped').textContent = 'dropped: ' + e.dataTransfer.getData('text/plain'); });
const handle = document.getElementById('handle');
let held = false;
handle.addEventListener('mousedown', () => { held = true; });
document.addEventListener('mouseup', (e) => {
  if (!held) return;
  held = false;
  const slot = document.getElementById('slot').getBoundingClientRect();
  const inside = e.clientX >= slot.left && e.clientX <= slot.right && e.clientY >= slot.top && e.clientY <= slot.bottom;
  document.getElementById('moved').textContent = inside ? 'in the slot' : 'missed';
});
</script>
</body></html>"##;

#[tokio::test]
async fn dragging_works_by_html_drag_and_drop_and_by_the_mouse() {
    let service = Service::start(Router::new().route("/drag", get(|| async { Html(DRAGGING) }))).await;
    let workflow = r##"name: dragging
version: 1
description: Drag things.
system: { name: page, base_url: http://unused.invalid, step_timeout: 10s }
steps:
  - open: /drag
  - drag: { from: { css: "#card" }, to: { css: "#bin" } }
  - assert: { element: { css: "#dropped" }, text_is: "dropped: Missed bin" }
  - drag: { from: { css: "#handle" }, to: { css: "#slot" } }
  - assert: { element: { css: "#moved" }, text_is: in the slot }
"##;
    let ended = run_here(&service.url, "dragging", workflow).await;
    assert_eq!(ended.status, RunStatus::Succeeded, "{:?}", ended.reason);
}
