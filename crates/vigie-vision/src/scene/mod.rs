//! Scene analytics on ground-plane positions: the events of décret n° 2023-828 that Vigie
//! supports, and the statistics around them.
//!
//! [`SceneAnalyzer::update`] takes the tracks of one frame, already on the ground (metres,
//! through the camera's homography), and returns [`SceneEvent`]s:
//!
//! - per zone, every `report_every_s`: the persons in it ([`SceneEventKind::Count`]) and how
//!   close they stand to one another ([`SceneEventKind::Distance`], statistics without identities);
//! - excessive density ([`SceneEventKind::Density`]): raised after the density stays above
//!   `density_max` for `density_for_s`, repeated every `report_every_s`, cleared after it stays
//!   below 80 % of `density_max` for `density_for_s` (the gap keeps it from chattering);
//! - counter-flow ([`SceneEventKind::CounterFlow`]): once per track and stay in the zone, when
//!   the track moves at `min_speed_m_s` or faster more than `direction_tolerance_deg` away from
//!   the allowed direction; the velocity is a least-squares fit over the last two seconds;
//! - intrusion ([`SceneEventKind::Intrusion`]): once per track and stay in the zone, while its
//!   `forbidden` schedule is active;
//! - line crossings ([`SceneEventKind::LineCrossing`]), "in" or "out", once per crossing; a
//!   track must get 25 cm past the line for its side to change, so standing on it counts nothing.
//!
//! Counts, density and distances are about persons; counter-flow, intrusion and crossings
//! about persons and vehicles, as the décret words them. Other classes are ignored. A track unseen for 5 s is forgotten; until then, coming back into
//! view does not start a new stay.

mod config;
mod legal;

use std::collections::{BTreeMap, VecDeque};

use serde::Serialize;

pub use config::{LineConfig, SceneConfig, SceneConfigError, Schedule, TimeWindow, ZoneConfig};
pub use legal::LegalEventType;

use crate::geometry::{GroundPoint, ObjectClass};
use config::{check_finite, check_positive, parse_clock};

/// How much ground history a track keeps for its velocity.
const HISTORY_MS: i64 = 2_000;
/// The shortest history a velocity is estimated from.
const MIN_VELOCITY_SPAN_MS: i64 = 1_000;
/// A track absent for longer is forgotten.
const FORGET_AFTER_MS: i64 = 5_000;
/// How far past a line a track must be for its side to count.
const LINE_DEAD_BAND_M: f64 = 0.25;
/// The density alarm clears below this fraction of `density_max`.
const DENSITY_CLEAR_FRACTION: f64 = 0.8;
/// The interpersonal distance under which a pair counts as close.
const CLOSE_DISTANCE_M: f64 = 1.0;

/// One tracked object of the current frame, on the ground.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SceneTrack {
    /// The tracker's id.
    pub id: u64,
    pub class: ObjectClass,
    /// Where the object touches the ground (the foot of its box through the homography).
    pub ground: GroundPoint,
}

/// Something the scene analytics observed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SceneEvent {
    /// The time of the frame that produced it, as given to [`SceneAnalyzer::update`].
    pub time_ms: i64,
    /// The id of the zone or line it is about.
    pub place: String,
    /// The measured value: persons for a count, persons/m² for a density, 1 for a crossing or
    /// an intrusion, m/s for a counter-flow, close pairs for distances.
    pub value: f64,
    /// What happened, with its details.
    pub kind: SceneEventKind,
}

/// What a [`SceneEvent`] is, with its own measurements.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SceneEventKind {
    Count {
        persons: u32,
    },
    Density {
        persons_per_m2: f64,
        persons: u32,
        phase: AlarmPhase,
    },
    LineCrossing {
        track: u64,
        direction: Direction,
        class: ObjectClass,
    },
    CounterFlow {
        track: u64,
        class: ObjectClass,
        speed_m_s: f64,
        /// Direction of movement, degrees: 0 along +x, 90 along +y.
        heading_deg: f64,
    },
    Intrusion {
        track: u64,
        class: ObjectClass,
    },
    Distance {
        /// The smallest distance between two persons in the zone; `None` with fewer than two.
        min_m: Option<f64>,
        pairs_under_1m: u32,
        persons: u32,
    },
}

impl SceneEventKind {
    /// Returns the event of the décret this is, if any (counts and statistics are none).
    pub fn legal_type(&self) -> Option<LegalEventType> {
        match self {
            SceneEventKind::CounterFlow { .. } => Some(LegalEventType::CounterFlow),
            SceneEventKind::Intrusion { .. } => Some(LegalEventType::ZoneIntrusion),
            SceneEventKind::Density { .. } => Some(LegalEventType::ExcessiveDensity),
            SceneEventKind::Count { .. } | SceneEventKind::LineCrossing { .. } | SceneEventKind::Distance { .. } => {
                None
            }
        }
    }
}

/// Where an alarm that lasts stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlarmPhase {
    Raised,
    Ongoing,
    Cleared,
}

/// Which way a line was crossed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From the left of `a → b` to its right.
    In,
    Out,
}

/// The scene state of one camera: zones, lines and what each track did recently.
#[derive(Debug, Clone)]
pub struct SceneAnalyzer {
    report_every_ms: i64,
    zones: Vec<Zone>,
    lines: Vec<Line>,
    tracks: BTreeMap<u64, TrackMemory>,
    next_report_ms: Option<i64>,
}

#[derive(Debug, Clone)]
struct Zone {
    config: ZoneConfig,
    polygon: Vec<GroundPoint>,
    area_m2: f64,
    /// `forbidden` as `(from, to)` minutes after midnight; `None`: never forbidden.
    forbidden: Option<Vec<(u16, u16)>>,
    density_raised: bool,
    /// Since when the density has been on the other side of the threshold that would flip
    /// `density_raised`.
    density_flip_since_ms: Option<i64>,
}

#[derive(Debug, Clone)]
struct Line {
    id: String,
    a: GroundPoint,
    b: GroundPoint,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Left,
    Right,
}

#[derive(Debug, Clone)]
struct TrackMemory {
    history: VecDeque<(i64, GroundPoint)>,
    last_seen_ms: i64,
    /// Per zone, the current stay.
    stays: Vec<Stay>,
    /// Per line, the last side the track was clearly on, and where.
    line_sides: Vec<Option<(Side, GroundPoint)>>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Stay {
    inside: bool,
    counter_flow_signalled: bool,
    intrusion_signalled: bool,
}

impl SceneAnalyzer {
    /// Checks the configuration and returns an analyzer that has seen nothing yet.
    pub fn new(config: SceneConfig) -> Result<SceneAnalyzer, SceneConfigError> {
        check_positive("scene", "report_every_s", f64::from(config.report_every_s))?;
        let mut ids = std::collections::HashSet::new();
        let place_ids = config.zones.iter().map(|zone| &zone.id).chain(config.lines.iter().map(|line| &line.id));
        for id in place_ids {
            if id.is_empty() {
                return Err(SceneConfigError::EmptyId);
            }
            if !ids.insert(id.as_str()) {
                return Err(SceneConfigError::DuplicateId(id.clone()));
            }
        }
        let zones = config.zones.into_iter().map(Zone::new).collect::<Result<Vec<_>, _>>()?;
        let lines = config.lines.iter().map(Line::new).collect::<Result<Vec<_>, _>>()?;
        Ok(SceneAnalyzer {
            report_every_ms: i64::from(config.report_every_s) * 1000,
            zones,
            lines,
            tracks: BTreeMap::new(),
            next_report_ms: None,
        })
    }

    /// Takes one frame's tracks and returns what happened.
    ///
    /// `time_ms` must not go backwards; `local_minute_of_day` (0 to 1439, local legal time) is
    /// what the `forbidden` schedules are checked against. Tracks that are neither persons nor
    /// vehicles, or have a non-finite position, are ignored.
    pub fn update(&mut self, time_ms: i64, local_minute_of_day: u32, tracks: &[SceneTrack]) -> Vec<SceneEvent> {
        let minute_of_day = u16::try_from(local_minute_of_day % 1440).unwrap_or(0);
        let mut events = Vec::new();
        let mut persons_by_zone: Vec<Vec<GroundPoint>> = vec![Vec::new(); self.zones.len()];

        for track in tracks {
            let ground = track.ground;
            let person_or_vehicle = track.class == ObjectClass::Person || track.class.is_vehicle();
            if !person_or_vehicle || !ground.x.is_finite() || !ground.y.is_finite() {
                continue;
            }
            let memory = self.tracks.entry(track.id).or_insert_with(|| TrackMemory {
                history: VecDeque::new(),
                last_seen_ms: time_ms,
                stays: vec![Stay::default(); self.zones.len()],
                line_sides: vec![None; self.lines.len()],
            });
            memory.remember(time_ms, ground);

            for (line, side) in self.lines.iter().zip(&mut memory.line_sides) {
                if let Some(direction) = line.crossing(side, ground) {
                    events.push(SceneEvent {
                        time_ms,
                        place: line.id.clone(),
                        value: 1.0,
                        kind: SceneEventKind::LineCrossing { track: track.id, direction, class: track.class },
                    });
                }
            }

            let velocity = memory.velocity();
            for ((zone, stay), persons) in self.zones.iter().zip(&mut memory.stays).zip(&mut persons_by_zone) {
                if !zone.contains(ground) {
                    *stay = Stay::default();
                    continue;
                }
                if !stay.inside {
                    *stay = Stay { inside: true, ..Stay::default() };
                }
                if track.class == ObjectClass::Person {
                    persons.push(ground);
                }
                if !stay.intrusion_signalled && zone.is_forbidden_at(minute_of_day) {
                    stay.intrusion_signalled = true;
                    events.push(SceneEvent {
                        time_ms,
                        place: zone.config.id.clone(),
                        value: 1.0,
                        kind: SceneEventKind::Intrusion { track: track.id, class: track.class },
                    });
                }
                if !stay.counter_flow_signalled
                    && let Some((speed_m_s, heading_deg)) = velocity
                    && zone.is_counter_flow(speed_m_s, heading_deg)
                {
                    stay.counter_flow_signalled = true;
                    events.push(SceneEvent {
                        time_ms,
                        place: zone.config.id.clone(),
                        value: speed_m_s,
                        kind: SceneEventKind::CounterFlow {
                            track: track.id,
                            class: track.class,
                            speed_m_s,
                            heading_deg,
                        },
                    });
                }
            }
        }
        self.tracks.retain(|_, memory| time_ms - memory.last_seen_ms <= FORGET_AFTER_MS);

        let report_due = self.next_report_ms.is_none_or(|next| time_ms >= next);
        if report_due {
            let after_last = self.next_report_ms.unwrap_or(time_ms) + self.report_every_ms;
            self.next_report_ms = Some(if after_last > time_ms { after_last } else { time_ms + self.report_every_ms });
        }
        for (zone, persons) in self.zones.iter_mut().zip(&persons_by_zone) {
            let raised_now = zone.watch_density(time_ms, persons.len(), &mut events);
            if !report_due {
                continue;
            }
            if zone.density_raised && !raised_now {
                events.push(zone.density_event(time_ms, persons.len(), AlarmPhase::Ongoing));
            }
            if zone.config.count {
                events.extend(zone.statistics(time_ms, persons));
            }
        }
        events
    }
}

impl Zone {
    fn new(config: ZoneConfig) -> Result<Zone, SceneConfigError> {
        let place = config.id.as_str();
        if config.polygon.len() < 3 {
            return Err(SceneConfigError::TooFewVertices { place: place.to_owned(), count: config.polygon.len() });
        }
        let coordinates: Vec<f64> = config.polygon.iter().flatten().copied().collect();
        check_finite(place, "polygon", &coordinates)?;
        let polygon: Vec<GroundPoint> = config.polygon.iter().map(|[x, y]| GroundPoint { x: *x, y: *y }).collect();
        let area_m2 = polygon_area(&polygon);
        if area_m2 <= 1e-6 {
            return Err(SceneConfigError::FlatPolygon { place: place.to_owned() });
        }
        if let Some(density_max) = config.density_max {
            check_positive(place, "density_max", density_max)?;
        }
        if let Some(direction) = config.allowed_direction_deg {
            check_finite(place, "allowed_direction_deg", &[direction])?;
        }
        let tolerance = config.direction_tolerance_deg;
        if !(tolerance > 0.0 && tolerance <= 180.0) {
            return Err(SceneConfigError::BadTolerance { place: place.to_owned(), value: tolerance });
        }
        check_positive(place, "min_speed_m_s", config.min_speed_m_s)?;
        let forbidden = match &config.forbidden {
            None => None,
            Some(Schedule(windows)) => {
                let mut parsed = Vec::with_capacity(windows.len());
                for window in windows {
                    let bad_time =
                        |value: &str| SceneConfigError::BadTime { place: place.to_owned(), value: value.to_owned() };
                    let from = parse_clock(&window.from, false).ok_or_else(|| bad_time(&window.from))?;
                    let to = parse_clock(&window.to, true).ok_or_else(|| bad_time(&window.to))?;
                    if from == to {
                        return Err(SceneConfigError::EmptyWindow {
                            place: place.to_owned(),
                            from: window.from.clone(),
                            to: window.to.clone(),
                        });
                    }
                    parsed.push((from, to));
                }
                Some(parsed)
            }
        };
        Ok(Zone { config, polygon, area_m2, forbidden, density_raised: false, density_flip_since_ms: None })
    }

    /// Even-odd rule: a point is inside when a ray from it crosses the boundary an odd number
    /// of times.
    fn contains(&self, point: GroundPoint) -> bool {
        let mut inside = false;
        let mut previous = self.polygon[self.polygon.len() - 1];
        for &vertex in &self.polygon {
            if (vertex.y > point.y) != (previous.y > point.y) {
                let crossing_x = vertex.x + (point.y - vertex.y) * (previous.x - vertex.x) / (previous.y - vertex.y);
                if point.x < crossing_x {
                    inside = !inside;
                }
            }
            previous = vertex;
        }
        inside
    }

    fn is_forbidden_at(&self, minute_of_day: u16) -> bool {
        let Some(windows) = &self.forbidden else { return false };
        windows.is_empty()
            || windows.iter().any(|&(from, to)| {
                if from < to {
                    (from..to).contains(&minute_of_day)
                } else {
                    minute_of_day >= from || minute_of_day < to
                }
            })
    }

    fn is_counter_flow(&self, speed_m_s: f64, heading_deg: f64) -> bool {
        let Some(allowed_deg) = self.config.allowed_direction_deg else { return false };
        if speed_m_s < self.config.min_speed_m_s {
            return false;
        }
        let difference = (heading_deg - allowed_deg).rem_euclid(360.0);
        let off_by = difference.min(360.0 - difference);
        off_by > self.config.direction_tolerance_deg
    }

    /// Moves the density alarm on; returns whether it was raised by this frame.
    fn watch_density(&mut self, time_ms: i64, persons: usize, events: &mut Vec<SceneEvent>) -> bool {
        let Some(density_max) = self.config.density_max else { return false };
        let density = persons as f64 / self.area_m2;
        let wants_flip =
            if self.density_raised { density < DENSITY_CLEAR_FRACTION * density_max } else { density > density_max };
        if !wants_flip {
            self.density_flip_since_ms = None;
            return false;
        }
        let since = *self.density_flip_since_ms.get_or_insert(time_ms);
        if time_ms - since < i64::from(self.config.density_for_s) * 1000 {
            return false;
        }
        self.density_flip_since_ms = None;
        self.density_raised = !self.density_raised;
        let phase = if self.density_raised { AlarmPhase::Raised } else { AlarmPhase::Cleared };
        events.push(self.density_event(time_ms, persons, phase));
        self.density_raised
    }

    fn density_event(&self, time_ms: i64, persons: usize, phase: AlarmPhase) -> SceneEvent {
        let persons_per_m2 = persons as f64 / self.area_m2;
        SceneEvent {
            time_ms,
            place: self.config.id.clone(),
            value: persons_per_m2,
            kind: SceneEventKind::Density { persons_per_m2, persons: saturating_u32(persons), phase },
        }
    }

    fn statistics(&self, time_ms: i64, persons: &[GroundPoint]) -> [SceneEvent; 2] {
        let mut min_m: Option<f64> = None;
        let mut pairs_under_1m = 0_u32;
        for (index, first) in persons.iter().enumerate() {
            for second in &persons[index + 1..] {
                let distance = first.distance(second);
                min_m = Some(min_m.map_or(distance, |smallest| smallest.min(distance)));
                if distance < CLOSE_DISTANCE_M {
                    pairs_under_1m = pairs_under_1m.saturating_add(1);
                }
            }
        }
        let count = saturating_u32(persons.len());
        let place = self.config.id.clone();
        [
            SceneEvent {
                time_ms,
                place: place.clone(),
                value: f64::from(count),
                kind: SceneEventKind::Count { persons: count },
            },
            SceneEvent {
                time_ms,
                place,
                value: f64::from(pairs_under_1m),
                kind: SceneEventKind::Distance { min_m, pairs_under_1m, persons: count },
            },
        ]
    }
}

impl Line {
    fn new(config: &LineConfig) -> Result<Line, SceneConfigError> {
        let place = config.id.as_str();
        check_finite(place, "a", &config.a)?;
        check_finite(place, "b", &config.b)?;
        let a = GroundPoint { x: config.a[0], y: config.a[1] };
        let b = GroundPoint { x: config.b[0], y: config.b[1] };
        if a.distance(&b) <= 1e-9 {
            return Err(SceneConfigError::PointLine { place: place.to_owned() });
        }
        Ok(Line { id: config.id.clone(), a, b })
    }

    /// Distance from the line through `a` and `b`, positive on its left.
    fn signed_distance(&self, point: GroundPoint) -> f64 {
        let (dx, dy) = (self.b.x - self.a.x, self.b.y - self.a.y);
        (dx * (point.y - self.a.y) - dy * (point.x - self.a.x)) / dx.hypot(dy)
    }

    /// Updates the track's side of this line and returns the crossing, if the track went from
    /// one side to the other through the segment between `a` and `b`.
    fn crossing(&self, last_side: &mut Option<(Side, GroundPoint)>, point: GroundPoint) -> Option<Direction> {
        let distance = self.signed_distance(point);
        let side = if distance > LINE_DEAD_BAND_M {
            Side::Left
        } else if distance < -LINE_DEAD_BAND_M {
            Side::Right
        } else {
            return None;
        };
        let previous = last_side.replace((side, point));
        let (previous_side, previous_point) = previous?;
        if previous_side == side {
            return None;
        }
        // Where the path from the previous point crossed the line, as a fraction of a → b.
        let previous_distance = self.signed_distance(previous_point);
        let along_path = previous_distance / (previous_distance - distance);
        let crossing_x = previous_point.x + along_path * (point.x - previous_point.x);
        let crossing_y = previous_point.y + along_path * (point.y - previous_point.y);
        let (dx, dy) = (self.b.x - self.a.x, self.b.y - self.a.y);
        let along_line = ((crossing_x - self.a.x) * dx + (crossing_y - self.a.y) * dy) / (dx * dx + dy * dy);
        if !(0.0..=1.0).contains(&along_line) {
            return None;
        }
        Some(if previous_side == Side::Left { Direction::In } else { Direction::Out })
    }
}

impl TrackMemory {
    fn remember(&mut self, time_ms: i64, point: GroundPoint) {
        // Time going backwards would make the velocity meaningless: start the history again.
        if self.history.back().is_some_and(|&(last_ms, _)| last_ms >= time_ms) {
            self.history.clear();
        }
        self.history.push_back((time_ms, point));
        while self.history.front().is_some_and(|&(first_ms, _)| time_ms - first_ms > HISTORY_MS) {
            self.history.pop_front();
        }
        self.last_seen_ms = time_ms;
    }

    /// Returns the speed (m/s) and heading (degrees in `[0, 360)`) fitted by least squares over
    /// the history, or `None` when it is too short.
    fn velocity(&self) -> Option<(f64, f64)> {
        let (&(first_ms, _), &(last_ms, _)) = (self.history.front()?, self.history.back()?);
        if self.history.len() < 3 || last_ms - first_ms < MIN_VELOCITY_SPAN_MS {
            return None;
        }
        let count = self.history.len() as f64;
        let seconds = |time_ms: i64| (time_ms - first_ms) as f64 / 1000.0;
        let mean_t = self.history.iter().map(|(time_ms, _)| seconds(*time_ms)).sum::<f64>() / count;
        let mean_x = self.history.iter().map(|(_, point)| point.x).sum::<f64>() / count;
        let mean_y = self.history.iter().map(|(_, point)| point.y).sum::<f64>() / count;
        let (mut stt, mut stx, mut sty) = (0.0, 0.0, 0.0);
        for (time_ms, point) in &self.history {
            let dt = seconds(*time_ms) - mean_t;
            stt += dt * dt;
            stx += dt * (point.x - mean_x);
            sty += dt * (point.y - mean_y);
        }
        let (vx, vy) = (stx / stt, sty / stt);
        Some((vx.hypot(vy), vy.atan2(vx).to_degrees().rem_euclid(360.0)))
    }
}

/// Shoelace formula; the absolute value, whatever the winding.
fn polygon_area(polygon: &[GroundPoint]) -> f64 {
    let mut twice_area = 0.0;
    let mut previous = polygon[polygon.len() - 1];
    for &vertex in polygon {
        twice_area += previous.x * vertex.y - vertex.x * previous.y;
        previous = vertex;
    }
    twice_area.abs() / 2.0
}

fn saturating_u32(count: usize) -> u32 {
    u32::try_from(count).unwrap_or(u32::MAX)
}
