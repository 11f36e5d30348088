//! The chat API served by `councilbot serve`: the limits and allowed origins taken from the
//! configuration. What the API answers to each request, its live events included, is tested
//! in-process in the channels crate.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::Server;

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
async fn the_chat_limits_and_allowed_origins_come_from_the_configuration() {
    let server = Server::start(
        "[conversations]\nmax_message_chars = 50\nmessages_per_minute = 2\nmessage_burst = 2\n\
         [web]\nallowed_origins = [\"https://www.eastbrook.gov.uk\"]\n",
        &[],
    );
    let client = client();
    let id = start_conversation(&client, &server).await;
    let messages = format!("{}/api/v1/conversations/{id}/messages", server.url);
    let long = client.post(&messages).json(&json!({"text": "a".repeat(51)})).send().await.unwrap();
    assert_eq!(long.status(), 422);
    let error: Value = long.json().await.unwrap();
    assert!(error["error"]["message"].as_str().unwrap_or_default().contains("the most is 50"), "{error}");

    say(&client, &server, &id, "hello").await;
    say(&client, &server, &id, "thanks").await;
    let refused = client.post(&messages).json(&json!({"text": "hello again"})).send().await.unwrap();
    assert_eq!(refused.status(), 429);

    let start_from = |origin: &'static str| {
        client.post(format!("{}/api/v1/conversations", server.url)).header("Origin", origin).send()
    };
    assert_eq!(start_from("https://evil.example").await.unwrap().status(), 403);
    let council = start_from("https://www.eastbrook.gov.uk").await.unwrap();
    assert_eq!(council.status(), 201);
    assert_eq!(council.headers()["access-control-allow-origin"], "https://www.eastbrook.gov.uk");
}
