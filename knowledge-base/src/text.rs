//! Sentence splitting shared by chunking and answering.

/// Abbreviations after which a full stop does not end a sentence.
const ABBREVIATIONS: &[&str] = &[
    "e.g", "i.e", "etc", "mr", "mrs", "ms", "dr", "st", "no", "ext", "tel", "approx", "inc", "ltd", "vs", "jan", "feb",
    "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "mon", "tue", "wed", "thu", "fri", "sat",
    "sun", "co", "rd", "ave",
];

/// The sentences of a text, in order, trimmed; lines are always separate sentences.
pub fn sentences(text: &str) -> Vec<&str> {
    let mut result = Vec::new();
    for line in text.lines() {
        let mut start = 0;
        let chars: Vec<(usize, char)> = line.char_indices().collect();
        for (index, &(offset, c)) in chars.iter().enumerate() {
            if !matches!(c, '.' | '!' | '?') {
                continue;
            }
            let next = chars.get(index + 1).map(|&(_, next)| next);
            let after_next = chars.get(index + 2).map(|&(_, after)| after);
            let ends = match next {
                None => true,
                Some(next) if next.is_whitespace() => after_next
                    .is_none_or(|after| after.is_uppercase() || after.is_ascii_digit() || "\"'(£[".contains(after)),
                Some(_) => false,
            };
            if !ends || (c == '.' && is_abbreviation(&line[start..offset])) {
                continue;
            }
            let end = offset + c.len_utf8();
            push_trimmed(&mut result, &line[start..end]);
            start = end;
        }
        push_trimmed(&mut result, &line[start..]);
    }
    result
}

fn push_trimmed<'a>(result: &mut Vec<&'a str>, sentence: &'a str) {
    let sentence = sentence.trim();
    if !sentence.is_empty() {
        result.push(sentence);
    }
}

/// Whether the text before a full stop ends in a known abbreviation or a single letter.
fn is_abbreviation(before: &str) -> bool {
    let word = before.rsplit(|c: char| c.is_whitespace() || c == '(').next().unwrap_or("");
    let word = word.to_ascii_lowercase();
    (word.chars().count() == 1 && word.chars().all(|c| c.is_alphabetic())) || ABBREVIATIONS.contains(&word.as_str())
}

/// The words of a text, lowercased, folded to ASCII and English-stemmed, every word kept (stop
/// words and negations included), in order: for comparing short messages with each other.
pub fn word_stems(text: &str) -> Vec<String> {
    use std::cell::RefCell;
    use tantivy::tokenizer::{AsciiFoldingFilter, Language, LowerCaser, SimpleTokenizer, Stemmer, TextAnalyzer};
    thread_local! {
        static ANALYZER: RefCell<TextAnalyzer> = RefCell::new(
            TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(LowerCaser)
                .filter(AsciiFoldingFilter)
                .filter(Stemmer::new(Language::English))
                .build(),
        );
    }
    ANALYZER.with(|analyzer| {
        let mut analyzer = analyzer.borrow_mut();
        let mut stream = analyzer.token_stream(text);
        let mut stems = Vec::new();
        while let Some(token) = stream.next() {
            stems.push(token.text.clone());
        }
        stems
    })
}
