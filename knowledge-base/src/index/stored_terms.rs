//! The analysed terms kept with each passage when it is indexed, so that answering need not
//! analyse the pages it reads again: one line for the heading path, then one per sentence.

use tantivy::tokenizer::TextAnalyzer;

use super::schema::analyze;

/// A passage's analysed terms as stored: the heading path's on the first line, then each
/// sentence's (as [`crate::text::sentences`] splits the text), terms separated by spaces.
pub(crate) fn encode(analyzer: &mut TextAnalyzer, heading_path: &[String], text: &str) -> String {
    let mut lines = Vec::new();
    lines.push(terms_line(analyzer, &heading_path.join(" ")));
    for sentence in crate::text::sentences(text) {
        lines.push(terms_line(analyzer, sentence));
    }
    lines.join("\n")
}

/// A passage's stored terms read back: the heading path's, and each sentence's, in order.
pub(crate) struct StoredTerms<'a> {
    /// The terms of the heading path, in order.
    pub headings: Vec<&'a str>,
    /// The terms of each sentence, in order.
    pub sentences: Vec<Vec<&'a str>>,
}

/// Reads stored terms back; `None` when nothing was stored.
pub(crate) fn decode(stored: &str) -> Option<StoredTerms<'_>> {
    if stored.is_empty() {
        return None;
    }
    let mut lines = stored.split('\n').map(|line| line.split(' ').filter(|term| !term.is_empty()).collect());
    let headings = lines.next()?;
    Some(StoredTerms { headings, sentences: lines.collect() })
}

fn terms_line(analyzer: &mut TextAnalyzer, text: &str) -> String {
    analyze(analyzer, text).into_iter().map(|(term, _)| term).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::{decode, encode};
    use crate::index::schema::english_analyzer;

    #[test]
    fn stored_terms_read_back_as_the_headings_and_each_sentence() {
        let mut analyzer = english_analyzer();
        let stored = encode(
            &mut analyzer,
            &["Bins".to_string(), "Missed collections".to_string()],
            "Report a missed bin within 2 days. We will return.\nCall us",
        );
        let terms = decode(&stored).expect("terms were stored");
        assert_eq!(terms.headings, ["bin", "miss", "collect"]);
        assert_eq!(
            terms.sentences,
            [vec!["report", "miss", "bin", "within", "2", "day"], vec!["return"], vec!["call"]]
        );
    }

    #[test]
    fn a_passage_of_no_words_stores_empty_lines() {
        let mut analyzer = english_analyzer();
        let terms = encode(&mut analyzer, &[], "…");
        let read = decode(&terms);
        assert!(read.is_none_or(|read| read.headings.is_empty() && read.sentences.iter().all(Vec::is_empty)));
        assert!(decode("").is_none());
    }
}
