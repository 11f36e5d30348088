//! Spelling correction of query terms against the words the index holds.

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
    let mut best: Option<(usize, u32, String)> = None;
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
            let edits = edit_distance(term, candidate);
            let frequency = stream.value().doc_freq;
            let better = match &best {
                None => true,
                Some((best_edits, best_frequency, _)) => {
                    edits < *best_edits || (edits == *best_edits && frequency > *best_frequency)
                }
            };
            if better {
                best = Some((edits, frequency, candidate.to_string()));
            }
        }
    }
    Ok(best.map(|(_, _, candidate)| candidate))
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
    use super::edit_distance;

    #[test]
    fn counts_swaps_as_one_edit() {
        assert_eq!(edit_distance("recyling", "recycling"), 1);
        assert_eq!(edit_distance("form", "from"), 1);
        assert_eq!(edit_distance("bin", "bin"), 0);
        assert_eq!(edit_distance("council", "counsel"), 2);
    }
}
