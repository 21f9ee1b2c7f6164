//! [`City`]: a loaded, valid city pack, and the questions the rest of Vigie asks it (which post
//! handles this incident, which commune is this point in, which cameras see it).

use crate::geo::{Geometry, round_position};
use crate::model::{Camera, CommandPost, Commune, Retention, Role, Route, Sensor, Unit, Zone};
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
    /// How long each class of data is kept.
    pub retention: Retention,
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
    items.iter().enumerate().map(|(position, item)| (key(item).clone(), position)).collect()
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
    pub(crate) retention: Retention,
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
            retention: parts.retention,
            index,
        }
    }

    /// Returns the command post that handles an incident of `category` in `commune` and `zone`:
    /// the post of the first routing rule that matches. When `commune` is `None` and the zone
    /// is known, the zone's commune is used. Returns `None` only for a category the pack does
    /// not know, since every known category ends with a catch-all rule.
    pub fn route(&self, category: &CategoryId, commune: Option<&CommuneId>, zone: Option<&ZoneId>) -> Option<&PostId> {
        let commune = commune.or_else(|| zone.and_then(|zone| self.zone(zone)).map(|zone| &zone.commune));
        self.routing.iter().find(|route| route.matches(category, commune, zone)).map(|route| &route.post)
    }

    /// Returns the commune whose boundary contains the point, if any.
    pub fn commune_at(&self, lon: f64, lat: f64) -> Option<&Commune> {
        self.communes.iter().find(|commune| commune.boundary.contains([lon, lat]))
    }

    /// Returns the commune with this id.
    pub fn commune(&self, id: &CommuneId) -> Option<&Commune> {
        self.index.communes.get(id).map(|&position| &self.communes[position])
    }

    /// Returns the sensor with this id.
    pub fn sensor(&self, id: &SensorId) -> Option<&Sensor> {
        self.index.sensors.get(id).map(|&position| &self.sensors[position])
    }

    /// Returns the camera with this id.
    pub fn camera(&self, id: &CameraId) -> Option<&Camera> {
        self.index.cameras.get(id).map(|&position| &self.cameras[position])
    }

    /// Returns the unit with this id.
    pub fn unit(&self, id: &UnitId) -> Option<&Unit> {
        self.index.units.get(id).map(|&position| &self.units[position])
    }

    /// Returns the command post with this id.
    pub fn post(&self, id: &PostId) -> Option<&CommandPost> {
        self.index.posts.get(id).map(|&position| &self.posts[position])
    }

    /// Returns the zone with this id.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::{LocalFrame, Position};
    use crate::model::ZoneKind;

    fn id<T: TryFrom<String>>(text: &str) -> T {
        match T::try_from(text.to_owned()) {
            Ok(id) => id,
            Err(_) => panic!("`{text}` is a valid id"),
        }
    }

    fn square(west: f64, south: f64, east: f64, north: f64) -> Geometry {
        Geometry::Polygon(vec![vec![[west, south], [east, south], [east, north], [west, north], [west, south]]])
    }

    fn camera(name: &str, position: Position, heading_deg: f64, fov_deg: f64, range_m: f64) -> Camera {
        Camera {
            id: id(name),
            name: name.to_owned(),
            lon: position[0],
            lat: position[1],
            heading_deg,
            fov_deg,
            range_m,
            commune: id("21231"),
            zone: None,
            stream_url: format!("rtsp://vms.demo.invalid/cam/{name}"),
            snapshot_url: None,
        }
    }

    const TARGET: Position = [5.0415, 47.3213];

    /// The position `metres` from the target at `bearing_deg` clockwise from north.
    fn from_target(bearing_deg: f64, metres: f64) -> Position {
        let radians = bearing_deg.to_radians();
        LocalFrame::new(TARGET).to_position([metres * radians.sin(), metres * radians.cos()])
    }

    fn route(category: &str, post: &str, communes: &[&str], zones: &[&str]) -> Route {
        Route {
            category: id(category),
            post: id(post),
            communes: communes.iter().map(|commune| id(commune)).collect(),
            zones: zones.iter().map(|zone| id(zone)).collect(),
        }
    }

    fn city(cameras: Vec<Camera>) -> City {
        City::from_parts(CityParts {
            name: "Testville".to_owned(),
            timezone: "Europe/Paris".to_owned(),
            center: TARGET,
            communes: vec![
                Commune {
                    id: id("21231"),
                    name: "Dijon".to_owned(),
                    population: None,
                    boundary: square(5.0, 47.3, 5.1, 47.4),
                },
                Commune {
                    id: id("21166"),
                    name: "Chenôve".to_owned(),
                    population: None,
                    boundary: square(5.0, 47.2, 5.1, 47.3),
                },
            ],
            posts: Vec::new(),
            roles: Vec::new(),
            sensors: Vec::new(),
            cameras,
            zones: vec![Zone {
                id: id("bibliotheque"),
                name: "Bibliothèque".to_owned(),
                kind: ZoneKind::PublicBuilding,
                commune: id("21231"),
                geometry: square(5.04, 47.32, 5.043, 47.322),
            }],
            units: Vec::new(),
            routing: vec![
                route("fire", "batiments-publics", &[], &["bibliotheque"]),
                route("fire", "police-municipale", &["21231"], &[]),
                route("fire", "securite-espace-public", &[], &[]),
            ],
            policies: IncidentPolicies::default(),
            retention: Retention::default(),
        })
    }

    #[test]
    fn routing_prefers_the_zone_rule_then_the_commune_rule_then_the_catch_all() {
        let city = city(Vec::new());
        let fire: CategoryId = id("fire");
        let dijon: CommuneId = id("21231");
        let chenove: CommuneId = id("21166");
        let library: ZoneId = id("bibliotheque");
        let post = |commune, zone| city.route(&fire, commune, zone).map(PostId::as_str);
        assert_eq!(post(Some(&dijon), Some(&library)), Some("batiments-publics"));
        assert_eq!(post(Some(&dijon), None), Some("police-municipale"));
        assert_eq!(post(Some(&chenove), None), Some("securite-espace-public"));
        assert_eq!(post(None, None), Some("securite-espace-public"));
        // The zone's commune stands in for a missing commune.
        let unknown_zone: ZoneId = id("nowhere");
        assert_eq!(post(None, Some(&library)), Some("batiments-publics"));
        assert_eq!(post(None, Some(&unknown_zone)), Some("securite-espace-public"));
        assert_eq!(city.route(&id("flood"), Some(&dijon), None), None);
    }

    #[test]
    fn finds_the_commune_at_a_point() {
        let city = city(Vec::new());
        assert_eq!(city.commune_at(5.05, 47.35).map(|commune| commune.name.as_str()), Some("Dijon"));
        assert_eq!(city.commune_at(5.05, 47.25).map(|commune| commune.name.as_str()), Some("Chenôve"));
        assert!(city.commune_at(4.9, 47.35).is_none());
    }

    #[test]
    fn cameras_seeing_a_point_are_ranked_by_distance() {
        let cameras = vec![
            // 80 m south, looking north at the target: sees it.
            camera("cam-far", from_target(180.0, 80.0), 0.0, 60.0, 100.0),
            // 30 m west, looking east: sees it, and is nearer.
            camera("cam-near", from_target(270.0, 30.0), 90.0, 40.0, 50.0),
            // 30 m west, looking north: the target is 90° off its axis.
            camera("cam-aside", from_target(270.0, 30.0), 0.0, 90.0, 100.0),
            // 150 m north, looking south, but it sees 100 m only.
            camera("cam-short", from_target(0.0, 150.0), 180.0, 60.0, 100.0),
            // 50 m north-east of the target would be at bearing 225 from the camera: a heading
            // of 350 with 60° does not cover it; a dome does.
            camera("cam-dome", from_target(45.0, 50.0), 350.0, 360.0, 60.0),
            // 40 m south-west, the target at bearing 45 from it; heading 10, 80° wide: 10 ± 40
            // covers 330..50 across north.
            camera("cam-wrap", from_target(225.0, 40.0), 10.0, 80.0, 60.0),
        ];
        let city = city(cameras);
        let seeing: Vec<(&str, i64)> = city
            .cameras_seeing(TARGET[0], TARGET[1])
            .into_iter()
            .map(|(camera, distance)| (camera.id.as_str(), distance.round() as i64))
            .collect();
        assert_eq!(seeing, [("cam-near", 30), ("cam-wrap", 40), ("cam-dome", 50), ("cam-far", 80)]);
    }

    #[test]
    fn looks_things_up_by_id() {
        let city = city(vec![camera("cam-dijon-0001", TARGET, 0.0, 60.0, 50.0)]);
        assert_eq!(city.camera(&id("cam-dijon-0001")).map(|camera| camera.name.as_str()), Some("cam-dijon-0001"));
        assert!(city.camera(&id("cam-dijon-0002")).is_none());
        assert_eq!(city.zone(&id("bibliotheque")).map(|zone| zone.kind), Some(ZoneKind::PublicBuilding));
        assert_eq!(city.commune(&id("21166")).map(|commune| commune.name.as_str()), Some("Chenôve"));
    }

    #[test]
    fn geojson_has_one_feature_per_thing_and_a_cone_per_camera() {
        let city = city(vec![camera("cam-dijon-0001", TARGET, 0.0, 60.0, 50.0)]);
        let collection = city.to_geojson();
        let layers: Vec<&str> = collection["features"]
            .as_array()
            .map(|features| features.iter().filter_map(|feature| feature["properties"]["layer"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(layers, ["commune", "commune", "zone", "camera", "camera_fov"]);
        assert_eq!(collection["features"][4]["geometry"]["type"], "Polygon");
        assert_eq!(collection["features"][4]["properties"]["id"], "cam-dijon-0001");
        assert_eq!(collection["features"][0]["geometry"]["type"], "Polygon");
    }
}
