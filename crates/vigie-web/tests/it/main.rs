//! The API through real HTTP: a server on port 0 over a temporary SQLite log, the demo city
//! pack, and a clock the tests move by hand.

mod alarms;
mod api;
mod stream;

use serde_json::Value;
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;
use vigie_core::Timestamp;
use vigie_engine::{Clock, EngineConfig, EngineHandle, RuleBook};
use vigie_store::sqlite::SqliteLog;

/// A clock that only moves when told to.
pub(crate) struct ManualClock(AtomicI64);

impl ManualClock {
    pub(crate) fn now_millis(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }

    pub(crate) fn advance_seconds(&self, seconds: i64) {
        self.0.fetch_add(seconds * 1000, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

/// 2026-11-26T08:00:00Z.
pub(crate) const START: i64 = 1_795_680_000_000;

pub(crate) struct TestServer {
    pub(crate) base: String,
    pub(crate) engine: EngineHandle,
    pub(crate) clock: Arc<ManualClock>,
    pub(crate) agent: ureq::Agent,
    // Kept so the runtime serving the API lives as long as the test.
    _runtime: tokio::runtime::Runtime,
    dir: PathBuf,
    /// The SQLite log.
    pub(crate) path: PathBuf,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub(crate) fn demo_pack() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../cities/demo-metropole")
}

/// Starts the API on 127.0.0.1:0 with a fresh log.
pub(crate) fn spawn_server(name: &str) -> TestServer {
    spawn_server_with_pack(name, demo_pack())
}

/// Starts the API over the pack in `pack` (a copy the test may edit).
pub(crate) fn spawn_server_with_pack(name: &str, pack: PathBuf) -> TestServer {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = tracing_subscriber_init();
    }
    let dir = std::env::temp_dir().join(format!("vigie-web-it-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("vigie.db");
    let city = Arc::new(vigie_city::load(&pack).expect("the pack loads"));
    let clock = Arc::new(ManualClock(AtomicI64::new(START)));
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (base, engine) = runtime.block_on(async {
        let log = SqliteLog::open(&path).unwrap();
        let reader = Arc::new(SqliteLog::reader(&path));
        let rulebook = RuleBook::load(city.clone(), &pack).expect("the pack's rules load");
        let (engine, _thread) =
            vigie_engine::spawn(log, reader, rulebook, clock.clone(), EngineConfig::default()).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = vigie_web::AppState {
            engine: engine.clone(),
            city,
            clock: clock.clone(),
            pack_dir: pack,
            console_dir: None,
            media: Arc::new(vigie_store::media::MediaStore::open(&dir.join("media.db")).unwrap()),
        };
        tokio::spawn(vigie_web::run(listener, state, std::future::pending()));
        (base, engine)
    });
    let _ = &dir;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into();
    TestServer { base, engine, clock, agent, _runtime: runtime, dir, path }
}

fn tracing_subscriber_init() -> Result<(), ()> {
    Ok(())
}

impl TestServer {
    pub(crate) fn get(&self, path: &str) -> (u16, Value) {
        let mut response = self.agent.get(&format!("{}{path}", self.base)).call().unwrap();
        let status = response.status().as_u16();
        (status, response.body_mut().read_json().unwrap_or(Value::Null))
    }

    pub(crate) fn post(&self, path: &str, body: &str) -> (u16, Value) {
        self.post_as(path, body, "alice")
    }

    pub(crate) fn post_as(&self, path: &str, body: &str, operator: &str) -> (u16, Value) {
        let mut response = self
            .agent
            .post(&format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .header("x-vigie-operator", operator)
            .send(body)
            .unwrap();
        let status = response.status().as_u16();
        let mut text = String::new();
        response.body_mut().as_reader().read_to_string(&mut text).unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub(crate) fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self._runtime.block_on(future)
    }
}
