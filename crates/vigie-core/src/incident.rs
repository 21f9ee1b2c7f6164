//! Incidents: the lifecycle of an incident, from creation to closure, as a pure decider.
//!
//! [`decide`] checks an [`IncidentCommand`] against the current [`Incidents`] and the
//! [`IncidentPolicies`] of the city pack, and returns the [`IncidentEvent`]s that record what
//! happened, or a typed [`Rejection`]. [`evolve`] folds one event into the state. Time comes in
//! as data (`now` for a decision, the logged time for an event): nothing here reads a clock or
//! does IO, so replaying the log rebuilds the state exactly.
//!
//! ```text
//!            acknowledge             resolve             close
//!    Open ──────────────► Acknowledged ─────► Resolved ─────────► Closed
//!                           │      ▲ ▲            │                  │
//!                      hold │      │ └── reopen ──┴──────────────────┘
//!                           ▼      │ resume
//!                          OnHold ─┘ ── resolve ──► Resolved
//! ```
//!
//! # The control-room discipline
//!
//! - Every event names its actor (`operator:alice`, `rule:ouche-flood`, `system:escalation`); a
//!   command without one is refused.
//! - An incident is created in a category the city pack knows. The category gives its default
//!   priority, its acknowledgement delay and its playbook, which are copied into the incident so
//!   that later edits of the pack never change an incident already open.
//! - A new incident is `Open` until an operator acknowledges it. Left unacknowledged for its
//!   category's `ack_delay_s`, it escalates by itself, one level per further delay.
//! - Only an acknowledged incident goes on hold; only an incident on hold resumes.
//! - An incident is resolved only once acknowledged and once **every playbook step is settled**,
//!   done or skipped with a reason. A duplicate points to another existing incident.
//! - Only a resolved incident is closed. A resolved or closed incident is reopened with a reason,
//!   and goes back to `Acknowledged`.
//! - Units and cameras are attached once each, and only while the incident is active (neither
//!   resolved nor closed). Notes are refused on a closed incident only.

use crate::{CameraId, CategoryId, CommuneId, PostId, Timestamp, UnitId, ZoneId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

#[cfg(test)]
mod tests;

/// The longest incident title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// The longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 4000;
/// The longest reason (escalation, hold, skip, reopen), in characters.
pub const MAX_REASON_CHARS: usize = 1000;
/// The highest escalation level; escalating further keeps this level.
pub const MAX_ESCALATION_LEVEL: u8 = 5;
/// The actor of automatic escalations.
pub const ESCALATION_ACTOR: &str = "system:escalation";

/// An incident's number, given in creation order and shown as `INC-000042`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IncidentId(pub u64);

impl fmt::Display for IncidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "INC-{:06}", self.0)
    }
}

/// How urgent an incident is: `P1` is the most urgent, so `P1 < P4`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    P1,
    P2,
    P3,
    P4,
}

/// A point on the map, in WGS 84 degrees.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    pub lon: f64,
    pub lat: f64,
}

impl GeoPoint {
    /// Tells whether both coordinates are finite and within their ranges.
    pub fn is_valid(&self) -> bool {
        (-180.0..=180.0).contains(&self.lon) && (-90.0..=90.0).contains(&self.lat)
    }
}

/// One step of a category's checklist ("warn the river police", "close riverside road A").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaybookStep {
    /// The step's identifier within its playbook, used by `CompleteStep` and `SkipStep`.
    pub id: String,
    pub title_fr: String,
    pub title_en: String,
}

/// What the city pack says about one incident category.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryPolicy {
    pub category: CategoryId,
    pub label_fr: String,
    pub label_en: String,
    /// The priority of a new incident when its creator gives none.
    pub default_priority: Priority,
    /// An incident left unacknowledged longer than this escalates by itself, then again after
    /// each further delay. Zero turns automatic escalation off for the category.
    pub ack_delay_s: u32,
    /// The checklist, in order. Every step must be settled before the incident is resolved.
    #[serde(default)]
    pub playbook: Vec<PlaybookStep>,
}

/// The incident categories of the city pack.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentPolicies {
    pub categories: BTreeMap<CategoryId, CategoryPolicy>,
}

/// Who or what acts: `operator:alice`, `system:escalation`, `rule:ouche-flood`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Actor(pub String);

impl Actor {
    /// Returns the actor of automatic escalations.
    pub fn escalation() -> Actor {
        Actor(ESCALATION_ACTOR.to_owned())
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where an incident comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// An operator opened it by hand.
    Manual,
    /// A rule of the rule engine raised an alarm about `subject` (a sensor, a camera, a zone).
    Alarm { rule: String, subject: String },
}

/// How an incident ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Confirmed,
    FalseAlarm,
    /// The same situation is handled by incident `of`.
    Duplicate {
        of: IncidentId,
    },
}

/// Where an incident stands in its lifecycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    /// New and not yet acknowledged by an operator.
    Open,
    Acknowledged,
    OnHold,
    Resolved,
    Closed,
}

impl IncidentStatus {
    /// Returns the status as serde writes it: `open`, `on_hold`...
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentStatus::Open => "open",
            IncidentStatus::Acknowledged => "acknowledged",
            IncidentStatus::OnHold => "on_hold",
            IncidentStatus::Resolved => "resolved",
            IncidentStatus::Closed => "closed",
        }
    }

    /// Tells whether the incident is still being handled (neither resolved nor closed).
    pub fn is_active(self) -> bool {
        matches!(self, IncidentStatus::Open | IncidentStatus::Acknowledged | IncidentStatus::OnHold)
    }
}

impl fmt::Display for IncidentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What it takes to open an incident.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CreateIncident {
    pub category: CategoryId,
    /// `None` takes the category's default priority.
    pub priority: Option<Priority>,
    pub title: String,
    /// The command post in charge; routing is chosen outside the decider.
    pub post: PostId,
    pub commune: Option<CommuneId>,
    pub zone: Option<ZoneId>,
    pub position: Option<GeoPoint>,
    pub origin: Origin,
}

/// What an operator, a rule or the clock asks of the incidents.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentCommand {
    /// Opens an incident in a known category, with a title of 1 to 200 characters.
    Create(CreateIncident),
    /// Takes an `Open` incident in hand.
    Acknowledge { id: IncidentId },
    /// Transfers an incident that is not closed to another command post.
    Assign { id: IncidentId, post: PostId },
    /// Sends a unit to an active incident, once.
    DispatchUnit { id: IncidentId, unit: UnitId },
    /// Writes in the incident's log, unless it is closed.
    AddNote { id: IncidentId, text: String },
    /// Attaches a camera to an active incident, once.
    LinkCamera { id: IncidentId, camera: CameraId },
    /// Raises an active incident by one level, up to [`MAX_ESCALATION_LEVEL`].
    Escalate { id: IncidentId, reason: String },
    /// Puts an acknowledged incident on hold.
    Hold { id: IncidentId, reason: String },
    /// Takes an incident on hold back to `Acknowledged`.
    Resume { id: IncidentId },
    /// Marks an unsettled playbook step of an active incident as done.
    CompleteStep { id: IncidentId, step: String },
    /// Marks an unsettled playbook step of an active incident as skipped, with a reason.
    SkipStep { id: IncidentId, step: String, reason: String },
    /// Ends an acknowledged (or held) incident whose playbook steps are all settled.
    Resolve { id: IncidentId, outcome: Outcome },
    /// Files a resolved incident.
    Close { id: IncidentId },
    /// Takes a resolved or closed incident back to `Acknowledged`.
    Reopen { id: IncidentId, reason: String },
    /// Adds a further alarm of the same cause to an active incident (or to the parent incident
    /// that groups a flood of alarms).
    /// A higher `priority` (more urgent) than the incident's raises it.
    AttachAlarm { id: IncidentId, rule: String, subject: String, message: String, priority: Option<Priority> },
    /// Time passes: escalates the incidents left unacknowledged past their delay.
    Tick,
}

impl IncidentCommand {
    /// Returns the command's name, as rejections quote it.
    pub fn name(&self) -> &'static str {
        match self {
            IncidentCommand::Create(_) => "create",
            IncidentCommand::Acknowledge { .. } => "acknowledge",
            IncidentCommand::Assign { .. } => "assign",
            IncidentCommand::DispatchUnit { .. } => "dispatch_unit",
            IncidentCommand::AddNote { .. } => "add_note",
            IncidentCommand::AttachAlarm { .. } => "attach_alarm",
            IncidentCommand::LinkCamera { .. } => "link_camera",
            IncidentCommand::Escalate { .. } => "escalate",
            IncidentCommand::Hold { .. } => "hold",
            IncidentCommand::Resume { .. } => "resume",
            IncidentCommand::CompleteStep { .. } => "complete_step",
            IncidentCommand::SkipStep { .. } => "skip_step",
            IncidentCommand::Resolve { .. } => "resolve",
            IncidentCommand::Close { .. } => "close",
            IncidentCommand::Reopen { .. } => "reopen",
            IncidentCommand::Tick => "tick",
        }
    }
}

/// One change to one incident, by one actor: what the log records.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IncidentEvent {
    pub incident_id: IncidentId,
    pub actor: Actor,
    pub change: IncidentChange,
}

/// What happened to an incident.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentChange {
    Created {
        category: CategoryId,
        priority: Priority,
        title: String,
        post: PostId,
        commune: Option<CommuneId>,
        zone: Option<ZoneId>,
        position: Option<GeoPoint>,
        origin: Origin,
        /// Copied from the category, so that later pack edits never change an open incident.
        ack_delay_s: u32,
        /// Copied from the category, for the same reason.
        playbook: Vec<PlaybookStep>,
    },
    Acknowledged,
    Assigned {
        from: PostId,
        to: PostId,
    },
    UnitDispatched {
        unit: UnitId,
    },
    /// The note's text lives in the log; the incident only counts notes.
    NoteAdded {
        text: String,
    },
    CameraLinked {
        camera: CameraId,
    },
    /// A further alarm joined the incident; the incident counts them.
    AlarmAttached {
        rule: String,
        subject: String,
        message: String,
        /// The alarm's priority; the incident takes it when it is more urgent.
        #[serde(default)]
        priority: Option<Priority>,
    },
    /// `level` is the incident's level after the escalation; `automatic` when the clock did it.
    Escalated {
        level: u8,
        reason: String,
        automatic: bool,
    },
    Held {
        reason: String,
    },
    Resumed,
    StepCompleted {
        step: String,
    },
    StepSkipped {
        step: String,
        reason: String,
    },
    Resolved {
        outcome: Outcome,
    },
    Closed,
    Reopened {
        reason: String,
    },
}

impl IncidentChange {
    /// Returns the event's kind, as stored beside the payload and shown in timelines.
    pub fn kind(&self) -> &'static str {
        match self {
            IncidentChange::Created { .. } => "incident.created",
            IncidentChange::Acknowledged => "incident.acknowledged",
            IncidentChange::Assigned { .. } => "incident.assigned",
            IncidentChange::UnitDispatched { .. } => "incident.unit_dispatched",
            IncidentChange::NoteAdded { .. } => "incident.note_added",
            IncidentChange::AlarmAttached { .. } => "incident.alarm_attached",
            IncidentChange::CameraLinked { .. } => "incident.camera_linked",
            IncidentChange::Escalated { .. } => "incident.escalated",
            IncidentChange::Held { .. } => "incident.held",
            IncidentChange::Resumed => "incident.resumed",
            IncidentChange::StepCompleted { .. } => "incident.step_completed",
            IncidentChange::StepSkipped { .. } => "incident.step_skipped",
            IncidentChange::Resolved { .. } => "incident.resolved",
            IncidentChange::Closed => "incident.closed",
            IncidentChange::Reopened { .. } => "incident.reopened",
        }
    }
}

/// An incident as the fold of its events.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    pub id: IncidentId,
    pub category: CategoryId,
    pub title: String,
    pub priority: Priority,
    pub status: IncidentStatus,
    /// The command post in charge.
    pub post: PostId,
    pub commune: Option<CommuneId>,
    pub zone: Option<ZoneId>,
    pub position: Option<GeoPoint>,
    pub origin: Origin,
    pub created_at: Timestamp,
    /// Set by the first acknowledgement; kept through hold, resolution and reopening.
    pub acknowledged_at: Option<Timestamp>,
    /// Set while resolved or closed; cleared by reopening.
    pub resolved_at: Option<Timestamp>,
    /// Set while closed; cleared by reopening.
    pub closed_at: Option<Timestamp>,
    /// The category's delay at creation; zero means no automatic escalation.
    pub ack_delay_s: u32,
    /// 0 until the first escalation, at most [`MAX_ESCALATION_LEVEL`].
    pub escalation_level: u8,
    /// The playbook at creation, with how each step was settled.
    pub steps: Vec<StepState>,
    /// The units dispatched, in dispatch order.
    pub units: Vec<UnitId>,
    /// The cameras linked, in link order.
    pub cameras: Vec<CameraId>,
    pub note_count: u32,
    /// Alarms attached after the one that opened the incident.
    #[serde(default)]
    pub alarm_count: u32,
    /// Set while resolved or closed; cleared by reopening.
    pub outcome: Option<Outcome>,
    /// The time of the last event applied.
    pub updated_at: Timestamp,
}

impl Incident {
    /// Returns the ids of the playbook steps neither done nor skipped, in playbook order.
    pub fn unsettled_steps(&self) -> impl Iterator<Item = &str> {
        self.steps
            .iter()
            .filter(|step_state| step_state.settlement.is_none())
            .map(|step_state| step_state.step.id.as_str())
    }
}

/// A playbook step of an incident, and how it was settled.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepState {
    pub step: PlaybookStep,
    /// `None` while the step is still to do.
    pub settlement: Option<StepSettlement>,
}

/// How a playbook step was settled.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepSettlement {
    Done { by: Actor, at: Timestamp },
    Skipped { by: Actor, at: Timestamp, reason: String },
}

/// All incidents, open and past, and the number the next one gets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Incidents {
    /// Always above every id in `incidents`.
    next_id: IncidentId,
    incidents: BTreeMap<IncidentId, Incident>,
}

impl Default for Incidents {
    fn default() -> Self {
        Incidents { next_id: IncidentId(1), incidents: BTreeMap::new() }
    }
}

impl Incidents {
    /// Returns the incident `id`, if it exists.
    pub fn get(&self, id: IncidentId) -> Option<&Incident> {
        self.incidents.get(&id)
    }

    /// Returns the incidents in id order.
    pub fn iter(&self) -> impl Iterator<Item = &Incident> {
        self.incidents.values()
    }

    /// Returns how many incidents there are.
    pub fn len(&self) -> usize {
        self.incidents.len()
    }

    /// Tells whether there is no incident.
    pub fn is_empty(&self) -> bool {
        self.incidents.is_empty()
    }

    /// Returns the id the next created incident gets.
    pub fn next_id(&self) -> IncidentId {
        self.next_id
    }

    /// Rebuilds the state from a snapshot. `next_id` is raised above the highest id given, so
    /// that a new incident never takes an existing number.
    pub fn from_parts(next_id: IncidentId, incidents: Vec<Incident>) -> Self {
        let mut state = Incidents { next_id, incidents: BTreeMap::new() };
        for incident in incidents {
            state.raise_next_id_past(incident.id);
            state.incidents.insert(incident.id, incident);
        }
        state
    }

    fn raise_next_id_past(&mut self, id: IncidentId) {
        let following = IncidentId(id.0.saturating_add(1));
        if following > self.next_id {
            self.next_id = following;
        }
    }
}

/// Why a command was refused. Nothing changed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("the command names no actor")]
    MissingActor,
    #[error("incident {id} does not exist")]
    NotFound { id: IncidentId },
    #[error("category {category} is not in the city pack")]
    UnknownCategory { category: CategoryId },
    #[error("the {field} is empty")]
    EmptyText { field: &'static str },
    #[error("the {field} is longer than {max} characters")]
    TextTooLong { field: &'static str, max: usize },
    #[error("the position is outside longitude -180..180 or latitude -90..90")]
    InvalidPosition,
    #[error("cannot {command} incident {id}: it is {status}")]
    InvalidTransition { id: IncidentId, status: IncidentStatus, command: &'static str },
    #[error("incident {id} is already assigned to post {post}")]
    SamePost { id: IncidentId, post: PostId },
    #[error("unit {unit} is already dispatched to incident {id}")]
    AlreadyDispatched { id: IncidentId, unit: UnitId },
    #[error("camera {camera} is already linked to incident {id}")]
    AlreadyLinked { id: IncidentId, camera: CameraId },
    #[error("incident {id} has no playbook step {step:?}")]
    UnknownStep { id: IncidentId, step: String },
    #[error("playbook step {step:?} of incident {id} is already settled")]
    StepAlreadySettled { id: IncidentId, step: String },
    #[error("incident {id} has playbook steps neither done nor skipped: {steps:?}")]
    UnsettledSteps { id: IncidentId, steps: Vec<String> },
    #[error("incident {id} cannot be a duplicate of itself")]
    DuplicateOfItself { id: IncidentId },
    #[error("incident {id} cannot be a duplicate of {of}, which does not exist")]
    UnknownDuplicateTarget { id: IncidentId, of: IncidentId },
}

impl Rejection {
    /// Returns a stable code for APIs and logs: `incident_not_found`, `invalid_transition`...
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::MissingActor => "missing_actor",
            Rejection::NotFound { .. } => "incident_not_found",
            Rejection::UnknownCategory { .. } => "unknown_category",
            Rejection::EmptyText { .. } => "empty_text",
            Rejection::TextTooLong { .. } => "text_too_long",
            Rejection::InvalidPosition => "invalid_position",
            Rejection::InvalidTransition { .. } => "invalid_transition",
            Rejection::SamePost { .. } => "same_post",
            Rejection::AlreadyDispatched { .. } => "already_dispatched",
            Rejection::AlreadyLinked { .. } => "already_linked",
            Rejection::UnknownStep { .. } => "unknown_step",
            Rejection::StepAlreadySettled { .. } => "step_already_settled",
            Rejection::UnsettledSteps { .. } => "unsettled_steps",
            Rejection::DuplicateOfItself { .. } => "duplicate_of_itself",
            Rejection::UnknownDuplicateTarget { .. } => "unknown_duplicate_target",
        }
    }
}

/// The statuses in which an incident is still being handled.
const ACTIVE: &[IncidentStatus] = &[IncidentStatus::Open, IncidentStatus::Acknowledged, IncidentStatus::OnHold];
/// Every status but `Closed`.
const NOT_CLOSED: &[IncidentStatus] =
    &[IncidentStatus::Open, IncidentStatus::Acknowledged, IncidentStatus::OnHold, IncidentStatus::Resolved];

/// Decides what `command`, given by `actor` at `now`, changes: the events to log, or why not.
///
/// The rules are those of the module documentation and of each [`IncidentCommand`] variant.
/// Checks run in this order: actor, incident existence, status, then the command's own data.
/// `Tick` may yield several events, one per escalation level due; every other accepted command
/// yields exactly one. Never panics.
pub fn decide(
    state: &Incidents,
    policies: &IncidentPolicies,
    actor: &Actor,
    now: Timestamp,
    command: &IncidentCommand,
) -> Result<Vec<IncidentEvent>, Rejection> {
    if actor.0.trim().is_empty() {
        return Err(Rejection::MissingActor);
    }
    let (incident_id, change) = match command {
        IncidentCommand::Create(create) => {
            let change = decide_create(policies, create)?;
            return Ok(vec![IncidentEvent { incident_id: state.next_id(), actor: actor.clone(), change }]);
        }
        IncidentCommand::Tick => return Ok(due_escalations(state, now)),
        IncidentCommand::Acknowledge { id } => {
            let incident = find(state, *id)?;
            require_status(incident, command, &[IncidentStatus::Open])?;
            (*id, IncidentChange::Acknowledged)
        }
        IncidentCommand::Assign { id, post } => {
            let incident = find(state, *id)?;
            require_status(incident, command, NOT_CLOSED)?;
            if incident.post == *post {
                return Err(Rejection::SamePost { id: *id, post: post.clone() });
            }
            (*id, IncidentChange::Assigned { from: incident.post.clone(), to: post.clone() })
        }
        IncidentCommand::DispatchUnit { id, unit } => {
            let incident = find(state, *id)?;
            require_status(incident, command, ACTIVE)?;
            if incident.units.contains(unit) {
                return Err(Rejection::AlreadyDispatched { id: *id, unit: unit.clone() });
            }
            (*id, IncidentChange::UnitDispatched { unit: unit.clone() })
        }
        IncidentCommand::AddNote { id, text } => {
            let incident = find(state, *id)?;
            require_status(incident, command, NOT_CLOSED)?;
            check_text("note", text, MAX_NOTE_CHARS)?;
            (*id, IncidentChange::NoteAdded { text: text.clone() })
        }
        IncidentCommand::AttachAlarm { id, rule, subject, message, priority } => {
            let incident = find(state, *id)?;
            require_status(incident, command, ACTIVE)?;
            check_text("alarm message", message, MAX_NOTE_CHARS)?;
            let change = IncidentChange::AlarmAttached {
                rule: rule.clone(),
                subject: subject.clone(),
                message: message.clone(),
                priority: *priority,
            };
            (*id, change)
        }
        IncidentCommand::LinkCamera { id, camera } => {
            let incident = find(state, *id)?;
            require_status(incident, command, ACTIVE)?;
            if incident.cameras.contains(camera) {
                return Err(Rejection::AlreadyLinked { id: *id, camera: camera.clone() });
            }
            (*id, IncidentChange::CameraLinked { camera: camera.clone() })
        }
        IncidentCommand::Escalate { id, reason } => {
            let incident = find(state, *id)?;
            require_status(incident, command, ACTIVE)?;
            check_text("reason", reason, MAX_REASON_CHARS)?;
            (
                *id,
                IncidentChange::Escalated {
                    level: next_level(incident.escalation_level),
                    reason: reason.clone(),
                    automatic: false,
                },
            )
        }
        IncidentCommand::Hold { id, reason } => {
            let incident = find(state, *id)?;
            require_status(incident, command, &[IncidentStatus::Acknowledged])?;
            check_text("reason", reason, MAX_REASON_CHARS)?;
            (*id, IncidentChange::Held { reason: reason.clone() })
        }
        IncidentCommand::Resume { id } => {
            let incident = find(state, *id)?;
            require_status(incident, command, &[IncidentStatus::OnHold])?;
            (*id, IncidentChange::Resumed)
        }
        IncidentCommand::CompleteStep { id, step } => {
            let incident = find(state, *id)?;
            require_status(incident, command, ACTIVE)?;
            require_unsettled_step(incident, step)?;
            (*id, IncidentChange::StepCompleted { step: step.clone() })
        }
        IncidentCommand::SkipStep { id, step, reason } => {
            let incident = find(state, *id)?;
            require_status(incident, command, ACTIVE)?;
            require_unsettled_step(incident, step)?;
            check_text("reason", reason, MAX_REASON_CHARS)?;
            (*id, IncidentChange::StepSkipped { step: step.clone(), reason: reason.clone() })
        }
        IncidentCommand::Resolve { id, outcome } => {
            let incident = find(state, *id)?;
            require_status(incident, command, &[IncidentStatus::Acknowledged, IncidentStatus::OnHold])?;
            if let Outcome::Duplicate { of } = outcome {
                if of == id {
                    return Err(Rejection::DuplicateOfItself { id: *id });
                }
                if state.get(*of).is_none() {
                    return Err(Rejection::UnknownDuplicateTarget { id: *id, of: *of });
                }
            }
            let unsettled: Vec<String> = incident.unsettled_steps().map(str::to_owned).collect();
            if !unsettled.is_empty() {
                return Err(Rejection::UnsettledSteps { id: *id, steps: unsettled });
            }
            (*id, IncidentChange::Resolved { outcome: outcome.clone() })
        }
        IncidentCommand::Close { id } => {
            let incident = find(state, *id)?;
            require_status(incident, command, &[IncidentStatus::Resolved])?;
            (*id, IncidentChange::Closed)
        }
        IncidentCommand::Reopen { id, reason } => {
            let incident = find(state, *id)?;
            require_status(incident, command, &[IncidentStatus::Resolved, IncidentStatus::Closed])?;
            check_text("reason", reason, MAX_REASON_CHARS)?;
            (*id, IncidentChange::Reopened { reason: reason.clone() })
        }
    };
    Ok(vec![IncidentEvent { incident_id, actor: actor.clone(), change }])
}

/// Applies one decided event, logged at `at`, to the state.
///
/// Events are not checked again: they were decided. An event about an unknown incident, or a
/// second `Created` for an existing one, is ignored, so that a damaged log never panics the fold.
pub fn evolve(state: &mut Incidents, at: Timestamp, event: &IncidentEvent) {
    if let IncidentChange::Created {
        category,
        priority,
        title,
        post,
        commune,
        zone,
        position,
        origin,
        ack_delay_s,
        playbook,
    } = &event.change
    {
        if state.incidents.contains_key(&event.incident_id) {
            return;
        }
        let steps = playbook.iter().map(|step| StepState { step: step.clone(), settlement: None }).collect();
        let incident = Incident {
            id: event.incident_id,
            category: category.clone(),
            title: title.clone(),
            priority: *priority,
            status: IncidentStatus::Open,
            post: post.clone(),
            commune: commune.clone(),
            zone: zone.clone(),
            position: *position,
            origin: origin.clone(),
            created_at: at,
            acknowledged_at: None,
            resolved_at: None,
            closed_at: None,
            ack_delay_s: *ack_delay_s,
            escalation_level: 0,
            steps,
            units: Vec::new(),
            cameras: Vec::new(),
            note_count: 0,
            alarm_count: 0,
            outcome: None,
            updated_at: at,
        };
        state.raise_next_id_past(event.incident_id);
        state.incidents.insert(event.incident_id, incident);
        return;
    }

    let Some(incident) = state.incidents.get_mut(&event.incident_id) else {
        return;
    };
    incident.updated_at = at;
    match &event.change {
        // Handled above; kept here so that the match stays exhaustive.
        IncidentChange::Created { .. } => {}
        IncidentChange::Acknowledged => {
            incident.status = IncidentStatus::Acknowledged;
            incident.acknowledged_at = Some(at);
        }
        IncidentChange::Assigned { to, .. } => incident.post = to.clone(),
        IncidentChange::UnitDispatched { unit } => incident.units.push(unit.clone()),
        IncidentChange::NoteAdded { .. } => {
            incident.note_count = incident.note_count.saturating_add(1);
        }
        IncidentChange::CameraLinked { camera } => incident.cameras.push(camera.clone()),
        IncidentChange::AlarmAttached { priority, .. } => {
            incident.alarm_count = incident.alarm_count.saturating_add(1);
            if let Some(priority) = priority {
                incident.priority = incident.priority.min(*priority);
            }
        }
        IncidentChange::Escalated { level, .. } => incident.escalation_level = *level,
        IncidentChange::Held { .. } => incident.status = IncidentStatus::OnHold,
        IncidentChange::Resumed => incident.status = IncidentStatus::Acknowledged,
        IncidentChange::StepCompleted { step } => {
            if let Some(step_state) = first_unsettled_step(incident, step) {
                step_state.settlement = Some(StepSettlement::Done { by: event.actor.clone(), at });
            }
        }
        IncidentChange::StepSkipped { step, reason } => {
            if let Some(step_state) = first_unsettled_step(incident, step) {
                step_state.settlement =
                    Some(StepSettlement::Skipped { by: event.actor.clone(), at, reason: reason.clone() });
            }
        }
        IncidentChange::Resolved { outcome } => {
            incident.status = IncidentStatus::Resolved;
            incident.outcome = Some(outcome.clone());
            incident.resolved_at = Some(at);
        }
        IncidentChange::Closed => {
            incident.status = IncidentStatus::Closed;
            incident.closed_at = Some(at);
        }
        IncidentChange::Reopened { .. } => {
            // Back in hand: the acknowledgement stands, the resolution does not. Steps keep
            // their settlement, since what was done on the ground stays done.
            incident.status = IncidentStatus::Acknowledged;
            incident.outcome = None;
            incident.resolved_at = None;
            incident.closed_at = None;
        }
    }
}

fn decide_create(policies: &IncidentPolicies, create: &CreateIncident) -> Result<IncidentChange, Rejection> {
    let Some(policy) = policies.categories.get(&create.category) else {
        return Err(Rejection::UnknownCategory { category: create.category.clone() });
    };
    check_text("title", &create.title, MAX_TITLE_CHARS)?;
    if let Some(position) = &create.position
        && !position.is_valid()
    {
        return Err(Rejection::InvalidPosition);
    }
    Ok(IncidentChange::Created {
        category: create.category.clone(),
        priority: create.priority.unwrap_or(policy.default_priority),
        title: create.title.clone(),
        post: create.post.clone(),
        commune: create.commune.clone(),
        zone: create.zone.clone(),
        position: create.position,
        origin: create.origin.clone(),
        ack_delay_s: policy.ack_delay_s,
        playbook: policy.playbook.clone(),
    })
}

/// Returns the automatic escalations due at `now`.
///
/// An `Open` incident should stand at least at level `k` once `k` whole acknowledgement delays
/// have passed since its creation (capped at [`MAX_ESCALATION_LEVEL`]). Each missing level is
/// one event, so a tick after a long pause catches up. Manual escalations count toward the
/// level, and applying the events reaches the level due, so a second tick at the same `now`
/// yields nothing.
fn due_escalations(state: &Incidents, now: Timestamp) -> Vec<IncidentEvent> {
    let mut events = Vec::new();
    for incident in state.iter() {
        if incident.status != IncidentStatus::Open || incident.ack_delay_s == 0 {
            continue;
        }
        let elapsed_ms = now.millis().saturating_sub(incident.created_at.millis());
        let delay_ms = i64::from(incident.ack_delay_s) * 1000;
        let delays_passed = elapsed_ms.max(0) / delay_ms;
        let level_due = delays_passed.min(i64::from(MAX_ESCALATION_LEVEL));
        let mut level = incident.escalation_level;
        while i64::from(level) < level_due {
            level += 1;
            let unacknowledged_s = u64::from(level) * u64::from(incident.ack_delay_s);
            events.push(IncidentEvent {
                incident_id: incident.id,
                actor: Actor::escalation(),
                change: IncidentChange::Escalated {
                    level,
                    reason: format!("not acknowledged within {unacknowledged_s} s"),
                    automatic: true,
                },
            });
        }
    }
    events
}

fn find(state: &Incidents, id: IncidentId) -> Result<&Incident, Rejection> {
    state.get(id).ok_or(Rejection::NotFound { id })
}

fn require_status(incident: &Incident, command: &IncidentCommand, allowed: &[IncidentStatus]) -> Result<(), Rejection> {
    if allowed.contains(&incident.status) {
        return Ok(());
    }
    Err(Rejection::InvalidTransition { id: incident.id, status: incident.status, command: command.name() })
}

/// Checks that `step` names a playbook step still to settle. A playbook that repeats an id is
/// tolerated: each command settles the first unsettled step of that id.
fn require_unsettled_step(incident: &Incident, step: &str) -> Result<(), Rejection> {
    let mut known = false;
    for step_state in &incident.steps {
        if step_state.step.id == step {
            known = true;
            if step_state.settlement.is_none() {
                return Ok(());
            }
        }
    }
    if known {
        Err(Rejection::StepAlreadySettled { id: incident.id, step: step.to_owned() })
    } else {
        Err(Rejection::UnknownStep { id: incident.id, step: step.to_owned() })
    }
}

fn first_unsettled_step<'a>(incident: &'a mut Incident, step: &str) -> Option<&'a mut StepState> {
    incident.steps.iter_mut().find(|step_state| step_state.step.id == step && step_state.settlement.is_none())
}

fn check_text(field: &'static str, text: &str, max: usize) -> Result<(), Rejection> {
    if text.trim().is_empty() {
        return Err(Rejection::EmptyText { field });
    }
    if text.chars().count() > max {
        return Err(Rejection::TextTooLong { field, max });
    }
    Ok(())
}

fn next_level(level: u8) -> u8 {
    level.saturating_add(1).min(MAX_ESCALATION_LEVEL)
}
