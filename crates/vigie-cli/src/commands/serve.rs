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
use vigie_engine::{EngineConfig, RuleBook, SystemClock};
use vigie_store::sqlite::SqliteLog;
use vigie_web::AppState;

/// How the process introduces itself once listening.
enum Banner {
    Serve,
    Demo,
}

/// `vigie serve --config FILE`.
pub(crate) fn serve(config_file: Option<&Path>, listen: Option<&str>) -> anyhow::Result<ExitCode> {
    let mut config = Config::load(config_file, std::env::vars())?;
    if let Some(listen) = listen {
        config.server.listen = listen.parse().with_context(|| format!("--listen {listen:?} is not an address"))?;
    }
    start(config, Banner::Serve)
}

/// `vigie demo`: the demo metropolis on embedded defaults.
pub(crate) fn demo(listen: Option<&str>, store: &Path) -> anyhow::Result<ExitCode> {
    let mut config = Config::load(None, std::env::vars())?;
    config.store.path = store.to_path_buf();
    if let Some(listen) = listen {
        config.server.listen = listen.parse().with_context(|| format!("--listen {listen:?} is not an address"))?;
    }
    start(config, Banner::Demo)
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
    let clock = Arc::new(SystemClock);
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
    print_banner(&banner, &city, address);

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
    let state = AppState { engine: engine.clone(), city, clock, pack_dir: pack.clone() };
    vigie_web::run(listener, state, shutdown_signal()).await.context("the HTTP server failed")?;
    tracing::info!("shutting down: final snapshot");
    ticks.abort();
    reloads.abort();
    engine.shutdown().await;
    drop(engine);
    engine_thread.join().map_err(|_| anyhow!("the engine thread panicked"))?;
    Ok(())
}

fn print_banner(banner: &Banner, city: &vigie_city::City, address: std::net::SocketAddr) {
    let base = format!("http://{address}");
    let mut out = std::io::stdout().lock();
    // Tests and scripts read this first line to find the port.
    let _ = writeln!(out, "Vigie listening on {base}");
    if let Banner::Demo = banner {
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
        let _ = writeln!(out, "Ctrl-C to stop.");
    }
    let _ = out.flush();
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
