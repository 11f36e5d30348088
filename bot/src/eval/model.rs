//! A language model asked a golden set's questions as a conversation asks it: the passages the
//! extractive answerer finds, the best of them given to the model, and its answer checked.

use super::answerer::{Attempt, Reply};
use super::golden::GoldenQuestion;
use crate::answer::ExtractiveAnswerer;
use crate::error::Result;
use crate::llm::{GroundedAnswer, LanguageModel};

/// How many of the passages found are given to the model, as in a conversation.
const PASSAGES_GIVEN: usize = 6;

/// Asks `model` one question from the passages `searcher` finds for it. A model that fails
/// (cannot be reached, times out, sends what cannot be read) is an attempt that failed, not an
/// error: only the search failing is one.
pub async fn ask_model(
    model: &LanguageModel,
    council: &str,
    searcher: &ExtractiveAnswerer<'_>,
    question: &GoldenQuestion,
) -> Result<Attempt> {
    let (_, mut hits) = searcher.answer_with_hits(&question.ask, question.audience)?;
    let passages = &hits[..hits.len().min(PASSAGES_GIVEN)];
    let written = match model.answer(council, &question.ask, passages, |_| {}).await {
        Ok(written) => written,
        Err(failure) => return Ok(Attempt::Failed(failure.to_string())),
    };
    let declined =
        |text: &str, hits| Reply { text: text.to_string(), cited: None, confidence: None, declined: true, hits };
    Ok(Attempt::Replied(match written {
        GroundedAnswer::Answered { text, citations } => {
            // The pages it cites come first, in the order it cites them, then the rest as found.
            hits.sort_by_key(|hit| citations.iter().position(|cited| cited.url == hit.url).unwrap_or(citations.len()));
            let cited = citations.first().map(|citation| citation.url.clone());
            Reply { text, cited, confidence: None, declined: false, hits }
        }
        GroundedAnswer::Unsupported => declined("(the model found no answer in the passages)", hits),
        GroundedAnswer::Withheld => declined("(withheld: the answer repeated the rules the model works by)", hits),
    }))
}
