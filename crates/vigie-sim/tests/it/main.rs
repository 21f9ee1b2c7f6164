//! The simulator on the demo pack `cities/demo-metropole`: ordinary days, then each scenario's
//! signature.

mod ordinary_days;
mod scenarios;

use std::path::Path;
use vigie_city::City;
use vigie_core::{Observation, Timestamp};
use vigie_sim::{ScenarioSpec, SimConfig, Simulator};

pub(crate) fn demo() -> City {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../cities/demo-metropole");
    match vigie_city::load(&dir) {
        Ok(city) => city,
        Err(errors) => panic!("the demo pack must load:\n{errors}"),
    }
}

/// The instant of an RFC 3339 text; `+01:00` is the simulator's local time.
pub(crate) fn at(text: &str) -> Timestamp {
    match Timestamp::parse_rfc3339(text) {
        Ok(time) => time,
        Err(error) => panic!("{text}: {error}"),
    }
}

pub(crate) fn simulator(city: &City, seed: u64, scenarios: &[&str], start: Timestamp) -> Simulator {
    let scenarios: Vec<ScenarioSpec> =
        scenarios.iter().map(|text| text.parse().unwrap_or_else(|error| panic!("{text}: {error}"))).collect();
    match Simulator::new(city, SimConfig { seed, scenarios, start }) {
        Ok(simulator) => simulator,
        Err(error) => panic!("the demo pack has what every scenario needs: {error}"),
    }
}

/// Advances `simulator` by `step_s` at a time until `until`, and returns every reading.
pub(crate) fn run(simulator: &mut Simulator, until: Timestamp, step_s: i64) -> Vec<Observation> {
    let mut readings = Vec::new();
    let mut now = simulator.now();
    while now < until {
        now = now.plus_seconds(step_s).min(until);
        readings.extend(simulator.advance(now));
    }
    readings
}

/// The readings of one sensor, in time order.
pub(crate) fn of<'a>(readings: &'a [Observation], sensor: &str) -> Vec<&'a Observation> {
    readings.iter().filter(|reading| reading.sensor_id.as_str() == sensor).collect()
}
