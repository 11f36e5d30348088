//! `councilbot eval`: measure answer quality on a golden set, for each half and type of question,
//! of the extractive answerer or (with `--model`) of the configured language model.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Result, bail};
use bot::eval::{Answerer, EvalReport, GoldenSet, Measures, MissReason, ask_model, evaluate, evaluate_with};
use bot::llm::LanguageModel;
use bot::{AnswerSettings, ExtractiveAnswerer};
use knowledge_base::KnowledgeBase;

use crate::cli::EvalArgs;
use crate::config::Config;
use crate::output::{print_json, print_text};

pub fn run(index_dir: &Path, config: &Config, args: EvalArgs) -> Result<ExitCode> {
    if args.model {
        if !config.llm.is_configured() {
            bail!(
                "--model needs a language model, and none is configured: set `base_url` under `[llm]` in the \
                 configuration file (or OPENAI_BASE_URL)"
            );
        }
        let problems = config.llm.problems();
        if !problems.is_empty() {
            bail!("the language model's settings are not valid:\n  {}", problems.join("\n  "));
        }
    }
    let set = GoldenSet::load(&args.golden)?;
    let knowledge_base = super::open(index_dir, config)?;
    let mut settings = AnswerSettings::default();
    if let Some(min_confidence) = args.min_confidence {
        settings.min_confidence = min_confidence;
        settings.min_confidence_welsh = min_confidence;
    }
    let report = if args.model {
        with_model(&knowledge_base, config, &set)?
    } else {
        evaluate(&knowledge_base, &set, &settings)?
    };
    if args.json {
        print_json(&report)?;
    } else {
        print_text(&render(&report))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The golden set answered by the configured language model, one question at a time, from the
/// passages the extractive answerer finds.
fn with_model(knowledge_base: &KnowledgeBase, config: &Config, set: &GoldenSet) -> Result<EvalReport> {
    let model = LanguageModel::new(config.llm.clone());
    // The passages found do not depend on the threshold; the model decides whether to answer.
    let searcher = ExtractiveAnswerer::new(knowledge_base, AnswerSettings::default().answering_everything());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let council = &config.council.name;
    Ok(evaluate_with(set, Answerer::model(&config.llm), |question| {
        runtime.block_on(ask_model(&model, council, &searcher, question))
    })?)
}

/// A share as a percentage, or a dash for a share of nothing.
fn percent(share: Option<f64>) -> String {
    share.map_or("-".to_string(), |share| format!("{:.1}%", share * 100.0))
}

/// A confidence in brackets, or nothing for an answerer that gives none.
fn confidence(confidence: Option<f32>) -> String {
    confidence.map_or(String::new(), |confidence| format!(" (confidence {confidence:.2})"))
}

/// The report as people read it: measures for each half, by type, then every miss.
fn render(report: &EvalReport) -> String {
    let mut lines: Vec<String> = Vec::new();
    lines.push(match &report.answerer {
        Answerer::Extractive { .. } => "answered by the extractive answerer".to_string(),
        Answerer::Model { model, endpoint } => format!("answered by the language model {model} at {endpoint}"),
    });
    let overall = &report.overall;
    let failed =
        if overall.failed > 0 { format!("; it failed on {} (see the misses)", overall.failed) } else { String::new() };
    lines.push(format!(
        "{} questions: {} answerable, {} unanswerable ({} of them near misses){failed}",
        overall.questions, overall.answerable, overall.unanswerable, overall.near_misses
    ));
    if let Some(calibration) = &report.calibration {
        lines.push(format!(
            "threshold in use {:.2}; the dev half calibrates to {:.2} (balanced accuracy {:.1}% on dev, {:.1}% on held-out)",
            calibration.current_threshold,
            calibration.best_threshold,
            calibration.best_balanced_accuracy * 100.0,
            calibration.held_out_balanced_accuracy * 100.0
        ));
    }
    lines.push(String::new());
    lines.push(format!("{:<22}{:>10}{:>10}{:>10}", "", "dev", "held-out", "overall"));
    let halves = [&report.dev, &report.held_out, overall];
    let mut row = |name: &str, value: &dyn Fn(&Measures) -> String| {
        lines.push(format!("{name:<22}{:>10}{:>10}{:>10}", value(halves[0]), value(halves[1]), value(halves[2])));
    };
    row("questions", &|m| m.questions.to_string());
    row("hit@1", &|m| percent(m.hit_at_1));
    row("hit@3", &|m| percent(m.hit_at_3));
    row("MRR", &|m| m.mrr.map_or("-".to_string(), |mrr| format!("{mrr:.3}")));
    row("fact rate", &|m| percent(m.fact_rate));
    row("correct refusals", &|m| percent(m.correct_refusal_rate));
    row("  of near misses", &|m| percent(m.near_miss_refusal_rate));
    row("false refusals", &|m| percent(m.false_refusal_rate));
    if overall.failed > 0 {
        row("failed", &|m| m.failed.to_string());
    }
    lines.push(format!("latency p50 / p95    {:.2} ms / {:.2} ms", report.latency_p50_ms, report.latency_p95_ms));

    lines.push(String::new());
    lines.push("by type of question (dev / held-out / overall):".to_string());
    lines.push(format!(
        "{:<10}{:>14}{:>20}{:>20}{:>20}{:>20}",
        "type", "questions", "hit@1", "fact rate", "correct refusals", "false refusals"
    ));
    for kind in &report.by_type {
        let cell = |value: &dyn Fn(&Measures) -> Option<f64>| {
            [&kind.dev, &kind.held_out, &kind.overall]
                .map(|measures| value(measures).map_or("-".to_string(), |share| format!("{:.0}", share * 100.0)))
                .join(" / ")
        };
        let counts = format!("{} / {} / {}", kind.dev.questions, kind.held_out.questions, kind.overall.questions);
        lines.push(format!(
            "{:<10}{:>14}{:>20}{:>20}{:>20}{:>20}",
            kind.question_type.label(),
            counts,
            cell(&|m| m.hit_at_1),
            cell(&|m| m.fact_rate),
            cell(&|m| m.correct_refusal_rate),
            cell(&|m| m.false_refusal_rate)
        ));
    }

    if report.misses.is_empty() {
        return lines.join("\n") + "\n";
    }
    lines.push(String::new());
    lines.push(format!("misses ({}):", report.misses.len()));
    for miss in &report.misses {
        let why = match &miss.reason {
            MissReason::WrongPageFirst { first_page, expected_rank, fact_found } => {
                let first = first_page.as_deref().unwrap_or("no page");
                let expected = expected_rank.map_or("not in the first ten".to_string(), |rank| format!("rank {rank}"));
                let fact = if *fact_found { "fact stated all the same" } else { "fact absent" };
                format!("{first} came first (the answering page: {expected}; {fact})")
            }
            MissReason::FactAbsent { fact } => format!("lacks {fact:?}"),
            MissReason::AnsweredUnanswerable { near_miss, answered_from } => format!(
                "{}answered from {}{}",
                if *near_miss { "a near miss, " } else { "" },
                answered_from.as_deref().unwrap_or("no page"),
                confidence(miss.confidence)
            ),
            MissReason::Declined { expected_rank, despite_confidence } => {
                let page = expected_rank.map_or("not in the first ten".to_string(), |rank| format!("rank {rank}"));
                match miss.confidence {
                    Some(confidence) if *despite_confidence => format!(
                        "confidence {confidence:.2}, enough to answer, but the facts it would answer with \
                         are another case's (the answering page: {page})"
                    ),
                    Some(confidence) => format!("confidence {confidence:.2} (the answering page: {page})"),
                    None => format!("the answering page: {page}"),
                }
            }
            MissReason::Failed { error } => error.clone(),
        };
        lines.push(format!(
            "- [{}, {}] {:?}: {}: {why}",
            miss.half.label(),
            miss.question_type.label(),
            miss.ask,
            miss.reason.label()
        ));
        if !matches!(miss.reason, MissReason::Declined { .. } | MissReason::Failed { .. }) {
            lines.push(format!("    answered: {}", miss.answer));
        }
    }
    lines.join("\n") + "\n"
}
