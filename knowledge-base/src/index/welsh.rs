//! The Welsh text analyzer: words lowercased and folded, Welsh stop words removed, every
//! mutation of a word's first letter brought to one form, and common endings taken off.

use super::compound::CompoundTokenizer;
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, StopWordFilter, TextAnalyzer, Token, TokenFilter, TokenStream,
    Tokenizer,
};

/// The name under which the Welsh analyzer is registered with the index.
pub(crate) const WELSH_ANALYZER: &str = "councilbot_welsh";

/// Welsh words that carry no meaning for search, as typed (before mutations are undone): function
/// words, the forms of "to be", the way questions and requests are put, and the pieces the
/// tokenizer leaves of "i'r", "mae'n" and the like.
const STOP_WORDS: &[&str] = &[
    "a", "ac", "ag", "am", "ar", "at", "y", "yr", "r", "yn", "n", "ym", "yng", "i", "o", "gan", "gyda", "efo", "mewn",
    "mae", "ma", "maen", "yw", "ydy", "ydi", "oes", "sy", "sydd", "bod", "fod", "wedi", "di", "ei", "eu", "fy", "dy",
    "eich", "ein", "hyn", "hynny", "hwn", "hon", "neu", "ond", "os", "chi", "ni", "nhw", "fe", "fo", "hi", "ti", "fi",
    "na", "nad", "nac", "pan", "fel", "dim", "ddim", "be", "beth", "sut", "faint", "pryd", "lle", "ble", "pam", "pwy",
    "pa", "dwi", "dw", "rwy", "rydw", "rydych", "ydw", "ydych", "ydach", "ydyn", "ydan", "ga", "gaf", "cael", "gael",
    "alla", "gallaf", "allaf", "gallu", "allu", "galla", "rhaid", "angen", "eisiau", "isio", "moyn", "sgen", "gen",
    "plis", "diolch", "helo", "shwmae", "haia", "gwelwch", "yma", "yna", "hefyd", "iawn", "wnewch", "gwnewch",
    "allwch", "gallwch", "gellir", "ydynt", "oedd", "fydd", "bydd", "byddwn", "fyddwn", "eto", "just", "ok", "felly",
    "bob", "pob", "ynglyn", "gwybod", "wybod", "dweud", "ddweud",
];

/// Endings taken off a word, longest first: plurals (`-iau`, `-au`, `-ion`, `-on`, `-od`,
/// `-oedd`, `-ydd`), nouns of action (`-iad`, `-iadau`) and verb-nouns (`-u`, `-i`, `-io`), so
/// that *trwyddedau* finds *trwydded* and *talu* finds *taliadau*.
const ENDINGS: &[&str] =
    &["iadau", "iadu", "oedd", "iau", "iad", "ion", "wyr", "ydd", "au", "on", "od", "io", "u", "i"];

/// The shortest a word may become once an ending is taken off.
const SHORTEST_STEM: usize = 3;

/// The first letters of every form a word takes after other words, and the one form each is
/// brought to, longest first: soft, nasal and aspirate mutations meet their radical
/// (*Gaerdydd*, *Nghaerdydd*, *Chaerdydd* → *Caerdydd*; *fin*, *min* → *bin*; *dreth* →
/// *treth*). Radicals that mutate into one another share a form (c and g, p and b, f and m, t and
/// d), which joins a few unrelated words but never parts a word from its own mutations.
const MUTATED_OPENINGS: &[(&str, &str)] = &[
    ("ngh", "c"),
    ("ngw", "w"),
    ("ng", "c"),
    ("mh", "p"),
    ("nh", "t"),
    ("ch", "c"),
    ("ph", "p"),
    ("th", "t"),
    ("dd", "t"),
    ("ll", "l"),
    ("rh", "r"),
    ("ff", "ff"),
    ("gw", "w"),
    ("g", "c"),
    ("b", "p"),
    ("f", "p"),
    ("m", "p"),
    ("d", "t"),
];

/// The analyzer for Welsh titles, headings, passages and questions.
pub(crate) fn welsh_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(CompoundTokenizer)
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(StopWordFilter::remove(STOP_WORDS.iter().map(|word| word.to_string())))
        .filter(WelshWordForms)
        .build()
}

/// A lowercased, folded Welsh word in the one form that all its mutations and its common
/// endings share.
pub(crate) fn base_form(word: &str) -> String {
    let radical = unmutate(word);
    // English words in Welsh keep English plurals (bins, heaters, bocsys): an `s` after a
    // consonant, which Welsh words seldom end in, or `ys`, comes off.
    let without_ys = radical.strip_suffix("ys").filter(|stem| stem.chars().count() > SHORTEST_STEM);
    let word = without_ys.unwrap_or(&radical);
    let without_s = word
        .strip_suffix('s')
        .filter(|stem| stem.chars().count() >= SHORTEST_STEM)
        .filter(|stem| stem.ends_with(|c: char| c.is_ascii_alphabetic() && !is_vowel(c) && c != 's'));
    if let Some(stem) = without_s.or(without_ys) {
        return stem.to_string();
    }
    for ending in ENDINGS {
        if let Some(stem) = radical.strip_suffix(ending)
            && stem.chars().count() >= SHORTEST_STEM
        {
            return stem.to_string();
        }
    }
    radical
}

/// Whether a letter is a Welsh vowel (w and y are).
fn is_vowel(letter: char) -> bool {
    matches!(letter, 'a' | 'e' | 'i' | 'o' | 'u' | 'w' | 'y')
}

/// A word with its mutated first letters brought to their shared form, and the `h` that comes
/// before a vowel after some words (*ei henw*) taken off.
fn unmutate(word: &str) -> String {
    if word.chars().count() < 2 || word.starts_with(|c: char| c.is_ascii_digit()) {
        return word.to_string();
    }
    if let Some(rest) = word.strip_prefix('h')
        && rest.starts_with(['a', 'e', 'i', 'o', 'u', 'w', 'y'])
    {
        return rest.to_string();
    }
    for (opening, shared) in MUTATED_OPENINGS {
        if let Some(rest) = word.strip_prefix(opening) {
            return format!("{shared}{rest}");
        }
    }
    word.to_string()
}

/// Brings each word to its [`base_form`].
#[derive(Clone)]
struct WelshWordForms;

impl TokenFilter for WelshWordForms {
    type Tokenizer<T: Tokenizer> = WelshWordFormsTokenizer<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> WelshWordFormsTokenizer<T> {
        WelshWordFormsTokenizer(tokenizer)
    }
}

/// A tokenizer whose words are brought to their base forms.
#[derive(Clone)]
pub(crate) struct WelshWordFormsTokenizer<T>(T);

impl<T: Tokenizer> Tokenizer for WelshWordFormsTokenizer<T> {
    type TokenStream<'a> = WelshWordFormsStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        WelshWordFormsStream(self.0.token_stream(text))
    }
}

/// The words of a text in their base forms.
pub(crate) struct WelshWordFormsStream<S>(S);

impl<S: TokenStream> TokenStream for WelshWordFormsStream<S> {
    fn advance(&mut self) -> bool {
        if !self.0.advance() {
            return false;
        }
        let token = self.0.token_mut();
        token.text = base_form(&token.text);
        true
    }

    fn token(&self) -> &Token {
        self.0.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.0.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::{base_form, welsh_analyzer};
    use crate::index::schema::analyze;

    fn terms(text: &str) -> Vec<String> {
        analyze(&mut welsh_analyzer(), text).into_iter().map(|(term, _)| term).collect()
    }

    #[test]
    fn every_mutation_of_a_word_meets_the_word() {
        for forms in [
            ["Caerdydd", "Gaerdydd", "Nghaerdydd", "Chaerdydd"],
            ["treth", "dreth", "nhreth", "thrETH"],
            ["bin", "fin", "min", "bin"],
            ["talu", "dalu", "nhalu", "thalu"],
            ["gwastraff", "wastraff", "ngwastraff", "gwastraff"],
            ["llyfrgell", "lyfrgell", "llyfrgell", "Llyfrgell"],
            ["enw", "henw", "enw", "Enw"],
        ] {
            let wanted = terms(forms[0]);
            assert_eq!(wanted.len(), 1, "{forms:?}");
            for form in forms {
                assert_eq!(terms(form), wanted, "{form} should meet {}", forms[0]);
            }
        }
    }

    #[test]
    fn plurals_and_verb_nouns_meet_their_word() {
        assert_eq!(base_form("trwyddedau"), base_form("trwydded"));
        assert_eq!(base_form("biniau"), base_form("bin"));
        assert_eq!(base_form("llyfrgelloedd"), base_form("llyfrgell"));
        assert_eq!(base_form("ffonio"), base_form("ffon"));
        assert_eq!(base_form("casglu"), base_form("casgliad"));
        // A short word keeps its ending rather than lose its meaning.
        assert_eq!(base_form("tai"), "tai");
        // English plurals in Welsh questions meet their word; Welsh words ending in s keep it.
        assert_eq!(base_form("bins"), base_form("bin"));
        assert_eq!(base_form("bocsys"), base_form("bocs"));
        assert_eq!(base_form("heaters"), base_form("heater"));
        assert_eq!(base_form("nos"), "nos");
        assert_eq!(base_form("pris"), base_form("prisiau"));
    }

    #[test]
    fn welsh_function_words_and_accents_do_not_count() {
        assert_eq!(terms("Pryd mae'r biniau'n cael eu casglu?"), terms("biniau casglu"));
        assert_eq!(terms("ffôn"), terms("ffon"));
        assert_eq!(terms("Sut ydw i'n talu'r dreth gyngor?"), terms("talu treth cyngor"));
    }
}
