//! Evidence snapshots from video analytics: stored redacted, read back only within retention,
//! and purged by the retention job.

use crate::auth::{Caller, check_place, refuse_out_of_scope};
use crate::policy::{Place, within};
use crate::{ApiError, AppState, audit};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use vigie_auth::{Action, Scope};
use vigie_city::City;
use vigie_core::{CameraId, CommuneId, EventBody, SensorId, Timestamp};
use vigie_store::media::{MAX_SNAPSHOT_BYTES, NewSnapshot, SnapshotMeta, VIDEO_DERIVED};

/// Where `POST /api/snapshots` says what the image shows.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SnapshotIn {
    camera: String,
    #[serde(default)]
    sensor: Option<String>,
    /// When the frame was taken (RFC 3339 or milliseconds); now when absent.
    #[serde(default)]
    time: Option<String>,
}

fn store_error(error: vigie_store::StoreError) -> ApiError {
    ApiError::internal(format!("the media store failed: {error}"))
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| ApiError::internal(format!("media task failed: {error}")))?
}

/// The commune of a snapshot's camera (a camera the city no longer has: unknown).
pub(crate) fn snapshot_commune(city: &City, meta: &SnapshotMeta) -> Option<CommuneId> {
    let camera = CameraId::parse(&meta.camera).ok()?;
    city.camera(&camera).map(|camera| camera.commune.clone())
}

fn snapshot_visible(city: &City, scope: &Scope, meta: &SnapshotMeta) -> bool {
    within(scope, &Place::commune(snapshot_commune(city, meta).as_ref()))
}

/// `POST /api/snapshots?camera=…&sensor=…&time=…`, body `image/jpeg`: stores a redacted
/// evidence snapshot under the video-derived retention and returns its id. A device posts for
/// its own sensors (or, without `sensor`, for the cameras of its communes); an account for
/// the cameras of its scope.
pub(crate) async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(query): Query<SnapshotIn>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let camera = CameraId::parse(&query.camera).map_err(|error| ApiError::invalid("camera", error.to_string()))?;
    let Some(camera_commune) = state.city.camera(&camera).map(|found| found.commune.clone()) else {
        return Err(ApiError::invalid("camera", format!("unknown camera {camera:?}")));
    };
    let mut sensor_id = None;
    if let Some(sensor) = &query.sensor {
        let id = SensorId::parse(sensor).map_err(|error| ApiError::invalid("sensor", error.to_string()))?;
        match state.city.sensor(&id) {
            Some(found) if found.kind.is_video() => sensor_id = Some((id, found.commune.clone())),
            Some(_) => return Err(ApiError::invalid("sensor", format!("sensor {id} is not a video analytic"))),
            None => return Err(ApiError::invalid("sensor", format!("unknown sensor {id:?}"))),
        }
    }
    let permitted = match (&caller, &sensor_id) {
        (Caller::Device(device), Some((sensor, commune))) => device.may_publish(sensor, commune),
        (Caller::Device(device), None) => device.communes.contains(&camera_commune),
        (Caller::Account(principal), _) => within(&principal.scope, &Place::commune(Some(&camera_commune))),
        (Caller::Anonymous, _) => false,
    };
    if !permitted {
        return Err(refuse_out_of_scope(&state, &caller, Action::PostObservations, format!("camera:{camera}")).await);
    }
    if body.len() > MAX_SNAPSHOT_BYTES {
        return Err(ApiError {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: "snapshot_too_large",
            message: format!("a snapshot holds at most {MAX_SNAPSHOT_BYTES} bytes, this one has {}", body.len()),
            path: None,
        });
    }
    if !body.starts_with(&[0xff, 0xd8, 0xff]) {
        return Err(ApiError::invalid("body", "the body is not a JPEG image"));
    }
    let now = state.clock.now();
    let taken_at = match &query.time {
        None => now,
        Some(text) => match text.parse::<i64>() {
            Ok(millis) => Timestamp(millis),
            Err(_) => Timestamp::parse_rfc3339(text).map_err(|error| ApiError::invalid("time", error.to_string()))?,
        },
    };
    if taken_at.0 > now.0 + vigie_ingest::validate::MAX_FUTURE_SKEW_MS {
        return Err(ApiError::invalid("time", "time is more than 5 minutes in the future"));
    }
    let retention_ms = state.city.retention.video_derived_ms();
    let media = state.media.clone();
    let meta = blocking(move || {
        let snapshot = NewSnapshot {
            camera: camera.as_str(),
            sensor: query.sensor.as_deref(),
            taken_at,
            data_class: VIDEO_DERIVED,
            retention_ms,
            jpeg: &body,
        };
        media.put(&snapshot, now).map_err(store_error)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(json!(meta))))
}

/// `GET /api/snapshots/{id}`: the image, while its retention lasts or something keeps it.
/// Every read is audited.
pub(crate) async fn image(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let media = state.media.clone();
    let lookup = id.clone();
    let found = blocking(move || media.get(&lookup, now).map_err(store_error)).await?;
    let Some((meta, jpeg)) = found else {
        return Err(ApiError::not_found("snapshot_not_found", "no such snapshot, or its retention has ended"));
    };
    let target = format!("snapshot:{id}");
    let commune = snapshot_commune(&state.city, &meta);
    check_place(&state, &caller, Action::ReadImagery, target.clone(), &Place::commune(commune.as_ref())).await?;
    let detail = json!({ "camera": meta.camera, "sensor": meta.sensor, "taken_at": meta.taken_at });
    audit::record(&state, caller.actor(), Action::ReadImagery.as_str(), target, vigie_auth::Outcome::Allowed, detail)
        .await;
    Ok(([(header::CONTENT_TYPE, "image/jpeg"), (header::CACHE_CONTROL, "no-store")], jpeg).into_response())
}

/// Filters of `GET /api/snapshots`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListFilter {
    sensor: Option<String>,
    since: Option<i64>,
    until: Option<i64>,
    limit: Option<u32>,
}

/// `GET /api/snapshots?sensor=…&since=…&until=…&limit=…`: what is readable, newest first.
pub(crate) async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(filter): Query<ListFilter>,
) -> Result<Json<Value>, ApiError> {
    let scope = caller.scope();
    let now = state.clock.now();
    let media = state.media.clone();
    let since = Timestamp(filter.since.unwrap_or(0));
    let until = Timestamp(filter.until.unwrap_or(i64::MAX));
    let limit = filter.limit.unwrap_or(50).min(500);
    let mut snapshots =
        blocking(move || media.list(filter.sensor.as_deref(), since, until, limit, now).map_err(store_error)).await?;
    snapshots.retain(|meta| snapshot_visible(&state.city, &scope, meta));
    Ok(Json(json!({ "snapshots": snapshots })))
}

/// The evidence of an incident: the readable snapshots of the sensors whose alarms it holds,
/// taken from a minute before it opened until it closed (or now), of the cameras in `scope`.
pub(crate) async fn incident_evidence(
    state: &AppState,
    scope: &Scope,
    timeline: &[vigie_core::Event],
    opened: Timestamp,
    closed: Option<Timestamp>,
) -> Result<Vec<SnapshotMeta>, ApiError> {
    let sensors: BTreeSet<String> = timeline
        .iter()
        .filter_map(|event| match &event.body {
            EventBody::Alarm(alarm) => match &alarm.change {
                vigie_core::alarm::AlarmChange::Raised(raised) => Some(raised.sensors.clone()),
                _ => None,
            },
            _ => None,
        })
        .flatten()
        .filter(|sensor| state.city.sensor(sensor).is_some_and(|found| found.kind.is_video()))
        .map(|sensor| sensor.as_str().to_owned())
        .collect();
    if sensors.is_empty() {
        return Ok(Vec::new());
    }
    let now = state.clock.now();
    let media = state.media.clone();
    let since = Timestamp(opened.0 - 60_000);
    let until = Timestamp(closed.map_or(now.0, |closed| closed.0) + 1);
    let mut found = blocking(move || {
        let mut found = Vec::new();
        for sensor in &sensors {
            found.extend(media.list(Some(sensor), since, until, 20, now).map_err(store_error)?);
        }
        found.sort_by_key(|meta| std::cmp::Reverse(meta.taken_at));
        Ok(found)
    })
    .await?;
    found.retain(|meta| snapshot_visible(&state.city, scope, meta));
    Ok(found)
}
