//! YOLOX-Nano's input and output, independent of the engine that runs it.
//!
//! Contract (Megvii's YOLOX, COCO's 80 classes): the input is `1×3×416×416` `f32`, channels in
//! BGR order with raw 0–255 values, the frame scaled by `r = min(416/w, 416/h)` into the
//! top-left corner and the rest filled with 114. The output is `1×3549×85`: one row per cell of
//! the 52², 26² and 13² grids (strides 8, 16, 32), holding `[dx, dy, log w, log h, objectness,
//! 80 class scores]` with the sigmoids already applied.
//!
//! [`letterbox`] and [`postprocess`] are public so that each stage can be timed on its own.

use super::{
    DetectError, Detector, InferenceSession, PlaneLayout, check_frame, non_max_suppression, resize_into_planes,
};
use crate::decode::Frame;
use crate::geometry::{BBox, Detection, ObjectClass};

/// Side of the square input, in pixels.
pub const INPUT_SIZE: usize = 416;
/// Value of the padding around the scaled frame.
pub const PAD_VALUE: f32 = 114.0;
/// Strides of the three output grids, in input pixels per cell.
pub const STRIDES: [usize; 3] = [8, 16, 32];
/// Number of COCO classes.
pub const CLASS_COUNT: usize = 80;
/// Values per output row: box (4), objectness (1), class scores (80).
pub const ROW_LEN: usize = 5 + CLASS_COUNT;
/// Rows of the output: one per grid cell, `52² + 26² + 13²`.
pub const ROW_COUNT: usize = 52 * 52 + 26 * 26 + 13 * 13;

/// How a frame was fitted into the input: needed to map boxes back.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Letterbox {
    /// Input pixels per frame pixel.
    pub scale: f32,
    /// Width of the frame, in pixels.
    pub frame_width: u32,
    /// Height of the frame, in pixels.
    pub frame_height: u32,
}

/// Fills `input` with the letterboxed frame (`3 × 416 × 416` values, planar BGR) and returns
/// how the frame was scaled. Scaling is bilinear, sampling at pixel centres.
pub fn letterbox(frame: &Frame, input: &mut Vec<f32>) -> Result<Letterbox, DetectError> {
    check_frame(frame)?;
    let frame_width = frame.width as usize;
    let frame_height = frame.height as usize;
    let scale = (INPUT_SIZE as f32 / frame_width as f32).min(INPUT_SIZE as f32 / frame_height as f32);
    // Truncated like the reference implementation, and at least one pixel.
    let scaled_width = ((frame_width as f32 * scale) as usize).clamp(1, INPUT_SIZE);
    let scaled_height = ((frame_height as f32 * scale) as usize).clamp(1, INPUT_SIZE);

    input.clear();
    input.resize(3 * INPUT_SIZE * INPUT_SIZE, PAD_VALUE);
    let planes = PlaneLayout { width: INPUT_SIZE, height: INPUT_SIZE, channels: [0, 1, 2] };
    resize_into_planes(frame, scaled_width, scaled_height, &planes, input);
    Ok(Letterbox { scale, frame_width: frame.width, frame_height: frame.height })
}

/// Turns the model's raw output (`3549 × 85` values) into detections in frame pixels,
/// keeping those scoring at least `score_threshold`, before suppression.
pub fn decode_output(
    output: &[f32],
    letterbox: &Letterbox,
    score_threshold: f32,
) -> Result<Vec<Detection>, DetectError> {
    if output.len() != ROW_COUNT * ROW_LEN {
        return Err(DetectError::BadOutput {
            reason: format!("expected {ROW_COUNT}×{ROW_LEN} values, got {}", output.len()),
        });
    }
    let frame_width = letterbox.frame_width as f32;
    let frame_height = letterbox.frame_height as f32;
    let mut detections = Vec::new();
    let mut rows = output.chunks_exact(ROW_LEN);
    for stride in STRIDES {
        let cells = INPUT_SIZE / stride;
        let stride = stride as f32;
        for grid_y in 0..cells {
            for grid_x in 0..cells {
                // The length check above guarantees one row per grid cell.
                let Some(row) = rows.next() else { unreachable!("output length checked above") };
                let objectness = row[4];
                // A class score is at most 1, so a weak objectness cannot reach the threshold.
                if objectness < score_threshold {
                    continue;
                }
                let (class_index, class_score) = best_class(&row[5..]);
                let score = objectness * class_score;
                if score < score_threshold {
                    continue;
                }
                let center_x = (row[0] + grid_x as f32) * stride;
                let center_y = (row[1] + grid_y as f32) * stride;
                let width = row[2].exp() * stride;
                let height = row[3].exp() * stride;
                let bbox = BBox {
                    x1: ((center_x - width / 2.0) / letterbox.scale).clamp(0.0, frame_width),
                    y1: ((center_y - height / 2.0) / letterbox.scale).clamp(0.0, frame_height),
                    x2: ((center_x + width / 2.0) / letterbox.scale).clamp(0.0, frame_width),
                    y2: ((center_y + height / 2.0) / letterbox.scale).clamp(0.0, frame_height),
                };
                detections.push(Detection { bbox, score, class: ObjectClass::from_coco(class_index) });
            }
        }
    }
    Ok(detections)
}

fn best_class(scores: &[f32]) -> (usize, f32) {
    let mut best = (0, f32::MIN);
    for (index, &score) in scores.iter().enumerate() {
        if score > best.1 {
            best = (index, score);
        }
    }
    best
}

/// Decodes the output and suppresses overlapping boxes class by class; best score first.
pub fn postprocess(
    output: &[f32],
    letterbox: &Letterbox,
    score_threshold: f32,
    nms_iou: f32,
) -> Result<Vec<Detection>, DetectError> {
    let candidates = decode_output(output, letterbox, score_threshold)?;
    Ok(non_max_suppression(
        candidates,
        nms_iou,
        |detection| (detection.bbox, detection.score),
        |left, right| left.class == right.class,
    ))
}

/// YOLOX-Nano on any engine.
pub(crate) struct YoloxDetector {
    session: Box<dyn InferenceSession>,
    name: &'static str,
    score_threshold: f32,
    nms_iou: f32,
    /// Reused between frames.
    input: Vec<f32>,
}

impl YoloxDetector {
    pub(crate) fn new(
        session: Box<dyn InferenceSession>,
        name: &'static str,
        score_threshold: f32,
        nms_iou: f32,
    ) -> YoloxDetector {
        YoloxDetector { session, name, score_threshold, nms_iou, input: Vec::new() }
    }
}

impl Detector for YoloxDetector {
    fn detect(&mut self, frame: &Frame) -> Result<Vec<Detection>, DetectError> {
        let fitted = letterbox(frame, &mut self.input)?;
        let outputs = self.session.run(&self.input, [1, 3, INPUT_SIZE, INPUT_SIZE])?;
        let Some(output) = outputs.first() else {
            return Err(DetectError::BadOutput { reason: "the model returned no output".to_string() });
        };
        if output.shape.last() != Some(&ROW_LEN) {
            return Err(DetectError::BadOutput {
                reason: format!("output shape {:?} is not […, {ROW_LEN}]", output.shape),
            });
        }
        postprocess(&output.data, &fitted, self.score_threshold, self.nms_iou)
    }

    fn name(&self) -> &'static str {
        self.name
    }

    fn time_inference(&mut self, frame: &Frame, runs: u32) -> Result<std::time::Duration, DetectError> {
        letterbox(frame, &mut self.input)?;
        let start = std::time::Instant::now();
        for _ in 0..runs {
            self.session.run(&self.input, [1, 3, INPUT_SIZE, INPUT_SIZE])?;
        }
        Ok(start.elapsed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uniform_frame(width: u32, height: u32, bgr: [u8; 3]) -> Frame {
        let bgr = bgr.repeat(width as usize * height as usize);
        Frame { index: 0, time_ms: 0, width, height, bgr }
    }

    /// One output row of a hand-made output.
    struct Cell {
        row: usize,
        /// Centre offset within the grid cell, x then y.
        offset: [f32; 2],
        /// Box width and height, in grid cells.
        size: [f32; 2],
        objectness: f32,
        class: usize,
        class_score: f32,
    }

    /// An output where every row is empty but those of `cells`.
    fn output_with(cells: &[Cell]) -> Vec<f32> {
        let mut output = vec![0.0; ROW_COUNT * ROW_LEN];
        for cell in cells {
            let values = &mut output[cell.row * ROW_LEN..][..ROW_LEN];
            values[..5].copy_from_slice(&[
                cell.offset[0],
                cell.offset[1],
                cell.size[0].ln(),
                cell.size[1].ln(),
                cell.objectness,
            ]);
            values[5 + cell.class] = cell.class_score;
        }
        output
    }

    const HALF: Letterbox = Letterbox { scale: 0.5, frame_width: 832, frame_height: 624 };

    #[test]
    fn letterbox_scales_into_the_top_left_corner_and_pads_with_114() {
        let frame = uniform_frame(832, 624, [10, 20, 30]);
        let mut input = Vec::new();
        let fitted = letterbox(&frame, &mut input).expect("a valid frame");
        assert_eq!(fitted, HALF);
        assert_eq!(input.len(), 3 * INPUT_SIZE * INPUT_SIZE);
        let plane = INPUT_SIZE * INPUT_SIZE;
        // 624 × 0.5 = 312 rows of picture, channels kept in BGR order.
        for (channel, value) in [10.0, 20.0, 30.0].into_iter().enumerate() {
            assert_eq!(input[channel * plane], value);
            assert_eq!(input[channel * plane + 311 * INPUT_SIZE + 415], value);
            assert_eq!(input[channel * plane + 312 * INPUT_SIZE], PAD_VALUE);
            assert_eq!(input[channel * plane + 415 * INPUT_SIZE + 415], PAD_VALUE);
        }
    }

    #[test]
    fn letterbox_interpolates_between_pixels() {
        // Two columns, black then white, scaled ×208: the middle of the input blends them.
        let frame = Frame { index: 0, time_ms: 0, width: 2, height: 1, bgr: vec![0, 0, 0, 255, 255, 255] };
        let mut input = Vec::new();
        letterbox(&frame, &mut input).expect("a valid frame");
        assert_eq!(input[0], 0.0);
        assert_eq!(input[415], 255.0);
        let middle = input[208];
        assert!(middle > 100.0 && middle < 155.0, "middle value {middle}");
        // 1 × 208 = 208 rows; the rest is padding.
        assert_eq!(input[208 * INPUT_SIZE], PAD_VALUE);
    }

    #[test]
    fn letterbox_refuses_inconsistent_frames() {
        let frame = Frame { index: 0, time_ms: 0, width: 10, height: 10, bgr: vec![0; 299] };
        assert!(matches!(letterbox(&frame, &mut Vec::new()), Err(DetectError::BadFrame { .. })));
    }

    #[test]
    fn decoding_maps_grid_cells_back_to_frame_pixels() {
        // Row 52 × 5 + 10 is the stride-8 cell (x 10, y 5); row 2704 + 26 + 1 is the stride-16 cell (1, 1).
        let output = output_with(&[
            Cell {
                row: 5 * 52 + 10,
                offset: [0.5, 0.5],
                size: [4.0, 8.0],
                objectness: 0.9,
                class: 0,
                class_score: 0.8,
            },
            Cell {
                row: 2704 + 26 + 1,
                offset: [0.0, 0.0],
                size: [2.0, 2.0],
                objectness: 0.6,
                class: 2,
                class_score: 0.9,
            },
        ]);
        let detections = decode_output(&output, &HALF, 0.3).expect("a well-formed output");
        assert_eq!(detections.len(), 2);
        let person = detections[0];
        assert_eq!(person.class, ObjectClass::Person);
        assert!((person.score - 0.72).abs() < 1e-6);
        // Centre (10.5 × 8, 5.5 × 8) = (84, 44), size 32 × 64 in input pixels; frame = input / 0.5.
        assert_eq!(person.bbox, BBox { x1: 136.0, y1: 24.0, x2: 200.0, y2: 152.0 });
        let car = detections[1];
        assert_eq!(car.class, ObjectClass::Car);
        // Centre (16, 16), size 32 × 32 in input pixels.
        assert_eq!(car.bbox, BBox { x1: 0.0, y1: 0.0, x2: 64.0, y2: 64.0 });
    }

    #[test]
    fn decoding_drops_weak_scores_and_clips_to_the_frame() {
        let output = output_with(&[
            // Score 0.9 × 0.3 = 0.27, below the threshold.
            Cell { row: 0, offset: [0.5, 0.5], size: [64.0, 64.0], objectness: 0.9, class: 0, class_score: 0.3 },
            // Objectness too low.
            Cell { row: 1, offset: [0.5, 0.5], size: [64.0, 64.0], objectness: 0.2, class: 0, class_score: 1.0 },
            // Last stride-32 cell, box past the frame.
            Cell { row: 3548, offset: [0.5, 0.5], size: [64.0, 64.0], objectness: 0.9, class: 0, class_score: 0.9 },
        ]);
        let detections = decode_output(&output, &HALF, 0.3).expect("a well-formed output");
        assert_eq!(detections.len(), 1);
        let bbox = detections[0].bbox;
        assert_eq!((bbox.x2, bbox.y2), (832.0, 624.0));
    }

    #[test]
    fn postprocessing_suppresses_overlaps_within_a_class_only() {
        let output = output_with(&[
            Cell { row: 100, offset: [0.5, 0.5], size: [5.0, 10.0], objectness: 0.9, class: 0, class_score: 0.9 },
            // Same class, shifted by 8 px: suppressed.
            Cell { row: 101, offset: [0.5, 0.5], size: [5.0, 10.0], objectness: 0.8, class: 0, class_score: 0.9 },
            // Other class: kept.
            Cell { row: 102, offset: [0.5, 0.5], size: [5.0, 10.0], objectness: 0.7, class: 2, class_score: 0.9 },
            // Far away: kept.
            Cell { row: 400, offset: [0.5, 0.5], size: [5.0, 10.0], objectness: 0.5, class: 0, class_score: 0.9 },
        ]);
        let detections = postprocess(&output, &HALF, 0.3, 0.45).expect("a well-formed output");
        let summary: Vec<(ObjectClass, f32)> =
            detections.iter().map(|detection| (detection.class, (detection.score * 100.0).round())).collect();
        assert_eq!(summary, vec![(ObjectClass::Person, 81.0), (ObjectClass::Car, 63.0), (ObjectClass::Person, 45.0)]);
    }

    #[test]
    fn outputs_of_the_wrong_size_are_errors() {
        assert!(matches!(decode_output(&[0.0; 85], &HALF, 0.3), Err(DetectError::BadOutput { .. })));
    }
}
