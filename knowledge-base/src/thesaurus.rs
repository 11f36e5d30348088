//! Phrases that mean the same thing: residents' words and the words council pages use.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use crate::error::{Error, Result};

/// The built-in thesaurus of everyday and council wording (`knowledge-base/thesaurus.txt`).
const BUILT_IN: &str = include_str!("../thesaurus.txt");

/// The built-in thesaurus of Welsh chat and Welsh council wording (`knowledge-base/thesaurus-cy.txt`).
const BUILT_IN_WELSH: &str = include_str!("../thesaurus-cy.txt");

/// Groups of phrases that mean the same thing.
#[derive(Debug, Clone, Default)]
pub struct Thesaurus {
    /// Each group's phrases, normalised (lowercase words without apostrophes, single spaces).
    groups: Vec<Vec<String>>,
    /// For each word that starts a phrase, the phrases it starts, as (group, phrase) places.
    by_first_word: HashMap<String, Vec<(usize, usize)>>,
}

impl Thesaurus {
    /// The built-in thesaurus.
    pub fn built_in() -> Thesaurus {
        Thesaurus::parse(BUILT_IN, "built-in thesaurus").unwrap_or_default()
    }

    /// The built-in Welsh thesaurus: Welsh speakers' words, English ones among them, and Welsh
    /// pages' words.
    pub fn built_in_welsh() -> Thesaurus {
        Thesaurus::parse(BUILT_IN_WELSH, "built-in Welsh thesaurus").unwrap_or_default()
    }

    /// Reads a thesaurus file: one group of equivalent phrases per line, separated by commas.
    pub fn from_file(path: &Path) -> Result<Thesaurus> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::io(path, source))?;
        Thesaurus::parse(&text, &path.display().to_string())
    }

    /// Parses thesaurus text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Thesaurus> {
        let mut groups = Vec::new();
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let phrases: Vec<String> = line.split(',').map(normalize).filter(|phrase| !phrase.is_empty()).collect();
            if phrases.len() < 2 {
                return Err(Error::Thesaurus {
                    origin: origin.to_string(),
                    line: number + 1,
                    message: "a line needs at least two phrases separated by commas".to_string(),
                });
            }
            groups.push(phrases);
        }
        Ok(Thesaurus::of_groups(groups))
    }

    /// A thesaurus of normalised groups, with its phrases found by their first words.
    fn of_groups(groups: Vec<Vec<String>>) -> Thesaurus {
        let mut by_first_word: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
        for (group_at, group) in groups.iter().enumerate() {
            for (phrase_at, phrase) in group.iter().enumerate() {
                let first = phrase.split(' ').next().unwrap_or_default().to_string();
                by_first_word.entry(first).or_default().push((group_at, phrase_at));
            }
        }
        Thesaurus { groups, by_first_word }
    }

    /// Every phrase of every group, normalised.
    pub fn phrases(&self) -> impl Iterator<Item = &str> {
        self.groups.iter().flatten().map(String::as_str)
    }

    /// Each group of phrases that mean the same thing, normalised.
    pub fn groups(&self) -> impl Iterator<Item = &[String]> {
        self.groups.iter().map(Vec::as_slice)
    }

    /// This thesaurus with the groups of another added, such as a council's own vocabulary.
    pub fn extended_with(mut self, other: Thesaurus) -> Thesaurus {
        self.groups.extend(other.groups);
        Thesaurus::of_groups(self.groups)
    }

    /// For each phrase of the thesaurus found in `text`: the phrase, and the other phrases of
    /// its group; in the thesaurus's order, each phrase once.
    pub fn matches<'a>(&'a self, text: &str) -> Vec<(&'a str, Vec<&'a str>)> {
        let normalized = normalize(text);
        let words: Vec<&str> = normalized.split(' ').filter(|word| !word.is_empty()).collect();
        let mut places: BTreeSet<(usize, usize)> = BTreeSet::new();
        for (at, word) in words.iter().enumerate() {
            for &(group_at, phrase_at) in self.by_first_word.get(*word).into_iter().flatten() {
                let phrase = &self.groups[group_at][phrase_at];
                if phrase.split(' ').enumerate().all(|(offset, part)| words.get(at + offset) == Some(&part)) {
                    places.insert((group_at, phrase_at));
                }
            }
        }
        places
            .into_iter()
            .map(|(group_at, phrase_at)| {
                let group = &self.groups[group_at];
                let others =
                    group.iter().enumerate().filter(|(at, _)| *at != phrase_at).map(|(_, other)| other.as_str());
                (group[phrase_at].as_str(), others.collect())
            })
            .collect()
    }
}

/// Lowercase words without apostrophes, separated by single spaces.
pub(crate) fn normalize(text: &str) -> String {
    let lower = text.to_lowercase().replace(['\'', '’', '‘'], "");
    lower.split(|c: char| !c.is_alphanumeric()).filter(|word| !word.is_empty()).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::Thesaurus;

    #[test]
    fn phrases_match_whole_words_ignoring_case_and_apostrophes() {
        let thesaurus =
            Thesaurus::parse("tip, household waste recycling centre\nnot emptied, missed\n", "test").expect("valid");
        let found = thesaurus.matches("When is the Tip open? My bin wasn't emptied, it's NOT EMPTIED");
        assert_eq!(found[0], ("tip", vec!["household waste recycling centre"]));
        assert_eq!(found[1], ("not emptied", vec!["missed"]));
        assert!(thesaurus.matches("fly tipping").is_empty(), "tip is not matched inside tipping");
    }

    #[test]
    fn a_line_with_one_phrase_is_an_error_naming_the_line() {
        let error = Thesaurus::parse("# comment\ntip, dump\nlonely\n", "mine.txt").expect_err("invalid");
        assert_eq!(error.to_string(), "mine.txt:3: a line needs at least two phrases separated by commas");
    }

    #[test]
    fn a_councils_vocabulary_adds_to_the_built_in_one() {
        let own = Thesaurus::parse("hwrc, household waste recycling centre\n", "vocabulary.txt").expect("valid");
        let thesaurus = Thesaurus::built_in().extended_with(own);
        assert!(thesaurus.matches("is the hwrc open").iter().any(|(phrase, _)| *phrase == "hwrc"));
        assert!(thesaurus.matches("when is the tip open").iter().any(|(phrase, _)| *phrase == "tip"));
    }

    #[test]
    fn the_built_in_thesaurus_parses() {
        let text = include_str!("../thesaurus.txt");
        assert!(Thesaurus::parse(text, "built-in").is_ok());
        assert!(Thesaurus::parse(include_str!("../thesaurus-cy.txt"), "built-in Welsh").is_ok());
        let welsh = Thesaurus::built_in_welsh();
        assert!(
            welsh.matches("ga i dalu council tax efo direct debit").iter().any(|(phrase, _)| *phrase == "direct debit")
        );
    }
}
