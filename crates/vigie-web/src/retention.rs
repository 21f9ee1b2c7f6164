//! The retention job: deletes the video-derived snapshots whose retention has ended, except
//! those something still needs: an incident that is not closed (its evidence), or a legal
//! hold on the snapshot itself or on an incident whose evidence it is. Every snapshot deleted,
//! and every one kept past its retention for the first time, goes to the purge register
//! (`AuditLog::record_purge`: what, when, why).

use crate::{ApiError, AppState};
use std::collections::{HashMap, HashSet};
use vigie_auth::{HoldTarget, PurgeRecord};
use vigie_core::incident::{IncidentId, IncidentStatus, Origin};
use vigie_core::{EventBody, Timestamp};
use vigie_store::media::SnapshotMeta;

/// What keeps the snapshots of a video sensor: from when on, and the keeper's name.
type Keepers = HashMap<String, Vec<(Timestamp, Option<Timestamp>, String)>>;

/// The active legal holds: on snapshots by id, on incidents by number.
struct Holds {
    objects: HashMap<String, i64>,
    incidents: HashMap<IncidentId, i64>,
}

async fn active_holds(state: &AppState) -> Result<Holds, ApiError> {
    let auth = state.auth.clone();
    let holds = tokio::task::spawn_blocking(move || auth.holds())
        .await
        .map_err(|error| ApiError::internal(format!("retention task failed: {error}")))?
        .map_err(|error| ApiError::internal(format!("cannot read the legal holds: {error}")))?;
    let mut active = Holds { objects: HashMap::new(), incidents: HashMap::new() };
    for hold in holds.into_iter().filter(|hold| hold.is_active()) {
        match hold.target {
            HoldTarget::Object(object) => {
                active.objects.insert(object, hold.id);
            }
            HoldTarget::Incident(incident) => {
                active.incidents.insert(incident, hold.id);
            }
        }
    }
    Ok(active)
}

/// Why a snapshot is kept past its retention: the incidents that are not closed, and those
/// under a legal hold, with the video sensors their alarms came from and the window of their
/// evidence.
async fn keepers(state: &AppState, held: &HashMap<IncidentId, i64>) -> Result<Keepers, ApiError> {
    let held_ids: HashSet<IncidentId> = held.keys().copied().collect();
    let incidents: Vec<(IncidentId, Timestamp, Option<Timestamp>, bool)> = state
        .engine
        .query(move |city_state| {
            city_state
                .incidents
                .iter()
                // Opened by an alarm, or joined by some: only those have video evidence.
                .filter(|incident| incident.alarm_count > 0 || matches!(incident.origin, Origin::Alarm { .. }))
                .filter(|incident| incident.status != IncidentStatus::Closed || held_ids.contains(&incident.id))
                .map(|incident| {
                    let open = incident.status != IncidentStatus::Closed;
                    (incident.id, incident.created_at, incident.closed_at, open)
                })
                .collect()
        })
        .await?;
    let reader = state.engine.reader().clone();
    let city = state.city.clone();
    let held = held.clone();
    tokio::task::spawn_blocking(move || {
        let mut keepers: Keepers = HashMap::new();
        for (id, created_at, closed_at, open) in incidents {
            // A hold names itself; an open incident keeps its evidence while it runs.
            let keeper = match held.get(&id) {
                Some(hold) => format!("legal_hold:{hold}"),
                None => format!("incident:{id}"),
            };
            let until = if open && !held.contains_key(&id) { None } else { closed_at };
            let timeline =
                reader.incident_timeline(id.0).map_err(|error| ApiError::internal(format!("timeline: {error}")))?;
            for event in timeline {
                let EventBody::Alarm(alarm) = &event.body else { continue };
                let vigie_core::alarm::AlarmChange::Raised(raised) = &alarm.change else { continue };
                for sensor in &raised.sensors {
                    if city.sensor(sensor).is_some_and(|found| found.kind.is_video()) {
                        keepers.entry(sensor.as_str().to_owned()).or_default().push((
                            Timestamp(created_at.0 - 60_000),
                            until.map(|until| Timestamp(until.0 + 1)),
                            keeper.clone(),
                        ));
                    }
                }
            }
        }
        Ok(keepers)
    })
    .await
    .map_err(|error| ApiError::internal(format!("retention task failed: {error}")))?
}

/// Runs the purge once at `now` and returns what it deleted, having written the purge register.
pub async fn purge_once(state: &AppState, now: Timestamp) -> Result<Vec<SnapshotMeta>, ApiError> {
    let holds = active_holds(state).await?;
    let keepers = keepers(state, &holds.incidents).await?;
    let media = state.media.clone();
    let (purged, newly_kept) = tokio::task::spawn_blocking(move || {
        let mut newly_kept: Vec<(SnapshotMeta, String)> = Vec::new();
        let purged = media.purge(now, &mut |meta| {
            let keeper = match holds.objects.get(&meta.id) {
                Some(hold) => Some(format!("legal_hold:{hold}")),
                None => meta.sensor.as_deref().and_then(|sensor| {
                    keepers.get(sensor)?.iter().find_map(|(since, until, keeper)| {
                        let inside = meta.taken_at >= *since && until.is_none_or(|until| meta.taken_at < until);
                        inside.then(|| keeper.clone())
                    })
                }),
            };
            if let Some(keeper) = &keeper
                && meta.kept_by.as_ref() != Some(keeper)
            {
                newly_kept.push((meta.clone(), keeper.clone()));
            }
            keeper
        })?;
        Ok::<_, vigie_store::StoreError>((purged, newly_kept))
    })
    .await
    .map_err(|error| ApiError::internal(format!("retention task failed: {error}")))?
    .map_err(|error| ApiError::internal(format!("the media store failed: {error}")))?;
    let mut records = Vec::with_capacity(purged.len() + newly_kept.len());
    for meta in &purged {
        tracing::info!(
            snapshot = %meta.id,
            camera = %meta.camera,
            data_class = %meta.data_class,
            expired_at = meta.expires_at.0,
            "retention: snapshot purged"
        );
        records.push(PurgeRecord {
            time: now,
            data_class: meta.data_class.clone(),
            object_id: format!("snapshot:{}", meta.id),
            reason: format!("retention ended at {} (camera {})", meta.expires_at.to_rfc3339(), meta.camera),
            kept_by: None,
        });
    }
    for (meta, keeper) in &newly_kept {
        records.push(PurgeRecord {
            time: now,
            data_class: meta.data_class.clone(),
            object_id: format!("snapshot:{}", meta.id),
            reason: format!("retention ended at {} (camera {})", meta.expires_at.to_rfc3339(), meta.camera),
            kept_by: Some(keeper.clone()),
        });
    }
    let log = state.audit.clone();
    tokio::task::spawn_blocking(move || {
        for record in &records {
            log.record_purge(record)?;
        }
        Ok::<_, vigie_auth::AuditError>(())
    })
    .await
    .map_err(|error| ApiError::internal(format!("retention task failed: {error}")))?
    .map_err(|error| ApiError::internal(format!("cannot write the purge register: {error}")))?;
    Ok(purged)
}
