//! The one check of an incoming reading: a known sensor, a finite value, a plausible time and
//! the sensor's own unit. HTTP and MQTT both go through [`validate_observation`].

use serde::Deserialize;
use vigie_city::City;
use vigie_core::{Observation, SensorId, Timestamp};

/// A reading as a device sends it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObservationIn {
    pub sensor_id: String,
    pub time: TimeIn,
    pub value: f64,
    #[serde(default)]
    pub unit: Option<String>,
    /// The id of a redacted evidence snapshot posted to `/api/snapshots` first.
    #[serde(default)]
    pub evidence: Option<String>,
}

/// A time as devices send it: RFC 3339 text or milliseconds since the epoch.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum TimeIn {
    Millis(i64),
    Text(String),
}

/// Why a reading was refused, and which field (`sensor_id`, `time`, `value`, `unit`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Rejected {
    pub field: &'static str,
    pub message: String,
}

/// How far in the future a reading may claim to be (clock skew of field devices).
pub const MAX_FUTURE_SKEW_MS: i64 = 5 * 60 * 1000;

fn rejected(field: &'static str, message: impl Into<String>) -> Rejected {
    Rejected { field, message: message.into() }
}

impl TimeIn {
    /// Returns the time as a [`Timestamp`].
    pub fn to_timestamp(&self) -> Result<Timestamp, Rejected> {
        match self {
            TimeIn::Millis(millis) => Ok(Timestamp(*millis)),
            TimeIn::Text(text) => Timestamp::parse_rfc3339(text).map_err(|error| rejected("time", error.to_string())),
        }
    }
}

/// Checks `incoming` against the city pack at time `now`; the unit defaults to the sensor's.
pub fn validate_observation(city: &City, incoming: ObservationIn, now: Timestamp) -> Result<Observation, Rejected> {
    let sensor_id = SensorId::parse(&incoming.sensor_id).map_err(|error| rejected("sensor_id", error.to_string()))?;
    let Some(sensor) = city.sensor(&sensor_id) else {
        return Err(rejected("sensor_id", format!("unknown sensor {sensor_id:?}")));
    };
    if !incoming.value.is_finite() {
        return Err(rejected("value", "value must be a finite number"));
    }
    let time = incoming.time.to_timestamp()?;
    if time.0 > now.0 + MAX_FUTURE_SKEW_MS {
        return Err(rejected("time", "time is more than 5 minutes in the future"));
    }
    let unit = match incoming.unit {
        Some(unit) if unit != sensor.unit => {
            return Err(rejected("unit", format!("sensor {sensor_id} measures in {:?}, not {unit:?}", sensor.unit)));
        }
        Some(unit) => unit,
        None => sensor.unit.clone(),
    };
    let evidence = match incoming.evidence {
        Some(id) if !is_media_id(&id) => return Err(rejected("evidence", format!("{id:?} is not a snapshot id"))),
        evidence => evidence,
    };
    Ok(Observation { sensor_id, time, value: incoming.value, unit, evidence })
}

/// Whether `text` has the shape of a media store id: 1 to 64 ASCII letters, digits or `-`.
fn is_media_id(text: &str) -> bool {
    (1..=64).contains(&text.len()) && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}
