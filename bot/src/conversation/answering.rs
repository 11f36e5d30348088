//! Answering a question in a conversation: extractively, or with the language model when one is
//! configured (streamed to listeners as it is written), falling back to the extractive answer
//! when the model fails or times out.

use super::engine::{Engine, EngineError};
use super::message::{Audience, CitationLink, LiveEvent, Reply};
use crate::answer::ExtractiveAnswerer;
use crate::llm::GroundedAnswer;

/// A question's answer, as said in the conversation.
#[derive(Debug, Clone)]
pub(crate) struct Answered {
    /// What to say.
    pub reply: Reply,
    /// Whether it answers the question (otherwise it says the bot does not know).
    pub answered: bool,
    /// Whether an answer was withheld because it broke the rules.
    pub withheld: bool,
}

impl Engine {
    /// Answers a question for someone in `audience`, streaming a model's words to the
    /// conversation's listeners as they come.
    pub(crate) async fn answer_question(
        &self,
        conversation: &str,
        question: &str,
        audience: Audience,
    ) -> Result<Answered, EngineError> {
        let knowledge = self.knowledge.clone();
        let settings = self.settings.answers.clone();
        let asked = question.to_string();
        let viewer = audience.viewer();
        // Searching is CPU work: keep it off the threads that serve requests.
        let (extractive, hits) = tokio::task::spawn_blocking(move || {
            ExtractiveAnswerer::new(&knowledge, settings).answer_with_hits(&asked, viewer)
        })
        .await
        .map_err(|error| EngineError::Internal(error.to_string()))??;
        let fallback = Answered {
            answered: !extractive.handoff,
            withheld: false,
            reply: Reply::Text {
                text: extractive.answer.clone(),
                citations: extractive
                    .citations
                    .iter()
                    .map(|citation| CitationLink { title: citation.title.clone(), url: citation.url.clone() })
                    .collect(),
            },
        };
        let Some(model) = &self.model else {
            return Ok(fallback);
        };
        let passages: Vec<_> = hits.into_iter().take(6).collect();
        let council = self.settings.council.name.clone();
        let hub = &self.hub;
        let written = model
            .answer(&council, question, &passages, |delta| {
                hub.publish(conversation, LiveEvent::Delta { text: delta.to_string() });
            })
            .await;
        match written {
            Ok(GroundedAnswer::Answered { text, citations }) => {
                Ok(Answered { reply: Reply::Text { text, citations }, answered: true, withheld: false })
            }
            Ok(GroundedAnswer::Unsupported) => Ok(Answered {
                reply: Reply::text(self.settings.answers.unsure_message.clone()),
                answered: false,
                withheld: false,
            }),
            Ok(GroundedAnswer::Withheld) => Ok(Answered {
                reply: Reply::text(
                    "I can't share that, but I'm happy to help with questions about the council's services.",
                ),
                answered: false,
                withheld: true,
            }),
            Err(failure) => {
                self.metrics.model_fell_back();
                tracing::warn!(error = %failure, "the language model failed; answering from the passages instead");
                Ok(fallback)
            }
        }
    }
}
