//! How well requests for services are recognised without a language model, on a labelled set of
//! messages, and the threshold that balances recognising requests against leaving other
//! messages (questions, small talk) alone.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::conversation::Services;
use crate::error::{Error, Result};
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
}

/// Reads a labelled set.
pub fn load_labelled(path: &Path) -> Result<LabelledMessages> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    serde_saphyr::from_str(&text)
        .map_err(|error| Error::GoldenSet { path: path.to_path_buf(), message: error.to_string() })
}

/// The results at one threshold.
#[derive(Debug, Clone, Serialize)]
pub struct IntentReport {
    /// The threshold.
    pub threshold: f32,
    /// Requests for a service.
    pub requests: usize,
    /// Other messages.
    pub others: usize,
    /// Share of requests that started the right service.
    pub recognised: f32,
    /// Share of requests that started a different service.
    pub wrong_service: f32,
    /// Share of other messages that started a service.
    pub false_starts: f32,
    /// The mean of the share of requests recognised and the share of others left alone.
    pub balanced_accuracy: f32,
    /// Like the balanced accuracy, but leaving others alone counts double: starting a request
    /// nobody asked for costs a resident more than answering first and offering the service.
    pub weighted_accuracy: f32,
    /// The messages handled wrongly, with what was done.
    pub mistakes: Vec<String>,
}

/// The thresholds with the best weighted accuracy.
#[derive(Debug, Clone, Serialize)]
pub struct Calibration {
    /// The lowest of them.
    pub from: f32,
    /// The highest of them.
    pub to: f32,
    /// Their middle, the recommended threshold.
    pub recommended: f32,
    /// The weighted accuracy there.
    pub weighted_accuracy: f32,
}

/// The decision the engine makes on a message without a model: the workflow whose form it
/// starts, if any (a question about a service is answered, with an offer, not started).
fn decision(services: &Services, message: &LabelledMessage, threshold: f32) -> Option<(String, f32)> {
    let best = services.classifier().recognise(&message.text, message.staff, threshold)?;
    (!is_question(&message.text)).then_some((best.workflow, best.score))
}

/// Evaluates at one threshold.
pub fn evaluate(services: &Services, set: &LabelledMessages, threshold: f32) -> IntentReport {
    let (mut requests, mut others, mut recognised, mut wrong, mut false_starts) = (0, 0, 0, 0, 0);
    let mut mistakes = Vec::new();
    for message in &set.messages {
        let decided = decision(services, message, threshold);
        if message.workflow == NONE {
            others += 1;
            if let Some((workflow, score)) = decided {
                false_starts += 1;
                mistakes.push(format!("{:?}: started {workflow} ({score:.2}), should have left it", message.text));
            }
        } else {
            requests += 1;
            match decided {
                Some((workflow, _)) if workflow == message.workflow => recognised += 1,
                Some((workflow, score)) => {
                    wrong += 1;
                    mistakes
                        .push(format!("{:?}: started {workflow} ({score:.2}), not {}", message.text, message.workflow));
                }
                None => {
                    let best = services.classifier().rank(&message.text, message.staff).into_iter().next();
                    let score = best.map(|best| best.score).unwrap_or(0.0);
                    mistakes.push(format!("{:?}: not recognised as {} ({score:.2})", message.text, message.workflow));
                }
            }
        }
    }
    let share = |part: usize, whole: usize| if whole == 0 { 0.0 } else { part as f32 / whole as f32 };
    let recall = share(recognised, requests);
    let specificity = 1.0 - share(false_starts, others);
    IntentReport {
        threshold,
        requests,
        others,
        recognised: recall,
        wrong_service: share(wrong, requests),
        false_starts: share(false_starts, others),
        balanced_accuracy: (recall + specificity) / 2.0,
        weighted_accuracy: (recall + 2.0 * specificity) / 3.0,
        mistakes,
    }
}

/// The range of thresholds (0.10 to 0.90, by 0.01) with the best weighted accuracy.
pub fn calibrate(services: &Services, set: &LabelledMessages) -> Calibration {
    let reports: Vec<IntentReport> =
        (10..=90).map(|hundredths| evaluate(services, set, hundredths as f32 / 100.0)).collect();
    let best = reports.iter().map(|report| report.weighted_accuracy).fold(0.0_f32, f32::max);
    let at_best: Vec<f32> = reports
        .iter()
        .filter(|report| (report.weighted_accuracy - best).abs() < 1e-6)
        .map(|report| report.threshold)
        .collect();
    let (from, to) = (at_best.first().copied().unwrap_or(0.5), at_best.last().copied().unwrap_or(0.5));
    let recommended = ((from + to) / 2.0 * 100.0).round() / 100.0;
    Calibration { from, to, recommended, weighted_accuracy: best }
}
