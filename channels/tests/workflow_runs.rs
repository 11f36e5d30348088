//! Workflows started by other systems over HTTP: the workflow's token or 401, a workflow with a
//! webhook or 404, inputs that fit or 422 naming every problem, one run per idempotency key,
//! and a status URL that never shows the inputs.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use channels::api::ApiLimits;
use serde_json::{Value, json};

use crate::support::{Answer, App, NIGHTLY, RENEWAL};

const TOKEN: &str = "s3cret-renewal-token";
const START: &str = "/api/v1/workflows/garden_waste_renewal/runs";

async fn app(limits: ApiLimits) -> App {
    App::setup()
        .limits(limits)
        .workflows(&[("renewal.yaml", RENEWAL), ("nightly.yaml", NIGHTLY)], &[("renewal_token", TOKEN)])
        .start()
        .await
}

/// A `POST` of a JSON body with the headers given.
async fn post(app: &App, path: &str, body: &Value, headers: &[(&str, &str)]) -> Answer {
    let mut request = Request::post(path).header(header::CONTENT_TYPE, "application/json");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    Answer::read(app.call(request.body(Body::from(body.to_string())).unwrap()).await).await
}

fn good_inputs() -> Value {
    json!({"uprn": "100012345678", "email": "sam.jones@example.com"})
}

const BEARER: &str = "Bearer s3cret-renewal-token";

#[tokio::test]
async fn a_webhook_call_without_the_workflows_token_is_refused_with_401() {
    refuses_a_call_without_the_token(&app(ApiLimits::default()).await).await;
}

async fn refuses_a_call_without_the_token(app: &App) {
    for headers in [vec![], vec![("authorization", "Bearer wrong")], vec![("authorization", "Basic czNjcmV0")]] {
        let answer = post(app, START, &good_inputs(), &headers).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{headers:?}: {}", answer.body);
        assert_eq!(answer.header("www-authenticate"), "Bearer");
        assert_eq!(answer.json()["error"]["code"], "unauthorized");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM workflow_runs").await, 0, "nothing started");
}

#[tokio::test]
async fn a_workflow_that_is_missing_or_has_no_webhook_is_404() {
    answers_404_for_a_workflow_without_a_webhook(&app(ApiLimits::default()).await).await;
}

async fn answers_404_for_a_workflow_without_a_webhook(app: &App) {
    for path in ["/api/v1/workflows/no_such_thing/runs", "/api/v1/workflows/nightly_export/runs"] {
        let answer = post(app, path, &good_inputs(), &[("authorization", BEARER)]).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}: {}", answer.body);
        assert!(answer.json()["error"]["message"].as_str().unwrap().contains("can be started by a webhook"));
    }
}

#[tokio::test]
async fn inputs_that_do_not_fit_are_422_naming_every_problem_and_start_nothing() {
    answers_422_naming_every_problem(&app(ApiLimits::default()).await).await;
}

async fn answers_422_naming_every_problem(app: &App) {
    let answer = post(
        app,
        START,
        &json!({"uprn": "12", "email": "not an address", "colour": "green"}),
        &[("authorization", BEARER)],
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", answer.body);
    let problems = answer.json()["error"]["problems"].as_array().unwrap().clone();
    assert_eq!(problems.len(), 3, "{problems:?}");
    for named in ["uprn", "email", "colour"] {
        assert!(problems.iter().any(|problem| problem.as_str().unwrap().contains(named)), "{named}: {problems:?}");
    }
    let nested = post(app, START, &json!({"uprn": {"a": 1}}), &[("authorization", BEARER)]).await;
    assert_eq!(nested.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", nested.body);
    let not_an_object = post(app, START, &json!(["100012345678"]), &[("authorization", BEARER)]).await;
    assert_eq!(not_an_object.status, StatusCode::BAD_REQUEST, "{}", not_an_object.body);
    let bad_key = post(app, START, &good_inputs(), &[("authorization", BEARER), ("idempotency-key", "")]).await;
    assert_eq!(bad_key.status, StatusCode::BAD_REQUEST, "{}", bad_key.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM workflow_runs").await, 0);
}

#[tokio::test]
async fn a_webhook_call_starts_a_run_once_per_idempotency_key_and_its_status_hides_the_inputs() {
    starts_once_per_key_and_hides_inputs(&app(ApiLimits::default()).await).await;
}

async fn starts_once_per_key_and_hides_inputs(app: &App) {
    let key = ("idempotency-key", "form-submission-88a1");
    let started = post(app, START, &good_inputs(), &[("authorization", BEARER), key]).await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.body);
    let run = started.json();
    let id = run["id"].as_str().unwrap().to_string();
    assert_eq!(started.header("location"), format!("/api/v1/runs/{id}"));
    assert_eq!(run["status_url"], format!("/api/v1/runs/{id}"));
    assert_eq!(run["status"], "queued");
    assert_eq!(run["started_by"], "webhook");
    assert!(!started.body.contains("sam.jones") && !started.body.contains("100012345678"), "{}", started.body);

    let retried = post(app, START, &good_inputs(), &[("authorization", BEARER), key]).await;
    assert_eq!(retried.status, StatusCode::ACCEPTED);
    assert_eq!(retried.json()["id"], id, "a retry gives the same run");
    let other_inputs = json!({"uprn": "100012345679", "email": "sam.jones@example.com"});
    let changed = post(app, START, &other_inputs, &[("authorization", BEARER), key]).await;
    assert_eq!(changed.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", changed.body);
    assert!(changed.body.contains("Idempotency-Key"), "{}", changed.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM workflow_runs").await, 1, "one run for one key");

    let status = app.get_with_token(&format!("/api/v1/runs/{id}"), TOKEN).await;
    assert_eq!(status.status, StatusCode::OK, "{}", status.body);
    assert_eq!(status.json()["reference"], run["reference"]);
    assert_eq!(status.json()["outputs"], Value::Null, "no outputs before it is done");
    assert!(!status.body.contains("sam.jones"), "{}", status.body);

    let unsigned = app.get(&format!("/api/v1/runs/{id}"), None).await;
    assert_eq!(unsigned.status, StatusCode::UNAUTHORIZED);
    let wrong = app.get_with_token(&format!("/api/v1/runs/{id}"), "another-token").await;
    assert_eq!(wrong.status, StatusCode::NOT_FOUND, "a run is shown only with its workflow's token");
    let missing = app.get_with_token("/api/v1/runs/run_00000000000000000000000000000000", TOKEN).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    let without_key = post(app, START, &good_inputs(), &[("authorization", BEARER)]).await;
    assert_eq!(without_key.status, StatusCode::ACCEPTED);
    assert_ne!(without_key.json()["id"], id, "without a key, each call is a new request");
}

#[tokio::test]
async fn on_postgresql_the_webhook_answers_401_404_and_422_and_starts_once_per_key() {
    let app = App::setup()
        .on_postgres()
        .workflows(&[("renewal.yaml", RENEWAL), ("nightly.yaml", NIGHTLY)], &[("renewal_token", TOKEN)])
        .start()
        .await;
    refuses_a_call_without_the_token(&app).await;
    answers_404_for_a_workflow_without_a_webhook(&app).await;
    answers_422_naming_every_problem(&app).await;
    starts_once_per_key_and_hides_inputs(&app).await;
}

#[tokio::test]
async fn webhook_calls_are_rate_limited_by_client_address() {
    let app = app(ApiLimits { workflow_calls_per_minute: 2, ..ApiLimits::default() }).await;
    for _ in 0..2 {
        assert_eq!(post(&app, START, &good_inputs(), &[("authorization", BEARER)]).await.status, StatusCode::ACCEPTED);
    }
    let limited = post(&app, START, &good_inputs(), &[("authorization", BEARER)]).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.header("retry-after").parse::<u64>().unwrap() > 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM workflow_runs").await, 2);
}

#[tokio::test]
async fn the_workflows_page_shows_what_starts_each_workflow_and_when_its_schedule_is_next_due() {
    let app = app(ApiLimits::default()).await;
    let started = post(&app, START, &good_inputs(), &[("authorization", BEARER)]).await;
    let reference = started.json()["reference"].as_str().unwrap().to_string();
    let supervisor = app.signed_in("sam", channels::console::accounts::Role::Supervisor).await;
    let page = app.get("/console/workflows", Some(&supervisor)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for shown in ["nightly_export", "<code>0 7 * * *</code>", "Next due: 20", "Last due: not yet", "a webhook"] {
        assert!(page.body.contains(shown), "{shown}: {}", page.body);
    }
    assert!(page.body.contains(&format!("{reference}</a>: queued")), "the latest run: {}", page.body);
    let signed_out = app.get("/console/workflows", None).await;
    assert_ne!(signed_out.status, StatusCode::OK, "supervisors only");
}

#[tokio::test]
async fn a_workflow_file_with_an_error_is_shown_on_the_workflows_page_at_its_line_and_column() {
    let broken = NIGHTLY.replace("nightly_export", "weekly_export").replace("0 7 * * *", "0 7 * * 9");
    let app = App::setup().workflows(&[("nightly.yaml", NIGHTLY), ("weekly.yaml", &broken)], &[]).start().await;
    let supervisor = app.signed_in("sam", channels::console::accounts::Role::Supervisor).await;
    let page = app.get("/console/workflows", Some(&supervisor)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Files with errors"), "{}", page.body);
    assert!(page.body.contains("weekly.yaml:5:13: error: schedule `0 7 * * 9`"), "{}", page.body);
    assert!(
        page.body.contains("nightly_export") && !page.body.contains("<strong>weekly_export</strong>"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn a_workflow_whose_system_is_not_answering_is_shown_in_a_banner_on_every_console_page() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nowhere = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let permits = format!(
        "name: renew_permit\nversion: 1\ndescription: Renew a parking permit.\nsystem: {{ name: permits, base_url: \"{nowhere}\" }}\nsteps:\n  - set: {{ renewed: \"yes\" }}\n"
    );
    let app = App::setup().workflows(&[("permits.yaml", &permits)], &[]).start().await;
    let supervisor = app.signed_in("sam", channels::console::accounts::Role::Supervisor).await;
    assert!(!app.get("/console", Some(&supervisor)).await.body.contains("Workflows in trouble"));

    channels::console::alerts::watch_once(&app.state).await;
    for page in ["/console", "/console/workflows", "/console/figures"] {
        let shown = app.get(page, Some(&supervisor)).await;
        assert!(shown.body.contains("Workflows in trouble"), "{page}: {}", shown.body);
        assert!(shown.body.contains("<strong>renew_permit</strong>: its system is not answering"), "{page}");
    }
    assert!(!app.get("/chat", None).await.body.contains("Workflows in trouble"), "residents never see it");
}
