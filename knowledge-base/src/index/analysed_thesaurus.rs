//! A vocabulary's phrases as analysed terms, so that a phrase is found in a question however its
//! words are mutated or inflected ("fy nhreth gyngor" holds "treth gyngor").

use std::collections::HashMap;

use tantivy::tokenizer::TextAnalyzer;

use super::schema::analyze;
use crate::thesaurus::Thesaurus;

/// Each group of a vocabulary with its phrases as analysed terms.
#[derive(Default)]
pub(crate) struct AnalysedThesaurus {
    /// Each group's phrases as analysed terms, in the vocabulary's order; a phrase that analyses
    /// to nothing (only stop words) is empty.
    groups: Vec<Vec<Vec<String>>>,
    /// For each term, the phrases it opens, as (group, phrase).
    by_first_term: HashMap<String, Vec<(usize, usize)>>,
}

impl AnalysedThesaurus {
    /// The phrases of `thesaurus` as `analyzer` analyses them.
    pub(crate) fn new(thesaurus: &Thesaurus, analyzer: &TextAnalyzer) -> AnalysedThesaurus {
        let mut analyzer = analyzer.clone();
        let mut analysed = AnalysedThesaurus::default();
        for (group_at, group) in thesaurus.groups().enumerate() {
            let phrases: Vec<Vec<String>> = group
                .iter()
                .map(|phrase| analyze(&mut analyzer, phrase).into_iter().map(|(term, _)| term).collect())
                .collect();
            for (phrase_at, terms) in phrases.iter().enumerate() {
                if let Some(first) = terms.first() {
                    analysed.by_first_term.entry(first.clone()).or_default().push((group_at, phrase_at));
                }
            }
            analysed.groups.push(phrases);
        }
        analysed
    }

    /// Each group's phrases as analysed terms, in the vocabulary's order; a phrase of only stop
    /// words is empty.
    pub(crate) fn groups(&self) -> impl Iterator<Item = &[Vec<String>]> {
        self.groups.iter().map(Vec::as_slice)
    }

    /// For each phrase whose terms follow one another in `terms` (a text's analysed terms, in
    /// order): its terms, and the terms of the other phrases of its group; each phrase once.
    pub(crate) fn matches(&self, terms: &[String]) -> Vec<(Vec<String>, Vec<Vec<String>>)> {
        let mut found: Vec<(usize, usize)> = Vec::new();
        for at in 0..terms.len() {
            for &(group_at, phrase_at) in self.by_first_term.get(&terms[at]).into_iter().flatten() {
                let phrase = &self.groups[group_at][phrase_at];
                if terms[at..].starts_with(phrase) && !found.contains(&(group_at, phrase_at)) {
                    found.push((group_at, phrase_at));
                }
            }
        }
        found
            .into_iter()
            .map(|(group_at, phrase_at)| {
                let group = &self.groups[group_at];
                let others = group
                    .iter()
                    .enumerate()
                    .filter(|(at, other)| *at != phrase_at && !other.is_empty())
                    .map(|(_, other)| other.clone());
                (group[phrase_at].clone(), others.collect())
            })
            .collect()
    }
}
