//! Ordinary days: determinism, reporting periods, daily rhythms and plausible values.

use crate::{at, demo, of, run, simulator};
use std::collections::HashMap;
use vigie_city::{City, SensorKind};
use vigie_core::{Observation, Timestamp};
use vigie_sim::{LocalTime, SimConfig, Simulator};

const EVERY_SCENARIO: [&str; 7] =
    ["flood@600", "fire@1h", "intrusion@2h", "jam@20m", "crowd@30m", "silent@15m", "power-cut@3h"];

#[test]
fn the_same_seed_gives_the_same_readings_however_time_advances() {
    let city = demo();
    let start = at("2026-11-23T06:00:00+01:00");
    let until = start.plus_seconds(6 * 3600);
    let first = run(&mut simulator(&city, 42, &EVERY_SCENARIO, start), until, 7 * 60);
    let second = run(&mut simulator(&city, 42, &EVERY_SCENARIO, start), until, 7 * 60);
    assert!(first.len() > 10_000, "{} readings", first.len());
    assert_eq!(first, second);

    // Chunking does not matter either: one big step, or uneven ones.
    let mut one_step = simulator(&city, 42, &EVERY_SCENARIO, start);
    assert_eq!(one_step.advance(until), first);
    let mut uneven = simulator(&city, 42, &EVERY_SCENARIO, start);
    let mut readings = Vec::new();
    for (position, minutes) in [1, 59, 3, 117, 0, 180].into_iter().enumerate() {
        let now = if position == 5 { until } else { uneven.now().plus_seconds(minutes * 60) };
        readings.extend(uneven.advance(now));
    }
    assert_eq!(readings, first);

    let other_seed = run(&mut simulator(&city, 43, &EVERY_SCENARIO, start), until, 7 * 60);
    assert_ne!(other_seed, first);
}

#[test]
fn advance_returns_the_window_since_the_previous_call_in_time_order() {
    let city = demo();
    let start = at("2026-11-23T09:00:00+01:00");
    let mut simulator = simulator(&city, 1, &[], start);
    let first = simulator.advance(start.plus_seconds(600));
    assert!(first.iter().all(|reading| reading.time > start && reading.time <= start.plus_seconds(600)));
    assert!(first.windows(2).all(|pair| pair[0].time <= pair[1].time));
    // Time that does not move forward yields nothing.
    assert!(simulator.advance(start.plus_seconds(600)).is_empty());
    assert!(simulator.advance(start).is_empty());
    assert_eq!(simulator.now(), start.plus_seconds(600));
    let second = simulator.advance(start.plus_seconds(1200));
    assert!(second.iter().all(|reading| reading.time > start.plus_seconds(600)));
}

#[test]
fn every_sensor_reports_at_about_its_period_in_its_unit() {
    let city = demo();
    let start = at("2026-11-23T10:00:00+01:00");
    let until = start.plus_seconds(3 * 3600);
    let readings = run(&mut simulator(&city, 7, &[], start), until, 600);
    let mut times: HashMap<&str, Vec<Timestamp>> = HashMap::new();
    for reading in &readings {
        let sensor = city.sensor(&reading.sensor_id).unwrap_or_else(|| panic!("unknown {}", reading.sensor_id));
        assert_eq!(reading.unit, sensor.unit, "{}", sensor.id);
        times.entry(sensor.id.as_str()).or_default().push(reading.time);
    }
    // Video analytics report through the vision worker, never through the simulator.
    assert!(readings.iter().all(|reading| city.sensor(&reading.sensor_id).is_some_and(|s| !s.kind.is_video())));
    for sensor in city.sensors.iter().filter(|sensor| !sensor.kind.is_video()) {
        let period_s = f64::from(sensor.expected_period_s);
        let sensor_times = times.get(sensor.id.as_str()).map(Vec::as_slice).unwrap_or_default();
        let first_hour = sensor_times.iter().filter(|time| **time <= start.plus_seconds(3600)).count();
        let fewest = (3600.0 / period_s).floor() as usize;
        let most = ((3600.0 - 0.02 * period_s) / (0.88 * period_s)).floor() as usize + 1;
        assert!(
            (fewest..=most).contains(&first_hour),
            "{} (every {period_s} s) reported {first_hour} times in an hour, expected {fewest} to {most}",
            sensor.id
        );
        // Never silent for longer than its period: a healthy sensor never looks lost.
        for pair in sensor_times.windows(2) {
            let gap_s = pair[1].seconds_since(pair[0]);
            assert!(gap_s > 0 && gap_s as f64 <= period_s, "{}: gap of {gap_s} s", sensor.id);
        }
    }
}

/// Checks each reading against the bounds of its kind, with or without scenarios at work.
fn assert_plausible(city: &City, readings: &[Observation], scenarios: bool, context: &str) {
    for reading in readings {
        let Some(sensor) = city.sensor(&reading.sensor_id) else { panic!("unknown sensor {}", reading.sensor_id) };
        let value = reading.value;
        assert!(value.is_finite(), "{context}: {} read {value}", sensor.id);
        let (low, high) = match (sensor.kind, scenarios) {
            (SensorKind::RiverLevel, false) => (0.05, 1.5),
            (SensorKind::RiverLevel, true) => (0.05, 5.0),
            (SensorKind::Rainfall, false) => (0.0, 40.0),
            (SensorKind::Rainfall, true) => (0.0, 70.0),
            (SensorKind::Smoke | SensorKind::Intrusion, false) => (0.0, 0.0),
            (SensorKind::Smoke | SensorKind::Intrusion, true) => (0.0, 1.0),
            (SensorKind::Heat, false) => (18.5, 23.0),
            (SensorKind::Heat, true) => (18.5, 150.0),
            (SensorKind::TrafficFlow, _) => (0.0, 5000.0),
            (SensorKind::CrowdCount, false) => (0.0, 1000.0),
            (SensorKind::CrowdCount, true) => (0.0, 20_000.0),
            (SensorKind::AirQuality, _) => (1.0, 100.0),
            (SensorKind::Noise, _) => (30.0, 110.0),
            (SensorKind::Temperature, _) => (-30.0, 45.0),
            (kind, _) => panic!("{}: the simulator never reads a {kind:?} sensor", sensor.id),
        };
        assert!((low..=high).contains(&value), "{context}: {} ({:?}) read {value}", sensor.id, sensor.kind);
        let whole = matches!(sensor.kind, SensorKind::TrafficFlow | SensorKind::CrowdCount);
        let two_state = sensor.unit == "state";
        assert!(!whole || value.fract() == 0.0, "{context}: {} counted {value}", sensor.id);
        assert!(!two_state || value == 0.0 || value == 1.0, "{context}: {} in state {value}", sensor.id);
    }
}

#[test]
fn values_stay_plausible_over_days_and_seeds() {
    let city = demo();
    for seed in [1, 7, 2026, u64::MAX] {
        // A Monday and a Saturday.
        for day in ["2026-11-23T00:00:00+01:00", "2026-11-28T00:00:00+01:00"] {
            let start = at(day);
            let readings = run(&mut simulator(&city, seed, &[], start), start.plus_seconds(86_400), 3600);
            assert_plausible(&city, &readings, false, &format!("seed {seed}, {day}"));
        }
        let start = at("2026-11-24T06:00:00+01:00");
        let readings = run(&mut simulator(&city, seed, &EVERY_SCENARIO, start), start.plus_seconds(86_400), 3600);
        assert_plausible(&city, &readings, true, &format!("seed {seed}, every scenario"));
    }
}

/// The mean value of the readings of `kind` between two local hours.
fn mean(city: &City, readings: &[Observation], kind: SensorKind, from_hour: f64, to_hour: f64) -> f64 {
    let values: Vec<f64> = readings
        .iter()
        .filter(|reading| city.sensor(&reading.sensor_id).is_some_and(|sensor| sensor.kind == kind))
        .filter(|reading| (from_hour..to_hour).contains(&LocalTime::at(reading.time).hour()))
        .map(|reading| reading.value)
        .collect();
    assert!(!values.is_empty(), "no {kind:?} readings between {from_hour} and {to_hour}");
    values.iter().sum::<f64>() / values.len() as f64
}

#[test]
fn days_have_their_rhythms() {
    let city = demo();
    let monday = at("2026-11-23T00:00:00+01:00");
    let weekday = run(&mut simulator(&city, 3, &[], monday), monday.plus_seconds(86_400), 3600);
    let saturday = at("2026-11-28T00:00:00+01:00");
    let weekend = run(&mut simulator(&city, 3, &[], saturday), saturday.plus_seconds(86_400), 3600);

    let traffic_night = mean(&city, &weekday, SensorKind::TrafficFlow, 3.0, 3.5);
    let traffic_morning = mean(&city, &weekday, SensorKind::TrafficFlow, 7.75, 8.25);
    let traffic_midday = mean(&city, &weekday, SensorKind::TrafficFlow, 12.5, 13.5);
    let traffic_evening = mean(&city, &weekday, SensorKind::TrafficFlow, 17.75, 18.25);
    assert!(traffic_morning > 8.0 * traffic_night, "{traffic_morning} vs {traffic_night}");
    assert!(traffic_morning > 1.3 * traffic_midday && traffic_evening > 1.3 * traffic_midday);
    let weekend_morning = mean(&city, &weekend, SensorKind::TrafficFlow, 7.75, 8.25);
    assert!(weekend_morning < 0.6 * traffic_morning, "{weekend_morning} vs {traffic_morning}");

    let crowd_night = mean(&city, &weekday, SensorKind::CrowdCount, 2.0, 4.0);
    let crowd_afternoon = mean(&city, &weekday, SensorKind::CrowdCount, 14.0, 17.0);
    assert!(crowd_night < 5.0 && crowd_afternoon > 50.0, "{crowd_night} at night, {crowd_afternoon} by day");

    let air_night = mean(&city, &weekday, SensorKind::AirQuality, 2.0, 4.0);
    let air_rush = mean(&city, &weekday, SensorKind::AirQuality, 7.5, 9.0);
    assert!(air_rush > air_night + 3.0, "{air_rush} at rush hour, {air_night} at night");

    let heat = mean(&city, &weekday, SensorKind::Heat, 0.0, 24.0);
    assert!((19.0..=22.0).contains(&heat), "{heat} °C indoors");

    let level = |river: &str| {
        let levels: Vec<f64> = weekday
            .iter()
            .filter(|reading| reading.sensor_id.as_str().starts_with(river))
            .map(|reading| reading.value)
            .collect();
        levels.iter().sum::<f64>() / levels.len().max(1) as f64
    };
    let ouche = level("gauge-ouche-");
    let suzon = level("gauge-suzon-");
    assert!((0.6..=1.0).contains(&ouche), "the Ouche at {ouche} m");
    assert!(suzon < ouche, "the Suzon at {suzon} m, the Ouche at {ouche} m");
    let gauge = of(&weekday, "gauge-ouche-03");
    let largest_step = gauge.windows(2).map(|pair| (pair[1].value - pair[0].value).abs()).fold(0.0, f64::max);
    assert!(largest_step < 0.05, "a river moves slowly, not by {largest_step} m in 5 minutes");
}

#[test]
fn a_simulator_without_scenarios_has_an_empty_log() {
    let city = demo();
    let start = at("2026-11-23T09:00:00+01:00");
    let mut simulator = match Simulator::new(&city, SimConfig { seed: 9, scenarios: Vec::new(), start }) {
        Ok(simulator) => simulator,
        Err(error) => panic!("{error}"),
    };
    simulator.advance(start.plus_seconds(3600));
    assert!(simulator.plan().is_empty() && simulator.scenario_log().is_empty());
    assert_eq!(simulator.start(), start);
}
