//! Answers made of the most relevant sentences of the best passages, without a language model.

use std::collections::HashSet;
use std::sync::Arc;

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
    "when", "time", "long", "many", "phone", "number", "call", "open", "opening", "close", "date", "deadline", "day",
    "days", "hours", "times",
];

/// Words that show a question asks for a price.
const MONEY_QUESTION_WORDS: &[&str] = &["cost", "costs", "price", "prices", "fee", "fees", "charge", "charges", "£"];

/// Searched as well when a question asks for a price, since pages state prices in these words.
const MONEY_WORDS: &str = "cost price fee charge";

/// How much a sentence of the wrong kind counts, such as one without a price for "how much".
const WRONG_KIND: f32 = 0.55;

/// How much a question word counts against an answer when the page lacks it but other pages use it.
const MISSING_KNOWN_SHARE: f32 = 0.5;

/// How much a question word counts against an answer when no page uses it at all.
const MISSING_UNKNOWN_SHARE: f32 = 2.0;

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

    /// How well `terms` support an answer: like [`Weights::asked_coverage`], but a missing word
    /// that the content uses elsewhere counts half, since questions carry context ("my dad",
    /// "on Monday") that a page need not repeat, while a word the content never uses at all
    /// ("plumber", "train") shows the question is about something else, and counts double.
    fn support(&self, terms: &HashSet<String>) -> f32 {
        let mut total = 0.0;
        let mut found = 0.0;
        for term in self.asked {
            if term.is_in(terms) {
                found += term.weight;
                total += term.weight;
            } else {
                total += term.weight * if term.known { MISSING_KNOWN_SHARE } else { MISSING_UNKNOWN_SHARE };
            }
        }
        if total <= 0.0 { 0.0 } else { found / total }
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
    weighted.iter().map(|term| term.weight * term.presence(present)).sum::<f32>() / total
}

impl<'kb> ExtractiveAnswerer<'kb> {
    /// An answerer over a knowledge base.
    pub fn new(knowledge_base: &'kb KnowledgeBase, settings: AnswerSettings) -> Self {
        ExtractiveAnswerer { knowledge_base, settings }
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
            QuestionKind::Duration | QuestionKind::Figure | QuestionKind::Open => question.to_string(),
        };
        let request = SearchRequest { query: &query, viewer, service_area: None, limit: PASSAGES_SEARCHED };
        let results = self.knowledge_base.search(&request)?;
        let frame: HashSet<String> = self.terms_of(kind.frame_words()).collect();
        let typed: HashSet<String> = self.terms_of(question).filter(|term| !frame.contains(term)).collect();
        let (asked, added): (Vec<QueryTerm>, Vec<QueryTerm>) =
            results.terms.into_iter().filter(|term| !frame.contains(&term.term)).partition(|term| {
                typed.contains(&term.term) || term.corrected_from.as_ref().is_some_and(|from| typed.contains(from))
            });
        let answer = self.compose(kind, &Weights { asked: &asked, added: &added }, &results.hits, viewer);
        Ok((answer, results.hits))
    }

    fn compose(&self, kind: QuestionKind, weights: &Weights<'_>, hits: &[Hit], viewer: Audience) -> Answer {
        let Some(best_hit) = hits.first() else { return self.unsure(0.0) };
        if weights.asked.iter().all(|term| term.weight <= 0.0) {
            return self.unsure(0.0);
        }
        let read = &hits[..hits.len().min(PASSAGES_READ)];
        // A passage's context: its page's title, and every word of its page, so that a prices
        // section counts as being about what its page is about.
        let mut pages: Vec<(&str, Arc<HashSet<String>>)> = Vec::new();
        for hit in read {
            if pages.iter().any(|(document, _)| *document == hit.document) {
                continue;
            }
            let terms = self
                .knowledge_base
                .page_terms(&hit.document, &hit.title, viewer)
                .unwrap_or_else(|_| Arc::new(self.terms_of(&hit.title).chain(self.terms_of(&hit.text)).collect()));
            pages.push((&hit.document, terms));
        }
        let no_terms = HashSet::new();
        let page_terms = |hit: &Hit| -> &HashSet<String> {
            pages.iter().find(|(document, _)| *document == hit.document).map_or(&no_terms, |(_, terms)| terms)
        };

        let analysed: Vec<Arc<knowledge_base::AnalysedPassage>> =
            read.iter().map(|hit| self.knowledge_base.analysed_passage(hit)).collect();
        let mut candidates: Vec<Candidate<'_>> = Vec::new();
        for (passage, (hit, analysed)) in read.iter().zip(&analysed).enumerate() {
            let rank = hit.score / best_hit.score.max(f32::EPSILON);
            let headings = &analysed.headings;
            for (position, (text, terms)) in analysed.sentences.iter().enumerate() {
                let text = text.as_str();
                let near: HashSet<String> = terms.union(headings).cloned().collect();
                let relevance = 0.4 * weights.asked_coverage(terms)
                    + 0.2 * weights.asked_coverage(&near)
                    + 0.2 * weights.asked_coverage(page_terms(hit))
                    + 0.2 * rank
                    + EXPANSION_SHARE * weights.added_coverage(terms);
                let mut score = if kind.fits(text) { relevance } else { relevance * WRONG_KIND };
                if text.split_whitespace().count() < 4 && !has_figure(text) {
                    score *= 0.7;
                }
                candidates.push(Candidate { passage, position, text, terms: near, score });
            }
        }
        let Some(best) = candidates.iter().max_by(|a, b| a.score.total_cmp(&b.score)) else {
            return self.unsure(0.0);
        };
        let best_score = best.score;
        // The answer stays within the best sentence's section, so that it reads as one answer.
        let best_passage = best.passage;
        let same_section: Vec<&Candidate<'_>> =
            candidates.iter().filter(|candidate| candidate.passage == best_passage).collect();
        let chosen = self.choose(&same_section, best_score);

        // Confidence: how much of the question the answer's page covers, and how much the
        // chosen sentences (with their headings) cover.
        let mut answer_terms: HashSet<String> = HashSet::new();
        for candidate in &chosen {
            answer_terms.extend(candidate.terms.iter().cloned());
        }
        let page_support = weights.support(page_terms(&read[chosen.first().map_or(0, |c| c.passage)]));
        let confidence = (0.6 * page_support + 0.4 * weights.support(&answer_terms)).clamp(0.0, 1.0);
        if confidence < self.settings.min_confidence || chosen.is_empty() {
            return self.unsure(confidence);
        }
        self.cite(&chosen, read, confidence)
    }

    /// The best sentence and those close behind it, in reading order.
    fn choose<'c, 'h>(&self, candidates: &[&'c Candidate<'h>], best: f32) -> Vec<&'c Candidate<'h>> {
        let mut order: Vec<usize> = (0..candidates.len()).collect();
        order.sort_by(|&a, &b| candidates[b].score.total_cmp(&candidates[a].score));
        let mut chosen: Vec<usize> = Vec::new();
        let mut chars = 0;
        for index in order {
            let candidate = &candidates[index];
            if chosen.len() >= self.settings.max_sentences || candidate.score < best * FOLLOWER_SHARE {
                break;
            }
            let repeats = chosen.iter().any(|&other| {
                let other = &candidates[other];
                other.text == candidate.text || overlap(&other.terms, &candidate.terms) > 0.7
            });
            if repeats || (!chosen.is_empty() && chars + candidate.text.len() > self.settings.max_chars) {
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
                .filter(|(_, candidate)| candidate.passage == passage && candidate.position > position)
                .take(6);
            for (index, item) in items {
                if chars + item.text.len() > self.settings.max_chars * 2 || chosen.contains(&index) {
                    break;
                }
                chars += item.text.len();
                chosen.push(index);
            }
        }
        chosen.sort_by_key(|&index| (candidates[index].passage, candidates[index].position));
        chosen.into_iter().map(|index| candidates[index]).collect()
    }

    /// The answer text, from one section of one page, with its citation number at the end. A
    /// table row only makes sense under its heading, so the first one is introduced by it.
    fn cite(&self, chosen: &[&Candidate<'_>], hits: &[Hit], confidence: f32) -> Answer {
        let hit = &hits[chosen[0].passage];
        let mut heading = hit.heading_path.last().filter(|heading| !heading.is_empty());
        let mut parts: Vec<String> = Vec::new();
        for candidate in chosen {
            match heading {
                Some(text)
                    if is_table_row(candidate.text)
                        && !candidate.text.to_lowercase().contains(&text.to_lowercase()) =>
                {
                    parts.push(format!("{text}: {}", candidate.text));
                    heading = None;
                }
                _ => parts.push(candidate.text.to_string()),
            }
        }
        let citation = Citation {
            title: hit.title.clone(),
            url: hit.url.clone(),
            snippet: shorten(chosen[0].text, CITATION_SNIPPET_CHARS),
        };
        Answer { answer: format!("{} [1]", parts.join(" ")), citations: vec![citation], confidence, handoff: false }
    }

    fn unsure(&self, confidence: f32) -> Answer {
        Answer { answer: self.settings.unsure_message.clone(), citations: Vec::new(), confidence, handoff: true }
    }

    fn terms_of(&self, text: &str) -> impl Iterator<Item = String> {
        self.knowledge_base.analyze(text).into_iter()
    }
}

/// What kind of answer a question asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QuestionKind {
    /// A length of time: "how long", "how soon", "how far in advance".
    Duration,
    /// A price or fee.
    Price,
    /// A time, date, number or other figure.
    Figure,
    /// Anything else.
    Open,
}

/// Phrases that ask for a length of time.
const DURATION_QUESTIONS: &[&str] = &[
    "how long",
    "how soon",
    "how quickly",
    "how quick",
    "how fast",
    "how far in advance",
    "how much notice",
    "how much time",
    "how many days",
    "how many weeks",
    "how many months",
    "how many years",
    "how many hours",
    "time limit",
    "deadline",
];

/// Words that only frame a duration question ("how long"), not what it is about.
const DURATION_FRAME_WORDS: &str = "long soon quickly quick fast far advance";

/// Units that make a number a length of time.
const TIME_UNITS: &[&str] = &["minute", "hour", "day", "week", "fortnight", "month", "year"];

/// Number words that may stand before a time unit.
const NUMBER_WORDS: &[&str] =
    &["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "twelve", "a", "an", "few"];

impl QuestionKind {
    fn of(question: &str) -> QuestionKind {
        let lower = question.to_lowercase().replace(['’', '\''], "");
        let words: Vec<&str> =
            lower.split(|c: char| !c.is_alphanumeric() && c != '£').filter(|word| !word.is_empty()).collect();
        let spaced = format!(" {} ", words.join(" "));
        let asks = |list: &[&str]| words.iter().any(|word| list.contains(word));
        if DURATION_QUESTIONS.iter().any(|phrase| spaced.contains(&format!(" {phrase} "))) {
            QuestionKind::Duration
        } else if spaced.contains(" how much ") || asks(MONEY_QUESTION_WORDS) || lower.contains('£') {
            QuestionKind::Price
        } else if asks(FIGURE_QUESTION_WORDS) {
            QuestionKind::Figure
        } else {
            QuestionKind::Open
        }
    }

    /// Words of the question that only say what kind of answer it wants.
    fn frame_words(self) -> &'static str {
        match self {
            QuestionKind::Duration => DURATION_FRAME_WORDS,
            QuestionKind::Price | QuestionKind::Figure | QuestionKind::Open => "",
        }
    }

    /// Whether a sentence is of the kind the question asks for.
    fn fits(self, sentence: &str) -> bool {
        match self {
            QuestionKind::Duration => states_duration(sentence),
            QuestionKind::Price => {
                let lower = sentence.to_lowercase();
                sentence.contains('£') || has_pence(sentence) || lower.contains("free") || lower.contains("no charge")
            }
            QuestionKind::Figure => has_figure(sentence),
            QuestionKind::Open => true,
        }
    }
}

/// Whether a sentence states a length of time: a number or number word before a time unit, or
/// words such as "same day" and "straight away".
fn states_duration(text: &str) -> bool {
    let lower = text.to_lowercase();
    if ["same day", "straight away", "immediately", "next working day"].iter().any(|phrase| lower.contains(phrase)) {
        return true;
    }
    let words: Vec<&str> = lower.split(|c: char| !c.is_alphanumeric()).filter(|word| !word.is_empty()).collect();
    words.iter().enumerate().any(|(index, word)| {
        let is_number = word.chars().all(|c| c.is_ascii_digit()) || NUMBER_WORDS.contains(word);
        is_number && words[index + 1..].iter().take(2).any(|next| TIME_UNITS.iter().any(|unit| next.starts_with(unit)))
    })
}

/// Whether a sentence states an amount in pence, such as "15p".
fn has_pence(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.windows(2).enumerate().any(|(index, pair)| {
        pair[0].is_ascii_digit()
            && pair[1] == b'p'
            && bytes.get(index + 2).is_none_or(|next| !next.is_ascii_alphabetic())
    })
}

/// Whether a sentence states a figure: digits, a price, or a day of the week.
fn has_figure(text: &str) -> bool {
    const DAYS: &[&str] = &["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
    let lower = text.to_lowercase();
    text.chars().any(|c| c.is_ascii_digit() || c == '£') || DAYS.iter().any(|day| lower.contains(day))
}

/// Whether a sentence is a table row written as `Header: value; Header: value.`.
fn is_table_row(text: &str) -> bool {
    text.contains("; ") && text.split("; ").all(|cell| cell.contains(": "))
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

#[cfg(test)]
mod tests {
    use super::{QuestionKind, has_pence, states_duration};

    #[test]
    fn questions_are_sorted_by_the_kind_of_answer_they_want() {
        assert_eq!(QuestionKind::of("how long have I got to register my baby"), QuestionKind::Duration);
        assert_eq!(QuestionKind::of("how far in advance do we need to book"), QuestionKind::Duration);
        assert_eq!(QuestionKind::of("how much to take a sofa away"), QuestionKind::Price);
        assert_eq!(QuestionKind::of("whats the fee"), QuestionKind::Price);
        assert_eq!(QuestionKind::of("what day is my bin collected"), QuestionKind::Figure);
        assert_eq!(QuestionKind::of("who do I complain to"), QuestionKind::Open);
    }

    #[test]
    fn durations_and_pence_are_recognised() {
        assert!(states_duration("You must register the birth within 42 days."));
        assert!(states_duration("We aim to reply within five working days."));
        assert!(states_duration("We will make it safe the same day."));
        assert!(!states_duration("Band D costs £2,184.56."));
        assert!(has_pence("Printing costs 15p a page."));
        assert!(!has_pence("Open 9am to 5pm."));
    }
}
