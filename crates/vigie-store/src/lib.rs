//! The durable event log and its snapshots, behind two small traits so that the city-scale
//! backends (PostgreSQL, NATS JetStream) can come without touching the core.
//!
//! - [`EventLog`]: the writer's side — append a batch in one durable commit, save snapshots.
//! - [`LogReader`]: the readers' side — ranges for replay and live-stream resume, an incident's
//!   timeline, a sensor's per-minute series.
//! - [`sqlite`]: the embedded backend (WAL, `synchronous=FULL`, one transaction per batch).
//! - [`media`]: redacted evidence snapshots with their retention, in a file of their own
//!   because, unlike the log, it must be purged.
//!
//! Architecture invariant: an [`EventLog::append`] that returns `Ok` has made its events
//! durable; nothing is acknowledged before that.

#[cfg(feature = "sqlite")]
pub mod media;
#[cfg(feature = "sqlite")]
pub mod sqlite;

use vigie_core::{Event, SensorId, Seq, Timestamp};

/// What can go wrong in a backend.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[cfg(feature = "sqlite")]
    #[error("sqlite error")]
    Sqlite(#[from] rusqlite::Error),
    #[error("event {seq} has a payload that does not decode")]
    Corrupt {
        seq: u64,
        #[source]
        source: serde_json::Error,
    },
    #[error("append out of order: the log ends at {last} and the batch starts at {first}")]
    OutOfOrder { last: u64, first: u64 },
    #[error("cannot encode event {seq}")]
    Encode {
        seq: u64,
        #[source]
        source: serde_json::Error,
    },
    #[error("{0}")]
    Other(String),
}

/// A saved projection state, taken after event `seq`.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub seq: Seq,
    pub taken_at: Timestamp,
    pub state: Vec<u8>,
    /// The rule engine's windows at the same point, opaque to the store; empty when none.
    pub rules: Vec<u8>,
}

/// One minute of a sensor's readings.
#[derive(Debug, Clone, PartialEq)]
pub struct MinuteAggregate {
    /// Start of the minute.
    pub minute: Timestamp,
    pub count: u64,
    pub min: f64,
    pub max: f64,
    pub mean: f64,
    pub last: f64,
}

/// Input that was refused (malformed, unauthorised, unknown sensor), kept with the reason.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadLetter {
    pub time: Timestamp,
    /// The channel it came through: `mqtt`, `http`.
    pub channel: String,
    /// Who sent it: a device or client id, when known.
    pub source: String,
    /// The MQTT topic or HTTP route.
    pub topic: String,
    /// A stable reason code: `malformed`, `unauthorised`, `rejected`.
    pub reason: String,
    /// What was wrong, for people.
    pub detail: String,
    /// The payload, cut to [`DEAD_LETTER_PAYLOAD_MAX`] bytes.
    pub payload: Vec<u8>,
}

/// The most payload bytes a dead letter keeps.
pub const DEAD_LETTER_PAYLOAD_MAX: usize = 4096;

/// A dead letter as read back, with its number.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredDeadLetter {
    pub id: u64,
    pub letter: DeadLetter,
}

/// The writer's side of the log. One owner holds it; it is not shared between threads.
pub trait EventLog: Send {
    /// Returns the sequence number of the last event (0 when empty).
    fn last_seq(&mut self) -> Result<Seq, StoreError>;
    /// Appends `events` (numbered `last_seq + 1 ..` contiguously) in one durable commit.
    fn append(&mut self, events: &[Event]) -> Result<(), StoreError> {
        self.append_with_dead_letters(events, &[])
    }
    /// Appends `events` and records refused input in the dead-letter table, in one commit.
    fn append_with_dead_letters(&mut self, events: &[Event], dead_letters: &[DeadLetter]) -> Result<(), StoreError>;
    /// Saves a snapshot of the projections (replaces older ones but the newest few).
    fn save_snapshot(&mut self, snapshot: &Snapshot) -> Result<(), StoreError>;
    /// Returns the newest snapshot, if any.
    fn latest_snapshot(&mut self) -> Result<Option<Snapshot>, StoreError>;
    /// Returns up to `limit` events from `from` (inclusive), in order.
    fn read(&mut self, from: Seq, limit: usize) -> Result<Vec<Event>, StoreError>;
}

/// The readers' side of the log, shared by request handlers.
pub trait LogReader: Send + Sync {
    /// Returns up to `limit` events from `from` (inclusive), in order.
    fn read(&self, from: Seq, limit: usize) -> Result<Vec<Event>, StoreError>;
    /// Returns every event about one incident, in order.
    fn incident_timeline(&self, incident: u64) -> Result<Vec<Event>, StoreError>;
    /// Returns a sensor's per-minute aggregates in `[since, until)`.
    fn sensor_minutes(
        &self,
        sensor: &SensorId,
        since: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<MinuteAggregate>, StoreError>;
    /// Returns the sequence number of the last durable event.
    fn last_seq(&self) -> Result<Seq, StoreError>;
    /// Returns up to `limit` dead letters, newest first.
    fn dead_letters(&self, limit: usize) -> Result<Vec<StoredDeadLetter>, StoreError>;
}
