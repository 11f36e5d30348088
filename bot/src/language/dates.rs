//! Dates as people write them, in English or Welsh: "tomorrow", "next Tuesday", "last
//! Friday", "23rd November", "23/11/2026", "2026-11-23", "in 3 days", "ddoe", "dydd Llun
//! diwethaf", "3 Rhagfyr", "y 3ydd o Ragfyr".

use std::sync::LazyLock;

use knowledge_base::Language;
use regex::Regex;
use uk::calendar::{civil_from_days, days_from_civil};

/// Which side of today a date must fall on, which also decides what a bare weekday means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DateDirection {
    /// Today or earlier: "Tuesday" is the last Tuesday (or today).
    Past,
    /// Today or later: "Tuesday" is the coming Tuesday.
    Future,
    /// Either: "Tuesday" is the coming Tuesday (or today).
    #[default]
    Any,
}

/// Why a date was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateProblem {
    /// No date could be read.
    Unreadable,
    /// A date was read but it does not exist, such as 31 February.
    NoSuchDate,
    /// The date is after today but must not be.
    InFuture(i64),
    /// The date is before today but must not be.
    InPast(i64),
}

const WEEKDAYS: &[(&str, i64)] = &[
    ("monday", 0),
    ("mon", 0),
    ("tuesday", 1),
    ("tues", 1),
    ("tue", 1),
    ("wednesday", 2),
    ("weds", 2),
    ("wed", 2),
    ("thursday", 3),
    ("thurs", 3),
    ("thur", 3),
    ("thu", 3),
    ("friday", 4),
    ("fri", 4),
    ("saturday", 5),
    ("sat", 5),
    ("sunday", 6),
    ("sun", 6),
];

const MONTHS: &[(&str, u32)] = &[
    ("january", 1),
    ("jan", 1),
    ("february", 2),
    ("feb", 2),
    ("march", 3),
    ("mar", 3),
    ("april", 4),
    ("apr", 4),
    ("may", 5),
    ("june", 6),
    ("jun", 6),
    ("july", 7),
    ("jul", 7),
    ("august", 8),
    ("aug", 8),
    ("september", 9),
    ("sept", 9),
    ("sep", 9),
    ("october", 10),
    ("oct", 10),
    ("november", 11),
    ("nov", 11),
    ("december", 12),
    ("dec", 12),
];

const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

const WEEKDAY_NAMES: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

const WELSH_MONTH_NAMES: [&str; 12] = [
    "Ionawr",
    "Chwefror",
    "Mawrth",
    "Ebrill",
    "Mai",
    "Mehefin",
    "Gorffennaf",
    "Awst",
    "Medi",
    "Hydref",
    "Tachwedd",
    "Rhagfyr",
];

const WELSH_WEEKDAY_NAMES: [&str; 7] =
    ["dydd Llun", "dydd Mawrth", "dydd Mercher", "dydd Iau", "dydd Gwener", "dydd Sadwrn", "dydd Sul"];

/// Welsh words for days and their English meaning; each with its mutated forms.
const WELSH_DAY_WORDS: &[(&str, &str)] = &[
    ("echdoe", "day before yesterday"),
    ("trennydd", "day after tomorrow"),
    ("heddiw", "today"),
    ("heno", "today"),
    ("bore ma", "today"),
    ("yfory", "tomorrow"),
    ("fory", "tomorrow"),
    ("ddoe", "yesterday"),
    ("neithiwr", "yesterday"),
];

/// Any of the Welsh words for days, as a whole word.
static WELSH_DAY: LazyLock<Regex> = LazyLock::new(|| {
    let words: Vec<&str> = WELSH_DAY_WORDS.iter().map(|(welsh, _)| *welsh).collect();
    Regex::new(&format!(r"\b(?:{})\b", words.join("|"))).expect("valid regex")
});

/// Welsh weekday names after `dydd` or `nos` (mutated or not), and their English names.
static WELSH_WEEKDAY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:dd?ydd|nos)\s+(llun|lun|mawrth|fawrth|mercher|fercher|iau|gwener|wener|sadwrn|sul)\b(\s+(?:diwethaf|diwetha|dwetha|dwethaf|yma|nesaf|nesa|nesaf|sydd\s+i\s+ddod))?")
        .expect("valid regex")
});

/// Welsh month names (mutated or not) and their numbers.
const WELSH_MONTHS: &[(&str, u32)] = &[
    ("ionawr", 1),
    ("chwefror", 2),
    ("mawrth", 3),
    ("fawrth", 3),
    ("ebrill", 4),
    ("mai", 5),
    ("fai", 5),
    ("mehefin", 6),
    ("fehefin", 6),
    ("gorffennaf", 7),
    ("orffennaf", 7),
    ("awst", 8),
    ("medi", 9),
    ("fedi", 9),
    ("hydref", 10),
    ("tachwedd", 11),
    ("dachwedd", 11),
    ("rhagfyr", 12),
    ("ragfyr", 12),
];

/// A day of the month in Welsh, with an ordinal ending or not, and a Welsh month: "3 Rhagfyr",
/// "y 3ydd o Ragfyr", "21ain Mawrth 2027".
static WELSH_DAY_MONTH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(\d{1,2})(?:af|il|ydd|ed|fed|ain|eg)?\s+(?:o\s+)?([a-z]{3,10})\b(?:,?\s+(\d{4}))?")
        .expect("valid regex")
});

/// "3 diwrnod yn ôl", "pythefnos yn ôl", "mewn 3 diwrnod", "ymhen wythnos".
static WELSH_RELATIVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:(?:mewn|ymhen)\s+(\d{1,2}|un|dau|dwy|tri|tair|pedwar|pedair|pump|chwech|saith)?\s*(diwrnod|niwrnod|wythnos|wythnosau)|(\d{1,2}|un|dau|dwy|tri|tair|pedwar|pedair|pump|chwech|saith)?\s*(diwrnod|niwrnod|wythnos|wythnosau)\s+yn\s+ol)\b")
        .expect("valid regex")
});

static ISO: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b").expect("valid regex"));
static NUMERIC: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(\d{1,2})[/.](\d{1,2})(?:[/.](\d{2}|\d{4}))?\b").expect("valid regex"));
static DAY_MONTH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([a-z]{3,9})\.?(?:,?\s+(\d{4}))?\b").expect("valid regex")
});
static MONTH_DAY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b([a-z]{3,9})\.?\s+(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(\d{4}))?").expect("valid regex")
});
static RELATIVE_DAYS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:in\s+(\d{1,3}|a|one|two|three|four|five|six|seven)\s+(days?|weeks?)(?:\s+time)?|(\d{1,3}|a|one|two|three|four|five|six|seven)\s+(days?|weeks?)\s+ago)\b")
        .expect("valid regex")
});
static WEEKDAY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:(next|last|this|coming|past)\s+)?(monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues|tue|weds|wed|thurs|thur|thu|fri|sat|sun)\b(\s+just\s+gone)?")
        .expect("valid regex")
});

/// Reads a date from a message, relative to `today` (days since 1970, UK calendar), and checks
/// it falls on the side of today that `direction` asks for. Returns the day (since 1970).
pub fn parse_date(text: &str, today: i64, direction: DateDirection) -> Result<i64, DateProblem> {
    let text = in_english(&knowledge_base::language::without_accents(text));
    let day = read_date(&text, today, direction)?;
    match direction {
        DateDirection::Past if day > today => Err(DateProblem::InFuture(day)),
        DateDirection::Future if day < today => Err(DateProblem::InPast(day)),
        _ => Ok(day),
    }
}

fn read_date(text: &str, today: i64, direction: DateDirection) -> Result<i64, DateProblem> {
    if let Some(captures) = ISO.captures(text) {
        let (year, month, day) = (number(&captures[1]), number(&captures[2]), number(&captures[3]));
        return exact(year, month as u32, day as u32);
    }
    if let Some(captures) = NUMERIC.captures(text) {
        let (day, month) = (number(&captures[1]) as u32, number(&captures[2]) as u32);
        return match captures.get(3) {
            Some(year) => exact(full_year(year.as_str()), month, day),
            None => without_year(month, day, today, direction),
        };
    }
    for (pattern, day_group, month_group) in [(&*DAY_MONTH, 1, 2), (&*MONTH_DAY, 2, 1)] {
        for captures in pattern.captures_iter(text) {
            let Some(month) = month_number(&captures[month_group]) else { continue };
            let day = number(&captures[day_group]) as u32;
            return match captures.get(3) {
                Some(year) => exact(number(year.as_str()), month, day),
                None => without_year(month, day, today, direction),
            };
        }
    }
    if let Some(offset) = named_day(text) {
        return Ok(today + offset);
    }
    if let Some(captures) = RELATIVE_DAYS.captures(text) {
        let (amount, unit, sign) = match captures.get(1) {
            Some(amount) => (amount.as_str(), &captures[2], 1),
            None => (&captures[3], &captures[4], -1),
        };
        let amount = small_number(amount).ok_or(DateProblem::Unreadable)?;
        let days = if unit.starts_with("week") { amount * 7 } else { amount };
        return Ok(today + sign * days);
    }
    if let Some(captures) = WEEKDAY.captures(text) {
        let wanted = WEEKDAYS.iter().find(|(name, _)| *name == &captures[2]).map(|(_, day)| *day).unwrap_or(0);
        let current = weekday(today);
        let ahead = (wanted - current).rem_euclid(7);
        let behind = (current - wanted).rem_euclid(7);
        let modifier = captures.get(1).map(|m| m.as_str());
        let gone = captures.get(3).is_some();
        let day = match (modifier, gone) {
            (Some("last" | "past"), _) | (_, true) => today - if behind == 0 { 7 } else { behind },
            (Some("next"), _) => today + if ahead == 0 { 7 } else { ahead },
            (Some(_), _) => today + ahead,
            (None, _) => match direction {
                DateDirection::Past => today - behind,
                DateDirection::Future => today + if ahead == 0 { 7 } else { ahead },
                DateDirection::Any => today + ahead,
            },
        };
        return Ok(day);
    }
    Err(DateProblem::Unreadable)
}

/// Welsh words of dates put in English words, so one reading serves both: "dydd Llun
/// diwethaf" as "last monday", "y 3ydd o Ragfyr" as "3 december", "ddoe" as "yesterday".
fn in_english(text: &str) -> String {
    let text = WELSH_WEEKDAY.replace_all(text, |captures: &regex::Captures<'_>| {
        let day = match &captures[1] {
            "llun" | "lun" => "monday",
            "mawrth" | "fawrth" => "tuesday",
            "mercher" | "fercher" => "wednesday",
            "iau" => "thursday",
            "gwener" | "wener" => "friday",
            "sadwrn" => "saturday",
            _ => "sunday",
        };
        let when = captures.get(2).map(|when| when.as_str().trim());
        match when {
            Some(when) if when.starts_with('d') => format!("last {day}"),
            Some(when) if when.starts_with('n') || when.starts_with('s') => format!("next {day}"),
            Some(_) => format!("this {day}"),
            None => day.to_string(),
        }
    });
    let text = WELSH_DAY_MONTH.replace_all(&text, |captures: &regex::Captures<'_>| {
        match WELSH_MONTHS.iter().find(|(name, _)| *name == &captures[2]) {
            Some((_, month)) => {
                let year = captures.get(3).map(|year| format!(" {}", year.as_str())).unwrap_or_default();
                format!("{} {}{year}", &captures[1], MONTH_NAMES[*month as usize - 1].to_lowercase())
            }
            None => captures[0].to_string(),
        }
    });
    let text = WELSH_RELATIVE.replace_all(&text, |captures: &regex::Captures<'_>| {
        let (amount, unit, ago) = match captures.get(2) {
            Some(unit) => (captures.get(1), unit.as_str(), false),
            None => (captures.get(3), &captures[4], true),
        };
        let amount = match amount.map(|amount| amount.as_str()) {
            None | Some("un") => "1",
            Some("dau" | "dwy") => "2",
            Some("tri" | "tair") => "3",
            Some("pedwar" | "pedair") => "4",
            Some("pump") => "5",
            Some("chwech") => "6",
            Some("saith") => "7",
            Some(digits) => digits,
        };
        let unit = if unit.starts_with('w') { "weeks" } else { "days" };
        if ago { format!("{amount} {unit} ago") } else { format!("in {amount} {unit}") }
    });
    WELSH_DAY
        .replace_all(&text, |captures: &regex::Captures<'_>| {
            WELSH_DAY_WORDS.iter().find(|(welsh, _)| *welsh == &captures[0]).map_or("", |(_, english)| english)
        })
        .into_owned()
}

/// "today", "tomorrow", "yesterday" and their neighbours, as days from today.
fn named_day(text: &str) -> Option<i64> {
    const NAMED: &[(&str, i64)] = &[
        ("day after tomorrow", 2),
        ("day before yesterday", -2),
        ("tomorrow", 1),
        ("tomorow", 1),
        ("tommorow", 1),
        ("tommorrow", 1),
        ("tmrw", 1),
        ("yesterday", -1),
        ("yesterdy", -1),
        ("yday", -1),
        ("today", 0),
        ("tonight", 0),
        ("this morning", 0),
        ("this afternoon", 0),
    ];
    NAMED.iter().find(|(phrase, _)| contains_phrase(text, phrase)).map(|(_, offset)| *offset)
}

fn contains_phrase(text: &str, phrase: &str) -> bool {
    text.match_indices(phrase).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + phrase.len()..].chars().next();
        before.is_none_or(|c| !c.is_alphanumeric()) && after.is_none_or(|c| !c.is_alphanumeric())
    })
}

fn small_number(text: &str) -> Option<i64> {
    match text {
        "a" | "one" => Some(1),
        "two" => Some(2),
        "three" => Some(3),
        "four" => Some(4),
        "five" => Some(5),
        "six" => Some(6),
        "seven" => Some(7),
        digits => digits.parse().ok(),
    }
}

fn number(text: &str) -> i64 {
    text.parse().unwrap_or(0)
}

fn full_year(text: &str) -> i64 {
    let year = number(text);
    if text.len() == 2 { 2000 + year } else { year }
}

fn month_number(text: &str) -> Option<u32> {
    MONTHS.iter().find(|(name, _)| *name == text).map(|(_, month)| *month)
}

fn exact(year: i64, month: u32, day: u32) -> Result<i64, DateProblem> {
    if valid_date(year, month, day) { Ok(days_from_civil(year, month, day)) } else { Err(DateProblem::NoSuchDate) }
}

/// A day and month without a year: the one nearest today on the side `direction` asks for.
fn without_year(month: u32, day: u32, today: i64, direction: DateDirection) -> Result<i64, DateProblem> {
    let (this_year, _, _) = civil_from_days(today);
    let candidates: Vec<i64> = [this_year - 1, this_year, this_year + 1]
        .into_iter()
        .filter(|year| valid_date(*year, month, day))
        .map(|year| days_from_civil(year, month, day))
        .collect();
    if candidates.is_empty() {
        return Err(DateProblem::NoSuchDate);
    }
    let chosen = match direction {
        DateDirection::Past => candidates.iter().copied().filter(|day| *day <= today).max(),
        DateDirection::Future => candidates.iter().copied().filter(|day| *day >= today).min(),
        DateDirection::Any => candidates.iter().copied().min_by_key(|day| (day - today).abs()),
    };
    chosen.ok_or(DateProblem::NoSuchDate)
}

fn valid_date(year: i64, month: u32, day: u32) -> bool {
    if !(1900..=2200).contains(&year) || !(1..=12).contains(&month) || day == 0 {
        return false;
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in_month = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    day <= days_in_month[month as usize - 1]
}

/// The day of the week, Monday being 0.
pub fn weekday(day: i64) -> i64 {
    // 1970-01-01 was a Thursday.
    (day + 3).rem_euclid(7)
}

/// A day as `YYYY-MM-DD`.
pub fn iso(day: i64) -> String {
    let (year, month, date) = civil_from_days(day);
    format!("{year:04}-{month:02}-{date:02}")
}

/// A day as people read it: "Tuesday 1 December 2026".
pub fn spoken(day: i64) -> String {
    spoken_in(day, Language::English)
}

/// A day as people read it in `language`: "Tuesday 1 December 2026", "dydd Mawrth 1 Rhagfyr 2026".
pub fn spoken_in(day: i64, language: Language) -> String {
    let (year, month, date) = civil_from_days(day);
    let month_name = match language {
        Language::English => MONTH_NAMES[month as usize - 1],
        Language::Welsh => WELSH_MONTH_NAMES[month as usize - 1],
    };
    format!("{} {date} {month_name} {year}", weekday_name(weekday(day), language))
}

/// The name of a day of the week (Monday being 0) in `language`: "Monday", "dydd Llun".
pub fn weekday_name(index: i64, language: Language) -> &'static str {
    let index = index.rem_euclid(7) as usize;
    match language {
        Language::English => WEEKDAY_NAMES[index],
        Language::Welsh => WELSH_WEEKDAY_NAMES[index],
    }
}

/// A `YYYY-MM-DD` date as a day since 1970.
pub fn day_of_iso(text: &str) -> Option<i64> {
    let captures = ISO.captures(text)?;
    exact(number(&captures[1]), number(&captures[2]) as u32, number(&captures[3]) as u32).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tuesday 1 December 2026.
    fn today() -> i64 {
        days_from_civil(2026, 12, 1)
    }

    fn parsed(text: &str, direction: DateDirection) -> String {
        iso(parse_date(text, today(), direction).expect(text))
    }

    #[test]
    fn named_and_relative_days() {
        assert_eq!(parsed("tomorrow please", DateDirection::Any), "2026-12-02");
        assert_eq!(parsed("it was yesterday", DateDirection::Past), "2026-11-30");
        assert_eq!(parsed("in 3 days", DateDirection::Any), "2026-12-04");
        assert_eq!(parsed("two days ago", DateDirection::Any), "2026-11-29");
        assert_eq!(parsed("in a week", DateDirection::Any), "2026-12-08");
    }

    #[test]
    fn weekdays_depend_on_direction() {
        assert_eq!(parsed("next Tuesday", DateDirection::Any), "2026-12-08");
        assert_eq!(parsed("next friday", DateDirection::Any), "2026-12-04");
        assert_eq!(parsed("last Friday", DateDirection::Any), "2026-11-27");
        assert_eq!(parsed("on Monday", DateDirection::Past), "2026-11-30");
        assert_eq!(parsed("Monday", DateDirection::Future), "2026-12-07");
        assert_eq!(parsed("tuesday", DateDirection::Past), "2026-12-01");
        assert_eq!(parsed("thurs", DateDirection::Future), "2026-12-03");
        assert_eq!(parsed("wednesday just gone", DateDirection::Any), "2026-11-25");
    }

    #[test]
    fn written_dates_with_and_without_years() {
        assert_eq!(parsed("23/11/2026", DateDirection::Any), "2026-11-23");
        assert_eq!(parsed("23/11/26", DateDirection::Any), "2026-11-23");
        assert_eq!(parsed("2026-11-23", DateDirection::Any), "2026-11-23");
        assert_eq!(parsed("the 23rd of November", DateDirection::Past), "2026-11-23");
        assert_eq!(parsed("November 23rd", DateDirection::Past), "2026-11-23");
        assert_eq!(parsed("5 jan", DateDirection::Future), "2027-01-05");
        assert_eq!(parsed("5/1", DateDirection::Future), "2027-01-05");
        assert_eq!(parsed("28 dec", DateDirection::Past), "2025-12-28");
    }

    #[test]
    fn impossible_and_wrong_side_dates_are_refused() {
        assert_eq!(parse_date("31/02/2027", today(), DateDirection::Any), Err(DateProblem::NoSuchDate));
        assert_eq!(parse_date("whenever", today(), DateDirection::Any), Err(DateProblem::Unreadable));
        assert!(matches!(parse_date("tomorrow", today(), DateDirection::Past), Err(DateProblem::InFuture(_))));
        assert!(matches!(parse_date("yesterday", today(), DateDirection::Future), Err(DateProblem::InPast(_))));
        assert_eq!(spoken(today()), "Tuesday 1 December 2026");
    }

    #[test]
    fn dates_in_welsh() {
        // Tuesday 1 December 2026.
        let past = |text: &str| parsed(text, DateDirection::Past);
        let future = |text: &str| parsed(text, DateDirection::Future);
        assert_eq!(past("ddoe"), "2026-11-30");
        assert_eq!(past("heddiw"), "2026-12-01");
        assert_eq!(future("yfory"), "2026-12-02");
        assert_eq!(past("echdoe"), "2026-11-29");
        assert_eq!(past("dydd Llun"), "2026-11-30");
        assert_eq!(past("ddydd Gwener diwethaf"), "2026-11-27");
        assert_eq!(future("dydd Iau nesaf"), "2026-12-03");
        assert_eq!(future("dydd Mawrth"), "2026-12-08");
        assert_eq!(past("3 diwrnod yn ôl"), "2026-11-28");
        assert_eq!(future("ymhen wythnos"), "2026-12-08");
        assert_eq!(past("y 3ydd o Dachwedd"), "2026-11-03");
        assert_eq!(future("21ain Mawrth 2027"), "2027-03-21");
        assert_eq!(future("1 Ionawr"), "2027-01-01");
        assert_eq!(spoken_in(today(), Language::Welsh), "dydd Mawrth 1 Rhagfyr 2026");
    }
}
