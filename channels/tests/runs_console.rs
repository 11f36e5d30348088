//! The runs pages: every run filtered and paged, one run's steps with its personal inputs masked
//! (shown to an admin who asks, and audited), and staff putting a run right from its page.

use axum::http::StatusCode;
use channels::api::ApiLimits;
use channels::console::accounts::Role;

use crate::support::{App, Browser, NIGHTLY, RENEWAL, STAFF_PASSWORD};

async fn app() -> App {
    App::setup()
        .limits(ApiLimits::default())
        .workflows(&[("renewal.yaml", RENEWAL), ("export.yaml", NIGHTLY)], &[("renewal_token", "t0ken")])
        .start()
        .await
}

/// Starts a run of the renewal with this email, as the website would; its id and reference.
async fn renewal(app: &App, email: &str) -> (String, String) {
    let runner = app.engine.runner().unwrap();
    let file = runner.catalogue().get("garden_waste_renewal").cloned().unwrap();
    let inputs = [("uprn".to_string(), "100012345678".to_string()), ("email".to_string(), email.to_string())];
    let started = runner.start_from_webhook(&file, &inputs, None).await.unwrap();
    let rpa::journal::Keyed::Started(run) = started else { panic!("started") };
    (run.id, run.reference)
}

async fn signed_in<'a>(app: &'a App, username: &str, role: Role) -> (Browser<'a>, String) {
    app.add_staff(username, username, role).await;
    let browser = app.browser();
    assert_eq!(browser.sign_in(username, STAFF_PASSWORD).await.status, StatusCode::OK);
    let csrf = browser.csrf().await;
    (browser, csrf)
}

#[tokio::test]
async fn the_runs_page_lists_runs_newest_first_by_workflow_status_trigger_reference_and_date() {
    let app = app().await;
    // A moment apart, so that newest first is one order.
    let (_, first) = renewal(&app, "a@example.com").await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let (_, second) = renewal(&app, "b@example.com").await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let runner = app.engine.runner().unwrap();
    let export = runner.catalogue().get("nightly_export").cloned().unwrap();
    let by_hand = rpa::journal::StartedBy { channel: "cli".into(), address: String::new(), language: None };
    let exported = runner.start(&export, &[], &by_hand).await.unwrap();
    let (supervisor, _) = signed_in(&app, "sam", Role::Supervisor).await;

    let all = supervisor.get("/console/runs").await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.body);
    let at = |reference: &str| all.body.find(reference).unwrap_or_else(|| panic!("{reference}: {}", all.body));
    assert!(at(&exported.reference) < at(&second) && at(&second) < at(&first), "newest first");
    assert!(!all.body.contains("a@example.com"), "no inputs in the list");

    let only = |body: &str, shown: &[&str], hidden: &[&str]| {
        for reference in shown {
            assert!(body.contains(reference), "{reference} shown: {body}");
        }
        for reference in hidden {
            assert!(!body.contains(reference), "{reference} hidden: {body}");
        }
    };
    let by_workflow = supervisor.get("/console/runs?workflow=nightly_export").await;
    only(&by_workflow.body, &[&exported.reference], &[&first, &second]);
    let by_trigger = supervisor.get("/console/runs?trigger=webhook").await;
    only(&by_trigger.body, &[&first, &second], &[&exported.reference]);
    let by_reference = supervisor.get(&format!("/console/runs?reference={}", first.to_lowercase())).await;
    only(&by_reference.body, &[&first], &[&second, &exported.reference]);
    let by_status = supervisor.get("/console/runs?status=queued").await;
    only(&by_status.body, &[&first, &second, &exported.reference], &[]);
    let none_succeeded = supervisor.get("/console/runs?status=succeeded").await;
    assert!(none_succeeded.body.contains("No runs match"), "{}", none_succeeded.body);
    let later = supervisor.get("/console/runs?from=2099-01-01").await;
    assert!(later.body.contains("No runs match"), "{}", later.body);
    let table = supervisor.get("/console/runs/table?trigger=webhook").await;
    only(&table.body, &[&first, &second], &[&exported.reference, "<html"]);

    let wrong = supervisor.get("/console/runs?status=finished&from=yesterday").await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.contains("`finished` is not a run status"), "{}", wrong.body);
    assert_ne!(app.browser().get("/console/runs").await.status, StatusCode::OK, "supervisors only");
}

#[tokio::test]
async fn a_runs_personal_inputs_are_masked_and_shown_only_to_an_admin_who_asks_which_is_audited() {
    let app = app().await;
    let (id, reference) = renewal(&app, "sam.jones@example.com").await;
    // An output that repeats the email is as personal as the input.
    let outputs =
        serde_json::json!({"receipt_to": "Receipt sent to Sam.Jones@example.com", "renewed_until": "2027-03-31"});
    let journal = app.engine.runner().unwrap().journal();
    let succeeded = rpa::journal::RunStatus::Succeeded;
    journal.finish(&id, succeeded, outputs.as_object().unwrap(), Some("Renewed"), None).await.unwrap();
    let (supervisor, supervisor_csrf) = signed_in(&app, "sam", Role::Supervisor).await;
    let page = supervisor.get(&format!("/console/runs/{id}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("100012345678"), "an input that is not personal is shown: {}", page.body);
    assert!(page.body.contains("2027-03-31"), "an output that is not personal is shown: {}", page.body);
    assert!(!page.body.to_lowercase().contains("sam.jones@example.com"), "{}", page.body);
    assert!(page.body.contains("(personal)"), "{}", page.body);
    assert!(!page.body.contains("Show personal details"), "only admins are offered it");
    let refused = supervisor.post_form(&format!("/console/runs/{id}/reveal"), &[("csrf", &supervisor_csrf)]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(!refused.body.contains("sam.jones@example.com"));

    let (admin, csrf) = signed_in(&app, "alex", Role::Admin).await;
    assert!(admin.get(&format!("/console/runs/{id}")).await.body.contains("Show personal details"));
    let forged = admin.post_form(&format!("/console/runs/{id}/reveal"), &[("csrf", "not-the-token")]).await;
    assert!(!forged.body.contains("sam.jones@example.com"), "a forged form reveals nothing");
    let revealed = admin.post_form(&format!("/console/runs/{id}/reveal"), &[("csrf", &csrf)]).await;
    assert_eq!(revealed.status, StatusCode::OK, "{}", revealed.body);
    assert!(revealed.body.contains("sam.jones@example.com"), "{}", revealed.body);
    assert!(revealed.body.contains("Receipt sent to Sam.Jones@example.com"), "{}", revealed.body);
    assert_eq!(revealed.header("cache-control"), "no-store");
    let audited = app
        .count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE actor = 'alex' AND action = 'reveal_run_inputs' AND target = '{reference}'"
        ))
        .await;
    assert_eq!(audited, 1);
}

#[tokio::test]
async fn a_run_is_cancelled_from_its_page_and_the_action_is_audited() {
    let app = app().await;
    let (id, reference) = renewal(&app, "sam.jones@example.com").await;
    let (supervisor, csrf) = signed_in(&app, "sam", Role::Supervisor).await;
    let page = supervisor.get(&format!("/console/runs/{id}")).await;
    assert!(page.body.contains("Cancel the run") && !page.body.contains("Try again"), "{}", page.body);

    let retried = supervisor.post_form(&format!("/console/runs/{id}/act/retry"), &[("csrf", &csrf)]).await;
    assert_eq!(retried.status, StatusCode::CONFLICT, "a queued run is not retried: {}", retried.body);
    let forged = supervisor.post_form(&format!("/console/runs/{id}/act/cancel"), &[("csrf", "nope")]).await;
    assert_ne!(forged.status, StatusCode::SEE_OTHER);
    let runner = app.engine.runner().unwrap();
    assert_eq!(runner.journal().run(&id).await.unwrap().unwrap().status, rpa::journal::RunStatus::Queued);

    let cancelled = supervisor.post_form(&format!("/console/runs/{id}/act/cancel"), &[("csrf", &csrf)]).await;
    assert_eq!(cancelled.status, StatusCode::SEE_OTHER, "{}", cancelled.body);
    assert_eq!(cancelled.header("location"), format!("/console/runs/{id}?done=cancelled"));
    assert_eq!(runner.journal().run(&id).await.unwrap().unwrap().status, rpa::journal::RunStatus::Cancelled);
    let after = supervisor.get(&format!("/console/runs/{id}?done=cancelled")).await;
    assert!(after.body.contains("The run was cancelled.") && !after.body.contains("Cancel the run"), "{}", after.body);
    let audited = app
        .count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE actor = 'sam' AND action = 'cancel_run' AND target = '{reference}'"
        ))
        .await;
    assert_eq!(audited, 1);
    let missing = supervisor.post_form("/console/runs/run_0000/act/cancel", &[("csrf", &csrf)]).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}
