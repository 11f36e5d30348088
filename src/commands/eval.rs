//! `councilbot eval`: measure answer quality on a golden set, for each half and type of question.

use std::process::ExitCode;

use anyhow::Result;
use bot::AnswerSettings;
use bot::eval::{EvalReport, GoldenSet, Measures, MissReason, evaluate};
use knowledge_base::KnowledgeBase;

use crate::cli::EvalArgs;
use crate::output::{print_json, print_text};

pub fn run(knowledge_base: &KnowledgeBase, args: EvalArgs) -> Result<ExitCode> {
    let set = GoldenSet::load(&args.golden)?;
    let mut settings = AnswerSettings::default();
    if let Some(min_confidence) = args.min_confidence {
        settings.min_confidence = min_confidence;
    }
    let report = evaluate(knowledge_base, &set, &settings)?;
    if args.json {
        print_json(&report)?;
    } else {
        print_text(&render(&report))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// A share as a percentage, or a dash for a share of nothing.
fn percent(share: Option<f64>) -> String {
    share.map_or("-".to_string(), |share| format!("{:.1}%", share * 100.0))
}

/// The report as people read it: measures for each half, by type, then every miss.
fn render(report: &EvalReport) -> String {
    let mut lines: Vec<String> = Vec::new();
    let overall = &report.overall;
    lines.push(format!(
        "{} questions: {} answerable, {} unanswerable ({} of them near misses)",
        overall.questions, overall.answerable, overall.unanswerable, overall.near_misses
    ));
    let calibration = &report.calibration;
    lines.push(format!(
        "threshold in use {:.2}; the dev half calibrates to {:.2} (balanced accuracy {:.1}% on dev, {:.1}% on held-out)",
        calibration.current_threshold,
        calibration.best_threshold,
        calibration.best_balanced_accuracy * 100.0,
        calibration.held_out_balanced_accuracy * 100.0
    ));
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
                "{}answered from {} (confidence {:.2})",
                if *near_miss { "a near miss, " } else { "" },
                answered_from.as_deref().unwrap_or("no page"),
                miss.confidence
            ),
            MissReason::Declined { expected_rank } => format!(
                "confidence {:.2} (the answering page: {})",
                miss.confidence,
                expected_rank.map_or("not in the first ten".to_string(), |rank| format!("rank {rank}"))
            ),
        };
        lines.push(format!(
            "- [{}, {}] {:?}: {}: {why}",
            miss.half.label(),
            miss.question_type.label(),
            miss.ask,
            miss.reason.label()
        ));
        if !matches!(miss.reason, MissReason::Declined { .. }) {
            lines.push(format!("    answered: {}", miss.answer));
        }
    }
    lines.join("\n") + "\n"
}
