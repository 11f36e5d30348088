//! Cases a question names by a letter of a series ("zone E", "band D") and whether a page names
//! that case or only others of its series ("Zone A" to "Zone D"), which makes the page about
//! other cases than the one asked about.

/// Words that a letter can follow without the letter naming a case ("do i need a permit").
const NOT_SERIES: &[&str] = &[
    "can", "could", "do", "does", "did", "need", "needs", "get", "got", "have", "has", "had", "is", "are", "was",
    "were", "be", "been", "will", "would", "should", "want", "wants", "like", "for", "of", "to", "in", "on", "at",
    "as", "with", "from", "by", "and", "or", "if", "it", "its", "me", "my", "there", "what", "whats", "how", "when",
    "where", "who", "which", "put", "take", "make", "find", "book", "order", "pay", "apply", "just", "about", "such",
    "half", "quite", "once", "twice", "plan",
];

/// A case named by a word and a letter ("zone E"), both lowercase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SeriesCase {
    series: String,
    letter: char,
}

/// The cases a text names by a word and a single letter after it ("band D", "zone e"). "I" is
/// never a case: it is the word.
pub(super) fn series_cases(text: &str) -> Vec<SeriesCase> {
    let words = words(text);
    let mut cases: Vec<SeriesCase> = Vec::new();
    for pair in words.windows(2) {
        let [series, letter] = pair else { continue };
        let Some(letter) = single_letter(letter) else { continue };
        if letter == 'i' || series.len() < 3 || !series.chars().all(char::is_alphabetic) {
            continue;
        }
        if NOT_SERIES.contains(&series.as_str()) {
            continue;
        }
        let case = SeriesCase { series: series.clone(), letter };
        if !cases.contains(&case) {
            cases.push(case);
        }
    }
    cases
}

/// Whether a page's texts name other cases of the series `case` belongs to (at least two other
/// letters after its word, as "Zone A" and "Zone B") and never `case` itself.
pub(super) fn only_others_named<'t>(case: &SeriesCase, texts: impl IntoIterator<Item = &'t str>) -> bool {
    let mut letters: Vec<char> = Vec::new();
    for text in texts {
        let words = words(text);
        for pair in words.windows(2) {
            let [series, letter] = pair else { continue };
            if *series != case.series {
                continue;
            }
            if let Some(letter) = single_letter(letter)
                && !letters.contains(&letter)
            {
                letters.push(letter);
            }
        }
    }
    letters.len() >= 2 && !letters.contains(&case.letter)
}

/// Whether a table row is the row of `case` (its first cell names it, as "Band: D" or "Zone:
/// Zone D"), the row of another case of its series ("Band: F"), or neither (`None`). A row's
/// other cells may name the case without being its row ("Proportion of Band D: 13/9").
pub(super) fn row_of(row: &str, case: &SeriesCase) -> Option<bool> {
    let first_cell = row.split(';').next().unwrap_or_default();
    let words = words(first_cell);
    let [.., series, letter] = words.as_slice() else { return None };
    let letter = single_letter(letter)?;
    (*series == case.series).then_some(letter == case.letter)
}

/// The letter a word is, if it is a single letter.
fn single_letter(word: &str) -> Option<char> {
    let mut chars = word.chars();
    match (chars.next(), chars.next()) {
        (Some(letter), None) if letter.is_ascii_alphabetic() => Some(letter),
        _ => None,
    }
}

/// The lowercase words of a text, apostrophes dropped ("what's" is "whats").
fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .replace(['\'', '’'], "")
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_letter_after_a_word_names_a_case_but_not_after_a_word_it_merely_follows() {
        let cases = series_cases("how much is a resident parking permit in zone E");
        assert_eq!(cases, vec![SeriesCase { series: "zone".into(), letter: 'e' }]);
        assert_eq!(series_cases("whats band d council tax")[0], SeriesCase { series: "band".into(), letter: 'd' });
        assert!(series_cases("do i need a permit, can i get a discount").is_empty());
        assert!(series_cases("is there a charge for plan b").is_empty());
    }

    #[test]
    fn a_page_naming_other_letters_of_the_series_only_names_other_cases() {
        let zone_e = &series_cases("permit in zone e")[0];
        let zones = ["Zone: Zone A; Area: Town centre", "Zone: Zone B; Area: Station Road", "Zone C is new."];
        assert!(only_others_named(zone_e, zones));
        let zone_b = &series_cases("permit in zone b")[0];
        assert!(!only_others_named(zone_b, zones), "the page names zone B");
        // One other letter is not a series: "Zone A" alone may be the only zone there is.
        assert!(!only_others_named(zone_e, ["Zone A covers the whole town."]));
        assert!(!only_others_named(zone_e, ["Permits cost £60 a year."]));
    }

    #[test]
    fn a_row_is_the_row_of_the_case_its_first_cell_names() {
        let band_d = &series_cases("how much is band d")[0];
        assert_eq!(row_of("Band: D; Annual council tax: £2,184.22; Proportion of Band D: 9/9", band_d), Some(true));
        assert_eq!(row_of("Band: F; Annual council tax: £3,155.48; Proportion of Band D: 13/9", band_d), Some(false));
        assert_eq!(row_of("Zone: Zone D; Area: Ashby Marsh", &series_cases("zone d permit")[0]), Some(true));
        assert_eq!(row_of("Permit: First vehicle; Price: £60", band_d), None);
    }
}
