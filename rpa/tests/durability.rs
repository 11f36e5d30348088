//! Runs survive the death of the process working them: another instance takes them over after
//! their lease lapses, replays what took effect, and never submits twice.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use rpa::journal::{Journal, RunStatus};
use rpa::runner::Runner;
use rpa::secrets::Secrets;
use serde_json::{Value, json};
use storage::clock::FastForwardClock;
use storage::{Database, TestPostgres};

use crate::support::{LEASE, Service, Workflows, config, resident, sqlite_journal, sqlite_journal_keeping_time};

/// A case system whose submissions can hang after the case is logged, as when a process dies
/// between the system acting and the answer coming back.
#[derive(Default)]
struct SlowCases {
    cases: Mutex<Vec<Value>>,
    hang_after_logging: std::sync::atomic::AtomicBool,
    stalls_left: AtomicUsize,
}

fn slow_cases(system: Arc<SlowCases>) -> Router {
    Router::new()
        .route(
            "/cases",
            get(
                |State(system): State<Arc<SlowCases>>,
                 Query(query): Query<std::collections::HashMap<String, String>>| async move {
                    let wanted = json!(query.get("ref").cloned().unwrap_or_default());
                    let found: Vec<Value> =
                        system.cases.lock().unwrap().iter().filter(|case| case["ref"] == wanted).cloned().collect();
                    Json(json!({ "cases": found }))
                },
            )
            .post(|State(system): State<Arc<SlowCases>>, Json(body): Json<Value>| async move {
                let reference = {
                    let mut cases = system.cases.lock().unwrap();
                    let reference = format!("C-{}", 500 + cases.len());
                    cases.push(json!({ "reference": reference, "ref": body["ref"] }));
                    reference
                };
                if system.hang_after_logging.load(Ordering::SeqCst) {
                    tokio::time::sleep(Duration::from_secs(60)).await;
                }
                Json(json!({ "case": { "reference": reference } }))
            }),
        )
        .route(
            "/confirm",
            get(|State(system): State<Arc<SlowCases>>| async move {
                if system.stalls_left.load(Ordering::SeqCst) > 0 {
                    system.stalls_left.fetch_sub(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_secs(60)).await;
                }
                "confirmed"
            }),
        )
        .with_state(system)
}

const WORKFLOW: &str = r#"name: log_case
version: 1
description: Log a case, then confirm it.
system: { name: cases, base_url: http://unused.invalid, step_timeout: 2m }
outputs:
  case_reference: The case.
steps:
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
      json: { ref: "{{ run.reference }}" }
      extract: { case_reference: /case/reference }
  - http: { url: /confirm }
  - succeed:
      outputs: { case_reference: "{{ case_reference }}" }
"#;

fn runner(journal: Journal, workflows: &Workflows, service: &Service, instance: &str) -> Runner {
    Runner::new(journal, workflows.catalogue(), Secrets::default(), config(instance, &[("cases", &service.url)]))
}

/// Starts a run on one instance and kills its work (as a crash would) once `ready` holds.
async fn crash_midway(first: Arc<Runner>, workflows: &Workflows, ready: impl Fn() -> bool) -> String {
    let file = workflows.catalogue().get("log_case").unwrap().clone();
    let run = first.start(&file, &[], &resident()).await.unwrap();
    let worker = {
        let (first, id) = (first.clone(), run.id.clone());
        tokio::spawn(async move { first.work(&id).await })
    };
    for _ in 0..200 {
        if ready() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(ready(), "the run got to the point of the crash");
    worker.abort();
    let _ = worker.await;
    run.id
}

/// Works the run on a second instance once the first one's lease has lapsed.
async fn take_over(second: &Runner, clock: &FastForwardClock, run_id: &str) -> rpa::journal::RunRecord {
    assert!(second.work(run_id).await.unwrap().is_none(), "a run held under a live lease is not taken");
    clock.advance(LEASE + Duration::from_millis(1));
    second.work(run_id).await.unwrap().expect("the run is taken over once the lease has lapsed")
}

#[tokio::test]
async fn a_crash_after_the_system_logged_the_case_never_logs_it_twice() {
    let system = Arc::new(SlowCases::default());
    system.hang_after_logging.store(true, Ordering::SeqCst);
    let service = Service::start(slow_cases(system.clone())).await;
    let workflows = Workflows::new(&[("flow.yaml", WORKFLOW)]);
    let data = tempfile::tempdir().unwrap();
    let clock = FastForwardClock::new();
    let journal = sqlite_journal_keeping_time(data.path(), &clock).await;
    let first = Arc::new(runner(journal.clone(), &workflows, &service, "first"));
    let watched = system.clone();
    let run_id = crash_midway(first, &workflows, move || !watched.cases.lock().unwrap().is_empty()).await;

    system.hang_after_logging.store(false, Ordering::SeqCst);
    let second = runner(journal, &workflows, &service, "second");
    let finished = take_over(&second, &clock, &run_id).await;
    assert_eq!(finished.status, RunStatus::Succeeded, "{:?}", finished.reason);
    assert_eq!(system.cases.lock().unwrap().len(), 1, "the case was logged exactly once");
    assert_eq!(finished.outputs["case_reference"], "C-500", "the earlier submission's reference is kept");
    let submit: Vec<_> =
        second.journal().steps(&run_id).await.unwrap().into_iter().filter(|step| step.step_key == "1").collect();
    assert_eq!(submit.last().unwrap().error.as_deref(), Some("an earlier attempt had already taken effect"));
}

#[tokio::test]
async fn a_resumed_run_replays_a_completed_submission_instead_of_repeating_it() {
    let system = Arc::new(SlowCases::default());
    system.stalls_left.store(1, Ordering::SeqCst);
    let service = Service::start(slow_cases(system.clone())).await;
    let workflows = Workflows::new(&[("flow.yaml", WORKFLOW)]);
    let data = tempfile::tempdir().unwrap();
    let clock = FastForwardClock::new();
    let journal = sqlite_journal_keeping_time(data.path(), &clock).await;
    let first = Arc::new(runner(journal.clone(), &workflows, &service, "first"));
    let watched = system.clone();
    let run_id = crash_midway(first, &workflows, move || watched.stalls_left.load(Ordering::SeqCst) == 0).await;

    let second = runner(journal, &workflows, &service, "second");
    let finished = take_over(&second, &clock, &run_id).await;
    assert_eq!(finished.status, RunStatus::Succeeded, "{:?}", finished.reason);
    assert_eq!(system.cases.lock().unwrap().len(), 1);
    assert_eq!(finished.outputs["case_reference"], "C-500");
    let submits =
        second.journal().steps(&run_id).await.unwrap().into_iter().filter(|step| step.step_key == "1").count();
    assert_eq!(submits, 1, "the completed submission was not attempted again");
}

async fn exactly_one_instance_takes_each_run(journal: Journal) {
    let system = Arc::new(SlowCases::default());
    let service = Service::start(slow_cases(system.clone())).await;
    let workflows = Workflows::new(&[("flow.yaml", WORKFLOW)]);
    let file = workflows.catalogue().get("log_case").unwrap().clone();
    let first = Arc::new(runner(journal.clone(), &workflows, &service, "first"));
    let second = Arc::new(runner(journal, &workflows, &service, "second"));
    let mut ids = Vec::new();
    for _ in 0..12 {
        ids.push(first.start(&file, &[], &resident()).await.unwrap().id);
    }
    let mut workers = Vec::new();
    for runner in [first.clone(), second.clone()] {
        workers.push(tokio::spawn(async move { runner.work_ready().await.unwrap() }));
    }
    let mut worked = Vec::new();
    for worker in workers {
        worked.extend(worker.await.unwrap().into_iter().map(|run| run.id));
    }
    worked.sort();
    ids.sort();
    assert_eq!(worked, ids, "every run was worked by exactly one instance");
    assert_eq!(system.cases.lock().unwrap().len(), 12, "and logged its case once");
    for id in &ids {
        assert_eq!(first.find(id).await.unwrap().status, RunStatus::Succeeded);
    }
}

#[tokio::test]
async fn on_sqlite_exactly_one_instance_takes_each_run() {
    let data = tempfile::tempdir().unwrap();
    exactly_one_instance_takes_each_run(sqlite_journal(data.path()).await).await;
}

#[tokio::test]
async fn on_postgres_exactly_one_instance_takes_each_run() {
    let server = TestPostgres::create().await.expect("PostgreSQL at 127.0.0.1:5432");
    let journal = Journal::open(Database::connect(&server.url).await.unwrap()).await.unwrap();
    exactly_one_instance_takes_each_run(journal).await;
}

/// [`WORKFLOW`] with a slow first step, during which the run can change hands.
fn with_slow_start() -> String {
    WORKFLOW.replacen("steps:\n", "steps:\n  - wait: 1500ms\n", 1)
}

#[tokio::test]
async fn an_instance_whose_run_was_taken_over_stops_before_submitting() {
    let system = Arc::new(SlowCases::default());
    let service = Service::start(slow_cases(system.clone())).await;
    let workflows = Workflows::new(&[("flow.yaml", &with_slow_start())]);
    let data = tempfile::tempdir().unwrap();
    let clock = FastForwardClock::new();
    let journal = sqlite_journal_keeping_time(data.path(), &clock).await;
    let first = Arc::new(runner(journal.clone(), &workflows, &service, "first"));
    let file = workflows.catalogue().get("log_case").unwrap().clone();
    let run = first.start(&file, &[], &resident()).await.unwrap();
    let worker = {
        let (first, id) = (first.clone(), run.id.clone());
        tokio::spawn(async move { first.work(&id).await })
    };
    // While the first instance waits, its hold is lost (as when it stalls past its lease) and
    // the second takes the run.
    tokio::time::sleep(Duration::from_millis(300)).await;
    clock.advance(LEASE + Duration::from_millis(1));
    let second = runner(journal, &workflows, &service, "second");
    let taken = tokio::spawn({
        let id = run.id.clone();
        async move { second.work(&id).await.unwrap() }
    });

    worker.await.unwrap().unwrap().expect("the first instance had taken the run");
    let finished = taken.await.unwrap().expect("the second instance took the run");
    assert_eq!(finished.status, RunStatus::Succeeded, "{:?}", finished.reason);
    assert_eq!(system.cases.lock().unwrap().len(), 1, "only the instance holding the run submitted");
    let submissions = finished_submissions(&first, &run.id).await;
    assert_eq!(submissions, 1, "the first instance stopped before the submission");
}

/// How many times the run's submission step was attempted.
async fn finished_submissions(runner: &Runner, run_id: &str) -> usize {
    let steps = runner.journal().steps(run_id).await.unwrap();
    steps.iter().filter(|step| step.step_key == "2" && step.attempt > 0).count()
}

#[tokio::test]
async fn a_run_status_the_journal_does_not_know_is_an_error_not_a_cancelled_run() {
    let data = tempfile::tempdir().unwrap();
    let journal = sqlite_journal(data.path()).await;
    let inputs = serde_json::Map::new();
    let run = journal
        .create_run(rpa::journal::NewRun {
            workflow: "log_case",
            version: 1,
            definition: WORKFLOW,
            source_path: "flow.yaml",
            inputs: &inputs,
            started_by: &resident(),
        })
        .await
        .unwrap();
    storage::sqlx::query("UPDATE workflow_runs SET status = 'finished' WHERE id = $1")
        .bind(&run.id)
        .execute(journal.database().pool())
        .await
        .unwrap();
    let error = journal.run(&run.id).await.expect_err("an unknown status is not read as another").to_string();
    assert!(error.contains("status") && error.contains("finished"), "{error}");
}
