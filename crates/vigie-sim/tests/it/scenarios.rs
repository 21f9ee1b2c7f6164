//! Each scenario's signature in the readings, and the errors of a pack that lacks what a
//! scenario needs.

use crate::{at, demo, of, run, simulator};
use std::collections::{BTreeSet, HashMap};
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

#[test]
fn power_cut_trips_every_smoke_detector_of_several_dijon_buildings_for_ten_minutes() {
    let city = demo();
    let start = at("2026-11-23T18:00:00+01:00");
    let cut_at = start.plus_seconds(600);
    let until = start.plus_seconds(3600);
    let mut building_sets = BTreeSet::new();
    for seed in [1, 2, 3, 4, 2026] {
        let mut cut_simulator = simulator(&city, seed, &["power-cut@10m"], start);
        let readings = run(&mut cut_simulator, until, 60);
        assert_eq!(readings, run(&mut simulator(&city, seed, &["powercut@600"], start), until, 60), "seed {seed}");

        let alarms: Vec<&Observation> = readings.iter().filter(|reading| reading.value == 1.0).collect();
        let mut buildings = BTreeSet::new();
        for alarm in &alarms {
            let Some(sensor) = city.sensor(&alarm.sensor_id) else { panic!("unknown {}", alarm.sensor_id) };
            assert_eq!((sensor.kind, sensor.unit.as_str()), (SensorKind::Smoke, "state"), "seed {seed}: {}", sensor.id);
            assert!(alarm.time >= cut_at && alarm.time < cut_at.plus_seconds(11 * 60), "seed {seed}: {}", sensor.id);
            let zone = sensor.zone.as_ref().and_then(|zone| city.zone(zone));
            let Some(zone) = zone else { panic!("{} is in a building", sensor.id) };
            assert_eq!(zone.kind, vigie_city::ZoneKind::PublicBuilding);
            assert_eq!(zone.commune.as_str(), "21231", "seed {seed}: {} is in Dijon", zone.id);
            buildings.insert(zone.id.clone());
        }
        assert!(buildings.len() >= 4, "seed {seed}: {} buildings", buildings.len());

        // Within the first minute, every smoke detector of those buildings is in alarm.
        let first_minute: BTreeSet<&SensorId> =
            alarms.iter().filter(|alarm| alarm.time <= cut_at.plus_seconds(60)).map(|alarm| &alarm.sensor_id).collect();
        let in_buildings: Vec<&vigie_city::Sensor> = city
            .sensors
            .iter()
            .filter(|sensor| {
                sensor.kind == SensorKind::Smoke && sensor.zone.as_ref().is_some_and(|zone| buildings.contains(zone))
            })
            .collect();
        assert!(in_buildings.len() >= 12, "seed {seed}: {} smoke detectors", in_buildings.len());
        for sensor in &in_buildings {
            assert!(first_minute.contains(&sensor.id), "seed {seed}: {} tripped within a minute", sensor.id);
            let reports = of(&readings, sensor.id.as_str());
            let tripped: Vec<&&Observation> = reports.iter().filter(|reading| reading.value == 1.0).collect();
            assert!(tripped.len() >= 55, "seed {seed}: {} reported {} alarms", sensor.id, tripped.len());
            assert!(tripped.windows(2).all(|pair| pair[1].time.seconds_since(pair[0].time) <= 10));
            // Back to rest about ten minutes in, and said so at once.
            let Some(last_alarm) = tripped.last() else { panic!("{} tripped", sensor.id) };
            let after = reports.iter().find(|reading| reading.time > last_alarm.time);
            let Some(after) = after else { panic!("seed {seed}: {} reported its reset", sensor.id) };
            assert_eq!(after.value, 0.0);
            let tripped_for = after.time.seconds_since(cut_at);
            assert!(
                (9 * 60..=11 * 60).contains(&tripped_for),
                "seed {seed}: {} reset after {tripped_for} s",
                sensor.id
            );
            assert!(reports.iter().filter(|reading| reading.time >= after.time).all(|reading| reading.value == 0.0));
        }

        // Nothing else changes: no fire, heat detectors and every other sensor read as usual.
        let ordinary = run(&mut simulator(&city, seed, &[], start), until, 60);
        let tripped: BTreeSet<&SensorId> = in_buildings.iter().map(|sensor| &sensor.id).collect();
        let untouched = |readings: &[Observation]| -> Vec<Observation> {
            readings.iter().filter(|reading| !tripped.contains(&reading.sensor_id)).cloned().collect()
        };
        assert_eq!(untouched(&readings), untouched(&ordinary), "seed {seed}");
        let heat = |readings: &[Observation]| -> Vec<Observation> {
            let is_heat = |reading: &&Observation| {
                city.sensor(&reading.sensor_id).is_some_and(|sensor| sensor.kind == SensorKind::Heat)
            };
            readings.iter().filter(is_heat).cloned().collect()
        };
        assert!(!heat(&readings).is_empty());
        assert_eq!(heat(&readings), heat(&ordinary), "seed {seed}");

        let steps = steps_of(&cut_simulator, ScenarioKind::PowerCut);
        let Some(first) = steps.first() else { panic!("seed {seed}: no steps") };
        assert_eq!(first.time, cut_at);
        assert!(first.what.contains("power dip in Dijon"), "{}", first.what);
        assert_eq!(first.sensors.iter().collect::<BTreeSet<_>>(), tripped);
        let building_steps = steps.iter().filter_map(|step| step.zone.clone()).collect::<BTreeSet<ZoneId>>();
        assert_eq!(building_steps, buildings);
        assert!(steps.last().is_some_and(|step| step.what.contains("power back")));
        building_sets.insert(buildings);
    }
    assert!(building_sets.len() >= 3, "the seed picks the buildings: {building_sets:?}");
}

#[test]
fn a_power_cut_makes_more_than_ten_alarms_at_one_post_within_ten_minutes() {
    let city = demo();
    let start = at("2026-11-23T18:00:00+01:00");
    let mut simulator = simulator(&city, 7, &["power-cut"], start);
    let readings = run(&mut simulator, start.plus_seconds(600), 60);
    let mut alarms_per_post: HashMap<String, BTreeSet<&SensorId>> = HashMap::new();
    for reading in readings.iter().filter(|reading| reading.value == 1.0) {
        let Some(sensor) = city.sensor(&reading.sensor_id) else { continue };
        let Ok(category) = vigie_core::CategoryId::parse("fire") else { panic!("a category id") };
        let post = city.route(&category, Some(&sensor.commune), sensor.zone.as_ref());
        let Some(post) = post else { panic!("{} routes to a post", sensor.id) };
        alarms_per_post.entry(post.to_string()).or_default().insert(&reading.sensor_id);
    }
    assert!(alarms_per_post.values().any(|alarms| alarms.len() > 10), "{alarms_per_post:?}");
}

#[test]
fn a_power_cut_takes_more_buildings_until_twelve_detectors_are_in() {
    let mut city = demo();
    let kept = ["gymnase-gresilles", "piscine-fontaine-d-ouche", "college-le-parc", "lycee-carnot"];
    city.sensors.retain(|sensor| {
        sensor.kind != SensorKind::Smoke || sensor.zone.as_ref().is_some_and(|zone| kept.contains(&zone.as_str()))
    });
    let start = at("2026-11-23T10:00:00+01:00");
    let mut simulator = simulator(&city, 3, &["powercut"], start);
    let readings = run(&mut simulator, start.plus_seconds(120), 60);
    let tripped: BTreeSet<&SensorId> =
        readings.iter().filter(|reading| reading.value == 1.0).map(|reading| &reading.sensor_id).collect();
    assert_eq!(tripped.len(), 12, "{tripped:?}");
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

    let smoke_only_in = |buildings: &[&str]| {
        let mut pack = city.clone();
        pack.sensors.retain(|sensor| {
            sensor.kind != SensorKind::Smoke
                || sensor.commune.as_str() != "21231"
                || sensor.zone.as_ref().is_some_and(|zone| buildings.contains(&zone.as_str()))
        });
        pack
    };
    let three_buildings = smoke_only_in(&["hotel-de-ville", "bibliotheque", "auditorium"]);
    let (scenario, missing, message) = refusal(&three_buildings, "power-cut");
    assert_eq!(scenario, ScenarioKind::PowerCut);
    assert_eq!(
        missing,
        ["12 smoke detectors (kind smoke, unit state) in 4 public_building zones of one commune \
          (commune 21231 has 19 in 3)"]
    );
    assert!(message.contains("power_cut"), "{message}");
    let ten_detectors =
        smoke_only_in(&["gymnase-gresilles", "piscine-fontaine-d-ouche", "college-le-parc", "palais-des-sports"]);
    assert!(refusal(&ten_detectors, "powercut").1[0].contains("has 10 in 4"));

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
