//! The search index's fields and its English text analyzer.

use tantivy::schema::{FAST, Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter, TextAnalyzer,
};

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
];

/// The fields of the search index; each document in it is one passage.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields {
    /// The passage id: document key, `#`, ordinal.
    pub id: Field,
    /// The key of the document the passage comes from.
    pub document: Field,
    /// The document title, analysed and boosted.
    pub title: Field,
    /// The passage's heading path, analysed and boosted.
    pub headings: Field,
    /// The passage text.
    pub body: Field,
    /// The canonical URL, or the source path.
    pub url: Field,
    /// The service area as a facet (`/waste`).
    pub service_area: Field,
    /// The audience: `public` or `staff`.
    pub audience: Field,
    /// The passage's position in its document.
    pub ordinal: Field,
}

impl Fields {
    /// The schema and its fields.
    pub(crate) fn schema() -> (Schema, Fields) {
        let mut builder = Schema::builder();
        let text = TextOptions::default().set_stored().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(ANALYZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        let fields = Fields {
            id: builder.add_text_field("id", STRING | STORED),
            document: builder.add_text_field("document", STRING | STORED),
            title: builder.add_text_field("title", text.clone()),
            headings: builder.add_text_field("headings", text.clone()),
            body: builder.add_text_field("body", text),
            url: builder.add_text_field("url", STORED),
            service_area: builder.add_facet_field("service_area", STORED),
            audience: builder.add_text_field("audience", STRING | STORED | FAST),
            ordinal: builder.add_u64_field("ordinal", STORED),
        };
        (builder.build(), fields)
    }

    /// The analysed text fields with their boosts, most important first.
    pub(crate) fn boosted_text(&self) -> [(Field, f32); 3] {
        [(self.title, 2.0), (self.headings, 1.5), (self.body, 1.0)]
    }
}

/// The analyzer for titles, headings, passages and questions: words, lowercased, folded to
/// ASCII, stop words removed, English-stemmed.
pub(crate) fn english_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(StopWordFilter::remove(STOP_WORDS.iter().map(|word| word.to_string())))
        .filter(Stemmer::new(Language::English))
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
