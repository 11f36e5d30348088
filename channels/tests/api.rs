//! The chat API: conversations, their messages, live events and transcripts, errors that say
//! what is wrong, and the limit on how fast a conversation may send.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use channels::ApiLimits;
use serde_json::json;

use crate::support::{Answer, App, Browser, Event, read_events};

/// A `POST` of `body` as it is, with a content type when one is given.
async fn post_raw(browser: &Browser<'_>, path: &str, content_type: Option<&str>, body: impl Into<String>) -> Answer {
    let mut request = Request::post(path);
    if let Some(content_type) = content_type {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    browser.send(request.body(Body::from(body.into())).unwrap()).await
}

#[tokio::test]
async fn a_question_over_http_gets_a_cited_answer_and_the_transcript_keeps_it() {
    let app = App::sample_council().await;
    let client = app.browser();
    let id = client.start_conversation().await;
    let replies = client.say(&id, "what day are bins collected in Oakley Green?").await;
    assert_eq!(replies[0]["kind"], "text");
    assert!(replies[0]["text"].as_str().unwrap().contains("Thursday"), "{replies:?}");
    assert_eq!(replies[0]["citations"][0]["url"], "/waste/bin-collection-days", "the page, served here");
    assert_eq!(replies[0]["citations"][0]["title"], "Bin collection days");

    let messages = client.transcript(&id).await;
    assert_eq!(messages[0]["role"], "user");
    assert_eq!(messages[0]["text"], "what day are bins collected in Oakley Green?");
    assert_eq!(messages[1]["id"], replies[0]["id"]);
}

#[tokio::test]
async fn the_event_stream_resumes_from_the_last_event_without_repeats() {
    let app = App::sample_council().await;
    let client = app.browser();
    let id = client.start_conversation().await;
    client.say(&id, "hello").await;
    let events_url = format!("/api/v1/conversations/{id}/events");
    let events_from = |request: axum::http::request::Builder| app.call(request.body(Body::empty()).unwrap());
    let messages_of = |events: &[Event]| events.iter().filter(|e| e.0 == "message").count();

    // Everything so far, from the start.
    let response = events_from(Request::get(&events_url)).await;
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let events = read_events(response, |events| messages_of(events) >= 2).await;
    let ids: Vec<&str> = events.iter().filter(|e| e.0 == "message").map(|e| e.1.as_str()).collect();
    assert_eq!(ids, vec!["1", "2"]);

    // Reconnecting after message 2 gets only what came later, live.
    let response = events_from(Request::get(&events_url).header("Last-Event-ID", "2")).await;
    let question = client.say(&id, "how can i pay my council tax");
    let (events, replies) = tokio::join!(
        read_events(response, |events| events.iter().any(|e| e.0 == "message" && e.2["role"] == "bot")),
        question
    );
    let messages: Vec<&Event> = events.iter().filter(|e| e.0 == "message").collect();
    assert_eq!(messages[0].1, "3", "the person's own message first: {events:?}");
    assert_eq!(messages[0].2["text"], "how can i pay my council tax");
    assert_eq!(messages[1].2["id"], replies[0]["id"]);
    assert!(messages.iter().all(|message| message.1.parse::<i64>().unwrap() > 2), "nothing repeated: {events:?}");

    // A client that cannot send headers resumes with `after`.
    let response = events_from(Request::get(format!("{events_url}?after=3"))).await;
    let events = read_events(response, |events| events.iter().any(|e| e.0 == "message")).await;
    assert_eq!(events.iter().find(|e| e.0 == "message").map(|e| e.1.as_str()), Some("4"));
}

#[tokio::test]
async fn bad_requests_get_clear_errors_and_change_nothing() {
    let app = App::setup().limits(ApiLimits { max_message_chars: 50, ..ApiLimits::default() }).start().await;
    let client = app.browser();
    let id = client.start_conversation().await;
    let messages = format!("/api/v1/conversations/{id}/messages");
    let error_of = |answer: &Answer| answer.json()["error"]["message"].as_str().unwrap_or_default().to_string();

    let unknown = client.post_json("/api/v1/conversations/c_nope/messages", &json!({"text": "hi"})).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(error_of(&unknown).contains("c_nope"));

    let malformed = post_raw(&client, &messages, Some("application/json"), "{\"text\": ").await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert!(error_of(&malformed).contains("not valid JSON"));

    let not_json = post_raw(&client, &messages, None, "hello").await;
    assert_eq!(not_json.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let unknown_field = client.post_json(&messages, &json!({"txt": "hi"})).await;
    assert_eq!(unknown_field.status, StatusCode::BAD_REQUEST);
    assert!(error_of(&unknown_field).contains("txt"));

    let empty = client.post_json(&messages, &json!({"text": "   "})).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);

    let long = client.post_json(&messages, &json!({"text": "a".repeat(51)})).await;
    assert_eq!(long.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_of(&long).contains("51 characters; the most is 50"));

    let huge = client.post_json(&messages, &json!({"text": "a".repeat(100_000)})).await;
    assert_eq!(huge.status, StatusCode::PAYLOAD_TOO_LARGE);

    let bad_resume = Request::get(format!("/api/v1/conversations/{id}/events")).header("Last-Event-ID", "yesterday");
    let bad_resume = client.send(bad_resume.body(Body::empty()).unwrap()).await;
    assert_eq!(bad_resume.status, StatusCode::BAD_REQUEST);

    assert_eq!(client.transcript(&id).await.len(), 0, "nothing was stored by refused requests");
}

#[tokio::test]
async fn a_conversation_sending_too_fast_is_told_when_to_try_again() {
    let limits = ApiLimits { messages_per_minute: 2, message_burst: 2, ..ApiLimits::default() };
    let app = App::setup().limits(limits).start().await;
    let client = app.browser();
    let id = client.start_conversation().await;
    client.say(&id, "hello").await;
    client.say(&id, "thanks").await;
    let refused =
        client.post_json(&format!("/api/v1/conversations/{id}/messages"), &json!({"text": "hello again"})).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = refused.header("retry-after").parse().unwrap();
    assert!((1..=30).contains(&wait), "{wait}");
    // Another conversation is not held up.
    let other = client.start_conversation().await;
    client.say(&other, "hello").await;
}

#[tokio::test]
async fn an_ended_conversation_takes_no_more_messages() {
    let app = App::start().await;
    let client = app.browser();
    let id = client.start_conversation().await;
    let ended = client.send(Request::delete(format!("/api/v1/conversations/{id}")).body(Body::empty()).unwrap()).await;
    assert_eq!(ended.status, StatusCode::NO_CONTENT);
    let refused = client.post_json(&format!("/api/v1/conversations/{id}/messages"), &json!({"text": "hello"})).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
}
