//! `vigie vision eval` (counting and tracking accuracy) and `vigie bench vision` (frames/s end
//! to end, each stage's share, against Python ONNX Runtime in the same run).

use super::vision::DetectorOptions;
use anyhow::{Context, anyhow};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};
use vigie_vision::ObjectClass;
use vigie_vision::camera::CameraAnalytics;
use vigie_vision::decode::{SourceConfig, VideoSource};
use vigie_vision::mot::{self, MotRow};
use vigie_vision::track::{Tracker, TrackerConfig};

/// The demo camera whose scene the benchmark runs (zones, lines, calibration).
const BENCH_CAMERA: &str = "cities/demo-metropole/vision/cam-dijon-0100.toml";

/// What `vigie vision eval` was asked.
pub(crate) struct EvalRequest {
    pub(crate) video: Option<PathBuf>,
    pub(crate) counts: Option<PathBuf>,
    pub(crate) write_mot: Option<PathBuf>,
    pub(crate) gt: Option<PathBuf>,
    pub(crate) hyp: Option<PathBuf>,
}

/// `vigie vision eval`.
pub(crate) fn eval(request: &EvalRequest, detector: &DetectorOptions) -> anyhow::Result<ExitCode> {
    let mut did_something = false;
    if let (Some(gt), Some(hyp)) = (&request.gt, &request.hyp) {
        did_something = true;
        let gt_rows = mot::read_file(gt).with_context(|| format!("cannot read {}", gt.display()))?;
        let hyp_rows = mot::read_file(hyp).with_context(|| format!("cannot read {}", hyp.display()))?;
        let metrics = mot::evaluate(&gt_rows, &hyp_rows, 0.5);
        println!("## Tracking: {} against {}\n", hyp.display(), gt.display());
        println!("{}", mot_table(&metrics));
    } else if request.gt.is_some() || request.hyp.is_some() {
        return Err(anyhow!("--gt and --hyp go together"));
    }
    if let Some(video) = &request.video {
        did_something = true;
        let run = run_video(video, detector, None)?;
        if let Some(path) = &request.write_mot {
            std::fs::write(path, mot_text(&run.mot)).with_context(|| format!("cannot write {}", path.display()))?;
            println!("wrote {} ({} rows)", path.display(), run.mot.len());
        }
        if let Some(counts) = &request.counts {
            let truth = read_counts(counts)?;
            println!("{}", count_report(&truth, &run));
        }
    } else if request.counts.is_some() || request.write_mot.is_some() {
        return Err(anyhow!("--counts and --write-mot need --video"));
    }
    if !did_something {
        return Err(anyhow!("nothing to evaluate: give --video (with --counts or --write-mot) or --gt with --hyp"));
    }
    Ok(ExitCode::SUCCESS)
}

/// What one pass over a video gave, frame by frame.
struct VideoRun {
    /// Persons detected (score at or above the detector's threshold) per frame.
    detected: Vec<u32>,
    /// Confirmed person tracks per frame.
    tracked: Vec<u32>,
    /// The tracker's output, MOTChallenge rows (1-based frames).
    mot: Vec<MotRow>,
    timings: Timings,
}

#[derive(Default, Clone, Copy)]
struct Timings {
    frames: u64,
    decode: Duration,
    detect: Duration,
    analyse: Duration,
    total: Duration,
}

fn run_video(video: &Path, detector: &DetectorOptions, limit: Option<u64>) -> anyhow::Result<VideoRun> {
    if !video.exists() {
        return Err(anyhow!("{} not found: run `python3 scripts/fetch-assets.py`", video.display()));
    }
    let mut model = vigie_vision::detect::build(&detector.config())?;
    let url = video.to_string_lossy().into_owned();
    let mut source = VideoSource::open(&SourceConfig { url, fps: None, realtime: false })?;
    let mut tracker = Tracker::new(TrackerConfig::default());
    let mut analytics = match vigie_vision::camera::load_camera(Path::new(BENCH_CAMERA)) {
        Ok(config) => Some(CameraAnalytics::new(&config)?),
        Err(error) => {
            tracing::warn!(error = %error, "no scene for the run: tracking only");
            None
        }
    };
    let progress = indicatif::ProgressBar::new(limit.unwrap_or(795));
    progress.set_style(
        indicatif::ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} frames ({per_sec})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    progress.set_message(format!("{} on {}", model.name(), video.display()));
    let mut run = VideoRun { detected: Vec::new(), tracked: Vec::new(), mot: Vec::new(), timings: Timings::default() };
    let start = Instant::now();
    loop {
        if limit.is_some_and(|limit| run.timings.frames >= limit) {
            break;
        }
        let before_decode = Instant::now();
        let Some(frame) = source.next_frame()? else { break };
        let before_detect = Instant::now();
        let detections = model.detect(&frame)?;
        let before_analyse = Instant::now();
        let tracks = match analytics.as_mut() {
            Some(analytics) => analytics.step(frame.time_ms, 12 * 60, &detections).tracks,
            None => tracker.update(&detections),
        };
        let done = Instant::now();
        run.timings.decode += before_detect - before_decode;
        run.timings.detect += before_analyse - before_detect;
        run.timings.analyse += done - before_analyse;
        run.timings.frames += 1;
        let persons = |class: ObjectClass| class == ObjectClass::Person;
        run.detected.push(detections.iter().filter(|detection| persons(detection.class)).count() as u32);
        run.tracked.push(tracks.iter().filter(|track| persons(track.class)).count() as u32);
        let frame_number = u32::try_from(frame.index + 1).unwrap_or(u32::MAX);
        run.mot.extend(tracks.iter().filter(|track| persons(track.class)).map(|track| MotRow {
            frame: frame_number,
            id: i64::try_from(track.id).unwrap_or(i64::MAX),
            left: f64::from(track.bbox.x1),
            top: f64::from(track.bbox.y1),
            width: f64::from(track.bbox.width()),
            height: f64::from(track.bbox.height()),
            conf: f64::from(track.score),
            extra: [None, None, None],
        }));
        source.recycle(frame);
        progress.inc(1);
    }
    run.timings.total = start.elapsed();
    progress.finish_and_clear();
    Ok(run)
}

fn read_counts(path: &Path) -> anyhow::Result<Vec<(u64, u32)>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut counts = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("frame") {
            continue;
        }
        let parsed = line.split_once(',').and_then(|(frame, persons)| {
            Some((frame.trim().parse::<u64>().ok()?, persons.trim().parse::<u32>().ok()?))
        });
        let Some(entry) = parsed else {
            return Err(anyhow!("{}:{}: expected `frame,persons`, got {line:?}", path.display(), number + 1));
        };
        counts.push(entry);
    }
    if counts.is_empty() {
        return Err(anyhow!("{} has no counts", path.display()));
    }
    Ok(counts)
}

fn count_report(truth: &[(u64, u32)], run: &VideoRun) -> String {
    let mut out = String::new();
    let pick = |series: &[u32]| -> Vec<u32> {
        truth.iter().map(|(frame, _)| series.get(*frame as usize).copied().unwrap_or(0)).collect()
    };
    let truth_counts: Vec<u32> = truth.iter().map(|(_, persons)| *persons).collect();
    let detected = pick(&run.detected);
    let tracked = pick(&run.tracked);
    let _ = writeln!(out, "## Person count on {} frames counted by eye\n", truth.len());
    let _ = writeln!(out, "| counted by | mean absolute error | RMSE | mean signed error | relative error |");
    let _ = writeln!(out, "|---|---|---|---|---|");
    for (name, predicted) in [("detections (score ≥ threshold)", &detected), ("confirmed tracks", &tracked)] {
        match mot::count_error(&truth_counts, predicted) {
            Ok(error) => {
                let _ = writeln!(
                    out,
                    "| {name} | {:.2} | {:.2} | {:+.2} | {:.1} % |",
                    error.mean_absolute_error,
                    error.root_mean_square_error,
                    error.mean_error,
                    100.0 * error.relative_absolute_error
                );
            }
            Err(error) => {
                let _ = writeln!(out, "| {name} | {error} | | | |");
            }
        }
    }
    let _ = writeln!(out, "\n| frame | by eye | detections | tracks |\n|---|---|---|---|");
    for (index, (frame, persons)) in truth.iter().enumerate() {
        let _ = writeln!(out, "| {frame} | {persons} | {} | {} |", detected[index], tracked[index]);
    }
    out
}

fn mot_text(rows: &[MotRow]) -> String {
    let mut out = String::new();
    for row in rows {
        let _ = writeln!(
            out,
            "{},{},{:.2},{:.2},{:.2},{:.2},{:.3},-1,-1,-1",
            row.frame, row.id, row.left, row.top, row.width, row.height, row.conf
        );
    }
    out
}

fn mot_table(metrics: &mot::MotMetrics) -> String {
    format!(
        "| frames | GT objects | precision | recall | FP | FN | ID switches | MOTA | MOTP | IDF1 | IDP | IDR | MT | PT | ML |\n\
         |---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n\
         | {} | {} | {:.1} % | {:.1} % | {} | {} | {} | {:.1} % | {:.3} | {:.1} % | {:.1} % | {:.1} % | {} | {} | {} |",
        metrics.frames,
        metrics.gt_objects,
        100.0 * metrics.precision,
        100.0 * metrics.recall,
        metrics.false_positives,
        metrics.false_negatives,
        metrics.id_switches,
        100.0 * metrics.mota,
        metrics.motp,
        100.0 * metrics.idf1,
        100.0 * metrics.idp,
        100.0 * metrics.idr,
        metrics.mostly_tracked,
        metrics.partially_tracked,
        metrics.mostly_lost,
    )
}

/// `vigie bench vision`.
pub(crate) fn bench(
    video: &Path,
    frames: u64,
    with_tract: bool,
    detector: &DetectorOptions,
) -> anyhow::Result<ExitCode> {
    let reference = python_reference(video, &detector.model)?;
    let run = run_video(video, detector, Some(frames))?;
    let timings = run.timings;
    let seconds = timings.total.as_secs_f64();
    let fps = timings.frames as f64 / seconds;
    let share = |stage: Duration| 100.0 * stage.as_secs_f64() / seconds;
    let per_frame = |stage: Duration| 1000.0 * stage.as_secs_f64() / timings.frames.max(1) as f64;
    let inference = inference_only(video, detector, 300)?;
    println!("## Video analytics on {} ({} frames, native resolution)\n", video.display(), timings.frames);
    println!("| measure | frames/s | ratio to the reference |");
    println!("|---|---|---|");
    println!("| reference: {} inference only, batch 1 | {:.1} | 1.00 |", reference.runtime, reference.frames_per_s);
    println!(
        "| Vigie, {} backend, {} threads: inference only | {:.1} | {:.2} |",
        backend_name(detector),
        detector.threads,
        inference,
        inference / reference.frames_per_s
    );
    if with_tract {
        let tract = DetectorOptions { backend: vigie_vision::detect::Backend::Tract, ..detector.clone() };
        let tract_fps = inference_only(video, &tract, 100)?;
        println!(
            "| Vigie, tract backend (pure Rust, one thread): inference only | {:.1} | {:.2} |",
            tract_fps,
            tract_fps / reference.frames_per_s
        );
    }
    println!(
        "| **Vigie end to end** (decode + detect + track + scene) | **{fps:.1}** | **{:.2}** (target ≥ 0.67) |",
        fps / reference.frames_per_s
    );
    println!("\n| stage | ms/frame | share of the wall time |\n|---|---|---|");
    println!(
        "| decode (waiting on ffmpeg, which decodes in parallel) | {:.2} | {:.1} % |",
        per_frame(timings.decode),
        share(timings.decode)
    );
    println!(
        "| detect (letterbox, inference, decode and NMS) | {:.2} | {:.1} % |",
        per_frame(timings.detect),
        share(timings.detect)
    );
    println!(
        "| track + ground plane + scene events | {:.3} | {:.1} % |",
        per_frame(timings.analyse),
        share(timings.analyse)
    );
    Ok(ExitCode::SUCCESS)
}

fn backend_name(detector: &DetectorOptions) -> &'static str {
    match detector.backend {
        vigie_vision::detect::Backend::Ort => "ONNX Runtime",
        vigie_vision::detect::Backend::Tract => "tract",
    }
}

/// Inference-only frames/s of Vigie's detector on frame 200 (the same frame the reference uses).
fn inference_only(video: &Path, detector: &DetectorOptions, runs: u32) -> anyhow::Result<f64> {
    let mut model = vigie_vision::detect::build(&detector.config())?;
    let url = video.to_string_lossy().into_owned();
    let mut source = VideoSource::open(&SourceConfig { url, fps: None, realtime: false })?;
    let mut frame = None;
    for _ in 0..=200 {
        frame = source.next_frame()?;
    }
    let frame = frame.ok_or_else(|| anyhow!("{} has fewer than 201 frames", video.display()))?;
    model.time_inference(&frame, 10)?;
    let elapsed = model.time_inference(&frame, runs)?;
    Ok(f64::from(runs) / elapsed.as_secs_f64())
}

struct Reference {
    runtime: String,
    frames_per_s: f64,
}

/// Runs `scripts/onnxruntime-reference.py` with the project's reference environment.
fn python_reference(video: &Path, model: &Path) -> anyhow::Result<Reference> {
    let venv_python = Path::new("assets/.venv/bin/python");
    let python = if venv_python.exists() { venv_python.to_path_buf() } else { PathBuf::from("python3") };
    let output = std::process::Command::new(&python)
        .arg("scripts/onnxruntime-reference.py")
        .arg("--model")
        .arg(model)
        .arg("--video")
        .arg(video)
        .output()
        .with_context(|| format!("cannot run {} scripts/onnxruntime-reference.py", python.display()))?;
    if !output.status.success() {
        return Err(anyhow!("the Python reference failed: {}", String::from_utf8_lossy(&output.stderr).trim()));
    }
    let line: serde_json::Value =
        serde_json::from_slice(&output.stdout).context("the Python reference printed no JSON")?;
    Ok(Reference {
        runtime: line["runtime"].as_str().unwrap_or("onnxruntime").to_owned(),
        frames_per_s: line["frames_per_s"].as_f64().ok_or_else(|| anyhow!("no frames_per_s in {line}"))?,
    })
}
