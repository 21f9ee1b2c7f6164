//! Ingest: batches of observations and unit positions. A 2xx answer means durable.

use crate::error::parse_json;
use crate::{ApiError, AppState, MAX_BATCH};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use vigie_core::{EventBody, UnitId, UnitPosition};
use vigie_ingest::metrics::{METRICS, Outcome};
use vigie_ingest::{ObservationIn, validate_observation};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ObservationBatch {
    observations: Vec<ObservationIn>,
}

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
    let now = state.clock.now();
    let received = batch.observations.len() as u64;
    let mut bodies = Vec::with_capacity(batch.observations.len());
    for (index, incoming) in batch.observations.into_iter().enumerate() {
        let observation = validate_observation(&state.city, incoming, now).map_err(|rejected| {
            METRICS.http.count(Outcome::Rejected, received);
            ApiError::invalid(format!("observations[{index}].{}", rejected.field), rejected.message)
        })?;
        bodies.push(EventBody::Observation(observation));
    }
    let accepted = bodies.len();
    let (first, last) = state.engine.append("http:ingest".to_owned(), bodies).await?;
    METRICS.http.count(Outcome::Accepted, received);
    METRICS.http.count_batch();
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
