//! Rebuilding the state from the log: from the newest snapshot, or from the very first event.

use vigie_core::{CityState, Event, Seq};
use vigie_store::{EventLog, StoreError};

/// How far a replay has gone.
#[derive(Clone, Copy, Debug)]
pub struct ReplayProgress {
    pub applied: u64,
    pub last_seq: u64,
}

/// Events read per round trip while replaying.
const REPLAY_CHUNK: usize = 20_000;

/// Returns the newest snapshot's state and its rule windows (undecoded), when the snapshot
/// decodes and matches its sequence number; otherwise warns and returns `None` so that the
/// caller replays from the start.
fn latest_state(log: &mut dyn EventLog) -> Result<Option<(CityState, Vec<u8>)>, StoreError> {
    let Some(snapshot) = log.latest_snapshot()? else { return Ok(None) };
    match serde_json::from_slice::<CityState>(&snapshot.state) {
        Ok(restored) if restored.last_seq == snapshot.seq => Ok(Some((restored, snapshot.rules))),
        Ok(_) => {
            tracing::warn!(
                seq = snapshot.seq.0,
                "snapshot does not match its sequence number; replaying from the start"
            );
            Ok(None)
        }
        Err(error) => {
            tracing::warn!(error = %error, seq = snapshot.seq.0, "snapshot does not decode; replaying from the start");
            Ok(None)
        }
    }
}

/// Restores the state: the newest snapshot (if it decodes) plus every event after it.
pub fn restore(log: &mut dyn EventLog, progress: &mut dyn FnMut(ReplayProgress)) -> Result<CityState, StoreError> {
    let state = latest_state(log)?.map(|(state, _)| state).unwrap_or_default();
    replay_onto(log, state, Seq(u64::MAX), progress, &mut |_| {})
}

/// Replays the whole log from the first event, ignoring snapshots.
pub fn replay(log: &mut dyn EventLog, progress: &mut dyn FnMut(ReplayProgress)) -> Result<CityState, StoreError> {
    replay_onto(log, CityState::default(), Seq(u64::MAX), progress, &mut |_| {})
}

/// Replays the log from the first event up to `until` (inclusive), ignoring snapshots.
pub fn replay_to(
    log: &mut dyn EventLog,
    until: Seq,
    progress: &mut dyn FnMut(ReplayProgress),
) -> Result<CityState, StoreError> {
    replay_onto(log, CityState::default(), until, progress, &mut |_| {})
}

/// Applies the events after `state` up to `until`; `before_apply` sees each event first.
fn replay_onto(
    log: &mut dyn EventLog,
    mut state: CityState,
    until: Seq,
    progress: &mut dyn FnMut(ReplayProgress),
    before_apply: &mut dyn FnMut(&Event),
) -> Result<CityState, StoreError> {
    let last_seq = log.last_seq()?.0.min(until.0);
    let mut applied = 0;
    while state.last_seq < until {
        let remaining = (until.0 - state.last_seq.0).min(REPLAY_CHUNK as u64) as usize;
        let events = log.read(Seq(state.last_seq.0 + 1), remaining)?;
        if events.is_empty() {
            return Ok(state);
        }
        for event in &events {
            if event.seq.0 != state.last_seq.0 + 1 {
                return Err(StoreError::Other(format!(
                    "the log has a gap: expected event {}, found {}",
                    state.last_seq.0 + 1,
                    event.seq.0
                )));
            }
            before_apply(event);
            state.apply(event);
        }
        applied += events.len() as u64;
        progress(ReplayProgress { applied, last_seq });
    }
    Ok(state)
}

/// Restores the state and the rule engine's windows: the newest snapshot, then every event after
/// it, with each reading also run through the rules (their output is already in the log, so it
/// is dropped) so that windows and hysteresis continue where they were.
pub(crate) fn restore_with_rules(
    log: &mut dyn EventLog,
    rulebook: &crate::RuleBook,
) -> Result<(CityState, vigie_rules::RuleState), StoreError> {
    let (state, mut rule_state) = match latest_state(log)? {
        Some((state, windows)) if !windows.is_empty() => match serde_json::from_slice(&windows) {
            Ok(rule_state) => (state, rule_state),
            Err(error) => {
                tracing::warn!(error = %error, "the snapshot's rule windows do not decode; they start empty");
                (state, vigie_rules::RuleState::default())
            }
        },
        Some((state, _)) => (state, vigie_rules::RuleState::default()),
        None => (CityState::default(), vigie_rules::RuleState::default()),
    };
    let state = replay_onto(log, state, Seq(u64::MAX), &mut |_| {}, &mut |event| {
        if let vigie_core::EventBody::Observation(observation) = &event.body
            && let Some(sensor) = rulebook.sensors.get(&observation.sensor_id)
        {
            let _already_logged = vigie_rules::evaluate(
                &mut rule_state,
                &rulebook.rules,
                sensor,
                observation,
                event.time,
                event.time.paris_hour(),
            );
        }
    })?;
    Ok((state, rule_state))
}
