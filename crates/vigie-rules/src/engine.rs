//! The engine: [`evaluate`] one reading, [`tick`] the clock; both return the alarms that raise or
//! clear, and keep what they must remember in a [`RuleState`].
//!
//! Every rule watches each sensor its selector matches on its own (the alarm's subject is the
//! sensor), except correlations, whose subject is a zone. An alarm raises once and clears once:
//! while it stands, further readings that confirm it produce nothing.
//!
//! Time: windows, `for_s` and silences all run on `now`, the time the caller hands in (in
//! Vigie, the time the reading entered the event log), never on the sensor's own
//! `Observation::time`: one clock for readings and ticks, and a sensor whose clock is wrong
//! cannot reorder its windows. A `now` earlier than the newest reading of a window counts as
//! that reading's time.
//!
//! Memory: a window keeps only the readings of its last `window_s` seconds, and at most
//! [`MAX_WINDOW_READINGS`]; state exists only for the (rule, sensor) pairs that a selector
//! matched and the zones where a correlation has members; `tick` forgets sensors that left the
//! city and rules that left the set, clearing their standing alarms.

use crate::expr::Context;
use crate::load::RuleSet;
use crate::rule::{Language, MessageArgs, Operator, Rule, priority, render_message};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use vigie_core::incident::Priority;
use vigie_core::maps::{slot, slot_with};
use vigie_core::{CategoryId, CommuneId, Observation, SensorId, Timestamp, ZoneId};

/// The most readings one window keeps; the oldest go first when a burst exceeds it.
pub const MAX_WINDOW_READINGS: usize = 4096;

/// What the engine knows of a sensor: what selectors and conditions look at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SensorInfo {
    pub id: SensorId,
    /// What it measures, as the pack writes it (`river_level`, `smoke`).
    pub kind: String,
    pub unit: String,
    /// The building, river or area it belongs to.
    pub zone: Option<ZoneId>,
    pub commune: CommuneId,
    /// From 1 (low) to 5 (life safety).
    pub criticality: u8,
}

/// An alarm a rule raised.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alarm {
    /// The rule's id.
    pub rule: String,
    /// What the alarm is about: the sensor's id, or the zone's for a correlation.
    pub subject: String,
    pub category: CategoryId,
    pub severity: u8,
    pub priority: Priority,
    /// What the rule measured: the reading, or the rate per hour for a rate rule; none for a
    /// silence or a correlation.
    pub value: Option<f64>,
    /// The sensors involved, sorted.
    pub sensors: Vec<SensorId>,
    pub zone: Option<ZoneId>,
    pub commune: Option<CommuneId>,
    pub at: Timestamp,
    pub message_fr: String,
    pub message_en: String,
}

/// An alarm that raised or cleared.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum AlarmChange {
    Raised(Alarm),
    Cleared { rule: String, subject: String, at: Timestamp },
}

/// What the engine remembers between calls: per rule and subject, the windows, the
/// hysteresis state, the `for_s` timers and whether the alarm stands; per sensor, when it was
/// last heard from. Start from `RuleState::default()`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleState {
    /// By rule id.
    rules: BTreeMap<String, PerRule>,
    /// When each sensor last sent a reading, or when the first tick that knew it ran.
    last_seen: BTreeMap<SensorId, Timestamp>,
}

impl RuleState {
    /// Returns the alarms that stand, as (rule, subject), by rule id then subject.
    pub fn standing(&self) -> Vec<(&str, &str)> {
        let mut standing = Vec::new();
        for (rule, per_rule) in &self.rules {
            for (sensor, subject) in &per_rule.sensors {
                if subject.raised {
                    standing.push((rule.as_str(), sensor.as_str()));
                }
            }
            for (zone, zone_state) in &per_rule.zones {
                if zone_state.raised {
                    standing.push((rule.as_str(), zone.as_str()));
                }
            }
        }
        standing
    }

    /// Returns how many readings and correlation members the windows hold, all rules together.
    pub fn buffered(&self) -> usize {
        self.rules
            .values()
            .map(|per_rule| {
                per_rule.sensors.values().map(|subject| subject.window.len()).sum::<usize>()
                    + per_rule.zones.values().map(|zone| zone.members.len()).sum::<usize>()
            })
            .sum()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct PerRule {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    sensors: BTreeMap<SensorId, SubjectState>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    zones: BTreeMap<ZoneId, ZoneState>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct SubjectState {
    /// The operator's verdict after the last reading; a threshold's hysteresis reads it back.
    holds: bool,
    /// Since when `holds` has been true without a break, for `for_s`.
    holds_since: Option<Timestamp>,
    /// Whether the alarm stands.
    raised: bool,
    /// What the operator last measured (the reading, or the rate), for the alarm.
    measure: Option<f64>,
    /// Readings in time order: all of them for a rate, those matching the condition for a count.
    window: VecDeque<Reading>,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
struct Reading {
    at: Timestamp,
    value: f64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct ZoneState {
    raised: bool,
    members: Vec<Member>,
}

/// An alarm of a correlated rule, in the zone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Member {
    rule: String,
    sensor: SensorId,
    kind: String,
    commune: CommuneId,
    criticality: u8,
    raised_at: Timestamp,
    /// Whether that alarm still stands.
    standing: bool,
}

/// A change of a per-sensor alarm, which correlations listen to.
enum MemberChange<'a> {
    Raised(&'a str, &'a SensorInfo),
    Cleared(&'a str, SensorId),
}

/// Runs every rule that watches `sensor` on one of its readings, at `now`, with the local
/// `hour` of day (0 to 23) for conditions.
///
/// `sensor` says whose reading it is; `observation` gives the value and unit. A non-finite
/// value counts as a sign of life for silences but is otherwise ignored.
pub fn evaluate(
    state: &mut RuleState,
    rules: &RuleSet,
    sensor: &SensorInfo,
    observation: &Observation,
    now: Timestamp,
    local_hour: u8,
) -> Vec<AlarmChange> {
    let last_seen = slot_with(&mut state.last_seen, &sensor.id, || now);
    *last_seen = (*last_seen).max(now);
    let value = observation.value;
    let context = Context { value, unit: &observation.unit, hour: local_hour, sensor };
    let mut changes = Vec::new();
    let mut member_changes = Vec::new();
    for rule in rules.rules() {
        if matches!(rule.when, Operator::Correlation(_)) || !rule.select.matches(sensor) {
            continue;
        }
        let subject = slot(&mut slot(&mut state.rules, &rule.id).sensors, &sensor.id);
        let verdict = match &rule.when {
            Operator::Silence(_) => {
                if subject.raised {
                    subject.raised = false;
                    changes.push(cleared(rule, sensor.id.as_str(), now));
                    member_changes.push(MemberChange::Cleared(&rule.id, sensor.id.clone()));
                }
                continue;
            }
            Operator::Correlation(_) => continue,
            _ if !value.is_finite() => continue,
            Operator::Threshold(threshold) => {
                subject.measure = Some(value);
                threshold.stands(subject.holds, value)
            }
            Operator::Rate(rate) => {
                push_reading(&mut subject.window, now, value, rate.window_s);
                let per_hour = rate_per_hour(&subject.window, rate.min_span_s);
                // Too short a span to measure a rate says nothing new: the alarm keeps its state.
                if per_hour.is_some() {
                    subject.measure = per_hour;
                }
                per_hour.map_or(subject.holds, |per_hour| rate.threshold.stands(subject.holds, per_hour))
            }
            Operator::Count(count) => {
                if count.condition.holds(&context) {
                    push_reading(&mut subject.window, now, value, count.window_s);
                } else {
                    evict(&mut subject.window, now, count.window_s);
                }
                subject.measure = Some(value);
                subject.window.len() >= count.at_least as usize
            }
            Operator::Condition(condition) => {
                subject.measure = Some(value);
                condition.holds(&context)
            }
        };
        match step(subject, verdict, now, rule.for_s) {
            Step::Stay => {}
            Step::Raise => {
                changes.push(AlarmChange::Raised(sensor_alarm(rule, sensor, subject.measure, now)));
                member_changes.push(MemberChange::Raised(&rule.id, sensor));
            }
            Step::Clear => {
                changes.push(cleared(rule, sensor.id.as_str(), now));
                member_changes.push(MemberChange::Cleared(&rule.id, sensor.id.clone()));
            }
        }
    }
    correlate(&mut state.rules, rules, &member_changes, now, &mut changes);
    changes
}

/// Moves the clock to `now`: raises silences, raises `for_s` conditions that matured without a
/// new reading, lets count and correlation windows expire. `sensors` is every sensor of the
/// city: state about any other sensor, or any rule not in `rules`, is forgotten, and its
/// standing alarms clear. Call it every few seconds.
pub fn tick(state: &mut RuleState, rules: &RuleSet, sensors: &[SensorInfo], now: Timestamp) -> Vec<AlarmChange> {
    let by_id: BTreeMap<&SensorId, &SensorInfo> = sensors.iter().map(|sensor| (&sensor.id, sensor)).collect();
    let mut changes = Vec::new();
    let mut member_changes = Vec::new();
    forget(state, rules, &by_id, now, &mut changes, &mut member_changes);
    for rule in rules.rules() {
        match &rule.when {
            Operator::Correlation(_) => {}
            Operator::Silence(silence) => {
                for sensor in sensors.iter().filter(|sensor| rule.select.matches(sensor)) {
                    let last_seen = *slot_with(&mut state.last_seen, &sensor.id, || now);
                    let subject = slot(&mut slot(&mut state.rules, &rule.id).sensors, &sensor.id);
                    if !subject.raised && matured(last_seen, now, silence.after_s) {
                        subject.raised = true;
                        changes.push(AlarmChange::Raised(sensor_alarm(rule, sensor, None, now)));
                        member_changes.push(MemberChange::Raised(&rule.id, sensor));
                    }
                }
            }
            Operator::Threshold(_) | Operator::Rate(_) | Operator::Count(_) | Operator::Condition(_) => {
                let Some(per_rule) = state.rules.get_mut(&rule.id) else {
                    continue;
                };
                for (sensor_id, subject) in &mut per_rule.sensors {
                    // `forget` kept only the sensors of the city.
                    let Some(&sensor) = by_id.get(sensor_id) else {
                        continue;
                    };
                    let verdict = match &rule.when {
                        Operator::Count(count) => {
                            evict(&mut subject.window, now, count.window_s);
                            subject.window.len() >= count.at_least as usize
                        }
                        // A rate is a property of readings: only the next one changes it.
                        Operator::Rate(rate) => {
                            evict(&mut subject.window, now, rate.window_s);
                            subject.holds
                        }
                        // A reading decides the others; time only matures `for_s`.
                        _ => subject.holds,
                    };
                    match step(subject, verdict, now, rule.for_s) {
                        Step::Stay => {}
                        Step::Raise => {
                            changes.push(AlarmChange::Raised(sensor_alarm(rule, sensor, subject.measure, now)));
                            member_changes.push(MemberChange::Raised(&rule.id, sensor));
                        }
                        Step::Clear => {
                            changes.push(cleared(rule, sensor_id.as_str(), now));
                            member_changes.push(MemberChange::Cleared(&rule.id, sensor_id.clone()));
                        }
                    }
                }
            }
        }
    }
    correlate(&mut state.rules, rules, &member_changes, now, &mut changes);
    expire_correlations(&mut state.rules, rules, &by_id, now, &mut changes);
    changes
}

/// Drops the state of rules that left the set and of sensors that left the city or the
/// rule's selector, clearing what stood.
fn forget<'a>(
    state: &mut RuleState,
    rules: &'a RuleSet,
    by_id: &BTreeMap<&SensorId, &SensorInfo>,
    now: Timestamp,
    changes: &mut Vec<AlarmChange>,
    member_changes: &mut Vec<MemberChange<'a>>,
) {
    state.last_seen.retain(|sensor, _| by_id.contains_key(sensor));
    let mut gone_rules = Vec::new();
    for (rule_id, per_rule) in &mut state.rules {
        let Some(rule) = rules.get(rule_id) else {
            gone_rules.push(rule_id.clone());
            continue;
        };
        per_rule.sensors.retain(|sensor_id, subject| {
            let keep = by_id.get(sensor_id).is_some_and(|sensor| rule.select.matches(sensor));
            if !keep && subject.raised {
                changes.push(cleared(rule, sensor_id.as_str(), now));
                member_changes.push(MemberChange::Cleared(&rule.id, sensor_id.clone()));
            }
            keep
        });
    }
    for rule_id in gone_rules {
        if let Some(per_rule) = state.rules.remove(&rule_id) {
            let standing_sensors =
                per_rule.sensors.iter().filter(|(_, subject)| subject.raised).map(|(id, _)| id.as_str());
            let standing_zones = per_rule.zones.iter().filter(|(_, zone)| zone.raised).map(|(id, _)| id.as_str());
            for subject in standing_sensors.chain(standing_zones) {
                changes.push(AlarmChange::Cleared { rule: rule_id.clone(), subject: subject.to_owned(), at: now });
            }
        }
    }
}

enum Step {
    Stay,
    Raise,
    Clear,
}

/// Applies the operator's verdict: a verdict that holds raises once it has held `for_s`
/// seconds; one that does not clears at once.
fn step(subject: &mut SubjectState, verdict: bool, now: Timestamp, for_s: u32) -> Step {
    if !verdict {
        subject.holds = false;
        subject.holds_since = None;
        if subject.raised {
            subject.raised = false;
            return Step::Clear;
        }
        return Step::Stay;
    }
    if !subject.holds || subject.holds_since.is_none() {
        subject.holds_since = Some(now);
    }
    subject.holds = true;
    let since = subject.holds_since.unwrap_or(now);
    if !subject.raised && matured(since, now, for_s) {
        subject.raised = true;
        return Step::Raise;
    }
    Step::Stay
}

/// Tells whether `seconds` have passed from `since` to `now`.
fn matured(since: Timestamp, now: Timestamp, seconds: u32) -> bool {
    now.millis().saturating_sub(since.millis()) >= i64::from(seconds) * 1000
}

fn window_start(now: Timestamp, window_s: u32) -> Timestamp {
    Timestamp(now.millis().saturating_sub(i64::from(window_s) * 1000))
}

/// Appends a reading, keeping the window in time order and within its bounds.
fn push_reading(window: &mut VecDeque<Reading>, now: Timestamp, value: f64, window_s: u32) {
    let at = window.back().map_or(now, |newest| newest.at.max(now));
    window.push_back(Reading { at, value });
    evict(window, at, window_s);
}

/// Drops the readings older than `window_s` before `now`, and the oldest beyond the cap.
fn evict(window: &mut VecDeque<Reading>, now: Timestamp, window_s: u32) {
    let start = window_start(now, window_s);
    while window.front().is_some_and(|oldest| oldest.at < start) || window.len() > MAX_WINDOW_READINGS {
        window.pop_front();
    }
}

/// The change per hour from the oldest to the newest reading, when they span at least
/// `min_span_s` (and more than nothing).
fn rate_per_hour(window: &VecDeque<Reading>, min_span_s: u32) -> Option<f64> {
    let (oldest, newest) = (window.front()?, window.back()?);
    let span_ms = newest.at.millis().saturating_sub(oldest.at.millis());
    if span_ms <= 0 || span_ms < i64::from(min_span_s) * 1000 {
        return None;
    }
    let per_hour = (newest.value - oldest.value) / span_ms as f64 * 3_600_000.0;
    per_hour.is_finite().then_some(per_hour)
}

fn cleared(rule: &Rule, subject: &str, at: Timestamp) -> AlarmChange {
    AlarmChange::Cleared { rule: rule.id.clone(), subject: subject.to_owned(), at }
}

fn sensor_alarm(rule: &Rule, sensor: &SensorInfo, value: Option<f64>, at: Timestamp) -> Alarm {
    let unit = match rule.when {
        Operator::Rate(_) => format!("{}/h", sensor.unit),
        _ => sensor.unit.clone(),
    };
    let args = MessageArgs {
        sensor: sensor.id.as_str(),
        zone: sensor.zone.as_ref().map_or("", |zone| zone.as_str()),
        commune: sensor.commune.as_str(),
        value,
        unit: &unit,
    };
    Alarm {
        rule: rule.id.clone(),
        subject: sensor.id.to_string(),
        category: rule.category.clone(),
        severity: rule.severity,
        priority: priority(rule.severity, sensor.criticality),
        value,
        sensors: vec![sensor.id.clone()],
        zone: sensor.zone.clone(),
        commune: Some(sensor.commune.clone()),
        at,
        message_fr: render_message(&rule.description_fr, &args, Language::French),
        message_en: render_message(&rule.description_en, &args, Language::English),
    }
}

/// Feeds the changes of per-sensor alarms to the correlations that name their rules.
fn correlate(
    per_rules: &mut BTreeMap<String, PerRule>,
    rules: &RuleSet,
    member_changes: &[MemberChange<'_>],
    now: Timestamp,
    changes: &mut Vec<AlarmChange>,
) {
    if member_changes.is_empty() {
        return;
    }
    for rule in rules.rules() {
        let Operator::Correlation(correlation) = &rule.when else {
            continue;
        };
        for member_change in member_changes {
            match member_change {
                MemberChange::Raised(member_rule, sensor) => {
                    if !correlation.rules.iter().any(|name| name == member_rule) || !rule.select.matches(sensor) {
                        continue;
                    }
                    let Some(zone) = &sensor.zone else {
                        continue;
                    };
                    let zone_state = slot(&mut slot(per_rules, &rule.id).zones, zone);
                    zone_state.members.retain(|member| !(member.rule == *member_rule && member.sensor == sensor.id));
                    zone_state.members.push(Member {
                        rule: (*member_rule).to_owned(),
                        sensor: sensor.id.clone(),
                        kind: sensor.kind.clone(),
                        commune: sensor.commune.clone(),
                        criticality: sensor.criticality,
                        raised_at: now,
                        standing: true,
                    });
                    settle_zone(rule, zone, zone_state, now, changes);
                }
                MemberChange::Cleared(member_rule, sensor_id) => {
                    if !correlation.rules.iter().any(|name| name == member_rule) {
                        continue;
                    }
                    let Some(per_rule) = per_rules.get_mut(&rule.id) else {
                        continue;
                    };
                    for (zone, zone_state) in &mut per_rule.zones {
                        let mut touched = false;
                        for member in &mut zone_state.members {
                            if member.rule == *member_rule && member.sensor == *sensor_id {
                                member.standing = false;
                                touched = true;
                            }
                        }
                        if touched {
                            settle_zone(rule, zone, zone_state, now, changes);
                        }
                    }
                }
            }
        }
    }
}

/// Lets correlation members expire, drops those of sensors that left the city, and clears what
/// no longer stands.
fn expire_correlations(
    per_rules: &mut BTreeMap<String, PerRule>,
    rules: &RuleSet,
    by_id: &BTreeMap<&SensorId, &SensorInfo>,
    now: Timestamp,
    changes: &mut Vec<AlarmChange>,
) {
    for rule in rules.rules() {
        if !matches!(rule.when, Operator::Correlation(_)) {
            continue;
        }
        let Some(per_rule) = per_rules.get_mut(&rule.id) else {
            continue;
        };
        for (zone, zone_state) in &mut per_rule.zones {
            zone_state.members.retain(|member| by_id.contains_key(&member.sensor));
            settle_zone(rule, zone, zone_state, now, changes);
        }
        per_rule.zones.retain(|_, zone_state| zone_state.raised || !zone_state.members.is_empty());
    }
}

/// Expires a zone's old members, then raises its correlation when enough recent members
/// cover its kinds, or clears it when none stands any more.
fn settle_zone(rule: &Rule, zone: &ZoneId, zone_state: &mut ZoneState, now: Timestamp, changes: &mut Vec<AlarmChange>) {
    let Operator::Correlation(correlation) = &rule.when else {
        return;
    };
    let start = window_start(now, correlation.window_s);
    zone_state.members.retain(|member| member.standing || member.raised_at >= start);
    if zone_state.raised {
        if !zone_state.members.iter().any(|member| member.standing) {
            zone_state.raised = false;
            changes.push(cleared(rule, zone.as_str(), now));
        }
        return;
    }
    let recent: Vec<&Member> = zone_state.members.iter().filter(|member| member.raised_at >= start).collect();
    let sensors: BTreeSet<&SensorId> = recent.iter().map(|member| &member.sensor).collect();
    let kinds_covered = correlation.kinds.iter().all(|kind| recent.iter().any(|member| &member.kind == kind));
    let standing = recent.iter().any(|member| member.standing);
    if sensors.len() < correlation.at_least as usize || !kinds_covered || !standing {
        return;
    }
    zone_state.raised = true;
    let criticality = recent.iter().map(|member| member.criticality).max().unwrap_or(1);
    let commune = recent.iter().map(|member| member.commune.clone()).next();
    let sensors: Vec<SensorId> = sensors.into_iter().cloned().collect();
    let sensor_list = sensors.iter().map(SensorId::as_str).collect::<Vec<_>>().join(", ");
    let args = MessageArgs {
        sensor: &sensor_list,
        zone: zone.as_str(),
        commune: commune.as_ref().map_or("", |commune| commune.as_str()),
        value: None,
        unit: "",
    };
    let message_fr = render_message(&rule.description_fr, &args, Language::French);
    let message_en = render_message(&rule.description_en, &args, Language::English);
    changes.push(AlarmChange::Raised(Alarm {
        rule: rule.id.clone(),
        subject: zone.to_string(),
        category: rule.category.clone(),
        severity: rule.severity,
        priority: priority(rule.severity, criticality),
        value: None,
        sensors,
        zone: Some(zone.clone()),
        commune,
        at: now,
        message_fr,
        message_en,
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(seconds: i64, value: f64) -> Reading {
        Reading { at: Timestamp(seconds * 1000), value }
    }

    #[test]
    fn rate_runs_from_the_oldest_to_the_newest_reading() {
        let window: VecDeque<Reading> = [reading(0, 1.0), reading(1800, 1.05), reading(3600, 1.2)].into();
        assert_eq!(rate_per_hour(&window, 0).map(|rate| (rate * 1000.0).round()), Some(200.0));
        assert_eq!(rate_per_hour(&window, 3601), None);
        let single: VecDeque<Reading> = [reading(0, 1.0)].into();
        assert_eq!(rate_per_hour(&single, 0), None);
    }

    #[test]
    fn windows_keep_time_order_and_their_bounds() {
        let mut window = VecDeque::new();
        push_reading(&mut window, Timestamp(10_000), 1.0, 60);
        // A clock going backwards does not reorder the window.
        push_reading(&mut window, Timestamp(5_000), 2.0, 60);
        assert_eq!(window.iter().map(|reading| reading.at.millis()).collect::<Vec<_>>(), [10_000, 10_000]);
        push_reading(&mut window, Timestamp(80_000), 3.0, 60);
        assert_eq!(window.len(), 1);
        for index in 0..(MAX_WINDOW_READINGS + 10) {
            push_reading(&mut window, Timestamp(80_000), index as f64, 60);
        }
        assert_eq!(window.len(), MAX_WINDOW_READINGS);
    }

    #[test]
    fn for_s_matures_from_when_the_verdict_first_held() {
        let mut subject = SubjectState::default();
        assert!(matches!(step(&mut subject, true, Timestamp(0), 10), Step::Stay));
        assert!(matches!(step(&mut subject, true, Timestamp(9_999), 10), Step::Stay));
        assert!(matches!(step(&mut subject, true, Timestamp(10_000), 10), Step::Raise));
        assert!(matches!(step(&mut subject, true, Timestamp(20_000), 10), Step::Stay));
        assert!(matches!(step(&mut subject, false, Timestamp(21_000), 10), Step::Clear));
        assert!(matches!(step(&mut subject, false, Timestamp(22_000), 10), Step::Stay));
    }
}
