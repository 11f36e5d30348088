//! What residents made of the answers they were given, kept on each answer for the figures: a
//! vote (helpful or not; the last one counts) and what they did right after it that says it did
//! not help (said it was wrong, asked for a person, asked again in other words).

use serde::{Deserialize, Serialize};

/// The outcome stored on a message of the bot's that answers a question.
pub const ANSWER: &str = "answer";

/// How much of their telling words two questions must share to be the same question asked again.
pub const SAME_QUESTION_SHARE: f64 = 2.0 / 3.0;

/// A resident's vote on an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Vote {
    /// It answered their question.
    Helpful,
    /// It did not answer their question.
    Unhelpful,
}

impl Vote {
    /// The vote for "it helped" (`true`) or "it did not" (`false`).
    pub fn from_helpful(helpful: bool) -> Vote {
        if helpful { Vote::Helpful } else { Vote::Unhelpful }
    }

    /// Whether the answer helped.
    pub fn helpful(self) -> bool {
        self == Vote::Helpful
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        storage::names::name_of(&self)
    }

    /// The value a stored name stands for.
    pub fn parse(text: &str) -> Option<Self> {
        storage::names::from_name(text)
    }

    /// What the resident is told once they have voted, on channels that answer in words.
    pub fn thanks(self, language: knowledge_base::Language) -> String {
        let key = match self {
            Vote::Helpful => "feedback.helpful",
            Vote::Unhelpful => "feedback.unhelpful",
        };
        crate::translations::speak(language, key, &[])
    }
}

/// What a resident did straight after an answer that says it did not help them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUp {
    /// They said it was wrong or did not help ("that's not what I asked").
    SaidWrong,
    /// They asked for a person.
    AskedPerson,
    /// They asked the same question again in other words.
    AskedAgain,
}

impl FollowUp {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        storage::names::name_of(&self)
    }

    /// The value a stored name stands for.
    pub fn parse(text: &str) -> Option<Self> {
        storage::names::from_name(text)
    }
}

/// The answer given in the last turn, kept until the next message to see what the person made
/// of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LastAnswer {
    /// The question it answered.
    pub question: String,
    /// The answer's words.
    pub answer: String,
}

/// Whether a question asks again what an earlier one asked, going by their telling words (as
/// search reads them: stemmed, without words such as "how" or "the"): when at least
/// [`SAME_QUESTION_SHARE`] of the words of both are shared, or when they share any and the bot
/// gave the same answer again.
pub fn asked_again(before: &[String], now: &[String], same_answer: bool) -> bool {
    let mut before: Vec<&String> = before.iter().collect();
    let mut now: Vec<&String> = now.iter().collect();
    before.sort();
    before.dedup();
    now.sort();
    now.dedup();
    let shared = now.iter().filter(|word| before.contains(word)).count();
    let all = before.len() + now.len() - shared;
    if shared == 0 || all == 0 {
        return false;
    }
    same_answer || shared as f64 / all as f64 >= SAME_QUESTION_SHARE - f64::EPSILON
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn the_same_question_in_other_words_is_asked_again_but_a_follow_up_is_not() {
        // "when are bins collected" and "which day do you collect the bins", as search reads them.
        assert!(asked_again(&words("bin collect"), &words("day collect bin"), false));
        assert!(asked_again(&words("tip open"), &words("tip open"), false), "the same words again");
        // "how much is a bulky collection" then "how do I book a bulky collection".
        assert!(!asked_again(&words("much bulki wast collect"), &words("book bulki wast collect"), false));
        assert!(!asked_again(&words("regist death"), &words("need bring regist death"), false));
        // The same answer again to a question on the same subject: it did not help.
        assert!(asked_again(&words("regist death"), &words("need bring regist death"), true));
        assert!(!asked_again(&words("bin collect"), &words("pay council tax"), true), "nothing shared");
        assert!(!asked_again(&[], &[], true));
    }
}
