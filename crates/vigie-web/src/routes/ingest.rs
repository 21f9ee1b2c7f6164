//! Ingest: batches of observations and unit positions. A 2xx answer means durable.

use crate::auth::{Caller, check_place, refuse_out_of_scope};
use crate::error::parse_json;
use crate::policy::{Place, within};
use crate::{ApiError, AppState, MAX_BATCH};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{Value, json};
use vigie_auth::Action;
use vigie_core::{CommuneId, SensorId};
use vigie_core::{EventBody, UnitId, UnitPosition};
use vigie_ingest::metrics::{METRICS, Outcome};
use vigie_ingest::{ObservationIn, validate_observation};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ObservationBatch {
    observations: Vec<ObservationIn>,
}

/// Tells whether the caller may post readings of `sensor` (in `commune`): a device for its own
/// sensors and communes, an account for its scope's communes.
pub(crate) fn may_post_for(caller: &Caller, sensor: &SensorId, commune: &CommuneId) -> bool {
    match caller {
        Caller::Device(device) => device.may_publish(sensor, commune),
        Caller::Account(principal) => within(&principal.scope, &Place::commune(Some(commune))),
        Caller::Anonymous => false,
    }
}

/// `POST /api/observations`: up to 10,000 readings, all accepted or none.
pub(crate) async fn observations(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
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
        // Validation found the sensor in the city: its commune is known.
        let commune = state.city.sensor(&observation.sensor_id).map(|sensor| sensor.commune.clone());
        if !commune.is_some_and(|commune| may_post_for(&caller, &observation.sensor_id, &commune)) {
            METRICS.http.count(Outcome::Rejected, received);
            let target = format!("sensor:{}", observation.sensor_id);
            let mut error = refuse_out_of_scope(&state, &caller, Action::PostObservations, target).await;
            error.path = Some(format!("observations[{index}].sensor_id"));
            return Err(error);
        }
        bodies.push(EventBody::Observation(observation));
    }
    let accepted = bodies.len();
    let source = match &caller {
        Caller::Device(device) => format!("http:{}", device.id),
        _ => "http:ingest".to_owned(),
    };
    let (first, last) = state.engine.append(source, bodies).await?;
    METRICS.http.count(Outcome::Accepted, received);
    METRICS.http.count_batch();
    Ok((StatusCode::OK, Json(json!({ "accepted": accepted, "first_seq": first.0, "last_seq": last.0 }))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PositionIn {
    lon: f64,
    lat: f64,
}

/// `POST /api/units/{id}/position`: a unit reports where it is.
pub(crate) async fn unit_position(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let unit_id = UnitId::parse(&id).map_err(|error| ApiError::invalid("id", error.to_string()))?;
    let Some(unit) = state.city.unit(&unit_id) else {
        return Err(ApiError::not_found("unit_not_found", format!("unknown unit {unit_id:?}")));
    };
    let place = Place::post(Some(&unit.post));
    check_place(&state, &caller, Action::PostObservations, format!("unit:{unit_id}"), &place).await?;
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
