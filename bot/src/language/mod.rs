//! Understanding short messages without a language model: typed values, dates, requests for
//! services, and the signals that call for a person.

pub mod dates;
pub mod intents;
pub mod signals;
pub mod values;

/// A message lowercased, with curly quotes straightened, contractions spelt out ("wasn't" as
/// "was not", also when typed without the apostrophe) and runs of spaces folded.
pub fn normalise(text: &str) -> String {
    let lowered = text.to_lowercase().replace(['\u{2019}', '\u{2018}', '`'], "'");
    let mut words: Vec<String> = Vec::new();
    for word in lowered.split_whitespace() {
        words.push(expand_contraction(word));
    }
    words.join(" ")
}

/// Contractions and their common misspellings without the apostrophe.
const CONTRACTIONS: &[(&str, &str)] = &[
    ("won't", "will not"),
    ("wont", "will not"),
    ("can't", "can not"),
    ("cant", "can not"),
    ("cannot", "can not"),
    ("shan't", "shall not"),
    ("wasnt", "was not"),
    ("werent", "were not"),
    ("isnt", "is not"),
    ("arent", "are not"),
    ("didnt", "did not"),
    ("doesnt", "does not"),
    ("dont", "do not"),
    ("hasnt", "has not"),
    ("havent", "have not"),
    ("hadnt", "had not"),
    ("couldnt", "could not"),
    ("wouldnt", "would not"),
    ("shouldnt", "should not"),
    ("aint", "is not"),
    ("i'm", "i am"),
    ("im", "i am"),
    ("it's", "it is"),
    ("i've", "i have"),
    ("ive", "i have"),
    ("i'll", "i will"),
    ("i'd", "i would"),
    ("you're", "you are"),
    ("youre", "you are"),
    ("they're", "they are"),
    ("there's", "there is"),
    ("that's", "that is"),
    ("thats", "that is"),
    ("what's", "what is"),
    ("whats", "what is"),
    ("he's", "he is"),
    ("she's", "she is"),
    ("let's", "let us"),
];

fn expand_contraction(word: &str) -> String {
    let (core, trailing) = split_trailing_punctuation(word);
    if let Some((_, expanded)) = CONTRACTIONS.iter().find(|(short, _)| *short == core) {
        return format!("{expanded}{trailing}");
    }
    if let Some(stem) = core.strip_suffix("n't") {
        return format!("{stem} not{trailing}");
    }
    word.to_string()
}

fn split_trailing_punctuation(word: &str) -> (&str, &str) {
    let end = word.trim_end_matches(|c: char| c.is_ascii_punctuation() && c != '\'').len();
    word.split_at(end)
}

/// The words of a normalised message: letters, digits and apostrophes, without punctuation.
pub fn words(normalised: &str) -> Vec<&str> {
    normalised
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .map(|word| word.trim_matches('\''))
        .filter(|word| !word.is_empty())
        .collect()
}

/// The number of single-character edits between two words.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

/// Whether a typed word is the expected word or a likely misspelling of it (one edit for
/// words of five letters or more, two for words of eight or more; short words must match).
pub fn spelt_like(typed: &str, expected: &str) -> bool {
    if typed == expected {
        return true;
    }
    let length = expected.chars().count();
    let allowed = match length {
        0..=4 => 0,
        5..=7 => 1,
        _ => 2,
    };
    allowed > 0
        && typed.chars().next() == expected.chars().next()
        && typed.chars().count().abs_diff(length) <= allowed
        && edit_distance(typed, expected) <= allowed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contractions_are_spelt_out_with_or_without_apostrophes() {
        assert_eq!(normalise("My bin WASN'T emptied!"), "my bin was not emptied!");
        assert_eq!(normalise("bin wasnt collected"), "bin was not collected");
        assert_eq!(normalise("it won\u{2019}t lock"), "it will not lock");
        assert_eq!(words("hello, world! it's"), vec!["hello", "world", "it's"]);
    }

    #[test]
    fn misspellings_within_an_edit_or_two_are_recognised() {
        assert!(spelt_like("recyling", "recycling"));
        assert!(spelt_like("colected", "collected"));
        assert!(!spelt_like("bin", "bun"));
        assert!(!spelt_like("garden", "harden"));
    }
}
