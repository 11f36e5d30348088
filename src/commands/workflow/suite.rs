//! `workflow test DIR`: every workflow under a directory run as a suite, carrying on after
//! failures, with a summary, JUnit XML for CI and an HTML report of steps, times and the
//! screenshots of failures.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use base64::Engine as _;
use rpa::journal::{RunStatus, StartedBy};
use rpa::runner::Runner;
use rpa::secrets::Secrets;
use rpa::workflow::{Catalogue, WorkflowFile};

use super::{Places, existing, journal, run::work_with_progress};
use crate::cli::WorkflowTestArgs;

/// How one workflow of the suite went.
struct Case {
    /// The workflow's name, or its file's when it has errors.
    name: String,
    /// Where it was read from.
    file: PathBuf,
    /// What happened.
    outcome: Outcome,
    /// Seconds it took.
    seconds: f64,
    /// Its run's reference, when it ran.
    reference: Option<String>,
    /// Its steps: name, status, seconds and error.
    steps: Vec<(String, String, f64, Option<String>)>,
    /// Screenshots of what failed, as PNG.
    screenshots: Vec<(String, Vec<u8>)>,
}

/// The outcome of one workflow.
enum Outcome {
    /// It succeeded.
    Passed,
    /// It failed, or stopped for a person, or has errors; why.
    Failed(String),
    /// It could not be run as a test; why.
    Skipped(String),
}

/// Runs every workflow under the directory as a test.
pub async fn test(places: &Places, args: WorkflowTestArgs) -> Result<ExitCode> {
    let (catalogue, errors) = Catalogue::load(std::slice::from_ref(&args.dir));
    // The workflows they call may live with the council's.
    let (council, _) = Catalogue::load(&existing(&[places.workflows.clone(), args.dir.clone()]));
    let secrets = Secrets::load(places.secrets_file.as_deref(), std::env::vars())?;
    let runner = Runner::new(journal(places).await?, council, secrets, places.runner.clone());
    let mut cases: Vec<Case> = Vec::new();
    let broken: std::collections::BTreeSet<&Path> = errors.iter().map(|error| error.file.as_path()).collect();
    for file in broken {
        let problems: Vec<String> = errors.iter().filter(|error| error.file == file).map(ToString::to_string).collect();
        let name = file.file_stem().map(|stem| stem.to_string_lossy().into_owned()).unwrap_or_default();
        outln!("FAIL {name}: the file has errors\n{}", problems.join("\n"));
        cases.push(Case {
            name,
            file: file.to_path_buf(),
            outcome: Outcome::Failed(format!("the file has errors:\n{}", problems.join("\n"))),
            seconds: 0.0,
            reference: None,
            steps: Vec::new(),
            screenshots: Vec::new(),
        });
    }
    let broken_files: Vec<PathBuf> = cases.iter().map(|case| case.file.clone()).collect();
    for file in catalogue.iter().filter(|file| !broken_files.contains(&file.path)) {
        let case = run_case(&runner, file).await?;
        let shown = match &case.outcome {
            Outcome::Passed => format!("PASS {} ({:.1}s)", case.name, case.seconds),
            Outcome::Failed(why) => format!("FAIL {} ({:.1}s): {why}", case.name, case.seconds),
            Outcome::Skipped(why) => format!("SKIP {}: {why}", case.name),
        };
        outln!("{shown}");
        cases.push(case);
    }
    runner.stop_browsers().await;
    let passed = cases.iter().filter(|case| matches!(case.outcome, Outcome::Passed)).count();
    let failed = cases.iter().filter(|case| matches!(case.outcome, Outcome::Failed(_))).count();
    let skipped = cases.len() - passed - failed;
    outln!("{passed} passed, {failed} failed, {skipped} skipped");
    if let Some(path) = &args.junit {
        std::fs::write(path, junit(&cases)).with_context(|| format!("cannot write {}", path.display()))?;
        outln!("JUnit XML written to {}", path.display());
    }
    if let Some(path) = &args.report {
        std::fs::write(path, report(&cases)).with_context(|| format!("cannot write {}", path.display()))?;
        outln!("report written to {}", path.display());
    }
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// Runs one workflow to its end, as a test.
async fn run_case(runner: &Runner, file: &WorkflowFile) -> Result<Case> {
    let name = file.workflow.name.value.clone();
    let mut case = Case {
        name: name.clone(),
        file: file.path.clone(),
        outcome: Outcome::Passed,
        seconds: 0.0,
        reference: None,
        steps: Vec::new(),
        screenshots: Vec::new(),
    };
    let needed: Vec<&str> =
        file.workflow.inputs.iter().filter(|input| input.required).map(|input| input.name.value.as_str()).collect();
    if !needed.is_empty() {
        case.outcome = Outcome::Skipped(format!("it needs inputs ({}), so it is not a test", needed.join(", ")));
        return Ok(case);
    }
    let started_at = Instant::now();
    let tester = StartedBy { channel: "cli".to_string(), address: "workflow test".to_string(), language: None };
    let started = match runner.start(file, &[], &tester).await {
        Ok(started) => started,
        Err(error) => {
            case.outcome = Outcome::Failed(error.to_string());
            return Ok(case);
        }
    };
    let run = work_with_progress(runner, &started.id, false).await?;
    case.seconds = started_at.elapsed().as_secs_f64();
    case.reference = Some(run.reference.clone());
    case.outcome = match run.status {
        RunStatus::Succeeded => Outcome::Passed,
        RunStatus::Failed => Outcome::Failed(run.reason.clone().or(run.message.clone()).unwrap_or_default()),
        other => Outcome::Failed(format!(
            "it stopped {}: {}",
            if other == RunStatus::Waiting { "waiting for a person" } else { other.as_str() },
            run.reason.clone().unwrap_or_default()
        )),
    };
    let journal = runner.journal();
    for step in journal.steps(&run.id).await? {
        let seconds = step.finished_at.map_or(0.0, |finished| (finished - step.started_at) as f64 / 1000.0);
        let status = format!("{:?}", step.status).to_lowercase();
        case.steps.push((format!("{} {}", step.step_key, step.name), status, seconds, step.error));
    }
    for item in journal.evidence(&run.id).await? {
        if item.media_type.starts_with("image/png") {
            case.screenshots.push((format!("step {}: {}", item.step_key, item.name), item.content));
        }
    }
    Ok(case)
}

/// Text safe inside XML or HTML (control characters, which XML cannot hold, left out).
fn escaped(text: &str) -> String {
    let printable: String = text.chars().filter(|c| !c.is_control() || matches!(c, '\n' | '\t')).collect();
    knowledge_base::escape_html(&printable)
}

/// The suite as JUnit XML, as CI services read it.
fn junit(cases: &[Case]) -> String {
    let failures = cases.iter().filter(|case| matches!(case.outcome, Outcome::Failed(_))).count();
    let skipped = cases.iter().filter(|case| matches!(case.outcome, Outcome::Skipped(_))).count();
    let seconds: f64 = cases.iter().map(|case| case.seconds).sum();
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        xml,
        "<testsuites tests=\"{}\" failures=\"{failures}\" skipped=\"{skipped}\" time=\"{seconds:.3}\">",
        cases.len()
    );
    let _ = writeln!(
        xml,
        "  <testsuite name=\"councilbot workflows\" tests=\"{}\" failures=\"{failures}\" skipped=\"{skipped}\" time=\"{seconds:.3}\">",
        cases.len()
    );
    for case in cases {
        let _ = write!(
            xml,
            "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" time=\"{:.3}\"",
            escaped(&case.name),
            escaped(&format!("workflow.{}", case.name)),
            escaped(&case.file.display().to_string()),
            case.seconds
        );
        match &case.outcome {
            Outcome::Passed => xml.push_str("/>\n"),
            Outcome::Failed(why) => {
                let first = why.lines().next().unwrap_or_default();
                let _ = writeln!(
                    xml,
                    ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
                    escaped(first),
                    escaped(why)
                );
            }
            Outcome::Skipped(why) => {
                let _ = writeln!(xml, ">\n      <skipped message=\"{}\"/>\n    </testcase>", escaped(why));
            }
        }
    }
    xml.push_str("  </testsuite>\n</testsuites>\n");
    xml
}

/// The suite as one HTML page: each workflow with its outcome, steps and times, and the
/// screenshots of what failed.
fn report(cases: &[Case]) -> String {
    let mut html = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Workflow test report</title>\n<style>\
         body{font-family:system-ui,sans-serif;margin:2em;color:#0b0c0c}table{border-collapse:collapse;margin:.5em 0 1.5em}\
         th,td{border:1px solid #b1b4b6;padding:.3em .6em;text-align:left;vertical-align:top}\
         .passed{color:#00703c}.failed{color:#d4351c}.skipped{color:#505a5f}pre{white-space:pre-wrap}\
         img{max-width:100%;border:1px solid #b1b4b6}</style></head><body>\n<h1>Workflow test report</h1>\n",
    );
    let passed = cases.iter().filter(|case| matches!(case.outcome, Outcome::Passed)).count();
    let failed = cases.iter().filter(|case| matches!(case.outcome, Outcome::Failed(_))).count();
    let _ = writeln!(html, "<p>{passed} passed, {failed} failed, {} skipped.</p>", cases.len() - passed - failed);
    for case in cases {
        let (class, word, why) = match &case.outcome {
            Outcome::Passed => ("passed", "passed", None),
            Outcome::Failed(why) => ("failed", "failed", Some(why)),
            Outcome::Skipped(why) => ("skipped", "skipped", Some(why)),
        };
        let _ = writeln!(
            html,
            "<h2>{} <span class=\"{class}\">{word}</span></h2>\n<p>{}{} ({:.1} s)</p>",
            escaped(&case.name),
            escaped(&case.file.display().to_string()),
            case.reference.as_deref().map(|reference| format!(", run {}", escaped(reference))).unwrap_or_default(),
            case.seconds
        );
        if let Some(why) = why {
            let _ = writeln!(html, "<pre>{}</pre>", escaped(why));
        }
        if !case.steps.is_empty() {
            html.push_str("<table><thead><tr><th scope=\"col\">Step</th><th scope=\"col\">Status</th><th scope=\"col\">Seconds</th><th scope=\"col\">Error</th></tr></thead><tbody>\n");
            for (name, status, seconds, error) in &case.steps {
                let _ = writeln!(
                    html,
                    "<tr><td>{}</td><td>{}</td><td>{seconds:.2}</td><td>{}</td></tr>",
                    escaped(name),
                    escaped(status),
                    escaped(error.as_deref().unwrap_or_default())
                );
            }
            html.push_str("</tbody></table>\n");
        }
        for (name, png) in &case.screenshots {
            let encoded = base64::engine::general_purpose::STANDARD.encode(png);
            let _ = writeln!(
                html,
                "<figure><img src=\"data:image/png;base64,{encoded}\" alt=\"The page when {}\"><figcaption>{}</figcaption></figure>",
                escaped(name),
                escaped(name)
            );
        }
    }
    html.push_str("</body></html>\n");
    html
}
