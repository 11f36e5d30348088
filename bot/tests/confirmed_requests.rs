//! Requests residents confirmed when asked "Do you want to …?", kept on SQLite and on
//! PostgreSQL with the service confirmed, and listed in the figures as examples to add.

use bot::conversation::{Engine, Reply};
use bot::figures::{Period, figures};
use storage::TestPostgres;

use crate::support::{Council, conversation, say};

/// A resident's message the assistant is not sure asks for a missed bin: it asks first.
const PERHAPS: &str = "my food caddy got left behind on collection day";

async fn confirmed_requests_are_kept_and_listed(engine: Engine) {
    let confirmed = conversation(&engine).await;
    let asked = say(&engine, &confirmed, PERHAPS).await;
    assert!(
        matches!(&asked[..], [Reply::Choices { text, .. }] if text == "Do you want to report a missed bin collection?"),
        "{asked:#?}"
    );
    say(&engine, &confirmed, "yes").await;
    // Asked the same, another resident says no: nothing is confirmed.
    let declined = conversation(&engine).await;
    say(&engine, &declined, PERHAPS).await;
    say(&engine, &declined, "no").await;

    let today = storage::now_millis().div_euclid(86_400_000);
    let services = engine.services();
    let figures = figures(engine.store(), None, &services, Period { from: today - 1, to: today + 1 }).await.unwrap();
    let listed: Vec<(&str, &str, u64)> = figures
        .confirmed_requests
        .iter()
        .map(|request| (request.message.as_str(), request.service.as_str(), request.times))
        .collect();
    assert_eq!(listed, vec![(PERHAPS, "report_missed_bin", 1)]);
}

#[tokio::test]
async fn requests_confirmed_when_asked_are_kept_and_listed_on_sqlite() {
    let directory = tempfile::tempdir().unwrap();
    let council = Council::sample();
    confirmed_requests_are_kept_and_listed(council.engine(directory.path(), None).await).await;
}

#[tokio::test]
async fn requests_confirmed_when_asked_are_kept_and_listed_on_postgres() {
    let postgres = TestPostgres::create().await.expect("PostgreSQL at 127.0.0.1:5432 (set TEST_POSTGRES_URL)");
    let council = Council::sample();
    confirmed_requests_are_kept_and_listed(council.engine_on(&postgres.url, None).await).await;
}
