//! `councilbot eval-intents`: how well requests for services are recognised without a language
//! model, and the threshold that balances recognising them against leaving other messages alone.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use bot::conversation::Services;
use bot::eval_intents::{calibrate, evaluate, load_labelled};
use knowledge_base::KnowledgeBase;
use rpa::workflow::Catalogue;

use super::assemble::valid_workflows;
use crate::cli::EvalIntentsArgs;
use crate::config::Config;
use crate::output::print_json;

pub fn run(index_dir: &Path, workflows: &Path, config: &Config, args: EvalIntentsArgs) -> Result<ExitCode> {
    let set = load_labelled(&args.file)?;
    let knowledge = std::sync::Arc::new(KnowledgeBase::open(index_dir)?);
    let services = Services::with_knowledge(valid_workflows(workflows, &Catalogue::default()), knowledge);
    let threshold = args.threshold.unwrap_or(config.conversations.intent_threshold);
    let report = evaluate(&services, &set, threshold);
    let calibration = calibrate(&services, &set);
    if args.json {
        print_json(&serde_json::json!({"report": report, "calibration": calibration}))?;
        return Ok(ExitCode::SUCCESS);
    }
    println!("{} requests for services, {} other messages, threshold {:.2}", report.requests, report.others, threshold);
    println!("  recognised         {:5.1}%", report.recognised * 100.0);
    println!("  wrong service      {:5.1}%", report.wrong_service * 100.0);
    println!("  false starts       {:5.1}%", report.false_starts * 100.0);
    println!("  balanced accuracy  {:5.1}%", report.balanced_accuracy * 100.0);
    println!(
        "  weighted accuracy  {:5.1}%  (leaving other messages alone counts double)",
        report.weighted_accuracy * 100.0
    );
    println!(
        "calibration: the best weighted accuracy ({:.1}%) is between {:.2} and {:.2}; recommended threshold {:.2}",
        calibration.weighted_accuracy * 100.0,
        calibration.from,
        calibration.to,
        calibration.recommended
    );
    if !report.mistakes.is_empty() {
        println!("\nmistakes at {threshold:.2}:");
        for mistake in &report.mistakes {
            println!("  {mistake}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
