//! The ingest's counters: one static of atomics, rendered in the Prometheus text format.
//!
//! - `vigie_ingest_messages_total{source, outcome}`: messages received, by what became of them.
//!   `accepted` is counted once the observation is durable; the refusals (`malformed`,
//!   `unauthorised`, `rejected`) when they are dead-lettered.
//! - `vigie_ingest_batches_total{source}`: durable commits made by the batcher; messages per
//!   batch is how well QoS-1 publishes share an fsync.
//!
//! Labels have bounded values only: never a device, a sensor or a topic.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// The ingest's counters.
pub static METRICS: IngestMetrics = IngestMetrics::new();

/// What became of one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Durable in the event log.
    Accepted,
    /// Not an observation: bad topic shape, bad JSON, bad compact text.
    Malformed,
    /// The device may not publish for this sensor or commune.
    Unauthorised,
    /// Well formed but refused by the city pack: unknown sensor, wrong commune or unit, bad time.
    Rejected,
}

impl Outcome {
    /// Every outcome, in rendering order.
    pub const ALL: [Outcome; 4] = [Outcome::Accepted, Outcome::Malformed, Outcome::Unauthorised, Outcome::Rejected];

    /// Returns the label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Accepted => "accepted",
            Outcome::Malformed => "malformed",
            Outcome::Unauthorised => "unauthorised",
            Outcome::Rejected => "rejected",
        }
    }

    fn index(self) -> usize {
        match self {
            Outcome::Accepted => 0,
            Outcome::Malformed => 1,
            Outcome::Unauthorised => 2,
            Outcome::Rejected => 3,
        }
    }
}

/// The counters of one source.
pub struct SourceCounters {
    messages: [AtomicU64; 4],
    batches: AtomicU64,
}

impl SourceCounters {
    const fn new() -> Self {
        SourceCounters {
            messages: [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)],
            batches: AtomicU64::new(0),
        }
    }

    /// Counts `messages` messages with `outcome`.
    pub fn count(&self, outcome: Outcome, messages: u64) {
        self.messages[outcome.index()].fetch_add(messages, Ordering::Relaxed);
    }

    /// Counts one durable commit.
    pub fn count_batch(&self) {
        self.batches.fetch_add(1, Ordering::Relaxed);
    }

    /// Returns the messages counted with `outcome` so far.
    pub fn messages(&self, outcome: Outcome) -> u64 {
        self.messages[outcome.index()].load(Ordering::Relaxed)
    }

    /// Returns the durable commits counted so far.
    pub fn batches(&self) -> u64 {
        self.batches.load(Ordering::Relaxed)
    }
}

/// The counters of every ingest source.
pub struct IngestMetrics {
    /// MQTT, embedded broker and external broker together.
    pub mqtt: SourceCounters,
    /// The HTTP batch API (counted per reading; a refused batch counts its readings once).
    pub http: SourceCounters,
}

impl IngestMetrics {
    const fn new() -> Self {
        IngestMetrics { mqtt: SourceCounters::new(), http: SourceCounters::new() }
    }

    fn sources(&self) -> [(&'static str, &SourceCounters); 2] {
        [("mqtt", &self.mqtt), ("http", &self.http)]
    }
}

/// Appends the ingest's metrics to `out` in the Prometheus text exposition format.
pub fn render_prometheus(out: &mut String) {
    out.push_str("# HELP vigie_ingest_messages_total Messages received by the ingest, by source and outcome.\n");
    out.push_str("# TYPE vigie_ingest_messages_total counter\n");
    for (source, counters) in METRICS.sources() {
        for outcome in Outcome::ALL {
            let value = counters.messages(outcome);
            // Writing to a String cannot fail.
            let _ = writeln!(
                out,
                "vigie_ingest_messages_total{{source=\"{source}\",outcome=\"{}\"}} {value}",
                outcome.as_str()
            );
        }
    }
    out.push_str("# HELP vigie_ingest_batches_total Durable commits made by the ingest batcher.\n");
    out.push_str("# TYPE vigie_ingest_batches_total counter\n");
    for (source, counters) in METRICS.sources() {
        let _ = writeln!(out, "vigie_ingest_batches_total{{source=\"{source}\"}} {}", counters.batches());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_outcome_of_every_source() {
        METRICS.mqtt.count(Outcome::Rejected, 2);
        let mut out = String::new();
        render_prometheus(&mut out);
        for outcome in Outcome::ALL {
            let prefix = format!("vigie_ingest_messages_total{{source=\"mqtt\",outcome=\"{}\"}} ", outcome.as_str());
            let line = out.lines().find(|line| line.starts_with(&prefix));
            let value: u64 = line.and_then(|line| line[prefix.len()..].parse().ok()).expect("a counter line");
            if outcome == Outcome::Rejected {
                assert!(value >= 2);
            }
        }
        assert!(out.contains("# TYPE vigie_ingest_messages_total counter\n"));
        assert!(out.lines().any(|line| line.starts_with("vigie_ingest_batches_total{source=\"mqtt\"} ")));
    }
}
