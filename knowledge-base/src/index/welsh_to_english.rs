//! The words of a Welsh question that English pages can be searched by, for a question no Welsh
//! page answers.

use super::KnowledgeBase;
use crate::Language;

/// Welsh words that put a question or request and that no English page need hold: forms of the
/// verbs for doing, coming, going, looking and giving, of "would" and "could", and the like
/// ("wnes i gwyno", "pryd fyddwch chi'n dod i edrych"). Welsh stop words are left out already.
const SAYING_NOTHING_IN_ENGLISH: &[&str] = &[
    "wnes", "nes", "gwnes", "wnaeth", "naeth", "wnaethon", "wnaethom", "gwneud", "wneud", "neud", "fyddwch", "byddwch",
    "fyddai", "byddai", "fydda", "bydda", "fasa", "basa", "faswn", "baswn", "hoffwn", "licio", "leicio", "dod", "ddod",
    "daw", "ddaw", "dewch", "mynd", "fynd", "af", "edrych", "gweld", "weld", "rhoi", "roi", "gallai", "allai", "gall",
    "all", "gallen", "allen", "mod", "bo", "dach", "da", "sgynnon", "gynnon", "rhywun", "rywun", "rhywbeth", "rywbeth",
    "roedd", "oeddwn", "ges", "gaeth", "cafodd", "gafodd", "mi",
];

impl KnowledgeBase {
    /// The English words of a Welsh question, in its order: for each phrase of the Welsh
    /// vocabulary it holds, however mutated ("dreth gyngor", "gostio"), the phrases of its group
    /// that English pages use ("council tax", "cost"), and its other words that English pages use
    /// ("blue badge"). `None` when a word of it that carries meaning has neither ("pwll nofio"):
    /// without it, an English page would answer another question.
    pub fn english_words_of_welsh(&self, question: &str) -> Option<String> {
        let known = |phrase: &str| {
            let terms = self.analyze_in(Language::English, phrase);
            !terms.is_empty() && terms.iter().all(|term| self.term_rarity_in(Language::English, term).is_some())
        };
        // The words that carry meaning (Welsh stop words left out), each as typed and as the Welsh
        // analysis gives it, mutations and endings undone. Pieces joined by an apostrophe
        // ("yw'r", "dwi'n") are words of their own.
        let words: Vec<(&str, String)> = question
            .split(|c: char| !c.is_alphanumeric())
            .filter(|word| !word.is_empty())
            .filter_map(|word| {
                let terms = self.analyze_in(Language::Welsh, word);
                (!terms.is_empty()).then(|| (word, terms.concat()))
            })
            .collect();
        // Each phrase of the vocabulary found, by the word it starts at, with how many words it
        // spans and the phrases of its group that English pages use.
        let mut found: Vec<(usize, usize, Vec<&str>)> = Vec::new();
        for (group, analysed) in self.welsh_thesaurus.groups().zip(self.welsh_phrases.groups()) {
            let mut places: Vec<(usize, usize)> = Vec::new();
            for terms in analysed.iter().filter(|terms| !terms.is_empty()) {
                for start in 0..words.len() {
                    let holds = terms
                        .iter()
                        .enumerate()
                        .all(|(offset, term)| words.get(start + offset).is_some_and(|(_, analysed)| analysed == term));
                    if holds {
                        places.push((start, terms.len()));
                    }
                }
            }
            if places.is_empty() {
                continue;
            }
            // Every phrase of the group that English pages use, the one found among them
            // ("cost" is Welsh and English).
            let english: Vec<&str> = group.iter().map(String::as_str).filter(|phrase| known(phrase)).collect();
            found.extend(places.into_iter().map(|(start, span)| (start, span, english.clone())));
        }
        let mut english: Vec<&str> = Vec::new();
        let mut at = 0;
        while at < words.len() {
            let longest = found.iter().filter(|(start, _, _)| *start == at).max_by_key(|(_, span, _)| *span);
            if let Some((_, span, phrases)) = longest {
                // A thing the vocabulary knows by name that no English page names ("pwll nofio",
                // a swimming pool) is as unknown to them as a word they never use.
                if phrases.is_empty() {
                    return None;
                }
                for phrase in phrases {
                    if !english.contains(phrase) {
                        english.push(phrase);
                    }
                }
                at += span;
                continue;
            }
            let typed = words[at].0;
            at += 1;
            if SAYING_NOTHING_IN_ENGLISH.contains(&typed.to_lowercase().as_str()) {
                continue;
            }
            if !known(typed) {
                return None;
            }
            if !english.contains(&typed) {
                english.push(typed);
            }
        }
        (!english.is_empty()).then(|| english.join(" "))
    }
}
