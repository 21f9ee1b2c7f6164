//! `vigie serve` and `vigie demo`: wire the city pack, the event log, the engine and the API,
//! then run until Ctrl-C or SIGTERM, draining requests and taking a final snapshot.

use crate::config::Config;
use crate::telemetry;
use anyhow::{Context, anyhow};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use vigie_auth::{AuditLog, AuthStore, Login, NewAccount, Role, Scope, ScopeSet};
use vigie_engine::{Clock, EngineConfig, RuleBook, SystemClock};
use vigie_ingest::mqtt::devices::Devices;
use vigie_ingest::mqtt::{MqttContext, RunningMqtt};
use vigie_store::sqlite::SqliteLog;
use vigie_web::AppState;

use super::simulate::{self, SimulationPlan};

/// How the process runs: plain, or as the demo with its simulator.
enum Banner {
    Serve,
    Demo(DemoOptions),
}

/// What `vigie demo` adds to a plain server.
#[derive(Clone, Debug)]
pub(crate) struct DemoOptions {
    pub(crate) store: std::path::PathBuf,
    pub(crate) mqtt_listen: std::net::SocketAddr,
    pub(crate) speed: f64,
    pub(crate) seed: u64,
    pub(crate) simulate: bool,
    /// Analyse the sample video as camera cam-dijon-0100 when the assets are there.
    pub(crate) vision: bool,
}

/// The sample video, model and runtime the demo's vision worker uses (`scripts/fetch-assets.py`).
const DEMO_VIDEO: &str = "assets/vtest.avi";
const DEMO_MODEL: &str = "assets/yolox_nano.onnx";
const DEMO_ORT: &str = "assets/libonnxruntime.so";

/// The demo device the simulator connects as (its secret is published: demo only).
const DEMO_DEVICE: (&str, &str) = ("simulateur", "demo-simulateur-2026");

/// The demo device the vision worker posts as (its secret is published: demo only).
const DEMO_VISION_DEVICE: (&str, &str) = ("vision-demo", "demo-vision-2026");

/// The password of the demo accounts (published: demo only).
const DEMO_PASSWORD: &str = "demo-vigie-2026";

/// The demo accounts: login, display name, role, command posts (`None`: all).
const DEMO_ACCOUNTS: &[(&str, &str, Role, Option<&[&str]>)] = &[
    ("admin", "Administrateur (démo)", Role::Administrator, None),
    ("superviseur", "Superviseur (démo)", Role::Supervisor, None),
    ("operateur", "Opérateur (démo)", Role::Operator, Some(&["securite-espace-public", "police-municipale"])),
    ("auditeur", "Auditeur (démo)", Role::Auditor, None),
    ("dpd", "Délégué à la protection des données (démo)", Role::DataProtectionOfficer, None),
];
/// The demo's scenarios, in simulated time: something happens within seconds at ×60.
const DEMO_SCENARIOS: &[&str] =
    &["fire@2m", "power-cut@8m", "crowd@15m", "silent@5m", "jam@30m", "flood@20m", "intrusion"];

/// `vigie serve --config FILE`.
pub(crate) fn serve(config_file: Option<&Path>, listen: Option<&str>) -> anyhow::Result<ExitCode> {
    let mut config = Config::load(config_file, std::env::vars())?;
    if let Some(listen) = listen {
        config.server.listen = listen.parse().with_context(|| format!("--listen {listen:?} is not an address"))?;
    }
    start(config, Banner::Serve)
}

/// `vigie demo`: the demo metropolis on embedded defaults, with its embedded MQTT broker and
/// the simulator publishing into it.
pub(crate) fn demo(listen: Option<&str>, options: DemoOptions) -> anyhow::Result<ExitCode> {
    let mut config = Config::load(None, std::env::vars())?;
    config.store.path = options.store.clone();
    if let Some(listen) = listen {
        config.server.listen = listen.parse().with_context(|| format!("--listen {listen:?} is not an address"))?;
    }
    config.mqtt.mode = vigie_ingest::mqtt::MqttMode::Embedded;
    config.mqtt.embedded.listen = options.mqtt_listen;
    config.mqtt.embedded.devices_file = Some(config.city.pack.join("devices.toml"));
    start(config, Banner::Demo(options))
}

fn start(config: Config, banner: Banner) -> anyhow::Result<ExitCode> {
    telemetry::init(&config.log);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("vigie-io")
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(run(config, banner))?;
    Ok(ExitCode::SUCCESS)
}

async fn run(config: Config, banner: Banner) -> anyhow::Result<()> {
    let pack = &config.city.pack;
    let city =
        vigie_city::load(pack).map_err(|errors| anyhow!("the city pack {} is invalid:\n{errors}", pack.display()))?;
    let city = Arc::new(city);
    let log = SqliteLog::open(&config.store.path)
        .with_context(|| format!("cannot open the event log {}", config.store.path.display()))?;
    let reader = Arc::new(SqliteLog::reader(&config.store.path));
    let media_path = config.store.path.with_extension("media.db");
    let media = Arc::new(
        vigie_store::media::MediaStore::open(&media_path)
            .with_context(|| format!("cannot open the media store {}", media_path.display()))?,
    );
    let clock = Arc::new(SystemClock);
    let (auth, audit) = open_security(&config)?;
    if let Banner::Demo(_) = &banner {
        create_demo_accounts(&auth, clock.now())?;
    }
    let devices = load_devices(&config, &city, &auth)?;
    let tls = match &config.server.tls {
        Some(files) => {
            Some(vigie_web::tls::load_server_config(&files.cert, &files.key).context("cannot set up TLS for the API")?)
        }
        None => None,
    };
    let engine_config =
        EngineConfig { snapshot_every_events: config.store.snapshot_every_events, ..EngineConfig::default() };
    let rulebook = RuleBook::load(city.clone(), pack).context("the pack's rules cannot run")?;
    tracing::info!(rules = rulebook.rules.rules().len(), "rules loaded");
    let (engine, engine_thread) =
        vigie_engine::spawn(log, reader, rulebook, clock.clone(), engine_config).context("cannot start the engine")?;
    let listener = tokio::net::TcpListener::bind(config.server.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.server.listen))?;
    let address = listener.local_addr().context("the listener has no address")?;
    let health_listener = match (config.server.health_listen, &tls) {
        (Some(health), Some(_)) => Some(
            tokio::net::TcpListener::bind(health)
                .await
                .with_context(|| format!("cannot listen on {health} (server.health_listen)"))?,
        ),
        _ => None,
    };
    let health_address = health_listener.as_ref().and_then(|listener| listener.local_addr().ok());
    let scheme = if tls.is_some() { "https" } else { "http" };
    let context =
        MqttContext { engine: engine.clone(), city: city.clone(), clock: clock.clone(), devices: devices.clone() };
    let mqtt = vigie_ingest::mqtt::start(&config.mqtt, context).await.context("cannot start MQTT ingest")?;
    let mqtt_address = match &mqtt {
        Some(RunningMqtt::Embedded(broker)) => Some(broker.local_addr),
        _ => None,
    };
    print_banner(&banner, &city, &format!("{scheme}://{address}"), mqtt_address, health_address);
    let simulation = match (&banner, mqtt_address) {
        (Banner::Demo(options), Some(broker)) if options.simulate => {
            let scenarios = DEMO_SCENARIOS
                .iter()
                .map(|text| text.parse())
                .collect::<Result<Vec<vigie_sim::ScenarioSpec>, _>>()
                .map_err(|error| anyhow!("a demo scenario does not parse: {error}"))?;
            let plan = SimulationPlan {
                host: broker.ip().to_string(),
                port: broker.port(),
                username: DEMO_DEVICE.0.to_owned(),
                password: DEMO_DEVICE.1.to_owned(),
                speed: options.speed,
                seed: options.seed,
                scenarios,
                duration: None,
            };
            let simulated_city = city.clone();
            Some(tokio::spawn(async move {
                if let Err(error) = simulate::run(simulated_city, plan).await {
                    tracing::error!(error = %format!("{error:#}"), "the simulator stopped");
                }
            }))
        }
        _ => None,
    };

    let vision_stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let vision = match &banner {
        Banner::Demo(options) if options.vision && tls.is_none() => {
            start_demo_vision(&city, pack, address, vision_stop.clone())
        }
        _ => Vec::new(),
    };

    let ticker = engine.clone();
    let ticks = tokio::spawn(async move {
        let mut interval = tokio::time::interval(Duration::from_secs(1));
        loop {
            interval.tick().await;
            if ticker.tick().await.is_err() {
                return;
            }
        }
    });

    let reloads = tokio::spawn(reload_rules_on_sighup(engine.clone(), city.clone(), pack.clone()));
    let state = AppState {
        engine: engine.clone(),
        city,
        clock,
        pack_dir: pack.clone(),
        console_dir: Some(config.server.console_dir.clone()),
        media,
        auth,
        audit,
        devices: Arc::new(vigie_web::devices::DeviceGate::new(devices)),
        security: Arc::new(vigie_web::Security::new(vigie_web::SecurityConfig {
            https: tls.is_some(),
            ..config.server.rate_limit.clone()
        })),
    };
    let retention = tokio::spawn(purge_periodically(state.clone()));
    let listeners = vigie_web::Listeners { main: listener, tls, health: health_listener };
    vigie_web::serve(listeners, state, shutdown_signal()).await.context("the HTTP server failed")?;
    tracing::info!("shutting down: final snapshot");
    ticks.abort();
    reloads.abort();
    retention.abort();
    vision_stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for worker in vision {
        let _ = worker.join();
    }
    if let Some(simulation) = simulation {
        simulation.abort();
    }
    if let Some(mqtt) = mqtt {
        mqtt.stop().await;
    }
    engine.shutdown().await;
    drop(engine);
    engine_thread.join().map_err(|_| anyhow!("the engine thread panicked"))?;
    Ok(())
}

fn print_banner(
    banner: &Banner,
    city: &vigie_city::City,
    base: &str,
    mqtt: Option<std::net::SocketAddr>,
    health: Option<std::net::SocketAddr>,
) {
    let mut out = std::io::stdout().lock();
    // Tests and scripts read this first line to find the port.
    let _ = writeln!(out, "Vigie listening on {base}");
    if let Some(health) = health {
        let _ = writeln!(out, "Health check (plain HTTP, /health only) on http://{health}/health");
    }
    if let Some(mqtt) = mqtt {
        let _ = writeln!(out, "MQTT broker on mqtt://{mqtt} (topics vigie/<commune>/<sensor>/obs, QoS 1)");
    }
    if let Banner::Demo(options) = banner {
        let _ = writeln!(
            out,
            "Démo « {} » : {} communes, {} postes de commandement, {} capteurs, {} caméras.",
            city.name,
            city.communes.len(),
            city.posts.len(),
            city.sensors.len(),
            city.cameras.len()
        );
        let _ = writeln!(out, "  API        {base}/api/openapi.json");
        let _ = writeln!(out, "  City map   {base}/api/city");
        let _ = writeln!(out, "  Incidents  {base}/api/incidents");
        let _ = writeln!(out, "  Sensors    {base}/api/sensors");
        let _ = writeln!(out, "  Live       {base}/api/stream");
        let _ = writeln!(
            out,
            "Comptes de démonstration — DEMO ONLY, mot de passe publié « {DEMO_PASSWORD} », sans second facteur :"
        );
        for (login, _, role, posts) in DEMO_ACCOUNTS {
            let scope = posts.map_or_else(|| "toute la métropole".to_owned(), |posts| posts.join(", "));
            let _ = writeln!(out, "  {login:<12} {role:<24} {scope}");
        }
        let _ = writeln!(out, "  Une vraie ville crée ses comptes avec `vigie user add` (second facteur obligatoire).");
        if options.simulate {
            let _ = writeln!(
                out,
                "Simulateur ×{} (graine {}) : {}",
                options.speed,
                options.seed,
                DEMO_SCENARIOS.join(", ")
            );
        }
        let _ = writeln!(out, "Ctrl-C to stop.");
    }
    let _ = out.flush();
}

/// Starts the vision worker on the sample video for every camera of the pack's vision folder,
/// when the assets are there; without them the demo runs on, and says how to get them.
fn start_demo_vision(
    city: &Arc<vigie_city::City>,
    pack: &Path,
    address: std::net::SocketAddr,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> Vec<std::thread::JoinHandle<()>> {
    let missing: Vec<&str> =
        [DEMO_VIDEO, DEMO_MODEL, DEMO_ORT].into_iter().filter(|path| !Path::new(path).exists()).collect();
    if !missing.is_empty() {
        tracing::warn!(
            missing = %missing.join(", "),
            "video analytics off: run `python3 scripts/fetch-assets.py` to analyse the sample video"
        );
        return Vec::new();
    }
    let cameras = match super::vision::select_cameras(pack, &[]) {
        Ok(cameras) => cameras,
        Err(error) => {
            tracing::warn!(error = %format!("{error:#}"), "video analytics off");
            return Vec::new();
        }
    };
    let absolute = |path: &str| std::path::absolute(path).unwrap_or_else(|_| path.into());
    let options = super::vision::WorkerOptions {
        source: Some(DEMO_VIDEO.to_owned()),
        looped: true,
        realtime: true,
        server: format!("http://{address}"),
        device: Some(DEMO_VISION_DEVICE.0.to_owned()),
        secret: Some(DEMO_VISION_DEVICE.1.to_owned()),
        detector: super::vision::DetectorOptions {
            backend: vigie_vision::detect::Backend::Ort,
            model: absolute(DEMO_MODEL),
            ort_library: absolute(DEMO_ORT),
            threads: 1,
            face_model: absolute("assets/centerface.onnx"),
        },
    };
    let mut workers = Vec::new();
    for camera in cameras {
        let name = camera.camera.clone();
        match super::vision::spawn_worker(camera, city.clone(), options.clone(), stop.clone()) {
            Ok(worker) => {
                tracing::info!(camera = %name, video = DEMO_VIDEO, "video analytics started");
                workers.push(worker);
            }
            Err(error) => tracing::warn!(camera = %name, error = %format!("{error:#}"), "video analytics off"),
        }
    }
    workers
}

/// Runs the retention job every minute (and once at start): expired snapshots are purged,
/// held ones marked kept, timed-out sessions forgotten.
async fn purge_periodically(state: AppState) {
    let mut interval = tokio::time::interval(Duration::from_secs(60));
    loop {
        interval.tick().await;
        let now = state.clock.now();
        match vigie_web::retention::purge_once(&state, now).await {
            Ok(purged) if !purged.is_empty() => tracing::info!(purged = purged.len(), "retention job done"),
            Ok(_) => {}
            Err(error) => tracing::error!(error = %error.message, "the retention job failed"),
        }
        let auth = state.auth.clone();
        match tokio::task::spawn_blocking(move || auth.purge_expired(now)).await {
            Ok(Ok(_)) => {}
            Ok(Err(error)) => tracing::error!(error = %error, "cannot forget the timed-out sessions"),
            Err(error) => tracing::error!(error = %error, "the session purge task failed"),
        }
    }
}

/// Opens `security.db` and `audit.db` beside the event log.
pub(crate) fn open_security(config: &Config) -> anyhow::Result<(Arc<AuthStore>, Arc<AuditLog>)> {
    let data_dir = config.data_dir();
    let auth = AuthStore::open(&data_dir, config.auth.clone())
        .with_context(|| format!("cannot open the security database in {}", data_dir.display()))?;
    let audit_config = vigie_auth::AuditConfig { checkpoint_every: config.audit.checkpoint_every };
    let audit = AuditLog::open_files(&config.audit_db(), &config.audit_key_file(), audit_config)
        .with_context(|| format!("cannot open the audit log {}", config.audit_db().display()))?;
    Ok((Arc::new(auth), Arc::new(audit)))
}

/// Loads the devices file (`mqtt.embedded.devices_file`), shared by the broker and HTTP
/// ingest, with the revocations kept in the security database.
fn load_devices(config: &Config, city: &vigie_city::City, auth: &AuthStore) -> anyhow::Result<Option<Arc<Devices>>> {
    let Some(path) = &config.mqtt.embedded.devices_file else {
        return Ok(None);
    };
    let devices = Devices::load(path).with_context(|| format!("cannot load the devices file {}", path.display()))?;
    devices.check_against(city).context("the devices file does not match the city pack")?;
    for revocation in auth.revoked_devices().context("cannot read the device revocations")? {
        devices.revoke(&revocation.device_id);
    }
    Ok(Some(Arc::new(devices)))
}

/// Creates the demo accounts that do not exist yet (DEMO ONLY: a published password and no
/// second factor, so that the demo opens without an authenticator app).
fn create_demo_accounts(auth: &AuthStore, now: vigie_core::Timestamp) -> anyhow::Result<()> {
    for (login, display_name, role, posts) in DEMO_ACCOUNTS {
        let login = Login::parse(login).map_err(|error| anyhow!("demo login {login}: {error}"))?;
        if auth.account(&login)?.is_some() {
            continue;
        }
        let posts = match posts {
            None => ScopeSet::All,
            Some(posts) => posts
                .iter()
                .map(|post| vigie_core::PostId::parse(post))
                .collect::<Result<_, _>>()
                .map_err(|error| anyhow!("demo post: {error}"))?,
        };
        let account = NewAccount {
            login: login.clone(),
            display_name: (*display_name).to_owned(),
            role: *role,
            scope: Scope { posts, communes: ScopeSet::All },
        };
        auth.create_account(&account, DEMO_PASSWORD, now)
            .with_context(|| format!("cannot create demo account {login}"))?;
        let no_mfa = vigie_auth::AccountUpdate { mfa_required: Some(false), ..vigie_auth::AccountUpdate::default() };
        auth.update_account(&login, &no_mfa)?;
        tracing::warn!(login = %login, "demo account created (DEMO ONLY: published password, no second factor)");
    }
    Ok(())
}

/// Reloads `rules/*.toml` on SIGHUP; invalid rules are logged and the old ones stay.
async fn reload_rules_on_sighup(
    engine: vigie_engine::EngineHandle,
    city: Arc<vigie_city::City>,
    pack: std::path::PathBuf,
) {
    let Ok(mut hangups) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else {
        tracing::warn!("cannot listen for SIGHUP; reload rules through POST /api/rules/reload");
        return;
    };
    while hangups.recv().await.is_some() {
        match RuleBook::load(city.clone(), &pack) {
            Ok(rulebook) => {
                let count = rulebook.rules.rules().len();
                if engine.reload_rules(rulebook.rules).await.is_err() {
                    return;
                }
                tracing::info!(rules = count, "rules reloaded on SIGHUP");
            }
            Err(error) => tracing::error!(error = %error, "rules not reloaded: they do not load"),
        }
    }
}

async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(error = %error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
