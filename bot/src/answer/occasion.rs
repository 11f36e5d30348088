//! The occasions a text names: Christmas, New Year, Easter, bank holidays. Council pages give
//! the usual arrangements and then the changes for these, and a sentence about one of them
//! answers a question about it, not a question about the usual arrangements.

/// Occasions as written, each with the name it is known by.
const OCCASIONS: &[(&str, &str)] = &[
    ("christmas", "christmas"),
    ("xmas", "christmas"),
    ("boxing day", "christmas"),
    ("new year", "new year"),
    ("new years", "new year"),
    ("hogmanay", "new year"),
    ("easter", "easter"),
    ("good friday", "easter"),
    ("bank holiday", "bank holiday"),
    ("bank holidays", "bank holiday"),
    ("nadolig", "christmas"),
    ("dolig", "christmas"),
    ("blwyddyn newydd", "new year"),
    ("calan", "new year"),
    ("pasg", "easter"),
    ("gwyl y banc", "bank holiday"),
    ("gwyliau banc", "bank holiday"),
];

/// A word of each way of writing an occasion, looked for first: most sentences name none.
pub(super) const TELLING_WORDS: &[&str] = &[
    "christmas",
    "xmas",
    "boxing",
    "year",
    "hogmanay",
    "easter",
    "friday",
    "holiday",
    "nadolig",
    "dolig",
    "calan",
    "pasg",
    "banc",
];

/// The occasions `text` names, by the name each is known by, leaving out those it names only
/// to leave them out ("every day except Christmas Day").
pub(super) fn occasions(text: &str) -> Vec<&'static str> {
    let lower = text.to_lowercase();
    if !TELLING_WORDS.iter().any(|word| lower.contains(word)) {
        return Vec::new();
    }
    let lower = lower.replace(['\'', '’'], "").replace('ŵ', "w");
    let words: Vec<&str> = lower.split(|c: char| !c.is_alphanumeric()).filter(|word| !word.is_empty()).collect();
    // A Christmas tree is a thing, not an occasion.
    let padded = format!(" {} ", words.join(" ")).replace(" christmas tree", " tree").replace(" xmas tree", " tree");
    let left_out = super::exclusion::excluded_words(text);
    let mut named: Vec<&'static str> = Vec::new();
    for (written, name) in OCCASIONS {
        let first = written.split(' ').next().unwrap_or(written);
        if padded.contains(&format!(" {written} "))
            && !left_out.iter().any(|word| word == first)
            && !named.contains(name)
        {
            named.push(name);
        }
    }
    named
}

/// Whether `sentence` is about occasions none of which the question names (`asked`): the
/// changes over Christmas, for a question about the usual collection day.
pub(super) fn is_about_another_occasion(sentence: &str, asked: &[&str]) -> bool {
    let named = occasions(sentence);
    !named.is_empty() && !named.iter().any(|occasion| asked.contains(occasion))
}

#[cfg(test)]
mod tests {
    use super::{is_about_another_occasion, occasions};

    #[test]
    fn occasions_are_known_by_one_name_however_written() {
        assert_eq!(occasions("Collections change over Xmas and New Year's Day"), ["christmas", "new year"]);
        assert_eq!(occasions("closed on bank holidays and Good Friday"), ["easter", "bank holiday"]);
        assert_eq!(occasions("Casgliadau dros y Nadolig a Gŵyl y Banc"), ["christmas", "bank holiday"]);
        assert!(occasions("Put your bins out by 7am on your collection day").is_empty());
        assert!(occasions("the new bank opening years").is_empty());
        assert!(occasions("Put your Christmas tree in your brown bin").is_empty());
    }

    #[test]
    fn an_occasion_named_only_to_be_left_out_is_not_what_a_sentence_is_about() {
        assert!(occasions("Open every day except Christmas Day").is_empty());
        assert!(occasions("Open all year apart from bank holidays").is_empty());
    }

    #[test]
    fn a_sentence_about_an_occasion_answers_only_questions_naming_it() {
        let sentence = "Check the Christmas and New Year collection dates before putting your bins out.";
        assert!(is_about_another_occasion(sentence, &occasions("when is my bin collected")));
        assert!(!is_about_another_occasion(sentence, &occasions("when are bins collected at christmas")));
        assert!(is_about_another_occasion(sentence, &occasions("is the tip open on easter monday")));
        assert!(!is_about_another_occasion(sentence, &occasions("bin day over xmas and new year?")));
        assert!(!is_about_another_occasion("Your bins are collected on the same day every week.", &[]));
    }
}
