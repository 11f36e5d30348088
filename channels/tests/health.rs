//! Health for load balancers, metrics for Prometheus (behind a bearer token, or on an address
//! of their own), and the OpenAPI description, which must match what the server answers.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use channels::WebSettings;
use channels::health::MetricsAccess;
use secrecy::SecretString;
use serde_json::json;

use crate::support::App;

#[tokio::test]
async fn health_metrics_and_the_openapi_description_match_the_server() {
    let app = App::sample_council().await;
    let client = app.browser();
    let health = client.get("/healthz").await.json();
    assert_eq!(health["status"], "ok");

    let id = client.start_conversation().await;
    client.say(&id, "talk to a person").await;
    let metrics = client.get("/metrics").await.body;
    assert!(metrics.contains("councilbot_turns_total{outcome=\"escalated\"} 1"), "{metrics}");
    assert!(metrics.contains("councilbot_escalations_total{reason=\"requested\"} 1"), "{metrics}");
    assert!(metrics.contains("councilbot_conversations_started_total 1"), "{metrics}");

    let answered = client.say(&id, "how can i pay my council tax").await;
    let answer = answered.iter().find(|reply| reply["citations"].is_array()).expect("an answer")["id"].to_string();
    let description = client.get("/api/v1/openapi.json").await.json();
    let paths = description["paths"].as_object().expect("paths");
    assert!(paths.len() >= 6);
    for (path, operations) in paths {
        let concrete = path.replace("{id}", &id).replace("{message_id}", &answer);
        for (method, operation) in operations.as_object().unwrap().iter().filter(|(key, _)| *key != "parameters") {
            if operation.get("security").is_some() {
                // Staff operations: documented as refusing anyone without a token.
                let refused = client.get("/api/v1/escalations").await;
                assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{path}");
                continue;
            }
            let request = match method.as_str() {
                "get" => Request::get(&concrete),
                "post" => Request::post(&concrete).header("content-type", "application/json"),
                "delete" => continue,
                other => panic!("undocumented method {other}"),
            };
            let body = match method.as_str() {
                "post" if path.ends_with("/feedback") => json!({"helpful": true}).to_string(),
                "post" if path == "/api/v1/conversations" => json!({"language": "cy"}).to_string(),
                "post" => json!({"text": "hello"}).to_string(),
                _ => String::new(),
            };
            let request = if concrete.ends_with("/events") {
                // The stream stays open: only its status is read.
                request.header("Last-Event-ID", "999")
            } else {
                request
            };
            let status = app.call(request.body(Body::from(body)).unwrap()).await.status();
            assert!(status.is_success(), "{method} {path} is documented but answered {status}");
        }
    }
}

#[tokio::test]
async fn metrics_need_their_bearer_token_or_are_served_on_their_own_address() {
    let token = MetricsAccess { token: Some(SecretString::from("the-metrics-token")), separate: false };
    let guarded = App::setup().web(WebSettings { metrics: token, ..WebSettings::default() }).start().await;
    assert_eq!(guarded.get("/metrics", None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(guarded.get_with_token("/metrics", "a-guess").await.status, StatusCode::UNAUTHORIZED);
    let scraped = guarded.get_with_token("/metrics", "the-metrics-token").await;
    assert_eq!(scraped.status, StatusCode::OK);
    assert!(scraped.body.contains("councilbot_http_responses_total"));
    assert_eq!(guarded.get("/healthz", None).await.status, StatusCode::OK);

    let apart = MetricsAccess { token: None, separate: true };
    let apart = App::setup().web(WebSettings { metrics: apart, ..WebSettings::default() }).start().await;
    assert_eq!(apart.get("/metrics", None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(apart.get_on_metrics_address("/metrics").await.status, StatusCode::OK);
}
