//! Service requests made in conversation and carried out on the practice back office in a real
//! browser: the resident sees plain progress while it runs, the outcome comes back into the
//! conversation, and a run that needs a person raises an escalation linked to it.

use std::time::{Duration, Instant};

use bot::conversation::ConversationStore;

use crate::support::{BACKDATED_MOVE, Chat, PracticePortal, Server, council};

#[test]
fn a_missed_bin_reported_in_conversation_comes_back_with_the_systems_reference() {
    let portal = PracticePortal::start();
    let server = council(&portal);
    let chat = Chat::start(&server);
    let asked = chat.say("my recycling wasn't collected yesterday, postcode EB2 7LP");
    assert_eq!(asked[0]["kind"], "choices", "asked first whether it is a missed bin to report: {asked:?}");
    let text = asked[0]["text"].as_str().unwrap_or_default();
    assert!(text.contains("report a missed bin collection"), "{text}");
    let house = chat.say("yes");
    assert!(serde_json::to_string(&house).unwrap().contains("house"), "the postcode given is not asked for: {house:?}");
    chat.say("Rose Cottage");
    let summary = chat.say("skip");
    assert_eq!(summary[0]["kind"], "confirm", "{summary:?}");
    let started = chat.say("yes");
    assert_eq!(started[0]["kind"], "workflow_status");
    assert_eq!(started[0]["status"], "queued");
    let reference = started[0]["reference"].as_str().expect("reference").to_string();

    let done = chat
        .wait_for("finished run", |message| message["kind"] == "workflow_status" && message["status"] == "succeeded");
    let case_reference = done["outputs"]["case_reference"].as_str().expect("the system's reference");
    assert!(case_reference.starts_with("WB-"), "{done}");
    assert!(done["text"].as_str().unwrap().contains(case_reference), "the resident is told it: {done}");
    let cases = portal.portal.cases_with_external_reference(&reference);
    assert_eq!(cases.len(), 1, "one case on ECSS, carrying the run's reference");
    assert_eq!(cases[0].reference, case_reference);
}

#[test]
fn while_a_repair_runs_the_resident_sees_plain_progress_and_never_a_selector() {
    let portal = PracticePortal::start();
    let server = council(&portal);
    let chat = Chat::start(&server);
    for text in
        ["my kitchen tap is leaking", "EB4 2QX", "4", "plumbing", "The kitchen tap has been leaking since Monday"]
    {
        chat.say(text);
    }
    let summary = chat.say("01632 960123");
    assert_eq!(summary[0]["kind"], "confirm", "{summary:?}");

    let (reference, events) = chat.runtime.block_on(async {
        // The widget's live stream, opened before the request is confirmed, as the widget does.
        let listener = reqwest::Client::new();
        let stream =
            listener.get(format!("{}/api/v1/conversations/{}/events", chat.url, chat.id)).send().await.unwrap();
        assert_eq!(stream.status(), 200);
        let confirmed: serde_json::Value = chat
            .client
            .post(format!("{}/api/v1/conversations/{}/messages", chat.url, chat.id))
            .json(&serde_json::json!({"text": "yes"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let reference = confirmed["replies"][0]["reference"].as_str().expect("a reference").to_string();
        let events = events_until_the_run_succeeds(stream).await;
        (reference, events)
    });

    let progress: Vec<&serde_json::Value> =
        events.iter().filter(|(name, _)| name == "progress").map(|(_, data)| data).collect();
    let shown: Vec<&str> = progress.iter().map(|step| step["step"].as_str().unwrap_or_default()).collect();
    assert!(progress.iter().all(|step| step["reference"] == reference.as_str()), "{progress:?}");
    let plain =
        ["Reporting your repair", "Entering your repair", "Signing in to the council's system", "Sending your repair"];
    for text in &shown {
        assert!(plain.contains(text), "the resident was shown {text:?}, which is not one of the workflow's own words");
        assert!(!text.contains("css") && !text.contains('[') && !text.contains("label"), "{text:?}");
    }
    for text in ["Signing in to the council's system", "Entering your repair", "Sending your repair"] {
        assert!(shown.contains(&text), "{text:?} was shown while the repair ran: {shown:?}");
    }
    let signing_in = shown.iter().position(|text| *text == "Signing in to the council's system").unwrap();
    let sending = shown.iter().position(|text| *text == "Sending your repair").unwrap();
    assert!(signing_in < sending, "{shown:?}");
}

/// The events of a conversation's live stream, as event name and data, until its request succeeds.
async fn events_until_the_run_succeeds(response: reqwest::Response) -> Vec<(String, serde_json::Value)> {
    use futures::StreamExt;
    let mut events = Vec::new();
    let mut buffer = String::new();
    let mut stream = response.bytes_stream();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(180);
    loop {
        let chunk = tokio::time::timeout_at(deadline, stream.next()).await;
        let Ok(Some(Ok(chunk))) = chunk else { panic!("the run did not succeed; events so far: {events:#?}") };
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let name = block.lines().find_map(|line| line.strip_prefix("event:")).unwrap_or_default().trim();
            let data: String = block.lines().filter_map(|line| line.strip_prefix("data:")).map(str::trim).collect();
            let data: serde_json::Value = serde_json::from_str(&data).unwrap_or_default();
            let done = name == "message" && data["kind"] == "workflow_status" && data["status"] == "succeeded";
            events.push((name.to_string(), data));
            if done {
                return events;
            }
        }
    }
}

#[test]
fn a_request_the_system_refuses_waits_for_a_person_with_an_escalation_on_the_run() {
    let portal = PracticePortal::start();
    let server = council(&portal);
    let chat = Chat::start(&server);
    // EB9 1AA is not on the housing register, so ECSS refuses the repair.
    chat.say("my kitchen tap is leaking");
    chat.say("EB9 1AA");
    chat.say("4");
    chat.say("plumbing");
    chat.say("The kitchen tap has been leaking under the sink since Monday");
    chat.say("01632 960123");
    let started = chat.say("yes");
    let reference = started[0]["reference"].as_str().expect("reference").to_string();

    let waiting = chat.wait_for("run waiting for a person", |message| {
        message["kind"] == "workflow_status" && message["status"] == "waiting"
    });
    assert!(waiting["text"].as_str().unwrap().contains("member of staff"), "{waiting}");
    chat.wait_for("handover", |message| message["kind"] == "handoff" && message["reason"] == "workflow_failed");
    assert!(portal.portal.cases_with_external_reference(&reference).is_empty());

    // The escalation carries the run and the details gathered, so acting on it acts on the run.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let database = storage::Database::connect(&server.database_url()).await.unwrap();
        let store = ConversationStore::open(database.clone()).await.unwrap();
        let escalations = store.escalations_of(&chat.id).await.unwrap();
        assert_eq!(escalations.len(), 1, "{escalations:?}");
        let journal = rpa::journal::Journal::open(database).await.unwrap();
        let run = journal.run(&reference).await.unwrap().expect("run");
        assert_eq!(escalations[0].run_id.as_deref(), Some(run.id.as_str()));
        assert_eq!(escalations[0].reason.as_str(), "workflow_failed");
        assert_eq!(escalations[0].inputs["postcode"], "EB9 1AA");
    });
}

/// A supervisor signed in to the console over HTTP.
struct Supervisor {
    client: reqwest::Client,
    url: String,
}

impl Supervisor {
    fn sign_in(chat: &Chat, server: &Server) -> Supervisor {
        let added = std::process::Command::new(env!("CARGO_BIN_EXE_councilbot"))
            .args([
                "--database-url",
                &server.database_url(),
                "staff",
                "add",
                "sam",
                "--name",
                "Sam Taylor",
                "--role",
                "supervisor",
            ])
            .env("COUNCILBOT_STAFF_PASSWORD", "correct horse battery staple")
            .output()
            .unwrap();
        assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let supervisor = Supervisor { client, url: server.url.clone() };
        let page = supervisor.page(chat, "/console/login");
        let csrf = hidden_field(&page, "csrf");
        chat.runtime.block_on(async {
            supervisor
                .client
                .post(format!("{}/console/login", supervisor.url))
                .form(&[("username", "sam"), ("password", "correct horse battery staple"), ("csrf", csrf.as_str())])
                .send()
                .await
                .unwrap();
        });
        supervisor
    }

    fn page(&self, chat: &Chat, path: &str) -> String {
        chat.runtime.block_on(async {
            self.client.get(format!("{}{path}", self.url)).send().await.unwrap().text().await.unwrap()
        })
    }

    /// The first escalation in the queue, once there is one.
    fn escalation(&self, chat: &Chat) -> String {
        let started = Instant::now();
        loop {
            let queue = self.page(chat, "/console");
            if let Some(start) = queue.find("/console/escalations/") {
                let rest = &queue[start + "/console/escalations/".len()..];
                return rest[..rest.find('"').unwrap()].to_string();
            }
            assert!(started.elapsed() < Duration::from_secs(120), "no escalation arrived");
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    fn act(&self, chat: &Chat, escalation: &str, action: &str, fields: &[(&str, &str)]) -> u16 {
        let page = self.page(chat, &format!("/console/escalations/{escalation}"));
        let csrf = hidden_field(&page, "csrf");
        let mut form: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        chat.runtime.block_on(async {
            self.client
                .post(format!("{}/console/escalations/{escalation}/{action}", self.url))
                .form(&form)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    }
}

fn hidden_field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no {name} in {html}")) + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

#[test]
fn staff_complete_a_refused_request_by_hand_and_the_resident_is_told() {
    let portal = PracticePortal::start();
    let server = council(&portal);
    let chat = Chat::start(&server);
    for text in [
        "my kitchen tap is leaking",
        "EB9 1AA",
        "4",
        "plumbing",
        "The kitchen tap has been leaking since Monday",
        "01632 960123",
        "yes",
    ] {
        chat.say(text);
    }
    chat.wait_for("handover", |message| message["kind"] == "handoff" && message["reason"] == "workflow_failed");
    let supervisor = Supervisor::sign_in(&chat, &server);
    let escalation = supervisor.escalation(&chat);
    let page = supervisor.page(&chat, &format!("/console/escalations/{escalation}"));
    assert!(page.contains("Workflow run CB-"), "the run is shown");
    assert!(page.contains("Screenshot of the council system"), "with its screenshot");
    assert_eq!(supervisor.act(&chat, &escalation, "run/complete", &[("output.case_reference", "HR-900001")]), 303);
    let done = chat
        .wait_for("the outcome", |message| message["kind"] == "workflow_status" && message["status"] == "succeeded");
    assert!(done["text"].as_str().unwrap().contains("HR-900001"), "{done}");
    let resolved = supervisor.page(&chat, &format!("/console/escalations/{escalation}"));
    assert!(resolved.contains("completed by hand"), "the escalation is resolved with the run");
}

#[test]
fn a_backdated_move_waits_for_approval_and_goes_on_when_staff_approve() {
    let portal = PracticePortal::start();
    let server = council(&portal);
    let chat = Chat::start(&server);
    for text in BACKDATED_MOVE {
        chat.say(text);
    }
    let supervisor = Supervisor::sign_in(&chat, &server);
    let escalation = supervisor.escalation(&chat);
    let page = supervisor.page(&chat, &format!("/console/escalations/{escalation}"));
    assert!(page.contains("Approve a backdated change of address for account 40012345"), "the task is shown");
    assert!(
        page.contains("name=\"decision\" value=\"approve\"") && page.contains("name=\"comment\""),
        "with a form to decide it: {page}"
    );
    assert_eq!(
        supervisor.act(&chat, &escalation, "task", &[("decision", "approve"), ("comment", "tenancy end confirmed")]),
        303
    );
    let done = chat.wait_for("the change to be recorded", |message| {
        message["kind"] == "workflow_status" && message["status"] == "succeeded"
    });
    assert!(done["text"].as_str().unwrap().contains("CT-"), "{done}");
}
