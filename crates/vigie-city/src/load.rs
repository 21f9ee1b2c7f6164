//! [`load`]: reads a pack's files, checks each one and then every reference between them,
//! and builds the [`City`] only when nothing is wrong.
//!
//! Every problem is collected, not just the first. A file that cannot be parsed at all is
//! reported once, and the checks that depend on it are skipped rather than flooding the report
//! with their consequences.

use crate::city::{City, CityParts};
use crate::error::{CityError, CityErrors};
use crate::geo::{Geometry, Position};
use crate::geojson::{self, Feature, check_lon_lat};
use crate::model::{Camera, CommandPost, Commune, CommuneEntry, Retention, Role, Route, Sensor, Unit, Zone, ZoneKind};
use crate::toml_doc::{Origin, TomlDocument};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Display;
use std::hash::Hash;
use std::path::{Path, PathBuf};
use vigie_core::incident::{CategoryPolicy, IncidentPolicies, PlaybookStep, Priority};
use vigie_core::{CategoryId, CommuneId, IdError, PostId, ZoneId};

/// The `version` of `city.toml` that this crate reads.
pub const SUPPORTED_VERSION: u32 = 1;

/// How far, in metres, a point may lie outside its commune (or a sensor from its zone)
/// before the pack is refused. Commune boundaries are generalised (IGN GEOFLA) and devices
/// often stand on the street that forms the border, so exact containment would refuse
/// honest packs; 200 m still catches a device given the wrong commune.
pub const POSITION_TOLERANCE_M: f64 = 200.0;

const CITY_FILE: &str = "city.toml";
const COMMUNES_FILE: &str = "communes.geojson";
const ZONES_FILE: &str = "zones.geojson";
const PLAYBOOKS_DIR: &str = "playbooks";

/// Reads the city pack in `dir` (`city.toml`, `communes.geojson`, `zones.geojson`,
/// `playbooks/*.toml`) and checks it. Returns every problem found, each naming its file
/// (relative to `dir`), where in it, and what is wrong.
pub fn load(dir: &Path) -> Result<City, CityErrors> {
    load_from(&Source::Folder(dir))
}

/// The texts of a pack's files, for tools that hold a pack in memory rather than in a folder
/// (editors, the fuzz targets). [`load_texts`] checks them exactly as [`load`] checks files.
#[derive(Clone, Copy, Debug)]
pub struct PackTexts<'a> {
    /// `city.toml`.
    pub city: &'a str,
    /// `communes.geojson`.
    pub communes: &'a str,
    /// `zones.geojson`.
    pub zones: &'a str,
    /// Each file of `playbooks/` as (file name, text), such as `("fire.toml", "...")`.
    pub playbooks: &'a [(&'a str, &'a str)],
}

/// Checks a pack held in memory; the same checks and errors as [`load`], with no file read.
pub fn load_texts(texts: &PackTexts<'_>) -> Result<City, CityErrors> {
    load_from(&Source::Texts(texts))
}

/// Where a pack's files come from.
enum Source<'a> {
    Folder(&'a Path),
    Texts(&'a PackTexts<'a>),
}

fn load_from(source: &Source<'_>) -> Result<City, CityErrors> {
    let mut errors = Vec::new();

    let city_text = read_text(source, Path::new(CITY_FILE), &mut errors);
    let declared = city_text.as_deref().and_then(|text| read_city_file(text, &mut errors));
    let communes_text = read_text(source, Path::new(COMMUNES_FILE), &mut errors);
    let commune_features = communes_text
        .as_deref()
        .and_then(|text| geojson::read_feature_collection(Path::new(COMMUNES_FILE), text, &mut errors));
    let zones_text = read_text(source, Path::new(ZONES_FILE), &mut errors);
    let zone_features = zones_text
        .as_deref()
        .and_then(|text| geojson::read_feature_collection(Path::new(ZONES_FILE), text, &mut errors));
    let playbooks = read_playbooks(source, &mut errors);

    let communes = check_communes(declared.as_ref(), commune_features.as_deref(), &mut errors);
    let (zones, zone_ids) = check_zones(declared.as_ref(), &communes, zone_features.as_deref(), &mut errors);
    if let Some(declared) = &declared {
        let context = Context {
            commune_ids: declared.communes.iter().map(|(entry, _)| entry.id.clone()).collect(),
            communes: communes.iter().map(|commune| (commune.id.clone(), commune)).collect(),
            zone_ids,
            zones: zones.iter().map(|zone| (zone.id.clone(), zone)).collect(),
            zones_checked: zone_features.is_some(),
            playbooks: playbooks.as_ref(),
        };
        check_city(declared, &context, &mut errors);
    }

    if !errors.is_empty() {
        // Group by file, in the order a reader fixes them; within a file, keep the checks' order.
        errors.sort_by_key(|error| file_rank(&error.file));
        return Err(CityErrors(errors));
    }
    match (declared, playbooks) {
        (Some(declared), Some(playbooks)) => Ok(build(declared, communes, zones, playbooks)),
        // Unreachable: a missing file or key has been reported as an error above.
        _ => Err(CityErrors(vec![CityError::new(CITY_FILE, None, "the pack is incomplete")])),
    }
}

fn file_rank(file: &Path) -> u8 {
    if file == Path::new(CITY_FILE) {
        0
    } else if file == Path::new(COMMUNES_FILE) {
        1
    } else if file == Path::new(ZONES_FILE) {
        2
    } else {
        3
    }
}

fn read_text(source: &Source<'_>, file: &Path, errors: &mut Vec<CityError>) -> Option<String> {
    let text = match source {
        Source::Folder(dir) => std::fs::read_to_string(dir.join(file)).map_err(|error| error.to_string()),
        Source::Texts(texts) => text_of(texts, file).map(str::to_owned).ok_or_else(|| "no such file".to_owned()),
    };
    match text {
        Ok(text) => Some(text),
        Err(error) => {
            errors.push(CityError::new(file, None, format!("cannot read the file: {error}")));
            None
        }
    }
}

/// The text of `file` (relative to the pack) among `texts`.
fn text_of<'a>(texts: &PackTexts<'a>, file: &Path) -> Option<&'a str> {
    if file == Path::new(CITY_FILE) {
        return Some(texts.city);
    }
    if file == Path::new(COMMUNES_FILE) {
        return Some(texts.communes);
    }
    if file == Path::new(ZONES_FILE) {
        return Some(texts.zones);
    }
    let name = file.strip_prefix(PLAYBOOKS_DIR).ok()?;
    texts.playbooks.iter().find(|(playbook, _)| Path::new(playbook) == name).map(|(_, text)| *text)
}

// ---------------------------------------------------------------------------------------
// city.toml
// ---------------------------------------------------------------------------------------

/// What `city.toml` declares, each item with where it came from.
struct Declared {
    name: Option<(String, Origin)>,
    timezone: Option<(String, Origin)>,
    center: Option<(Position, Origin)>,
    communes: Vec<(CommuneEntry, Origin)>,
    posts: Vec<(CommandPost, Origin)>,
    roles: Vec<(Role, Origin)>,
    sensors: Vec<(Sensor, Origin)>,
    cameras: Vec<(Camera, Origin)>,
    units: Vec<(Unit, Origin)>,
    routing: Vec<(Route, Origin)>,
    retention: Option<(Retention, Origin)>,
}

const CITY_KEYS: [&str; 12] = [
    "version",
    "name",
    "timezone",
    "center",
    "communes",
    "posts",
    "roles",
    "sensors",
    "cameras",
    "units",
    "routing",
    "retention",
];

fn read_city_file(text: &str, errors: &mut Vec<CityError>) -> Option<Declared> {
    let file = Path::new(CITY_FILE);
    let mut document = TomlDocument::parse(file, text, errors)?;
    let (version, origin) = document.value::<u32>("version", true, errors)?;
    if version != SUPPORTED_VERSION {
        // Another version may mean another layout: checking further would only mislead.
        errors.push(CityError::new(
            file,
            Some(origin.here()),
            format!("unsupported version {version}, this Vigie reads version {SUPPORTED_VERSION}"),
        ));
        return None;
    }
    let declared = Declared {
        name: document.value("name", true, errors),
        timezone: document.value("timezone", true, errors),
        center: document.value("center", true, errors),
        communes: document.array("communes", errors),
        posts: document.array("posts", errors),
        roles: document.array("roles", errors),
        sensors: document.array("sensors", errors),
        cameras: document.array("cameras", errors),
        units: document.array("units", errors),
        routing: document.array("routing", errors),
        retention: document.value("retention", false, errors),
    };
    document.finish(&CITY_KEYS, errors);
    Some(declared)
}

/// What the checks of `city.toml` look references up in.
struct Context<'a> {
    /// Every commune that `city.toml` declares.
    commune_ids: BTreeSet<CommuneId>,
    /// The communes that also have a valid boundary, to check positions against.
    communes: HashMap<CommuneId, &'a Commune>,
    /// Every zone of `zones.geojson` with a valid id, even one with other problems (already
    /// reported), so that references to it are not reported again.
    zone_ids: BTreeSet<ZoneId>,
    /// The valid zones, to check positions against.
    zones: HashMap<ZoneId, &'a Zone>,
    /// False when `zones.geojson` could not be read: zone references are then not checked.
    zones_checked: bool,
    /// `None` when the playbooks folder could not be read.
    playbooks: Option<&'a Playbooks>,
}

fn check_city(declared: &Declared, context: &Context<'_>, errors: &mut Vec<CityError>) {
    let mut report = Reporter { file: PathBuf::from(CITY_FILE), errors };
    for (text, key) in [(&declared.name, "name"), (&declared.timezone, "timezone")] {
        if let Some((text, origin)) = text
            && text.trim().is_empty()
        {
            report.at(origin.here(), format!("`{key}` is empty"));
        }
    }
    if let Some((timezone, origin)) = &declared.timezone
        && !(timezone.contains('/') || timezone == "UTC")
    {
        report.at(origin.here(), format!("`{timezone}` is not an IANA time zone such as `Europe/Paris`"));
    }
    if let Some((center, origin)) = &declared.center {
        check_in_metropolis(*center, &origin.here(), context, &mut report);
    }
    if declared.communes.is_empty() {
        report.whole("a city needs at least one [[communes]]");
    }
    if declared.posts.is_empty() {
        report.whole("a city needs at least one [[posts]]");
    }

    check_posts(declared, context, &mut report);
    check_roles(declared, &mut report);
    check_sensors(declared, context, &mut report);
    check_cameras(declared, context, &mut report);
    check_units(declared, context, &mut report);
    check_routing(declared, context, &mut report);
    if let Some((retention, origin)) = &declared.retention {
        let days = retention.video_derived_days;
        if days == 0 || days > Retention::MAX_VIDEO_DERIVED_DAYS {
            report.errors.push(CityError::new(
                &report.file,
                Some(origin.here()),
                format!(
                    "retention.video_derived_days is {days}; it must be 1 to {} (one month at most, CSI L252-5)",
                    Retention::MAX_VIDEO_DERIVED_DAYS
                ),
            ));
        }
    }
}

/// Errors of one file.
struct Reporter<'e> {
    file: PathBuf,
    errors: &'e mut Vec<CityError>,
}

impl Reporter<'_> {
    fn at(&mut self, location: String, message: impl Into<String>) {
        self.errors.push(CityError::new(&self.file, Some(location), message));
    }

    fn whole(&mut self, message: impl Into<String>) {
        self.errors.push(CityError::new(&self.file, None, message));
    }

    /// Reports the items whose id was already used, pointing at the first use.
    fn duplicates<'a, K, T: 'a>(
        &mut self,
        what: &str,
        items: impl IntoIterator<Item = &'a (T, Origin)>,
        id: impl Fn(&'a T) -> &'a K,
    ) where
        K: Hash + Eq + Display + 'a,
    {
        let mut first_seen: HashMap<&K, &Origin> = HashMap::new();
        for (item, origin) in items {
            let key = id(item);
            match first_seen.get(key) {
                Some(first) => {
                    let message = format!("duplicate {what} id `{key}`, first declared at {}", first.here());
                    self.at(origin.at("id"), message);
                }
                None => {
                    first_seen.insert(key, origin);
                }
            }
        }
    }

    fn non_empty(&mut self, text: &str, origin: &Origin, field: &str) {
        if text.trim().is_empty() {
            self.at(origin.at(field), format!("`{field}` is empty"));
        }
    }
}

fn check_posts(declared: &Declared, context: &Context<'_>, report: &mut Reporter<'_>) {
    report.duplicates("post", &declared.posts, |post| &post.id);
    for (post, origin) in &declared.posts {
        report.non_empty(&post.name_fr, origin, "name_fr");
        report.non_empty(&post.name_en, origin, "name_en");
        if let Some(location) = post.location {
            check_in_metropolis(location, &origin.at("location"), context, report);
        }
    }
}

fn check_roles(declared: &Declared, report: &mut Reporter<'_>) {
    report.duplicates("role", &declared.roles, |role| &role.id);
    for (role, origin) in &declared.roles {
        if let Err(error) = check_text_id(&role.id) {
            report.at(origin.at("id"), error.to_string());
        }
        for (text, field) in [
            (&role.name_fr, "name_fr"),
            (&role.name_en, "name_en"),
            (&role.description_fr, "description_fr"),
            (&role.description_en, "description_en"),
        ] {
            report.non_empty(text, origin, field);
        }
    }
}

fn check_sensors(declared: &Declared, context: &Context<'_>, report: &mut Reporter<'_>) {
    report.duplicates("sensor", &declared.sensors, |sensor| &sensor.id);
    for (sensor, origin) in &declared.sensors {
        if let Some(name) = &sensor.name {
            report.non_empty(name, origin, "name");
        }
        report.non_empty(&sensor.unit, origin, "unit");
        if !(1..=5).contains(&sensor.criticality) {
            report.at(origin.at("criticality"), format!("criticality {} is outside 1..=5", sensor.criticality));
        }
        if sensor.expected_period_s == 0 {
            report.at(origin.at("expected_period_s"), "expected_period_s must be at least 1 second");
        }
        let position = [sensor.lon, sensor.lat];
        check_placed(position, &sensor.commune, sensor.zone.as_ref(), origin, context, report);
    }
}

fn check_cameras(declared: &Declared, context: &Context<'_>, report: &mut Reporter<'_>) {
    report.duplicates("camera", &declared.cameras, |camera| &camera.id);
    for (camera, origin) in &declared.cameras {
        report.non_empty(&camera.name, origin, "name");
        if !(camera.heading_deg.is_finite() && (0.0..360.0).contains(&camera.heading_deg)) {
            report.at(origin.at("heading_deg"), format!("heading_deg {} is outside [0, 360)", camera.heading_deg));
        }
        if !(camera.fov_deg > 0.0 && camera.fov_deg <= 360.0) {
            report.at(origin.at("fov_deg"), format!("fov_deg {} is outside (0, 360]", camera.fov_deg));
        }
        if !(camera.range_m.is_finite() && camera.range_m > 0.0) {
            report.at(origin.at("range_m"), format!("range_m {} must be a positive number of metres", camera.range_m));
        }
        if !has_scheme(&camera.stream_url, &["rtsp://", "rtsps://", "http://", "https://"]) {
            report.at(
                origin.at("stream_url"),
                format!("`{}` is not an rtsp://, rtsps://, http:// or https:// URL", camera.stream_url),
            );
        }
        if let Some(snapshot_url) = &camera.snapshot_url
            && !has_scheme(snapshot_url, &["http://", "https://"])
        {
            report.at(origin.at("snapshot_url"), format!("`{snapshot_url}` is not an http:// or https:// URL"));
        }
        let position = [camera.lon, camera.lat];
        check_placed(position, &camera.commune, camera.zone.as_ref(), origin, context, report);
    }
}

fn has_scheme(url: &str, schemes: &[&str]) -> bool {
    schemes.iter().any(|scheme| {
        url.len() > scheme.len() && url.get(..scheme.len()).is_some_and(|head| head.eq_ignore_ascii_case(scheme))
    })
}

fn check_units(declared: &Declared, context: &Context<'_>, report: &mut Reporter<'_>) {
    let posts: BTreeSet<&PostId> = declared.posts.iter().map(|(post, _)| &post.id).collect();
    report.duplicates("unit", &declared.units, |unit| &unit.id);
    for (unit, origin) in &declared.units {
        report.non_empty(&unit.name, origin, "name");
        if let Err(error) = check_text_id(&unit.kind) {
            report.at(origin.at("kind"), error.to_string());
        }
        if !posts.contains(&unit.post) {
            report.at(origin.at("post"), format!("unknown post `{}`", unit.post));
        }
        check_in_metropolis(unit.home, &origin.at("home"), context, report);
    }
}

fn check_routing(declared: &Declared, context: &Context<'_>, report: &mut Reporter<'_>) {
    let posts: BTreeSet<&PostId> = declared.posts.iter().map(|(post, _)| &post.id).collect();
    let mut catch_alls: HashMap<&CategoryId, &Origin> = HashMap::new();
    let mut last_rule: BTreeMap<&CategoryId, &Origin> = BTreeMap::new();
    for (route, origin) in &declared.routing {
        if let Some(playbooks) = context.playbooks
            && !playbooks.files.contains(&route.category)
        {
            report.at(
                origin.at("category"),
                format!("category `{}` has no playbook ({PLAYBOOKS_DIR}/{}.toml)", route.category, route.category),
            );
        }
        if !posts.contains(&route.post) {
            report.at(origin.at("post"), format!("unknown post `{}`", route.post));
        }
        for (index, commune) in route.communes.iter().enumerate() {
            if !context.commune_ids.contains(commune) {
                report.at(origin.at_item("communes", index), format!("unknown commune `{commune}`"));
            }
        }
        for (index, zone) in route.zones.iter().enumerate() {
            if !context.zone_ids.contains(zone) && context.zones_checked {
                report.at(origin.at_item("zones", index), format!("unknown zone `{zone}`"));
            }
        }
        if let Some(catch_all) = catch_alls.get(&route.category) {
            report.at(
                origin.here(),
                format!(
                    "unreachable rule: the catch-all rule at {} already takes every `{}` incident",
                    catch_all.here(),
                    route.category
                ),
            );
        } else if route.is_catch_all() {
            catch_alls.insert(&route.category, origin);
        }
        last_rule.insert(&route.category, origin);
    }
    for (category, origin) in &last_rule {
        if !catch_alls.contains_key(category) {
            report.at(
                origin.here(),
                format!(
                    "category `{category}` has no catch-all rule (one without communes or zones) after its other rules"
                ),
            );
        }
    }
    if let Some(playbooks) = context.playbooks {
        for category in &playbooks.files {
            if !last_rule.contains_key(category) {
                report.errors.push(CityError::new(
                    playbook_file(category),
                    None,
                    format!("category `{category}` has no [[routing]] rule in {CITY_FILE}"),
                ));
            }
        }
    }
}

/// Checks a device's position against its commune and, when it has one, its zone.
fn check_placed(
    position: Position,
    commune_id: &CommuneId,
    zone_id: Option<&ZoneId>,
    origin: &Origin,
    context: &Context<'_>,
    report: &mut Reporter<'_>,
) {
    if let Err(message) = check_lon_lat(position) {
        report.at(origin.here(), message);
        return;
    }
    if !context.commune_ids.contains(commune_id) {
        report.at(origin.at("commune"), format!("unknown commune `{commune_id}`"));
    }
    if let Some(commune) = context.communes.get(commune_id) {
        let distance = commune.boundary.distance_m(position);
        if distance > POSITION_TOLERANCE_M {
            report.at(
                origin.here(),
                format!(
                    "position {}, {} lies {} outside its commune {} ({}); the tolerance is {POSITION_TOLERANCE_M} m",
                    position[0],
                    position[1],
                    metres(distance),
                    commune.id,
                    commune.name
                ),
            );
        }
    }
    let Some(zone_id) = zone_id else {
        return;
    };
    if !context.zone_ids.contains(zone_id) && context.zones_checked {
        report.at(origin.at("zone"), format!("unknown zone `{zone_id}`"));
    }
    if let Some(zone) = context.zones.get(zone_id) {
        let distance = zone.geometry.distance_m(position);
        if distance > POSITION_TOLERANCE_M {
            report.at(
                origin.here(),
                format!(
                    "position {}, {} lies {} from its zone `{zone_id}`; the tolerance is {POSITION_TOLERANCE_M} m",
                    position[0],
                    position[1],
                    metres(distance)
                ),
            );
        }
    }
}

/// Checks that a position lies in the metropolis: within the tolerance of some commune.
fn check_in_metropolis(position: Position, location: &str, context: &Context<'_>, report: &mut Reporter<'_>) {
    if let Err(message) = check_lon_lat(position) {
        report.at(location.to_owned(), message);
        return;
    }
    if context.communes.is_empty() {
        return;
    }
    let nearest =
        context.communes.values().map(|commune| commune.boundary.distance_m(position)).fold(f64::INFINITY, f64::min);
    if nearest > POSITION_TOLERANCE_M {
        report.at(
            location.to_owned(),
            format!(
                "position {}, {} lies {} outside every commune; the tolerance is {POSITION_TOLERANCE_M} m",
                position[0],
                position[1],
                metres(nearest)
            ),
        );
    }
}

fn metres(distance: f64) -> String {
    format!("{} m", distance.round())
}

/// Checks the syntax of an identifier that has no type of its own (a role, a unit kind, a
/// playbook step): the same rule as every identifier of `vigie_core::ids`.
fn check_text_id(text: &str) -> Result<(), IdError> {
    CategoryId::parse(text).map(|_| ())
}

// ---------------------------------------------------------------------------------------
// communes.geojson and zones.geojson
// ---------------------------------------------------------------------------------------

/// Pairs the communes of `city.toml` with their boundaries. Returns the communes that have
/// both, in `city.toml`'s order.
fn check_communes(
    declared: Option<&Declared>,
    features: Option<&[Feature]>,
    errors: &mut Vec<CityError>,
) -> Vec<Commune> {
    let entries: &[(CommuneEntry, Origin)] = declared.map_or(&[], |declared| &declared.communes);
    let mut city_report = Reporter { file: PathBuf::from(CITY_FILE), errors };
    city_report.duplicates("commune", entries, |entry| &entry.id);
    for (entry, origin) in entries {
        city_report.non_empty(&entry.name, origin, "name");
    }

    let file = Path::new(COMMUNES_FILE);
    let mut boundaries: HashMap<CommuneId, (String, Geometry, String)> = HashMap::new();
    for feature in features.unwrap_or_default() {
        let id = feature.string_property("id", file, errors);
        let name = feature.string_property("name", file, errors);
        let Some(id) = id else { continue };
        let id = match CommuneId::parse(&id) {
            Ok(id) => id,
            Err(error) => {
                errors.push(CityError::new(file, Some(feature.property_path("id")), error.to_string()));
                continue;
            }
        };
        if let Some((_, _, first)) = boundaries.get(&id) {
            errors.push(CityError::new(
                file,
                Some(feature.property_path("id")),
                format!("duplicate commune id `{id}`, first at {first}"),
            ));
            continue;
        }
        match entries.iter().find(|(entry, _)| entry.id == id) {
            None if declared.is_some() => errors.push(CityError::new(
                file,
                Some(feature.property_path("id")),
                format!("commune `{id}` is not declared in {CITY_FILE}"),
            )),
            Some((entry, _)) if name.as_ref().is_some_and(|name| *name != entry.name) => {
                errors.push(CityError::new(
                    file,
                    Some(feature.property_path("name")),
                    format!(
                        "name `{}` differs from `{}` in {CITY_FILE}",
                        name.as_deref().unwrap_or_default(),
                        entry.name
                    ),
                ));
            }
            _ => {}
        }
        let Some(geometry) = &feature.geometry else { continue };
        if !geometry.is_areal() {
            errors.push(CityError::new(
                file,
                Some(format!("{}.geometry", feature.path)),
                format!("a commune's boundary must be a Polygon or a MultiPolygon, found a {}", geometry.type_name()),
            ));
            continue;
        }
        boundaries.insert(id, (name.unwrap_or_default(), geometry.clone(), feature.path.clone()));
    }

    let mut communes = Vec::new();
    for (entry, origin) in entries {
        match boundaries.get(&entry.id) {
            Some((_, boundary, _)) => communes.push(Commune {
                id: entry.id.clone(),
                name: entry.name.clone(),
                population: entry.population,
                boundary: boundary.clone(),
            }),
            None if features.is_some() => errors.push(CityError::new(
                CITY_FILE,
                Some(origin.at("id")),
                format!("commune `{}` has no boundary in {COMMUNES_FILE}", entry.id),
            )),
            None => {}
        }
    }
    communes
}

/// Checks the zones. Returns the valid ones, and the ids of all (see [`Context::zone_ids`]).
fn check_zones(
    declared: Option<&Declared>,
    communes: &[Commune],
    features: Option<&[Feature]>,
    errors: &mut Vec<CityError>,
) -> (Vec<Zone>, BTreeSet<ZoneId>) {
    let file = Path::new(ZONES_FILE);
    let mut zones: Vec<Zone> = Vec::new();
    let mut first_seen: HashMap<ZoneId, String> = HashMap::new();
    for feature in features.unwrap_or_default() {
        let id = feature.string_property("id", file, errors);
        let name = feature.string_property("name", file, errors);
        let kind = feature.string_property("kind", file, errors);
        let commune = feature.string_property("commune", file, errors);
        let id = id.and_then(|id| match ZoneId::parse(&id) {
            Ok(id) => Some(id),
            Err(error) => {
                errors.push(CityError::new(file, Some(feature.property_path("id")), error.to_string()));
                None
            }
        });
        if let Some(name) = &name
            && name.trim().is_empty()
        {
            errors.push(CityError::new(file, Some(feature.property_path("name")), "`name` is empty"));
        }
        let kind = kind.and_then(|kind| match ZoneKind::parse(&kind) {
            Some(kind) => Some(kind),
            None => {
                let expected = ZoneKind::ALL.map(ZoneKind::as_str).join(", ");
                errors.push(CityError::new(
                    file,
                    Some(feature.property_path("kind")),
                    format!("unknown zone kind `{kind}`, expected one of {expected}"),
                ));
                None
            }
        });
        let commune = commune.and_then(|commune| match CommuneId::parse(&commune) {
            Ok(id) => Some(id),
            Err(error) => {
                errors.push(CityError::new(file, Some(feature.property_path("commune")), error.to_string()));
                None
            }
        });
        let known_commune = commune.as_ref().and_then(|commune| communes.iter().find(|known| &known.id == commune));
        if let (Some(commune), Some(declared)) = (&commune, declared)
            && !declared.communes.iter().any(|(entry, _)| &entry.id == commune)
        {
            errors.push(CityError::new(
                file,
                Some(feature.property_path("commune")),
                format!("unknown commune `{commune}`"),
            ));
        }
        if let Some(id) = &id {
            if let Some(first) = first_seen.get(id) {
                errors.push(CityError::new(
                    file,
                    Some(feature.property_path("id")),
                    format!("duplicate zone id `{id}`, first at {first}"),
                ));
                continue;
            }
            first_seen.insert(id.clone(), feature.path.clone());
        }
        // Rivers and roads cross communes; a building or an area lies in its own.
        if let (Some(geometry), Some(commune)) = (&feature.geometry, known_commune)
            && !matches!(geometry, Geometry::LineString(_) | Geometry::MultiLineString(_))
        {
            let centre = geometry.representative_point();
            let distance = commune.boundary.distance_m(centre);
            if distance > POSITION_TOLERANCE_M {
                errors.push(CityError::new(
                    file,
                    Some(format!("{}.geometry", feature.path)),
                    format!(
                        "the zone lies {} outside its commune {} ({}); the tolerance is {POSITION_TOLERANCE_M} m",
                        metres(distance),
                        commune.id,
                        commune.name
                    ),
                ));
            }
        }
        if let (Some(id), Some(name), Some(kind), Some(commune), Some(geometry)) =
            (id, name, kind, commune, feature.geometry.clone())
        {
            zones.push(Zone { id, name, kind, commune, geometry });
        }
    }
    (zones, first_seen.into_keys().collect())
}

// ---------------------------------------------------------------------------------------
// playbooks/*.toml
// ---------------------------------------------------------------------------------------

/// The playbooks folder: the categories that have a file, and the policies that are valid.
struct Playbooks {
    files: BTreeSet<CategoryId>,
    policies: BTreeMap<CategoryId, CategoryPolicy>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepEntry {
    id: String,
    title_fr: String,
    title_en: String,
}

const PLAYBOOK_KEYS: [&str; 5] = ["label_fr", "label_en", "default_priority", "ack_delay_s", "steps"];

fn playbook_file(category: &CategoryId) -> PathBuf {
    Path::new(PLAYBOOKS_DIR).join(format!("{category}.toml"))
}

/// The names of the `.toml` files of `playbooks/`, sorted; `None` when the folder cannot be read.
fn playbook_names(source: &Source<'_>, errors: &mut Vec<CityError>) -> Option<Vec<String>> {
    let mut names: Vec<String> = Vec::new();
    match source {
        Source::Folder(dir) => {
            let entries = match std::fs::read_dir(dir.join(PLAYBOOKS_DIR)) {
                Ok(entries) => entries,
                Err(error) => {
                    errors.push(CityError::new(PLAYBOOKS_DIR, None, format!("cannot read the folder: {error}")));
                    return None;
                }
            };
            for entry in entries {
                match entry {
                    Ok(entry) => names.push(entry.file_name().to_string_lossy().into_owned()),
                    Err(error) => {
                        errors.push(CityError::new(PLAYBOOKS_DIR, None, format!("cannot read the folder: {error}")))
                    }
                }
            }
        }
        Source::Texts(texts) => names.extend(texts.playbooks.iter().map(|(name, _)| (*name).to_owned())),
    }
    names.retain(|name| name.ends_with(".toml"));
    names.sort();
    Some(names)
}

fn read_playbooks(source: &Source<'_>, errors: &mut Vec<CityError>) -> Option<Playbooks> {
    let names = playbook_names(source, errors)?;

    let mut playbooks = Playbooks { files: BTreeSet::new(), policies: BTreeMap::new() };
    for name in names {
        let file = Path::new(PLAYBOOKS_DIR).join(&name);
        let stem = name.trim_end_matches(".toml");
        let category = match CategoryId::parse(stem) {
            Ok(category) => category,
            Err(error) => {
                errors.push(CityError::new(&file, None, format!("the file name must be a category id: {error}")));
                continue;
            }
        };
        playbooks.files.insert(category.clone());
        let Some(text) = read_text(source, &file, errors) else { continue };
        if let Some(policy) = read_playbook(&file, &text, category.clone(), errors) {
            playbooks.policies.insert(category, policy);
        }
    }
    Some(playbooks)
}

fn read_playbook(file: &Path, text: &str, category: CategoryId, errors: &mut Vec<CityError>) -> Option<CategoryPolicy> {
    let mut document = TomlDocument::parse(file, text, errors)?;
    let label_fr = document.value::<String>("label_fr", true, errors);
    let label_en = document.value::<String>("label_en", true, errors);
    let default_priority = document.value::<Priority>("default_priority", true, errors);
    let ack_delay_s = document.value::<u32>("ack_delay_s", true, errors);
    let steps = document.array::<StepEntry>("steps", errors);
    document.finish(&PLAYBOOK_KEYS, errors);

    let mut report = Reporter { file: file.to_owned(), errors };
    for (label, key) in [(&label_fr, "label_fr"), (&label_en, "label_en")] {
        if let Some((label, origin)) = label
            && label.trim().is_empty()
        {
            report.at(origin.here(), format!("`{key}` is empty"));
        }
    }
    if steps.is_empty() {
        report.whole("a playbook needs at least one [[steps]]");
    }
    let mut first_seen: HashMap<&str, &Origin> = HashMap::new();
    for (step, origin) in &steps {
        if let Err(error) = check_text_id(&step.id) {
            report.at(origin.at("id"), error.to_string());
        }
        if let Some(first) = first_seen.insert(&step.id, origin) {
            report.at(origin.at("id"), format!("duplicate step id `{}`, first declared at {}", step.id, first.here()));
        }
        report.non_empty(&step.title_fr, origin, "title_fr");
        report.non_empty(&step.title_en, origin, "title_en");
    }

    let ((label_fr, _), (label_en, _), (default_priority, _), (ack_delay_s, _)) =
        (label_fr?, label_en?, default_priority?, ack_delay_s?);
    let playbook = steps
        .into_iter()
        .map(|(step, _)| PlaybookStep { id: step.id, title_fr: step.title_fr, title_en: step.title_en })
        .collect();
    Some(CategoryPolicy { category, label_fr, label_en, default_priority, ack_delay_s, playbook })
}

// ---------------------------------------------------------------------------------------
// Building the city
// ---------------------------------------------------------------------------------------

fn build(declared: Declared, communes: Vec<Commune>, zones: Vec<Zone>, playbooks: Playbooks) -> City {
    fn items<T>(list: Vec<(T, Origin)>) -> Vec<T> {
        list.into_iter().map(|(item, _)| item).collect()
    }
    // Called only without errors, so the required keys are present: the defaults never apply.
    City::from_parts(CityParts {
        name: declared.name.map(|(name, _)| name).unwrap_or_default(),
        timezone: declared.timezone.map(|(timezone, _)| timezone).unwrap_or_default(),
        center: declared.center.map_or([0.0, 0.0], |(center, _)| center),
        communes,
        posts: items(declared.posts),
        roles: items(declared.roles),
        sensors: items(declared.sensors),
        cameras: items(declared.cameras),
        zones,
        units: items(declared.units),
        routing: items(declared.routing),
        policies: IncidentPolicies { categories: playbooks.policies },
        retention: declared.retention.map(|(retention, _)| retention).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../cities/demo-metropole")
    }

    fn demo_text(file: &str) -> String {
        std::fs::read_to_string(demo_dir().join(file)).expect("the demo pack is readable")
    }

    #[test]
    fn texts_load_like_the_folder() {
        let mut playbooks: Vec<(String, String)> = Vec::new();
        for entry in std::fs::read_dir(demo_dir().join(PLAYBOOKS_DIR)).expect("the demo pack has playbooks") {
            let name = entry.expect("the playbooks folder is readable").file_name().to_string_lossy().into_owned();
            let text = demo_text(&format!("{PLAYBOOKS_DIR}/{name}"));
            playbooks.push((name, text));
        }
        let playbook_texts: Vec<(&str, &str)> =
            playbooks.iter().map(|(name, text)| (name.as_str(), text.as_str())).collect();
        let (city, communes, zones) = (demo_text(CITY_FILE), demo_text(COMMUNES_FILE), demo_text(ZONES_FILE));
        let texts = PackTexts { city: &city, communes: &communes, zones: &zones, playbooks: &playbook_texts };

        let from_texts = load_texts(&texts).expect("the demo pack loads from memory");
        let from_folder = load(&demo_dir()).expect("the demo pack loads from its folder");
        let as_json = |city: &City| serde_json::to_value(city).expect("a city serialises");
        assert_eq!(as_json(&from_texts), as_json(&from_folder));
    }

    #[test]
    fn texts_report_missing_playbooks_like_missing_files() {
        let city = demo_text(CITY_FILE);
        let (communes, zones) = (demo_text(COMMUNES_FILE), demo_text(ZONES_FILE));
        let texts = PackTexts { city: &city, communes: &communes, zones: &zones, playbooks: &[("notes.txt", "")] };
        let errors = load_texts(&texts).expect_err("a pack without playbooks is refused");
        assert!(errors.0.iter().any(|error| error.file == Path::new(CITY_FILE)), "{errors}");
        assert!(errors.0.iter().all(|error| !error.file.ends_with("notes.txt")), "{errors}");
    }
}
