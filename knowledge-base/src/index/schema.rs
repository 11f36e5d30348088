//! The search index's fields, by language, and its English text analyzer.

use super::compound::CompoundTokenizer;
use tantivy::schema::{FAST, Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language as StemmerLanguage, LowerCaser, RemoveLongFilter, Stemmer, StopWordFilter,
    TextAnalyzer,
};

use super::welsh::WELSH_ANALYZER;
use crate::language::Language;

/// Between the headings of a stored heading path.
pub(crate) const HEADING_SEPARATOR: &str = " › ";

/// The name under which the English analyzer is registered with the index.
pub(crate) const ANALYZER: &str = "councilbot_english";

/// Words that carry no meaning for search: function words and the way questions are put.
const STOP_WORDS: &[&str] = &[
    "a",
    "about",
    "am",
    "an",
    "and",
    "any",
    "anyone",
    "are",
    "as",
    "at",
    "be",
    "been",
    "but",
    "by",
    "can",
    "could",
    "d",
    "did",
    "do",
    "does",
    "doing",
    "for",
    "from",
    "get",
    "got",
    "had",
    "has",
    "have",
    "hello",
    "hey",
    "hi",
    "how",
    "i",
    "if",
    "im",
    "in",
    "into",
    "is",
    "it",
    "its",
    "just",
    "know",
    "let",
    "ll",
    "m",
    "me",
    "might",
    "my",
    "myself",
    "of",
    "on",
    "or",
    "our",
    "please",
    "re",
    "s",
    "should",
    "so",
    "some",
    "t",
    "tell",
    "thank",
    "thanks",
    "that",
    "the",
    "their",
    "them",
    "then",
    "there",
    "these",
    "they",
    "this",
    "to",
    "us",
    "ve",
    "was",
    "we",
    "were",
    "what",
    "whats",
    "when",
    "where",
    "which",
    "who",
    "why",
    "will",
    "with",
    "would",
    "you",
    "your",
    // The first halves of contractions, as the tokenizer splits them at the apostrophe.
    "aren",
    "couldn",
    "didn",
    "doesn",
    "don",
    "hadn",
    "hasn",
    "haven",
    "isn",
    "shouldn",
    "wasn",
    "weren",
    "won",
    "wouldn",
    "ive",
    "id",
    "youre",
    "theyre",
    "dont",
    "cant",
    "wont",
    "isnt",
    "wasnt",
    "didnt",
    "doesnt",
    "havent",
    "arent",
    "werent",
    "hasnt",
    "hadnt",
    "wouldnt",
    "couldnt",
    "shouldnt",
    "youve",
    "weve",
    "theyve",
    "whos",
    "wheres",
    "hows",
    "whens",
    "thats",
    "theres",
    // Words that frame a question without saying what it is about.
    "much",
    "many",
    "want",
    "wants",
    "wanted",
    "like",
    "need",
    "needs",
    "needed",
    "also",
    "really",
    "ok",
    "okay",
    "wondering",
    "wonder",
    "anything",
    "something",
    "someone",
    "somebody",
    "able",
    "actually",
    "anymore",
    "basically",
    "literally",
    // Pronouns for the people a question is about ("can he", "her bin"): pages speak to "you".
    "he",
    "him",
    "his",
    "himself",
    "she",
    "her",
    "hers",
    "herself",
    "itself",
    "themselves",
    "yourself",
    // Text-message spellings of the words above.
    "u",
    "ur",
    "wot",
    "wat",
    "wht",
    "pls",
    "plz",
    "thx",
    "ty",
    "ta",
    "hiya",
    "cud",
    "wud",
    "r",
    "y",
    "wen",
    "wher",
    "hw",
    "wats",
    "wots",
    "dnt",
    "cnt",
    "cn",
    "abt",
    "shud",
    "wiv",
    "n",
    "wanna",
    "gonna",
    "gotta",
    "dunno",
];

/// The analysed text fields of passages in one language.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TextFields {
    /// The document title, analysed, stored and boosted.
    pub title: Field,
    /// The passage's heading path, analysed, stored and boosted.
    pub headings: Field,
    /// The passage text, analysed and stored.
    pub body: Field,
    /// The words of the URL's path (`/waste/bin-collection-days` as "waste bin collection
    /// days"), analysed and searched.
    pub url_words: Field,
}

impl TextFields {
    /// Adds the fields of one language, analysed by `analyzer`, named with `suffix`.
    fn add(builder: &mut tantivy::schema::SchemaBuilder, analyzer: &str, suffix: &str) -> TextFields {
        let indexing = TextFieldIndexing::default()
            .set_tokenizer(analyzer)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions);
        let text = TextOptions::default().set_stored().set_indexing_options(indexing.clone());
        TextFields {
            title: builder.add_text_field(&format!("title{suffix}"), text.clone()),
            headings: builder.add_text_field(&format!("headings{suffix}"), text.clone()),
            body: builder.add_text_field(&format!("body{suffix}"), text),
            url_words: builder
                .add_text_field(&format!("url_words{suffix}"), TextOptions::default().set_indexing_options(indexing)),
        }
    }

    /// The fields with their boosts, most important first.
    pub(crate) fn boosted(&self) -> [(Field, f32); 4] {
        [(self.title, 2.0), (self.headings, 1.5), (self.body, 1.0), (self.url_words, 0.5)]
    }
}

/// The fields of the search index; each document in it is one passage.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields {
    /// The passage id: document key, `#`, ordinal.
    pub id: Field,
    /// The key of the document the passage comes from.
    pub document: Field,
    /// The text of English passages, analysed as English.
    pub english: TextFields,
    /// The text of Welsh passages, analysed as Welsh.
    pub welsh: TextFields,
    /// The passage's language code (`en`, `cy`).
    pub language: Field,
    /// The canonical URL, or the source path.
    pub url: Field,
    /// The service area as a facet (`/waste`).
    pub service_area: Field,
    /// The audience: `public` or `staff`.
    pub audience: Field,
    /// The passage's position in its document.
    pub ordinal: Field,
    /// The analysed terms of the passage's headings and sentences, stored only.
    pub terms: Field,
}

impl Fields {
    /// The schema and its fields.
    pub(crate) fn schema() -> (Schema, Fields) {
        let mut builder = Schema::builder();
        let fields = Fields {
            id: builder.add_text_field("id", STRING | STORED),
            document: builder.add_text_field("document", STRING | STORED),
            english: TextFields::add(&mut builder, ANALYZER, ""),
            welsh: TextFields::add(&mut builder, WELSH_ANALYZER, "_cy"),
            language: builder.add_text_field("language", STRING | STORED),
            url: builder.add_text_field("url", STORED),
            service_area: builder.add_facet_field("service_area", STORED),
            audience: builder.add_text_field("audience", STRING | STORED | FAST),
            ordinal: builder.add_u64_field("ordinal", STORED),
            terms: builder.add_text_field("terms", STORED),
        };
        (builder.build(), fields)
    }

    /// The text fields of passages in a language.
    pub(crate) fn text(&self, language: Language) -> TextFields {
        match language {
            Language::English => self.english,
            Language::Welsh => self.welsh,
        }
    }
}

/// The words of a URL's path, or of a source path's folder and file: what follows the host,
/// split at slashes, hyphens, underscores and dots, without file extensions such as `html`.
pub(crate) fn url_words(url: &str) -> String {
    const EXTENSIONS: &[&str] = &["html", "htm", "php", "aspx", "asp", "md", "txt", "pdf"];
    // A source path stands for a page by its folder and file name, not the folders above.
    let path = match url.split_once("://") {
        Some((_, rest)) => rest.split_once('/').map_or("", |(_, path)| path),
        None => url.rmatch_indices(['/', '\\']).nth(1).map_or(url, |(at, _)| &url[at + 1..]),
    };
    let path = path.split(['?', '#']).next().unwrap_or_default();
    path.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty() && !EXTENSIONS.contains(&word.to_ascii_lowercase().as_str()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The analyzer for English titles, headings, passages and questions: words, lowercased, folded to
/// ASCII, stop words removed, English-stemmed.
pub(crate) fn english_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(CompoundTokenizer)
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(StopWordFilter::remove(STOP_WORDS.iter().map(|word| word.to_string())))
        .filter(Stemmer::new(StemmerLanguage::English))
        .build()
}

/// The analysed terms of a text with their positions, in order.
pub(crate) fn analyze(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(String, usize)> {
    let mut stream = analyzer.token_stream(text);
    let mut terms = Vec::new();
    while let Some(token) = stream.next() {
        terms.push((token.text.clone(), token.position));
    }
    terms
}

#[cfg(test)]
mod tests {
    use super::url_words;

    #[test]
    fn a_url_gives_the_words_of_its_path() {
        assert_eq!(url_words("https://www.eastbrook.gov.uk/waste/bin-collection-days"), "waste bin collection days");
        assert_eq!(url_words("https://example.gov.uk/pay_rent.aspx?ref=1#top"), "pay rent");
        assert_eq!(
            url_words("knowledge-base/content/libraries/northfield-closure.txt"),
            "libraries northfield closure"
        );
        assert_eq!(url_words("https://example.gov.uk"), "");
    }
}
