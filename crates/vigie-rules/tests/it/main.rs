//! The rule engine's integration tests: golden replays of each operator, load errors,
//! property tests of the windows, and the demo city's rules.

mod demo;
mod loading;
mod operators;
mod properties;

use vigie_core::{CommuneId, SensorId, ZoneId};
use vigie_rules::{RuleSet, SensorInfo, load_str, render, replay};

/// The sensors the fixtures talk about.
pub(crate) fn sensors() -> Vec<SensorInfo> {
    let sensor = |id: &str, kind: &str, unit: &str, zone: Option<&str>, commune: &str, criticality: u8| SensorInfo {
        id: SensorId::parse(id).expect("test sensor ids are valid"),
        kind: kind.to_owned(),
        unit: unit.to_owned(),
        zone: zone.map(|zone| ZoneId::parse(zone).expect("test zone ids are valid")),
        commune: CommuneId::parse(commune).expect("test communes are valid"),
        criticality,
    };
    vec![
        sensor("gauge-1", "river_level", "m", Some("riviere-ouche"), "21231", 5),
        sensor("gauge-2", "river_level", "m", Some("riviere-ouche"), "21355", 2),
        sensor("smoke-bib-1", "smoke", "state", Some("bibliotheque"), "21231", 5),
        sensor("smoke-bib-2", "smoke", "state", Some("bibliotheque"), "21231", 5),
        sensor("heat-bib-1", "heat", "°C", Some("bibliotheque"), "21231", 4),
        sensor("smoke-hdv-1", "smoke", "state", Some("hotel-de-ville"), "21231", 5),
        sensor("heat-hdv-1", "heat", "°C", Some("hotel-de-ville"), "21231", 4),
        sensor("intrusion-bib-1", "intrusion", "state", Some("bibliotheque"), "21231", 3),
        sensor("traffic-1", "traffic_flow", "veh/h", Some("rocade-lino"), "21617", 2),
        sensor("crowd-1", "crowd_count", "persons", Some("place-liberation"), "21231", 3),
        sensor("air-1", "air_quality", "µg/m³", None, "21231", 2),
    ]
}

/// Loads rules written inline, failing the test with every error.
#[track_caller]
pub(crate) fn rules(text: &str) -> RuleSet {
    match load_str("test.toml", text) {
        Ok(rules) => rules,
        Err(errors) => panic!("the test's rules should load:\n{errors}"),
    }
}

/// Replays `fixture` against `rules` and compares the changes with `expected`, line by line,
/// ignoring indentation and blank lines.
#[track_caller]
pub(crate) fn check(rules_text: &str, fixture: &str, expected: &str) {
    let rules = rules(rules_text);
    let changes = match replay(&rules, &sensors(), fixture) {
        Ok(changes) => changes,
        Err(error) => panic!("the fixture should replay: {error}"),
    };
    let actual = render(&changes);
    let expected: Vec<&str> = expected.lines().map(str::trim).filter(|line| !line.is_empty()).collect();
    let actual_lines: Vec<&str> = actual.lines().collect();
    assert_eq!(actual_lines, expected, "\nactual changes:\n{actual}");
}
