//! Vigie's rule engine: rules declared in the city pack turn sensor readings into alarms.
//!
//! A rule selects sensors (by kind, id, zone, commune) and watches them with one operator: a
//! threshold with hysteresis, a rate of change, a count in a window, a silence, a correlation of
//! several sensors in one zone, or a condition written in a small expression language. An
//! optional `for_s` makes the alarm wait until its condition has held that long. Each alarm
//! names an incident category, a severity and a priority.
//!
//! - [`load`](mod@load): reads and checks `rules/*.toml` ([`load()`], [`load_str`]) into a
//!   [`RuleSet`], reporting every mistake with its file, line and rule.
//! - [`rule`]: the checked [`Rule`], its [`Selector`] and [`Operator`], and [`priority`].
//! - [`expr`]: the condition language, its grammar and its evaluation.
//! - [`engine`]: [`evaluate`] a reading, [`tick`] the clock, the [`RuleState`] they keep, the
//!   [`AlarmChange`]s they return.
//! - [`replay`](mod@replay): runs a text fixture through the engine ([`replay()`]) and writes
//!   changes as text ([`render`]), for golden tests.
//!
//! Architecture invariant: the engine is pure. It reads no clock (time comes in as `now`) and
//! does no IO; only [`load()`] reads files.

pub mod engine;
pub mod expr;
pub mod load;
pub mod replay;
pub mod rule;

pub use engine::{Alarm, AlarmChange, MAX_WINDOW_READINGS, RuleState, SensorInfo, evaluate, tick};
pub use expr::{Expr, ExprError};
pub use load::{RuleError, RuleErrors, RuleSet, load, load_str};
pub use replay::{FixtureError, render, replay};
pub use rule::{Operator, Rule, Selector, Threshold, priority};
