//! The video analytics' inputs from files: the input's first byte picks the mode. Even, the rest
//! is a camera's `vision/<camera>.toml`, read by `load_camera`; a camera that loads then runs
//! its analytics over a short synthetic scene of people walking. Odd, the rest is a
//! MOTChallenge file for `mot::parse`, whose rows are then scored against themselves.
//!
//! Invariants: nothing panics; a loaded camera builds its analytics and reports only to its own
//! sensors, with finite values; every parsed MOTChallenge row reads back the same from the
//! line it writes.

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;
use vigie_fuzz::split_selector;
use vigie_vision::camera::{CameraAnalytics, load_camera};
use vigie_vision::mot::{self, MotRow};
use vigie_vision::{BBox, Detection, ObjectClass};

fuzz_target!(|data: &[u8]| {
    let Some((selector, rest)) = split_selector(data) else { return };
    if selector % 2 == 0 {
        check_camera(rest);
    } else if let Ok(text) = std::str::from_utf8(rest)
        && let Ok(rows) = mot::parse(text)
    {
        check_mot(&rows);
    }
});

/// The file `load_camera` reads, one per process; in memory when the system has a tmpfs.
fn camera_file() -> &'static PathBuf {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    FILE.get_or_init(|| {
        let shm = std::path::Path::new("/dev/shm");
        let dir = if shm.is_dir() { shm.to_owned() } else { std::env::temp_dir() };
        dir.join(format!("vigie-fuzz-camera-{}.toml", std::process::id()))
    })
}

fn check_camera(text: &[u8]) {
    let path = camera_file();
    // Setup failure, not a finding: the run stops with its cause.
    std::fs::write(path, text).expect("the camera file is writable");
    let Ok(config) = load_camera(path) else { return };
    let mut analytics = CameraAnalytics::new(&config).expect("a camera that loads builds its analytics");
    let sensors: Vec<String> = analytics.sensors().into_iter().map(|(sensor, _)| sensor).collect();
    for frame in 0..40_i64 {
        let time_ms = frame * 500;
        let detections = walkers(frame as f32);
        let step = analytics.step(time_ms, (frame * 37 % 1440) as u32, &detections);
        for report in &step.reports {
            assert!(sensors.contains(&report.sensor), "{} is one of the camera's sensors", report.sensor);
            assert!(report.value.is_finite(), "{} reports a finite value, not {}", report.sensor, report.value);
            let _ = analytics.wants_evidence(report);
        }
    }
}

/// Three people crossing a 768 × 576 frame, and a car, at `frame`.
fn walkers(frame: f32) -> Vec<Detection> {
    let person = |left: f32, top: f32| Detection {
        bbox: BBox::from_ltwh(left, top, 30.0, 80.0),
        score: 0.9,
        class: ObjectClass::Person,
    };
    vec![
        person(20.0 + 15.0 * frame, 400.0),
        person(700.0 - 12.0 * frame, 300.0 + 2.0 * frame),
        person(380.0, 560.0 - 10.0 * frame),
        Detection { bbox: BBox::from_ltwh(5.0 * frame, 200.0, 120.0, 70.0), score: 0.6, class: ObjectClass::Car },
    ]
}

fn check_mot(rows: &[MotRow]) {
    for row in rows {
        let line = row.to_string();
        let again = mot::parse(&line).unwrap_or_else(|error| panic!("{line:?} written from {row:?}: {error}"));
        let [again] = again.as_slice() else { panic!("{line:?} is one row") };
        let same_box = (again.frame, again.id, again.left, again.top, again.width, again.height, again.conf)
            == (row.frame, row.id, row.left, row.top, row.width, row.height, row.conf);
        assert!(same_box, "{line:?} reads back as {again:?}, not {row:?}");
        let written_extra = row.extra.map(|value| Some(value.unwrap_or(-1.0)));
        assert_eq!(again.extra, written_extra, "{line:?} keeps its extra fields");
    }
    let _ = mot::evaluate(rows, rows, mot::DEFAULT_IOU_THRESHOLD);
    let counts: Vec<u32> = rows.iter().map(|row| row.frame).collect();
    let _ = mot::count_error(&counts, &counts);
}
