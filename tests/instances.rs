//! Several `councilbot serve` instances on one PostgreSQL database: a conversation moves
//! between them message by message, and live events reach listeners on any instance.

use futures::StreamExt;
use serde_json::{Value, json};
use storage::TestPostgres;

use crate::support::{Councilbot, CuttablePath, Server, read_events};

/// Conversations the test spreads over the two instances.
const CONVERSATIONS: usize = 200;

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgresql_share_conversations_and_live_events() {
    let database = TestPostgres::create().await.expect("PostgreSQL at 127.0.0.1:5432");
    let config = "[conversations]\nconversations_per_minute = 100000\n";
    let env = [("DATABASE_URL", database.url.as_str())];
    let first = Server::start(config, &env);
    let second = Server::start(config, &env);
    let instances = [&first, &second];
    rpa::http::install_crypto_provider();
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
        let transcript: Value = client
            .get(format!("{}/api/v1/conversations/{id}", instances[n % 2].url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let messages = transcript["messages"].as_array().expect("messages");
        let said: Vec<&str> =
            messages.iter().filter(|message| message["role"] == "user").filter_map(|m| m["text"].as_str()).collect();
        assert_eq!(said, questions, "{id}: each message once, in order");
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
    let (heard, status) = tokio::join!(
        read_events(events, |events| events.iter().any(|e| e.0 == "message" && e.2["role"] == "bot")),
        async {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            say(&client, &first, &id, "what day are bins collected in Oakley Green?").await
        }
    );
    assert!(status.is_success());
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
    let (changes, status) = tokio::join!(
        read_events(queue, |events| events.iter().any(|e| e.0 == "change" && e.2["change"] == "raised")),
        async {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            say(&client, &first, &resident, "I want to speak to a person").await
        }
    );
    assert!(status.is_success());
    let raised = changes.iter().find(|e| e.0 == "change" && e.2["change"] == "raised").expect("raised, live");
    let escalation = raised.2["escalation"].as_str().unwrap();
    let listed: Value = client
        .get(format!("{}/api/v1/escalations", second.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(listed.to_string().contains(escalation), "{listed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_postgresql_is_away_requests_fail_cleanly_and_service_resumes_by_itself() {
    let database = TestPostgres::create().await.expect("PostgreSQL at 127.0.0.1:5432");
    let path = CuttablePath::to("127.0.0.1:5432").await;
    let through_path = database.url.replacen("127.0.0.1:5432", &format!("127.0.0.1:{}", path.port), 1);
    let server = Server::start("", &[("DATABASE_URL", through_path.as_str())]);
    rpa::http::install_crypto_provider();
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
    let transcript: Value =
        client.get(format!("{}/api/v1/conversations/{id}", server.url)).send().await.unwrap().json().await.unwrap();
    let said: Vec<&str> = transcript["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|message| message["role"] == "user")
        .filter_map(|message| message["text"].as_str())
        .collect();
    assert_eq!(said, ["what day are bins collected in Oakley Green?", "how do I pay my council tax?"], "nothing lost");
}
