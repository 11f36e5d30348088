//! Extractive answers: the right sentences, cited, and honest refusals.

use bot::{AnswerSettings, ExtractiveAnswerer};
use knowledge_base::{Audience, IndexSettings, KnowledgeBase, TokenCounter, build_index};

struct Site {
    _content: tempfile::TempDir,
    index: tempfile::TempDir,
}

fn site(pages: &[(&str, &str)]) -> Site {
    let content = tempfile::tempdir().expect("temp dir");
    let index = tempfile::tempdir().expect("temp dir");
    for (path, text) in pages {
        let path = content.path().join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    let counter = TokenCounter::built_in().expect("tokenizer");
    build_index(index.path(), &[content.path().to_path_buf()], &IndexSettings::default(), &counter, &|_| {})
        .expect("index");
    Site { _content: content, index }
}

const BULKY: &str = "---\ntitle: Bulky waste collections\nurl: https://www.test.gov.uk/bulky\n---\n# Bulky waste collections\n\nWe collect large household items such as sofas, beds and wardrobes. \
Collections take place on Tuesdays and Thursdays. You need to book at least 3 working days ahead.\n\n## Prices\n\nUp to 3 items costs £38. Each extra item costs £9, up to 10 items in total. Fridges and freezers cost £25 each.\n\n## What we cannot collect\n\nWe cannot collect building rubble, asbestos, car parts or garden waste.\n";
const RENT: &str = "---\ntitle: Pay your rent\nurl: https://www.test.gov.uk/rent\n---\n# Pay your rent\n\nRent is due every Monday, weekly in advance. You can pay by Direct Debit, online or by phone on 01632 960320.\n\n## If you cannot pay\n\nContact the rent team straight away so we can agree a plan.\n";
const REFUNDS: &str = "---\ntitle: Refund limits\nurl: https://intranet.test.gov.uk/refunds\naudience: staff\n---\nRefunds over £500 need team leader approval.\n";

fn answerer(knowledge_base: &KnowledgeBase) -> ExtractiveAnswerer<'_> {
    ExtractiveAnswerer::new(knowledge_base, AnswerSettings::default())
}

#[test]
fn the_answer_is_the_relevant_sentence_not_the_whole_page() {
    let site = site(&[("waste/bulky.md", BULKY), ("housing/rent.md", RENT)]);
    let knowledge_base = KnowledgeBase::open(site.index.path()).expect("open");
    let answer = answerer(&knowledge_base).answer("how much to take away a sofa", Audience::Public).expect("answer");
    assert!(!answer.handoff, "{answer:?}");
    assert!(answer.answer.contains("£38"), "{}", answer.answer);
    assert!(!answer.answer.contains("asbestos"), "unrelated sentences stay out: {}", answer.answer);
    assert!(answer.answer.ends_with("[1]"), "{}", answer.answer);
    assert_eq!(answer.citations.len(), 1);
    assert_eq!(answer.citations[0].url, "https://www.test.gov.uk/bulky");
    assert_eq!(answer.citations[0].title, "Bulky waste collections");
}

#[test]
fn questions_the_content_does_not_cover_get_a_refusal_and_an_offer_of_a_person() {
    let site = site(&[("waste/bulky.md", BULKY), ("housing/rent.md", RENT)]);
    let knowledge_base = KnowledgeBase::open(site.index.path()).expect("open");
    for question in ["what is the weather tomorrow", "hello", "?!", "how do I renew my passport"] {
        let answer = answerer(&knowledge_base).answer(question, Audience::Public).expect("answer");
        assert!(answer.handoff, "{question}: {answer:?}");
        assert!(answer.citations.is_empty());
        assert_eq!(answer.answer, AnswerSettings::default().unsure_message);
    }
}

#[test]
fn confidence_is_higher_when_the_content_covers_the_whole_question() {
    let site = site(&[("waste/bulky.md", BULKY), ("housing/rent.md", RENT)]);
    let knowledge_base = KnowledgeBase::open(site.index.path()).expect("open");
    let answerer =
        ExtractiveAnswerer::new(&knowledge_base, AnswerSettings { min_confidence: 0.0, ..AnswerSettings::default() });
    let covered = answerer.answer("when is rent due", Audience::Public).expect("answer");
    let partly = answerer.answer("when is the swimming pool rent due", Audience::Public).expect("answer");
    assert!(covered.confidence > partly.confidence, "{} vs {}", covered.confidence, partly.confidence);
}

#[test]
fn staff_only_content_answers_staff_and_never_residents() {
    let site = site(&[("housing/rent.md", RENT), ("guidance/refunds.md", REFUNDS)]);
    let knowledge_base = KnowledgeBase::open(site.index.path()).expect("open");
    let resident = answerer(&knowledge_base).answer("refund approval over £500", Audience::Public).expect("answer");
    assert!(resident.citations.iter().all(|citation| !citation.url.contains("intranet")), "{resident:?}");
    assert!(!resident.answer.contains("team leader"));
    let staff = answerer(&knowledge_base).answer("refund approval over £500", Audience::Staff).expect("answer");
    assert!(staff.answer.contains("team leader approval"), "{staff:?}");
}

#[test]
fn a_misspelt_question_still_finds_its_answer() {
    let site = site(&[("waste/bulky.md", BULKY), ("housing/rent.md", RENT)]);
    let knowledge_base = KnowledgeBase::open(site.index.path()).expect("open");
    let answer = answerer(&knowledge_base).answer("wot day is my rnet due", Audience::Public).expect("answer");
    assert!(answer.answer.contains("every Monday"), "{answer:?}");
}

const WELSH_BULKY: &str = "---\ntitle: Casgliadau gwastraff swmpus\nurl: https://www.test.gov.uk/cy/bulky\nlang: cy\n---\n# Casgliadau gwastraff swmpus\n\nRydyn ni'n casglu eitemau mawr o'r cartref fel soffas, gwelyau a wardrobau. \
Mae'r casgliadau ar ddydd Mawrth a dydd Iau.\n\n## Prisiau\n\nMae hyd at 3 eitem yn costio £38. Mae pob eitem ychwanegol yn costio £9.\n";

#[test]
fn a_welsh_question_is_answered_in_welsh_from_the_welsh_page() {
    let site = site(&[("waste/bulky.md", BULKY), ("cy/waste/bulky.md", WELSH_BULKY), ("housing/rent.md", RENT)]);
    let knowledge_base = KnowledgeBase::open(site.index.path()).expect("open");
    let answer = answerer(&knowledge_base)
        .answer("faint mae casgliad gwastraff swmpus yn costio?", Audience::Public)
        .expect("answer");
    assert!(!answer.handoff, "{answer:?}");
    assert!(answer.answer.contains("£38") && answer.answer.contains("costio"), "{}", answer.answer);
    assert_eq!(answer.citations[0].url, "https://www.test.gov.uk/cy/bulky");
    let english = answerer(&knowledge_base).answer("how much to take away a sofa", Audience::Public).expect("answer");
    assert_eq!(english.citations[0].url, "https://www.test.gov.uk/bulky", "English questions keep English pages");
}

#[test]
fn a_welsh_question_only_an_english_page_answers_is_answered_from_it_saying_so() {
    let site = site(&[("waste/bulky.md", BULKY), ("cy/waste/bulky.md", WELSH_BULKY), ("housing/rent.md", RENT)]);
    let knowledge_base = KnowledgeBase::open(site.index.path()).expect("open");
    // No Welsh page covers rent: the English page is searched by the question's English words
    // ("talu rhent" is "pay rent", "debyd uniongyrchol" is "direct debit").
    let answer = answerer(&knowledge_base)
        .answer("sut dwi'n talu rhent efo debyd uniongyrchol?", Audience::Public)
        .expect("answer");
    assert!(!answer.handoff, "{answer:?}");
    assert!(answer.answer.starts_with(bot::answer::ENGLISH_ONLY_NOTE), "{}", answer.answer);
    assert_eq!(answer.citations[0].url, "https://www.test.gov.uk/rent");
    let unknown = answerer(&knowledge_base).answer("pryd mae'r pwll nofio ar agor?", Audience::Public).expect("answer");
    assert!(unknown.handoff, "{unknown:?}");
    assert_eq!(unknown.answer, AnswerSettings::default().unsure_message_welsh);
}

const TAX: &str = "---\ntitle: Council tax bands and charges\nurl: https://www.test.gov.uk/council-tax\n---\n# Council tax bands and charges\n\n\
## Charges for 2026/27\n\nBand D costs £2,184.22 a year in 2026/27. Bills are sent in March.\n\n\
## Paying\n\nYou can pay by Direct Debit on the 1st, 15th or 28th of the month.\n";

#[test]
fn a_list_of_phone_numbers_answers_only_for_a_service_it_names() {
    let contacts = "<html><head><title>Contact us</title><link rel=\"canonical\" href=\"https://www.test.gov.uk/contact\"></head>\
<body><main><h1>Contact us</h1><p>The valuation office sets council tax bands; it is not part of the council.</p>\
<h2>Phone numbers</h2><table><tr><th>Service</th><th>Phone</th><th>Email</th></tr>\
<tr><td>Council tax</td><td>01632 960100</td><td>counciltax@test.gov.uk</td></tr>\
<tr><td>Bins and recycling</td><td>01632 960200</td><td>waste@test.gov.uk</td></tr>\
<tr><td>Housing repairs</td><td>01632 960300</td><td>repairs@test.gov.uk</td></tr>\
<tr><td>Parking and permits</td><td>01632 960500</td><td>parking@test.gov.uk</td></tr></table></main></body></html>";
    let site = site(&[("contact/contact-us.html", contacts), ("housing/rent.md", RENT)]);
    let knowledge_base = KnowledgeBase::open(site.index.path()).expect("open");
    let named = answerer(&knowledge_base).answer("phone number for parking permits", Audience::Public).expect("answer");
    assert!(!named.handoff && named.answer.contains("01632 960500"), "{named:?}");
    let elsewhere =
        answerer(&knowledge_base).answer("whats the phone number for the valuation office", Audience::Public);
    let elsewhere = elsewhere.expect("answer");
    assert!(elsewhere.handoff, "other services' numbers are not the valuation office's: {elsewhere:?}");
}

#[test]
fn who_a_question_is_about_does_not_stop_it_being_answered() {
    let site = site(&[("waste/bulky.md", BULKY), ("housing/rent.md", RENT)]);
    let knowledge_base = KnowledgeBase::open(site.index.path()).expect("open");
    for question in [
        "how much does it cost for my nan to have her sofa collected",
        "how much is it for my dad to get his sofa collected",
    ] {
        let answer = answerer(&knowledge_base).answer(question, Audience::Public).expect("answer");
        assert!(!answer.handoff, "{question}: {answer:?}");
        assert!(answer.answer.contains("£38"), "{question}: {}", answer.answer);
    }
}

#[test]
fn a_year_the_content_never_gives_is_declined_not_answered_with_another_years_figure() {
    let history = "---\ntitle: Our history\nurl: https://www.test.gov.uk/history\n---\n# Our history\n\nThe council moved to the Civic Centre in 2019.\n";
    let site = site(&[("tax/bands.md", TAX), ("housing/rent.md", RENT), ("about/history.md", history)]);
    let knowledge_base = KnowledgeBase::open(site.index.path()).expect("open");
    let this_year = answerer(&knowledge_base).answer("how much is band d council tax in 2026", Audience::Public);
    let this_year = this_year.expect("answer");
    assert!(!this_year.handoff && this_year.answer.contains("£2,184.22"), "{this_year:?}");
    let other_year = answerer(&knowledge_base).answer("how much was band d council tax in 2019", Audience::Public);
    let other_year = other_year.expect("answer");
    assert!(other_year.handoff, "2019's charge is not 2026/27's: {other_year:?}");
}

const LETTING_LICENCES: &str = "---\ntitle: Short-term let licences\nurl: https://www.test.gov.uk/short-term-lets\n---\n# Short-term let licences\n\n\
There are three types of short-term let licence.\n\nHome sharing licence\n\nYou need this type of licence if you let out a room in your own home while living there.\n\n\
Secondary letting licence\n\nYou need this type of licence if you let out a property you do not normally live in, such as a holiday cottage.\n\n\
A licence lasts 3 years.\n";

#[test]
fn a_sentence_about_this_type_of_licence_comes_with_the_line_naming_the_type() {
    let site = site(&[("licensing/short-term-lets.md", LETTING_LICENCES), ("housing/rent.md", RENT)]);
    let knowledge_base = KnowledgeBase::open(site.index.path()).expect("open");
    let question = "what licence do we need to let out a holiday cottage we do not live in";
    let answer = answerer(&knowledge_base).answer(question, Audience::Public).expect("answer");
    assert!(!answer.handoff, "{answer:?}");
    assert!(answer.answer.contains("Secondary letting licence. You need this type of licence"), "{}", answer.answer);
}
