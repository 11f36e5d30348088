//! Answers made of the most relevant sentences of the best passages, without a language model.

use std::collections::HashSet;

use knowledge_base::{Audience, Hit, KnowledgeBase, QueryTerm, SearchRequest};

use super::{Answer, AnswerSettings, Citation};
use crate::error::Result;

/// How many passages are searched for an answer.
const PASSAGES_SEARCHED: usize = 8;
/// How many of the best passages sentences are taken from.
const PASSAGES_READ: usize = 4;
/// A further sentence joins the answer when it scores at least this share of the best one.
const FOLLOWER_SHARE: f32 = 0.8;
/// Characters of a citation's snippet.
const CITATION_SNIPPET_CHARS: usize = 200;

/// Words that show a question asks for a figure: a price, a time, a date, a number.
const FIGURE_QUESTION_WORDS: &[&str] = &[
    "much", "cost", "costs", "price", "fee", "fees", "charge", "charges", "when", "time", "long",
    "many", "phone", "number", "call", "open", "opening", "close", "date", "deadline", "day",
    "days", "hours", "pay", "£",
];

/// Answers from the knowledge base by extracting sentences.
pub struct ExtractiveAnswerer<'kb> {
    knowledge_base: &'kb KnowledgeBase,
    settings: AnswerSettings,
}

/// A sentence considered for an answer.
struct Candidate<'h> {
    /// Rank of its passage among the hits.
    passage: usize,
    /// Position in its passage.
    position: usize,
    text: &'h str,
    terms: HashSet<String>,
    score: f32,
}

impl<'kb> ExtractiveAnswerer<'kb> {
    /// An answerer over a knowledge base.
    pub fn new(knowledge_base: &'kb KnowledgeBase, settings: AnswerSettings) -> Self {
        ExtractiveAnswerer {
            knowledge_base,
            settings,
        }
    }

    /// Answers a question for a viewer (residents see only public content).
    pub fn answer(&self, question: &str, viewer: Audience) -> Result<Answer> {
        Ok(self.answer_with_hits(question, viewer)?.0)
    }

    /// Answers a question, also returning the passages searched, best first.
    pub fn answer_with_hits(&self, question: &str, viewer: Audience) -> Result<(Answer, Vec<Hit>)> {
        let request = SearchRequest {
            query: question,
            viewer,
            service_area: None,
            limit: PASSAGES_SEARCHED,
        };
        let results = self.knowledge_base.search(&request)?;
        let answer = self.compose(question, &results.terms, &results.hits);
        Ok((answer, results.hits))
    }

    fn compose(&self, question: &str, terms: &[QueryTerm], hits: &[Hit]) -> Answer {
        let total_weight: f32 = terms.iter().map(|term| term.weight).sum();
        let Some(best_hit) = hits.first() else {
            return self.unsure(0.0);
        };
        if total_weight <= 0.0 {
            return self.unsure(0.0);
        }
        let coverage = |present: &HashSet<String>| -> f32 {
            terms
                .iter()
                .filter(|term| present.contains(&term.term))
                .map(|term| term.weight)
                .sum::<f32>()
                / total_weight
        };
        let wants_figure = asks_for_figure(question);

        let mut candidates: Vec<Candidate<'_>> = Vec::new();
        let mut contexts: Vec<HashSet<String>> = Vec::new();
        for (passage, hit) in hits.iter().take(PASSAGES_READ).enumerate() {
            let context: HashSet<String> = self
                .terms_of(&format!("{} {}", hit.title, hit.heading_path.join(" ")))
                .collect();
            let rank = hit.score / best_hit.score.max(f32::EPSILON);
            for (position, text) in knowledge_base::text::sentences(&hit.text)
                .into_iter()
                .enumerate()
            {
                let sentence_terms: HashSet<String> = self.terms_of(text).collect();
                let in_context: HashSet<String> = sentence_terms.union(&context).cloned().collect();
                let mut score =
                    0.5 * coverage(&sentence_terms) + 0.3 * coverage(&in_context) + 0.2 * rank;
                if wants_figure && has_figure(text) {
                    score += 0.1;
                }
                if text.split_whitespace().count() < 4 && !has_figure(text) {
                    score *= 0.7;
                }
                candidates.push(Candidate {
                    passage,
                    position,
                    text,
                    terms: sentence_terms,
                    score,
                });
            }
            contexts.push(context);
        }
        let Some(best) = candidates
            .iter()
            .map(|candidate| candidate.score)
            .reduce(f32::max)
        else {
            return self.unsure(0.0);
        };

        let chosen = self.choose(&mut candidates, best);
        // Confidence: how much of the question the best passage covers, and how much the
        // chosen sentences (with their headings) cover.
        let mut best_passage_terms: HashSet<String> = self.terms_of(&best_hit.text).collect();
        best_passage_terms.extend(contexts[0].iter().cloned());
        let mut answer_terms: HashSet<String> = HashSet::new();
        for candidate in &chosen {
            answer_terms.extend(candidate.terms.iter().cloned());
            answer_terms.extend(contexts[candidate.passage].iter().cloned());
        }
        let confidence =
            (0.5 * coverage(&best_passage_terms) + 0.5 * coverage(&answer_terms)).clamp(0.0, 1.0);
        if confidence < self.settings.min_confidence || chosen.is_empty() {
            return self.unsure(confidence);
        }
        self.cite(&chosen, hits, confidence)
    }

    /// The best sentence and those close behind it, in reading order.
    fn choose<'c, 'h>(
        &self,
        candidates: &'c mut [Candidate<'h>],
        best: f32,
    ) -> Vec<&'c Candidate<'h>> {
        let mut order: Vec<usize> = (0..candidates.len()).collect();
        order.sort_by(|&a, &b| candidates[b].score.total_cmp(&candidates[a].score));
        let mut chosen: Vec<usize> = Vec::new();
        let mut chars = 0;
        for index in order {
            let candidate = &candidates[index];
            if chosen.len() >= self.settings.max_sentences
                || candidate.score < best * FOLLOWER_SHARE
            {
                break;
            }
            let repeats = chosen.iter().any(|&other| {
                let other = &candidates[other];
                other.text == candidate.text || overlap(&other.terms, &candidate.terms) > 0.7
            });
            if repeats
                || (!chosen.is_empty() && chars + candidate.text.len() > self.settings.max_chars)
            {
                continue;
            }
            chars += candidate.text.len();
            chosen.push(index);
        }
        // A sentence that introduces a list (ends in a colon) brings the list items after it.
        if let Some(&lead) = chosen.first()
            && candidates[lead].text.ends_with(':')
        {
            let (passage, position) = (candidates[lead].passage, candidates[lead].position);
            for follower in candidates
                .iter()
                .enumerate()
                .filter(|(_, c)| c.passage == passage && c.position > position)
                .take(6)
            {
                if chars + follower.1.text.len() > self.settings.max_chars + 200
                    || chosen.contains(&follower.0)
                {
                    continue;
                }
                chars += follower.1.text.len();
                chosen.push(follower.0);
            }
        }
        chosen.sort_by_key(|&index| (candidates[index].passage, candidates[index].position));
        chosen.into_iter().map(|index| &candidates[index]).collect()
    }

    /// The answer text with a citation number after each source's sentences.
    fn cite(&self, chosen: &[&Candidate<'_>], hits: &[Hit], confidence: f32) -> Answer {
        let mut citations: Vec<Citation> = Vec::new();
        let mut cited_urls: Vec<&str> = Vec::new();
        let mut parts: Vec<String> = Vec::new();
        for (index, candidate) in chosen.iter().enumerate() {
            let hit = &hits[candidate.passage];
            let number = match cited_urls.iter().position(|url| *url == hit.url) {
                Some(existing) => existing + 1,
                None => {
                    cited_urls.push(&hit.url);
                    citations.push(Citation {
                        title: hit.title.clone(),
                        url: hit.url.clone(),
                        snippet: shorten(candidate.text, CITATION_SNIPPET_CHARS),
                    });
                    citations.len()
                }
            };
            let last_of_source = chosen
                .get(index + 1)
                .is_none_or(|next| hits[next.passage].url != hit.url);
            let mut sentence = candidate.text.to_string();
            if last_of_source {
                sentence.push_str(&format!(" [{number}]"));
            }
            parts.push(sentence);
        }
        Answer {
            answer: parts.join(" "),
            citations,
            confidence,
            handoff: false,
        }
    }

    fn unsure(&self, confidence: f32) -> Answer {
        Answer {
            answer: self.settings.unsure_message.clone(),
            citations: Vec::new(),
            confidence,
            handoff: true,
        }
    }

    fn terms_of(&self, text: &str) -> impl Iterator<Item = String> {
        self.knowledge_base.analyze(text).into_iter()
    }
}

/// Whether a question asks for a price, time, date or other figure.
fn asks_for_figure(question: &str) -> bool {
    question
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric() && c != '£')
        .any(|word| FIGURE_QUESTION_WORDS.contains(&word))
}

/// Whether a sentence states a figure: digits, a price, or a day of the week.
fn has_figure(text: &str) -> bool {
    const DAYS: &[&str] = &[
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    let lower = text.to_lowercase();
    text.chars().any(|c| c.is_ascii_digit() || c == '£')
        || DAYS.iter().any(|day| lower.contains(day))
}

/// The share of the smaller set found in the other.
fn overlap(a: &HashSet<String>, b: &HashSet<String>) -> f32 {
    let smaller = a.len().min(b.len());
    if smaller == 0 {
        return 0.0;
    }
    a.intersection(b).count() as f32 / smaller as f32
}

/// Text cut to at most `limit` characters at a word boundary, with an ellipsis when cut.
fn shorten(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_string();
    }
    let cut: String = text.chars().take(limit).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{}…", cut.trim_end_matches([',', ';', ':']))
}
