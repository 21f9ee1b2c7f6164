//! Vigie's video analytics pipeline: decode → detect → track → ground plane → scene events.
//!
//! - [`geometry`]: pixel boxes and ground points shared by every stage.
//! - [`assign`]: minimum-cost assignment (Hungarian method), for tracking and evaluation.
//! - [`homography`]: image ↔ ground (metres) from ≥ 4 calibration point pairs.
//! - [`track`]: ByteTrack-style multi-object tracking; track ids are local to one camera.
//! - [`scene`]: the scene events French law allows (décret n° 2023-828) and that Vigie supports:
//!   counts per zone, excessive density, line flows, counter-flow, zone intrusion, interpersonal
//!   distance statistics.
//! - [`mot`]: MOTChallenge files and the detection/tracking metrics (precision, recall, MOTA, IDF1).
//! - [`decode`]: frames from files and RTSP through an `ffmpeg` subprocess.
//! - [`detect`]: the detector trait, YOLOX-Nano pre/post-processing, ONNX Runtime and tract backends.
//! - [`privacy`]: face and head blurring of every image that leaves the worker.
//! - [`camera`]: one camera's configuration in the city pack and the step from detections to
//!   the reports published to Vigie's ingest.
//!
//! Privacy invariant: nothing here recognises, matches or re-identifies a person. Track ids
//! live and die with one camera's worker.

pub mod assign;
pub mod camera;
pub mod geometry;
pub mod homography;
pub mod mot;
pub mod scene;
pub mod track;

pub mod decode;
pub mod detect;
pub mod privacy;

pub use geometry::{BBox, Detection, GroundPoint, ObjectClass};
