//! The live stream: Server-Sent Events of every committed event, in log order.
//!
//! A client resumes after a reconnect with `Last-Event-ID` (the last `id:` it saw) or `?from=N`:
//! the stream first reads the log from there, then follows the live broadcast, skipping what it
//! already sent. It subscribes before reading, so nothing committed in between is missed; a
//! client too slow for the broadcast falls back to reading the log.
//!
//! A principal restricted to some posts or communes receives only the events of its scope:
//! observations by their sensor's commune, alarms by their post and subject's commune,
//! incidents by their post and commune (an assignment by either post), unit positions by the
//! unit's post. An event whose place cannot be found is not sent (fail closed).

use crate::auth::Caller;
use crate::policy::{Place, within};
use crate::routes::alarms::{alarm_post, subject_commune};
use crate::{ApiError, AppState};
use axum::Extension;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::stream::{self, Stream, StreamExt};
use serde::Deserialize;
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;
use vigie_auth::Scope;
use vigie_city::City;
use vigie_core::alarm::{AlarmChange, AlarmKey};
use vigie_core::incident::{IncidentChange, IncidentId};
use vigie_core::{CommuneId, Event, EventBody, PostId, Seq};

/// Events read from the log per round trip while catching up.
const CATCH_UP_CHUNK: usize = 2_000;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct StreamQuery {
    /// First sequence number wanted (inclusive).
    from: Option<u64>,
    /// Comma-separated kind prefixes to keep, e.g. `incident` or `incident,unit`.
    kinds: Option<String>,
}

enum Phase {
    CatchUp,
    Live,
}

struct Cursor {
    next: u64,
    phase: Phase,
    live: broadcast::Receiver<Arc<[Event]>>,
    state: AppState,
    kinds: Option<Vec<String>>,
    scope: Scope,
    /// The post of each alarm seen raised (or standing when the stream opened), for the
    /// alarm events that do not carry it.
    alarm_posts: HashMap<AlarmKey, PostId>,
}

fn keep(kinds: &Option<Vec<String>>, event: &Event) -> bool {
    match kinds {
        None => true,
        Some(kinds) => {
            let kind = event.body.kind();
            kinds.iter().any(|prefix| kind.starts_with(prefix.as_str()))
        }
    }
}

fn to_sse(event: &Event) -> SseEvent {
    let data = serde_json::to_string(event).unwrap_or_else(|_| "{}".to_owned());
    SseEvent::default().id(event.seq.0.to_string()).event(event.body.kind()).data(data)
}

/// `GET /api/stream`.
pub(crate) async fn live(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(query): Query<StreamQuery>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let scope = caller.principal()?.scope.clone();
    // Subscribe first: whatever commits from now on is in the receiver.
    let live = state.engine.subscribe();
    let last_event_id = match headers.get("last-event-id") {
        Some(value) => {
            let text = value.to_str().unwrap_or("");
            Some(text.parse::<u64>().map_err(|_| ApiError::invalid("Last-Event-ID", "expected a sequence number"))?)
        }
        None => None,
    };
    let next = match (last_event_id, query.from) {
        (Some(last_seen), _) => last_seen + 1,
        (None, Some(from)) => from.max(1),
        (None, None) => state.engine.query(|city_state| city_state.last_seq.0).await? + 1,
    };
    let kinds = query.kinds.map(|kinds| kinds.split(',').filter(|kind| !kind.is_empty()).map(str::to_owned).collect());
    let alarm_posts = if scope.is_all() {
        HashMap::new()
    } else {
        state
            .engine
            .query(|city_state| {
                city_state.alarms.standing.iter().map(|(key, alarm)| (key.clone(), alarm.post.clone())).collect()
            })
            .await?
    };
    let cursor = Cursor { next, phase: Phase::CatchUp, live, state, kinds, scope, alarm_posts };
    let events = stream::unfold(cursor, step).flat_map(|batch| stream::iter(batch.into_iter().map(Ok)));
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// Produces the next group of SSE events; `None` ends the stream.
async fn step(mut cursor: Cursor) -> Option<(Vec<SseEvent>, Cursor)> {
    loop {
        match cursor.phase {
            Phase::CatchUp => {
                let reader = cursor.state.engine.reader().clone();
                let from = Seq(cursor.next);
                let read = tokio::task::spawn_blocking(move || reader.read(from, CATCH_UP_CHUNK)).await;
                let events = match read {
                    Ok(Ok(events)) => events,
                    Ok(Err(error)) => {
                        tracing::warn!(error = %error, "live stream cannot read the log; closing it");
                        return None;
                    }
                    Err(error) => {
                        tracing::warn!(error = %error, "live stream read task failed; closing it");
                        return None;
                    }
                };
                if events.is_empty() {
                    cursor.phase = Phase::Live;
                    continue;
                }
                if let Some(last) = events.last() {
                    cursor.next = last.seq.0 + 1;
                }
                let wanted: Vec<&Event> = events.iter().filter(|event| keep(&cursor.kinds, event)).collect();
                let out = visible(&mut cursor, &wanted).await;
                if !out.is_empty() {
                    return Some((out, cursor));
                }
            }
            Phase::Live => match cursor.live.recv().await {
                Ok(batch) => {
                    let Some(last) = batch.last() else { continue };
                    if last.seq.0 < cursor.next {
                        continue;
                    }
                    if batch[0].seq.0 > cursor.next {
                        // Something was missed between catch-up and live: read it from the log.
                        cursor.phase = Phase::CatchUp;
                        continue;
                    }
                    let wanted: Vec<&Event> =
                        batch.iter().filter(|event| event.seq.0 >= cursor.next && keep(&cursor.kinds, event)).collect();
                    let out = visible(&mut cursor, &wanted).await;
                    cursor.next = last.seq.0 + 1;
                    if !out.is_empty() {
                        return Some((out, cursor));
                    }
                }
                Err(broadcast::error::RecvError::Lagged(skipped)) => {
                    tracing::debug!(skipped, "live stream client lagged; catching up from the log");
                    cursor.phase = Phase::CatchUp;
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            },
        }
    }
}

/// The places the engine knows of the incidents and alarms a batch names.
#[derive(Default)]
struct Lookups {
    incidents: HashMap<IncidentId, (PostId, Option<CommuneId>)>,
}

/// Turns the events of `events` the cursor's scope may see into SSE events.
async fn visible(cursor: &mut Cursor, events: &[&Event]) -> Vec<SseEvent> {
    if cursor.scope.is_all() {
        return events.iter().map(|event| to_sse(event)).collect();
    }
    let mut incident_ids: Vec<IncidentId> = Vec::new();
    let mut alarm_keys: Vec<AlarmKey> = Vec::new();
    for event in events {
        match &event.body {
            EventBody::Incident(incident) if !matches!(incident.change, IncidentChange::Created { .. }) => {
                incident_ids.push(incident.incident_id);
            }
            EventBody::Alarm(alarm)
                if !matches!(alarm.change, AlarmChange::Raised(_)) && !cursor.alarm_posts.contains_key(&alarm.key) =>
            {
                alarm_keys.push(alarm.key.clone());
            }
            _ => {}
        }
    }
    let mut lookups = Lookups::default();
    if !incident_ids.is_empty() || !alarm_keys.is_empty() {
        let found = cursor
            .state
            .engine
            .query(move |city_state| {
                let incidents: HashMap<IncidentId, (PostId, Option<CommuneId>)> = incident_ids
                    .iter()
                    .filter_map(|id| {
                        city_state
                            .incidents
                            .get(*id)
                            .map(|incident| (*id, (incident.post.clone(), incident.commune.clone())))
                    })
                    .collect();
                let alarms: Vec<(AlarmKey, PostId)> = alarm_keys
                    .into_iter()
                    .filter_map(|key| alarm_post(city_state, &key).map(|post| (key, post)))
                    .collect();
                (incidents, alarms)
            })
            .await;
        // A stopping engine answers nothing: every event waiting for a lookup stays unsent.
        if let Ok((incidents, alarms)) = found {
            lookups.incidents = incidents;
            cursor.alarm_posts.extend(alarms);
        }
    }
    let city = cursor.state.city.clone();
    let mut out = Vec::new();
    for event in events {
        if let EventBody::Alarm(alarm) = &event.body
            && let AlarmChange::Raised(raised) = &alarm.change
        {
            cursor.alarm_posts.insert(alarm.key.clone(), raised.post.clone());
        }
        if event_in_scope(&cursor.scope, &city, event, &lookups, &cursor.alarm_posts) {
            out.push(to_sse(event));
        }
    }
    out
}

/// Tells whether an event lies in `scope`.
fn event_in_scope(
    scope: &Scope,
    city: &City,
    event: &Event,
    lookups: &Lookups,
    alarm_posts: &HashMap<AlarmKey, PostId>,
) -> bool {
    match &event.body {
        EventBody::Observation(observation) => {
            let commune = city.sensor(&observation.sensor_id).map(|sensor| sensor.commune.clone());
            within(scope, &Place::commune(commune.as_ref()))
        }
        EventBody::UnitPosition(position) => {
            let post = city.unit(&position.unit_id).map(|unit| unit.post.clone());
            within(scope, &Place::post(post.as_ref()))
        }
        EventBody::Alarm(alarm) => {
            let (post, commune) = match &alarm.change {
                AlarmChange::Raised(raised) => (
                    Some(raised.post.clone()),
                    raised.commune.clone().or_else(|| subject_commune(city, &alarm.key.subject)),
                ),
                _ => (alarm_posts.get(&alarm.key).cloned(), subject_commune(city, &alarm.key.subject)),
            };
            within(scope, &Place::post_and_commune(post.as_ref(), commune.as_ref()))
        }
        EventBody::Incident(incident) => match &incident.change {
            IncidentChange::Created { post, commune, .. } => {
                within(scope, &Place::post_and_commune(Some(post), commune.as_ref()))
            }
            IncidentChange::Assigned { from, to } => {
                let commune = lookups.incidents.get(&incident.incident_id).and_then(|(_, commune)| commune.clone());
                [from, to].iter().any(|post| within(scope, &Place::post_and_commune(Some(post), commune.as_ref())))
            }
            _ => lookups
                .incidents
                .get(&incident.incident_id)
                .is_some_and(|(post, commune)| within(scope, &Place::post_and_commune(Some(post), commune.as_ref()))),
        },
    }
}
