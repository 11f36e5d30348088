//! Spelling correction of query terms against the words the index holds.

use std::collections::BTreeMap;

use tantivy::query::FuzzyTermQuery;
use tantivy::schema::Field;
use tantivy::{Searcher, Term};

/// Terms shorter than this are never corrected: too many words are one edit apart.
const SHORTEST_CORRECTED: usize = 4;

/// Terms shorter than this are corrected by one edit at most; longer ones by two.
const LONGEST_ONE_EDIT: usize = 8;

/// The indexed term closest to an unknown `term` within one or two edits, preferring fewer
/// edits, then the more frequent term; `None` when nothing is close.
pub(crate) fn correct(searcher: &Searcher, field: Field, term: &str) -> tantivy::Result<Option<String>> {
    let length = term.chars().count();
    if length < SHORTEST_CORRECTED || term.chars().any(|c| c.is_ascii_digit()) {
        return Ok(None);
    }
    let distance = if length < LONGEST_ONE_EDIT { 1 } else { 2 };
    let first = term.chars().next();
    let automaton = FuzzyTermQuery::new(Term::from_field_text(field, term), distance, true).automaton()?;
    // Each candidate's edits and its frequency over the whole index: a segment's own count
    // depends on how the index happened to be split, and so would the correction.
    let mut candidates: BTreeMap<String, (usize, u64)> = BTreeMap::new();
    for segment in searcher.segment_readers() {
        let inverted = segment.inverted_index(field)?;
        let mut stream = inverted.terms().search(&automaton).into_stream()?;
        while stream.advance() {
            let Ok(candidate) = std::str::from_utf8(stream.key()) else {
                continue;
            };
            // A correction starts with the same letter, keeps the word's length give or take a
            // letter, and is never a short word: "peru" is not a misspelling of "per".
            let candidate_length = candidate.chars().count();
            if candidate.chars().next() != first
                || candidate_length < SHORTEST_CORRECTED
                || candidate_length.abs_diff(length) > 1
            {
                continue;
            }
            let frequency = u64::from(stream.value().doc_freq);
            candidates
                .entry(candidate.to_string())
                .and_modify(|(_, total)| *total += frequency)
                .or_insert_with(|| (edit_distance(term, candidate), frequency));
        }
    }
    // Fewest edits, then the most frequent, then the first in alphabetical order.
    let best = candidates
        .into_iter()
        .min_by(|(a, (a_edits, a_frequency)), (b, (b_edits, b_frequency))| {
            a_edits.cmp(b_edits).then(b_frequency.cmp(a_frequency)).then_with(|| a.cmp(b))
        })
        .map(|(candidate, _)| candidate);
    Ok(best)
}

/// Edits (insertions, deletions, substitutions, adjacent swaps) between two words.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut previous_previous = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut current = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            current[j] = (previous[j] + 1).min(current[j - 1] + 1).min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                current[j] = current[j].min(previous_previous[j - 2] + 1);
            }
        }
        previous_previous = std::mem::replace(&mut previous, current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use tantivy::schema::{Schema, TEXT};
    use tantivy::{Index, doc};

    use super::{correct, edit_distance};

    #[test]
    fn a_correction_weighs_a_words_frequency_over_the_whole_index_not_one_segment() {
        let mut schema = Schema::builder();
        let body = schema.add_text_field("body", TEXT);
        let index = Index::create_in_ram(schema.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).expect("writer");
        // One segment holds "pack" twice and "park" once, the other "park" twice: "park" is the
        // more frequent word in the index, though not in the first segment.
        for text in ["pack", "pack", "park"] {
            writer.add_document(doc!(body => text)).expect("add");
        }
        writer.commit().expect("commit");
        for text in ["park", "park"] {
            writer.add_document(doc!(body => text)).expect("add");
        }
        writer.commit().expect("commit");
        let searcher = index.reader().expect("reader").searcher();
        assert_eq!(searcher.segment_readers().len(), 2);
        assert_eq!(correct(&searcher, body, "parck").expect("correct").as_deref(), Some("park"));
    }

    #[test]
    fn counts_swaps_as_one_edit() {
        assert_eq!(edit_distance("recyling", "recycling"), 1);
        assert_eq!(edit_distance("form", "from"), 1);
        assert_eq!(edit_distance("bin", "bin"), 0);
        assert_eq!(edit_distance("council", "counsel"), 2);
    }
}
