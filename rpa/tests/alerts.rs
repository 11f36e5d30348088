//! Workflows in trouble raise an alert once, whichever instance notices, and it clears once
//! when the trouble is over: runs that keep failing, or a system that stops answering.

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use rpa::journal::{Journal, RunStatus, StartedBy};
use rpa::runner::{AlertRules, Runner};
use rpa::secrets::Secrets;
use serde_json::Map;
use storage::Database;

use crate::support::{Service, Workflows, config};

fn workflow(base_url: &str) -> String {
    format!(
        "name: renew_permit\nversion: 1\ndescription: Renew a parking permit.\nsystem: {{ name: permits, base_url: \"{base_url}\" }}\nsteps:\n  - set: {{ renewed: \"yes\" }}\n"
    )
}

async fn instances(directory: &std::path::Path, workflows: &Workflows) -> [Arc<Runner>; 2] {
    let path = directory.join("councilbot.db");
    let mut runners = Vec::new();
    for name in ["a", "b"] {
        let journal = Journal::open(Database::open_file(&path).await.unwrap()).await.unwrap();
        let mut config = config(name, &[]);
        config.alert_rules = AlertRules { runs: 4, failure_rate: 0.5 };
        runners.push(Arc::new(Runner::new(journal, workflows.catalogue(), Secrets::default(), config)));
    }
    [runners.remove(0), runners.remove(0)]
}

/// Records a finished run of the workflow.
async fn finished(runner: &Runner, status: RunStatus) {
    let file = runner.catalogue().get("renew_permit").cloned().unwrap();
    let started_by = StartedBy { channel: "cli".into(), address: String::new(), language: None };
    let run = runner.start(&file, &[], &started_by).await.unwrap();
    runner.journal().finish(&run.id, status, &Map::new(), None, None).await.unwrap();
}

/// Both instances look at once; the changes they made between them, as (kind, raised).
async fn both_check(runners: &[Arc<Runner>; 2]) -> Vec<(&'static str, bool, String)> {
    let (a, b) = tokio::join!(runners[0].check_alerts(), runners[1].check_alerts());
    a.unwrap().into_iter().chain(b.unwrap()).map(|change| (change.kind, change.raised, change.detail)).collect()
}

#[tokio::test]
async fn a_workflow_whose_runs_keep_failing_raises_one_alert_that_clears_when_they_succeed() {
    let system = Service::start(Router::new().route("/", get(|| async { "permits" }))).await;
    let directory = tempfile::tempdir().unwrap();
    let workflows = Workflows::new(&[("renew_permit.yaml", &workflow(&system.url))]);
    let runners = instances(directory.path(), &workflows).await;

    finished(&runners[0], RunStatus::Failed).await;
    finished(&runners[0], RunStatus::Failed).await;
    assert!(both_check(&runners).await.is_empty(), "two finished runs are too few to judge");
    finished(&runners[0], RunStatus::Succeeded).await;
    finished(&runners[0], RunStatus::Failed).await;
    let raised = both_check(&runners).await;
    assert_eq!(raised.len(), 1, "raised once across both instances: {raised:?}");
    assert_eq!(raised[0].0, "failing");
    assert!(raised[0].1);
    assert_eq!(raised[0].2, "3 of its last 4 finished runs failed");
    assert!(both_check(&runners).await.is_empty(), "not raised again while it stays up");
    let up = runners[1].journal().alerts().await.unwrap();
    assert_eq!(up.len(), 1);
    assert_eq!((up[0].workflow.as_str(), up[0].kind.as_str()), ("renew_permit", "failing"));

    for _ in 0..3 {
        finished(&runners[1], RunStatus::Succeeded).await;
    }
    let cleared = both_check(&runners).await;
    assert_eq!(cleared.len(), 1, "{cleared:?}");
    assert_eq!((cleared[0].0, cleared[0].1), ("failing", false));
    assert!(runners[0].journal().alerts().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_workflow_whose_system_stops_answering_raises_an_alert_that_clears_when_it_answers() {
    // A port that was just free: nothing answers there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = closed.local_addr().unwrap();
    drop(closed);
    let directory = tempfile::tempdir().unwrap();
    let workflows = Workflows::new(&[("renew_permit.yaml", &workflow(&format!("http://{address}")))]);
    let runners = instances(directory.path(), &workflows).await;

    let raised = both_check(&runners).await;
    assert_eq!(raised.len(), 1, "{raised:?}");
    assert_eq!((raised[0].0, raised[0].1), ("unreachable", true));
    assert!(raised[0].2.starts_with(&format!("permits at http://{address} is not answering")), "{}", raised[0].2);

    let listener = tokio::net::TcpListener::bind(address).await.unwrap();
    let answering = tokio::spawn(async move {
        let _ = axum::serve(listener, Router::new().route("/", get(|| async { "back" }))).await;
    });
    let cleared = both_check(&runners).await;
    assert_eq!(cleared.len(), 1, "{cleared:?}");
    assert_eq!((cleared[0].0, cleared[0].1), ("unreachable", false));
    answering.abort();
}
