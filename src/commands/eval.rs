//! `councilbot eval`: measure answer quality on a golden set.

use std::process::ExitCode;

use anyhow::Result;
use bot::AnswerSettings;
use bot::eval::{GoldenSet, evaluate};
use knowledge_base::KnowledgeBase;

use crate::cli::EvalArgs;
use crate::output::print_json;

pub fn run(knowledge_base: &KnowledgeBase, args: EvalArgs) -> Result<ExitCode> {
    let set = GoldenSet::load(&args.golden)?;
    let mut settings = AnswerSettings::default();
    if let Some(min_confidence) = args.min_confidence {
        settings.min_confidence = min_confidence;
    }
    let report = evaluate(knowledge_base, &set, &settings)?;
    if args.json {
        print_json(&report)?;
        return Ok(ExitCode::SUCCESS);
    }
    let percent = |share: f64| format!("{:.1}%", share * 100.0);
    println!(
        "questions          {} ({} answerable, {} unanswerable)",
        report.questions, report.answerable, report.unanswerable
    );
    println!("hit@1              {}", percent(report.hit_at_1));
    println!("hit@3              {}", percent(report.hit_at_3));
    println!("MRR                {:.3}", report.mrr);
    println!("fact rate          {}", percent(report.fact_rate));
    println!("correct refusals   {}", percent(report.correct_refusal_rate));
    println!("false refusals     {}", percent(report.false_refusal_rate));
    println!("latency p50 / p95  {:.2} ms / {:.2} ms", report.latency_p50_ms, report.latency_p95_ms);
    println!(
        "calibration        best threshold {:.2} (balanced accuracy {}); in use {:.2}",
        report.calibration.best_threshold,
        percent(report.calibration.best_balanced_accuracy),
        report.calibration.current_threshold
    );
    if !report.misses.is_empty() {
        println!();
        println!("misses:");
        for miss in &report.misses {
            let rank = miss.rank.map_or("not found".to_string(), |rank| format!("page rank {rank}"));
            println!("- {:?}: {} ({rank}, confidence {:.2})", miss.ask, miss.problem, miss.confidence);
            println!("    answer: {}", miss.answer);
        }
    }
    Ok(ExitCode::SUCCESS)
}
