//! `vigie vision run`: the video analytics worker. One thread per camera decodes its stream,
//! detects, tracks and analyses the scene, and publishes the reports through Vigie's HTTP
//! ingest like any sensor, with redacted evidence snapshots. A camera that fails (stream lost,
//! corrupt frame) is reported and retried without stopping the others.

use anyhow::{Context, anyhow};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use vigie_city::City;
use vigie_core::Timestamp;
use vigie_vision::camera::{CameraAnalytics, CameraConfig, Report};
use vigie_vision::decode::{Frame, SourceConfig, VideoSource};
use vigie_vision::detect::{Backend, Detector, DetectorConfig};
use vigie_vision::privacy::{FaceDetector, FaceDetectorConfig};

/// Where the model and ONNX Runtime are, and how to run them.
#[derive(Clone, Debug)]
pub(crate) struct DetectorOptions {
    pub(crate) backend: Backend,
    pub(crate) model: PathBuf,
    pub(crate) ort_library: PathBuf,
    pub(crate) threads: usize,
    /// The face detector (CenterFace) for near-field cameras' snapshots.
    pub(crate) face_model: PathBuf,
}

impl DetectorOptions {
    pub(crate) fn config(&self) -> DetectorConfig {
        let mut config = DetectorConfig::new(self.backend, &self.model);
        config.ort_library = Some(self.ort_library.clone());
        config.threads = self.threads.max(1);
        config
    }
}

/// How a worker reads its camera.
#[derive(Clone, Debug)]
pub(crate) struct WorkerOptions {
    /// Replaces the camera's `source` (a file or an RTSP URL).
    pub(crate) source: Option<String>,
    /// Starts a file again when it ends, as a camera never ends.
    pub(crate) looped: bool,
    /// Reads files at their native speed.
    pub(crate) realtime: bool,
    /// Vigie's HTTP API, e.g. `http://127.0.0.1:8080`.
    pub(crate) server: String,
    /// The device the worker posts as (a `[[device]]` of the devices file), and its secret.
    pub(crate) device: Option<String>,
    pub(crate) secret: Option<String>,
    pub(crate) detector: DetectorOptions,
}

/// `vigie vision run`.
pub(crate) fn run(pack: &Path, cameras: &[String], options: WorkerOptions) -> anyhow::Result<ExitCode> {
    let config = crate::config::Config::load(None, std::env::vars())?;
    crate::telemetry::init(&config.log);
    let city = Arc::new(
        vigie_city::load(pack).map_err(|errors| anyhow!("the city pack {} is invalid:\n{errors}", pack.display()))?,
    );
    let configs = select_cameras(pack, cameras)?;
    let stop = Arc::new(AtomicBool::new(false));
    let workers = configs
        .into_iter()
        .map(|config| spawn_worker(config, city.clone(), options.clone(), stop.clone()))
        .collect::<anyhow::Result<Vec<_>>>()?;
    for worker in workers {
        let _ = worker.join();
    }
    Ok(ExitCode::SUCCESS)
}

/// The pack's cameras, or those named (every one must exist).
pub(crate) fn select_cameras(pack: &Path, names: &[String]) -> anyhow::Result<Vec<CameraConfig>> {
    let all = vigie_vision::camera::load_cameras(pack).context("cannot read the pack's vision folder")?;
    if names.is_empty() {
        if all.is_empty() {
            return Err(anyhow!("the pack {} has no vision/*.toml: no camera to analyse", pack.display()));
        }
        return Ok(all);
    }
    names
        .iter()
        .map(|name| {
            all.iter()
                .find(|config| &config.camera == name)
                .cloned()
                .ok_or_else(|| anyhow!("camera {name:?} has no vision/{name}.toml in {}", pack.display()))
        })
        .collect()
}

/// Checks that the city declares the camera and every sensor its analytics report to.
pub(crate) fn check_sensors(city: &City, config: &CameraConfig) -> anyhow::Result<()> {
    let camera = vigie_core::CameraId::parse(&config.camera).map_err(|error| anyhow!("camera id: {error}"))?;
    if city.camera(&camera).is_none() {
        return Err(anyhow!("camera {} is not in city.toml", config.camera));
    }
    let analytics = CameraAnalytics::new(config)?;
    let mut missing = Vec::new();
    for (sensor, measure) in analytics.sensors() {
        let known = vigie_core::SensorId::parse(&sensor).ok().and_then(|id| city.sensor(&id).cloned());
        match known {
            Some(found) if found.kind.as_str() == measure.kind() && found.unit == measure.unit() => {}
            Some(found) => missing.push(format!(
                "{sensor} must be of kind {} in {}, not {} in {}",
                measure.kind(),
                measure.unit(),
                found.kind.as_str(),
                found.unit
            )),
            None => missing.push(format!("{sensor} (kind {}, unit {})", measure.kind(), measure.unit())),
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(anyhow!("camera {}: city.toml lacks these sensors:\n  {}", config.camera, missing.join("\n  ")))
    }
}

/// Starts one camera's worker thread; it runs until `stop` is set (or its file ends, unless
/// looped).
pub(crate) fn spawn_worker(
    config: CameraConfig,
    city: Arc<City>,
    options: WorkerOptions,
    stop: Arc<AtomicBool>,
) -> anyhow::Result<std::thread::JoinHandle<()>> {
    check_sensors(&city, &config)?;
    let name = format!("vision-{}", config.camera);
    std::thread::Builder::new()
        .name(name)
        .spawn(move || worker_loop(&config, &options, &stop))
        .context("cannot start a vision worker thread")
}

fn worker_loop(config: &CameraConfig, options: &WorkerOptions, stop: &AtomicBool) {
    let mut backoff = Duration::from_secs(1);
    let credentials = options.device.clone().zip(options.secret.clone());
    let publisher = Publisher::new(&options.server, credentials);
    let mut detector: Option<Box<dyn Detector>> = None;
    let mut faces = near_field_faces(config, &options.detector);
    let mut analytics = match CameraAnalytics::new(config) {
        Ok(analytics) => analytics,
        Err(error) => {
            tracing::error!(camera = %config.camera, error = %error, "vision worker not started");
            return;
        }
    };
    let mut clock_offset_ms = 0i64;
    while !stop.load(Ordering::Relaxed) {
        if detector.is_none() {
            match vigie_vision::detect::build(&options.detector.config()) {
                Ok(built) => detector = Some(built),
                Err(error) => {
                    tracing::error!(camera = %config.camera, error = %error, "the detector cannot start; retrying");
                    sleep_unless_stopped(stop, Duration::from_secs(30));
                    continue;
                }
            }
        }
        let Some(detector) = detector.as_deref_mut() else { continue };
        let started = std::time::Instant::now();
        let sinks = Sinks { publisher: &publisher, faces: faces.as_mut() };
        match run_source(config, options, stop, detector, &mut analytics, sinks, &mut clock_offset_ms) {
            Ok(()) if !options.looped => {
                tracing::info!(camera = %config.camera, "the video ended");
                return;
            }
            Ok(()) => backoff = Duration::from_secs(1),
            Err(error) => {
                if started.elapsed() > Duration::from_secs(60) {
                    backoff = Duration::from_secs(1);
                }
                tracing::warn!(
                    camera = %config.camera,
                    error = %format!("{error:#}"),
                    retry_in_s = backoff.as_secs(),
                    "camera analytics interrupted"
                );
                sleep_unless_stopped(stop, backoff);
                backoff = (backoff * 2).min(Duration::from_secs(30));
            }
        }
    }
}

fn sleep_unless_stopped(stop: &AtomicBool, duration: Duration) {
    let until = std::time::Instant::now() + duration;
    while !stop.load(Ordering::Relaxed) && std::time::Instant::now() < until {
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Reads one source to its end (or until `stop`); `clock_offset_ms` keeps the analytics' time
/// increasing across restarts of a looped file.
fn run_source(
    config: &CameraConfig,
    options: &WorkerOptions,
    stop: &AtomicBool,
    detector: &mut dyn Detector,
    analytics: &mut CameraAnalytics,
    mut sinks: Sinks<'_>,
    clock_offset_ms: &mut i64,
) -> anyhow::Result<()> {
    let url = options.source.clone().unwrap_or_else(|| config.source.clone());
    let source_config = SourceConfig { url, fps: Some(config.analysis_fps), realtime: options.realtime };
    let mut source = VideoSource::open(&source_config)?;
    let offset = *clock_offset_ms;
    let mut last_time = offset;
    while !stop.load(Ordering::Relaxed) {
        let Some(frame) = source.next_frame()? else { break };
        let detections = detector.detect(&frame)?;
        let time_ms = offset + frame.time_ms;
        last_time = time_ms;
        let now = wall_clock();
        let step = analytics.step(time_ms, local_minute_of_day(now), &detections);
        if !step.reports.is_empty() {
            publish(config, analytics, &mut sinks, &frame, &step, now);
        }
        source.recycle(frame);
    }
    *clock_offset_ms = last_time + (1000.0 / config.analysis_fps) as i64;
    Ok(())
}

fn wall_clock() -> Timestamp {
    let millis = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis());
    Timestamp(i64::try_from(millis).unwrap_or(i64::MAX))
}

fn local_minute_of_day(now: Timestamp) -> u32 {
    let local_s = now.0.div_euclid(1000) + now.paris_offset_s();
    u32::try_from(local_s.rem_euclid(86_400) / 60).unwrap_or(0)
}

/// Sends a period's reports; notable ones carry a redacted snapshot of the current frame.
fn publish(
    config: &CameraConfig,
    analytics: &mut CameraAnalytics,
    sinks: &mut Sinks<'_>,
    frame: &Frame,
    step: &vigie_vision::camera::Step,
    now: Timestamp,
) {
    let mut snapshot: Option<Vec<u8>> = None;
    let mut observations = Vec::with_capacity(step.reports.len());
    for report in &step.reports {
        let mut evidence = None;
        if analytics.wants_evidence(report) {
            // A near-field camera whose face detector is not running sends no image at all.
            let redactable = !config.near_field || sinks.faces.is_some();
            if snapshot.is_none() && redactable {
                let persons: Vec<_> = step.tracks.iter().map(|track| track.bbox).collect();
                let redacted = vigie_vision::privacy::redact(frame, &persons, sinks.faces.as_deref_mut());
                match redacted.and_then(|image| image.encode_jpeg(80)) {
                    Ok(jpeg) => snapshot = Some(jpeg),
                    Err(error) => tracing::warn!(camera = %config.camera, error = %error, "no snapshot"),
                }
            }
            if let Some(jpeg) = &snapshot {
                match sinks.publisher.snapshot(&config.camera, &report.sensor, now, jpeg) {
                    Ok(id) => evidence = Some(id),
                    Err(error) => {
                        tracing::warn!(camera = %config.camera, error = %format!("{error:#}"), "snapshot not stored")
                    }
                }
            }
        }
        observations.push(observation(report, now, evidence));
    }
    if let Err(error) = sinks.publisher.observations(&observations) {
        tracing::warn!(camera = %config.camera, error = %format!("{error:#}"), "reports not delivered");
    }
}

fn observation(report: &Report, now: Timestamp, evidence: Option<String>) -> serde_json::Value {
    let mut value = json!({
        "sensor_id": report.sensor,
        "time": now.0,
        "value": report.value,
        "unit": report.measure.unit(),
    });
    if let Some(evidence) = evidence {
        value["evidence"] = json!(evidence);
    }
    value
}

/// Where a worker's results go: the HTTP ingest, through the face detector of a near-field
/// camera for images.
struct Sinks<'a> {
    publisher: &'a Publisher,
    faces: Option<&'a mut FaceDetector>,
}

/// The face detector of a near-field camera; `None` for far-field cameras, and (logged) when it
/// cannot start, in which case the camera sends no snapshot.
fn near_field_faces(config: &CameraConfig, detector: &DetectorOptions) -> Option<FaceDetector> {
    if !config.near_field {
        return None;
    }
    let face_config = FaceDetectorConfig::new(&detector.face_model, Some(detector.ort_library.clone()));
    match FaceDetector::new(&face_config) {
        Ok(faces) => Some(faces),
        Err(error) => {
            tracing::error!(
                camera = %config.camera,
                error = %error,
                "near-field camera without its face detector: no snapshot will leave the worker"
            );
            None
        }
    }
}

/// Vigie's HTTP ingest, as the worker uses it: with a device's credentials (HTTP Basic).
pub(crate) struct Publisher {
    base: String,
    agent: ureq::Agent,
    /// The `Authorization` header, when the worker has a device.
    authorization: Option<String>,
}

impl Publisher {
    /// A publisher to `base`, posting as `credentials` (device id, secret) when given.
    pub(crate) fn new(base: &str, credentials: Option<(String, String)>) -> Publisher {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(10)))
            .build()
            .into();
        let authorization = credentials.map(|(device, secret)| {
            format!("Basic {}", vigie_web::devices::base64_encode(format!("{device}:{secret}").as_bytes()))
        });
        Publisher { base: base.trim_end_matches('/').to_owned(), agent, authorization }
    }

    /// Stores a redacted snapshot and returns its id.
    pub(crate) fn snapshot(&self, camera: &str, sensor: &str, time: Timestamp, jpeg: &[u8]) -> anyhow::Result<String> {
        let url = format!("{}/api/snapshots?camera={camera}&sensor={sensor}&time={}", self.base, time.0);
        let mut request = self.agent.post(&url).header("content-type", "image/jpeg");
        if let Some(authorization) = &self.authorization {
            request = request.header("authorization", authorization);
        }
        let mut response = request.send(jpeg)?;
        let status = response.status();
        let body: serde_json::Value = response.body_mut().read_json().unwrap_or(serde_json::Value::Null);
        if !status.is_success() {
            return Err(anyhow!("POST /api/snapshots answered {status}: {body}"));
        }
        body["id"].as_str().map(str::to_owned).ok_or_else(|| anyhow!("POST /api/snapshots gave no id: {body}"))
    }

    /// Sends reports as observations.
    pub(crate) fn observations(&self, observations: &[serde_json::Value]) -> anyhow::Result<()> {
        let url = format!("{}/api/observations", self.base);
        let mut request = self.agent.post(&url);
        if let Some(authorization) = &self.authorization {
            request = request.header("authorization", authorization);
        }
        let mut response = request.send_json(json!({ "observations": observations }))?;
        let status = response.status();
        if !status.is_success() {
            let body = response.body_mut().read_to_string().unwrap_or_default();
            return Err(anyhow!("POST /api/observations answered {status}: {body}"));
        }
        Ok(())
    }
}
