//! Building and updating the index: incremental, durable, and tolerant of bad files.

use knowledge_base::{IndexSettings, KnowledgeBase, SearchRequest};

use crate::support::{Site, index_dirs};

fn top_url(knowledge_base: &KnowledgeBase, query: &str) -> Option<String> {
    knowledge_base.search(&SearchRequest::new(query)).expect("search").hits.first().map(|hit| hit.url.clone())
}

#[test]
fn first_build_indexes_every_content_file_and_ignores_the_rest() {
    let site = Site::new();
    let (report, warnings) = site.index();
    assert_eq!((report.added, report.updated, report.unchanged, report.removed), (4, 0, 0, 0));
    assert_eq!(report.ignored, 1, "the PNG is not content");
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(report.documents, 4);
    assert!(report.passages >= 5, "sections become passages: {}", report.passages);
}

#[test]
fn a_later_process_reuses_the_index_without_rebuilding() {
    let site = Site::new();
    site.index();
    let knowledge_base = KnowledgeBase::open(site.index.path()).expect("reopens");
    assert_eq!(
        top_url(&knowledge_base, "bin not emptied").as_deref(),
        Some("https://www.test.gov.uk/waste/missed-bins")
    );
    let (report, _) = site.index();
    assert_eq!((report.added, report.updated, report.unchanged), (0, 0, 4), "nothing changed, nothing re-indexed");
}

#[test]
fn changed_documents_are_replaced_and_deleted_ones_removed() {
    let site = Site::new();
    site.index();
    site.write("libraries/hours.txt", "Library opening hours\n\nThe central library now opens at 10am on Sundays.\n");
    std::fs::remove_file(site.path("waste/missed-bins.html")).expect("delete");
    let (report, _) = site.index();
    assert_eq!((report.added, report.updated, report.unchanged, report.removed), (0, 1, 2, 1));

    let knowledge_base = site.open();
    let sundays = knowledge_base.search(&SearchRequest::new("library sundays")).expect("search");
    assert!(sundays.hits[0].text.contains("10am on Sundays"));
    let saturdays = knowledge_base.search(&SearchRequest::new("saturdays")).expect("search");
    assert!(saturdays.hits.is_empty(), "the old version is gone: {:?}", saturdays.hits);
    assert_eq!(top_url(&knowledge_base, "bin emptied collection"), None, "the deleted page is gone");
}

#[test]
fn an_open_index_sees_updates_after_reload() {
    let site = Site::new();
    site.index();
    let knowledge_base = site.open();
    site.write("parking/permits.md", "# Parking permits\n\nA resident parking permit costs £60 a year.\n");
    site.index();
    assert!(knowledge_base.search(&SearchRequest::new("parking permit")).expect("search").hits.is_empty());
    knowledge_base.reload().expect("reload");
    assert_eq!(knowledge_base.search(&SearchRequest::new("parking permit")).expect("search").hits.len(), 1);
}

#[test]
fn bad_files_are_skipped_with_a_warning_naming_them_and_the_run_continues() {
    let site = Site::new();
    let mut corrupt_pdf = knowledge_base::test_support::pdf(&["Leaflet", "Some text."]);
    corrupt_pdf.truncate(corrupt_pdf.len() / 3);
    site.write("waste/leaflet.pdf", corrupt_pdf);
    site.write("waste/image.html", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR binary".as_slice());
    site.write("waste/latin1.txt", b"Caf\xe9 opening times".as_slice());
    site.write("waste/huge.md", "# Huge\n\n".to_string() + &"word ".repeat(100_000));
    std::os::unix::fs::symlink(site.path("nowhere.md"), site.path("waste/broken-link.md")).expect("symlink");

    let settings = IndexSettings { max_file_bytes: 100_000, ..IndexSettings::default() };
    let (report, warnings) = site.index_with(&settings);
    assert_eq!(report.added, 4, "the good documents are all indexed");
    assert_eq!(report.skipped.len(), 5, "{warnings:?}");
    let warning_for = |name: &str| warnings.iter().find(|warning| warning.contains(name)).cloned().unwrap_or_default();
    assert!(warning_for("leaflet.pdf").contains("PDF"), "{warnings:?}");
    assert!(warning_for("image.html").contains("binary"), "{warnings:?}");
    assert!(warning_for("latin1.txt").contains("UTF-8"), "{warnings:?}");
    assert!(warning_for("huge.md").contains("too large"), "{warnings:?}");
    assert!(warning_for("broken-link.md").contains("cannot read"), "{warnings:?}");
}

#[test]
fn a_document_that_becomes_unreadable_keeps_its_last_good_version() {
    let site = Site::new();
    site.index();
    site.write("council-tax/bands.md", b"\xff\xfe broken".as_slice());
    let (report, warnings) = site.index();
    assert_eq!(report.skipped.len(), 1, "{warnings:?}");
    assert!(report.skipped[0].kept_previous);
    assert_eq!(report.removed, 0);
    assert_eq!(top_url(&site.open(), "band d").as_deref(), Some("https://www.test.gov.uk/council-tax/bands"));
}

#[test]
fn changing_chunk_settings_rebuilds_everything() {
    let site = Site::new();
    site.index();
    let settings = IndexSettings {
        chunks: knowledge_base::ChunkSettings { max_tokens: 64, overlap_tokens: 8 },
        ..IndexSettings::default()
    };
    let (report, _) = site.index_with(&settings);
    assert!(report.rebuilt);
    assert_eq!((report.added, report.unchanged), (4, 0));
}

#[test]
fn indexing_one_directory_leaves_documents_from_another_in_place() {
    let first = Site::new();
    let second = tempfile::tempdir().expect("temp dir");
    std::fs::write(second.path().join("planning.md"), "# Planning\n\nA householder application costs £258.\n")
        .expect("write");
    index_dirs(first.index.path(), &[first.root.path().to_path_buf()], &IndexSettings::default());
    let (report, _) = index_dirs(first.index.path(), &[second.path().to_path_buf()], &IndexSettings::default());
    assert_eq!((report.added, report.removed, report.documents), (1, 0, 5));
}

#[test]
fn documents_without_a_url_get_one_from_the_base_url_or_show_their_path() {
    let site = Site::new();
    site.index();
    let library = top_url(&site.open(), "library saturdays").expect("found");
    assert!(library.ends_with("libraries/hours.txt"), "{library}");

    let settings = IndexSettings { base_url: Some("https://www.test.gov.uk/".to_string()), ..IndexSettings::default() };
    let other = Site::new();
    other.index_with(&settings);
    assert_eq!(
        top_url(&other.open(), "library saturdays").as_deref(),
        Some("https://www.test.gov.uk/libraries/hours.txt")
    );
}

#[test]
fn opening_a_directory_without_an_index_says_how_to_build_one() {
    let empty = tempfile::tempdir().expect("temp dir");
    let error = KnowledgeBase::open(empty.path()).err().expect("no index");
    assert!(error.to_string().contains("councilbot index"), "{error}");
}

#[test]
fn indexing_a_missing_directory_is_an_error_naming_it() {
    let index = tempfile::tempdir().expect("temp dir");
    let counter = knowledge_base::TokenCounter::built_in().expect("tokenizer");
    let missing = index.path().join("no-such-content");
    let error = knowledge_base::build_index(
        index.path(),
        std::slice::from_ref(&missing),
        &IndexSettings::default(),
        &counter,
        &|_| {},
    )
    .expect_err("missing directory");
    assert!(error.to_string().contains("no-such-content"), "{error}");
}

#[test]
fn an_index_of_an_older_layout_is_rebuilt_rather_than_refused() {
    let site = Site::new();
    site.index();
    // An older release's index: its schema lacks a field this one searches.
    let meta = site.index_dir().join("meta.json");
    let mut layout: serde_json::Value = serde_json::from_slice(&std::fs::read(&meta).expect("meta")).expect("json");
    let fields = layout["schema"].as_array_mut().expect("schema fields");
    fields.retain(|field| field["name"] != "url_words");
    std::fs::write(&meta, serde_json::to_vec(&layout).expect("json")).expect("write meta");
    assert!(KnowledgeBase::open(&site.index_dir()).is_err(), "the older layout cannot be searched as it is");

    let (report, _) = site.index();
    assert_eq!(report.added, 4, "{report:?}");
    assert_eq!(top_url(&site.open(), "band d").as_deref(), Some("https://www.test.gov.uk/council-tax/bands"));
}
