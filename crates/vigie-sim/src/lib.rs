//! Vigie's city simulator: realistic sensor readings for a city pack, and scenarios played
//! into them (a flood rising, a fire in the library, an intrusion at night, a jam, a crowd, a
//! sensor going silent, a power cut tripping fire panels).
//!
//! It is pure: simulated time comes in, [`Observation`](vigie_core::Observation)s come out.
//! The caller owns the clock and the speed ([`sim_time`] maps wall time to simulated time),
//! and sends the readings wherever it likes.
//!
//! ```no_run
//! # fn demo(city: &vigie_city::City) -> Result<(), Box<dyn std::error::Error>> {
//! use vigie_core::Timestamp;
//! use vigie_sim::{SimConfig, Simulator};
//!
//! let start = Timestamp::parse_rfc3339("2026-11-23T08:00:00+01:00")?;
//! let scenarios = vec!["flood@600".parse()?];
//! let mut simulator = Simulator::new(city, SimConfig { seed: 2026, scenarios, start })?;
//! let readings = simulator.advance(start.plus_seconds(3600));
//! # let _ = readings; Ok(()) }
//! ```
//!
//! - `simulator`: [`Simulator`], [`SimConfig`] and [`sim_time`].
//! - `scenario`: [`ScenarioKind`], [`ScenarioSpec`] (`flood@600`) and the [`ScenarioStep`]s of
//!   a planned scenario.
//! - `plan`: where each scenario strikes in a given city, drawn from the seed.
//! - `profile`: ordinary days, per kind of sensor (daily and weekly rhythms, weather, noise).
//! - `effect`: what a scenario does to one sensor's readings.
//! - `local_time`: [`LocalTime`], UTC+1 all year round.
//! - `rng`: a small seeded generator (SplitMix64) with normal draws and smooth noise.
//! - `error`: [`SimError`] and [`ScenarioParseError`].
//!
//! Architecture invariant: nothing here reads a clock or does IO; the same seed, city and
//! `advance` instants always give the same readings.

mod effect;
mod error;
mod local_time;
mod plan;
mod profile;
mod rng;
mod scenario;
mod simulator;

pub use error::{ScenarioParseError, SimError};
pub use local_time::{LOCAL_UTC_OFFSET_S, LocalTime, next_local_hour};
pub use scenario::{ScenarioKind, ScenarioSpec, ScenarioStep};
pub use simulator::{SimConfig, Simulator, sim_time};
