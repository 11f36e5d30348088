//! Answers made of the most relevant sentences of the best passages, without a language model.

use std::borrow::Borrow;
use std::collections::HashSet;
use std::sync::Arc;

use knowledge_base::{Audience, Hit, KnowledgeBase, Language, QueryTerm, SearchRequest};

use super::exclusion::excluded_words;
use super::fact_kind::has_figure;
use super::occasion::{TELLING_WORDS, is_about_another_occasion, occasions};
use super::quantity::{Quantity, Stated, quantities, stated};
use super::series::{SeriesCase, only_others_named, row_of, series_cases};
use super::{Answer, AnswerSettings, Citation, QuestionType};
use crate::error::Result;

/// How many passages are searched for an answer, and given with it.
const PASSAGES_SEARCHED: usize = 8;
/// How far down the search the best passage's page's other sections are read: on the
/// development halves 12, 20 and 30 read the same answers, and more facts than 8.
const PASSAGES_SEARCHED_WITH_PAGE: usize = 12;
/// How many of the best passages sentences are taken from: on the development halves of the
/// sample council's and the Stirling corpus's golden sets, 7 and 8 find the answering page and
/// its fact equally often, and more often than 6.
const PASSAGES_READ: usize = 7;
/// A further sentence joins the answer when it scores at least this share of the best one.
const FOLLOWER_SHARE: f32 = 0.8;
/// How many sentences an answer takes from sections of its page other than the best sentence's.
const SENTENCES_FROM_ANOTHER_SECTION: usize = 1;
/// Characters of a citation's snippet.
const CITATION_SNIPPET_CHARS: usize = 200;

/// Searched as well when a question asks for a price, since pages state prices in these words.
const MONEY_WORDS: &str = "cost price fee charge";

/// Words searched as well for a question asking when.
const WHEN_WORDS: &str = "day date";

/// How much of what a question is about a table row must name by its own words, without its
/// headings, for an answer made of table rows: chosen on the development half.
const ROW_SUBJECT_SHARE: f32 = 0.13;

/// Words that name the kind of fact a question wants rather than what it is about.
const FACT_NAMING_WORDS: &str = "phone number telephone email contact call ring cost price fee charge much";

/// How much a sentence of the wrong kind counts, such as one without a price for "how much".
const WRONG_KIND: f32 = 0.55;

/// How much a question word counts against an answer when the page lacks it but other pages use it.
const MISSING_KNOWN_SHARE: f32 = 0.5;

/// How much a question word counts against an answer when no page uses it at all.
const MISSING_UNKNOWN_SHARE: f32 = 2.0;

/// How much a sentence's own words covering the question count towards its relevance.
const SENTENCE_SHARE: f32 = 0.4;

/// How much the sentence's words with its section's headings and page title count.
const SECTION_SHARE: f32 = 0.2;

/// How much the words of the sentence's whole page count.
const PAGE_SHARE: f32 = 0.3;

/// How much its passage's search score, as a share of the best one, counts.
const RANK_SHARE: f32 = 0.3;

/// How much the words searched on top of the question count towards a sentence's relevance.
const EXPANSION_SHARE: f32 = 0.15;

/// How much a section's heading that asks the same question counts towards its sentences'
/// relevance.
const QUESTION_HEADING_SHARE: f32 = 0.1;

/// Weight of a sentence giving an amount the question gives ("So 5 items cost £56").
const QUANTITY_SHARE: f32 = 0.1;

/// How much of an answer's confidence comes from how much of the question its page covers.
const PAGE_SUPPORT_SHARE: f32 = 0.5;

/// How much comes from how much of the question the answer's sentences (and headings) cover.
const ANSWER_SUPPORT_SHARE: f32 = 0.2;

/// How much comes from how much of the question the sentence stating the fact asked for covers.
const FACT_SUPPORT_SHARE: f32 = 0.3;

/// The most words an answer is made of; its first sentence is always whole.
const MAX_ANSWER_WORDS: usize = 70;

/// The most rows of a table or items of a list given whole in an answer.
const MAX_LIST_ENTRIES: usize = 8;

/// The most words a whole table or list in an answer may have.
const MAX_LIST_WORDS: usize = 100;

/// The most words of a line that names a type a sentence after it speaks of ("Secondary letting
/// licence").
const TYPE_NAME_WORDS: usize = 8;

/// Scores closer than this are a tie.
const TIE: f32 = 0.01;

/// Words that open a sentence which only makes sense after the one before it.
const REFERRING_OPENINGS: &[&str] = &[
    "it",
    "this",
    "these",
    "that",
    "those",
    "they",
    "he",
    "she",
    "also",
    "however",
    "but",
    "otherwise",
    "if so",
    "if not",
    "in this case",
    "instead",
];

/// Said before an answer to a Welsh question that only an English page gives.
pub const ENGLISH_ONLY_NOTE: &str = "Does dim tudalen Gymraeg yn ateb hyn, felly dyma'r ateb o'n tudalennau Saesneg:";

/// Answers from the knowledge base by extracting sentences.
pub struct ExtractiveAnswerer<'kb> {
    knowledge_base: &'kb KnowledgeBase,
    settings: AnswerSettings,
    /// The language questions are asked in; `None` tells it from each question's words.
    language: Option<Language>,
    /// The thresholds that decide when a Welsh question is answered from the English pages;
    /// `None` for the settings' own.
    fallback_thresholds: Option<AnswerSettings>,
}

/// A sentence considered for an answer.
struct Candidate<'h> {
    /// Rank of its passage among the hits.
    passage: usize,
    /// Its passage's place in its page, from 0.
    section: u64,
    /// Position in its passage.
    position: usize,
    text: &'h str,
    /// Its terms with those of its headings.
    terms: HashSet<String>,
    /// How much of the question it covers by its own words, without its headings.
    own_coverage: f32,
    /// A table row giving another case's fact: only other amounts of something the question
    /// gives an amount of ("up to 40 square metres" for a 60 square metre extension), or the
    /// row of another case of a series the question names ("Band: F" for band D).
    other_case: bool,
    /// Whether it is such a row for its amounts: its table's other rows are other cases too.
    other_amount: bool,
    /// Whether it gives an amount the question gives, or is the row of the case it names.
    gives_quantity: bool,
    score: f32,
}

/// The question's terms split into those asked and those added by the answerer, with a
/// function that measures how much of each a set of terms covers.
struct Weights<'t> {
    asked: &'t [QueryTerm],
    added: &'t [QueryTerm],
    /// Asked terms that only say who the question is about ("my dad"), as analysed.
    context: &'t HashSet<String>,
    /// The asked terms that say what the question is about, without those naming the kind of
    /// fact wanted ("phone number", "cost").
    subject: &'t [QueryTerm],
    /// The amounts the question gives ("5 items", "2 hrs").
    quantities: &'t [Quantity],
    /// The cases the question names by a letter of a series ("zone E").
    series: &'t [SeriesCase],
    /// The terms the question itself leaves out ("a loft conversion without a dormer").
    excluded: &'t HashSet<String>,
    /// The words saying the question asks about a past year ("last" in "last year"), as
    /// analysed: an answer that never says so gives this year's facts.
    past: &'t HashSet<String>,
    /// The occasions the question names ("over Christmas").
    occasions: &'t [&'static str],
    /// A word of each way of writing an occasion, as analysed: a sentence without one names none.
    occasion_words: &'t HashSet<String>,
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
    ///
    /// A figure the question gives (a year, a count) picks out a case of what it asks about but
    /// never shows that the terms are about that: "2027/28" is on many pages. Figures found count
    /// only as far as the question's words are found.
    fn support(&self, terms: &HashSet<String>) -> f32 {
        let mut total = 0.0;
        let (mut found_words, mut words) = (0.0, 0.0);
        let mut found_figures = 0.0;
        for term in self.asked {
            let figure = is_figure(&term.term);
            if term.is_in(terms) {
                if figure {
                    found_figures += term.weight;
                } else {
                    found_words += term.weight;
                    words += term.weight;
                }
                total += term.weight;
            } else if !self.context.contains(&term.term) {
                // A year the page never gives is another year's answer, however close the rest.
                let decisive = !term.known || is_year(&term.term);
                let missing = term.weight * if decisive { MISSING_UNKNOWN_SHARE } else { MISSING_KNOWN_SHARE };
                total += missing;
                if !figure {
                    words += missing;
                }
            }
        }
        // Figures alone, without one of the question's words, show nothing.
        let figures = if found_words > 0.0 || words <= 0.0 { found_figures } else { 0.0 };
        if total <= 0.0 { 0.0 } else { (found_words + figures) / total }
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
        ExtractiveAnswerer { knowledge_base, settings, language: None, fallback_thresholds: None }
    }

    /// Answers questions asked in this language; with `None`, in the language each question's
    /// words are in (English when they do not tell).
    pub fn in_language(mut self, language: Option<Language>) -> Self {
        self.language = language;
        self
    }

    /// Decides when a Welsh question is answered from the English pages by the thresholds of
    /// `settings`, as answering with them would, even when these settings answer however unsure
    /// (to measure confidence).
    pub fn falling_back_as(mut self, settings: &AnswerSettings) -> Self {
        self.fallback_thresholds = Some(settings.clone());
        self
    }

    /// Answers a question for a viewer (residents see only public content).
    pub fn answer(&self, question: &str, viewer: Audience) -> Result<Answer> {
        Ok(self.answer_with_hits(question, viewer)?.0)
    }

    /// Answers a question, also returning the passages searched, best first.
    pub fn answer_with_hits(&self, question: &str, viewer: Audience) -> Result<(Answer, Vec<Hit>)> {
        self.answer_in_area(question, viewer, None)
    }

    /// Answers a question from one service area's pages (every page when `None`), also
    /// returning the passages searched, best first.
    pub fn answer_in_area(
        &self,
        question: &str,
        viewer: Audience,
        service_area: Option<&str>,
    ) -> Result<(Answer, Vec<Hit>)> {
        let language = self.language.or_else(|| Language::detect(question)).unwrap_or_default();
        let kind = QuestionType::of_wording_in(language, question);
        let (answer, hits) = self.answer_from(language, kind, question, viewer, service_area)?;
        // A Welsh question no Welsh page answers is answered from the English pages, saying so:
        // they are searched by its English words, for the kind of answer its Welsh wording asks.
        let thresholds = self.fallback_thresholds.as_ref().unwrap_or(&self.settings);
        if language == Language::Welsh
            && (answer.handoff || answer.confidence < thresholds.min_confidence_welsh)
            && let Some(english_question) = self.knowledge_base.english_words_of_welsh(question)
        {
            let (english, english_hits) =
                self.answer_from(Language::English, kind, &english_question, viewer, service_area)?;
            if !english.handoff && english.confidence >= thresholds.min_confidence {
                let answer = Answer { answer: format!("{ENGLISH_ONLY_NOTE} {}", english.answer), ..english };
                return Ok((answer, english_hits));
            }
        }
        Ok((answer, hits))
    }

    /// Answers a question from the pages in one language.
    fn answer_from(
        &self,
        language: Language,
        kind: QuestionType,
        question: &str,
        viewer: Audience,
        service_area: Option<&str>,
    ) -> Result<(Answer, Vec<Hit>)> {
        let query = match (kind, language) {
            (QuestionType::HowMuch, Language::English) => format!("{question} {MONEY_WORDS}"),
            (QuestionType::HowMuch, Language::Welsh) => format!("{question} {WELSH_MONEY_WORDS}"),
            (QuestionType::When, Language::English) => format!("{question} {WHEN_WORDS}"),
            _ => question.to_string(),
        };
        let request = SearchRequest {
            query: &query,
            viewer,
            service_area,
            limit: PASSAGES_SEARCHED_WITH_PAGE,
            language,
            summaries: false,
        };
        let results = self.knowledge_base.search(&request)?;
        let terms_of = |text: &str| self.knowledge_base.analyze_in(language, text).into_iter();
        let frame: HashSet<String> = terms_of(frame_words(kind, language)).collect();
        let typed: HashSet<String> = terms_of(question).filter(|term| !frame.contains(term)).collect();
        let (asked, added): (Vec<QueryTerm>, Vec<QueryTerm>) =
            results.terms.into_iter().filter(|term| !frame.contains(&term.term)).partition(|term| {
                typed.contains(&term.term) || term.corrected_from.as_ref().is_some_and(|from| typed.contains(from))
            });
        let context: HashSet<String> =
            terms_of(context_words(language)).chain(terms_of(asking_time_words(language))).collect();
        let naming: HashSet<String> = terms_of(FACT_NAMING_WORDS).collect();
        let subject: Vec<QueryTerm> = asked.iter().filter(|term| !naming.contains(&term.term)).cloned().collect();
        let quantities = quantities(question);
        let series = series_cases(question);
        let excluded: HashSet<String> = terms_of(&excluded_words(question).join(" ")).collect();
        let occasions = occasions(question);
        let occasion_words: HashSet<String> = terms_of(&TELLING_WORDS.join(" ")).collect();
        let past: HashSet<String> = terms_of(&past_year_words(question).join(" ")).collect();
        let weights = Weights {
            asked: &asked,
            added: &added,
            context: &context,
            subject: &subject,
            quantities: &quantities,
            series: &series,
            excluded: &excluded,
            occasions: &occasions,
            occasion_words: &occasion_words,
            past: &past,
        };
        let (answer, cited) = self.compose(kind, language, &weights, &results.hits, viewer);
        let mut hits = results.hits;
        hits.truncate(PASSAGES_SEARCHED);
        // The page the answer is taken from comes first, then the others as searched.
        if let Some(document) = cited {
            hits.sort_by_key(|hit| hit.document != document);
        }
        Ok((answer, hits))
    }

    /// The answer, and the hit it is taken from (or would be, when it is not given).
    fn compose(
        &self,
        kind: QuestionType,
        language: Language,
        weights: &Weights<'_>,
        hits: &[Hit],
        viewer: Audience,
    ) -> (Answer, Option<String>) {
        let terms_of = |text: &str| self.knowledge_base.analyze_in(language, text).into_iter();
        let Some(best_hit) = hits.first() else { return (self.unsure(language, 0.0), None) };
        if weights.asked.iter().all(|term| term.weight <= 0.0) {
            return (self.unsure(language, 0.0), None);
        }
        // The best passages, and the other sections of the best one's page that the search found
        // further down: a page's title matches each of its sections, so its section holding the
        // question's rarer words can rank below sections holding its common ones.
        let read: Vec<Hit> = hits
            .iter()
            .enumerate()
            .filter(|(rank, hit)| *rank < PASSAGES_READ || hit.document == best_hit.document)
            .map(|(_, hit)| hit.clone())
            .collect();
        let read = &read[..];
        // A passage's context: its page's title, and every word of its page, so that a prices
        // section counts as being about what its page is about.
        let mut pages: Vec<(&str, Arc<HashSet<String>>)> = Vec::new();
        for hit in read {
            if pages.iter().any(|(document, _)| *document == hit.document) {
                continue;
            }
            let terms =
                self.knowledge_base.page_terms(&hit.document, &hit.title, viewer, hit.language).unwrap_or_else(|_| {
                    let mut terms = self.knowledge_base.term_set_in(language, &hit.title);
                    terms.extend(self.knowledge_base.term_set_in(language, &hit.text));
                    Arc::new(terms)
                });
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
            // A section headed by a question ("How much does it cost?") answers questions like it.
            let question_heading = hit
                .heading_path
                .last()
                .filter(|heading| heading.trim_end().ends_with('?'))
                .map_or(0.0, |heading| weights.asked_coverage(&self.knowledge_base.term_set_in(language, heading)));
            let page_coverage = weights.asked_coverage(page_terms(hit));
            for (position, (text, terms)) in analysed.sentences.iter().enumerate() {
                let text = text.as_str();
                // A word the sentence leaves out ("without a dormer") is not one it holds,
                // unless the question leaves it out too.
                let excluded = excluded_words(text);
                let left_out: HashSet<String> = if excluded.is_empty() {
                    HashSet::new()
                } else {
                    terms_of(&excluded.join(" ")).filter(|term| !weights.excluded.contains(term)).collect()
                };
                let holding: HashSet<String>;
                let terms = if left_out.is_empty() {
                    terms
                } else {
                    holding = terms.difference(&left_out).cloned().collect();
                    &holding
                };
                let near: HashSet<String> = terms.union(headings).cloned().collect();
                let fits: Vec<Stated> = weights.quantities.iter().map(|quantity| stated(text, quantity)).collect();
                // A row whose first cell names the case asked about ("Band: D") is its row; one
                // naming another of its series ("Band: F") is another case's.
                let rows_of: Vec<bool> = if is_table_row(text) {
                    weights.series.iter().filter_map(|case| row_of(text, case)).collect()
                } else {
                    Vec::new()
                };
                let row_of_case = rows_of.contains(&true);
                let other_amount = is_table_row(text) && fits.contains(&Stated::Excludes);
                let other_case = other_amount || (rows_of.contains(&false) && !row_of_case);
                let gives_quantity = (!fits.contains(&Stated::Excludes)
                    && fits.iter().any(|fit| matches!(fit, Stated::Gives | Stated::Includes)))
                    || row_of_case;
                // The amount asked about, given exactly, picks out the case a price or a count is
                // for; in other questions an amount is context ("can my 2 year old get a place").
                let names_case = kind.wants_a_fact() && (fits.contains(&Stated::Gives) || row_of_case);
                let states_quantity = if names_case { 1.0 } else { 0.0 };
                let relevance = SENTENCE_SHARE * weights.asked_coverage(terms)
                    + SECTION_SHARE * weights.asked_coverage(&near)
                    + PAGE_SHARE * page_coverage
                    + RANK_SHARE * rank
                    + EXPANSION_SHARE * weights.added_coverage(terms)
                    + QUESTION_HEADING_SHARE * question_heading
                    + QUANTITY_SHARE * states_quantity;
                let mut score = if kind.is_stated_in(text) && !other_case { relevance } else { relevance * WRONG_KIND };
                // The changes over Christmas answer questions about Christmas, not about the
                // usual arrangements.
                if !terms.is_disjoint(weights.occasion_words) && is_about_another_occasion(text, weights.occasions) {
                    score *= WRONG_KIND;
                }
                if word_count(text) < 4 && !has_figure(text) {
                    score *= 0.7;
                }
                let own_coverage = coverage(weights.subject, terms);
                candidates.push(Candidate {
                    passage,
                    section: hit.ordinal,
                    position,
                    text,
                    terms: near,
                    own_coverage,
                    other_case,
                    other_amount,
                    gives_quantity,
                    score,
                });
            }
        }
        // A page whose table rows are told apart by amounts of what the question gives an amount
        // of ("4 bedrooms", "Room in a shared house") has no row for the amount asked unless a
        // row gives it: its other rows are other cases.
        let tabled: HashSet<&str> = candidates
            .iter()
            .filter(|candidate| candidate.other_amount)
            .map(|candidate| read[candidate.passage].document.as_str())
            .collect();
        for row in candidates.iter_mut().filter(|row| {
            tabled.contains(read[row.passage].document.as_str())
                && is_table_row(row.text)
                && !row.gives_quantity
                && !row.other_case
        }) {
            row.other_case = true;
            row.score *= WRONG_KIND;
        }
        // Rows of a table that the question cannot tell apart (it names no area for "when is my
        // bin collected") and that are too many to give whole are no answer: two rows of eight
        // read as the answer for everyone. The page's other sentences answer instead.
        demote_rows_told_apart_by_what_was_not_asked(&mut candidates, read);
        let Some(best) = candidates.iter().max_by(|a, b| a.score.total_cmp(&b.score)) else {
            return (self.unsure(language, 0.0), None);
        };
        let best_score = best.score;
        // The answer stays within the best sentence's page, so that it reads as one answer; a
        // sentence close behind may come from another of its sections, which often states the
        // fact asked for (a library's loan period below the rules for collecting a card).
        let best_passage = best.passage;
        let same_page: Vec<&Candidate<'_>> = candidates
            .iter()
            .filter(|candidate| read[candidate.passage].document == read[best_passage].document)
            .collect();
        let chosen = self.choose(&same_page, best_score);

        // Confidence: how much of the question the answer's page covers, how much the chosen
        // sentences (with their headings) cover, and how much the sentence stating the fact does.
        let mut answer_terms: HashSet<String> = HashSet::new();
        for candidate in &chosen {
            answer_terms.extend(candidate.terms.iter().cloned());
        }
        let answer_page = page_terms(&read[chosen.first().map_or(0, |c| c.passage)]);
        let page_support = weights.support(answer_page);
        let answer_support = weights.support(&answer_terms);
        // The sentence that states the kind of fact asked for (a price for "how much") must
        // itself be about what was asked: a price on the page of something else answers nothing.
        let fact_support = if kind.wants_a_fact() {
            chosen
                .iter()
                .filter(|candidate| kind.is_stated_in(candidate.text) && !candidate.other_case)
                .map(|candidate| weights.support(&candidate.terms))
                .fold(0.0, f32::max)
        } else {
            answer_support
        };
        let confidence = (PAGE_SUPPORT_SHARE * page_support
            + ANSWER_SUPPORT_SHARE * answer_support
            + FACT_SUPPORT_SHARE * fact_support)
            .clamp(0.0, 1.0);
        // Rows of a table that do not name what was asked about are other rows' facts: the
        // numbers of other services in a list of phone numbers.
        let rows: Vec<&&Candidate<'_>> = chosen.iter().filter(|candidate| is_table_row(candidate.text)).collect();
        let rows_about_else = !weights.subject.is_empty()
            && !rows.is_empty()
            && rows.iter().all(|row| row.own_coverage < ROW_SUBJECT_SHARE);
        // Facts given for other amounts than the question's (the rates for up to 4 bedrooms when
        // it asks about 5), with none for its own, answer other cases: whether the answer gives
        // them, or leaves them out and its page gives nothing for the amount asked (the sentence
        // introducing the rates table, without the table).
        let other_cases = |sentences: &[&Candidate<'_>]| {
            sentences.iter().any(|candidate| candidate.other_case)
                && !sentences.iter().any(|candidate| candidate.gives_quantity)
        };
        let other_cases_only = kind.wants_a_fact() && (other_cases(&chosen) || other_cases(&same_page));
        // A question about a past year ("how much was it last year") is not answered by
        // sentences that never speak of one: a page's facts are this year's.
        let another_year = !weights.past.is_empty() && !weights.past.iter().any(|term| answer_terms.contains(term));
        // A case named by a letter of a series ("zone E") that the answer's page never names,
        // though it names others of the series ("Zone A" to "Zone D"), is a case it does not cover.
        let answer_hit = &read[chosen.first().map_or(best_passage, |candidate| candidate.passage)];
        let unlisted_case = !weights.series.is_empty()
            && self.knowledge_base.document_passages(&answer_hit.document, viewer).is_ok_and(|passages| {
                let texts = || {
                    std::iter::once(answer_hit.title.as_str()).chain(passages.iter().flat_map(|passage| {
                        passage.heading_path.iter().map(String::as_str).chain(std::iter::once(passage.text.as_str()))
                    }))
                };
                weights.series.iter().any(|case| only_others_named(case, texts()))
            });
        if confidence < self.settings.min_confidence_for(language)
            || chosen.is_empty()
            || rows_about_else
            || other_cases_only
            || another_year
            || unlisted_case
        {
            return (self.unsure(language, confidence), Some(read[best_passage].document.clone()));
        }
        let introduction = self.introduction_before(&chosen, read, viewer);
        (self.cite(&chosen, introduction, read, confidence), Some(read[best_passage].document.clone()))
    }

    /// The best sentence and those close behind it, in reading order.
    fn choose<'c, 'h>(&self, candidates: &[&'c Candidate<'h>], best: f32) -> Vec<&'c Candidate<'h>> {
        let mut order: Vec<usize> = (0..candidates.len()).collect();
        order.sort_by(|&a, &b| candidates[b].score.total_cmp(&candidates[a].score));
        // The best sentence's section leads; where room is left, another section of its page
        // adds at most one sentence that stands on its own.
        let leading_passage = order.first().map(|&index| candidates[index].passage);
        let (in_lead, elsewhere): (Vec<usize>, Vec<usize>) =
            order.into_iter().partition(|&index| Some(candidates[index].passage) == leading_passage);
        let mut chosen: Vec<usize> = Vec::new();
        let mut chars = 0;
        let mut words = 0;
        for (pass, indices) in [in_lead, elsewhere].into_iter().enumerate() {
            let most = match pass {
                0 => self.settings.max_sentences,
                _ => self.settings.max_sentences.min(chosen.len() + SENTENCES_FROM_ANOTHER_SECTION),
            };
            for index in indices {
                let candidate = &candidates[index];
                if chosen.len() >= most || candidate.score < best * FOLLOWER_SHARE {
                    break;
                }
                let repeats = chosen.iter().any(|&other| {
                    let other = &candidates[other];
                    other.text == candidate.text || overlap(&other.terms, &candidate.terms) > 0.9
                });
                let too_long = chars + candidate.text.len() > self.settings.max_chars
                    || words + word_count(candidate.text) > MAX_ANSWER_WORDS;
                if repeats || (!chosen.is_empty() && too_long) || (pass > 0 && refers_back(candidate.text)) {
                    continue;
                }
                chars += candidate.text.len();
                words += word_count(candidate.text);
                chosen.push(index);
            }
        }
        // A first sentence that refers back ("It costs £38") comes with the sentence before it.
        if let Some(&first) = chosen
            .iter()
            .filter(|&&index| Some(candidates[index].passage) == leading_passage)
            .min_by_key(|&&index| candidates[index].position)
            && refers_back(candidates[first].text)
            && let Some(before) = candidates.iter().position(|candidate| {
                candidate.passage == candidates[first].passage && candidate.position + 1 == candidates[first].position
            })
            && !chosen.contains(&before)
        {
            chars += candidates[before].text.len();
            chosen.push(before);
        }
        // A sentence about "this type of licence" comes with the line naming the type just
        // before it ("Secondary letting licence"), which says what the answer is about.
        for index in chosen.clone() {
            let candidate = candidates[index];
            if !names_a_type_named_before(candidate.text) || candidate.position == 0 {
                continue;
            }
            if let Some(name) = candidates.iter().position(|other| {
                other.passage == candidate.passage
                    && other.position + 1 == candidate.position
                    && is_unterminated(other.text)
                    && word_count(other.text) <= TYPE_NAME_WORDS
            }) && !chosen.contains(&name)
            {
                chars += candidates[name].text.len();
                chosen.push(name);
            }
        }
        // A sentence that introduces a list (ends in a colon) brings what follows it: the best
        // sentence the sentences after it, another the lines after it that do not end like a
        // sentence (its list items). "In the weeks beginning:" says nothing alone, so an
        // introduction that is not the best sentence and whose list does not fit is left out.
        // A table's caption ("Eastbrook Crisis Support awards, 2026/27") is such a sentence too:
        // leading, it brings its rows; otherwise it is shown only beside a row of its table.
        let row_at = |passage: usize, position: usize| {
            candidates.iter().position(|candidate| {
                candidate.passage == passage && candidate.position == position && is_table_row(candidate.text)
            })
        };
        let is_caption = |index: usize| row_after_caption(candidates, index).is_some();
        for caption in chosen.clone().into_iter().skip(1).filter(|&index| is_caption(index)) {
            let (passage, position) = (candidates[caption].passage, candidates[caption].position);
            let beside_a_row =
                (position + 1..).map_while(|position| row_at(passage, position)).any(|row| chosen.contains(&row));
            if !beside_a_row {
                chosen.retain(|&index| index != caption);
            }
        }
        for introduction in chosen.clone() {
            let intro = candidates[introduction];
            let is_lead = chosen.first() == Some(&introduction);
            if !(intro.text.ends_with(':') || (is_lead && is_caption(introduction))) {
                continue;
            }
            let after = (0..candidates.len()).filter(|&index| {
                candidates[index].passage == intro.passage && candidates[index].position > intro.position
            });
            let mut items: Vec<usize> = if is_lead {
                after.take(6).collect()
            } else {
                after
                    .enumerate()
                    .take_while(|&(offset, index)| {
                        candidates[index].position == intro.position + 1 + offset
                            && is_unterminated(candidates[index].text)
                    })
                    .map(|(_, index)| index)
                    .take(MAX_LIST_ENTRIES)
                    .collect()
            };
            let has_list = !items.is_empty();
            items.retain(|index| !chosen.contains(index));
            let length: usize = items.iter().map(|&index| candidates[index].text.len()).sum();
            if !is_lead && (!has_list || chars + length > self.settings.max_chars * 2) {
                chosen.retain(|&index| index != introduction);
                continue;
            }
            for index in items {
                if chars + candidates[index].text.len() > self.settings.max_chars * 2 {
                    break;
                }
                chars += candidates[index].text.len();
                chosen.push(index);
            }
        }
        // A row of a table or an item of a list comes with the rest of its table or list (and
        // the sentence introducing it), so that "5 items" finds its price among the others.
        if let Some(&lead) = chosen.first()
            && is_list_entry(candidates[lead].text)
        {
            let (passage, position) = (candidates[lead].passage, candidates[lead].position);
            let at = |position: usize| {
                candidates.iter().position(|candidate| candidate.passage == passage && candidate.position == position)
            };
            let mut first = position;
            while first > 0 && at(first - 1).is_some_and(|index| is_list_entry(candidates[index].text)) {
                first -= 1;
            }
            let mut run: Vec<usize> = Vec::new();
            if first > 0
                && let Some(intro) = at(first - 1).filter(|&index| candidates[index].text.ends_with(':'))
            {
                run.push(intro);
            }
            let mut next = first;
            while let Some(index) = at(next).filter(|&index| is_list_entry(candidates[index].text)) {
                run.push(index);
                next += 1;
            }
            let run_words: usize = run.iter().map(|&index| word_count(candidates[index].text)).sum();
            if run.len() <= MAX_LIST_ENTRIES && run_words <= MAX_LIST_WORDS {
                chosen = run;
            }
        }
        // An item of a list that cannot open a sentence ("you have worked in the district for
        // 16 hours a week, or") comes with the sentence that introduces its list ("You have a
        // local connection if:"), found by going back over the items before it.
        for item in chosen.clone() {
            if !is_fragment(candidates[item].text) {
                continue;
            }
            let (passage, mut position) = (candidates[item].passage, candidates[item].position);
            let at = |position: usize| {
                candidates.iter().position(|candidate| candidate.passage == passage && candidate.position == position)
            };
            let mut introduction = None;
            while position > 0
                && let Some(before) = at(position - 1)
            {
                let text = candidates[before].text;
                if text.ends_with(':') {
                    introduction = Some(before);
                    break;
                }
                let items_between = candidates[item].position - position;
                if !may_continue_a_list(text) || items_between >= MAX_LIST_ENTRIES {
                    break;
                }
                position -= 1;
            }
            // A list whose items read as one sentence ("if both of these apply: you cannot move
            // a full bin, and there is nobody else...") comes whole: one of its conditions alone
            // says something else. Items that are things listed ("no charge for: batteries;
            // light bulbs") need not.
            if let Some(introduction) = introduction.filter(|index| !chosen.contains(index)) {
                let mut joining = vec![introduction];
                let last = candidates[introduction].position + MAX_LIST_ENTRIES;
                let items: Vec<usize> = (candidates[introduction].position + 1..=last)
                    .map_while(|position| {
                        at(position).filter(|&index| {
                            position <= candidates[item].position || is_fragment(candidates[index].text)
                        })
                    })
                    .collect();
                let one_sentence = items.iter().any(|&index| ends_in_joining_word(candidates[index].text));
                if one_sentence {
                    joining.extend(items.into_iter().filter(|index| !chosen.contains(index)));
                }
                let length: usize = joining.iter().map(|&index| candidates[index].text.len()).sum();
                if chars + length <= self.settings.max_chars * 2 {
                    chars += length;
                    chosen.extend(joining);
                } else if chars + candidates[introduction].text.len() <= self.settings.max_chars * 2 {
                    chars += candidates[introduction].text.len();
                    chosen.push(introduction);
                }
            }
        }
        // In reading order, the leading section's sentences first.
        chosen.sort_by_key(|&index| {
            let candidate = candidates[index];
            (Some(candidate.passage) != leading_passage, candidate.section, candidate.position)
        });
        chosen.into_iter().map(|index| candidates[index]).collect()
    }

    /// What introduces the list the answer opens with when the list's items open their
    /// passage: the sentence left in the passage before when the section was split there, or
    /// else the heading of the section the list opens ("Who usually cannot join:" for "people
    /// with rent arrears of more than 8 weeks").
    fn introduction_before(&self, chosen: &[&Candidate<'_>], hits: &[Hit], viewer: Audience) -> Option<String> {
        let lead = chosen.first()?;
        let is_item = |text: &str| !is_table_row(text) && may_continue_a_list(text);
        if !is_fragment(lead.text) || is_table_row(lead.text) {
            return None;
        }
        // Everything before the item in its passage is an item too: the list opens the passage.
        let hit = &hits[lead.passage];
        let analysed = self.knowledge_base.analysed_passage(hit);
        if !analysed.sentences.iter().take(lead.position).all(|(text, _)| is_item(text)) {
            return None;
        }
        let passages = self.knowledge_base.document_passages(&hit.document, viewer).ok()?;
        let before = hit.ordinal.checked_sub(1).and_then(|previous| {
            passages.iter().find(|passage| passage.ordinal == previous && passage.heading_path == hit.heading_path)
        });
        match before {
            Some(before) => {
                let sentences = knowledge_base::text::sentences(&before.text);
                let at = sentences.iter().rposition(|sentence| sentence.trim_end().ends_with(':'))?;
                sentences[at + 1..].iter().all(|sentence| is_item(sentence)).then(|| sentences[at].trim().to_string())
            }
            None => hit
                .heading_path
                .last()
                .filter(|heading| !heading.trim().is_empty())
                .map(|heading| format!("{}:", heading.trim().trim_end_matches(':'))),
        }
    }

    /// The answer text, from one page, with its citation number at the end. A table row only
    /// makes sense under its heading, so the first one of each section is introduced by it.
    fn cite(&self, chosen: &[&Candidate<'_>], introduction: Option<String>, hits: &[Hit], confidence: f32) -> Answer {
        let hit = &hits[chosen[0].passage];
        let mut introduced: Vec<usize> = Vec::new();
        let mut parts: Vec<(usize, String)> = Vec::new();
        if let Some(introduction) = introduction {
            parts.push((chosen[0].passage, introduction));
        }
        for candidate in chosen {
            let heading = hits[candidate.passage].heading_path.last().filter(|heading| !heading.is_empty());
            match heading {
                Some(text)
                    if is_table_row(candidate.text)
                        && !introduced.contains(&candidate.passage)
                        && !candidate.text.to_lowercase().contains(&text.to_lowercase()) =>
                {
                    parts.push((candidate.passage, format!("{text}: {}", candidate.text)));
                    introduced.push(candidate.passage);
                }
                _ => parts.push((candidate.passage, candidate.text.to_string())),
            }
        }
        let parts = join_list_items(parts);
        let citation = Citation {
            title: hit.title.clone(),
            url: hit.url.clone(),
            snippet: shorten(chosen[0].text, CITATION_SNIPPET_CHARS),
        };
        Answer { answer: format!("{} [1]", parts.join(" ")), citations: vec![citation], confidence, handoff: false }
    }

    fn unsure(&self, language: Language, confidence: f32) -> Answer {
        let answer = self.settings.unsure_message_for(language).to_string();
        Answer { answer, citations: Vec::new(), confidence, handoff: true }
    }
}

/// Words for the people a question is about ("my dad can't get his bin out"): context that a
/// page, written to "you", need not repeat, so a page without them is not the less an answer.
const CONTEXT_WORDS: &str = "dad dads father mum mums mam mom mother nan nana gran granny grandma grandmother \
    grandad grandpa grandfather wife husband partner son daughter brother sister friend mate bloke fella lad \
    auntie aunt uncle cousin boyfriend girlfriend fiance fiancee";

/// Welsh words for the people a question is about.
const WELSH_CONTEXT_WORDS: &str = "tad mam nain taid mamgu tadcu gwraig gŵr partner mab merch brawd chwaer ffrind";

/// Words for the people a question is about, in a language.
fn context_words(language: Language) -> &'static str {
    match language {
        Language::English => CONTEXT_WORDS,
        Language::Welsh => WELSH_CONTEXT_WORDS,
    }
}

/// Words for the day a question is asked on ("my bin wasn't collected today"): context that a
/// page, written for every day, need not repeat.
const ASKING_TIME_WORDS: &str = "today yesterday";

/// Welsh words for the day a question is asked on.
const WELSH_ASKING_TIME_WORDS: &str = "heddiw ddoe";

fn asking_time_words(language: Language) -> &'static str {
    match language {
        Language::English => ASKING_TIME_WORDS,
        Language::Welsh => WELSH_ASKING_TIME_WORDS,
    }
}

/// Whether an analysed term is a figure, such as 2027 or 28.
fn is_figure(term: &str) -> bool {
    !term.is_empty() && term.chars().all(|c| c.is_ascii_digit())
}

/// Whether an analysed term is a year, such as 2027.
fn is_year(term: &str) -> bool {
    term.len() == 4 && is_figure(term) && (term.starts_with("19") || term.starts_with("20"))
}

/// Words that put a year in the past.
const PAST_WORDS: &[&str] = &["last", "previous", "past"];

/// Words that are a past year on their own: Welsh "llynedd" (last year).
const PAST_YEAR_WORDS: &[&str] = &["llynedd"];

/// Words for a year, as residents type them.
const YEAR_WORDS: &[&str] = &["year", "years", "yr", "yrs", "year's", "years'"];

/// The words of `question` that ask about a past year rather than this one: "last" in "how
/// much was band c last year".
fn past_year_words(question: &str) -> Vec<String> {
    let lower = question.to_lowercase().replace('’', "'");
    let words: Vec<&str> =
        lower.split(|c: char| !c.is_alphanumeric() && c != '\'').filter(|word| !word.is_empty()).collect();
    let mut past: Vec<String> = words
        .windows(2)
        .filter(|pair| PAST_WORDS.contains(&pair[0]) && YEAR_WORDS.contains(&pair[1]))
        .map(|pair| pair[0].to_string())
        .collect();
    past.extend(words.iter().filter(|word| PAST_YEAR_WORDS.contains(word)).map(|word| word.to_string()));
    past
}

/// Words that only frame a duration question ("how long"), not what it is about.
const DURATION_FRAME_WORDS: &str = "long soon quickly quick fast far advance";

/// Welsh words that only frame a duration question (*pa mor hir*, *pa mor fuan*).
const WELSH_DURATION_FRAME_WORDS: &str = "mor hir fuan gyflym sydyn bell ymlaen amser";

/// Searched as well when a Welsh question asks for a price.
const WELSH_MONEY_WORDS: &str = "cost pris ffi tâl";

/// Words of a question of this type that only say what kind of answer it wants.
fn frame_words(kind: QuestionType, language: Language) -> &'static str {
    match (kind, language) {
        (QuestionType::HowLong, Language::English) => DURATION_FRAME_WORDS,
        (QuestionType::HowLong, Language::Welsh) => WELSH_DURATION_FRAME_WORDS,
        _ => "",
    }
}

/// The number of words in a text.
fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

/// Whether a sentence speaks of "this type of" something, named before it.
fn names_a_type_named_before(text: &str) -> bool {
    let lower = text.to_lowercase();
    ["this type of ", "this kind of ", "this sort of "].iter().any(|phrase| lower.contains(phrase))
}

/// Whether a sentence opens with a word that refers to the sentence before it.
fn refers_back(text: &str) -> bool {
    let lower = text.trim_start().to_lowercase();
    REFERRING_OPENINGS
        .iter()
        .any(|opening| lower.strip_prefix(opening).is_some_and(|rest| rest.starts_with([' ', ',', '\'', '’'])))
}

/// The parts of an answer (each with the passage it comes from) with each run of list items of
/// one passage joined into one sentence, items separated by semicolons: "glass; cans; paper."
/// rather than "glass cans paper". A line after an introduction ("you can claim if:") is an
/// item however long, as is one in lower case after an item; items of two sections are two
/// lists.
fn join_list_items(parts: Vec<(usize, String)>) -> Vec<String> {
    /// Where the parts before stand in a list, and in which passage.
    #[derive(PartialEq)]
    enum List {
        Outside,
        Introduced(usize),
        Items(usize),
    }
    let mut joined: Vec<String> = Vec::new();
    let mut list = List::Outside;
    for (passage, part) in parts {
        let part = part.trim();
        let in_list = list == List::Introduced(passage) || list == List::Items(passage);
        let item = !is_table_row(part) && (is_list_entry(part) || (in_list && may_continue_a_list(part)));
        match joined.last_mut() {
            Some(last) if item && list == List::Items(passage) => {
                // An item ending in "or" or a comma runs on into the next.
                let runs_on = last.ends_with([',', ';']) || ends_in_joining_word(last);
                last.push_str(if runs_on { " " } else { "; " });
                last.push_str(part);
            }
            _ => joined.push(part.to_string()),
        }
        list = if item {
            List::Items(passage)
        } else if part.ends_with(':') {
            List::Introduced(passage)
        } else {
            List::Outside
        };
    }
    for part in &mut joined {
        // A list cut short after an item that runs on ends there: "…for 12 months." not "…, or."
        if let Some((rest, last)) = part.rsplit_once(' ')
            && LIST_JOINING_WORDS.contains(&last)
        {
            let kept = rest.trim_end_matches([',', ';']).len();
            part.truncate(kept);
        }
        if !part.ends_with(['.', '!', '?', ':', ')']) {
            part.push('.');
        }
    }
    joined
}

/// Whether a list item ends with a word joining it to the next ("…because of age, and").
fn ends_in_joining_word(text: &str) -> bool {
    text.rsplit(' ').next().is_some_and(|word| LIST_JOINING_WORDS.contains(&word))
}

/// Whether a sentence cannot open an answer because it starts in lower case, as a list item
/// continuing the sentence that introduces it does.
fn is_fragment(text: &str) -> bool {
    text.chars().next().is_some_and(char::is_lowercase)
}

/// Words a list item ends with when it runs on into the next, in English and Welsh.
const LIST_JOINING_WORDS: &[&str] = &["or", "and", "neu", "a", "ac"];

/// Whether a line may be an item of a list it follows: it starts in lower case or does not end
/// like a sentence.
fn may_continue_a_list(text: &str) -> bool {
    is_fragment(text) || is_unterminated(text)
}

/// Whether a sentence is a row of a table or an item of a list: a short line that does not
/// end like a sentence.
fn is_list_entry(text: &str) -> bool {
    is_table_row(text) || (word_count(text) <= 15 && is_unterminated(text))
}

/// Whether a text ends without a full stop, question or exclamation mark or colon, as a line of
/// a list does.
fn is_unterminated(text: &str) -> bool {
    !text.trim_end().ends_with(['.', '!', '?', ':'])
}

/// Whether a sentence is a table row written as `Header: value; Header: value.`.
fn is_table_row(text: &str) -> bool {
    text.contains("; ") && text.split("; ").all(|cell| cell.contains(": "))
}

/// Lowers the table rows tied for the best score, with the caption before them, when no table
/// of them can be given whole: the question does not say which row it is about. A table that
/// fits (one library's opening hours among three) is given whole under its heading.
fn demote_rows_told_apart_by_what_was_not_asked(candidates: &mut [Candidate<'_>], hits: &[Hit]) {
    let top = candidates.iter().map(|candidate| candidate.score).fold(0.0, f32::max);
    let tied: Vec<usize> = (0..candidates.len())
        .filter(|&index| is_table_row(candidates[index].text) && top - candidates[index].score <= TIE)
        .collect();
    if tied.len() < 2 {
        return;
    }
    // A table is the rows under one heading of one page, which may span passages.
    let table_of = |index: usize| {
        let hit = &hits[candidates[index].passage];
        (hit.document.as_str(), hit.heading_path.last().map(String::as_str))
    };
    let fits_whole = tied.iter().any(|&row| {
        let table: Vec<&usize> = tied.iter().filter(|&&other| table_of(other) == table_of(row)).collect();
        let words: usize = table.iter().map(|&&index| word_count(candidates[index].text)).sum();
        table.len() <= MAX_LIST_ENTRIES && words <= MAX_LIST_WORDS
    });
    if fits_whole {
        return;
    }
    let captions: Vec<usize> = (0..candidates.len())
        .filter(|&index| row_after_caption(candidates, index).is_some_and(|row| tied.contains(&row)))
        .collect();
    for index in tied.into_iter().chain(captions) {
        candidates[index].score *= WRONG_KIND;
    }
}

/// The table row right after the sentence at `index`, when that sentence is the table's
/// caption ("Register office ceremony fees" before its rows).
fn row_after_caption<'h, C: Borrow<Candidate<'h>>>(candidates: &[C], index: usize) -> Option<usize> {
    let caption = candidates[index].borrow();
    if !is_unterminated(caption.text) || is_table_row(caption.text) {
        return None;
    }
    candidates.iter().position(|candidate| {
        let candidate = candidate.borrow();
        candidate.passage == caption.passage
            && candidate.position == caption.position + 1
            && is_table_row(candidate.text)
    })
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
    use super::{is_list_entry, join_list_items, past_year_words, refers_back};

    #[test]
    fn a_question_about_last_year_is_told_from_one_about_this_year() {
        assert_eq!(past_year_words("how much was band c council tax last year"), ["last"]);
        assert_eq!(past_year_words("what were the previous years' rates"), ["previous"]);
        assert_eq!(past_year_words("faint oedd y dreth y llynedd"), ["llynedd"]);
        assert!(past_year_words("how much is band c this year").is_empty());
        assert!(past_year_words("when is the last collection before christmas").is_empty());
    }

    #[test]
    fn a_sentence_that_refers_back_is_told_from_one_that_stands_alone() {
        assert!(refers_back("It costs £38 for up to 3 items."));
        assert!(refers_back("This means your band could go up."));
        assert!(!refers_back("Items are collected on Tuesdays."));
        assert!(!refers_back("Italian and Polish translations are available."));
    }

    #[test]
    fn list_items_are_joined_into_one_sentence_and_table_rows_kept_apart() {
        assert!(is_list_entry("batteries, car batteries and vapes"));
        assert!(is_list_entry("Period: Summer; Opening hours: 8am to 6pm."));
        assert!(!is_list_entry("You can bring most household waste to the centre."));
        let in_one_section = |parts: &[&str]| parts.iter().map(|part| (0, part.to_string())).collect::<Vec<_>>();
        let parts = in_one_section(&["You can bring:", "batteries and vapes", "paint", "cooking oil"]);
        assert_eq!(join_list_items(parts), ["You can bring:", "batteries and vapes; paint; cooking oil."]);
        let rows = ["Band: A; Charge: £1,200.", "Band: B; Charge: £1,400."];
        assert_eq!(join_list_items(in_one_section(&rows)), rows);
    }

    #[test]
    fn a_list_item_from_another_section_is_not_joined_to_the_list_before_it() {
        let parts = vec![
            (0, "You can bring:".to_string()),
            (0, "garden waste".to_string()),
            (3, "Loan period – 3 weeks".to_string()),
        ];
        assert_eq!(join_list_items(parts), ["You can bring:", "garden waste.", "Loan period – 3 weeks."]);
    }

    #[test]
    fn long_items_after_an_introduction_are_one_list_and_an_item_ending_in_or_runs_on() {
        let parts = [
            "You can make a new claim if you rent your home and:",
            "you have reached State Pension age (or you and your partner both have), or",
            "you live in supported or sheltered housing where your landlord gives you care or support",
        ]
        .map(|part| (2, part.to_string()))
        .to_vec();
        assert_eq!(
            join_list_items(parts),
            [
                "You can make a new claim if you rent your home and:",
                "you have reached State Pension age (or you and your partner both have), or you live in supported or \
                 sheltered housing where your landlord gives you care or support."
            ]
        );
        let cut_short = [(1, "You have a local connection if:"), (1, "you have lived here for 2 years, or")]
            .map(|(passage, part)| (passage, part.to_string()))
            .to_vec();
        assert_eq!(join_list_items(cut_short), ["You have a local connection if:", "you have lived here for 2 years."]);
    }
}
