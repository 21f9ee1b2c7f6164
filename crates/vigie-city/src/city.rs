//! [`City`]: a loaded, valid city pack, and the questions the rest of Vigie asks it (which post
//! handles this incident, which commune is this point in, which cameras see it).

use crate::geo::{Geometry, round_position};
use crate::model::{Camera, CommandPost, Commune, Role, Route, Sensor, Unit, Zone};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use vigie_core::incident::IncidentPolicies;
use vigie_core::{CameraId, CategoryId, CommuneId, PostId, SensorId, UnitId, ZoneId};

/// A city, as its pack describes it. Built by [`load`](crate::load), which checks every
/// reference, so a sensor's commune, a unit's post or a route's category always exist.
#[derive(Clone, Debug, Serialize)]
pub struct City {
    pub name: String,
    /// An IANA time zone (`Europe/Paris`).
    pub timezone: String,
    /// Where the map opens, `[lon, lat]`.
    pub center: [f64; 2],
    pub communes: Vec<Commune>,
    pub posts: Vec<CommandPost>,
    pub roles: Vec<Role>,
    pub sensors: Vec<Sensor>,
    pub cameras: Vec<Camera>,
    pub zones: Vec<Zone>,
    pub units: Vec<Unit>,
    /// In order: the first matching rule wins.
    pub routing: Vec<Route>,
    /// One policy (labels, priority, acknowledgement delay, playbook) per incident category.
    pub policies: IncidentPolicies,
    #[serde(skip)]
    index: Index,
}

/// Positions in the lists above, by id.
#[derive(Clone, Debug, Default)]
struct Index {
    communes: HashMap<CommuneId, usize>,
    posts: HashMap<PostId, usize>,
    sensors: HashMap<SensorId, usize>,
    cameras: HashMap<CameraId, usize>,
    zones: HashMap<ZoneId, usize>,
    units: HashMap<UnitId, usize>,
}

fn positions<K: std::hash::Hash + Eq + Clone, T>(items: &[T], key: impl Fn(&T) -> &K) -> HashMap<K, usize> {
    items
        .iter()
        .enumerate()
        .map(|(position, item)| (key(item).clone(), position))
        .collect()
}

/// The parts of a city, before its lookup tables are built.
pub(crate) struct CityParts {
    pub(crate) name: String,
    pub(crate) timezone: String,
    pub(crate) center: [f64; 2],
    pub(crate) communes: Vec<Commune>,
    pub(crate) posts: Vec<CommandPost>,
    pub(crate) roles: Vec<Role>,
    pub(crate) sensors: Vec<Sensor>,
    pub(crate) cameras: Vec<Camera>,
    pub(crate) zones: Vec<Zone>,
    pub(crate) units: Vec<Unit>,
    pub(crate) routing: Vec<Route>,
    pub(crate) policies: IncidentPolicies,
}

impl City {
    /// Builds the lookup tables. The caller has checked that ids are unique.
    pub(crate) fn from_parts(parts: CityParts) -> City {
        let index = Index {
            communes: positions(&parts.communes, |commune| &commune.id),
            posts: positions(&parts.posts, |post| &post.id),
            sensors: positions(&parts.sensors, |sensor| &sensor.id),
            cameras: positions(&parts.cameras, |camera| &camera.id),
            zones: positions(&parts.zones, |zone| &zone.id),
            units: positions(&parts.units, |unit| &unit.id),
        };
        City {
            name: parts.name,
            timezone: parts.timezone,
            center: parts.center,
            communes: parts.communes,
            posts: parts.posts,
            roles: parts.roles,
            sensors: parts.sensors,
            cameras: parts.cameras,
            zones: parts.zones,
            units: parts.units,
            routing: parts.routing,
            policies: parts.policies,
            index,
        }
    }

    /// Returns the command post that handles an incident of `category` in `commune` and `zone`:
    /// the post of the first routing rule that matches. When `commune` is `None` and the zone
    /// is known, the zone's commune is used. Returns `None` only for a category the pack does
    /// not know, since every known category ends with a catch-all rule.
    pub fn route(&self, category: &CategoryId, commune: Option<&CommuneId>, zone: Option<&ZoneId>) -> Option<&PostId> {
        let commune = commune.or_else(|| zone.and_then(|zone| self.zone(zone)).map(|zone| &zone.commune));
        self.routing
            .iter()
            .find(|route| route.matches(category, commune, zone))
            .map(|route| &route.post)
    }

    /// Returns the commune whose boundary contains the point, if any.
    pub fn commune_at(&self, lon: f64, lat: f64) -> Option<&Commune> {
        self.communes.iter().find(|commune| commune.boundary.contains([lon, lat]))
    }

    pub fn commune(&self, id: &CommuneId) -> Option<&Commune> {
        self.index.communes.get(id).map(|&position| &self.communes[position])
    }

    pub fn sensor(&self, id: &SensorId) -> Option<&Sensor> {
        self.index.sensors.get(id).map(|&position| &self.sensors[position])
    }

    pub fn camera(&self, id: &CameraId) -> Option<&Camera> {
        self.index.cameras.get(id).map(|&position| &self.cameras[position])
    }

    pub fn unit(&self, id: &UnitId) -> Option<&Unit> {
        self.index.units.get(id).map(|&position| &self.units[position])
    }

    pub fn post(&self, id: &PostId) -> Option<&CommandPost> {
        self.index.posts.get(id).map(|&position| &self.posts[position])
    }

    pub fn zone(&self, id: &ZoneId) -> Option<&Zone> {
        self.index.zones.get(id).map(|&position| &self.zones[position])
    }

    /// Returns the cameras whose field of view contains the point, nearest first, with their
    /// distance to it in metres. Equal distances are ordered by camera id.
    pub fn cameras_seeing(&self, lon: f64, lat: f64) -> Vec<(&Camera, f64)> {
        // A linear scan: a few thousand cameras take microseconds. A grid would pay off
        // past tens of thousands.
        let mut seeing: Vec<(&Camera, f64)> = self
            .cameras
            .iter()
            .filter_map(|camera| camera.field_of_view().sees([lon, lat]).map(|distance| (camera, distance)))
            .collect();
        seeing.sort_by(|(camera_a, distance_a), (camera_b, distance_b)| {
            distance_a.total_cmp(distance_b).then_with(|| camera_a.id.cmp(&camera_b.id))
        });
        seeing
    }

    /// Returns the city as one GeoJSON FeatureCollection for a map. Each feature has a
    /// `layer` property: `commune`, `zone`, `post` (posts with a location), `sensor`, `camera`,
    /// `camera_fov` (the field-of-view sector of the camera `id`) and `unit` (its home).
    pub fn to_geojson(&self) -> Value {
        let mut features = Vec::new();
        for commune in &self.communes {
            features.push(feature(
                &commune.boundary,
                json!({ "layer": "commune", "id": commune.id, "name": commune.name, "population": commune.population }),
            ));
        }
        for zone in &self.zones {
            features.push(feature(
                &zone.geometry,
                json!({
                    "layer": "zone", "id": zone.id, "name": zone.name,
                    "kind": zone.kind, "commune": zone.commune,
                }),
            ));
        }
        for post in &self.posts {
            if let Some(location) = post.location {
                features.push(feature(
                    &Geometry::Point(location),
                    json!({ "layer": "post", "id": post.id, "name_fr": post.name_fr, "name_en": post.name_en }),
                ));
            }
        }
        for sensor in &self.sensors {
            features.push(feature(
                &Geometry::Point([sensor.lon, sensor.lat]),
                json!({
                    "layer": "sensor", "id": sensor.id, "name": sensor.name, "kind": sensor.kind,
                    "unit": sensor.unit, "commune": sensor.commune, "zone": sensor.zone,
                    "criticality": sensor.criticality, "expected_period_s": sensor.expected_period_s,
                }),
            ));
        }
        for camera in &self.cameras {
            features.push(feature(
                &Geometry::Point([camera.lon, camera.lat]),
                json!({
                    "layer": "camera", "id": camera.id, "name": camera.name,
                    "heading_deg": camera.heading_deg, "fov_deg": camera.fov_deg, "range_m": camera.range_m,
                    "commune": camera.commune, "zone": camera.zone,
                    "stream_url": camera.stream_url, "snapshot_url": camera.snapshot_url,
                }),
            ));
            features.push(feature(
                &Geometry::Polygon(vec![camera.field_of_view().polygon()]),
                json!({ "layer": "camera_fov", "id": camera.id }),
            ));
        }
        for unit in &self.units {
            features.push(feature(
                &Geometry::Point(round_position(unit.home)),
                json!({ "layer": "unit", "id": unit.id, "name": unit.name, "post": unit.post, "kind": unit.kind }),
            ));
        }
        json!({ "type": "FeatureCollection", "name": self.name, "features": features })
    }
}

fn feature(geometry: &Geometry, properties: Value) -> Value {
    json!({ "type": "Feature", "properties": properties, "geometry": geometry })
}
