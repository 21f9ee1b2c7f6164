//! [`Simulator`]: time in, observations out.
//!
//! Each sensor reports at a little under its `expected_period_s` (88 to 99 % of it, drawn per
//! reading), so a healthy simulated sensor never looks lost. Fire and intrusion detectors
//! also report on change while a scenario acts on them. Every reading is a pure function of
//! the seed, the sensor, the instant and the scenarios: the same seed gives the same readings
//! however `advance` is called.

use crate::effect::Effect;
use crate::error::SimError;
use crate::local_time::LocalTime;
use crate::plan::plan;
use crate::profile::{CityFacts, Profile};
use crate::rng::{Rng, key_of};
use crate::scenario::{ScenarioSpec, ScenarioStep};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use vigie_city::{City, Sensor, SensorKind, ZoneKind};
use vigie_core::{Observation, SensorId, Timestamp};

/// What to simulate: the seed of every random draw, the scenarios, and the simulated instant
/// the simulation starts at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimConfig {
    pub seed: u64,
    #[serde(default)]
    pub scenarios: Vec<ScenarioSpec>,
    pub start: Timestamp,
}

/// Smoke detectors whose unit is `state` report 1 from this obscuration on, in %/m.
const SMOKE_ALARM_PERCENT_PER_M: f64 = 2.0;

/// The shortest gap between two readings of one sensor, whatever its period says.
const MIN_REPORT_GAP_MS: i64 = 100;

const SALT_FIRST_REPORT: u64 = 0x4649_5253;
const SALT_SCHEDULE: u64 = 0x5343_4845;
const SALT_VALUE: u64 = 0x5641_4C55;

/// A simulated city: its sensors' readings as simulated time advances.
#[derive(Clone, Debug)]
pub struct Simulator {
    seed: u64,
    start: Timestamp,
    /// The instant readings have been produced up to, included.
    now: Timestamp,
    sensors: Vec<SimSensor>,
    /// Sorted by time.
    steps: Vec<ScenarioStep>,
}

#[derive(Clone, Debug)]
struct SimSensor {
    id: SensorId,
    kind: SensorKind,
    unit: String,
    /// The key of the sensor's random draws, from its id.
    key: u64,
    period_ms: i64,
    profile: Profile,
    effects: Vec<Effect>,
    /// When it reports next; `i64::MAX` once it has fallen silent for good.
    next_report_ms: i64,
}

impl Simulator {
    /// Prepares the simulation of `city`: draws each sensor's parameters and plans every
    /// scenario. Fails when a scenario needs sensors the pack lacks, naming them.
    pub fn new(city: &City, config: SimConfig) -> Result<Simulator, SimError> {
        let plan = plan(city, &config)?;
        let facts = city_facts(city);
        let seed = config.seed;
        let start = config.start;
        let sensors = city
            .sensors
            .iter()
            .zip(plan.effects)
            // Video analytics report through the vision worker, never through the simulator.
            .filter(|(sensor, _)| !sensor.kind.is_video())
            .map(|(sensor, effects)| SimSensor::new(sensor, effects, &facts, seed, start))
            .collect();
        Ok(Simulator { seed, start, now: start, sensors, steps: plan.steps })
    }

    /// Advances simulated time to `now` and returns the readings due in `(previous, now]`,
    /// in time order (readings at the same instant in the pack's sensor order). The first
    /// call's window opens at the start. A `now` not after the previous one returns nothing.
    pub fn advance(&mut self, now: Timestamp) -> Vec<Observation> {
        if now <= self.now {
            return Vec::new();
        }
        let seed = self.seed;
        let mut readings = Vec::new();
        for sensor in &mut self.sensors {
            // `i64::MAX` means never, even for a `now` at the end of time.
            while sensor.next_report_ms <= now.millis() && sensor.next_report_ms != i64::MAX {
                let time = sensor.next_report_ms;
                if sensor.is_silent_for_good(time) {
                    sensor.next_report_ms = i64::MAX;
                    break;
                }
                readings.push(sensor.observe(seed, time));
                let interval = sensor.jittered_interval_ms(seed, time);
                sensor.next_report_ms = sensor.next_report_after(time, interval);
            }
        }
        // A stable sort: readings at the same instant keep the pack's order.
        readings.sort_by_key(|reading| reading.time);
        self.now = now;
        readings
    }

    /// Returns the simulated instant the simulation started at.
    pub fn start(&self) -> Timestamp {
        self.start
    }

    /// Returns the simulated instant readings have been produced up to.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// Returns every planned scenario step, past and future, in time order.
    pub fn plan(&self) -> &[ScenarioStep] {
        &self.steps
    }

    /// Returns the scenario steps that have happened so far (up to [`Simulator::now`]).
    pub fn scenario_log(&self) -> &[ScenarioStep] {
        let happened = self.steps.partition_point(|step| step.time <= self.now);
        &self.steps[..happened]
    }
}

/// Returns the simulated instant after `wall_elapsed` of real time at `speed` simulated
/// seconds per real second (1 for live, 60 for an hour a minute), from `start`. A speed that
/// is not a positive, finite number keeps the simulation at `start`.
pub fn sim_time(start: Timestamp, wall_elapsed: Duration, speed: f64) -> Timestamp {
    if !(speed.is_finite() && speed > 0.0) {
        return start;
    }
    // `as` saturates on overflow, and so does the addition.
    let simulated_ms = (wall_elapsed.as_secs_f64() * speed * 1000.0).floor() as i64;
    Timestamp(start.millis().saturating_add(simulated_ms))
}

fn city_facts(city: &City) -> CityFacts {
    let gauges_on = |zone: &vigie_city::Zone| {
        city.sensors
            .iter()
            .filter(|sensor| sensor.kind == SensorKind::RiverLevel && sensor.zone.as_ref() == Some(&zone.id))
            .count()
    };
    // The river with the most gauges; on a tie, the first in the pack.
    let main_river = city
        .zones
        .iter()
        .filter(|zone| zone.kind == ZoneKind::River)
        .map(|zone| (zone, gauges_on(zone)))
        .filter(|(_, gauges)| *gauges > 0)
        .rev()
        .max_by_key(|(_, gauges)| *gauges)
        .map(|(zone, _)| zone.id.clone());
    let main_roads =
        city.zones.iter().filter(|zone| zone.kind == ZoneKind::MainRoad).map(|zone| zone.id.clone()).collect();
    CityFacts { main_river, main_roads }
}

impl SimSensor {
    fn new(sensor: &Sensor, effects: Vec<Effect>, facts: &CityFacts, seed: u64, start: Timestamp) -> SimSensor {
        let key = key_of(sensor.id.as_str());
        let period_ms = (i64::from(sensor.expected_period_s) * 1000).max(MIN_REPORT_GAP_MS);
        let mut simulated = SimSensor {
            id: sensor.id.clone(),
            kind: sensor.kind,
            unit: sensor.unit.clone(),
            key,
            period_ms,
            profile: Profile::for_sensor(sensor, facts, seed),
            effects,
            next_report_ms: i64::MAX,
        };
        // Sensors start out of step with each other: the first report falls anywhere in the
        // first period.
        let phase = Rng::keyed(seed, &[key, start.millis() as u64, SALT_FIRST_REPORT]).range(0.02, 0.99);
        let first_interval = ((period_ms as f64 * phase) as i64).max(MIN_REPORT_GAP_MS);
        simulated.next_report_ms = simulated.next_report_after(start.millis(), first_interval);
        simulated
    }

    /// Returns 88 to 99 % of the period, drawn for the reading at `time`.
    fn jittered_interval_ms(&self, seed: u64, time: i64) -> i64 {
        let jitter = Rng::keyed(seed, &[self.key, time as u64, SALT_SCHEDULE]).range(0.88, 0.99);
        ((self.period_ms as f64 * jitter) as i64).max(MIN_REPORT_GAP_MS)
    }

    /// Returns when the sensor reports after a reading at `time`: after `interval`, or
    /// sooner when an effect that reports on change begins, runs or ends.
    fn next_report_after(&self, time: i64, interval: i64) -> i64 {
        let mut next = time.saturating_add(interval);
        for effect in &self.effects {
            let Some(on_change_ms) = effect.report_on_change_ms() else {
                continue;
            };
            if effect.start() > time {
                next = next.min(effect.start());
            } else if time < effect.end() {
                next = next.min(time.saturating_add(on_change_ms)).min(effect.end());
            }
        }
        next
    }

    fn is_silent_for_good(&self, time: i64) -> bool {
        self.effects.iter().any(|effect| effect.silences(time))
    }

    fn observe(&self, seed: u64, time: i64) -> Observation {
        let local = LocalTime::at(Timestamp(time));
        let mut noise = Rng::keyed(seed, &[self.key, time as u64, SALT_VALUE]);
        let ordinary = self.profile.quantity(seed, self.key, time, local, &mut noise);
        let quantity = self.effects.iter().fold(ordinary, |quantity, effect| effect.apply(quantity, time, &mut noise));
        let value = self.reading(quantity);
        debug_assert!(value.is_finite(), "{} read {value}", self.id);
        Observation {
            sensor_id: self.id.clone(),
            time: Timestamp(time),
            value: if value.is_finite() { value } else { 0.0 },
            unit: self.unit.clone(),
            evidence: None,
        }
    }

    /// Turns a quantity into the value the sensor sends, in its unit and at its resolution.
    fn reading(&self, quantity: f64) -> f64 {
        let round_to = |step: f64| (quantity / step).round() * step;
        match self.kind {
            SensorKind::Smoke if self.unit == "state" => {
                if quantity >= SMOKE_ALARM_PERCENT_PER_M {
                    1.0
                } else {
                    0.0
                }
            }
            SensorKind::Smoke => round_to(0.01).max(0.0),
            SensorKind::Intrusion => {
                if quantity >= 0.5 {
                    1.0
                } else {
                    0.0
                }
            }
            SensorKind::RiverLevel => round_to(0.001).max(0.0),
            SensorKind::Rainfall | SensorKind::AirQuality => round_to(0.1).max(0.0),
            SensorKind::Heat | SensorKind::Temperature | SensorKind::Noise => round_to(0.1),
            SensorKind::TrafficFlow | SensorKind::CrowdCount => quantity.round().max(0.0),
            SensorKind::VideoCount
            | SensorKind::VideoCounterFlow
            | SensorKind::VideoIntrusion
            | SensorKind::VideoFlow
            | SensorKind::VideoClosePairs => quantity.round().max(0.0),
            SensorKind::VideoDensity => round_to(0.01).max(0.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sim_time_scales_wall_time() {
        let start = Timestamp(1_000_000);
        assert_eq!(sim_time(start, Duration::from_secs(10), 1.0), Timestamp(1_010_000));
        assert_eq!(sim_time(start, Duration::from_secs(10), 60.0), Timestamp(1_600_000));
        assert_eq!(sim_time(start, Duration::from_millis(1500), 2.0), Timestamp(1_003_000));
        for odd_speed in [0.0, -5.0, f64::NAN, f64::INFINITY] {
            assert_eq!(sim_time(start, Duration::from_secs(10), odd_speed), start);
        }
        assert_eq!(sim_time(start, Duration::MAX, 1e9), Timestamp(i64::MAX));
    }
}
