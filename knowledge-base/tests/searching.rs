//! Searching: lenient with user text, safe for audiences, ranked with highlights and facets.

use knowledge_base::{Audience, Language, QueryTerm, SearchRequest, Thesaurus};

use crate::support::Site;

#[test]
fn any_user_text_is_a_valid_query() {
    let site = Site::new();
    site.index();
    let knowledge_base = site.open();
    for query in [
        "\"missed bin",
        "bin: not emptied",
        "(bin] {collection)",
        "title:bin AND OR NOT",
        "bin^2 ~ * ? \\ / +-!",
        "",
        "   ",
        "the and of",
        "🗑️ bin",
        "ｂｉｎ",
        &"bin ".repeat(2000),
    ] {
        let results = knowledge_base.search(&SearchRequest::new(query));
        assert!(results.is_ok(), "{query:?} failed: {:?}", results.err());
    }
    let quoted = knowledge_base.search(&SearchRequest::new("\"missed bin\" (report):")).expect("search");
    assert_eq!(quoted.hits[0].url, "https://www.test.gov.uk/waste/missed-bins");
}

#[test]
fn staff_only_guidance_is_never_shown_to_residents() {
    let site = Site::new();
    site.index();
    let knowledge_base = site.open();
    let resident = knowledge_base.search(&SearchRequest::new("refunds team leader approval")).expect("search");
    assert!(resident.hits.iter().all(|hit| hit.audience == Audience::Public), "{:?}", resident.hits);
    assert!(resident.hits.iter().all(|hit| !hit.text.contains("4410")));
    let staff = knowledge_base
        .search(&SearchRequest { viewer: Audience::Staff, ..SearchRequest::new("refunds team leader approval") })
        .expect("search");
    assert_eq!(staff.hits[0].url, "https://intranet.test.gov.uk/refunds");
    assert_eq!(staff.hits[0].audience, Audience::Staff);
}

#[test]
fn a_staff_folder_marks_documents_without_front_matter_as_staff_only() {
    let site = Site::new();
    site.write(
        "staff/lone-working.txt",
        "Lone working\n\nCall the buddy line on extension 4999 before every home visit.\n",
    );
    site.index();
    let knowledge_base = site.open();
    assert!(knowledge_base.search(&SearchRequest::new("buddy line home visit")).expect("search").hits.is_empty());
}

#[test]
fn results_carry_source_details_and_highlighted_snippets() {
    let site = Site::new();
    site.index();
    let results = site.open().search(&SearchRequest::new("single person discount")).expect("search");
    let hit = &results.hits[0];
    assert_eq!(hit.title, "Council tax bands");
    assert_eq!(hit.heading_path, ["Discounts"]);
    assert_eq!(hit.service_area, "council-tax");
    let snippet = hit.snippet.as_ref().expect("a search for people has snippets");
    assert!(snippet.text.contains("single person discount"));
    let html = snippet.to_html();
    assert!(html.contains("<mark>single</mark>") && html.contains("<mark>discount</mark>"), "{html}");
}

#[test]
fn service_areas_are_counted_and_can_narrow_a_search() {
    let site = Site::new();
    site.index();
    let knowledge_base = site.open();
    let everything = knowledge_base.search(&SearchRequest::new("days")).expect("search");
    assert!(everything.facets.iter().any(|(area, count)| area == "waste" && *count >= 1), "{:?}", everything.facets);
    let waste_only = knowledge_base
        .search(&SearchRequest { service_area: Some("Waste"), ..SearchRequest::new("collection days discount") })
        .expect("search");
    assert!(!waste_only.hits.is_empty());
    assert!(waste_only.hits.iter().all(|hit| hit.service_area == "waste"));
}

#[test]
fn misspelt_words_are_corrected_against_the_indexed_vocabulary() {
    let site = Site::new();
    site.index();
    let results = site.open().search(&SearchRequest::new("colection day emptyed")).expect("search");
    assert_eq!(results.hits[0].url, "https://www.test.gov.uk/waste/missed-bins");
    assert!(results.terms.iter().any(|term| term.corrected_from.as_deref() == Some("colect")), "{:?}", results.terms);
}

#[test]
fn a_word_of_the_vocabulary_is_not_taken_for_a_misspelling_of_another() {
    let site = Site::new();
    site.write("parks/dogs.txt", "Dogs in parks\n\nWe allow dogs off the lead in most parks.\n");
    site.index();
    let knowledge_base = site.open();
    // "allotment" is stemmed "allot", one edit from "allow"; the vocabulary knows it as a word.
    let results = knowledge_base.search(&SearchRequest::new("allotment")).expect("search");
    assert!(results.hits.is_empty(), "{:?}", results.hits);
    assert!(results.terms.iter().all(|term| term.corrected_from.is_none() && !term.known), "{:?}", results.terms);
    // A word the vocabulary does not hold is still corrected.
    let results = knowledge_base.search(&SearchRequest::new("alow dogs")).expect("search");
    assert_eq!(results.hits[0].title, "Dogs in parks");
}

#[test]
fn words_the_content_never_uses_are_reported_as_unknown() {
    let site = Site::new();
    site.index();
    let results = site.open().search(&SearchRequest::new("fishing licence")).expect("search");
    assert!(results.hits.is_empty());
    assert!(results.terms.iter().all(|term| !term.known), "{:?}", results.terms);
}

#[test]
fn text_speak_question_words_are_not_searched_as_words_the_content_lacks() {
    let site = Site::new();
    site.index();
    let knowledge_base = site.open();
    for question in ["wen r bins emptied", "wots the day bins r emptied", "whos emptying bins n wheres it"] {
        let results = knowledge_base.search(&SearchRequest::new(question)).expect("search");
        let searched: Vec<&str> = results.terms.iter().map(|term| term.term.as_str()).collect();
        assert!(results.terms.iter().all(|term| term.known), "{question}: {searched:?}");
    }
}

#[test]
fn a_word_written_solid_finds_the_page_that_hyphenates_it_and_the_other_way_round() {
    let site = Site::new();
    site.write(
        "libraries/ebooks.md",
        "# Online library\n\nYou can borrow up to 6 e-books at a time.\n\n## Parking\n\nThere is a layby outside.\n",
    );
    site.index();
    let knowledge_base = site.open();
    for question in ["how many ebooks can i borrow", "can i park in the lay-by"] {
        let results = knowledge_base.search(&SearchRequest::new(question)).expect("search");
        let searched: Vec<&str> = results.terms.iter().map(|term| term.term.as_str()).collect();
        assert!(results.terms.iter().all(|term| term.known), "{question}: {searched:?}");
        assert_eq!(results.hits[0].title, "Online library", "{question}");
    }
    let passage = knowledge_base.search(&SearchRequest::new("ebooks")).expect("search").hits[0].clone();
    let sentence_terms = &knowledge_base.analysed_passage(&passage).sentences[0].1;
    assert!(sentence_terms.contains("ebook"), "the sentence that says e-books holds the word: {sentence_terms:?}");
}

#[test]
fn a_phrase_of_the_vocabulary_counts_only_where_its_words_stand_together() {
    let site = Site::new();
    site.index();
    let vocabulary = Thesaurus::parse("gas check, gas service\n", "vocabulary.txt").expect("valid");
    let knowledge_base = site.open().with_thesaurus(vocabulary);
    let term = QueryTerm {
        term: "check".to_string(),
        corrected_from: None,
        weight: 1.0,
        known: true,
        alternatives: vec![knowledge_base.analyze("gas service")],
    };
    let scattered = knowledge_base.term_set_in(Language::English, "Call the National Gas Emergency Service free.");
    let together = knowledge_base.term_set_in(Language::English, "Book your annual gas service online.");
    assert_eq!(term.presence(&scattered), 0.0, "a gas emergency service is not a gas service");
    assert_eq!(term.presence(&together), QueryTerm::ALTERNATIVE_PRESENCE);
}

#[test]
fn a_page_is_read_from_the_terms_stored_with_it_as_from_its_text() {
    let site = Site::new();
    site.write(
        "housing/gas-safety.md",
        "# Gas safety\n\nWe check every boiler once a year.\n\n## Booking\n\nBook your annual gas service online. \
         Call us if you smell gas.\n\n- a cooker\n- a fire\n",
    );
    site.index();
    // A vocabulary given when the index is opened, not when it was built.
    let vocabulary = Thesaurus::parse("gas check, gas service\n", "vocabulary.txt").expect("valid");
    let knowledge_base = site.open().with_thesaurus(vocabulary);
    let hit = knowledge_base.search(&SearchRequest::new("annual gas service")).expect("search").hits[0].clone();
    assert_eq!(hit.title, "Gas safety");
    let analysed = knowledge_base.analysed_passage(&hit);
    let headings = format!("{} {}", hit.title, hit.heading_path.join(" "));
    assert_eq!(analysed.headings, knowledge_base.term_set_in(Language::English, &headings));
    assert_eq!(analysed.sentences.len(), 4, "{:?}", analysed.sentences);
    for (sentence, terms) in &analysed.sentences {
        assert_eq!(*terms, knowledge_base.term_set_in(Language::English, sentence), "{sentence}");
    }
    assert!(analysed.sentences[0].1.iter().any(|term| term.contains(' ')), "the vocabulary's phrase is one entry");

    let page = knowledge_base.page_terms(&hit.document, &hit.title, Audience::Public, Language::English).expect("page");
    let mut expected = knowledge_base.term_set_in(Language::English, &hit.title);
    for passage in knowledge_base.document_passages(&hit.document, Audience::Public).expect("passages") {
        expected.extend(knowledge_base.term_set_in(Language::English, &passage.heading_path.join(" ")));
        for sentence in knowledge_base::text::sentences(&passage.text) {
            expected.extend(knowledge_base.term_set_in(Language::English, sentence));
        }
    }
    assert_eq!(*page, expected);
    assert!(page.contains("boiler") && page.contains("cooker"));
}

#[test]
fn stemming_matches_other_forms_of_a_word() {
    let site = Site::new();
    site.index();
    let results = site.open().search(&SearchRequest::new("emptying bins")).expect("search");
    assert_eq!(results.hits[0].url, "https://www.test.gov.uk/waste/missed-bins");
}

#[test]
fn titles_and_headings_outrank_passing_mentions() {
    let site = Site::new();
    site.write("waste/bulky.md", "# Bulky waste\n\nWe collect large items. Council tax is not affected by bookings.\n");
    site.index();
    let results = site.open().search(&SearchRequest::new("council tax")).expect("search");
    assert_eq!(results.hits[0].title, "Council tax bands");
}

#[test]
fn the_same_passage_on_several_pages_is_listed_once() {
    let site = Site::new();
    let notice = "Our offices are closed on bank holidays. Garden waste collections move to the Saturday after.";
    site.write("waste/garden-waste.md", format!("# Garden waste\n\n{notice}\n"));
    site.write("waste/garden-waste-copy.md", format!("# Garden waste\n\n{notice}\n"));
    site.index();
    let results = site.open().search(&SearchRequest::new("garden waste bank holidays")).expect("search");
    let copies = results.hits.iter().filter(|hit| hit.text.contains("move to the Saturday after")).count();
    assert_eq!(copies, 1, "{:?}", results.hits.iter().map(|hit| &hit.url).collect::<Vec<_>>());
}

#[test]
fn a_word_found_in_a_title_counts_once_against_a_passage_holding_the_rarer_words() {
    let site = Site::new();
    site.write(
        "money/go-paperless.md",
        "# Go paperless\n\n## Go paperless and go green\n\nGo online to manage your account.\n",
    );
    site.write(
        "waste/batteries.md",
        "# Small electricals\n\nTake old batteries to any library, where a box is provided. Please go to the front desk.\n",
    );
    site.index();
    let results = site.open().search(&SearchRequest::new("where do old batteries go")).expect("search");
    assert_eq!(results.hits[0].title, "Small electricals");
}

#[test]
fn question_words_standing_together_outrank_the_same_words_apart() {
    let site = Site::new();
    // The same question words, as often, in passages of the same length: only their closeness
    // differs, and the passage apart is written first.
    site.write("waste/a-apart.md", "# Caddies\n\nPut food in the caddy each week. Paper waste goes in the blue box.\n");
    site.write(
        "waste/b-together.md",
        "# Caddies\n\nPut food waste in the caddy every Monday. Paper goes out separately, flattened.\n",
    );
    site.index();
    let results = site.open().search(&SearchRequest::new("food waste")).expect("search");
    let rank = |page: &str| results.hits.iter().position(|hit| hit.url.contains(page));
    let (together, apart) = (rank("b-together"), rank("a-apart"));
    assert!(together.is_some() && apart.is_some() && together < apart, "{:?}", results.hits);
}
