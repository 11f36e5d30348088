//! Searching: lenient query building from user text, ranking, facets and snippets.

use std::ops::Range;

use serde::Serialize;
use tantivy::collector::{DocSetCollector, FacetCollector, TopDocs};
use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::{
    Bm25Weight, BooleanQuery, BoostQuery, ConstScoreQuery, DisjunctionMaxQuery, Occur, PhraseQuery, Query, TermQuery,
};
use tantivy::schema::{Facet, Field, IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, DocSet, Score, Searcher, TantivyDocument, Term};

use super::compound;
use super::schema::{HEADING_SEPARATOR, TextFields, analyze};
use super::{KnowledgeBase, slug, spelling, stored_terms};
use crate::document::Audience;
use crate::error::{Error, Result};
use crate::language::Language;

/// The byte Tantivy puts between the levels of a stored facet.
const FACET_SEPARATOR: char = '\u{0}';

/// How many passages more than asked for are searched, to make up for near-duplicates dropped.
const DUPLICATES_ALLOWED: usize = 4;

/// The share of words two passages must share to count as the same text (the same notice on
/// several pages, a page copied under another address).
const DUPLICATE_OVERLAP: f32 = 0.9;

/// How many of the passages that best match the query's words are then scored for how close
/// together those words stand: a passage further down seldom gains enough from closeness to
/// reach the first few, and scoring closeness over every match would cost most of a search.
const PROXIMITY_CANDIDATES: usize = 50;

/// How far apart two adjacent query words may stand and still count as close together.
const PROXIMITY_SLOP: u32 = 2;

/// How much a query word's matches in its other fields add to its best one.
const FIELD_TIE_BREAKER: f32 = 0.3;

/// Longest snippet, in characters.
const SNIPPET_CHARS: usize = 220;

/// A search: the user's words, who is asking, and optional narrowing.
#[derive(Debug, Clone, Copy)]
pub struct SearchRequest<'a> {
    /// The user's text, exactly as typed; any characters are accepted.
    pub query: &'a str,
    /// Who is asking: residents see only public passages, staff see everything.
    pub viewer: Audience,
    /// Only passages of this service area, when given.
    pub service_area: Option<&'a str>,
    /// How many passages to return at most.
    pub limit: usize,
    /// The language of the question: only passages in it are searched, with its analyzer.
    pub language: Language,
    /// Whether to make a highlighted snippet of each passage and count the matches in each
    /// service area, for showing results to a person; an answer needs neither.
    pub summaries: bool,
}

impl<'a> SearchRequest<'a> {
    /// A search of everything a resident may see, returning up to ten passages.
    pub fn new(query: &'a str) -> SearchRequest<'a> {
        SearchRequest {
            query,
            viewer: Audience::Public,
            service_area: None,
            limit: 10,
            language: Language::English,
            summaries: true,
        }
    }
}

/// A word of the query as searched.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueryTerm {
    /// The analysed (stemmed) term searched for.
    pub term: String,
    /// The term as the user typed it, when it was corrected for spelling.
    pub corrected_from: Option<String>,
    /// How informative the term is (inverse document frequency).
    pub weight: f32,
    /// Whether any passage contains the term or one of its alternatives.
    pub known: bool,
    /// Phrases that mean the same (from the thesaurus), each as its analysed terms.
    pub alternatives: Vec<Vec<String>>,
}

impl QueryTerm {
    /// Whether a set of terms (as [`KnowledgeBase::term_set_in`] gives them) contains this term
    /// or an alternative.
    pub fn is_in(&self, terms: &std::collections::HashSet<String>) -> bool {
        self.presence(terms) > 0.0
    }

    /// How clearly a set of terms (as [`KnowledgeBase::term_set_in`] gives them) contains this
    /// term: 1 for the word itself, [`QueryTerm::ALTERNATIVE_PRESENCE`] for an alternative from
    /// the thesaurus, its words side by side, 0 for neither.
    pub fn presence(&self, terms: &std::collections::HashSet<String>) -> f32 {
        if terms.contains(&self.term) {
            1.0
        } else if self.alternatives.iter().any(|alternative| holds_phrase(terms, alternative)) {
            Self::ALTERNATIVE_PRESENCE
        } else {
            0.0
        }
    }

    /// How much an alternative counts compared with the word the user typed.
    pub const ALTERNATIVE_PRESENCE: f32 = 0.8;
}

/// Whether a set of terms holds a phrase's terms side by side: a phrase's words scattered over a
/// sentence ("the National Gas Emergency Service") do not say what the phrase says ("gas service").
fn holds_phrase(terms: &std::collections::HashSet<String>, phrase: &[String]) -> bool {
    match phrase {
        [] => false,
        [single] => terms.contains(single),
        words => words.windows(2).all(|pair| terms.contains(&neighbours(&pair[0], &pair[1]))),
    }
}

/// Two neighbouring terms as one entry of a term set.
fn neighbours(first: &str, second: &str) -> String {
    format!("{first} {second}")
}

/// A passage that matched.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    /// The passage id.
    pub id: String,
    /// The key of its document.
    pub document: String,
    /// The document title.
    pub title: String,
    /// The headings above the passage.
    pub heading_path: Vec<String>,
    /// The passage's position in its document, from 0.
    pub ordinal: u64,
    /// The canonical URL of the document, or its source path.
    pub url: String,
    /// The document's service area.
    pub service_area: String,
    /// Who may see it.
    pub audience: Audience,
    /// The language it is written in.
    pub language: Language,
    /// The passage text, blocks separated by newlines.
    pub text: String,
    /// The ranking score (BM25 with field boosts, and the closeness of the query's words).
    pub score: f32,
    /// A short extract with the query words highlighted, when the search asked for summaries.
    pub snippet: Option<Snippet>,
}

/// A short extract of a passage with highlighted ranges.
#[derive(Debug, Clone, Serialize)]
pub struct Snippet {
    /// The extract.
    pub text: String,
    /// Byte ranges of `text` that match the query.
    pub highlights: Vec<Range<usize>>,
}

impl Snippet {
    /// The extract as HTML, text escaped and matches in `<mark>`.
    pub fn to_html(&self) -> String {
        self.render("<mark>", "</mark>", escape_html)
    }

    /// The extract with matches wrapped in the given markers.
    pub fn render(&self, open: &str, close: &str, escape: fn(&str) -> String) -> String {
        let mut out = String::new();
        let mut at = 0;
        for range in &self.highlights {
            out.push_str(&escape(&self.text[at..range.start]));
            out.push_str(open);
            out.push_str(&escape(&self.text[range.clone()]));
            out.push_str(close);
            at = range.end;
        }
        out.push_str(&escape(&self.text[at..]));
        out
    }
}

/// A passage split into sentences with their analysed terms, for choosing answers.
#[derive(Debug, Clone)]
pub struct AnalysedPassage {
    /// The terms of the page title and the passage's headings (as [`KnowledgeBase::term_set_in`]).
    pub headings: std::collections::HashSet<String>,
    /// Each sentence, in order, with its terms (as [`KnowledgeBase::term_set_in`]).
    pub sentences: Vec<(String, std::collections::HashSet<String>)>,
}

/// A passage of a document, as stored.
#[derive(Debug, Clone, Serialize)]
pub struct Passage {
    /// Its position in the document.
    pub ordinal: u64,
    /// The headings above it.
    pub heading_path: Vec<String>,
    /// Its text.
    pub text: String,
}

/// What a search found.
#[derive(Debug, Clone, Serialize)]
pub struct SearchResults {
    /// Matching passages, best first.
    pub hits: Vec<Hit>,
    /// The query's terms as searched.
    pub terms: Vec<QueryTerm>,
    /// How many matching passages each service area holds.
    pub facets: Vec<(String, u64)>,
}

impl KnowledgeBase {
    /// Searches passages. User text is never a syntax error: it is read as plain words.
    pub fn search(&self, request: &SearchRequest<'_>) -> Result<SearchResults> {
        let searcher = self.reader.searcher();
        let terms = self.query_terms(&searcher, request.query, request.language)?;
        let Some((query, pairs)) = self.build_query(&terms, request) else {
            return Ok(SearchResults {
                hits: Vec::new(),
                terms: terms.into_iter().map(|(term, _)| term).collect(),
                facets: Vec::new(),
            });
        };
        let failed = |source| Error::index(&self.dir, source);
        let wanted = request.limit.max(1) + DUPLICATES_ALLOWED;
        let candidates = if pairs.is_empty() { wanted } else { wanted.max(PROXIMITY_CANDIDATES) };
        let top_docs = TopDocs::with_limit(candidates).order_by_score();
        // Counting every match by service area visits every matching passage; the best ones
        // alone are found without looking at most of them.
        let (mut top, facets) = if request.summaries {
            let mut facet_collector = FacetCollector::for_field("service_area");
            facet_collector.add_facet(Facet::root());
            let (top, counts) = searcher.search(&query, &(top_docs, facet_collector)).map_err(failed)?;
            let mut facets: Vec<(String, u64)> = counts
                .get(Facet::root())
                .map(|(facet, count)| (facet.to_path_string().trim_start_matches('/').to_string(), count))
                .collect();
            facets.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            (top, facets)
        } else {
            (searcher.search(&query, &top_docs).map_err(failed)?, Vec::new())
        };
        if !pairs.is_empty() {
            add_closeness(&searcher, &pairs, &mut top).map_err(failed)?;
            top.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
            top.truncate(wanted);
        }
        let snippets = if request.summaries {
            let body = self.fields.text(request.language).body;
            let mut snippets = SnippetGenerator::create(&searcher, &*query, body).map_err(failed)?;
            snippets.set_max_num_chars(SNIPPET_CHARS);
            Some(snippets)
        } else {
            None
        };
        // Passages that score the same come in the order of their ids, not of where the index
        // happened to store them, so that the same content always gives the same answer.
        let mut hits: Vec<Hit> = Vec::new();
        let mut seen: Vec<std::collections::HashSet<String>> = Vec::new();
        let mut rest = &top[..];
        while let Some(&(score, _)) = rest.first()
            && hits.len() < request.limit.max(1)
        {
            let tied = rest.iter().take_while(|(other, _)| *other == score).count();
            let mut group = Vec::with_capacity(tied);
            for &(score, address) in &rest[..tied] {
                group.push(self.hit(&searcher, snippets.as_ref(), score, address)?);
            }
            rest = &rest[tied..];
            group.sort_by(|a, b| a.id.cmp(&b.id));
            for hit in group {
                let words = word_set(&hit.text);
                if seen.iter().any(|other| near_duplicate(other, &words)) {
                    continue;
                }
                seen.push(words);
                hits.push(hit);
                if hits.len() >= request.limit.max(1) {
                    break;
                }
            }
        }
        Ok(SearchResults { hits, terms: terms.into_iter().map(|(term, _)| term).collect(), facets })
    }

    /// Every passage of a document, in reading order, when the viewer may see it.
    pub fn document_passages(&self, document: &str, viewer: Audience) -> Result<Vec<Passage>> {
        let mut passages: Vec<Passage> = self
            .visible_passages(document, viewer)?
            .iter()
            .map(|stored| {
                let text = self.fields.text(self.language_of(stored));
                Passage {
                    ordinal: stored.get_first(self.fields.ordinal).and_then(|value| value.as_u64()).unwrap_or_default(),
                    heading_path: split_headings(stored_text(stored, text.headings)),
                    text: stored_text(stored, text.body).to_string(),
                }
            })
            .collect();
        passages.sort_by_key(|passage| passage.ordinal);
        Ok(passages)
    }

    /// The stored passages of a document that the viewer may see, in no particular order.
    fn visible_passages(&self, document: &str, viewer: Audience) -> Result<Vec<TantivyDocument>> {
        let failed = |source| Error::index(&self.dir, source);
        let searcher = self.reader.searcher();
        let query = TermQuery::new(Term::from_field_text(self.fields.document, document), IndexRecordOption::Basic);
        let addresses = searcher.search(&query, &DocSetCollector).map_err(failed)?;
        let mut passages = Vec::new();
        for address in addresses {
            let stored: TantivyDocument = searcher.doc(address).map_err(failed)?;
            let audience = Audience::parse(stored_text(&stored, self.fields.audience)).unwrap_or(Audience::Staff);
            if viewer == Audience::Public && audience != Audience::Public {
                continue;
            }
            passages.push(stored);
        }
        Ok(passages)
    }

    /// The language a stored passage is written in.
    fn language_of(&self, stored: &TantivyDocument) -> Language {
        Language::parse(stored_text(stored, self.fields.language)).unwrap_or_default()
    }

    /// Every analysed term of a page (its title, passages and their headings) that the viewer
    /// may see; worked out once per page while the index is loaded, from the terms stored with
    /// its passages.
    pub fn page_terms(
        &self,
        document: &str,
        title: &str,
        viewer: Audience,
        language: Language,
    ) -> Result<std::sync::Arc<std::collections::HashSet<String>>> {
        let key = (document.to_string(), viewer);
        if let Some(terms) = self.page_terms.get(&key) {
            return Ok(terms);
        }
        let mut terms = self.term_set_in(language, title);
        for stored in self.visible_passages(document, viewer)? {
            let passage_language = self.language_of(&stored);
            // A passage with neither headings nor sentences stores nothing.
            if let Some(read) = stored_terms::decode(stored_text(&stored, self.fields.terms)) {
                self.add_terms(passage_language, &read.headings, &mut terms);
                for sentence in &read.sentences {
                    self.add_terms(passage_language, sentence, &mut terms);
                }
            }
        }
        let terms = std::sync::Arc::new(terms);
        self.page_terms.insert(key, terms.clone());
        Ok(terms)
    }

    /// A passage's sentences, each with its analysed terms, and the terms of its page title and
    /// headings; worked out once per passage while the index is loaded, from the terms stored
    /// with it.
    pub fn analysed_passage(&self, hit: &Hit) -> std::sync::Arc<AnalysedPassage> {
        if let Some(analysed) = self.analysed_passages.get(&hit.id) {
            return analysed;
        }
        let sentences = crate::text::sentences(&hit.text);
        let stored = self.stored_passage(&hit.id);
        let analysed =
            match stored.as_ref().and_then(|stored| stored_terms::decode(stored_text(stored, self.fields.terms))) {
                Some(read) if read.sentences.len() == sentences.len() => {
                    let title = self.analyze_in(hit.language, &hit.title);
                    let mut heading_terms: Vec<&str> = title.iter().map(String::as_str).collect();
                    heading_terms.extend(&read.headings);
                    let mut headings = std::collections::HashSet::new();
                    self.add_terms(hit.language, &heading_terms, &mut headings);
                    let sentences = sentences
                        .into_iter()
                        .zip(&read.sentences)
                        .map(|(sentence, terms)| {
                            let mut set = std::collections::HashSet::new();
                            self.add_terms(hit.language, terms, &mut set);
                            (sentence.to_string(), set)
                        })
                        .collect();
                    AnalysedPassage { headings, sentences }
                }
                // A passage the index no longer holds as it was found, or one never indexed.
                _ => AnalysedPassage {
                    headings: self.term_set_in(hit.language, &format!("{} {}", hit.title, hit.heading_path.join(" "))),
                    sentences: sentences
                        .into_iter()
                        .map(|sentence| (sentence.to_string(), self.term_set_in(hit.language, sentence)))
                        .collect(),
                },
            };
        let analysed = std::sync::Arc::new(analysed);
        self.analysed_passages.insert(hit.id.clone(), analysed.clone());
        analysed
    }

    /// The stored passage with an id, if it is still indexed.
    fn stored_passage(&self, id: &str) -> Option<TantivyDocument> {
        let searcher = self.reader.searcher();
        let query = TermQuery::new(Term::from_field_text(self.fields.id, id), IndexRecordOption::Basic);
        let address = searcher.search(&query, &DocSetCollector).ok()?.into_iter().next()?;
        searcher.doc(address).ok()
    }

    /// How rare an analysed term is in the content (its inverse document frequency over
    /// passages, as search weighs it), or `None` when no passage has it.
    pub fn term_rarity(&self, term: &str) -> Option<f32> {
        self.term_rarity_in(Language::English, term)
    }

    /// How rare an analysed term is in the content of a language, or `None` when no passage in
    /// that language has it.
    pub fn term_rarity_in(&self, language: Language, term: &str) -> Option<f32> {
        let searcher = self.reader.searcher();
        let frequency = self.document_frequency(&searcher, language, term).ok().filter(|frequency| *frequency > 0)?;
        Some(rarity(self.passages_in(&searcher, language), frequency))
    }

    /// The analysed terms of an English text, without stop words, as they are indexed.
    pub fn analyze(&self, text: &str) -> Vec<String> {
        self.analyze_in(Language::English, text)
    }

    /// The analysed terms of a text in a language, without stop words, as they are indexed.
    pub fn analyze_in(&self, language: Language, text: &str) -> Vec<String> {
        analyze(&mut self.analyzer(language), text).into_iter().map(|(term, _)| term).collect()
    }

    /// The analysed terms of a text in a language, and each two neighbouring terms that stand
    /// together in a phrase of the vocabulary as one more entry, so that
    /// [`QueryTerm::presence`] tells a phrase from its words scattered.
    pub fn term_set_in(&self, language: Language, text: &str) -> std::collections::HashSet<String> {
        let terms = self.analyze_in(language, text);
        let terms: Vec<&str> = terms.iter().map(String::as_str).collect();
        let mut set = std::collections::HashSet::with_capacity(terms.len() + 4);
        self.add_terms(language, &terms, &mut set);
        set
    }

    /// Adds analysed terms, in the order they were written, to a term set as
    /// [`KnowledgeBase::term_set_in`] makes it.
    fn add_terms(&self, language: Language, terms: &[&str], set: &mut std::collections::HashSet<String>) {
        let pairs = match language {
            Language::English => &self.english_pairs,
            Language::Welsh => &self.welsh_pairs,
        };
        for pair in terms.windows(2) {
            if pairs.get(pair[0]).is_some_and(|followers| followers.contains(pair[1])) {
                set.insert(neighbours(pair[0], pair[1]));
            }
        }
        for &term in terms {
            if !set.contains(term) {
                set.insert(term.to_string());
            }
        }
    }

    /// The query's distinct terms, corrected for spelling where unknown, with their positions.
    fn query_terms(&self, searcher: &Searcher, text: &str, language: Language) -> Result<Vec<(QueryTerm, usize)>> {
        let failed = |source| Error::index(&self.dir, source);
        let documents = self.passages_in(searcher, language);
        let body = self.fields.text(Language::English).body;
        // A compound typed with a hyphen ("lay-by") is searched as its parts, and as one word
        // ("layby") where the content writes it so; one word no page uses is not a missing word.
        let compounds: Vec<(Vec<String>, Vec<String>)> = compound::compounds(text)
            .into_iter()
            .map(|(solid, parts)| {
                let parts = parts.iter().flat_map(|part| self.analyze_in(language, part)).collect();
                (self.analyze_in(language, &solid), parts)
            })
            .collect();
        // Phrases of the language's thesaurus found in the text, each as its analysed terms with
        // the analysed terms of the phrases that mean the same.
        let thesaurus = match language {
            Language::English => &self.thesaurus,
            Language::Welsh => &self.welsh_thesaurus,
        };
        let mut phrases: Vec<(Vec<String>, Vec<Vec<String>>)> = thesaurus
            .matches(text)
            .into_iter()
            .map(|(phrase, others)| {
                let alternatives =
                    others.iter().map(|other| self.analyze_in(language, other)).filter(|terms| !terms.is_empty());
                (self.analyze_in(language, phrase), alternatives.collect())
            })
            .collect();
        let analysed = analyze(&mut self.analyzer(language), text);
        // Welsh phrases are found whatever their mutation too ("fy min brown" holds "bin brown").
        // English ones only as typed: stemmed, they meet words of other meanings.
        if language == Language::Welsh {
            let sequence: Vec<String> = analysed.iter().map(|(term, _)| term.clone()).collect();
            for found in self.welsh_phrases.matches(&sequence) {
                if !phrases.contains(&found) {
                    phrases.push(found);
                }
            }
        }
        let mut terms: Vec<(QueryTerm, usize)> = Vec::new();
        for (typed, position) in analysed {
            let mut term = typed.clone();
            let mut corrected_from = None;
            let mut frequency = self.document_frequency(searcher, language, &term).map_err(failed)?;
            if frequency == 0 && compounds.iter().any(|(solid, _)| solid.contains(&term)) {
                continue;
            }
            // Welsh words are corrected by their mutations and endings already: a further edit
            // or two of such short stems meets unrelated words (Nghaerdydd is not cardiau).
            // A word of the vocabulary is a word residents use, not a misspelling of another
            // ("allotment", stemmed "allot", is not "allow"): the vocabulary says what it means.
            let in_vocabulary = phrases.iter().any(|(phrase_terms, _)| phrase_terms.contains(&term));
            if frequency == 0
                && language == Language::English
                && !in_vocabulary
                && let Some(correction) = spelling::correct(searcher, body, &term).map_err(failed)?
            {
                frequency = self.document_frequency(searcher, language, &correction).map_err(failed)?;
                corrected_from = Some(typed);
                term = correction;
            }
            if terms.iter().any(|(existing, _)| existing.term == term) {
                continue;
            }
            let query_term = QueryTerm {
                term,
                corrected_from,
                weight: rarity(documents, frequency),
                known: frequency > 0,
                alternatives: Vec::new(),
            };
            terms.push((query_term, position));
        }
        // The parts of a compound are present where the compound is written as one word.
        for (solid, parts) in &compounds {
            if !terms.iter().any(|(query_term, _)| solid.contains(&query_term.term)) {
                continue;
            }
            for (query_term, _) in terms.iter_mut().filter(|(query_term, _)| parts.contains(&query_term.term)) {
                if !query_term.alternatives.contains(solid) {
                    query_term.alternatives.push(solid.clone());
                }
            }
        }
        // Phrases of the language's thesaurus found in the text give their words alternatives.
        for (phrase_terms, alternatives) in &phrases {
            for (query_term, _) in terms.iter_mut().filter(|(query_term, _)| phrase_terms.contains(&query_term.term)) {
                for alternative in alternatives {
                    if *alternative != [query_term.term.clone()] && !query_term.alternatives.contains(alternative) {
                        query_term.alternatives.push(alternative.clone());
                    }
                }
            }
        }
        for (query_term, _) in &mut terms {
            if !query_term.known {
                for alternative in &query_term.alternatives {
                    let mut all_known = true;
                    for term in alternative {
                        all_known &= self.document_frequency(searcher, language, term).map_err(failed)? > 0;
                    }
                    query_term.known |= all_known;
                }
            }
        }
        Ok(terms)
    }

    /// How many passages there are in a language, so that a term's rarity among them does not
    /// change when pages in another language are added.
    fn passages_in(&self, searcher: &Searcher, language: Language) -> u64 {
        searcher
            .doc_freq(&Term::from_field_text(self.fields.language, language.code()))
            .unwrap_or_else(|_| searcher.num_docs())
    }

    /// How many passages in a language contain a term in any searched field.
    fn document_frequency(&self, searcher: &Searcher, language: Language, term: &str) -> tantivy::Result<u64> {
        let mut most = 0;
        for (field, _) in self.fields.text(language).boosted() {
            most = most.max(searcher.doc_freq(&Term::from_field_text(field, term))?);
        }
        Ok(most)
    }

    /// The query for the known terms, each in every text field, boosted by field, and restricted
    /// to what the viewer may see; with the adjacent pairs of terms, in the fields where the best
    /// matches are scored for closeness.
    fn build_query(
        &self,
        terms: &[(QueryTerm, usize)],
        request: &SearchRequest<'_>,
    ) -> Option<(Box<dyn Query>, Vec<AdjacentPair>)> {
        let known: Vec<&(QueryTerm, usize)> = terms.iter().filter(|(term, _)| term.known).collect();
        if known.is_empty() {
            return None;
        }
        let text = self.fields.text(request.language);
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        // A word counts once, where it counts most (title, headings, text or address), and a
        // little for the other places it is found: a heading that repeats a common word must not outweigh
        // a passage that holds the question's rarer words.
        for (term, _) in &known {
            let in_fields: Vec<Box<dyn Query>> = text
                .boosted()
                .into_iter()
                .map(|(field, boost)| {
                    let query = TermQuery::new(Term::from_field_text(field, &term.term), IndexRecordOption::WithFreqs);
                    Box::new(BoostQuery::new(Box::new(query), boost)) as Box<dyn Query>
                })
                .collect();
            clauses
                .push((Occur::Should, Box::new(DisjunctionMaxQuery::with_tie_breaker(in_fields, FIELD_TIE_BREAKER))));
        }
        for (term, _) in &known {
            for alternative in &term.alternatives {
                clauses.extend(alternative_clauses(text, alternative));
            }
        }
        let mut pairs = Vec::new();
        for pair in known.windows(2) {
            let [(first, first_at), (second, second_at)] = pair else {
                continue;
            };
            if second_at.saturating_sub(*first_at) > 3 {
                continue;
            }
            for (field, boost) in [(text.body, 1.0), (text.title, 2.0)] {
                pairs.push(AdjacentPair {
                    field,
                    first: Term::from_field_text(field, &first.term),
                    second: Term::from_field_text(field, &second.term),
                    boost,
                });
            }
        }
        // The language, the audience and the service area only filter: they add nothing to a
        // passage's score.
        let filter = |term: Term| -> Box<dyn Query> {
            Box::new(ConstScoreQuery::new(Box::new(TermQuery::new(term, IndexRecordOption::Basic)), 0.0))
        };
        let language = Term::from_field_text(self.fields.language, request.language.code());
        let mut required: Vec<(Occur, Box<dyn Query>)> =
            vec![(Occur::Must, Box::new(BooleanQuery::new(clauses))), (Occur::Must, filter(language))];
        if request.viewer == Audience::Public {
            let public = Term::from_field_text(self.fields.audience, Audience::Public.as_str());
            required.push((Occur::Must, filter(public)));
        }
        if let Some(area) = request.service_area {
            let facet = Term::from_facet(self.fields.service_area, &Facet::from_path([slug(area)]));
            required.push((Occur::Must, filter(facet)));
        }
        Some((Box::new(BooleanQuery::new(required)), pairs))
    }

    fn hit(
        &self,
        searcher: &Searcher,
        snippets: Option<&SnippetGenerator>,
        score: f32,
        address: DocAddress,
    ) -> Result<Hit> {
        let document: TantivyDocument = searcher.doc(address).map_err(|source| Error::index(&self.dir, source))?;
        let text_of =
            |field| document.get_first(field).and_then(|value| value.as_str()).unwrap_or_default().to_string();
        let language = Language::parse(&text_of(self.fields.language)).unwrap_or_default();
        let text = self.fields.text(language);
        let body = text_of(text.body);
        let snippet = snippets.map(|snippets| {
            let generated = snippets.snippet(&body);
            if generated.is_empty() {
                let text: String = body.chars().take(SNIPPET_CHARS).map(|c| if c == '\n' { ' ' } else { c }).collect();
                Snippet { text, highlights: Vec::new() }
            } else {
                Snippet {
                    // Newlines become spaces: the same length, so highlight ranges stay valid.
                    text: generated.fragment().replace('\n', " "),
                    highlights: generated.highlighted().to_vec(),
                }
            }
        });
        let headings = text_of(text.headings);
        Ok(Hit {
            id: text_of(self.fields.id),
            document: text_of(self.fields.document),
            title: text_of(text.title),
            heading_path: split_headings(&headings),
            ordinal: document.get_first(self.fields.ordinal).and_then(|value| value.as_u64()).unwrap_or_default(),
            url: text_of(self.fields.url),
            service_area: document
                .get_first(self.fields.service_area)
                .and_then(|value| value.as_facet())
                .map(|encoded| encoded.replace(FACET_SEPARATOR, "/"))
                .unwrap_or_default(),
            audience: Audience::parse(&text_of(self.fields.audience)).unwrap_or(Audience::Staff),
            language,
            text: body,
            score,
            snippet,
        })
    }
}

/// Two words next to each other in the query, looked for close together in one field.
struct AdjacentPair {
    field: Field,
    first: Term,
    second: Term,
    /// How much the field counts.
    boost: Score,
}

/// A pair's words as one segment of the index holds them.
struct PairInSegment {
    ordinal: u32,
    /// Where each word stands in each passage, when the segment has both.
    postings: Option<(SegmentPostings, SegmentPostings)>,
    field_norms: FieldNormReader,
}

/// Adds to each passage's score what each pair of adjacent query words adds where they stand
/// close together in it: BM25 over how often they do, as a sloppy phrase query would score it.
/// Each pair is looked for only in these passages, not in every passage with both words.
fn add_closeness(searcher: &Searcher, pairs: &[AdjacentPair], top: &mut [(Score, DocAddress)]) -> tantivy::Result<()> {
    let mut in_order: Vec<usize> = (0..top.len()).collect();
    in_order.sort_by_key(|&at| top[at].1);
    let (mut first_positions, mut second_positions) = (Vec::new(), Vec::new());
    for pair in pairs {
        let weight = Bm25Weight::for_terms(searcher, &[pair.first.clone(), pair.second.clone()])?.boost_by(pair.boost);
        let mut segment: Option<PairInSegment> = None;
        for &at in &in_order {
            let address = top[at].1;
            if segment.as_ref().is_none_or(|segment| segment.ordinal != address.segment_ord) {
                let reader = searcher.segment_reader(address.segment_ord);
                let index = reader.inverted_index(pair.field)?;
                let read = |term: &Term| index.read_postings(term, IndexRecordOption::WithFreqsAndPositions);
                segment = Some(PairInSegment {
                    ordinal: address.segment_ord,
                    postings: read(&pair.first)?.zip(read(&pair.second)?),
                    field_norms: reader.get_fieldnorms_reader(pair.field)?,
                });
            }
            let Some(PairInSegment { postings: Some((first, second)), field_norms, .. }) = &mut segment else {
                continue;
            };
            let doc = address.doc_id;
            if !holds(first, doc) || !holds(second, doc) {
                continue;
            }
            // Offset as a phrase: the first word is one place before the second.
            first.positions_with_offset(1, &mut first_positions);
            second.positions(&mut second_positions);
            let close = count_close(&first_positions, &second_positions, PROXIMITY_SLOP);
            if close > 0 {
                top[at].0 += weight.score(field_norms.fieldnorm_id(doc), close);
            }
        }
    }
    Ok(())
}

/// Whether a term's postings hold a document, moving them forward to it; documents are asked
/// about in increasing order.
fn holds(postings: &mut SegmentPostings, doc: tantivy::DocId) -> bool {
    if postings.doc() < doc {
        postings.seek(doc);
    }
    postings.doc() == doc
}

/// How many times two words stand within `slop` places of each other, each place counted once
/// (sorted positions, the first word's already shifted as in a phrase).
fn count_close(first: &[u32], second: &[u32], slop: u32) -> u32 {
    let (mut at_first, mut at_second, mut count) = (0, 0, 0);
    while at_first < first.len() && at_second < second.len() {
        let (left, right) = (first[at_first], second[at_second]);
        if left.abs_diff(right) <= slop {
            // A later place of the first word may be closer to the same place of the second.
            while at_first + 1 < first.len() && first[at_first + 1] <= right {
                at_first += 1;
            }
            count += 1;
            at_first += 1;
            at_second += 1;
        } else if left < right {
            at_first += 1;
        } else {
            at_second += 1;
        }
    }
    count
}

/// Clauses matching an alternative phrase, a little below the words actually typed.
fn alternative_clauses(text: TextFields, alternative: &[String]) -> Vec<(Occur, Box<dyn Query>)> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for (field, boost) in text.boosted() {
        let query: Box<dyn Query> = match alternative {
            [single] => Box::new(TermQuery::new(Term::from_field_text(field, single), IndexRecordOption::WithFreqs)),
            words => {
                let mut phrase =
                    PhraseQuery::new(words.iter().map(|word| Term::from_field_text(field, word)).collect());
                phrase.set_slop(1);
                Box::new(phrase)
            }
        };
        clauses.push((Occur::Should, Box::new(BoostQuery::new(query, boost * QueryTerm::ALTERNATIVE_PRESENCE))));
    }
    clauses
}

/// The distinct lowercase words of a text.
fn word_set(text: &str) -> std::collections::HashSet<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|word| !word.is_empty()).map(str::to_lowercase).collect()
}

/// Whether two passages' words are so alike that the second adds nothing (Jaccard similarity).
fn near_duplicate(a: &std::collections::HashSet<String>, b: &std::collections::HashSet<String>) -> bool {
    let (smaller, larger) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    // Sets of unlike sizes are never that alike: the overlap is at most the smaller's size.
    if (smaller.len() as f32) < larger.len() as f32 * DUPLICATE_OVERLAP {
        return false;
    }
    let shared = smaller.iter().filter(|word| larger.contains(*word)).count();
    let union = a.len() + b.len() - shared;
    union > 0 && shared as f32 / union as f32 >= DUPLICATE_OVERLAP
}

/// A stored heading path as its headings.
fn split_headings(stored: &str) -> Vec<String> {
    stored.split(HEADING_SEPARATOR).filter(|heading| !heading.is_empty()).map(str::to_string).collect()
}

/// The inverse document frequency of a term in `frequency` of `documents` passages (BM25's).
fn rarity(documents: u64, frequency: u64) -> f32 {
    let (documents, frequency) = (documents.max(1) as f32, frequency as f32);
    (1.0 + (documents - frequency + 0.5) / (frequency + 0.5)).ln()
}

/// Escapes text for HTML.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A stored text field's value, or nothing.
fn stored_text(stored: &TantivyDocument, field: Field) -> &str {
    stored.get_first(field).and_then(|value| value.as_str()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use tantivy::collector::TopDocs;
    use tantivy::schema::{Schema, TEXT};
    use tantivy::{Index, doc};

    use super::*;

    #[test]
    fn closeness_adds_what_a_sloppy_phrase_query_scores() {
        let mut schema = Schema::builder();
        let body = schema.add_text_field("body", TEXT);
        let index = Index::create_in_ram(schema.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).expect("writer");
        for text in [
            "garden waste collections",
            "waste from the garden",
            "garden and then some other words before waste",
            "garden waste and more garden waste, then garden of waste",
            "waste garden waste garden",
            "nothing here",
            "garden x y waste",
            "garden x y z waste",
        ] {
            writer.add_document(doc!(body => text)).expect("add");
        }
        writer.commit().expect("commit");
        let searcher = index.reader().expect("reader").searcher();
        let (first, second) = (Term::from_field_text(body, "garden"), Term::from_field_text(body, "waste"));
        let mut phrase = PhraseQuery::new(vec![first.clone(), second.clone()]);
        phrase.set_slop(PROXIMITY_SLOP);
        let boost = 1.5;
        let expected = searcher
            .search(&BoostQuery::new(Box::new(phrase), boost), &TopDocs::with_limit(10).order_by_score())
            .expect("phrase search");
        let mut every: Vec<(Score, DocAddress)> = (0..8).map(|doc| (0.0, DocAddress::new(0, doc))).collect();
        let pair = AdjacentPair { field: body, first, second, boost };
        add_closeness(&searcher, &[pair], &mut every).expect("closeness");
        for (score, address) in &every {
            let phrase_score = expected.iter().find(|(_, found)| found == address).map_or(0.0, |(score, _)| *score);
            assert!((score - phrase_score).abs() < 1e-4, "document {address:?}: {score} against {phrase_score}");
        }
        assert!(expected.len() >= 4, "the example holds close pairs: {expected:?}");
    }
}
