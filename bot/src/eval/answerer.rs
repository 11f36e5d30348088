//! What is measured on a golden set, and what it makes of each question: the extractive
//! answerer or a language model, answering, declining, or failing to answer at all.

use knowledge_base::Hit;
use serde::Serialize;

use crate::answer::Answer;
use crate::llm::ModelSettings;

/// The answerer a report measures.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "answerer", rename_all = "snake_case")]
pub enum Answerer {
    /// The extractive answerer, which declines below a confidence threshold.
    Extractive {
        /// The threshold: answers less confident than this count as declined.
        min_confidence: f32,
    },
    /// A language model answering from the passages found, which declines when they do not
    /// answer the question.
    Model {
        /// The model, or for Azure the deployment.
        model: String,
        /// The endpoint it is reached at.
        endpoint: String,
    },
}

impl Answerer {
    /// The model these settings reach, named by model and endpoint (never by its key).
    pub fn model(settings: &ModelSettings) -> Answerer {
        Answerer::Model { model: settings.model.clone(), endpoint: without_credentials(&settings.base_url) }
    }
}

/// What the answerer made of one question.
#[derive(Debug, Clone)]
pub enum Attempt {
    /// It answered, or declined to.
    Replied(Reply),
    /// It gave nothing that could be measured (the model could not be reached, or its reply
    /// could not be read), for this reason.
    Failed(String),
}

/// An answer, or a refusal, to one question.
#[derive(Debug, Clone)]
pub struct Reply {
    /// What it said.
    pub text: String,
    /// The page its answer cites first, if it cites any.
    pub cited: Option<String>,
    /// How sure it is, from 0 to 1, for an answerer that says.
    pub confidence: Option<f32>,
    /// Whether it declined to answer and offered a person.
    pub declined: bool,
    /// The passages found, best first, with the page the answer is taken from leading.
    pub hits: Vec<Hit>,
}

impl Reply {
    /// The extractive answerer's answer, with the passages it searched.
    pub fn extractive(answer: Answer, hits: Vec<Hit>) -> Reply {
        Reply {
            cited: answer.citations.first().map(|citation| citation.url.clone()),
            confidence: Some(answer.confidence),
            declined: answer.handoff,
            text: answer.answer,
            hits,
        }
    }
}

/// A URL without the user name, password, query or fragment it may carry.
fn without_credentials(url: &str) -> String {
    let url = url.trim().split(['?', '#']).next().unwrap_or_default();
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    format!("{scheme}://{host}{path}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_endpoint_named_in_a_report_carries_no_credentials() {
        assert_eq!(without_credentials("https://api.openai.com/v1"), "https://api.openai.com/v1");
        assert_eq!(
            without_credentials("https://user:sk-secret@proxy.example/v1?key=sk-2#x"),
            "https://proxy.example/v1"
        );
        assert_eq!(without_credentials("http://127.0.0.1:8000"), "http://127.0.0.1:8000");
    }
}
