//! The words a text says are left out: "Loft conversion without a dormer", "every day except
//! Christmas Day". A sentence that leaves out what a question asks about is about another case.

/// Words that leave out the words after them.
const EXCLUDING: &[&str] = &["without", "except", "excluding", "apart"];

/// Words skipped between an excluding word and what it leaves out.
const SKIPPED: &[&str] = &["a", "an", "the", "any", "for", "from", "of", "your", "their"];

/// The word each excluding word of `text` leaves out, as written: "dormer" for "without a dormer".
pub(super) fn excluded_words(text: &str) -> Vec<String> {
    let is_one_of = |word: &str, list: &[&str]| list.iter().any(|listed| word.eq_ignore_ascii_case(listed));
    let words: Vec<&str> =
        text.split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '’').filter(|word| !word.is_empty()).collect();
    let mut excluded = Vec::new();
    for (index, word) in words.iter().enumerate() {
        if !is_one_of(word, EXCLUDING) {
            continue;
        }
        if let Some(next) = words[index + 1..].iter().find(|next| !is_one_of(next, SKIPPED)) {
            excluded.push(next.to_lowercase());
        }
    }
    excluded
}

#[cfg(test)]
mod tests {
    use super::excluded_words;

    #[test]
    fn the_word_after_without_or_except_is_left_out() {
        assert_eq!(excluded_words("Loft conversion without a dormer; Total charge: £660"), ["dormer"]);
        assert_eq!(excluded_words("Open every day except Christmas Day"), ["christmas"]);
        assert_eq!(excluded_words("apart from bank holidays"), ["bank"]);
        assert!(excluded_words("Loft conversion with a dormer").is_empty());
        assert_eq!(excluded_words("WITHOUT The Dormer"), ["dormer"]);
    }
}
