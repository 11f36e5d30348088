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
    let messages = messages_of(&client, &server, &id).await;
    assert_eq!(
        said(&messages),
        ["what day are bins collected in Oakley Green?", "how do I pay my council tax?"],
        "nothing lost"
    );
}
