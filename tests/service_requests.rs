//! Service requests made in conversation and carried out on the practice back office in a real
//! browser: the outcome comes back into the conversation, and a run that needs a person raises
//! an escalation linked to it.

use std::time::{Duration, Instant};

use bot::conversation::ConversationStore;
use serde_json::{Value, json};

use crate::support::{PracticePortal, Server};

/// A blocking client over the chat API.
struct Chat {
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
    url: String,
    id: String,
}

impl Chat {
    fn start(server: &Server) -> Chat {
        rpa::http::install_crypto_provider();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let client = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().expect("client");
        let url = server.url.clone();
        let id = runtime.block_on(async {
            let body: Value =
                client.post(format!("{url}/api/v1/conversations")).send().await.unwrap().json().await.unwrap();
            body["id"].as_str().unwrap().to_string()
        });
        Chat { runtime, client, url, id }
    }

    fn say(&self, text: &str) -> Vec<Value> {
        self.runtime.block_on(async {
            let response = self
                .client
                .post(format!("{}/api/v1/conversations/{}/messages", self.url, self.id))
                .json(&json!({"text": text}))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200, "{text}");
            let body: Value = response.json().await.unwrap();
            body["replies"].as_array().unwrap().clone()
        })
    }

    fn transcript(&self) -> Vec<Value> {
        self.runtime.block_on(async {
            let body: Value = self
                .client
                .get(format!("{}/api/v1/conversations/{}", self.url, self.id))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            body["messages"].as_array().unwrap().clone()
        })
    }

    /// Waits until the transcript holds a message that `wanted` picks.
    fn wait_for(&self, what: &str, wanted: impl Fn(&Value) -> bool) -> Value {
        let started = Instant::now();
        loop {
            if let Some(found) = self.transcript().into_iter().find(|message| wanted(message)) {
                return found;
            }
            assert!(started.elapsed() < Duration::from_secs(120), "no {what} in {:#?}", self.transcript());
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

fn council(portal: &PracticePortal) -> Server {
    let url = portal.portal.url();
    Server::start(
        "",
        &[
            ("COUNCILBOT_SYSTEM_ECSS_URL", url.as_str()),
            ("COUNCILBOT_SECRET_ECSS_USER", legacy_portal::USER),
            ("COUNCILBOT_SECRET_ECSS_PASSWORD", legacy_portal::PASSWORD),
        ],
    )
}

#[test]
fn a_missed_bin_reported_in_conversation_comes_back_with_the_systems_reference() {
    let portal = PracticePortal::start();
    let server = council(&portal);
    let chat = Chat::start(&server);
    chat.say("my recycling wasn't collected yesterday, postcode EB2 7LP");
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
        assert_eq!(escalations[0].reason, "workflow_failed");
        assert_eq!(escalations[0].inputs["postcode"], "EB9 1AA");
    });
}
