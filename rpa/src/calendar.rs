//! Calendar dates from the clock, without a date library: enough for `run.today` and deadlines.

use std::time::{SystemTime, UNIX_EPOCH};

/// Today's date in the UK (British Summer Time from 01:00 UTC on the last Sunday of March to
/// 01:00 UTC on the last Sunday of October) as `YYYY-MM-DD`.
pub fn today() -> String {
    let millis = SystemTime::now().duration_since(UNIX_EPOCH).map(|elapsed| elapsed.as_millis() as i64).unwrap_or(0);
    date_of_millis(uk_local_millis(millis))
}

/// A time in milliseconds since 1970 moved to UK clock time.
pub fn uk_local_millis(utc_millis: i64) -> i64 {
    let (year, _, _) = civil_from_days(utc_millis.div_euclid(86_400_000));
    let hour = 3_600_000;
    let starts = last_sunday(year, 3) * 86_400_000 + hour;
    let ends = last_sunday(year, 10) * 86_400_000 + hour;
    if (starts..ends).contains(&utc_millis) { utc_millis + hour } else { utc_millis }
}

/// The day (counted from 1970) of the last Sunday of a month.
fn last_sunday(year: i64, month: u32) -> i64 {
    let last = days_from_civil(year, month, 31);
    // 1970-01-01 was a Thursday: day 3 counting Sunday as day 0.
    let weekday = (last + 4).rem_euclid(7);
    last - weekday
}

/// The date (UTC) of a time in milliseconds since 1970, as `YYYY-MM-DD`.
pub fn date_of_millis(millis: i64) -> String {
    let (year, month, day) = civil_from_days(millis.div_euclid(86_400_000));
    format!("{year:04}-{month:02}-{day:02}")
}

/// The year, month and day of a count of days since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The count of days since 1970-01-01 of a date.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month = i64::from(month);
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_dates_both_ways() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(2026, 11, 23), 20_780);
        assert_eq!(civil_from_days(20_780), (2026, 11, 23));
        assert_eq!(civil_from_days(days_from_civil(2028, 2, 29)), (2028, 2, 29));
        assert_eq!(date_of_millis(20_780 * 86_400_000 + 5), "2026-11-23");
    }

    #[test]
    fn uk_clocks_go_forward_in_summer() {
        let hour = 3_600_000;
        // 2026-07-01 23:30 UTC is already 2 July in London.
        let summer = days_from_civil(2026, 7, 1) * 86_400_000 + 23 * hour + hour / 2;
        assert_eq!(date_of_millis(uk_local_millis(summer)), "2026-07-02");
        let winter = days_from_civil(2026, 12, 1) * 86_400_000 + 23 * hour + hour / 2;
        assert_eq!(date_of_millis(uk_local_millis(winter)), "2026-12-01");
        // Summer time began at 01:00 UTC on Sunday 29 March 2026 and ended on Sunday 25 October.
        assert_eq!(last_sunday(2026, 3), days_from_civil(2026, 3, 29));
        assert_eq!(last_sunday(2026, 10), days_from_civil(2026, 10, 25));
    }
}
