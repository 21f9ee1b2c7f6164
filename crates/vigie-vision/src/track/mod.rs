//! ByteTrack-style multi-object tracking (Zhang et al., "ByteTrack: Multi-Object Tracking by
//! Associating Every Detection Box", ECCV 2022).
//!
//! Each frame, every track's box is moved ahead by its Kalman filter ([`kalman`]), then:
//!
//! 1. detections scoring at least `high_score` are matched to the tracked and lost tracks by
//!    IoU (cost `1 − IoU`, at most `match_threshold`);
//! 2. the low-score detections (`low_score ≤ score < high_score`, often partly hidden people)
//!    are matched to the tracked tracks still unmatched (cost at most `low_match_threshold`);
//!    the tracks still unmatched are lost;
//! 3. tentative tracks (seen once) are matched to the high-score detections left
//!    (`tentative_match_threshold`); a match confirms them, no match drops them;
//! 4. high-score detections left over that score at least `new_track_score` start tentative
//!    tracks (confirmed at once on the very first frame);
//! 5. tracks lost for more than `max_lost` frames are dropped.
//!
//! A track only ever takes detections of its class family (persons with persons, vehicles with
//! vehicles). Ids are handed out on confirmation, increase, and are never reused; they belong
//! to one tracker, that is one camera, and identify no one.

mod kalman;

use serde::{Deserialize, Serialize};

use crate::assign::{CostMatrix, assign};
use crate::geometry::{BBox, Detection, ObjectClass};
use kalman::{BoxFilter, measure};

/// The tracker's thresholds. The defaults are ByteTrack's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrackerConfig {
    /// Detections scoring at least this are matched first and may start tracks.
    pub high_score: f32,
    /// Detections scoring below this are ignored.
    pub low_score: f32,
    /// Unmatched high-score detections start a track only when they score at least this.
    pub new_track_score: f32,
    /// Largest `1 − IoU` for a high-score detection to continue a tracked or lost track.
    pub match_threshold: f32,
    /// Largest `1 − IoU` for a low-score detection to continue a tracked track.
    pub low_match_threshold: f32,
    /// Largest `1 − IoU` for a detection to confirm a tentative track.
    pub tentative_match_threshold: f32,
    /// Frames a lost track is kept, waiting to be found again.
    pub max_lost: u32,
}

impl Default for TrackerConfig {
    fn default() -> TrackerConfig {
        TrackerConfig {
            high_score: 0.5,
            low_score: 0.1,
            new_track_score: 0.6,
            match_threshold: 0.8,
            low_match_threshold: 0.5,
            tentative_match_threshold: 0.7,
            max_lost: 30,
        }
    }
}

/// A confirmed track as seen in the current frame.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Track {
    /// Local to one tracker; increasing, never reused.
    pub id: u64,
    /// The Kalman-filtered box.
    pub bbox: BBox,
    /// The score of the detection last matched.
    pub score: f32,
    /// The class of the detection last matched.
    pub class: ObjectClass,
    /// Frames with a matched detection.
    pub hits: u32,
    /// Frames since the track started, the first one counting as 1.
    pub age_frames: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Seen once, not yet confirmed (no id).
    Tentative,
    Tracked,
    Lost,
}

#[derive(Debug, Clone)]
struct TrackState {
    id: Option<u64>,
    filter: BoxFilter,
    phase: Phase,
    class: ObjectClass,
    score: f32,
    hits: u32,
    first_frame: u64,
    last_matched_frame: u64,
}

impl TrackState {
    fn absorb(&mut self, detection: &Detection, frame: u64) {
        self.filter.update(measure(&detection.bbox));
        self.class = detection.class;
        self.score = detection.score;
        self.hits = self.hits.saturating_add(1);
        self.last_matched_frame = frame;
        if self.phase == Phase::Lost {
            self.phase = Phase::Tracked;
        }
    }
}

/// Persons, vehicles and the rest never share a track; within a family, a detector's class may
/// flicker (car/truck) without breaking one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClassFamily {
    Person,
    Vehicle,
    Other(u16),
}

fn family(class: ObjectClass) -> ClassFamily {
    match class {
        ObjectClass::Person => ClassFamily::Person,
        ObjectClass::Other(index) => ClassFamily::Other(index),
        vehicle => {
            debug_assert!(vehicle.is_vehicle());
            ClassFamily::Vehicle
        }
    }
}

/// One camera's tracker. Feed it every frame's detections in order.
#[derive(Debug, Clone)]
pub struct Tracker {
    config: TrackerConfig,
    /// Frames seen so far; the first frame is 1.
    frame: u64,
    next_id: u64,
    tracks: Vec<TrackState>,
}

impl Tracker {
    /// Returns a tracker with no tracks.
    pub fn new(config: TrackerConfig) -> Tracker {
        Tracker { config, frame: 0, next_id: 1, tracks: Vec::new() }
    }

    /// Takes one frame's detections and returns the confirmed tracks seen in it, by id.
    ///
    /// Detections with a non-finite coordinate or score, or an empty box, are ignored.
    pub fn update(&mut self, detections: &[Detection]) -> Vec<Track> {
        self.frame += 1;
        let frame = self.frame;
        let usable: Vec<&Detection> = detections.iter().filter(|detection| is_usable(detection)).collect();
        let high: Vec<usize> =
            (0..usable.len()).filter(|&index| usable[index].score >= self.config.high_score).collect();
        let low: Vec<usize> = (0..usable.len())
            .filter(|&index| {
                usable[index].score >= self.config.low_score && usable[index].score < self.config.high_score
            })
            .collect();

        for track in &mut self.tracks {
            if track.phase == Phase::Lost {
                track.filter.stop_height_change();
            }
            track.filter.predict();
        }

        // 1. High-score detections against tracked and lost tracks.
        let pool: Vec<usize> =
            (0..self.tracks.len()).filter(|&index| self.tracks[index].phase != Phase::Tentative).collect();
        let (first_matches, pool_left, high_left) = self.associate(&pool, &usable, &high, self.config.match_threshold);
        for (track, detection) in first_matches {
            self.tracks[track].absorb(usable[detection], frame);
        }

        // 2. Low-score detections against the tracked tracks still unmatched.
        let tracked_left: Vec<usize> =
            pool_left.into_iter().filter(|&index| self.tracks[index].phase == Phase::Tracked).collect();
        let (second_matches, tracked_unmatched, _low_left) =
            self.associate(&tracked_left, &usable, &low, self.config.low_match_threshold);
        for (track, detection) in second_matches {
            self.tracks[track].absorb(usable[detection], frame);
        }
        for index in tracked_unmatched {
            self.tracks[index].phase = Phase::Lost;
        }

        // 3. Tentative tracks against the high-score detections left.
        let tentative: Vec<usize> =
            (0..self.tracks.len()).filter(|&index| self.tracks[index].phase == Phase::Tentative).collect();
        let (third_matches, tentative_unmatched, high_unused) =
            self.associate(&tentative, &usable, &high_left, self.config.tentative_match_threshold);
        for (track, detection) in third_matches {
            self.tracks[track].absorb(usable[detection], frame);
            self.tracks[track].phase = Phase::Tracked;
            self.tracks[track].id = Some(self.next_id);
            self.next_id += 1;
        }

        // 4. New tracks.
        for detection_index in high_unused {
            let detection = usable[detection_index];
            if detection.score < self.config.new_track_score {
                continue;
            }
            let mut track = TrackState {
                id: None,
                filter: BoxFilter::new(measure(&detection.bbox)),
                phase: Phase::Tentative,
                class: detection.class,
                score: detection.score,
                hits: 1,
                first_frame: frame,
                last_matched_frame: frame,
            };
            if frame == 1 {
                track.phase = Phase::Tracked;
                track.id = Some(self.next_id);
                self.next_id += 1;
            }
            self.tracks.push(track);
        }

        // 5. Forget unconfirmed tracks that were not matched and tracks lost for too long.
        let max_lost = u64::from(self.config.max_lost);
        let mut index = 0;
        self.tracks.retain(|track| {
            let tentative_missed = tentative_unmatched.contains(&index);
            index += 1;
            let lost_too_long = track.phase == Phase::Lost && frame - track.last_matched_frame > max_lost;
            !tentative_missed && !lost_too_long
        });

        let mut confirmed: Vec<Track> = self
            .tracks
            .iter()
            .filter(|track| track.phase == Phase::Tracked)
            .filter_map(|track| {
                Some(Track {
                    id: track.id?,
                    bbox: track.filter.bbox(),
                    score: track.score,
                    class: track.class,
                    hits: track.hits,
                    age_frames: u32::try_from(frame - track.first_frame + 1).unwrap_or(u32::MAX),
                })
            })
            .collect();
        confirmed.sort_by_key(|track| track.id);
        confirmed
    }

    /// Matches tracks to detections by `1 − IoU` of the predicted box, within a class family.
    /// Returns the `(track, detection)` pairs, the tracks left and the detections left, as
    /// indices into `self.tracks` and `detections`.
    fn associate(
        &self,
        track_indices: &[usize],
        detections: &[&Detection],
        detection_indices: &[usize],
        max_cost: f32,
    ) -> (Vec<(usize, usize)>, Vec<usize>, Vec<usize>) {
        let predicted: Vec<BBox> = track_indices.iter().map(|&index| self.tracks[index].filter.bbox()).collect();
        let costs = CostMatrix::from_fn(track_indices.len(), detection_indices.len(), |row, col| {
            let track = &self.tracks[track_indices[row]];
            let detection = detections[detection_indices[col]];
            if family(track.class) != family(detection.class) {
                return f64::NAN;
            }
            1.0 - f64::from(predicted[row].iou(&detection.bbox))
        });
        let assignment = assign(&costs, f64::from(max_cost));
        let pairs = assignment.pairs.iter().map(|&(row, col)| (track_indices[row], detection_indices[col])).collect();
        let tracks_left = assignment.unmatched_rows.iter().map(|&row| track_indices[row]).collect();
        let detections_left = assignment.unmatched_cols.iter().map(|&col| detection_indices[col]).collect();
        (pairs, tracks_left, detections_left)
    }
}

fn is_usable(detection: &Detection) -> bool {
    let BBox { x1, y1, x2, y2 } = detection.bbox;
    [x1, y1, x2, y2, detection.score].iter().all(|value| value.is_finite()) && x2 > x1 && y2 > y1
}
