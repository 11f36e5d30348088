//! The chat API served by `councilbot serve`: conversations over HTTP, their live events,
//! errors that say what is wrong, limits, health, metrics and the OpenAPI description.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{Server, read_events};

fn client() -> reqwest::Client {
    http_client::install_crypto_provider();
    reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("client")
}

async fn start_conversation(client: &reqwest::Client, server: &Server) -> String {
    let response = client.post(format!("{}/api/v1/conversations", server.url)).send().await.expect("request");
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.expect("json");
    body["id"].as_str().expect("id").to_string()
}

async fn say(client: &reqwest::Client, server: &Server, id: &str, text: &str) -> Vec<Value> {
    let response = client
        .post(format!("{}/api/v1/conversations/{id}/messages", server.url))
        .json(&json!({"text": text}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200, "{text}");
    let body: Value = response.json().await.expect("json");
    body["replies"].as_array().expect("replies").clone()
}

#[tokio::test]
async fn a_question_over_http_gets_a_cited_answer_and_the_transcript_keeps_it() {
    let server = Server::start("", &[]);
    let client = client();
    let id = start_conversation(&client, &server).await;
    let replies = say(&client, &server, &id, "what day are bins collected in Oakley Green?").await;
    assert_eq!(replies[0]["kind"], "text");
    assert!(replies[0]["text"].as_str().unwrap().contains("Thursday"), "{replies:?}");
    assert_eq!(replies[0]["citations"][0]["url"], "/waste/bin-collection-days", "the page, served here");
    assert_eq!(replies[0]["citations"][0]["title"], "Bin collection days");

    let transcript: Value =
        client.get(format!("{}/api/v1/conversations/{id}", server.url)).send().await.unwrap().json().await.unwrap();
    let messages = transcript["messages"].as_array().expect("messages");
    assert_eq!(messages[0]["role"], "user");
    assert_eq!(messages[0]["text"], "what day are bins collected in Oakley Green?");
    assert_eq!(messages[1]["id"], replies[0]["id"]);
}

#[tokio::test]
async fn the_event_stream_resumes_from_the_last_event_without_repeats() {
    let server = Server::start("", &[]);
    let client = client();
    let id = start_conversation(&client, &server).await;
    say(&client, &server, &id, "hello").await;
    let events_url = format!("{}/api/v1/conversations/{id}/events", server.url);

    // Everything so far, from the start.
    let response = client.get(&events_url).send().await.unwrap();
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let events = read_events(response, |events| events.iter().filter(|e| e.0 == "message").count() >= 2).await;
    let ids: Vec<&str> = events.iter().filter(|e| e.0 == "message").map(|e| e.1.as_str()).collect();
    assert_eq!(ids, vec!["1", "2"]);

    // Reconnecting after message 2 gets only what came later, live.
    let response = client.get(&events_url).header("Last-Event-ID", "2").send().await.unwrap();
    let question = say(&client, &server, &id, "how can i pay my council tax");
    let (events, replies) = tokio::join!(
        read_events(response, |events| events.iter().any(|e| e.0 == "message" && e.2["role"] == "bot")),
        question
    );
    let messages: Vec<&(String, String, Value)> = events.iter().filter(|e| e.0 == "message").collect();
    assert_eq!(messages[0].1, "3", "the person's own message first: {events:?}");
    assert_eq!(messages[0].2["text"], "how can i pay my council tax");
    assert_eq!(messages[1].2["id"], replies[0]["id"]);
    assert!(messages.iter().all(|message| message.1.parse::<i64>().unwrap() > 2), "nothing repeated: {events:?}");

    // A client that cannot send headers resumes with `after`.
    let response = client.get(format!("{events_url}?after=3")).send().await.unwrap();
    let events = read_events(response, |events| events.iter().any(|e| e.0 == "message")).await;
    assert_eq!(events.iter().find(|e| e.0 == "message").map(|e| e.1.as_str()), Some("4"));
}

#[tokio::test]
async fn bad_requests_get_clear_errors_and_change_nothing() {
    let server = Server::start("[conversations]\nmax_message_chars = 50\n", &[]);
    let client = client();
    let id = start_conversation(&client, &server).await;
    let messages = format!("{}/api/v1/conversations/{id}/messages", server.url);
    let error_of = |body: Value| body["error"]["message"].as_str().unwrap_or_default().to_string();

    let unknown = client
        .post(format!("{}/api/v1/conversations/c_nope/messages", server.url))
        .json(&json!({"text": "hi"}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    assert!(error_of(unknown.json().await.unwrap()).contains("c_nope"));

    let malformed =
        client.post(&messages).header("content-type", "application/json").body("{\"text\": ").send().await.unwrap();
    assert_eq!(malformed.status(), 400);
    assert!(error_of(malformed.json().await.unwrap()).contains("not valid JSON"));

    let not_json = client.post(&messages).body("hello").send().await.unwrap();
    assert_eq!(not_json.status(), 415);

    let unknown_field = client.post(&messages).json(&json!({"txt": "hi"})).send().await.unwrap();
    assert_eq!(unknown_field.status(), 400);
    assert!(error_of(unknown_field.json().await.unwrap()).contains("txt"));

    let empty = client.post(&messages).json(&json!({"text": "   "})).send().await.unwrap();
    assert_eq!(empty.status(), 422);

    let long = client.post(&messages).json(&json!({"text": "a".repeat(51)})).send().await.unwrap();
    assert_eq!(long.status(), 422);
    assert!(error_of(long.json().await.unwrap()).contains("51 characters; the most is 50"));

    // The server closes the connection of a body too large, so it goes on a connection of its own.
    let huge = self::client().post(&messages).json(&json!({"text": "a".repeat(100_000)})).send().await.unwrap();
    assert_eq!(huge.status(), 413);

    let bad_resume = client
        .get(format!("{}/api/v1/conversations/{id}/events", server.url))
        .header("Last-Event-ID", "yesterday")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_resume.status(), 400);

    let transcript: Value =
        client.get(format!("{}/api/v1/conversations/{id}", server.url)).send().await.unwrap().json().await.unwrap();
    assert_eq!(transcript["messages"].as_array().unwrap().len(), 0, "nothing was stored by refused requests");
}

#[tokio::test]
async fn a_conversation_sending_too_fast_is_told_when_to_try_again() {
    let server = Server::start("[conversations]\nmessages_per_minute = 2\nmessage_burst = 2\n", &[]);
    let client = client();
    let id = start_conversation(&client, &server).await;
    say(&client, &server, &id, "hello").await;
    say(&client, &server, &id, "thanks").await;
    let refused = client
        .post(format!("{}/api/v1/conversations/{id}/messages", server.url))
        .json(&json!({"text": "hello again"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 429);
    let wait: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=30).contains(&wait), "{wait}");
    // Another conversation is not held up.
    let other = start_conversation(&client, &server).await;
    say(&client, &server, &other, "hello").await;
}

#[tokio::test]
async fn an_ended_conversation_takes_no_more_messages() {
    let server = Server::start("", &[]);
    let client = client();
    let id = start_conversation(&client, &server).await;
    let ended = client.delete(format!("{}/api/v1/conversations/{id}", server.url)).send().await.unwrap();
    assert_eq!(ended.status(), 204);
    let refused = client
        .post(format!("{}/api/v1/conversations/{id}/messages", server.url))
        .json(&json!({"text": "hello"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 409);
}

#[tokio::test]
async fn health_metrics_and_the_openapi_description_match_the_server() {
    let server = Server::start("", &[]);
    let client = client();
    let health: Value = client.get(format!("{}/healthz", server.url)).send().await.unwrap().json().await.unwrap();
    assert_eq!(health["status"], "ok");

    let id = start_conversation(&client, &server).await;
    say(&client, &server, &id, "talk to a person").await;
    let metrics = client.get(format!("{}/metrics", server.url)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("councilbot_turns_total{outcome=\"escalated\"} 1"), "{metrics}");
    assert!(metrics.contains("councilbot_escalations_total{reason=\"requested\"} 1"), "{metrics}");
    assert!(metrics.contains("councilbot_conversations_started_total 1"), "{metrics}");

    let answered = say(&client, &server, &id, "how can i pay my council tax").await;
    let answer = answered.iter().find(|reply| reply["citations"].is_array()).expect("an answer")["id"].to_string();
    let description: Value =
        client.get(format!("{}/api/v1/openapi.json", server.url)).send().await.unwrap().json().await.unwrap();
    let paths = description["paths"].as_object().expect("paths");
    assert!(paths.len() >= 6);
    for (path, operations) in paths {
        let concrete = path.replace("{id}", &id).replace("{message_id}", &answer);
        for (method, operation) in operations.as_object().unwrap().iter().filter(|(key, _)| *key != "parameters") {
            if operation.get("security").is_some() {
                // Staff operations: documented as refusing anyone without a token.
                let refused = client.get(format!("{}/api/v1/escalations", server.url)).send().await.unwrap();
                assert_eq!(refused.status(), 401, "{path}");
                continue;
            }
            let request = match method.as_str() {
                "get" => client.get(format!("{}{concrete}", server.url)),
                "post" if path.ends_with("/feedback") => {
                    client.post(format!("{}{concrete}", server.url)).json(&json!({"helpful": true}))
                }
                "post" => client.post(format!("{}{concrete}", server.url)).json(&json!({"text": "hello"})),
                "delete" => continue,
                other => panic!("undocumented method {other}"),
            };
            let response = if concrete.ends_with("/events") {
                request.header("Last-Event-ID", "999").send().await.unwrap()
            } else {
                request.send().await.unwrap()
            };
            assert!(response.status().is_success(), "{method} {path} is documented but answered {}", response.status());
        }
    }
}
