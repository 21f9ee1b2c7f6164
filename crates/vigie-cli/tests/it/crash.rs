//! The crash test: a child `vigie serve` receives acknowledged batches while it is killed with
//! SIGKILL at random moments. After each restart every acknowledged event is present, in order,
//! and at the end `vigie log verify` and `vigie log replay` pass.
//!
//! 20 trials by default; `RUN_SLOW_TESTS=1` runs 1,000; `CRASH_TRIALS=N` sets the count.

use crate::{demo_pack, scratch, vigie};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use vigie_core::{EventBody, Seq};
use vigie_store::EventLog;

fn trials() -> usize {
    if let Some(count) = std::env::var("CRASH_TRIALS").ok().and_then(|text| text.parse().ok()) {
        return count;
    }
    if std::env::var_os("RUN_SLOW_TESTS").is_some() { 1000 } else { 20 }
}

/// A small deterministic generator for kill times and batch sizes.
struct Dice(u64);

impl Dice {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound
    }
}

/// Starts `vigie serve` on a free port over `store` (with the demo devices for HTTP ingest and
/// no rate limit); returns the child and its base URL.
pub(crate) fn start(store: &Path) -> (Child, String) {
    let mut child = vigie()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("VIGIE_STORE__PATH", store)
        .env("VIGIE_CITY__PACK", demo_pack())
        .env("VIGIE_MQTT__EMBEDDED__DEVICES_FILE", demo_pack().join("devices.toml"))
        .env("VIGIE_SERVER__RATE_LIMIT__REQUESTS_PER_SECOND", "0")
        .env("VIGIE_LOG__FILTER", "warn")
        .env("VIGIE_STORE__SNAPSHOT_EVERY_EVENTS", "1000")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let base = line
        .trim()
        .strip_prefix("Vigie listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    (child, base)
}

fn now_millis() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_millis() as i64)
}

/// One acknowledged batch: where it landed and the values it carried, in order.
struct Acknowledged {
    first_seq: u64,
    values: Vec<f64>,
}

#[test]
fn acknowledged_events_survive_sigkill() {
    let trials = trials();
    let dir = scratch("crash");
    let store = dir.join("vigie.db");
    let city = vigie_city::load(&demo_pack()).unwrap();
    let sensor = city.sensors[0].id.to_string();
    let seed = 0x5EED_u64 ^ std::process::id() as u64;
    let mut dice = Dice(seed | 1);
    let acknowledged: Arc<Mutex<Vec<Acknowledged>>> = Arc::default();
    let counter = Arc::new(AtomicU64::new(0));
    // The writers post as an integrator account: its session outlives the restarts (a device's
    // argon2 check on every fresh process would eat the short trials).
    assert!(crate::add_user(&store, "crash-writer", "integrator", &["--no-mfa"]).status.success());
    let mut authorization: Option<String> = None;
    let started = Instant::now();
    for trial in 0..trials {
        let (mut child, base) = start(&store);
        let authorization =
            authorization.get_or_insert_with(|| format!("Bearer {}", crate::login(&base, "crash-writer"))).clone();
        let agent: ureq::Agent =
            ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(10))).build().into();
        // The restarted server has restored everything acknowledged so far.
        let expected_last = acknowledged
            .lock()
            .unwrap()
            .iter()
            .map(|batch| batch.first_seq + batch.values.len() as u64 - 1)
            .max()
            .unwrap_or(0);
        let health: Value = agent.get(&format!("{base}/health")).call().unwrap().body_mut().read_json().unwrap();
        assert!(
            health["last_seq"].as_u64().unwrap() >= expected_last,
            "trial {trial}: restart lost events: {health} < {expected_last}"
        );

        let stop = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..2)
            .map(|writer| {
                let (agent, base, sensor) = (agent.clone(), base.clone(), sensor.clone());
                let authorization = authorization.clone();
                let (stop, counter, acknowledged) = (stop.clone(), counter.clone(), acknowledged.clone());
                let mut dice = Dice(seed.rotate_left(writer as u32 + trial as u32) | 1);
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        let size = 1 + dice.below(300) as usize;
                        let first_value = counter.fetch_add(size as u64, Ordering::SeqCst);
                        let values: Vec<f64> = (0..size as u64).map(|offset| (first_value + offset) as f64).collect();
                        let items: Vec<Value> = values
                            .iter()
                            .map(|value| json!({ "sensor_id": sensor, "time": now_millis(), "value": value }))
                            .collect();
                        let body = json!({ "observations": items }).to_string();
                        let mut response = match agent
                            .post(&format!("{base}/api/observations"))
                            .header("content-type", "application/json")
                            .header("authorization", authorization.as_str())
                            .send(body.as_str())
                        {
                            Ok(response) => response,
                            Err(ureq::Error::StatusCode(status)) => {
                                panic!("the server refused a valid batch: {status}")
                            }
                            Err(_) => return, // killed: this batch was never acknowledged
                        };
                        let Ok(answer) = response.body_mut().read_json::<Value>() else { return };
                        let first_seq =
                            answer["first_seq"].as_u64().expect("an acknowledgement names its sequence numbers");
                        acknowledged.lock().unwrap().push(Acknowledged { first_seq, values });
                    }
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(30 + dice.below(400)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        stop.store(true, Ordering::Relaxed);
        for writer in writers {
            writer.join().unwrap();
        }
    }

    let mut log = vigie_store::sqlite::SqliteLog::open(&store).unwrap();
    let last = log.last_seq().unwrap().0;
    let events = log.read(Seq(1), last as usize + 1).unwrap();
    assert_eq!(events.len() as u64, last);
    for (index, event) in events.iter().enumerate() {
        assert_eq!(event.seq.0, index as u64 + 1, "the log is contiguous");
    }
    let batches = acknowledged.lock().unwrap();
    let mut observations = 0;
    for batch in batches.iter() {
        for (offset, value) in batch.values.iter().enumerate() {
            let event = &events[(batch.first_seq - 1) as usize + offset];
            match &event.body {
                EventBody::Observation(observation) => assert_eq!(observation.value, *value, "event {}", event.seq.0),
                other => panic!("event {} should be an observation, is {other:?}", event.seq.0),
            }
            observations += 1;
        }
    }
    assert!(observations > 0, "the writers got acknowledgements");
    drop(log);
    let verify = vigie().args(["log", "verify", "--store"]).arg(&store).output().unwrap();
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stderr));
    let verified = String::from_utf8_lossy(&verify.stdout);
    assert!(verified.contains("newest snapshot matches a replay"), "snapshots were taken and match: {verified}");
    let replay = vigie().args(["log", "replay", "--store"]).arg(&store).output().unwrap();
    assert!(replay.status.success(), "{}", String::from_utf8_lossy(&replay.stderr));
    println!(
        "crash test: {trials} SIGKILL trials, {} acknowledged batches, {observations} acknowledged observations, all present in order among {last} logged events ({:.1} s); log verify ok",
        batches.len(),
        started.elapsed().as_secs_f64()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
