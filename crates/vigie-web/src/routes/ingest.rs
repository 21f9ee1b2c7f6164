//! Ingest: batches of observations and unit positions. A 2xx answer means durable.

use crate::error::parse_json;
use crate::{ApiError, AppState, MAX_BATCH};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use vigie_core::{EventBody, Observation, SensorId, Timestamp, UnitId, UnitPosition};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ObservationBatch {
    observations: Vec<ObservationIn>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ObservationIn {
    sensor_id: String,
    time: TimeIn,
    value: f64,
    #[serde(default)]
    unit: Option<String>,
}

/// A time as integrators send it: RFC 3339 text or milliseconds since the epoch.
#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum TimeIn {
    Millis(i64),
    Text(String),
}

impl TimeIn {
    pub(crate) fn to_timestamp(&self, path: &str) -> Result<Timestamp, ApiError> {
        match self {
            TimeIn::Millis(millis) => Ok(Timestamp(*millis)),
            TimeIn::Text(text) => {
                Timestamp::parse_rfc3339(text).map_err(|error| ApiError::invalid(path, error.to_string()))
            }
        }
    }
}

/// How far in the future a reading may claim to be (clock skew of field devices).
const MAX_FUTURE_SKEW_MS: i64 = 5 * 60 * 1000;

/// `POST /api/observations`: up to 10,000 readings, all accepted or none.
pub(crate) async fn observations(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let batch: ObservationBatch = parse_json(&body)?;
    if batch.observations.len() > MAX_BATCH {
        return Err(ApiError {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: "batch_too_large",
            message: format!(
                "a batch holds at most {MAX_BATCH} observations, this one has {}",
                batch.observations.len()
            ),
            path: Some("observations".to_owned()),
        });
    }
    let latest_allowed = state.clock.now().0 + MAX_FUTURE_SKEW_MS;
    let mut bodies = Vec::with_capacity(batch.observations.len());
    for (index, incoming) in batch.observations.into_iter().enumerate() {
        let sensor_id = SensorId::parse(&incoming.sensor_id)
            .map_err(|error| ApiError::invalid(format!("observations[{index}].sensor_id"), error.to_string()))?;
        let Some(sensor) = state.city.sensor(&sensor_id) else {
            return Err(ApiError::invalid(
                format!("observations[{index}].sensor_id"),
                format!("unknown sensor {sensor_id:?}"),
            ));
        };
        if !incoming.value.is_finite() {
            return Err(ApiError::invalid(format!("observations[{index}].value"), "value must be a finite number"));
        }
        let time = incoming.time.to_timestamp(&format!("observations[{index}].time"))?;
        if time.0 > latest_allowed {
            return Err(ApiError::invalid(
                format!("observations[{index}].time"),
                "time is more than 5 minutes in the future",
            ));
        }
        let unit = match incoming.unit {
            Some(unit) if unit != sensor.unit => {
                return Err(ApiError::invalid(
                    format!("observations[{index}].unit"),
                    format!("sensor {sensor_id} measures in {:?}, not {unit:?}", sensor.unit),
                ));
            }
            _ => sensor.unit.clone(),
        };
        bodies.push(EventBody::Observation(Observation { sensor_id, time, value: incoming.value, unit }));
    }
    let accepted = bodies.len();
    let (first, last) = state.engine.append("http:ingest".to_owned(), bodies).await?;
    Ok((StatusCode::OK, Json(json!({ "accepted": accepted, "first_seq": first.0, "last_seq": last.0 }))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PositionIn {
    lon: f64,
    lat: f64,
}

/// `POST /api/units/{id}/position`: a unit reports where it is.
pub(crate) async fn unit_position(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let unit_id = UnitId::parse(&id).map_err(|error| ApiError::invalid("id", error.to_string()))?;
    if state.city.unit(&unit_id).is_none() {
        return Err(ApiError::not_found("unit_not_found", format!("unknown unit {unit_id:?}")));
    }
    let position: PositionIn = parse_json(&body)?;
    if !(-180.0..=180.0).contains(&position.lon) {
        return Err(ApiError::invalid("lon", "longitude must be within [-180, 180]"));
    }
    if !(-90.0..=90.0).contains(&position.lat) {
        return Err(ApiError::invalid("lat", "latitude must be within [-90, 90]"));
    }
    let body = EventBody::UnitPosition(UnitPosition { unit_id, lon: position.lon, lat: position.lat });
    let (seq, _) = state.engine.append(format!("unit:{id}"), vec![body]).await?;
    Ok(Json(json!({ "seq": seq.0 })))
}
