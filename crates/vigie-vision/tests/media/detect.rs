//! YOLOX-Nano on frame 200 of `vtest.avi`, with both engines.

use vigie_vision::detect::{Backend, DetectorConfig, build, yolox};
use vigie_vision::{Detection, ObjectClass};

use crate::assets::{asset, frame_200, ort_library, time_ms};

/// The README's reference: 8 people, scores 0.84 … 0.44.
const EXPECTED_PEOPLE: usize = 8;

fn config(backend: Backend, threads: usize) -> DetectorConfig {
    DetectorConfig {
        ort_library: Some(ort_library()),
        threads,
        ..DetectorConfig::new(backend, asset("yolox_nano.onnx"))
    }
}

fn people(detections: &[Detection]) -> Vec<Detection> {
    detections.iter().copied().filter(|detection| detection.class == ObjectClass::Person).collect()
}

fn assert_about_eight_people(detections: &[Detection]) {
    let people = people(detections);
    let scores: Vec<String> = people.iter().map(|person| format!("{:.2}", person.score)).collect();
    eprintln!("{} people, scores {}", people.len(), scores.join(" "));
    assert!(people.len().abs_diff(EXPECTED_PEOPLE) <= 1, "{} people: {people:?}", people.len());
    let best = people.iter().map(|person| person.score).fold(0.0, f32::max);
    assert!((0.8..0.9).contains(&best), "best score {best}");
    for person in &people {
        assert!(person.bbox.height() > person.bbox.width(), "a walker is taller than wide: {person:?}");
    }
}

#[test]
fn ort_finds_the_eight_people_of_frame_200() {
    let frame = frame_200();
    let mut two_threads = build(&config(Backend::Ort, 2)).expect("the ort detector builds");
    let mut one_thread = build(&config(Backend::Ort, 1)).expect("the ort detector builds");
    assert_eq!(two_threads.name(), "yolox-nano/ort");
    let (two_threads_ms, found) = time_ms(20, || two_threads.detect(frame).expect("detection runs"));
    let (one_thread_ms, found_on_one_thread) = time_ms(20, || one_thread.detect(frame).expect("detection runs"));
    assert_about_eight_people(&found);
    assert_eq!(found, found_on_one_thread, "threads change the speed, not the result");

    let mut input = Vec::new();
    let (letterbox_ms, fitted) = time_ms(20, || yolox::letterbox(frame, &mut input).expect("a valid frame"));
    let raw_output = vec![0.0_f32; yolox::ROW_COUNT * yolox::ROW_LEN];
    let (postprocess_ms, _) = time_ms(20, || yolox::postprocess(&raw_output, &fitted, 0.3, 0.45).expect("valid"));
    eprintln!(
        "yolox-nano/ort on frame 200, ms/frame: 2 threads {two_threads_ms}, 1 thread {one_thread_ms} \
         (of which letterbox {letterbox_ms}, decoding an empty output {postprocess_ms})"
    );
}

#[cfg(feature = "tract")]
#[test]
fn tract_finds_the_eight_people_of_frame_200_like_ort() {
    let frame = frame_200();
    let mut tract = build(&config(Backend::Tract, 1)).expect("the tract detector builds");
    assert_eq!(tract.name(), "yolox-nano/tract");
    let (tract_ms, from_tract) = time_ms(5, || tract.detect(frame).expect("detection runs"));
    eprintln!("yolox-nano/tract on frame 200, ms/frame: {tract_ms}");
    assert_about_eight_people(&from_tract);

    let from_ort = build(&config(Backend::Ort, 1)).expect("the ort detector builds").detect(frame).expect("runs");
    assert_eq!(from_ort.len(), from_tract.len(), "ort {from_ort:?}\ntract {from_tract:?}");
    for detection in &from_ort {
        let twin = from_tract
            .iter()
            .filter(|other| other.class == detection.class)
            .max_by(|left, right| left.bbox.iou(&detection.bbox).total_cmp(&right.bbox.iou(&detection.bbox)))
            .expect("tract found the same classes");
        assert!(twin.bbox.iou(&detection.bbox) >= 0.9, "ort {detection:?} vs tract {twin:?}");
        assert!((twin.score - detection.score).abs() < 0.02, "ort {detection:?} vs tract {twin:?}");
    }
}
