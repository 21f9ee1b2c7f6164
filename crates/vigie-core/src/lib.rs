//! Vigie's domain core: the types every other crate speaks, and the pure business rules.
//!
//! - [`ids`]: identifiers checked at the edge (`SensorId::parse`), so the core never re-checks.
//! - [`time`]: [`Timestamp`], milliseconds since the Unix epoch; time always comes in as data.
//! - [`event`]: the [`Event`] of the ordered log and its [`EventBody`].
//! - [`observation`]: a sensor reading.
//! - [`alarm`]: alarm management — one incident per cause, flood grouping, shelving, chattering.
//! - [`incident`]: the incident decider (`decide`/`evolve`) and its playbooks.
//! - [`projection`]: [`CityState`], the state that is a fold of the log.
//!
//! Architecture invariant: nothing here does IO, reads a clock or knows a wire format beyond
//! serde derives.

pub mod alarm;
pub mod event;
pub mod ids;
pub mod incident;
pub mod maps;
pub mod observation;
pub mod projection;
pub mod time;

pub use event::{Event, EventBody, NewEvent, Seq, UnitPosition};
pub use ids::{CameraId, CategoryId, CommuneId, IdError, PostId, SensorId, UnitId, ZoneId};
pub use observation::Observation;
pub use projection::{CityState, SensorLast, UnitState};
pub use time::{TimeParseError, Timestamp};
