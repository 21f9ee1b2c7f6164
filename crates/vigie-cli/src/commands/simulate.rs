//! `vigie simulate` (also run by `vigie demo`): plays the city simulator into Vigie through MQTT,
//! the way real sensors report: QoS 1, one topic per sensor, each reading waiting for its PUBACK.
//!
//! Simulated time runs `speed` times faster than the wall clock; each reading is stamped with
//! the wall-clock time it is sent, so accelerated scenarios stay within the ingest's clock
//! checks.

use anyhow::{Context, anyhow};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};
use vigie_engine::{Clock, SystemClock};
use vigie_ingest::mqtt::client::{Publisher, PublisherConfig};
use vigie_sim::{ScenarioSpec, SimConfig, Simulator};

/// What to simulate and where to publish it.
#[derive(Clone, Debug)]
pub(crate) struct SimulationPlan {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) username: String,
    pub(crate) password: String,
    pub(crate) speed: f64,
    pub(crate) seed: u64,
    pub(crate) scenarios: Vec<ScenarioSpec>,
    /// Stop after this much wall time; `None` runs until interrupted.
    pub(crate) duration: Option<Duration>,
}

/// How often simulated time is advanced and published.
const STEP: Duration = Duration::from_millis(250);

/// Runs the simulator until `plan.duration` (if any) or until the task is dropped.
pub(crate) async fn run(city: Arc<vigie_city::City>, plan: SimulationPlan) -> anyhow::Result<u64> {
    let start = SystemClock.now();
    let mut simulator = Simulator::new(&city, SimConfig { seed: plan.seed, scenarios: plan.scenarios.clone(), start })
        .map_err(|error| anyhow!("{error}"))?;
    let client_id = format!("vigie-simulateur-{}", std::process::id());
    let config = PublisherConfig::new(plan.host.clone(), plan.port, client_id)
        .with_credentials(plan.username.clone(), plan.password.clone());
    let publisher = Publisher::connect(config)
        .await
        .with_context(|| format!("cannot connect to the MQTT broker at {}:{}", plan.host, plan.port))?;
    tracing::info!(speed = plan.speed, seed = plan.seed, scenarios = plan.scenarios.len(), "simulator running");
    let started = Instant::now();
    let mut published: u64 = 0;
    let mut announced = 0;
    let mut interval = tokio::time::interval(STEP);
    loop {
        interval.tick().await;
        let elapsed = started.elapsed();
        if plan.duration.is_some_and(|duration| elapsed >= duration) {
            break;
        }
        let readings = simulator.advance(vigie_sim::sim_time(start, elapsed, plan.speed));
        let mut acknowledgements = Vec::with_capacity(readings.len());
        let now = SystemClock.now();
        for reading in readings {
            let Some(sensor) = city.sensor(&reading.sensor_id) else { continue };
            let acked = publisher
                .send_reading(sensor.commune.as_str(), sensor.id.as_str(), Some(now), reading.value)
                .await
                .map_err(|error| anyhow!("publishing failed: {error}"))?;
            acknowledgements.push(acked);
        }
        for acked in acknowledgements {
            acked.wait().await.map_err(|error| anyhow!("a reading was not acknowledged: {error}"))?;
            published += 1;
        }
        for step in &simulator.scenario_log()[announced..] {
            tracing::info!(scenario = %step.scenario, zone = ?step.zone, "{}", step.what);
        }
        announced = simulator.scenario_log().len();
    }
    publisher.disconnect().await;
    Ok(published)
}

/// `vigie simulate`: a standalone simulator publishing to a broker.
pub(crate) fn simulate(city: PathBuf, plan: SimulationPlan) -> anyhow::Result<ExitCode> {
    crate::telemetry::init(&crate::config::LogConfig {
        filter: "info".to_owned(),
        format: crate::config::LogFormat::Text,
    });
    let city = Arc::new(
        vigie_city::load(&city).map_err(|errors| anyhow!("the city pack {} is invalid:\n{errors}", city.display()))?,
    );
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?;
    let published = runtime.block_on(async {
        tokio::select! {
            result = run(city, plan) => result,
            _ = tokio::signal::ctrl_c() => Ok(0),
        }
    })?;
    println!("{published} readings published and acknowledged");
    Ok(ExitCode::SUCCESS)
}
