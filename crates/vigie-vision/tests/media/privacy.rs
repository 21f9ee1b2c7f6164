//! Face blurring on the test photos: faces are found before redaction and none after.

use vigie_vision::decode::Frame;
use vigie_vision::detect::{Backend, DetectorConfig, build};
use vigie_vision::privacy::{FaceDetector, FaceDetectorConfig, head_region, redact};
use vigie_vision::{BBox, ObjectClass};

use crate::assets::{asset, decode_jpeg, frame_200, ort_library, photo, time_ms};

fn face_detector(backend: Backend) -> FaceDetector {
    let library = match backend {
        Backend::Ort => Some(ort_library()),
        Backend::Tract => None,
    };
    let detector = FaceDetector::new(&FaceDetectorConfig::new(asset("centerface.onnx"), library))
        .expect("the face detector builds");
    assert_eq!(detector.backend(), backend);
    detector
}

fn assert_no_face_after_redaction(detector: &mut FaceDetector, name: &str, frame: &Frame, faces_before: usize) {
    let redacted = redact(frame, &[], Some(detector)).expect("redaction runs");
    let jpeg = redacted.encode_jpeg(85).expect("the image encodes");
    let reread = decode_jpeg(&jpeg);
    assert_eq!((reread.width, reread.height), (frame.width, frame.height));
    let faces_after = detector.detect(&reread).expect("detection runs");
    assert!(
        faces_after.is_empty(),
        "{name}: {faces_before} faces before, still found after redaction: {faces_after:?}"
    );
}

#[test]
fn faces_in_the_photos_are_found_then_blurred_beyond_detection() {
    let mut detector = face_detector(Backend::Ort);
    for (name, minimum_faces) in [("zidane.jpg", 2), ("bus.jpg", 2)] {
        let frame = photo(name);
        let (detect_ms, faces) = time_ms(5, || detector.detect(&frame).expect("detection runs"));
        eprintln!("centerface/ort (1 thread) on {name} ({}×{}): {detect_ms}", frame.width, frame.height);
        assert!(faces.len() >= minimum_faces, "{name}: {faces:?}");
        assert!(faces.iter().all(|face| face.score >= detector.score_threshold()));
        assert_no_face_after_redaction(&mut detector, name, &frame, faces.len());
    }
}

#[cfg(feature = "tract")]
#[test]
fn tract_finds_the_same_faces_as_onnx_runtime() {
    let frame = photo("zidane.jpg");
    let mut on_ort = face_detector(Backend::Ort);
    let mut on_tract = face_detector(Backend::Tract);
    let from_ort = on_ort.detect(&frame).expect("detection runs");
    let (tract_ms, from_tract) = time_ms(1, || on_tract.detect(&frame).expect("detection runs"));
    eprintln!("centerface/tract on zidane.jpg: {tract_ms}");
    assert_eq!(from_ort.len(), from_tract.len(), "ort {from_ort:?}\ntract {from_tract:?}");
    for (left, right) in from_ort.iter().zip(&from_tract) {
        assert!(left.bbox.iou(&right.bbox) >= 0.9, "ort {left:?} vs tract {right:?}");
    }
    assert_no_face_after_redaction(&mut on_tract, "zidane.jpg", &frame, from_tract.len());
}

#[test]
fn far_field_heads_are_obscured_through_the_person_boxes() {
    // The walkers of vtest.avi are too small for the face detector: their heads are covered
    // by the head regions of the person boxes instead.
    let frame = frame_200();
    let mut people_detector = build(&DetectorConfig {
        ort_library: Some(ort_library()),
        ..DetectorConfig::new(Backend::Ort, asset("yolox_nano.onnx"))
    })
    .expect("the ort detector builds");
    let persons: Vec<BBox> = people_detector
        .detect(frame)
        .expect("detection runs")
        .iter()
        .filter(|detection| detection.class == ObjectClass::Person)
        .map(|detection| detection.bbox)
        .collect();
    assert!(!persons.is_empty());
    let mut faces = face_detector(Backend::Ort);
    assert!(faces.detect(frame).expect("detection runs").is_empty(), "faces of about 10 px are out of reach");

    let redacted = redact(frame, &persons, Some(&mut faces)).expect("redaction runs");
    let heads: Vec<BBox> = persons.iter().map(head_region).collect();
    let width = frame.width as usize;
    let mut changed_per_head = vec![0_usize; heads.len()];
    for y in 0..frame.height as usize {
        for x in 0..width {
            let bgr = &frame.bgr[(y * width + x) * 3..][..3];
            let unchanged = [bgr[2], bgr[1], bgr[0]] == redacted.rgb()[(y * width + x) * 3..][..3];
            // Pixel (x, y) covers [x, x + 1) × [y, y + 1).
            let touching: Vec<usize> = (0..heads.len())
                .filter(|&index| {
                    let head = &heads[index];
                    (x as f32) < head.x2 && (x + 1) as f32 > head.x1 && (y as f32) < head.y2 && (y + 1) as f32 > head.y1
                })
                .collect();
            if touching.is_empty() {
                assert!(unchanged, "pixel ({x}, {y}) is outside every head region but changed");
            } else if !unchanged {
                for index in touching {
                    changed_per_head[index] += 1;
                }
            }
        }
    }
    for (head, changed) in heads.iter().zip(&changed_per_head) {
        assert!(*changed as f32 >= head.area() * 0.5, "head region {head:?}: only {changed} pixels changed");
    }
}
