//! Observation payloads, in two forms:
//!
//! - JSON: `{"time": "2026-11-26T08:30:00Z" | 1795681800000, "value": 1.42, "unit": "m"}`, where
//!   `unit` may be left out (it defaults to the sensor's) and no other field is allowed;
//! - compact text, for high-rate sensors: `<value>` (the time is the time of reception) or
//!   `<ms>,<value>` (milliseconds since the Unix epoch).
//!
//! The sensor id is never in the payload: it comes from the topic. Parsing only checks the
//! shape; [`crate::validate_observation`] then checks the reading against the city pack.

use crate::validate::{ObservationIn, TimeIn};
use serde::Deserialize;
use vigie_core::{SensorId, Timestamp};

/// The largest payload read; anything longer is malformed (a reading is a few dozen bytes).
pub const MAX_PAYLOAD_BYTES: usize = 4096;

/// A reading as the payload carries it, before validation.
#[derive(Debug, Clone)]
pub struct PayloadReading {
    /// `None`: the time of reception.
    pub time: Option<TimeIn>,
    pub value: f64,
    pub unit: Option<String>,
}

impl PayloadReading {
    /// Returns the reading for [`crate::validate_observation`], for `sensor` (from the topic),
    /// received at `received`.
    pub fn into_observation_in(self, sensor: &SensorId, received: Timestamp) -> ObservationIn {
        ObservationIn {
            sensor_id: sensor.as_str().to_owned(),
            time: self.time.unwrap_or(TimeIn::Millis(received.0)),
            value: self.value,
            unit: self.unit,
            evidence: None,
        }
    }
}

/// Why a payload is not a reading.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("the payload is empty")]
    Empty,
    #[error("the payload has {size} bytes; at most {MAX_PAYLOAD_BYTES} are read")]
    TooLarge { size: usize },
    #[error("the payload is not UTF-8 text")]
    NotText,
    #[error("invalid JSON reading: {0}")]
    Json(String),
    #[error("invalid compact reading {text:?}: expected <value> or <ms>,<value>")]
    Compact { text: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonReading {
    time: TimeIn,
    value: f64,
    #[serde(default)]
    unit: Option<String>,
}

/// Parses a payload in either form.
pub fn parse_payload(payload: &[u8]) -> Result<PayloadReading, PayloadError> {
    if payload.len() > MAX_PAYLOAD_BYTES {
        return Err(PayloadError::TooLarge { size: payload.len() });
    }
    let text = std::str::from_utf8(payload).map_err(|_| PayloadError::NotText)?.trim();
    if text.is_empty() {
        return Err(PayloadError::Empty);
    }
    if text.starts_with('{') {
        let reading: JsonReading = serde_json::from_str(text).map_err(|error| PayloadError::Json(error.to_string()))?;
        return Ok(PayloadReading { time: Some(reading.time), value: reading.value, unit: reading.unit });
    }
    parse_compact(text)
}

fn parse_compact(text: &str) -> Result<PayloadReading, PayloadError> {
    let compact_error = || PayloadError::Compact { text: text.chars().take(64).collect() };
    let (time, value) = match text.split_once(',') {
        Some((millis, value)) => {
            let millis: i64 = millis.trim().parse().map_err(|_| compact_error())?;
            (Some(TimeIn::Millis(millis)), value.trim())
        }
        None => (None, text),
    };
    // `f64::from_str` also takes "inf" and "NaN"; validation refuses non-finite values.
    let value: f64 = value.parse().map_err(|_| compact_error())?;
    Ok(PayloadReading { time, value, unit: None })
}

/// Returns the compact text form of a reading: `<ms>,<value>`, or `<value>` without a time.
pub fn encode_compact(time: Option<Timestamp>, value: f64) -> String {
    match time {
        Some(time) => format!("{},{value}", time.0),
        None => format!("{value}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn millis(reading: &PayloadReading) -> Option<i64> {
        match reading.time {
            Some(TimeIn::Millis(millis)) => Some(millis),
            _ => None,
        }
    }

    #[test]
    fn parses_json_readings() {
        let reading = parse_payload(br#"{"time": "2026-11-26T08:30:00Z", "value": 1.42, "unit": "m"}"#).unwrap();
        assert!(matches!(&reading.time, Some(TimeIn::Text(text)) if text == "2026-11-26T08:30:00Z"));
        assert_eq!(reading.value, 1.42);
        assert_eq!(reading.unit.as_deref(), Some("m"));
        let reading = parse_payload(br#"{"time": 1795681800000, "value": 3}"#).unwrap();
        assert_eq!(millis(&reading), Some(1_795_681_800_000));
        assert_eq!(reading.unit, None);
    }

    #[test]
    fn refuses_bad_json() {
        for bad in [
            &br#"{"time": 1, "value": "high"}"#[..],
            br#"{"value": 1.0}"#,
            br#"{"time": 1, "value": 1.0, "sensor_id": "x"}"#,
            br#"{"time": 1, "value": 1.0"#,
            br#"{"time": 1.5, "value": 1.0}"#,
        ] {
            assert!(matches!(parse_payload(bad), Err(PayloadError::Json(_))), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn parses_compact_readings() {
        let reading = parse_payload(b"1.42").unwrap();
        assert_eq!((reading.time.is_none(), reading.value), (true, 1.42));
        let reading = parse_payload(b"1795681800000,-3.5\n").unwrap();
        assert_eq!((millis(&reading), reading.value), (Some(1_795_681_800_000), -3.5));
        let received = Timestamp(7);
        let sensor = SensorId::parse("s1").unwrap();
        let incoming = parse_payload(b"2").unwrap().into_observation_in(&sensor, received);
        assert!(matches!(incoming.time, TimeIn::Millis(7)));
        assert_eq!(incoming.sensor_id, "s1");
    }

    #[test]
    fn refuses_bad_compact_text() {
        assert_eq!(parse_payload(b"").unwrap_err(), PayloadError::Empty);
        assert_eq!(parse_payload(b"  \n").unwrap_err(), PayloadError::Empty);
        assert_eq!(parse_payload(&[0xff, 0x31]).unwrap_err(), PayloadError::NotText);
        assert!(matches!(parse_payload(&[b'1'; MAX_PAYLOAD_BYTES + 1]), Err(PayloadError::TooLarge { .. })));
        for bad in ["high", "1,2,3", "1.5,2", ",2", "12,", "0x10"] {
            assert!(matches!(parse_payload(bad.as_bytes()), Err(PayloadError::Compact { .. })), "{bad:?}");
        }
    }

    #[test]
    fn encodes_what_it_parses() {
        let reading = parse_payload(encode_compact(Some(Timestamp(1_795_681_800_000)), 0.25).as_bytes()).unwrap();
        assert_eq!((millis(&reading), reading.value), (Some(1_795_681_800_000), 0.25));
        assert_eq!(encode_compact(None, 3.0), "3");
    }

    proptest! {
        #[test]
        fn parsing_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = parse_payload(&bytes);
        }

        #[test]
        fn parsing_arbitrary_text_never_panics(text in "\\PC{0,120}") {
            let _ = parse_payload(text.as_bytes());
        }

        #[test]
        fn parsing_json_like_text_never_panics(text in r#"\{("(time|value|unit)": ?(-?[0-9.e]{0,24}|"[^"]{0,30}"|null|\[\]|\{\}),? ?){0,4}\}?"#) {
            let _ = parse_payload(text.as_bytes());
        }

        #[test]
        fn compact_readings_round_trip(time in proptest::option::of(0i64..4_000_000_000_000), value in -1e12f64..1e12) {
            let reading = parse_payload(encode_compact(time.map(Timestamp), value).as_bytes()).unwrap();
            prop_assert_eq!(reading.value, value);
            prop_assert_eq!(millis(&reading), time);
        }
    }
}
