//! Giving the council's curated answers in a conversation: the answers switched on are kept in
//! memory, read again whenever any of them changes (here or on another instance), and a question
//! close enough to one of an answer's examples gets that answer with its page.

use std::sync::Arc;

use tokio::sync::RwLock;

use super::engine::{Engine, EngineError};
use super::message::{Audience, CitationLink, Reply};
use crate::curated::{CuratedMatcher, CuratedStore};

/// The curated answers, with a matcher over those switched on as of a revision.
pub(crate) struct CuratedAnswers {
    store: CuratedStore,
    loaded: RwLock<Option<(i64, Arc<CuratedMatcher>)>>,
}

impl CuratedAnswers {
    pub(crate) fn new(store: CuratedStore) -> CuratedAnswers {
        CuratedAnswers { store, loaded: RwLock::new(None) }
    }

    pub(crate) fn store(&self) -> &CuratedStore {
        &self.store
    }
}

impl Engine {
    /// The council's curated answer to a question from someone in `audience`, as a reply citing
    /// its page, when the question is close enough to one of its examples.
    pub(crate) async fn curated_answer(
        &self,
        question: &str,
        audience: Audience,
    ) -> Result<Option<Reply>, EngineError> {
        let matcher = self.curated_matcher().await?;
        let Some(found) = matcher.find(question, audience, self.settings().curated_answer_threshold) else {
            return Ok(None);
        };
        let answer = &found.answer.answer;
        tracing::debug!(answer = %answer.id, version = found.answer.version, score = found.score, "a curated answer");
        Ok(Some(Reply::Text {
            text: format!("{} [1]", answer.answer),
            citations: vec![CitationLink { title: answer.source.title.clone(), url: answer.source.url.clone() }],
        }))
    }

    /// The matcher over the curated answers as they are now, built again only when they changed.
    async fn curated_matcher(&self) -> Result<Arc<CuratedMatcher>, EngineError> {
        let curated = self.curated_answers();
        let revision = curated.store.revision().await?;
        if let Some((loaded, matcher)) = curated.loaded.read().await.as_ref()
            && *loaded == revision
        {
            return Ok(matcher.clone());
        }
        let mut slot = curated.loaded.write().await;
        if let Some((loaded, matcher)) = slot.as_ref()
            && *loaded == revision
        {
            return Ok(matcher.clone());
        }
        let answers = curated.store.current().await?;
        let knowledge = self.knowledge().clone();
        let rarity: crate::language::intents::Rarity = Arc::new(move |stem: &str| knowledge.term_rarity(stem));
        let matcher = Arc::new(CuratedMatcher::new(answers, Some(rarity)));
        *slot = Some((revision, matcher.clone()));
        Ok(matcher)
    }
}
