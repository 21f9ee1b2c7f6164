//! Alarms and their management, in the ISA-18.2 / EEMUA 191 discipline that control rooms use.
//!
//! The rule engine says *that* a condition stands; this module says *what becomes of it*:
//!
//! - **One thing, one incident.** A raised alarm whose rule and subject already have an active
//!   incident is attached to it instead of opening another; so is an alarm of the same category
//!   in the same zone (building, river, road) as an active incident an alarm opened — a fire's
//!   smoke, heat and confirmation alarms make one incident, at the highest of their priorities.
//! - **Floods are grouped.** When a command post has received more than [`FLOOD_THRESHOLD`]
//!   alarms in [`FLOOD_WINDOW_S`] seconds, a new alarm joins one parent incident per cause
//!   (post, category, zone or commune) instead of flooding the queue.
//! - **Shelving is explicit.** An operator shelves an alarm with a reason and an expiry; while
//!   shelved, its raises are logged but open nothing. Shelving and its end are events.
//! - **Chattering is measured.** An alarm raised [`CHATTER_RAISES`] times or more within
//!   [`CHATTER_WINDOW_S`] seconds is chattering; the KPIs list the worst.
//!
//! [`AlarmBook`] is a projection (a fold of [`AlarmEvent`]s), and [`dispose`] is pure: time
//! comes in as data.

use crate::incident::{IncidentId, Incidents, Priority};
use crate::{CategoryId, CommuneId, PostId, SensorId, Timestamp, ZoneId};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

/// More alarms than this at one post within [`FLOOD_WINDOW_S`] is a flood.
pub const FLOOD_THRESHOLD: usize = 10;
/// The window of flood detection and of the "alarms per post per 10 minutes" KPI.
pub const FLOOD_WINDOW_S: i64 = 600;
/// This many raises of one alarm within [`CHATTER_WINDOW_S`] make it chattering.
pub const CHATTER_RAISES: usize = 5;
/// The window of chattering detection.
pub const CHATTER_WINDOW_S: i64 = 600;
/// How long the per-post history of 10-minute buckets is kept (24 hours).
const BUCKET_HISTORY_S: i64 = 24 * 3600;
/// The rule name of the parent incidents that group a flood of alarms.
pub const FLOOD_GROUP_RULE: &str = "alarm-flood";

/// Which alarm: a rule applied to a subject (a sensor, or a zone for correlations).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct AlarmKey {
    pub rule: String,
    pub subject: String,
}

impl std::fmt::Display for AlarmKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.rule, self.subject)
    }
}

/// Returns the priority of an alarm from its severity (1–5) and the asset's criticality (1–5):
/// their product ≥ 16 is P1, ≥ 9 P2, ≥ 4 P3, else P4.
pub fn priority_of(severity: u8, criticality: u8) -> Priority {
    let score = u16::from(severity.clamp(1, 5)) * u16::from(criticality.clamp(1, 5));
    match score {
        16.. => Priority::P1,
        9..=15 => Priority::P2,
        4..=8 => Priority::P3,
        _ => Priority::P4,
    }
}

/// A raised alarm, as the log keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RaisedAlarm {
    pub category: CategoryId,
    pub severity: u8,
    pub priority: Priority,
    /// The measured value that raised it, when there is one.
    pub value: Option<f64>,
    pub sensors: Vec<SensorId>,
    pub zone: Option<ZoneId>,
    pub commune: Option<CommuneId>,
    /// The command post routing chose.
    pub post: PostId,
    pub message_fr: String,
    pub message_en: String,
    /// What became of it.
    pub disposition: Disposition,
}

/// What became of a raised alarm.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    /// Shelved: logged, nothing opened.
    Shelved,
    /// Opened this new incident.
    Opened { incident: IncidentId },
    /// Joined the active incident already open for the same rule and subject.
    Attached { incident: IncidentId },
    /// Joined the parent incident of a flood of alarms (`opened` when this alarm opened it).
    Grouped { incident: IncidentId, opened: bool },
}

impl Disposition {
    /// Returns the incident the alarm went to, if any.
    pub fn incident(&self) -> Option<IncidentId> {
        match self {
            Disposition::Shelved => None,
            Disposition::Opened { incident }
            | Disposition::Attached { incident }
            | Disposition::Grouped { incident, .. } => Some(*incident),
        }
    }
}

/// An alarm event of the log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlarmEvent {
    pub key: AlarmKey,
    /// The incident the alarm belongs to, if any, so it shows in that incident's timeline.
    pub incident: Option<IncidentId>,
    /// Who did it: `rule:<id>` for raises and clears, `operator:<login>` for shelving.
    pub actor: String,
    pub change: AlarmChange,
}

/// What happened to an alarm.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlarmChange {
    Raised(RaisedAlarm),
    Cleared,
    Shelved {
        until: Timestamp,
        reason: String,
    },
    /// `expired` when the shelf time ran out rather than an operator ending it.
    Unshelved {
        expired: bool,
    },
}

impl AlarmChange {
    /// Returns the event's kind.
    pub fn kind(&self) -> &'static str {
        match self {
            AlarmChange::Raised(_) => "alarm.raised",
            AlarmChange::Cleared => "alarm.cleared",
            AlarmChange::Shelved { .. } => "alarm.shelved",
            AlarmChange::Unshelved { .. } => "alarm.unshelved",
        }
    }
}

/// An alarm that stands (raised, not yet cleared).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StandingAlarm {
    pub raised_at: Timestamp,
    pub category: CategoryId,
    pub priority: Priority,
    pub post: PostId,
    pub incident: Option<IncidentId>,
    pub value: Option<f64>,
}

/// A shelved alarm.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Shelf {
    pub until: Timestamp,
    pub reason: String,
    pub by: String,
    pub since: Timestamp,
}

/// Everything alarm management knows: a projection of the alarm and incident events.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AlarmBook {
    /// Alarms raised and not cleared.
    #[serde(with = "pairs")]
    pub standing: BTreeMap<AlarmKey, StandingAlarm>,
    /// Alarms shelved now (an expired shelf stays until its `Unshelved` event).
    #[serde(with = "pairs")]
    pub shelved: BTreeMap<AlarmKey, Shelf>,
    /// The incident opened for each alarm (and, under [`FLOOD_GROUP_RULE`], for each group).
    #[serde(with = "pairs")]
    pub incident_for: BTreeMap<AlarmKey, IncidentId>,
    /// The incident an alarm opened for each cause: a category in a zone.
    #[serde(default, with = "pairs")]
    pub incident_for_cause: BTreeMap<(CategoryId, ZoneId), IncidentId>,
    /// Raise times of each alarm within the chattering window.
    #[serde(with = "pairs")]
    pub recent_raises: BTreeMap<AlarmKey, VecDeque<Timestamp>>,
    /// Raise times per post within the flood window.
    pub post_raises: BTreeMap<PostId, VecDeque<Timestamp>>,
    /// Raises per post per 10-minute bucket (bucket start in ms), for the last 24 hours.
    pub post_buckets: BTreeMap<PostId, BTreeMap<i64, u32>>,
    pub raised_total: u64,
    pub cleared_total: u64,
}

fn prune(times: &mut VecDeque<Timestamp>, now: Timestamp, window_s: i64) {
    while times.front().is_some_and(|first| now.seconds_since(*first) >= window_s) {
        times.pop_front();
    }
}

impl AlarmBook {
    /// Applies an alarm event logged at `at`.
    pub fn apply(&mut self, at: Timestamp, event: &AlarmEvent) {
        match &event.change {
            AlarmChange::Raised(raised) => {
                self.raised_total += 1;
                self.standing.insert(
                    event.key.clone(),
                    StandingAlarm {
                        raised_at: at,
                        category: raised.category.clone(),
                        priority: raised.priority,
                        post: raised.post.clone(),
                        incident: raised.disposition.incident(),
                        value: raised.value,
                    },
                );
                let raises = self.recent_raises.entry(event.key.clone()).or_default();
                raises.push_back(at);
                prune(raises, at, CHATTER_WINDOW_S);
                let post_raises = self.post_raises.entry(raised.post.clone()).or_default();
                post_raises.push_back(at);
                prune(post_raises, at, FLOOD_WINDOW_S);
                let bucket = at.0.div_euclid(FLOOD_WINDOW_S * 1000) * FLOOD_WINDOW_S * 1000;
                let buckets = self.post_buckets.entry(raised.post.clone()).or_default();
                *buckets.entry(bucket).or_default() += 1;
                let oldest_kept = at.0 - BUCKET_HISTORY_S * 1000;
                buckets.retain(|start, _| *start >= oldest_kept);
                match raised.disposition {
                    Disposition::Opened { incident } => {
                        self.incident_for.insert(event.key.clone(), incident);
                        if let Some(zone) = &raised.zone {
                            self.incident_for_cause.insert((raised.category.clone(), zone.clone()), incident);
                        }
                    }
                    Disposition::Grouped { incident, opened: true } => {
                        self.incident_for.insert(group_key(raised), incident);
                    }
                    _ => {}
                }
            }
            AlarmChange::Cleared => {
                if self.standing.remove(&event.key).is_some() {
                    self.cleared_total += 1;
                }
            }
            AlarmChange::Shelved { until, reason } => {
                self.shelved.insert(
                    event.key.clone(),
                    Shelf { until: *until, reason: reason.clone(), by: event.actor.clone(), since: at },
                );
            }
            AlarmChange::Unshelved { .. } => {
                self.shelved.remove(&event.key);
            }
        }
    }

    /// Returns whether `key` is shelved at `now`.
    pub fn is_shelved(&self, key: &AlarmKey, now: Timestamp) -> bool {
        self.shelved.get(key).is_some_and(|shelf| shelf.until > now)
    }

    /// Returns the alarms whose shelf time has run out at `now`.
    pub fn expired_shelves(&self, now: Timestamp) -> Vec<AlarmKey> {
        self.shelved.iter().filter(|(_, shelf)| shelf.until <= now).map(|(key, _)| key.clone()).collect()
    }

    /// Returns how many alarms `post` received in the flood window ending at `now`.
    pub fn post_rate(&self, post: &PostId, now: Timestamp) -> usize {
        self.post_raises
            .get(post)
            .map_or(0, |times| times.iter().filter(|time| now.seconds_since(**time) < FLOOD_WINDOW_S).count())
    }

    /// Returns the alarms raised at least [`CHATTER_RAISES`] times in the window ending at
    /// `now`, most raises first.
    pub fn chattering(&self, now: Timestamp) -> Vec<(AlarmKey, usize)> {
        let mut chattering: Vec<(AlarmKey, usize)> = self
            .recent_raises
            .iter()
            .map(|(key, times)| {
                (key.clone(), times.iter().filter(|time| now.seconds_since(**time) < CHATTER_WINDOW_S).count())
            })
            .filter(|(_, count)| *count >= CHATTER_RAISES)
            .collect();
        chattering.sort_by(|left, right| right.1.cmp(&left.1).then_with(|| left.0.cmp(&right.0)));
        chattering
    }
}

/// The key of the parent incident grouping a flood: post, category, and zone or commune.
pub fn group_key(raised: &RaisedAlarm) -> AlarmKey {
    let place = raised
        .zone
        .as_ref()
        .map(|zone| format!("zone:{zone}"))
        .or_else(|| raised.commune.as_ref().map(|commune| format!("commune:{commune}")))
        .unwrap_or_else(|| "city".to_owned());
    AlarmKey { rule: FLOOD_GROUP_RULE.to_owned(), subject: format!("{}/{}/{place}", raised.post, raised.category) }
}

/// Decides what becomes of an alarm raised at `now` (its `disposition` field is ignored).
/// `next_incident` is the id a new incident would get.
pub fn dispose(
    book: &AlarmBook,
    incidents: &Incidents,
    key: &AlarmKey,
    raised: &RaisedAlarm,
    now: Timestamp,
) -> Disposition {
    if book.is_shelved(key, now) {
        return Disposition::Shelved;
    }
    let active = |id: &IncidentId| incidents.get(*id).is_some_and(|incident| incident.status.is_active());
    if let Some(incident) = book.incident_for.get(key).filter(|id| active(id)) {
        return Disposition::Attached { incident: *incident };
    }
    let same_cause =
        raised.zone.as_ref().and_then(|zone| book.incident_for_cause.get(&(raised.category.clone(), zone.clone())));
    if let Some(incident) = same_cause.filter(|id| active(id)) {
        return Disposition::Attached { incident: *incident };
    }
    // This alarm would be one more at its post.
    if book.post_rate(&raised.post, now) + 1 > FLOOD_THRESHOLD {
        let group = group_key(raised);
        return match book.incident_for.get(&group).filter(|id| active(id)) {
            Some(incident) => Disposition::Grouped { incident: *incident, opened: false },
            None => Disposition::Grouped { incident: incidents.next_id(), opened: true },
        };
    }
    Disposition::Opened { incident: incidents.next_id() }
}

#[cfg(test)]
mod tests;

/// Serialises a map whose keys are not strings as a list of `[key, value]` pairs, so that
/// snapshots in JSON can hold it.
mod pairs {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::BTreeMap;

    pub(super) fn serialize<K: Serialize, V: Serialize, S: Serializer>(
        map: &BTreeMap<K, V>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(map.iter())
    }

    pub(super) fn deserialize<'de, K: Deserialize<'de> + Ord, V: Deserialize<'de>, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<BTreeMap<K, V>, D::Error> {
        let pairs: Vec<(K, V)> = Vec::deserialize(deserializer)?;
        Ok(pairs.into_iter().collect())
    }
}
