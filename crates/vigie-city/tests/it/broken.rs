//! Broken packs: each error names the file, the line or the path, and what is wrong; every
//! error is reported, not just the first.

use crate::TempPack;
use vigie_city::CityErrors;

const CITY: &str = r#"version = 1
name = "Testville"
timezone = "Europe/Paris"
center = [5.025, 47.32]

[[communes]]
id = "21231"
name = "Dijon"
population = 159000

[[communes]]
id = "21166"
name = "Chenôve"

[[posts]]
id = "batiments-publics"
name_fr = "Bâtiments publics"
name_en = "Public buildings"

[[posts]]
id = "police-municipale"
name_fr = "Police municipale"
name_en = "Municipal police"
location = [5.02, 47.32]

[[roles]]
id = "operator"
name_fr = "Opérateur"
name_en = "Operator"
description_fr = "Traite les incidents de son poste."
description_en = "Handles the incidents of their post."

[[sensors]]
id = "smoke-bibliotheque-01"
kind = "smoke"
unit = "state"
lon = 5.0401
lat = 47.3201
commune = "21231"
zone = "bibliotheque"
criticality = 5
expected_period_s = 3600

[[cameras]]
id = "cam-dijon-0001"
name = "Bibliothèque — entrée"
lon = 5.0395
lat = 47.3195
heading_deg = 45.0
fov_deg = 70.0
range_m = 80.0
commune = "21231"
zone = "bibliotheque"
stream_url = "rtsp://vms.demo.invalid/cam/cam-dijon-0001"

[[units]]
id = "pm-dijon-01"
name = "Patrouille 1"
post = "police-municipale"
kind = "police_patrol"
home = [5.02, 47.32]

[[routing]]
category = "fire"
post = "batiments-publics"
zones = ["bibliotheque"]

[[routing]]
category = "fire"
post = "police-municipale"
"#;

const COMMUNES: &str = r#"{"type": "FeatureCollection", "features": [
{"type": "Feature", "properties": {"id": "21231", "name": "Dijon"},
 "geometry": {"type": "Polygon", "coordinates": [[[5.0, 47.30], [5.05, 47.30], [5.05, 47.34], [5.0, 47.34], [5.0, 47.30]]]}},
{"type": "Feature", "properties": {"id": "21166", "name": "Chenôve"},
 "geometry": {"type": "Polygon", "coordinates": [[[5.0, 47.26], [5.05, 47.26], [5.05, 47.30], [5.0, 47.30], [5.0, 47.26]]]}}
]}
"#;

const ZONES: &str = r#"{"type": "FeatureCollection", "features": [
{"type": "Feature", "properties": {"id": "bibliotheque", "name": "Bibliothèque", "kind": "public_building", "commune": "21231"},
 "geometry": {"type": "Polygon", "coordinates": [[[5.039, 47.319], [5.041, 47.319], [5.041, 47.321], [5.039, 47.321], [5.039, 47.319]]]}},
{"type": "Feature", "properties": {"id": "berge-a", "name": "Voie sur berge A", "kind": "riverside_road", "commune": "21231"},
 "geometry": {"type": "LineString", "coordinates": [[5.01, 47.31], [5.03, 47.305]]}}
]}
"#;

const FIRE: &str = r#"label_fr = "Départ de feu"
label_en = "Fire"
default_priority = "p1"
ack_delay_s = 60

[[steps]]
id = "appeler-sdis"
title_fr = "Appeler les sapeurs-pompiers (18 / 112)"
title_en = "Call the fire brigade (18 / 112)"

[[steps]]
id = "evacuer"
title_fr = "Faire évacuer"
title_en = "Have the building evacuated"
"#;

/// The files of the valid synthetic pack, after `edit` changed them.
fn pack(name: &str, edit: impl FnOnce(&mut Files)) -> TempPack {
    let mut files = Files {
        city: CITY.to_owned(),
        communes: COMMUNES.to_owned(),
        zones: ZONES.to_owned(),
        playbooks: vec![("fire", FIRE.to_owned())],
    };
    edit(&mut files);
    let mut written =
        vec![("city.toml", files.city), ("communes.geojson", files.communes), ("zones.geojson", files.zones)];
    let playbook_paths: Vec<String> =
        files.playbooks.iter().map(|(category, _)| format!("playbooks/{category}.toml")).collect();
    for ((_, text), path) in files.playbooks.into_iter().zip(&playbook_paths) {
        written.push((path.as_str(), text));
    }
    TempPack::new(name, &written)
}

struct Files {
    city: String,
    communes: String,
    zones: String,
    playbooks: Vec<(&'static str, String)>,
}

/// Replaces the one occurrence of `from`.
fn replace(text: &mut String, from: &str, to: &str) {
    assert_eq!(text.matches(from).count(), 1, "`{from}` must occur once");
    *text = text.replacen(from, to, 1);
}

/// The 1-based line of the one occurrence of `needle` in `text`.
fn line_of(text: &str, needle: &str) -> usize {
    assert_eq!(text.matches(needle).count(), 1, "`{needle}` must occur once");
    let offset = text.find(needle).unwrap_or_default();
    text[..offset].matches('\n').count() + 1
}

fn errors_of(pack: &TempPack) -> Vec<String> {
    match pack.load() {
        Ok(city) => panic!("the pack `{}` should be refused", city.name),
        Err(CityErrors(errors)) => errors.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn the_synthetic_pack_is_valid() {
    let pack = pack("valid", |_| {});
    match pack.load() {
        Ok(city) => {
            assert_eq!(city.communes.len(), 2);
            assert_eq!(city.policies.categories.len(), 1);
        }
        Err(errors) => panic!("{errors}"),
    }
}

#[test]
fn toml_syntax_errors_give_line_and_column_and_nothing_else() {
    let pack = pack("syntax", |files| replace(&mut files.city, "name = \"Testville\"", "name = \"Testville"));
    let errors = errors_of(&pack);
    assert!(!errors.is_empty());
    assert!(errors.iter().all(|error| error.starts_with("city.toml: line ")), "{errors:#?}");
    assert!(errors[0].starts_with("city.toml: line 2, column "), "{errors:#?}");
}

#[test]
fn unsupported_version_is_the_only_error() {
    let pack = pack("version", |files| replace(&mut files.city, "version = 1", "version = 2"));
    assert_eq!(errors_of(&pack), ["city.toml: version (line 1): unsupported version 2, this Vigie reads version 1"]);
}

#[test]
fn unknown_references_name_the_path_and_line() {
    let pack = pack("references", |files| {
        replace(
            &mut files.city,
            "commune = \"21231\"\nzone = \"bibliotheque\"\nstream_url",
            "commune = \"99999\"\nzone = \"bibliotheque\"\nstream_url",
        );
        replace(&mut files.city, "post = \"police-municipale\"\nkind", "post = \"pc-inconnu\"\nkind");
        replace(&mut files.city, "zone = \"bibliotheque\"\ncriticality", "zone = \"piscine\"\ncriticality");
        replace(&mut files.city, "zones = [\"bibliotheque\"]", "zones = [\"bibliotheque\", \"stade\"]");
    });
    let city = std::fs::read_to_string(pack.dir.join("city.toml")).unwrap_or_default();
    let errors = errors_of(&pack);
    assert_eq!(
        errors,
        [
            format!(
                "city.toml: sensors[0].zone (line {}): unknown zone `piscine`",
                line_of(&city, "zone = \"piscine\"")
            ),
            format!("city.toml: cameras[0].commune (line {}): unknown commune `99999`", line_of(&city, "\"99999\"")),
            format!("city.toml: units[0].post (line {}): unknown post `pc-inconnu`", line_of(&city, "pc-inconnu")),
            format!("city.toml: routing[0].zones[1] (line {}): unknown zone `stade`", line_of(&city, "\"stade\"")),
        ]
    );
}

#[test]
fn unknown_keys_and_bad_values_are_all_reported() {
    let pack = pack("values", |files| {
        replace(&mut files.city, "unit = \"state\"\n", "unit = \"state\"\ncolour = \"red\"\n");
        replace(&mut files.city, "fov_deg = 70.0", "fov_deg = 0.0");
        replace(&mut files.city, "range_m = 80.0", "range_m = -5.0");
        replace(&mut files.city, "heading_deg = 45.0", "heading_deg = 360.0");
        replace(&mut files.city, "center = [5.025, 47.32]", "center = [5.025, 47.32]\nmayor = \"x\"");
    });
    let city = std::fs::read_to_string(pack.dir.join("city.toml")).unwrap_or_default();
    let errors = errors_of(&pack);
    assert_eq!(errors.len(), 5, "{errors:#?}");
    assert!(
        errors.contains(&format!(
            "city.toml: sensors[0] (line {}, column 1): unknown field `colour`, expected one of `id`, `name`, `kind`, \
             `unit`, `lon`, `lat`, `commune`, `zone`, `criticality`, `expected_period_s`",
            line_of(&city, "colour")
        )),
        "{errors:#?}"
    );
    assert!(errors.contains(&format!(
        "city.toml: cameras[0].fov_deg (line {}): fov_deg 0 is outside (0, 360]",
        line_of(&city, "fov_deg")
    )));
    assert!(errors.contains(&format!(
        "city.toml: cameras[0].range_m (line {}): range_m -5 must be a positive number of metres",
        line_of(&city, "range_m")
    )));
    assert!(errors.contains(&format!(
        "city.toml: cameras[0].heading_deg (line {}): heading_deg 360 is outside [0, 360)",
        line_of(&city, "heading_deg")
    )));
    assert!(errors.contains(&format!(
        "city.toml: mayor (line {}): unknown key `mayor`, expected one of `version`, `name`, `timezone`, `center`, \
         `communes`, `posts`, `roles`, `sensors`, `cameras`, `units`, `routing`, `retention`",
        line_of(&city, "mayor")
    )));
}

#[test]
fn criticality_and_identifiers_are_checked() {
    let pack = pack("ids", |files| {
        replace(&mut files.city, "criticality = 5", "criticality = 7");
        replace(&mut files.city, "id = \"pm-dijon-01\"", "id = \"pm dijon 01\"");
    });
    let city = std::fs::read_to_string(pack.dir.join("city.toml")).unwrap_or_default();
    let errors = errors_of(&pack);
    let unit_line = line_of(&city, "pm dijon 01");
    assert_eq!(
        errors,
        [
            format!(
                "city.toml: units[0] (line {unit_line}, column 6): identifier contains ' '; allowed are ASCII letters, \
                 digits, '-', '_', '.' and ':'"
            ),
            format!(
                "city.toml: sensors[0].criticality (line {}): criticality 7 is outside 1..=5",
                line_of(&city, "criticality")
            ),
        ]
    );
}

#[test]
fn duplicate_ids_point_at_the_first_declaration() {
    let pack = pack("duplicates", |files| {
        let second_post = "\n[[posts]]\nid = \"batiments-publics\"\nname_fr = \"Doublon\"\nname_en = \"Duplicate\"\n";
        files.city.push_str(second_post);
    });
    let city = std::fs::read_to_string(pack.dir.join("city.toml")).unwrap_or_default();
    let first = line_of(&city, "[[posts]]\nid = \"batiments-publics\"\nname_fr = \"Bâtiments");
    let second = line_of(&city, "name_fr = \"Doublon\"") - 1;
    assert_eq!(
        errors_of(&pack),
        [format!(
            "city.toml: posts[2].id (line {second}): duplicate post id `batiments-publics`, first declared at posts[0] (line {first})"
        )]
    );
}

#[test]
fn points_outside_their_commune_are_refused() {
    let pack = pack("outside", |files| {
        // 0.05° east of Dijon's square: about 3.8 km.
        replace(&mut files.city, "lon = 5.0395", "lon = 5.1");
        // Chenôve's square is south of 47.30; the sensor sits 2.2 km north of it.
        replace(
            &mut files.city,
            "commune = \"21231\"\nzone = \"bibliotheque\"\ncriticality",
            "commune = \"21166\"\nzone = \"bibliotheque\"\ncriticality",
        );
        replace(&mut files.city, "home = [5.02, 47.32]", "home = [4.5, 47.32]");
    });
    let city = std::fs::read_to_string(pack.dir.join("city.toml")).unwrap_or_default();
    let errors = errors_of(&pack);
    let sensor_line = line_of(&city, "[[sensors]]");
    let camera_line = line_of(&city, "[[cameras]]");
    assert_eq!(errors.len(), 4, "{errors:#?}");
    assert_eq!(
        errors[0],
        format!(
            "city.toml: sensors[0] (line {sensor_line}): position 5.0401, 47.3201 lies 2235 m outside its commune 21166 \
             (Chenôve); the tolerance is 200 m"
        )
    );
    assert!(errors[1].starts_with(&format!("city.toml: cameras[0] (line {camera_line}): position 5.1, 47.3195 lies ")));
    assert!(errors[1].ends_with(" m outside its commune 21231 (Dijon); the tolerance is 200 m"), "{}", errors[1]);
    assert!(errors[2].starts_with(&format!("city.toml: cameras[0] (line {camera_line}): position 5.1, 47.3195 lies ")));
    assert!(errors[2].ends_with(" m from its zone `bibliotheque`; the tolerance is 200 m"), "{}", errors[2]);
    assert!(errors[3].starts_with(&format!(
        "city.toml: units[0].home (line {}): position 4.5, 47.32 lies ",
        line_of(&city, "home = ")
    )));
}

#[test]
fn routing_needs_playbooks_and_playbooks_need_routing() {
    let pack = pack("routing", |files| {
        files.city.push_str("\n[[routing]]\ncategory = \"flood\"\npost = \"police-municipale\"\n");
        files.playbooks.push(("crowd", FIRE.replace("Départ de feu", "Foule")));
    });
    let city = std::fs::read_to_string(pack.dir.join("city.toml")).unwrap_or_default();
    assert_eq!(
        errors_of(&pack),
        [
            format!(
                "city.toml: routing[2].category (line {}): category `flood` has no playbook (playbooks/flood.toml)",
                line_of(&city, "\"flood\"")
            ),
            "playbooks/crowd.toml: category `crowd` has no [[routing]] rule in city.toml".to_owned(),
        ]
    );
}

#[test]
fn each_category_needs_a_final_catch_all() {
    let pack = pack("catch-all", |files| {
        // The last rule, the catch-all, now covers Dijon only.
        files.city.push_str("communes = [\"21231\"]\n");
    });
    let city = std::fs::read_to_string(pack.dir.join("city.toml")).unwrap_or_default();
    let last_rule = line_of(&city, "communes = [\"21231\"]") - 3;
    assert_eq!(
        errors_of(&pack),
        [format!(
            "city.toml: routing[1] (line {last_rule}): category `fire` has no catch-all rule (one without communes or \
             zones) after its other rules"
        )]
    );

    let pack = pack_with_rule_after_catch_all();
    let errors = errors_of(&pack);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(errors[0].contains("unreachable rule: the catch-all rule at routing[1] (line "), "{errors:#?}");
}

fn pack_with_rule_after_catch_all() -> TempPack {
    pack("unreachable", |files| {
        files
            .city
            .push_str("\n[[routing]]\ncategory = \"fire\"\npost = \"batiments-publics\"\ncommunes = [\"21166\"]\n");
    })
}

#[test]
fn invalid_geojson_names_the_feature_path() {
    let pack = pack("geojson", |files| {
        replace(&mut files.zones, "[5.039, 47.321], [5.039, 47.319]]]", "[5.039, 47.321], [5.0391, 47.319]]]");
        replace(&mut files.zones, "\"kind\": \"riverside_road\"", "\"kind\": \"canal\"");
        replace(&mut files.communes, "\"name\": \"Chenôve\"", "\"name\": \"Chenove\"");
    });
    // The library's outline is invalid, but the zone exists: the sensor and the camera that
    // refer to it are not reported again.
    assert_eq!(
        errors_of(&pack),
        [
            "communes.geojson: features[1].properties.name: name `Chenove` differs from `Chenôve` in city.toml",
            "zones.geojson: features[0].geometry.coordinates[0]: the ring is not closed: its first and last positions \
             differ",
            "zones.geojson: features[1].properties.kind: unknown zone kind `canal`, expected one of river, \
             riverside_road, event_area, public_building, main_road",
        ]
    );
}

#[test]
fn json_syntax_errors_give_line_and_column() {
    let pack = pack("json", |files| replace(&mut files.communes, "\"name\": \"Dijon\"}", "\"name\": \"Dijon\",}"));
    let communes = std::fs::read_to_string(pack.dir.join("communes.geojson")).unwrap_or_default();
    let line = line_of(&communes, ",}");
    let column = communes.lines().nth(line - 1).and_then(|text| text.find(",}")).unwrap_or_default() + 2;
    assert_eq!(errors_of(&pack), [format!("communes.geojson: line {line}, column {column}: trailing comma")]);
}

#[test]
fn missing_files_are_reported_without_their_consequences() {
    let pack = pack("missing", |files| files.playbooks.clear());
    let zones = pack.dir.join("zones.geojson");
    std::fs::remove_file(&zones).expect("the pack was just written");
    std::fs::remove_dir_all(pack.dir.join("playbooks")).ok();
    let errors = errors_of(&pack);
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert!(errors[0].starts_with("zones.geojson: cannot read the file: "), "{errors:#?}");
    assert!(errors[1].starts_with("playbooks: cannot read the folder: "), "{errors:#?}");
}

#[test]
fn playbook_errors_name_the_playbook_file() {
    let pack = pack("playbook", |files| {
        let fire = &mut files.playbooks[0].1;
        replace(fire, "default_priority = \"p1\"", "default_priority = \"urgent\"");
        replace(fire, "id = \"evacuer\"", "id = \"appeler-sdis\"");
    });
    let fire = FIRE.replace("\"p1\"", "\"urgent\"");
    let errors = errors_of(&pack);
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert!(
        errors[0].starts_with(&format!(
            "playbooks/fire.toml: default_priority (line {}, column 20): unknown variant `urgent`",
            line_of(&fire, "urgent")
        )),
        "{errors:#?}"
    );
    assert_eq!(
        errors[1],
        format!(
            "playbooks/fire.toml: steps[1].id (line {}): duplicate step id `appeler-sdis`, first declared at steps[0] \
             (line {})",
            line_of(&fire, "title_fr = \"Faire évacuer\"") - 1,
            line_of(&fire, "[[steps]]\nid = \"appeler-sdis\"\ntitle_fr = \"Appeler")
        )
    );
}

#[test]
fn every_error_of_every_file_is_collected() {
    let pack = pack("many", |files| {
        replace(&mut files.city, "criticality = 5", "criticality = 0");
        replace(&mut files.city, "fov_deg = 70.0", "fov_deg = 400.0");
        replace(
            &mut files.zones,
            "\"public_building\", \"commune\": \"21231\"",
            "\"public_building\", \"commune\": \"21000\"",
        );
        files.playbooks.push(("traffic", "label_fr = \"Circulation\"\n".to_owned()));
    });
    let errors = errors_of(&pack);
    let files: Vec<&str> = errors.iter().filter_map(|error| error.split(':').next()).collect();
    assert_eq!(
        files,
        [
            "city.toml",
            "city.toml",
            "zones.geojson",
            "playbooks/traffic.toml",
            "playbooks/traffic.toml",
            "playbooks/traffic.toml",
            "playbooks/traffic.toml",
            "playbooks/traffic.toml",
        ],
        "{errors:#?}"
    );
    assert!(errors.contains(&"playbooks/traffic.toml: missing key `label_en`".to_owned()), "{errors:#?}");
    assert!(
        errors.contains(&"playbooks/traffic.toml: category `traffic` has no [[routing]] rule in city.toml".to_owned())
    );
}
