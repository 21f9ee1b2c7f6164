//! Time as data: the core never reads a clock.

use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch (UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Returns the timestamp as milliseconds since the Unix epoch.
    pub fn millis(self) -> i64 {
        self.0
    }

    /// Returns this timestamp moved forward by `seconds` (saturating).
    pub fn plus_seconds(self, seconds: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(seconds.saturating_mul(1000)))
    }

    /// Returns the whole seconds elapsed from `earlier` to `self` (negative if `earlier` is later).
    pub fn seconds_since(self, earlier: Timestamp) -> i64 {
        (self.0 - earlier.0) / 1000
    }
}

/// Why a date-time text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected an RFC 3339 date-time such as 2026-11-26T08:30:00Z or 2026-11-26T09:30:00.250+01:00")]
pub struct TimeParseError;

impl Timestamp {
    /// Parses an RFC 3339 date-time (`Z` or `±hh:mm` offset, optional fraction of a second).
    pub fn parse_rfc3339(text: &str) -> Result<Timestamp, TimeParseError> {
        let bytes = text.as_bytes();
        if bytes.len() < 20 || bytes[4] != b'-' || bytes[7] != b'-' || !matches!(bytes[10], b'T' | b't' | b' ') {
            return Err(TimeParseError);
        }
        if bytes[13] != b':' || bytes[16] != b':' {
            return Err(TimeParseError);
        }
        let number = |range: std::ops::Range<usize>| -> Result<i64, TimeParseError> {
            let digits = text.get(range).ok_or(TimeParseError)?;
            if !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(TimeParseError);
            }
            digits.parse::<i64>().map_err(|_| TimeParseError)
        };
        let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
        let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
        if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
            return Err(TimeParseError);
        }
        if hour > 23 || minute > 59 || second > 60 {
            return Err(TimeParseError);
        }
        let mut position = 19;
        let mut millis = 0;
        if bytes.get(position) == Some(&b'.') {
            position += 1;
            let start = position;
            while position < bytes.len() && bytes[position].is_ascii_digit() {
                position += 1;
            }
            if position == start {
                return Err(TimeParseError);
            }
            let fraction = &text[start..position.min(start + 3)];
            millis = fraction.parse::<i64>().map_err(|_| TimeParseError)? * 10_i64.pow(3 - fraction.len() as u32);
        }
        let offset_seconds = match &text[position..] {
            "Z" | "z" => 0,
            offset
                if offset.len() == 6 && matches!(offset.as_bytes()[0], b'+' | b'-') && offset.as_bytes()[3] == b':' =>
            {
                let hours = number(position + 1..position + 3)?;
                let minutes = number(position + 4..position + 6)?;
                if hours > 23 || minutes > 59 {
                    return Err(TimeParseError);
                }
                let sign = if offset.as_bytes()[0] == b'-' { -1 } else { 1 };
                sign * (hours * 3600 + minutes * 60)
            }
            _ => return Err(TimeParseError),
        };
        let days = days_from_civil(year, month, day);
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second.min(59) - offset_seconds;
        Ok(Timestamp(seconds * 1000 + millis))
    }

    /// Formats as RFC 3339 in UTC with milliseconds, e.g. `2026-11-26T08:30:00.000Z`.
    pub fn to_rfc3339(self) -> String {
        let millis = self.0.rem_euclid(1000);
        let seconds = self.0.div_euclid(1000);
        let days = seconds.div_euclid(86_400);
        let of_day = seconds.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        format!(
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
            of_day / 3600,
            of_day % 3600 / 60,
            of_day % 60
        )
    }
}

impl Timestamp {
    /// Returns the offset of French legal time from UTC at this instant, in seconds: +2 h from
    /// the last Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC, else +1 h
    /// (EU rule, directive 2000/84/EC).
    pub fn paris_offset_s(self) -> i64 {
        let (year, _, _) = civil_from_days(self.0.div_euclid(86_400_000));
        let last_sunday = |month: i64| -> i64 {
            let last_day = days_from_civil(year, month, 31);
            // 1970-01-01 was a Thursday: weekday 0 = Monday .. 6 = Sunday.
            let weekday = (last_day + 3).rem_euclid(7);
            last_day - (weekday - 6).rem_euclid(7)
        };
        let summer_starts = (last_sunday(3) * 86_400 + 3600) * 1000;
        let summer_ends = (last_sunday(10) * 86_400 + 3600) * 1000;
        if self.0 >= summer_starts && self.0 < summer_ends { 7200 } else { 3600 }
    }

    /// Returns the hour of day (0–23) in French legal time.
    pub fn paris_hour(self) -> u8 {
        let local = self.0 / 1000 + self.paris_offset_s();
        (local.rem_euclid(86_400) / 3600) as u8
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
    let year = year_of_era + era * 400 + if month <= 2 { 1 } else { 0 };
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_utc_offsets_and_fractions() {
        assert_eq!(Timestamp::parse_rfc3339("1970-01-01T00:00:00Z"), Ok(Timestamp(0)));
        assert_eq!(
            Timestamp::parse_rfc3339("2026-11-26T09:30:00.250+01:00"),
            Timestamp::parse_rfc3339("2026-11-26T08:30:00.25Z")
        );
        assert_eq!(Timestamp(1_795_000_000_123).to_rfc3339(), "2026-11-18T11:06:40.123Z");
        for bad in [
            "",
            "2026-13-01T00:00:00Z",
            "2026-02-30T00:00:00Z",
            "2026-11-26T08:30:00",
            "2026-11-26T24:00:00Z",
            "2026-11-26T08:30:00.Z",
        ] {
            assert_eq!(Timestamp::parse_rfc3339(bad), Err(TimeParseError), "{bad}");
        }
    }

    #[test]
    fn paris_time_follows_the_eu_summer_rule() {
        let at = |text: &str| Timestamp::parse_rfc3339(text).unwrap();
        // 2026: summer time from Sunday 29 March 01:00 UTC to Sunday 25 October 01:00 UTC.
        assert_eq!(at("2026-03-29T00:59:59Z").paris_offset_s(), 3600);
        assert_eq!(at("2026-03-29T01:00:00Z").paris_offset_s(), 7200);
        assert_eq!(at("2026-10-25T00:59:59Z").paris_offset_s(), 7200);
        assert_eq!(at("2026-10-25T01:00:00Z").paris_offset_s(), 3600);
        assert_eq!(at("2026-11-26T07:30:00Z").paris_hour(), 8);
        assert_eq!(at("2026-07-14T22:30:00Z").paris_hour(), 0);
    }

    proptest! {
        #[test]
        fn format_then_parse_is_identity(millis in -62_000_000_000_000_i64..250_000_000_000_000) {
            let time = Timestamp(millis);
            prop_assert_eq!(Timestamp::parse_rfc3339(&time.to_rfc3339()), Ok(time));
        }

        #[test]
        fn parse_never_panics(text in "\\PC{0,40}") {
            let _ = Timestamp::parse_rfc3339(&text);
        }
    }
}
