//! The authorisation table, in one place: which `Role` may take which `Action`, and the scope
//! check that follows for actions on a part of the city.
//!
//! | action | operator | supervisor | administrator | auditor | data_protection_officer | integrator |
//! | --- | --- | --- | --- | --- | --- | --- |
//! | read_city | yes | yes | yes | yes | yes | yes |
//! | read_incidents | yes | yes | no | no | yes | no |
//! | command_incidents | yes | yes | no | no | no | no |
//! | create_incidents | yes | yes | no | no | no | no |
//! | read_sensors | yes | yes | yes | no | no | yes |
//! | post_observations | no | no | no | no | no | yes |
//! | read_cameras | yes | yes | yes | no | yes | no |
//! | read_imagery | yes | yes | no | no | yes | no |
//! | read_alarms | yes | yes | no | no | no | no |
//! | shelve_alarms | no | yes | no | no | no | no |
//! | read_dead_letters | no | yes | yes | no | no | yes |
//! | read_rules | yes | yes | yes | no | no | yes |
//! | reload_rules | no | no | yes | no | no | no |
//! | manage_accounts | no | no | yes | no | no | no |
//! | manage_devices | no | no | yes | no | no | no |
//! | read_audit | no | no | no | yes | yes | no |
//! | export_audit | no | no | no | yes | yes | no |
//! | read_retention_register | no | no | no | yes | yes | no |
//! | manage_legal_holds | no | no | no | no | yes | no |
//! | read_live_stream | yes | yes | no | no | no | no |
//! | read_devices | no | no | yes | no | no | yes |
//! | read_metrics | no | yes | yes | no | no | yes |
//!
//! The reasoning: operators and supervisors run incidents in their scope and see the imagery
//! of their incidents; only supervisors shelve alarms. The administrator configures (accounts,
//! devices, rules) but sees no incident, alarm or image: administering the system does not need
//! them. The auditor reads the audit trail and nothing operational. The data protection officer
//! reads incidents and imagery to answer people's requests about their data and places legal
//! holds. An integrator is a partner system: it posts observations and reads the sensor side,
//! the device list (to follow its gateways' last contact) and the metrics.
//! A test checks that this table and `TABLE` below say the same.
//!
//! Scope: a principal whose scope is not the whole city may act on a resource only when the
//! resource's command post and commune are both in its scope. A coordinate the resource lacks
//! (`None`) is refused on a restricted dimension: unknown means no (fail closed). Actions on
//! the system as a whole (`Action::is_global`: the map, sensors and cameras as equipment,
//! configuration, devices, metrics, audit, retention) ignore scopes. Incidents, alarms, imagery, ingest and the
//! live stream are scoped: a handler checks each item with `authorize(.., Target::Scoped {..})`,
//! or filters a list with `in_scope`. An integrator is usually scoped by communes only
//! (`posts: all`), so that each reading it posts is checked against its commune.

use crate::accounts::{Role, Scope, ScopeSet};
use crate::sessions::Principal;
use serde::{Deserialize, Serialize};
use std::fmt;
use vigie_core::{CommuneId, PostId};

/// Everything the HTTP API lets a client do, as far as authorisation is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Read the city map, communes, command posts, units and incident categories.
    ReadCity,
    /// Read the incident queue, an incident and its timeline.
    ReadIncidents,
    /// Acknowledge, assign, escalate, hold, resolve, close, reopen, add notes, tick playbook steps.
    CommandIncidents,
    /// Open an incident by hand.
    CreateIncidents,
    /// Read sensors, their last values and their observation series.
    ReadSensors,
    /// Post observations and unit positions (ingest).
    PostObservations,
    /// Read the camera list and fields of view.
    ReadCameras,
    /// Read camera imagery and snapshots: personal data.
    ReadImagery,
    /// Read standing and shelved alarms and the alarm KPIs.
    ReadAlarms,
    /// Shelve and unshelve alarms.
    ShelveAlarms,
    /// Read the dead letters (refused input).
    ReadDeadLetters,
    /// Read the alarm rules.
    ReadRules,
    /// Reload the alarm rules (a configuration change).
    ReloadRules,
    /// Create, change, disable accounts; reset passwords and second factors.
    ManageAccounts,
    /// Manage MQTT devices and their credentials.
    ManageDevices,
    /// Read the audit log.
    ReadAudit,
    /// Export the audit log and verify it.
    ExportAudit,
    /// Read the retention (purge) register.
    ReadRetentionRegister,
    /// Place and lift legal holds.
    ManageLegalHolds,
    /// Follow the live event stream.
    ReadLiveStream,
    /// Read the device list, with each device's revocation and last contact.
    ReadDevices,
    /// Read the operational metrics (Prometheus).
    ReadMetrics,
}

impl Action {
    /// Every action, in the order of the authorisation table's rows.
    pub const ALL: [Action; 22] = [
        Action::ReadCity,
        Action::ReadIncidents,
        Action::CommandIncidents,
        Action::CreateIncidents,
        Action::ReadSensors,
        Action::PostObservations,
        Action::ReadCameras,
        Action::ReadImagery,
        Action::ReadAlarms,
        Action::ShelveAlarms,
        Action::ReadDeadLetters,
        Action::ReadRules,
        Action::ReloadRules,
        Action::ManageAccounts,
        Action::ManageDevices,
        Action::ReadAudit,
        Action::ExportAudit,
        Action::ReadRetentionRegister,
        Action::ManageLegalHolds,
        Action::ReadLiveStream,
        Action::ReadDevices,
        Action::ReadMetrics,
    ];

    /// Returns the action's name (`command_incidents`), as in the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::ReadCity => "read_city",
            Action::ReadIncidents => "read_incidents",
            Action::CommandIncidents => "command_incidents",
            Action::CreateIncidents => "create_incidents",
            Action::ReadSensors => "read_sensors",
            Action::PostObservations => "post_observations",
            Action::ReadCameras => "read_cameras",
            Action::ReadImagery => "read_imagery",
            Action::ReadAlarms => "read_alarms",
            Action::ShelveAlarms => "shelve_alarms",
            Action::ReadDeadLetters => "read_dead_letters",
            Action::ReadRules => "read_rules",
            Action::ReloadRules => "reload_rules",
            Action::ManageAccounts => "manage_accounts",
            Action::ManageDevices => "manage_devices",
            Action::ReadAudit => "read_audit",
            Action::ExportAudit => "export_audit",
            Action::ReadRetentionRegister => "read_retention_register",
            Action::ManageLegalHolds => "manage_legal_holds",
            Action::ReadLiveStream => "read_live_stream",
            Action::ReadDevices => "read_devices",
            Action::ReadMetrics => "read_metrics",
        }
    }

    /// Tells whether the action concerns the system as a whole, so that scopes do not apply:
    /// the city map and its equipment (sensors, cameras' positions), dead letters, rules,
    /// accounts, devices, the audit log, retention and legal holds. The other actions concern
    /// incidents, alarms, imagery, the live stream and ingest, and are checked against the
    /// principal's scope.
    pub fn is_global(self) -> bool {
        matches!(
            self,
            Action::ReadCity
                | Action::ReadSensors
                | Action::ReadCameras
                | Action::ReadDeadLetters
                | Action::ReadRules
                | Action::ReloadRules
                | Action::ManageAccounts
                | Action::ManageDevices
                | Action::ReadAudit
                | Action::ExportAudit
                | Action::ReadRetentionRegister
                | Action::ManageLegalHolds
                | Action::ReadDevices
                | Action::ReadMetrics
        )
    }
}

impl fmt::Display for Action {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

const Y: bool = true;
const N: bool = false;

/// The authorisation table: one row per action, in `Action::ALL` order, one column per role,
/// in `Role::ALL` order (operator, supervisor, administrator, auditor, data protection officer,
/// integrator). Being an array of arrays, it has a decision for every pair by construction.
const TABLE: [(Action, [bool; 6]); 22] = [
    // Columns: operator, supervisor, administrator, auditor, data protection officer, integrator.
    (Action::ReadCity, [Y, Y, Y, Y, Y, Y]),
    (Action::ReadIncidents, [Y, Y, N, N, Y, N]),
    (Action::CommandIncidents, [Y, Y, N, N, N, N]),
    (Action::CreateIncidents, [Y, Y, N, N, N, N]),
    (Action::ReadSensors, [Y, Y, Y, N, N, Y]),
    (Action::PostObservations, [N, N, N, N, N, Y]),
    (Action::ReadCameras, [Y, Y, Y, N, Y, N]),
    (Action::ReadImagery, [Y, Y, N, N, Y, N]),
    (Action::ReadAlarms, [Y, Y, N, N, N, N]),
    (Action::ShelveAlarms, [N, Y, N, N, N, N]),
    (Action::ReadDeadLetters, [N, Y, Y, N, N, Y]),
    (Action::ReadRules, [Y, Y, Y, N, N, Y]),
    (Action::ReloadRules, [N, N, Y, N, N, N]),
    (Action::ManageAccounts, [N, N, Y, N, N, N]),
    (Action::ManageDevices, [N, N, Y, N, N, N]),
    (Action::ReadAudit, [N, N, N, Y, Y, N]),
    (Action::ExportAudit, [N, N, N, Y, Y, N]),
    (Action::ReadRetentionRegister, [N, N, N, Y, Y, N]),
    (Action::ManageLegalHolds, [N, N, N, N, Y, N]),
    (Action::ReadLiveStream, [Y, Y, N, N, N, N]),
    (Action::ReadDevices, [N, N, Y, N, N, Y]),
    (Action::ReadMetrics, [N, Y, Y, N, N, Y]),
];

fn role_column(role: Role) -> usize {
    match role {
        Role::Operator => 0,
        Role::Supervisor => 1,
        Role::Administrator => 2,
        Role::Auditor => 3,
        Role::DataProtectionOfficer => 4,
        Role::Integrator => 5,
    }
}

/// Tells whether `role` may take `action` at all (before any scope check).
pub fn allowed(role: Role, action: Action) -> bool {
    // `TABLE` is in `Action::ALL` order (a test checks it), so the row is found by position;
    // the search is the fallback that keeps this correct even if it were not.
    let row = TABLE.get(action as usize).filter(|(row_action, _)| *row_action == action);
    let row = row.or_else(|| TABLE.iter().find(|(row_action, _)| *row_action == action));
    row.is_some_and(|(_, grants)| grants[role_column(role)])
}

/// What an action applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target<'a> {
    /// The system or the whole city: a list across posts, a configuration change.
    Global,
    /// One resource in the city, by its command post and commune where it has them.
    Scoped {
        /// The command post the resource belongs to (an incident's, an alarm's route).
        post: Option<&'a PostId>,
        /// The commune the resource is in.
        commune: Option<&'a CommuneId>,
    },
}

/// Why an action was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("the {role} role may not {action}")]
    Role { role: Role, action: Action },
    #[error("{action} on a resource outside the account's scope")]
    OutOfScope { action: Action },
}

impl Denied {
    /// Returns a stable code for API responses: `forbidden` or `out_of_scope`.
    pub fn code(&self) -> &'static str {
        match self {
            Denied::Role { .. } => "forbidden",
            Denied::OutOfScope { .. } => "out_of_scope",
        }
    }
}

fn dimension_allows<T: Ord>(set: &ScopeSet<T>, coordinate: Option<&T>) -> bool {
    match set {
        ScopeSet::All => true,
        ScopeSet::Only(items) => coordinate.is_some_and(|item| items.contains(item)),
    }
}

/// Tells whether a resource at (`post`, `commune`) lies in `scope`. A restricted dimension
/// refuses a missing coordinate.
pub fn in_scope(scope: &Scope, post: Option<&PostId>, commune: Option<&CommuneId>) -> bool {
    dimension_allows(&scope.posts, post) && dimension_allows(&scope.communes, commune)
}

/// Decides whether `principal` may take `action` on `target`: the role first, then, for an
/// action on a part of the city, the scope. A `Global` target of a scoped action (a list
/// across the whole city) needs a whole-city scope; handlers that list should instead filter
/// each item with `in_scope` after `allowed`.
pub fn authorize(principal: &Principal, action: Action, target: &Target<'_>) -> Result<(), Denied> {
    if !allowed(principal.role, action) {
        return Err(Denied::Role { role: principal.role, action });
    }
    if action.is_global() {
        return Ok(());
    }
    let permitted = match target {
        Target::Global => principal.scope.is_all(),
        Target::Scoped { post, commune } => in_scope(&principal.scope, *post, *commune),
    };
    if permitted { Ok(()) } else { Err(Denied::OutOfScope { action }) }
}

#[cfg(test)]
mod tests;
