//! Local time for the daily profiles: the hour of the day and the day of the week.
//!
//! The simulator takes local time as UTC+1, Central European Time, all year round. It does not
//! follow summer time: from the end of March to the end of October its days run one hour
//! early against Paris' clocks. That keeps it free of a time-zone database and makes every day
//! exactly 24 hours long, which the scenarios' "next night" arithmetic relies on.

use vigie_core::Timestamp;

/// The offset of the simulator's local time from UTC, in seconds (UTC+1).
pub const LOCAL_UTC_OFFSET_S: i64 = 3600;

const MILLIS_PER_DAY: i64 = 86_400_000;

/// A moment in the simulator's local time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocalTime {
    /// Milliseconds since local midnight, in `0..86_400_000`.
    pub millis_of_day: i64,
    /// The day of the week, 0 for Monday to 6 for Sunday.
    pub weekday: u8,
}

impl LocalTime {
    /// Returns the local time at `time`.
    pub fn at(time: Timestamp) -> LocalTime {
        let local_millis = time.millis() + LOCAL_UTC_OFFSET_S * 1000;
        let days = local_millis.div_euclid(MILLIS_PER_DAY);
        // 1970-01-01 was a Thursday, day 3 when Monday is 0.
        let weekday = (days + 3).rem_euclid(7) as u8;
        LocalTime { millis_of_day: local_millis.rem_euclid(MILLIS_PER_DAY), weekday }
    }

    /// Returns the hour of the day with its fraction, in `[0, 24)`.
    pub fn hour(self) -> f64 {
        self.millis_of_day as f64 / 3_600_000.0
    }

    /// Tells whether the day is a Saturday or a Sunday.
    pub fn is_weekend(self) -> bool {
        self.weekday >= 5
    }

    /// Tells whether it is night, from 22:00 to 06:00: buildings are closed and armed.
    pub fn is_night(self) -> bool {
        let hour = self.hour();
        !(6.0..22.0).contains(&hour)
    }
}

/// Returns the first instant at or after `time` when the local clock reads `hour`:00.
pub fn next_local_hour(time: Timestamp, hour: u8) -> Timestamp {
    let local = LocalTime::at(time);
    let target = i64::from(hour % 24) * 3_600_000;
    let wait = (target - local.millis_of_day).rem_euclid(MILLIS_PER_DAY);
    Timestamp(time.millis() + wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        match Timestamp::parse_rfc3339(text) {
            Ok(time) => time,
            Err(error) => panic!("{text}: {error}"),
        }
    }

    #[test]
    fn local_time_is_utc_plus_one() {
        // 2026-11-23 is a Monday.
        let monday_morning = LocalTime::at(at("2026-11-23T07:30:00Z"));
        assert_eq!(monday_morning.weekday, 0);
        assert_eq!(monday_morning.hour(), 8.5);
        assert!(!monday_morning.is_weekend() && !monday_morning.is_night());
        // 23:30 UTC on Saturday is already Sunday 00:30 locally.
        let sunday_night = LocalTime::at(at("2026-11-28T23:30:00Z"));
        assert_eq!(sunday_night.weekday, 6);
        assert_eq!(sunday_night.hour(), 0.5);
        assert!(sunday_night.is_weekend() && sunday_night.is_night());
        assert_eq!(LocalTime::at(at("1969-12-31T23:00:00Z")).weekday, 3);
    }

    #[test]
    fn next_local_hour_waits_for_the_next_occurrence() {
        let morning = at("2026-11-23T09:00:00+01:00");
        assert_eq!(next_local_hour(morning, 1), at("2026-11-24T01:00:00+01:00"));
        assert_eq!(next_local_hour(morning, 9), morning);
        assert_eq!(next_local_hour(morning, 10), at("2026-11-23T10:00:00+01:00"));
    }
}
