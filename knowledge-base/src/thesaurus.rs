//! Phrases that mean the same thing: residents' words and the words council pages use.

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
        Ok(Thesaurus { groups })
    }

    /// This thesaurus with the groups of another added, such as a council's own vocabulary.
    pub fn extended_with(mut self, other: Thesaurus) -> Thesaurus {
        self.groups.extend(other.groups);
        self
    }

    /// For each phrase of the thesaurus found in `text`: the phrase, and the other phrases of its group.
    pub fn matches<'a>(&'a self, text: &str) -> Vec<(&'a str, Vec<&'a str>)> {
        let padded = format!(" {} ", normalize(text));
        let mut found = Vec::new();
        for group in &self.groups {
            for phrase in group {
                if padded.contains(&format!(" {phrase} ")) {
                    let others = group.iter().filter(|other| *other != phrase).map(String::as_str).collect();
                    found.push((phrase.as_str(), others));
                }
            }
        }
        found
    }
}

/// Lowercase words without apostrophes, separated by single spaces.
fn normalize(text: &str) -> String {
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
