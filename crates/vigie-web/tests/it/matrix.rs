//! The authorisation matrix, generated from the one route table (`vigie_web::policy::ROUTES`)
//! and the one role table (`vigie_auth::allowed`): every route × every role × a target inside
//! the account's scope and one outside it, plus the live stream. An account of each role is
//! restricted to one command post and one commune; the expected answer of each case is
//! computed from the tables, and the test counts the cases and the leaks (a 2xx where a denial
//! is expected, an item outside the scope in a list, an event outside the scope on the stream).

use crate::{Credentials, PASSWORD, START, Session, TestServer, spawn_server};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use vigie_auth::{Role, Scope, allowed};
use vigie_core::{CommuneId, PostId};
use vigie_web::policy::{Access, Items, ROUTES, RoutePolicy, Target};

/// The resources inside and outside the scope `posts` × `{commune_in}`.
struct Fixture {
    posts: BTreeSet<String>,
    commune_in: String,
    commune_out: String,
    post_out: String,
    sensor_in: String,
    sensor_out: String,
    camera_in: String,
    camera_out: String,
    incident_in: u64,
    incident_out: u64,
    unit_in: String,
    unit_out: String,
    snapshot_in: String,
    snapshot_out: String,
}

impl Fixture {
    fn scope(&self) -> Scope {
        Scope {
            posts: self.posts.iter().map(|post| PostId::parse(post).unwrap()).collect(),
            communes: [CommuneId::parse(&self.commune_in).unwrap()].into_iter().collect(),
        }
    }
}

fn build_fixture(server: &TestServer) -> Fixture {
    let city = server.state.city.clone();
    let with_camera: BTreeSet<String> = city.cameras.iter().map(|camera| camera.commune.to_string()).collect();
    let mut smoke_by_commune = std::collections::BTreeMap::new();
    for sensor in city.sensors.iter().filter(|sensor| sensor.kind.as_str() == "smoke") {
        if with_camera.contains(sensor.commune.as_str()) {
            smoke_by_commune.entry(sensor.commune.to_string()).or_insert_with(|| sensor.id.to_string());
        }
    }
    let mut communes = smoke_by_commune.keys();
    let commune_in = communes.next().expect("a commune with smoke detectors and cameras").clone();
    let commune_out = communes.next().expect("a second one").clone();
    let sensor_in = smoke_by_commune[&commune_in].clone();
    let sensor_out = smoke_by_commune[&commune_out].clone();
    for sensor in [&sensor_in, &sensor_out] {
        let batch = json!({ "observations": [{ "sensor_id": sensor, "time": START - 1000, "value": 1.0 }] });
        assert_eq!(server.post("/api/observations", &batch.to_string()).0, 200);
    }
    let (_, incidents) = server.get("/api/incidents");
    let find = |commune: &str| {
        incidents["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|incident| incident["commune"] == commune)
            .unwrap_or_else(|| panic!("an incident in {commune}: {incidents}"))
            .clone()
    };
    let (incident_in, incident_out) = (find(&commune_in), find(&commune_out));
    let post_in = incident_in["post"].as_str().unwrap().to_owned();
    let mut posts = BTreeSet::from([post_in.clone()]);
    let unit_in = match city.units.iter().find(|unit| unit.post.as_str() == post_in) {
        Some(unit) => unit.id.to_string(),
        None => {
            let unit = &city.units[0];
            posts.insert(unit.post.to_string());
            unit.id.to_string()
        }
    };
    let unit_out =
        city.units.iter().find(|unit| !posts.contains(unit.post.as_str())).expect("a unit elsewhere").id.to_string();
    let post_out = city.posts.iter().find(|post| !posts.contains(post.id.as_str())).unwrap().id.to_string();
    let camera_in = city.cameras.iter().find(|camera| camera.commune.as_str() == commune_in).unwrap().id.to_string();
    let camera_out = city.cameras.iter().find(|camera| camera.commune.as_str() == commune_out).unwrap().id.to_string();
    let snapshot = |camera: &str| {
        let new = vigie_store::media::NewSnapshot {
            camera,
            sensor: None,
            taken_at: server.clock.now(),
            data_class: vigie_store::media::VIDEO_DERIVED,
            retention_ms: 30 * 86_400_000,
            jpeg: &[0xff, 0xd8, 0xff, 0xe0],
        };
        server.state.media.put(&new, server.clock.now()).unwrap().id
    };
    Fixture {
        posts,
        commune_in,
        commune_out,
        post_out,
        sensor_in,
        sensor_out,
        snapshot_in: snapshot(&camera_in),
        snapshot_out: snapshot(&camera_out),
        camera_in,
        camera_out,
        incident_in: incident_in["id"].as_u64().unwrap(),
        incident_out: incident_out["id"].as_u64().unwrap(),
        unit_in,
        unit_out,
    }
}

/// What the tables say a case should answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    Allow,
    Forbidden,
    OutOfScope,
}

fn expected(role: Role, line: &RoutePolicy, inside: bool) -> Expect {
    let action = match line.access {
        Access::Public | Access::SignIn | Access::Session => return Expect::Allow,
        Access::Role(action) | Access::RoleOrDevice(action) => action,
    };
    if !allowed(role, action) {
        return Expect::Forbidden;
    }
    match line.target {
        Target::Global | Target::List(_) | Target::Stream => Expect::Allow,
        _ if inside => Expect::Allow,
        _ => Expect::OutOfScope,
    }
}

/// Whether a route's target has an inside and an outside (else one case per role).
fn is_targeted(line: &RoutePolicy) -> bool {
    !matches!(line.target, Target::Global | Target::List(_) | Target::Stream)
}

/// The request of a case: path, content type and body.
fn case_request(line: &RoutePolicy, fixture: &Fixture, inside: bool) -> (String, &'static str, Vec<u8>) {
    let pick = |inner: &str, outer: &str| if inside { inner.to_owned() } else { outer.to_owned() };
    let sensor = pick(&fixture.sensor_in, &fixture.sensor_out);
    let json_case = |path: String, body: Value| (path, "application/json", body.to_string().into_bytes());
    match (line.method, line.path) {
        ("POST", "/api/observations") => json_case(
            line.path.to_owned(),
            json!({ "observations": [{ "sensor_id": sensor, "time": START - 500, "value": 1.0 }] }),
        ),
        ("POST", "/api/units/{id}/position") => json_case(
            format!("/api/units/{}/position", pick(&fixture.unit_in, &fixture.unit_out)),
            json!({ "lon": 5.04, "lat": 47.32 }),
        ),
        ("POST", "/api/snapshots") => (
            format!("/api/snapshots?camera={}", pick(&fixture.camera_in, &fixture.camera_out)),
            "image/jpeg",
            vec![0xff, 0xd8, 0xff, 0xe0, 0, 1],
        ),
        ("POST", "/api/incidents") => {
            let (post, commune) = if inside {
                (fixture.posts.iter().next().unwrap().clone(), fixture.commune_in.clone())
            } else {
                (fixture.post_out.clone(), fixture.commune_out.clone())
            };
            json_case(
                line.path.to_owned(),
                json!({ "category": "public_order", "title": "matrix", "post": post, "commune": commune }),
            )
        }
        (_, "/api/incidents/{id}" | "/api/incidents/{id}/commands") => {
            let id = if inside { fixture.incident_in } else { fixture.incident_out };
            json_case(line.path.replace("{id}", &id.to_string()), json!({ "type": "add_note", "text": "matrix" }))
        }
        (_, "/api/sensors/{id}") => json_case(format!("/api/sensors/{sensor}"), json!({})),
        (_, "/api/snapshots/{id}") => {
            json_case(format!("/api/snapshots/{}", pick(&fixture.snapshot_in, &fixture.snapshot_out)), json!({}))
        }
        ("POST", "/api/alarms/shelve") => json_case(
            line.path.to_owned(),
            json!({ "rule": "fumee-pre-alarme", "subject": sensor, "minutes": 30, "reason": "matrix" }),
        ),
        ("POST", "/api/alarms/unshelve") => {
            json_case(line.path.to_owned(), json!({ "rule": "fumee-pre-alarme", "subject": sensor }))
        }
        // The rest is global: bodies that pass the guard and fail validation, or name nothing,
        // so that no case changes what the others see.
        (_, path) => json_case(
            path.replace("{login}", "nobody")
                .replace("{id}", if path.contains("holds") { "999999" } else { "no-such-device" }),
            json!({}),
        ),
    }
}

fn commune_of_sensor(server: &TestServer, sensor: &str) -> Option<String> {
    let id = vigie_core::SensorId::parse(sensor).ok()?;
    server.state.city.sensor(&id).map(|sensor| sensor.commune.to_string())
}

fn commune_of_camera(server: &TestServer, camera: &str) -> Option<String> {
    let id = vigie_core::CameraId::parse(camera).ok()?;
    server.state.city.camera(&id).map(|camera| camera.commune.to_string())
}

fn post_of_unit(server: &TestServer, unit: &str) -> Option<String> {
    let id = vigie_core::UnitId::parse(unit).ok()?;
    server.state.city.unit(&id).map(|unit| unit.post.to_string())
}

/// The items of a list answer outside the scope.
fn list_leaks(server: &TestServer, fixture: &Fixture, items: Items, body: &Value) -> Vec<String> {
    let inside_commune = |commune: Option<String>| commune.as_deref() == Some(fixture.commune_in.as_str());
    let inside_post = |post: Option<&str>| post.is_some_and(|post| fixture.posts.contains(post));
    let array = |key: &str| body[key].as_array().cloned().unwrap_or_default();
    let mut leaks = Vec::new();
    match items {
        Items::Incidents => {
            for incident in array("incidents") {
                if !inside_post(incident["post"].as_str())
                    || !inside_commune(incident["commune"].as_str().map(str::to_owned))
                {
                    leaks.push(format!("incident {}", incident["id"]));
                }
            }
        }
        Items::Alarms => {
            for alarm in array("standing").into_iter().chain(array("shelved")) {
                let subject = alarm["subject"].as_str().unwrap_or("");
                let post_ok = alarm["alarm"]["post"].as_str().is_none_or(|post| fixture.posts.contains(post));
                if !post_ok || !inside_commune(commune_of_sensor(server, subject)) {
                    leaks.push(format!("alarm {subject}"));
                }
            }
        }
        Items::AlarmKpis => {
            for post in array("posts") {
                if !inside_post(post["post"].as_str()) {
                    leaks.push(format!("kpis of {}", post["post"]));
                }
            }
        }
        Items::Sensors => {
            for sensor in array("sensors") {
                if !inside_commune(sensor["sensor"]["commune"].as_str().map(str::to_owned)) {
                    leaks.push(format!("sensor {}", sensor["sensor"]["id"]));
                }
            }
        }
        Items::Cameras => {
            for camera in array("cameras") {
                if !inside_commune(camera["commune"].as_str().map(str::to_owned)) {
                    leaks.push(format!("camera {}", camera["id"]));
                }
            }
        }
        Items::Units => {
            for unit in array("units") {
                if !inside_post(unit["unit"]["post"].as_str()) {
                    leaks.push(format!("unit {}", unit["unit"]["id"]));
                }
            }
        }
        Items::Snapshots => {
            for snapshot in array("snapshots") {
                if !inside_commune(commune_of_camera(server, snapshot["camera"].as_str().unwrap_or(""))) {
                    leaks.push(format!("snapshot {}", snapshot["id"]));
                }
            }
        }
        Items::CityMap => {
            for feature in array("features") {
                let properties = &feature["properties"];
                let equipment = matches!(properties["layer"].as_str(), Some("sensor" | "camera"));
                if equipment && !inside_commune(properties["commune"].as_str().map(str::to_owned)) {
                    leaks.push(format!("map feature {}", properties["id"]));
                }
            }
        }
    }
    leaks
}

/// Follows the live stream as `session` until the event `until` (in scope) arrives; returns
/// how many events came and those outside the scope.
fn stream_leaks(
    server: &TestServer,
    fixture: &Fixture,
    session: &Session,
    in_scope_incidents: &BTreeSet<u64>,
) -> (usize, Vec<String>) {
    let response = server
        .agent
        .get(&format!("{}/api/stream?from=1", server.base))
        .header("authorization", format!("Bearer {}", session.token))
        .call()
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut reader = BufReader::new(response.into_body().into_reader());
    // The sentinel: a reading inside the scope, posted once the stream is open.
    let sentinel = json!({ "observations": [{ "sensor_id": fixture.sensor_in, "time": START, "value": 1.0 }] });
    let (_, answer) = server.post("/api/observations", &sentinel.to_string());
    let until = answer["last_seq"].as_u64().unwrap();
    let mut seen = 0;
    let mut leaks = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        assert!(reader.read_line(&mut line).unwrap() > 0, "the stream ended before the sentinel");
        let Some(data) = line.trim_end().strip_prefix("data:") else { continue };
        let event: Value = serde_json::from_str(data.trim()).unwrap();
        seen += 1;
        let body = &event["body"];
        let inside = if let Some(observation) = body.get("observation") {
            commune_of_sensor(server, observation["sensor_id"].as_str().unwrap_or("")).as_deref()
                == Some(fixture.commune_in.as_str())
        } else if let Some(alarm) = body.get("alarm") {
            let subject = alarm["key"]["subject"].as_str().unwrap_or("");
            let post_ok = alarm["change"]["raised"]["post"].as_str().is_none_or(|post| fixture.posts.contains(post));
            post_ok && commune_of_sensor(server, subject).as_deref() == Some(fixture.commune_in.as_str())
        } else if let Some(incident) = body.get("incident") {
            incident["incident_id"].as_u64().is_some_and(|id| in_scope_incidents.contains(&id))
        } else if let Some(position) = body.get("unit_position") {
            post_of_unit(server, position["unit_id"].as_str().unwrap_or(""))
                .is_some_and(|post| fixture.posts.contains(&post))
        } else {
            false
        };
        if !inside {
            leaks.push(format!("event {}", event["seq"]));
        }
        if event["seq"].as_u64() == Some(until) {
            return (seen, leaks);
        }
    }
}

#[test]
fn authorisation_matrix_has_no_leak() {
    let server = spawn_server("matrix");
    let fixture = build_fixture(&server);
    let scope = fixture.scope();
    let sessions: Vec<(Role, Session)> = Role::ALL
        .into_iter()
        .map(|role| (role, server.session(&format!("m-{}", role.as_str().replace('_', "-")), role, scope.clone())))
        .collect();
    let mut cases = 0;
    let mut leaks: Vec<String> = Vec::new();
    let mut mismatches: Vec<String> = Vec::new();
    for (role, session) in &sessions {
        for line in ROUTES {
            if line.target == Target::Stream && expected(*role, line, true) == Expect::Allow {
                continue; // followed below, as a stream
            }
            let sides: &[bool] = if is_targeted(line) { &[true, false] } else { &[true] };
            for inside in sides {
                let (path, content_type, body) = case_request(line, &fixture, *inside);
                // Logging out ends the session: use a second one of the same account.
                let own;
                let session = if line.path == "/api/auth/logout" {
                    own = server.login(&session.login, PASSWORD).unwrap();
                    &own
                } else {
                    session
                };
                let answer =
                    server.request(line.method, &path, Credentials::Cookie(session), Some((content_type, &body)));
                let expect = expected(*role, line, *inside);
                cases += 1;
                let case =
                    format!("{role} {} {path} ({})", line.method, if *inside { "in scope" } else { "out of scope" });
                let success = (200..300).contains(&answer.status);
                let matches = match expect {
                    Expect::Allow => !matches!(answer.status, 401 | 403) && answer.status < 500,
                    Expect::Forbidden => answer.status == 403 && answer.body["code"] == "forbidden",
                    Expect::OutOfScope => answer.status == 403 && answer.body["code"] == "out_of_scope",
                };
                if expect != Expect::Allow && success {
                    leaks.push(format!("{case}: {} where {expect:?} was expected", answer.status));
                } else if !matches {
                    mismatches.push(format!("{case}: expected {expect:?}, got {} {}", answer.status, answer.text));
                }
                if let (Target::List(items), true) = (line.target, success) {
                    for leak in list_leaks(&server, &fixture, items, &answer.body) {
                        leaks.push(format!("{case}: {leak} is out of scope"));
                    }
                }
            }
        }
    }
    // The live stream, for the roles that may follow it.
    let (_, all) = server.get("/api/incidents?limit=5000");
    let in_scope_incidents: BTreeSet<u64> = all["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|incident| {
            incident["post"].as_str().is_some_and(|post| fixture.posts.contains(post))
                && incident["commune"] == fixture.commune_in.as_str()
        })
        .map(|incident| incident["id"].as_u64().unwrap())
        .collect();
    assert!(in_scope_incidents.contains(&fixture.incident_in));
    let mut streamed = 0;
    for (role, session) in &sessions {
        let line = ROUTES.iter().find(|line| line.target == Target::Stream).unwrap();
        if expected(*role, line, true) != Expect::Allow {
            continue;
        }
        let (seen, stream_leaks) = stream_leaks(&server, &fixture, session, &in_scope_incidents);
        cases += 1;
        streamed += seen;
        assert!(seen >= 2, "{role} received the in-scope events");
        leaks.extend(stream_leaks.into_iter().map(|leak| format!("{role} stream: {leak}")));
    }
    println!(
        "authorisation matrix: {cases} cases ({} routes × {} roles, in and out of scope, + the live stream: {streamed} events checked), {} leaks, {} mismatches",
        ROUTES.len(),
        sessions.len(),
        leaks.len(),
        mismatches.len()
    );
    assert!(leaks.is_empty(), "leaks:\n{}", leaks.join("\n"));
    assert!(mismatches.is_empty(), "answers that differ from the tables:\n{}", mismatches.join("\n"));
    assert!(cases > 300, "{cases} cases");
    // The scope really holds out-of-scope data that a whole-city account sees.
    let (_, everything) = server.get("/api/incidents");
    assert!(
        everything["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|incident| incident["commune"] == fixture.commune_out.as_str())
    );
}
