//! Which curated answer a question asks for, if any: the question is compared with every
//! example of every answer switched on by the same classifier that recognises requests for
//! services, and only a close match counts.

use super::StoredAnswer;
use crate::conversation::Audience;
use crate::language::intents::{IntentClassifier, IntentDeclaration, Rarity};

/// The score (0 to 1) a question must reach against an example for its curated answer to be
/// given. Strict, since a wrong curated answer is worse than none: the same question reworded or
/// misspelt ("what are the payment dates for council tax", "when do i pay my council tx") reaches
/// it, while another question on the same subject ("how do I pay council tax", about 0.73) does
/// not, and is answered from the council's pages instead. More questions are caught by adding
/// examples, not by lowering this.
pub const DEFAULT_CURATED_ANSWER_THRESHOLD: f32 = 0.8;

/// A curated answer that a question matched.
#[derive(Debug, Clone, PartialEq)]
pub struct CuratedMatch<'a> {
    /// The answer.
    pub answer: &'a StoredAnswer,
    /// How close the question is to its nearest example, from 0 to 1.
    pub score: f32,
}

/// Finds the curated answer a question asks for, among those switched on.
pub struct CuratedMatcher {
    answers: Vec<StoredAnswer>,
    classifier: IntentClassifier,
}

impl CuratedMatcher {
    /// A matcher over the answers switched on, weighing words by how rare they are in the
    /// council's content when `rarity` is given.
    pub fn new(answers: Vec<StoredAnswer>, rarity: Option<Rarity>) -> CuratedMatcher {
        let answers: Vec<StoredAnswer> = answers.into_iter().filter(|stored| stored.answer.enabled).collect();
        let declarations = answers
            .iter()
            .map(|stored| IntentDeclaration {
                name: stored.answer.id.clone(),
                workflow: stored.answer.id.clone(),
                staff_only: stored.answer.audience == Audience::Staff,
                description: String::new(),
                examples: stored.answer.examples.clone(),
            })
            .collect();
        CuratedMatcher { classifier: IntentClassifier::with_rarity(declarations, rarity), answers }
    }

    /// The answer switched on that someone in `audience` asked for, if the question scores at
    /// least `threshold` against one of its examples. Answers for staff are never given to
    /// residents.
    pub fn find(&self, question: &str, audience: Audience, threshold: f32) -> Option<CuratedMatch<'_>> {
        let best = self.classifier.recognise(question, audience == Audience::Staff, threshold)?;
        let answer = self.answers.iter().find(|stored| stored.answer.id == best.intent)?;
        Some(CuratedMatch { answer, score: best.score })
    }

    /// How many answers can be given.
    pub fn len(&self) -> usize {
        self.answers.len()
    }

    /// Whether no answer can be given.
    pub fn is_empty(&self) -> bool {
        self.answers.is_empty()
    }
}

#[cfg(test)]
mod tests_support {
    pub use super::*;
    pub use crate::curated::{AnswerSource, CuratedAnswer};

    pub fn stored(id: &str, examples: &[&str], audience: Audience, enabled: bool) -> StoredAnswer {
        StoredAnswer {
            answer: CuratedAnswer {
                id: id.into(),
                answer: format!("the answer {id}"),
                source: AnswerSource { url: format!("https://www.eastbrook.gov.uk/{id}"), title: id.into() },
                examples: examples.iter().map(|example| example.to_string()).collect(),
                enabled,
                audience,
            },
            version: 1,
            changed_by: "cli".into(),
            changed_at: 0,
        }
    }

    pub fn matcher() -> CuratedMatcher {
        CuratedMatcher::new(
            vec![
                stored(
                    "council-tax-payment-dates",
                    &[
                        "when do I pay my council tax",
                        "what are the council tax payment dates",
                        "how many council tax instalments are there",
                    ],
                    Audience::Resident,
                    true,
                ),
                stored(
                    "garden-waste-subscription-price",
                    &["how much is the garden waste subscription", "what does a brown bin cost"],
                    Audience::Resident,
                    true,
                ),
                stored(
                    "refund-authorisation",
                    &["who authorises a council tax refund", "who signs off council tax refunds"],
                    Audience::Staff,
                    true,
                ),
                stored("library-hours", &["when is the library open"], Audience::Resident, false),
            ],
            None,
        )
    }
}
#[cfg(test)]
mod tests {
    use super::tests_support::*;
    fn found(question: &str, audience: Audience) -> Option<String> {
        let matcher = matcher();
        matcher.find(question, audience, DEFAULT_CURATED_ANSWER_THRESHOLD).map(|found| found.answer.answer.id.clone())
    }

    #[test]
    fn rewordings_of_an_example_match_even_misspelt() {
        for question in [
            "When do I pay my council tax?",
            "what are the payment dates for council tax",
            "how many instalments of council tax are there",
            "when do i pay my council tx",
        ] {
            assert_eq!(found(question, Audience::Resident).as_deref(), Some("council-tax-payment-dates"), "{question}");
        }
        assert_eq!(
            found("how much does the garden waste subscription cost", Audience::Resident).as_deref(),
            Some("garden-waste-subscription-price")
        );
    }

    #[test]
    fn near_misses_and_other_questions_do_not_match() {
        for question in [
            "how do I pay my council tax by phone",
            "how do I pay council tax",
            "can I get a council tax discount",
            "when is my bin collected",
            "council tax",
            "how do i cancel my garden waste subscription",
        ] {
            assert_eq!(found(question, Audience::Resident), None, "{question}");
        }
    }

    #[test]
    fn switched_off_and_staff_answers_are_not_given_to_residents() {
        assert_eq!(found("when is the library open", Audience::Resident), None);
        assert_eq!(found("who authorises a council tax refund", Audience::Resident), None);
        assert_eq!(
            found("who authorises a council tax refund", Audience::Staff).as_deref(),
            Some("refund-authorisation")
        );
        assert_eq!(matcher().len(), 3);
    }
}
