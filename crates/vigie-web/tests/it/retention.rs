//! Retention with the injected clock: an evidence snapshot past its 30 days is purged and can
//! no longer be read through any route (the image, the list, an incident's evidence); the
//! purge register names it; a legal hold (on the snapshot, or on the incident whose evidence
//! it is) keeps it readable until the hold is lifted.

use crate::{Credentials, SIMULATOR, Session, TestServer, spawn_server};
use serde_json::{Value, json};
use vigie_auth::{Role, Scope};

const SENSOR: &str = "cam-dijon-0100.pelouse.intrusion";

fn send(server: &TestServer, method: &str, path: &str, session: &Session, body: Value) -> crate::Answer {
    server.request(method, path, Credentials::Cookie(session), Some(("application/json", body.to_string().as_bytes())))
}

/// Posts a reading of the intrusion analytic.
fn intrusion(server: &TestServer, value: f64) {
    let body = json!({ "observations": [{ "sensor_id": SENSOR, "time": server.clock.now_millis(), "value": value }] });
    let (status, answer) = server.post("/api/observations", &body.to_string());
    assert_eq!(status, 200, "{answer}");
}

fn open_intrusion_incident(server: &TestServer) -> u64 {
    let (_, incidents) = server.get("/api/incidents?status=open");
    incidents["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|incident| incident["origin"]["alarm"]["rule"] == "video-intrusion")
        .unwrap_or_else(|| panic!("an open video intrusion incident: {incidents}"))["id"]
        .as_u64()
        .unwrap()
}

/// Stores a snapshot as the simulator device; returns its id.
fn snapshot(server: &TestServer) -> String {
    let path = format!("/api/snapshots?camera=cam-dijon-0100&sensor={SENSOR}&time={}", server.clock.now_millis());
    let (id, secret) = SIMULATOR;
    let answer = server.request(
        "POST",
        &path,
        Credentials::Device(id, secret),
        Some(("image/jpeg", &[0xff, 0xd8, 0xff, 0xe0, 1, 2, 3])),
    );
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.body["id"].as_str().unwrap().to_owned()
}

/// Acknowledges, settles every step, resolves and closes an incident.
fn close(server: &TestServer, id: u64) {
    let command = |body: Value| server.post(&format!("/api/incidents/{id}/commands"), &body.to_string());
    assert_eq!(command(json!({ "type": "acknowledge" })).0, 200);
    let (_, detail) = server.get(&format!("/api/incidents/{id}"));
    for step in detail["incident"]["steps"].as_array().unwrap() {
        let step = step["step"]["id"].as_str().unwrap();
        assert_eq!(command(json!({ "type": "skip_step", "step": step, "reason": "test" })).0, 200);
    }
    assert_eq!(command(json!({ "type": "resolve", "outcome": "confirmed" })).0, 200);
    assert_eq!(command(json!({ "type": "close" })).0, 200);
}

/// Whether a snapshot can be read through the image, the list and the incident's evidence.
fn readable(server: &TestServer, snapshot: &str, incident: u64) -> [bool; 3] {
    let (image, _) = server.get(&format!("/api/snapshots/{snapshot}"));
    let (_, list) = server.get(&format!("/api/snapshots?sensor={SENSOR}&limit=500"));
    let listed = list["snapshots"].as_array().unwrap().iter().any(|meta| meta["id"] == snapshot);
    let (_, detail) = server.get(&format!("/api/incidents/{incident}"));
    let evidence = detail["evidence"].as_array().unwrap().iter().any(|meta| meta["id"] == snapshot);
    [image == 200, listed, evidence]
}

fn purge(server: &TestServer) -> Vec<String> {
    let now = server.clock.now();
    let purged = server.block_on(vigie_web::retention::purge_once(&server.state, now)).unwrap();
    purged.into_iter().map(|meta| meta.id).collect()
}

fn register(server: &TestServer, auditor: &Session) -> Vec<Value> {
    let answer = server.request("GET", "/api/retention/purges?limit=1000", Credentials::Cookie(auditor), None);
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.body["purges"].as_array().unwrap().clone()
}

#[test]
fn expired_snapshots_are_unreadable_everywhere_unless_a_hold_keeps_them() {
    let server = spawn_server("retention");
    let dpo = server.session("dpd", Role::DataProtectionOfficer, Scope::all());
    let auditor = server.session("auditeur", Role::Auditor, Scope::all());
    intrusion(&server, 1.0);
    let incident = open_intrusion_incident(&server);
    let expiring = snapshot(&server);
    let held = snapshot(&server);
    assert_eq!(readable(&server, &expiring, incident), [true; 3]);
    close(&server, incident);
    let hold = send(
        &server,
        "POST",
        "/api/retention/holds",
        &dpo,
        json!({ "target": { "snapshot": held }, "reason": "court order 2026-117" }),
    );
    assert_eq!(hold.status, 201, "{}", hold.text);
    let hold_id = hold.body["id"].as_i64().unwrap();

    // 29 days: nothing is due.
    server.clock.advance_seconds(29 * 86_400);
    assert!(purge(&server).is_empty());
    // 31 days: the retention of 30 days has ended.
    server.clock.advance_seconds(2 * 86_400);
    assert_eq!(
        readable(&server, &expiring, incident),
        [false; 3],
        "past its retention, nothing reads it even before the purge"
    );
    assert_eq!(purge(&server), vec![expiring.clone()]);
    assert_eq!(readable(&server, &expiring, incident), [false; 3]);
    assert_eq!(readable(&server, &held, incident), [true; 3], "the legal hold keeps it");
    let purges = register(&server, &auditor);
    let line = |id: &str| {
        purges.iter().filter(|line| line["object_id"] == format!("snapshot:{id}")).cloned().collect::<Vec<_>>()
    };
    assert_eq!(line(&expiring).len(), 1);
    assert_eq!(line(&expiring)[0]["kept_by"], Value::Null);
    assert!(line(&expiring)[0]["reason"].as_str().unwrap().contains("retention ended"));
    assert_eq!(line(&held)[0]["kept_by"], format!("legal_hold:{hold_id}"));
    assert!(purge(&server).is_empty(), "kept again, and not registered twice");
    assert_eq!(register(&server, &auditor).len(), purges.len());

    let lifted = server.request("DELETE", &format!("/api/retention/holds/{hold_id}"), Credentials::Cookie(&dpo), None);
    assert_eq!(lifted.status, 200, "{}", lifted.text);
    assert_eq!(lifted.body["active"], false);
    assert_eq!(purge(&server), vec![held.clone()]);
    assert_eq!(readable(&server, &held, incident), [false; 3]);
    let purges = register(&server, &auditor);
    assert!(purges.iter().any(|line| line["object_id"] == format!("snapshot:{held}") && line["kept_by"].is_null()));

    // A hold on an incident keeps its evidence after it is closed.
    intrusion(&server, 0.0);
    intrusion(&server, 1.0);
    let second = open_intrusion_incident(&server);
    let evidence = snapshot(&server);
    let hold = send(
        &server,
        "POST",
        "/api/retention/holds",
        &dpo,
        json!({ "target": { "incident": second }, "reason": "complaint" }),
    );
    assert_eq!(hold.status, 201, "{}", hold.text);
    close(&server, second);
    server.clock.advance_seconds(31 * 86_400);
    assert!(purge(&server).is_empty());
    assert_eq!(readable(&server, &evidence, second), [true; 3]);
    let holds = server.request("GET", "/api/retention/holds", Credentials::Cookie(&auditor), None);
    assert_eq!(holds.body["holds"].as_array().unwrap().len(), 2);
    let operator = server.session("operateur", Role::Operator, Scope::all());
    let refused = send(
        &server,
        "POST",
        "/api/retention/holds",
        &operator,
        json!({ "target": { "incident": second }, "reason": "x" }),
    );
    assert_eq!(refused.status, 403, "only the data protection officer places holds");
    assert!(server.audit_entries("legal_hold.place").len() >= 2);
    assert_eq!(server.audit_entries("read_imagery").len(), 3, "every image read is audited");
}
