//! Words a workflow shows residents, in English and, where the council gives them, in Welsh.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Deserializer};
use uk::language::Language;

use super::located::{Located, Template};

/// Words shown to residents: plain text (English), or `{en: …, cy: …}` with the Welsh beside
/// the English. A language without its own words is shown the English.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Wording {
    /// The English words.
    pub english: String,
    /// The Welsh words, when given.
    pub welsh: Option<String>,
}

/// Words shown to residents: plain text in English, or `{en: …, cy: …}` with the Welsh beside it.
/// (It describes the written form for the JSON Schema; [`WordingVisitor`] reads it.)
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code, reason = "it only describes the written form for the JSON Schema")]
enum WordingFile {
    /// English only.
    Plain(String),
    /// Each language's words.
    Languages(Languages),
}

/// The words in each language.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code, reason = "it only describes the written form for the JSON Schema")]
struct Languages {
    /// In English.
    en: String,
    /// In Welsh (Cymraeg).
    cy: Option<String>,
}

impl Wording {
    /// English words only.
    pub fn english(words: impl Into<String>) -> Wording {
        Wording { english: words.into(), welsh: None }
    }

    /// The words in `language`, the English when it has none of its own.
    pub fn in_language(&self, language: Language) -> &str {
        match (language, &self.welsh) {
            (Language::Welsh, Some(welsh)) if !welsh.trim().is_empty() => welsh,
            _ => &self.english,
        }
    }

    /// Each language's words that are given, English first.
    pub fn all(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.english.as_str()).chain(self.welsh.as_deref())
    }
}

/// Wording that may use `{{ ... }}` templates in each language, where it was written.
pub type WordingTemplate = Located<Wording>;

impl WordingTemplate {
    /// The template in `language` (the English when it has none of its own).
    pub fn template_in(&self, language: Language) -> Template {
        Located { value: self.value.in_language(language).to_string(), line: self.line, column: self.column }
    }

    /// The template of each language given, English first.
    pub fn templates(&self) -> Vec<Template> {
        self.value
            .all()
            .map(|words| Located { value: words.to_string(), line: self.line, column: self.column })
            .collect()
    }
}

impl std::fmt::Display for Wording {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.english)
    }
}

impl<'de> Deserialize<'de> for Wording {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(WordingVisitor)
    }
}

/// Reads wording as plain text or as a map of languages, whichever is written.
struct WordingVisitor;

impl<'de> serde::de::Visitor<'de> for WordingVisitor {
    type Value = Wording;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("text, or `{en: …, cy: …}`")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Wording, E> {
        Ok(Wording::english(text))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Wording, A::Error> {
        let (mut english, mut welsh) = (None, None);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "en" if english.is_none() => english = Some(map.next_value::<String>()?),
                "cy" if welsh.is_none() => welsh = Some(map.next_value::<String>()?),
                "en" | "cy" => return Err(serde::de::Error::duplicate_field(if key == "en" { "en" } else { "cy" })),
                other => return Err(serde::de::Error::unknown_field(other, &["en", "cy"])),
            }
        }
        let english = english.ok_or_else(|| serde::de::Error::missing_field("en"))?;
        Ok(Wording { english, welsh })
    }
}

impl JsonSchema for Wording {
    fn schema_name() -> Cow<'static, str> {
        "Wording".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        WordingFile::json_schema(generator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_english_and_shown_in_welsh_until_translated() {
        let wording: Wording = serde_saphyr::from_str("\"What is your postcode?\"").unwrap();
        assert_eq!(wording.in_language(Language::Welsh), "What is your postcode?");
    }

    #[test]
    fn each_language_gets_its_own_words() {
        let wording: Wording =
            serde_saphyr::from_str("{en: What is your postcode?, cy: Beth yw eich cod post?}").unwrap();
        assert_eq!(wording.in_language(Language::English), "What is your postcode?");
        assert_eq!(wording.in_language(Language::Welsh), "Beth yw eich cod post?");
    }

    #[test]
    fn an_unknown_language_is_refused() {
        assert!(serde_saphyr::from_str::<Wording>("{en: Hello, fr: Bonjour}").is_err());
        assert!(serde_saphyr::from_str::<Wording>("{cy: Helo}").is_err(), "English is needed");
    }

    #[test]
    fn wording_where_it_was_written_reads_in_either_yaml_style() {
        for yaml in ["{en: Sending, cy: Yn anfon}", "en: Sending\ncy: Yn anfon\n"] {
            let located: Located<Wording> =
                serde_saphyr::from_str(yaml).unwrap_or_else(|error| panic!("{yaml}: {error}"));
            assert_eq!(located.value.in_language(Language::Welsh), "Yn anfon");
        }
    }
}
