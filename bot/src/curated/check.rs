//! What makes a curated answer fit to keep, checked the same way whether it was written in a
//! file or in the console: each problem names the part of the answer it is in.

use std::sync::LazyLock;

use regex::Regex;

use super::CuratedAnswer;

/// The longest id.
pub const LONGEST_ID: usize = 100;

static SLUG: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[a-z0-9]+(-[a-z0-9]+)*$").expect("valid pattern"));

/// The part of a curated answer a problem is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// Its id.
    Id,
    /// What it says.
    Answer,
    /// The address of its page.
    SourceUrl,
    /// The title of its page.
    SourceTitle,
    /// Its example questions as a whole.
    Examples,
    /// One example question, by its place from 0.
    Example(usize),
}

/// Something wrong with a curated answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where it is.
    pub field: Field,
    /// What is wrong, in lowercase.
    pub message: String,
}

/// Whether a text can be a curated answer's id: lowercase letters, digits and single hyphens.
pub fn is_id(text: &str) -> bool {
    SLUG.is_match(text) && text.len() <= LONGEST_ID
}

impl CuratedAnswer {
    /// Everything wrong with the answer, in the order of its parts; none when it can be kept.
    pub fn problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        let mut problem = |field, message: &str| problems.push(Problem { field, message: message.to_string() });
        if !is_id(&self.id) {
            problem(
                Field::Id,
                "the id must be lowercase letters, digits and single hyphens, such as `council-tax-dates`",
            );
        }
        if self.answer.trim().is_empty() {
            problem(Field::Answer, "the answer is empty");
        }
        if !(self.source.url.starts_with("https://") || self.source.url.starts_with("http://")) {
            problem(Field::SourceUrl, "the source url must be the address of a page, starting https://");
        }
        if self.source.title.trim().is_empty() {
            problem(Field::SourceTitle, "the source title is empty");
        }
        if self.examples.is_empty() {
            problem(Field::Examples, "give at least one example question");
        }
        for (index, example) in self.examples.iter().enumerate() {
            if example.trim().is_empty() {
                problem(Field::Example(index), "an example question is empty");
            }
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::Audience;
    use crate::curated::AnswerSource;

    #[test]
    fn each_problem_names_its_part() {
        let answer = CuratedAnswer {
            id: "Council Tax".into(),
            answer: " ".into(),
            source: AnswerSource { url: "www.eastbrook.gov.uk".into(), title: String::new() },
            examples: vec!["when do I pay".into(), " ".into()],
            enabled: true,
            audience: Audience::Resident,
        };
        let fields: Vec<Field> = answer.problems().into_iter().map(|problem| problem.field).collect();
        assert_eq!(fields, vec![Field::Id, Field::Answer, Field::SourceUrl, Field::SourceTitle, Field::Example(1)]);
        assert!(is_id("council-tax-dates") && !is_id("council--tax") && !is_id(&"a".repeat(101)));
    }
}
