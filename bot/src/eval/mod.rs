//! Measures answer quality on a golden set of questions with known sources and facts, of the
//! extractive answerer or of a language model answering from the same passages: for a
//! development half, on which the confidence threshold is calibrated, for a held-out half, which
//! shows whether that holds on questions it was not chosen on, and for each type of question.

mod answerer;
mod golden;
mod half;
mod model;
mod report;

use std::time::Instant;

use knowledge_base::KnowledgeBase;

pub use crate::answer::QuestionType;
pub use answerer::{Answerer, Attempt, Reply};
pub(crate) use golden::located;
pub use golden::{GoldenQuestion, GoldenSet};
pub use half::Half;
pub use model::ask_model;
pub use report::{Calibration, EvalReport, Measures, Miss, MissReason, TypeMeasures};
use report::{Outcome, by_type, calibrate};

use crate::answer::{AnswerSettings, ExtractiveAnswerer};
use crate::error::Result;

/// How many distinct pages count when looking for the expected one.
const RANKS_CONSIDERED: usize = 10;

/// Runs every question of a golden set through the extractive answerer and measures the answers.
pub fn evaluate(knowledge_base: &KnowledgeBase, set: &GoldenSet, settings: &AnswerSettings) -> Result<EvalReport> {
    // Everything is scored at threshold zero so calibration sees every confidence; refusals are
    // then decided with the configured threshold.
    let scored = settings.answering_everything();
    let min_confidence = settings.min_confidence_for(set.language.unwrap_or_default());
    evaluate_with(set, Answerer::Extractive { min_confidence }, |question| {
        let answerer = ExtractiveAnswerer::new(knowledge_base, scored.clone())
            .in_language(question.language)
            .falling_back_as(settings);
        let (answer, hits) = answerer.answer_with_hits(&question.ask, question.audience)?;
        Ok(Attempt::Replied(Reply::extractive(answer, hits)))
    })
}

/// Runs every question of a golden set through `answer`, the attempts of `answerer`, and
/// measures them; the threshold is calibrated for the extractive answerer only.
pub fn evaluate_with(
    set: &GoldenSet,
    answerer: Answerer,
    mut answer: impl FnMut(&GoldenQuestion) -> Result<Attempt>,
) -> Result<EvalReport> {
    let min_confidence = match answerer {
        Answerer::Extractive { min_confidence } => Some(min_confidence),
        Answerer::Model { .. } => None,
    };
    let mut latencies = Vec::new();
    let mut outcomes = Vec::new();
    let mut misses = Vec::new();
    for question in &set.questions {
        let started = Instant::now();
        let attempt = answer(question)?;
        latencies.push(started.elapsed().as_secs_f64() * 1000.0);
        let (outcome, reason, said) = match attempt {
            Attempt::Replied(reply) => {
                let (outcome, reason) = judge(question, &reply, min_confidence);
                (outcome, reason, reply.text)
            }
            Attempt::Failed(error) => (failed(question), Some(MissReason::Failed { error }), String::new()),
        };
        if let Some(reason) = reason {
            misses.push(Miss {
                ask: question.ask.clone(),
                half: outcome.half,
                question_type: outcome.question_type,
                reason,
                answer: said,
                confidence: outcome.confidence,
            });
        }
        outcomes.push(outcome);
    }
    latencies.sort_by(f64::total_cmp);
    let in_half = |half: Half| Measures::of(outcomes.iter().filter(|outcome| outcome.half == half));
    Ok(EvalReport {
        dev: in_half(Half::Dev),
        held_out: in_half(Half::HeldOut),
        overall: Measures::of(&outcomes),
        by_type: by_type(&outcomes),
        latency_p50_ms: percentile(&latencies, 0.50),
        latency_p95_ms: percentile(&latencies, 0.95),
        calibration: min_confidence.map(|current| calibrate(&outcomes, current)),
        answerer,
        misses,
    })
}

/// How a reply to a question measures up, and why it is a miss if it is one. With a threshold,
/// a reply less confident than it counts as declined.
fn judge(question: &GoldenQuestion, reply: &Reply, min_confidence: Option<f32>) -> (Outcome, Option<MissReason>) {
    // Whether the confidence reached the threshold, when there are both.
    let confident = min_confidence.zip(reply.confidence).map(|(threshold, confidence)| confidence >= threshold);
    let refused = reply.declined || confident == Some(false);
    // Declined on other evidence than confidence, which reached the threshold.
    let despite_confidence = reply.declined && confident == Some(true);
    let mut pages: Vec<(&str, &str)> = Vec::new();
    for hit in &reply.hits {
        if !pages.iter().any(|(document, _)| *document == hit.document) {
            pages.push((&hit.document, &hit.url));
        }
    }
    let source = question.source.as_deref().unwrap_or_default();
    let rank = if question.unanswerable {
        None
    } else {
        pages
            .iter()
            .take(RANKS_CONSIDERED)
            .position(|(document, url)| same_page(url, source) || document.ends_with(source))
            .map(|index| index + 1)
    };
    let fact = question.fact.as_deref().unwrap_or_default();
    let fact_found = !question.unanswerable && contains_fact(&reply.text, fact);
    let outcome = Outcome {
        half: question.half(),
        question_type: question.kind(),
        answerable: !question.unanswerable,
        near_miss: question.is_near_miss(),
        rank,
        refused,
        fact_found,
        failed: false,
        confidence: reply.confidence,
        declined_at_any_threshold: reply.declined,
    };
    let reason = if question.unanswerable {
        (!refused).then(|| MissReason::AnsweredUnanswerable {
            near_miss: question.is_near_miss(),
            answered_from: reply.cited.clone(),
        })
    } else if refused {
        Some(MissReason::Declined { expected_rank: rank, despite_confidence })
    } else if rank != Some(1) {
        Some(MissReason::WrongPageFirst {
            first_page: pages.first().map(|(_, url)| url.to_string()),
            expected_rank: rank,
            fact_found,
        })
    } else {
        (!fact_found).then(|| MissReason::FactAbsent { fact: fact.to_string() })
    };
    (outcome, reason)
}

/// A question the answerer failed on: nothing found, stated or refused.
fn failed(question: &GoldenQuestion) -> Outcome {
    Outcome {
        half: question.half(),
        question_type: question.kind(),
        answerable: !question.unanswerable,
        near_miss: question.is_near_miss(),
        rank: None,
        refused: false,
        fact_found: false,
        failed: true,
        confidence: None,
        declined_at_any_threshold: false,
    }
}

/// Whether a page URL is the expected one, ignoring a trailing slash.
fn same_page(url: &str, expected: &str) -> bool {
    url.trim_end_matches('/') == expected.trim_end_matches('/')
}

/// Whether an answer states a fact, ignoring case, spacing and curly quotes.
fn contains_fact(answer: &str, fact: &str) -> bool {
    let normalize =
        |text: &str| text.to_lowercase().replace(['’', '‘'], "'").split_whitespace().collect::<Vec<_>>().join(" ");
    normalize(answer).contains(&normalize(fact))
}

/// The value at a fraction of the way through sorted values (nearest rank).
fn percentile(sorted: &[f64], fraction: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((fraction * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sofa() -> GoldenQuestion {
        GoldenQuestion {
            ask: "how much does it cost to get rid of an old sofa".to_string(),
            source: Some("https://www.eastbrook.gov.uk/waste/bulky-waste-collection".to_string()),
            fact: Some("£38".to_string()),
            audience: Default::default(),
            unanswerable: false,
            near: None,
            half: Some(Half::Dev),
            question_type: None,
            language: None,
        }
    }

    fn declined(confidence: f32) -> Reply {
        Reply { text: String::new(), cited: None, confidence: Some(confidence), declined: true, hits: Vec::new() }
    }

    #[test]
    fn a_decline_is_told_apart_from_low_confidence_when_the_confidence_was_enough() {
        let (outcome, reason) = judge(&sofa(), &declined(0.82), Some(0.63));
        assert!(outcome.refused);
        assert!(matches!(reason, Some(MissReason::Declined { despite_confidence: true, .. })), "{reason:?}");
        let (_, reason) = judge(&sofa(), &declined(0.41), Some(0.63));
        assert!(matches!(reason, Some(MissReason::Declined { despite_confidence: false, .. })), "{reason:?}");
        let below = Reply { declined: false, ..declined(0.41) };
        let (outcome, reason) = judge(&sofa(), &below, Some(0.63));
        assert!(outcome.refused, "below the threshold counts as declined");
        assert!(matches!(reason, Some(MissReason::Declined { despite_confidence: false, .. })), "{reason:?}");
    }
}
