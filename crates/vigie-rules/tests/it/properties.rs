//! Property tests of the engine: thresholds follow their model, counts follow theirs, alarms
//! alternate raise/clear, nothing panics, windows stay bounded.

use crate::{rules, sensors};
use proptest::prelude::*;
use std::collections::BTreeSet;
use vigie_core::{Observation, Timestamp};
use vigie_rules::{AlarmChange, RuleSet, RuleState, SensorInfo, evaluate, tick};

const THRESHOLD: &str = r#"
[[rule]]
id = "seuil"
category = "flood"
severity = 4
description_fr = "x"
description_en = "x"
select = { id = "gauge-1" }
when = { threshold = { raise = 2.5, clear = 2.2 } }
"#;

/// Every operator, on every sensor, with short windows so that they fill and empty.
const EVERY_OPERATOR: &str = r#"
[[rule]]
id = "seuil"
category = "flood"
severity = 4
description_fr = "{sensor} {value} {unit}"
description_en = "{sensor} {value} {unit}"
when = { threshold = { raise = 2.5, clear = 2.2 } }
for_s = 30

[[rule]]
id = "bas"
category = "flood"
severity = 2
description_fr = "x"
description_en = "x"
when = { threshold = { raise = -1, clear = 0, below = true } }

[[rule]]
id = "montee"
category = "flood"
severity = 3
description_fr = "{value} {unit}"
description_en = "{value} {unit}"
when = { rate = { window_s = 120, raise = 10, clear = 5, min_span_s = 10 } }

[[rule]]
id = "compte"
category = "traffic"
severity = 2
description_fr = "x"
description_en = "x"
when = { count = { at_least = 3, window_s = 60, condition = "value > 1 && 10 / value < 5" } }

[[rule]]
id = "muet"
category = "sensor_fault"
severity = 1
description_fr = "x"
description_en = "x"
when = { silence = { after_s = 90 } }

[[rule]]
id = "nuit"
category = "intrusion"
severity = 4
description_fr = "x"
description_en = "x"
when = { condition = "value >= 1 && (hour < 7 || hour >= 20) && sensor.zone != ''" }
for_s = 20

[[rule]]
id = "correle"
category = "fire"
severity = 5
description_fr = "{zone}"
description_en = "{zone}"
when = { correlation = { rules = ["seuil", "compte", "muet"], at_least = 2, window_s = 60 } }
"#;

/// One input: a reading of sensor `sensor` (an index) or a tick, `step_ms` after the last.
#[derive(Clone, Debug)]
enum Input {
    Reading { sensor: usize, value: f64, hour: u8 },
    Tick,
}

fn input() -> impl Strategy<Value = (i64, Input)> {
    let value = prop_oneof![
        8 => -5.0..10.0_f64,
        1 => proptest::num::f64::ANY,
        1 => Just(0.0),
    ];
    let reading =
        (0..11_usize, value, 0..24_u8).prop_map(|(sensor, value, hour)| Input::Reading { sensor, value, hour });
    let step = prop_oneof![5 => 0..30_000_i64, 1 => -5_000..0_i64, 1 => 0..400_000_i64];
    (step, prop_oneof![4 => reading, 1 => Just(Input::Tick)])
}

/// Runs inputs through the engine, checking after each step that alarms alternate and that the
/// state's standing alarms are those the changes say.
fn run(rules: &RuleSet, sensors: &[SensorInfo], inputs: &[(i64, Input)]) -> Result<RuleState, TestCaseError> {
    let mut state = RuleState::default();
    let mut standing: BTreeSet<(String, String)> = BTreeSet::new();
    let mut now = Timestamp(1_000_000);
    for (step_ms, input) in inputs {
        now = Timestamp(now.millis() + step_ms);
        let changes = match input {
            Input::Reading { sensor, value, hour } => {
                let sensor = &sensors[*sensor % sensors.len()];
                let observation = Observation {
                    sensor_id: sensor.id.clone(),
                    time: now,
                    value: *value,
                    unit: sensor.unit.clone(),
                    evidence: None,
                };
                evaluate(&mut state, rules, sensor, &observation, now, *hour)
            }
            Input::Tick => tick(&mut state, rules, sensors, now),
        };
        for change in changes {
            match change {
                AlarmChange::Raised(alarm) => {
                    prop_assert!(
                        standing.insert((alarm.rule.clone(), alarm.subject.clone())),
                        "raised twice: {alarm:?}"
                    );
                    prop_assert!(!alarm.sensors.is_empty());
                }
                AlarmChange::Cleared { rule, subject, .. } => {
                    prop_assert!(
                        standing.remove(&(rule.clone(), subject.clone())),
                        "cleared without a raise: {rule} {subject}"
                    );
                }
            }
        }
        let from_state: BTreeSet<(String, String)> =
            state.standing().into_iter().map(|(rule, subject)| (rule.to_owned(), subject.to_owned())).collect();
        prop_assert_eq!(&from_state, &standing);
    }
    Ok(state)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn threshold_stands_when_last_reading_is_above_raise_or_it_stood_and_is_above_clear(
        values in proptest::collection::vec(prop_oneof![1.5..3.5_f64, Just(2.2), Just(2.5)], 1..60),
    ) {
        let rules = rules(THRESHOLD);
        let sensors = sensors();
        let gauge = &sensors[0];
        let mut state = RuleState::default();
        let mut stood = false;
        for (index, value) in values.iter().enumerate() {
            let now = Timestamp(index as i64 * 60_000);
            let observation = Observation { sensor_id: gauge.id.clone(), time: now, value: *value, unit: "m".to_owned(), evidence: None };
            let changes = evaluate(&mut state, &rules, gauge, &observation, now, 12);
            let stands = *value >= 2.5 || (stood && *value > 2.2);
            let expected_changes = usize::from(stands != stood);
            prop_assert_eq!(changes.len(), expected_changes, "at {} ({}): {:?}", index, value, changes);
            prop_assert_eq!(state.standing().len(), usize::from(stands));
            stood = stands;
        }
    }

    #[test]
    fn count_stands_when_enough_matching_readings_are_in_the_window(
        readings in proptest::collection::vec((1..40_i64, 0.0..3.0_f64), 1..80),
    ) {
        let rules = rules(
            r#"
            [[rule]]
            id = "compte"
            category = "traffic"
            severity = 2
            description_fr = "x"
            description_en = "x"
            select = { id = "air-1" }
            when = { count = { at_least = 3, window_s = 60, condition = "value > 1" } }
            "#,
        );
        let sensors = sensors();
        let air = &sensors[10];
        let mut state = RuleState::default();
        let mut matches: Vec<i64> = Vec::new();
        let mut now_s = 0;
        for (step_s, value) in readings {
            now_s += step_s;
            let now = Timestamp(now_s * 1000);
            if value > 1.0 {
                matches.push(now_s);
            }
            let observation = Observation { sensor_id: air.id.clone(), time: now, value, unit: "µg/m³".to_owned(), evidence: None };
            evaluate(&mut state, &rules, air, &observation, now, 12);
            let in_window = matches.iter().filter(|at| **at >= now_s - 60).count();
            prop_assert_eq!(state.standing().len(), usize::from(in_window >= 3), "at {}s: {:?}", now_s, matches);
        }
    }

    #[test]
    fn engine_never_panics_and_alarms_alternate(inputs in proptest::collection::vec(input(), 0..200)) {
        let rules = rules(EVERY_OPERATOR);
        let sensors = sensors();
        run(&rules, &sensors, &inputs)?;
    }

    #[test]
    fn windows_stay_bounded(inputs in proptest::collection::vec(input(), 0..300)) {
        let rules = rules(EVERY_OPERATOR);
        let sensors = sensors();
        // Readings at least a second apart: a 120 s window holds at most 121 of them per
        // sensor, a 60 s one 61, and a correlation one member per (rule, sensor).
        let spaced: Vec<(i64, Input)> =
            inputs.into_iter().map(|(step_ms, input)| (step_ms.max(0) / 1000 * 1000 + 1000, input)).collect();
        let state = run(&rules, &sensors, &spaced)?;
        let bound = sensors.len() * (121 + 61 + 3);
        prop_assert!(state.buffered() <= bound, "{} > {}", state.buffered(), bound);
    }

    #[test]
    fn windows_empty_once_time_moves_past_them(inputs in proptest::collection::vec(input(), 0..200)) {
        let rules = rules(EVERY_OPERATOR);
        let sensors = sensors();
        let mut state = run(&rules, &sensors, &inputs)?;
        let later = Timestamp(1_000_000 + 200 * 400_000 + 1_000_000);
        tick(&mut state, &rules, &sensors, later);
        // Every window has expired; only correlation members whose own alarm still stands
        // remain, one per (rule, sensor) at most.
        prop_assert!(state.buffered() <= sensors.len() * 3, "{}", state.buffered());
        // With every sensor removed, nothing is left.
        tick(&mut state, &rules, &[], later);
        prop_assert_eq!(state.buffered(), 0);
        prop_assert!(state.standing().is_empty());
    }
}
