//! Replaying a text fixture through the engine, and writing the resulting changes as text:
//! the golden tests use both, and so can a `vigie rules test` command.
//!
//! # Fixture format
//!
//! One event per line; `#` starts a comment; blank lines are ignored.
//!
//! ```text
//! t=0 gauge-ouche-01 2.1      # a reading of 2.1, in the sensor's unit, at t = 0 s
//! t=300 gauge-ouche-01 2.6
//! t=900 tick                  # the clock ticks: silences, for_s, windows expiring
//! ```
//!
//! `t` is in whole seconds, from a local midnight: the local hour given to conditions is
//! `t / 3600` modulo 24, so `t=27000` is 07:30. Times must not go backwards.
//!
//! # Output format
//!
//! One change per line, as [`render`] writes them:
//!
//! ```text
//! t=300 raised ouche-crue gauge-ouche-01 flood severity=4 p1 value=2.6
//! t=120 raised feu-confirme bibliotheque fire severity=5 p1 sensors=heat-bib-01,smoke-bib-01
//! t=900 cleared ouche-crue gauge-ouche-01
//! ```
//!
//! `sensors=` appears when the subject is a zone; `value=` when the alarm has one.

use crate::engine::{AlarmChange, RuleState, SensorInfo, evaluate, tick};
use crate::load::RuleSet;
use crate::rule::{Language, format_number};
use vigie_core::{Observation, Timestamp};

/// A fixture line that could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("fixture line {line}: {message}")]
pub struct FixtureError {
    /// 1-based.
    pub line: usize,
    pub message: String,
}

/// Runs every line of `fixture` through [`evaluate`] or [`tick`], from an empty state, and
/// returns every change in order.
pub fn replay(rules: &RuleSet, sensors: &[SensorInfo], fixture: &str) -> Result<Vec<AlarmChange>, FixtureError> {
    let mut state = RuleState::default();
    let mut changes = Vec::new();
    let mut previous_seconds = i64::MIN;
    for (index, raw_line) in fixture.lines().enumerate() {
        let line = index + 1;
        let fail = |message: String| FixtureError { line, message };
        let content = raw_line.split('#').next().unwrap_or_default().trim();
        if content.is_empty() {
            continue;
        }
        // `content` is not empty once trimmed, so it has a first word.
        let words: Vec<&str> = content.split_whitespace().collect();
        let Some(seconds_text) = words[0].strip_prefix("t=") else {
            return Err(fail(format!("expected `t=<seconds>` first, found {:?}", words[0])));
        };
        let seconds: i64 = seconds_text
            .parse()
            .ok()
            .filter(|seconds| (0..=i64::MAX / 1000).contains(seconds))
            .ok_or_else(|| fail(format!("expected whole seconds after `t=`, found {seconds_text:?}")))?;
        if seconds < previous_seconds {
            return Err(fail(format!("time goes backwards, from t={previous_seconds} to t={seconds}")));
        }
        previous_seconds = seconds;
        let now = Timestamp(seconds * 1000);
        match words[1..] {
            ["tick"] => changes.extend(tick(&mut state, rules, sensors, now)),
            [sensor_id, value_text] => {
                let Some(sensor) = sensors.iter().find(|sensor| sensor.id.as_str() == sensor_id) else {
                    return Err(fail(format!("unknown sensor {sensor_id:?}")));
                };
                let value: f64 =
                    value_text.parse().map_err(|_| fail(format!("expected a number, found {value_text:?}")))?;
                let observation = Observation {
                    sensor_id: sensor.id.clone(),
                    time: now,
                    value,
                    unit: sensor.unit.clone(),
                    evidence: None,
                };
                let hour = u8::try_from(seconds / 3600 % 24).unwrap_or_default();
                changes.extend(evaluate(&mut state, rules, sensor, &observation, now, hour));
            }
            _ => return Err(fail("expected `t=<seconds> <sensor> <value>` or `t=<seconds> tick`".to_owned())),
        }
    }
    Ok(changes)
}

/// Writes changes one per line, in the format of the module's documentation.
pub fn render(changes: &[AlarmChange]) -> String {
    let mut text = String::new();
    for change in changes {
        match change {
            AlarmChange::Raised(alarm) => {
                let priority = format!("{:?}", alarm.priority).to_lowercase();
                text.push_str(&format!(
                    "t={} raised {} {} {} severity={} {priority}",
                    seconds(alarm.at),
                    alarm.rule,
                    alarm.subject,
                    alarm.category,
                    alarm.severity
                ));
                if let Some(value) = alarm.value {
                    text.push_str(&format!(" value={}", format_number(value, Language::English)));
                }
                let about_one_sensor = alarm.sensors.len() == 1 && alarm.sensors[0].as_str() == alarm.subject;
                if !about_one_sensor {
                    let sensors = alarm.sensors.iter().map(|sensor| sensor.as_str()).collect::<Vec<_>>().join(",");
                    text.push_str(&format!(" sensors={sensors}"));
                }
            }
            AlarmChange::Cleared { rule, subject, at } => {
                text.push_str(&format!("t={} cleared {rule} {subject}", seconds(*at)));
            }
        }
        text.push('\n');
    }
    text
}

/// Seconds, with milliseconds only when there are some.
fn seconds(at: Timestamp) -> String {
    let millis = at.millis();
    if millis % 1000 == 0 { format!("{}", millis / 1000) } else { format!("{:.3}", millis as f64 / 1000.0) }
}
