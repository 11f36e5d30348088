//! Several `councilbot serve` instances on one PostgreSQL database: a conversation moves
//! between them message by message, live events reach listeners on any instance, and workflow
//! runs are each worked once even when an instance dies.

use futures::StreamExt;
use serde_json::{Value, json};
use storage::TestPostgres;

use crate::support::{Councilbot, CuttablePath, Server, read_events};

/// Conversations the test spreads over the two instances.
const CONVERSATIONS: usize = 200;

/// Workflow runs the two instances share.
const RUNS: usize = 100;

async fn start_conversation(client: &reqwest::Client, server: &Server) -> String {
    let created: Value =
        client.post(format!("{}/api/v1/conversations", server.url)).send().await.unwrap().json().await.unwrap();
    created["id"].as_str().expect("an id").to_string()
}

async fn say(client: &reqwest::Client, server: &Server, id: &str, text: &str) -> reqwest::StatusCode {
    client
        .post(format!("{}/api/v1/conversations/{id}/messages", server.url))
        .json(&json!({ "text": text }))
        .send()
        .await
        .unwrap()
        .status()
}

async fn get_json(client: &reqwest::Client, url: String, token: Option<&str>) -> Value {
    let request = client.get(url);
    let request = match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    };
    request.send().await.unwrap().json().await.unwrap()
}

/// A conversation's messages, as an instance has them.
async fn messages_of(client: &reqwest::Client, server: &Server, id: &str) -> Vec<Value> {
    let transcript = get_json(client, format!("{}/api/v1/conversations/{id}", server.url), None).await;
    transcript["messages"].as_array().expect("messages").clone()
}

/// What the resident said in a conversation, in order.
fn said(messages: &[Value]) -> Vec<&str> {
    messages.iter().filter(|message| message["role"] == "user").filter_map(|message| message["text"].as_str()).collect()
}

/// The events of a stream heard while a resident says something, until `enough` of them.
async fn heard_while_saying(
    stream: reqwest::Response,
    enough: impl Fn(&[(String, String, Value)]) -> bool,
    client: &reqwest::Client,
    server: &Server,
    id: &str,
    text: &str,
) -> Vec<(String, String, Value)> {
    let (heard, status) = tokio::join!(read_events(stream, enough), async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        say(client, server, id, text).await
    });
    assert!(status.is_success());
    heard
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgresql_share_conversations_and_live_events() {
    let database = TestPostgres::create().await.expect("PostgreSQL at 127.0.0.1:5432");
    let config = "[conversations]\nconversations_per_minute = 100000\n";
    let env = [("DATABASE_URL", database.url.as_str())];
    let first = Server::start(config, &env);
    let second = Server::start(config, &env);
    let instances = [&first, &second];
    http_client::install_crypto_provider();
    let client = reqwest::Client::new();

    // Each conversation starts on one instance and alternates: nothing lost, nothing twice.
    let questions = ["what day are bins collected in Oakley Green?", "how do I pay my council tax?", "thank you"];
    let outcomes: Vec<(String, Vec<reqwest::StatusCode>)> = futures::stream::iter(0..CONVERSATIONS)
        .map(|n| {
            let client = client.clone();
            async move {
                let id = start_conversation(&client, instances[n % 2]).await;
                let mut statuses = Vec::new();
                for (turn, question) in questions.iter().enumerate() {
                    statuses.push(say(&client, instances[(n + turn + 1) % 2], &id, question).await);
                }
                (id, statuses)
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    for (n, (id, statuses)) in outcomes.iter().enumerate() {
        assert!(statuses.iter().all(reqwest::StatusCode::is_success), "{id}: {statuses:?}");
        let messages = messages_of(&client, instances[n % 2], id).await;
        assert_eq!(said(&messages), questions, "{id}: each message once, in order");
        let seqs: Vec<i64> = messages.iter().filter_map(|message| message["seq"].as_i64()).collect();
        assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>(), "{id}: no gaps or repeats");
        assert!(
            messages.iter().filter(|message| message["role"] == "bot").count() >= questions.len(),
            "{id}: every message answered"
        );
    }

    // A widget connected to one instance hears a conversation carried on through the other.
    let id = start_conversation(&client, &first).await;
    let events = client.get(format!("{}/api/v1/conversations/{id}/events", second.url)).send().await.unwrap();
    let hears_answer =
        |events: &[(String, String, Value)]| events.iter().any(|e| e.0 == "message" && e.2["role"] == "bot");
    let question = "what day are bins collected in Oakley Green?";
    let heard = heard_while_saying(events, hears_answer, &client, &first, &id, question).await;
    let bot = heard.iter().find(|e| e.0 == "message" && e.2["role"] == "bot").expect("the answer, live");
    assert!(bot.2["text"].as_str().unwrap_or_default().contains("Thursday"), "{heard:?}");

    // A console on one instance sees an escalation raised on the other as it happens.
    let output =
        Councilbot::new().run(&["--database-url", &database.url, "staff", "token", "queue", "--role", "supervisor"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let token = String::from_utf8(output.stdout).unwrap().trim().to_string();
    let queue = client.get(format!("{}/console/queue/events", second.url)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(queue.status(), 200);
    let resident = start_conversation(&client, &first).await;
    let hears_raised =
        |events: &[(String, String, Value)]| events.iter().any(|e| e.0 == "change" && e.2["change"] == "raised");
    let changes =
        heard_while_saying(queue, hears_raised, &client, &first, &resident, "I want to speak to a person").await;
    let raised = changes.iter().find(|e| e.0 == "change" && e.2["change"] == "raised").expect("raised, live");
    let escalation = raised.2["escalation"].as_str().unwrap();
    let listed = get_json(&client, format!("{}/api/v1/escalations", second.url), Some(&token)).await;
    assert!(listed.to_string().contains(escalation), "{listed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_postgresql_is_away_requests_fail_cleanly_and_service_resumes_by_itself() {
    let database = TestPostgres::create().await.expect("PostgreSQL at 127.0.0.1:5432");
    let path = CuttablePath::to("127.0.0.1:5432").await;
    let through_path = database.url.replacen("127.0.0.1:5432", &format!("127.0.0.1:{}", path.port), 1);
    let server = Server::start("", &[("DATABASE_URL", through_path.as_str())]);
    http_client::install_crypto_provider();
    let client = reqwest::Client::new();
    let id = start_conversation(&client, &server).await;
    assert!(say(&client, &server, &id, "what day are bins collected in Oakley Green?").await.is_success());

    path.cut();
    let refused = client
        .post(format!("{}/api/v1/conversations/{id}/messages", server.url))
        .json(&json!({ "text": "how do I pay my council tax?" }))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 503);
    assert!(refused.headers().contains_key("retry-after"), "{:?}", refused.headers());
    let body: Value = refused.json().await.unwrap();
    assert!(body.to_string().contains("try again"), "{body}");
    let health = client.get(format!("{}/healthz", server.url)).send().await.unwrap();
    assert_eq!(health.status(), 503, "load balancers are told");

    path.restore();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    let resumed = loop {
        let status = client.get(format!("{}/healthz", server.url)).send().await.map(|response| response.status());
        match status {
            Ok(status) if status.is_success() => break status,
            _ if tokio::time::Instant::now() > deadline => panic!("not back after a minute: {}", server.log()),
            _ => tokio::time::sleep(std::time::Duration::from_millis(200)).await,
        }
    };
    assert_eq!(resumed, 200);
    assert!(say(&client, &server, &id, "how do I pay my council tax?").await.is_success());
    let messages = messages_of(&client, &server, &id).await;
    assert_eq!(
        said(&messages),
        ["what day are bins collected in Oakley Green?", "how do I pay my council tax?"],
        "nothing lost"
    );
}

/// A missed bin logged on ECSS by posting its forms, signing in within the submitting block
/// so a run taken over by another instance signs in again.
const LOG_BY_FORM: &str = r#"name: log_missed_bin_by_form
version: 1
description: Log a missed bin on ECSS by posting its forms.
audience: staff
inputs:
  - name: postcode
    type: postcode
    prompt: What is the postcode?
  - name: house
    type: text
    prompt: What is the house number or name?
secrets: [ecss_user, ecss_password]
system:
  name: ecss
  base_url: http://127.0.0.1:8090
  concurrency: 4
outputs:
  logged: Whether ECSS logged it.
steps:
  - id: log
    name: Log the missed collection on ECSS
    submits: true
    idempotency:
      check:
        - http: { method: POST, url: /login, form: { username: "{{ secrets.ecss_user }}", password: "{{ secrets.ecss_password }}" } }
        - http: { url: "/cases/search?q={{ run.reference | urlencode }}", as: found }
      done_when: "'No cases found' not in found.body"
    block:
      - http: { method: POST, url: /login, form: { username: "{{ secrets.ecss_user }}", password: "{{ secrets.ecss_password }}" } }
      - http:
          method: POST
          url: /bins/missed/new
          form:
            postcode: "{{ inputs.postcode }}"
            house: "{{ inputs.house }}"
            bin: Food caddy
            collection_date: 05/01/2026
            notes: ""
            ext_ref: "{{ run.reference }}"
          as: logged
      - assert:
          that: "'case-ref' in logged.body"
          message: ECSS did not log the missed collection
  - succeed:
      outputs: { logged: "yes" }
"#;

/// Queues runs of [`LOG_BY_FORM`] in the shared journal, as conversations on any instance do.
async fn queue_missed_bins(database_url: &str, workflows: &std::path::Path, count: usize) -> Vec<String> {
    let database = storage::Database::connect(database_url).await.unwrap();
    let journal = rpa::journal::Journal::open(database).await.unwrap();
    let (catalogue, problems) = rpa::workflow::Catalogue::load(&[workflows.to_path_buf()]);
    assert!(problems.is_empty(), "{problems:?}");
    let file = catalogue.get("log_missed_bin_by_form").expect("the workflow").clone();
    let secrets = rpa::secrets::Secrets::from_pairs([
        ("ecss_user", legacy_portal::USER),
        ("ecss_password", legacy_portal::PASSWORD),
    ]);
    let runner = rpa::runner::Runner::new(journal, catalogue, secrets, rpa::runner::RunnerConfig::default());
    let started_by = rpa::journal::StartedBy { channel: "web".into(), address: String::new(), language: None };
    let mut references = Vec::new();
    for n in 0..count {
        let inputs = [
            ("postcode".to_string(), format!("EB{} {}AB", 1 + n % 6, n % 10)),
            ("house".to_string(), format!("{}", n + 1)),
        ];
        references.push(runner.start(&file, &inputs, &started_by).await.unwrap().reference);
    }
    references
}

/// Each run's reference, status and the instance holding it.
async fn runs_as_stored(database: &storage::Database) -> Vec<(String, String, Option<String>)> {
    storage::sqlx::query_as::<_, (String, String, Option<String>)>(
        "SELECT reference, status, claimed_by FROM workflow_runs ORDER BY created_at",
    )
    .fetch_all(database.pool())
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_work_each_run_once_and_one_takes_over_when_the_other_is_killed() {
    let database = TestPostgres::create().await.expect("PostgreSQL at 127.0.0.1:5432");
    // ECSS as slow as a busy back office: every third page takes half a second.
    let portal = legacy_portal::Portal::start(legacy_portal::PortalConfig {
        slow_every: 3,
        slow_delay: std::time::Duration::from_millis(500),
        ..legacy_portal::PortalConfig::default()
    })
    .await
    .expect("the practice back office");
    let workflows = tempfile::tempdir().unwrap();
    std::fs::write(workflows.path().join("log_missed_bin_by_form.yaml"), LOG_BY_FORM).unwrap();
    let url = portal.url();
    let env = [
        ("DATABASE_URL", database.url.as_str()),
        ("COUNCILBOT_SYSTEM_ECSS_URL", url.as_str()),
        ("COUNCILBOT_SECRET_ECSS_USER", legacy_portal::USER),
        ("COUNCILBOT_SECRET_ECSS_PASSWORD", legacy_portal::PASSWORD),
        ("COUNCILBOT_RUN_LEASE", "3s"),
    ];
    let mut first = Server::start("", &env);
    let second = Server::start("", &env);
    let (first_name, second_name) = (format!("-{}", first.pid()), format!("-{}", second.pid()));
    let before = portal.cases().len();
    let references = queue_missed_bins(&database.url, workflows.path(), RUNS).await;
    let watch = storage::Database::connect(&database.url).await.unwrap();

    // Kill the first instance once a quarter of the cases are logged, while it holds runs.
    let mut holders = std::collections::BTreeSet::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(180);
    let held_at_kill = loop {
        assert!(tokio::time::Instant::now() < deadline, "no progress:\n{}\n{}", first.log(), second.log());
        let runs = runs_as_stored(&watch).await;
        let running: Vec<_> = runs.iter().filter(|run| run.1 == "running").collect();
        holders.extend(running.iter().filter_map(|run| run.2.clone()));
        let held: Vec<String> = running
            .iter()
            .filter(|run| run.2.as_deref().is_some_and(|holder| holder.ends_with(&first_name)))
            .map(|run| run.0.clone())
            .collect();
        if portal.cases().len() - before >= RUNS / 4 && !held.is_empty() {
            first.kill();
            break held;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert!(holders.iter().any(|holder| holder.ends_with(&first_name)), "the first instance worked runs: {holders:?}");
    assert!(
        holders.iter().any(|holder| holder.ends_with(&second_name)),
        "the second instance worked runs: {holders:?}"
    );

    // The second finishes everything, including what the first held when it died.
    loop {
        let runs = runs_as_stored(&watch).await;
        if runs.iter().all(|run| run.1 == "succeeded") {
            break;
        }
        let unfinished: Vec<_> = runs.iter().filter(|run| run.1 != "succeeded").collect();
        assert!(tokio::time::Instant::now() < deadline, "runs left unfinished: {unfinished:?}\n{}", second.log());
        assert!(unfinished.iter().all(|run| run.1 == "queued" || run.1 == "running"), "{unfinished:?}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let journal = rpa::journal::Journal::open(watch).await.unwrap();
    for reference in &references {
        let cases = portal.cases_with_external_reference(reference);
        assert_eq!(cases.len(), 1, "run {reference} logged one case: {cases:?}");
        let run = journal.run(reference).await.unwrap().expect("the run");
        assert_eq!(run.outputs["logged"], json!("yes"), "{reference}");
        let steps = journal.steps(&run.id).await.unwrap();
        let mut completed = std::collections::BTreeMap::new();
        // The submitting block (step 1) and what is in it are never done twice; the `succeed`
        // after it has no lasting effect, so a run taken over just after it may do it again.
        let submitting = |key: &str| key == "1" || key.starts_with("1.");
        for step in steps.iter().filter(|step| {
            step.status == rpa::journal::StepStatus::Completed && step.attempt > 0 && submitting(&step.step_key)
        }) {
            *completed.entry(step.step_key.as_str()).or_insert(0) += 1;
        }
        assert!(
            completed.values().all(|times| *times == 1),
            "{reference}: a completed step was done again: {completed:?}"
        );
    }
    assert_eq!(portal.cases().len() - before, RUNS, "no case twice on the back office");
    // What the first held when it died was finished by the second, with no case twice.
    for reference in &held_at_kill {
        assert_eq!(portal.cases_with_external_reference(reference).len(), 1, "{reference}");
    }
}

/// The figures of the index build a server reported as it started.
fn index_report(server: &Server) -> String {
    server.log().lines().find(|line| line.starts_with("index: ")).expect("the index report").to_string()
}

#[test]
fn instances_sharing_an_index_directory_build_it_once_and_all_answer_from_it() {
    let shared = tempfile::tempdir().unwrap();
    let index = shared.path().join("index");
    let env = [("COUNCILBOT_INDEX_DIR", index.to_str().unwrap())];
    // Both start at the same moment; the second waits while the first builds.
    let (first, second) = std::thread::scope(|scope| {
        let first = scope.spawn(|| Server::start("", &env));
        let second = scope.spawn(|| Server::start("", &env));
        (first.join().unwrap(), second.join().unwrap())
    });
    let reports = [index_report(&first), index_report(&second)];
    let built: Vec<&String> =
        reports.iter().filter(|report| !report.contains("(0 added, 0 updated, 0 removed)")).collect();
    assert_eq!(built.len(), 1, "one instance builds, the other finds it done: {reports:?}");
    assert!(built[0].contains(" added"), "{reports:?}");
    http_client::install_crypto_provider();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        for server in [&first, &second] {
            let id = start_conversation(&client, server).await;
            assert!(say(&client, server, &id, "what day are bins collected in Oakley Green?").await.is_success());
            let messages = messages_of(&client, server, &id).await;
            let answer = messages.iter().rev().find(|message| message["role"] == "bot").expect("an answer");
            assert!(answer.to_string().contains("Thursday"), "{answer}");
        }
    });
}
