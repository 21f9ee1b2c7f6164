//! Planning the scenarios: finding in the city the sensors each one plays on, drawing its
//! details from the seed, and writing its effects and steps down before the first reading.
//!
//! Scenarios pick their targets by what sensors are and where they stand, never by a
//! hard-coded id: the flood takes the river with the most gauges, the fire the building whose
//! id or name says it is a library, and so on. A pack that lacks what a scenario needs gets a
//! [`SimError`] naming it.

use crate::effect::{Effect, Envelope};
use crate::error::SimError;
use crate::local_time::{LocalTime, next_local_hour};
use crate::rng::Rng;
use crate::scenario::{ScenarioKind, ScenarioSpec, ScenarioStep};
use crate::simulator::SimConfig;
use std::collections::BTreeSet;
use vigie_city::{City, Sensor, SensorKind, Zone, ZoneKind};
use vigie_core::{CommuneId, Timestamp, ZoneId};

/// The longest delay honoured before a scenario starts: a hundred years.
const MAX_DELAY_S: u64 = 100 * 366 * 86_400;

const SECOND: f64 = 1.0;
const MINUTE: f64 = 60.0;
const HOUR: f64 = 3600.0;

/// Every scenario's effects, per sensor (in the pack's order), and the timeline of steps.
#[derive(Clone, Debug, Default)]
pub(crate) struct Plan {
    pub(crate) effects: Vec<Vec<Effect>>,
    /// Sorted by time; steps at the same time keep the order they were planned in.
    pub(crate) steps: Vec<ScenarioStep>,
}

/// A power cut trips the fire panels of at least this many public buildings...
const POWER_CUT_MIN_BUILDINGS: usize = 4;
/// ...and puts at least this many smoke detectors in alarm.
const POWER_CUT_MIN_DETECTORS: usize = 12;

/// Returns `time` moved by `seconds`, saturating.
fn later(time: i64, seconds: f64) -> i64 {
    time.saturating_add((seconds * 1000.0) as i64)
}

/// Plans every scenario of `config` on `city`. Silent sensors are chosen last, among the
/// sensors no other scenario uses, so that a silence never hides another scenario.
pub(crate) fn plan(city: &City, config: &SimConfig) -> Result<Plan, SimError> {
    let mut planner = Planner { city, plan: Plan { effects: vec![Vec::new(); city.sensors.len()], steps: Vec::new() } };
    let silent_last = config
        .scenarios
        .iter()
        .enumerate()
        .filter(|(_, spec)| spec.kind != ScenarioKind::SensorSilent)
        .chain(config.scenarios.iter().enumerate().filter(|(_, spec)| spec.kind == ScenarioKind::SensorSilent));
    for (position, spec) in silent_last {
        let mut rng = Rng::keyed(config.seed, &[0x504C_414E, position as u64, spec.kind as u64]);
        let start = later(config.start.millis(), spec.starts_after_s.min(MAX_DELAY_S) as f64);
        planner.plan_one(spec, start, &mut rng)?;
    }
    let mut plan = planner.plan;
    plan.steps.sort_by_key(|step| step.time);
    Ok(plan)
}

struct Planner<'a> {
    city: &'a City,
    plan: Plan,
}

impl<'a> Planner<'a> {
    fn plan_one(&mut self, spec: &ScenarioSpec, start: i64, rng: &mut Rng) -> Result<(), SimError> {
        let missing = |missing: Vec<String>| SimError::MissingSensors { scenario: spec.kind, missing };
        match spec.kind {
            ScenarioKind::Flood => self.flood(start, rng).map_err(missing),
            ScenarioKind::LibraryFire => self.library_fire(start, rng).map_err(missing),
            ScenarioKind::NightIntrusion => self.night_intrusion(start, rng).map_err(missing),
            ScenarioKind::RushHourJam => self.rush_hour_jam(start, rng).map_err(missing),
            ScenarioKind::CrowdGathering => self.crowd_gathering(start, rng).map_err(missing),
            ScenarioKind::SensorSilent => self.sensor_silent(start, rng).map_err(missing),
            ScenarioKind::PowerCut => self.power_cut(start, rng).map_err(missing),
        }
    }

    /// The positions of the sensors of `kind` in `zone`, in the pack's order.
    fn sensors_in(&self, zone: &ZoneId, kind: SensorKind) -> Vec<usize> {
        self.sensors_where(|sensor| sensor.kind == kind && sensor.zone.as_ref() == Some(zone))
    }

    fn sensors_where(&self, keep: impl Fn(&Sensor) -> bool) -> Vec<usize> {
        (0..self.city.sensors.len()).filter(|&position| keep(&self.city.sensors[position])).collect()
    }

    /// The zones of `kind` that hold at least one sensor of `sensor_kind`, with those sensors.
    fn zones_with(&self, kind: ZoneKind, sensor_kind: SensorKind) -> Vec<(&'a Zone, Vec<usize>)> {
        let city: &'a City = self.city;
        city.zones
            .iter()
            .filter(|zone| zone.kind == kind)
            .map(|zone| (zone, self.sensors_in(&zone.id, sensor_kind)))
            .filter(|(_, sensors)| !sensors.is_empty())
            .collect()
    }

    fn add(&mut self, sensor: usize, effect: Effect) {
        self.plan.effects[sensor].push(effect);
    }

    fn step(&mut self, time: i64, scenario: ScenarioKind, what: String, zone: Option<&ZoneId>, sensors: &[usize]) {
        let sensors = sensors.iter().map(|&position| self.city.sensors[position].id.clone()).collect();
        self.plan.steps.push(ScenarioStep { time: Timestamp(time), scenario, what, zone: zone.cloned(), sensors });
    }

    fn name(&self, sensor: usize) -> &str {
        self.city.sensors[sensor].id.as_str()
    }

    /// The river with the most gauges rises about 0.35 m/h for 6 hours, each gauge 15 minutes
    /// after the one upstream (the pack numbers gauges from upstream), then recedes at
    /// 0.12 m/h; the rain gauges see a downpour of 10 to 18 mm/h for 4 hours.
    fn flood(&mut self, start: i64, rng: &mut Rng) -> Result<(), Vec<String>> {
        const RISE_HOURS: f64 = 6.0;
        const RECESSION_M_PER_H: f64 = 0.12;
        let city = self.city;
        let Some((river, mut gauges)) = self
            .zones_with(ZoneKind::River, SensorKind::RiverLevel)
            .into_iter()
            .rev()
            .max_by_key(|(_, gauges)| gauges.len())
        else {
            return Err(vec!["a river gauge (kind river_level) on a river zone".to_owned()]);
        };
        gauges.sort_by(|&left, &right| city.sensors[left].id.cmp(&city.sensors[right].id));

        let rain_gauges = self.sensors_where(|sensor| sensor.kind == SensorKind::Rainfall);
        for &gauge in &rain_gauges {
            let envelope = Envelope {
                start,
                full_from: later(start, 30.0 * MINUTE),
                full_until: later(start, 4.0 * HOUR),
                end: later(start, 5.0 * HOUR),
            };
            self.add(gauge, Effect::HeavyRain { envelope, peak_mm_h: rng.range(10.0, 18.0) });
        }
        if !rain_gauges.is_empty() {
            self.step(start, ScenarioKind::Flood, "heavy rain over the catchment".to_owned(), None, &rain_gauges);
        }

        let mut crests = Vec::new();
        for (downstream, &gauge) in gauges.iter().enumerate() {
            let rises_at = later(start, 20.0 * MINUTE + downstream as f64 * 15.0 * MINUTE);
            let peak_m = 0.35 * rng.range(0.97, 1.03) * RISE_HOURS;
            let peak_at = later(rises_at, RISE_HOURS * HOUR);
            let end = later(peak_at, peak_m / RECESSION_M_PER_H * HOUR);
            self.add(gauge, Effect::RiverRise { start: rises_at, peak_at, end, peak_m });
            crests.push((peak_at, end, peak_m));
        }
        let (first, last) = (gauges[0], gauges[gauges.len() - 1]);
        let (first_crest, _, first_peak_m) = crests[0];
        let (last_crest, last_end, last_peak_m) = crests[crests.len() - 1];
        let river_name = river.name.clone();
        self.step(
            later(start, 20.0 * MINUTE),
            ScenarioKind::Flood,
            format!("{river_name} starts rising at {}, then downstream", self.name(first)),
            Some(&river.id),
            &gauges,
        );
        self.step(
            first_crest,
            ScenarioKind::Flood,
            format!("crest of {river_name} at {} (+{first_peak_m:.2} m)", self.name(first)),
            Some(&river.id),
            &[first],
        );
        self.step(
            last_crest,
            ScenarioKind::Flood,
            format!("crest of {river_name} at {} (+{last_peak_m:.2} m)", self.name(last)),
            Some(&river.id),
            &[last],
        );
        self.step(
            last_end,
            ScenarioKind::Flood,
            format!("{river_name} back to its ordinary level"),
            Some(&river.id),
            &gauges,
        );
        Ok(())
    }

    /// In the library, one smoke detector trips at the start; one heat detector starts
    /// climbing about 1 °C/s some 15 to 20 s later, so it passes 57 °C about a minute after
    /// the smoke; the other smoke detectors follow every 20 to 60 s and the other heat
    /// detectors every one or two minutes. The fire is under control after 40 minutes and the
    /// detectors are back to normal after 75.
    fn library_fire(&mut self, start: i64, rng: &mut Rng) -> Result<(), Vec<String>> {
        let Some(library) = find_library(self.city) else {
            return Err(vec![
                "a library: a public_building zone whose id or name says bibliothèque, library or médiathèque"
                    .to_owned(),
            ]);
        };
        let mut smoke = self.sensors_in(&library.id, SensorKind::Smoke);
        let mut heat = self.sensors_in(&library.id, SensorKind::Heat);
        let mut missing = Vec::new();
        if smoke.is_empty() {
            missing.push(format!("a smoke detector (kind smoke) in zone {}", library.id));
        }
        if heat.is_empty() {
            missing.push(format!("a heat detector (kind heat) in zone {}", library.id));
        }
        if !missing.is_empty() {
            return Err(missing);
        }
        shuffle(&mut smoke, rng);
        shuffle(&mut heat, rng);
        let under_control = later(start, 40.0 * MINUTE);
        let end = later(start, 75.0 * MINUTE);

        self.add(smoke[0], Effect::Smoke { start, end });
        let first_heat_at = later(start, rng.range(15.0, 20.0) * SECOND);
        let first_heat = Effect::Heat {
            start: first_heat_at,
            rate_c_per_s: 1.0,
            peak_c: rng.range(95.0, 130.0),
            cooling_from: under_control,
            end,
        };
        self.add(heat[0], first_heat);

        let mut spreads_at = later(start, 30.0 * SECOND);
        for &detector in &smoke[1..] {
            spreads_at = later(spreads_at, rng.range(20.0, 60.0) * SECOND);
            self.add(detector, Effect::Smoke { start: spreads_at, end });
        }
        let mut heats_at = later(start, 150.0 * SECOND);
        for &detector in &heat[1..] {
            let effect = Effect::Heat {
                start: heats_at,
                rate_c_per_s: rng.range(0.3, 0.6),
                peak_c: rng.range(65.0, 100.0),
                cooling_from: under_control,
                end,
            };
            self.add(detector, effect);
            heats_at = later(heats_at, rng.range(60.0, 120.0) * SECOND);
        }

        let zone = Some(&library.id);
        let all: Vec<usize> = smoke.iter().chain(&heat).copied().collect();
        let fire = ScenarioKind::LibraryFire;
        self.step(
            start,
            fire,
            format!("smoke detected by {} in {}", self.name(smoke[0]), library.name),
            zone,
            &[smoke[0]],
        );
        self.step(
            first_heat_at,
            fire,
            format!("{} heats up, past 57 °C within a minute", self.name(heat[0])),
            zone,
            &[heat[0]],
        );
        if all.len() > 2 {
            let others: Vec<usize> = smoke[1..].iter().chain(&heat[1..]).copied().collect();
            let what = format!("the fire spreads: {} more detectors follow", others.len());
            self.step(later(start, 30.0 * SECOND), fire, what, zone, &others);
        }
        self.step(under_control, fire, "fire under control, the building cools".to_owned(), zone, &all);
        self.step(end, fire, "detectors back to rest".to_owned(), zone, &all);
        Ok(())
    }

    /// In one building with intrusion detectors, chosen from the seed, a detector triggers
    /// for 1.5 to 4 minutes, and a second one (when the building has one) a minute or two
    /// later as the intruder moves on. It happens at the start if it is already night
    /// (22:00 to 05:00 local), otherwise at a time drawn between 01:00 and 04:00 of the next
    /// night.
    fn night_intrusion(&mut self, start: i64, rng: &mut Rng) -> Result<(), Vec<String>> {
        let buildings = self.zones_with(ZoneKind::PublicBuilding, SensorKind::Intrusion);
        if buildings.is_empty() {
            return Err(vec!["an intrusion detector (kind intrusion) in a public_building zone".to_owned()]);
        }
        let (building, mut detectors) = buildings[rng.below(buildings.len())].clone();
        shuffle(&mut detectors, rng);
        let local_hour = LocalTime::at(Timestamp(start)).hour();
        let already_night = !(5.0..22.0).contains(&local_hour);
        let triggers_at = if already_night {
            start
        } else {
            later(next_local_hour(Timestamp(start), 1).millis(), rng.range(0.0, 3.0) * HOUR)
        };
        let first_end = later(triggers_at, rng.range(90.0, 240.0) * SECOND);
        self.add(detectors[0], Effect::Intrusion { start: triggers_at, end: first_end });
        let mut rest_at = first_end;
        let zone = Some(&building.id);
        let intrusion = ScenarioKind::NightIntrusion;
        let what =
            format!("intrusion detected by {} in {} (armed for the night)", self.name(detectors[0]), building.name);
        self.step(triggers_at, intrusion, what, zone, &[detectors[0]]);
        if let Some(&second) = detectors.get(1) {
            let moves_at = later(triggers_at, rng.range(60.0, 150.0) * SECOND);
            let second_end = later(moves_at, rng.range(60.0, 180.0) * SECOND);
            self.add(second, Effect::Intrusion { start: moves_at, end: second_end });
            rest_at = rest_at.max(second_end);
            self.step(
                moves_at,
                intrusion,
                format!("the intruder moves on: {} triggers", self.name(second)),
                zone,
                &[second],
            );
        }
        let involved: Vec<usize> = detectors.iter().take(2).copied().collect();
        self.step(rest_at, intrusion, "intrusion detectors back to rest".to_owned(), zone, &involved);
        Ok(())
    }

    /// On one main road (one with several counters when there is one), the flow at one
    /// counter falls to 8 to 18 % of its ordinary value within 3 minutes, stays there about
    /// 30 minutes and recovers in 5; the road's other counters carry on as usual.
    fn rush_hour_jam(&mut self, start: i64, rng: &mut Rng) -> Result<(), Vec<String>> {
        let roads = self.zones_with(ZoneKind::MainRoad, SensorKind::TrafficFlow);
        let with_neighbours: Vec<&(&Zone, Vec<usize>)> =
            roads.iter().filter(|(_, counters)| counters.len() >= 2).collect();
        let candidates: Vec<&(&Zone, Vec<usize>)> =
            if with_neighbours.is_empty() { roads.iter().collect() } else { with_neighbours };
        if candidates.is_empty() {
            return Err(vec!["a traffic counter (kind traffic_flow) on a main_road zone".to_owned()]);
        }
        let (road, counters) = candidates[rng.below(candidates.len())];
        let jammed = counters[rng.below(counters.len())];
        let clears_at = later(start, rng.range(28.0, 33.0) * MINUTE);
        let envelope = Envelope {
            start,
            full_from: later(start, 3.0 * MINUTE),
            full_until: clears_at,
            end: later(clears_at, 5.0 * MINUTE),
        };
        self.add(jammed, Effect::FlowCollapse { envelope, residual: rng.range(0.08, 0.18) });
        let zone = Some(&road.id);
        let jam = ScenarioKind::RushHourJam;
        let what = format!("traffic collapses at {} on {}; the other counters flow on", self.name(jammed), road.name);
        self.step(start, jam, what, zone, &[jammed]);
        self.step(envelope.full_until, jam, "the jam clears".to_owned(), zone, &[jammed]);
        self.step(envelope.end, jam, "traffic back to normal".to_owned(), zone, &[jammed]);
        Ok(())
    }

    /// At one event area, each crowd counter climbs by 2,600 to 4,200 persons over 20
    /// minutes; the crowd stays 90 minutes and disperses in 30.
    fn crowd_gathering(&mut self, start: i64, rng: &mut Rng) -> Result<(), Vec<String>> {
        let areas = self.zones_with(ZoneKind::EventArea, SensorKind::CrowdCount);
        if areas.is_empty() {
            return Err(vec!["a crowd counter (kind crowd_count) in an event_area zone".to_owned()]);
        }
        let (area, counters) = areas[rng.below(areas.len())].clone();
        let envelope = Envelope {
            start,
            full_from: later(start, 20.0 * MINUTE),
            full_until: later(start, 110.0 * MINUTE),
            end: later(start, 140.0 * MINUTE),
        };
        let mut total = 0.0;
        for &counter in &counters {
            let extra_persons = rng.range(2600.0, 4200.0);
            total += extra_persons;
            self.add(counter, Effect::Crowd { envelope, extra_persons });
        }
        let zone = Some(&area.id);
        let crowd = ScenarioKind::CrowdGathering;
        self.step(start, crowd, format!("a crowd gathers at {}", area.name), zone, &counters);
        let what = format!("the crowd peaks, about {} persons", (total / 100.0).round() * 100.0);
        self.step(envelope.full_from, crowd, what, zone, &counters);
        self.step(envelope.full_until, crowd, "the crowd disperses".to_owned(), zone, &counters);
        self.step(envelope.end, crowd, "the area is back to normal".to_owned(), zone, &counters);
        Ok(())
    }

    /// A power dip trips the fire panels of the public buildings of one commune: the commune
    /// whose public buildings hold the most two-state smoke detectors (unit `state`), among
    /// those with at least 4 such buildings and 12 such detectors (Dijon in the demo pack).
    /// Four to six of its buildings, drawn from the seed, and more while fewer than 12
    /// detectors are in. Each panel trips 1 to 4 s after the previous one and reports every
    /// smoke detector of its building in alarm, 1.5 to 3.5 s apart; power comes back 9.5 to
    /// 10 minutes after the dip and each panel resets within 30 s of it. There is no fire:
    /// heat detectors carry on as usual.
    fn power_cut(&mut self, start: i64, rng: &mut Rng) -> Result<(), Vec<String>> {
        let city = self.city;
        let buildings: Vec<(&Zone, Vec<usize>)> = city
            .zones
            .iter()
            .filter(|zone| zone.kind == ZoneKind::PublicBuilding)
            .map(|zone| {
                let detectors = self.sensors_where(|sensor| {
                    sensor.kind == SensorKind::Smoke && sensor.unit == "state" && sensor.zone.as_ref() == Some(&zone.id)
                });
                (zone, detectors)
            })
            .filter(|(_, detectors)| !detectors.is_empty())
            .collect();
        // Each commune with its buildings and detectors, in the order they first appear.
        let mut communes: Vec<(&CommuneId, usize, usize)> = Vec::new();
        for (zone, detectors) in &buildings {
            match communes.iter_mut().find(|(commune, _, _)| *commune == &zone.commune) {
                Some((_, building_count, detector_count)) => {
                    *building_count += 1;
                    *detector_count += detectors.len();
                }
                None => communes.push((&zone.commune, 1, detectors.len())),
            }
        }
        let enough = |&&(_, building_count, detector_count): &&(&CommuneId, usize, usize)| {
            building_count >= POWER_CUT_MIN_BUILDINGS && detector_count >= POWER_CUT_MIN_DETECTORS
        };
        // The most detectors; on a tie, the first commune in the pack.
        let chosen = communes.iter().filter(enough).rev().max_by_key(|(_, _, detector_count)| *detector_count);
        let Some(&(commune, _, _)) = chosen else {
            let mut needed = format!(
                "{POWER_CUT_MIN_DETECTORS} smoke detectors (kind smoke, unit state) in {POWER_CUT_MIN_BUILDINGS} \
                 public_building zones of one commune"
            );
            let closest = communes.iter().rev().max_by_key(|(_, building_count, detector_count)| {
                ((*building_count).min(POWER_CUT_MIN_BUILDINGS), *detector_count)
            });
            if let Some((commune, building_count, detector_count)) = closest {
                needed.push_str(&format!(" (commune {commune} has {detector_count} in {building_count})"));
            }
            return Err(vec![needed]);
        };

        let candidates: Vec<&(&Zone, Vec<usize>)> =
            buildings.iter().filter(|(zone, _)| &zone.commune == commune).collect();
        let mut order: Vec<usize> = (0..candidates.len()).collect();
        shuffle(&mut order, rng);
        let wanted = POWER_CUT_MIN_BUILDINGS + rng.below(3);
        let mut tripped: Vec<&(&Zone, Vec<usize>)> = Vec::new();
        let mut detector_count = 0;
        for position in order {
            if tripped.len() >= wanted && detector_count >= POWER_CUT_MIN_DETECTORS {
                break;
            }
            detector_count += candidates[position].1.len();
            tripped.push(candidates[position]);
        }

        let power_cut = ScenarioKind::PowerCut;
        let commune_name = city.commune(commune).map_or_else(|| commune.to_string(), |found| found.name.clone());
        let all: Vec<usize> = tripped.iter().flat_map(|(_, detectors)| detectors.iter().copied()).collect();
        let what = format!(
            "power dip in {commune_name}: the fire panels of {} public buildings trip, {} smoke detectors in alarm",
            tripped.len(),
            all.len()
        );
        self.step(start, power_cut, what, None, &all);
        let power_back = later(start, rng.range(9.5, 10.0) * MINUTE);
        let mut panel_trips_at = start;
        for (index, &(building, detectors)) in tripped.iter().enumerate() {
            if index > 0 {
                panel_trips_at = later(panel_trips_at, rng.range(1.0, 4.0) * SECOND);
            }
            let resets_at = later(power_back, rng.range(0.0, 30.0) * SECOND);
            let mut detector_trips_at = panel_trips_at;
            for (rank, &detector) in detectors.iter().enumerate() {
                if rank > 0 {
                    detector_trips_at = later(detector_trips_at, rng.range(1.5, 3.5) * SECOND);
                }
                self.add(detector, Effect::PanelTrip { start: detector_trips_at, end: resets_at });
            }
            let what = format!(
                "the fire panel of {} trips: {} smoke detectors in alarm, no fire",
                building.name,
                detectors.len()
            );
            self.step(panel_trips_at, power_cut, what, Some(&building.id), detectors);
        }
        let what = format!("power back in {commune_name}: the fire panels reset, the smoke detectors back to rest");
        self.step(power_back, power_cut, what, None, &all);
        Ok(())
    }

    /// One sensor that no other scenario uses stops reporting; one that reports at least every
    /// 5 minutes when there is one, so that its silence shows soon.
    fn sensor_silent(&mut self, start: i64, rng: &mut Rng) -> Result<(), Vec<String>> {
        let used: BTreeSet<usize> =
            (0..self.plan.effects.len()).filter(|&position| !self.plan.effects[position].is_empty()).collect();
        let simulated = |sensor: &Sensor| !sensor.kind.is_video();
        let unused = self.sensors_where(simulated).into_iter().filter(|position| !used.contains(position));
        let unused: Vec<usize> = unused.collect();
        let chatty: Vec<usize> =
            unused.iter().copied().filter(|&position| self.city.sensors[position].expected_period_s <= 300).collect();
        let candidates = if !chatty.is_empty() {
            chatty
        } else if !unused.is_empty() {
            unused
        } else {
            self.sensors_where(simulated)
        };
        if candidates.is_empty() {
            return Err(vec!["a sensor".to_owned()]);
        }
        let silent = candidates[rng.below(candidates.len())];
        self.add(silent, Effect::Silent { start });
        let zone = self.city.sensors[silent].zone.clone();
        self.step(
            start,
            ScenarioKind::SensorSilent,
            format!("{} stops reporting", self.name(silent)),
            zone.as_ref(),
            &[silent],
        );
        Ok(())
    }
}

/// The library: the first public building whose id or name says bibliothèque or library,
/// else the first that says médiathèque.
fn find_library(city: &City) -> Option<&Zone> {
    let says = |zone: &Zone, words: &[&str]| {
        let text = format!("{} {}", zone.id, zone.name).to_lowercase();
        words.iter().any(|word| text.contains(word))
    };
    let buildings = || city.zones.iter().filter(|zone| zone.kind == ZoneKind::PublicBuilding);
    buildings()
        .find(|zone| says(zone, &["biblioth", "library"]))
        .or_else(|| buildings().find(|zone| says(zone, &["médiath", "mediath"])))
}

/// Shuffles in place (Fisher–Yates).
fn shuffle(items: &mut [usize], rng: &mut Rng) {
    for last in (1..items.len()).rev() {
        let chosen = rng.below(last + 1);
        items.swap(last, chosen);
    }
}
