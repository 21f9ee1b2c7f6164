//! The demo city's rules: they load, they speak of the pack's categories, kinds, zones and
//! sensors, and they play the demo's scenarios as intended.

use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::PathBuf;
use vigie_core::{CommuneId, SensorId, ZoneId};
use vigie_rules::{Operator, RuleSet, SensorInfo, load, render, replay};

fn pack() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../cities/demo-metropole")
}

fn demo_rules() -> RuleSet {
    match load(&pack().join("rules")) {
        Ok(rules) => rules,
        Err(errors) => panic!("the demo rules should load:\n{errors}"),
    }
}

/// The part of `city.toml` the rules need.
#[derive(Deserialize)]
struct City {
    sensors: Vec<CitySensor>,
}

#[derive(Deserialize)]
struct CitySensor {
    id: SensorId,
    kind: String,
    unit: String,
    commune: CommuneId,
    zone: Option<ZoneId>,
    criticality: u8,
}

fn demo_sensors() -> Vec<SensorInfo> {
    let text = std::fs::read_to_string(pack().join("city.toml")).unwrap_or_else(|error| panic!("city.toml: {error}"));
    let city: City = toml::from_str(&text).unwrap_or_else(|error| panic!("city.toml: {error}"));
    city.sensors
        .into_iter()
        .map(|sensor| SensorInfo {
            id: sensor.id,
            kind: sensor.kind,
            unit: sensor.unit,
            zone: sensor.zone,
            commune: sensor.commune,
            criticality: sensor.criticality,
        })
        .collect()
}

#[test]
fn demo_rules_load_and_name_the_packs_categories_and_sensors() {
    let rules = demo_rules();
    let sensors = demo_sensors();
    let playbooks: BTreeSet<String> = std::fs::read_dir(pack().join("playbooks"))
        .unwrap_or_else(|error| panic!("playbooks: {error}"))
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            Some(path.file_stem()?.to_string_lossy().into_owned())
        })
        .collect();
    let kinds: BTreeSet<&str> = sensors.iter().map(|sensor| sensor.kind.as_str()).collect();
    for rule in rules.rules() {
        assert!(playbooks.contains(rule.category.as_str()), "{}: no playbook for {}", rule.id, rule.category);
        for kind in &rule.select.kinds {
            assert!(kinds.contains(kind.as_str()), "{}: no sensor of kind {kind}", rule.id);
        }
        for zone in &rule.select.zones {
            assert!(
                sensors.iter().any(|sensor| sensor.zone.as_ref() == Some(zone)),
                "{}: no sensor in {zone}",
                rule.id
            );
        }
        let watched = sensors.iter().filter(|sensor| rule.select.matches(sensor)).count();
        assert!(watched > 0, "{} watches no sensor", rule.id);
        if let Operator::Correlation(correlation) = &rule.when {
            for kind in &correlation.kinds {
                assert!(kinds.contains(kind.as_str()), "{}: no sensor of kind {kind}", rule.id);
            }
        }
    }
    // Every kind of sensor is watched for silence.
    for kind in kinds {
        let silenced = rules.rules().iter().any(|rule| {
            matches!(rule.when, Operator::Silence(_)) && rule.select.kinds.iter().any(|watched| watched == kind)
        });
        assert!(silenced, "no silence rule for {kind}");
    }
}

#[track_caller]
fn check_demo(fixture: &str, expected: &str) {
    let changes = replay(&demo_rules(), &demo_sensors(), fixture).unwrap_or_else(|error| panic!("{error}"));
    let actual = render(&changes);
    let expected: Vec<&str> = expected.lines().map(str::trim).filter(|line| !line.is_empty()).collect();
    assert_eq!(actual.lines().collect::<Vec<_>>(), expected, "\nactual changes:\n{actual}");
}

#[test]
fn a_fire_in_the_library_is_confirmed_by_smoke_and_heat() {
    check_demo(
        "
        t=36000 smoke-bibliotheque-01 1
        t=36050 heat-bibliotheque-01 64
        t=36100 smoke-hotel-de-ville-01 1
        ",
        "
        t=36000 raised fumee-pre-alarme smoke-bibliotheque-01 fire severity=3 p2 value=1
        t=36050 raised chaleur-elevee heat-bibliotheque-01 fire severity=3 p2 value=64
        t=36050 raised feu-confirme bibliotheque fire severity=5 p1 sensors=heat-bibliotheque-01,smoke-bibliotheque-01
        t=36100 raised fumee-pre-alarme smoke-hotel-de-ville-01 fire severity=3 p2 value=1
        ",
    );
}

#[test]
fn a_rising_ouche_warns_of_the_rise_then_of_the_flood() {
    // Every 5 minutes, the gauge rises by 5 cm: 0.6 m/h.
    let mut fixture = String::new();
    for step in 0..=16 {
        fixture.push_str(&format!("t={} gauge-ouche-03 {:.2}\n", step * 300, 1.8 + 0.05 * f64::from(step)));
        if step == 14 {
            // 2.5 m at t=4200; two minutes later, the flood alarm matures on a tick.
            fixture.push_str("t=4320 tick\n");
        }
    }
    check_demo(
        &fixture,
        "
        t=1800 raised montee-rapide gauge-ouche-03 flood severity=3 p2 value=0.6
        t=4320 raised ouche-crue gauge-ouche-03 flood severity=4 p1 value=2.5
        ",
    );
}

#[test]
fn a_silent_gauge_and_a_night_intrusion() {
    let sensors = demo_sensors();
    let rules = demo_rules();
    let changes = replay(
        &rules,
        &sensors,
        "
        t=0 tick
        t=3600 intrusion-bibliotheque-01 1
        t=3601 tick
        ",
    )
    .unwrap_or_else(|error| panic!("{error}"));
    let raised: Vec<(String, String)> = changes
        .iter()
        .filter_map(|change| match change {
            vigie_rules::AlarmChange::Raised(alarm) => Some((alarm.rule.clone(), alarm.subject.clone())),
            vigie_rules::AlarmChange::Cleared { .. } => None,
        })
        .collect();
    assert!(raised.contains(&("intrusion-nuit".to_owned(), "intrusion-bibliotheque-01".to_owned())), "{raised:?}");
    // After an hour with nothing heard, every gauge, counter and air station is silent; the
    // detectors (3 hours) are not yet.
    let silent = |rule: &str| raised.iter().filter(|(raised_rule, _)| raised_rule == rule).count();
    let count_kinds = |kinds: &[&str]| sensors.iter().filter(|sensor| kinds.contains(&sensor.kind.as_str())).count();
    assert_eq!(silent("silence-jauges"), count_kinds(&["river_level", "rainfall"]));
    assert_eq!(silent("silence-compteurs"), count_kinds(&["traffic_flow", "crowd_count"]));
    assert_eq!(silent("silence-stations-air"), count_kinds(&["air_quality"]));
    assert_eq!(silent("silence-detecteurs"), 0);
}
