//! The hours when people answer escalated conversations, and what to tell someone waiting.

use serde::{Deserialize, Serialize};

use knowledge_base::Language;

use crate::language::dates::{iso, weekday, weekday_name};
use crate::translations::speak;

/// Opening hours for each day of the week, as `"08:30-17:30"` or `"closed"`, with dates the
/// service is closed (bank holidays) and how soon people usually answer while open.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServiceHours {
    /// Monday's hours.
    pub monday: String,
    /// Tuesday's hours.
    pub tuesday: String,
    /// Wednesday's hours.
    pub wednesday: String,
    /// Thursday's hours.
    pub thursday: String,
    /// Friday's hours.
    pub friday: String,
    /// Saturday's hours.
    pub saturday: String,
    /// Sunday's hours.
    pub sunday: String,
    /// Dates the service is closed, as `YYYY-MM-DD`.
    pub closed_dates: Vec<String>,
    /// How many minutes people usually take to answer while the service is open.
    pub response_minutes: u32,
}

impl Default for ServiceHours {
    fn default() -> Self {
        let weekday = "08:30-17:30".to_string();
        ServiceHours {
            monday: weekday.clone(),
            tuesday: weekday.clone(),
            wednesday: weekday.clone(),
            thursday: weekday.clone(),
            friday: weekday,
            saturday: "closed".into(),
            sunday: "closed".into(),
            closed_dates: ["2026-12-25", "2026-12-28", "2027-01-01", "2027-03-26", "2027-03-29", "2027-05-03"]
                .map(String::from)
                .to_vec(),
            response_minutes: 15,
        }
    }
}

/// Whether the service is open at a moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Availability {
    /// Open now, until this minute of the day.
    Open {
        /// Closing time, in minutes after midnight.
        closes: u32,
    },
    /// Closed; it opens next on this day (counted from 1970) at this minute.
    Closed {
        /// The day it opens next.
        day: i64,
        /// The minute of that day it opens.
        opens: u32,
    },
    /// Never open: no hours are set.
    Never,
}

impl ServiceHours {
    /// Every problem with the hours, each naming the field.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for (index, text) in self.days().iter().enumerate() {
            if let Err(problem) = parse_span(text) {
                problems
                    .push(format!("hours.{}: {problem}", weekday_name(index as i64, Language::English).to_lowercase()));
            }
        }
        for date in &self.closed_dates {
            if crate::language::dates::day_of_iso(date).is_none() {
                problems.push(format!("hours.closed_dates: `{date}` is not a date such as 2026-12-25"));
            }
        }
        problems
    }

    fn days(&self) -> [&str; 7] {
        [&self.monday, &self.tuesday, &self.wednesday, &self.thursday, &self.friday, &self.saturday, &self.sunday]
    }

    fn span_on(&self, day: i64) -> Option<(u32, u32)> {
        if self.closed_dates.iter().any(|closed| *closed == iso(day)) {
            return None;
        }
        parse_span(self.days()[weekday(day) as usize]).ok().flatten()
    }

    /// Whether people are answering at a moment (UK clock time, in milliseconds since 1970).
    pub fn availability(&self, local_millis: i64) -> Availability {
        let day = local_millis.div_euclid(86_400_000);
        let minute = (local_millis.rem_euclid(86_400_000) / 60_000) as u32;
        if let Some((opens, closes)) = self.span_on(day)
            && (opens..closes).contains(&minute)
        {
            return Availability::Open { closes };
        }
        for ahead in 0..400 {
            let candidate = day + ahead;
            if let Some((opens, _)) = self.span_on(candidate)
                && (ahead > 0 || minute < opens)
            {
                return Availability::Closed { day: candidate, opens };
            }
        }
        Availability::Never
    }

    /// The usual hours in words: "Monday to Friday, 8:30am to 5:30pm".
    pub fn describe(&self, language: Language) -> String {
        let spans: Vec<Option<(u32, u32)>> = self.days().iter().map(|text| parse_span(text).ok().flatten()).collect();
        let mut groups: Vec<(usize, usize, (u32, u32))> = Vec::new();
        for (index, span) in spans.iter().enumerate() {
            let Some(span) = span else { continue };
            match groups.last_mut() {
                Some((_, last, previous)) if *last + 1 == index && previous == span => *last = index,
                _ => groups.push((index, index, *span)),
            }
        }
        if groups.is_empty() {
            return speak(language, "hours.no_set_hours", &[]);
        }
        groups
            .iter()
            .map(|(first, last, (opens, closes))| {
                let day = |index: usize| weekday_name(index as i64, language);
                let days = if first == last {
                    day(*first).to_string()
                } else {
                    speak(language, "hours.day_to_day", &[("first", day(*first)), ("last", day(*last))])
                };
                speak(
                    language,
                    "hours.days_and_times",
                    &[("days", &days), ("opens", &clock(*opens)), ("closes", &clock(*closes))],
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// What someone waiting for a person is told: when to expect an answer.
    pub fn wait_message(&self, local_millis: i64, language: Language) -> String {
        match self.availability(local_millis) {
            Availability::Open { .. } => {
                speak(language, "hours.open", &[("minutes", &self.response_minutes.to_string())])
            }
            Availability::Closed { day, opens } => {
                let today = local_millis.div_euclid(86_400_000);
                let time = clock(opens);
                let when = match day - today {
                    0 => speak(language, "hours.today_at", &[("time", &time)]),
                    1 => speak(language, "hours.tomorrow_at", &[("time", &time)]),
                    _ => speak(
                        language,
                        "hours.day_at",
                        &[("day", weekday_name(weekday(day), language)), ("time", &time)],
                    ),
                };
                speak(language, "hours.closed", &[("hours", &self.describe(language)), ("when", &when)])
            }
            Availability::Never => speak(language, "hours.never", &[]),
        }
    }
}

/// `"08:30-17:30"` as minutes after midnight, `"closed"` (or nothing) as none.
fn parse_span(text: &str) -> Result<Option<(u32, u32)>, String> {
    let text = text.trim();
    if text.is_empty() || text.eq_ignore_ascii_case("closed") {
        return Ok(None);
    }
    let wrong = || format!("`{text}` is not opening hours such as 08:30-17:30 or closed");
    let (opens, closes) = text.split_once('-').ok_or_else(wrong)?;
    let minute = |part: &str| -> Option<u32> {
        let (hours, minutes) = part.trim().split_once(':')?;
        let (hours, minutes): (u32, u32) = (hours.parse().ok()?, minutes.parse().ok()?);
        (hours <= 24 && minutes < 60 && hours * 60 + minutes <= 24 * 60).then_some(hours * 60 + minutes)
    };
    let (opens, closes) = (minute(opens).ok_or_else(wrong)?, minute(closes).ok_or_else(wrong)?);
    if opens >= closes {
        return Err(format!("`{text}` closes before it opens"));
    }
    Ok(Some((opens, closes)))
}

/// A minute of the day as people say it: "8:30am", "5pm".
fn clock(minute: u32) -> String {
    let (hours, minutes) = (minute / 60, minute % 60);
    let suffix = if (12..24).contains(&hours) { "pm" } else { "am" };
    let hours12 = match hours % 12 {
        0 => 12,
        other => other,
    };
    if minutes == 0 { format!("{hours12}{suffix}") } else { format!("{hours12}:{minutes:02}{suffix}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uk::calendar::days_from_civil;

    fn at(year: i64, month: u32, day: u32, hour: i64, minute: i64) -> i64 {
        days_from_civil(year, month, day) * 86_400_000 + hour * 3_600_000 + minute * 60_000
    }

    #[test]
    fn hours_are_described_in_words() {
        let hours = ServiceHours::default();
        assert_eq!(hours.describe(Language::English), "Monday to Friday, 8:30am to 5:30pm");
        assert!(hours.problems().is_empty());
        let broken = ServiceHours { monday: "9 till 5".into(), ..ServiceHours::default() };
        assert_eq!(
            broken.problems(),
            vec!["hours.monday: `9 till 5` is not opening hours such as 08:30-17:30 or closed"]
        );
    }

    #[test]
    fn the_wait_depends_on_the_time() {
        let hours = ServiceHours::default();
        let wait_message_en = |at: i64| hours.wait_message(at, Language::English);
        // Tuesday 1 December 2026.
        assert!(wait_message_en(at(2026, 12, 1, 10, 0)).contains("within 15 minutes"));
        assert!(wait_message_en(at(2026, 12, 1, 20, 0)).contains("after we open tomorrow at 8:30am"));
        // Friday evening waits for Monday; Christmas Eve (Thursday) evening waits past the holiday weekend.
        assert!(wait_message_en(at(2026, 12, 4, 18, 0)).contains("on Monday at 8:30am"));
        assert!(wait_message_en(at(2026, 12, 24, 18, 0)).contains("on Tuesday at 8:30am"));
        assert!(wait_message_en(at(2026, 12, 2, 7, 0)).contains("today at 8:30am"));
    }

    #[test]
    fn the_wait_is_told_in_welsh_to_welsh_speakers() {
        let hours = ServiceHours::default();
        assert_eq!(hours.describe(Language::Welsh), "dydd Llun – dydd Gwener, 8:30am – 5:30pm");
        let friday_evening = hours.wait_message(at(2026, 12, 4, 18, 0), Language::Welsh);
        assert!(friday_evening.contains("ar ôl i ni agor dydd Llun am 8:30am"), "{friday_evening}");
        assert!(hours.wait_message(at(2026, 12, 1, 10, 0), Language::Welsh).contains("o fewn 15 munud"));
    }
}
