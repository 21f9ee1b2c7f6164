//! The tracker on synthetic walkers.

use std::collections::{BTreeMap, BTreeSet};

use vigie_vision::mot::{MotRow, evaluate};
use vigie_vision::track::{Track, Tracker, TrackerConfig};
use vigie_vision::{BBox, Detection, ObjectClass};

use crate::random::Random;

/// A person walking in a straight line, 40×100 px.
#[derive(Clone, Copy)]
struct Walker {
    start: (f32, f32),
    velocity: (f32, f32),
}

impl Walker {
    fn bbox(&self, frame: u32) -> BBox {
        let t = frame as f32;
        BBox::from_ltwh(self.start.0 + self.velocity.0 * t, self.start.1 + self.velocity.1 * t, 40.0, 100.0)
    }
}

fn person(bbox: BBox, score: f32) -> Detection {
    Detection { bbox, score, class: ObjectClass::Person }
}

fn noisy(bbox: BBox, random: &mut Random, deviation: f64) -> BBox {
    let mut jitter = || random.gaussian(deviation) as f32;
    BBox { x1: bbox.x1 + jitter(), y1: bbox.y1 + jitter(), x2: bbox.x2 + jitter(), y2: bbox.y2 + jitter() }
}

fn mot_row(frame: u32, id: i64, bbox: &BBox) -> MotRow {
    MotRow {
        frame,
        id,
        left: f64::from(bbox.x1),
        top: f64::from(bbox.y1),
        width: f64::from(bbox.width()),
        height: f64::from(bbox.height()),
        conf: 1.0,
        extra: [None; 3],
    }
}

/// For each walker, the ids of the tracks whose box overlaps its true box best, by IoU ≥ 0.5.
fn ids_per_walker(walkers: &[Walker], frames: &[(u32, Vec<Track>)]) -> Vec<BTreeSet<u64>> {
    let mut ids = vec![BTreeSet::new(); walkers.len()];
    for (frame, tracks) in frames {
        for track in tracks {
            let overlaps = walkers.iter().map(|walker| track.bbox.iou(&walker.bbox(*frame)));
            let best = overlaps.enumerate().max_by(|a, b| a.1.total_cmp(&b.1));
            if let Some((walker_index, iou)) = best
                && iou >= 0.5
            {
                ids[walker_index].insert(track.id);
            }
        }
    }
    ids
}

#[test]
fn five_walkers_keep_their_ids_through_noise_and_missed_detections() {
    let walkers = [
        Walker { start: (50.0, 40.0), velocity: (2.0, 0.3) },
        Walker { start: (900.0, 200.0), velocity: (-2.5, 0.0) },
        Walker { start: (300.0, 360.0), velocity: (1.5, -0.2) },
        Walker { start: (700.0, 520.0), velocity: (-1.0, 0.2) },
        Walker { start: (100.0, 680.0), velocity: (3.0, 0.0) },
    ];
    let mut random = Random::new(42);
    let mut tracker = Tracker::new(TrackerConfig::default());
    let (mut truth, mut hypotheses, mut outputs) = (Vec::new(), Vec::new(), Vec::new());
    let mut missed = 0;
    for frame in 1..=200_u32 {
        let mut detections = Vec::new();
        for (index, walker) in walkers.iter().enumerate() {
            truth.push(mot_row(frame, index as i64 + 1, &walker.bbox(frame)));
            if random.unit() < 0.1 {
                missed += 1;
                continue;
            }
            let score = random.between(0.6, 0.95) as f32;
            detections.push(person(noisy(walker.bbox(frame), &mut random, 2.0), score));
        }
        // Clutter: a low-score box somewhere, now and then.
        if random.unit() < 0.3 {
            let clutter =
                BBox::from_ltwh(random.between(0.0, 1200.0) as f32, random.between(0.0, 700.0) as f32, 30.0, 60.0);
            detections.push(person(clutter, 0.3));
        }
        let tracks = tracker.update(&detections);
        hypotheses.extend(tracks.iter().map(|track| mot_row(frame, track.id as i64, &track.bbox)));
        outputs.push((frame, tracks));
    }
    assert!(missed > 50, "the scene should miss detections, missed {missed}");

    let ids = ids_per_walker(&walkers, &outputs);
    for (index, walker_ids) in ids.iter().enumerate() {
        assert_eq!(walker_ids.len(), 1, "walker {index} had ids {walker_ids:?}");
    }
    let distinct: BTreeSet<u64> = ids.iter().flatten().copied().collect();
    assert_eq!(distinct.len(), 5);

    let metrics = evaluate(&truth, &hypotheses, 0.5);
    assert_eq!(metrics.id_switches, 0);
    assert_eq!(metrics.false_positives, 0);
    assert!(metrics.recall > 0.85, "recall {}", metrics.recall);
    assert!((metrics.idf1 - 2.0 * metrics.recall / (1.0 + metrics.recall)).abs() < 1e-9);
}

#[test]
fn crossing_walkers_keep_their_ids_with_a_low_score_occlusion() {
    // A walks right in front; B walks left just behind and is half hidden while they cross.
    let front = Walker { start: (100.0, 200.0), velocity: (4.0, 0.0) };
    let behind = Walker { start: (500.0, 210.0), velocity: (-4.0, 0.0) };
    let occluded = 47..=53;
    let mut random = Random::new(3);
    let mut tracker = Tracker::new(TrackerConfig::default());
    let (mut truth, mut hypotheses, mut outputs) = (Vec::new(), Vec::new(), Vec::new());
    for frame in 1..=100_u32 {
        truth.push(mot_row(frame, 1, &front.bbox(frame)));
        truth.push(mot_row(frame, 2, &behind.bbox(frame)));
        let behind_score = if occluded.contains(&frame) { 0.3 } else { 0.9 };
        let detections = [
            person(noisy(front.bbox(frame), &mut random, 1.0), 0.9),
            person(noisy(behind.bbox(frame), &mut random, 1.0), behind_score),
        ];
        let tracks = tracker.update(&detections);
        if occluded.contains(&frame) {
            assert_eq!(tracks.len(), 2, "frame {frame}: the low-score detection keeps B tracked");
        }
        hypotheses.extend(tracks.iter().map(|track| mot_row(frame, track.id as i64, &track.bbox)));
        outputs.push((frame, tracks));
    }
    let ids = ids_per_walker(&[front, behind], &outputs);
    assert_eq!(ids[0].len(), 1, "front walker ids {:?}", ids[0]);
    assert_eq!(ids[1].len(), 1, "behind walker ids {:?}", ids[1]);
    assert_ne!(ids[0], ids[1]);
    let metrics = evaluate(&truth, &hypotheses, 0.5);
    assert_eq!((metrics.id_switches, metrics.false_negatives, metrics.false_positives), (0, 0, 0));
}

#[test]
fn a_lost_track_is_found_again_within_max_lost_and_replaced_after() {
    let walker = Walker { start: (100.0, 100.0), velocity: (3.0, 1.0) };
    let config = TrackerConfig { max_lost: 30, ..TrackerConfig::default() };
    let mut tracker = Tracker::new(config);
    let mut ids_by_frame = BTreeMap::new();
    // Hidden for 20 frames (found again), then for 40 (replaced).
    let hidden = |frame: u32| (21..=40).contains(&frame) || (71..=110).contains(&frame);
    for frame in 1..=130_u32 {
        let detections = if hidden(frame) { vec![] } else { vec![person(walker.bbox(frame), 0.9)] };
        let tracks = tracker.update(&detections);
        if hidden(frame) {
            assert!(tracks.is_empty(), "frame {frame}: a lost track is not reported");
        }
        if let Some(track) = tracks.first() {
            ids_by_frame.insert(frame, track.id);
        }
    }
    assert_eq!(ids_by_frame[&20], ids_by_frame[&41], "found again after 20 frames");
    assert_eq!(ids_by_frame[&41], ids_by_frame[&70]);
    // After 40 frames the old track is gone: a new one needs two hits to be confirmed.
    assert!(!ids_by_frame.contains_key(&111));
    assert!(ids_by_frame[&112] > ids_by_frame[&70], "a new id, never a reused one");
    assert_eq!(ids_by_frame[&112], ids_by_frame[&130]);
}

#[test]
fn ids_increase_and_are_never_reused() {
    let mut tracker = Tracker::new(TrackerConfig::default());
    let mut first_frame_of_id = BTreeMap::new();
    // Ten walkers one after the other, each visible for 15 frames, at alternating places so
    // that a new one may overlap the place of an old, already-dropped track.
    for frame in 1..=400_u32 {
        let walker_index = (frame - 1) / 40;
        let visible = (frame - 1) % 40 < 15;
        let start_x = if walker_index % 2 == 0 { 100.0 } else { 600.0 };
        let walker = Walker { start: (start_x, 300.0), velocity: (1.0, 0.0) };
        let detections = if visible { vec![person(walker.bbox(frame % 40), 0.9)] } else { vec![] };
        for track in tracker.update(&detections) {
            first_frame_of_id.entry(track.id).or_insert(frame);
            assert_eq!(first_frame_of_id.len() as u32, walker_index + 1, "frame {frame}: one id per walker");
        }
    }
    let ids: Vec<u64> = first_frame_of_id.keys().copied().collect();
    assert_eq!(ids, (1..=10).collect::<Vec<_>>());
    let first_frames: Vec<u32> = first_frame_of_id.values().copied().collect();
    assert!(first_frames.windows(2).all(|pair| pair[0] < pair[1]));
}

#[test]
fn tracks_are_confirmed_on_the_second_hit_except_on_the_first_frame() {
    let mut tracker = Tracker::new(TrackerConfig::default());
    let first = tracker.update(&[person(BBox::from_ltwh(10.0, 10.0, 40.0, 100.0), 0.9)]);
    assert_eq!(first.len(), 1);
    assert_eq!((first[0].id, first[0].hits, first[0].age_frames), (1, 1, 1));

    let newcomer = BBox::from_ltwh(500.0, 10.0, 40.0, 100.0);
    let old = BBox::from_ltwh(10.0, 10.0, 40.0, 100.0);
    let second = tracker.update(&[person(old, 0.9), person(newcomer, 0.9)]);
    assert_eq!(second.iter().map(|track| track.id).collect::<Vec<_>>(), vec![1]);
    let third = tracker.update(&[person(old, 0.9), person(newcomer, 0.9)]);
    assert_eq!(third.len(), 2);
    assert_eq!((third[1].id, third[1].hits, third[1].age_frames), (2, 2, 2));
    assert_eq!((third[0].hits, third[0].age_frames), (3, 3));

    // A detection scoring under new_track_score never starts a track.
    let mut quiet = Tracker::new(TrackerConfig::default());
    for _ in 0..5 {
        assert!(quiet.update(&[person(old, 0.55)]).is_empty());
    }
}

#[test]
fn persons_and_vehicles_never_share_a_track() {
    let mut tracker = Tracker::new(TrackerConfig::default());
    let place = BBox::from_ltwh(100.0, 100.0, 60.0, 100.0);
    let person_tracks = tracker.update(&[person(place, 0.9)]);
    assert_eq!(person_tracks[0].class, ObjectClass::Person);
    let car = Detection { bbox: place, score: 0.9, class: ObjectClass::Car };
    assert!(tracker.update(&[car]).is_empty(), "the car does not continue the person track");
    let car_tracks = tracker.update(&[car]);
    assert_eq!(car_tracks.len(), 1);
    assert_eq!(car_tracks[0].class, ObjectClass::Car);
    assert_ne!(car_tracks[0].id, person_tracks[0].id);
    // Within the vehicle family, a class flicker keeps the track.
    let truck = Detection { class: ObjectClass::Truck, ..car };
    let truck_tracks = tracker.update(&[truck]);
    assert_eq!(truck_tracks[0].id, car_tracks[0].id);
    assert_eq!(truck_tracks[0].class, ObjectClass::Truck);
}

#[test]
fn unusable_detections_are_ignored() {
    let mut tracker = Tracker::new(TrackerConfig::default());
    let detections = [
        person(BBox { x1: f32::NAN, y1: 0.0, x2: 10.0, y2: 10.0 }, 0.9),
        person(BBox::from_ltwh(0.0, 0.0, 0.0, 10.0), 0.9),
        person(BBox::from_ltwh(0.0, 0.0, 10.0, 10.0), f32::NAN),
    ];
    assert!(tracker.update(&detections).is_empty());
}
