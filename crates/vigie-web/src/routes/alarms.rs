//! Alarm management: standing and shelved alarms, shelving, the control-room KPIs (ISA-18.2 /
//! EEMUA 191), and the dead letters of refused input.

use crate::auth::{Caller, check_place};
use crate::error::parse_json;
use crate::policy::{Place, within};
use crate::{ApiError, AppState, audit};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use vigie_auth::{Action, Outcome};
use vigie_city::City;
use vigie_core::alarm::{AlarmBook, AlarmKey, FLOOD_THRESHOLD, FLOOD_WINDOW_S};
use vigie_core::{CityState, CommuneId, PostId, SensorId, Timestamp, ZoneId};

/// The commune of an alarm's subject: a sensor's, or a zone's for correlations.
pub(crate) fn subject_commune(city: &City, subject: &str) -> Option<CommuneId> {
    if let Some(sensor) = SensorId::parse(subject).ok().and_then(|id| city.sensor(&id).cloned()) {
        return Some(sensor.commune);
    }
    let zone = ZoneId::parse(subject).ok()?;
    city.zone(&zone).map(|zone| zone.commune.clone())
}

/// The command post of an alarm: the one routing chose while it stands, else its incident's.
pub(crate) fn alarm_post(city_state: &CityState, key: &AlarmKey) -> Option<PostId> {
    let book: &AlarmBook = &city_state.alarms;
    if let Some(alarm) = book.standing.get(key) {
        return Some(alarm.post.clone());
    }
    let incident = book.incident_for.get(key)?;
    city_state.incidents.get(*incident).map(|incident| incident.post.clone())
}

/// `GET /api/alarms`: standing alarms (with whether each is shelved) and shelves, those of the
/// caller's scope.
pub(crate) async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Value>, ApiError> {
    let now = state.clock.now();
    let scope = caller.scope();
    let city = state.city.clone();
    let (standing, shelved) = state
        .engine
        .query(move |city_state| {
            let book = &city_state.alarms;
            let visible = |key: &AlarmKey| {
                let post = alarm_post(city_state, key);
                let commune = subject_commune(&city, &key.subject);
                within(&scope, &Place::post_and_commune(post.as_ref(), commune.as_ref()))
            };
            let standing: Vec<Value> = book
                .standing
                .iter()
                .filter(|(key, _)| visible(key))
                .map(|(key, alarm)| {
                    json!({ "rule": key.rule, "subject": key.subject, "alarm": alarm, "shelved": book.is_shelved(key, now) })
                })
                .collect();
            let shelved: Vec<Value> = book
                .shelved
                .iter()
                .filter(|(key, _)| visible(key))
                .map(|(key, shelf)| json!({ "rule": key.rule, "subject": key.subject, "shelf": shelf }))
                .collect();
            (standing, shelved)
        })
        .await?;
    Ok(Json(json!({ "standing": standing, "shelved": shelved })))
}

/// Checks that the caller's scope holds the alarm.
async fn check_alarm(state: &AppState, caller: &Caller, key: &AlarmKey) -> Result<(), ApiError> {
    let lookup = key.clone();
    let post = state.engine.query(move |city_state| alarm_post(city_state, &lookup)).await?;
    let commune = subject_commune(&state.city, &key.subject);
    let place = Place::post_and_commune(post.as_ref(), commune.as_ref());
    check_place(state, caller, Action::ShelveAlarms, format!("alarm:{key}"), &place).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ShelveIn {
    rule: String,
    subject: String,
    /// How long, in minutes (at most 7 days).
    minutes: i64,
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UnshelveIn {
    rule: String,
    subject: String,
}

/// `POST /api/alarms/shelve`: an operator shelves an alarm, with a reason and an expiry.
pub(crate) async fn shelve(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let incoming: ShelveIn = parse_json(&body)?;
    if incoming.minutes <= 0 {
        return Err(ApiError::invalid("minutes", "shelve for at least one minute"));
    }
    let until = state.clock.now().plus_seconds(incoming.minutes.saturating_mul(60));
    let key = AlarmKey { rule: incoming.rule, subject: incoming.subject };
    check_alarm(&state, &caller, &key).await?;
    let target = format!("alarm:{key}");
    let detail = json!({ "minutes": incoming.minutes, "reason": incoming.reason });
    let result = state.engine.shelve(key, until, incoming.reason, caller.operator()).await;
    let outcome = if result.is_ok() { Outcome::Allowed } else { Outcome::Failed };
    audit::record(&state, caller.actor(), "alarm.shelve", target, outcome, detail).await;
    Ok(Json(json!({ "events": result? })))
}

/// `POST /api/alarms/unshelve`: ends a shelf before its time.
pub(crate) async fn unshelve(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let incoming: UnshelveIn = parse_json(&body)?;
    let key = AlarmKey { rule: incoming.rule, subject: incoming.subject };
    check_alarm(&state, &caller, &key).await?;
    let target = format!("alarm:{key}");
    let result = state.engine.unshelve(key, caller.operator()).await;
    let outcome = if result.is_ok() { Outcome::Allowed } else { Outcome::Failed };
    audit::record(&state, caller.actor(), "alarm.unshelve", target, outcome, json!({})).await;
    Ok(Json(json!({ "events": result? })))
}

fn percentile(sorted: &[i64], fraction: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let index = ((sorted.len() - 1) as f64 * fraction).round() as usize;
    Some(sorted[index] as f64 / 1000.0)
}

/// `GET /api/alarms/kpis`: alarms per post per 10 minutes (now and over 24 h), standing and
/// shelved counts, the most chattering alarms, and time to acknowledge per post.
pub(crate) async fn kpis(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Value>, ApiError> {
    let now = state.clock.now();
    let scope = caller.scope();
    let whole_city = scope.is_all();
    let posts: Vec<_> =
        state.city.posts.iter().map(|post| post.id.clone()).filter(|post| scope.posts.contains(post)).collect();
    let city = state.city.clone();
    let report = state
        .engine
        .query(move |city_state| {
            let book = &city_state.alarms;
            let visible = |key: &AlarmKey| {
                let post = alarm_post(city_state, key);
                let commune = subject_commune(&city, &key.subject);
                within(&scope, &Place::post_and_commune(post.as_ref(), commune.as_ref()))
            };
            let day_ago = now.plus_seconds(-24 * 3600);
            let mut per_post = Vec::new();
            for post in &posts {
                let mut delays: Vec<i64> = city_state
                    .incidents
                    .iter()
                    .filter(|incident| &incident.post == post && incident.created_at >= day_ago)
                    .filter_map(|incident| incident.acknowledged_at.map(|at| at.0 - incident.created_at.0))
                    .collect();
                delays.sort_unstable();
                let unacknowledged = city_state
                    .incidents
                    .iter()
                    .filter(|incident| {
                        &incident.post == post && incident.acknowledged_at.is_none() && incident.status.is_active()
                    })
                    .count();
                let buckets: BTreeMap<String, u32> = book
                    .post_buckets
                    .get(post)
                    .map(|buckets| {
                        buckets.iter().map(|(start, count)| (Timestamp(*start).to_rfc3339(), *count)).collect()
                    })
                    .unwrap_or_default();
                let rate = book.post_rate(post, now);
                per_post.push(json!({
                    "post": post,
                    "alarms_last_10_min": rate,
                    "flooded": rate > FLOOD_THRESHOLD,
                    "alarms_per_10_min_last_24h": buckets,
                    "standing": book.standing.values().filter(|alarm| &alarm.post == post).count(),
                    "unacknowledged_incidents": unacknowledged,
                    "time_to_acknowledge_s": {
                        "count": delays.len(),
                        "median": percentile(&delays, 0.5),
                        "p90": percentile(&delays, 0.9),
                        "max": delays.last().map(|max| *max as f64 / 1000.0),
                    },
                }));
            }
            let chattering: Vec<Value> = book
                .chattering(now)
                .into_iter()
                .filter(|(key, _)| visible(key))
                .take(10)
                .map(|(key, raises)| json!({ "rule": key.rule, "subject": key.subject, "raises_last_10_min": raises }))
                .collect();
            json!({
                "at": now,
                "flood_threshold": FLOOD_THRESHOLD,
                "flood_window_s": FLOOD_WINDOW_S,
                "posts": per_post,
                "standing": book.standing.keys().filter(|key| visible(key)).count(),
                "shelved": book.shelved.keys().filter(|key| visible(key)).count(),
                // Counters of the whole city: for whole-city scopes only.
                "raised_total": whole_city.then_some(book.raised_total),
                "cleared_total": whole_city.then_some(book.cleared_total),
                "top_chattering": chattering,
            })
        })
        .await?;
    Ok(Json(report))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeadLetterQuery {
    limit: Option<usize>,
}

/// `GET /api/dead-letters`: refused input, newest first, with the reason.
pub(crate) async fn dead_letters(
    State(state): State<AppState>,
    Query(query): Query<DeadLetterQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = query.limit.unwrap_or(100).min(1000);
    let reader = state.engine.reader().clone();
    let letters = tokio::task::spawn_blocking(move || reader.dead_letters(limit))
        .await
        .map_err(|error| ApiError::internal(format!("dead-letter task failed: {error}")))?
        .map_err(|error| ApiError::internal(format!("cannot read the dead letters: {error}")))?;
    let letters: Vec<Value> = letters
        .into_iter()
        .map(|stored| {
            json!({
                "id": stored.id,
                "time": stored.letter.time,
                "channel": stored.letter.channel,
                "source": stored.letter.source,
                "topic": stored.letter.topic,
                "reason": stored.letter.reason,
                "detail": stored.letter.detail,
                "payload": String::from_utf8_lossy(&stored.letter.payload),
            })
        })
        .collect();
    Ok(Json(json!({ "dead_letters": letters })))
}
