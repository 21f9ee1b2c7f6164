//! For auditors and the data protection officer: the audit log (`GET /api/audit`, export as
//! JSON lines), the purge register and legal holds. Each read of the log and each export is
//! itself audited. There is no route to change or delete an entry: the log is append-only.

use crate::auth::{Caller, blocking};
use crate::error::parse_json;
use crate::{ApiError, AppState, audit};
use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use vigie_auth::{AuditEntry, AuditFilter, HoldTarget, LegalHold, Outcome, PurgeFilter};
use vigie_core::Timestamp;
use vigie_core::incident::IncidentId;

fn parse_time(name: &str, text: &Option<String>) -> Result<Option<Timestamp>, ApiError> {
    let Some(text) = text else { return Ok(None) };
    if let Ok(millis) = text.parse::<i64>() {
        return Ok(Some(Timestamp(millis)));
    }
    Timestamp::parse_rfc3339(text).map(Some).map_err(|error| ApiError::invalid(name, error.to_string()))
}

fn storage(error: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %error, "the audit database failed");
    ApiError::internal("the audit database failed")
}

/// Filters of the audit routes.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditQuery {
    actor: Option<String>,
    action: Option<String>,
    /// At or after (RFC 3339 or milliseconds).
    from: Option<String>,
    /// Before (RFC 3339 or milliseconds).
    until: Option<String>,
    /// Entries after this sequence number (the last one of the previous page).
    after: Option<u64>,
    /// At most this many (default 100, at most 1000).
    limit: Option<usize>,
}

impl AuditQuery {
    fn filter(&self) -> Result<AuditFilter, ApiError> {
        Ok(AuditFilter {
            actor: self.actor.clone(),
            action: self.action.clone(),
            from: parse_time("from", &self.from)?,
            until: parse_time("until", &self.until)?,
        })
    }

    fn detail(&self) -> Value {
        json!({ "actor": self.actor, "action": self.action, "from": self.from, "until": self.until, "after": self.after })
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn entry_json(entry: &AuditEntry) -> Value {
    // `detail` is stored as the JSON text that was hashed; show it parsed, and keep the text
    // for whoever recomputes hashes from the export instead.
    let detail: Value = serde_json::from_str(&entry.detail).unwrap_or(Value::String(entry.detail.clone()));
    json!({
        "seq": entry.seq,
        "time": entry.time,
        "actor": entry.actor,
        "action": entry.action,
        "target": entry.target,
        "outcome": entry.outcome,
        "detail": detail,
        "hash": hex(&entry.hash),
    })
}

/// `GET /api/audit?actor&action&from&until&after&limit`: a page of entries, oldest first.
pub(crate) async fn read(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(query): Query<AuditQuery>,
) -> Result<Json<Value>, ApiError> {
    let filter = query.filter()?;
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    let after = query.after.unwrap_or(0);
    let log = state.audit.clone();
    let entries = blocking(move || log.read(&filter, limit, after)).await?.map_err(storage)?;
    audit::record(&state, caller.actor(), "read_audit", "audit".to_owned(), Outcome::Allowed, query.detail()).await;
    let next_after = entries.last().map(|entry| entry.seq);
    Ok(Json(json!({
        "entries": entries.iter().map(entry_json).collect::<Vec<_>>(),
        "next_after": next_after,
        "public_key": state.audit.public_key().to_hex(),
    })))
}

/// `GET /api/audit/export?actor&action&from&until`: every matching entry as JSON lines, with
/// the hashes a third party needs to check the chain; a checkpoint is signed first.
pub(crate) async fn export(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(query): Query<AuditQuery>,
) -> Result<Response, ApiError> {
    let filter = query.filter()?;
    audit::record(&state, caller.actor(), "export_audit", "audit".to_owned(), Outcome::Allowed, query.detail()).await;
    let log = state.audit.clone();
    let now = state.clock.now();
    let lines = blocking(move || {
        log.checkpoint(now)?;
        let mut lines = Vec::new();
        log.export_jsonl(&mut lines, &filter)?;
        Ok::<_, vigie_auth::AuditError>(lines)
    })
    .await?
    .map_err(storage)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-ndjson"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"vigie-audit.jsonl\""),
        ],
        lines,
    )
        .into_response())
}

/// Filters of `GET /api/retention/purges`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct PurgeQuery {
    data_class: Option<String>,
    from: Option<String>,
    until: Option<String>,
    after: Option<i64>,
    limit: Option<usize>,
}

/// `GET /api/retention/purges`: the purge register, oldest first.
pub(crate) async fn purges(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(query): Query<PurgeQuery>,
) -> Result<Json<Value>, ApiError> {
    let filter = PurgeFilter {
        data_class: query.data_class.clone(),
        from: parse_time("from", &query.from)?,
        until: parse_time("until", &query.until)?,
    };
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    let after = query.after.unwrap_or(0);
    let log = state.audit.clone();
    let records = blocking(move || log.purges(&filter, limit, after)).await?.map_err(storage)?;
    let detail = json!({ "data_class": query.data_class, "from": query.from, "until": query.until });
    audit::record(&state, caller.actor(), "read_retention_register", "purges".to_owned(), Outcome::Allowed, detail)
        .await;
    let listed: Vec<Value> = records
        .iter()
        .map(|stored| {
            json!({
                "id": stored.id,
                "time": stored.record.time,
                "data_class": stored.record.data_class,
                "object_id": stored.record.object_id,
                "reason": stored.record.reason,
                "kept_by": stored.record.kept_by,
            })
        })
        .collect();
    Ok(Json(json!({ "purges": listed, "next_after": records.last().map(|stored| stored.id) })))
}

fn hold_json(hold: &LegalHold) -> Value {
    let target = match &hold.target {
        HoldTarget::Object(object) => json!({ "object": object }),
        HoldTarget::Incident(incident) => json!({ "incident": incident.0 }),
    };
    json!({
        "id": hold.id,
        "target": target,
        "reason": hold.reason,
        "placed_by": hold.placed_by,
        "placed_at": hold.placed_at,
        "lifted_by": hold.lifted_by,
        "lifted_at": hold.lifted_at,
        "active": hold.is_active(),
    })
}

fn hold_error(error: vigie_auth::AuthError) -> ApiError {
    use vigie_auth::AuthError;
    let status = match &error {
        AuthError::InvalidHold(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AuthError::UnknownHold { .. } => StatusCode::NOT_FOUND,
        AuthError::HoldAlreadyLifted { .. } => StatusCode::CONFLICT,
        _ => return storage(error),
    };
    ApiError { status, code: error.code(), message: error.to_string(), path: None }
}

/// `GET /api/retention/holds`: every legal hold, active and lifted.
pub(crate) async fn holds(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Value>, ApiError> {
    let auth = state.auth.clone();
    let holds = blocking(move || auth.holds()).await?.map_err(hold_error)?;
    audit::record(&state, caller.actor(), "read_retention_register", "holds".to_owned(), Outcome::Allowed, json!({}))
        .await;
    Ok(Json(json!({ "holds": holds.iter().map(hold_json).collect::<Vec<_>>() })))
}

/// What a hold keeps, as the API takes it: `{"snapshot": id}`, `{"object": id}` or
/// `{"incident": 12}`.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum HoldTargetIn {
    Snapshot(String),
    Object(String),
    Incident(u64),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct HoldIn {
    target: HoldTargetIn,
    reason: String,
}

/// `POST /api/retention/holds` `{target, reason}`: keeps a snapshot, or an incident's evidence,
/// beyond its retention until the hold is lifted.
pub(crate) async fn place_hold(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let incoming: HoldIn = parse_json(&body)?;
    let target = match incoming.target {
        HoldTargetIn::Snapshot(id) | HoldTargetIn::Object(id) => HoldTarget::Object(id),
        HoldTargetIn::Incident(id) => HoldTarget::Incident(IncidentId(id)),
    };
    let label = match &target {
        HoldTarget::Object(id) => format!("snapshot:{id}"),
        HoldTarget::Incident(id) => format!("incident:{}", id.0),
    };
    let auth = state.auth.clone();
    let now = state.clock.now();
    let by = caller.actor();
    let reason = incoming.reason;
    let placed = blocking(move || auth.place_hold(&target, &reason, &by, now)).await?;
    let (outcome, detail) = match &placed {
        Ok(hold) => (Outcome::Allowed, json!({ "hold": hold.id, "reason": hold.reason })),
        Err(error) => (Outcome::Failed, json!({ "code": error.code() })),
    };
    audit::record(&state, caller.actor(), "legal_hold.place", label, outcome, detail).await;
    let hold = placed.map_err(hold_error)?;
    Ok((StatusCode::CREATED, Json(hold_json(&hold))))
}

/// `DELETE /api/retention/holds/{id}`: lifts a hold (it stays in the register, lifted); what
/// it kept is purged at the next run if its retention has ended.
pub(crate) async fn lift_hold(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    let auth = state.auth.clone();
    let now = state.clock.now();
    let by = caller.actor();
    let lifted = blocking(move || auth.lift_hold(id, &by, now)).await?;
    let (outcome, detail) = match &lifted {
        Ok(_) => (Outcome::Allowed, json!({ "hold": id })),
        Err(error) => (Outcome::Failed, json!({ "hold": id, "code": error.code() })),
    };
    audit::record(&state, caller.actor(), "legal_hold.lift", format!("legal_hold:{id}"), outcome, detail).await;
    Ok(Json(hold_json(&lifted.map_err(hold_error)?)))
}
