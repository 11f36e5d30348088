//! What kind of answer a question asks for (a date, a price, a phone number...), worked out from
//! its wording alone, so quality can be measured for each kind of question.

use knowledge_base::Language;
use serde::{Deserialize, Serialize};

/// The kind of answer a question asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionType {
    /// A date or a day: "what day are bins collected".
    When,
    /// A time of day or opening hours: "what time does the tip close".
    Time,
    /// An amount of money: "how much is a resident permit".
    HowMuch,
    /// A length of time: "how long have I got to register a birth".
    HowLong,
    /// A count, size or limit: "how many books can I borrow".
    Number,
    /// A person or organisation: "who sets council tax bands".
    Who,
    /// A place: "where do old batteries go".
    Where,
    /// A phone number or email address: "what's the number for the rent team".
    Contact,
    /// Yes or no: "can I pay my rent in cash".
    YesNo,
    /// Steps to follow: "how do I challenge a parking ticket".
    HowTo,
    /// Anything else.
    Other,
}

impl QuestionType {
    /// Every type, in the order reports list them.
    pub const ALL: [QuestionType; 11] = [
        QuestionType::When,
        QuestionType::Time,
        QuestionType::HowMuch,
        QuestionType::HowLong,
        QuestionType::Number,
        QuestionType::Who,
        QuestionType::Where,
        QuestionType::Contact,
        QuestionType::YesNo,
        QuestionType::HowTo,
        QuestionType::Other,
    ];

    /// The name used in reports and golden sets.
    pub fn label(self) -> &'static str {
        match self {
            QuestionType::When => "when",
            QuestionType::Time => "time",
            QuestionType::HowMuch => "how_much",
            QuestionType::HowLong => "how_long",
            QuestionType::Number => "number",
            QuestionType::Who => "who",
            QuestionType::Where => "where",
            QuestionType::Contact => "contact",
            QuestionType::YesNo => "yes_no",
            QuestionType::HowTo => "how_to",
            QuestionType::Other => "other",
        }
    }

    /// The type a question's wording asks for, read as the language it is written in.
    pub fn of_wording_in(language: Language, question: &str) -> QuestionType {
        match language {
            Language::English => QuestionType::of_wording(question),
            Language::Welsh => QuestionType::of_welsh_wording(question),
        }
    }

    /// The type a Welsh question's wording asks for, typed with or without accents, northern
    /// or southern forms, and English words mixed in.
    pub fn of_welsh_wording(question: &str) -> QuestionType {
        let text = welsh_words_of(question);
        let (has, opens_with) = (|phrases: &[&str]| has(&text, phrases), |phrases: &[&str]| opens_with(&text, phrases));
        if has(WELSH_CONTACT) {
            QuestionType::Contact
        } else if has(WELSH_HOW_LONG) {
            QuestionType::HowLong
        } else if has(WELSH_TIME) {
            QuestionType::Time
        } else if has(WELSH_NUMBER) {
            QuestionType::Number
        } else if has(&["faint"]) {
            QuestionType::HowMuch
        } else if opens_with(WELSH_AUXILIARIES) {
            QuestionType::YesNo
        } else if has(WELSH_WHEN) {
            QuestionType::When
        } else if has(WELSH_WHO) {
            QuestionType::Who
        } else if has(WELSH_WHERE) {
            QuestionType::Where
        } else if has(WELSH_HOW_TO) {
            QuestionType::HowTo
        } else if has(WELSH_MONEY) {
            QuestionType::HowMuch
        } else if text
            .split(',')
            .any(|clause| clause.split_whitespace().next().is_some_and(|first| WELSH_AUXILIARIES.contains(&first)))
        {
            QuestionType::YesNo
        } else {
            QuestionType::Other
        }
    }

    /// The type a question's wording asks for, misspellings and text-speak included. The first
    /// rule that matches decides, most telling first: "how much notice" asks how long, "who do
    /// I ring" asks for a phone number.
    pub fn of_wording(question: &str) -> QuestionType {
        let text = words_of(question);
        let (has, opens_with) = (|phrases: &[&str]| has(&text, phrases), |phrases: &[&str]| opens_with(&text, phrases));
        if has(CONTACT) {
            QuestionType::Contact
        } else if has(HOW_LONG) {
            QuestionType::HowLong
        } else if has(HOW_MUCH) {
            QuestionType::HowMuch
        } else if has(NUMBER) {
            QuestionType::Number
        } else if has(TIME) || (has(OPENING) && has(DAYS)) {
            QuestionType::Time
        } else if opens_with(AUXILIARIES) {
            QuestionType::YesNo
        } else if opens_with(HOW_TO) {
            QuestionType::HowTo
        } else if has(WHEN) {
            QuestionType::When
        } else if has(WHO) {
            QuestionType::Who
        } else if has(WHERE) {
            QuestionType::Where
        } else if has(HOW_TO) {
            QuestionType::HowTo
        } else if opens_with(&["what happens"]) {
            QuestionType::Other
        } else if has(MONEY) && !asks_yes_or_no(&text) {
            QuestionType::HowMuch
        } else if asks_yes_or_no(&text) {
            QuestionType::YesNo
        } else {
            QuestionType::Other
        }
    }
}

const WELSH_CONTACT: &[&str] = &[
    "rhif ffon",
    "rhif ffonio",
    "rhif cyswllt",
    "rhif i ffonio",
    "pa rif",
    "rhif y",
    "cyfeiriad e-bost",
    "cyfeiriad ebost",
    "e-bost",
    "ebost",
    "manylion cyswllt",
    "sut mae cysylltu",
    "sut dw i n cysylltu",
    "sut alla i gysylltu",
    "cysylltu a",
    "pwy dw i n ffonio",
    "pwy ddylwn i ffonio",
    "pwy i ffonio",
    "ffonio pwy",
];
const WELSH_HOW_LONG: &[&str] = &[
    "pa mor hir",
    "faint o amser",
    "faint o ddyddiau",
    "faint o ddiwrnodau",
    "faint o wythnosau",
    "faint o fisoedd",
    "faint o flynyddoedd",
    "faint o oriau",
    "faint o rybudd",
    "sawl diwrnod",
    "sawl wythnos",
    "sawl mis",
    "sawl blwyddyn",
    "sawl awr",
    "pa mor fuan",
    "pa mor gyflym",
    "pa mor sydyn",
    "pa mor bell ymlaen",
    "faint o hir",
];
const WELSH_TIME: &[&str] = &[
    "faint o r gloch",
    "faint or gloch",
    "pa amser",
    "pa amseroedd",
    "oriau agor",
    "amseroedd agor",
    "ar agor",
    "yn agor",
    "yn cau",
    "tan pryd",
    "pa mor hwyr",
    "pa mor gynnar",
];
const WELSH_NUMBER: &[&str] = &[
    "sawl",
    "faint o lyfrau",
    "faint o eitemau",
    "faint o bethau",
    "faint o fagiau",
    "faint o finiau",
    "faint o bobl",
    "uchafswm",
    "isafswm",
    "pa mor uchel",
    "pa mor fawr",
    "pa mor drwm",
    "pa oed",
    "pa faint",
];
/// Words of money, which ask how much unless the question asks yes or no ("oes tâl?").
const WELSH_MONEY: &[&str] =
    &["pris", "prisiau", "cost", "costio", "costau", "ffi", "ffioedd", "tal", "punnoedd", "pres"];
const WELSH_WHEN: &[&str] = &[
    "pryd",
    "pa ddiwrnod",
    "pa ddydd",
    "pa ddyddiad",
    "pa ddyddiadau",
    "pa wythnos",
    "pa fis",
    "pa mor aml",
    "diwrnod bin",
];
const WELSH_WHO: &[&str] = &["pwy", "pa dim", "pa adran", "pa gyngor", "pa gwmni", "pa sefydliad"];
const WELSH_WHERE: &[&str] = &["ble", "lle", "ymhle", "pa fin", "pa fag", "agosaf", "cyfeiriad"];
const WELSH_HOW_TO: &[&str] = &[
    "sut",
    "beth sydd angen",
    "be sy angen",
    "beth sy angen",
    "be sydd angen",
    "beth dylwn i",
    "beth ddylwn i",
    "be ddylwn i",
    "beth ydw i n wneud",
    "be dw i n neud",
    "pa ddogfennau",
    "beth i ddod",
];
/// Words that open a Welsh question answered by yes or no: the forms of "is there", "is it",
/// "can I", "will", and the written "a" before them.
const WELSH_AUXILIARIES: &[&str] = &[
    "oes", "ydy", "ydi", "ydw", "ydych", "ydach", "ydan", "ydyn", "ga", "gaf", "cha", "alla", "allaf", "allwch",
    "gallaf", "galla", "fedra", "fedrai", "fydd", "fyddwch", "fydda", "wnewch", "wnaiff", "oedd", "ai", "ife", "a",
    "dylwn", "ddylwn", "sgen",
];

const CONTACT: &[&str] = &[
    "phone number",
    "telephone number",
    "contact number",
    "number for",
    "number to ring",
    "number to call",
    "what number",
    "which number",
    "what is the number",
    "email address",
    "email for",
    "contact details",
    "how do i contact",
    "how can i contact",
    "get hold of",
    "get in touch",
    "who do i ring",
    "who do i call",
    "who should i ring",
    "who should i call",
    "who to ring",
    "who to call",
];
const HOW_LONG: &[&str] = &[
    "how long",
    "how many days",
    "how many weeks",
    "how many months",
    "how many years",
    "how many hours",
    "how much notice",
    "how much time",
    "how much warning",
    "how soon",
    "how quickly",
    "how far in advance",
    "how far ahead",
    "how far back",
    "how quick",
    "how fast",
];
const HOW_MUCH: &[&str] = &["how much", "how many pounds", "what does it cost", "price of", "cost of"];
const MONEY: &[&str] = &[
    "cost",
    "costs",
    "price",
    "prices",
    "charge",
    "charges",
    "fee",
    "fees",
    "fine",
    "fines",
    "rate",
    "rent",
    "cheapest",
    "worth",
    "quid",
    "council tax",
    "£",
];
const NUMBER: &[&str] = &[
    "how many",
    "how high",
    "how tall",
    "how big",
    "how far",
    "how heavy",
    "how old",
    "how wide",
    "how thick",
    "biggest",
    "largest",
    "what size",
    "what age",
    "what temperature",
    "max",
    "maximum",
    "minimum",
    "limit",
    "what percentage",
];
const TIME: &[&str] = &[
    "what time",
    "what times",
    "best time",
    "opening times",
    "opening hours",
    "what hours",
    "open till",
    "open until",
    "how late",
    "how early",
];
const OPENING: &[&str] = &["open", "opening", "close", "closes", "closing", "shut"];
const DAYS: &[&str] = &[
    "today",
    "tonight",
    "tomorrow",
    "weekend",
    "weekends",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "mondays",
    "tuesdays",
    "wednesdays",
    "thursdays",
    "fridays",
    "saturdays",
    "sundays",
    "christmas",
    "boxing day",
    "bank holiday",
    "new year",
    "when",
];
const WHEN: &[&str] = &[
    "when",
    "what day",
    "which day",
    "what days",
    "which days",
    "what date",
    "which date",
    "what dates",
    "what week",
    "which week",
    "what month",
    "last day",
    "bin day",
    "how often",
];
const WHO: &[&str] =
    &["who", "whom", "whose", "which team", "which department", "which council", "which company", "which organisation"];
const WHERE: &[&str] = &["where", "which bin", "what bin", "nearest", "address of", "address for", "location"];
const HOW_TO: &[&str] = &[
    "how do i",
    "how can i",
    "how to",
    "how should i",
    "how would i",
    "how do we",
    "how can we",
    "how do you",
    "how does",
    "what do i do",
    "what do i need to do",
    "what should i do",
    "what do i need",
    "what do we need",
    "what documents",
    "what do i bring",
];
/// Words that open a question answered by yes or no.
const AUXILIARIES: &[&str] = &[
    "is", "are", "am", "was", "were", "do", "does", "did", "can", "could", "will", "would", "should", "shall", "may",
    "might", "must", "have", "has", "had", "isnt", "arent", "dont", "doesnt", "cant", "wont", "shouldnt",
];

/// Words that open a question asking for something other than yes or no.
const QUESTION_WORDS: &[&str] = &["what", "when", "where", "who", "which", "why", "how"];
/// Words that follow "can", "is" and the like when they ask a yes-or-no question mid-sentence:
/// "my bin is broken can i get a new one".
const SUBJECTS: &[&str] = &["i", "you", "we", "they", "it", "he", "she", "there", "the", "my", "our", "your", "this"];
/// Auxiliaries that ask a yes-or-no question mid-sentence when a subject follows; past forms
/// ("what was my house worth") rarely do.
const ASKING: &[&str] =
    &["is", "are", "am", "do", "does", "can", "could", "will", "would", "should", "shall", "may", "must"];

/// Text-speak and common misspellings of the words the rules look for.
const SPELLINGS: &[(&str, &str)] = &[
    ("wot", "what"),
    ("wat", "what"),
    ("wht", "what"),
    ("whats", "what is"),
    ("wots", "what is"),
    ("wen", "when"),
    ("whens", "when is"),
    ("wher", "where"),
    ("wheres", "where is"),
    ("whos", "who is"),
    ("hw", "how"),
    ("hows", "how is"),
    ("r", "are"),
    ("u", "you"),
    ("ur", "your"),
    ("cn", "can"),
    ("dose", "does"),
    ("shud", "should"),
    ("wil", "will"),
    ("im", "i am"),
    ("tel", "telephone"),
    ("e-mail", "email"),
    ("hrs", "hours"),
    ("chrismas", "christmas"),
    ("xmas", "christmas"),
];

/// The question lowercased, apostrophes dropped, other punctuation turned into clause marks
/// (" , "), misspellings mended, padded with spaces so phrases match whole words.
fn words_of(question: &str) -> String {
    let lowered = question.to_lowercase().replace(['\'', '’', '‘'], "");
    let spaced: String = lowered
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '£' || c == '-' {
                c
            } else if c.is_whitespace() {
                ' '
            } else {
                ','
            }
        })
        .collect();
    let mut words = Vec::new();
    for word in spaced.replace(',', " , ").split_whitespace() {
        let mended = SPELLINGS.iter().find(|(wrong, _)| *wrong == word).map_or(word, |(_, right)| right);
        words.push(mended.to_string());
    }
    format!(" {} ", words.join(" ").replace('£', " £ "))
}

/// Whether padded, clause-marked words hold any of the phrases as whole words.
fn has(text: &str, phrases: &[&str]) -> bool {
    phrases.iter().any(|phrase| text.contains(&format!(" {phrase} ")))
}

/// Whether the first clause of padded, clause-marked words opens with any of the phrases.
fn opens_with(text: &str, phrases: &[&str]) -> bool {
    let first_clause = text.split(',').find(|clause| !clause.trim().is_empty()).unwrap_or_default();
    phrases.iter().any(|phrase| format!("{} ", first_clause.trim()).starts_with(&format!("{phrase} ")))
}

/// A Welsh question lowercased, accents folded (*tâl* and *tal* alike), apostrophes made spaces
/// (*i'r*, *dw i'n*), other punctuation turned into clause marks, padded with spaces.
fn welsh_words_of(question: &str) -> String {
    let folded: String = knowledge_base::language::without_accents(question)
        .chars()
        .map(|c| match c {
            '\'' => ' ',
            c if c.is_alphanumeric() || c == '-' || c == '£' => c,
            c if c.is_whitespace() => ' ',
            _ => ',',
        })
        .collect();
    format!(" {} ", folded.replace(',', " , ").split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Whether a clause opens with a word like "can" or "is" ("i live alone, can i pay less"), or,
/// in a clause that does not open with "what" or the like, such a word is followed by its
/// subject ("my bin is broken can i get a new one").
fn asks_yes_or_no(text: &str) -> bool {
    text.ends_with(" or not ")
        || text.split(',').any(|clause| {
            let words: Vec<&str> = clause.split_whitespace().collect();
            let Some(first) = words.first() else { return false };
            AUXILIARIES.contains(first)
                || (!QUESTION_WORDS.contains(first)
                    && words.windows(2).any(|pair| ASKING.contains(&pair[0]) && SUBJECTS.contains(&pair[1])))
        })
}

#[cfg(test)]
mod tests {
    use super::QuestionType::{self, *};

    fn kind(question: &str) -> QuestionType {
        QuestionType::of_wording(question)
    }

    #[test]
    fn questions_are_typed_by_what_they_ask_for() {
        assert_eq!(kind("wot day do bins get colected in brookside"), When);
        assert_eq!(kind("bins r normally done on a friday, when r they coming christmas week"), When);
        assert_eq!(kind("what time have the bins got to be out by in the morning"), Time);
        assert_eq!(kind("tip opening hours in winter?"), Time);
        assert_eq!(kind("is the tip open on sunday"), Time);
        assert_eq!(kind("how much is band c counsil tax this year"), HowMuch);
        assert_eq!(kind("whats the fee for a high hedge complaint"), HowMuch);
        assert_eq!(kind("cant make my repair apointment next week how much notice do u need"), HowLong);
        assert_eq!(kind("how long have i got to register my baby"), HowLong);
        assert_eq!(kind("how many books can i take out at once"), Number);
        assert_eq!(kind("how high can a fence be"), Number);
        assert_eq!(kind("who sets the council tax bands"), Who);
        assert_eq!(kind("where do old batterys go"), Where);
        assert_eq!(kind("whats the phone number for the rent team"), Contact);
        assert_eq!(kind("who do i ring about a leak at night"), Contact);
        assert_eq!(kind("how do i challenge a parking ticket"), HowTo);
        assert_eq!(kind("i live on my own, can i pay less council tax"), YesNo);
        assert_eq!(kind("is the household support fund still open"), YesNo);
        assert_eq!(kind("chicken bones in the food caddy or not"), YesNo);
        assert_eq!(kind("BACS refund run days?"), Other);
    }

    #[test]
    fn welsh_questions_are_typed_by_what_they_ask_for() {
        let welsh = QuestionType::of_welsh_wording;
        assert_eq!(welsh("pryd mae'r biniau'n cael eu casglu yn brookside"), When);
        assert_eq!(welsh("faint o'r gloch ma rhaid rhoi'r bin allan erbyn yn y bore"), Time);
        assert_eq!(welsh("faint yw trwydded parcio i breswylwyr"), HowMuch);
        assert_eq!(welsh("pa mor hir sydd gen i i gofrestru genedigaeth"), HowLong);
        assert_eq!(welsh("sawl llyfr ga i fenthyg"), Number);
        assert_eq!(welsh("beth yw rhif ffôn y tîm tai"), Contact);
        assert_eq!(welsh("ble mae'r ganolfan ailgylchu"), Where);
        assert_eq!(welsh("pwy sy'n gosod bandiau'r dreth gyngor"), Who);
        assert_eq!(welsh("sut dw i'n talu'r dreth gyngor"), HowTo);
        assert_eq!(welsh("ga i dalu council tax ar-lein?"), YesNo);
        assert_eq!(welsh("oes rhaid i fi riportio fo"), YesNo);
        assert_eq!(welsh("oes tâl am fin newydd?"), YesNo);
        assert_eq!(welsh("beth yw'r pris am drwydded ymwelydd"), HowMuch);
    }

    #[test]
    fn a_yes_or_no_question_about_money_is_still_yes_or_no() {
        assert_eq!(kind("is there a charge for a replacement food caddy"), YesNo);
        assert_eq!(kind("the price of a sofa collection"), HowMuch);
    }
}
