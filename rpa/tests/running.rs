//! Running workflows: retries, time limits, error branches, loops, calls, human tasks,
//! cancelling, and what is kept secret.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use rpa::journal::{Decision, RunStatus, StepStatus, WaitingFor};
use rpa::runner::{Runner, RunnerError};
use rpa::secrets::Secrets;
use serde_json::{Value, json};
use storage::clock::FastForwardClock;

use crate::support::{
    Service, Workflows, config, everything_stored, resident, run, sqlite_journal, sqlite_journal_keeping_time,
};

/// A case system with an API: it logs cases, finds them by the caller's reference, and can be
/// told to fail.
#[derive(Default)]
struct CaseSystem {
    cases: Mutex<Vec<Value>>,
    flaky_failures_left: AtomicUsize,
    broken: std::sync::atomic::AtomicBool,
    authorisations: Mutex<Vec<String>>,
}

fn case_system(system: Arc<CaseSystem>) -> Router {
    Router::new()
        .route(
            "/cases",
            get(
                |State(system): State<Arc<CaseSystem>>,
                 Query(query): Query<std::collections::HashMap<String, String>>| async move {
                    let wanted = query.get("ref").cloned().unwrap_or_default();
                    let found: Vec<Value> = system
                        .cases
                        .lock()
                        .unwrap()
                        .iter()
                        .filter(|case| case["ref"] == json!(wanted))
                        .cloned()
                        .collect();
                    Json(json!({ "cases": found }))
                },
            )
            .post(
                |State(system): State<Arc<CaseSystem>>, headers: HeaderMap, Json(body): Json<Value>| async move {
                    if let Some(authorisation) = headers.get("authorization").and_then(|value| value.to_str().ok()) {
                        system.authorisations.lock().unwrap().push(authorisation.to_string());
                    }
                    let mut cases = system.cases.lock().unwrap();
                    let reference = format!("C-{}", 100 + cases.len());
                    cases.push(json!({ "reference": reference, "ref": body["ref"], "item": body["item"] }));
                    (StatusCode::CREATED, Json(json!({ "case": { "reference": reference } })))
                },
            ),
        )
        .route(
            "/flaky",
            get(|State(system): State<Arc<CaseSystem>>| async move {
                let left = system.flaky_failures_left.load(Ordering::SeqCst);
                if left > 0 {
                    system.flaky_failures_left.store(left - 1, Ordering::SeqCst);
                    return (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "error": "busy" })));
                }
                (StatusCode::OK, Json(json!({ "status": { "open": true } })))
            }),
        )
        .route(
            "/health",
            get(|State(system): State<Arc<CaseSystem>>| async move {
                if system.broken.load(Ordering::SeqCst) {
                    (StatusCode::INTERNAL_SERVER_ERROR, "down for maintenance")
                } else {
                    (StatusCode::OK, "fine")
                }
            }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(10)).await;
                "late"
            }),
        )
        .route("/items", get(|| async { Json(json!({ "items": ["sofa", "fridge", "mattress"] })) }))
        .with_state(system)
}

async fn start_case_system() -> (Arc<CaseSystem>, Service) {
    let system = Arc::new(CaseSystem::default());
    let service = Service::start(case_system(system.clone())).await;
    (system, service)
}

const SUBMIT_CASE: &str = r#"
  - id: submit
    submits: true
    idempotency:
      check:
        - http: { url: "/cases?ref={{ run.reference | urlencode }}", extract: { earlier: /cases } }
        - set: { case_reference: "{{ earlier[0].reference if earlier else '' }}" }
      done_when: earlier | length > 0
    http:
      method: POST
      url: /cases
      json: { ref: "{{ run.reference }}", item: "{{ inputs.item }}" }
      extract: { case_reference: /case/reference }
"#;

fn workflow(name: &str, steps: &str) -> String {
    format!(
        "name: {name}\nversion: 1\ndescription: A test workflow.\ninputs:\n  - name: item\n    type: text\n    prompt: What?\n    required: false\n\
         system: {{ name: cases, base_url: http://unused.invalid }}\noutputs:\n  case_reference: The case.\nsteps:\n{steps}"
    )
}

async fn runner_for(workflows: &Workflows, directory: &std::path::Path, service: &Service, secrets: Secrets) -> Runner {
    Runner::new(
        sqlite_journal(directory).await,
        workflows.catalogue(),
        secrets,
        config("test", &[("cases", &service.url)]),
    )
}

#[tokio::test]
async fn http_steps_are_retried_with_backoff_and_keep_values_from_the_answer() {
    let (system, service) = start_case_system().await;
    system.flaky_failures_left.store(2, Ordering::SeqCst);
    let steps = r#"
  - http: { url: /flaky, extract: { open: /status/open } }
    retry: { attempts: 3, backoff: 50ms }
  - succeed:
      outputs: { case_reference: "{{ 'open' if open else 'closed' }}" }
"#;
    let workflows = Workflows::new(&[("flow.yaml", &workflow("flaky", steps))]);
    let data = tempfile::tempdir().unwrap();
    let runner = runner_for(&workflows, data.path(), &service, Secrets::default()).await;
    let file = workflows.catalogue().get("flaky").unwrap().clone();
    let finished = run(&runner, &file, &[]).await;
    assert_eq!(finished.status, RunStatus::Succeeded, "{:?}", finished.reason);
    assert_eq!(finished.outputs["case_reference"], "open");
    let attempts: Vec<(i64, StepStatus)> = runner
        .journal()
        .steps(&finished.id)
        .await
        .unwrap()
        .iter()
        .filter(|step| step.step_key == "1")
        .map(|step| (step.attempt, step.status))
        .collect();
    assert_eq!(attempts, vec![(1, StepStatus::Failed), (2, StepStatus::Failed), (3, StepStatus::Completed)]);
    let first_error = runner.journal().steps(&finished.id).await.unwrap()[0].error.clone().unwrap();
    assert!(first_error.contains("answered 503"), "{first_error}");
}

#[tokio::test]
async fn a_select_the_check_refuses_is_never_run() {
    let (_system, service) = start_case_system().await;
    let steps = r#"
  - select: { css: "select.kind", option: Leak, value: leak }
  - succeed:
      outputs: { case_reference: "none" }
"#;
    let workflows = Workflows::new(&[("flow.yaml", &workflow("both", steps))]);
    let (catalogue, errors) = rpa::workflow::Catalogue::load(&[workflows.directory.path().to_path_buf()]);
    assert_eq!(errors.len(), 1, "the check refuses it: {errors:?}");
    let file = catalogue.get("both").unwrap().clone();
    let data = tempfile::tempdir().unwrap();
    let runner = Runner::new(
        sqlite_journal(data.path()).await,
        catalogue,
        Secrets::default(),
        config("test", &[("cases", &service.url)]),
    );
    let refused = runner.start(&file, &[], &resident()).await;
    assert!(matches!(refused, Err(RunnerError::Workflow(_))), "{refused:?}");
}

#[tokio::test]
async fn a_step_out_of_time_fails_and_its_error_branch_decides_what_happens() {
    let (_system, service) = start_case_system().await;
    let steps = r#"
  - http: { url: /slow }
    timeout: 300ms
    on_error:
      - set: { problem: "{{ error.message }}" }
  - succeed:
      outputs: { case_reference: "none" }
      message: "Not today: {{ problem }}"
"#;
    let workflows = Workflows::new(&[("flow.yaml", &workflow("slow", steps))]);
    let data = tempfile::tempdir().unwrap();
    let runner = runner_for(&workflows, data.path(), &service, Secrets::default()).await;
    let finished = run(&runner, &workflows.catalogue().get("slow").unwrap().clone(), &[]).await;
    assert_eq!(finished.status, RunStatus::Succeeded);
    let message = finished.message.unwrap();
    assert!(message.contains("did not answer within"), "{message}");
}

#[tokio::test]
async fn loops_branches_and_calls_work_together() {
    let (system, service) = start_case_system().await;
    let helper = r#"name: shout
version: 1
description: Make a word loud.
inputs:
  - name: word
    type: text
    prompt: Which word?
outputs:
  loud: The word in capitals.
steps:
  - succeed:
      outputs: { loud: "{{ inputs.word | upper }}" }
"#;
    let steps = r#"
  - http: { url: /items, extract: { items: /items } }
  - for_each:
      items: items
      as: thing
      steps:
        - http:
            method: POST
            url: /cases
            json: { ref: "{{ run.reference }}-{{ loop.index }}", item: "{{ thing }}" }
  - call: { workflow: shout, inputs: { word: "{{ items | last }}" }, as: shouted }
  - if:
      condition: items | length > 5
      then:
        - set: { size: big }
      else:
        - set: { size: small }
  - succeed:
      outputs: { case_reference: "{{ shouted.loud }} {{ size }}" }
"#;
    let workflows = Workflows::new(&[("flow.yaml", &workflow("loop", steps)), ("shout.yaml", helper)]);
    let data = tempfile::tempdir().unwrap();
    let runner = runner_for(&workflows, data.path(), &service, Secrets::default()).await;
    let finished = run(&runner, &workflows.catalogue().get("loop").unwrap().clone(), &[]).await;
    assert_eq!(finished.status, RunStatus::Succeeded, "{:?}", finished.reason);
    assert_eq!(finished.outputs["case_reference"], "MATTRESS small");
    let items: Vec<Value> = system.cases.lock().unwrap().iter().map(|case| case["item"].clone()).collect();
    assert_eq!(items, vec![json!("sofa"), json!("fridge"), json!("mattress")]);
    let keys: Vec<String> =
        runner.journal().steps(&finished.id).await.unwrap().into_iter().map(|step| step.step_key).collect();
    for key in ["2[1].1", "2[3].1", "3.1", "4.else.1"] {
        assert!(keys.contains(&key.to_string()), "{key} in {keys:?}");
    }
}

#[tokio::test]
async fn residents_see_the_nearest_progress_text_or_which_step_the_run_is_at() {
    let (_system, service) = start_case_system().await;
    let look_up = "name: look_up\nversion: 1\ndescription: Look something up.\nprogress: Looking it up\nsteps:\n  - set: { found: 'yes' }\n";
    let quiet =
        "name: quiet\nversion: 1\ndescription: Do something with nothing to say.\nsteps:\n  - set: { done: 'yes' }\n";
    let steps = r#"
  - set: { first: one }
  - progress: Entering your request
    block:
      - set: { second: two }
      - progress: Sending your request
        if:
          condition: "true"
          then:
            - set: { third: three }
      - call: { workflow: look_up }
      - set: { fourth: four }
  - progress: Checking your request
    call: { workflow: quiet }
  - succeed:
      outputs: { case_reference: "{{ second }}" }
"#;
    let workflows = Workflows::new(&[
        ("flow.yaml", &workflow("progress", steps)),
        ("look_up.yaml", look_up),
        ("quiet.yaml", quiet),
    ]);
    let data = tempfile::tempdir().unwrap();
    let runner = runner_for(&workflows, data.path(), &service, Secrets::default()).await;
    let mut events = runner.subscribe();
    let finished = run(&runner, &workflows.catalogue().get("progress").unwrap().clone(), &[]).await;
    assert_eq!(finished.status, RunStatus::Succeeded, "{:?}", finished.reason);
    let mut shown = Vec::new();
    while let Ok(event) = events.try_recv() {
        if let rpa::events::RunEvent::StepStarted { step_key, progress, .. } = event {
            shown.push((step_key, progress));
        }
    }
    let expected = [
        // A step with no text of its own, in nothing that has one: which workflow step it is.
        ("1", "Step 1 of 4"),
        ("2", "Entering your request"),
        ("2.1", "Entering your request"),
        ("2.2", "Sending your request"),
        ("2.2.then.1", "Sending your request"),
        // A called workflow's own text comes first; the calling step's when it has none.
        ("2.3", "Entering your request"),
        ("2.3.1", "Looking it up"),
        ("2.4", "Entering your request"),
        ("3", "Checking your request"),
        ("3.1", "Checking your request"),
        ("4", "Step 4 of 4"),
    ];
    let expected: Vec<(String, String)> =
        expected.iter().map(|(key, text)| (key.to_string(), text.to_string())).collect();
    assert_eq!(shown, expected);
}

#[tokio::test]
async fn a_run_a_person_must_fix_waits_and_a_retry_does_not_repeat_what_took_effect() {
    let (system, service) = start_case_system().await;
    system.broken.store(true, Ordering::SeqCst);
    let steps = format!(
        "{SUBMIT_CASE}  - http: {{ url: /health }}\n  - succeed:\n      outputs: {{ case_reference: \"{{{{ case_reference }}}}\" }}\n"
    );
    let workflows = Workflows::new(&[("flow.yaml", &workflow("submit", &steps))]);
    let data = tempfile::tempdir().unwrap();
    let runner = runner_for(&workflows, data.path(), &service, Secrets::default()).await;
    let file = workflows.catalogue().get("submit").unwrap().clone();
    let stuck = run(&runner, &file, &[("item", "sofa")]).await;
    assert_eq!((stuck.status, stuck.waiting_for), (RunStatus::Waiting, Some(WaitingFor::Error)));
    assert!(stuck.reason.as_deref().unwrap().contains("answered 500: down for maintenance"), "{:?}", stuck.reason);
    let told: Vec<String> =
        runner.journal().notifications(&stuck.id).await.unwrap().into_iter().map(|note| note.message).collect();
    assert!(told.iter().any(|message| message.contains("member of staff")), "{told:?}");

    system.broken.store(false, Ordering::SeqCst);
    let queued = runner.retry(&stuck.reference, "supervisor").await.unwrap();
    assert_eq!(queued.status, RunStatus::Queued);
    let finished = runner.work(&queued.id).await.unwrap().unwrap();
    assert_eq!(finished.status, RunStatus::Succeeded, "{:?}", finished.reason);
    assert_eq!(system.cases.lock().unwrap().len(), 1, "the case was logged once");
    assert_eq!(finished.outputs["case_reference"], "C-100");
    let actions = runner.journal().actions(&finished.id).await.unwrap();
    assert_eq!((actions[0].actor.as_str(), actions[0].action.as_str()), ("supervisor", "retry"));

    let error = runner.retry(&finished.reference, "supervisor").await.unwrap_err();
    assert!(error.to_string().contains("only a run that failed or waits after an error can be retried"), "{error}");
}

#[tokio::test]
async fn a_waiting_run_can_be_completed_by_hand_with_its_outputs() {
    let (system, service) = start_case_system().await;
    system.broken.store(true, Ordering::SeqCst);
    let steps = "  - http: { url: /health }\n  - succeed:\n      outputs: { case_reference: x }\n";
    let workflows = Workflows::new(&[("flow.yaml", &workflow("health", steps))]);
    let data = tempfile::tempdir().unwrap();
    let runner = runner_for(&workflows, data.path(), &service, Secrets::default()).await;
    let stuck = run(&runner, &workflows.catalogue().get("health").unwrap().clone(), &[]).await;
    let error = runner.complete(&stuck.reference, &[], "ann").await.unwrap_err();
    assert!(error.to_string().contains("output `case_reference` is needed"), "{error}");
    let done = runner.complete(&stuck.reference, &[("case_reference".into(), "C-777".into())], "ann").await.unwrap();
    assert_eq!(done.status, RunStatus::Succeeded);
    assert_eq!(done.outputs["case_reference"], "C-777");
    let told = runner.journal().notifications(&done.id).await.unwrap();
    assert!(told.last().unwrap().message.contains("C-777"), "the resident is told the outcome");
    assert_eq!(told.last().unwrap().recipient, resident());
}

#[tokio::test]
async fn human_tasks_wait_for_a_decision_or_run_out_of_time() {
    let (_system, service) = start_case_system().await;
    let steps = r#"
  - human_task:
      title: "Check the request for {{ inputs.item }}"
      fields: [{ name: code, prompt: The approval code }]
      time_limit: 1s
      as: decision
    on_error:
      - fail: { message: "Nobody could check your request in time.", reason: "{{ error.message }}" }
  - if:
      condition: not decision.approved
      then:
        - fail: { message: "Your request was not approved.", reason: "{{ decision.comment }}" }
  - succeed:
      outputs: { case_reference: "{{ decision.code }}" }
"#;
    let workflows = Workflows::new(&[("flow.yaml", &workflow("check", steps))]);
    let data = tempfile::tempdir().unwrap();
    let clock = FastForwardClock::new();
    let runner = Runner::new(
        sqlite_journal_keeping_time(data.path(), &clock).await,
        workflows.catalogue(),
        Secrets::default(),
        config("test", &[("cases", &service.url)]),
    );
    let file = workflows.catalogue().get("check").unwrap().clone();

    let waiting = run(&runner, &file, &[("item", "sofa")]).await;
    assert_eq!((waiting.status, waiting.waiting_for), (RunStatus::Waiting, Some(WaitingFor::Task)));
    assert_eq!(waiting.task.as_ref().unwrap().title, "Check the request for sofa");
    let missing = Decision { approved: true, comment: String::new(), values: serde_json::Map::new() };
    assert!(matches!(runner.decide(&waiting.id, missing, "sam").await, Err(RunnerError::Inputs(_))));
    let values = serde_json::Map::from_iter([("code".to_string(), json!("OK-42"))]);
    runner.decide(&waiting.id, Decision { approved: true, comment: "fine".into(), values }, "sam").await.unwrap();
    let approved = runner.work(&waiting.id).await.unwrap().unwrap();
    assert_eq!(approved.status, RunStatus::Succeeded, "{:?}", approved.reason);
    assert_eq!(approved.outputs["case_reference"], "OK-42");

    let waiting = run(&runner, &file, &[("item", "bed")]).await;
    runner
        .decide(
            &waiting.id,
            Decision { approved: false, comment: "duplicate".into(), values: Default::default() },
            "sam",
        )
        .await
        .unwrap();
    let rejected = runner.work(&waiting.id).await.unwrap().unwrap();
    assert_eq!(rejected.status, RunStatus::Failed);
    assert_eq!(rejected.message.as_deref(), Some("Your request was not approved."));
    assert_eq!(rejected.reason.as_deref(), Some("duplicate"));

    let waiting = run(&runner, &file, &[("item", "lamp")]).await;
    clock.advance(Duration::from_millis(1300));
    let worked = runner.work_ready().await.unwrap();
    let lapsed = worked.iter().find(|run| run.id == waiting.id).expect("the lapsed task's run was worked");
    assert_eq!(lapsed.status, RunStatus::Failed);
    assert!(lapsed.reason.as_deref().unwrap().contains("nobody acted on the task"), "{:?}", lapsed.reason);
}

#[tokio::test]
async fn a_cancelled_run_stops_before_its_next_step() {
    let (system, service) = start_case_system().await;
    let steps = format!("  - wait: 1500ms\n{SUBMIT_CASE}  - succeed:\n      outputs: {{ case_reference: x }}\n");
    let workflows = Workflows::new(&[("flow.yaml", &workflow("later", &steps))]);
    let data = tempfile::tempdir().unwrap();
    let runner = Arc::new(runner_for(&workflows, data.path(), &service, Secrets::default()).await);
    let file = workflows.catalogue().get("later").unwrap().clone();
    let started = runner.start(&file, &[("item".into(), "sofa".into())], &resident()).await.unwrap();
    let worker = {
        let (runner, id) = (runner.clone(), started.id.clone());
        tokio::spawn(async move { runner.work(&id).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    runner.cancel(&started.reference, "sam", "resident phoned instead").await.unwrap();
    worker.await.unwrap().unwrap();
    let after = runner.find(&started.id).await.unwrap();
    assert_eq!(after.status, RunStatus::Cancelled);
    assert!(system.cases.lock().unwrap().is_empty(), "nothing was submitted after the cancel");
    assert!(runner.cancel(&started.reference, "sam", "again").await.is_err(), "an ended run cannot be cancelled");
}

#[tokio::test]
async fn inputs_and_secrets_are_checked_before_a_run_is_recorded() {
    let (_system, service) = start_case_system().await;
    let text = workflow("needs", "  - succeed:\n      outputs: { case_reference: \"{{ secrets.api_token }}\" }\n")
        .replace("steps:", "secrets: [api_token]\nsteps:")
        .replace("    required: false\n", "    max_length: 5\n");
    let workflows = Workflows::new(&[("flow.yaml", &text)]);
    let data = tempfile::tempdir().unwrap();
    let runner = runner_for(&workflows, data.path(), &service, Secrets::default()).await;
    let file = workflows.catalogue().get("needs").unwrap().clone();
    let error = runner.start(&file, &[("item".into(), "wardrobe".into())], &resident()).await.unwrap_err();
    assert!(error.to_string().contains("input `item`: may have at most 5 characters (it has 8)"), "{error}");
    let error = runner.start(&file, &[("item".into(), "bed".into())], &resident()).await.unwrap_err();
    assert!(error.to_string().contains("COUNCILBOT_SECRET_API_TOKEN"), "{error}");
    assert!(runner.journal().runs(10).await.unwrap().is_empty(), "no run was recorded");
}

#[tokio::test]
async fn secrets_never_reach_the_journal_and_personal_data_stays_out_of_its_errors() {
    let (system, service) = start_case_system().await;
    system.broken.store(true, Ordering::SeqCst);
    let secret = "s3cr3t-T0ken-value";
    let text = workflow(
        "private",
        r#"
  - set: { header: "Bearer {{ secrets.api_token }}" }
  - http:
      method: POST
      url: /cases
      headers: { Authorization: "{{ header }}" }
      json: { ref: "{{ run.reference }}", item: "{{ inputs.item }}" }
  - http: { url: "/health?token={{ secrets.api_token }}&email={{ inputs.item }}" }
  - succeed:
      outputs: { case_reference: x }
"#,
    )
    .replace("steps:", "secrets: [api_token]\nsteps:")
    .replace("    required: false\n", "    personal: true\n");
    let workflows = Workflows::new(&[("flow.yaml", &text)]);
    let data = tempfile::tempdir().unwrap();
    let runner = runner_for(&workflows, data.path(), &service, Secrets::from_pairs([("api_token", secret)])).await;
    let stuck =
        run(&runner, &workflows.catalogue().get("private").unwrap().clone(), &[("item", "ann.smith@example.org")])
            .await;
    assert_eq!(stuck.status, RunStatus::Waiting);
    assert_eq!(
        system.authorisations.lock().unwrap().as_slice(),
        [format!("Bearer {secret}")],
        "the system got the secret"
    );
    let stored = everything_stored(runner.journal()).await;
    assert!(stored.contains("answered 500"), "the failure is recorded: {stored}");
    assert!(!stored.contains(secret), "a secret reached the journal: {stored}");
    assert!(!stored.contains("ann.smith"), "personal data reached the journal's errors: {stored}");
}

#[tokio::test]
async fn a_system_is_never_used_by_more_runs_at_once_than_its_limit() {
    #[derive(Default)]
    struct Load {
        now: AtomicUsize,
        most: AtomicUsize,
    }
    async fn busy(State(load): State<Arc<Load>>) -> &'static str {
        let now = load.now.fetch_add(1, Ordering::SeqCst) + 1;
        load.most.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(150)).await;
        load.now.fetch_sub(1, Ordering::SeqCst);
        "done"
    }
    for limit in [1usize, 2] {
        let load = Arc::new(Load::default());
        let service = Service::start(Router::new().route("/busy", get(busy)).with_state(load.clone())).await;
        let text = format!(
            "name: busy\nversion: 1\ndescription: Keep the system busy.\nsystem: {{ name: cases, base_url: http://unused.invalid, concurrency: {limit} }}\n\
             steps:\n  - http: {{ url: /busy }}\n  - http: {{ url: /busy }}\n"
        );
        let workflows = Workflows::new(&[("busy.yaml", &text)]);
        let data = tempfile::tempdir().unwrap();
        let runner = Arc::new(runner_for(&workflows, data.path(), &service, Secrets::default()).await);
        let file = workflows.catalogue().get("busy").unwrap().clone();
        let mut workers = Vec::new();
        for _ in 0..4 {
            let run = runner.start(&file, &[], &resident()).await.unwrap();
            let runner = runner.clone();
            workers.push(tokio::spawn(async move { runner.work(&run.id).await.unwrap().unwrap().status }));
        }
        for worker in workers {
            assert_eq!(worker.await.unwrap(), RunStatus::Succeeded);
        }
        assert_eq!(load.most.load(Ordering::SeqCst), limit, "runs at once with a limit of {limit}");
    }
}

#[tokio::test]
async fn a_run_started_in_welsh_shows_its_progress_and_tells_its_outcome_in_welsh() {
    let (_system, service) = start_case_system().await;
    let steps = r#"
  - progress: {en: Entering your request, cy: Yn cofnodi eich cais}
    set: { first: one }
  - set: { second: two }
  - notify:
      to: resident
      message: {en: "Nearly there with {{ first }}", cy: "Bron â gorffen {{ first }}"}
  - succeed:
      outputs: { case_reference: "{{ second }}" }
      message: {en: "Done: {{ second }}", cy: "Wedi'i wneud: {{ second }}"}
"#;
    let workflows = Workflows::new(&[("flow.yaml", &workflow("welsh", steps))]);
    let data = tempfile::tempdir().unwrap();
    let runner = runner_for(&workflows, data.path(), &service, Secrets::default()).await;
    let mut events = runner.subscribe();
    let file = workflows.catalogue().get("welsh").unwrap().clone();
    let in_welsh = rpa::journal::StartedBy { language: Some(uk::language::Language::Welsh), ..resident() };
    let started = runner.start(&file, &[], &in_welsh).await.expect("run starts");
    let finished = runner.work(&started.id).await.expect("run works").expect("run is taken");
    assert_eq!(finished.status, RunStatus::Succeeded, "{:?}", finished.reason);
    let mut shown = Vec::new();
    while let Ok(event) = events.try_recv() {
        if let rpa::events::RunEvent::StepStarted { progress, .. } = event {
            shown.push(progress);
        }
    }
    assert_eq!(shown, ["Yn cofnodi eich cais", "Cam 2 o 4", "Cam 3 o 4", "Cam 4 o 4"]);
    let told: Vec<String> =
        runner.journal().notifications(&started.id).await.unwrap().into_iter().map(|note| note.message).collect();
    assert_eq!(told, ["Bron â gorffen one", "Wedi'i wneud: two"], "the resident is told in Welsh");
}

/// Steps that ended are on the run's record before a slow step begins, in order; the whole run
/// is recorded once it ends.
#[tokio::test]
async fn the_steps_a_run_has_done_are_recorded_while_a_slow_step_is_still_running() {
    let release = Arc::new(tokio::sync::Notify::new());
    let router = Router::new().route("/status", get(|| async { Json(json!({ "open": true })) })).route(
        "/slow",
        get({
            let release = release.clone();
            move || {
                let release = release.clone();
                async move {
                    release.notified().await;
                    "done"
                }
            }
        }),
    );
    let service = Service::start(router).await;
    let workflows = Workflows::new(&[(
        "flow.yaml",
        r#"name: status_then_slow
version: 1
description: Look at a status, note it, then wait on a slow page.
system: { name: api, base_url: http://unused.invalid }
steps:
  - http: { url: /status, extract: { open: /open } }
  - set: { noted: "{{ open }}" }
  - http: { url: /slow }
"#,
    )]);
    let data = tempfile::tempdir().unwrap();
    let runner = Arc::new(Runner::new(
        sqlite_journal(data.path()).await,
        workflows.catalogue(),
        Secrets::default(),
        config("first", &[("api", &service.url)]),
    ));
    let file = workflows.catalogue().get("status_then_slow").unwrap().clone();
    let started = runner.start(&file, &[], &resident()).await.unwrap();
    let worker = {
        let (runner, id) = (runner.clone(), started.id.clone());
        tokio::spawn(async move { runner.work(&id).await })
    };
    let mut recorded = Vec::new();
    for _ in 0..200 {
        recorded = runner.journal().steps(&started.id).await.unwrap();
        if service.hits.load(Ordering::SeqCst) == 2 && recorded.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let done: Vec<(&str, StepStatus)> = recorded.iter().map(|step| (step.step_key.as_str(), step.status)).collect();
    assert_eq!(done, [("1", StepStatus::Completed), ("2", StepStatus::Completed)], "while the slow page is awaited");
    release.notify_one();
    let finished = worker.await.unwrap().unwrap().expect("the run was taken");
    assert_eq!(finished.status, RunStatus::Succeeded, "{:?}", finished.reason);
    let steps = runner.journal().steps(&started.id).await.unwrap();
    let keys: Vec<(i64, &str)> = steps.iter().map(|step| (step.seq, step.step_key.as_str())).collect();
    assert_eq!(keys, [(1, "1"), (2, "2"), (3, "3")]);
}
