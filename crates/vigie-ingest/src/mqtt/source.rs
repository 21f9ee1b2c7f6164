//! What happens to one MQTT message, whichever way it came in (embedded broker or external
//! broker): topic, scope, payload, then the shared [`validate_observation`]. A refused message
//! is dead-lettered, counted and logged (rate-limited); it never stops anything.
//!
//! The checks run in this order, and the first failure names the refusal:
//! 1. the topic is `<prefix>/<commune>/<sensor-id>/obs` — else `malformed`;
//! 2. the sensor exists and lies in the topic's commune — else `rejected`;
//! 3. the device may publish for that sensor or commune — else `unauthorised`;
//! 4. the payload is a reading (JSON or compact text) — else `malformed`;
//! 5. [`validate_observation`] accepts it (finite value, plausible time, the sensor's unit) —
//!    else `rejected`.

use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};
use vigie_city::City;
use vigie_core::{Observation, Timestamp};
use vigie_store::{DEAD_LETTER_PAYLOAD_MAX, DeadLetter};

use super::MqttContext;
use super::devices::Device;
use super::payload::parse_payload;
use super::topic::parse_topic;
use crate::metrics::{METRICS, Outcome};
use crate::validate::validate_observation;

/// Why a message was refused: the dead letter's stable reason code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefusalReason {
    Malformed,
    Unauthorised,
    Rejected,
}

impl RefusalReason {
    /// Returns the reason code kept in the dead letter.
    pub fn as_str(self) -> &'static str {
        self.outcome().as_str()
    }

    /// Returns the metrics outcome.
    pub fn outcome(self) -> Outcome {
        match self {
            RefusalReason::Malformed => Outcome::Malformed,
            RefusalReason::Unauthorised => Outcome::Unauthorised,
            RefusalReason::Rejected => Outcome::Rejected,
        }
    }
}

/// A refused message: the reason code and, for people, what was wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub reason: RefusalReason,
    pub detail: String,
}

impl Refusal {
    fn new(reason: RefusalReason, detail: impl Into<String>) -> Self {
        Refusal { reason, detail: detail.into() }
    }
}

/// Who may publish what on a connection.
#[derive(Clone, Copy, Debug)]
pub enum Scope<'a> {
    /// Any sensor: anonymous development access, or an external broker that did the access
    /// control itself.
    Everything,
    /// Only what this device's scope allows.
    Device(&'a Device),
}

/// Turns one message into an observation, or says why not.
pub fn check_message(
    city: &City,
    prefix: &str,
    scope: Scope<'_>,
    topic: &str,
    payload: &[u8],
    now: Timestamp,
) -> Result<Observation, Refusal> {
    let named = parse_topic(prefix, topic)
        .map_err(|error| Refusal::new(RefusalReason::Malformed, format!("topic {topic:?}: {error}")))?;
    let Some(sensor) = city.sensor(&named.sensor) else {
        return Err(Refusal::new(RefusalReason::Rejected, format!("unknown sensor {:?}", named.sensor.as_str())));
    };
    if sensor.commune != named.commune {
        return Err(Refusal::new(
            RefusalReason::Rejected,
            format!("sensor {} is in commune {}, not {}", sensor.id, sensor.commune, named.commune),
        ));
    }
    if let Scope::Device(device) = scope
        && !device.may_publish(&named.sensor, &named.commune)
    {
        return Err(Refusal::new(
            RefusalReason::Unauthorised,
            format!("device {} may not publish for sensor {}", device.id, named.sensor),
        ));
    }
    let reading = parse_payload(payload).map_err(|error| Refusal::new(RefusalReason::Malformed, error.to_string()))?;
    validate_observation(city, reading.into_observation_in(&named.sensor, now), now)
        .map_err(|rejected| Refusal::new(RefusalReason::Rejected, rejected.to_string()))
}

/// Dead-letters, counts and logs a refused message. `sender` is the device id or client id.
pub async fn record_refusal(context: &MqttContext, refusal: &Refusal, sender: &str, topic: &str, payload: &[u8]) {
    METRICS.mqtt.count(refusal.reason.outcome(), 1);
    let now = context.clock.now();
    if log_allowed(now) {
        tracing::warn!(
            sender = %sender,
            topic = %topic,
            reason = refusal.reason.as_str(),
            detail = %refusal.detail,
            "mqtt message refused"
        );
    }
    let kept = payload.len().min(DEAD_LETTER_PAYLOAD_MAX);
    let letter = DeadLetter {
        time: now,
        channel: "mqtt".to_owned(),
        source: sender.to_owned(),
        topic: topic.to_owned(),
        reason: refusal.reason.as_str().to_owned(),
        detail: refusal.detail.clone(),
        payload: payload[..kept].to_vec(),
    };
    if let Err(error) = context.engine.dead_letter(letter).await {
        tracing::error!(error = %error, topic = %topic, "cannot keep a dead letter");
    }
}

/// The most refusal warnings logged per second; the rest are only counted.
const REFUSAL_LOGS_PER_SECOND: u32 = 10;

static LOG_SECOND: AtomicI64 = AtomicI64::new(i64::MIN);
static LOGGED_THIS_SECOND: AtomicU32 = AtomicU32::new(0);

/// A refusal flood (a misconfigured fleet) must not flood the logs: a few lines per second.
fn log_allowed(now: Timestamp) -> bool {
    let second = now.0.div_euclid(1000);
    if LOG_SECOND.swap(second, Ordering::Relaxed) != second {
        LOGGED_THIS_SECOND.store(0, Ordering::Relaxed);
    }
    LOGGED_THIS_SECOND.fetch_add(1, Ordering::Relaxed) < REFUSAL_LOGS_PER_SECOND
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mqtt::devices::{Devices, hash_secret};
    use std::path::PathBuf;

    fn demo_city() -> City {
        let pack = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../cities/demo-metropole");
        vigie_city::load(&pack).expect("the demo pack loads")
    }

    /// 2026-11-26T08:00:00Z.
    const NOW: Timestamp = Timestamp(1_795_680_000_000);

    fn reason(result: Result<Observation, Refusal>) -> RefusalReason {
        result.expect_err("refused").reason
    }

    #[test]
    fn checks_in_order() {
        let city = demo_city();
        let hash = hash_secret("pw").unwrap();
        let text = format!("[[device]]\nid = \"g\"\npassword_hash = \"{hash}\"\nsensors = [\"gauge-ouche-02\"]");
        let devices = Devices::from_toml(&text, "test").unwrap();
        let device = Scope::Device(devices.get("g").unwrap());
        let ok = check_message(&city, "vigie", device, "vigie/21231/gauge-ouche-02/obs", b"1.5", NOW).unwrap();
        assert_eq!((ok.sensor_id.as_str(), ok.value, ok.time, ok.unit.as_str()), ("gauge-ouche-02", 1.5, NOW, "m"));
        let check = |topic: &str, payload: &[u8]| check_message(&city, "vigie", device, topic, payload, NOW);
        assert_eq!(reason(check("vigie/21231/gauge-ouche-02", b"1")), RefusalReason::Malformed);
        assert_eq!(reason(check("vigie/21231/no-such-sensor/obs", b"1")), RefusalReason::Rejected);
        assert_eq!(reason(check("vigie/21003/gauge-ouche-02/obs", b"1")), RefusalReason::Rejected);
        assert_eq!(reason(check("vigie/21231/gauge-ouche-03/obs", b"1")), RefusalReason::Unauthorised);
        assert_eq!(reason(check("vigie/21231/gauge-ouche-02/obs", b"{\"value\":")), RefusalReason::Malformed);
        assert_eq!(reason(check("vigie/21231/gauge-ouche-02/obs", b"NaN")), RefusalReason::Rejected);
        let wrong_unit = br#"{"time": "2026-11-26T07:59:00Z", "value": 1, "unit": "cm"}"#;
        assert_eq!(reason(check("vigie/21231/gauge-ouche-02/obs", wrong_unit)), RefusalReason::Rejected);
        let anyone = check_message(&city, "vigie", Scope::Everything, "vigie/21231/gauge-ouche-03/obs", b"1", NOW);
        assert!(anyone.is_ok());
    }

    #[test]
    fn logs_a_few_refusals_per_second() {
        let second = Timestamp(42_000);
        let allowed = (0..100).filter(|_| log_allowed(second)).count();
        assert!(allowed <= REFUSAL_LOGS_PER_SECOND as usize);
        assert!(log_allowed(Timestamp(43_000)));
    }
}
