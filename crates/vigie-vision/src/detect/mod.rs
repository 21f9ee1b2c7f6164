//! Object detection: the [`Detector`] trait and YOLOX-Nano on two inference engines.
//!
//! - [`yolox`]: letterboxing, output decoding and non-maximum suppression, shared by both engines.
//! - `ort`: ONNX Runtime, loaded at run time from a shared library (fast: about 3.5× tract on
//!   two cores).
//! - `tract` (cargo feature `tract`, on by default): pure Rust, nothing to install.
//!
//! Both engines sit behind [`InferenceSession`], which the face detector of
//! [`crate::privacy`] uses too.

pub mod yolox;

mod ort;
#[cfg(feature = "tract")]
mod tract;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::decode::Frame;
use crate::geometry::{BBox, Detection};

/// The command that puts models and the ONNX Runtime library into `assets/`.
pub const FETCH_HINT: &str = "run `python3 scripts/fetch-assets.py` from the project root";

/// Finds objects in one frame.
pub trait Detector: Send {
    /// Returns the objects found in `frame`, best score first, in the frame's pixel coordinates.
    fn detect(&mut self, frame: &Frame) -> Result<Vec<Detection>, DetectError>;

    /// Names the model and engine, e.g. `yolox-nano/ort`.
    fn name(&self) -> &'static str;

    /// Prepares `frame` once, then runs the model alone on it `runs` times and returns the
    /// time spent in the model: the inference-only figure benchmarks compare.
    fn time_inference(&mut self, frame: &Frame, runs: u32) -> Result<std::time::Duration, DetectError>;
}

/// Which inference engine runs the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// ONNX Runtime, loaded from `ort_library`.
    Ort,
    /// tract, built into the binary (cargo feature `tract`).
    Tract,
}

/// How to build a detector.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectorConfig {
    /// The inference engine.
    pub backend: Backend,
    /// The YOLOX-Nano ONNX file.
    pub model: PathBuf,
    /// The ONNX Runtime shared library (`libonnxruntime.so`); required by the `ort` backend.
    #[serde(default)]
    pub ort_library: Option<PathBuf>,
    /// Threads of one inference (ONNX Runtime's intra-op threads, the calling one included);
    /// tract always runs on the calling thread.
    #[serde(default = "default_threads")]
    pub threads: usize,
    /// Detections scoring below this are dropped.
    #[serde(default = "default_score_threshold")]
    pub score_threshold: f32,
    /// Boxes of one class overlapping a better one by more than this IoU are dropped.
    #[serde(default = "default_nms_iou")]
    pub nms_iou: f32,
}

fn default_threads() -> usize {
    1
}

fn default_score_threshold() -> f32 {
    0.3
}

fn default_nms_iou() -> f32 {
    0.45
}

impl DetectorConfig {
    /// Returns a configuration with the default threads and thresholds.
    pub fn new(backend: Backend, model: impl Into<PathBuf>) -> DetectorConfig {
        DetectorConfig {
            backend,
            model: model.into(),
            ort_library: None,
            threads: default_threads(),
            score_threshold: default_score_threshold(),
            nms_iou: default_nms_iou(),
        }
    }
}

/// Why a detector could not be built or could not run.
#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    #[error("model file `{path}` not found: {FETCH_HINT}")]
    ModelMissing { path: PathBuf },
    #[error("cannot read model file `{path}`")]
    ModelRead {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid model file `{path}`: {reason}")]
    BadModel { path: PathBuf, reason: String },
    #[error("the ort backend needs `ort_library`, the path of libonnxruntime.so: {FETCH_HINT}")]
    OrtLibraryNotConfigured,
    #[error("ONNX Runtime library `{path}` not found: {FETCH_HINT}")]
    OrtLibraryMissing { path: PathBuf },
    #[error("cannot load ONNX Runtime from `{path}`: {reason}")]
    OrtLibraryLoad { path: PathBuf, reason: String },
    #[error("ONNX Runtime is already loaded from `{loaded}`; one process uses one library, not also `{requested}`")]
    OrtLibraryConflict { loaded: PathBuf, requested: PathBuf },
    #[error("ONNX Runtime failed")]
    Ort(#[source] ::ort::Error),
    #[error("this build has no tract backend: enable the `tract` cargo feature or use the ort backend")]
    TractDisabled,
    #[error("tract failed: {message}")]
    Tract { message: String },
    #[error("threads must be at least 1")]
    NoThreads,
    #[error("frame has {got} bytes of pixels, {width}×{height} needs {expected}")]
    BadFrame { width: u32, height: u32, expected: usize, got: usize },
    #[error("unexpected model output: {reason}")]
    BadOutput { reason: String },
}

/// Builds the detector a configuration describes (YOLOX-Nano on the chosen engine).
pub fn build(config: &DetectorConfig) -> Result<Box<dyn Detector>, DetectError> {
    if config.threads == 0 {
        return Err(DetectError::NoThreads);
    }
    let model = read_model(&config.model)?;
    let input_shape = Some([1, 3, yolox::INPUT_SIZE, yolox::INPUT_SIZE]);
    let session = open_session(config.backend, &model, input_shape, config.ort_library.as_deref(), config.threads)
        .map_err(|error| error.with_model_path(&config.model))?;
    let detector_name = match config.backend {
        Backend::Ort => "yolox-nano/ort",
        Backend::Tract => "yolox-nano/tract",
    };
    Ok(Box::new(yolox::YoloxDetector::new(session, detector_name, config.score_threshold, config.nms_iou)))
}

/// An output tensor of a model, copied out of the engine.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct OutputTensor {
    pub(crate) shape: Vec<usize>,
    pub(crate) data: Vec<f32>,
}

/// One loaded model on one engine, taking a single `f32` NCHW input.
pub(crate) trait InferenceSession: Send {
    /// Runs the model on `input` of shape `shape` and returns its outputs in the model's order.
    fn run(&mut self, input: &[f32], shape: [usize; 4]) -> Result<Vec<OutputTensor>, DetectError>;
}

/// Reads a model file, turning a missing file into an error that names the fetch script.
pub(crate) fn read_model(path: &Path) -> Result<Vec<u8>, DetectError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(bytes),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            Err(DetectError::ModelMissing { path: path.to_path_buf() })
        }
        Err(error) => Err(DetectError::ModelRead { path: path.to_path_buf(), source: error }),
    }
}

/// Opens `model` on `backend`. `typical_input`, when known, is the input shape tract optimises
/// for up front (ONNX Runtime takes any shape the model allows).
pub(crate) fn open_session(
    backend: Backend,
    model: &[u8],
    typical_input: Option<[usize; 4]>,
    ort_library: Option<&Path>,
    threads: usize,
) -> Result<Box<dyn InferenceSession>, DetectError> {
    match backend {
        Backend::Ort => {
            let library = ort_library.ok_or(DetectError::OrtLibraryNotConfigured)?;
            Ok(Box::new(ort::OrtSession::open(library, model, threads)?))
        }
        #[cfg(feature = "tract")]
        Backend::Tract => Ok(Box::new(tract::TractSession::open(model, typical_input)?)),
        #[cfg(not(feature = "tract"))]
        Backend::Tract => {
            let _ = typical_input;
            Err(DetectError::TractDisabled)
        }
    }
}

impl DetectError {
    /// Names the model file in errors raised while parsing bytes that came from it.
    fn with_model_path(self, path: &Path) -> DetectError {
        match self {
            DetectError::BadModel { reason, .. } => DetectError::BadModel { path: path.to_path_buf(), reason },
            other => other,
        }
    }
}

/// Checks that a frame's buffer matches its size.
pub(crate) fn check_frame(frame: &Frame) -> Result<(), DetectError> {
    let expected = frame.width as usize * frame.height as usize * 3;
    if frame.bgr.len() != expected || frame.width == 0 || frame.height == 0 {
        return Err(DetectError::BadFrame { width: frame.width, height: frame.height, expected, got: frame.bgr.len() });
    }
    Ok(())
}

/// Where [`resize_into_planes`] writes: three planes of `width × height` values, plane `i`
/// holding the frame's channel `channels[i]` (0 blue, 1 green, 2 red).
pub(crate) struct PlaneLayout {
    pub(crate) width: usize,
    pub(crate) height: usize,
    pub(crate) channels: [usize; 3],
}

/// Scales `frame` bilinearly (sampling at pixel centres) to `target_width × target_height`
/// into the top-left corner of the planes; values outside the scaled picture are left as they
/// are. The frame must be valid ([`check_frame`]) and the target fit in the planes.
pub(crate) fn resize_into_planes(
    frame: &Frame,
    target_width: usize,
    target_height: usize,
    layout: &PlaneLayout,
    planes: &mut [f32],
) {
    debug_assert!(target_width <= layout.width && target_height <= layout.height);
    debug_assert_eq!(planes.len(), 3 * layout.width * layout.height);
    let plane_len = layout.width * layout.height;
    let column_taps = linear_taps(frame.width as usize, target_width);
    let row_taps = linear_taps(frame.height as usize, target_height);
    let row_bytes = frame.width as usize * 3;
    for (target_y, row_tap) in row_taps.iter().enumerate() {
        let upper = &frame.bgr[row_tap.first * row_bytes..][..row_bytes];
        let lower = &frame.bgr[row_tap.second * row_bytes..][..row_bytes];
        for (plane, &channel) in layout.channels.iter().enumerate() {
            let output_row = &mut planes[plane * plane_len + target_y * layout.width..][..target_width];
            for (output, column_tap) in output_row.iter_mut().zip(&column_taps) {
                let top =
                    column_tap.blend(upper[column_tap.first * 3 + channel], upper[column_tap.second * 3 + channel]);
                let bottom =
                    column_tap.blend(lower[column_tap.first * 3 + channel], lower[column_tap.second * 3 + channel]);
                *output = top + (bottom - top) * row_tap.weight;
            }
        }
    }
}

/// The two source pixels a target pixel blends, and the weight of the second.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Tap {
    first: usize,
    second: usize,
    weight: f32,
}

impl Tap {
    fn blend(&self, first: u8, second: u8) -> f32 {
        let first = f32::from(first);
        first + (f32::from(second) - first) * self.weight
    }
}

fn linear_taps(source_len: usize, target_len: usize) -> Vec<Tap> {
    let ratio = source_len as f32 / target_len as f32;
    let last = source_len.saturating_sub(1);
    (0..target_len)
        .map(|target| {
            let position = ((target as f32 + 0.5) * ratio - 0.5).max(0.0);
            let first = (position.floor() as usize).min(last);
            let second = (first + 1).min(last);
            Tap { first, second, weight: (position - first as f32).clamp(0.0, 1.0) }
        })
        .collect()
}

/// Greedy non-maximum suppression: sorts by score, then drops every item that overlaps a kept
/// one of the same group by more than `iou_threshold`.
pub(crate) fn non_max_suppression<T>(
    mut items: Vec<T>,
    iou_threshold: f32,
    box_and_score: impl Fn(&T) -> (BBox, f32),
    same_group: impl Fn(&T, &T) -> bool,
) -> Vec<T> {
    items.sort_by(|left, right| box_and_score(right).1.total_cmp(&box_and_score(left).1));
    let mut kept: Vec<T> = Vec::with_capacity(items.len());
    for candidate in items {
        let (candidate_box, _) = box_and_score(&candidate);
        let overlaps_a_better_one = kept.iter().any(|better| {
            same_group(better, &candidate) && box_and_score(better).0.iou(&candidate_box) > iou_threshold
        });
        if !overlaps_a_better_one {
            kept.push(candidate);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_reads_lowercase_backends_and_defaults() {
        let config: DetectorConfig =
            serde_json::from_str(r#"{"backend": "ort", "model": "assets/yolox_nano.onnx"}"#).expect("valid config");
        assert_eq!(config, DetectorConfig::new(Backend::Ort, "assets/yolox_nano.onnx"));
        assert_eq!(config.score_threshold, 0.3);
        assert_eq!(config.nms_iou, 0.45);
        let tract: Backend = serde_json::from_str(r#""tract""#).expect("valid backend");
        assert_eq!(tract, Backend::Tract);
        assert!(serde_json::from_str::<DetectorConfig>(r#"{"backend": "ort", "model": "m", "typo": 1}"#).is_err());
    }

    #[test]
    fn missing_model_and_library_name_the_fetch_script() {
        let missing_model = DetectorConfig::new(Backend::Tract, "no/such/model.onnx");
        let error = build(&missing_model).err().expect("the model does not exist");
        assert!(matches!(error, DetectError::ModelMissing { .. }));
        assert!(error.to_string().contains("scripts/fetch-assets.py"));

        let error = open_session(Backend::Ort, b"", None, None, 1).err().expect("no library configured");
        assert!(matches!(error, DetectError::OrtLibraryNotConfigured));
        let error = open_session(Backend::Ort, b"", None, Some(Path::new("no/such/libonnxruntime.so")), 1)
            .err()
            .expect("the library does not exist");
        assert!(matches!(error, DetectError::OrtLibraryMissing { .. }));
        assert!(error.to_string().contains("scripts/fetch-assets.py"));
    }

    #[test]
    fn suppression_keeps_the_best_of_each_overlapping_group() {
        let boxes = vec![
            (BBox { x1: 0.0, y1: 0.0, x2: 10.0, y2: 10.0 }, 0.5, 'a'),
            (BBox { x1: 1.0, y1: 0.0, x2: 11.0, y2: 10.0 }, 0.9, 'a'),
            (BBox { x1: 1.0, y1: 0.0, x2: 11.0, y2: 10.0 }, 0.4, 'b'),
            (BBox { x1: 50.0, y1: 50.0, x2: 60.0, y2: 60.0 }, 0.3, 'a'),
        ];
        let kept = non_max_suppression(boxes, 0.45, |item| (item.0, item.1), |left, right| left.2 == right.2);
        let scores: Vec<f32> = kept.iter().map(|item| item.1).collect();
        assert_eq!(scores, vec![0.9, 0.4, 0.3]);
    }
}
