//! The golden set file: questions with the page and fact a right answer must show, questions
//! the content cannot answer (near misses among them), and the half each question is in.

use std::path::Path;

use knowledge_base::{Audience, Language};
use serde::Deserialize;

use super::half::Half;
use crate::answer::QuestionType;
use crate::error::{Error, Result};

/// A golden set: questions with what a right answer must show.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoldenSet {
    /// The language its questions are asked in (`en`, `cy`); without it, each question's words
    /// tell.
    #[serde(default)]
    pub language: Option<Language>,
    /// The questions.
    pub questions: Vec<GoldenQuestion>,
}

/// One question of a golden set.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoldenQuestion {
    /// The question, as a resident or staff member would write it.
    pub ask: String,
    /// The URL (or the end of the source path) of the page that answers it.
    #[serde(default)]
    pub source: Option<String>,
    /// Text the answer must contain (case and spacing ignored).
    #[serde(default)]
    pub fact: Option<String>,
    /// Who asks: `public` (a resident, the default) or `staff`.
    #[serde(default)]
    pub audience: Audience,
    /// Whether the content cannot answer it, so the right answer is to offer a person.
    #[serde(default)]
    pub unanswerable: bool,
    /// For a near miss, an unanswerable question that shares words with the content: the page
    /// it resembles but which does not answer it (a sofa's price when it asks a piano's).
    #[serde(default)]
    pub near: Option<String>,
    /// The half it is in; without it, a stable hash of the question decides.
    #[serde(default)]
    pub half: Option<Half>,
    /// The kind of answer it asks for; without it, its wording decides.
    #[serde(default, rename = "type")]
    pub question_type: Option<QuestionType>,
    /// The language it is asked in; without it, the set's, else its words tell.
    #[serde(default)]
    pub language: Option<Language>,
}

impl GoldenQuestion {
    /// The half it is in, given or worked out from the question.
    pub fn half(&self) -> Half {
        self.half.unwrap_or_else(|| Half::of_text(&self.ask))
    }

    /// The kind of answer it asks for, given or worked out from the question.
    pub fn kind(&self) -> QuestionType {
        let language = self.language.or_else(|| Language::detect(&self.ask)).unwrap_or_default();
        self.question_type.unwrap_or_else(|| QuestionType::of_wording_in(language, &self.ask))
    }

    /// Whether it is a near miss: unanswerable, though it shares words with a page.
    pub fn is_near_miss(&self) -> bool {
        self.near.is_some()
    }
}

impl GoldenSet {
    /// Reads and checks a golden set file.
    pub fn load(path: &Path) -> Result<GoldenSet> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
        let invalid = |message: String| Error::GoldenSet { path: path.to_path_buf(), message };
        let mut set: GoldenSet =
            serde_saphyr::from_str(&text).map_err(|error| invalid(located(&text, &error, "question", "ask")))?;
        for (index, question) in set.questions.iter().enumerate() {
            let place = format!("question {} ({:?})", index + 1, question.ask);
            if question.ask.trim().is_empty() {
                return Err(invalid(format!("{place}: `ask` is empty")));
            }
            match (question.unanswerable, &question.source, &question.fact) {
                (true, None, None) | (false, Some(_), Some(_)) => {}
                (true, _, _) => {
                    return Err(invalid(format!("{place}: an unanswerable question has no `source` or `fact`")));
                }
                (false, None, _) => return Err(invalid(format!("{place}: `source` is missing"))),
                (false, _, None) => return Err(invalid(format!("{place}: `fact` is missing"))),
            }
            if question.near.is_some() && !question.unanswerable {
                return Err(invalid(format!(
                    "{place}: `near` marks a near miss, which is unanswerable: add `unanswerable: true` or remove `near`"
                )));
            }
        }
        if set.questions.is_empty() {
            return Err(invalid("no questions".to_string()));
        }
        let language = set.language;
        for question in &mut set.questions {
            question.language = question.language.or(language);
        }
        Ok(set)
    }
}

/// A YAML error with the entry of the file's list it falls in named first, as `question 12
/// ("when is the tip open"): ...` (the entry's `key`, else its first line), so a mistake in a
/// long file is found at once.
pub(crate) fn located(text: &str, error: &serde_saphyr::Error, entry: &str, key: &str) -> String {
    let line = error.location().map(|location| location.line() as usize);
    match line.and_then(|line| entry_at_line(text, line)) {
        Some((number, first_line)) => format!("{entry} {number} ({:?}): {error}", value_of(&first_line, key)),
        None => error.to_string(),
    }
}

/// The value of `key` on a line such as `ask: "when is the tip open"` or
/// `{ text: my bin was missed, workflow: none }`, else the whole line.
fn value_of<'a>(line: &'a str, key: &str) -> &'a str {
    let label = format!("{key}:");
    let Some(start) = line.find(&label) else { return line };
    let rest = line[start + label.len()..].trim_start();
    let value = match rest.strip_prefix('"') {
        Some(quoted) => quoted.split('"').next().unwrap_or(quoted),
        None if line.trim_start().starts_with('{') => rest.split([',', '}']).next().unwrap_or(rest),
        None => rest,
    };
    value.trim()
}

/// The number (from 1) and first line of the list entry that a line (from 1) is in: entries
/// start with "- " at the indentation of the first one.
fn entry_at_line(text: &str, line: usize) -> Option<(usize, String)> {
    let mut indentation = None;
    let mut found = None;
    for row in text.lines().take(line) {
        let trimmed = row.trim_start();
        if !trimmed.starts_with("- ") {
            continue;
        }
        let indent = row.len() - trimmed.len();
        if *indentation.get_or_insert(indent) != indent {
            continue;
        }
        let number = found.as_ref().map_or(1, |(number, _)| number + 1);
        found = Some((number, trimmed.trim_start_matches("- ").trim().to_string()));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_names_the_entry_it_is_in() {
        let text = "# comment\nquestions:\n  - ask: one\n    fact: x\n  - ask: two\n    - nested\n    sauce: y\n";
        assert_eq!(entry_at_line(text, 4), Some((1, "ask: one".to_string())));
        assert_eq!(entry_at_line(text, 7), Some((2, "ask: two".to_string())));
        assert_eq!(entry_at_line(text, 2), None);
        assert_eq!(value_of("ask: \"when is the tip open\"", "ask"), "when is the tip open");
        assert_eq!(value_of("ask: when, then", "ask"), "when, then");
        assert_eq!(value_of("{ text: my bin was missed, workflow: none }", "text"), "my bin was missed");
        assert_eq!(value_of("{ text: \"hi, there\", workflow: none }", "text"), "hi, there");
    }
}
