//! What kind of fact a sentence states (a price, a date, a time of day, a length of time, a
//! phone number...), so an answer can be checked against the kind of fact a question asks for.

use super::QuestionType;

/// Units that make a number a length of time.
const TIME_UNITS: &[&str] = &["minute", "hour", "day", "week", "fortnight", "month", "year"];

/// Welsh units of time, in the forms they take after a number (*5 diwrnod*, *3 mis*, *2
/// flynedd*), matched whole.
const WELSH_TIME_UNITS: &[&str] = &[
    "munud",
    "munudau",
    "awr",
    "oriau",
    "diwrnod",
    "niwrnod",
    "diwrnodau",
    "dydd",
    "dyddiau",
    "wythnos",
    "wythnosau",
    "pythefnos",
    "mis",
    "fis",
    "misoedd",
    "blwyddyn",
    "flwyddyn",
    "mlynedd",
    "blynedd",
    "mlwydd",
];

/// Number words that may stand before a time unit.
const NUMBER_WORDS: &[&str] = &[
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "fifteen",
    "twenty", "thirty", "a", "an", "few", "several", "un", "dau", "dwy", "tri", "tair", "pedwar", "pedair", "pump",
    "chwe", "chwech", "saith", "wyth", "naw", "deg", "ugain", "sawl", "rhai",
];

/// Days of the week, as pages write them.
const DAYS: &[&str] = &[
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "dydd",
    "ddydd",
    "llun",
    "mawrth",
    "mercher",
    "iau",
    "gwener",
    "wener",
    "sadwrn",
    "sul",
];

/// Months and their usual short forms.
const MONTHS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "ionawr",
    "chwefror",
    "ebrill",
    "mai",
    "mehefin",
    "gorffennaf",
    "awst",
    "medi",
    "hydref",
    "tachwedd",
    "rhagfyr",
];

/// Words that say when something happens without a date: how often, or relative to something.
const WHEN_WORDS: &[&str] = &[
    "daily",
    "weekly",
    "fortnightly",
    "monthly",
    "yearly",
    "annually",
    "every",
    "each",
    "today",
    "tomorrow",
    "tonight",
    "weekend",
    "weekends",
    "weekday",
    "weekdays",
    "holiday",
    "holidays",
    "christmas",
    "spring",
    "summer",
    "autumn",
    "winter",
    "immediately",
    "anytime",
    "heddiw",
    "yfory",
    "heno",
    "bob",
    "pob",
    "wythnosol",
    "misol",
    "blynyddol",
    "penwythnos",
    "gwyliau",
    "nadolig",
];

/// Words that state a time of day or opening hours without digits.
const TIME_WORDS: &[&str] = &[
    "noon",
    "midday",
    "midnight",
    "closed",
    "24 hours",
    "open all",
    "around the clock",
    "canol dydd",
    "hanner nos",
    "ar gau",
    "24 awr",
];

/// Phrases that state a length of time without a number.
const DURATION_PHRASES: &[&str] = &[
    "same day",
    "straight away",
    "immediately",
    "next working day",
    "next day",
    "within a day",
    "overnight",
    "yr un diwrnod",
    "ar unwaith",
    "yn syth",
    "diwrnod gwaith nesaf",
    "dros nos",
];

/// Words that state that something costs nothing.
const FREE_WORDS: &[&str] = &[
    "free",
    "no charge",
    "not charge",
    "dont charge",
    "without charge",
    "nothing to pay",
    "am ddim",
    "dim tâl",
    "dim tal",
    "dim cost",
    "dim ffi",
];

impl QuestionType {
    /// Whether questions of this type ask for a particular kind of fact, so that an answer
    /// without one does not answer them ("how much" wants a price).
    pub fn wants_a_fact(self) -> bool {
        matches!(
            self,
            QuestionType::When
                | QuestionType::Time
                | QuestionType::HowMuch
                | QuestionType::HowLong
                | QuestionType::Number
                | QuestionType::Contact
        )
    }

    /// Whether a sentence states the kind of fact this type of question asks for; true for
    /// types that ask for no particular kind.
    pub fn is_stated_in(self, sentence: &str) -> bool {
        let words = Words::of(sentence);
        match self {
            QuestionType::When => {
                words.has_digit
                    || words.any_of(DAYS)
                    || words.any_of(MONTHS)
                    || words.any_of(WHEN_WORDS)
                    || states_duration(sentence)
            }
            QuestionType::Time => has_time_of_day(sentence) || words.any_of(TIME_WORDS),
            QuestionType::HowMuch => states_price(sentence),
            QuestionType::HowLong => states_duration(sentence),
            QuestionType::Number => words.has_digit || words.any_of(NUMBER_WORDS),
            QuestionType::Contact => has_phone_number(sentence) || has_email(sentence) || has_web_address(sentence),
            QuestionType::Who
            | QuestionType::Where
            | QuestionType::YesNo
            | QuestionType::HowTo
            | QuestionType::Other => true,
        }
    }
}

/// A sentence's lowercase words, for looking words up.
struct Words {
    /// The words, apostrophes dropped, padded with spaces: ` like this `.
    padded: String,
    has_digit: bool,
}

impl Words {
    fn of(text: &str) -> Words {
        let lower = text.to_lowercase().replace(['\'', '’'], "");
        let words: Vec<&str> = lower.split(|c: char| !c.is_alphanumeric()).filter(|word| !word.is_empty()).collect();
        Words { padded: format!(" {} ", words.join(" ")), has_digit: text.chars().any(|c| c.is_ascii_digit()) }
    }

    /// Whether any of the words or phrases stands in the sentence as whole words.
    fn any_of(&self, list: &[&str]) -> bool {
        list.iter().any(|word| self.padded.contains(&format!(" {word} ")))
    }
}

/// Whether a sentence states a price: pounds, pence, or that it is free.
fn states_price(text: &str) -> bool {
    text.contains('£') || has_pence(text) || Words::of(text).any_of(FREE_WORDS)
}

/// Whether a sentence states a length of time: a number or number word before a time unit, or
/// words such as "same day" and "straight away".
fn states_duration(text: &str) -> bool {
    let lower = text.to_lowercase();
    if DURATION_PHRASES.iter().any(|phrase| lower.contains(phrase)) {
        return true;
    }
    let words: Vec<&str> = lower.split(|c: char| !c.is_alphanumeric()).filter(|word| !word.is_empty()).collect();
    words.iter().enumerate().any(|(index, word)| {
        let is_number = word.chars().all(|c| c.is_ascii_digit()) || NUMBER_WORDS.contains(word);
        is_number
            && words[index + 1..]
                .iter()
                .take(2)
                .any(|next| TIME_UNITS.iter().any(|unit| next.starts_with(unit)) || WELSH_TIME_UNITS.contains(next))
    })
}

/// Whether a sentence states an amount in pence, such as "15p".
fn has_pence(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.windows(2).enumerate().any(|(index, pair)| {
        pair[0].is_ascii_digit()
            && pair[1] == b'p'
            && bytes.get(index + 2).is_none_or(|next| !next.is_ascii_alphabetic())
    })
}

/// Whether a sentence states a time of day: "9am", "5.30pm", "17:00".
fn has_time_of_day(text: &str) -> bool {
    let lower = text.to_lowercase();
    let bytes = lower.as_bytes();
    bytes.iter().enumerate().any(|(index, &byte)| {
        // Only where a number starts, and not in an amount of money such as £2,184.56.
        let starts_number = index == 0 || !matches!(bytes[index - 1], b'0'..=b'9' | b',' | b'.' | 0xa3);
        if !byte.is_ascii_digit() || !starts_number {
            return false;
        }
        let rest = &lower[index + 1..];
        let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit());
        let after_minutes = rest
            .strip_prefix([':', '.'])
            .filter(|minutes| minutes.len() >= 2 && minutes.as_bytes()[..2].iter().all(u8::is_ascii_digit));
        if let Some(minutes) = after_minutes {
            let tail = minutes[2..].trim_start();
            return !tail.starts_with(|c: char| c.is_ascii_digit()) || tail.starts_with("am") || tail.starts_with("pm");
        }
        let tail = rest.trim_start();
        (tail.starts_with("am") || tail.starts_with("pm") || tail.starts_with("a.m") || tail.starts_with("p.m"))
            && !tail[2..].starts_with(|c: char| c.is_ascii_alphabetic())
    })
}

/// Whether a sentence holds a UK phone number: ten or eleven digits in a row, spaces allowed,
/// or a short number such as 101 or 999 after "call", "phone" or "ring".
fn has_phone_number(text: &str) -> bool {
    let mut digits = 0;
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits += 1;
            if digits >= 10 {
                return true;
            }
        } else if c != ' ' && c != '-' {
            digits = 0;
        }
    }
    let words = Words::of(text);
    ["101", "999", "111", "105"].iter().any(|number| words.padded.contains(&format!(" {number} ")))
        && words.any_of(&["call", "phone", "ring", "dial", "telephone"])
}

/// Whether a sentence holds an email address.
fn has_email(text: &str) -> bool {
    text.split_whitespace().any(|word| {
        let word = word.trim_matches(|c: char| !c.is_alphanumeric());
        word.split_once('@').is_some_and(|(user, domain)| !user.is_empty() && domain.contains('.'))
    })
}

/// Whether a sentence points to a web address or an online form, a way of getting in touch.
fn has_web_address(text: &str) -> bool {
    let lower = text.to_lowercase();
    lower.contains("www.") || lower.contains("http") || lower.contains("online form") || lower.contains("contact form")
}

/// Whether a sentence states a figure: digits, a price, or a day of the week.
pub(crate) fn has_figure(text: &str) -> bool {
    text.chars().any(|c| c.is_ascii_digit() || c == '£') || Words::of(text).any_of(DAYS)
}

#[cfg(test)]
mod tests {
    use super::QuestionType::*;
    use super::{has_pence, has_phone_number, has_time_of_day, states_duration};

    #[test]
    fn durations_and_pence_are_recognised() {
        assert!(states_duration("You must register the birth within 42 days."));
        assert!(states_duration("We aim to reply within five working days."));
        assert!(states_duration("We will make it safe the same day."));
        assert!(!states_duration("Band D costs £2,184.56."));
        assert!(has_pence("Printing costs 15p a page."));
        assert!(!has_pence("Open 9am to 5pm."));
    }

    #[test]
    fn times_of_day_are_told_from_other_numbers() {
        assert!(has_time_of_day("Open 9am to 5pm."));
        assert!(has_time_of_day("The office opens at 8.30 and closes at 17:00."));
        assert!(has_time_of_day("Put your bin out by 7 am."));
        assert!(!has_time_of_day("Band D costs £2,184.56."));
        assert!(!has_time_of_day("Collections are every 2 weeks."));
    }

    #[test]
    fn phone_numbers_need_enough_digits() {
        assert!(has_phone_number("Call 01632 960000."));
        assert!(has_phone_number("In an emergency, call 999."));
        assert!(!has_phone_number("Band D is £2,184.56 for 2025."));
    }

    #[test]
    fn a_sentence_answers_a_question_only_with_the_kind_of_fact_it_asks_for() {
        assert!(HowMuch.is_stated_in("A collection of up to three items costs £38."));
        assert!(HowMuch.is_stated_in("Collecting a replacement caddy is free."));
        assert!(!HowMuch.is_stated_in("You can book a bulky waste collection online."));
        assert!(When.is_stated_in("Bins are collected every Tuesday."));
        assert!(!When.is_stated_in("Put your bin at the edge of your property."));
        assert!(Contact.is_stated_in("Email rent@eastbrook.gov.uk or call 01632 960123."));
        assert!(!Contact.is_stated_in("Our rent team can help with arrears."));
        assert!(HowTo.is_stated_in("Anything at all."));
    }
}
