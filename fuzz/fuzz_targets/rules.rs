//! Rule files and conditions. The input's first byte picks the mode: even, the rest is a rule
//! file for `load_str`; odd, the rest is a condition for `Expr::parse`.
//!
//! A rule set that loads runs against the sensors of the small pack (`fuzz/pack/`): a fixed
//! series of readings (including zero, negative, huge and non-finite values) a minute apart,
//! each followed by a tick; then a tick with no rules left.
//!
//! Invariants: nothing panics; an alarm raises only when it does not stand and clears only when
//! it does, so the changes replayed give exactly `RuleState::standing`; once the rules are
//! gone nothing stands. A condition that parses is re-parsed identically from its own source
//! and from its serialised form, and evaluates on any reading.

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};
use vigie_core::Observation;
use vigie_engine::RuleBook;
use vigie_fuzz::{NOW, small_pack, split_selector};
use vigie_rules::expr::Context;
use vigie_rules::{AlarmChange, Expr, RuleSet, RuleState, SensorInfo, evaluate, tick};

/// The values each sensor reports, one a minute.
const VALUES: [f64; 10] = [0.0, 1.0, 2.6, 60.0, 500.0, 0.0, -5.0, f64::NAN, 1e300, f64::INFINITY];

fuzz_target!(|data: &[u8]| {
    let Some((selector, rest)) = split_selector(data) else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    if selector % 2 == 0 {
        if let Ok(rules) = vigie_rules::load_str("fuzz.toml", text) {
            run_rules(&rules);
        }
    } else if let Ok(expr) = Expr::parse(text) {
        check_expr(&expr);
    }
});

/// The rule engine's view of the small pack's sensors.
fn sensors() -> &'static [SensorInfo] {
    static SENSORS: OnceLock<Vec<SensorInfo>> = OnceLock::new();
    SENSORS.get_or_init(|| {
        let pack = small_pack();
        // The small pack is part of the fuzz crate: one that does not load is a setup problem.
        let city = vigie_city::load_texts(&pack.texts()).unwrap_or_else(|errors| panic!("fuzz/pack: {errors}"));
        RuleBook::new(Arc::new(city), RuleSet::default()).sensor_list
    })
}

fn run_rules(rules: &RuleSet) {
    let sensors = sensors();
    let mut state = RuleState::default();
    let mut standing: BTreeSet<(String, String)> = BTreeSet::new();
    for (step, value) in VALUES.iter().enumerate() {
        let now = NOW.plus_seconds(60 * step as i64);
        let hour = (step * 5 % 24) as u8;
        for sensor in sensors {
            let observation = Observation {
                sensor_id: sensor.id.clone(),
                time: now,
                value: *value,
                unit: sensor.unit.clone(),
                evidence: None,
            };
            let changes = evaluate(&mut state, rules, sensor, &observation, now, hour);
            replay(&changes, &mut standing, rules);
        }
        replay(&tick(&mut state, rules, sensors, now), &mut standing, rules);
        assert_eq!(standing_of(&state), standing, "the changes replayed give what stands");
    }
    let later = NOW.plus_seconds(3600);
    replay(&tick(&mut state, &RuleSet::default(), sensors, later), &mut standing, rules);
    assert!(standing.is_empty(), "alarms of removed rules clear: {standing:?}");
    assert!(state.standing().is_empty(), "nothing stands once the rules are gone");
}

/// Applies changes to the set of standing alarms, checking each is a real change.
fn replay(changes: &[AlarmChange], standing: &mut BTreeSet<(String, String)>, rules: &RuleSet) {
    for change in changes {
        match change {
            AlarmChange::Raised(alarm) => {
                assert!(rules.get(&alarm.rule).is_some(), "a raised alarm names a rule of the set");
                assert!((1..=5).contains(&alarm.severity), "severity {} is 1 to 5", alarm.severity);
                let fresh = standing.insert((alarm.rule.clone(), alarm.subject.clone()));
                assert!(fresh, "{}/{} raised while standing", alarm.rule, alarm.subject);
            }
            AlarmChange::Cleared { rule, subject, .. } => {
                let stood = standing.remove(&(rule.clone(), subject.clone()));
                assert!(stood, "{rule}/{subject} cleared while not standing");
            }
        }
    }
}

fn standing_of(state: &RuleState) -> BTreeSet<(String, String)> {
    state.standing().into_iter().map(|(rule, subject)| (rule.to_owned(), subject.to_owned())).collect()
}

fn check_expr(expr: &Expr) {
    assert_eq!(Expr::parse(expr.source()).as_ref(), Ok(expr), "a condition re-parses from its source");
    let json = serde_json::to_string(expr).expect("a condition serialises");
    let back: Expr = serde_json::from_str(&json).expect("a serialised condition parses");
    assert_eq!(&back, expr, "a condition survives serialisation");
    let values = [0.0, -1.0, 1e308, -1e308, f64::MIN_POSITIVE, f64::NAN, f64::INFINITY, f64::NEG_INFINITY];
    for sensor in sensors().iter().take(4) {
        for value in values {
            for hour in [0, 7, 23] {
                let _ = expr.holds(&Context { value, unit: &sensor.unit, hour, sensor });
            }
        }
    }
}
