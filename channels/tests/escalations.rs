//! The escalations API for programs: a bearer token lists, shows and claims escalations, and
//! refusals say nothing of the inside.

use axum::http::StatusCode;
use channels::console::accounts::Role;
use serde_json::json;

use crate::support::App;

#[tokio::test]
async fn programs_use_the_escalation_api_with_a_token() {
    let app = App::start().await;
    let token = app.accounts.create_token("crm", Role::Supervisor).await.unwrap();
    let resident = app.browser();
    resident.resident_asks_for_a_person().await;
    let listed = app.get_with_token("/api/v1/escalations", &token).await.json();
    let escalation = listed["escalations"][0]["id"].as_str().expect("an escalation").to_string();
    assert_eq!(listed["escalations"][0]["reason"], "requested");
    let claimed =
        app.post_json_with_token(&format!("/api/v1/escalations/{escalation}/claim"), &json!({}), &token).await;
    assert_eq!(claimed.status, StatusCode::OK);
    let shown = app.get_with_token(&format!("/api/v1/escalations/{escalation}"), &token).await.json();
    assert_eq!(shown["escalation"]["status"], "claimed");
    assert!(shown["transcript"].as_array().unwrap().iter().any(|m| m["kind"] == "staff"));
}

#[tokio::test]
async fn api_refusals_carry_no_internal_text() {
    let app = App::start().await;
    let escalation = app.escalation().await;
    let token = app.accounts.create_token("queue-robot", Role::Supervisor).await.unwrap();

    // Handing back what nobody took is refused in the words the console uses.
    let refused =
        app.post_json_with_token(&format!("/api/v1/escalations/{escalation}/hand-back"), &json!({}), &token).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert_eq!(refused.json()["error"]["code"], "conflict");

    // A database failure is unavailability, not the database's own words.
    app.execute("DROP TABLE audit_log").await;
    let refused =
        app.post_json_with_token(&format!("/api/v1/escalations/{escalation}/claim"), &json!({}), &token).await;
    assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE, "{}", refused.body);
    assert_eq!(refused.json()["error"]["code"], "unavailable");
    for inside in ["audit_log", "no such table", "SQL", "sqlx"] {
        assert!(!refused.body.contains(inside), "`{inside}` is not sent: {}", refused.body);
    }
}
