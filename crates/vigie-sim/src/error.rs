//! Why a simulation could not be set up, and why a scenario flag was refused.

use crate::scenario::ScenarioKind;

/// Why [`Simulator::new`](crate::Simulator::new) refused a configuration.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// A scenario needs sensors (or a zone) that the city pack does not have.
    #[error("scenario {scenario} needs what the city pack lacks: {}", missing.join("; "))]
    MissingSensors {
        scenario: ScenarioKind,
        /// Each thing missing, in words (`a smoke detector in zone bibliotheque`).
        missing: Vec<String>,
    },
}

/// Why a scenario text such as `flood@600` was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScenarioParseError {
    #[error("unknown scenario {name:?}; known are {}", ScenarioKind::names())]
    UnknownKind { name: String },
    #[error("bad delay {text:?} after '@'; expected seconds (600) or amounts with s, m or h (10m, 2h, 1h30m)")]
    BadDelay { text: String },
}
