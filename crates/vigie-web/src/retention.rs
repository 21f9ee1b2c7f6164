//! The retention job: deletes the video-derived snapshots whose retention has ended, except
//! those an incident that is not closed still needs as evidence.

use crate::{ApiError, AppState};
use std::collections::HashMap;
use vigie_core::incident::IncidentStatus;
use vigie_core::{EventBody, Timestamp};
use vigie_store::media::SnapshotMeta;

/// Why a snapshot is kept past its retention: the incidents that are not closed, with the
/// video sensors their alarms came from and since when they need evidence.
async fn keepers(state: &AppState) -> Result<HashMap<String, Vec<(Timestamp, String)>>, ApiError> {
    let incidents: Vec<(vigie_core::incident::IncidentId, Timestamp)> = state
        .engine
        .query(|city_state| {
            city_state
                .incidents
                .iter()
                .filter(|incident| incident.status != IncidentStatus::Closed && incident.alarm_count > 0)
                .map(|incident| (incident.id, incident.created_at))
                .collect()
        })
        .await?;
    let reader = state.engine.reader().clone();
    let city = state.city.clone();
    tokio::task::spawn_blocking(move || {
        let mut keepers: HashMap<String, Vec<(Timestamp, String)>> = HashMap::new();
        for (id, created_at) in incidents {
            let timeline =
                reader.incident_timeline(id.0).map_err(|error| ApiError::internal(format!("timeline: {error}")))?;
            for event in timeline {
                let EventBody::Alarm(alarm) = &event.body else { continue };
                let vigie_core::alarm::AlarmChange::Raised(raised) = &alarm.change else { continue };
                for sensor in &raised.sensors {
                    if city.sensor(sensor).is_some_and(|found| found.kind.is_video()) {
                        keepers
                            .entry(sensor.as_str().to_owned())
                            .or_default()
                            .push((Timestamp(created_at.0 - 60_000), format!("incident:{id}")));
                    }
                }
            }
        }
        Ok(keepers)
    })
    .await
    .map_err(|error| ApiError::internal(format!("retention task failed: {error}")))?
}

/// Runs the purge once at `now` and returns what it deleted (for the purge register).
pub async fn purge_once(state: &AppState, now: Timestamp) -> Result<Vec<SnapshotMeta>, ApiError> {
    let keepers = keepers(state).await?;
    let media = state.media.clone();
    let purged = tokio::task::spawn_blocking(move || {
        media.purge(now, &mut |meta| {
            let sensor = meta.sensor.as_deref()?;
            keepers.get(sensor)?.iter().find(|(since, _)| meta.taken_at >= *since).map(|(_, keeper)| keeper.clone())
        })
    })
    .await
    .map_err(|error| ApiError::internal(format!("retention task failed: {error}")))?
    .map_err(|error| ApiError::internal(format!("the media store failed: {error}")))?;
    for meta in &purged {
        tracing::info!(
            snapshot = %meta.id,
            camera = %meta.camera,
            data_class = %meta.data_class,
            expired_at = meta.expires_at.0,
            "retention: snapshot purged"
        );
    }
    Ok(purged)
}
