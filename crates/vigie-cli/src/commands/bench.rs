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

/// A quiet-day reading in `unit`, so that the demo rules raise nothing: the ingest benchmarks
/// measure the path of ordinary readings, not of alarms.
fn quiet_value(unit: &str, noise: &mut Noise) -> f64 {
    let jitter = noise.next() / 100.0; // 0..1
    match unit {
        "m" => 0.8 + 0.1 * jitter,
        "°C" => 19.0 + 2.0 * jitter,
        "veh/h" => 800.0 + 400.0 * jitter,
        "persons" => (300.0 * jitter).round(),
        "µg/m³" => 15.0 + 20.0 * jitter,
        "mm/h" => jitter,
        _ => 0.0,
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
                value: quiet_value(unit, noise),
                unit: unit.clone(),
                evidence: None,
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
            serde_json::json!({ "sensor_id": sensor_id, "time": start.0 - 60_000 + index as i64, "value": quiet_value(unit, &mut noise), "unit": unit })
        })
        .collect();
    serde_json::json!({ "observations": items }).to_string()
}

/// Loads the demo pack; the benchmarks run from the project's root.
fn demo_city() -> anyhow::Result<Arc<vigie_city::City>> {
    let city = vigie_city::load(std::path::Path::new(DEMO_PACK))
        .map_err(|errors| anyhow!("run from the project's root; the demo pack did not load:\n{errors}"))?;
    Ok(Arc::new(city))
}

/// The demo city's sensors, with their units.
fn sensor_units(city: &vigie_city::City) -> Vec<(SensorId, String)> {
    city.sensors.iter().map(|sensor| (sensor.id.clone(), sensor.unit.clone())).collect()
}

/// The demo device the benchmarks post as over HTTP and MQTT (a published secret: demo only).
const BENCH_DEVICE: (&str, &str) = ("simulateur", "demo-simulateur-2026");

/// The `Authorization` header of the benchmark's device.
fn device_authorization() -> String {
    let credentials = format!("{}:{}", BENCH_DEVICE.0, BENCH_DEVICE.1);
    format!("Basic {}", vigie_web::devices::base64_encode(credentials.as_bytes()))
}

/// A running benchmark server: its address, engine, clock, the devices it shares with the
/// embedded broker, and a session token that may follow the live stream.
struct BenchServer {
    address: std::net::SocketAddr,
    engine: vigie_engine::EngineHandle,
    clock: Arc<dyn Clock>,
    devices: Arc<vigie_ingest::mqtt::devices::Devices>,
    stream_token: String,
}

/// Starts the engine (demo rules) over a fresh log at `store_path` and the API on a free port,
/// with the demo devices and a supervisor account in fresh security files beside the log.
/// Must run inside a tokio runtime.
async fn start_server(city: &Arc<vigie_city::City>, store_path: &std::path::Path) -> anyhow::Result<BenchServer> {
    let data_dir = store_path.parent().unwrap_or(std::path::Path::new("."));
    let log = SqliteLog::open(store_path)?;
    let reader = Arc::new(SqliteLog::reader(store_path));
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let rulebook = vigie_engine::RuleBook::load(city.clone(), std::path::Path::new(DEMO_PACK))?;
    let (engine, _thread) = vigie_engine::spawn(log, reader, rulebook, clock.clone(), EngineConfig::default())?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let auth = Arc::new(vigie_auth::AuthStore::open(data_dir, vigie_auth::AuthConfig::default())?);
    let audit = Arc::new(vigie_auth::AuditLog::open(data_dir, vigie_auth::AuditConfig::default())?);
    let devices = vigie_ingest::mqtt::devices::Devices::load(&std::path::Path::new(DEMO_PACK).join("devices.toml"))?;
    devices.check_against(city)?;
    let devices = Arc::new(devices);
    // A supervisor of the whole city follows the live stream (the latency probe).
    let login = vigie_auth::Login::parse("bench-reader")?;
    let account = vigie_auth::NewAccount {
        login: login.clone(),
        display_name: "Benchmark".to_owned(),
        role: vigie_auth::Role::Supervisor,
        scope: vigie_auth::Scope::all(),
    };
    let password = "load-test-only-password";
    auth.create_account(&account, password, clock.now())?;
    auth.update_account(&login, &vigie_auth::AccountUpdate { mfa_required: Some(false), ..Default::default() })?;
    let stream_token =
        match auth.begin_login("bench-reader", password, std::net::Ipv4Addr::LOCALHOST.into(), clock.now())? {
            vigie_auth::LoginStep::Session(session) => session.token.expose().to_owned(),
            _ => return Err(anyhow!("the benchmark account needs no second factor")),
        };
    let state = vigie_web::AppState {
        engine: engine.clone(),
        city: city.clone(),
        clock: clock.clone(),
        pack_dir: DEMO_PACK.into(),
        console_dir: None,
        media: Arc::new(vigie_store::media::MediaStore::open(&store_path.with_extension("media.db"))?),
        auth,
        audit,
        devices: Arc::new(vigie_web::devices::DeviceGate::new(Some(devices.clone()))),
        // The benchmark's clients share one address: no rate limit.
        security: Arc::new(vigie_web::Security::new(vigie_web::SecurityConfig {
            requests_per_second: 0,
            ..vigie_web::SecurityConfig::default()
        })),
    };
    tokio::spawn(vigie_web::run(listener, state, std::future::pending()));
    Ok(BenchServer { address, engine, clock, devices, stream_token })
}

/// `vigie bench ingest`.
pub(crate) fn ingest(total: u64, batch: usize, clients: usize) -> anyhow::Result<ExitCode> {
    let batch = batch.clamp(1, vigie_web::MAX_BATCH);
    let clients = clients.max(1);
    let city = demo_city()?;
    let sensors = sensor_units(&city);
    eprintln!("baseline: raw log append of {total} observations in batches of {batch}...");
    let raw_rate = raw_append_rate(&sensors, total, batch)?;

    let scratch = Scratch::new("http")?;
    let store_path = scratch.0.join("vigie.db");
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let (address, engine) = runtime.block_on(async {
        let server = start_server(&city, &store_path).await?;
        anyhow::Ok((server.address, server.engine))
    })?;
    let authorization = device_authorization();
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
            let authorization = authorization.clone();
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
                        .header("authorization", authorization.as_str())
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
    let city = demo_city()?;
    let sensors = sensor_units(&city);
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

/// Runs `readings` synthetic readings through `rulebook` on this thread; returns (readings/s,
/// rule evaluations/s, alarm changes).
fn evaluation_rate(rulebook: &vigie_engine::RuleBook, readings: u64) -> (f64, f64, usize) {
    let sensors = &rulebook.sensor_list;
    let rules_per_sensor: Vec<u64> = sensors
        .iter()
        .map(|sensor| rulebook.rules.rules().iter().filter(|rule| rule.select.matches(sensor)).count() as u64)
        .collect();
    let mut state = vigie_rules::RuleState::default();
    let mut noise = Noise(0xA076_1D64_78BD_642F);
    let start = SystemClock.now();
    let mut evaluations = 0;
    let mut changes = 0;
    let started = Instant::now();
    for index in 0..readings {
        let slot = (index % sensors.len() as u64) as usize;
        let sensor = &sensors[slot];
        let now = Timestamp(start.0 + index as i64);
        // Values roam across each kind's thresholds so that alarms raise and clear.
        let value = match sensor.kind.as_str() {
            "smoke" | "intrusion" => f64::from(noise.next() > 99.0),
            "heat" => 20.0 + noise.next() * 0.45,
            "river_level" => 1.0 + noise.next() * 0.02,
            _ => noise.next() * 40.0,
        };
        let observation =
            Observation { sensor_id: sensor.id.clone(), time: now, value, unit: sensor.unit.clone(), evidence: None };
        changes +=
            vigie_rules::evaluate(&mut state, &rulebook.rules, sensor, &observation, now, now.paris_hour()).len();
        evaluations += rules_per_sensor[slot];
    }
    let seconds = started.elapsed().as_secs_f64();
    (readings as f64 / seconds, evaluations as f64 / seconds, changes)
}

/// `vigie bench rules`.
pub(crate) fn rules(readings: u64) -> anyhow::Result<ExitCode> {
    let city = demo_city()?;
    let demo = vigie_engine::RuleBook::load(city.clone(), std::path::Path::new(DEMO_PACK))?;
    let single = vigie_rules::load_str(
        "baseline.toml",
        "[[rule]]\nid = \"seuil\"\ncategory = \"flood\"\nseverity = 1\ndescription_fr = \"seuil\"\ndescription_en = \"threshold\"\nwhen = { threshold = { raise = 1000000, clear = 999999 } }\n",
    )
    .map_err(|errors| anyhow!("{errors}"))?;
    let baseline = vigie_engine::RuleBook::new(city, single);
    eprintln!("baseline: one threshold rule over every sensor, {readings} readings...");
    let (baseline_readings, baseline_evaluations, _) = evaluation_rate(&baseline, readings);
    eprintln!("the demo pack's {} rules, {readings} readings...", demo.rules.rules().len());
    let (demo_readings, demo_evaluations, changes) = evaluation_rate(&demo, readings);
    println!(
        "| rule engine, one thread, {readings} readings | readings/s | rule evaluations/s | ratio (evaluations/s) |"
    );
    println!("|---|---:|---:|---:|");
    println!(
        "| one threshold rule on every sensor (baseline) | {baseline_readings:.0} | {baseline_evaluations:.0} | 1.00 |"
    );
    println!(
        "| the demo pack's {} rules (thresholds, rates, counts, silences, correlations, conditions) | {demo_readings:.0} | {demo_evaluations:.0} | {:.2} |",
        demo.rules.rules().len(),
        demo_evaluations / baseline_evaluations
    );
    println!();
    println!("{changes} alarm changes (raises and clears) during the demo run.");
    Ok(ExitCode::SUCCESS)
}

/// `vigie bench mqtt`.
pub(crate) fn mqtt(
    total: u64,
    connections: usize,
    window: usize,
    broker_workers: Option<usize>,
) -> anyhow::Result<ExitCode> {
    use super::bench_mqtt::{LatencyProbe, Load, connection, percentile_ms, publish};
    let connections = connections.max(1);
    let city = demo_city()?;
    let sensors = sensor_units(&city);
    eprintln!("baseline: raw log append of {total} observations in batches of 10000...");
    let raw_rate = raw_append_rate(&sensors, total, 10_000)?;

    let broker_workers =
        broker_workers.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1);
    let scratch = Scratch::new("mqtt")?;
    let store_path = scratch.0.join("vigie.db");
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let (base, broker, engine, mqtt, token) = runtime.block_on(async {
        let server = start_server(&city, &store_path).await?;
        let (engine, clock) = (server.engine.clone(), server.clock.clone());
        let base = format!("http://{}", server.address);
        let embedded = vigie_ingest::mqtt::EmbeddedConfig {
            listen: "127.0.0.1:0".parse()?,
            devices_file: Some(std::path::Path::new(DEMO_PACK).join("devices.toml")),
            workers: broker_workers,
            ..vigie_ingest::mqtt::EmbeddedConfig::default()
        };
        let context = vigie_ingest::mqtt::MqttContext {
            engine: engine.clone(),
            city: city.clone(),
            clock,
            devices: Some(server.devices.clone()),
        };
        let broker = vigie_ingest::mqtt::start_embedded(&embedded, context).await?;
        anyhow::Ok((base, broker.local_addr, engine, broker, server.stream_token))
    })?;
    let topics: Vec<String> =
        city.sensors.iter().map(|sensor| format!("vigie/{}/{}/obs", sensor.commune, sensor.id)).collect();
    let epoch = Instant::now();
    let load = Load {
        broker,
        username: BENCH_DEVICE.0.to_owned(),
        password: BENCH_DEVICE.1.to_owned(),
        topics: Arc::new(topics),
        epoch,
        window,
    };
    let last_seq = |engine: &vigie_engine::EngineHandle| runtime.block_on(engine.query(|state| state.last_seq.0));

    // Latency at a steady 10,000 readings/s.
    let steady_rate = 10_000.0;
    let steady_count: u64 = 50_000;
    let from = last_seq(&engine).map_err(|error| anyhow!("{error}"))? + 1;
    let probe = LatencyProbe::start(&base, &token, from, epoch)?;
    eprintln!("latency at 10,000 readings/s: {steady_count} readings over one connection...");
    let steady_acknowledged = runtime.block_on(connection(load.clone(), 0, steady_count, Some(steady_rate)))?;
    let steady = probe.finish(steady_count as usize, Duration::from_secs(30));

    // Every connection is made (and its credentials checked) before the clock starts: the
    // figure is the steady rate of connected devices.
    let at_full_speed = |first_index: usize| -> anyhow::Result<(u64, f64)> {
        runtime.block_on(async {
            let mut connected = Vec::with_capacity(connections);
            for index in 0..connections {
                connected.push(super::bench_mqtt::connect(&load, first_index + index).await?);
            }
            let per_connection = total / connections as u64;
            let started = Instant::now();
            let tasks: Vec<_> = connected
                .into_iter()
                .enumerate()
                .map(|(index, connection)| {
                    tokio::spawn(publish(load.clone(), connection, first_index + index, per_connection, None))
                })
                .collect();
            let mut acknowledged = 0;
            for task in tasks {
                acknowledged += task.await.map_err(|error| anyhow!("a load task failed: {error}"))??;
            }
            anyhow::Ok((acknowledged, started.elapsed().as_secs_f64()))
        })
    };

    // The maximum with nobody watching the stream: the ingest path alone.
    eprintln!("maximum, no live-stream client: {total} readings over {connections} connections...");
    let (unwatched, unwatched_seconds) = at_full_speed(101)?;
    let unwatched_rate = unwatched as f64 / unwatched_seconds;

    // The maximum while a live-stream client follows every reading.
    let from = last_seq(&engine).map_err(|error| anyhow!("{error}"))? + 1;
    let probe = LatencyProbe::start(&base, &token, from, epoch)?;
    eprintln!("maximum: {total} readings over {connections} connections, {window} in flight each...");
    let (acknowledged, seconds) = at_full_speed(1)?;
    let maximum = probe.finish(acknowledged as usize, Duration::from_secs(60));
    let mqtt_rate = acknowledged as f64 / seconds;
    runtime.block_on(async {
        mqtt.stop().await;
        engine.shutdown().await;
    });

    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    println!(
        "| measure ({cores} cores; load generator, broker, engine and SQLite on the same cores) | readings/s | ratio |"
    );
    println!("|---|---:|---:|");
    println!("| raw log append (baseline: SQLite WAL, synchronous=FULL, batches of 10000) | {raw_rate:.0} | 1.00 |");
    println!(
        "| durable, PUBACKed through the embedded broker (MQTT 3.1.1 QoS 1, {connections} connections × {window} in flight, {broker_workers} broker workers) | {unwatched_rate:.0} | {:.2} |",
        unwatched_rate / raw_rate
    );
    println!(
        "| the same while a live-stream client receives every reading | {mqtt_rate:.0} | {:.2} |",
        mqtt_rate / raw_rate
    );
    println!();
    println!("| publish → live stream (SSE) latency | readings seen | p50 ms | p99 ms | max ms |");
    println!("|---|---:|---:|---:|---:|");
    println!(
        "| at 10,000 readings/s ({steady_acknowledged} acknowledged) | {} | {:.1} | {:.1} | {:.1} |",
        steady.len(),
        percentile_ms(&steady, 0.5),
        percentile_ms(&steady, 0.99),
        percentile_ms(&steady, 1.0)
    );
    println!(
        "| at the maximum ({mqtt_rate:.0}/s) | {} | {:.1} | {:.1} | {:.1} |",
        maximum.len(),
        percentile_ms(&maximum, 0.5),
        percentile_ms(&maximum, 0.99),
        percentile_ms(&maximum, 1.0)
    );
    println!();
    println!("{acknowledged} of {total} readings acknowledged in {seconds:.2} s at the maximum.");
    Ok(ExitCode::SUCCESS)
}
