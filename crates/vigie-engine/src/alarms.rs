//! From rule results to alarm and incident events: the engine's side of alarm management.
//!
//! For each reading the engine asks the rule engine (`vigie_rules::evaluate`) what changed;
//! each raised alarm is routed to a command post by the city pack, disposed of by
//! `vigie_core::alarm::dispose` (shelved, attached, grouped or opening an incident), and logged
//! with the incident events it causes, in the same commit as the reading.

use crate::metrics::METRICS;
use crate::{Engine, RuleBook};
use std::sync::atomic::Ordering;
use vigie_core::alarm::{AlarmChange, AlarmEvent, AlarmKey, Disposition, RaisedAlarm, dispose, group_key};
use vigie_core::incident::{self, Actor, CreateIncident, GeoPoint, IncidentCommand, Origin};
use vigie_core::{Event, EventBody, NewEvent, Observation, Timestamp};
use vigie_store::EventLog;

impl<L: EventLog> Engine<L> {
    /// Runs the rules over one reading logged at `now`; returns what they changed.
    pub(crate) fn evaluate_rules(
        &mut self,
        observation: &Observation,
        now: Timestamp,
    ) -> Vec<vigie_rules::AlarmChange> {
        let Some(sensor) = self.rulebook.sensors.get(&observation.sensor_id) else {
            return Vec::new();
        };
        vigie_rules::evaluate(&mut self.rule_state, &self.rulebook.rules, sensor, observation, now, now.paris_hour())
    }

    /// Runs the rules' clock (silence, `for_s` maturing) at `now`.
    pub(crate) fn tick_rules(&mut self, now: Timestamp) -> Vec<vigie_rules::AlarmChange> {
        vigie_rules::tick(&mut self.rule_state, &self.rulebook.rules, &self.rulebook.sensor_list, now)
    }

    /// Logs each change as alarm events, and the incident events they cause.
    pub(crate) fn apply_rule_changes(
        &mut self,
        batch: &mut Vec<Event>,
        changes: Vec<vigie_rules::AlarmChange>,
        now: Timestamp,
    ) {
        for change in changes {
            match change {
                vigie_rules::AlarmChange::Raised(alarm) => self.raise(batch, alarm, now),
                vigie_rules::AlarmChange::Cleared { rule, subject, .. } => {
                    let key = AlarmKey { rule, subject };
                    // A clear of an alarm the log does not hold standing (e.g. after a restart
                    // lost a window) changes nothing.
                    let Some(standing) = self.state.alarms.standing.get(&key) else { continue };
                    let incident = standing.incident;
                    let actor = format!("rule:{}", key.rule);
                    let body = EventBody::Alarm(AlarmEvent {
                        key,
                        incident,
                        actor: actor.clone(),
                        change: AlarmChange::Cleared,
                    });
                    self.push(batch, NewEvent { time: now, source: actor, body });
                    METRICS.alarms_cleared.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }

    fn raise(&mut self, batch: &mut Vec<Event>, alarm: vigie_rules::Alarm, now: Timestamp) {
        let key = AlarmKey { rule: alarm.rule.clone(), subject: alarm.subject.clone() };
        if self.state.alarms.standing.contains_key(&key) {
            return;
        }
        let Some(post) =
            self.rulebook.city.route(&alarm.category, alarm.commune.as_ref(), alarm.zone.as_ref()).cloned()
        else {
            tracing::warn!(rule = %alarm.rule, category = %alarm.category, "no routing rule for this alarm's category; the alarm is dropped (vigie city check refuses such packs)");
            return;
        };
        let mut raised = RaisedAlarm {
            category: alarm.category.clone(),
            severity: alarm.severity,
            priority: alarm.priority,
            value: alarm.value,
            sensors: alarm.sensors.clone(),
            zone: alarm.zone.clone(),
            commune: alarm.commune.clone(),
            post: post.clone(),
            message_fr: alarm.message_fr.clone(),
            message_en: alarm.message_en.clone(),
            disposition: Disposition::Shelved,
        };
        let disposition = dispose(&self.state.alarms, &self.state.incidents, &key, &raised, now);
        raised.disposition = disposition.clone();
        let actor = Actor(format!("rule:{}", key.rule));
        let position = alarm
            .sensors
            .first()
            .and_then(|sensor| self.rulebook.city.sensor(sensor))
            .map(|sensor| GeoPoint { lon: sensor.lon, lat: sensor.lat });
        let commands: Vec<IncidentCommand> = match &disposition {
            Disposition::Shelved => Vec::new(),
            Disposition::Opened { .. } => vec![IncidentCommand::Create(CreateIncident {
                category: alarm.category.clone(),
                priority: Some(alarm.priority),
                title: truncate(&alarm.message_fr, 200),
                post: post.clone(),
                commune: alarm.commune.clone(),
                zone: alarm.zone.clone(),
                position,
                origin: Origin::Alarm { rule: key.rule.clone(), subject: key.subject.clone() },
            })],
            Disposition::Attached { incident } | Disposition::Grouped { incident, opened: false } => {
                vec![attach(*incident, &key, &alarm.message_fr, alarm.priority)]
            }
            Disposition::Grouped { incident, opened: true } => {
                let group = group_key(&raised);
                let label = self
                    .rulebook
                    .city
                    .policies
                    .categories
                    .get(&alarm.category)
                    .map_or(alarm.category.to_string(), |policy| policy.label_fr.clone());
                let place = alarm
                    .zone
                    .as_ref()
                    .and_then(|zone| self.rulebook.city.zone(zone))
                    .map(|zone| zone.name.clone())
                    .or_else(|| {
                        alarm
                            .commune
                            .as_ref()
                            .and_then(|commune| self.rulebook.city.commune(commune))
                            .map(|commune| commune.name.clone())
                    })
                    .unwrap_or_else(|| "métropole".to_owned());
                vec![
                    IncidentCommand::Create(CreateIncident {
                        category: alarm.category.clone(),
                        priority: Some(alarm.priority),
                        title: truncate(&format!("Avalanche d'alarmes — {label} — {place}"), 200),
                        post: post.clone(),
                        commune: alarm.commune.clone(),
                        zone: alarm.zone.clone(),
                        position,
                        origin: Origin::Alarm { rule: group.rule, subject: group.subject },
                    }),
                    attach(*incident, &key, &alarm.message_fr, alarm.priority),
                ]
            }
        };
        let source = actor.0.clone();
        let body = EventBody::Alarm(AlarmEvent {
            key: key.clone(),
            incident: disposition.incident(),
            actor: actor.0.clone(),
            change: AlarmChange::Raised(raised),
        });
        self.push(batch, NewEvent { time: now, source: source.clone(), body });
        METRICS.alarms_raised.fetch_add(1, Ordering::Relaxed);
        for command in commands {
            match incident::decide(&self.state.incidents, &self.policies, &actor, now, &command) {
                Ok(decided) => {
                    for incident_event in decided {
                        self.push(
                            batch,
                            NewEvent { time: now, source: source.clone(), body: EventBody::Incident(incident_event) },
                        );
                    }
                }
                Err(rejection) => {
                    tracing::warn!(error = %rejection, alarm = %key, "an alarm's incident command was rejected");
                }
            }
        }
    }
}

fn attach(
    incident: vigie_core::incident::IncidentId,
    key: &AlarmKey,
    message: &str,
    priority: vigie_core::incident::Priority,
) -> IncidentCommand {
    IncidentCommand::AttachAlarm {
        id: incident,
        rule: key.rule.clone(),
        subject: key.subject.clone(),
        message: truncate(message, 4000),
        priority: Some(priority),
    }
}

fn truncate(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}

/// Builds the rule engine's view of the city's sensors.
pub(crate) fn sensor_infos(city: &vigie_city::City) -> Vec<vigie_rules::SensorInfo> {
    city.sensors
        .iter()
        .map(|sensor| vigie_rules::SensorInfo {
            id: sensor.id.clone(),
            kind: sensor.kind.as_str().to_owned(),
            unit: sensor.unit.clone(),
            zone: sensor.zone.clone(),
            commune: sensor.commune.clone(),
            criticality: sensor.criticality,
        })
        .collect()
}

impl RuleBook {
    /// Prepares the rules and the city for the engine.
    pub fn new(city: std::sync::Arc<vigie_city::City>, rules: vigie_rules::RuleSet) -> RuleBook {
        let sensor_list = sensor_infos(&city);
        let sensors = sensor_list.iter().map(|info| (info.id.clone(), info.clone())).collect();
        RuleBook { city, rules, sensors, sensor_list }
    }
}

/// Why the rules of a pack cannot run.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct RuleBookError(pub String);

impl RuleBook {
    /// Loads `rules/*.toml` of the pack at `pack_dir` (none is an empty rule set) and checks them
    /// against the city: every category has a playbook and a route.
    pub fn load(city: std::sync::Arc<vigie_city::City>, pack_dir: &std::path::Path) -> Result<RuleBook, RuleBookError> {
        let dir = pack_dir.join("rules");
        let rules = if dir.is_dir() {
            vigie_rules::load(&dir).map_err(|errors| RuleBookError(format!("{}:\n{errors}", dir.display())))?
        } else {
            vigie_rules::load_str("rules", "").map_err(|errors| RuleBookError(errors.to_string()))?
        };
        let rulebook = RuleBook::new(city, rules);
        let problems = rulebook.check();
        if problems.is_empty() { Ok(rulebook) } else { Err(RuleBookError(problems.join("\n"))) }
    }

    /// Returns what in the rules the city pack cannot serve.
    pub fn check(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for rule in self.rules.rules() {
            if !self.city.policies.categories.contains_key(&rule.category) {
                problems.push(format!("rule {:?}: category {} has no playbook in the pack", rule.id, rule.category));
            } else if self.city.route(&rule.category, None, None).is_none() {
                problems.push(format!("rule {:?}: category {} has no catch-all routing rule", rule.id, rule.category));
            }
        }
        problems
    }
}
