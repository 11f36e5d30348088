//! Welsh pages: indexed as Welsh from their `lang`, address or folder, searched by Welsh
//! questions whatever the mutation, and kept apart from English questions.

use knowledge_base::{Language, SearchRequest, Thesaurus};

use crate::support::Site;

const WELSH_COUNCIL_TAX: &str = "---\ntitle: Bandiau'r dreth gyngor\nurl: https://www.test.gov.uk/cy/council-tax/bands\nlang: cy\nservice_area: council tax\n---\n\n# Bandiau'r dreth gyngor\n\nMae Band D yn costio £2,184.56 y flwyddyn.\n\n## Disgowntiau\n\nOs ydych chi'n byw ar eich pen eich hun, rydych chi'n cael disgownt person sengl o 25%.\n";

const WELSH_LIBRARY: &str = r##"<!DOCTYPE html><html lang="cy"><head><title>Oriau agor y llyfrgell</title>
<link rel="canonical" href="https://www.test.gov.uk/libraries/oriau"></head><body>
<main><h1>Oriau agor y llyfrgell</h1>
<p>Mae Llyfrgell Ganolog Caerdydd ar agor o 9am tan 5pm ar ddydd Sadwrn.</p></main></body></html>"##;

const WELSH_BINS_IN_A_CY_FOLDER: &str =
    "# Biniau heb eu casglu\n\nOs na chafodd eich bin ei gasglu, rhowch wybod i ni o fewn 2 ddiwrnod gwaith.\n";

fn welsh(query: &str) -> SearchRequest<'_> {
    SearchRequest { language: Language::Welsh, ..SearchRequest::new(query) }
}

fn bilingual_site() -> Site {
    let site = Site::new();
    site.write("cy/council-tax/bands.md", WELSH_COUNCIL_TAX);
    site.write("libraries/oriau.html", WELSH_LIBRARY);
    site.write("cy/waste/biniau.md", WELSH_BINS_IN_A_CY_FOLDER);
    site.index();
    site
}

#[test]
fn welsh_questions_find_welsh_pages_whatever_the_mutation() {
    let site = bilingual_site();
    let knowledge_base = site.open();
    for (question, url) in [
        ("faint yw'r dreth gyngor band d", "https://www.test.gov.uk/cy/council-tax/bands"),
        ("oes disgownt i berson sengl?", "https://www.test.gov.uk/cy/council-tax/bands"),
        ("pryd mae'r llyfrgell yng Nghaerdydd ar agor", "https://www.test.gov.uk/libraries/oriau"),
        ("llyfrgell gaerdydd ddydd sadwrn", "https://www.test.gov.uk/libraries/oriau"),
        ("dydy fy min i ddim wedi cael ei gasglu", "biniau"),
    ] {
        let results = knowledge_base.search(&welsh(question)).expect("search");
        let first = results.hits.first().unwrap_or_else(|| panic!("{question}: nothing found"));
        assert!(first.url.contains(url), "{question}: {}", first.url);
        assert_eq!(first.language, Language::Welsh, "{question}");
    }
}

#[test]
fn a_welsh_page_is_known_by_its_lang_its_address_or_its_folder_and_keeps_its_service_area() {
    let site = bilingual_site();
    let knowledge_base = site.open();
    let bins = knowledge_base.search(&welsh("bin casglu")).expect("search");
    let page = bins.hits.iter().find(|hit| hit.url.ends_with("biniau.md")).expect("the page in the cy folder");
    assert_eq!(page.service_area, "waste", "the folder after `cy` is the service area");
    let library = knowledge_base.search(&welsh("oriau agor llyfrgell")).expect("search");
    assert_eq!(library.hits[0].title, "Oriau agor y llyfrgell", "an HTML page with lang=\"cy\"");
}

#[test]
fn english_and_welsh_questions_each_search_only_their_own_language() {
    let site = bilingual_site();
    let knowledge_base = site.open();
    let english = knowledge_base.search(&SearchRequest::new("single person discount")).expect("search");
    assert!(english.hits.iter().all(|hit| hit.language == Language::English), "{:?}", english.hits);
    assert_eq!(english.hits[0].url, "https://www.test.gov.uk/council-tax/bands");
    let welsh_results = knowledge_base.search(&welsh("disgownt person sengl")).expect("search");
    assert!(welsh_results.hits.iter().all(|hit| hit.language == Language::Welsh));
    // English words in a Welsh question ("library") find Welsh pages through the Welsh thesaurus.
    let mixed = knowledge_base.search(&welsh("oriau agor library")).expect("search");
    assert_eq!(mixed.hits[0].url, "https://www.test.gov.uk/libraries/oriau");
}

const ENGLISH_BLUE_BADGE: &str = "---\ntitle: Blue Badges\nurl: https://www.test.gov.uk/blue-badge\n---\n\n# Blue Badges\n\nA badge costs £10 and lasts 3 years. Complaints about a decision go to the county council.\n";

#[test]
fn a_welsh_question_is_put_in_the_english_words_english_pages_use_or_not_at_all() {
    let site = Site::new();
    site.write("parking/blue-badge.md", ENGLISH_BLUE_BADGE);
    site.write("cy/council-tax/bands.md", WELSH_COUNCIL_TAX);
    site.index();
    let knowledge_base = site.open();
    // "gostio" is "costio" mutated, which the Welsh vocabulary gives as "cost"; "mae" and "yn"
    // say nothing.
    let words = knowledge_base.english_words_of_welsh("faint mae blue badge yn gostio?");
    assert_eq!(words.as_deref(), Some("blue badge cost"));
    let words = knowledge_base.english_words_of_welsh("wnes i gwyno am y penderfyniad").unwrap_or_default();
    assert!(words.starts_with("complaint") && words.ends_with("decision"), "{words}");
    assert!(!words.contains("gwyno") && !words.contains("wnes"), "{words}");
    // A swimming pool is named in no English page's words: the question is not put at all, so no
    // page about something else answers it.
    assert_eq!(knowledge_base.english_words_of_welsh("faint yw blue badge yn y pwll nofio"), None);
}

#[test]
fn a_welsh_phrase_the_vocabulary_names_but_no_english_page_uses_keeps_the_question_from_them() {
    let site = Site::new();
    site.write("parking/blue-badge.md", ENGLISH_BLUE_BADGE);
    site.index();
    let vocabulary = Thesaurus::parse("swimming pool, pwll nofio\n", "vocabulary.txt").expect("valid");
    let knowledge_base = site.open().with_welsh_thesaurus(Thesaurus::built_in_welsh().extended_with(vocabulary));
    // The vocabulary knows "pwll nofio" as a swimming pool, which the blue badge page never
    // names: put to it as "blue badge", the question would be answered about something else.
    assert_eq!(knowledge_base.english_words_of_welsh("faint yw blue badge yn y pwll nofio"), None);
    assert_eq!(knowledge_base.english_words_of_welsh("faint yw blue badge").as_deref(), Some("blue badge"));
}

const WELSH_GARDEN_WASTE: &str = "---\ntitle: Gwastraff gardd\nurl: https://www.test.gov.uk/cy/garden-waste\nlang: cy\n---\n\n# Gwastraff gardd\n\nRydyn ni'n casglu gwastraff gardd bob pythefnos o fis Mawrth tan fis Tachwedd.\n";

#[test]
fn a_welsh_vocabulary_phrase_is_found_in_a_question_however_its_words_are_mutated() {
    let site = Site::new();
    site.write("cy/waste/biniau.md", WELSH_BINS_IN_A_CY_FOLDER);
    site.write("cy/waste/gwastraff-gardd.md", WELSH_GARDEN_WASTE);
    site.index();
    let vocabulary = Thesaurus::parse("garden waste, gwastraff gardd, bin brown\n", "vocabulary.txt").expect("valid");
    let knowledge_base = site.open().with_welsh_thesaurus(vocabulary);
    // "fy min brown" is "bin brown" after "fy": the vocabulary's phrase, which the garden waste
    // page calls "gwastraff gardd".
    let results = knowledge_base.search(&welsh("pryd mae fy min brown yn cael ei gasglu")).expect("search");
    let first = results.hits.first().expect("a page found");
    assert_eq!(first.url, "https://www.test.gov.uk/cy/garden-waste", "{:?}", results.hits);
}
