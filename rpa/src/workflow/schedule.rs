//! Five-field cron schedules (minute hour day-of-month month day-of-week), read once and asked
//! when they are next due in a time zone, across its clock changes.

use std::collections::BTreeSet;

use jiff::ZonedDateTime;
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// The fields of a schedule: their names as people know them and their ranges.
const FIELDS: [(&str, u8, u8); 5] =
    [("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12), ("day of week", 0, 7)];

/// How many days ahead a next due time is looked for: enough for any date a schedule can name
/// (29 February comes round within eight years).
const DAYS_LOOKED_AHEAD: i64 = 8 * 366;

/// A schedule in cron syntax, such as `0 7 * * 1-5` (07:00 on weekdays).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    minutes: BTreeSet<u8>,
    hours: BTreeSet<u8>,
    days_of_month: BTreeSet<u8>,
    months: BTreeSet<u8>,
    /// Sunday as 0 (7 is read as 0 too).
    days_of_week: BTreeSet<u8>,
    /// Whether the day of the month and the day of the week were both limited: then a day that
    /// matches either is due, as cron has it.
    either_day: bool,
}

impl Schedule {
    /// Reads a schedule, or says what is wrong with it.
    pub fn parse(schedule: &str) -> Result<Schedule, String> {
        let fields: Vec<&str> = schedule.split_whitespace().collect();
        if fields.len() != FIELDS.len() {
            return Err(format!(
                "schedule `{schedule}` needs five fields (minute hour day-of-month month day-of-week), such as `0 7 * * 1-5`"
            ));
        }
        let mut sets = Vec::new();
        for (field, (what, low, high)) in fields.iter().zip(FIELDS) {
            sets.push(values(field, what, low, high).map_err(|problem| format!("schedule `{schedule}`: {problem}"))?);
        }
        let days_of_week = sets[4].iter().map(|day| day % 7).collect();
        Ok(Schedule {
            either_day: fields[2] != "*" && fields[4] != "*",
            minutes: std::mem::take(&mut sets[0]),
            hours: std::mem::take(&mut sets[1]),
            days_of_month: std::mem::take(&mut sets[2]),
            months: std::mem::take(&mut sets[3]),
            days_of_week,
        })
    }

    /// The first time after `after` at which the schedule is due, in `zone`: a time the clocks
    /// skip (when they go forward) is due at the same time after the change, and a time they
    /// pass twice (when they go back) is due the first time only. `None` when it is never due
    /// (such as 31 February).
    pub fn next_after(&self, after: &ZonedDateTime, zone: &TimeZone) -> Option<ZonedDateTime> {
        let local = after.with_time_zone(zone.clone());
        let mut day = local.date();
        for _ in 0..DAYS_LOOKED_AHEAD {
            if self.is_due_on(day) {
                for &hour in &self.hours {
                    for &minute in &self.minutes {
                        let at = day.at(hour as i8, minute as i8, 0, 0);
                        let Ok(due) = at.to_zoned_datetime(zone.clone()) else { continue };
                        if due.timestamp() > after.timestamp() {
                            return Some(due);
                        }
                    }
                }
            }
            day = day.tomorrow().ok()?;
        }
        None
    }

    fn is_due_on(&self, day: Date) -> bool {
        if !self.months.contains(&(day.month() as u8)) {
            return false;
        }
        let by_month = self.days_of_month.contains(&(day.day() as u8));
        let by_week = self.days_of_week.contains(&(day.weekday().to_sunday_zero_offset() as u8));
        if self.either_day { by_month || by_week } else { by_month && by_week }
    }
}

/// The values one field stands for: `*`, numbers, ranges `a-b`, steps `/n`, lists `,`.
fn values(field: &str, what: &str, low: u8, high: u8) -> Result<BTreeSet<u8>, String> {
    let mut values = BTreeSet::new();
    for part in field.split(',') {
        let (range, step) = part.split_once('/').map_or((part, None), |(range, step)| (range, Some(step)));
        let step = match step {
            None => 1,
            Some(step) => match step.parse::<u8>() {
                Ok(step) if step > 0 => step,
                _ => return Err(format!("`{part}` has a bad step for the {what}")),
            },
        };
        let number = |text: &str| text.parse::<u8>().ok().filter(|value| (low..=high).contains(value));
        let bad = || format!("`{part}` is not a valid {what} ({low} to {high})");
        let (first, last) = if range == "*" {
            (low, high)
        } else if let Some((first, last)) = range.split_once('-') {
            let (first, last) = (number(first).ok_or_else(bad)?, number(last).ok_or_else(bad)?);
            if first > last {
                return Err(format!("`{part}` runs backwards: the {what} range must go from low to high"));
            }
            (first, last)
        } else {
            let only = number(range).ok_or_else(bad)?;
            (only, if step > 1 { high } else { only })
        };
        values.extend((first..=last).step_by(step as usize));
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn london(text: &str) -> ZonedDateTime {
        text.parse::<jiff::civil::DateTime>().unwrap().to_zoned_datetime(uk::calendar::london().clone()).unwrap()
    }

    fn next(schedule: &str, after: &str) -> String {
        let zone = uk::calendar::london();
        let due = Schedule::parse(schedule).unwrap().next_after(&london(after), zone).unwrap();
        format!("{} {}", due.datetime(), due.offset())
    }

    #[test]
    fn weekday_mornings_skip_the_weekend() {
        // 4 December 2026 is a Friday.
        assert_eq!(next("0 7 * * 1-5", "2026-12-04T06:59"), "2026-12-04T07:00:00 +00");
        assert_eq!(next("0 7 * * 1-5", "2026-12-04T07:00"), "2026-12-07T07:00:00 +00");
        assert_eq!(next("*/15 * * * *", "2026-12-04T07:01"), "2026-12-04T07:15:00 +00");
        assert_eq!(next("30 2 1 * *", "2026-12-04T07:01"), "2027-01-01T02:30:00 +00");
        assert_eq!(next("0 0 29 2 *", "2026-12-04T07:01"), "2028-02-29T00:00:00 +00");
    }

    #[test]
    fn a_day_of_the_month_or_of_the_week_is_due_when_both_are_limited() {
        // The 13th, or any Friday.
        assert_eq!(next("0 9 13 * 5", "2026-12-05T00:00"), "2026-12-11T09:00:00 +00");
        assert_eq!(next("0 9 13 * 5", "2026-12-12T00:00"), "2026-12-13T09:00:00 +00");
    }

    #[test]
    fn the_clock_changes_neither_lose_nor_repeat_a_due_time() {
        // 29 March 2026: 01:00 GMT becomes 02:00 BST, so 01:30 never happens that day.
        assert_eq!(next("30 1 * * *", "2026-03-29T00:00"), "2026-03-29T02:30:00 +01");
        // 25 October 2026: 02:00 BST becomes 01:00 GMT, so 01:30 happens twice; once is due.
        let first = next("30 1 * * *", "2026-10-25T00:00");
        assert_eq!(first, "2026-10-25T01:30:00 +01");
        let zone = uk::calendar::london();
        let schedule = Schedule::parse("30 1 * * *").unwrap();
        let once = schedule.next_after(&london("2026-10-25T00:00"), zone).unwrap();
        let again = schedule.next_after(&once, zone).unwrap();
        assert_eq!(format!("{} {}", again.datetime(), again.offset()), "2026-10-26T01:30:00 +00");
    }

    #[test]
    fn mistakes_are_named() {
        assert!(Schedule::parse("0 7 * *").unwrap_err().contains("needs five fields"));
        assert!(Schedule::parse("60 7 * * *").unwrap_err().contains("`60` is not a valid minute (0 to 59)"));
        assert!(Schedule::parse("0 7 * * 5-1").unwrap_err().contains("runs backwards"));
        assert!(Schedule::parse("*/0 7 * * *").unwrap_err().contains("bad step"));
        assert_eq!(Schedule::parse("0 7 * * 7").unwrap(), Schedule::parse("0 7 * * 0").unwrap());
    }
}
