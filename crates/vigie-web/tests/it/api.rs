//! Ingest, incidents, sensors, cameras and the city through HTTP.

use crate::{START, spawn_server};
use serde_json::{Value, json};

#[test]
fn health_and_openapi_name_every_route() {
    let server = spawn_server("openapi");
    let (status, health) = server.get("/health");
    assert_eq!((status, health["status"].as_str()), (200, Some("ok")));
    let (status, spec) = server.get("/api/openapi.json");
    assert_eq!(status, 200);
    let paths = spec["paths"].as_object().unwrap();
    for route in [
        "/health",
        "/api/openapi.json",
        "/api/observations",
        "/api/units",
        "/api/units/{id}/position",
        "/api/incidents",
        "/api/incidents/{id}",
        "/api/incidents/{id}/commands",
        "/api/sensors",
        "/api/sensors/{id}",
        "/api/cameras",
        "/api/city",
        "/api/posts",
        "/api/categories",
        "/api/stream",
        "/api/alarms",
        "/api/alarms/shelve",
        "/api/alarms/unshelve",
        "/api/alarms/kpis",
        "/api/dead-letters",
        "/metrics",
        "/api/rules",
        "/api/rules/reload",
    ] {
        assert!(paths.contains_key(route), "{route} is missing from the OpenAPI document");
    }
    for line in vigie_web::policy::ROUTES {
        let method = line.method.to_lowercase();
        assert!(
            spec["paths"][line.path][&method].is_object(),
            "{} {} is missing from the OpenAPI document",
            line.method,
            line.path
        );
    }
    let session = server.session("alice", vigie_auth::Role::Supervisor, vigie_auth::Scope::all());
    let metrics = server.request("GET", "/metrics", crate::Credentials::Cookie(&session), None).text;
    for name in [
        "vigie_engine_commits_total",
        "vigie_alarms_raised_total",
        "vigie_ingest_messages_total{source=\"mqtt\",outcome=\"malformed\"}",
        "vigie_ingest_messages_total{source=\"http\",outcome=\"accepted\"}",
        "vigie_audit_append_failures_total 0",
    ] {
        assert!(metrics.contains(name), "{name} missing from /metrics");
    }
    // Without a built console, `/` says how to build it.
    let mut page = server.agent.get(&format!("{}/", server.base)).call().unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert!(page.body_mut().read_to_string().unwrap().contains("npm run build"));
    let (status, error) = server.get("/api/nothing-here");
    assert_eq!((status, error["code"].as_str()), (404, Some("route_not_found")));
}

fn first_sensor(server: &crate::TestServer) -> (String, String) {
    let (_, sensors) = server.get("/api/sensors");
    let sensor = &sensors["sensors"][0]["sensor"];
    (sensor["id"].as_str().unwrap().to_owned(), sensor["unit"].as_str().unwrap().to_owned())
}

#[test]
fn ingest_acknowledges_durable_batches_and_reports_bad_fields() {
    let server = spawn_server("ingest");
    let (sensor, unit) = first_sensor(&server);
    let batch = json!({ "observations": [
        { "sensor_id": sensor, "time": "2026-11-26T07:59:00Z", "value": 1.5, "unit": unit },
        { "sensor_id": sensor, "time": START - 30_000, "value": 2.5 }
    ] });
    let (status, answer) = server.post("/api/observations", &batch.to_string());
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        (answer["accepted"].as_u64(), answer["first_seq"].as_u64(), answer["last_seq"].as_u64()),
        (Some(2), Some(1), Some(2))
    );

    let cases: Vec<(Value, u16, &str, &str)> = vec![
        (
            json!({ "observations": [{ "sensor_id": sensor, "time": START, "value": 1.0 }, { "sensor_id": "no-such-sensor", "time": START, "value": 1.0 }] }),
            422,
            "invalid_input",
            "observations[1].sensor_id",
        ),
        (
            json!({ "observations": [{ "sensor_id": sensor, "time": "yesterday", "value": 1.0 }] }),
            422,
            "invalid_input",
            "observations[0].time",
        ),
        (
            json!({ "observations": [{ "sensor_id": sensor, "time": START, "value": "high" }] }),
            422,
            "invalid_input",
            "observations[0].value",
        ),
        (
            json!({ "observations": [{ "sensor_id": sensor, "time": START, "value": 1.0, "unit": "furlongs" }] }),
            422,
            "invalid_input",
            "observations[0].unit",
        ),
        (
            json!({ "observations": [{ "sensor_id": sensor, "time": START + 3_600_000, "value": 1.0 }] }),
            422,
            "invalid_input",
            "observations[0].time",
        ),
        (
            json!({ "observations": [{ "sensor_id": sensor, "time": START, "value": 1.0, "colour": "red" }] }),
            422,
            "invalid_input",
            "observations[0].colour",
        ),
        (json!({ "readings": [] }), 422, "invalid_input", "readings"),
    ];
    for (body, expected_status, code, path) in cases {
        let (status, error) = server.post("/api/observations", &body.to_string());
        assert_eq!(status, expected_status, "{body} -> {error}");
        assert_eq!(error["code"].as_str(), Some(code), "{error}");
        assert_eq!(error["path"].as_str(), Some(path), "{error}");
    }
    let (status, error) = server.post("/api/observations", "{\"observations\": [");
    assert_eq!((status, error["code"].as_str()), (400, Some("malformed_json")));
    let too_many: Vec<Value> =
        (0..10_001).map(|_| json!({ "sensor_id": sensor, "time": START, "value": 1.0 })).collect();
    let (status, error) = server.post("/api/observations", &json!({ "observations": too_many }).to_string());
    assert_eq!((status, error["code"].as_str()), (413, Some("batch_too_large")));

    // Nothing of the refused batches was logged; what was acknowledged is still there.
    let (_, health) = server.get("/health");
    assert_eq!(health["last_seq"].as_u64(), Some(2));
    let (status, detail) = server.get(&format!("/api/sensors/{sensor}"));
    assert_eq!(status, 200);
    assert_eq!(detail["last"]["value"].as_f64(), Some(2.5));
    assert_eq!(detail["last"]["count"].as_u64(), Some(2));
    // 07:59:00 and 07:59:30 share one minute of the series.
    assert_eq!(detail["series"].as_array().unwrap().len(), 1, "{detail}");
    assert_eq!(detail["series"][0]["count"].as_u64(), Some(2));
    assert_eq!(detail["series"][0]["mean"].as_f64(), Some(2.0));
    assert_eq!(detail["health"].as_str(), Some("ok"));
}

fn library_position(server: &crate::TestServer) -> (f64, f64, String) {
    let (_, city) = server.get("/api/city");
    let features = city["features"].as_array().unwrap();
    // Any camera gives a point it can see: just in front of it.
    let camera =
        features.iter().find(|feature| feature["properties"]["layer"] == "camera").expect("cameras in the city");
    let coordinates = &camera["geometry"]["coordinates"];
    let (lon, lat) = (coordinates[0].as_f64().unwrap(), coordinates[1].as_f64().unwrap());
    let heading = camera["properties"]["heading_deg"].as_f64().unwrap().to_radians();
    let metres = 10.0;
    let target_lat = lat + metres * heading.cos() / 111_320.0;
    let target_lon = lon + metres * heading.sin() / (111_320.0 * lat.to_radians().cos());
    (target_lon, target_lat, camera["properties"]["id"].as_str().unwrap().to_owned())
}

#[test]
fn an_incident_lives_its_whole_lifecycle_through_the_api() {
    let server = spawn_server("lifecycle");
    let (lon, lat, camera) = library_position(&server);
    let create = json!({ "category": "fire", "title": "Fumée signalée", "position": { "lon": lon, "lat": lat } });
    let (status, created) = server.post("/api/incidents", &create.to_string());
    assert_eq!(status, 201, "{created}");
    let incident = &created["incident"];
    let id = incident["id"].as_u64().unwrap();
    assert_eq!(incident["status"], "open");
    assert!(incident["post"].is_string() && incident["commune"].is_string(), "routed and located: {incident}");
    let steps: Vec<String> = incident["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|step| step["step"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(!steps.is_empty(), "the fire playbook has steps");

    let (status, detail) = server.get(&format!("/api/incidents/{id}"));
    assert_eq!(status, 200);
    let seeing: Vec<&str> =
        detail["cameras"].as_array().unwrap().iter().map(|entry| entry["camera"]["id"].as_str().unwrap()).collect();
    assert!(seeing.contains(&camera.as_str()), "{camera} sees the incident: {seeing:?}");

    let command = |body: Value| server.post(&format!("/api/incidents/{id}/commands"), &body.to_string());
    let (status, rejected) = command(json!({ "type": "resolve", "outcome": "confirmed" }));
    assert_eq!((status, rejected["code"].as_str()), (409, Some("invalid_transition")), "{rejected}");
    assert_eq!(command(json!({ "type": "acknowledge" })).0, 200);
    let (status, rejected) = command(json!({ "type": "resolve", "outcome": "confirmed" }));
    assert_eq!((status, rejected["code"].as_str()), (409, Some("unsettled_steps")), "{rejected}");
    let (status, rejected) = command(json!({ "type": "skip_step", "step": steps[0], "reason": "" }));
    assert_eq!(status, 422, "a skip needs a reason: {rejected}");
    for (index, step) in steps.iter().enumerate() {
        let body = if index % 2 == 0 {
            json!({ "type": "complete_step", "step": step })
        } else {
            json!({ "type": "skip_step", "step": step, "reason": "déjà fait par les pompiers" })
        };
        assert_eq!(command(body).0, 200);
    }
    assert_eq!(command(json!({ "type": "add_note", "text": "Pompiers sur place" })).0, 200);
    assert_eq!(command(json!({ "type": "link_camera", "camera": camera })).0, 200);
    let (status, error) = command(json!({ "type": "link_camera", "camera": "cam-nowhere" }));
    assert_eq!((status, error["path"].as_str()), (422, Some("camera")));
    let (status, resolved) = command(json!({ "type": "resolve", "outcome": "confirmed" }));
    assert_eq!(status, 200, "{resolved}");
    assert_eq!(resolved["incident"]["status"], "resolved");
    assert_eq!(command(json!({ "type": "close" })).0, 200);
    let (status, rejected) = command(json!({ "type": "acknowledge" }));
    assert_eq!((status, rejected["code"].as_str()), (409, Some("invalid_transition")));
    let (status, error) = command(json!({ "type": "fly" }));
    assert_eq!((status, error["code"].as_str()), (422, Some("invalid_input")));
    let (status, error) = server.post("/api/incidents/999/commands", &json!({ "type": "acknowledge" }).to_string());
    assert_eq!((status, error["code"].as_str()), (404, Some("incident_not_found")));

    let (_, detail) = server.get(&format!("/api/incidents/INC-{id:06}"));
    let timeline = detail["timeline"].as_array().unwrap();
    let kinds: Vec<&str> =
        timeline.iter().map(|event| event["body"]["incident"]["change"].as_object().map_or("?", |_| "x")).collect();
    assert_eq!(kinds.len(), timeline.len());
    assert_eq!(
        timeline.len(),
        1 + 1 + steps.len() + 1 + 1 + 1 + 1,
        "created, ack, steps, note, camera, resolved, closed"
    );
    for event in timeline {
        assert_eq!(event["body"]["incident"]["actor"], "operator:alice", "every transition names its author: {event}");
        assert!(event["time"].as_i64().unwrap() >= START);
    }
}

#[test]
fn incident_queue_filters_and_orders() {
    let server = spawn_server("queue");
    let (_, posts) = server.get("/api/posts");
    let posts: Vec<String> =
        posts["posts"].as_array().unwrap().iter().map(|post| post["id"].as_str().unwrap().to_owned()).collect();
    for (index, priority) in ["p3", "p1", "p2", "p1"].iter().enumerate() {
        let body = json!({ "category": "public_order", "title": format!("incident {index}"), "priority": priority, "post": posts[index % 2] });
        assert_eq!(server.post("/api/incidents", &body.to_string()).0, 201);
        server.clock.advance_seconds(10);
    }
    server.post("/api/incidents/1/commands", &json!({ "type": "acknowledge" }).to_string());
    let (_, all) = server.get("/api/incidents");
    let order: Vec<u64> =
        all["incidents"].as_array().unwrap().iter().map(|incident| incident["id"].as_u64().unwrap()).collect();
    // Unacknowledged first (p1 oldest first, then p2), then the acknowledged one.
    assert_eq!(order, vec![2, 4, 3, 1]);
    let (_, filtered) = server.get(&format!("/api/incidents?post={}&priority=p1", posts[1]));
    assert_eq!(filtered["total"].as_u64(), Some(2));
    let (_, filtered) = server.get("/api/incidents?status=acknowledged");
    assert_eq!(filtered["incidents"][0]["id"].as_u64(), Some(1));
    let (_, filtered) = server.get(&format!("/api/incidents?since={}", START + 15_000));
    assert_eq!(filtered["total"].as_u64(), Some(2));
    let (status, error) = server.get("/api/incidents?status=sleeping");
    assert_eq!((status, error["path"].as_str()), (422, Some("status")));
}

#[test]
fn an_unacknowledged_incident_escalates_by_itself() {
    let server = spawn_server("escalation");
    let (_, categories) = server.get("/api/categories");
    let fire = categories["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|category| category["category"] == "fire")
        .unwrap()
        .clone();
    let delay = fire["ack_delay_s"].as_i64().unwrap();
    let (_, created) = server
        .post("/api/incidents", &json!({ "category": "fire", "title": "Alarme", "commune": "21231" }).to_string());
    let id = created["incident"]["id"].as_u64().unwrap();
    server.clock.advance_seconds(delay - 1);
    server.block_on(server.engine.tick()).unwrap();
    let (_, detail) = server.get(&format!("/api/incidents/{id}"));
    assert_eq!(detail["incident"]["escalation_level"].as_u64(), Some(0));
    server.clock.advance_seconds(1);
    server.block_on(server.engine.tick()).unwrap();
    let (_, detail) = server.get(&format!("/api/incidents/{id}"));
    assert_eq!(detail["incident"]["escalation_level"].as_u64(), Some(1), "{detail}");
    let last = detail["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["body"]["incident"]["actor"], "system:escalation");
}

#[test]
fn city_cameras_units_and_positions() {
    let server = spawn_server("city");
    let (status, city) = server.get("/api/city");
    assert_eq!((status, city["type"].as_str()), (200, Some("FeatureCollection")));
    let communes = city["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|feature| feature["properties"]["layer"] == "commune")
        .count();
    assert_eq!(communes, 23);
    let (_, cameras) = server.get("/api/cameras");
    assert!(cameras["cameras"].as_array().unwrap().len() >= 269);
    let (lon, lat, camera) = library_position(&server);
    let (_, seeing) = server.get(&format!("/api/cameras?lon={lon}&lat={lat}"));
    assert!(seeing["cameras"].as_array().unwrap().iter().any(|entry| entry["camera"]["id"] == camera.as_str()));
    let (status, error) = server.get(&format!("/api/cameras?lon={lon}"));
    assert_eq!((status, error["path"].as_str()), (422, Some("lat")));
    let (_, units) = server.get("/api/units");
    let unit = units["units"][0]["unit"]["id"].as_str().unwrap().to_owned();
    let (status, _) =
        server.post(&format!("/api/units/{unit}/position"), &json!({ "lon": 5.04, "lat": 47.32 }).to_string());
    assert_eq!(status, 200);
    let (_, units) = server.get("/api/units");
    assert_eq!(units["units"][0]["state"]["lon"].as_f64(), Some(5.04));
    let (status, _) =
        server.post(&format!("/api/units/{unit}/position"), &json!({ "lon": 500.0, "lat": 47.32 }).to_string());
    assert_eq!(status, 422);
}
