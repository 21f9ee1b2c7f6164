//! Decoding `vtest.avi` through ffmpeg.

use vigie_vision::decode::{DecodeError, SourceConfig, VideoSource};

use crate::assets::asset;

fn vtest(fps: Option<f64>) -> SourceConfig {
    SourceConfig { url: asset("vtest.avi").display().to_string(), fps, realtime: false }
}

#[test]
fn vtest_decodes_to_795_frames_of_768_by_576() {
    let mut source = VideoSource::open(&vtest(None)).expect("vtest.avi opens");
    assert_eq!((source.width(), source.height()), (768, 576));
    assert_eq!(source.frame_rate(), 10.0);
    let mut count = 0_u64;
    while let Some(frame) = source.next_frame().expect("vtest.avi decodes") {
        assert_eq!(frame.index, count);
        assert_eq!(frame.time_ms, i64::try_from(count * 100).expect("small"));
        assert_eq!((frame.width, frame.height, frame.bgr.len()), (768, 576, 768 * 576 * 3));
        count += 1;
        source.recycle(frame);
    }
    assert_eq!(count, 795);
    assert!(source.next_frame().expect("the end stays the end").is_none());
}

#[test]
fn analysis_rate_resamples_the_video() {
    let mut source = VideoSource::open(&vtest(Some(2.0))).expect("vtest.avi opens");
    let mut times = Vec::new();
    while let Some(frame) = source.next_frame().expect("vtest.avi decodes") {
        times.push(frame.time_ms);
        source.recycle(frame);
    }
    // 79.5 s at 2 frames/s.
    assert!((158..=160).contains(&times.len()), "{} frames", times.len());
    assert!(times.windows(2).all(|pair| pair[1] - pair[0] == 500));
}

#[test]
fn a_wrong_frame_size_ends_in_a_short_frame_error() {
    // 577 rows instead of 576: the stream's bytes stop in the middle of a frame.
    let mut source = VideoSource::open_with_size(&vtest(None), 768, 577).expect("ffmpeg starts");
    let error = loop {
        match source.next_frame() {
            Ok(Some(frame)) => source.recycle(frame),
            Ok(None) => panic!("the stream ended on a frame boundary"),
            Err(error) => break error,
        }
    };
    assert!(matches!(error, DecodeError::ShortFrame { expected, got, .. } if got < expected), "{error}");
}

#[test]
fn a_missing_video_is_named_in_the_error() {
    let config = SourceConfig { url: "assets/no-such-video.avi".to_string(), fps: None, realtime: false };
    let error = VideoSource::open(&config).expect_err("the file does not exist");
    assert!(error.to_string().contains("no-such-video.avi"), "{error}");
}
