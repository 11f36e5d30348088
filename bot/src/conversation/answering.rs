//! Answering a question in a conversation: extractively, or with the language model when one is
//! configured (streamed to listeners as it is written), falling back to the extractive answer
//! when the model fails or times out; or, when the question could be about more than one
//! service, the pages to ask the person to choose between.

use super::clarifying::{ASK_BACK_SHARE, pages_to_ask_about};
use super::engine::{Engine, EngineError};
use super::message::{Audience, CitationLink, LiveEvent, Reply};
use super::state::PageChoice;
use crate::answer::ExtractiveAnswerer;
use crate::llm::GroundedAnswer;

/// Which pages a question is answered from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Scope<'a> {
    /// Any page; with `may_ask_back`, a question that could be about more than one service is
    /// asked back instead of answered.
    Anywhere {
        /// Whether the question may be asked back.
        may_ask_back: bool,
    },
    /// The pages of the service chosen when the question was asked back.
    Chosen(&'a PageChoice),
}

/// A question's answer, as said in the conversation.
#[derive(Debug, Clone)]
pub(crate) struct Answered {
    /// What to say.
    pub reply: Reply,
    /// Whether it answers the question (otherwise it says the bot does not know).
    pub answered: bool,
    /// Whether an answer was withheld because it broke the rules.
    pub withheld: bool,
    /// The pages to ask the person to choose between instead of answering; empty when the
    /// question is clear.
    pub ask_back: Vec<PageChoice>,
}

impl Engine {
    /// Answers a question for someone in `audience` from the pages `scope` allows, streaming a
    /// model's words to the conversation's listeners as they come.
    pub(crate) async fn answer_question(
        &self,
        conversation: &str,
        question: &str,
        audience: Audience,
        scope: Scope<'_>,
        language: knowledge_base::Language,
    ) -> Result<Answered, EngineError> {
        let knowledge = self.knowledge().clone();
        let settings = self.settings().answers.clone();
        // The chosen page's title joins the question, as if the person had said it.
        let (asked, service_area) = match scope {
            Scope::Anywhere { .. } => (question.to_string(), None),
            Scope::Chosen(page) => (format!("{question} ({})", page.title), Some(page.service_area.clone())),
        };
        let may_ask_back = matches!(scope, Scope::Anywhere { may_ask_back: true });
        let viewer = audience.viewer();
        let searched = asked.clone();
        // Searching is CPU work: keep it off the threads that serve requests.
        let (extractive, hits, ask_back) = tokio::task::spawn_blocking(move || {
            let (answer, hits) = ExtractiveAnswerer::new(&knowledge, settings)
                .in_language(Some(language))
                .answer_in_area(&searched, viewer, service_area.as_deref())?;
            // Only a question the pages answer is asked back: one they cannot answer gets "I
            // don't know" rather than a choice of pages that do not answer it either.
            let ask_back = if may_ask_back && !answer.handoff {
                pages_to_ask_about(&knowledge, &searched, viewer, &hits, ASK_BACK_SHARE)
            } else {
                Vec::new()
            };
            Ok::<_, crate::Error>((answer, hits, ask_back))
        })
        .await
        .map_err(|error| EngineError::Internal(error.to_string()))??;
        let fallback = Answered {
            answered: !extractive.handoff,
            withheld: false,
            ask_back,
            reply: Reply::Text {
                text: extractive.answer.clone(),
                citations: extractive
                    .citations
                    .iter()
                    .map(|citation| CitationLink { title: citation.title.clone(), url: citation.url.clone() })
                    .collect(),
            },
        };
        let Some(model) = self.model() else {
            return Ok(fallback);
        };
        if !fallback.ask_back.is_empty() {
            return Ok(fallback);
        }
        let passages: Vec<_> = hits.into_iter().take(6).collect();
        let council = self.settings().council.name.clone();
        let hub = self.hub();
        let written = model
            .answer(&council, &asked, &passages, |delta| {
                hub.publish(conversation, LiveEvent::Delta { text: delta.to_string() });
            })
            .await;
        match written {
            Ok(GroundedAnswer::Answered { text, citations }) => Ok(Answered {
                reply: Reply::Text { text, citations },
                answered: true,
                withheld: false,
                ask_back: Vec::new(),
            }),
            Ok(GroundedAnswer::Unsupported) => Ok(Answered {
                reply: Reply::text(self.settings().answers.unsure_message_for(language)),
                answered: false,
                withheld: false,
                ask_back: Vec::new(),
            }),
            Ok(GroundedAnswer::Withheld) => Ok(Answered {
                reply: Reply::text(
                    "I can't share that, but I'm happy to help with questions about the council's services.",
                ),
                answered: false,
                withheld: true,
                ask_back: Vec::new(),
            }),
            Err(failure) => {
                self.metrics().model_fell_back();
                tracing::warn!(error = %failure, "the language model failed; answering from the passages instead");
                Ok(fallback)
            }
        }
    }
}
