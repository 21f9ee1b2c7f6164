//! The engine's metrics, as Prometheus counters. Emitted once per commit, not per event.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

/// The engine's counters.
pub struct EngineMetrics {
    pub events_committed: AtomicU64,
    pub commits: AtomicU64,
    pub commit_failures: AtomicU64,
    pub dead_letters: AtomicU64,
    pub commands_rejected: AtomicU64,
    pub alarms_raised: AtomicU64,
    pub alarms_cleared: AtomicU64,
}

/// The one instance.
pub static METRICS: EngineMetrics = EngineMetrics {
    events_committed: AtomicU64::new(0),
    commits: AtomicU64::new(0),
    commit_failures: AtomicU64::new(0),
    dead_letters: AtomicU64::new(0),
    commands_rejected: AtomicU64::new(0),
    alarms_raised: AtomicU64::new(0),
    alarms_cleared: AtomicU64::new(0),
};

/// Writes the counters in the Prometheus text format.
pub fn render_prometheus(out: &mut String) {
    let counters: [(&str, &str, &AtomicU64); 7] = [
        ("vigie_engine_events_committed_total", "Events durably appended to the log.", &METRICS.events_committed),
        ("vigie_engine_commits_total", "Durable commits (each may group many requests).", &METRICS.commits),
        (
            "vigie_engine_commit_failures_total",
            "Commits that failed; nothing of them was acknowledged.",
            &METRICS.commit_failures,
        ),
        ("vigie_engine_dead_letters_total", "Refused inputs kept in the dead-letter table.", &METRICS.dead_letters),
        (
            "vigie_engine_commands_rejected_total",
            "Operator commands rejected by the incident lifecycle.",
            &METRICS.commands_rejected,
        ),
        ("vigie_alarms_raised_total", "Alarms raised by the rule engine.", &METRICS.alarms_raised),
        ("vigie_alarms_cleared_total", "Alarms cleared by the rule engine.", &METRICS.alarms_cleared),
    ];
    for (name, help, counter) in counters {
        let _ =
            writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}", counter.load(Ordering::Relaxed));
    }
}
