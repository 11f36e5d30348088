//! Asking back when a question could be about more than one service ("how do I pay?": rent,
//! council tax or a parking fine?): when the best pages of different services match it about
//! as well as each other and it names none of them, the resident picks one instead of the bot
//! guessing, by button, number or name.

use std::collections::HashSet;

use knowledge_base::{Audience, Hit, KnowledgeBase, Language};

use super::state::{Clarification, PageChoice};
use crate::translations::{or_list, speak};

/// The share of the best page's score that another service's page must reach for the question
/// to be asked back.
///
/// Calibrated on the development half of the sample council's golden set
/// (`knowledge-base/golden.yaml`), whose questions each have one right page: the lowest share
/// at which none of them answered from its right page is asked back (0.5 asks one back), so
/// that the bot asks about as many unclear questions as it can without interrupting clear ones.
/// `tests/clarifying.rs` checks that this is still so, and measures the held-out half.
pub const ASK_BACK_SHARE: f32 = 0.55;

/// The most pages offered; a "something else" choice follows them.
const MOST_PAGES: usize = 3;

/// The label of the choice for none of the pages offered.
pub const SOMETHING_ELSE: &str = "Something else";

/// Words that mean none of the pages offered.
const NONE_OF_THEM: &[&str] = &["something else", "none", "none of these", "none of them", "neither", "other"];

/// The pages of different services that a question could equally be about, best first: each
/// scores at least `share` of the best page's score and has the same words of the question as
/// the best page, and the question names none of them apart from the others. Empty when the
/// question is clear.
pub fn pages_to_ask_about(
    knowledge: &KnowledgeBase,
    question: &str,
    viewer: Audience,
    hits: &[Hit],
    share: f32,
) -> Vec<PageChoice> {
    // A page without a service area cannot be chosen apart from the others.
    let Some(best) = hits.first().filter(|best| !best.service_area.is_empty()) else { return Vec::new() };
    // The answer's page comes first; the others are measured against the best search score.
    let floor = hits.iter().map(|hit| hit.score).fold(best.score, f32::max) * share;
    let language = best.language;
    let asked: HashSet<String> = knowledge.analyze_in(language, question).into_iter().collect();
    let has = |hit: &Hit| -> HashSet<String> {
        match knowledge.page_terms(&hit.document, &hit.title, viewer, hit.language) {
            Ok(terms) => asked.iter().filter(|term| terms.contains(*term)).cloned().collect(),
            Err(_) => HashSet::new(),
        }
    };
    let best_has = has(best);
    let mut pages: Vec<PageChoice> = Vec::new();
    for hit in hits.iter().filter(|hit| hit.score >= floor || hit.document == best.document) {
        let known = pages.iter().any(|page| page.service_area == hit.service_area || page.title == hit.title);
        if hit.service_area.is_empty() || known || (!pages.is_empty() && has(hit) != best_has) {
            continue;
        }
        pages.push(PageChoice {
            title: hit.title.clone(),
            url: hit.url.clone(),
            service_area: hit.service_area.clone(),
        });
        if pages.len() == MOST_PAGES {
            break;
        }
    }
    if pages.len() < 2 || names_one(&asked, knowledge, language, &pages) {
        return Vec::new();
    }
    pages
}

/// Whether the question uses a word that names one of the pages (in its title or its service)
/// and none of the others, such as "rent" or "council tax".
fn names_one(asked: &HashSet<String>, knowledge: &KnowledgeBase, language: Language, pages: &[PageChoice]) -> bool {
    let names: Vec<HashSet<String>> = pages.iter().map(|page| name_terms(knowledge, language, page)).collect();
    names.iter().enumerate().any(|(index, own)| {
        asked.iter().any(|term| {
            own.contains(term) && names.iter().enumerate().all(|(other, terms)| other == index || !terms.contains(term))
        })
    })
}

/// The words a page is known by: its title and its service.
fn name_terms(knowledge: &KnowledgeBase, language: Language, page: &PageChoice) -> HashSet<String> {
    knowledge
        .analyze_in(language, &format!("{} {}", page.title, service_name(&page.service_area)))
        .into_iter()
        .collect()
}

/// A service area as said in a sentence: "council-tax" becomes "council tax".
pub fn service_name(service_area: &str) -> String {
    service_area.replace(['-', '_'], " ").to_lowercase()
}

/// What the bot asks: "Is this about housing, council tax or parking?"
pub fn question(pages: &[PageChoice], language: Language) -> String {
    let names: Vec<String> = pages.iter().map(|page| service_name(&page.service_area)).collect();
    if names.len() < 2 {
        return speak(language, "ask_back.which", &[]);
    }
    speak(language, "ask_back.about", &[("services", &or_list(language, &names))])
}

/// What a reply to a question asked back picks.
#[derive(Debug, Clone, PartialEq)]
pub enum Pick<'c> {
    /// One of the pages offered.
    Page(&'c PageChoice),
    /// None of them.
    SomethingElse,
}

impl Clarification {
    /// The choice a reply makes: a page's title or its number, words that name one page only
    /// ("council tax", "rent"), or "something else"; `None` for anything else, which is a new
    /// message. `analyze` gives a text's search terms, to compare words as search does.
    pub fn pick(&self, reply: &str, analyze: impl Fn(&str) -> Vec<String>) -> Option<Pick<'_>> {
        let said = crate::language::normalise(reply);
        let said = said.trim().trim_end_matches(['.', '!', '?']).trim();
        if let Ok(number) = said.parse::<usize>() {
            return match number {
                0 => None,
                number if number <= self.pages.len() => Some(Pick::Page(&self.pages[number - 1])),
                number if number == self.pages.len() + 1 => Some(Pick::SomethingElse),
                _ => None,
            };
        }
        if NONE_OF_THEM.contains(&said) {
            return Some(Pick::SomethingElse);
        }
        let same = |name: &str| crate::language::normalise(name) == said;
        if let Some(page) = self.pages.iter().find(|page| same(&page.title) || same(&service_name(&page.service_area)))
        {
            return Some(Pick::Page(page));
        }
        let terms = analyze(said);
        if terms.is_empty() {
            return None;
        }
        let mut named = self.pages.iter().filter(|page| {
            let known: HashSet<String> =
                analyze(&format!("{} {}", page.title, service_name(&page.service_area))).into_iter().collect();
            terms.iter().all(|term| known.contains(term))
        });
        match (named.next(), named.next()) {
            (Some(page), None) => Some(Pick::Page(page)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(title: &str, service_area: &str) -> PageChoice {
        PageChoice {
            title: title.into(),
            url: format!("https://example.gov.uk/{service_area}"),
            service_area: service_area.into(),
        }
    }

    fn asked() -> Clarification {
        Clarification {
            question: "how do I pay?".into(),
            pages: vec![page("Pay your rent", "housing"), page("Ways to pay your council tax", "council-tax")],
        }
    }

    /// Lowercased words without the few stop words these examples use.
    fn words(text: &str) -> Vec<String> {
        text.to_lowercase()
            .split(|c: char| !c.is_alphanumeric())
            .filter(|word| !word.is_empty() && !["my", "your", "to", "the", "it", "is", "about"].contains(word))
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn the_question_names_the_services_offered() {
        assert_eq!(question(&asked().pages, Language::English), "Is this about housing or council tax?");
        let three =
            [page("Pay your rent", "housing"), page("Pay a fine", "parking"), page("Ways to pay", "council-tax")];
        assert_eq!(question(&three, Language::English), "Is this about housing, parking or council tax?");
    }

    #[test]
    fn a_reply_picks_by_title_number_or_a_name_of_one_page_only() {
        let asked = asked();
        let rent = Some(Pick::Page(&asked.pages[0]));
        let council_tax = Some(Pick::Page(&asked.pages[1]));
        assert_eq!(asked.pick("Pay your rent", words), rent);
        assert_eq!(asked.pick("1", words), rent);
        assert_eq!(asked.pick(" 2. ", words), council_tax);
        assert_eq!(asked.pick("3", words), Some(Pick::SomethingElse));
        assert_eq!(asked.pick("Something else", words), Some(Pick::SomethingElse));
        assert_eq!(asked.pick("Council tax", words), council_tax);
        assert_eq!(asked.pick("it's about my rent", words), rent);
        assert_eq!(asked.pick("housing", words), rent);
        assert_eq!(asked.pick("pay", words), None, "a word both pages share picks neither");
        assert_eq!(asked.pick("4", words), None);
        assert_eq!(asked.pick("0", words), None);
        assert_eq!(asked.pick("when is my bin collected?", words), None, "a new question");
    }
}
