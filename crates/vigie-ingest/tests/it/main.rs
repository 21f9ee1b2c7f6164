//! MQTT ingest through real components: the engine over a temporary SQLite log and the demo
//! city pack, the embedded broker on port 0, the Mosquitto broker of the machine for the
//! external mode, and rumqttc clients (3.1.1 and 5) as devices. The clock is fixed, so readings
//! carry explicit times around it.

mod embedded;
mod external;
mod tls;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use vigie_city::City;
use vigie_core::{EventBody, Observation, Timestamp};
use vigie_engine::{Clock, EngineConfig, EngineHandle, RuleBook};
use vigie_ingest::mqtt::MqttContext;
use vigie_ingest::mqtt::devices::hash_secret;
use vigie_store::StoredDeadLetter;
use vigie_store::sqlite::SqliteLog;

/// A clock that stays where it is put.
pub(crate) struct FixedClock(AtomicI64);

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

/// 2026-11-26T08:00:00Z.
pub(crate) const START: i64 = 1_795_680_000_000;

pub(crate) const GAUGE_DEVICE: &str = "ouche-gauges";
pub(crate) const GAUGE_PASSWORD: &str = "gauge-secret";
pub(crate) const PANEL_DEVICE: &str = "dijon-panels";
pub(crate) const PANEL_PASSWORD: &str = "panel-secret";

/// The demo pack's sensors used here: two gauges in Dijon (21231), one in Plombières (21485).
pub(crate) const DIJON: &str = "21231";
pub(crate) const GAUGE_DIJON: &str = "gauge-ouche-02";
pub(crate) const GAUGE_DIJON_2: &str = "gauge-ouche-03";
pub(crate) const PLOMBIERES: &str = "21485";
pub(crate) const GAUGE_PLOMBIERES: &str = "gauge-ouche-01";

/// The devices file of the tests: the gauges device may publish for two Dijon gauges only;
/// the panels device for every sensor of Dijon. Hashing is slow on purpose: done once.
fn devices_toml() -> &'static str {
    static TOML: OnceLock<String> = OnceLock::new();
    TOML.get_or_init(|| {
        let gauge_hash = hash_secret(GAUGE_PASSWORD).expect("hashing works");
        let panel_hash = hash_secret(PANEL_PASSWORD).expect("hashing works");
        format!(
            "[[device]]\nid = \"{GAUGE_DEVICE}\"\npassword_hash = \"{gauge_hash}\"\nsensors = [\"{GAUGE_DIJON}\", \"{GAUGE_DIJON_2}\"]\n\n\
             [[device]]\nid = \"{PANEL_DEVICE}\"\npassword_hash = \"{panel_hash}\"\ncommunes = [\"{DIJON}\"]\n"
        )
    })
}

fn demo_pack() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../cities/demo-metropole")
}

fn demo_city() -> Arc<City> {
    static CITY: OnceLock<Arc<City>> = OnceLock::new();
    CITY.get_or_init(|| Arc::new(vigie_city::load(&demo_pack()).expect("the demo pack loads"))).clone()
}

/// A name unique to this process and call, for directories, client ids and topic prefixes.
pub(crate) fn unique(name: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{name}-{}-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed), nanos % 1_000_000_000)
}

/// An engine over a fresh SQLite log in a temporary directory.
pub(crate) struct TestEngine {
    pub(crate) engine: EngineHandle,
    pub(crate) city: Arc<City>,
    pub(crate) clock: Arc<FixedClock>,
    pub(crate) dir: PathBuf,
    path: PathBuf,
}

impl TestEngine {
    pub(crate) fn start(name: &str) -> TestEngine {
        Self::start_in(std::env::temp_dir().join(unique(&format!("vigie-ingest-it-{name}"))))
    }

    /// Starts an engine over the log in `dir` (created if needed, kept if there).
    pub(crate) fn start_in(dir: PathBuf) -> TestEngine {
        if std::env::var_os("TEST_LOG").is_some() {
            let _ = tracing_subscriber_init();
        }
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let path = dir.join("vigie.db");
        let city = demo_city();
        let clock = Arc::new(FixedClock(AtomicI64::new(START)));
        let log = SqliteLog::open(&path).expect("the log opens");
        let reader = Arc::new(SqliteLog::reader(&path));
        let rulebook = RuleBook::load(city.clone(), &demo_pack()).expect("the demo rules load");
        let (engine, _thread) = vigie_engine::spawn(log, reader, rulebook, clock.clone(), EngineConfig::default())
            .expect("the engine starts");
        TestEngine { engine, city, clock, dir, path }
    }

    pub(crate) fn context(&self) -> MqttContext {
        MqttContext { engine: self.engine.clone(), city: self.city.clone(), clock: self.clock.clone(), devices: None }
    }

    pub(crate) fn devices_file(&self) -> PathBuf {
        let path = self.dir.join("devices.toml");
        std::fs::write(&path, devices_toml()).expect("the devices file is written");
        path
    }

    pub(crate) fn log_path(&self) -> &Path {
        &self.path
    }

    /// Every observation in the log, with its event source, in log order.
    pub(crate) fn observations(&self) -> Vec<(String, Observation)> {
        let events = self.engine.reader().read(vigie_core::Seq(1), 1_000_000).expect("the log reads");
        events
            .into_iter()
            .filter_map(|event| match event.body {
                EventBody::Observation(observation) => Some((event.source, observation)),
                _ => None,
            })
            .collect()
    }

    pub(crate) fn observations_of(&self, sensor: &str) -> Vec<Observation> {
        self.observations()
            .into_iter()
            .map(|(_, observation)| observation)
            .filter(|o| o.sensor_id.as_str() == sensor)
            .collect()
    }

    pub(crate) fn dead_letters(&self) -> Vec<StoredDeadLetter> {
        self.engine.reader().dead_letters(10_000).expect("dead letters read")
    }

    /// Waits (up to 10 s) for a dead letter on `topic`; dead letters are committed with the
    /// engine's next batch, a moment after the refusal.
    pub(crate) async fn wait_for_dead_letter(&self, topic: &str) -> StoredDeadLetter {
        let found = wait_until(Duration::from_secs(10), || {
            self.dead_letters().into_iter().find(|stored| stored.letter.topic == topic)
        })
        .await;
        found.unwrap_or_else(|| panic!("no dead letter for {topic}"))
    }

    pub(crate) async fn stop(self) {
        self.engine.shutdown().await;
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Polls `probe` every 20 ms until it returns something or `limit` passes.
pub(crate) async fn wait_until<T>(limit: Duration, mut probe: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if let Some(found) = probe() {
            return Some(found);
        }
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `TEST_LOG=1` shows the logs of a run.
fn tracing_subscriber_init() -> Result<(), ()> {
    static INIT: OnceLock<()> = OnceLock::new();
    INIT.get_or_init(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("vigie_ingest=debug,info"))
            .with_test_writer()
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
    });
    Ok(())
}

/// A reading time one minute before the fixed clock, as RFC 3339.
pub(crate) const ONE_MINUTE_AGO: &str = "2026-11-26T07:59:00Z";
