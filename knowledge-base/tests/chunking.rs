//! Passages follow sections and stay within their token budget.

use knowledge_base::chunk::chunk_document;
use knowledge_base::{ChunkSettings, Document, Section, TokenCounter};

fn long_section(sentences: usize) -> Section {
    let blocks = (0..sentences / 3)
        .map(|paragraph| {
            (0..3)
                .map(|i| {
                    format!(
                        "Sentence {} explains how residents book a bulky waste collection online.",
                        paragraph * 3 + i
                    )
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    Section { heading_path: vec!["Booking".to_string()], blocks }
}

fn document(sections: Vec<Section>) -> Document {
    Document {
        title: "Bulky waste".to_string(),
        url: None,
        service_area: None,
        audience: None,
        language: None,
        sections,
    }
}

#[test]
fn passages_never_exceed_the_token_limit_and_cover_all_text() {
    let counter = TokenCounter::built_in().expect("tokenizer");
    let settings = ChunkSettings { max_tokens: 64, overlap_tokens: 16 };
    let document = document(vec![long_section(30)]);
    let chunks = chunk_document(&document, settings, &counter);
    assert!(chunks.len() > 3, "a long section is split: {} passages", chunks.len());
    for chunk in &chunks {
        assert!(
            counter.count(&chunk.text) <= 64 + 4,
            "passage of {} tokens: {}",
            counter.count(&chunk.text),
            chunk.text
        );
        assert_eq!(chunk.heading_path, ["Booking"]);
    }
    for n in 0..30 {
        let sentence = format!("Sentence {n} explains");
        assert!(chunks.iter().any(|chunk| chunk.text.contains(&sentence)), "{sentence} is in some passage");
    }
}

#[test]
fn consecutive_passages_of_a_section_overlap() {
    let counter = TokenCounter::built_in().expect("tokenizer");
    let sentence = |n: usize| format!("Sentence {n} explains how residents book a bulky waste collection online.");
    let sentence_tokens = counter.count(&sentence(10));
    let settings = ChunkSettings { max_tokens: sentence_tokens * 4, overlap_tokens: sentence_tokens + 2 };
    let section = Section { heading_path: vec![], blocks: (10..40).map(sentence).collect() };
    let chunks = chunk_document(&document(vec![section]), settings, &counter);
    assert!(chunks.len() > 3);
    for pair in chunks.windows(2) {
        let first_sentence_of_second = knowledge_base::text::sentences(&pair[1].text)[0];
        assert!(
            pair[0].text.ends_with(first_sentence_of_second),
            "{:?} should start with the end of {:?}",
            pair[1].text,
            pair[0].text
        );
    }
}

#[test]
fn passages_do_not_cross_section_boundaries() {
    let counter = TokenCounter::built_in().expect("tokenizer");
    let sections = vec![
        Section { heading_path: vec!["Prices".into()], blocks: vec!["Up to three items cost £38.".into()] },
        Section { heading_path: vec!["What we cannot take".into()], blocks: vec!["We cannot take asbestos.".into()] },
    ];
    let chunks = chunk_document(&document(sections), ChunkSettings::default(), &counter);
    assert_eq!(chunks.len(), 2);
    assert_eq!(chunks[1].heading_path, ["What we cannot take"]);
    assert_eq!(chunks[1].text, "We cannot take asbestos.");
}

#[test]
fn a_sentence_longer_than_the_limit_is_cut_between_words() {
    let counter = TokenCounter::built_in().expect("tokenizer");
    let words = "collection ".repeat(200);
    let section = Section { heading_path: vec![], blocks: vec![words] };
    let chunks =
        chunk_document(&document(vec![section]), ChunkSettings { max_tokens: 32, overlap_tokens: 0 }, &counter);
    assert!(chunks.len() > 5);
    assert!(chunks.iter().all(|chunk| chunk.text.split(' ').all(|word| word == "collection")));
}

#[test]
fn impossible_settings_are_refused() {
    assert!(ChunkSettings { max_tokens: 8, overlap_tokens: 0 }.validate().is_err());
    let error = ChunkSettings { max_tokens: 100, overlap_tokens: 60 }.validate().expect_err("overlap too large");
    assert!(error.to_string().contains("overlap"), "{error}");
}

#[test]
fn a_configured_tokenizer_file_is_used() {
    let dir = tempfile::tempdir().expect("temp dir");
    let json = knowledge_base::train_tokenizer(
        ["waste waste waste recycling recycling".to_string()].into_iter().cycle().take(50),
        300,
    )
    .expect("training works");
    let path = dir.path().join("tokenizer.json");
    std::fs::write(&path, json).expect("write");
    let counter = TokenCounter::from_file(&path).expect("loads");
    assert_ne!(counter.fingerprint(), TokenCounter::built_in().expect("built-in").fingerprint());
    assert!(counter.count("waste recycling") >= 2);

    std::fs::write(&path, "{ not json").expect("write");
    let error = TokenCounter::from_file(&path).err().expect("broken tokenizer is refused");
    assert!(error.to_string().contains("tokenizer.json"), "{error}");
}
