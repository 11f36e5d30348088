//! `councilbot workflow`: checking, running, resuming and acting on workflows from the command line.

use std::time::{Duration, Instant};

use crate::support::{Councilbot, PracticePortal, council_workflows};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const REPAIR: &[&str] = &[
    "-i",
    "postcode=EB4 2QX",
    "-i",
    "house=7",
    "-i",
    "category=Plumbing",
    "-i",
    "description=The bath tap drips all night",
    "-i",
    "phone=01632 960 555",
];

fn repair_run(extra: &[&str]) -> Vec<String> {
    let file = council_workflows().join("report_housing_repair.yaml");
    let mut args = vec!["run".to_string(), file.display().to_string()];
    args.extend(REPAIR.iter().map(|arg| arg.to_string()));
    args.extend(extra.iter().map(|arg| arg.to_string()));
    args
}

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

#[test]
fn validate_points_at_each_error_with_its_line_and_a_caret() {
    let councilbot = Councilbot::new();
    let directory = tempfile::tempdir().unwrap();
    let shipped = std::fs::read_to_string(council_workflows().join("repair_status.yaml")).unwrap();
    let broken = shipped.replace("  - call: { workflow: ecss_login }", "  - call: { workflow: ecss_logn }");
    let path = directory.path().join("status.yaml");
    std::fs::write(&path, broken.replace("open: \"/cases/view", "opn: \"/cases/view")).unwrap();
    let output = councilbot.run(&["workflow", "validate", directory.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let errors = text(&output.stderr);
    assert!(errors.contains("status.yaml:49:5: error: unknown key `opn`; did you mean `open`?"), "{errors}");
    assert!(
        errors.contains("49 |   - opn: \"/cases/view?reference={{ wanted | urlencode }}\"\n   |     ^"),
        "{errors}"
    );
    assert!(errors.contains("1 error found"), "{errors}");

    // Once the file reads, the checks of its meaning run: the called workflow does not exist.
    std::fs::write(&path, &broken).unwrap();
    let shipped_workflows = council_workflows();
    let output = councilbot.run(&[
        "--workflows",
        shipped_workflows.to_str().unwrap(),
        "workflow",
        "validate",
        path.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let errors = text(&output.stderr);
    assert!(
        errors.contains("status.yaml:46:23: error: no workflow is named `ecss_logn`; did you mean `ecss_login`?"),
        "{errors}"
    );
    assert!(errors.contains("1 error found"), "only the file asked about is reported: {errors}");

    let output = councilbot.run(&["workflow", "validate", "--json", council_workflows().to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["workflows"], 6);
    assert_eq!(report["errors"], serde_json::json!([]));
}

#[test]
fn the_schema_command_writes_the_published_schema() {
    let councilbot = Councilbot::new();
    let out = councilbot.data.path().join("schema.json");
    let output = councilbot.run(&["workflow", "schema", "--out", out.to_str().unwrap()]);
    assert!(output.status.success());
    let published =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/workflow.schema.json"))
            .unwrap();
    assert_eq!(std::fs::read_to_string(out).unwrap(), published);
}

#[test]
fn a_command_whose_output_is_closed_early_stops_quietly() {
    let councilbot = Councilbot::new();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_councilbot"))
        .args(["--data-dir", councilbot.data.path().to_str().unwrap(), "workflow", "schema"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Like `councilbot workflow schema | head -0`: the reader is gone before anything is printed.
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = text(&output.stderr);
    assert!(!stderr.contains("panicked") && !stderr.contains("error"), "it stops without a complaint: {stderr}");
}

#[test]
fn a_dry_run_shows_the_plan_with_values_filled_in_and_touches_nothing() {
    let portal = PracticePortal::start();
    let councilbot = Councilbot::new();
    let before = portal.portal.cases().len();
    let output = councilbot.workflow(&portal, &strs(&repair_run(&["--dry-run"])));
    assert!(output.status.success(), "{}", text(&output.stderr));
    let plan = text(&output.stdout);
    assert!(plan.contains("nothing is opened, sent or recorded"), "{plan}");
    assert!(plan.contains("fill label \"Property postcode\"") && plan.contains("value: EB4 2QX"), "{plan}");
    assert!(plan.contains("value: 01632960555"), "inputs are shown as they will be typed: {plan}");
    assert!(plan.contains("value: [secret]") && !plan.contains(legacy_portal::PASSWORD), "{plan}");
    assert_eq!(portal.portal.cases().len(), before);
    let runs = councilbot.run(&["workflow", "runs"]);
    assert_eq!(text(&runs.stdout).trim(), "no runs");

    let output = councilbot.workflow(
        &portal,
        &[
            "run",
            council_workflows().join("report_housing_repair.yaml").to_str().unwrap(),
            "--dry-run",
            "-i",
            "postcode=nowhere",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let errors = text(&output.stderr);
    assert!(errors.contains("input `postcode`: `nowhere` is not a UK postcode"), "{errors}");
    assert!(errors.contains("input `house` is required"), "{errors}");
}

#[test]
fn a_run_shows_each_step_and_its_history_can_be_read_back() {
    let portal = PracticePortal::start();
    let councilbot = Councilbot::new();
    let output = councilbot.workflow(&portal, &strs(&repair_run(&[])));
    let shown = text(&output.stdout);
    assert!(output.status.success(), "{shown}\n{}", text(&output.stderr));
    assert!(shown.contains("ok        1.6            fill label \"Property postcode\""), "{shown}");
    let reference = shown.lines().next().unwrap().split_whitespace().nth(1).unwrap().to_string();
    assert!(shown.contains(&format!("run {reference} succeeded")), "{shown}");
    let case = portal.portal.cases_with_external_reference(&reference);
    assert_eq!(case.len(), 1);
    assert!(shown.contains(&format!("case_reference = {}", case[0].reference)), "{shown}");

    let runs: serde_json::Value = councilbot.json(&["workflow", "runs", "--json"]);
    assert_eq!(runs[0]["reference"], serde_json::json!(reference));
    assert_eq!(runs[0]["status"], "succeeded");
    let show: serde_json::Value = councilbot.json(&["workflow", "show", &reference, "--json"]);
    assert_eq!(show["run"]["outputs"]["case_reference"], serde_json::json!(case[0].reference));
    let steps = show["steps"].as_array().unwrap();
    let done = |step: &&serde_json::Value| step["status"] == "completed";
    let skipped_stop = |step: &&serde_json::Value| step["kind"] == "escalate" && step["status"] == "skipped";
    assert!(steps.iter().all(|step| done(&step) || skipped_stop(&step)), "{steps:?}");
    assert_eq!(steps.iter().filter(skipped_stop).count(), 1, "the stop for a person was not needed");
    assert!(steps.iter().all(|step| step["finished_at"].as_i64() >= step["started_at"].as_i64()));
    let told = show["notifications"].as_array().unwrap();
    assert!(
        told.iter().any(
            |note| note["audience"] == "resident" && note["message"].as_str().unwrap().contains(&case[0].reference)
        )
    );
}

#[test]
fn a_browser_run_leaves_no_browser_profile_in_the_temporary_directory() {
    let portal = PracticePortal::start();
    let councilbot = Councilbot::new();
    let temporary = tempfile::tempdir().expect("temp dir");
    let output = councilbot
        .workflow_command(&portal, &strs(&repair_run(&[])))
        .env("TMPDIR", temporary.path())
        .output()
        .expect("councilbot runs");
    assert!(output.status.success(), "{}\n{}", text(&output.stdout), text(&output.stderr));
    let left: Vec<String> = std::fs::read_dir(temporary.path())
        .expect("the temporary directory")
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_dir()))
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(left.is_empty(), "directories left behind by the run: {left:?}");
    let profiles = councilbot.data.path().join("browser/profiles");
    assert_eq!(std::fs::read_dir(&profiles).unwrap().count(), 0, "the run's own profile is removed too");
}

/// The processes whose environment names this temporary directory: ChromeDriver and the
/// browsers a run started with it.
fn processes_using(temporary: &std::path::Path) -> Vec<String> {
    let marker = format!("TMPDIR={}", temporary.display());
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(Result::ok)
        .filter(|entry| entry.file_name().to_string_lossy().chars().all(|c| c.is_ascii_digit()))
        .filter(|entry| {
            std::fs::read(entry.path().join("environ"))
                .is_ok_and(|environ| environ.split(|byte| *byte == 0).any(|item| item == marker.as_bytes()))
        })
        .map(|entry| std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default().trim().to_string())
        .collect()
}

/// Starts a repair run whose processes have `temporary` as their temporary directory, and
/// returns once it has worked a step in the browser (so the browser and ChromeDriver run), with
/// the rest of its output still to read.
fn repair_run_working_a_step(
    councilbot: &Councilbot,
    portal: &PracticePortal,
    temporary: &std::path::Path,
) -> (std::process::Child, impl Iterator<Item = std::io::Result<String>>) {
    use std::io::BufRead;
    let mut child = councilbot
        .workflow_command(portal, &strs(&repair_run(&[])))
        .env("TMPDIR", temporary)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let first_step = lines.by_ref().map_while(Result::ok).find(|line| line.trim_start().starts_with("ok "));
    assert!(first_step.is_some(), "the run never worked a step");
    assert!(!processes_using(temporary).is_empty(), "the browser runs while the run does");
    (child, lines)
}

/// The processes still using `temporary` once they have had up to 20 seconds to go.
fn processes_left_using(temporary: &std::path::Path) -> Vec<String> {
    let started = Instant::now();
    let mut left = processes_using(temporary);
    while !left.is_empty() && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(100));
        left = processes_using(temporary);
    }
    left
}

#[test]
#[cfg(target_os = "linux")]
fn stopping_a_run_with_a_signal_stops_its_browser_and_chromedriver_too() {
    for (signal, status) in [("-TERM", 143), ("-INT", 130)] {
        let portal = PracticePortal::start();
        let councilbot = Councilbot::new();
        let temporary = tempfile::tempdir().expect("temp dir");
        let (child, _output) = repair_run_working_a_step(&councilbot, &portal, temporary.path());
        let sent = std::process::Command::new("kill").arg(signal).arg(child.id().to_string()).status().unwrap();
        assert!(sent.success());
        let output = child.wait_with_output().unwrap();
        assert_eq!(output.status.code(), Some(status), "{}", text(&output.stderr));
        assert!(text(&output.stderr).contains("councilbot workflow resume"), "{}", text(&output.stderr));
        let left = processes_left_using(temporary.path());
        assert!(left.is_empty(), "still running after {signal}: {left:?}");
    }
}

#[test]
#[cfg(target_os = "linux")]
fn what_a_killed_run_left_running_is_stopped_and_removed_by_the_next_command() {
    let portal = PracticePortal::start();
    let councilbot = Councilbot::new();
    let temporary = tempfile::tempdir().expect("temp dir");
    let (mut child, _output) = repair_run_working_a_step(&councilbot, &portal, temporary.path());
    // SIGKILL: the run has no chance to stop its browser.
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!processes_using(temporary.path()).is_empty(), "a killed run leaves its browser running");
    let profiles = councilbot.data.path().join("browser/profiles");
    assert_eq!(std::fs::read_dir(&profiles).unwrap().count(), 1, "and its profile on disk");

    let output = councilbot.workflow(&portal, &["resume"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let left = processes_left_using(temporary.path());
    assert!(left.is_empty(), "still running after the next command: {left:?}");
    assert_eq!(std::fs::read_dir(&profiles).unwrap().count(), 0, "no profile is left");
}

#[test]
fn a_run_killed_midway_is_resumed_without_logging_a_second_case() {
    let portal = PracticePortal::start();
    let councilbot = Councilbot::new();
    let before = portal.portal.cases().len();
    let mut child = councilbot
        .workflow_command(&portal, &strs(&repair_run(&[])))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while portal.portal.cases().len() == before {
        assert!(started.elapsed() < Duration::from_secs(60), "the repair was never submitted");
        assert!(child.try_wait().unwrap().is_none(), "the run ended before it could be killed");
        std::thread::sleep(Duration::from_millis(5));
    }
    // SIGKILL: no chance to record anything more.
    child.kill().unwrap();
    child.wait().unwrap();
    let logged = portal.portal.cases()[before..].to_vec();
    assert_eq!(logged.len(), 1);
    let reference = logged[0].external_reference.clone();

    std::thread::sleep(Duration::from_millis(1500));
    let output = councilbot.workflow(&portal, &["resume"]);
    let shown = text(&output.stdout);
    assert!(output.status.success(), "{shown}\n{}", text(&output.stderr));
    assert!(shown.contains(&format!("resuming run {reference}")), "{shown}");
    assert!(shown.contains(&format!("run {reference} succeeded")), "{shown}");
    assert_eq!(portal.portal.cases_with_external_reference(&reference).len(), 1, "no second case: {shown}");
    let show: serde_json::Value = councilbot.json(&["workflow", "show", &reference, "--json"]);
    assert_eq!(show["run"]["outputs"]["case_reference"], serde_json::json!(logged[0].reference));

    let again = councilbot.workflow(&portal, &["resume"]);
    assert_eq!(text(&again.stdout).trim(), "no runs are ready to work");
}

#[test]
fn people_approve_complete_and_cancel_runs_from_the_command_line() {
    let portal = PracticePortal::start();
    let councilbot = Councilbot::new();
    let file = council_workflows().join("council_tax_change_of_address.yaml");
    let output = councilbot.workflow(
        &portal,
        &[
            "run",
            file.to_str().unwrap(),
            "-i",
            "account=40099999",
            "-i",
            "old_address=1 The Green",
            "-i",
            "new_address=8 Orchard Close",
            "-i",
            "new_postcode=EB6 3RD",
            "-i",
            "move_date=2021-05-01",
        ],
    );
    assert_eq!(output.status.code(), Some(3), "a run waiting for a person exits with 3");
    let shown = text(&output.stdout);
    let reference = shown.lines().next().unwrap().split_whitespace().nth(1).unwrap().to_string();
    assert!(
        shown.contains("waits for a decision: Approve a backdated change of address for account 40099999"),
        "{shown}"
    );
    let approved = councilbot.workflow(&portal, &["approve", &reference, "--comment", "council tax bill seen"]);
    assert!(approved.status.success(), "{}", text(&approved.stdout));
    assert_eq!(portal.portal.cases_with_external_reference(&reference).len(), 1);
    let show: serde_json::Value = councilbot.json(&["workflow", "show", &reference, "--json"]);
    assert_eq!(show["actions"][0]["actor"], "tester");
    assert_eq!(show["actions"][0]["action"], "approve");

    let refused = councilbot.workflow(
        &portal,
        &strs(&repair_run(&[]))
            .iter()
            .map(|arg| if *arg == "postcode=EB4 2QX" { "postcode=EB9 4AA" } else { arg })
            .collect::<Vec<_>>(),
    );
    assert_eq!(refused.status.code(), Some(3));
    let shown = text(&refused.stdout);
    let reference = shown.lines().next().unwrap().split_whitespace().nth(1).unwrap().to_string();
    assert!(shown.contains("waits for a person"), "{shown}");
    let evidence = councilbot.data.path().join("evidence");
    let show = councilbot.run(&["workflow", "show", &reference, "--save-evidence", evidence.to_str().unwrap()]);
    assert!(text(&show.stdout).contains("failure.png"), "{}", text(&show.stdout));
    assert!(std::fs::read_dir(&evidence).unwrap().count() >= 2);
    let incomplete = councilbot.workflow(&portal, &["complete", &reference]);
    assert_eq!(incomplete.status.code(), Some(1));
    assert!(text(&incomplete.stderr).contains("output `case_reference` is needed"), "{}", text(&incomplete.stderr));
    let completed = councilbot.workflow(&portal, &["complete", &reference, "--output", "case_reference=HR-300300"]);
    assert!(completed.status.success(), "{}", text(&completed.stderr));
    let cancelled = councilbot.workflow(&portal, &["cancel", &reference]);
    assert_eq!(cancelled.status.code(), Some(1));
    assert!(text(&cancelled.stderr).contains("it has already ended"), "{}", text(&cancelled.stderr));
}

#[test]
fn workflow_test_runs_a_directory_as_a_suite_carrying_on_after_failures_with_junit_and_a_report() {
    let portal = PracticePortal::start();
    let councilbot = Councilbot::new();
    let suite = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| std::fs::write(suite.path().join(name), text).unwrap();
    write(
        "passes.yaml",
        "name: portal_answers\nversion: 1\ndescription: The portal's login page is there.\nsystem: { name: ecss, base_url: http://unused.invalid }\nsteps:\n  - open: /\n  - assert: { element: { css: \"input[type=submit]\" }, count: 1 }\n",
    );
    write(
        "fails.yaml",
        "name: portal_title\nversion: 1\ndescription: The portal says something it does not.\nsystem: { name: ecss, base_url: http://unused.invalid }\nsteps:\n  - open: /\n  - assert: { text: Welcome to the moon }\n",
    );
    write(
        "needs.yaml",
        "name: needs_inputs\nversion: 1\ndescription: Needs a postcode.\ninputs:\n  - name: postcode\n    type: postcode\n    prompt: Postcode?\nsteps:\n  - set: { x: \"{{ inputs.postcode }}\" }\n",
    );
    write("broken.yaml", "name: broken\nversion: 1\ndescription: Broken.\nsteps:\n  - sett: { x: 1 }\n");
    let junit = suite.path().join("junit.xml");
    let report = suite.path().join("report.html");
    let args = [
        "test",
        suite.path().to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ];
    let output = councilbot.workflow(&portal, &args);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "a failure fails the suite: {stdout}{}", text(&output.stderr));
    assert!(stdout.contains("PASS portal_answers"), "{stdout}");
    assert!(stdout.contains("FAIL portal_title") && stdout.contains("Welcome to the moon"), "{stdout}");
    assert!(stdout.contains("SKIP needs_inputs: it needs inputs (postcode)"), "{stdout}");
    assert!(stdout.contains("FAIL broken: the file has errors") && stdout.contains("broken.yaml:5:"), "{stdout}");
    assert!(stdout.contains("1 passed, 2 failed, 1 skipped"), "{stdout}");

    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("<testsuite name=\"councilbot workflows\" tests=\"4\" failures=\"2\" skipped=\"1\""), "{xml}");
    assert!(xml.contains("<testcase name=\"portal_title\"") && xml.contains("<failure message="), "{xml}");
    assert!(xml.contains("<skipped message=\"it needs inputs (postcode), so it is not a test\"/>"), "{xml}");
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(html.contains("<h2>portal_title <span class=\"failed\">failed</span></h2>"), "{html}");
    assert!(html.contains("data:image/png;base64,"), "the failure's screenshot is in the report");
    let steps = html.split("<h2>portal_title").nth(1).unwrap_or_default();
    assert!(steps.contains("<th scope=\"col\">Step</th>") && steps.contains("<td>2 "), "its steps are listed: {steps}");
}
