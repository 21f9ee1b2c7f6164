//! Projections: the state that is a fold of the log. [`CityState::apply`] is the only way it
//! changes, so replaying the log from the start (or from a snapshot) rebuilds it exactly.

use crate::alarm::AlarmBook;
use crate::incident::{self, IncidentChange, IncidentId, Incidents};
use crate::maps::slot_with;
use crate::{Event, EventBody, SensorId, Seq, Timestamp, UnitId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Everything Vigie knows now: open and past incidents, the last reading of each sensor, units.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CityState {
    /// The sequence number of the last event applied.
    pub last_seq: Seq,
    pub incidents: Incidents,
    pub sensors: BTreeMap<SensorId, SensorLast>,
    pub units: BTreeMap<UnitId, UnitState>,
    #[serde(default)]
    pub alarms: AlarmBook,
}

/// The last reading of a sensor, and how many it has sent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SensorLast {
    pub value: f64,
    pub unit: String,
    /// When the sensor measured the value.
    pub observed_at: Timestamp,
    /// When Vigie logged it.
    pub received_at: Timestamp,
    pub count: u64,
}

/// Where a unit is and what it is doing.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UnitState {
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub position_at: Option<Timestamp>,
    /// The incident the unit is dispatched to, if any.
    pub incident: Option<IncidentId>,
}

impl CityState {
    /// Applies the next event of the log.
    pub fn apply(&mut self, event: &Event) {
        debug_assert!(
            event.seq.0 == self.last_seq.0 + 1,
            "events are applied in log order: expected {}, got {}",
            self.last_seq.0 + 1,
            event.seq.0
        );
        self.last_seq = event.seq;
        match &event.body {
            EventBody::Observation(observation) => {
                let last = slot_with(&mut self.sensors, &observation.sensor_id, || SensorLast {
                    value: observation.value,
                    unit: observation.unit.clone(),
                    observed_at: observation.time,
                    received_at: event.time,
                    count: 0,
                });
                last.count += 1;
                // A late reading updates the count but never replaces a newer value.
                if observation.time >= last.observed_at {
                    last.value = observation.value;
                    if last.unit != observation.unit {
                        last.unit.clone_from(&observation.unit);
                    }
                    last.observed_at = observation.time;
                    last.received_at = event.time;
                }
            }
            EventBody::Alarm(alarm_event) => self.alarms.apply(event.time, alarm_event),
            EventBody::UnitPosition(position) => {
                let unit = self.units.entry(position.unit_id.clone()).or_default();
                unit.lon = Some(position.lon);
                unit.lat = Some(position.lat);
                unit.position_at = Some(event.time);
            }
            EventBody::Incident(incident_event) => {
                incident::evolve(&mut self.incidents, event.time, incident_event);
                let incident_id = incident_event.incident_id;
                match &incident_event.change {
                    IncidentChange::UnitDispatched { unit } => {
                        self.units.entry(unit.clone()).or_default().incident = Some(incident_id);
                    }
                    IncidentChange::Resolved { .. } | IncidentChange::Closed => {
                        for unit in self.units.values_mut() {
                            if unit.incident == Some(incident_id) {
                                unit.incident = None;
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}
