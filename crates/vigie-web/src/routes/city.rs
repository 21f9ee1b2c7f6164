//! The city as the pack describes it, joined with live state: GeoJSON, sensors with their last
//! value and health, cameras (optionally those that can see a point), units, posts, categories.

use crate::auth::{Caller, check_place};
use crate::policy::{Place, within};
use crate::{ApiError, AppState};
use axum::extract::{Path, Query, State};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use vigie_auth::{Action, Scope};
use vigie_core::CommuneId;
use vigie_core::{SensorId, SensorLast, Timestamp, UnitState};

/// `GET /api/city`: communes, zones, sensors and cameras as one GeoJSON FeatureCollection;
/// the sensors and cameras of the caller's communes only.
pub(crate) async fn geojson(State(state): State<AppState>, Extension(caller): Extension<Caller>) -> Json<Value> {
    let mut collection = state.city.to_geojson();
    let scope = caller.scope();
    if !scope.communes.is_all()
        && let Some(features) = collection.get_mut("features").and_then(Value::as_array_mut)
    {
        features.retain(|feature| {
            let properties = &feature["properties"];
            let equipment = matches!(properties["layer"].as_str(), Some("sensor" | "camera"));
            !equipment || commune_visible(&scope, properties["commune"].as_str())
        });
    }
    Json(collection)
}

/// Tells whether equipment in the commune written `commune` is in scope.
fn commune_visible(scope: &Scope, commune: Option<&str>) -> bool {
    let commune = commune.and_then(|text| CommuneId::parse(text).ok());
    within(scope, &Place::commune(commune.as_ref()))
}

/// `GET /api/posts`: the command posts.
pub(crate) async fn posts(State(state): State<AppState>) -> Json<Value> {
    Json(json!({ "posts": state.city.posts }))
}

/// `GET /api/categories`: incident categories with their playbooks.
pub(crate) async fn categories(State(state): State<AppState>) -> Json<Value> {
    let categories: Vec<_> = state.city.policies.categories.values().collect();
    Json(json!({ "categories": categories }))
}

/// A sensor's health, from the time of its last reading and its expected period.
fn health(last: Option<&SensorLast>, expected_period_s: u32, now: Timestamp) -> &'static str {
    match last {
        None => "never_seen",
        // Three missed periods make a sensor silent.
        Some(last) if now.seconds_since(last.received_at) > 3 * i64::from(expected_period_s) => "silent",
        Some(_) => "ok",
    }
}

/// `GET /api/sensors`: every sensor with its last value and health.
pub(crate) async fn sensors(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Value>, ApiError> {
    let last_values: BTreeMap<SensorId, SensorLast> =
        state.engine.query(|city_state| city_state.sensors.clone()).await?;
    let now = state.clock.now();
    let scope = caller.scope();
    let sensors: Vec<Value> = state
        .city
        .sensors
        .iter()
        .filter(|sensor| within(&scope, &Place::commune(Some(&sensor.commune))))
        .map(|sensor| {
            let last = last_values.get(&sensor.id);
            json!({
                "sensor": sensor,
                "last": last,
                "health": health(last, sensor.expected_period_s, now),
            })
        })
        .collect();
    Ok(Json(json!({ "sensors": sensors })))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct SeriesQuery {
    /// Hours of history, 24 by default, at most 24 × 31.
    hours: Option<u32>,
}

/// `GET /api/sensors/{id}`: one sensor, its last value and its per-minute series.
pub(crate) async fn sensor(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    Query(query): Query<SeriesQuery>,
) -> Result<Json<Value>, ApiError> {
    let sensor_id = SensorId::parse(&id).map_err(|error| ApiError::invalid("id", error.to_string()))?;
    let Some(sensor) = state.city.sensor(&sensor_id) else {
        return Err(ApiError::not_found("sensor_not_found", format!("unknown sensor {sensor_id:?}")));
    };
    let place = Place::commune(Some(&sensor.commune));
    check_place(&state, &caller, Action::ReadSensors, format!("sensor:{sensor_id}"), &place).await?;
    let hours = query.hours.unwrap_or(24).clamp(1, 24 * 31);
    let now = state.clock.now();
    let since = now.plus_seconds(-i64::from(hours) * 3600);
    let lookup = sensor_id.clone();
    let last = state.engine.query(move |city_state| city_state.sensors.get(&lookup).cloned()).await?;
    let reader = state.engine.reader().clone();
    let until = now.plus_seconds(3600);
    let minutes = tokio::task::spawn_blocking(move || reader.sensor_minutes(&sensor_id, since, until))
        .await
        .map_err(|error| ApiError::internal(format!("series task failed: {error}")))?
        .map_err(|error| ApiError::internal(format!("cannot read the series: {error}")))?;
    let series: Vec<Value> = minutes
        .iter()
        .map(|minute| {
            json!({
                "minute": minute.minute, "count": minute.count, "min": minute.min,
                "max": minute.max, "mean": minute.mean, "last": minute.last,
            })
        })
        .collect();
    Ok(Json(json!({
        "sensor": sensor,
        "last": last,
        "health": health(last.as_ref(), sensor.expected_period_s, now),
        "series": series,
    })))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct CamerasQuery {
    /// With `lat`: only the cameras whose field of view covers this point, nearest first.
    lon: Option<f64>,
    lat: Option<f64>,
}

/// `GET /api/cameras`: every camera, or those that can see `lon,lat`.
pub(crate) async fn cameras(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(query): Query<CamerasQuery>,
) -> Result<Json<Value>, ApiError> {
    let scope = caller.scope();
    let visible = |commune: &CommuneId| within(&scope, &Place::commune(Some(commune)));
    match (query.lon, query.lat) {
        (Some(lon), Some(lat)) => {
            let seeing: Vec<Value> = state
                .city
                .cameras_seeing(lon, lat)
                .into_iter()
                .filter(|(camera, _)| visible(&camera.commune))
                .map(|(camera, distance)| json!({ "camera": camera, "distance_m": (distance * 10.0).round() / 10.0 }))
                .collect();
            Ok(Json(json!({ "cameras": seeing })))
        }
        (None, None) => {
            let cameras: Vec<_> = state.city.cameras.iter().filter(|camera| visible(&camera.commune)).collect();
            Ok(Json(json!({ "cameras": cameras })))
        }
        _ => {
            Err(ApiError::invalid(if query.lon.is_none() { "lon" } else { "lat" }, "give both lon and lat, or neither"))
        }
    }
}

/// `GET /api/units`: every unit of the pack with its last position and current incident.
pub(crate) async fn units(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Value>, ApiError> {
    let live = state.engine.query(|city_state| city_state.units.clone()).await?;
    let scope = caller.scope();
    let units: Vec<Value> = state
        .city
        .units
        .iter()
        .filter(|unit| within(&scope, &Place::post(Some(&unit.post))))
        .map(|unit| {
            let current = live.get(&unit.id).cloned().unwrap_or(UnitState::default());
            json!({ "unit": unit, "state": current, "available": current.incident.is_none() })
        })
        .collect();
    Ok(Json(json!({ "units": units })))
}
