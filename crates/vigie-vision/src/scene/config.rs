//! The scene configuration a city pack writes for one camera, and its validation.

use serde::{Deserialize, Serialize};

/// Zones and lines on one camera's ground plane (metres, the frame of its calibration).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SceneConfig {
    /// Areas to count and watch.
    #[serde(default)]
    pub zones: Vec<ZoneConfig>,
    /// Lines to count crossings of.
    #[serde(default)]
    pub lines: Vec<LineConfig>,
    /// Period of the statistics (counts, distances, ongoing density), in seconds.
    #[serde(default = "default_report_every_s")]
    pub report_every_s: u32,
}

/// A polygon on the ground and what to watch in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneConfig {
    /// Unique among the camera's zones and lines; events name it.
    pub id: String,
    /// At least three vertices `[x, y]` in metres, enclosing a non-zero area.
    pub polygon: Vec<[f64; 2]>,
    /// Report the persons in the zone and their distance statistics every `report_every_s`.
    #[serde(default = "yes")]
    pub count: bool,
    /// Persons per square metre above which the density is excessive.
    #[serde(default)]
    pub density_max: Option<f64>,
    /// Seconds the density must stay above `density_max` to raise the alarm, and below 80 % of
    /// it to clear it.
    #[serde(default = "default_density_for_s")]
    pub density_for_s: u32,
    /// The allowed direction of movement, in degrees: 0 along the ground frame's +x axis, 90
    /// along +y. Moving more than `direction_tolerance_deg` away from it is counter-flow.
    #[serde(default)]
    pub allowed_direction_deg: Option<f64>,
    /// Half-width of the allowed cone of directions, in degrees, in (0, 180].
    #[serde(default = "default_direction_tolerance_deg")]
    pub direction_tolerance_deg: f64,
    /// Slower movements are never counter-flow (people standing still sway).
    #[serde(default = "default_min_speed_m_s")]
    pub min_speed_m_s: f64,
    /// When set, being in the zone during these windows is an intrusion.
    #[serde(default)]
    pub forbidden: Option<Schedule>,
}

/// Local-time windows; an empty list means always.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Schedule(pub Vec<TimeWindow>);

/// From `from` (included) to `to` (excluded), both `"HH:MM"` local time; `to` before `from`
/// crosses midnight and `to` may be `"24:00"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeWindow {
    /// Start, `"HH:MM"`.
    pub from: String,
    /// End, `"HH:MM"` (or `"24:00"`).
    pub to: String,
}

/// A counting line from `a` to `b`: crossing it from its left to its right (looking from `a`
/// towards `b`, with +y to the left of +x) is "in", the other way "out".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineConfig {
    /// Unique among the camera's zones and lines; events name it.
    pub id: String,
    /// First end `[x, y]`, metres.
    pub a: [f64; 2],
    /// Second end `[x, y]`, metres.
    pub b: [f64; 2],
}

fn default_report_every_s() -> u32 {
    10
}

fn yes() -> bool {
    true
}

fn default_density_for_s() -> u32 {
    10
}

fn default_direction_tolerance_deg() -> f64 {
    90.0
}

fn default_min_speed_m_s() -> f64 {
    0.5
}

/// Why a scene configuration was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SceneConfigError {
    #[error("a zone or line has an empty id")]
    EmptyId,
    #[error("id {0:?} is used twice")]
    DuplicateId(String),
    #[error("{place}: a polygon needs at least 3 vertices, got {count}")]
    TooFewVertices { place: String, count: usize },
    #[error("{place}: the polygon encloses no area (its vertices are on one line)")]
    FlatPolygon { place: String },
    #[error("{place}: the line's two ends are the same point")]
    PointLine { place: String },
    #[error("{place}: {field} is not a finite number")]
    NotFinite { place: String, field: &'static str },
    #[error("{place}: {field} must be greater than 0, got {value}")]
    NotPositive { place: String, field: &'static str, value: f64 },
    #[error("{place}: direction_tolerance_deg must be in (0, 180], got {value}")]
    BadTolerance { place: String, value: f64 },
    #[error("{place}: {value:?} is not a time of day \"HH:MM\"")]
    BadTime { place: String, value: String },
    #[error("{place}: the window from {from:?} to {to:?} is empty")]
    EmptyWindow { place: String, from: String, to: String },
}

/// Parses `"HH:MM"` into minutes after midnight; `"24:00"` is 1440 when `allow_end_of_day`.
pub(super) fn parse_clock(text: &str, allow_end_of_day: bool) -> Option<u16> {
    let (hours, minutes) = text.split_once(':')?;
    if hours.len() != 2 || minutes.len() != 2 {
        return None;
    }
    let hours: u16 = hours.parse().ok()?;
    let minutes: u16 = minutes.parse().ok()?;
    if minutes >= 60 {
        return None;
    }
    match hours {
        0..=23 => Some(hours * 60 + minutes),
        24 if allow_end_of_day && minutes == 0 => Some(1440),
        _ => None,
    }
}

pub(super) fn check_finite(place: &str, field: &'static str, values: &[f64]) -> Result<(), SceneConfigError> {
    if values.iter().all(|value| value.is_finite()) {
        Ok(())
    } else {
        Err(SceneConfigError::NotFinite { place: place.to_owned(), field })
    }
}

pub(super) fn check_positive(place: &str, field: &'static str, value: f64) -> Result<(), SceneConfigError> {
    check_finite(place, field, &[value])?;
    if value > 0.0 { Ok(()) } else { Err(SceneConfigError::NotPositive { place: place.to_owned(), field, value }) }
}
