//! MOTChallenge text files and the detection and tracking metrics computed on them.
//!
//! One line per box: `frame, id, left, top, width, height[, conf[, x, y, z]]`, frames numbered
//! from 1, fields separated by commas (or by blanks when a line has no comma). The format is
//! described in Milan et al., "MOT16: A Benchmark for Multi-Object Tracking" (2016), §3.3.
//!
//! [`evaluate`] computes the CLEAR-MOT metrics (Bernardin and Stiefelhagen 2008) and the
//! identity metrics IDF1/IDP/IDR (Ristani et al. 2016) the way the `motmetrics` Python package
//! does, so that figures can be compared with published ones; [`count_error`] scores people
//! counting against count-only ground truth.

mod metrics;

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

pub use metrics::{CountError, DEFAULT_IOU_THRESHOLD, MotMetrics, count_error, evaluate};

/// One box of a MOTChallenge file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MotRow {
    /// 1-based frame number.
    pub frame: u32,
    /// Track or object id; `-1` in detection files, where boxes have no identity.
    pub id: i64,
    /// Box in pixels: left edge, top edge, width and height.
    pub left: f64,
    pub top: f64,
    pub width: f64,
    pub height: f64,
    /// Detection confidence; in ground truth, 0 marks a box to ignore. 1 when absent.
    pub conf: f64,
    /// The trailing `x, y, z` fields (world position, or class and visibility in MOT16+ ground
    /// truth) when present.
    pub extra: [Option<f64>; 3],
}

impl MotRow {
    /// Returns the intersection over union of two boxes, computed like motmetrics does.
    pub fn iou(&self, other: &MotRow) -> f64 {
        let overlap_width =
            ((self.left + self.width).min(other.left + other.width) - self.left.max(other.left)).max(0.0);
        let overlap_height =
            ((self.top + self.height).min(other.top + other.height) - self.top.max(other.top)).max(0.0);
        let intersection = overlap_width * overlap_height;
        if intersection == 0.0 {
            return 0.0;
        }
        let union =
            self.width.max(0.0) * self.height.max(0.0) + other.width.max(0.0) * other.height.max(0.0) - intersection;
        intersection / union
    }
}

/// Writes the row as a MOTChallenge line (without a line break).
impl fmt::Display for MotRow {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "{},{},{},{},{},{},{}",
            self.frame, self.id, self.left, self.top, self.width, self.height, self.conf
        )?;
        for value in self.extra {
            write!(formatter, ",{}", value.unwrap_or(-1.0))?;
        }
        Ok(())
    }
}

/// Why a MOTChallenge file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum MotError {
    #[error("cannot read {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("line {line}: {problem}")]
    Parse { line: usize, problem: ParseProblem },
    #[error("{truth} true counts but {predicted} predicted counts")]
    CountLengths { truth: usize, predicted: usize },
}

/// What is wrong with one line of a MOTChallenge file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParseProblem {
    #[error("expected 6 to 10 fields, found {0}")]
    FieldCount(usize),
    #[error("{field} is not a number: {value:?}")]
    NotANumber { field: &'static str, value: String },
    #[error("{field} is not a finite number")]
    NotFinite { field: &'static str },
    #[error("frame must be a whole number from 1, found {0}")]
    BadFrame(f64),
    #[error("id must be a whole number, found {0}")]
    BadId(f64),
    #[error("width and height must not be negative")]
    NegativeSize,
    #[error("frame {frame} already has a box with id {id}")]
    DuplicateId { frame: u32, id: i64 },
}

const FIELD_NAMES: [&str; 10] = ["frame", "id", "left", "top", "width", "height", "conf", "x", "y", "z"];

/// Parses the text of a MOTChallenge file. Blank lines are skipped; two boxes with the same
/// non-negative id in one frame are an error.
pub fn parse(text: &str) -> Result<Vec<MotRow>, MotError> {
    let mut rows = Vec::new();
    let mut seen = HashSet::new();
    for (index, line) in text.lines().enumerate() {
        let line_number = index + 1;
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        let row = parse_line(trimmed).map_err(|problem| MotError::Parse { line: line_number, problem })?;
        if row.id >= 0 && !seen.insert((row.frame, row.id)) {
            let problem = ParseProblem::DuplicateId { frame: row.frame, id: row.id };
            return Err(MotError::Parse { line: line_number, problem });
        }
        rows.push(row);
    }
    Ok(rows)
}

/// Reads and parses a MOTChallenge file.
pub fn read_file(path: &Path) -> Result<Vec<MotRow>, MotError> {
    let text = std::fs::read_to_string(path).map_err(|source| MotError::Io { path: path.to_path_buf(), source })?;
    parse(&text)
}

fn parse_line(line: &str) -> Result<MotRow, ParseProblem> {
    let fields: Vec<&str> =
        if line.contains(',') { line.split(',').map(str::trim).collect() } else { line.split_whitespace().collect() };
    if !(6..=10).contains(&fields.len()) {
        return Err(ParseProblem::FieldCount(fields.len()));
    }
    let mut numbers = [None; 10];
    for (slot, (text, field)) in numbers.iter_mut().zip(fields.iter().zip(FIELD_NAMES)) {
        let value: f64 = text.parse().map_err(|_| ParseProblem::NotANumber { field, value: (*text).to_owned() })?;
        if !value.is_finite() {
            return Err(ParseProblem::NotFinite { field });
        }
        *slot = Some(value);
    }
    // The first six are present: the field count was checked above.
    let [Some(frame), Some(id), Some(left), Some(top), Some(width), Some(height), conf, x, y, z] = numbers else {
        return Err(ParseProblem::FieldCount(fields.len()));
    };
    if frame < 1.0 || frame.fract() != 0.0 || frame > f64::from(u32::MAX) {
        return Err(ParseProblem::BadFrame(frame));
    }
    if id.fract() != 0.0 || id.abs() > 2f64.powi(53) {
        return Err(ParseProblem::BadId(id));
    }
    if width < 0.0 || height < 0.0 {
        return Err(ParseProblem::NegativeSize);
    }
    Ok(MotRow {
        frame: frame as u32,
        id: id as i64,
        left,
        top,
        width,
        height,
        conf: conf.unwrap_or(1.0),
        extra: [x, y, z],
    })
}
