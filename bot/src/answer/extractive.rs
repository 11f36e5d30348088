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

/// Words that show a question asks for a figure: a time, a date, a number.
const FIGURE_QUESTION_WORDS: &[&str] = &[
    "when", "time", "long", "many", "phone", "number", "call", "open", "opening", "close", "date",
    "deadline", "day", "days", "hours", "times",
];

/// Words that show a question asks for a price.
const MONEY_QUESTION_WORDS: &[&str] = &[
    "cost", "costs", "price", "prices", "fee", "fees", "charge", "charges", "£",
];

/// Searched as well when a question asks for a price, since pages state prices in these words.
const MONEY_WORDS: &str = "cost price fee charge";

/// How much a sentence of the wrong kind counts, such as one without a price for "how much".
const WRONG_KIND: f32 = 0.55;

/// How much the words searched on top of the question count towards a sentence's relevance.
const EXPANSION_SHARE: f32 = 0.15;

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

/// The question's terms split into those asked and those added by the answerer, with a
/// function that measures how much of each a set of terms covers.
struct Weights<'t> {
    asked: &'t [QueryTerm],
    added: &'t [QueryTerm],
}

impl Weights<'_> {
    /// The share of the asked terms' weight present in `terms`.
    fn asked_coverage(&self, terms: &HashSet<String>) -> f32 {
        coverage(self.asked, terms)
    }

    /// The share of the added terms' weight present in `terms`.
    fn added_coverage(&self, terms: &HashSet<String>) -> f32 {
        coverage(self.added, terms)
    }
}

fn coverage(weighted: &[QueryTerm], present: &HashSet<String>) -> f32 {
    let total: f32 = weighted.iter().map(|term| term.weight).sum();
    if total <= 0.0 {
        return 0.0;
    }
    weighted
        .iter()
        .filter(|term| present.contains(&term.term))
        .map(|term| term.weight)
        .sum::<f32>()
        / total
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
        let kind = QuestionKind::of(question);
        let query = match kind {
            QuestionKind::Price => format!("{question} {MONEY_WORDS}"),
            QuestionKind::Figure | QuestionKind::Open => question.to_string(),
        };
        let request = SearchRequest {
            query: &query,
            viewer,
            service_area: None,
            limit: PASSAGES_SEARCHED,
        };
        let results = self.knowledge_base.search(&request)?;
        let typed: HashSet<String> = self.terms_of(question).collect();
        let (asked, added): (Vec<QueryTerm>, Vec<QueryTerm>) =
            results.terms.into_iter().partition(|term| {
                typed.contains(&term.term)
                    || term
                        .corrected_from
                        .as_ref()
                        .is_some_and(|from| typed.contains(from))
            });
        let answer = self.compose(
            kind,
            &Weights {
                asked: &asked,
                added: &added,
            },
            &results.hits,
        );
        Ok((answer, results.hits))
    }

    fn compose(&self, kind: QuestionKind, weights: &Weights<'_>, hits: &[Hit]) -> Answer {
        let Some(best_hit) = hits.first() else {
            return self.unsure(0.0);
        };
        if weights.asked.iter().all(|term| term.weight <= 0.0) {
            return self.unsure(0.0);
        }
        let read = &hits[..hits.len().min(PASSAGES_READ)];
        let passage_terms: Vec<HashSet<String>> = read
            .iter()
            .map(|hit| self.terms_of(&hit.text).collect())
            .collect();
        // A passage's context: its title and headings, and the words of the other passages read
        // from the same page, so that a prices section counts as being about what its page is about.
        let contexts: Vec<HashSet<String>> = read
            .iter()
            .map(|hit| {
                let mut context: HashSet<String> = self
                    .terms_of(&format!("{} {}", hit.title, hit.heading_path.join(" ")))
                    .collect();
                for (other, terms) in read.iter().zip(&passage_terms) {
                    if other.document == hit.document {
                        context.extend(terms.iter().cloned());
                    }
                }
                context
            })
            .collect();

        let mut candidates: Vec<Candidate<'_>> = Vec::new();
        for (passage, hit) in read.iter().enumerate() {
            let rank = hit.score / best_hit.score.max(f32::EPSILON);
            for (position, text) in knowledge_base::text::sentences(&hit.text)
                .into_iter()
                .enumerate()
            {
                let terms: HashSet<String> = self.terms_of(text).collect();
                let in_context: HashSet<String> =
                    terms.union(&contexts[passage]).cloned().collect();
                let relevance = 0.45 * weights.asked_coverage(&terms)
                    + 0.35 * weights.asked_coverage(&in_context)
                    + 0.2 * rank
                    + EXPANSION_SHARE * weights.added_coverage(&terms);
                let mut score = if kind.fits(text) {
                    relevance
                } else {
                    relevance * WRONG_KIND
                };
                if text.split_whitespace().count() < 4 && !has_figure(text) {
                    score *= 0.7;
                }
                candidates.push(Candidate {
                    passage,
                    position,
                    text,
                    terms,
                    score,
                });
            }
        }
        let Some(best) = candidates
            .iter()
            .map(|candidate| candidate.score)
            .reduce(f32::max)
        else {
            return self.unsure(0.0);
        };
        let chosen = self.choose(&candidates, best);

        // Confidence: how much of the question the best passage covers, and how much the
        // chosen sentences (with their context) cover.
        let best_passage: HashSet<String> = passage_terms[0].union(&contexts[0]).cloned().collect();
        let mut answer_terms: HashSet<String> = HashSet::new();
        for candidate in &chosen {
            answer_terms.extend(candidate.terms.iter().cloned());
            answer_terms.extend(contexts[candidate.passage].iter().cloned());
        }
        let confidence = (0.5 * weights.asked_coverage(&best_passage)
            + 0.5 * weights.asked_coverage(&answer_terms))
        .clamp(0.0, 1.0);
        if confidence < self.settings.min_confidence || chosen.is_empty() {
            return self.unsure(confidence);
        }
        self.cite(&chosen, hits, confidence)
    }

    /// The best sentence and those close behind it, in reading order.
    fn choose<'c, 'h>(&self, candidates: &'c [Candidate<'h>], best: f32) -> Vec<&'c Candidate<'h>> {
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
            let items = candidates
                .iter()
                .enumerate()
                .filter(|(_, candidate)| {
                    candidate.passage == passage && candidate.position > position
                })
                .take(6);
            for (index, item) in items {
                if chars + item.text.len() > self.settings.max_chars * 2 || chosen.contains(&index)
                {
                    break;
                }
                chars += item.text.len();
                chosen.push(index);
            }
        }
        chosen.sort_by_key(|&index| (candidates[index].passage, candidates[index].position));
        chosen.into_iter().map(|index| &candidates[index]).collect()
    }

    /// The answer text with a citation number after each source's sentences.
    fn cite(&self, chosen: &[&Candidate<'_>], hits: &[Hit], confidence: f32) -> Answer {
        let mut citations: Vec<Citation> = Vec::new();
        let mut parts: Vec<String> = Vec::new();
        for (index, candidate) in chosen.iter().enumerate() {
            let hit = &hits[candidate.passage];
            let number = match citations
                .iter()
                .position(|citation| citation.url == hit.url)
            {
                Some(existing) => existing + 1,
                None => {
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
            parts.push(if last_of_source {
                format!("{} [{number}]", candidate.text)
            } else {
                candidate.text.to_string()
            });
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

/// What kind of answer a question asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QuestionKind {
    /// A price or fee.
    Price,
    /// A time, date, number or other figure.
    Figure,
    /// Anything else.
    Open,
}

impl QuestionKind {
    fn of(question: &str) -> QuestionKind {
        let lower = question.to_lowercase();
        let words: Vec<&str> = lower
            .split(|c: char| !c.is_alphanumeric() && c != '£')
            .filter(|word| !word.is_empty())
            .collect();
        let asks = |list: &[&str]| words.iter().any(|word| list.contains(word));
        let how_much = words.windows(2).any(|pair| pair == ["how", "much"]);
        if how_much || asks(MONEY_QUESTION_WORDS) || lower.contains('£') {
            QuestionKind::Price
        } else if asks(FIGURE_QUESTION_WORDS) {
            QuestionKind::Figure
        } else {
            QuestionKind::Open
        }
    }

    /// Whether a sentence is of the kind the question asks for.
    fn fits(self, sentence: &str) -> bool {
        match self {
            QuestionKind::Price => {
                let lower = sentence.to_lowercase();
                sentence.contains('£') || lower.contains("free") || lower.contains("no charge")
            }
            QuestionKind::Figure => has_figure(sentence),
            QuestionKind::Open => true,
        }
    }
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
