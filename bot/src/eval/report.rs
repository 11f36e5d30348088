//! What `eval` reports: what answered, the measures for each half, overall and for each type
//! of question, the threshold the development half calibrates to, and every miss with its reason.

use serde::Serialize;

use super::answerer::Answerer;
use super::half::Half;
use crate::answer::QuestionType;

/// The measured quality of answers on a golden set.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    /// What answered: `extractive` (with its threshold) or `model` (with its name and endpoint).
    #[serde(flatten)]
    pub answerer: Answerer,
    /// The development half, on which the threshold is calibrated.
    pub dev: Measures,
    /// The held-out half, never calibrated on.
    pub held_out: Measures,
    /// Both halves.
    pub overall: Measures,
    /// The measures for each type of question that has any, in the order of
    /// [`QuestionType::ALL`].
    pub by_type: Vec<TypeMeasures>,
    /// Median time to answer, in milliseconds.
    pub latency_p50_ms: f64,
    /// 95th percentile time to answer, in milliseconds.
    pub latency_p95_ms: f64,
    /// The threshold that best separates answerable from unanswerable questions on the
    /// development half; only the extractive answerer has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calibration: Option<Calibration>,
    /// Questions that were not answered as expected, in the order of the golden set.
    pub misses: Vec<Miss>,
}

/// The measures over some of the questions. A share of none is `None`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Measures {
    /// Questions asked.
    pub questions: usize,
    /// Questions the answerer failed on (the model could not be reached or read): each counts
    /// as neither found, nor stated, nor refused.
    pub failed: usize,
    /// Questions the content can answer.
    pub answerable: usize,
    /// Questions it cannot.
    pub unanswerable: usize,
    /// Unanswerable questions that share words with a page (near misses).
    pub near_misses: usize,
    /// Share of answerable questions whose page is the first page found.
    pub hit_at_1: Option<f64>,
    /// Share of answerable questions whose page is among the first three found.
    pub hit_at_3: Option<f64>,
    /// Mean reciprocal rank of the answering page among the first ten pages found.
    pub mrr: Option<f64>,
    /// Share of answerable questions answered (not refused) with the expected fact.
    pub fact_rate: Option<f64>,
    /// Share of unanswerable questions met with "I don't know" and an offer of a person.
    pub correct_refusal_rate: Option<f64>,
    /// Share of near misses met with "I don't know".
    pub near_miss_refusal_rate: Option<f64>,
    /// Share of answerable questions wrongly refused.
    pub false_refusal_rate: Option<f64>,
}

/// The measures for one type of question.
#[derive(Debug, Clone, Serialize)]
pub struct TypeMeasures {
    /// The type.
    #[serde(rename = "type")]
    pub question_type: QuestionType,
    /// On the development half.
    pub dev: Measures,
    /// On the held-out half.
    pub held_out: Measures,
    /// On both.
    pub overall: Measures,
}

/// The best confidence threshold, chosen on the development half only.
#[derive(Debug, Clone, Serialize)]
pub struct Calibration {
    /// The threshold in use.
    pub current_threshold: f32,
    /// The half the threshold is chosen on: always the development half.
    pub calibrated_on: Half,
    /// The middle of the widest run of thresholds with the best balanced accuracy (the mean of
    /// the share of answerable questions answered and of unanswerable ones refused).
    pub best_threshold: f32,
    /// That balanced accuracy, on the development half.
    pub best_balanced_accuracy: f64,
    /// The balanced accuracy at the same threshold on the held-out half.
    pub held_out_balanced_accuracy: f64,
}

/// A question whose answer fell short.
#[derive(Debug, Clone, Serialize)]
pub struct Miss {
    /// The question.
    pub ask: String,
    /// The half it is in.
    pub half: Half,
    /// The kind of answer it asks for.
    #[serde(rename = "type")]
    pub question_type: QuestionType,
    /// Why it is a miss.
    pub reason: MissReason,
    /// The answer given ("I don't know" included; empty when the answerer failed).
    pub answer: String,
    /// The confidence of the answer, for an answerer that gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f32>,
}

/// Why a question is a miss.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MissReason {
    /// Another page came before the one that answers it.
    WrongPageFirst {
        /// The page that came first, if any page was found.
        first_page: Option<String>,
        /// Where the answering page came (1 = first), if among the first ten.
        expected_rank: Option<usize>,
        /// Whether the answer stated the fact all the same.
        fact_found: bool,
    },
    /// The page that answers it came first, but the answer lacks the fact.
    FactAbsent {
        /// The fact it lacks.
        fact: String,
    },
    /// It answered a question it should have declined.
    AnsweredUnanswerable {
        /// Whether the question is a near miss.
        near_miss: bool,
        /// The page the answer was taken from.
        answered_from: Option<String>,
    },
    /// It declined a question the content answers.
    Declined {
        /// Where the answering page came (1 = first), if among the first ten.
        expected_rank: Option<usize>,
        /// Whether it declined though its confidence reached the threshold, on other evidence:
        /// for the extractive answerer, that the facts it would answer with are another case's
        /// (table rows that do not name what was asked, other amounts than the question's, or
        /// other letters of a series than the one it names).
        despite_confidence: bool,
    },
    /// It gave no answer at all: the model could not be reached, or its reply could not be read.
    Failed {
        /// What went wrong.
        error: String,
    },
}

impl MissReason {
    /// A few words for the reason, for reports read by people.
    pub fn label(&self) -> &'static str {
        match self {
            MissReason::WrongPageFirst { .. } => "wrong page first",
            MissReason::FactAbsent { .. } => "right page, fact absent",
            MissReason::AnsweredUnanswerable { .. } => "answered a question it should have declined",
            MissReason::Declined { .. } => "declined an answerable question",
            MissReason::Failed { .. } => "failed to answer",
        }
    }
}

/// How one question was answered.
#[derive(Debug, Clone)]
pub(super) struct Outcome {
    pub half: Half,
    pub question_type: QuestionType,
    pub answerable: bool,
    pub near_miss: bool,
    /// Where the answering page came among the pages found (1 = first).
    pub rank: Option<usize>,
    pub refused: bool,
    pub fact_found: bool,
    /// Whether the answerer failed to answer at all.
    pub failed: bool,
    pub confidence: Option<f32>,
    /// Whether the reply was declined on other evidence than its confidence, as it would be at
    /// any threshold.
    pub declined_at_any_threshold: bool,
}

impl Measures {
    /// The measures over some outcomes.
    pub(super) fn of<'a>(outcomes: impl IntoIterator<Item = &'a Outcome>) -> Measures {
        let mut measures = Measures::default();
        let (mut hits_1, mut hits_3, mut reciprocal, mut facts) = (0, 0, 0.0, 0);
        let (mut refusals, mut near_refusals, mut false_refusals) = (0, 0, 0);
        for outcome in outcomes {
            measures.questions += 1;
            measures.failed += usize::from(outcome.failed);
            if !outcome.answerable {
                measures.unanswerable += 1;
                measures.near_misses += usize::from(outcome.near_miss);
                refusals += usize::from(outcome.refused);
                near_refusals += usize::from(outcome.refused && outcome.near_miss);
                continue;
            }
            measures.answerable += 1;
            if let Some(rank) = outcome.rank {
                reciprocal += 1.0 / rank as f64;
                hits_1 += usize::from(rank == 1);
                hits_3 += usize::from(rank <= 3);
            }
            false_refusals += usize::from(outcome.refused);
            facts += usize::from(!outcome.refused && outcome.fact_found);
        }
        let share = |count: usize, of: usize| (of > 0).then(|| count as f64 / of as f64);
        Measures {
            hit_at_1: share(hits_1, measures.answerable),
            hit_at_3: share(hits_3, measures.answerable),
            mrr: (measures.answerable > 0).then(|| reciprocal / measures.answerable as f64),
            fact_rate: share(facts, measures.answerable),
            correct_refusal_rate: share(refusals, measures.unanswerable),
            near_miss_refusal_rate: share(near_refusals, measures.near_misses),
            false_refusal_rate: share(false_refusals, measures.answerable),
            ..measures
        }
    }
}

/// The measures for each type of question that has any.
pub(super) fn by_type(outcomes: &[Outcome]) -> Vec<TypeMeasures> {
    QuestionType::ALL
        .iter()
        .filter(|kind| outcomes.iter().any(|outcome| outcome.question_type == **kind))
        .map(|kind| {
            let of =
                |half: Option<Half>| {
                    Measures::of(outcomes.iter().filter(|outcome| {
                        outcome.question_type == *kind && half.is_none_or(|half| outcome.half == half)
                    }))
                };
            TypeMeasures {
                question_type: *kind,
                dev: of(Some(Half::Dev)),
                held_out: of(Some(Half::HeldOut)),
                overall: of(None),
            }
        })
        .collect()
}

/// The threshold in the middle of the widest best run of thresholds (in steps of 0.01) by
/// balanced accuracy on the development half, and how that threshold does on the held-out half.
pub(super) fn calibrate(outcomes: &[Outcome], current: f32) -> Calibration {
    let dev: Vec<(f32, bool)> = confidences(outcomes, Half::Dev);
    let held_out: Vec<(f32, bool)> = confidences(outcomes, Half::HeldOut);
    let steps: Vec<(f32, f64)> =
        (0..=100).map(|step| step as f32 / 100.0).map(|t| (t, balanced_accuracy(&dev, t))).collect();
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
    let best_threshold = (((steps[first].0 + steps[last].0) / 2.0) * 100.0).round() / 100.0;
    Calibration {
        current_threshold: current,
        calibrated_on: Half::Dev,
        best_threshold,
        best_balanced_accuracy: best,
        held_out_balanced_accuracy: balanced_accuracy(&held_out, best_threshold),
    }
}

/// Each question's confidence in one half, with whether the content answers it.
fn confidences(outcomes: &[Outcome], half: Half) -> Vec<(f32, bool)> {
    outcomes
        .iter()
        .filter(|outcome| outcome.half == half)
        .filter_map(|outcome| {
            let confidence = if outcome.declined_at_any_threshold { 0.0 } else { outcome.confidence? };
            Some((confidence, outcome.answerable))
        })
        .collect()
}

/// The mean of the share of answerable questions answered and unanswerable ones refused, when
/// everything under `threshold` is refused.
fn balanced_accuracy(confidences: &[(f32, bool)], threshold: f32) -> f64 {
    let answerable = confidences.iter().filter(|(_, answerable)| *answerable).count().max(1) as f64;
    let unanswerable = confidences.iter().filter(|(_, answerable)| !*answerable).count().max(1) as f64;
    let answered =
        confidences.iter().filter(|(confidence, answerable)| *answerable && *confidence >= threshold).count();
    let refused = confidences.iter().filter(|(confidence, answerable)| !*answerable && *confidence < threshold).count();
    (answered as f64 / answerable + refused as f64 / unanswerable) / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(half: Half, answerable: bool, confidence: f32) -> Outcome {
        Outcome {
            half,
            question_type: QuestionType::Other,
            answerable,
            near_miss: false,
            rank: answerable.then_some(1),
            refused: false,
            fact_found: true,
            failed: false,
            confidence: Some(confidence),
            declined_at_any_threshold: false,
        }
    }

    #[test]
    fn the_threshold_is_chosen_on_the_development_half_alone() {
        // On the development half anything from 0.31 to 0.61 separates the two kinds; the
        // held-out half would pull the threshold elsewhere if it were looked at.
        let outcomes = [
            outcome(Half::Dev, true, 0.61),
            outcome(Half::Dev, true, 0.9),
            outcome(Half::Dev, false, 0.3),
            outcome(Half::Dev, false, 0.1),
            outcome(Half::HeldOut, true, 0.2),
            outcome(Half::HeldOut, false, 0.95),
        ];
        let calibration = calibrate(&outcomes, 0.37);
        assert_eq!(calibration.calibrated_on, Half::Dev);
        assert!((calibration.best_threshold - 0.46).abs() < 0.011, "{calibration:?}");
        assert_eq!(calibration.best_balanced_accuracy, 1.0);
        assert_eq!(calibration.held_out_balanced_accuracy, 0.0);
    }

    #[test]
    fn a_question_declined_whatever_its_confidence_counts_as_refused_at_every_threshold() {
        // A near miss declined on other evidence (its table rows name another case) at
        // confidence 0.9 is refused at any threshold, so it cannot pull the threshold up past it.
        let declined = Outcome { declined_at_any_threshold: true, ..outcome(Half::Dev, false, 0.9) };
        let outcomes =
            [outcome(Half::Dev, true, 0.7), outcome(Half::Dev, true, 0.95), outcome(Half::Dev, false, 0.2), declined];
        let calibration = calibrate(&outcomes, 0.5);
        assert_eq!(calibration.best_balanced_accuracy, 1.0, "{calibration:?}");
        assert!((calibration.best_threshold - 0.45).abs() < 0.011, "{calibration:?}");
    }

    #[test]
    fn a_share_of_no_questions_is_absent_rather_than_zero() {
        let measures = Measures::of(&[outcome(Half::Dev, true, 0.9)]);
        assert_eq!(measures.hit_at_1, Some(1.0));
        assert_eq!(measures.correct_refusal_rate, None);
        assert_eq!(measures.near_miss_refusal_rate, None);
    }
}
