//! Measures answer quality on a golden set of questions with known sources and facts.

use std::path::Path;
use std::time::Instant;

use knowledge_base::{Audience, KnowledgeBase};
use serde::{Deserialize, Serialize};

use crate::answer::{AnswerSettings, ExtractiveAnswerer};
use crate::error::{Error, Result};

/// How many distinct pages count when looking for the expected one.
const RANKS_CONSIDERED: usize = 10;

/// A golden set: questions with what a right answer must show.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoldenSet {
    /// The questions.
    pub questions: Vec<GoldenQuestion>,
}

/// One question of a golden set.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoldenQuestion {
    /// The question, as a resident or staff member would write it.
    pub ask: String,
    /// The URL (or the end of the source path) of the page that answers it.
    #[serde(default)]
    pub source: Option<String>,
    /// Text the answer must contain (case and spacing ignored).
    #[serde(default)]
    pub fact: Option<String>,
    /// Who asks: `public` (a resident, the default) or `staff`.
    #[serde(default)]
    pub audience: Audience,
    /// Whether the content cannot answer it, so the right answer is to offer a person.
    #[serde(default)]
    pub unanswerable: bool,
}

impl GoldenSet {
    /// Reads and checks a golden set file.
    pub fn load(path: &Path) -> Result<GoldenSet> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
        let invalid = |message: String| Error::GoldenSet { path: path.to_path_buf(), message };
        let set: GoldenSet = serde_saphyr::from_str(&text).map_err(|error| invalid(error.to_string()))?;
        for (index, question) in set.questions.iter().enumerate() {
            let place = format!("question {} ({:?})", index + 1, question.ask);
            if question.ask.trim().is_empty() {
                return Err(invalid(format!("{place}: `ask` is empty")));
            }
            match (question.unanswerable, &question.source, &question.fact) {
                (true, None, None) | (false, Some(_), Some(_)) => {}
                (true, _, _) => {
                    return Err(invalid(format!("{place}: an unanswerable question has no `source` or `fact`")));
                }
                (false, None, _) => return Err(invalid(format!("{place}: `source` is missing"))),
                (false, _, None) => return Err(invalid(format!("{place}: `fact` is missing"))),
            }
        }
        if set.questions.is_empty() {
            return Err(invalid("no questions".to_string()));
        }
        Ok(set)
    }
}

/// The measured quality of answers on a golden set.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    /// Questions asked.
    pub questions: usize,
    /// Questions the content can answer.
    pub answerable: usize,
    /// Questions it cannot.
    pub unanswerable: usize,
    /// Share of answerable questions whose expected page is the first page found.
    pub hit_at_1: f64,
    /// Share of answerable questions whose expected page is among the first three found.
    pub hit_at_3: f64,
    /// Mean reciprocal rank of the expected page among the first ten pages found.
    pub mrr: f64,
    /// Share of answerable questions answered (not refused) with the expected fact in the answer.
    pub fact_rate: f64,
    /// Share of unanswerable questions where the bot said it did not know.
    pub correct_refusal_rate: f64,
    /// Share of answerable questions where the bot wrongly said it did not know.
    pub false_refusal_rate: f64,
    /// Median time to answer, in milliseconds.
    pub latency_p50_ms: f64,
    /// 95th percentile time to answer, in milliseconds.
    pub latency_p95_ms: f64,
    /// The threshold that best separates answerable from unanswerable questions.
    pub calibration: Calibration,
    /// Questions that were not answered as expected.
    pub misses: Vec<Miss>,
}

/// The best confidence threshold on this golden set.
#[derive(Debug, Clone, Serialize)]
pub struct Calibration {
    /// The threshold in use.
    pub current_threshold: f32,
    /// The middle of the range of thresholds with the best balanced accuracy.
    pub best_threshold: f32,
    /// Balanced accuracy (mean of answered-rate and refused-rate) at the best threshold.
    pub best_balanced_accuracy: f64,
}

/// A question whose answer fell short.
#[derive(Debug, Clone, Serialize)]
pub struct Miss {
    /// The question.
    pub ask: String,
    /// What went wrong.
    pub problem: String,
    /// The answer given.
    pub answer: String,
    /// The rank of the expected page (1 = first), if found.
    pub rank: Option<usize>,
    /// The confidence of the answer.
    pub confidence: f32,
}

/// Runs every question of a golden set and measures the answers.
pub fn evaluate(knowledge_base: &KnowledgeBase, set: &GoldenSet, settings: &AnswerSettings) -> Result<EvalReport> {
    // Everything is scored at threshold zero so calibration sees every confidence; refusals are
    // then decided with the configured threshold.
    let answerer = ExtractiveAnswerer::new(knowledge_base, AnswerSettings { min_confidence: 0.0, ..settings.clone() });
    let mut latencies = Vec::new();
    let (mut hits_1, mut hits_3, mut reciprocal, mut facts, mut refusals, mut false_refusals) = (0, 0, 0.0, 0, 0, 0);
    let mut confidences: Vec<(f32, bool)> = Vec::new();
    let mut misses = Vec::new();
    for question in &set.questions {
        let started = Instant::now();
        let (answer, hits) = answerer.answer_with_hits(&question.ask, question.audience)?;
        latencies.push(started.elapsed().as_secs_f64() * 1000.0);
        let refused = answer.handoff || answer.confidence < settings.min_confidence;
        confidences.push((answer.confidence, !question.unanswerable));
        let miss = |problem: &str, rank: Option<usize>| Miss {
            ask: question.ask.clone(),
            problem: problem.to_string(),
            answer: answer.answer.clone(),
            rank,
            confidence: answer.confidence,
        };
        if question.unanswerable {
            if refused {
                refusals += 1;
            } else {
                misses.push(miss("answered a question the content cannot answer", None));
            }
            continue;
        }
        let source = question.source.as_deref().unwrap_or_default();
        let mut pages: Vec<(&str, &str)> = Vec::new();
        for hit in &hits {
            if !pages.iter().any(|(document, _)| *document == hit.document) {
                pages.push((&hit.document, &hit.url));
            }
        }
        let rank = pages
            .iter()
            .take(RANKS_CONSIDERED)
            .position(|(document, url)| same_page(url, source) || document.ends_with(source))
            .map(|index| index + 1);
        if let Some(rank) = rank {
            reciprocal += 1.0 / rank as f64;
            hits_1 += usize::from(rank == 1);
            hits_3 += usize::from(rank <= 3);
        }
        let fact = question.fact.as_deref().unwrap_or_default();
        if refused {
            false_refusals += 1;
            misses.push(miss("refused a question the content answers", rank));
        } else if contains_fact(&answer.answer, fact) {
            facts += 1;
        } else {
            misses.push(miss(&format!("answer lacks the fact {fact:?}"), rank));
        }
    }
    let answerable = set.questions.iter().filter(|question| !question.unanswerable).count();
    let unanswerable = set.questions.len() - answerable;
    let share = |count: usize, of: usize| {
        if of == 0 { 0.0 } else { count as f64 / of as f64 }
    };
    latencies.sort_by(f64::total_cmp);
    Ok(EvalReport {
        questions: set.questions.len(),
        answerable,
        unanswerable,
        hit_at_1: share(hits_1, answerable),
        hit_at_3: share(hits_3, answerable),
        mrr: if answerable == 0 { 0.0 } else { reciprocal / answerable as f64 },
        fact_rate: share(facts, answerable),
        correct_refusal_rate: share(refusals, unanswerable),
        false_refusal_rate: share(false_refusals, answerable),
        latency_p50_ms: percentile(&latencies, 0.50),
        latency_p95_ms: percentile(&latencies, 0.95),
        calibration: calibrate(&confidences, settings.min_confidence),
        misses,
    })
}

/// The threshold in the middle of the widest best run of thresholds (in steps of 0.01) by
/// balanced accuracy of answering answerable questions and refusing the rest.
fn calibrate(confidences: &[(f32, bool)], current: f32) -> Calibration {
    let answerable = confidences.iter().filter(|(_, answerable)| *answerable).count().max(1) as f64;
    let unanswerable = confidences.iter().filter(|(_, answerable)| !*answerable).count().max(1) as f64;
    let accuracy_at = |threshold: f32| {
        let answered =
            confidences.iter().filter(|(confidence, answerable)| *answerable && *confidence >= threshold).count();
        let refused =
            confidences.iter().filter(|(confidence, answerable)| !*answerable && *confidence < threshold).count();
        (answered as f64 / answerable + refused as f64 / unanswerable) / 2.0
    };
    let steps: Vec<(f32, f64)> = (0..=100).map(|step| step as f32 / 100.0).map(|t| (t, accuracy_at(t))).collect();
    let best = steps.iter().map(|(_, accuracy)| *accuracy).fold(0.0, f64::max);
    // The longest run of consecutive best thresholds; its middle is the most robust choice.
    let mut longest: Option<(usize, usize)> = None;
    let mut run_start: Option<usize> = None;
    for (index, (_, accuracy)) in steps.iter().enumerate() {
        if (*accuracy - best).abs() > 1e-9 {
            run_start = None;
            continue;
        }
        let start = *run_start.get_or_insert(index);
        if longest.is_none_or(|(first, last)| index - start > last - first) {
            longest = Some((start, index));
        }
    }
    let (first, last) = longest.unwrap_or((0, 0));
    let middle = (steps[first].0 + steps[last].0) / 2.0;
    Calibration {
        current_threshold: current,
        best_threshold: (middle * 100.0).round() / 100.0,
        best_balanced_accuracy: best,
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
