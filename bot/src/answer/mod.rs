//! Answers to questions, with the sources they come from.

mod exclusion;
mod extractive;
mod fact_kind;
mod occasion;
mod quantity;
mod question_type;
mod series;

use serde::Serialize;

pub use extractive::{ENGLISH_ONLY_NOTE, ExtractiveAnswerer};
pub use question_type::QuestionType;

/// The confidence below which the bot says it does not know and offers a person.
///
/// Calibrated with `councilbot eval knowledge-base/golden.yaml` on the development half of the
/// sample council's golden set: the middle of the widest range of thresholds with the best
/// balance of answerable questions answered and unanswerable ones (near misses among them)
/// refused.
pub const DEFAULT_MIN_CONFIDENCE: f32 = 0.63;

/// The confidence below which the bot says it does not know a Welsh question's answer: Welsh
/// questions and pages share fewer exact words, so confidence runs lower.
///
/// Calibrated with `councilbot eval knowledge-base/golden-cy.yaml` on the development half of
/// the sample council's Welsh golden set, as the English threshold is.
pub const DEFAULT_MIN_CONFIDENCE_WELSH: f32 = 0.59;

/// An answer to a question.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Answer {
    /// The answer text; each fact is followed by the number of its citation, as `[1]`.
    pub answer: String,
    /// The sources the answer is taken from, numbered from 1 in this order.
    pub citations: Vec<Citation>,
    /// How well the sources support the answer, from 0 to 1.
    pub confidence: f32,
    /// Whether the bot could not answer and a person should be offered.
    pub handoff: bool,
}

/// A source an answer is taken from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Citation {
    /// The page title.
    pub title: String,
    /// The page URL (or source path when the page has none).
    pub url: String,
    /// The passage the answer is taken from, shortened.
    pub snippet: String,
}

/// How answers are chosen and worded.
#[derive(Debug, Clone)]
pub struct AnswerSettings {
    /// Below this confidence the bot does not answer and offers a person instead.
    pub min_confidence: f32,
    /// The same for Welsh questions.
    pub min_confidence_welsh: f32,
    /// The most sentences an answer is made of.
    pub max_sentences: usize,
    /// The most characters an answer is made of (whole sentences are never cut).
    pub max_chars: usize,
    /// What the bot says when it does not know.
    pub unsure_message: String,
    /// What the bot says in Welsh when it does not know.
    pub unsure_message_welsh: String,
}

impl AnswerSettings {
    /// The confidence below which a question in `language` is not answered.
    pub fn min_confidence_for(&self, language: knowledge_base::Language) -> f32 {
        match language {
            knowledge_base::Language::English => self.min_confidence,
            knowledge_base::Language::Welsh => self.min_confidence_welsh,
        }
    }

    /// What the bot says when it does not know, in `language`.
    pub fn unsure_message_for(&self, language: knowledge_base::Language) -> &str {
        match language {
            knowledge_base::Language::English => &self.unsure_message,
            knowledge_base::Language::Welsh => &self.unsure_message_welsh,
        }
    }

    /// These settings with every answer given, however unsure, to measure confidence.
    pub fn answering_everything(&self) -> AnswerSettings {
        AnswerSettings { min_confidence: 0.0, min_confidence_welsh: 0.0, ..self.clone() }
    }
}

impl Default for AnswerSettings {
    fn default() -> Self {
        AnswerSettings {
            min_confidence: DEFAULT_MIN_CONFIDENCE,
            min_confidence_welsh: DEFAULT_MIN_CONFIDENCE_WELSH,
            max_sentences: 3,
            max_chars: 450,
            unsure_message: "I'm sorry, I couldn't find a clear answer to that in the council's information. \
                             Would you like me to put you in touch with a person who can help?"
                .to_string(),
            unsure_message_welsh: "Mae'n ddrwg gen i, alla i ddim dod o hyd i ateb clir i hynny yng ngwybodaeth \
                                   y cyngor. Hoffech chi i mi eich rhoi mewn cysylltiad â pherson a all helpu?"
                .to_string(),
        }
    }
}
