//! The council's workflows against the practice back office (ECSS), in real headless Chromium.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Json;
use axum::Router;
use axum::routing::get;
use legacy_portal::{Portal, PortalConfig};
use rpa::journal::{Decision, RunRecord, RunStatus, WaitingFor};
use rpa::runner::Runner;
use rpa::workflow::Catalogue;
use serde_json::json;

use crate::support::{
    ECSS_PASSWORD, Service, Workflows, config, council_secrets, council_workflows, everything_stored, run,
    sqlite_journal,
};

/// The practice back office, the council's workflows and a runner pointed at both.
struct Council {
    portal: Portal,
    runner: Runner,
    catalogue: Catalogue,
    _data: tempfile::TempDir,
}

impl Council {
    async fn start() -> Council {
        let portal = Portal::start(PortalConfig::default()).await.expect("portal starts");
        let data = tempfile::tempdir().unwrap();
        let (catalogue, errors) = Catalogue::load(&[council_workflows()]);
        assert!(errors.is_empty(), "{errors:?}");
        let runner = Runner::new(
            sqlite_journal(data.path()).await,
            catalogue.clone(),
            council_secrets(),
            config("test", &[("ecss", &portal.url())]),
        );
        Council { portal, runner, catalogue, _data: data }
    }

    async fn run(&self, workflow: &str, inputs: &[(&str, &str)]) -> RunRecord {
        let file = self.catalogue.get(workflow).unwrap_or_else(|| panic!("{workflow} is shipped")).clone();
        run(&self.runner, &file, inputs).await
    }

    /// The cases logged with a run's reference as the caller reference.
    fn cases_of(&self, run: &RunRecord) -> Vec<legacy_portal::Case> {
        self.portal.cases_with_external_reference(&run.reference)
    }
}

fn detail<'a>(case: &'a legacy_portal::Case, name: &str) -> &'a str {
    case.details.iter().find(|(field, _)| field == name).map(|(_, value)| value.as_str()).unwrap_or_default()
}

const REPAIR: &[(&str, &str)] = &[
    ("postcode", "eb4 2qx"),
    ("house", "12"),
    ("category", "heating and hot water"),
    ("description", "The boiler shows error E119 and there is no hot water"),
    ("phone", "01632 960123"),
];

#[tokio::test]
async fn a_housing_repair_is_logged_with_the_residents_details_and_its_reference_returned() {
    let council = Council::start().await;
    let finished = council.run("report_housing_repair", REPAIR).await;
    assert_eq!(finished.status, RunStatus::Succeeded, "{:?}", finished.reason);
    let cases = council.cases_of(&finished);
    assert_eq!(cases.len(), 1);
    let case = &cases[0];
    assert_eq!(case.kind, "Housing repair");
    assert_eq!(case.address, "12, EB4 2QX");
    assert_eq!(detail(case, "category"), "Heating and hot water");
    assert_eq!(detail(case, "phone"), "01632960123");
    assert_eq!(finished.outputs["case_reference"], json!(case.reference));
    let told = finished.message.unwrap();
    assert!(told.contains(&case.reference), "{told}");
}

#[tokio::test]
async fn a_session_that_expires_while_the_form_is_filled_in_is_renewed_and_the_repair_logged_once() {
    let council = Council::start().await;
    council.portal.expire_sessions_at_next_submission();
    let finished = council.run("report_housing_repair", REPAIR).await;
    assert_eq!(finished.status, RunStatus::Succeeded, "{:?}", finished.reason);
    assert_eq!(council.cases_of(&finished).len(), 1);
    let steps = council.runner.journal().steps(&finished.id).await.unwrap();
    let first = steps.iter().find(|step| step.step_key == "1" && step.attempt == 1).expect("first attempt");
    assert!(first.error.as_deref().unwrap().contains("its session may have expired"), "{:?}", first.error);
    assert!(steps.iter().any(|step| step.step_key == "1" && step.attempt == 2 && step.error.is_none()));
}

#[tokio::test]
async fn a_description_the_system_finds_too_long_is_shortened_and_submitted_once() {
    let council = Council::start().await;
    let long = "Water is coming through the bathroom ceiling whenever the flat upstairs runs a bath. ".repeat(4);
    let mut inputs = REPAIR.to_vec();
    inputs[3] = ("description", long.trim());
    let finished = council.run("report_housing_repair", &inputs).await;
    assert_eq!(finished.status, RunStatus::Succeeded, "{:?}", finished.reason);
    let cases = council.cases_of(&finished);
    assert_eq!(cases.len(), 1, "one case, after the validation error");
    let description = detail(&cases[0], "description");
    assert!(description.starts_with("Water is coming through the bathroom ceiling"), "{description}");
    assert!(description.contains(&finished.reference), "staff can find the full text: {description}");
    assert!(description.chars().count() <= 200);
}

#[tokio::test]
async fn a_repair_the_system_refuses_waits_for_a_person_with_masked_evidence() {
    let council = Council::start().await;
    let mut inputs = REPAIR.to_vec();
    inputs[0] = ("postcode", "EB9 1ZZ");
    let stuck = council.run("report_housing_repair", &inputs).await;
    assert_eq!((stuck.status, stuck.waiting_for), (RunStatus::Waiting, Some(WaitingFor::Error)));
    let reason = stuck.reason.clone().unwrap();
    assert!(reason.contains("Property not found on the housing register"), "{reason}");
    assert!(council.cases_of(&stuck).is_empty());

    let evidence = council.runner.journal().evidence(&stuck.id).await.unwrap();
    let picture = evidence.iter().find(|item| item.media_type == "image/png").expect("a screenshot");
    assert!(picture.content.starts_with(b"\x89PNG"), "a real PNG");
    let page = evidence.iter().find(|item| item.media_type == "text/html").expect("the page");
    let html = String::from_utf8_lossy(&page.content);
    assert!(html.contains("Please correct the following"), "the page as it stood");
    let stored = everything_stored(council.runner.journal()).await;
    for private in ["EB9 1ZZ", "01632960123", "01632 960123", ECSS_PASSWORD] {
        assert!(!stored.contains(private), "{private} reached the journal or evidence");
    }

    let done = council
        .runner
        .complete(&stuck.reference, &[("case_reference".into(), "HR-200001".into())], "ann")
        .await
        .unwrap();
    assert_eq!(done.status, RunStatus::Succeeded);
    let told = council.runner.journal().notifications(&done.id).await.unwrap();
    assert!(told.iter().any(|note| note.audience == "resident" && note.message.contains("HR-200001")), "{told:?}");
}

#[tokio::test]
async fn a_missed_bin_is_logged_in_the_systems_own_words() {
    let council = Council::start().await;
    let finished = council
        .run(
            "report_missed_bin",
            &[
                ("postcode", "EB2 7LP"),
                ("house", "Rose Cottage"),
                ("bin", "Recycling (blue bin)"),
                ("collection_date", "20/11/2026"),
            ],
        )
        .await;
    assert_eq!(finished.status, RunStatus::Succeeded, "{:?}", finished.reason);
    let cases = council.cases_of(&finished);
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].kind, "Missed bin");
    assert_eq!(detail(&cases[0], "bin"), "Recycling (blue)");
    assert_eq!(detail(&cases[0], "collection_date"), "20/11/2026");
    assert!(cases[0].reference.starts_with("WB-"));
}

#[tokio::test]
async fn bulky_waste_is_booked_with_its_fee_and_too_many_items_are_explained() {
    let council = Council::start().await;
    let soon = in_days(3);
    let booked = council
        .run(
            "book_bulky_waste",
            &[
                ("postcode", "EB4 2QX"),
                ("house", "3"),
                ("items", "sofa,  fridge, mattress"),
                ("preferred_date", soon.as_str()),
            ],
        )
        .await;
    assert_eq!(booked.status, RunStatus::Succeeded, "{:?}", booked.reason);
    assert_eq!(booked.outputs["fee"], "25");
    let cases = council.cases_of(&booked);
    assert_eq!(detail(&cases[0], "items"), "sofa\r\nfridge\r\nmattress");

    let refused = council
        .run(
            "book_bulky_waste",
            &[
                ("postcode", "EB4 2QX"),
                ("house", "3"),
                ("items", "sofa, fridge, bed, table, chairs, wardrobe"),
                ("preferred_date", soon.as_str()),
            ],
        )
        .await;
    assert_eq!(refused.status, RunStatus::Failed);
    assert!(refused.message.as_deref().unwrap().contains("up to 5 items"), "{:?}", refused.message);
    assert!(council.cases_of(&refused).is_empty());
}

#[tokio::test]
async fn a_backdated_change_of_address_waits_for_approval_then_is_recorded() {
    let council = Council::start().await;
    let inputs = [
        ("account", "40012345"),
        ("old_address", "4 Mill Lane, Eastbrook"),
        ("new_address", "19 Station Road, Eastbrook"),
        ("new_postcode", "eb1 4tt"),
        ("move_date", "2020-01-15"),
    ];
    let waiting = council.run("council_tax_change_of_address", &inputs).await;
    assert_eq!((waiting.status, waiting.waiting_for), (RunStatus::Waiting, Some(WaitingFor::Task)));
    assert!(waiting.task.as_ref().unwrap().title.contains("40012345"));
    assert!(council.cases_of(&waiting).is_empty(), "nothing is recorded before approval");

    let decision = Decision { approved: true, comment: "tenancy agreement seen".into(), values: Default::default() };
    council.runner.decide(&waiting.reference, decision, "sam").await.unwrap();
    let finished = council.runner.work(&waiting.id).await.unwrap().unwrap();
    assert_eq!(finished.status, RunStatus::Succeeded, "{:?}", finished.reason);
    let cases = council.cases_of(&finished);
    assert_eq!(cases.len(), 1);
    assert_eq!(detail(&cases[0], "move_date"), "15/01/2020");
    assert_eq!(cases[0].address, "19 Station Road, Eastbrook, EB1 4TT");

    let mut wrong = inputs;
    wrong[0] = ("account", "4001234");
    let file = council.catalogue.get("council_tax_change_of_address").unwrap().clone();
    let raw: Vec<(String, String)> = wrong.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect();
    let error = council.runner.start(&file, &raw, &crate::support::resident()).await.unwrap_err();
    assert!(error.to_string().contains("the account number is 8 digits"), "{error}");
}

#[tokio::test]
async fn staff_can_look_up_a_repairs_status() {
    let council = Council::start().await;
    let found = council.run("repair_status", &[("reference", "hr100103")]).await;
    assert_eq!(found.status, RunStatus::Succeeded, "{:?}", found.reason);
    let seeded = council.portal.cases().into_iter().find(|case| case.reference == "HR-100103").unwrap();
    assert_eq!(found.outputs["status"], json!(seeded.status));
    assert_eq!(found.outputs["logged"], json!(seeded.logged));

    let missing = council.run("repair_status", &[("reference", "HR-999999")]).await;
    assert_eq!(missing.status, RunStatus::Failed);
    assert!(missing.message.as_deref().unwrap().contains("no repair with the reference HR-999999"));
}

#[tokio::test]
async fn a_browser_that_crashes_fails_only_its_step_which_retries_in_a_new_session() {
    let crashed = Arc::new(AtomicBool::new(false));
    let once = crashed.clone();
    let switch = Service::start(Router::new().route(
        "/crash",
        get(move || {
            let once = once.clone();
            async move { Json(json!({ "crash": !once.swap(true, Ordering::SeqCst) })) }
        }),
    ))
    .await;
    let portal = Portal::start(PortalConfig::default()).await.unwrap();
    let workflow = format!(
        r#"name: crash_once
version: 1
description: Look up a case, in a browser that crashes the first time.
system: {{ name: ecss, base_url: http://unused.invalid }}
secrets: [ecss_user, ecss_password]
outputs:
  status: The case's status.
steps:
  - retry: {{ attempts: 2, backoff: 100ms }}
    block:
      - http: {{ url: "{switch}/crash", extract: {{ crash: /crash }} }}
      - call: {{ workflow: ecss_login }}
      - open: "chrome://crash"
        when: crash
      - open: /cases/view?reference=HR-100100
      - extract: {{ css: td.status, as: status }}
  - succeed:
      outputs: {{ status: "{{{{ status }}}}" }}
"#,
        switch = switch.url
    );
    let login = std::fs::read_to_string(council_workflows().join("ecss_login.yaml")).unwrap();
    let workflows = Workflows::new(&[("crash.yaml", &workflow), ("ecss_login.yaml", &login)]);
    let data = tempfile::tempdir().unwrap();
    let runner = Runner::new(
        sqlite_journal(data.path()).await,
        workflows.catalogue(),
        council_secrets(),
        config("test", &[("ecss", &portal.url())]),
    );
    let finished = run(&runner, &workflows.catalogue().get("crash_once").unwrap().clone(), &[]).await;
    assert_eq!(finished.status, RunStatus::Succeeded, "{:?}", finished.reason);
    assert!(crashed.load(Ordering::SeqCst));
    let steps = runner.journal().steps(&finished.id).await.unwrap();
    let crash = steps.iter().find(|step| step.step_key == "1.3" && step.attempt == 1).expect("the crashing step");
    assert!(crash.error.as_deref().unwrap().contains("browser session was lost"), "{:?}", crash.error);
    assert!(steps.iter().any(|step| step.step_key == "1" && step.attempt == 2), "the block was tried again");
}

/// The date `days` from today, as `YYYY-MM-DD`.
fn in_days(days: i64) -> String {
    let today = uk::calendar::today();
    let (year, month, day) = (today[..4].parse().unwrap(), today[5..7].parse().unwrap(), today[8..].parse().unwrap());
    let (year, month, day) = uk::calendar::civil_from_days(uk::calendar::days_from_civil(year, month, day) + days);
    format!("{year:04}-{month:02}-{day:02}")
}
