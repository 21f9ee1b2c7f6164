//! The engine: the one owner of Vigie's state.
//!
//! A dedicated thread loops over a closed [`Input`] enum. Each turn it takes every input
//! waiting (up to a bound), decides operator commands against the current state, appends all
//! resulting events in **one** durable commit (group commit: many writers, one fsync), then
//! answers each caller and broadcasts the committed batch to the live stream. Nothing is
//! acknowledged before its commit returns.
//!
//! - [`spawn`] opens the log, restores the state from the newest snapshot plus the events after
//!   it, and starts the thread; it returns an [`EngineHandle`] for the async side.
//! - [`restore`] and [`replay`] rebuild projections from a log (used by `vigie log replay`).
//!
//! Architecture invariant: only the engine thread mutates [`CityState`]; everyone else asks it
//! through the handle.

mod alarms;
mod clock;
pub mod metrics;
mod restore;

pub use alarms::RuleBookError;
pub use clock::{Clock, SystemClock};
pub use restore::{ReplayProgress, replay, replay_to, restore};

use metrics::METRICS;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;
use tokio::sync::{broadcast, mpsc, oneshot};
use vigie_core::alarm::{AlarmChange, AlarmEvent, AlarmKey};
use vigie_core::incident::{self, Actor, IncidentCommand, IncidentPolicies, Rejection};
use vigie_core::{CityState, Event, EventBody, NewEvent, Seq, Timestamp};
use vigie_store::{DeadLetter, EventLog, LogReader, Snapshot, StoreError};

/// How the engine runs.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Take a snapshot after this many events since the last one.
    pub snapshot_every_events: u64,
    /// The most events one transaction holds (several inputs are grouped up to this bound).
    pub max_events_per_commit: usize,
    /// Capacity of the input channel; a full channel makes senders wait (backpressure).
    pub input_capacity: usize,
    /// Capacity, in committed batches, of the live broadcast.
    pub live_capacity: usize,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            snapshot_every_events: 500_000,
            max_events_per_commit: 100_000,
            input_capacity: 64,
            live_capacity: 4096,
        }
    }
}

/// Why the engine could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("the command was rejected")]
    Rejected(#[from] Rejection),
    #[error("{0}")]
    AlarmRejected(#[from] AlarmRejection),
    #[error("the event log failed")]
    Store(#[from] StoreError),
    #[error("the engine has stopped")]
    Stopped,
}

type Reply<T> = oneshot::Sender<Result<T, EngineError>>;
type Query = Box<dyn FnOnce(&CityState) + Send>;

/// What the engine's loop handles. Closed: there is no other way in.
pub enum Input {
    /// Append these bodies; reply with the first and last sequence numbers once durable.
    Append { source: String, bodies: Vec<EventBody>, reply: Reply<(Seq, Seq)> },
    /// Decide an operator or system command; reply with the events it produced once durable.
    Command { actor: Actor, command: IncidentCommand, reply: Reply<Vec<Event>> },
    /// Read the current state.
    Query(Query),
    /// Shelve an alarm until a time, with a reason; reply with the event once durable.
    Shelve { key: AlarmKey, until: Timestamp, reason: String, actor: Actor, reply: Reply<Vec<Event>> },
    /// End an alarm's shelving before its time.
    Unshelve { key: AlarmKey, actor: Actor, reply: Reply<Vec<Event>> },
    /// Replace the rules (reload without restart); windows of rules that are gone are dropped.
    ReloadRules(vigie_rules::RuleSet),
    /// Keep refused input in the dead-letter table (committed with the next batch).
    DeadLetter(DeadLetter),
    /// Time passes: automatic escalations.
    Tick,
    /// Take a final snapshot and stop.
    Shutdown { reply: oneshot::Sender<()> },
}

/// An append in the engine's queue.
pub struct AppendReceipt(oneshot::Receiver<Result<(Seq, Seq), EngineError>>);

impl AppendReceipt {
    /// Waits until the events are durable; returns their first and last sequence numbers.
    pub async fn durable(self) -> Result<(Seq, Seq), EngineError> {
        self.0.await.map_err(|_| EngineError::Stopped)?
    }
}

/// The async side's way to the engine. Cheap to clone.
#[derive(Clone)]
pub struct EngineHandle {
    inputs: mpsc::Sender<Input>,
    /// The rules in force, for readers; replaced on reload (read-mostly, never incident state).
    rules: Arc<std::sync::RwLock<Arc<vigie_rules::RuleSet>>>,
    live: broadcast::Sender<Arc<[Event]>>,
    reader: Arc<dyn LogReader>,
}

impl EngineHandle {
    /// Appends observations or other facts; returns once they are durable.
    pub async fn append(&self, source: String, bodies: Vec<EventBody>) -> Result<(Seq, Seq), EngineError> {
        let (reply, answer) = oneshot::channel();
        self.send(Input::Append { source, bodies, reply }).await?;
        answer.await.map_err(|_| EngineError::Stopped)?
    }

    /// Queues an append and returns as soon as it is in the engine's queue; the receipt
    /// resolves once the events are durable. Appends queued one after the other are logged in
    /// that order, so a caller can keep several in flight.
    pub async fn queue_append(&self, source: String, bodies: Vec<EventBody>) -> Result<AppendReceipt, EngineError> {
        let (reply, answer) = oneshot::channel();
        self.send(Input::Append { source, bodies, reply }).await?;
        Ok(AppendReceipt(answer))
    }

    /// Decides a command; returns the events it produced once durable.
    pub async fn command(&self, actor: Actor, command: IncidentCommand) -> Result<Vec<Event>, EngineError> {
        let (reply, answer) = oneshot::channel();
        self.send(Input::Command { actor, command, reply }).await?;
        answer.await.map_err(|_| EngineError::Stopped)?
    }

    /// Runs `read` on the engine thread against the current state and returns its result.
    pub async fn query<T: Send + 'static>(
        &self,
        read: impl FnOnce(&CityState) -> T + Send + 'static,
    ) -> Result<T, EngineError> {
        let (reply, answer) = oneshot::channel();
        let query: Query = Box::new(move |state| {
            // The caller may have gone away; nothing to do then.
            let _ = reply.send(read(state));
        });
        self.send(Input::Query(query)).await?;
        answer.await.map_err(|_| EngineError::Stopped)
    }

    /// Shelves an alarm until `until`, with a reason; returns the logged event once durable.
    pub async fn shelve(
        &self,
        key: AlarmKey,
        until: Timestamp,
        reason: String,
        actor: Actor,
    ) -> Result<Vec<Event>, EngineError> {
        let (reply, answer) = oneshot::channel();
        self.send(Input::Shelve { key, until, reason, actor, reply }).await?;
        answer.await.map_err(|_| EngineError::Stopped)?
    }

    /// Ends an alarm's shelving; returns the logged event once durable.
    pub async fn unshelve(&self, key: AlarmKey, actor: Actor) -> Result<Vec<Event>, EngineError> {
        let (reply, answer) = oneshot::channel();
        self.send(Input::Unshelve { key, actor, reply }).await?;
        answer.await.map_err(|_| EngineError::Stopped)?
    }

    /// Replaces the rules without a restart.
    pub async fn reload_rules(&self, rules: vigie_rules::RuleSet) -> Result<(), EngineError> {
        let shared = Arc::new(rules.clone());
        self.send(Input::ReloadRules(rules)).await?;
        *self.rules.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = shared;
        Ok(())
    }

    /// Returns the rules in force.
    pub fn rules(&self) -> Arc<vigie_rules::RuleSet> {
        self.rules.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// Records refused input in the dead-letter table. Waits only for room in the queue.
    pub async fn dead_letter(&self, letter: DeadLetter) -> Result<(), EngineError> {
        self.send(Input::DeadLetter(letter)).await
    }

    /// Asks for automatic escalations now.
    pub async fn tick(&self) -> Result<(), EngineError> {
        self.send(Input::Tick).await
    }

    /// Takes a final snapshot and stops the engine thread.
    pub async fn shutdown(&self) {
        let (reply, answer) = oneshot::channel();
        if self.send(Input::Shutdown { reply }).await.is_ok() {
            let _ = answer.await;
        }
    }

    /// Subscribes to committed batches, in log order.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<[Event]>> {
        self.live.subscribe()
    }

    /// Returns the log's reader side.
    pub fn reader(&self) -> &Arc<dyn LogReader> {
        &self.reader
    }

    async fn send(&self, input: Input) -> Result<(), EngineError> {
        self.inputs.send(input).await.map_err(|_| EngineError::Stopped)
    }
}

/// Restores the state from `log` and starts the engine thread.
pub fn spawn<L: EventLog + 'static>(
    mut log: L,
    reader: Arc<dyn LogReader>,
    rulebook: RuleBook,
    clock: Arc<dyn Clock>,
    config: EngineConfig,
) -> Result<(EngineHandle, std::thread::JoinHandle<()>), StoreError> {
    let started = Instant::now();
    let (state, rule_state) = restore::restore_with_rules(&mut log, &rulebook)?;
    let policies = rulebook.city.policies.clone();
    tracing::info!(last_seq = state.last_seq.0, elapsed_ms = started.elapsed().as_millis() as u64, "state restored");
    let (inputs, receiver) = mpsc::channel(config.input_capacity);
    let (live, _) = broadcast::channel(config.live_capacity);
    let rules = Arc::new(std::sync::RwLock::new(Arc::new(rulebook.rules.clone())));
    let handle = EngineHandle { inputs, rules, live: live.clone(), reader };
    let since_snapshot = 0;
    let engine = Engine { log, state, policies, rulebook, rule_state, clock, config, live, since_snapshot };
    let thread = std::thread::Builder::new()
        .name("vigie-engine".to_owned())
        .spawn(move || engine.run(receiver))
        .map_err(|error| StoreError::Other(format!("cannot start the engine thread: {error}")))?;
    Ok((handle, thread))
}

/// The city pack and its rules, as the engine uses them.
pub struct RuleBook {
    pub city: Arc<vigie_city::City>,
    pub rules: vigie_rules::RuleSet,
    /// The rule engine's view of each sensor, by id.
    pub sensors: std::collections::HashMap<vigie_core::SensorId, vigie_rules::SensorInfo>,
    /// The same, as the list `vigie_rules::tick` takes.
    pub sensor_list: Vec<vigie_rules::SensorInfo>,
}

struct Engine<L> {
    log: L,
    state: CityState,
    policies: IncidentPolicies,
    rulebook: RuleBook,
    /// The rule engine's windows; saved with each snapshot.
    rule_state: vigie_rules::RuleState,
    clock: Arc<dyn Clock>,
    config: EngineConfig,
    live: broadcast::Sender<Arc<[Event]>>,
    since_snapshot: u64,
}

/// A caller waiting for the commit of its events, with the range they took.
enum Pending {
    Append { range: Option<(Seq, Seq)>, reply: Reply<(Seq, Seq)> },
    Command { range: std::ops::Range<usize>, reply: Reply<Vec<Event>> },
}

impl<L: EventLog> Engine<L> {
    fn run(mut self, mut receiver: mpsc::Receiver<Input>) {
        while let Some(first) = receiver.blocking_recv() {
            let mut inputs = vec![first];
            let mut queued_events = input_events(&inputs[0]);
            while queued_events < self.config.max_events_per_commit {
                match receiver.try_recv() {
                    Ok(input) => {
                        queued_events += input_events(&input);
                        inputs.push(input);
                    }
                    Err(_) => break,
                }
            }
            if let Some(shutdown_reply) = self.try_step(inputs) {
                self.snapshot();
                let _ = shutdown_reply.send(());
                return;
            }
        }
        // Every handle is gone: stop with a snapshot so the next start is quick.
        self.snapshot();
    }

    /// Handles one group of inputs: decide, one commit, answer. Returns the shutdown reply if
    /// the group asked to stop (after handling everything before it).
    fn try_step(&mut self, inputs: Vec<Input>) -> Option<oneshot::Sender<()>> {
        let now = self.clock.now();
        let mut batch: Vec<Event> = Vec::new();
        let mut pending: Vec<Pending> = Vec::new();
        let mut queries: Vec<Query> = Vec::new();
        let mut dead_letters: Vec<DeadLetter> = Vec::new();
        let mut shutdown = None;
        for input in inputs {
            match input {
                Input::Append { source, bodies, reply } => {
                    if bodies.is_empty() {
                        pending.push(Pending::Append { range: None, reply });
                        continue;
                    }
                    // The readings stay contiguous; the alarms and incidents they cause follow them.
                    let first = Seq(self.state.last_seq.0 + 1);
                    let mut rule_changes = Vec::new();
                    for body in bodies {
                        if let EventBody::Observation(observation) = &body {
                            rule_changes.extend(self.evaluate_rules(observation, now));
                        }
                        self.push(&mut batch, NewEvent { time: now, source: source.clone(), body });
                    }
                    pending.push(Pending::Append { range: Some((first, self.state.last_seq)), reply });
                    self.apply_rule_changes(&mut batch, rule_changes, now);
                }
                Input::Command { actor, command, reply } => {
                    match incident::decide(&self.state.incidents, &self.policies, &actor, now, &command) {
                        Ok(decided) => {
                            let start = batch.len();
                            for incident_event in decided {
                                let source = actor.0.clone();
                                let body = EventBody::Incident(incident_event);
                                self.push(&mut batch, NewEvent { time: now, source, body });
                            }
                            pending.push(Pending::Command { range: start..batch.len(), reply });
                        }
                        Err(rejection) => {
                            METRICS.commands_rejected.fetch_add(1, Ordering::Relaxed);
                            let _ = reply.send(Err(EngineError::Rejected(rejection)));
                        }
                    }
                }
                Input::ReloadRules(rules) => {
                    tracing::info!(rules = rules.rules().len(), "rules reloaded");
                    self.rulebook.rules = rules;
                }
                Input::Tick => {
                    let rule_changes = self.tick_rules(now);
                    self.apply_rule_changes(&mut batch, rule_changes, now);
                    for key in self.state.alarms.expired_shelves(now) {
                        let change = AlarmChange::Unshelved { expired: true };
                        let body =
                            EventBody::Alarm(AlarmEvent { key, incident: None, actor: SHELF_ACTOR.to_owned(), change });
                        self.push(&mut batch, NewEvent { time: now, source: SHELF_ACTOR.to_owned(), body });
                    }
                    let system = Actor("system:escalation".to_owned());
                    match incident::decide(&self.state.incidents, &self.policies, &system, now, &IncidentCommand::Tick)
                    {
                        Ok(decided) => {
                            for incident_event in decided {
                                let body = EventBody::Incident(incident_event);
                                self.push(&mut batch, NewEvent { time: now, source: system.0.clone(), body });
                            }
                        }
                        Err(rejection) => tracing::warn!(error = %rejection, "tick rejected"),
                    }
                }
                Input::Shelve { key, until, reason, actor, reply } => {
                    match check_shelve(&self.state, &key, until, &reason, now) {
                        Ok(()) => {
                            let start = batch.len();
                            let change = AlarmChange::Shelved { until, reason };
                            let incident = self.state.alarms.standing.get(&key).and_then(|standing| standing.incident);
                            let body = EventBody::Alarm(AlarmEvent { key, incident, actor: actor.0.clone(), change });
                            self.push(&mut batch, NewEvent { time: now, source: actor.0, body });
                            pending.push(Pending::Command { range: start..batch.len(), reply });
                        }
                        Err(rejection) => {
                            let _ = reply.send(Err(EngineError::AlarmRejected(rejection)));
                        }
                    }
                }
                Input::Unshelve { key, actor, reply } => {
                    if self.state.alarms.shelved.contains_key(&key) {
                        let start = batch.len();
                        let change = AlarmChange::Unshelved { expired: false };
                        let body = EventBody::Alarm(AlarmEvent { key, incident: None, actor: actor.0.clone(), change });
                        self.push(&mut batch, NewEvent { time: now, source: actor.0, body });
                        pending.push(Pending::Command { range: start..batch.len(), reply });
                    } else {
                        let _ = reply.send(Err(EngineError::AlarmRejected(AlarmRejection::NotShelved { key })));
                    }
                }
                Input::Query(query) => queries.push(query),
                Input::DeadLetter(letter) => dead_letters.push(letter),
                Input::Shutdown { reply } => {
                    shutdown = Some(reply);
                    break;
                }
            }
        }
        let committed = self.log.append_with_dead_letters(&batch, &dead_letters);
        match committed {
            Ok(()) => {
                METRICS.commits.fetch_add(1, Ordering::Relaxed);
                METRICS.events_committed.fetch_add(batch.len() as u64, Ordering::Relaxed);
                METRICS.dead_letters.fetch_add(dead_letters.len() as u64, Ordering::Relaxed);
                for waiting in pending {
                    match waiting {
                        Pending::Append { range, reply } => {
                            let range = range.unwrap_or((self.state.last_seq, self.state.last_seq));
                            let _ = reply.send(Ok(range));
                        }
                        Pending::Command { range, reply } => {
                            let _ = reply.send(Ok(batch[range].to_vec()));
                        }
                    }
                }
                self.since_snapshot += batch.len() as u64;
                if !batch.is_empty() {
                    // No receiver is fine: nobody is watching the live stream.
                    let _ = self.live.send(Arc::from(batch));
                }
                if self.since_snapshot >= self.config.snapshot_every_events {
                    self.snapshot();
                }
            }
            Err(error) => {
                METRICS.commit_failures.fetch_add(1, Ordering::Relaxed);
                tracing::error!(error = %error, events = batch.len(), "commit failed; nothing of this batch is acknowledged");
                for waiting in pending {
                    match waiting {
                        Pending::Append { reply, .. } => {
                            let _ = reply
                                .send(Err(EngineError::Store(StoreError::Other(format!("commit failed: {error}")))));
                        }
                        Pending::Command { reply, .. } => {
                            let _ = reply
                                .send(Err(EngineError::Store(StoreError::Other(format!("commit failed: {error}")))));
                        }
                    }
                }
                // The state ran ahead of the log while deciding; rebuild it from what is durable.
                match restore::restore_with_rules(&mut self.log, &self.rulebook) {
                    Ok((state, rule_state)) => {
                        self.state = state;
                        self.rule_state = rule_state;
                    }
                    Err(restore_error) => {
                        tracing::error!(error = %restore_error, "cannot rebuild the state after a failed commit");
                    }
                }
            }
        }
        for query in queries {
            query(&self.state);
        }
        shutdown
    }

    /// Numbers `event`, applies it to the state and adds it to the batch.
    fn push(&mut self, batch: &mut Vec<Event>, event: NewEvent) {
        let event = event.at(Seq(self.state.last_seq.0 + 1));
        self.state.apply(&event);
        batch.push(event);
    }

    fn snapshot(&mut self) {
        let state = match serde_json::to_vec(&self.state) {
            Ok(state) => state,
            Err(error) => {
                tracing::error!(error = %error, "cannot encode a snapshot");
                return;
            }
        };
        let rules = match serde_json::to_vec(&self.rule_state) {
            Ok(rules) => rules,
            Err(error) => {
                tracing::error!(error = %error, "cannot encode the rule windows; the snapshot keeps none");
                Vec::new()
            }
        };
        let snapshot = Snapshot { seq: self.state.last_seq, taken_at: self.clock.now(), state, rules };
        match self.log.save_snapshot(&snapshot) {
            Ok(()) => {
                self.since_snapshot = 0;
                tracing::debug!(seq = snapshot.seq.0, bytes = snapshot.state.len(), "snapshot saved");
            }
            Err(error) => tracing::error!(error = %error, "cannot save a snapshot"),
        }
    }
}

/// The actor of shelves that end by themselves.
const SHELF_ACTOR: &str = "system:shelving";
/// The longest an alarm may stay shelved (EEMUA 191: shelving is temporary).
pub const MAX_SHELF_S: i64 = 7 * 24 * 3600;

/// Why shelving was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlarmRejection {
    #[error("shelving needs a reason")]
    EmptyReason,
    #[error("the shelf must end in the future and within 7 days")]
    BadExpiry,
    #[error("alarm {key} is unknown: it has never been raised")]
    UnknownAlarm { key: AlarmKey },
    #[error("alarm {key} is not shelved")]
    NotShelved { key: AlarmKey },
}

impl AlarmRejection {
    /// Returns a stable code for APIs.
    pub fn code(&self) -> &'static str {
        match self {
            AlarmRejection::EmptyReason => "empty_reason",
            AlarmRejection::BadExpiry => "bad_expiry",
            AlarmRejection::UnknownAlarm { .. } => "alarm_not_found",
            AlarmRejection::NotShelved { .. } => "not_shelved",
        }
    }
}

fn check_shelve(
    state: &CityState,
    key: &AlarmKey,
    until: Timestamp,
    reason: &str,
    now: Timestamp,
) -> Result<(), AlarmRejection> {
    if reason.trim().is_empty() {
        return Err(AlarmRejection::EmptyReason);
    }
    if until <= now || until.seconds_since(now) > MAX_SHELF_S {
        return Err(AlarmRejection::BadExpiry);
    }
    if !state.alarms.recent_raises.contains_key(key) && !state.alarms.standing.contains_key(key) {
        return Err(AlarmRejection::UnknownAlarm { key: key.clone() });
    }
    Ok(())
}

fn input_events(input: &Input) -> usize {
    match input {
        Input::Append { bodies, .. } => bodies.len(),
        _ => 1,
    }
}
