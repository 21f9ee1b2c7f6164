//! A sensor reading, as the log keeps it.

use crate::{SensorId, Timestamp};
use serde::{Deserialize, Serialize};

/// One reading of one sensor: a value in a unit, measured at a time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    pub sensor_id: SensorId,
    /// When the sensor measured the value (not when Vigie received it).
    pub time: Timestamp,
    pub value: f64,
    /// The unit of `value` (`m`, `°C`, `ppm`, `veh/h`, `persons`...).
    pub unit: String,
    /// The evidence snapshot a video analytic attached (an id of the media store), already
    /// redacted: faces and heads blurred before the image left the worker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
}
