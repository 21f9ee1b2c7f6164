//! One camera's analytics end to end on synthetic detections in image pixels: through the
//! tracker, a known homography and the scene, to the reports the worker publishes.

use vigie_vision::camera::{CameraAnalytics, CameraConfig, Measure, Report};
use vigie_vision::{BBox, Detection, ObjectClass};

/// A camera looking straight down: 20 pixels per metre, ground x = u / 20, y = v / 20. Zones:
/// the whole 40 × 30 m ground (walking allowed towards +y only), a 10 m² square where density
/// is watched, and a forbidden strip at all hours.
const CONFIG: &str = r#"
camera = "cam-test"
source = "unused.mp4"
analysis_fps = 10.0
snapshot_every_s = 30

[calibration]
points = [
    { image = [0.0, 0.0], ground = [0.0, 0.0] },
    { image = [800.0, 0.0], ground = [40.0, 0.0] },
    { image = [800.0, 600.0], ground = [40.0, 30.0] },
    { image = [0.0, 600.0], ground = [0.0, 30.0] },
    { image = [400.0, 300.0], ground = [20.0, 15.0] },
]

[scene]
report_every_s = 10

[[scene.zones]]
id = "place"
polygon = [[0.0, 0.0], [40.0, 0.0], [40.0, 30.0], [0.0, 30.0]]
allowed_direction_deg = 90.0

[[scene.zones]]
id = "carre"
polygon = [[30.0, 20.0], [30.0, 23.1623], [33.1623, 23.1623], [33.1623, 20.0]]
density_max = 0.3
density_for_s = 2

[[scene.zones]]
id = "voie"
polygon = [[0.0, 26.0], [20.0, 26.0], [20.0, 30.0], [0.0, 30.0]]
count = false
forbidden = []
"#;

fn config() -> CameraConfig {
    toml::from_str(CONFIG).expect("the test camera parses")
}

/// A person standing with their feet at ground `(x, y)` metres.
fn person_at(x: f64, y: f64) -> Detection {
    let (u, v) = ((x * 20.0) as f32, (y * 20.0) as f32);
    Detection { bbox: BBox { x1: u - 8.0, y1: v - 40.0, x2: u + 8.0, y2: v }, score: 0.9, class: ObjectClass::Person }
}

/// Runs `frames` frames at 10 frames/s, each frame's detections from `scene(time_s)`.
fn run(analytics: &mut CameraAnalytics, frames: u32, scene: impl Fn(f64) -> Vec<Detection>) -> Vec<Report> {
    let mut reports = Vec::new();
    for frame in 0..frames {
        let time_ms = i64::from(frame) * 100;
        let step = analytics.step(time_ms, 12 * 60, &scene(time_ms as f64 / 1000.0));
        reports.extend(step.reports);
    }
    reports
}

fn values(reports: &[Report], sensor: &str) -> Vec<f64> {
    reports.iter().filter(|report| report.sensor == sensor).map(|report| report.value).collect()
}

#[test]
fn sensors_follow_the_camera_zone_measure_convention() {
    let config = config();
    let analytics = CameraAnalytics::new(&config).unwrap();
    let sensors: Vec<(String, Measure)> = analytics.sensors();
    assert_eq!(
        sensors,
        vec![
            ("cam-test.place.count".to_owned(), Measure::Count),
            ("cam-test.place.close_pairs".to_owned(), Measure::ClosePairs),
            ("cam-test.place.counter_flow".to_owned(), Measure::CounterFlow),
            ("cam-test.carre.count".to_owned(), Measure::Count),
            ("cam-test.carre.density".to_owned(), Measure::Density),
            ("cam-test.carre.close_pairs".to_owned(), Measure::ClosePairs),
            ("cam-test.voie.intrusion".to_owned(), Measure::Intrusion),
        ]
    );
    assert_eq!(Measure::Density.unit(), "persons/m²");
    assert_eq!(Measure::CounterFlow.kind(), "video_counter_flow");
}

#[test]
fn a_walker_against_the_allowed_direction_is_counter_flow_and_one_with_it_is_not() {
    let mut analytics = CameraAnalytics::new(&config()).unwrap();
    // Two walkers at 1.4 m/s: one towards +y (allowed), one towards -y (against), far apart.
    let reports = run(&mut analytics, 101, |t| vec![person_at(5.0, 5.0 + 1.4 * t), person_at(15.0, 20.0 - 1.4 * t)]);
    let counter_flow = values(&reports, "cam-test.place.counter_flow");
    assert_eq!(counter_flow.len(), 1, "one report period of 10 s: {reports:#?}");
    assert_eq!(counter_flow[0], 1.0, "exactly the walker going against the flow");
    let counts = values(&reports, "cam-test.place.count");
    assert_eq!(counts, vec![2.0]);
    let report = reports.iter().find(|report| report.sensor == "cam-test.place.counter_flow").unwrap();
    assert!(report.notable);
    // One snapshot for the event, then none for the same sensor within 30 s.
    assert!(analytics.wants_evidence(report));
    assert!(!analytics.wants_evidence(report));
}

#[test]
fn entering_the_forbidden_strip_is_an_intrusion() {
    let mut analytics = CameraAnalytics::new(&config()).unwrap();
    // From y = 22 m to y = 29 m at 1 m/s: inside the strip (y ≥ 26) after 4 s.
    let reports = run(&mut analytics, 101, |t| vec![person_at(10.0, (22.0 + t).min(29.0))]);
    let intrusions = values(&reports, "cam-test.voie.intrusion");
    assert_eq!(intrusions, vec![1.0]);
    // Standing still outside never intrudes.
    let mut quiet = CameraAnalytics::new(&config()).unwrap();
    let reports = run(&mut quiet, 101, |_| vec![person_at(10.0, 20.0)]);
    assert_eq!(values(&reports, "cam-test.voie.intrusion"), vec![0.0]);
}

#[test]
fn four_persons_on_ten_square_metres_are_an_excessive_density() {
    let mut analytics = CameraAnalytics::new(&config()).unwrap();
    let group = |_| vec![person_at(30.5, 20.5), person_at(32.5, 20.5), person_at(30.5, 22.5), person_at(32.5, 22.5)];
    let reports = run(&mut analytics, 201, group);
    let density: Vec<&Report> = reports.iter().filter(|report| report.sensor == "cam-test.carre.density").collect();
    assert_eq!(density.len(), 2);
    for report in &density {
        assert!((report.value - 0.4).abs() < 0.01, "4 persons / 10 m²: {report:?}");
        assert!(report.notable, "above 0.3 persons/m² for more than 2 s: {report:?}");
    }
    // Two persons stay under the maximum.
    let mut sparse = CameraAnalytics::new(&config()).unwrap();
    let reports = run(&mut sparse, 101, |_| vec![person_at(30.5, 20.5), person_at(32.5, 22.5)]);
    let density = reports.iter().find(|report| report.sensor == "cam-test.carre.density").unwrap();
    assert!((density.value - 0.2).abs() < 0.01 && !density.notable, "{density:?}");
    // The group of four stands 2 m apart: no pair under 1 m; two persons 0.6 m apart make one.
    assert_eq!(values(&reports, "cam-test.carre.close_pairs"), vec![0.0]);
    let mut close = CameraAnalytics::new(&config()).unwrap();
    let reports = run(&mut close, 101, |_| vec![person_at(31.0, 21.0), person_at(31.6, 21.0)]);
    assert_eq!(values(&reports, "cam-test.carre.close_pairs"), vec![1.0]);
}

#[test]
fn a_camera_file_with_a_degenerate_calibration_is_refused_with_its_path() {
    let dir = std::env::temp_dir().join(format!("vigie-vision-camera-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("cam-test.toml");
    let broken = CONFIG
        .replace("{ image = [400.0, 300.0], ground = [20.0, 15.0] },", "")
        .replace("{ image = [0.0, 600.0], ground = [0.0, 30.0] },", "{ image = [400.0, 0.0], ground = [20.0, 0.0] },");
    std::fs::write(&path, broken).unwrap();
    let error = vigie_vision::camera::load_camera(&path).unwrap_err().to_string();
    assert!(error.contains("cam-test.toml") && error.contains("calibration"), "{error}");
    let _ = std::fs::remove_dir_all(&dir);
}
