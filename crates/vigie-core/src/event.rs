//! The event of the ordered log. Everything is an event: a reading, an operator's action, a
//! unit's position. State is a fold of these.

use crate::alarm::AlarmEvent;
use crate::incident::IncidentEvent;
use crate::{Observation, Timestamp, UnitId};
use serde::{Deserialize, Serialize};

/// The position of an event in the log: 1 for the first event, then contiguous.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct Seq(pub u64);

/// An event as the log holds it, with its sequence number.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub seq: Seq,
    /// When the event was recorded.
    pub time: Timestamp,
    /// Who or what produced it: `http:<client>`, `operator:<login>`, `system:escalation`...
    pub source: String,
    pub body: EventBody,
}

/// An event before the log gives it a sequence number.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewEvent {
    pub time: Timestamp,
    pub source: String,
    pub body: EventBody,
}

impl NewEvent {
    /// Returns the logged event this becomes at `seq`.
    pub fn at(self, seq: Seq) -> Event {
        Event { seq, time: self.time, source: self.source, body: self.body }
    }
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventBody {
    Observation(Observation),
    Alarm(AlarmEvent),
    Incident(IncidentEvent),
    UnitPosition(UnitPosition),
}

impl EventBody {
    /// Returns the event's kind, as stored beside the payload and shown in timelines.
    pub fn kind(&self) -> &'static str {
        match self {
            EventBody::Observation(_) => "observation",
            EventBody::Alarm(alarm_event) => alarm_event.change.kind(),
            EventBody::Incident(incident_event) => incident_event.change.kind(),
            EventBody::UnitPosition(_) => "unit.position",
        }
    }
}

/// A unit reports where it is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnitPosition {
    pub unit_id: UnitId,
    pub lon: f64,
    pub lat: f64,
}
