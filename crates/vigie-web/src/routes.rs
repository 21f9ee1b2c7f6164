//! Route handlers, one module per area of the API.

pub(crate) mod admin;
pub(crate) mod alarms;
pub(crate) mod city;
pub(crate) mod incidents;
pub(crate) mod ingest;
pub(crate) mod media;
pub(crate) mod records;
pub(crate) mod rules;
pub(crate) mod session;

use crate::{ApiError, AppState};
use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

/// `GET /health`: the process is up and the engine answers.
pub(crate) async fn health(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let last_seq = state.engine.query(|city_state| city_state.last_seq.0).await?;
    // `now` lets clients (the console's live timers) follow the server's clock.
    Ok(Json(json!({ "status": "ok", "last_seq": last_seq, "now": state.clock.now() })))
}

/// `GET /metrics`: Prometheus text format.
pub(crate) async fn metrics() -> ([(axum::http::header::HeaderName, &'static str); 1], String) {
    let mut out = String::new();
    vigie_engine::metrics::render_prometheus(&mut out);
    vigie_ingest::metrics::render_prometheus(&mut out);
    crate::audit::render_prometheus(&mut out);
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}
