//! Paths of the fetched assets, and the frames and photos the tests share.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Instant;

use vigie_vision::decode::{Frame, SourceConfig, VideoSource};
use zune_jpeg::JpegDecoder;
use zune_jpeg::zune_core::bytestream::ZCursor;
use zune_jpeg::zune_core::colorspace::ColorSpace;
use zune_jpeg::zune_core::options::DecoderOptions;

/// Returns the path of `assets/<name>`, failing the test when it has not been fetched.
pub(crate) fn asset(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets").join(name);
    assert!(path.is_file(), "assets/{name} is missing: run `python3 scripts/fetch-assets.py` from the project root");
    path
}

/// The ONNX Runtime library fetched from the `onnxruntime` wheel.
pub(crate) fn ort_library() -> PathBuf {
    asset("libonnxruntime.so")
}

/// Frame 200 of `vtest.avi` (eight people walking), decoded once for all tests.
pub(crate) fn frame_200() -> &'static Frame {
    static FRAME: OnceLock<Frame> = OnceLock::new();
    FRAME.get_or_init(|| {
        let config = SourceConfig { url: asset("vtest.avi").display().to_string(), fps: None, realtime: false };
        let mut source = VideoSource::open(&config).expect("vtest.avi opens");
        loop {
            let frame = source.next_frame().expect("vtest.avi decodes").expect("vtest.avi has 795 frames");
            if frame.index == 200 {
                return frame;
            }
            source.recycle(frame);
        }
    })
}

/// Decodes JPEG bytes into a BGR frame.
pub(crate) fn decode_jpeg(bytes: &[u8]) -> Frame {
    let options = DecoderOptions::default().jpeg_set_out_colorspace(ColorSpace::RGB);
    let mut decoder = JpegDecoder::new_with_options(ZCursor::new(bytes), options);
    let rgb = decoder.decode().expect("a valid JPEG");
    let (width, height) = decoder.dimensions().expect("dimensions are known after decoding");
    let width = u32::try_from(width).expect("photo width fits u32");
    let height = u32::try_from(height).expect("photo height fits u32");
    Frame::from_rgb(width, height, &rgb).expect("the decoder returns three bytes per pixel")
}

/// Decodes one of the fetched photos (`bus.jpg`, `zidane.jpg`).
pub(crate) fn photo(name: &str) -> Frame {
    let bytes = std::fs::read(asset(name)).expect("the photo is readable");
    decode_jpeg(&bytes)
}

/// Milliseconds per run of some work: the fastest run (the least disturbed by other
/// processes) and the median.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Timing {
    pub(crate) fastest_ms: f64,
    pub(crate) median_ms: f64,
}

impl std::fmt::Display for Timing {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{:.1} ms (median {:.1})", self.fastest_ms, self.median_ms)
    }
}

/// Runs `work` once to warm up, then `runs` times; returns the timing and the last result.
pub(crate) fn time_ms<T>(runs: u32, mut work: impl FnMut() -> T) -> (Timing, T) {
    let mut result = work();
    let mut durations = Vec::new();
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        result = work();
        durations.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    durations.sort_by(f64::total_cmp);
    let timing = Timing { fastest_ms: durations[0], median_ms: durations[durations.len() / 2] };
    (timing, result)
}
