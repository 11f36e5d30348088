//! Words shown to people in each language, read from one translation file per language.
//!
//! A translation file is YAML: keys grouped under headings, each ending in the words to show.
//! `{name}` in the words stands for a value filled in when they are shown, such as the
//! council's name. English is complete; another language may lack words only by mistake,
//! which [`Translations::gaps`] reports, and meanwhile the English words are shown.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use knowledge_base::Language;
use serde::Deserialize;

/// The words of every key, in each language.
#[derive(Debug, Clone, Default)]
pub struct Translations {
    /// English words by dotted key (`chat.send`).
    english: BTreeMap<String, String>,
    /// Welsh words by dotted key.
    welsh: BTreeMap<String, String>,
}

/// A translation file that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct TranslationError {
    /// The file's name.
    pub file: String,
    /// What is wrong with it.
    pub message: String,
}

/// A heading of keys, or the words of one key.
#[derive(Deserialize)]
#[serde(untagged)]
enum Entry {
    Words(String),
    Heading(BTreeMap<String, Entry>),
}

impl Translations {
    /// Reads the English and the Welsh translation files, named for the errors they give.
    pub fn parse(english: (&str, &str), welsh: (&str, &str)) -> Result<Translations, TranslationError> {
        Translations::parse_all(&[english], &[welsh])
    }

    /// Reads several translation files of each language, each holding keys of its own.
    pub fn parse_all(english: &[(&str, &str)], welsh: &[(&str, &str)]) -> Result<Translations, TranslationError> {
        let mut translations = Translations::default();
        for (file, text) in english {
            translations.english.extend(flatten(file, text)?);
        }
        for (file, text) in welsh {
            translations.welsh.extend(flatten(file, text)?);
        }
        Ok(translations)
    }

    /// The words of `key` in `language`, English when that language lacks them, and the key
    /// itself when no language has it.
    pub fn text<'t>(&'t self, language: Language, key: &'t str) -> &'t str {
        let words = match language {
            Language::English => None,
            Language::Welsh => self.welsh.get(key),
        };
        match words.or_else(|| self.english.get(key)) {
            Some(words) => words,
            None => {
                tracing::error!(key, "no words for this key in any translation file");
                key
            }
        }
    }

    /// The words of `key` in `language` with each `{name}` replaced by its value.
    pub fn fill(&self, language: Language, key: &str, values: &[(&str, &str)]) -> String {
        fill_in(self.text(language, key), values)
    }

    /// Every key under `heading` (such as `chat.script`) with its words in `language`, the
    /// heading left off the keys.
    pub fn under(&self, language: Language, heading: &str) -> BTreeMap<String, String> {
        let prefix = format!("{heading}.");
        self.english
            .keys()
            .filter_map(|key| {
                key.strip_prefix(&prefix).map(|short| (short.to_string(), self.text(language, key).into()))
            })
            .collect()
    }

    /// Whether any language has words for `key`.
    pub fn has(&self, key: &str) -> bool {
        self.english.contains_key(key)
    }

    /// What is wrong between the languages: keys the Welsh file lacks or the English one lacks,
    /// and words whose placeholders differ from the English ones.
    pub fn gaps(&self) -> Vec<String> {
        let mut gaps = Vec::new();
        for (key, english) in &self.english {
            match self.welsh.get(key) {
                None => gaps.push(format!("cy: `{key}` has no Welsh words")),
                Some(welsh) if welsh.trim().is_empty() => gaps.push(format!("cy: `{key}` is empty")),
                Some(welsh) if placeholders(welsh) != placeholders(english) => gaps.push(format!(
                    "cy: `{key}` fills in {:?} where the English fills in {:?}",
                    placeholders(welsh),
                    placeholders(english)
                )),
                Some(_) => {}
            }
        }
        for key in self.welsh.keys().filter(|key| !self.english.contains_key(*key)) {
            gaps.push(format!("cy: `{key}` is not a key of the English file"));
        }
        gaps
    }
}

/// The words the bot says, in each language (`bot/translations`).
pub fn bot_words() -> &'static Translations {
    static WORDS: LazyLock<Translations> = LazyLock::new(|| {
        Translations::parse(
            ("bot/translations/en.yaml", include_str!("../translations/en.yaml")),
            ("bot/translations/cy.yaml", include_str!("../translations/cy.yaml")),
        )
        .expect("the built-in translation files parse")
    });
    &WORDS
}

/// What the bot says for `key` in `language`, with each `{name}` filled in.
pub fn speak(language: Language, key: &str, values: &[(&str, &str)]) -> String {
    bot_words().fill(language, key, values)
}

/// Items joined as a list of alternatives: "housing, parking or council tax".
pub fn or_list(language: Language, items: &[String]) -> String {
    match items.split_last() {
        Some((last, rest)) if !rest.is_empty() => {
            format!("{} {} {last}", rest.join(", "), speak(language, "list.or", &[]))
        }
        Some((last, _)) => last.clone(),
        None => String::new(),
    }
}

/// `words` with each `{name}` replaced by its value; unknown names are left as they are.
pub fn fill_in(words: &str, values: &[(&str, &str)]) -> String {
    let mut filled = String::with_capacity(words.len() + 32);
    let mut rest = words;
    while let Some(start) = rest.find('{') {
        filled.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let named = after.find('}').map(|end| (&after[..end], &after[end + 1..]));
        match named.and_then(|(name, tail)| values.iter().find(|(key, _)| *key == name).map(|(_, v)| (*v, tail))) {
            Some((value, tail)) => {
                filled.push_str(value);
                rest = tail;
            }
            None => {
                filled.push('{');
                rest = after;
            }
        }
    }
    filled.push_str(rest);
    filled
}

/// The `{name}` placeholders of some words, in order of name.
fn placeholders(words: &str) -> Vec<&str> {
    let mut names: Vec<&str> = words
        .split('{')
        .skip(1)
        .filter_map(|part| part.split_once('}').map(|(name, _)| name))
        .filter(|name| !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// The keys of a translation file, dotted (`chat.send`), with their words.
fn flatten(file: &str, text: &str) -> Result<BTreeMap<String, String>, TranslationError> {
    let top: BTreeMap<String, Entry> = serde_saphyr::from_str(text)
        .map_err(|error| TranslationError { file: file.to_string(), message: error.to_string() })?;
    let mut flat = BTreeMap::new();
    let mut pending: Vec<(String, Entry)> = top.into_iter().collect();
    while let Some((key, entry)) = pending.pop() {
        match entry {
            Entry::Words(words) => {
                flat.insert(key, words.trim_end().to_string());
            }
            Entry::Heading(entries) => {
                pending.extend(entries.into_iter().map(|(name, entry)| (format!("{key}.{name}"), entry)));
            }
        }
    }
    Ok(flat)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(english: &str, welsh: &str) -> Translations {
        Translations::parse(("en.yaml", english), ("cy.yaml", welsh)).unwrap()
    }

    #[test]
    fn words_are_found_by_dotted_key_and_filled_in() {
        let translations = both("chat:\n  title: Chat with {council}\n", "chat:\n  title: Sgwrsio â {council}\n");
        assert_eq!(
            translations.fill(Language::English, "chat.title", &[("council", "Eastbrook")]),
            "Chat with Eastbrook"
        );
        assert_eq!(
            translations.fill(Language::Welsh, "chat.title", &[("council", "Eastbrook")]),
            "Sgwrsio â Eastbrook"
        );
        assert_eq!(translations.under(Language::Welsh, "chat").get("title").unwrap(), "Sgwrsio â {council}");
    }

    #[test]
    fn missing_welsh_words_are_reported_and_shown_in_english_meanwhile() {
        let translations = both("a: One\nb: Two {n}\nc: Three\n", "a: Un\nb: Dau {m}\nd: Pedwar\n");
        assert_eq!(translations.text(Language::Welsh, "c"), "Three");
        let gaps = translations.gaps();
        assert_eq!(gaps.len(), 3, "{gaps:?}");
        assert!(gaps.iter().any(|gap| gap.contains("`b`") && gap.contains("\"m\"")), "{gaps:?}");
        assert!(gaps.iter().any(|gap| gap.contains("`c` has no Welsh")), "{gaps:?}");
        assert!(gaps.iter().any(|gap| gap.contains("`d` is not a key")), "{gaps:?}");
    }

    #[test]
    fn braces_that_are_not_placeholders_are_kept() {
        assert_eq!(fill_in("{a} {b} {", &[("a", "1")]), "1 {b} {");
        assert_eq!(fill_in("{a}{a}", &[("a", "{a}")]), "{a}{a}");
    }

    #[test]
    fn the_bot_has_welsh_words_for_everything_it_says() {
        let gaps = bot_words().gaps();
        assert!(gaps.is_empty(), "bot/translations/cy.yaml: {}", gaps.join("; "));
    }

    #[test]
    fn every_key_the_bot_speaks_has_words() {
        // `speak(language, "key", …)`, a turn's or a form's `words("key", …)` and `button("key", …)`,
        // and an answer's `problem("key", …)` under `answer_problem`.
        let call = regex::Regex::new(r#"(?:speak\(\s*[a-z_.()]+,|\bwords\(|\bbutton\(|\b(problem)\()\s*"([a-z_.]+)""#)
            .unwrap();
        let mut unknown = Vec::new();
        let mut seen = 0;
        for entry in walk(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src"))) {
            let source = std::fs::read_to_string(&entry).unwrap();
            if entry.ends_with("translations.rs") {
                continue;
            }
            for captures in call.captures_iter(&source) {
                seen += 1;
                let key = match captures.get(1) {
                    Some(_) => format!("answer_problem.{}", &captures[2]),
                    None => captures[2].to_string(),
                };
                if !bot_words().has(&key) {
                    unknown.push(format!("{}: `{key}`", entry.display()));
                }
            }
        }
        assert!(seen > 50, "only {seen} words spoken were found: the search for them is broken");
        assert!(unknown.is_empty(), "keys with no words: {unknown:?}");
    }

    fn walk(folder: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files.extend(walk(&path));
            } else if path.extension().is_some_and(|extension| extension == "rs") {
                files.push(path);
            }
        }
        files
    }

    #[test]
    fn alternatives_are_joined_in_each_language() {
        let items = ["housing".to_string(), "parking".to_string(), "council tax".to_string()];
        assert_eq!(or_list(Language::English, &items), "housing, parking or council tax");
        assert_eq!(or_list(Language::Welsh, &items[..2]), "housing neu parking");
    }

    #[test]
    fn a_file_that_is_not_a_map_of_words_names_itself() {
        let error = Translations::parse(("en.yaml", "- a list\n"), ("cy.yaml", "")).unwrap_err();
        assert!(error.to_string().starts_with("en.yaml:"), "{error}");
    }
}
