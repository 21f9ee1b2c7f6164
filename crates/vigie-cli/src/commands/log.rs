//! `vigie log verify` and `vigie log replay`.

use crate::config::Config;
use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;
use vigie_engine::ReplayProgress;
use vigie_store::EventLog;
use vigie_store::sqlite::{self, SqliteLog};

fn store_path(store: Option<&Path>, config: Option<&Path>) -> anyhow::Result<PathBuf> {
    let path = match store {
        Some(path) => path.to_path_buf(),
        None => Config::load(config, std::env::vars())?.store.path,
    };
    if !path.exists() {
        bail!("there is no event log at {}", path.display());
    }
    Ok(path)
}

fn progress_bar(total: u64, message: &'static str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    let style = ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} events ({per_sec}, eta {eta})")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    bar.set_style(style);
    bar.set_message(message);
    bar
}

/// Checks the log and that the newest snapshot equals a replay up to its sequence number.
pub(crate) fn verify(store: Option<&Path>, config: Option<&Path>) -> anyhow::Result<ExitCode> {
    let path = store_path(store, config)?;
    let started = Instant::now();
    let mut log = SqliteLog::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
    let total = log.last_seq()?.0;
    let bar = progress_bar(total, "verify");
    let report = sqlite::verify(&path, &mut |checked| bar.set_position(checked))?;
    bar.finish_and_clear();
    let mut problems = report.problems;
    if let Some(snapshot) = log.latest_snapshot()? {
        let bar = progress_bar(snapshot.seq.0, "snapshot");
        let replayed = vigie_engine::replay_to(&mut log, snapshot.seq, &mut |progress: ReplayProgress| {
            bar.set_position(progress.applied)
        })?;
        bar.finish_and_clear();
        match serde_json::from_slice::<vigie_core::CityState>(&snapshot.state) {
            Ok(saved) if saved == replayed => {}
            Ok(_) => problems.push(format!("snapshot at event {} differs from a replay of the log", snapshot.seq.0)),
            Err(error) => problems.push(format!("snapshot at event {} does not decode: {error}", snapshot.seq.0)),
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    if problems.is_empty() {
        println!(
            "{}: ok — {} events, contiguous from 1, every payload decodes{} ({elapsed:.1} s)",
            path.display(),
            report.events,
            if report.snapshots > 0 { ", newest snapshot matches a replay" } else { "" }
        );
        Ok(ExitCode::SUCCESS)
    } else {
        for problem in &problems {
            eprintln!("{}: {problem}", path.display());
        }
        eprintln!("{}: {} problem(s) in {} events", path.display(), problems.len(), report.events);
        Ok(ExitCode::FAILURE)
    }
}

/// Replays the whole log and saves the result as the newest snapshot.
pub(crate) fn replay(store: Option<&Path>, config: Option<&Path>) -> anyhow::Result<ExitCode> {
    let path = store_path(store, config)?;
    let mut log = SqliteLog::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
    let total = log.last_seq()?.0;
    let started = Instant::now();
    let bar = progress_bar(total, "replay");
    let state = vigie_engine::replay(&mut log, &mut |progress: ReplayProgress| bar.set_position(progress.applied))?;
    bar.finish_and_clear();
    let elapsed = started.elapsed().as_secs_f64();
    let snapshot = vigie_store::Snapshot {
        seq: state.last_seq,
        taken_at: vigie_engine::Clock::now(&vigie_engine::SystemClock),
        state: serde_json::to_vec(&state).context("cannot encode the state")?,
        // A replay rebuilds projections only; the rule engine's windows start empty again.
        rules: Vec::new(),
    };
    log.save_snapshot(&snapshot)?;
    println!(
        "replayed {} events in {elapsed:.1} s ({:.0} events/s): {} incidents ({} open), {} sensors seen, {} units; saved as snapshot {}",
        state.last_seq.0,
        state.last_seq.0 as f64 / elapsed.max(1e-9),
        state.incidents.len(),
        state
            .incidents
            .iter()
            .filter(|incident| !matches!(
                incident.status,
                vigie_core::incident::IncidentStatus::Resolved | vigie_core::incident::IncidentStatus::Closed
            ))
            .count(),
        state.sensors.len(),
        state.units.len(),
        state.last_seq.0
    );
    Ok(ExitCode::SUCCESS)
}
