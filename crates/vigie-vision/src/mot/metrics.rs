//! CLEAR-MOT, identity and counting metrics.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use super::{MotError, MotRow};
use crate::assign::{CostMatrix, assign, assign_most};

/// The usual IoU a hypothesis needs with a true box to count as finding it.
pub const DEFAULT_IOU_THRESHOLD: f64 = 0.5;

/// Detection and tracking quality of a hypothesis file against ground truth.
///
/// Ratios whose denominator is zero are reported as 0.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MotMetrics {
    /// Frames with at least one true or hypothesised box.
    pub frames: u64,
    /// True boxes (ground-truth rows, without those marked to ignore).
    pub gt_objects: u64,
    /// Hypothesised boxes.
    pub hyp_objects: u64,
    /// Distinct ground-truth ids.
    pub gt_ids: u64,
    /// True boxes matched to a hypothesis (matches and identity switches).
    pub true_positives: u64,
    /// Hypotheses matched to no true box.
    pub false_positives: u64,
    /// True boxes matched to no hypothesis (misses).
    pub false_negatives: u64,
    /// Matches whose hypothesis id differs from the one last matched to that true object.
    pub id_switches: u64,
    /// Times a true object goes from tracked to missed between its first and last match.
    pub fragmentations: u64,
    /// `tp / (tp + fp)`.
    pub precision: f64,
    /// `tp / gt_objects`.
    pub recall: f64,
    /// `1 − (fn + fp + id_switches) / gt_objects`; can be negative.
    pub mota: f64,
    /// Mean `1 − IoU` over the matches (lower is better), as motmetrics reports it.
    pub motp: f64,
    /// Identity true positives, false positives and false negatives after the global matching
    /// of true ids to hypothesis ids.
    pub idtp: u64,
    pub idfp: u64,
    pub idfn: u64,
    /// `2·idtp / (gt_objects + hyp_objects)`.
    pub idf1: f64,
    /// `idtp / (idtp + idfp)`.
    pub idp: f64,
    /// `idtp / (idtp + idfn)`.
    pub idr: f64,
    /// True objects matched in at least 80 % of the frames they appear in.
    pub mostly_tracked: u64,
    /// True objects matched in 20 % to 80 % of their frames.
    pub partially_tracked: u64,
    /// True objects matched in less than 20 % of their frames.
    pub mostly_lost: u64,
    /// Mean over the frames of `|true boxes − hypothesised boxes|`.
    pub count_mae: f64,
}

/// Compares a tracker's output with ground truth, frame by frame.
///
/// A hypothesis may match a true box when their IoU is at least `iou_threshold`. In each frame,
/// the pairs matched in earlier frames are kept while they still overlap enough, then the
/// remaining boxes are matched to make as many pairs as possible at the least total `1 − IoU`
/// (CLEAR-MOT). Ground-truth rows with `conf == 0` are ignored, as the MOTChallenge evaluation
/// does (motmetrics loads ground truth with `min_confidence = 1` for it).
pub fn evaluate(gt: &[MotRow], hyp: &[MotRow], iou_threshold: f64) -> MotMetrics {
    let max_distance = 1.0 - iou_threshold;
    let mut frames: BTreeMap<u32, (Vec<&MotRow>, Vec<&MotRow>)> = BTreeMap::new();
    for row in gt.iter().filter(|row| row.conf != 0.0) {
        frames.entry(row.frame).or_default().0.push(row);
    }
    for row in hyp {
        frames.entry(row.frame).or_default().1.push(row);
    }

    let mut tally = Tally::default();
    // The hypothesis last matched to each true object.
    let mut last_match: HashMap<i64, i64> = HashMap::new();
    for (truths, hypotheses) in frames.values() {
        tally.frames += 1;
        tally.count_error_sum += truths.len().abs_diff(hypotheses.len()) as f64;
        tally.gt_objects += truths.len() as u64;
        tally.hyp_objects += hypotheses.len() as u64;
        // Ids are counted once per frame, even if a file repeats one (detections, id −1).
        for id in truths.iter().map(|truth| truth.id).collect::<HashSet<_>>() {
            *tally.truth_frames.entry(id).or_default() += 1;
        }
        for id in hypotheses.iter().map(|hypothesis| hypothesis.id).collect::<HashSet<_>>() {
            *tally.hypothesis_frames.entry(id).or_default() += 1;
        }
        // `None` marks a pair too far apart to match.
        let distances: Vec<Vec<Option<f64>>> = truths
            .iter()
            .map(|truth| {
                hypotheses
                    .iter()
                    .map(|hypothesis| {
                        let distance = 1.0 - truth.iou(hypothesis);
                        (distance <= max_distance).then_some(distance)
                    })
                    .collect()
            })
            .collect();
        let mut overlapping_pairs = HashSet::new();
        for (truth, row) in truths.iter().zip(&distances) {
            for (hypothesis, distance) in hypotheses.iter().zip(row) {
                if distance.is_some() {
                    overlapping_pairs.insert((truth.id, hypothesis.id));
                }
            }
        }
        for pair in overlapping_pairs {
            *tally.overlapping_frames.entry(pair).or_default() += 1;
        }

        let mut truth_matched = vec![false; truths.len()];
        let mut hypothesis_matched = vec![false; hypotheses.len()];
        // 1. Keep last frame's correspondences that still hold.
        for (truth_index, truth) in truths.iter().enumerate() {
            let Some(&previous) = last_match.get(&truth.id) else { continue };
            let Some(hypothesis_index) =
                (0..hypotheses.len()).find(|&index| !hypothesis_matched[index] && hypotheses[index].id == previous)
            else {
                continue;
            };
            if let Some(distance) = distances[truth_index][hypothesis_index] {
                truth_matched[truth_index] = true;
                hypothesis_matched[hypothesis_index] = true;
                tally.true_positives += 1;
                tally.distance_sum += distance;
            }
        }
        // 2. Match the rest: most pairs, then least total distance.
        let free_truths: Vec<usize> = (0..truths.len()).filter(|&index| !truth_matched[index]).collect();
        let free_hypotheses: Vec<usize> = (0..hypotheses.len()).filter(|&index| !hypothesis_matched[index]).collect();
        let costs = CostMatrix::from_fn(free_truths.len(), free_hypotheses.len(), |row, col| {
            distances[free_truths[row]][free_hypotheses[col]].unwrap_or(f64::NAN)
        });
        for (row, col) in assign_most(&costs, max_distance).pairs {
            let (truth_index, hypothesis_index) = (free_truths[row], free_hypotheses[col]);
            let (truth_id, hypothesis_id) = (truths[truth_index].id, hypotheses[hypothesis_index].id);
            if last_match.get(&truth_id).is_some_and(|&previous| previous != hypothesis_id) {
                tally.id_switches += 1;
            }
            last_match.insert(truth_id, hypothesis_id);
            truth_matched[truth_index] = true;
            hypothesis_matched[hypothesis_index] = true;
            tally.true_positives += 1;
            tally.distance_sum += costs.get(row, col);
        }
        tally.false_positives += hypothesis_matched.iter().filter(|matched| !**matched).count() as u64;
        for (truth, matched) in truths.iter().zip(&truth_matched) {
            tally.timelines.entry(truth.id).or_default().push(*matched);
        }
    }
    tally.finish()
}

#[derive(Default)]
struct Tally {
    frames: u64,
    true_positives: u64,
    false_positives: u64,
    id_switches: u64,
    distance_sum: f64,
    count_error_sum: f64,
    gt_objects: u64,
    hyp_objects: u64,
    /// Per true id, whether it was matched in each of its rows, in frame order.
    timelines: HashMap<i64, Vec<bool>>,
    /// Frames each true id appears in.
    truth_frames: HashMap<i64, u64>,
    /// Frames each hypothesis id appears in.
    hypothesis_frames: HashMap<i64, u64>,
    /// Frames where a (true id, hypothesis id) pair overlaps enough to match.
    overlapping_frames: HashMap<(i64, i64), u64>,
}

impl Tally {
    fn finish(self) -> MotMetrics {
        let (gt_objects, hyp_objects) = (self.gt_objects, self.hyp_objects);
        let false_negatives = gt_objects.saturating_sub(self.true_positives);

        let (mut mostly_tracked, mut partially_tracked, mut mostly_lost, mut fragmentations) = (0, 0, 0, 0);
        for timeline in self.timelines.values() {
            let matched = timeline.iter().filter(|matched| **matched).count();
            let ratio = matched as f64 / timeline.len() as f64;
            if ratio >= 0.8 {
                mostly_tracked += 1;
            } else if ratio >= 0.2 {
                partially_tracked += 1;
            } else {
                mostly_lost += 1;
            }
            fragmentations += timeline.windows(2).filter(|pair| pair[0] && !pair[1]).count() as u64;
            // A run of misses after the last match is not a fragmentation.
            if timeline.last() == Some(&false) && matched > 0 {
                fragmentations -= 1;
            }
        }

        let idtp = self.identity_true_positives();
        MotMetrics {
            frames: self.frames,
            gt_objects,
            hyp_objects,
            gt_ids: self.truth_frames.len() as u64,
            true_positives: self.true_positives,
            false_positives: self.false_positives,
            false_negatives,
            id_switches: self.id_switches,
            fragmentations,
            precision: ratio(self.true_positives as f64, (self.true_positives + self.false_positives) as f64),
            recall: ratio(self.true_positives as f64, gt_objects as f64),
            mota: 1.0 - ratio((false_negatives + self.false_positives + self.id_switches) as f64, gt_objects as f64),
            motp: ratio(self.distance_sum, self.true_positives as f64),
            idtp,
            idfp: hyp_objects.saturating_sub(idtp),
            idfn: gt_objects.saturating_sub(idtp),
            idf1: ratio(2.0 * idtp as f64, (gt_objects + hyp_objects) as f64),
            idp: ratio(idtp as f64, hyp_objects as f64),
            idr: ratio(idtp as f64, gt_objects as f64),
            mostly_tracked,
            partially_tracked,
            mostly_lost,
            count_mae: ratio(self.count_error_sum, self.frames as f64),
        }
    }

    /// Matches true ids to hypothesis ids one to one so that the frames where the paired ids
    /// overlap are as many as possible (Ristani et al. 2016), and returns that number.
    fn identity_true_positives(&self) -> u64 {
        let mut truth_ids: Vec<i64> = self.truth_frames.keys().copied().collect();
        let mut hypothesis_ids: Vec<i64> = self.hypothesis_frames.keys().copied().collect();
        truth_ids.sort_unstable();
        hypothesis_ids.sort_unstable();
        let costs = CostMatrix::from_fn(truth_ids.len(), hypothesis_ids.len(), |row, col| {
            let shared = self.overlapping_frames.get(&(truth_ids[row], hypothesis_ids[col])).copied().unwrap_or(0);
            -(shared as f64)
        });
        // Costs are ≤ 0, so every pair is allowed and the sum of shared frames is maximised.
        let assignment = assign(&costs, 0.0);
        let shared: f64 = -assignment.total_cost(&costs);
        shared.round() as u64
    }
}

fn ratio(numerator: f64, denominator: f64) -> f64 {
    if denominator == 0.0 { 0.0 } else { numerator / denominator }
}

/// How far per-frame people counts are from the true counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CountError {
    /// Frames compared.
    pub frames: u64,
    /// Mean of `|predicted − true|`.
    pub mean_absolute_error: f64,
    /// Square root of the mean of `(predicted − true)²`.
    pub root_mean_square_error: f64,
    /// Mean of `predicted − true`: positive when counting too many.
    pub mean_error: f64,
    /// Sum of `|predicted − true|` over the sum of the true counts (0 when nobody is there).
    pub relative_absolute_error: f64,
}

/// Scores per-frame counts against count-only ground truth; both slices list the same frames
/// in the same order.
pub fn count_error(truth: &[u32], predicted: &[u32]) -> Result<CountError, MotError> {
    if truth.len() != predicted.len() {
        return Err(MotError::CountLengths { truth: truth.len(), predicted: predicted.len() });
    }
    let frames = truth.len() as f64;
    let (mut absolute, mut squared, mut signed, mut truth_total) = (0.0, 0.0, 0.0, 0.0);
    for (&true_count, &predicted_count) in truth.iter().zip(predicted) {
        let difference = f64::from(predicted_count) - f64::from(true_count);
        absolute += difference.abs();
        squared += difference * difference;
        signed += difference;
        truth_total += f64::from(true_count);
    }
    Ok(CountError {
        frames: truth.len() as u64,
        mean_absolute_error: ratio(absolute, frames),
        root_mean_square_error: ratio(squared, frames).sqrt(),
        mean_error: ratio(signed, frames),
        relative_absolute_error: ratio(absolute, truth_total),
    })
}
