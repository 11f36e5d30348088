//! Splits text into words, giving each hyphenated compound ("e-books", "lay-by") as one word
//! too, so that a question that writes it solid ("ebooks", "layby") meets a page that does not.

use std::ops::Range;

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// The most parts a compound is joined from ("mother-in-law"); longer runs are left as words.
const MAX_PARTS: usize = 3;

/// The words of a text, as runs of letters and digits, each hyphenated compound of letters
/// followed by the compound written solid.
#[derive(Clone, Default)]
pub(crate) struct CompoundTokenizer;

/// The tokens of one text.
pub(crate) struct CompoundTokenStream {
    tokens: Vec<Token>,
    /// How many tokens have been given; the current one is the one before.
    given: usize,
}

impl Tokenizer for CompoundTokenizer {
    type TokenStream<'a> = CompoundTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> CompoundTokenStream {
        CompoundTokenStream { tokens: tokens(text), given: 0 }
    }
}

impl TokenStream for CompoundTokenStream {
    fn advance(&mut self) -> bool {
        if self.given < self.tokens.len() {
            self.given += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.given.saturating_sub(1)]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.given.saturating_sub(1)]
    }
}

/// The words of `text` with their positions, and after the last word of each compound the
/// compound solid, at that word's position so that the positions of the words stay as they are.
fn tokens(text: &str) -> Vec<Token> {
    let words = word_spans(text);
    let runs = compound_runs(text, &words);
    let mut tokens = Vec::with_capacity(words.len() + runs.len());
    for (index, &(from, to)) in words.iter().enumerate() {
        tokens.push(Token {
            offset_from: from,
            offset_to: to,
            position: index,
            text: text[from..to].to_string(),
            position_length: 1,
        });
        if let Some(run) = runs.iter().find(|run| run.end == index + 1) {
            tokens.push(Token {
                offset_from: words[run.start].0,
                offset_to: to,
                position: index,
                text: solid(text, &words[run.clone()]),
                position_length: 1,
            });
        }
    }
    tokens
}

/// Each hyphenated compound in `text`, written solid, with its parts: ("ebooks", ["e", "books"]).
pub(crate) fn compounds(text: &str) -> Vec<(String, Vec<String>)> {
    let words = word_spans(text);
    compound_runs(text, &words)
        .into_iter()
        .map(|run| {
            let parts = words[run.clone()].iter().map(|&(from, to)| text[from..to].to_string()).collect();
            (solid(text, &words[run]), parts)
        })
        .collect()
}

/// The ranges of `words` that are compounds of two to [`MAX_PARTS`] parts.
fn compound_runs(text: &str, words: &[(usize, usize)]) -> Vec<Range<usize>> {
    let mut runs = Vec::new();
    let mut start = 0;
    for index in 0..words.len() {
        if index == 0 || !joined(text, words[index - 1], words[index]) {
            start = index;
        }
        let run_ends = words.get(index + 1).is_none_or(|&next| !joined(text, words[index], next));
        if run_ends && (2..=MAX_PARTS).contains(&(index + 1 - start)) {
            runs.push(start..index + 1);
        }
    }
    runs
}

/// The words of a compound written as one.
fn solid(text: &str, parts: &[(usize, usize)]) -> String {
    parts.iter().map(|&(from, to)| &text[from..to]).collect()
}

/// The byte spans of the runs of letters and digits in `text`.
fn word_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start = None;
    for (offset, c) in text.char_indices() {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(offset),
            (false, Some(from)) => {
                spans.push((from, offset));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(from) = start {
        spans.push((from, text.len()));
    }
    spans
}

/// Whether two neighbouring words are parts of one compound: both letters only, with a single
/// hyphen between them and no space.
fn joined(text: &str, first: (usize, usize), second: (usize, usize)) -> bool {
    let between = &text[first.1..second.0];
    let mut chars = between.chars();
    let one_hyphen = matches!(chars.next(), Some('-' | '\u{2010}' | '\u{2011}')) && chars.next().is_none();
    let letters = |(from, to): (usize, usize)| text[from..to].chars().all(char::is_alphabetic);
    one_hyphen && letters(first) && letters(second)
}

#[cfg(test)]
mod tests {
    use tantivy::tokenizer::{TokenStream, Tokenizer};

    use super::{CompoundTokenizer, compounds};

    fn words(text: &str) -> Vec<(String, usize)> {
        let mut tokenizer = CompoundTokenizer;
        let mut stream = tokenizer.token_stream(text);
        let mut words = Vec::new();
        while stream.advance() {
            words.push((stream.token().text.clone(), stream.token().position));
        }
        words
    }

    #[test]
    fn a_hyphenated_compound_is_also_one_word_at_its_last_parts_position() {
        let found = words("Borrow e-books, then park in the lay-by.");
        let expected = [
            ("Borrow", 0),
            ("e", 1),
            ("books", 2),
            ("ebooks", 2),
            ("then", 3),
            ("park", 4),
            ("in", 5),
            ("the", 6),
            ("lay", 7),
            ("by", 8),
            ("layby", 8),
        ];
        assert_eq!(found, expected.map(|(text, position)| (text.to_string(), position)));
    }

    #[test]
    fn numbers_spaced_dashes_and_long_runs_are_not_joined() {
        let solid = |text: &str| {
            words(text).len() > text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).count()
        };
        assert!(!solid("2026-27 and 01632-960200"), "numbers stay apart");
        assert!(!solid("bins - out by 7am"), "a dash between spaces is not a hyphen");
        assert!(!solid("a--b"), "two hyphens are not one");
        assert!(!solid("one-two-three-four"), "a run longer than a compound");
        assert!(solid("mother-in-law"));
        assert_eq!(words("mother-in-law").last().map(|(text, _)| text.as_str()), Some("motherinlaw"));
        let parts = vec!["lay".to_string(), "by".to_string()];
        assert_eq!(compounds("dumped in a lay-by, or 2026-27"), vec![("layby".to_string(), parts)]);
    }
}
