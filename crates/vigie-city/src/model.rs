//! The things a city is made of: communes, command posts, roles, sensors, cameras, zones,
//! units and routing rules.
//!
//! The types that `city.toml` declares deserialise straight from it and refuse unknown keys;
//! the others (communes' boundaries, zones) come from GeoJSON through [`crate::load`].

use crate::geo::{FieldOfView, Geometry, Position};
use serde::{Deserialize, Serialize};
use vigie_core::{CameraId, CategoryId, CommuneId, PostId, SensorId, UnitId, ZoneId};

/// A commune of the metropolis, with its boundary.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Commune {
    /// The INSEE code (`21231` for Dijon).
    pub id: CommuneId,
    pub name: String,
    /// Inhabitants, approximately, when the pack says.
    pub population: Option<u32>,
    /// A `Polygon` or a `MultiPolygon`.
    pub boundary: Geometry,
}

/// A commune as `city.toml` declares it; its boundary comes from `communes.geojson`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CommuneEntry {
    pub(crate) id: CommuneId,
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) population: Option<u32>,
}

/// A command post (PC): where operators work on the incidents routed to it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandPost {
    pub id: PostId,
    pub name_fr: String,
    pub name_en: String,
    /// Where the post sits, for the map.
    #[serde(default)]
    pub location: Option<Position>,
}

/// A role that users are given (operator, supervisor, auditor...).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    pub id: String,
    pub name_fr: String,
    pub name_en: String,
    pub description_fr: String,
    pub description_en: String,
}

/// What a sensor measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SensorKind {
    /// A river gauge, in metres.
    RiverLevel,
    /// A rain gauge, in millimetres per hour.
    Rainfall,
    /// A smoke detector of a fire panel.
    Smoke,
    /// A heat detector of a fire panel.
    Heat,
    /// An intrusion detector of an alarm panel.
    Intrusion,
    /// A traffic counter, in vehicles per hour.
    TrafficFlow,
    /// A people counter at an event area's entrance.
    CrowdCount,
    /// An air-quality station.
    AirQuality,
    /// A sound-level meter.
    Noise,
    /// A thermometer.
    Temperature,
    /// Video analytics: persons in a camera's zone, in `persons`.
    VideoCount,
    /// Video analytics: persons per square metre in a camera's zone, in `persons/m²`.
    VideoDensity,
    /// Video analytics: tracks that went against a zone's allowed direction during the report
    /// period, in `tracks`.
    VideoCounterFlow,
    /// Video analytics: persons who entered a forbidden zone during the report period (while
    /// its schedule is active), in `persons`.
    VideoIntrusion,
    /// Video analytics: persons who crossed a counting line in one direction during the report
    /// period, in `persons`.
    VideoFlow,
    /// Video analytics: pairs of persons closer than 1 m to each other in a camera's zone, in
    /// `pairs` (interpersonal distance statistics for sanitary use; no identities).
    VideoClosePairs,
}

impl SensorKind {
    /// Returns the kind's name as the pack writes it (`river_level`).
    pub fn as_str(self) -> &'static str {
        match self {
            SensorKind::RiverLevel => "river_level",
            SensorKind::Rainfall => "rainfall",
            SensorKind::Smoke => "smoke",
            SensorKind::Heat => "heat",
            SensorKind::Intrusion => "intrusion",
            SensorKind::TrafficFlow => "traffic_flow",
            SensorKind::CrowdCount => "crowd_count",
            SensorKind::AirQuality => "air_quality",
            SensorKind::Noise => "noise",
            SensorKind::Temperature => "temperature",
            SensorKind::VideoCount => "video_count",
            SensorKind::VideoDensity => "video_density",
            SensorKind::VideoCounterFlow => "video_counter_flow",
            SensorKind::VideoIntrusion => "video_intrusion",
            SensorKind::VideoFlow => "video_flow",
            SensorKind::VideoClosePairs => "video_close_pairs",
        }
    }

    /// Whether readings of this kind come from Vigie's own video analytics rather than from a
    /// field device (the simulator leaves them to the vision worker).
    pub fn is_video(self) -> bool {
        matches!(
            self,
            SensorKind::VideoCount
                | SensorKind::VideoDensity
                | SensorKind::VideoCounterFlow
                | SensorKind::VideoIntrusion
                | SensorKind::VideoFlow
                | SensorKind::VideoClosePairs
        )
    }
}

/// A sensor of the city: a gauge, a detector, a counter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sensor {
    pub id: SensorId,
    #[serde(default)]
    pub name: Option<String>,
    pub kind: SensorKind,
    /// The unit of its readings (`m`, `veh/h`, `persons`); readings in another unit are refused.
    pub unit: String,
    pub lon: f64,
    pub lat: f64,
    pub commune: CommuneId,
    /// The building, river or area it belongs to.
    #[serde(default)]
    pub zone: Option<ZoneId>,
    /// How much its alarms matter, from 1 (low) to 5 (life safety).
    pub criticality: u8,
    /// The longest expected gap between two messages (readings or heartbeats), in seconds.
    pub expected_period_s: u32,
}

/// A camera, with what it can see.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Camera {
    pub id: CameraId,
    pub name: String,
    pub lon: f64,
    pub lat: f64,
    /// Where it looks, in degrees clockwise from north, in `[0, 360)`.
    pub heading_deg: f64,
    /// How wide it sees, in degrees, in `(0, 360]`; 360 for a dome.
    pub fov_deg: f64,
    /// How far it usefully sees, in metres.
    pub range_m: f64,
    pub commune: CommuneId,
    #[serde(default)]
    pub zone: Option<ZoneId>,
    /// The live stream, served by the video management system.
    pub stream_url: String,
    #[serde(default)]
    pub snapshot_url: Option<String>,
}

impl Camera {
    /// Returns the camera's field of view.
    pub fn field_of_view(&self) -> FieldOfView {
        FieldOfView {
            position: [self.lon, self.lat],
            heading_deg: self.heading_deg,
            fov_deg: self.fov_deg,
            range_m: self.range_m,
        }
    }
}

/// What a zone is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ZoneKind {
    River,
    /// A road along a river, closed when the river floods.
    RiversideRoad,
    /// A square, park, arena or stadium where crowds gather.
    EventArea,
    PublicBuilding,
    MainRoad,
}

impl ZoneKind {
    /// Every kind, in the order the pack documents them.
    pub const ALL: [ZoneKind; 5] =
        [ZoneKind::River, ZoneKind::RiversideRoad, ZoneKind::EventArea, ZoneKind::PublicBuilding, ZoneKind::MainRoad];

    /// Returns the kind's name as the pack writes it (`riverside_road`).
    pub fn as_str(self) -> &'static str {
        match self {
            ZoneKind::River => "river",
            ZoneKind::RiversideRoad => "riverside_road",
            ZoneKind::EventArea => "event_area",
            ZoneKind::PublicBuilding => "public_building",
            ZoneKind::MainRoad => "main_road",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<ZoneKind> {
        ZoneKind::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

/// A zone of the city: a river, a road, an event area, a building.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Zone {
    pub id: ZoneId,
    pub name: String,
    pub kind: ZoneKind,
    /// The commune in charge; a river or a road may cross others.
    pub commune: CommuneId,
    pub geometry: Geometry,
}

/// A patrol or intervention unit, attached to a command post.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unit {
    pub id: UnitId,
    pub name: String,
    pub post: PostId,
    /// What the unit is (`police_patrol`, `road_crew`...).
    pub kind: String,
    /// Where it starts from.
    pub home: Position,
}

/// A routing rule: incidents of `category` go to `post`, when the incident's commune is one
/// of `communes` and its zone one of `zones` (an empty list matches anything). The first
/// matching rule wins.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    pub category: CategoryId,
    pub post: PostId,
    #[serde(default)]
    pub communes: Vec<CommuneId>,
    #[serde(default)]
    pub zones: Vec<ZoneId>,
}

impl Route {
    /// Tells whether the rule applies to every incident of its category.
    pub fn is_catch_all(&self) -> bool {
        self.communes.is_empty() && self.zones.is_empty()
    }

    /// Tells whether the rule applies to an incident in `commune` and `zone`.
    pub fn matches(&self, category: &CategoryId, commune: Option<&CommuneId>, zone: Option<&ZoneId>) -> bool {
        let commune_matches =
            self.communes.is_empty() || commune.is_some_and(|commune| self.communes.contains(commune));
        let zone_matches = self.zones.is_empty() || zone.is_some_and(|zone| self.zones.contains(zone));
        &self.category == category && commune_matches && zone_matches
    }
}

/// How long each class of data is kept (`[retention]` of city.toml).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    /// Video-derived snapshots and clips, in days: at most 30 (one month, Code de la sécurité
    /// intérieure L252-5), unless an open incident or a legal hold keeps them.
    #[serde(default = "Retention::default_video_derived_days")]
    pub video_derived_days: u32,
}

impl Retention {
    /// The longest retention the law allows for video-derived data, in days.
    pub const MAX_VIDEO_DERIVED_DAYS: u32 = 30;

    fn default_video_derived_days() -> u32 {
        Retention::MAX_VIDEO_DERIVED_DAYS
    }

    /// Returns the retention of video-derived data, in milliseconds.
    pub fn video_derived_ms(&self) -> i64 {
        i64::from(self.video_derived_days) * 24 * 3600 * 1000
    }
}

impl Default for Retention {
    fn default() -> Retention {
        Retention { video_derived_days: Retention::MAX_VIDEO_DERIVED_DAYS }
    }
}
