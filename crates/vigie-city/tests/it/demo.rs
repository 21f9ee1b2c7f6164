//! The demo pack `cities/demo-metropole`: it loads, and it looks like Dijon Métropole.

use crate::demo_dir;
use std::collections::BTreeMap;
use vigie_city::{City, SensorKind, ZoneKind};
use vigie_core::{CategoryId, CommuneId, PostId, SensorId, ZoneId};

fn demo() -> City {
    match vigie_city::load(&demo_dir()) {
        Ok(city) => city,
        Err(errors) => panic!("the demo pack must load:\n{errors}"),
    }
}

fn id<T: TryFrom<String>>(text: &str) -> T {
    match T::try_from(text.to_owned()) {
        Ok(id) => id,
        Err(_) => panic!("`{text}` is a valid id"),
    }
}

#[test]
fn demo_pack_has_the_metropolis_figures() {
    let city = demo();
    assert_eq!(city.timezone, "Europe/Paris");
    assert_eq!(city.communes.len(), 23);
    assert_eq!(city.posts.len(), 6);
    assert!(city.cameras.len() >= 269, "{} cameras", city.cameras.len());
    assert!(city.sensors.len() >= 200, "{} sensors", city.sensors.len());
    assert!(city.units.len() >= 20, "{} units", city.units.len());
    assert_eq!(city.roles.len(), 6);
    let categories: Vec<&str> = city.policies.categories.keys().map(CategoryId::as_str).collect();
    for category in ["fire", "intrusion", "flood", "traffic", "crowd", "sensor_fault", "public_order", "video_alert"] {
        assert!(categories.contains(&category), "missing category {category}");
    }
    let mut zone_kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for zone in &city.zones {
        *zone_kinds.entry(zone.kind.as_str()).or_default() += 1;
    }
    assert!(zone_kinds["riverside_road"] >= 2);
    assert!(zone_kinds["public_building"] >= 20);
    assert!(zone_kinds["event_area"] >= 4);
    let neuilly_crimolois = city.commune(&id::<CommuneId>("21452")).map(|commune| commune.name.as_str());
    assert_eq!(neuilly_crimolois, Some("Neuilly-Crimolois"));
}

#[test]
fn library_and_ice_rink_have_fire_and_intrusion_detectors() {
    let city = demo();
    for building in ["bibliotheque", "patinoire-trimolet"] {
        let building: ZoneId = id(building);
        assert_eq!(city.zone(&building).map(|zone| zone.kind), Some(ZoneKind::PublicBuilding));
        for kind in [SensorKind::Smoke, SensorKind::Heat, SensorKind::Intrusion] {
            assert!(
                city.sensors.iter().any(|sensor| sensor.zone.as_ref() == Some(&building) && sensor.kind == kind),
                "{building} has no {} sensor",
                kind.as_str()
            );
        }
    }
    let smoke = city.sensor(&id::<SensorId>("smoke-bibliotheque-01"));
    assert_eq!(smoke.map(|sensor| sensor.unit.as_str()), Some("state"));
    let gauges = city.sensors.iter().filter(|sensor| sensor.kind == SensorKind::RiverLevel).count();
    assert!(gauges >= 6, "{gauges} river gauges");
}

#[test]
fn flood_playbook_closes_both_riverside_roads() {
    let city = demo();
    let flood = &city.policies.categories[&id::<CategoryId>("flood")];
    let steps: Vec<&str> = flood.playbook.iter().map(|step| step.id.as_str()).collect();
    let position = |step: &str| steps.iter().position(|id| *id == step);
    assert_eq!(position("prevenir-cellule-crise"), Some(0));
    assert!(position("fermer-berge-a") < position("fermer-berge-b"));
    assert!(position("alerter-population").is_some());
    assert!(city.zone(&id("berge-ouche-a")).is_some() && city.zone(&id("berge-ouche-b")).is_some());
}

#[test]
fn demo_routing_sends_incidents_to_the_right_post() {
    let city = demo();
    let dijon: CommuneId = id("21231");
    let chenove: CommuneId = id("21166");
    let post = |category: &str, commune: Option<&CommuneId>, zone: Option<&str>| {
        let zone: Option<ZoneId> = zone.map(id);
        city.route(&id(category), commune, zone.as_ref()).map(PostId::as_str).map(str::to_owned)
    };
    assert_eq!(post("fire", Some(&dijon), Some("bibliotheque")).as_deref(), Some("batiments-publics"));
    assert_eq!(post("fire", Some(&dijon), None).as_deref(), Some("securite-espace-public"));
    assert_eq!(post("flood", Some(&dijon), Some("berge-ouche-a")).as_deref(), Some("cellule-crise"));
    assert_eq!(post("public_order", Some(&dijon), None).as_deref(), Some("police-municipale"));
    assert_eq!(post("public_order", Some(&chenove), None).as_deref(), Some("securite-espace-public"));
    assert_eq!(post("crowd", None, Some("zenith")).as_deref(), Some("securite-espace-public"));
    assert_eq!(post("video_alert", Some(&chenove), None).as_deref(), Some("csu-video"));
    for category in city.policies.categories.keys() {
        assert!(city.route(category, None, None).is_some(), "{category} has no catch-all");
    }
}

#[test]
fn demo_points_fall_in_their_communes() {
    let city = demo();
    let commune_at = |lon, lat| city.commune_at(lon, lat).map(|commune| commune.id.as_str().to_owned());
    assert_eq!(commune_at(5.0415, 47.3213).as_deref(), Some("21231"), "Place de la Libération");
    assert_eq!(commune_at(5.0085, 47.2930).as_deref(), Some("21166"), "Chenôve");
    // The former Crimolois is part of Neuilly-Crimolois.
    assert_eq!(commune_at(5.1250, 47.2700).as_deref(), Some("21452"));
    assert_eq!(commune_at(5.1060, 47.2760).as_deref(), Some("21452"));
    assert_eq!(commune_at(4.80, 47.32), None, "west of the metropolis");
    // The generator places every device strictly inside its commune.
    for camera in &city.cameras {
        assert_eq!(commune_at(camera.lon, camera.lat).as_deref(), Some(camera.commune.as_str()), "{}", camera.id);
    }
    for sensor in &city.sensors {
        assert_eq!(commune_at(sensor.lon, sensor.lat).as_deref(), Some(sensor.commune.as_str()), "{}", sensor.id);
    }
}

#[test]
fn demo_cameras_are_denser_in_dijon_and_watch_the_libération_square() {
    let city = demo();
    let in_dijon = city.cameras.iter().filter(|camera| camera.commune.as_str() == "21231").count();
    assert!(in_dijon * 2 > city.cameras.len(), "{in_dijon} of {} cameras in Dijon", city.cameras.len());
    let communes_with_cameras: std::collections::BTreeSet<&str> =
        city.cameras.iter().map(|camera| camera.commune.as_str()).collect();
    assert_eq!(communes_with_cameras.len(), 23);
    let seeing = city.cameras_seeing(5.0415, 47.3211);
    assert!(!seeing.is_empty());
    assert!(seeing.windows(2).all(|pair| pair[0].1 <= pair[1].1), "nearest first");
    for camera in &city.cameras {
        assert_eq!(camera.stream_url, format!("rtsp://vms.demo.invalid/cam/{}", camera.id));
    }
}

#[test]
fn demo_geojson_has_every_layer() {
    let city = demo();
    let collection = city.to_geojson();
    let mut layers: BTreeMap<String, usize> = BTreeMap::new();
    for feature in collection["features"].as_array().into_iter().flatten() {
        let layer = feature["properties"]["layer"].as_str().unwrap_or("none").to_owned();
        *layers.entry(layer).or_default() += 1;
    }
    assert_eq!(layers["commune"], 23);
    assert_eq!(layers["camera"], city.cameras.len());
    assert_eq!(layers["camera_fov"], city.cameras.len());
    assert_eq!(layers["sensor"], city.sensors.len());
    assert_eq!(layers["zone"], city.zones.len());
    assert_eq!(layers["unit"], city.units.len());
    assert_eq!(layers["post"], 6);
    // The city serialises for the HTTP API.
    let json = serde_json::to_value(&city).map(|value| value["communes"][0]["boundary"]["type"].clone());
    assert_eq!(json.ok(), Some(serde_json::json!("Polygon")));
}
