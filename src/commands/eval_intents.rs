//! `councilbot eval-intents`: how well requests for services are recognised without a language
//! model, for each half, and the threshold the development half calibrates to.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use bot::conversation::{RequestThresholds, Services};
use bot::eval_intents::{IntentEvaluation, IntentReport, evaluate, load_labelled};
use rpa::workflow::Catalogue;

use super::assemble::valid_workflows;
use crate::cli::EvalIntentsArgs;
use crate::config::Config;
use crate::output::{print_json, print_text};

pub fn run(index_dir: &Path, workflows: &Path, config: &Config, args: EvalIntentsArgs) -> Result<ExitCode> {
    let catalogue = valid_workflows(workflows, &config.automation.shared_workflows, &Catalogue::default());
    let names: Vec<String> = catalogue.iter().map(|file| file.workflow.name.value.clone()).collect();
    let set = load_labelled(&args.file, &names.iter().map(String::as_str).collect::<Vec<_>>())?;
    let knowledge = std::sync::Arc::new(super::open(index_dir, config)?);
    let services = Services::with_knowledge(catalogue, knowledge);
    let recognise = args.threshold.unwrap_or(config.conversations.intent_threshold);
    let start = args.start_threshold.unwrap_or(config.conversations.intent_start_threshold).max(recognise);
    let evaluation = evaluate(&services, &set, RequestThresholds { recognise, start });
    if args.json {
        print_json(&evaluation)?;
    } else {
        print_text(&render(&evaluation))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The evaluation as people read it: measures for each half, then every mistake.
fn render(evaluation: &IntentEvaluation) -> String {
    let mut lines: Vec<String> = Vec::new();
    let overall = &evaluation.overall;
    lines.push(format!(
        "{} requests for services, {} other messages ({} of them about a service); recognised from {:.2}, \
         started without asking from {:.2}",
        overall.requests, overall.others, overall.near_misses, evaluation.threshold, evaluation.start_threshold
    ));
    let calibration = &evaluation.calibration;
    lines.push(format!(
        "the dev half calibrates recognition to {:.2} (best weighted accuracy {:.1}% from {:.2} to {:.2}; {:.1}% on held-out)",
        calibration.recommended,
        calibration.weighted_accuracy * 100.0,
        calibration.from,
        calibration.to,
        calibration.held_out_weighted_accuracy * 100.0,
    ));
    lines.push(format!(
        "and starting to {:.2} (at most {:.0}% false starts on dev; {:.1}% on held-out)",
        calibration.start_recommended,
        bot::eval_intents::MOST_FALSE_STARTS * 100.0,
        calibration.held_out_false_starts * 100.0
    ));
    lines.push(String::new());
    lines.push(format!("{:<34}{:>10}{:>10}{:>10}", "", "dev", "held-out", "overall"));
    let halves = [&evaluation.dev, &evaluation.held_out, overall];
    let mut row = |name: &str, value: &dyn Fn(&IntentReport) -> String| {
        lines.push(format!("{name:<34}{:>10}{:>10}{:>10}", value(halves[0]), value(halves[1]), value(halves[2])));
    };
    let percent = |share: f32| format!("{:.1}%", share * 100.0);
    row("requests", &|r| r.requests.to_string());
    row("other messages", &|r| r.others.to_string());
    row("started (recall)", &|r| percent(r.recognised));
    row("asked first (\"Do you want to ...?\")", &|r| percent(r.asked_first));
    row("started or asked first", &|r| percent(r.recognised_or_asked));
    row("wrong service", &|r| percent(r.wrong_service));
    row("false starts", &|r| percent(r.false_starts));
    row("  of messages about a service", &|r| percent(r.near_miss_false_starts));
    row("other messages asked about", &|r| percent(r.others_asked));
    row("balanced accuracy", &|r| percent(r.balanced_accuracy));
    row("weighted accuracy", &|r| percent(r.weighted_accuracy));
    lines.push(
        "(the accuracies count asking first as recognising; weighted counts leaving others alone double)".to_string(),
    );
    if evaluation.mistakes.is_empty() {
        return lines.join("\n") + "\n";
    }
    lines.push(String::new());
    lines.push(format!("mistakes, and requests asked about first ({}):", evaluation.mistakes.len()));
    for mistake in &evaluation.mistakes {
        let expected = mistake.expected.as_str();
        let what = match (&mistake.started, &mistake.asked) {
            (Some(started), _) if expected == bot::eval_intents::NONE => {
                format!("started {started}, should have left it")
            }
            (Some(started), _) => format!("started {started}, not {expected}"),
            (None, Some(asked)) if expected == bot::eval_intents::NONE => {
                format!("asked about {asked}, should have left it")
            }
            (None, Some(asked)) if asked == expected => format!("asked first about {asked}"),
            (None, Some(asked)) => format!("asked about {asked}, not {expected}"),
            (None, None) => match mistake.elsewhere.as_ref().filter(|_| mistake.score >= evaluation.threshold) {
                Some(request) => format!("not recognised as {expected}: taken for {request:?}, asked elsewhere"),
                None => format!("not recognised as {expected}"),
            },
        };
        lines.push(format!("- [{}] {:?}: {what} ({:.2})", mistake.half.label(), mistake.text, mistake.score));
    }
    lines.join("\n") + "\n"
}
