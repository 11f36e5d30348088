//! Reading a workflow input's value from what someone typed, by the input's type, with the
//! reason in plain words when it cannot be read.

use std::sync::LazyLock;

use knowledge_base::Language;
use regex::Regex;
use rpa::browser::typing::key_character_in;
use rpa::workflow::{DateWhen, Input, InputType};
use uk::postcode::normalise_postcode;

use crate::translations::{or_list, speak};

use super::dates::{self, DateDirection, DateProblem};
use super::{normalise, spelt_like, words};

static POSTCODE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})\b").expect("valid regex"));
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}").expect("valid regex")
});
static PHONE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:\+\s?44|\(?0)[\d\s\-().]{8,16}\d").expect("valid regex"));
static NUMBER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"-?\d[\d,]*").expect("valid regex"));

/// Words in front of an answer that are not part of it: "it's 12", "my postcode is EB4 2QX".
const LEAD_INS: &[&str] = &["it is", "its", "it was", "that is", "the answer is", "i live at", "i am at", "i am in"];

/// Words that answer yes.
const YES: &[&str] = &[
    "yes",
    "y",
    "yeah",
    "yea",
    "yep",
    "yup",
    "ye",
    "yes please",
    "sure",
    "ok",
    "okay",
    "correct",
    "right",
    "that is right",
    "that is correct",
    "confirm",
    "confirmed",
    "go ahead",
    "please do",
    "do it",
    "absolutely",
    "definitely",
    "of course",
    "aye",
    "true",
    "please",
    "yes it is",
    "all correct",
    "looks good",
    "that is fine",
    "fine",
    "send it",
    // Welsh: yes is said with the verb of the question (oes, ydw, ydy, do, bydd…).
    "ie",
    "ia",
    "ie plis",
    "ie os gwelwch yn dda",
    "oes",
    "oes plis",
    "ydw",
    "yndw",
    "ydy",
    "ydi",
    "yndi",
    "ydyn",
    "ydan",
    "ydych",
    "do",
    "bydd",
    "gallaf",
    "cywir",
    "iawn",
    "yn iawn",
    "mae n iawn",
    "mae yn iawn",
    "wrth gwrs",
    "yn sicr",
    "anfonwch ef",
    "anfon",
    "ie anfonwch ef",
];

/// Words that answer no.
const NO: &[&str] = &[
    "no",
    "n",
    "nope",
    "nah",
    "no thanks",
    "no thank you",
    "not really",
    "wrong",
    "incorrect",
    "that is wrong",
    "that is not right",
    "negative",
    "false",
    "not now",
    "no it is not",
    "not quite",
    // Welsh.
    "na",
    "nage",
    "nac oes",
    "naddo",
    "nac ydw",
    "nac ydy",
    "nac ydi",
    "nac ydyn",
    "nac ydych",
    "na fydd",
    "dim",
    "dim diolch",
    "na dim diolch",
    "ddim",
    "anghywir",
    "dim o gwbl",
];

/// What reading a value found.
#[derive(Debug, Clone, PartialEq)]
pub enum Reading {
    /// The value in the form the workflow expects (for a date, `YYYY-MM-DD`).
    Value(String),
    /// Something was there but it is not a valid value; the reason is for the resident.
    Invalid(String),
}

/// The day it is, and how to read values, for one turn.
#[derive(Debug, Clone, Copy)]
pub struct ReadingContext {
    /// Today in the UK, as days since 1970.
    pub today: i64,
    /// The language choices are shown in and what is wrong with an answer is said in.
    pub language: Language,
}

impl ReadingContext {
    /// What is wrong with an answer, in the turn's language.
    fn problem(&self, key: &str, values: &[(&str, &str)]) -> Reading {
        Reading::Invalid(speak(self.language, &format!("answer_problem.{key}"), values))
    }
}

/// Reads the whole of a reply to the question for `input`. An answer holding a character the
/// browser would press as a key (see [`rpa::browser::typing`]) is refused, as the workflow's own
/// check of its inputs would refuse it.
pub fn read_answer(input: &Input, text: &str, context: ReadingContext) -> Reading {
    if key_character_in(text).is_some() {
        return context.problem("key_character", &[]);
    }
    let text = text.trim();
    match input.kind {
        InputType::Postcode => match find_postcode(text) {
            Some(postcode) => Reading::Value(postcode),
            None => context.problem("postcode", &[]),
        },
        InputType::Email => match EMAIL.find(text) {
            Some(found) => Reading::Value(found.as_str().to_string()),
            None => context.problem("email", &[]),
        },
        InputType::Phone => match find_phone(text) {
            Some(phone) => Reading::Value(phone),
            None => context.problem("phone", &[]),
        },
        InputType::Date => read_date(input, text, context),
        InputType::Choice => read_choice(input, text, context),
        InputType::YesNo => match yes_or_no(text) {
            Some(true) => Reading::Value("yes".into()),
            Some(false) => Reading::Value("no".into()),
            None => context.problem("yes_or_no", &[]),
        },
        InputType::Number => match find_number(text) {
            Some(number) => Reading::Value(number.to_string()),
            None => context.problem("number", &[]),
        },
        InputType::Text => read_text(input, text, context),
    }
}

/// The choices of an input as shown in `language`.
pub fn choices_in(input: &Input, language: Language) -> Vec<String> {
    input.choices.iter().map(|choice| choice.in_language(language).to_string()).collect()
}

/// The choice a reply names, in the turn's language or else in English, as the workflow takes
/// it (its English words).
fn read_choice(input: &Input, text: &str, context: ReadingContext) -> Reading {
    let shown = choices_in(input, context.language);
    let english = choices_in(input, Language::English);
    let value_of = |label: &str| {
        shown.iter().position(|choice| choice == label).map_or_else(|| label.to_string(), |at| english[at].clone())
    };
    match match_choice(&shown, text) {
        ChoiceMatch::One(choice) => Reading::Value(value_of(&choice)),
        ChoiceMatch::Several(choices) => {
            context.problem("which_choice", &[("choices", &or_list(context.language, &choices))])
        }
        ChoiceMatch::None => match (shown != english).then(|| match_choice(&english, text)) {
            Some(ChoiceMatch::One(choice)) => Reading::Value(choice),
            _ => context.problem("choose_one_of", &[("choices", &or_list(context.language, &shown))]),
        },
    }
}

/// Values for `input` that a message states without being asked, read only where they cannot
/// be mistaken: a postcode, an email address or a phone number anywhere; a date when the
/// message names one; a choice named by a word no other choice has; a reference or account
/// number (a word with digits) that matches a text input's pattern. A value holding a character
/// the browser would press as a key is never taken.
pub fn find_unprompted(input: &Input, text: &str, context: ReadingContext) -> Option<String> {
    unprompted_value(input, text, context).filter(|value| key_character_in(value).is_none())
}

fn unprompted_value(input: &Input, text: &str, context: ReadingContext) -> Option<String> {
    match input.kind {
        InputType::Text if input.pattern.is_some() => find_patterned_word(input, text),
        InputType::Postcode => find_postcode(text),
        InputType::Email => EMAIL.find(text).map(|found| found.as_str().to_string()),
        InputType::Phone => find_phone(text),
        InputType::Date => match read_date(input, text, context) {
            Reading::Value(date) => Some(date),
            Reading::Invalid(_) => None,
        },
        InputType::Choice => {
            let english = choices_in(input, Language::English);
            distinctive_choice(&english, text).or_else(|| {
                let welsh = choices_in(input, Language::Welsh);
                let at = welsh.iter().position(|choice| Some(choice) == distinctive_choice(&welsh, text).as_ref())?;
                english.get(at).cloned()
            })
        }
        InputType::Text | InputType::Number | InputType::YesNo => None,
    }
}

/// A word with digits in it (a reference, an account number) that a text input's pattern
/// accepts whole.
fn find_patterned_word(input: &Input, text: &str) -> Option<String> {
    let pattern = Regex::new(input.pattern.as_deref()?).ok()?;
    text.split_whitespace()
        .map(|word| word.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|word| word.chars().any(|c| c.is_ascii_digit()))
        .find(|word| pattern.is_match(word))
        .map(str::to_string)
}

fn read_date(input: &Input, text: &str, context: ReadingContext) -> Reading {
    let direction = match input.when {
        Some(DateWhen::Past) => DateDirection::Past,
        Some(DateWhen::Future) => DateDirection::Future,
        None => DateDirection::Any,
    };
    let spoken = |day: i64| dates::spoken_in(day, context.language);
    match dates::parse_date(text, context.today, direction) {
        Ok(day) => Reading::Value(dates::iso(day)),
        Err(DateProblem::Unreadable) => context.problem("date_unreadable", &[]),
        Err(DateProblem::NoSuchDate) => context.problem("no_such_date", &[]),
        Err(DateProblem::InFuture(day)) => context.problem("in_future", &[("date", &spoken(day))]),
        Err(DateProblem::InPast(day)) => context.problem("in_past", &[("date", &spoken(day))]),
    }
}

fn read_text(input: &Input, text: &str, context: ReadingContext) -> Reading {
    let value = strip_lead_in(input, text);
    let length = value.chars().count();
    if length == 0 {
        return context.problem("empty", &[]);
    }
    if let Some(min) = input.min_length.filter(|min| length < *min) {
        return context.problem("too_short", &[("min", &min.to_string())]);
    }
    if let Some(max) = input.max_length.filter(|max| length > *max) {
        return context.problem("too_long", &[("max", &max.to_string()), ("length", &length.to_string())]);
    }
    if let Some(pattern) = &input.pattern {
        let matches = Regex::new(pattern).map(|pattern| pattern.is_match(&value)).unwrap_or(false);
        if !matches {
            let hint = match &input.pattern_hint {
                Some(hint) => hint.in_language(context.language).to_string(),
                None => speak(context.language, "answer_problem.not_in_form", &[]),
            };
            return context.problem("not_right", &[("hint", &hint)]);
        }
    }
    Reading::Value(value)
}

/// The answer without "it's", "my house number is" and the like in front.
fn strip_lead_in(input: &Input, text: &str) -> String {
    let trimmed = text.trim().trim_end_matches(['.', '!']).trim();
    let lowered = normalise(trimmed);
    let name = input.name.value.replace('_', " ");
    let mut lead_ins: Vec<String> = LEAD_INS.iter().map(|lead| lead.to_string()).collect();
    lead_ins.extend([format!("my {name} is"), format!("the {name} is"), format!("{name} is"), format!("{name}:")]);
    for lead in &lead_ins {
        if let Some(rest) = lowered.strip_prefix(lead.as_str())
            && rest.starts_with([' ', ':'])
        {
            // Keep the answer's own capitals: cut the original words that make up the lead-in.
            let original: Vec<&str> = trimmed.split_whitespace().collect();
            let Some(skip) = (1..=original.len()).find(|count| normalise(&original[..*count].join(" ")) == *lead)
            else {
                continue;
            };
            let kept: Vec<&str> = original[skip..].to_vec();
            // "It's 14" is an answer after a lead-in; "It is by the side gate" is a sentence.
            if kept.len() > 3 {
                break;
            }
            let answer = kept.join(" ");
            let answer = answer.trim_start_matches([':', ' ']);
            if !answer.is_empty() {
                return answer.to_string();
            }
        }
    }
    trimmed.to_string()
}

/// A UK postcode anywhere in the text, in capitals with its space.
pub fn find_postcode(text: &str) -> Option<String> {
    POSTCODE.captures_iter(text).find_map(|captures| normalise_postcode(&format!("{}{}", &captures[1], &captures[2])))
}

/// A UK phone number anywhere in the text, as national digits (`01632960123`).
pub fn find_phone(text: &str) -> Option<String> {
    PHONE.find_iter(text).find_map(|found| {
        let digits: String = found.as_str().chars().filter(|c| c.is_ascii_digit() || *c == '+').collect();
        let national = match digits.strip_prefix("+44") {
            Some(rest) => format!("0{}", rest.strip_prefix('0').unwrap_or(rest)),
            None => digits,
        };
        let valid = national.starts_with('0')
            && (10..=11).contains(&national.len())
            && national[1..].chars().all(|c| c.is_ascii_digit());
        valid.then_some(national)
    })
}

/// Every email address in the text, lowercased.
pub fn find_emails(text: &str) -> Vec<String> {
    EMAIL.find_iter(text).map(|found| found.as_str().to_lowercase()).collect()
}

/// Every UK phone number in the text, as national digits.
pub fn find_phones(text: &str) -> Vec<String> {
    PHONE.find_iter(text).filter_map(|found| find_phone(found.as_str())).collect()
}

fn find_number(text: &str) -> Option<i64> {
    if let Some(found) = NUMBER.find(text) {
        return found.as_str().replace(',', "").parse().ok();
    }
    const WORDS: &[&str] =
        &["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"];
    let normalised = normalise(text);
    words(&normalised).iter().find_map(|word| WORDS.iter().position(|number| number == word).map(|at| at as i64))
}

/// Whether a message says yes or no, if it clearly says either.
pub fn yes_or_no(text: &str) -> Option<bool> {
    let normalised = normalise(text);
    let cleaned: String = normalised
        .chars()
        .map(|c| if c.is_alphanumeric() || c == ' ' { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let cleaned = cleaned.trim_end_matches(" thanks").trim_end_matches(" thank you").trim_end_matches(" diolch").trim();
    if YES.contains(&cleaned) {
        return Some(true);
    }
    if NO.contains(&cleaned) {
        return Some(false);
    }
    let first = cleaned.split_whitespace().next().unwrap_or_default();
    let hedged = [" but ", " not ", " change ", " wrong", " ond ", " newid ", " anghywir", " ddim "]
        .iter()
        .any(|hedge| format!(" {cleaned} ").contains(hedge));
    if matches!(
        first,
        "yes" | "yeah" | "yep" | "yup" | "ok" | "okay" | "sure" | "correct" | "ie" | "oes" | "ydw" | "ydy"
    ) && !hedged
    {
        return Some(true);
    }
    if matches!(first, "no" | "nope" | "nah" | "na" | "naddo" | "nage" | "nac") {
        return Some(false);
    }
    None
}

/// How a reply matched a list of choices.
#[derive(Debug, Clone, PartialEq)]
pub enum ChoiceMatch {
    /// Exactly one choice.
    One(String),
    /// Several equally well.
    Several(Vec<String>),
    /// None.
    None,
}

/// The choice a reply names: the choice itself, its number in the list ("2", "the second"),
/// or the choice sharing the most words with the reply (misspellings allowed).
pub fn match_choice(choices: &[String], text: &str) -> ChoiceMatch {
    let normalised = normalise(text);
    let reply_words = words(&normalised);
    if let Some(choice) = choices.iter().find(|choice| choice.to_lowercase() == reply_words.join(" ")) {
        return ChoiceMatch::One(choice.clone());
    }
    if let Some(index) = ordinal(&reply_words).filter(|index| *index < choices.len()) {
        return ChoiceMatch::One(choices[index].clone());
    }
    let scores: Vec<usize> = choices.iter().map(|choice| shared_words(choice, &reply_words, choices, false)).collect();
    best_of(choices, &scores)
}

/// The choice a message names by a word only that choice has, if exactly one is named.
fn distinctive_choice(choices: &[String], text: &str) -> Option<String> {
    let normalised = normalise(text);
    let message_words = words(&normalised);
    let scores: Vec<usize> = choices.iter().map(|choice| shared_words(choice, &message_words, choices, true)).collect();
    match best_of(choices, &scores) {
        ChoiceMatch::One(choice) => Some(choice),
        _ => None,
    }
}

fn best_of(choices: &[String], scores: &[usize]) -> ChoiceMatch {
    let best = scores.iter().copied().max().unwrap_or(0);
    if best == 0 {
        return ChoiceMatch::None;
    }
    let winners: Vec<String> =
        choices.iter().zip(scores).filter(|(_, score)| **score == best).map(|(choice, _)| choice.clone()).collect();
    if winners.len() == 1 { ChoiceMatch::One(winners[0].clone()) } else { ChoiceMatch::Several(winners) }
}

/// Words too common to pick a choice by.
const FILLER: &[&str] = &[
    "the", "a", "an", "and", "or", "of", "my", "it", "is", "was", "one", "bin", "please", "in", "on", "for", "to",
    "other",
];

/// How many of a choice's words the reply has (stems compared, misspellings allowed); with
/// `only_distinctive`, only words that no other choice has count.
fn shared_words(choice: &str, reply_words: &[&str], choices: &[String], only_distinctive: bool) -> usize {
    let choice_stems = stems_of(choice);
    let reply_stems: Vec<String> = reply_words.iter().flat_map(|word| knowledge_base::text::word_stems(word)).collect();
    choice_stems
        .iter()
        .filter(|stem| !FILLER.contains(&stem.as_str()) && stem.len() > 1)
        .filter(|stem| {
            !only_distinctive
                || choices.iter().filter(|other| other.as_str() != choice).all(|other| !stems_of(other).contains(stem))
        })
        .filter(|stem| reply_stems.iter().any(|reply| spelt_like(reply, stem)))
        .count()
}

fn stems_of(text: &str) -> Vec<String> {
    knowledge_base::text::word_stems(text)
}

/// The position a reply names: "2", "number 2", "the second one", "last".
fn ordinal(reply_words: &[&str]) -> Option<usize> {
    const ORDINALS: &[&str] = &["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth"];
    let meaningful: Vec<&str> = reply_words
        .iter()
        .copied()
        .filter(|word| !matches!(*word, "the" | "one" | "number" | "option" | "no" | "please"))
        .collect();
    match meaningful.as_slice() {
        [single] => {
            if let Ok(number) = single.parse::<usize>() {
                return number.checked_sub(1);
            }
            ORDINALS.iter().position(|ordinal| ordinal == single)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uk::calendar::days_from_civil;

    fn input(kind: &str, extra: &str) -> Input {
        let yaml = format!("name: answer\ntype: {kind}\nprompt: What?\n{extra}");
        serde_saphyr::from_str(&yaml).expect("input parses")
    }

    fn context() -> ReadingContext {
        ReadingContext { today: days_from_civil(2026, 12, 1), language: Language::English }
    }

    fn value(reading: Reading) -> String {
        match reading {
            Reading::Value(value) => value,
            Reading::Invalid(reason) => panic!("invalid: {reason}"),
        }
    }

    #[test]
    fn postcodes_phones_and_emails_are_found_inside_sentences() {
        assert_eq!(find_postcode("it's eb4 2qx thanks").as_deref(), Some("EB4 2QX"));
        assert_eq!(find_postcode("12 Acacia Avenue, EB42QX").as_deref(), Some("EB4 2QX"));
        assert_eq!(find_phone("call me on 07700 900123 after 5").as_deref(), Some("07700900123"));
        assert_eq!(find_phone("+44 (0)1632 960123").as_deref(), Some("01632960123"));
        assert_eq!(find_phone("my number is 12345"), None);
        assert_eq!(find_emails("Mail Jo.Bloggs@Example.org please"), vec!["jo.bloggs@example.org"]);
    }

    #[test]
    fn choices_are_matched_by_words_numbers_and_misspellings() {
        let choices: Vec<String> =
            ["Rubbish (grey bin)", "Recycling (blue bin)", "Garden waste (brown bin)", "Food caddy"]
                .map(String::from)
                .to_vec();
        assert_eq!(match_choice(&choices, "the grey one"), ChoiceMatch::One("Rubbish (grey bin)".into()));
        assert_eq!(match_choice(&choices, "recyling"), ChoiceMatch::One("Recycling (blue bin)".into()));
        assert_eq!(match_choice(&choices, "3"), ChoiceMatch::One("Garden waste (brown bin)".into()));
        assert_eq!(match_choice(&choices, "second"), ChoiceMatch::One("Recycling (blue bin)".into()));
        assert_eq!(match_choice(&choices, "bin"), ChoiceMatch::None);
        assert_eq!(
            distinctive_choice(&choices, "my garden waste wasn't collected").as_deref(),
            Some("Garden waste (brown bin)")
        );
        assert_eq!(distinctive_choice(&choices, "my bin wasn't emptied"), None);
    }

    #[test]
    fn yes_and_no_in_many_words() {
        assert_eq!(yes_or_no("Yes please"), Some(true));
        assert_eq!(yes_or_no("yep that's right"), Some(true));
        assert_eq!(yes_or_no("that's correct."), Some(true));
        assert_eq!(yes_or_no("no, the postcode is wrong"), Some(false));
        assert_eq!(yes_or_no("yes but change the date"), None);
        assert_eq!(yes_or_no("what time is it"), None);
    }

    #[test]
    fn answers_are_read_by_type_with_reasons() {
        let date = input("date", "when: past\n");
        assert_eq!(value(read_answer(&date, "yesterday", context())), "2026-11-30");
        assert!(
            matches!(read_answer(&date, "tomorrow", context()), Reading::Invalid(reason) if reason.contains("future"))
        );
        let house = input("text", "max_length: 10\n");
        assert_eq!(value(read_answer(&house, "It's 12B.", context())), "12B");
        assert!(matches!(read_answer(&house, "a very long house name indeed", context()), Reading::Invalid(_)));
        let phone = input("phone", "");
        assert!(
            matches!(read_answer(&phone, "not telling", context()), Reading::Invalid(reason) if reason.contains("phone"))
        );
    }

    #[test]
    fn yes_and_no_in_welsh() {
        for yes in ["ie", "Ie, os gwelwch yn dda", "oes", "Ydw", "ydy diolch", "do", "yn iawn", "Ie, anfonwch ef"] {
            assert_eq!(yes_or_no(yes), Some(true), "{yes}");
        }
        for no in ["na", "Nac oes", "naddo", "nac ydw", "Dim diolch", "nage", "anghywir"] {
            assert_eq!(yes_or_no(no), Some(false), "{no}");
        }
        assert_eq!(yes_or_no("ie ond newid y cod post"), None);
    }

    #[test]
    fn problems_with_an_answer_are_told_in_welsh_to_welsh_speakers() {
        let welsh = ReadingContext { language: Language::Welsh, ..context() };
        let postcode = input("postcode", "");
        assert!(
            matches!(read_answer(&postcode, "dim syniad", welsh), Reading::Invalid(reason) if reason.contains("cod post"))
        );
        let date = input("date", "when: past\n");
        assert_eq!(read_answer(&date, "ddydd Llun diwethaf", welsh), Reading::Value("2026-11-30".into()));
        assert!(
            matches!(read_answer(&date, "yfory", welsh), Reading::Invalid(reason) if reason.contains("dydd Mercher 2 Rhagfyr 2026 yn y dyfodol"))
        );
    }

    #[test]
    fn a_choice_named_in_welsh_gives_the_workflow_its_english_words() {
        let welsh = ReadingContext { language: Language::Welsh, ..context() };
        let bin = input(
            "choice",
            "choices:\n  - {en: General waste, cy: Gwastraff cyffredinol}\n  - {en: Recycling, cy: Ailgylchu}\n",
        );
        assert_eq!(read_answer(&bin, "ailgylchu", welsh), Reading::Value("Recycling".into()));
        assert_eq!(read_answer(&bin, "General waste", welsh), Reading::Value("General waste".into()));
        assert!(
            matches!(read_answer(&bin, "gwyrdd", welsh), Reading::Invalid(reason) if reason.contains("Gwastraff cyffredinol neu Ailgylchu"))
        );
        assert_eq!(find_unprompted(&bin, "dydy'r ailgylchu heb ei gasglu", welsh), Some("Recycling".into()));
    }
}
