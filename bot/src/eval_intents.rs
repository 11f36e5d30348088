//! How well requests for services are recognised without a language model, on a labelled set of
//! messages, and the threshold that balances recognising requests against leaving other
//! messages (questions, small talk) alone: chosen on the development half, measured on both.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::conversation::{Audience, Heard, Hearing, RequestThresholds, Services};
use crate::error::{Error, Result};
use crate::eval::{Half, located};

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

/// The most of other messages (questions, small talk) that may start a form without asking: the
/// start threshold is the lowest at which the development half stays within it.
pub const MOST_FALSE_STARTS: f32 = 0.02;

/// Recognition measured on a labelled set at the thresholds in use, for each half, with the
/// thresholds the development half calibrates to.
#[derive(Debug, Clone, Serialize)]
pub struct IntentEvaluation {
    /// The recognition threshold in use.
    pub threshold: f32,
    /// The start threshold in use.
    pub start_threshold: f32,
    /// The development half, on which the thresholds are calibrated.
    pub dev: IntentReport,
    /// The held-out half, never calibrated on.
    pub held_out: IntentReport,
    /// Both halves.
    pub overall: IntentReport,
    /// The best thresholds on the development half.
    pub calibration: Calibration,
    /// The messages handled wrongly, or asked about first, at the thresholds in use, in the
    /// order of the set.
    pub mistakes: Vec<Mistake>,
}

/// The results over some messages at one pair of thresholds.
#[derive(Debug, Clone, Serialize)]
pub struct IntentReport {
    /// The recognition threshold.
    pub threshold: f32,
    /// The start threshold.
    pub start_threshold: f32,
    /// Requests for a service.
    pub requests: usize,
    /// Other messages.
    pub others: usize,
    /// Other messages about a service that must be answered rather than started.
    pub near_misses: usize,
    /// Share of requests that started the right service without asking (recall).
    pub recognised: f32,
    /// Share of requests for which the bot asked whether the right service was wanted.
    pub asked_first: f32,
    /// Share of requests that started, or were asked about, the right service.
    pub recognised_or_asked: f32,
    /// Share of requests that started, or were asked about, a different service.
    pub wrong_service: f32,
    /// Share of other messages that started a service.
    pub false_starts: f32,
    /// Share of other messages for which the bot asked whether a service was wanted.
    pub others_asked: f32,
    /// Share of near misses that started a service.
    pub near_miss_false_starts: f32,
    /// The mean of the share of requests recognised or asked about and the share of others
    /// neither started nor asked about.
    pub balanced_accuracy: f32,
    /// Like the balanced accuracy, but leaving others alone counts double: starting a request
    /// nobody asked for costs a resident more than answering first and offering the service.
    pub weighted_accuracy: f32,
}

/// The thresholds the development half calibrates to.
#[derive(Debug, Clone, Serialize)]
pub struct Calibration {
    /// The half the thresholds are chosen on: always the development half.
    pub calibrated_on: Half,
    /// The lowest recognition threshold with the best weighted accuracy.
    pub from: f32,
    /// The highest of them.
    pub to: f32,
    /// Their middle, the recommended recognition threshold.
    pub recommended: f32,
    /// The weighted accuracy there, on the development half.
    pub weighted_accuracy: f32,
    /// The weighted accuracy at the recommended threshold on the held-out half.
    pub held_out_weighted_accuracy: f32,
    /// The recommended start threshold: the lowest, from the recommended recognition threshold
    /// up, at which at most `MOST_FALSE_STARTS` of other messages in the development half start
    /// a form.
    pub start_recommended: f32,
    /// The false starts on the held-out half at the recommended thresholds.
    pub held_out_false_starts: f32,
}

/// A message handled wrongly, or asked about first.
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
    /// The workflow the bot asked whether it wanted, if any.
    pub asked: Option<String>,
    /// The best score any workflow had.
    pub score: f32,
    /// The request made elsewhere it was taken for, if that is why nothing started.
    pub elsewhere: Option<String>,
}

/// A labelled message as the engine hears it, worked out once for every threshold.
struct Reading<'a> {
    message: &'a LabelledMessage,
    hearing: Hearing,
}

impl Reading<'_> {
    fn heard(&self, thresholds: RequestThresholds) -> Heard {
        self.hearing.decide(thresholds)
    }
}

/// Evaluates a labelled set at the thresholds in use and calibrates on its development half.
pub fn evaluate(services: &Services, set: &LabelledMessages, thresholds: RequestThresholds) -> IntentEvaluation {
    let readings: Vec<Reading<'_>> = set
        .messages
        .iter()
        .map(|message| {
            let audience = if message.staff { Audience::Staff } else { Audience::Resident };
            Reading { message, hearing: Hearing::of(services, &message.text, audience) }
        })
        .collect();
    let in_half = |half: Half| readings.iter().filter(move |reading| reading.message.half() == half);
    let dev: Vec<&Reading<'_>> = in_half(Half::Dev).collect();
    let held_out: Vec<&Reading<'_>> = in_half(Half::HeldOut).collect();
    let calibration = calibrate(&dev, &held_out);
    let mistakes = readings
        .iter()
        .filter_map(|reading| {
            let heard = reading.heard(thresholds);
            let expected = reading.message.workflow.as_str();
            let right = match heard.started() {
                Some(started) => started == expected,
                None => heard.asked().is_none() && !reading.message.is_request(),
            };
            (!right).then(|| Mistake {
                text: reading.message.text.clone(),
                half: reading.message.half(),
                expected: expected.to_string(),
                started: heard.started().map(str::to_string),
                asked: heard.asked().map(str::to_string),
                score: reading.hearing.best().map_or(0.0, |best| best.score),
                elsewhere: reading.hearing.elsewhere().map(str::to_string),
            })
        })
        .collect();
    IntentEvaluation {
        threshold: thresholds.recognise,
        start_threshold: thresholds.start,
        dev: report(&dev, thresholds),
        held_out: report(&held_out, thresholds),
        overall: report(&readings.iter().collect::<Vec<_>>(), thresholds),
        calibration,
        mistakes,
    }
}

/// The results over some messages at one pair of thresholds.
fn report(readings: &[&Reading<'_>], thresholds: RequestThresholds) -> IntentReport {
    let (mut requests, mut others, mut near_misses) = (0, 0, 0);
    let (mut recognised, mut asked_first, mut wrong) = (0, 0, 0);
    let (mut false_starts, mut others_asked, mut near_starts) = (0, 0, 0);
    for reading in readings {
        let heard = reading.heard(thresholds);
        if reading.message.is_request() {
            requests += 1;
            let expected = Some(reading.message.workflow.as_str());
            if heard.started() == expected {
                recognised += 1;
            } else if heard.asked() == expected {
                asked_first += 1;
            } else if heard.started().or(heard.asked()).is_some() {
                wrong += 1;
            }
        } else {
            others += 1;
            let near = reading.message.near.is_some();
            near_misses += usize::from(near);
            false_starts += usize::from(heard.started().is_some());
            others_asked += usize::from(heard.asked().is_some());
            near_starts += usize::from(heard.started().is_some() && near);
        }
    }
    let share = |part: usize, whole: usize| if whole == 0 { 0.0 } else { part as f32 / whole as f32 };
    let recall = share(recognised + asked_first, requests);
    let specificity = 1.0 - share(false_starts + others_asked, others);
    IntentReport {
        threshold: thresholds.recognise,
        start_threshold: thresholds.start,
        requests,
        others,
        near_misses,
        recognised: share(recognised, requests),
        asked_first: share(asked_first, requests),
        recognised_or_asked: recall,
        wrong_service: share(wrong, requests),
        false_starts: share(false_starts, others),
        others_asked: share(others_asked, others),
        near_miss_false_starts: share(near_starts, near_misses),
        balanced_accuracy: (recall + specificity) / 2.0,
        weighted_accuracy: (recall + 2.0 * specificity) / 3.0,
    }
}

/// The recognition thresholds (0.05 to 0.90, by 0.01) with the best weighted accuracy on the
/// development half, the start threshold that keeps its false starts within
/// `MOST_FALSE_STARTS`, and how they do on the held-out half.
fn calibrate(dev: &[&Reading<'_>], held_out: &[&Reading<'_>]) -> Calibration {
    let hundredths = |from: f32| (((from * 100.0).round() as u32)..=90).map(|step| step as f32 / 100.0);
    let at = |recognise: f32, start: f32| RequestThresholds { recognise, start };
    let reports: Vec<IntentReport> = hundredths(0.05).map(|threshold| report(dev, at(threshold, threshold))).collect();
    let best = reports.iter().map(|report| report.weighted_accuracy).fold(0.0_f32, f32::max);
    let at_best: Vec<f32> = reports
        .iter()
        .filter(|report| (report.weighted_accuracy - best).abs() < 1e-6)
        .map(|report| report.threshold)
        .collect();
    let (from, to) = (at_best.first().copied().unwrap_or(0.5), at_best.last().copied().unwrap_or(0.5));
    let recommended = ((from + to) / 2.0 * 100.0).round() / 100.0;
    let start_recommended = hundredths(recommended)
        .find(|start| report(dev, at(recommended, *start)).false_starts <= MOST_FALSE_STARTS)
        .unwrap_or(0.9);
    let held_out_at_recommended = report(held_out, at(recommended, start_recommended));
    Calibration {
        calibrated_on: Half::Dev,
        from,
        to,
        recommended,
        weighted_accuracy: best,
        held_out_weighted_accuracy: held_out_at_recommended.weighted_accuracy,
        start_recommended,
        held_out_false_starts: held_out_at_recommended.false_starts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::language::intents::IntentScore;

    fn reading(message: &LabelledMessage, score: f32) -> Reading<'_> {
        let best =
            IntentScore { intent: "missed".into(), workflow: "report_missed_bin".into(), score, page_only: false };
        Reading { message, hearing: Hearing::scored(best, false) }
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
    fn the_thresholds_are_chosen_on_the_development_half_alone() {
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
        assert_eq!(calibration.held_out_false_starts, 1.0);
    }

    #[test]
    fn the_start_threshold_is_the_lowest_that_keeps_other_messages_from_starting_forms() {
        // Other messages score up to 0.4 and requests from 0.3: asking first between 0.3 and
        // 0.4 keeps the others from starting anything.
        let messages: Vec<LabelledMessage> = (0..10)
            .map(|_| message(NONE, Half::Dev))
            .chain((0..10).map(|_| message("report_missed_bin", Half::Dev)))
            .collect();
        let scores = [0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.4]
            .into_iter()
            .chain([0.3, 0.35, 0.38, 0.6, 0.6, 0.7, 0.7, 0.8, 0.8, 0.9]);
        let dev: Vec<Reading<'_>> =
            messages.iter().zip(scores).map(|(message, score)| reading(message, score)).collect();
        let dev: Vec<&Reading<'_>> = dev.iter().collect();
        let calibration = calibrate(&dev, &[]);
        assert_eq!(calibration.recommended, 0.18, "from 0.05 to 0.30 all requests are recognised or asked about");
        assert_eq!(calibration.start_recommended, 0.41);
        let at = report(&dev, RequestThresholds { recognise: 0.18, start: 0.41 });
        assert_eq!((at.recognised, at.asked_first, at.false_starts, at.others_asked), (0.7, 0.3, 0.0, 0.1));
    }
}
