//! Runs that start themselves: a schedule starts one run per due time however many instances
//! share the database, times missed while nothing ran are handled as the policy says, and a
//! webhook call with an idempotency key starts one run however often it is retried.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use rpa::journal::{Journal, Keyed, RunRecord};
use rpa::runner::{MissedSchedules, Runner, RunnerError};
use rpa::secrets::Secrets;
use storage::{Database, TestPostgres};

use crate::support::{Workflows, config};

const NIGHTLY: &str = r#"name: nightly_export
version: 1
description: Export the repairs logged since yesterday.
trigger:
  schedule: "0 7 * * *"
inputs:
  - name: since
    type: text
    prompt: From when
    required: false
steps:
  - set: { exported: "yes" }
"#;

const RENEWAL: &str = r#"name: garden_waste_renewal
version: 1
description: Renew a garden waste subscription sent from the website's form.
trigger:
  webhook: { token_secret: renewal_token }
secrets: [renewal_token]
inputs:
  - name: uprn
    type: text
    prompt: The property's UPRN
    pattern: "^[0-9]{12}$"
    pattern_hint: twelve digits
  - name: bins
    type: number
    prompt: How many bins
steps:
  - set: { renewed: "{{ inputs.bins }}" }
"#;

/// A clock a test sets by hand, shared by every instance.
#[derive(Clone)]
struct HandClock(Arc<AtomicI64>);

impl HandClock {
    fn at(london: &str) -> HandClock {
        let clock = HandClock(Arc::new(AtomicI64::new(0)));
        clock.set(london);
        clock
    }

    fn set(&self, london: &str) {
        self.0.store(millis(london), Ordering::SeqCst);
    }

    fn clock(&self) -> storage::clock::Clock {
        let now = self.0.clone();
        Arc::new(move || now.load(Ordering::SeqCst))
    }
}

/// A local time in London in milliseconds since 1970.
fn millis(london: &str) -> i64 {
    london
        .parse::<jiff::civil::DateTime>()
        .unwrap()
        .to_zoned_datetime(uk::calendar::london().clone())
        .unwrap()
        .timestamp()
        .as_millisecond()
}

/// Two instances over one database, each with its own runner.
fn instances(
    workflows: &Workflows,
    journals: [Journal; 2],
    clock: &HandClock,
    missed: MissedSchedules,
) -> [Arc<Runner>; 2] {
    let secrets = Secrets::from_pairs([("renewal_token", "s3cret-renewal-token")]);
    let [a, b] = journals;
    [("a", a), ("b", b)].map(|(name, journal)| {
        let mut config = config(name, &[]);
        config.missed_schedules = missed;
        Arc::new(Runner::new(journal.with_clock(clock.clock()), workflows.catalogue(), secrets.clone(), config))
    })
}

async fn sqlite_pair(directory: &std::path::Path) -> [Journal; 2] {
    let path = directory.join("councilbot.db");
    let first = Journal::open(Database::open_file(&path).await.unwrap()).await.unwrap();
    let second = Journal::open(Database::open_file(&path).await.unwrap()).await.unwrap();
    [first, second]
}

async fn postgres_pair(server: &TestPostgres) -> [Journal; 2] {
    let first = Journal::open(Database::connect(&server.url).await.unwrap()).await.unwrap();
    let second = Journal::open(Database::connect(&server.url).await.unwrap()).await.unwrap();
    [first, second]
}

/// Both instances look for due schedules at the same moment; the runs they started between them.
async fn both_look(runners: &[Arc<Runner>; 2]) -> Vec<String> {
    let (a, b) = tokio::join!(runners[0].start_due_schedules(), runners[1].start_due_schedules());
    a.unwrap().into_iter().chain(b.unwrap()).filter_map(|claim| claim.run_id).collect()
}

async fn scheduled_runs(runner: &Runner) -> Vec<RunRecord> {
    let mut runs = runner.journal().runs(100).await.unwrap();
    runs.retain(|run| run.started_by.channel == "schedule");
    runs.sort_by_key(|run| run.created_at);
    runs
}

async fn each_due_time_starts_one_run(journals: [Journal; 2]) {
    let workflows = Workflows::new(&[("nightly_export.yaml", NIGHTLY)]);
    let clock = HandClock::at("2026-12-04T06:59:50");
    let runners = instances(&workflows, journals, &clock, MissedSchedules::Once);
    assert!(both_look(&runners).await.is_empty(), "nothing is due before 07:00");

    clock.set("2026-12-04T07:00:01");
    let started = both_look(&runners).await;
    assert_eq!(started.len(), 1, "one run for the due time across both instances: {started:?}");
    assert!(both_look(&runners).await.is_empty(), "the same due time is not started twice");

    let runs = scheduled_runs(&runners[0]).await;
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].workflow, "nightly_export");
    assert_eq!(runs[0].started_by.address, "due 2026-12-04 07:00 GMT");

    // Over the clocks going forward: due at 07:00 BST, one hour earlier in UTC.
    clock.set("2027-03-28T07:00:02");
    assert_eq!(both_look(&runners).await.len(), 1);
    let status = runners[1].schedules().await.unwrap();
    assert_eq!(status.len(), 1);
    assert_eq!(status[0].schedule, "0 7 * * *");
    assert_eq!(status[0].next_due, Some(millis("2027-03-29T07:00")));
    assert_eq!(status[0].last.as_ref().map(|claim| claim.due_at), Some(millis("2027-03-28T07:00")));
    let runs = scheduled_runs(&runners[0]).await;
    assert!(runs[1].started_by.address.starts_with("due 2027-03-28 07:00 BST"), "{:?}", runs[1].started_by);
}

#[tokio::test]
async fn each_due_time_of_a_schedule_starts_one_run_across_two_instances_on_sqlite() {
    let directory = tempfile::tempdir().unwrap();
    each_due_time_starts_one_run(sqlite_pair(directory.path()).await).await;
}

#[tokio::test]
async fn each_due_time_of_a_schedule_starts_one_run_across_two_instances_on_postgresql() {
    let server = TestPostgres::create().await.expect("PostgreSQL at 127.0.0.1:5432");
    each_due_time_starts_one_run(postgres_pair(&server).await).await;
}

#[tokio::test]
async fn due_times_missed_while_nothing_ran_start_once_late_and_say_so() {
    let directory = tempfile::tempdir().unwrap();
    let workflows = Workflows::new(&[("nightly_export.yaml", NIGHTLY)]);
    let clock = HandClock::at("2026-12-01T07:00:05");
    let runners = instances(&workflows, sqlite_pair(directory.path()).await, &clock, MissedSchedules::Once);
    assert_eq!(both_look(&runners).await.len(), 1);

    // Everything was down from the 1st until 09:30 on the 4th: the 2nd, 3rd and 4th were missed.
    clock.set("2026-12-04T09:30:00");
    assert_eq!(both_look(&runners).await.len(), 1, "one run for everything missed, not three");
    let runs = scheduled_runs(&runners[0]).await;
    assert_eq!(runs.len(), 2);
    assert_eq!(
        runs[1].started_by.address,
        "due 2026-12-04 07:00 GMT, started late at 2026-12-04 09:30 GMT, 2 earlier due times missed"
    );
    let last = runners[0].schedules().await.unwrap()[0].last.clone().unwrap();
    assert_eq!((last.due_at, last.missed, last.late), (millis("2026-12-04T07:00"), 2, 1));
}

#[tokio::test]
async fn due_times_missed_while_nothing_ran_are_skipped_when_the_council_says_so() {
    let directory = tempfile::tempdir().unwrap();
    let workflows = Workflows::new(&[("nightly_export.yaml", NIGHTLY)]);
    let clock = HandClock::at("2026-12-01T07:00:05");
    let runners = instances(&workflows, sqlite_pair(directory.path()).await, &clock, MissedSchedules::Skip);
    assert_eq!(both_look(&runners).await.len(), 1);
    clock.set("2026-12-04T09:30:00");
    assert!(both_look(&runners).await.is_empty(), "nothing runs late");
    let last = runners[0].schedules().await.unwrap()[0].last.clone().unwrap();
    assert_eq!((last.due_at, last.run_id), (millis("2026-12-04T07:00"), None), "recorded as missed");
    clock.set("2026-12-05T07:00:03");
    assert_eq!(both_look(&runners).await.len(), 1, "the next due time runs");
    assert_eq!(scheduled_runs(&runners[0]).await.len(), 2);
}

fn inputs(uprn: &str, bins: &str) -> Vec<(String, String)> {
    vec![("uprn".to_string(), uprn.to_string()), ("bins".to_string(), bins.to_string())]
}

async fn one_key_starts_one_run(journals: [Journal; 2]) {
    let workflows = Workflows::new(&[("garden_waste_renewal.yaml", RENEWAL)]);
    let clock = HandClock::at("2026-12-04T10:00:00");
    let runners = instances(&workflows, journals, &clock, MissedSchedules::Once);
    let file = workflows.catalogue().get("garden_waste_renewal").cloned().unwrap();
    assert_eq!(runners[0].webhook_token(&file).as_deref(), Some("s3cret-renewal-token"));

    let given = inputs("100012345678", "2");
    let (a, b) = tokio::join!(
        runners[0].start_from_webhook(&file, &given, Some("order-7731")),
        runners[1].start_from_webhook(&file, &given, Some("order-7731")),
    );
    let ids: Vec<String> = [a.unwrap(), b.unwrap()]
        .into_iter()
        .map(|keyed| match keyed {
            Keyed::Started(run) | Keyed::Again(run) => run.id,
            Keyed::OtherInputs => panic!("the same inputs"),
        })
        .collect();
    assert_eq!(ids[0], ids[1], "a retry on another instance gives the same run");
    let again = runners[1].start_from_webhook(&file, &given, Some("order-7731")).await.unwrap();
    assert!(matches!(&again, Keyed::Again(run) if run.id == ids[0]), "{again:?}");
    let runs = runners[0].journal().runs(100).await.unwrap();
    assert_eq!(runs.len(), 1, "one run for one key");
    assert_eq!(runs[0].started_by.channel, "webhook");

    let other = runners[0].start_from_webhook(&file, &inputs("100012345678", "3"), Some("order-7731")).await;
    assert!(matches!(other, Ok(Keyed::OtherInputs)), "{other:?}");
    let fresh = runners[0].start_from_webhook(&file, &given, Some("order-7732")).await.unwrap();
    assert!(matches!(&fresh, Keyed::Started(run) if run.id != ids[0]), "{fresh:?}");

    match runners[0].start_from_webhook(&file, &inputs("12", "lots"), Some("order-7733")).await {
        Err(RunnerError::Inputs(problems)) => {
            assert_eq!(problems.len(), 2, "every problem is named: {problems:?}");
            assert!(problems.iter().any(|problem| problem.contains("uprn")), "{problems:?}");
            assert!(problems.iter().any(|problem| problem.contains("bins")), "{problems:?}");
        }
        other => panic!("bad inputs are refused: {other:?}"),
    }
    assert_eq!(runners[0].journal().runs(100).await.unwrap().len(), 2, "bad inputs start nothing");
}

#[tokio::test]
async fn one_idempotency_key_starts_one_run_across_two_instances_on_sqlite() {
    let directory = tempfile::tempdir().unwrap();
    one_key_starts_one_run(sqlite_pair(directory.path()).await).await;
}

#[tokio::test]
async fn one_idempotency_key_starts_one_run_across_two_instances_on_postgresql() {
    let server = TestPostgres::create().await.expect("PostgreSQL at 127.0.0.1:5432");
    one_key_starts_one_run(postgres_pair(&server).await).await;
}
