//! `vigie bench`: figures for BENCHMARKS.md, each against a baseline measured in the same run.
//!
//! - `ingest`: durable observations/s through the HTTP batch API (real HTTP clients, the real
//!   engine and SQLite with `synchronous=FULL`), against the raw log append rate of the same
//!   store with no HTTP, JSON parsing, validation or engine in front.
//! - `restart`: the time to restore the state after N events from the newest snapshot, against
//!   a full replay of the same log.

use anyhow::{Context, anyhow};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use vigie_core::{Event, EventBody, Observation, SensorId, Seq, Timestamp};
use vigie_engine::{Clock, EngineConfig, SystemClock};
use vigie_store::sqlite::SqliteLog;
use vigie_store::{EventLog, Snapshot};

const DEMO_PACK: &str = "cities/demo-metropole";

/// A scratch folder removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> anyhow::Result<Scratch> {
        let path = std::env::temp_dir().join(format!("vigie-bench-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).with_context(|| format!("cannot create {}", path.display()))?;
        Ok(Scratch(path))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A small deterministic generator, enough for benchmark values.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % 10_000) as f64 / 100.0
    }
}

fn observations(
    sensors: &[(SensorId, String)],
    first: u64,
    count: usize,
    start: Timestamp,
    noise: &mut Noise,
) -> Vec<EventBody> {
    (0..count)
        .map(|index| {
            let (sensor_id, unit) = &sensors[(first as usize + index) % sensors.len()];
            EventBody::Observation(Observation {
                sensor_id: sensor_id.clone(),
                time: Timestamp(start.0 + (first + index as u64) as i64),
                value: noise.next(),
                unit: unit.clone(),
            })
        })
        .collect()
}

fn raw_append_rate(sensors: &[(SensorId, String)], total: u64, batch: usize) -> anyhow::Result<f64> {
    let scratch = Scratch::new("raw")?;
    let mut log = SqliteLog::open(&scratch.0.join("raw.db"))?;
    let mut noise = Noise(0x9E37_79B9_7F4A_7C15);
    let now = SystemClock.now();
    let mut next_seq = 1;
    let started = Instant::now();
    while next_seq <= total {
        let count = batch.min((total - next_seq + 1) as usize);
        let events: Vec<Event> = observations(sensors, next_seq, count, now, &mut noise)
            .into_iter()
            .enumerate()
            .map(|(offset, body)| Event {
                seq: Seq(next_seq + offset as u64),
                time: now,
                source: "bench".to_owned(),
                body,
            })
            .collect();
        log.append(&events)?;
        next_seq += count as u64;
    }
    Ok(total as f64 / started.elapsed().as_secs_f64())
}

fn request_body(sensors: &[(SensorId, String)], client: usize, batch: usize, start: Timestamp) -> String {
    let mut noise = Noise(0xD1B5_4A32_D192_ED03 ^ client as u64);
    let items: Vec<serde_json::Value> = (0..batch)
        .map(|index| {
            let (sensor_id, unit) = &sensors[(client * 7919 + index) % sensors.len()];
            serde_json::json!({ "sensor_id": sensor_id, "time": start.0 - 60_000 + index as i64, "value": noise.next(), "unit": unit })
        })
        .collect();
    serde_json::json!({ "observations": items }).to_string()
}

/// `vigie bench ingest`.
pub(crate) fn ingest(total: u64, batch: usize, clients: usize) -> anyhow::Result<ExitCode> {
    let batch = batch.clamp(1, vigie_web::MAX_BATCH);
    let clients = clients.max(1);
    let city = Arc::new(
        vigie_city::load(std::path::Path::new(DEMO_PACK))
            .map_err(|errors| anyhow!("run from the project's root; the demo pack did not load:\n{errors}"))?,
    );
    let sensors: Vec<(SensorId, String)> =
        city.sensors.iter().map(|sensor| (sensor.id.clone(), sensor.unit.clone())).collect();
    eprintln!("baseline: raw log append of {total} observations in batches of {batch}...");
    let raw_rate = raw_append_rate(&sensors, total, batch)?;

    let scratch = Scratch::new("http")?;
    let store_path = scratch.0.join("vigie.db");
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let (address, engine) = runtime.block_on(async {
        let log = SqliteLog::open(&store_path)?;
        let reader = Arc::new(SqliteLog::reader(&store_path));
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let rulebook = vigie_engine::RuleBook::load(city.clone(), std::path::Path::new(DEMO_PACK))?;
        let (engine, _thread) = vigie_engine::spawn(log, reader, rulebook, clock.clone(), EngineConfig::default())?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let state =
            vigie_web::AppState { engine: engine.clone(), city: city.clone(), clock, pack_dir: DEMO_PACK.into() };
        tokio::spawn(vigie_web::run(listener, state, std::future::pending()));
        anyhow::Ok((address, engine))
    })?;
    let url = format!("http://{address}/api/observations");
    let now = SystemClock.now();
    let bodies: Vec<String> = (0..clients).map(|client| request_body(&sensors, client, batch, now)).collect();
    let requests_total = total.div_ceil(batch as u64);
    let next_request = Arc::new(AtomicU64::new(0));
    let acknowledged = Arc::new(AtomicU64::new(0));
    let bar = ProgressBar::new(requests_total * batch as u64);
    bar.set_style(
        ProgressStyle::with_template("HTTP ingest [{bar:40}] {pos}/{len} observations ({per_sec})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    eprintln!("HTTP: {clients} clients posting batches of {batch} to {url}...");
    let started = Instant::now();
    let workers: Vec<_> = bodies
        .into_iter()
        .map(|body| {
            let url = url.clone();
            let next_request = next_request.clone();
            let acknowledged = acknowledged.clone();
            let bar = bar.clone();
            std::thread::spawn(move || -> anyhow::Result<()> {
                let agent: ureq::Agent =
                    ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(60))).build().into();
                while next_request.fetch_add(1, Ordering::Relaxed) < requests_total {
                    let mut response = agent
                        .post(&url)
                        .header("content-type", "application/json")
                        .send(body.as_str())
                        .context("ingest request failed")?;
                    let answer: serde_json::Value = response.body_mut().read_json()?;
                    let accepted = answer["accepted"].as_u64().unwrap_or(0);
                    acknowledged.fetch_add(accepted, Ordering::Relaxed);
                    bar.inc(accepted);
                }
                Ok(())
            })
        })
        .collect();
    for worker in workers {
        worker.join().map_err(|_| anyhow!("a client thread panicked"))??;
    }
    let elapsed = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let durable = acknowledged.load(Ordering::Relaxed);
    let http_rate = durable as f64 / elapsed;
    let logged = runtime.block_on(engine.query(|state| state.last_seq.0)).map_err(|error| anyhow!("{error}"))?;
    runtime.block_on(engine.shutdown());
    println!(
        "| measure (batches of {batch}, {clients} HTTP clients, {} cores) | observations/s | ratio |",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    );
    println!("|---|---:|---:|");
    println!(
        "| raw log append (baseline: SQLite WAL, synchronous=FULL, one commit per batch) | {raw_rate:.0} | 1.00 |"
    );
    println!(
        "| durable acknowledged through `POST /api/observations` | {http_rate:.0} | {:.2} |",
        http_rate / raw_rate
    );
    println!();
    println!("{durable} observations acknowledged in {elapsed:.2} s; {logged} events in the log.");
    Ok(ExitCode::SUCCESS)
}

/// `vigie bench restart`.
pub(crate) fn restart(total: u64) -> anyhow::Result<ExitCode> {
    let city = vigie_city::load(std::path::Path::new(DEMO_PACK))
        .map_err(|errors| anyhow!("run from the project's root; the demo pack did not load:\n{errors}"))?;
    let sensors: Vec<(SensorId, String)> =
        city.sensors.iter().map(|sensor| (sensor.id.clone(), sensor.unit.clone())).collect();
    let scratch = Scratch::new("restart")?;
    let path = scratch.0.join("restart.db");
    let mut log = SqliteLog::open(&path)?;
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("writing [{bar:40}] {pos}/{len} events ({per_sec}, eta {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut noise = Noise(0x2545_F491_4F6C_DD1D);
    let now = SystemClock.now();
    let mut next_seq = 1;
    while next_seq <= total {
        let count = 50_000.min((total - next_seq + 1) as usize);
        let events: Vec<Event> = observations(&sensors, next_seq, count, now, &mut noise)
            .into_iter()
            .enumerate()
            .map(|(offset, body)| Event {
                seq: Seq(next_seq + offset as u64),
                time: now,
                source: "bench".to_owned(),
                body,
            })
            .collect();
        log.append(&events)?;
        next_seq += count as u64;
        bar.set_position(next_seq - 1);
    }
    bar.finish_and_clear();
    // The engine snapshots every 500,000 events by default: a restart replays at most that many.
    let snapshot_lag = (EngineConfig::default().snapshot_every_events / 2).min(total);
    let snapshot_seq = Seq(total - snapshot_lag);
    let state = vigie_engine::replay_to(&mut log, snapshot_seq, &mut |_| {})?;
    log.save_snapshot(&Snapshot {
        seq: snapshot_seq,
        taken_at: now,
        state: serde_json::to_vec(&state)?,
        rules: Vec::new(),
    })?;
    drop(log);

    let mut log = SqliteLog::open(&path)?;
    let started = Instant::now();
    let restored = vigie_engine::restore(&mut log, &mut |_| {})?;
    let restore_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let replayed = vigie_engine::replay(&mut log, &mut |_| {})?;
    let replay_seconds = started.elapsed().as_secs_f64();
    if restored != replayed {
        return Err(anyhow!("the state restored from the snapshot differs from a full replay"));
    }
    println!("| restart after {total} events | seconds | ratio |");
    println!("|---|---:|---:|");
    println!("| full replay from the first event (baseline) | {replay_seconds:.2} | 1.00 |");
    println!(
        "| snapshot {} events behind the end + replay of the tail | {restore_seconds:.2} | {:.3} |",
        snapshot_lag,
        restore_seconds / replay_seconds
    );
    Ok(ExitCode::SUCCESS)
}
