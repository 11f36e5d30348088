//! `[automation] allowed_hosts`: `open` and `http` steps go only to the hosts a council allows,
//! refused before any request is made, with an error naming the step and the host.

use std::collections::BTreeMap;

use axum::Router;
use axum::response::{Html, Redirect};
use axum::routing::get;
use rpa::allowed_hosts::{AllowedHosts, check_hosts};
use rpa::journal::RunStatus;
use rpa::runner::Runner;
use rpa::secrets::Secrets;

use crate::support::{Service, Workflows, config, run, sqlite_journal};

const WORKFLOWS: [(&str, &str); 3] = [
    (
        "open.yaml",
        r##"name: open_page
version: 1
description: Open a page of the system.
system: { name: records, base_url: http://unused.invalid, step_timeout: 10s }
steps:
  - open: /page
"##,
    ),
    (
        "http.yaml",
        r##"name: call_service
version: 1
description: Ask the system by HTTP.
system: { name: records, base_url: http://unused.invalid, step_timeout: 10s }
steps:
  - http: { url: /page }
"##,
    ),
    (
        "redirected.yaml",
        r##"name: follow_redirect
version: 1
description: Ask the system by HTTP and be sent elsewhere.
system: { name: records, base_url: http://unused.invalid, step_timeout: 10s }
steps:
  - http: { url: /elsewhere }
"##,
    ),
];

async fn runner_allowing(service: &Service, workflows: &Workflows, hosts: &[&str]) -> (Runner, tempfile::TempDir) {
    let data = tempfile::tempdir().unwrap();
    let mut settings = config("test", &[("records", &service.url)]);
    settings.allowed_hosts = AllowedHosts::parse(hosts).unwrap();
    let runner = Runner::new(sqlite_journal(data.path()).await, workflows.catalogue(), Secrets::default(), settings);
    (runner, data)
}

#[tokio::test]
async fn a_workflow_going_to_a_host_not_allowed_fails_naming_the_step_and_the_host_and_makes_no_request() {
    let service = Service::start(Router::new().route("/page", get(|| async { Html("<p>records</p>") }))).await;
    let address = service.url.trim_start_matches("http://").to_string();
    let workflows = Workflows::new(&WORKFLOWS);
    let (runner, _data) = runner_allowing(&service, &workflows, &["ecss.eastbrook.gov.uk", "*.eastbrook.gov.uk"]).await;
    for (name, step) in [("open_page", "step 1 (open /page)"), ("call_service", "step 1 (http GET /page)")] {
        let file = workflows.catalogue().get(name).unwrap().clone();
        let stopped = run(&runner, &file, &[]).await;
        assert_eq!(stopped.status, RunStatus::Waiting, "{name} stops for a person");
        let reason = stopped.reason.unwrap();
        let kind = if name == "open_page" { "open" } else { "http" };
        assert!(reason.contains(step), "{reason}");
        assert!(
            reason
                .contains(&format!("`{kind}` may not go to {address}: the host is not in [automation] allowed_hosts")),
            "{reason}"
        );
    }
    assert_eq!(service.hits.load(std::sync::atomic::Ordering::SeqCst), 0, "no request reached the host");

    let (allowing, _data) = runner_allowing(&service, &workflows, &[&address]).await;
    for name in ["open_page", "call_service"] {
        let finished = run(&allowing, &workflows.catalogue().get(name).unwrap().clone(), &[]).await;
        assert_eq!(finished.status, RunStatus::Succeeded, "{name}: {:?}", finished.reason);
    }
}

#[tokio::test]
async fn an_http_step_is_not_redirected_to_a_host_not_allowed() {
    let reached = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = reached.clone();
    let secret = Service::start(Router::new().route(
        "/secret",
        get(move || {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async { "secret" }
        }),
    ))
    .await;
    let elsewhere = format!("{}/secret", secret.url.replace("127.0.0.1", "localhost"));
    let service =
        Service::start(Router::new().route("/elsewhere", get(move || async move { Redirect::temporary(&elsewhere) })))
            .await;
    let workflows = Workflows::new(&WORKFLOWS);
    let address = service.url.trim_start_matches("http://").to_string();
    let (runner, _data) = runner_allowing(&service, &workflows, &[&address]).await;
    let stopped = run(&runner, &workflows.catalogue().get("follow_redirect").unwrap().clone(), &[]).await;
    assert_eq!(stopped.status, RunStatus::Waiting);
    let reason = stopped.reason.unwrap();
    assert!(reason.contains("may not be redirected to localhost:"), "{reason}");
    assert_eq!(reached.load(std::sync::atomic::Ordering::SeqCst), 0, "the redirect was not followed");
}

#[test]
fn validation_points_at_addresses_written_out_that_go_to_hosts_not_allowed() {
    let workflow = r##"name: visit
version: 1
description: Go to places.
system: { name: records, base_url: https://records.eastbrook.gov.uk, step_timeout: 10s }
steps:
  - open: /cases
  - open: https://intranet.example/people
  - open: "{{ system.base_url }}/later"
  - if:
      condition: "true"
      then:
        - http: { url: "file:///etc/passwd" }
"##;
    let workflows = Workflows::new(&[("visit.yaml", workflow)]);
    let file = workflows.catalogue().get("visit").unwrap().clone();
    let allowed = AllowedHosts::parse(&["records.eastbrook.gov.uk"]).unwrap();
    let found = check_hosts(&file, &allowed, &BTreeMap::new());
    let messages: Vec<(u64, &str)> = found.iter().map(|error| (error.line, error.message.as_str())).collect();
    assert_eq!(
        messages,
        [
            (7, "`open` may not go to intranet.example: the host is not in [automation] allowed_hosts"),
            (
                12,
                "`http` may not go to a file: address, which has no host; [automation] allowed_hosts limits where \
                 workflows go"
            ),
        ]
    );
    let elsewhere = BTreeMap::from([("records".to_string(), "https://records.internal".to_string())]);
    let moved = check_hosts(&file, &allowed, &elsewhere);
    assert!(moved.iter().any(|error| error.line == 6 && error.message.contains("records.internal")), "{moved:?}");
    assert!(check_hosts(&file, &AllowedHosts::default(), &BTreeMap::new()).is_empty(), "no list, no limit");
}
