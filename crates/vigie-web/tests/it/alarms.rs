//! Readings through HTTP become alarms, alarms become incidents at the routed post, a flood of
//! alarms collapses into grouped incidents, shelving is logged, and the KPIs count it all.

use crate::{TestServer, spawn_server};
use serde_json::{Value, json};

fn sensors_of_kind(server: &TestServer, kind: &str) -> Vec<Value> {
    let (_, sensors) = server.get("/api/sensors");
    sensors["sensors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["sensor"].clone())
        .filter(|sensor| sensor["kind"] == kind)
        .collect()
}

fn send(server: &TestServer, sensor: &Value, value: f64) {
    let time = server.clock.now_millis();
    let body = json!({ "observations": [{ "sensor_id": sensor["id"], "time": time, "value": value }] });
    let (status, answer) = server.post("/api/observations", &body.to_string());
    assert_eq!(status, 200, "{answer}");
}

fn incidents(server: &TestServer) -> Vec<Value> {
    let (_, list) = server.get("/api/incidents?limit=5000");
    list["incidents"].as_array().unwrap().clone()
}

#[test]
fn smoke_then_heat_in_the_library_opens_incidents_at_the_routed_post() {
    let server = spawn_server("fire-alarm");
    let in_library = |sensor: &Value| sensor["zone"] == "bibliotheque";
    let smoke =
        sensors_of_kind(&server, "smoke").into_iter().find(in_library).expect("a smoke detector in the library");
    let heat = sensors_of_kind(&server, "heat").into_iter().find(in_library).expect("a heat detector in the library");
    send(&server, &smoke, 0.0);
    assert!(incidents(&server).is_empty(), "a clear reading raises nothing");
    send(&server, &smoke, 1.0);
    let opened = incidents(&server);
    assert_eq!(opened.len(), 1, "{opened:?}");
    let pre_alarm = &opened[0];
    assert_eq!(pre_alarm["category"], "fire");
    assert_eq!(pre_alarm["origin"]["alarm"]["rule"], "fumee-pre-alarme");
    assert_eq!(pre_alarm["zone"], "bibliotheque");
    let (_, posts) = server.get("/api/posts");
    assert!(
        posts["posts"].as_array().unwrap().iter().any(|post| post["id"] == pre_alarm["post"]),
        "routed to a real post"
    );

    // The same detector again while its alarm stands: nothing new.
    send(&server, &smoke, 1.0);
    assert_eq!(incidents(&server).len(), 1);
    server.clock.advance_seconds(30);
    send(&server, &heat, 65.0);
    // Heat, then the smoke + heat confirmation, join the fire in the library: one incident, at P1.
    let after_heat = incidents(&server);
    assert_eq!(after_heat.len(), 1, "{after_heat:?}");
    assert_eq!(after_heat[0]["priority"], "p1", "the confirmed fire raised the priority");
    assert_eq!(after_heat[0]["alarm_count"].as_u64(), Some(2));
    let (_, alarms) = server.get("/api/alarms");
    let standing: Vec<&str> =
        alarms["standing"].as_array().unwrap().iter().map(|alarm| alarm["rule"].as_str().unwrap()).collect();
    assert_eq!(standing.len(), 3, "{alarms}");
    assert!(standing.contains(&"feu-confirme"), "smoke + heat within 2 minutes is a confirmed fire: {standing:?}");

    // The pre-alarm's incident shows its alarms in the timeline.
    let id = pre_alarm["id"].as_u64().unwrap();
    let (_, detail) = server.get(&format!("/api/incidents/{id}"));
    let timeline = detail["timeline"].as_array().unwrap();
    assert!(timeline[0]["body"]["alarm"].is_object(), "{detail}");
    let alarm_events = timeline.iter().filter(|event| event["body"]["alarm"].is_object()).count();
    assert_eq!(alarm_events, 3, "three alarms raised into this incident: {detail}");

    // The detector clears, then raises again: the alarm joins the still-open incident.
    server.clock.advance_seconds(10);
    send(&server, &smoke, 0.0);
    send(&server, &smoke, 1.0);
    let (_, detail) = server.get(&format!("/api/incidents/{id}"));
    assert_eq!(detail["incident"]["alarm_count"].as_u64(), Some(3), "{detail}");

    // Stopping takes a snapshot that holds the alarms and the rule windows.
    server.block_on(server.engine.shutdown());
    let mut log = vigie_store::sqlite::SqliteLog::open(&server.path).unwrap();
    let snapshot = vigie_store::EventLog::latest_snapshot(&mut log).unwrap().expect("a snapshot at shutdown");
    let state: vigie_core::CityState = serde_json::from_slice(&snapshot.state).expect("the snapshot decodes");
    assert_eq!(state.alarms.standing.len(), 3);
    assert!(!snapshot.rules.is_empty(), "the rule windows are saved");
    let windows: vigie_rules::RuleState = serde_json::from_slice(&snapshot.rules).expect("the rule windows decode");
    assert_eq!(windows.standing().len(), 3);
}

#[test]
fn a_flood_of_alarms_is_grouped_and_counted() {
    let server = spawn_server("alarm-flood");
    let smokes = sensors_of_kind(&server, "smoke");
    assert!(smokes.len() >= 20);
    for sensor in &smokes[..20] {
        send(&server, sensor, 1.0);
        server.clock.advance_seconds(5);
    }
    let all = incidents(&server);
    let groups: Vec<&Value> =
        all.iter().filter(|incident| incident["origin"]["alarm"]["rule"] == "alarm-flood").collect();
    assert!(!groups.is_empty(), "some alarms were grouped");
    assert!(all.len() < 20, "20 alarms opened fewer than 20 incidents: {}", all.len());
    let (_, alarms) = server.get("/api/alarms");
    assert_eq!(alarms["standing"].as_array().unwrap().len(), 20);
    // Each alarm opened an incident or was attached to one; group parents are opened for them.
    let opened_directly = (all.len() - groups.len()) as u64;
    let attached: u64 = all.iter().map(|incident| incident["alarm_count"].as_u64().unwrap()).sum();
    assert_eq!(opened_directly + attached, 20, "every alarm is in exactly one incident");

    let (status, kpis) = server.get("/api/alarms/kpis");
    assert_eq!(status, 200);
    let flooded: Vec<&Value> =
        kpis["posts"].as_array().unwrap().iter().filter(|post| post["flooded"] == true).collect();
    assert!(!flooded.is_empty(), "{kpis}");
    let per_post: u64 =
        kpis["posts"].as_array().unwrap().iter().map(|post| post["alarms_last_10_min"].as_u64().unwrap()).sum();
    assert_eq!(per_post, 20);
    assert_eq!(kpis["raised_total"].as_u64(), Some(20));
}

#[test]
fn shelving_is_explicit_logged_and_expires() {
    let server = spawn_server("shelving");
    let smoke = sensors_of_kind(&server, "smoke").remove(0);
    let subject = smoke["id"].as_str().unwrap().to_owned();
    let shelve = |minutes: i64, reason: &str| {
        server.post(
            "/api/alarms/shelve",
            &json!({ "rule": "fumee-pre-alarme", "subject": subject, "minutes": minutes, "reason": reason })
                .to_string(),
        )
    };
    let (status, error) = shelve(30, "travaux");
    assert_eq!((status, error["code"].as_str()), (404, Some("alarm_not_found")), "only a known alarm is shelved");
    send(&server, &smoke, 1.0);
    send(&server, &smoke, 0.0);
    assert_eq!(incidents(&server).len(), 1);
    let (status, error) = shelve(30, " ");
    assert_eq!((status, error["code"].as_str()), (422, Some("empty_reason")));
    let (status, error) = shelve(60 * 24 * 8, "trop long");
    assert_eq!((status, error["code"].as_str()), (422, Some("bad_expiry")));
    let (status, _) = shelve(30, "travaux de peinture, détecteur capoté");
    assert_eq!(status, 200);
    let id = incidents(&server)[0]["id"].as_u64().unwrap();
    server.post(&format!("/api/incidents/{id}/commands"), &json!({ "type": "acknowledge" }).to_string());
    server.clock.advance_seconds(60);
    send(&server, &smoke, 1.0);
    let (_, alarms) = server.get("/api/alarms");
    assert_eq!(alarms["standing"][0]["shelved"], true, "{alarms}");
    assert_eq!(alarms["shelved"][0]["shelf"]["by"], "operator:alice");
    let (_, detail) = server.get(&format!("/api/incidents/{id}"));
    assert_eq!(detail["incident"]["alarm_count"].as_u64(), Some(0), "a shelved alarm joins nothing");
    // Past the expiry the next tick ends the shelf, and logs it.
    server.clock.advance_seconds(30 * 60);
    server.block_on(server.engine.tick()).unwrap();
    let (_, alarms) = server.get("/api/alarms");
    assert!(alarms["shelved"].as_array().unwrap().is_empty(), "{alarms}");
    let (status, error) =
        server.post("/api/alarms/unshelve", &json!({ "rule": "fumee-pre-alarme", "subject": subject }).to_string());
    assert_eq!((status, error["code"].as_str()), (409, Some("not_shelved")));
}

/// Copies the demo pack (files and folders) into a fresh folder.
fn copy_pack(name: &str) -> std::path::PathBuf {
    fn copy(from: &std::path::Path, to: &std::path::Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                copy(&entry.path(), &to.join(entry.file_name()));
            } else {
                std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
            }
        }
    }
    let dir = std::env::temp_dir().join(format!("vigie-web-pack-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy(&crate::demo_pack(), &dir);
    dir
}

#[test]
fn rules_reload_without_a_restart_and_bad_rules_are_refused() {
    let pack = copy_pack("reload");
    let server = crate::spawn_server_with_pack("reload", pack.clone());
    let smoke = sensors_of_kind(&server, "smoke").remove(0);
    let (_, loaded) = server.get("/api/rules");
    let rule_count = loaded["rules"].as_array().unwrap().len() as u64;
    // A stricter pre-alarm: nothing raises at 1 any more.
    let fire = std::fs::read_to_string(pack.join("rules/fire.toml")).unwrap();
    std::fs::write(pack.join("rules/fire.toml"), fire.replacen("raise = 1, clear = 0", "raise = 2, clear = 0", 1))
        .unwrap();
    let (status, answer) = server.post("/api/rules/reload", "");
    assert_eq!((status, answer["reloaded"].as_u64()), (200, Some(rule_count)), "{answer}");
    assert_eq!(server.audit_entries("rules.reload").len(), 1, "the reload is audited");
    send(&server, &smoke, 1.0);
    assert!(incidents(&server).is_empty(), "the reloaded rule runs");
    // A broken file is refused with its error, and the rules in force stay.
    std::fs::write(pack.join("rules/broken.toml"), "[[rule]]\nid = \"x\"\ncategory = \"nope\"\n").unwrap();
    let (status, error) = server.post("/api/rules/reload", "");
    assert_eq!((status, error["code"].as_str()), (422, Some("invalid_rules")), "{error}");
    assert!(error["message"].as_str().unwrap().contains("broken.toml"), "{error}");
    send(&server, &smoke, 2.0);
    assert_eq!(incidents(&server).len(), 1);
    let (status, rules) = server.get("/api/rules");
    assert_eq!(status, 200);
    let pre_alarm = rules["rules"].as_array().unwrap().iter().find(|rule| rule["id"] == "fumee-pre-alarme").unwrap();
    assert_eq!(pre_alarm["when"]["threshold"]["raise"].as_f64(), Some(2.0), "{pre_alarm}");
    std::fs::remove_dir_all(&pack).unwrap();
}
