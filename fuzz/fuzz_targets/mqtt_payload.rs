//! An MQTT message: the input's first line is the topic (optionally `<prefix> <topic>`), the rest
//! is the payload. The payload is also parsed whole, and the message goes through the same
//! `check_message` as the broker's (topic, sensor, commune, payload, validation).
//!
//! Invariants: nothing panics; a parsed topic is rebuilt exactly by `observation_topic`; a
//! compact reading re-encoded by `encode_compact` parses back to the same time and value; an
//! accepted message satisfies `check_accepted`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use vigie_core::Timestamp;
use vigie_fuzz::{NOW, check_accepted, demo_city};
use vigie_ingest::TimeIn;
use vigie_ingest::mqtt::payload::{PayloadReading, encode_compact, parse_payload};
use vigie_ingest::mqtt::source::{Scope, check_message};
use vigie_ingest::mqtt::topic::{DEFAULT_TOPIC_PREFIX, check_prefix, observation_topic, parse_topic};

fuzz_target!(|data: &[u8]| {
    if let Ok(reading) = parse_payload(data) {
        check_compact_round_trip(&reading);
    }

    let (first_line, payload) = match data.iter().position(|&byte| byte == b'\n') {
        Some(end) => (&data[..end], &data[end + 1..]),
        None => (data, &[][..]),
    };
    let Ok(first_line) = std::str::from_utf8(first_line) else { return };
    let (prefix, topic) = first_line.split_once(' ').unwrap_or((DEFAULT_TOPIC_PREFIX, first_line));
    let prefix_ok = check_prefix(prefix).is_ok();
    if let Ok(named) = parse_topic(prefix, topic)
        && prefix_ok
    {
        let rebuilt = observation_topic(prefix, named.commune.as_str(), named.sensor.as_str());
        assert_eq!(rebuilt, topic, "a parsed topic is rebuilt exactly");
    }

    let city = demo_city();
    if let Ok(observation) = check_message(&city, prefix, Scope::Everything, topic, payload, NOW) {
        check_accepted(&city, &observation, NOW);
    }
});

/// Re-encodes a reading in the compact form and parses it back.
fn check_compact_round_trip(reading: &PayloadReading) {
    let time = match &reading.time {
        None => None,
        Some(TimeIn::Millis(millis)) => Some(Timestamp(*millis)),
        // Text times exist only in the JSON form, which has no compact equivalent.
        Some(TimeIn::Text(_)) => return,
    };
    let encoded = encode_compact(time, reading.value);
    let again = parse_payload(encoded.as_bytes()).expect("an encoded reading parses");
    let again_time = match again.time {
        None => None,
        Some(TimeIn::Millis(millis)) => Some(Timestamp(millis)),
        Some(TimeIn::Text(text)) => panic!("the compact form has no text time: {text:?}"),
    };
    assert_eq!(again_time, time, "{encoded:?} keeps its time");
    let same_value = again.value == reading.value || (again.value.is_nan() && reading.value.is_nan());
    assert!(same_value, "{encoded:?} keeps its value {}", reading.value);
}
