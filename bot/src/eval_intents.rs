//! How well requests for services are recognised without a language model, on a labelled set of
//! messages, and the threshold that balances recognising requests against leaving other
//! messages (questions, small talk) alone: chosen on the development half, measured on both.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::conversation::Services;
use crate::error::{Error, Result};
use crate::eval::{Half, located};
use crate::language::signals::is_question;

/// The label of a message that should not start a service request.
pub const NONE: &str = "none";

/// A labelled set of messages.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelledMessages {
    /// The messages.
    pub messages: Vec<LabelledMessage>,
}

/// A message and what the bot should do with it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelledMessage {
    /// The message, as people write it.
    pub text: String,
    /// The workflow it should start gathering, or `none`.
    pub workflow: String,
    /// Whether a member of staff sends it (staff-only services count).
    #[serde(default)]
    pub staff: bool,
    /// For a near miss, a message about a service that must be answered rather than started
    /// ("how much is a bulky collection"): the workflow it is about.
    #[serde(default)]
    pub near: Option<String>,
    /// The half it is in; without it, a stable hash of the text decides.
    #[serde(default)]
    pub half: Option<Half>,
}

impl LabelledMessage {
    /// The half it is in, given or worked out from the text.
    pub fn half(&self) -> Half {
        self.half.unwrap_or_else(|| Half::of_text(&self.text))
    }

    /// Whether it asks for a service to be started.
    pub fn is_request(&self) -> bool {
        self.workflow != NONE
    }
}

/// Reads and checks a labelled set against the workflows that can be started.
pub fn load_labelled(path: &Path, workflows: &[&str]) -> Result<LabelledMessages> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    let invalid = |message: String| Error::GoldenSet { path: path.to_path_buf(), message };
    let set: LabelledMessages =
        serde_saphyr::from_str(&text).map_err(|error| invalid(located(&text, &error, "message", "text")))?;
    for (index, message) in set.messages.iter().enumerate() {
        let place = format!("message {} ({:?})", index + 1, message.text);
        if message.text.trim().is_empty() {
            return Err(invalid(format!("{place}: `text` is empty")));
        }
        for named in std::iter::once(&message.workflow).chain(&message.near) {
            if named != NONE && !workflows.contains(&named.as_str()) {
                return Err(invalid(format!(
                    "{place}: there is no workflow {named:?} (known: {})",
                    workflows.join(", ")
                )));
            }
        }
        if message.near.is_some() && message.is_request() {
            return Err(invalid(format!(
                "{place}: `near` marks a message about a service that starts nothing: its `workflow` is `none`"
            )));
        }
    }
    if set.messages.is_empty() {
        return Err(invalid("no messages".to_string()));
    }
    Ok(set)
}

/// Recognition measured on a labelled set at the threshold in use, for each half, with the
/// threshold the development half calibrates to.
#[derive(Debug, Clone, Serialize)]
pub struct IntentEvaluation {
    /// The threshold in use.
    pub threshold: f32,
    /// The development half, on which the threshold is calibrated.
    pub dev: IntentReport,
    /// The held-out half, never calibrated on.
    pub held_out: IntentReport,
    /// Both halves.
    pub overall: IntentReport,
    /// The best thresholds on the development half.
    pub calibration: Calibration,
    /// The messages handled wrongly at the threshold in use, in the order of the set.
    pub mistakes: Vec<Mistake>,
}

/// The results over some messages at one threshold.
#[derive(Debug, Clone, Serialize)]
pub struct IntentReport {
    /// The threshold.
    pub threshold: f32,
    /// Requests for a service.
    pub requests: usize,
    /// Other messages.
    pub others: usize,
    /// Other messages about a service that must be answered rather than started.
    pub near_misses: usize,
    /// Share of requests that started the right service (recall).
    pub recognised: f32,
    /// Share of requests that started a different service.
    pub wrong_service: f32,
    /// Share of other messages that started a service.
    pub false_starts: f32,
    /// Share of near misses that started a service.
    pub near_miss_false_starts: f32,
    /// The mean of the share of requests recognised and the share of others left alone.
    pub balanced_accuracy: f32,
    /// Like the balanced accuracy, but leaving others alone counts double: starting a request
    /// nobody asked for costs a resident more than answering first and offering the service.
    pub weighted_accuracy: f32,
}

/// The thresholds with the best weighted accuracy on the development half.
#[derive(Debug, Clone, Serialize)]
pub struct Calibration {
    /// The half the thresholds are chosen on: always the development half.
    pub calibrated_on: Half,
    /// The lowest of them.
    pub from: f32,
    /// The highest of them.
    pub to: f32,
    /// Their middle, the recommended threshold.
    pub recommended: f32,
    /// The weighted accuracy there, on the development half.
    pub weighted_accuracy: f32,
    /// The weighted accuracy at the recommended threshold on the held-out half.
    pub held_out_weighted_accuracy: f32,
}

/// A message handled wrongly.
#[derive(Debug, Clone, Serialize)]
pub struct Mistake {
    /// The message.
    pub text: String,
    /// The half it is in.
    pub half: Half,
    /// The workflow it should have started, or `none`.
    pub expected: String,
    /// The workflow it started, if any.
    pub started: Option<String>,
    /// The best score any workflow had.
    pub score: f32,
    /// The request made elsewhere it was taken for, if that is why nothing started.
    pub elsewhere: Option<String>,
}

/// What the engine makes of a message without a model, worked out once for every threshold: the
/// best workflow and its score, and whether the message is a question (a question about a
/// service is answered, with an offer, not started).
struct Reading<'a> {
    message: &'a LabelledMessage,
    best: Option<(String, f32)>,
    question: bool,
    /// The request made elsewhere it is clearly more like than its best workflow, if any.
    elsewhere: Option<String>,
}

impl Reading<'_> {
    /// The workflow whose form the engine starts at `threshold`, if any.
    fn started(&self, threshold: f32) -> Option<&str> {
        let (workflow, score) = self.best.as_ref()?;
        (*score >= threshold && !self.question && self.elsewhere.is_none()).then_some(workflow.as_str())
    }
}

/// Evaluates a labelled set at the threshold in use and calibrates on its development half.
pub fn evaluate(services: &Services, set: &LabelledMessages, threshold: f32) -> IntentEvaluation {
    let readings: Vec<Reading<'_>> = set
        .messages
        .iter()
        .map(|message| {
            let classifier = services.classifier();
            let best = classifier.best_intent(&message.text, message.staff).map(|best| (best.workflow, best.score));
            let elsewhere = best
                .as_ref()
                .and_then(|(_, score)| classifier.request_elsewhere(&message.text, *score))
                .map(str::to_string);
            Reading { message, best, question: is_question(&message.text), elsewhere }
        })
        .collect();
    let in_half = |half: Half| readings.iter().filter(move |reading| reading.message.half() == half);
    let dev: Vec<&Reading<'_>> = in_half(Half::Dev).collect();
    let held_out: Vec<&Reading<'_>> = in_half(Half::HeldOut).collect();
    let calibration = calibrate(&dev, &held_out);
    let mistakes = readings
        .iter()
        .filter(|reading| reading.started(threshold) != Some(reading.message.workflow.as_str()))
        .filter(|reading| reading.message.is_request() || reading.started(threshold).is_some())
        .map(|reading| Mistake {
            text: reading.message.text.clone(),
            half: reading.message.half(),
            expected: reading.message.workflow.clone(),
            started: reading.started(threshold).map(str::to_string),
            score: reading.best.as_ref().map_or(0.0, |(_, score)| *score),
            elsewhere: reading.elsewhere.clone(),
        })
        .collect();
    IntentEvaluation {
        threshold,
        dev: report(&dev, threshold),
        held_out: report(&held_out, threshold),
        overall: report(&readings.iter().collect::<Vec<_>>(), threshold),
        calibration,
        mistakes,
    }
}

/// The results over some messages at one threshold.
fn report(readings: &[&Reading<'_>], threshold: f32) -> IntentReport {
    let (mut requests, mut others, mut near_misses) = (0, 0, 0);
    let (mut recognised, mut wrong, mut false_starts, mut near_starts) = (0, 0, 0, 0);
    for reading in readings {
        let started = reading.started(threshold);
        if reading.message.is_request() {
            requests += 1;
            match started {
                Some(workflow) if workflow == reading.message.workflow => recognised += 1,
                Some(_) => wrong += 1,
                None => {}
            }
        } else {
            others += 1;
            near_misses += usize::from(reading.message.near.is_some());
            false_starts += usize::from(started.is_some());
            near_starts += usize::from(started.is_some() && reading.message.near.is_some());
        }
    }
    let share = |part: usize, whole: usize| if whole == 0 { 0.0 } else { part as f32 / whole as f32 };
    let recall = share(recognised, requests);
    let specificity = 1.0 - share(false_starts, others);
    IntentReport {
        threshold,
        requests,
        others,
        near_misses,
        recognised: recall,
        wrong_service: share(wrong, requests),
        false_starts: share(false_starts, others),
        near_miss_false_starts: share(near_starts, near_misses),
        balanced_accuracy: (recall + specificity) / 2.0,
        weighted_accuracy: (recall + 2.0 * specificity) / 3.0,
    }
}

/// The range of thresholds (0.10 to 0.90, by 0.01) with the best weighted accuracy on the
/// development half, and how its middle does on the held-out half.
fn calibrate(dev: &[&Reading<'_>], held_out: &[&Reading<'_>]) -> Calibration {
    let reports: Vec<IntentReport> = (10..=90).map(|hundredths| report(dev, hundredths as f32 / 100.0)).collect();
    let best = reports.iter().map(|report| report.weighted_accuracy).fold(0.0_f32, f32::max);
    let at_best: Vec<f32> = reports
        .iter()
        .filter(|report| (report.weighted_accuracy - best).abs() < 1e-6)
        .map(|report| report.threshold)
        .collect();
    let (from, to) = (at_best.first().copied().unwrap_or(0.5), at_best.last().copied().unwrap_or(0.5));
    let recommended = ((from + to) / 2.0 * 100.0).round() / 100.0;
    Calibration {
        calibrated_on: Half::Dev,
        from,
        to,
        recommended,
        weighted_accuracy: best,
        held_out_weighted_accuracy: report(held_out, recommended).weighted_accuracy,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading<'a>(message: &'a LabelledMessage, score: f32) -> Reading<'a> {
        Reading { message, best: Some(("report_missed_bin".to_string(), score)), question: false, elsewhere: None }
    }

    fn message(workflow: &str, half: Half) -> LabelledMessage {
        LabelledMessage {
            text: "x".to_string(),
            workflow: workflow.to_string(),
            staff: false,
            near: None,
            half: Some(half),
        }
    }

    #[test]
    fn the_threshold_is_chosen_on_the_development_half_alone() {
        // On the development half anything from 0.31 to 0.60 separates requests from the rest;
        // the held-out half, scored the other way round, is only measured.
        let (request, other) = (message("report_missed_bin", Half::Dev), message(NONE, Half::Dev));
        let (late_request, late_other) = (message("report_missed_bin", Half::HeldOut), message(NONE, Half::HeldOut));
        let dev = [reading(&request, 0.6), reading(&other, 0.3)];
        let held_out = [reading(&late_request, 0.2), reading(&late_other, 0.9)];
        let calibration = calibrate(&dev.iter().collect::<Vec<_>>(), &held_out.iter().collect::<Vec<_>>());
        assert_eq!((calibration.from, calibration.to), (0.31, 0.6));
        assert_eq!(calibration.weighted_accuracy, 1.0);
        assert_eq!(calibration.held_out_weighted_accuracy, 0.0);
    }

    #[test]
    fn a_question_about_a_service_is_never_started() {
        let asked = message(NONE, Half::Dev);
        let question = Reading {
            message: &asked,
            best: Some(("book_bulky_waste".to_string(), 0.9)),
            question: true,
            elsewhere: None,
        };
        assert_eq!(question.started(0.2), None);
    }
}
