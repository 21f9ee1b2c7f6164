//! Vigie's sources: everything that turns bytes from the field into `Observation`s.
//!
//! - [`validate`]: the one check of an incoming reading against the city pack, shared by the
//!   HTTP batch API and MQTT.
//! - [`mqtt`]: MQTT ingest — the embedded broker, the external-broker subscriber, the batcher
//!   that lets many QoS-1 messages share one durable commit, device credentials, and a
//!   publisher for the simulator and benchmarks.
//! - [`metrics`]: the ingest's counters, in the Prometheus text format.

pub mod metrics;
pub mod mqtt;
pub mod validate;

pub use validate::{ObservationIn, Rejected, TimeIn, validate_observation};
