//! Each scenario's signature in the readings, and the errors of a pack that lacks what a
//! scenario needs.

use crate::{at, demo, of, run, simulator};
use std::collections::HashMap;
use vigie_city::{City, SensorKind};
use vigie_core::{Observation, SensorId, Timestamp, ZoneId};
use vigie_sim::{LocalTime, ScenarioKind, ScenarioStep, SimConfig, SimError, Simulator};

fn in_zone<'a>(city: &City, readings: &'a [Observation], zone: &str, kind: SensorKind) -> Vec<&'a Observation> {
    readings
        .iter()
        .filter(|reading| {
            city.sensor(&reading.sensor_id)
                .is_some_and(|sensor| sensor.kind == kind && sensor.zone.as_ref().map(ZoneId::as_str) == Some(zone))
        })
        .collect()
}

fn steps_of(simulator: &Simulator, kind: ScenarioKind) -> Vec<ScenarioStep> {
    simulator.plan().iter().filter(|step| step.scenario == kind).cloned().collect()
}

#[test]
fn flood_raises_the_ouche_downstream_later_then_recedes() {
    let city = demo();
    let start = at("2026-11-23T10:00:00+01:00");
    let flood_at = start.plus_seconds(600);
    let mut simulator = simulator(&city, 11, &["flood@600"], start);
    let readings = run(&mut simulator, start.plus_seconds(32 * 3600), 1800);

    let mut first_half_metre = Vec::new();
    for number in 1..=7 {
        let gauge = format!("gauge-ouche-{number:02}");
        let levels = of(&readings, &gauge);
        let before = levels.iter().rev().find(|reading| reading.time <= flood_at).map(|reading| reading.value);
        let Some(before) = before else { panic!("{gauge} reported before the flood") };
        assert!((0.6..=1.0).contains(&before), "{gauge} at {before} m before the flood");
        let within_six_hours = levels.iter().filter(|reading| reading.time <= flood_at.plus_seconds(6 * 3600));
        let highest = within_six_hours.map(|reading| reading.value).fold(f64::MIN, f64::max);
        assert!(highest - before >= 1.0, "{gauge} rose {:.2} m within 6 h", highest - before);
        let half_metre = levels.iter().find(|reading| reading.value >= before + 0.5).map(|reading| reading.time);
        first_half_metre.push(half_metre.unwrap_or(Timestamp(i64::MAX)));
        let after = levels.iter().rev().find(|reading| reading.time <= start.plus_seconds(32 * 3600));
        let receded = after.map(|reading| reading.value - before);
        assert!(receded.is_some_and(|rise| rise.abs() < 0.3), "{gauge} still {receded:?} m up after 32 h");
    }
    // Gauges are 15 minutes apart and read every 5 minutes: two gauges apart, the order is sure.
    let downstream_later = first_half_metre.windows(3).all(|gauges| gauges[0] < gauges[2]);
    assert!(downstream_later, "downstream rises later: {first_half_metre:?}");
    assert!(first_half_metre[6].seconds_since(first_half_metre[0]) >= 3600);

    for number in 1..=3 {
        let gauge = format!("gauge-suzon-{number:02}");
        let highest = of(&readings, &gauge).iter().map(|reading| reading.value).fold(f64::MIN, f64::max);
        assert!(highest < 0.7, "the Suzon does not flood: {gauge} at {highest} m");
    }
    let rain = of(&readings, "rain-dijon-centre-01");
    assert!(rain.iter().any(|reading| reading.value > 8.0), "heavy rain over the catchment");

    let steps = steps_of(&simulator, ScenarioKind::Flood);
    assert!(steps.iter().any(|step| step.zone.as_ref().map(ZoneId::as_str) == Some("riviere-ouche")));
    assert!(steps.iter().all(|step| step.time >= flood_at));
}

#[test]
fn library_fire_shows_smoke_then_heat_past_57_then_the_other_detectors() {
    let city = demo();
    let start = at("2026-11-23T14:00:00+01:00");
    let fire_at = start.plus_seconds(300);
    for seed in [1, 2, 3] {
        let mut simulator = simulator(&city, seed, &["library_fire@300"], start);
        let readings = run(&mut simulator, start.plus_seconds(2 * 3600), 60);

        let smoke = in_zone(&city, &readings, "bibliotheque", SensorKind::Smoke);
        let heat = in_zone(&city, &readings, "bibliotheque", SensorKind::Heat);
        let Some(first_smoke) = smoke.iter().find(|reading| reading.value == 1.0) else { panic!("no smoke") };
        let Some(first_hot) = heat.iter().find(|reading| reading.value > 57.0) else { panic!("no heat past 57 °C") };
        assert_eq!(first_smoke.time, fire_at, "the first smoke detector trips when the fire starts");
        let heat_delay = first_hot.time.seconds_since(first_smoke.time);
        assert!((30..=90).contains(&heat_delay), "heat past 57 °C {heat_delay} s after the smoke");

        let tripped: std::collections::BTreeSet<&SensorId> =
            smoke.iter().filter(|reading| reading.value == 1.0).map(|reading| &reading.sensor_id).collect();
        assert_eq!(tripped.len(), 6, "every smoke detector of the library follows");
        let hot: std::collections::BTreeSet<&SensorId> =
            heat.iter().filter(|reading| reading.value > 57.0).map(|reading| &reading.sensor_id).collect();
        assert!(hot.len() >= 2, "other heat detectors follow: {hot:?}");

        // Nothing happens elsewhere.
        for reading in &readings {
            let Some(sensor) = city.sensor(&reading.sensor_id) else { continue };
            if sensor.zone.as_ref().map(ZoneId::as_str) != Some("bibliotheque") {
                let quiet = match sensor.kind {
                    SensorKind::Smoke => reading.value == 0.0,
                    SensorKind::Heat => reading.value < 25.0,
                    _ => true,
                };
                assert!(quiet, "{} read {}", sensor.id, reading.value);
            }
        }
        // After the fire, every detector of the library is back to rest.
        let detectors = city.sensors.iter().filter(|sensor| {
            matches!(sensor.kind, SensorKind::Smoke | SensorKind::Heat)
                && sensor.zone.as_ref().map(ZoneId::as_str) == Some("bibliotheque")
        });
        for sensor in detectors {
            let last = of(&readings, sensor.id.as_str()).last().map(|reading| (reading.time, reading.value));
            let Some((time, value)) = last else { panic!("{} never reported", sensor.id) };
            assert!(time >= fire_at.plus_seconds(75 * 60), "{} reported the end of the fire", sensor.id);
            assert!(value < 25.0 && (sensor.kind == SensorKind::Heat || value == 0.0), "{} at {value}", sensor.id);
        }
        let steps = steps_of(&simulator, ScenarioKind::LibraryFire);
        assert_eq!(steps.first().map(|step| step.time), Some(fire_at));
    }
}

#[test]
fn night_intrusion_waits_for_the_night() {
    let city = demo();
    for seed in 1..=8 {
        let start = at("2026-11-23T09:00:00+01:00");
        let mut simulator = simulator(&city, seed, &["intrusion@600"], start);
        let readings = run(&mut simulator, start.plus_seconds(30 * 3600), 3600);
        let alarms: Vec<&Observation> = readings
            .iter()
            .filter(|reading| {
                city.sensor(&reading.sensor_id).is_some_and(|sensor| sensor.kind == SensorKind::Intrusion)
            })
            .filter(|reading| reading.value == 1.0)
            .collect();
        assert!(!alarms.is_empty(), "seed {seed}: no intrusion");
        for alarm in &alarms {
            let hour = LocalTime::at(alarm.time).hour();
            assert!((1.0..4.2).contains(&hour), "seed {seed}: intrusion at {hour} h");
        }
        let zones: std::collections::BTreeSet<Option<&ZoneId>> = alarms
            .iter()
            .filter_map(|alarm| city.sensor(&alarm.sensor_id))
            .map(|sensor| sensor.zone.as_ref())
            .collect();
        assert_eq!(zones.len(), 1, "seed {seed}: one building");
    }
}

#[test]
fn night_intrusion_is_immediate_when_it_is_already_night() {
    let city = demo();
    let start = at("2026-11-23T23:30:00+01:00");
    let mut simulator = simulator(&city, 5, &["intrusion@60"], start);
    let readings = run(&mut simulator, start.plus_seconds(3600), 600);
    let first_alarm = readings.iter().find(|reading| reading.value == 1.0 && reading.unit == "state");
    let first_alarm = first_alarm.map(|reading| reading.time);
    assert_eq!(first_alarm, Some(start.plus_seconds(60)));
    let log = simulator.scenario_log();
    assert!(log.first().is_some_and(|step| step.what.contains("intrusion detected")), "{log:?}");
}

#[test]
fn rush_hour_jam_collapses_one_counter_while_its_neighbours_flow_on() {
    let city = demo();
    let start = at("2026-11-23T07:30:00+01:00");
    let until = start.plus_seconds(2 * 3600);
    let jam_at = start.plus_seconds(1200);
    for seed in [4, 5, 6] {
        let mut jammed_simulator = simulator(&city, seed, &["jam@20m"], start);
        let jammed_readings = run(&mut jammed_simulator, until, 300);
        let ordinary_readings = run(&mut simulator(&city, seed, &[], start), until, 300);
        let ordinary: HashMap<(&SensorId, Timestamp), f64> =
            ordinary_readings.iter().map(|reading| ((&reading.sensor_id, reading.time), reading.value)).collect();

        let steps = steps_of(&jammed_simulator, ScenarioKind::RushHourJam);
        let (Some(started), Some(cleared)) = (steps.first(), steps.get(1)) else { panic!("{steps:?}") };
        assert_eq!(started.time, jam_at);
        let jammed = &started.sensors[0];
        let road = started.zone.clone().unwrap_or_else(|| panic!("the jam is on a road"));
        assert!(city.zone(&road).is_some_and(|zone| zone.kind == vigie_city::ZoneKind::MainRoad));

        let mut during = 0;
        for reading in &jammed_readings {
            let normal = ordinary.get(&(&reading.sensor_id, reading.time)).copied();
            let Some(normal) = normal else { panic!("{} reported off its schedule", reading.sensor_id) };
            let in_jam = reading.time >= jam_at.plus_seconds(180) && reading.time <= cleared.time;
            if &reading.sensor_id == jammed && in_jam {
                during += 1;
                assert!(reading.value < 0.3 * normal, "seed {seed}: {jammed} at {} of {normal}", reading.value);
            } else if &reading.sensor_id == jammed && reading.time < jam_at {
                assert_eq!(reading.value, normal);
            } else if &reading.sensor_id != jammed {
                assert_eq!(reading.value, normal, "{} is not in the jam", reading.sensor_id);
            }
        }
        assert!(during >= 20, "seed {seed}: {during} readings during the jam");
        let neighbours =
            city.sensors.iter().filter(|sensor| sensor.zone.as_ref() == Some(&road) && &sensor.id != jammed);
        for neighbour in neighbours {
            let flows = of(&jammed_readings, neighbour.id.as_str());
            let in_jam = flows.iter().filter(|reading| reading.time > jam_at && reading.time <= cleared.time);
            assert!(in_jam.clone().count() > 0 && in_jam.clone().all(|reading| reading.value > 1000.0));
        }
    }
}

#[test]
fn crowd_gathering_brings_thousands_to_one_event_area() {
    let city = demo();
    let start = at("2026-11-28T14:00:00+01:00");
    let crowd_at = start.plus_seconds(600);
    let mut simulator = simulator(&city, 8, &["crowd@600"], start);
    let readings = run(&mut simulator, start.plus_seconds(4 * 3600), 600);
    let steps = steps_of(&simulator, ScenarioKind::CrowdGathering);
    let Some(area) = steps.first().and_then(|step| step.zone.clone()) else { panic!("{steps:?}") };
    let counters = in_zone(&city, &readings, area.as_str(), SensorKind::CrowdCount);
    assert!(counters.iter().filter(|reading| reading.time <= crowd_at).all(|reading| reading.value < 1000.0));
    let mut total_peak = 0.0;
    for sensor in city.sensors.iter().filter(|sensor| sensor.zone.as_ref() == Some(&area)) {
        let counts = of(&readings, sensor.id.as_str());
        let peak_time = crowd_at.plus_seconds(25 * 60);
        let peak = counts.iter().filter(|reading| reading.time <= peak_time).map(|reading| reading.value);
        let peak = peak.fold(0.0, f64::max);
        assert!(peak > 2000.0, "{} counted {peak} persons 25 minutes in", sensor.id);
        total_peak += peak;
        let climbing = counts.iter().find(|reading| reading.time >= crowd_at.plus_seconds(10 * 60));
        assert!(climbing.is_some_and(|reading| reading.value > 300.0 && reading.value < peak));
        let after = counts.last().map(|reading| reading.value);
        assert!(after.is_some_and(|count| count < 1000.0), "the crowd has gone: {after:?}");
    }
    assert!(total_peak > 8000.0, "{total_peak} persons in all");
    let elsewhere = readings.iter().filter(|reading| {
        city.sensor(&reading.sensor_id)
            .is_some_and(|sensor| sensor.kind == SensorKind::CrowdCount && sensor.zone.as_ref() != Some(&area))
    });
    assert!(elsewhere.clone().all(|reading| reading.value < 1000.0));
}

#[test]
fn a_silent_sensor_stops_reporting_for_good() {
    let city = demo();
    let start = at("2026-11-23T10:00:00+01:00");
    let silent_at = start.plus_seconds(900);
    let mut simulator = simulator(&city, 12, &["sensor_silent@900"], start);
    let readings = run(&mut simulator, start.plus_seconds(3 * 3600), 300);
    let log = simulator.scenario_log();
    let Some(step) = log.first() else { panic!("the silence is logged") };
    assert_eq!((step.scenario, step.time), (ScenarioKind::SensorSilent, silent_at));
    let silent = &step.sensors[0];
    let reports = of(&readings, silent.as_str());
    assert!(!reports.is_empty(), "{silent} reported before falling silent");
    assert!(reports.iter().all(|reading| reading.time < silent_at), "{silent} reported after falling silent");
    assert!(city.sensor(silent).is_some_and(|sensor| sensor.expected_period_s <= 300));
    let late = readings.iter().filter(|reading| reading.time > start.plus_seconds(2 * 3600));
    assert!(late.count() > 1000, "the other sensors carry on");
}

#[test]
fn the_log_grows_as_time_passes() {
    let city = demo();
    let start = at("2026-11-23T14:00:00+01:00");
    let mut simulator = simulator(&city, 2, &["fire@10m", "flood@1h"], start);
    let planned = simulator.plan().len();
    assert!(planned >= 8, "{planned} steps");
    assert!(simulator.plan().windows(2).all(|pair| pair[0].time <= pair[1].time));
    assert!(simulator.scenario_log().is_empty());
    simulator.advance(start.plus_seconds(600));
    assert_eq!(simulator.scenario_log().len(), 1);
    assert_eq!(simulator.scenario_log()[0].scenario, ScenarioKind::LibraryFire);
    simulator.advance(start.plus_seconds(2 * 86_400));
    assert_eq!(simulator.scenario_log().len(), planned);
}

fn refusal(city: &City, scenario: &str) -> (ScenarioKind, Vec<String>, String) {
    let config = SimConfig {
        seed: 1,
        scenarios: vec![scenario.parse().unwrap_or_else(|error| panic!("{error}"))],
        start: at("2026-11-23T10:00:00+01:00"),
    };
    match Simulator::new(city, config) {
        Ok(_) => panic!("{scenario} should be refused"),
        Err(error) => {
            let message = error.to_string();
            let SimError::MissingSensors { scenario, missing } = error;
            (scenario, missing, message)
        }
    }
}

#[test]
fn a_pack_without_what_a_scenario_needs_is_refused_by_name() {
    let city = demo();
    let in_library = |sensor: &vigie_city::Sensor| sensor.zone.as_ref().map(ZoneId::as_str) == Some("bibliotheque");

    let mut no_library_smoke = city.clone();
    no_library_smoke.sensors.retain(|sensor| !(sensor.kind == SensorKind::Smoke && in_library(sensor)));
    let (scenario, missing, message) = refusal(&no_library_smoke, "fire");
    assert_eq!(scenario, ScenarioKind::LibraryFire);
    assert_eq!(missing, ["a smoke detector (kind smoke) in zone bibliotheque"]);
    assert!(message.contains("library_fire") && message.contains("smoke detector"), "{message}");

    let mut no_library_detectors = city.clone();
    no_library_detectors.sensors.retain(|sensor| !in_library(sensor));
    let (_, missing, _) = refusal(&no_library_detectors, "fire");
    assert_eq!(missing.len(), 2, "{missing:?}");
    assert!(missing[1].contains("heat detector"));

    let mut no_gauges = city.clone();
    no_gauges.sensors.retain(|sensor| sensor.kind != SensorKind::RiverLevel);
    let (scenario, missing, _) = refusal(&no_gauges, "flood@600");
    assert_eq!(scenario, ScenarioKind::Flood);
    assert!(missing[0].contains("river_level"), "{missing:?}");

    let mut no_intrusion = city.clone();
    no_intrusion.sensors.retain(|sensor| sensor.kind != SensorKind::Intrusion);
    assert!(refusal(&no_intrusion, "intrusion").1[0].contains("intrusion detector"));

    let mut no_counters = city.clone();
    no_counters.sensors.retain(|sensor| !matches!(sensor.kind, SensorKind::TrafficFlow | SensorKind::CrowdCount));
    assert!(refusal(&no_counters, "jam").1[0].contains("traffic_flow"));
    assert!(refusal(&no_counters, "crowd").1[0].contains("crowd_count"));

    let mut no_sensors = city.clone();
    no_sensors.sensors.clear();
    assert_eq!(refusal(&no_sensors, "silent").1, ["a sensor"]);
}

#[test]
fn without_the_library_a_media_library_burns() {
    let mut city = demo();
    city.zones.retain(|zone| zone.id.as_str() != "bibliotheque");
    let start = at("2026-11-23T10:00:00+01:00");
    let simulator = simulator(&city, 1, &["fire"], start);
    let burning = simulator.plan().first().and_then(|step| step.zone.clone());
    assert_eq!(burning.as_ref().map(ZoneId::as_str), Some("mediatheque-champollion"));
}
