//! The city pack: the input's first byte picks a file of the small pack in `fuzz/pack/` (city.toml,
//! communes.geojson, zones.geojson, a playbook, or an extra playbook), the rest replaces that
//! file, and `vigie_city::load_texts` checks the pack as `vigie_city::load` checks a folder.
//!
//! Invariants: nothing panics; a pack that loads has every reference resolved (sensors, cameras
//! and units point at known communes, zones and posts; every routed category has a playbook, and
//! every category a catch-all route), and its queries (routing, commune at a point, cameras
//! seeing a point, GeoJSON) answer.

#![no_main]

use libfuzzer_sys::fuzz_target;
use vigie_city::City;
use vigie_fuzz::{small_pack, split_selector};

fuzz_target!(|data: &[u8]| {
    let Some((selector, rest)) = split_selector(data) else { return };
    // The loader reads files as UTF-8 text: anything else never reaches the checks.
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let mut pack = small_pack();
    match selector % 5 {
        0 => pack.city = text,
        1 => pack.communes = text,
        2 => pack.zones = text,
        3 => {
            let index = usize::from(selector / 5) % pack.playbooks.len();
            pack.playbooks[index].1 = text;
        }
        _ => pack.playbooks.push(("extra.toml", text)),
    }
    if let Ok(city) = vigie_city::load_texts(&pack.texts()) {
        check_loaded(&city);
    }
});

fn check_loaded(city: &City) {
    for sensor in &city.sensors {
        assert!(city.commune(&sensor.commune).is_some(), "sensor {} has a known commune", sensor.id);
        if let Some(zone) = &sensor.zone {
            assert!(city.zone(zone).is_some(), "sensor {} has a known zone", sensor.id);
        }
    }
    for camera in &city.cameras {
        assert!(city.commune(&camera.commune).is_some(), "camera {} has a known commune", camera.id);
    }
    for unit in &city.units {
        assert!(city.post(&unit.post).is_some(), "unit {} belongs to a known post", unit.id);
    }
    for route in &city.routing {
        assert!(city.post(&route.post).is_some(), "a route names a known post");
        assert!(city.policies.categories.contains_key(&route.category), "a routed category has a playbook");
        let routed = city.route(&route.category, route.communes.first(), route.zones.first());
        assert!(routed.is_some_and(|post| city.post(post).is_some()), "routing answers with a known post");
    }
    for category in city.policies.categories.keys() {
        let routed = city.route(category, None, None);
        assert!(routed.is_some(), "category {category} ends with a catch-all route");
    }
    let [lon, lat] = city.center;
    let _ = city.commune_at(lon, lat);
    for (camera, distance) in city.cameras_seeing(lon, lat) {
        assert!(distance.is_finite() && distance >= 0.0, "camera {} sees the centre at {distance} m", camera.id);
    }
    let _ = city.to_geojson();
}
