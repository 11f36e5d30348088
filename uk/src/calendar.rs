//! Calendar dates in the UK: `run.today`, deadlines, and the clock times people are shown. The
//! `Europe/London` rules come from the time zone database built into the program, so they hold
//! on machines without one.

use std::sync::LazyLock;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

/// 1970-01-01, the day days are counted from.
const EPOCH: Date = jiff::civil::date(1970, 1, 1);

/// The UK's time zone.
static LONDON: LazyLock<TimeZone> = LazyLock::new(|| {
    TimeZone::get("Europe/London").expect("the time zone database built into the program has Europe/London")
});

/// The UK's time zone, `Europe/London`.
pub fn london() -> &'static TimeZone {
    &LONDON
}

/// Today's date in the UK as `YYYY-MM-DD`.
pub fn today() -> String {
    LONDON.to_datetime(Timestamp::now()).date().to_string()
}

/// A time in milliseconds since 1970 moved to UK clock time (an hour ahead in British Summer
/// Time).
pub fn uk_local_millis(utc_millis: i64) -> i64 {
    match Timestamp::from_millisecond(utc_millis) {
        Ok(instant) => utc_millis + i64::from(LONDON.to_offset(instant).seconds()) * 1000,
        Err(_) => utc_millis,
    }
}

/// The date (UTC) of a time in milliseconds since 1970, as `YYYY-MM-DD`.
pub fn date_of_millis(millis: i64) -> String {
    date_of_day(millis.div_euclid(86_400_000)).to_string()
}

/// The year, month and day of a count of days since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let date = date_of_day(days);
    (i64::from(date.year()), date.month().unsigned_abs().into(), date.day().unsigned_abs().into())
}

/// The count of days since 1970-01-01 of a date; a day past the end of its month runs on into
/// the next.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    // Both fit once brought into the range of dates the calendar knows (years -9999 to 9999).
    let year = i16::try_from(year.clamp(-9999, 9999)).unwrap_or(1970);
    let month = i8::try_from(month.clamp(1, 12)).unwrap_or(1);
    let first = Date::new(year, month, 1).unwrap_or(EPOCH);
    first.duration_since(EPOCH).as_hours() / 24 + i64::from(day) - 1
}

/// The date a count of days since 1970-01-01 falls on, kept within the dates the calendar knows.
fn date_of_day(days: i64) -> Date {
    EPOCH.saturating_add(SignedDuration::from_hours(days.clamp(-10_000_000, 10_000_000) * 24))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;

    #[test]
    fn converts_dates_both_ways() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(2026, 11, 23), 20_780);
        assert_eq!(civil_from_days(20_780), (2026, 11, 23));
        assert_eq!(civil_from_days(days_from_civil(2028, 2, 29)), (2028, 2, 29));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(days_from_civil(2026, 2, 29), days_from_civil(2026, 3, 1));
        assert_eq!(date_of_millis(20_780 * 86_400_000 + 5), "2026-11-23");
    }

    #[test]
    fn uk_clocks_go_forward_in_summer() {
        // 2026-07-01 23:30 UTC is already 2 July in London.
        let summer = days_from_civil(2026, 7, 1) * 86_400_000 + 23 * HOUR + HOUR / 2;
        assert_eq!(date_of_millis(uk_local_millis(summer)), "2026-07-02");
        let winter = days_from_civil(2026, 12, 1) * 86_400_000 + 23 * HOUR + HOUR / 2;
        assert_eq!(date_of_millis(uk_local_millis(winter)), "2026-12-01");
    }

    #[test]
    fn uk_clocks_change_at_one_in_the_morning_utc_on_both_2026_changes() {
        // Summer time began at 01:00 UTC on Sunday 29 March 2026 and ended at 01:00 UTC on
        // Sunday 25 October 2026.
        for (day, before, after) in [((2026, 3, 29), 0, HOUR), ((2026, 10, 25), HOUR, 0)] {
            let one_am = days_from_civil(day.0, day.1, day.2) * 86_400_000 + HOUR;
            assert_eq!(uk_local_millis(one_am - 1) - (one_am - 1), before, "just before the change on {day:?}");
            assert_eq!(uk_local_millis(one_am) - one_am, after, "at the change on {day:?}");
        }
        let spring = days_from_civil(2026, 3, 29) * 86_400_000;
        assert_eq!(date_of_millis(uk_local_millis(spring + 23 * HOUR + HOUR / 2)), "2026-03-30");
        let autumn = days_from_civil(2026, 10, 25) * 86_400_000;
        assert_eq!(date_of_millis(uk_local_millis(autumn + 23 * HOUR + HOUR / 2)), "2026-10-25");
    }
}
