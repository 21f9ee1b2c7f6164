//! One camera's analytics: its configuration in the city pack (`vision/<camera>.toml`) and the
//! step that turns a frame's detections into tracks, scene events and the reports the worker
//! publishes to Vigie's ingest.
//!
//! Reports go to sensors named `<camera>.<zone or line>.<measure>`, declared in `city.toml`
//! with the `video_*` kinds. Every zone that counts reports once per `scene.report_every_s`:
//! persons in the zone, density (persons/m², when the zone watches density), pairs of persons
//! closer than 1 m (sanitary statistics), counter-flow tracks and forbidden-zone entries during
//! the period; every line reports its crossings in
//! each direction.

use crate::geometry::{Detection, GroundPoint, ObjectClass};
use crate::homography::{Calibration, Homography, HomographyError};
use crate::scene::{
    AlarmPhase, Direction, SceneAnalyzer, SceneConfig, SceneConfigError, SceneEvent, SceneEventKind, SceneTrack,
};
use crate::track::{Track, Tracker, TrackerConfig};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The folder of a city pack that holds one file per analysed camera.
pub const VISION_DIR: &str = "vision";

/// What `vision/<camera>.toml` says.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraConfig {
    /// The camera's id in `city.toml`.
    pub camera: String,
    /// A file path or an `rtsp://` URL.
    pub source: String,
    /// Frames analysed per second.
    #[serde(default = "default_fps")]
    pub analysis_fps: f64,
    /// Near-field cameras also run the face detector on snapshots before they leave.
    #[serde(default)]
    pub near_field: bool,
    /// At most one evidence snapshot per sensor per this many seconds.
    #[serde(default = "default_snapshot_every_s")]
    pub snapshot_every_s: u32,
    pub calibration: Calibration,
    pub scene: SceneConfig,
}

fn default_fps() -> f64 {
    10.0
}

fn default_snapshot_every_s() -> u32 {
    30
}

/// Why a camera's analytics cannot start.
#[derive(Debug, thiserror::Error)]
pub enum CameraConfigError {
    #[error("cannot read {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{path}: analysis_fps must be above 0 and at most 60, not {fps}")]
    Fps { path: PathBuf, fps: f64 },
    #[error("{path}: the calibration does not give a ground plane")]
    Calibration {
        path: PathBuf,
        #[source]
        source: HomographyError,
    },
    #[error("{path}: the scene is invalid")]
    Scene {
        path: PathBuf,
        #[source]
        source: SceneConfigError,
    },
}

/// Reads every `vision/*.toml` of the pack at `pack_dir`, in file-name order; none is fine.
pub fn load_cameras(pack_dir: &Path) -> Result<Vec<CameraConfig>, CameraConfigError> {
    let dir = pack_dir.join(VISION_DIR);
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(CameraConfigError::Read { path: dir, source }),
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "toml"))
        .collect();
    paths.sort();
    paths.iter().map(|path| load_camera(path)).collect()
}

/// Reads and checks one camera file.
pub fn load_camera(path: &Path) -> Result<CameraConfig, CameraConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| CameraConfigError::Read { path: path.into(), source })?;
    let config: CameraConfig = toml::from_str(&text)
        .map_err(|error| CameraConfigError::Parse { path: path.into(), message: error.to_string() })?;
    if !(config.analysis_fps > 0.0 && config.analysis_fps <= 60.0) {
        return Err(CameraConfigError::Fps { path: path.into(), fps: config.analysis_fps });
    }
    CameraAnalytics::new(&config).map_err(|error| error.at(path))?;
    Ok(config)
}

/// What a report measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Measure {
    Count,
    Density,
    CounterFlow,
    Intrusion,
    CrossingsIn,
    CrossingsOut,
    ClosePairs,
}

impl Measure {
    /// The last part of the sensor id.
    pub fn suffix(self) -> &'static str {
        match self {
            Measure::Count => "count",
            Measure::Density => "density",
            Measure::CounterFlow => "counter_flow",
            Measure::Intrusion => "intrusion",
            Measure::CrossingsIn => "in",
            Measure::CrossingsOut => "out",
            Measure::ClosePairs => "close_pairs",
        }
    }

    /// The sensor kind `city.toml` must give the sensor.
    pub fn kind(self) -> &'static str {
        match self {
            Measure::Count => "video_count",
            Measure::Density => "video_density",
            Measure::CounterFlow => "video_counter_flow",
            Measure::Intrusion => "video_intrusion",
            Measure::CrossingsIn | Measure::CrossingsOut => "video_flow",
            Measure::ClosePairs => "video_close_pairs",
        }
    }

    /// The unit of its values.
    pub fn unit(self) -> &'static str {
        match self {
            Measure::Density => "persons/m²",
            Measure::CounterFlow => "tracks",
            Measure::ClosePairs => "pairs",
            Measure::Count | Measure::Intrusion | Measure::CrossingsIn | Measure::CrossingsOut => "persons",
        }
    }
}

/// One value for one sensor, at the end of a report period.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub sensor: String,
    pub measure: Measure,
    /// The video time of the period's end, in milliseconds.
    pub time_ms: i64,
    pub value: f64,
    /// Whether the value is an event worth evidence (density above the zone's maximum, a
    /// counter-flow, an intrusion).
    pub notable: bool,
}

/// What one frame gave.
#[derive(Clone, Debug, Default)]
pub struct Step {
    pub tracks: Vec<Track>,
    pub events: Vec<SceneEvent>,
    pub reports: Vec<Report>,
}

/// Accumulated over one report period, per zone.
#[derive(Clone, Debug, Default)]
struct ZonePeriod {
    counter_flow: u32,
    intrusions: u32,
}

/// One camera's tracker, ground plane and scene, fed frame by frame.
pub struct CameraAnalytics {
    camera: String,
    homography: Homography,
    tracker: Tracker,
    scene: SceneAnalyzer,
    /// Every zone, with its area in m² and what it reports.
    zones: Vec<ZoneReports>,
    lines: Vec<String>,
    period: BTreeMap<String, ZonePeriod>,
    density_raised: BTreeMap<String, bool>,
    crossings: BTreeMap<(String, Measure), u32>,
    report_every_ms: i64,
    next_report_ms: Option<i64>,
    last_counts: BTreeMap<String, u32>,
    /// Zone id → pairs of persons closer than 1 m at the last distance statistics.
    close_pairs: BTreeMap<String, u32>,
    snapshot_every_ms: i64,
    last_evidence: BTreeMap<String, i64>,
}

/// A zone's area and the measures it reports.
struct ZoneReports {
    id: String,
    area_m2: f64,
    measures: Vec<Measure>,
}

/// Why [`CameraAnalytics::new`] refused a configuration (before a path is known).
#[derive(Debug)]
pub enum AnalyticsError {
    Calibration(HomographyError),
    Scene(SceneConfigError),
}

impl AnalyticsError {
    fn at(self, path: &Path) -> CameraConfigError {
        match self {
            AnalyticsError::Calibration(source) => CameraConfigError::Calibration { path: path.into(), source },
            AnalyticsError::Scene(source) => CameraConfigError::Scene { path: path.into(), source },
        }
    }
}

impl std::fmt::Display for AnalyticsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AnalyticsError::Calibration(error) => write!(f, "the calibration does not give a ground plane: {error}"),
            AnalyticsError::Scene(error) => write!(f, "the scene is invalid: {error}"),
        }
    }
}

impl std::error::Error for AnalyticsError {}

fn polygon_area(points: &[[f64; 2]]) -> f64 {
    let twice: f64 = points.iter().zip(points.iter().cycle().skip(1)).map(|(a, b)| a[0] * b[1] - b[0] * a[1]).sum();
    twice.abs() / 2.0
}

impl CameraAnalytics {
    /// Builds the analytics of a camera from its configuration.
    pub fn new(config: &CameraConfig) -> Result<CameraAnalytics, AnalyticsError> {
        let homography = config.calibration.homography().map_err(AnalyticsError::Calibration)?;
        let scene = SceneAnalyzer::new(config.scene.clone()).map_err(AnalyticsError::Scene)?;
        let zones = config
            .scene
            .zones
            .iter()
            .map(|zone| {
                let mut measures = Vec::new();
                if zone.count {
                    measures.push(Measure::Count);
                    if zone.density_max.is_some() {
                        measures.push(Measure::Density);
                    }
                    measures.push(Measure::ClosePairs);
                }
                if zone.allowed_direction_deg.is_some() {
                    measures.push(Measure::CounterFlow);
                }
                if zone.forbidden.is_some() {
                    measures.push(Measure::Intrusion);
                }
                ZoneReports { id: zone.id.clone(), area_m2: polygon_area(&zone.polygon), measures }
            })
            .collect();
        let lines = config.scene.lines.iter().map(|line| line.id.clone()).collect();
        Ok(CameraAnalytics {
            camera: config.camera.clone(),
            homography,
            tracker: Tracker::new(TrackerConfig::default()),
            scene,
            zones,
            lines,
            period: BTreeMap::new(),
            density_raised: BTreeMap::new(),
            crossings: BTreeMap::new(),
            report_every_ms: i64::from(config.scene.report_every_s.max(1)) * 1000,
            next_report_ms: None,
            last_counts: BTreeMap::new(),
            close_pairs: BTreeMap::new(),
            snapshot_every_ms: i64::from(config.snapshot_every_s) * 1000,
            last_evidence: BTreeMap::new(),
        })
    }

    /// The camera's id.
    pub fn camera(&self) -> &str {
        &self.camera
    }

    /// The ground plane of this camera.
    pub fn homography(&self) -> &Homography {
        &self.homography
    }

    /// Every sensor this camera reports to, with what it measures.
    pub fn sensors(&self) -> Vec<(String, Measure)> {
        let mut sensors = Vec::new();
        for zone in &self.zones {
            sensors.extend(zone.measures.iter().map(|&measure| (self.sensor_id(&zone.id, measure), measure)));
        }
        for line in &self.lines {
            for measure in [Measure::CrossingsIn, Measure::CrossingsOut] {
                sensors.push((self.sensor_id(line, measure), measure));
            }
        }
        sensors
    }

    fn sensor_id(&self, place: &str, measure: Measure) -> String {
        format!("{}.{place}.{}", self.camera, measure.suffix())
    }

    /// Feeds one analysed frame: `time_ms` is the frame's time, `local_minute_of_day` the
    /// local time for zone schedules.
    pub fn step(&mut self, time_ms: i64, local_minute_of_day: u32, detections: &[Detection]) -> Step {
        let tracks = self.tracker.update(detections);
        let on_ground: Vec<SceneTrack> = tracks
            .iter()
            .filter(|track| track.class == ObjectClass::Person || track.class.is_vehicle())
            .filter_map(|track| {
                let (u, v) = track.bbox.foot();
                let ground: GroundPoint = self.homography.to_ground((f64::from(u), f64::from(v)))?;
                Some(SceneTrack { id: track.id, class: track.class, ground })
            })
            .collect();
        let events = self.scene.update(time_ms, local_minute_of_day, &on_ground);
        for event in &events {
            self.absorb(event);
        }
        let next = *self.next_report_ms.get_or_insert(time_ms + self.report_every_ms);
        let reports = if time_ms >= next {
            self.next_report_ms = Some(next + self.report_every_ms * ((time_ms - next) / self.report_every_ms + 1));
            self.reports(time_ms)
        } else {
            Vec::new()
        };
        Step { tracks, events, reports }
    }

    /// Whether to take an evidence snapshot for `report` now (notable, and none for that sensor
    /// within `snapshot_every_s`); records it when so.
    pub fn wants_evidence(&mut self, report: &Report) -> bool {
        if !report.notable {
            return false;
        }
        match self.last_evidence.get(&report.sensor) {
            Some(last) if report.time_ms - last < self.snapshot_every_ms => false,
            _ => {
                self.last_evidence.insert(report.sensor.clone(), report.time_ms);
                true
            }
        }
    }

    /// Adds one scene event to the period's tallies.
    fn absorb(&mut self, event: &SceneEvent) {
        let place = event.place.clone();
        match &event.kind {
            SceneEventKind::Count { persons } => {
                self.last_counts.insert(place, *persons);
            }
            SceneEventKind::Density { phase, .. } => {
                self.density_raised.insert(place, *phase != AlarmPhase::Cleared);
            }
            SceneEventKind::CounterFlow { .. } => self.period.entry(place).or_default().counter_flow += 1,
            SceneEventKind::Intrusion { .. } => self.period.entry(place).or_default().intrusions += 1,
            SceneEventKind::LineCrossing { direction, .. } => {
                let measure = match direction {
                    Direction::In => Measure::CrossingsIn,
                    Direction::Out => Measure::CrossingsOut,
                };
                *self.crossings.entry((place, measure)).or_default() += 1;
            }
            SceneEventKind::Distance { pairs_under_1m, .. } => {
                self.close_pairs.insert(place, *pairs_under_1m);
            }
        }
    }

    /// Closes the report period at `time_ms`: one report per sensor, then fresh tallies.
    fn reports(&mut self, time_ms: i64) -> Vec<Report> {
        let mut reports = Vec::new();
        for zone in &self.zones {
            let persons = self.last_counts.get(&zone.id).copied().unwrap_or(0);
            let period = self.period.get(&zone.id).cloned().unwrap_or_default();
            for &measure in &zone.measures {
                let (value, notable) = match measure {
                    Measure::Count => (f64::from(persons), false),
                    Measure::Density => {
                        let density = if zone.area_m2 > 0.0 { f64::from(persons) / zone.area_m2 } else { 0.0 };
                        (
                            (density * 1000.0).round() / 1000.0,
                            self.density_raised.get(&zone.id).copied().unwrap_or(false),
                        )
                    }
                    Measure::CounterFlow => (f64::from(period.counter_flow), period.counter_flow > 0),
                    Measure::Intrusion => (f64::from(period.intrusions), period.intrusions > 0),
                    Measure::ClosePairs => (f64::from(self.close_pairs.get(&zone.id).copied().unwrap_or(0)), false),
                    Measure::CrossingsIn | Measure::CrossingsOut => continue,
                };
                reports.push(Report { sensor: self.sensor_id(&zone.id, measure), measure, time_ms, value, notable });
            }
        }
        for line in &self.lines {
            for measure in [Measure::CrossingsIn, Measure::CrossingsOut] {
                let crossings = self.crossings.get(&(line.clone(), measure)).copied().unwrap_or(0);
                reports.push(Report {
                    sensor: self.sensor_id(line, measure),
                    measure,
                    time_ms,
                    value: f64::from(crossings),
                    notable: false,
                });
            }
        }
        self.period.clear();
        self.crossings.clear();
        reports
    }
}
