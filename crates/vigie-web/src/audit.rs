//! Appending to the audit log from handlers: one blocking durable commit per entry, on the
//! blocking pool. A failure to append is logged loudly but does not undo what was done (the
//! event log already holds it); it leaves a gap the next `vigie audit verify` cannot see, so
//! it is counted in `vigie_audit_append_failures_total`.

use crate::AppState;
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};
use vigie_auth::{NewAuditEntry, Outcome};

/// Appends that failed since the start.
pub(crate) static APPEND_FAILURES: AtomicU64 = AtomicU64::new(0);

/// Appends an entry: `actor` did `action` to `target`, with `outcome` and `detail`.
pub(crate) async fn record(
    state: &AppState,
    actor: String,
    action: &str,
    target: String,
    outcome: Outcome,
    detail: Value,
) {
    let entry = NewAuditEntry { time: state.clock.now(), actor, action: action.to_owned(), target, outcome, detail };
    let log = state.audit.clone();
    let appended = tokio::task::spawn_blocking(move || log.append(&entry).map(|_| ())).await;
    let error = match appended {
        Ok(Ok(())) => return,
        Ok(Err(error)) => error.to_string(),
        Err(error) => error.to_string(),
    };
    APPEND_FAILURES.fetch_add(1, Ordering::Relaxed);
    tracing::error!(error = %error, action, "cannot append to the audit log");
}

/// Renders the audit metrics in Prometheus text format.
pub(crate) fn render_prometheus(out: &mut String) {
    out.push_str("# HELP vigie_audit_append_failures_total Audit entries that could not be appended.\n");
    out.push_str("# TYPE vigie_audit_append_failures_total counter\n");
    out.push_str(&format!("vigie_audit_append_failures_total {}\n", APPEND_FAILURES.load(Ordering::Relaxed)));
}
