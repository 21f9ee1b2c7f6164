//! The live stream: Server-Sent Events of every committed event, in log order.
//!
//! A client resumes after a reconnect with `Last-Event-ID` (the last `id:` it saw) or `?from=N`:
//! the stream first reads the log from there, then follows the live broadcast, skipping what it
//! already sent. It subscribes before reading, so nothing committed in between is missed; a
//! client too slow for the broadcast falls back to reading the log.

use crate::{ApiError, AppState};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::stream::{self, Stream, StreamExt};
use serde::Deserialize;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;
use vigie_core::{Event, Seq};

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
    Query(query): Query<StreamQuery>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
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
    let cursor = Cursor { next, phase: Phase::CatchUp, live, state, kinds };
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
                let out: Vec<SseEvent> = events.iter().filter(|event| keep(&cursor.kinds, event)).map(to_sse).collect();
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
                    let out: Vec<SseEvent> = batch
                        .iter()
                        .filter(|event| event.seq.0 >= cursor.next && keep(&cursor.kinds, event))
                        .map(to_sse)
                        .collect();
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
