//! The vision worker end to end: the sample video analysed as the demo's camera
//! `cam-dijon-0100`, its reports through the HTTP ingest, redacted evidence snapshots, and the
//! incidents the video rules open.

use crate::{demo_pack, scratch, vigie};
use std::path::PathBuf;
use std::process::Stdio;

fn asset(name: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../assets").join(name);
    assert!(path.exists(), "{} is missing: run `python3 scripts/fetch-assets.py` first", path.display());
    path
}

/// Reads `url` with a session token.
fn get(agent: &ureq::Agent, session: &str, url: &str) -> serde_json::Value {
    let mut response = agent
        .get(url)
        .header("authorization", format!("Bearer {session}"))
        .call()
        .unwrap_or_else(|error| panic!("GET {url}: {error}"));
    assert_eq!(response.status(), 200, "GET {url}");
    response.body_mut().read_json().unwrap()
}

#[test]
fn the_sample_video_becomes_reports_blurred_evidence_and_incidents() {
    let video = asset("vtest.avi");
    let model = asset("yolox_nano.onnx");
    let ort = asset("libonnxruntime.so");
    let dir = scratch("vision");
    let store = dir.join("vigie.db");
    assert!(crate::add_user(&store, "superviseur-test", "supervisor", &["--no-mfa"]).status.success());
    let (mut server, base) = crate::crash::start(&store);

    let worker = vigie()
        .args(["vision", "run", "--camera", "cam-dijon-0100", "--fast", "--threads", "1", "--server", &base])
        // The demo's vision device: it may post only for the sensors of cam-dijon-0100.
        .args(["--device", "vision-demo", "--secret", "demo-vision-2026"])
        .arg("--city")
        .arg(demo_pack())
        .arg("--source")
        .arg(&video)
        .arg("--model")
        .arg(&model)
        .arg("--ort-library")
        .arg(&ort)
        .env("VIGIE_LOG__FILTER", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .status()
        .unwrap();
    assert!(worker.success(), "the worker failed: {worker}");

    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    // A supervisor of every post reads what the worker published.
    let session = crate::login(&base, "superviseur-test");
    // Every zone reported its count; the walkway saw people.
    let sensor = get(&agent, &session, &format!("{base}/api/sensors/cam-dijon-0100.allee.count"));
    let last = sensor["last"]["value"].as_f64().unwrap_or_else(|| panic!("no reading: {sensor}"));
    assert!((0.0..=30.0).contains(&last), "{sensor}");

    // Notable reports carried a snapshot: a JPEG, under the video-derived retention.
    let snapshots = get(&agent, &session, &format!("{base}/api/snapshots"));
    let snapshots = snapshots["snapshots"].as_array().unwrap().clone();
    assert!(!snapshots.is_empty(), "no evidence snapshot was stored");
    for snapshot in &snapshots {
        assert_eq!(snapshot["data_class"], "video_derived");
        let days = (snapshot["expires_at"].as_i64().unwrap() - snapshot["taken_at"].as_i64().unwrap()) / 86_400_000;
        assert_eq!(days, 30, "{snapshot}");
    }
    let id = snapshots[0]["id"].as_str().unwrap();
    let mut image = agent
        .get(&format!("{base}/api/snapshots/{id}"))
        .header("authorization", format!("Bearer {session}"))
        .call()
        .unwrap();
    assert_eq!(image.headers().get("content-type").unwrap(), "image/jpeg");
    let bytes = image.body_mut().read_to_vec().unwrap();
    assert!(bytes.starts_with(&[0xff, 0xd8, 0xff]), "not a JPEG");

    // The video rules opened incidents that show their evidence.
    let incidents = get(&agent, &session, &format!("{base}/api/incidents"));
    let incidents = incidents["incidents"].as_array().unwrap().clone();
    let video: Vec<_> = incidents
        .iter()
        .filter(|incident| incident["title"].as_str().is_some_and(|title| title.contains("vidéo")))
        .collect();
    assert!(!video.is_empty(), "no incident from the video rules among {incidents:#?}");
    let with_evidence = video.iter().any(|incident| {
        let detail = get(&agent, &session, &format!("{base}/api/incidents/{}", incident["id"]));
        detail["evidence"].as_array().is_some_and(|evidence| !evidence.is_empty())
    });
    assert!(with_evidence, "no video incident lists its evidence");

    server.kill().unwrap();
    server.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
