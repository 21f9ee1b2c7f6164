//! Frames from video files and RTSP streams, decoded by an `ffmpeg` subprocess.
//!
//! `ffprobe` reads the stream's size and frame rate, then `ffmpeg` pipes raw `bgr24` frames
//! on its standard output (optionally resampled to the analysis rate with `-vf fps=N`). The
//! child is killed when the [`VideoSource`] is dropped; its standard error is kept (the last
//! few kilobytes) so that a failure says what ffmpeg said.

use std::collections::VecDeque;
use std::io::{ErrorKind, Read};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use serde::Deserialize;

/// How much of ffmpeg's standard error is kept for error messages.
const STDERR_TAIL_BYTES: usize = 4096;

/// Socket timeout for RTSP sources, in microseconds (ffmpeg's `-timeout`): a stream silent
/// for this long counts as lost.
const RTSP_TIMEOUT_US: u64 = 10_000_000;

/// One decoded picture, in `bgr24` (three bytes per pixel, rows top to bottom, no padding).
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    /// Position in the decoded sequence, from 0 (after any `fps` resampling).
    pub index: u64,
    /// Time since the start of the stream, in milliseconds, from the frame rate.
    pub time_ms: i64,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width × height × 3` bytes, blue first.
    pub bgr: Vec<u8>,
}

impl Frame {
    /// Builds a frame from RGB pixels (as image decoders give them), swapping to BGR.
    pub fn from_rgb(width: u32, height: u32, rgb: &[u8]) -> Result<Frame, DecodeError> {
        let expected = frame_len(width, height);
        if rgb.len() != expected {
            return Err(DecodeError::PixelCount { width, height, got: rgb.len() });
        }
        let mut bgr = Vec::with_capacity(expected);
        for pixel in rgb.chunks_exact(3) {
            bgr.extend_from_slice(&[pixel[2], pixel[1], pixel[0]]);
        }
        Ok(Frame { index: 0, time_ms: 0, width, height, bgr })
    }
}

/// Where frames come from and at which rate they are wanted.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    /// A file path or an `rtsp://` URL.
    pub url: String,
    /// The analysis rate in frames per second; `None` keeps every frame of the source.
    #[serde(default)]
    pub fps: Option<f64>,
    /// Reads files at their native speed (`-re`), as a live camera would deliver them.
    #[serde(default)]
    pub realtime: bool,
}

/// Why frames could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("`{program}` was not found on PATH: install ffmpeg (Debian: `apt-get install ffmpeg`)")]
    ProgramMissing { program: String },
    #[error("cannot start `{program}`")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("video file `{path}` does not exist")]
    FileNotFound { path: String },
    #[error("ffprobe could not read `{url}`: {stderr}")]
    Probe { url: String, stderr: String },
    #[error("`{url}` has no video stream")]
    NoVideoStream { url: String },
    #[error("invalid analysis rate {fps}: it must be a positive number of frames per second")]
    InvalidRate { fps: f64 },
    #[error("invalid frame size {width}×{height}")]
    InvalidSize { width: u32, height: u32 },
    #[error("short frame: expected {expected} bytes, got {got}; ffmpeg said: {stderr}")]
    ShortFrame { expected: usize, got: usize, stderr: String },
    #[error("{width}×{height} pixels need {} bytes, got {got}", frame_len(*width, *height))]
    PixelCount { width: u32, height: u32, got: usize },
    #[error("video stream lost ({status}): {stderr}")]
    StreamLost { status: String, stderr: String },
    #[error("cannot read frames from ffmpeg")]
    Read(#[source] std::io::Error),
}

/// A running decoder: one `ffmpeg` child process whose frames are read one at a time.
pub struct VideoSource {
    url: String,
    child: Child,
    stdout: ChildStdout,
    stderr_tail: Arc<Mutex<VecDeque<u8>>>,
    stderr_reader: Option<JoinHandle<()>>,
    width: u32,
    height: u32,
    /// Rate of the frames this source yields (the analysis rate when one is set).
    frame_rate: f64,
    next_index: u64,
    /// A buffer handed back with [`VideoSource::recycle`], reused by the next frame.
    spare: Option<Vec<u8>>,
    finished: bool,
}

impl VideoSource {
    /// Probes the source with `ffprobe`, then starts `ffmpeg` on it.
    pub fn open(config: &SourceConfig) -> Result<VideoSource, DecodeError> {
        open_with_programs(config, None, "ffprobe", "ffmpeg")
    }

    /// Starts `ffmpeg` on a source whose size is already known, without probing it. The
    /// frame rate used for timestamps is then the analysis rate, or 25 frames/s without one.
    pub fn open_with_size(config: &SourceConfig, width: u32, height: u32) -> Result<VideoSource, DecodeError> {
        let probed = StreamInfo { width, height, frame_rate: config.fps.unwrap_or(25.0) };
        open_with_programs(config, Some(probed), "ffprobe", "ffmpeg")
    }

    /// Width of every frame, in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height of every frame, in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Rate of the frames this source yields, in frames per second.
    pub fn frame_rate(&self) -> f64 {
        self.frame_rate
    }

    /// Blocks until the next frame is decoded. Returns `None` at the end of a file; a stream
    /// that breaks off, or a truncated frame, is an error. After the end or an error, returns
    /// `None`.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, DecodeError> {
        if self.finished {
            return Ok(None);
        }
        let expected = frame_len(self.width, self.height);
        let mut bgr = self.spare.take().unwrap_or_default();
        bgr.resize(expected, 0);
        let filled = read_full(&mut self.stdout, &mut bgr).map_err(DecodeError::Read)?;
        if filled == expected {
            let index = self.next_index;
            self.next_index += 1;
            let time_ms = (index as f64 * 1000.0 / self.frame_rate).round() as i64;
            return Ok(Some(Frame { index, time_ms, width: self.width, height: self.height, bgr }));
        }
        self.finished = true;
        let status = self.child.wait().map_err(DecodeError::Read)?;
        let stderr = self.stderr_text();
        if filled > 0 {
            return Err(DecodeError::ShortFrame { expected, got: filled, stderr });
        }
        if status.success() {
            return Ok(None);
        }
        Err(DecodeError::StreamLost { status: describe_status(status), stderr })
    }

    /// Hands a frame's buffer back so that the next frame reuses it instead of allocating.
    pub fn recycle(&mut self, frame: Frame) {
        self.spare = Some(frame.bgr);
    }

    /// The source this decoder reads.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn stderr_text(&mut self) -> String {
        if let Some(reader) = self.stderr_reader.take() {
            // The reader ends when ffmpeg closes its standard error, which it has by now.
            let _ = reader.join();
        }
        let tail = self.stderr_tail.lock().unwrap_or_else(PoisonError::into_inner);
        let (front, back) = tail.as_slices();
        let text = String::from_utf8_lossy(&[front, back].concat()).trim().to_string();
        if text.is_empty() { "(nothing)".to_string() } else { text }
    }
}

impl Drop for VideoSource {
    fn drop(&mut self) {
        // Killing an already finished child fails harmlessly; wait reaps it either way.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl std::fmt::Debug for VideoSource {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("VideoSource")
            .field("url", &self.url)
            .field("width", &self.width)
            .field("height", &self.height)
            .field("frame_rate", &self.frame_rate)
            .field("next_index", &self.next_index)
            .finish_non_exhaustive()
    }
}

/// What `ffprobe` tells about the first video stream.
#[derive(Clone, Copy, Debug, PartialEq)]
struct StreamInfo {
    width: u32,
    height: u32,
    frame_rate: f64,
}

fn frame_len(width: u32, height: u32) -> usize {
    width as usize * height as usize * 3
}

fn is_rtsp(url: &str) -> bool {
    url.get(..7).is_some_and(|scheme| scheme.eq_ignore_ascii_case("rtsp://"))
}

fn is_url(url: &str) -> bool {
    url.contains("://")
}

fn open_with_programs(
    config: &SourceConfig,
    known: Option<StreamInfo>,
    ffprobe: &str,
    ffmpeg: &str,
) -> Result<VideoSource, DecodeError> {
    if let Some(fps) = config.fps
        && !(fps.is_finite() && fps > 0.0)
    {
        return Err(DecodeError::InvalidRate { fps });
    }
    if !is_url(&config.url) && !Path::new(&config.url).is_file() {
        return Err(DecodeError::FileNotFound { path: config.url.clone() });
    }
    let stream = match known {
        Some(stream) => stream,
        None => probe(ffprobe, &config.url)?,
    };
    if stream.width == 0 || stream.height == 0 {
        return Err(DecodeError::InvalidSize { width: stream.width, height: stream.height });
    }
    let frame_rate = config.fps.unwrap_or(stream.frame_rate);

    let mut command = Command::new(ffmpeg);
    command.args(["-hide_banner", "-nostdin", "-loglevel", "error"]);
    if config.realtime {
        command.arg("-re");
    }
    if is_rtsp(&config.url) {
        command.args(["-rtsp_transport", "tcp", "-timeout", &RTSP_TIMEOUT_US.to_string()]);
    }
    command.args(["-i", &config.url, "-map", "0:v:0", "-an", "-sn", "-dn"]);
    if let Some(fps) = config.fps {
        command.args(["-vf", &format!("fps={fps}")]);
    }
    command.args(["-f", "rawvideo", "-pix_fmt", "bgr24", "pipe:1"]);
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().map_err(|error| spawn_error(ffmpeg, error))?;

    let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        let _ = child.kill();
        let _ = child.wait();
        let error = std::io::Error::other("ffmpeg's pipes were not opened");
        return Err(DecodeError::Spawn { program: ffmpeg.to_string(), source: error });
    };
    let stderr_tail = Arc::new(Mutex::new(VecDeque::with_capacity(STDERR_TAIL_BYTES)));
    let stderr_reader = spawn_stderr_reader(stderr, Arc::clone(&stderr_tail));

    Ok(VideoSource {
        url: config.url.clone(),
        child,
        stdout,
        stderr_tail,
        stderr_reader: Some(stderr_reader),
        width: stream.width,
        height: stream.height,
        frame_rate,
        next_index: 0,
        spare: None,
        finished: false,
    })
}

fn spawn_error(program: &str, error: std::io::Error) -> DecodeError {
    if error.kind() == ErrorKind::NotFound {
        DecodeError::ProgramMissing { program: program.to_string() }
    } else {
        DecodeError::Spawn { program: program.to_string(), source: error }
    }
}

/// Keeps the last [`STDERR_TAIL_BYTES`] of the child's standard error, so that the pipe never
/// fills up and blocks ffmpeg.
fn spawn_stderr_reader(mut stderr: impl Read + Send + 'static, tail: Arc<Mutex<VecDeque<u8>>>) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut chunk = [0_u8; 1024];
        loop {
            let count = match stderr.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(count) => count,
            };
            let mut kept = tail.lock().unwrap_or_else(PoisonError::into_inner);
            kept.extend(&chunk[..count]);
            let excess = kept.len().saturating_sub(STDERR_TAIL_BYTES);
            kept.drain(..excess);
        }
    })
}

/// Reads until `buffer` is full or the stream ends; returns how many bytes were read.
fn read_full(reader: &mut impl Read, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(count) => filled += count,
            Err(error) if error.kind() == ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}

fn describe_status(status: ExitStatus) -> String {
    match status.code() {
        Some(code) => format!("ffmpeg exited with status {code}"),
        None => "ffmpeg was killed by a signal".to_string(),
    }
}

fn probe(ffprobe: &str, url: &str) -> Result<StreamInfo, DecodeError> {
    let mut command = Command::new(ffprobe);
    command.args(["-v", "error", "-select_streams", "v:0", "-show_streams", "-of", "json"]);
    if is_rtsp(url) {
        command.args(["-rtsp_transport", "tcp", "-timeout", &RTSP_TIMEOUT_US.to_string()]);
    }
    command.arg(url).stdin(Stdio::null());
    let output = command.output().map_err(|error| spawn_error(ffprobe, error))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr).trim().to_string();
        return Err(DecodeError::Probe { url: url.to_string(), stderr });
    }
    parse_probe(url, &output.stdout)
}

#[derive(Deserialize)]
struct ProbeOutput {
    #[serde(default)]
    streams: Vec<ProbeStream>,
}

#[derive(Deserialize)]
struct ProbeStream {
    codec_type: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
    avg_frame_rate: Option<String>,
    r_frame_rate: Option<String>,
}

fn parse_probe(url: &str, json: &[u8]) -> Result<StreamInfo, DecodeError> {
    let probed: ProbeOutput = serde_json::from_slice(json)
        .map_err(|error| DecodeError::Probe { url: url.to_string(), stderr: format!("unreadable output: {error}") })?;
    let Some(stream) = probed.streams.into_iter().find(|stream| stream.codec_type.as_deref() == Some("video")) else {
        return Err(DecodeError::NoVideoStream { url: url.to_string() });
    };
    let (Some(width), Some(height)) = (stream.width, stream.height) else {
        return Err(DecodeError::NoVideoStream { url: url.to_string() });
    };
    // Live streams often report no average rate; the nominal rate is the next best guess,
    // and 25 frames/s (the European broadcast rate) the last one.
    let frame_rate =
        [stream.avg_frame_rate, stream.r_frame_rate].iter().flatten().find_map(|rate| parse_rate(rate)).unwrap_or(25.0);
    Ok(StreamInfo { width, height, frame_rate })
}

/// Parses ffprobe's `"num/den"` rates; `None` for `0/0` and other non-rates.
fn parse_rate(rate: &str) -> Option<f64> {
    let (numerator, denominator) = rate.split_once('/').unwrap_or((rate, "1"));
    let value = numerator.trim().parse::<f64>().ok()? / denominator.trim().parse::<f64>().ok()?;
    (value.is_finite() && value > 0.0).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_from_ffprobe_fractions() {
        assert_eq!(parse_rate("10/1"), Some(10.0));
        assert_eq!(parse_rate("25"), Some(25.0));
        let ntsc = parse_rate("30000/1001").expect("a valid fraction");
        assert!((ntsc - 29.97).abs() < 0.001);
        assert_eq!(parse_rate("0/0"), None);
        assert_eq!(parse_rate("abc"), None);
    }

    #[test]
    fn probe_output_gives_size_and_rate_of_the_video_stream() {
        let json = br#"{"streams": [
            {"codec_type": "audio"},
            {"codec_type": "video", "width": 768, "height": 576, "avg_frame_rate": "0/0", "r_frame_rate": "10/1"}
        ]}"#;
        let info = parse_probe("x.avi", json).expect("valid probe output");
        assert_eq!(info, StreamInfo { width: 768, height: 576, frame_rate: 10.0 });
    }

    #[test]
    fn probe_output_without_video_is_an_error() {
        let json = br#"{"streams": [{"codec_type": "audio"}]}"#;
        assert!(matches!(parse_probe("x.wav", json), Err(DecodeError::NoVideoStream { .. })));
        assert!(matches!(parse_probe("x", b"not json"), Err(DecodeError::Probe { .. })));
    }

    #[test]
    fn missing_programs_are_named() {
        let config = SourceConfig { url: "rtsp://127.0.0.1:1/none".to_string(), fps: None, realtime: false };
        let error = open_with_programs(&config, None, "vigie-no-such-ffprobe", "vigie-no-such-ffmpeg")
            .expect_err("the program does not exist");
        assert!(matches!(&error, DecodeError::ProgramMissing { program } if program == "vigie-no-such-ffprobe"));
        assert!(error.to_string().contains("install ffmpeg"));
    }

    #[test]
    fn missing_files_and_bad_rates_are_refused_before_starting_ffmpeg() {
        let missing = SourceConfig { url: "no/such/video.mp4".to_string(), fps: None, realtime: false };
        assert!(matches!(VideoSource::open(&missing), Err(DecodeError::FileNotFound { .. })));
        let bad_rate = SourceConfig { url: "rtsp://127.0.0.1:1/none".to_string(), fps: Some(0.0), realtime: false };
        assert!(matches!(VideoSource::open(&bad_rate), Err(DecodeError::InvalidRate { .. })));
    }

    #[test]
    fn rgb_pixels_become_bgr_frames() {
        let frame = Frame::from_rgb(2, 1, &[1, 2, 3, 4, 5, 6]).expect("two pixels");
        assert_eq!(frame.bgr, vec![3, 2, 1, 6, 5, 4]);
        assert!(Frame::from_rgb(2, 2, &[0; 6]).is_err());
    }
}
