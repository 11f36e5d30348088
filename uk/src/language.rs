//! The languages content and questions are written in, and telling Welsh from English by the
//! words used.

use serde::{Deserialize, Serialize};

/// A language the knowledge base reads and answers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Language {
    /// English (`en`).
    #[default]
    #[serde(rename = "en")]
    English,
    /// Welsh, Cymraeg (`cy`).
    #[serde(rename = "cy")]
    Welsh,
}

/// Words of Welsh that are not English words: function words, question words and the words
/// of greetings and replies, in the forms people type them (accents optional).
const WELSH_WORDS: &[&str] = &[
    "yr", "yn", "ym", "yng", "mae", "ma", "maen", "oes", "ydy", "ydi", "ydw", "ydych", "ydach", "ydyn", "dwi", "dw",
    "rwy", "rydw", "rydych", "ni", "nhw", "chi", "ei", "eu", "fy", "ein", "eich", "ac", "neu", "ond", "gyda", "efo",
    "gan", "wedi", "heb", "ddim", "nid", "nad", "nac", "naddo", "ie", "ia", "pryd", "faint", "sut", "ble", "lle",
    "beth", "be", "pam", "pwy", "pa", "sydd", "sy", "bod", "fod", "hyn", "hynny", "yma", "yna", "mewn", "gyfer", "os",
    "fel", "hefyd", "iawn", "diolch", "helo", "shwmae", "bore", "prynhawn", "nos", "heddiw", "yfory", "ddoe", "dydd",
    "wythnos", "mis", "blwyddyn", "cyngor", "gyngor", "treth", "dreth", "biniau", "finiau", "casglu", "gasglu", "cael",
    "gael", "gallu", "allu", "gallaf", "alla", "ga", "gaf", "gen", "fi", "fe", "fo", "hi", "ti", "ydan", "rhaid",
    "angen", "eisiau", "isio", "moyn", "sgen", "gwybod", "wybod", "gwneud", "wneud", "cais", "talu", "dalu", "nage",
    "oedd", "fydd", "bydd", "cewch", "gallwch",
];

/// Function words of English that are not Welsh words. English nouns are left out: Welsh
/// speakers use many of them ("ga i dalu council tax ar-lein?").
const ENGLISH_WORDS: &[&str] = &[
    "the", "is", "are", "was", "were", "what", "when", "where", "who", "why", "how", "which", "can", "could", "would",
    "should", "will", "my", "your", "you", "it", "this", "that", "to", "of", "and", "in", "on", "for", "with", "from",
    "have", "has", "does", "did", "not", "there", "their", "they", "we", "our", "me", "get", "much", "many", "need",
    "want", "please", "thanks", "thank", "hello", "yes", "no", "about", "if", "be", "been", "an", "at", "by", "or",
    "so", "just", "still", "next", "today", "tomorrow", "help", "im", "ive", "dont", "cant",
];

/// Words both languages use, which tell neither: "a", "i" and "am" are words of both.
const SHARED_WORDS: &[&str] = &["a", "i", "am", "o", "ar", "do", "dim", "bin", "hi", "y"];

impl Language {
    /// Every language, English first.
    pub const ALL: [Language; 2] = [Language::English, Language::Welsh];

    /// The language's code (`en`, `cy`), as in `lang` attributes and front matter.
    pub fn code(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::Welsh => "cy",
        }
    }

    /// The language's name in itself, as a switch to it is labelled.
    pub fn own_name(self) -> &'static str {
        match self {
            Language::English => "English",
            Language::Welsh => "Cymraeg",
        }
    }

    /// Reads a language code or name (`cy`, `cy-GB`, `cym`, `Welsh`, `Cymraeg`, `en-GB`, …);
    /// `None` for any other language.
    pub fn parse(text: &str) -> Option<Language> {
        let lower = text.trim().to_ascii_lowercase();
        let primary = lower.split(['-', '_']).next().unwrap_or_default();
        match primary {
            "cy" | "cym" | "wel" | "welsh" | "cymraeg" => Some(Language::Welsh),
            "en" | "eng" | "english" | "saesneg" => Some(Language::English),
            _ => None,
        }
    }

    /// The language a page's address names by a `/cy/` or `/en/` folder, if any.
    pub fn of_address(address: &str) -> Option<Language> {
        let path = address.split_once("://").map_or(address, |(_, rest)| rest.split_once('/').map_or("", |(_, p)| p));
        let path = path.split(['?', '#']).next().unwrap_or_default();
        path.split(['/', '\\']).find_map(|segment| match segment.to_ascii_lowercase().as_str() {
            "cy" => Some(Language::Welsh),
            "en" => Some(Language::English),
            _ => None,
        })
    }

    /// The language a text is written in, told from its words; `None` when they do not tell
    /// (a name, a postcode, a number, as many words of one as of the other).
    pub fn detect(text: &str) -> Option<Language> {
        let mut welsh = 0.0_f32;
        let mut english = 0.0_f32;
        for word in text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’')).filter(|w| !w.is_empty()) {
            let word = without_accents(word);
            let word = word.trim_matches('\'');
            // Welsh writes "i'r", "o'r", "mae'n": a word ending in 'r or 'n is Welsh; English
            // writes "I'm", "it's", "don't", "we'll".
            if word.ends_with("'r") || (word.ends_with("'n") && word.len() > 3) {
                welsh += 1.0;
                continue;
            }
            if ["'m", "'s", "'ll", "'ve", "'re", "'d", "n't"].iter().any(|ending| word.ends_with(ending)) {
                english += 1.0;
                continue;
            }
            let bare = word.split('\'').next().unwrap_or(word);
            if SHARED_WORDS.contains(&bare) {
                continue;
            }
            if WELSH_WORDS.contains(&bare) {
                welsh += 1.0;
            } else if ENGLISH_WORDS.contains(&bare) {
                english += 1.0;
            } else if looks_welsh(bare) {
                welsh += 0.5;
            }
        }
        if text.chars().any(|c| matches!(c, 'ŵ' | 'ŷ' | 'Ŵ' | 'Ŷ')) {
            welsh += 1.0;
        }
        match welsh.total_cmp(&english) {
            std::cmp::Ordering::Greater if welsh >= 1.0 => Some(Language::Welsh),
            std::cmp::Ordering::Less if english >= 1.0 => Some(Language::English),
            _ => None,
        }
    }
}

impl std::fmt::Display for Language {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.code())
    }
}

/// Text lowercased, with Welsh accents (â ê î ô û ŵ ŷ and the like) taken off and curly
/// apostrophes made straight.
pub fn without_accents(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'â' | 'á' | 'à' | 'ä' => 'a',
            'ê' | 'é' | 'è' | 'ë' => 'e',
            'î' | 'í' | 'ì' | 'ï' => 'i',
            'ô' | 'ó' | 'ò' | 'ö' => 'o',
            'û' | 'ú' | 'ù' | 'ü' => 'u',
            'ŵ' | 'ẃ' | 'ẁ' | 'ẅ' => 'w',
            'ŷ' | 'ý' | 'ỳ' | 'ÿ' => 'y',
            '’' | '‘' => '\'',
            c => c,
        })
        .collect()
}

/// Whether an unknown word is spelt as Welsh words are: `dd`, `ll`, `wy` or `ch` at its start,
/// `dd` or `ll` inside, or endings such as `-iau`, `-ydd`, `-wch`; and none of the letters Welsh
/// does not use (k, q, v, x, z).
fn looks_welsh(word: &str) -> bool {
    if word.len() < 3 || word.contains(['k', 'q', 'v', 'x', 'z']) || !word.chars().all(char::is_alphabetic) {
        return false;
    }
    let after_first_letter = &word[word.chars().next().map_or(0, char::len_utf8)..];
    const OPENINGS: &[&str] = &["dd", "ll", "rh", "ngh", "mh", "nh", "gw", "cy", "wy"];
    const INSIDE: &[&str] = &["dd", "ll", "wy", "yw", "aw", "ae"];
    const ENDINGS: &[&str] = &["iau", "ydd", "wch", "ion", "odd", "edd", "wyr", "iad", "aeth"];
    OPENINGS.iter().any(|opening| word.starts_with(opening))
        || INSIDE.iter().any(|inside| after_first_letter.contains(inside))
        || ENDINGS.iter().any(|ending| word.ends_with(ending))
}

#[cfg(test)]
mod tests {
    use super::Language;

    #[test]
    fn welsh_and_english_questions_are_told_apart_by_their_words() {
        for welsh in [
            "pryd mae'r biniau'n cael eu casglu",
            "faint yw'r dreth gyngor",
            "ga i dalu council tax ar-lein?",
            "diolch",
            "dwi'n ddigartref heno",
            "ydach chi'n casglu ar ddydd llun gwyl y banc?",
            "ie",
        ] {
            assert_eq!(Language::detect(welsh), Some(Language::Welsh), "{welsh}");
        }
        for english in [
            "when are the bins collected",
            "how much is council tax",
            "thanks",
            "I'm homeless tonight",
            "can I pay online?",
            "yes",
        ] {
            assert_eq!(Language::detect(english), Some(Language::English), "{english}");
        }
        for neither in ["EB1 2AB", "01632 960000", "Millford", "", "مرحبا", "你好世界"] {
            assert_eq!(Language::detect(neither), None, "{neither}");
        }
    }

    #[test]
    fn a_language_is_read_from_codes_names_and_addresses() {
        assert_eq!(Language::parse("cy-GB"), Some(Language::Welsh));
        assert_eq!(Language::parse("Cymraeg"), Some(Language::Welsh));
        assert_eq!(Language::parse("en"), Some(Language::English));
        assert_eq!(Language::parse("fr"), None);
        assert_eq!(Language::of_address("https://www.eastbrook.gov.uk/cy/waste/bins"), Some(Language::Welsh));
        assert_eq!(Language::of_address("content/cy/waste/bins.md"), Some(Language::Welsh));
        assert_eq!(Language::of_address("https://www.eastbrook.gov.uk/waste/cycle-lanes"), None);
        assert_eq!(Language::of_address("https://cy.example.gov.uk/waste"), None);
    }
}
