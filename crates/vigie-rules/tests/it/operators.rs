//! Golden replays, one or more per operator: a fixture of readings and ticks, and the alarms
//! that must raise and clear.

use crate::{check, rules, sensors};
use vigie_core::incident::Priority;
use vigie_core::{CommuneId, Observation, SensorId, Timestamp, ZoneId};
use vigie_rules::{AlarmChange, RuleState, evaluate, replay, tick};

const FLOOD: &str = r#"
[[rule]]
id = "crue"
category = "flood"
severity = 4
description_fr = "Crue : {value} {unit} à {sensor} ({zone}, {commune})"
description_en = "Flood: {value} {unit} at {sensor} ({zone}, {commune})"
select = { kind = "river_level" }
when = { threshold = { raise = 2.5, clear = 2.2 } }
"#;

#[test]
fn threshold_raises_once_and_clears_below_clear() {
    check(
        FLOOD,
        "
        t=0 gauge-1 2.1
        t=60 gauge-1 2.4
        t=120 gauge-1 2.5     # raises: at the threshold
        t=180 gauge-1 2.3     # between clear and raise: stands
        t=240 gauge-1 2.6     # stands: no second raise
        t=300 gauge-1 2.4
        t=360 gauge-1 2.2     # clears: at the clear level
        t=420 gauge-1 2.4     # between the two, not standing: nothing
        t=480 gauge-2 2.7     # another gauge, less critical: its own alarm, p3
        ",
        "
        t=120 raised crue gauge-1 flood severity=4 p1 value=2.5
        t=360 cleared crue gauge-1
        t=480 raised crue gauge-2 flood severity=4 p3 value=2.7
        ",
    );
}

#[test]
fn hysteresis_does_not_chatter_between_clear_and_raise() {
    let mut fixture = String::from("t=0 gauge-1 2.6\n");
    for step in 1..=50 {
        let value = if step % 2 == 0 { 2.49 } else { 2.21 };
        fixture.push_str(&format!("t={} gauge-1 {value}\n", step * 60));
    }
    fixture.push_str("t=3100 gauge-1 2.0\nt=3160 gauge-1 2.49\nt=3220 gauge-1 2.21\n");
    check(
        FLOOD,
        &fixture,
        "
        t=0 raised crue gauge-1 flood severity=4 p1 value=2.6
        t=3100 cleared crue gauge-1
        ",
    );
}

#[test]
fn threshold_below_raises_low_values() {
    check(
        r#"
        [[rule]]
        id = "etiage"
        category = "flood"
        severity = 2
        description_fr = "Étiage à {sensor}"
        description_en = "Low water at {sensor}"
        select = { id = "gauge-1" }
        when = { threshold = { raise = 0.5, clear = 0.8, below = true } }
        "#,
        "
        t=0 gauge-1 1.0
        t=60 gauge-2 0.1     # not selected
        t=120 gauge-1 0.5    # raises
        t=180 gauge-1 0.7    # stands
        t=240 gauge-1 0.8    # clears
        t=300 gauge-1 0.6    # nothing
        ",
        "
        t=120 raised etiage gauge-1 flood severity=2 p2 value=0.5
        t=240 cleared etiage gauge-1
        ",
    );
}

#[test]
fn for_s_waits_for_the_condition_to_hold_and_matures_on_a_tick_or_a_reading() {
    check(
        &FLOOD.replace("clear = 2.2 } }", "clear = 2.2 } }\nfor_s = 120"),
        "
        t=0 gauge-1 2.6      # holds from 0
        t=60 gauge-1 2.7
        t=100 tick           # 100 s: not yet
        t=120 tick           # 120 s: raises, with the last reading
        t=180 gauge-1 2.1    # clears at once
        t=200 gauge-1 2.6    # holds from 200
        t=260 gauge-1 2.1    # broken after 60 s: nothing
        t=300 gauge-1 2.6    # holds from 300
        t=360 tick
        t=420 gauge-1 2.6    # 120 s: raises on the reading
        ",
        "
        t=120 raised crue gauge-1 flood severity=4 p1 value=2.7
        t=180 cleared crue gauge-1
        t=420 raised crue gauge-1 flood severity=4 p1 value=2.6
        ",
    );
}

#[test]
fn rate_measures_the_rise_per_hour_over_the_window() {
    check(
        r#"
        [[rule]]
        id = "montee"
        category = "flood"
        severity = 3
        description_fr = "Montée rapide : {value} {unit} à {sensor}"
        description_en = "Fast rise: {value} {unit} at {sensor}"
        select = { kind = "river_level" }
        when = { rate = { window_s = 3600, raise = 0.2, clear = 0.1, min_span_s = 1800 } }
        "#,
        "
        t=0 gauge-1 1.0
        t=900 gauge-1 1.0     # spans 900 s, less than min_span_s: no rate
        t=1800 gauge-1 1.05   # 0.1 m/h
        t=2700 gauge-1 1.2    # 0.267 m/h: raises
        t=3600 gauge-1 1.3    # 0.3 m/h
        t=4500 gauge-1 1.35   # the window starts at 900: 0.35 m/h
        t=5400 gauge-1 1.38   # from 1800: 0.33 m/h
        t=7200 gauge-1 1.35   # from 3600: 0.05 m/h, clears
        ",
        "
        t=2700 raised montee gauge-1 flood severity=3 p2 value=0.267
        t=7200 cleared montee gauge-1
        ",
    );
}

#[test]
fn rate_messages_give_the_unit_per_hour() {
    let rules = rules(
        r#"
        [[rule]]
        id = "montee"
        category = "flood"
        severity = 3
        description_fr = "Montée de {value} {unit}"
        description_en = "Rising {value} {unit}"
        when = { rate = { window_s = 3600, raise = 0.2 } }
        "#,
    );
    let changes = replay(&rules, &sensors(), "t=0 gauge-1 1.0\nt=1800 gauge-1 1.25").unwrap_or_default();
    let Some(AlarmChange::Raised(alarm)) = changes.first() else {
        panic!("expected a raise, got {changes:?}");
    };
    assert_eq!(alarm.message_fr, "Montée de 0,5 m/h");
    assert_eq!(alarm.message_en, "Rising 0.5 m/h");
}

#[test]
fn count_needs_enough_matching_readings_in_the_window_and_expires_on_tick() {
    check(
        r#"
        [[rule]]
        id = "pm10"
        category = "traffic"
        severity = 2
        description_fr = "PM10 élevées à {sensor}"
        description_en = "High PM10 at {sensor}"
        select = { kind = "air_quality" }
        when = { count = { at_least = 3, window_s = 3600, condition = "value > 80" } }
        "#,
        "
        t=0 air-1 85
        t=900 air-1 60       # does not match
        t=1800 air-1 90
        t=2700 air-1 95      # third match within the hour: raises
        t=3600 air-1 50      # 0, 1800 and 2700 are still in the window
        t=3700 tick          # 0 has left the window: clears
        t=4500 air-1 81      # 1800, 2700, 4500: raises again
        ",
        "
        t=2700 raised pm10 air-1 traffic severity=2 p3 value=95
        t=3700 cleared pm10 air-1
        t=4500 raised pm10 air-1 traffic severity=2 p3 value=81
        ",
    );
}

#[test]
fn silence_raises_on_tick_and_clears_on_the_next_reading() {
    check(
        r#"
        [[rule]]
        id = "silence-jauges"
        category = "sensor_fault"
        severity = 1
        description_fr = "{sensor} ne répond plus"
        description_en = "{sensor} is silent"
        select = { kind = "river_level" }
        when = { silence = { after_s = 900 } }
        "#,
        "
        t=0 tick             # neither gauge heard yet: their silence starts now
        t=0 gauge-1 2.0
        t=600 gauge-1 2.0
        t=900 tick           # gauge-2 silent for 900 s; gauge-1 for 300 s
        t=1500 tick          # gauge-1 silent for 900 s
        t=1600 gauge-1 2.0   # clears
        t=2000 tick          # gauge-2 still stands: no repeat
        ",
        "
        t=900 raised silence-jauges gauge-2 sensor_fault severity=1 p4
        t=1500 raised silence-jauges gauge-1 sensor_fault severity=1 p3
        t=1600 cleared silence-jauges gauge-1
        ",
    );
}

const FIRE: &str = r#"
[[rule]]
id = "fumee"
category = "fire"
severity = 3
description_fr = "Pré-alarme fumée : {sensor}"
description_en = "Smoke pre-alarm: {sensor}"
select = { kind = "smoke" }
when = { threshold = { raise = 1, clear = 0 } }

[[rule]]
id = "chaleur"
category = "fire"
severity = 3
description_fr = "Chaleur : {value} {unit} à {sensor}"
description_en = "Heat: {value} {unit} at {sensor}"
select = { kind = "heat" }
when = { threshold = { raise = 58, clear = 50 } }

[[rule]]
id = "feu"
category = "fire"
severity = 5
description_fr = "Feu confirmé dans {zone} : {sensor}"
description_en = "Confirmed fire in {zone}: {sensor}"
when = { correlation = { rules = ["fumee", "chaleur"], at_least = 2, kinds = ["smoke", "heat"], window_s = 120 } }
"#;

#[test]
fn correlation_confirms_smoke_and_heat_in_one_building_within_the_window() {
    check(
        FIRE,
        "
        t=0 smoke-bib-1 1        # pre-alarm
        t=60 heat-bib-1 62       # heat in the same building 60 s later: confirmed fire
        t=100 smoke-bib-2 1      # more detectors: no second confirmation
        t=200 smoke-hdv-1 1      # a lone smoke detector elsewhere: pre-alarm only
        t=400 heat-hdv-1 60      # heat there 200 s later: too late to confirm
        t=500 smoke-bib-1 0
        t=510 smoke-bib-2 0
        t=520 heat-bib-1 40      # the last standing detector clears: so does the fire
        ",
        "
        t=0 raised fumee smoke-bib-1 fire severity=3 p2 value=1
        t=60 raised chaleur heat-bib-1 fire severity=3 p2 value=62
        t=60 raised feu bibliotheque fire severity=5 p1 sensors=heat-bib-1,smoke-bib-1
        t=100 raised fumee smoke-bib-2 fire severity=3 p2 value=1
        t=200 raised fumee smoke-hdv-1 fire severity=3 p2 value=1
        t=400 raised chaleur heat-hdv-1 fire severity=3 p2 value=60
        t=500 cleared fumee smoke-bib-1
        t=510 cleared fumee smoke-bib-2
        t=520 cleared chaleur heat-bib-1
        t=520 cleared feu bibliotheque
        ",
    );
}

#[test]
fn correlation_needs_every_kind_and_a_brief_alarm_still_counts() {
    check(
        FIRE,
        "
        t=0 smoke-bib-1 1
        t=10 smoke-bib-2 1       # two smoke detectors, no heat: not confirmed
        t=20 smoke-bib-1 0
        t=30 smoke-bib-2 0
        t=90 heat-bib-1 70       # a heat detector within 120 s of both: confirmed
        t=300 heat-bib-1 20
        t=400 smoke-hdv-1 1
        t=600 tick               # the lone smoke's window expired: nothing
        t=700 heat-hdv-1 65      # 300 s later: not confirmed
        ",
        "
        t=0 raised fumee smoke-bib-1 fire severity=3 p2 value=1
        t=10 raised fumee smoke-bib-2 fire severity=3 p2 value=1
        t=20 cleared fumee smoke-bib-1
        t=30 cleared fumee smoke-bib-2
        t=90 raised chaleur heat-bib-1 fire severity=3 p2 value=70
        t=90 raised feu bibliotheque fire severity=5 p1 sensors=heat-bib-1,smoke-bib-1,smoke-bib-2
        t=300 cleared chaleur heat-bib-1
        t=300 cleared feu bibliotheque
        t=400 raised fumee smoke-hdv-1 fire severity=3 p2 value=1
        t=700 raised chaleur heat-hdv-1 fire severity=3 p2 value=65
        ",
    );
}

#[test]
fn condition_uses_the_local_hour() {
    check(
        r#"
        [[rule]]
        id = "intrusion-nuit"
        category = "intrusion"
        severity = 4
        description_fr = "Intrusion de nuit : {sensor}"
        description_en = "Night-time intrusion: {sensor}"
        select = { kind = "intrusion" }
        when = { condition = "value >= 1 && (hour < 7 || hour >= 20)" }
        "#,
        "
        t=3600 intrusion-bib-1 1     # 01:00: raises
        t=3700 intrusion-bib-1 0     # clears
        t=43200 intrusion-bib-1 1    # 12:00: opening hours, nothing
        t=43300 intrusion-bib-1 0
        t=75600 intrusion-bib-1 1    # 21:00: raises
        ",
        "
        t=3600 raised intrusion-nuit intrusion-bib-1 intrusion severity=4 p2 value=1
        t=3700 cleared intrusion-nuit intrusion-bib-1
        t=75600 raised intrusion-nuit intrusion-bib-1 intrusion severity=4 p2 value=1
        ",
    );
}

#[test]
fn condition_with_for_s_finds_a_rush_hour_jam() {
    check(
        r#"
        [[rule]]
        id = "bouchon"
        category = "traffic"
        severity = 3
        description_fr = "Bouchon : {value} {unit} à {sensor}"
        description_en = "Traffic jam: {value} {unit} at {sensor}"
        select = { kind = "traffic_flow" }
        when = { condition = "value < 500 && ((hour >= 7 && hour < 10) || (hour >= 16 && hour < 19))" }
        for_s = 600
        "#,
        "
        t=27000 traffic-1 1800     # 07:30, flowing
        t=27060 traffic-1 400      # the flow collapses
        t=27300 traffic-1 350
        t=27600 tick               # 540 s: not yet
        t=27660 tick               # 600 s: raises
        t=28000 traffic-1 1500     # flowing again: clears
        t=43200 traffic-1 300      # noon: a low flow is no jam
        t=44000 tick
        ",
        "
        t=27660 raised bouchon traffic-1 traffic severity=3 p3 value=350
        t=28000 cleared bouchon traffic-1
        ",
    );
}

#[test]
fn selector_combines_kind_zone_and_commune() {
    check(
        r#"
        [[rule]]
        id = "fumee-bib"
        category = "fire"
        severity = 3
        description_fr = "Fumée : {sensor}"
        description_en = "Smoke: {sensor}"
        select = { kind = ["smoke", "heat"], zone = "bibliotheque", commune = ["21231", "21355"] }
        when = { threshold = { raise = 1 } }
        "#,
        "
        t=0 smoke-hdv-1 1      # another building
        t=10 gauge-1 3         # another kind
        t=20 heat-bib-1 1
        t=30 smoke-bib-2 1
        t=40 smoke-bib-2 0.5   # no hysteresis: clears below raise
        ",
        "
        t=20 raised fumee-bib heat-bib-1 fire severity=3 p2 value=1
        t=30 raised fumee-bib smoke-bib-2 fire severity=3 p2 value=1
        t=40 cleared fumee-bib smoke-bib-2
        ",
    );
}

#[test]
fn alarms_carry_the_sensor_and_messages_in_both_languages() {
    let changes = replay(&rules(FLOOD), &sensors(), "t=0 gauge-1 2.75").unwrap_or_default();
    let Some(AlarmChange::Raised(alarm)) = changes.first() else {
        panic!("expected a raise, got {changes:?}");
    };
    assert_eq!(alarm.rule, "crue");
    assert_eq!(alarm.subject, "gauge-1");
    assert_eq!(alarm.category.as_str(), "flood");
    assert_eq!(alarm.priority, Priority::P1);
    assert_eq!(alarm.value, Some(2.75));
    assert_eq!(alarm.sensors, [SensorId::parse("gauge-1").unwrap()]);
    assert_eq!(alarm.zone, Some(ZoneId::parse("riviere-ouche").unwrap()));
    assert_eq!(alarm.commune, Some(CommuneId::parse("21231").unwrap()));
    assert_eq!(alarm.at, Timestamp(0));
    assert_eq!(alarm.message_fr, "Crue : 2,75 m à gauge-1 (riviere-ouche, 21231)");
    assert_eq!(alarm.message_en, "Flood: 2.75 m at gauge-1 (riviere-ouche, 21231)");
}

#[test]
fn a_non_finite_reading_is_ignored_but_counts_as_a_sign_of_life() {
    let rules = rules(&format!(
        "{FLOOD}\n{}",
        r#"
        [[rule]]
        id = "silence"
        category = "sensor_fault"
        severity = 1
        description_fr = "{sensor} muet"
        description_en = "{sensor} silent"
        select = { id = "gauge-1" }
        when = { silence = { after_s = 60 } }
        "#
    ));
    let sensors = sensors();
    let gauge = &sensors[0];
    let mut state = RuleState::default();
    let reading = |value: f64| Observation {
        sensor_id: gauge.id.clone(),
        time: Timestamp(0),
        value,
        unit: "m".to_owned(),
        evidence: None,
    };
    assert_eq!(evaluate(&mut state, &rules, gauge, &reading(3.0), Timestamp(0), 0).len(), 1);
    assert_eq!(tick(&mut state, &rules, &sensors, Timestamp(60_000)).len(), 1);
    let changes = evaluate(&mut state, &rules, gauge, &reading(f64::NAN), Timestamp(61_000), 0);
    assert_eq!(
        changes,
        [AlarmChange::Cleared { rule: "silence".to_owned(), subject: "gauge-1".to_owned(), at: Timestamp(61_000) }]
    );
    assert!(evaluate(&mut state, &rules, gauge, &reading(f64::INFINITY), Timestamp(62_000), 0).is_empty());
    assert_eq!(state.standing(), [("crue", "gauge-1")]);
}

#[test]
fn tick_clears_and_forgets_sensors_and_rules_that_left() {
    let rules = rules(FIRE);
    let sensors = sensors();
    let mut state = RuleState::default();
    let fixture = [("smoke-bib-1", 1.0, 0), ("heat-bib-1", 70.0, 10)];
    for (id, value, seconds) in fixture {
        let sensor = sensors.iter().find(|sensor| sensor.id.as_str() == id).expect("a fixture sensor");
        let observation = Observation {
            sensor_id: sensor.id.clone(),
            time: Timestamp(0),
            value,
            unit: sensor.unit.clone(),
            evidence: None,
        };
        evaluate(&mut state, &rules, sensor, &observation, Timestamp(seconds * 1000), 0);
    }
    assert_eq!(state.standing(), [("chaleur", "heat-bib-1"), ("feu", "bibliotheque"), ("fumee", "smoke-bib-1")]);
    // The heat detector leaves the city: its alarm clears; the smoke still stands, so does the fire.
    let without_heat: Vec<_> = sensors.iter().filter(|sensor| sensor.id.as_str() != "heat-bib-1").cloned().collect();
    let changes = tick(&mut state, &rules, &without_heat, Timestamp(20_000));
    assert_eq!(
        changes,
        [AlarmChange::Cleared { rule: "chaleur".to_owned(), subject: "heat-bib-1".to_owned(), at: Timestamp(20_000) }]
    );
    // Then the rules are replaced by an empty set: everything that stood clears.
    let empty = crate::rules("");
    let mut cleared: Vec<(String, String)> = tick(&mut state, &empty, &without_heat, Timestamp(30_000))
        .into_iter()
        .filter_map(|change| match change {
            AlarmChange::Cleared { rule, subject, .. } => Some((rule, subject)),
            AlarmChange::Raised(_) => None,
        })
        .collect();
    cleared.sort();
    assert_eq!(
        cleared,
        [("feu".to_owned(), "bibliotheque".to_owned()), ("fumee".to_owned(), "smoke-bib-1".to_owned())]
    );
    assert!(state.standing().is_empty());
    assert_eq!(state.buffered(), 0);
}

#[test]
fn fixture_errors_name_their_line() {
    let rules = rules(FLOOD);
    let sensors = sensors();
    let error = |fixture: &str| replay(&rules, &sensors, fixture).map(|_| ()).unwrap_err().to_string();
    assert_eq!(error("t=0 gauge-1 2\nt=x gauge-1 2"), "fixture line 2: expected whole seconds after `t=`, found \"x\"");
    assert_eq!(error("# comment\n\nt=0 gauge-9 2"), "fixture line 3: unknown sensor \"gauge-9\"");
    assert_eq!(error("t=10 tick\nt=5 tick"), "fixture line 2: time goes backwards, from t=10 to t=5");
    assert_eq!(error("t=0 gauge-1 high"), "fixture line 1: expected a number, found \"high\"");
    assert_eq!(error("gauge-1 2"), "fixture line 1: expected `t=<seconds>` first, found \"gauge-1\"");
    assert_eq!(error("t=0"), "fixture line 1: expected `t=<seconds> <sensor> <value>` or `t=<seconds> tick`");
}
