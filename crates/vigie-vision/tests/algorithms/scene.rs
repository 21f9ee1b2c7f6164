//! Scene analytics on synthetic ground tracks.

use vigie_vision::scene::{
    AlarmPhase, Direction, LegalEventType, LineConfig, SceneAnalyzer, SceneConfig, SceneConfigError, SceneEvent,
    SceneEventKind, SceneTrack, Schedule, TimeWindow, ZoneConfig,
};
use vigie_vision::{GroundPoint, ObjectClass};

use crate::random::Random;

const NOON: u32 = 12 * 60;

fn zone(id: &str, polygon: &[[f64; 2]]) -> ZoneConfig {
    ZoneConfig {
        id: id.to_owned(),
        polygon: polygon.to_vec(),
        count: false,
        density_max: None,
        density_for_s: 10,
        allowed_direction_deg: None,
        direction_tolerance_deg: 90.0,
        min_speed_m_s: 0.5,
        forbidden: None,
    }
}

fn rectangle(width: f64, height: f64) -> Vec<[f64; 2]> {
    vec![[0.0, 0.0], [width, 0.0], [width, height], [0.0, height]]
}

fn scene(zones: Vec<ZoneConfig>, lines: Vec<LineConfig>) -> SceneAnalyzer {
    SceneAnalyzer::new(SceneConfig { zones, lines, report_every_s: 10 }).expect("valid scene")
}

fn person(id: u64, x: f64, y: f64) -> SceneTrack {
    SceneTrack { id, class: ObjectClass::Person, ground: GroundPoint { x, y } }
}

fn window(from: &str, to: &str) -> TimeWindow {
    TimeWindow { from: from.to_owned(), to: to.to_owned() }
}

#[test]
fn counter_flow_is_raised_for_a_walker_against_the_direction_only() {
    let mut corridor = zone("corridor", &rectangle(40.0, 10.0));
    corridor.allowed_direction_deg = Some(0.0);
    let mut analyzer = scene(vec![corridor], vec![]);
    let mut random = Random::new(11);
    let mut events = Vec::new();
    // 10 frames per second for 8 s, with 10 cm of position noise.
    for step in 0..80 {
        let t = f64::from(step) / 10.0;
        let mut noise = || random.gaussian(0.1);
        let tracks = [
            person(1, 2.0 + 1.2 * t + noise(), 2.0 + noise()),
            person(2, 5.0 + 0.9 * t + noise(), 4.0 + 0.2 * t + noise()),
            // Against the flow, slightly diagonal.
            person(3, 35.0 - 1.1 * t + noise(), 6.0 + 0.3 * t + noise()),
            // Against the flow but barely moving: someone waiting.
            person(4, 20.0 - 0.2 * t + noise(), 8.0 + noise()),
        ];
        events.extend(analyzer.update(i64::from(step) * 100, NOON, &tracks));
    }
    let counter_flows: Vec<&SceneEvent> =
        events.iter().filter(|event| matches!(event.kind, SceneEventKind::CounterFlow { .. })).collect();
    assert_eq!(counter_flows.len(), 1, "{counter_flows:#?}");
    let SceneEventKind::CounterFlow { track, speed_m_s, heading_deg, class } = counter_flows[0].kind else {
        unreachable!("filtered on CounterFlow above")
    };
    assert_eq!((track, class, counter_flows[0].place.as_str()), (3, ObjectClass::Person, "corridor"));
    assert!((speed_m_s - 1.14).abs() < 0.15, "speed {speed_m_s}");
    assert!((heading_deg - 164.7).abs() < 8.0, "heading {heading_deg}");
    assert_eq!(counter_flows[0].value, speed_m_s);
    assert_eq!(counter_flows[0].kind.legal_type(), Some(LegalEventType::CounterFlow));
}

/// The point reached after walking `distance` metres along a polyline.
fn along(waypoints: &[(f64, f64)], mut distance: f64) -> (f64, f64) {
    for segment in waypoints.windows(2) {
        let (from, to) = (segment[0], segment[1]);
        let length = (to.0 - from.0).hypot(to.1 - from.1);
        if distance <= length {
            let fraction = distance / length;
            return (from.0 + fraction * (to.0 - from.0), from.1 + fraction * (to.1 - from.1));
        }
        distance -= length;
    }
    waypoints[waypoints.len() - 1]
}

#[test]
fn counter_flow_is_raised_again_on_a_new_stay_in_the_zone() {
    let mut corridor = zone("corridor", &rectangle(10.0, 10.0));
    corridor.allowed_direction_deg = Some(90.0);
    let mut analyzer = scene(vec![corridor], vec![]);
    // Down through the zone against the flow, round it on the outside, and down through it again.
    let waypoints = [(5.0, 11.0), (5.0, -1.0), (12.0, -1.0), (12.0, 11.0), (5.0, 11.0), (5.0, -1.0)];
    let mut raised_at = Vec::new();
    for step in 0..560_i64 {
        let (x, y) = along(&waypoints, step as f64 / 10.0);
        for event in analyzer.update(step * 100, NOON, &[person(9, x, y)]) {
            if matches!(event.kind, SceneEventKind::CounterFlow { .. }) {
                raised_at.push(step as f64 / 10.0);
            }
        }
    }
    assert_eq!(raised_at.len(), 2, "once per stay, raised at {raised_at:?} m");
    assert!(raised_at[0] < 12.0 && raised_at[1] > 38.0);
}

fn intrusions(events: &[SceneEvent]) -> Vec<u64> {
    events
        .iter()
        .filter_map(|event| match event.kind {
            SceneEventKind::Intrusion { track, .. } => Some(track),
            _ => None,
        })
        .collect()
}

#[test]
fn intrusion_only_while_the_schedule_is_active_including_across_midnight() {
    let mut depot = zone("depot", &rectangle(10.0, 10.0));
    depot.forbidden = Some(Schedule(vec![window("22:00", "06:00"), window("12:30", "13:00")]));
    let inside = [person(1, 5.0, 5.0)];
    let outside = [person(1, 15.0, 5.0)];
    for (minute, expected) in [
        (21 * 60 + 59, false),
        (22 * 60, true),
        (23 * 60 + 30, true),
        (0, true),
        (5 * 60 + 59, true),
        (6 * 60, false),
        (12 * 60 + 29, false),
        (12 * 60 + 30, true),
        (13 * 60, false),
    ] {
        let mut analyzer = scene(vec![depot.clone()], vec![]);
        let events = analyzer.update(0, minute, &inside);
        assert_eq!(intrusions(&events), if expected { vec![1] } else { vec![] }, "minute {minute}");
    }

    // Once per stay: staying raises nothing more; leaving and coming back raises again.
    let mut analyzer = scene(vec![depot.clone()], vec![]);
    let mut raised = Vec::new();
    for (second, tracks) in [(0, &inside), (1, &inside), (2, &inside), (3, &outside), (4, &inside), (5, &inside)] {
        raised.extend(intrusions(&analyzer.update(second * 1000, 23 * 60, tracks)));
    }
    assert_eq!(raised, vec![1, 1]);

    // Already inside when the schedule starts: raised when it starts.
    let mut analyzer = scene(vec![depot], vec![]);
    assert!(intrusions(&analyzer.update(0, 21 * 60 + 59, &inside)).is_empty());
    let at_ten = analyzer.update(60_000, 22 * 60, &inside);
    assert_eq!(intrusions(&at_ten), vec![1]);
    assert_eq!(at_ten[0].kind.legal_type(), Some(LegalEventType::ZoneIntrusion));
}

#[test]
fn an_empty_schedule_means_always_forbidden() {
    let mut track_bed = zone("track-bed", &rectangle(10.0, 3.0));
    track_bed.forbidden = Some(Schedule(vec![]));
    let mut analyzer = scene(vec![track_bed], vec![]);
    let car = SceneTrack { id: 4, class: ObjectClass::Car, ground: GroundPoint { x: 1.0, y: 1.0 } };
    assert_eq!(intrusions(&analyzer.update(0, NOON, &[car])), vec![4]);
}

fn crowd(count: u64) -> Vec<SceneTrack> {
    // A 10 × 10 m square holds them on a 1 m grid.
    (0..count).map(|index| person(index, 0.5 + (index % 10) as f64, 0.5 + (index / 10) as f64)).collect()
}

#[test]
fn density_is_raised_after_the_delay_and_cleared_with_hysteresis() {
    let mut square = zone("square", &rectangle(10.0, 10.0));
    square.density_max = Some(0.5);
    square.density_for_s = 10;
    let mut analyzer = scene(vec![square], vec![]);
    let mut timeline = Vec::new();
    // One frame per second: 60 persons (0.6/m²) for 20 s, 45 (0.45/m², above the 0.4 clear
    // level) for 30 s, then 30 (0.3/m²) for 20 s.
    for second in 0..70_i64 {
        let persons = match second {
            0..20 => 60,
            20..50 => 45,
            _ => 30,
        };
        for event in analyzer.update(second * 1000, NOON, &crowd(persons)) {
            if let SceneEventKind::Density { phase, persons_per_m2, .. } = event.kind {
                timeline.push((second, phase, persons_per_m2));
            }
        }
    }
    let raised: Vec<_> = timeline.iter().filter(|entry| entry.1 == AlarmPhase::Raised).collect();
    let cleared: Vec<_> = timeline.iter().filter(|entry| entry.1 == AlarmPhase::Cleared).collect();
    assert_eq!(raised.len(), 1);
    assert_eq!(raised[0].0, 10, "raised after 10 s above 0.5/m²");
    assert!((raised[0].2 - 0.6).abs() < 1e-12);
    assert_eq!(cleared.len(), 1);
    assert_eq!(cleared[0].0, 60, "cleared after 10 s below 0.4/m², not when it fell under 0.5");
    let ongoing: Vec<i64> =
        timeline.iter().filter(|entry| entry.1 == AlarmPhase::Ongoing).map(|entry| entry.0).collect();
    assert_eq!(ongoing, vec![20, 30, 40, 50], "reported every 10 s while raised");
}

#[test]
fn a_short_peak_does_not_raise_density() {
    let mut square = zone("square", &rectangle(10.0, 10.0));
    square.density_max = Some(0.5);
    let mut analyzer = scene(vec![square], vec![]);
    for second in 0..30_i64 {
        let persons = if second % 10 < 8 { 60 } else { 40 };
        let events = analyzer.update(second * 1000, NOON, &crowd(persons));
        assert!(!events.iter().any(|event| matches!(event.kind, SceneEventKind::Density { .. })));
    }
}

#[test]
fn line_crossings_are_counted_once_each_way() {
    // From a = (0, 0) to b = (0, 10): its left is −x, so walking towards +x is "in".
    let gate = LineConfig { id: "gate".to_owned(), a: [0.0, 0.0], b: [0.0, 10.0] };
    let mut analyzer = scene(vec![], vec![gate]);
    let mut crossings = Vec::new();
    for step in 0..100_i64 {
        let t = step as f64 / 10.0;
        let tracks = [
            person(1, -5.0 + t, 3.0),
            person(2, 5.0 - t, 7.0),
            // Standing on the line, swaying by 20 cm.
            person(3, 0.2 * (t * 3.0).sin(), 5.0),
            // Crossing the line's extension, beyond b.
            person(4, -5.0 + t, 12.0),
        ];
        for event in analyzer.update(step * 100, NOON, &tracks) {
            if let SceneEventKind::LineCrossing { track, direction, class } = event.kind {
                assert_eq!((event.place.as_str(), class), ("gate", ObjectClass::Person));
                crossings.push((track, direction));
            }
        }
    }
    assert_eq!(crossings, vec![(1, Direction::In), (2, Direction::Out)]);
}

#[test]
fn distance_statistics_and_counts_every_report_period() {
    let mut plaza = zone("plaza", &rectangle(20.0, 20.0));
    plaza.count = true;
    let mut analyzer = scene(vec![plaza], vec![]);
    let persons = [person(1, 1.0, 1.0), person(2, 1.5, 1.0), person(3, 4.0, 1.0), person(4, 4.0, 1.8)];
    let bike = SceneTrack { id: 5, class: ObjectClass::Bicycle, ground: GroundPoint { x: 1.2, y: 1.0 } };
    let outside = person(6, 30.0, 1.0);
    let mut reports = Vec::new();
    for second in 0..25_i64 {
        let mut tracks = persons.to_vec();
        tracks.extend([bike, outside]);
        for event in analyzer.update(second * 1000, NOON, &tracks) {
            reports.push((second, event));
        }
    }
    let count_times: Vec<i64> = reports
        .iter()
        .filter(|(_, event)| matches!(event.kind, SceneEventKind::Count { .. }))
        .map(|(second, _)| *second)
        .collect();
    assert_eq!(count_times, vec![0, 10, 20]);
    let (_, count) = &reports[0];
    assert_eq!(count.kind, SceneEventKind::Count { persons: 4 });
    assert_eq!(count.value, 4.0);
    let (_, distance) = &reports[1];
    let SceneEventKind::Distance { min_m, pairs_under_1m, persons } = distance.kind else {
        panic!("expected distance statistics, got {distance:?}")
    };
    assert_eq!((pairs_under_1m, persons), (2, 4));
    assert!((min_m.expect("four persons") - 0.5).abs() < 1e-12);
    assert_eq!(distance.kind.legal_type(), None);

    let mut lonely = scene(vec![ZoneConfig { count: true, ..zone("lonely", &rectangle(5.0, 5.0)) }], vec![]);
    let bench = SceneTrack { id: 2, class: ObjectClass::Other(13), ground: GroundPoint { x: 2.0, y: 2.0 } };
    let events = lonely.update(0, NOON, &[person(1, 1.0, 1.0), bench]);
    assert!(
        events
            .iter()
            .any(|event| event.kind == SceneEventKind::Distance { min_m: None, pairs_under_1m: 0, persons: 1 })
    );
}

#[test]
fn the_configuration_reads_from_toml_with_defaults() {
    let text = r#"
        report_every_s = 5

        [[zones]]
        id = "parvis"
        polygon = [[0.0, 0.0], [30.0, 0.0], [30.0, 20.0], [0.0, 20.0]]
        density_max = 2.5
        allowed_direction_deg = 270.0

        [[zones]]
        id = "voies"
        polygon = [[0.0, 25.0], [30.0, 25.0], [30.0, 28.0]]
        count = false
        forbidden = [{ from = "22:00", to = "06:00" }]

        [[lines]]
        id = "entree-nord"
        a = [0.0, 20.0]
        b = [30.0, 20.0]
    "#;
    let config: SceneConfig = toml::from_str(text).expect("valid TOML");
    assert_eq!(config.report_every_s, 5);
    let parvis = &config.zones[0];
    assert!(parvis.count);
    assert_eq!((parvis.density_for_s, parvis.direction_tolerance_deg, parvis.min_speed_m_s), (10, 90.0, 0.5));
    assert_eq!(config.zones[1].forbidden, Some(Schedule(vec![window("22:00", "06:00")])));
    assert!(SceneAnalyzer::new(config).is_ok());

    let defaults: SceneConfig = toml::from_str("").expect("everything has a default");
    assert_eq!(defaults.report_every_s, 10);
    assert!(toml::from_str::<SceneConfig>("[[zones]]\nid = \"a\"\npolygon = []\ncolour = \"red\"").is_err());
}

#[test]
fn bad_configurations_are_refused() {
    let check = |zones: Vec<ZoneConfig>, lines: Vec<LineConfig>| {
        SceneAnalyzer::new(SceneConfig { zones, lines, report_every_s: 10 }).err()
    };
    let good = zone("z", &rectangle(4.0, 4.0));
    assert_eq!(
        check(vec![zone("z", &[[0.0, 0.0], [1.0, 1.0]])], vec![]),
        Some(SceneConfigError::TooFewVertices { place: "z".to_owned(), count: 2 })
    );
    assert_eq!(
        check(vec![zone("z", &[[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])], vec![]),
        Some(SceneConfigError::FlatPolygon { place: "z".to_owned() })
    );
    assert_eq!(
        check(vec![zone("z", &[[0.0, 0.0], [f64::NAN, 1.0], [2.0, 0.0]])], vec![]),
        Some(SceneConfigError::NotFinite { place: "z".to_owned(), field: "polygon" })
    );
    assert_eq!(
        check(vec![ZoneConfig { density_max: Some(0.0), ..good.clone() }], vec![]),
        Some(SceneConfigError::NotPositive { place: "z".to_owned(), field: "density_max", value: 0.0 })
    );
    assert_eq!(
        check(vec![ZoneConfig { min_speed_m_s: -1.0, ..good.clone() }], vec![]),
        Some(SceneConfigError::NotPositive { place: "z".to_owned(), field: "min_speed_m_s", value: -1.0 })
    );
    assert_eq!(
        check(vec![ZoneConfig { direction_tolerance_deg: 200.0, ..good.clone() }], vec![]),
        Some(SceneConfigError::BadTolerance { place: "z".to_owned(), value: 200.0 })
    );
    for bad_time in ["25:00", "7:00", "07:60", "24:00", "noon", "07:00:00"] {
        let forbidden = Some(Schedule(vec![window(bad_time, "08:00")]));
        assert_eq!(
            check(vec![ZoneConfig { forbidden, ..good.clone() }], vec![]),
            Some(SceneConfigError::BadTime { place: "z".to_owned(), value: bad_time.to_owned() }),
            "{bad_time}"
        );
    }
    let whole_day = Some(Schedule(vec![window("00:00", "24:00")]));
    assert_eq!(check(vec![ZoneConfig { forbidden: whole_day, ..good.clone() }], vec![]), None);
    let empty_window = Some(Schedule(vec![window("08:00", "08:00")]));
    assert!(matches!(
        check(vec![ZoneConfig { forbidden: empty_window, ..good.clone() }], vec![]),
        Some(SceneConfigError::EmptyWindow { .. })
    ));
    let line = |id: &str, b: [f64; 2]| LineConfig { id: id.to_owned(), a: [1.0, 1.0], b };
    assert_eq!(check(vec![], vec![line("l", [1.0, 1.0])]), Some(SceneConfigError::PointLine { place: "l".to_owned() }));
    assert_eq!(
        check(vec![good.clone()], vec![line("z", [2.0, 2.0])]),
        Some(SceneConfigError::DuplicateId("z".to_owned()))
    );
    assert_eq!(check(vec![], vec![line("", [2.0, 2.0])]), Some(SceneConfigError::EmptyId));
    assert_eq!(
        SceneAnalyzer::new(SceneConfig { zones: vec![], lines: vec![], report_every_s: 0 }).err(),
        Some(SceneConfigError::NotPositive { place: "scene".to_owned(), field: "report_every_s", value: 0.0 })
    );
}

#[test]
fn three_of_the_eight_legal_events_are_supported() {
    let supported: Vec<LegalEventType> = LegalEventType::ALL.into_iter().filter(|event| event.supported()).collect();
    assert_eq!(
        supported,
        vec![LegalEventType::CounterFlow, LegalEventType::ZoneIntrusion, LegalEventType::ExcessiveDensity]
    );
}
