//! Alarm management: standing and shelved alarms, shelving, the control-room KPIs (ISA-18.2 /
//! EEMUA 191), and the dead letters of refused input.

use crate::error::parse_json;
use crate::routes::actor;
use crate::{ApiError, AppState};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use vigie_core::Timestamp;
use vigie_core::alarm::{AlarmKey, FLOOD_THRESHOLD, FLOOD_WINDOW_S};

/// `GET /api/alarms`: standing alarms (with whether each is shelved) and shelves.
pub(crate) async fn list(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let now = state.clock.now();
    let (standing, shelved) = state
        .engine
        .query(move |city_state| {
            let book = &city_state.alarms;
            let standing: Vec<Value> = book
                .standing
                .iter()
                .map(|(key, alarm)| {
                    json!({ "rule": key.rule, "subject": key.subject, "alarm": alarm, "shelved": book.is_shelved(key, now) })
                })
                .collect();
            let shelved: Vec<Value> = book
                .shelved
                .iter()
                .map(|(key, shelf)| json!({ "rule": key.rule, "subject": key.subject, "shelf": shelf }))
                .collect();
            (standing, shelved)
        })
        .await?;
    Ok(Json(json!({ "standing": standing, "shelved": shelved })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ShelveIn {
    rule: String,
    subject: String,
    /// How long, in minutes (at most 7 days).
    minutes: i64,
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UnshelveIn {
    rule: String,
    subject: String,
}

/// `POST /api/alarms/shelve`: an operator shelves an alarm, with a reason and an expiry.
pub(crate) async fn shelve(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let incoming: ShelveIn = parse_json(&body)?;
    if incoming.minutes <= 0 {
        return Err(ApiError::invalid("minutes", "shelve for at least one minute"));
    }
    let until = state.clock.now().plus_seconds(incoming.minutes.saturating_mul(60));
    let key = AlarmKey { rule: incoming.rule, subject: incoming.subject };
    let events = state.engine.shelve(key, until, incoming.reason, actor(&headers)).await?;
    Ok(Json(json!({ "events": events })))
}

/// `POST /api/alarms/unshelve`: ends a shelf before its time.
pub(crate) async fn unshelve(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let incoming: UnshelveIn = parse_json(&body)?;
    let key = AlarmKey { rule: incoming.rule, subject: incoming.subject };
    let events = state.engine.unshelve(key, actor(&headers)).await?;
    Ok(Json(json!({ "events": events })))
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
pub(crate) async fn kpis(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let now = state.clock.now();
    let posts: Vec<_> = state.city.posts.iter().map(|post| post.id.clone()).collect();
    let report = state
        .engine
        .query(move |city_state| {
            let book = &city_state.alarms;
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
                .take(10)
                .map(|(key, raises)| json!({ "rule": key.rule, "subject": key.subject, "raises_last_10_min": raises }))
                .collect();
            json!({
                "at": now,
                "flood_threshold": FLOOD_THRESHOLD,
                "flood_window_s": FLOOD_WINDOW_S,
                "posts": per_post,
                "standing": book.standing.len(),
                "shelved": book.shelved.len(),
                "raised_total": book.raised_total,
                "cleared_total": book.cleared_total,
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
