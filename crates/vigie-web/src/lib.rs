//! Vigie's HTTP API (axum). The only crate that knows HTTP and the JSON DTOs.
//!
//! - [`router`] builds every route; [`run`] serves it until a shutdown future fires.
//! - `routes::ingest`: batch observations and unit positions.
//! - `routes::incidents`: list, detail with timeline, create, commands.
//! - `routes::city`: the city as GeoJSON, sensors with last values, cameras, units, posts.
//! - `routes::alarms`: standing and shelved alarms, shelving, KPIs, dead letters.
//! - `stream`: the live stream (SSE), resumable from a sequence number.
//! - `openapi`: the OpenAPI document at `/api/openapi.json`.
//! - `console`: the operator console's files at `/`.
//! - `error`: the one mapping from errors to JSON responses.

mod console;
mod error;
mod openapi;
pub mod retention;
mod routes;
mod stream;

pub use error::ApiError;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use std::future::Future;
use std::sync::Arc;
use vigie_city::City;
use vigie_engine::{Clock, EngineHandle};

/// The most observations one ingest request may carry.
pub const MAX_BATCH: usize = 10_000;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub engine: EngineHandle,
    pub city: Arc<City>,
    pub clock: Arc<dyn Clock>,
    /// The city pack's folder, where `rules/` is reloaded from.
    pub pack_dir: std::path::PathBuf,
    /// The built operator console, served at `/` when present.
    pub console_dir: Option<std::path::PathBuf>,
    /// Redacted evidence snapshots, under retention.
    pub media: Arc<vigie_store::media::MediaStore>,
}

/// Builds the router with every route of the API.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/health", get(routes::health))
        .route("/api/openapi.json", get(openapi::document))
        .route("/metrics", get(routes::metrics))
        .route("/api/observations", post(routes::ingest::observations))
        .route("/api/units", get(routes::city::units))
        .route("/api/units/{id}/position", post(routes::ingest::unit_position))
        .route("/api/incidents", get(routes::incidents::list).post(routes::incidents::create))
        .route("/api/incidents/{id}", get(routes::incidents::detail))
        .route("/api/incidents/{id}/commands", post(routes::incidents::command))
        .route("/api/sensors", get(routes::city::sensors))
        .route("/api/sensors/{id}", get(routes::city::sensor))
        .route("/api/cameras", get(routes::city::cameras))
        .route("/api/city", get(routes::city::geojson))
        .route("/api/posts", get(routes::city::posts))
        .route("/api/categories", get(routes::city::categories))
        .route("/api/alarms", get(routes::alarms::list))
        .route("/api/alarms/shelve", post(routes::alarms::shelve))
        .route("/api/alarms/unshelve", post(routes::alarms::unshelve))
        .route("/api/alarms/kpis", get(routes::alarms::kpis))
        .route("/api/dead-letters", get(routes::alarms::dead_letters))
        .route("/api/rules", get(routes::rules::list))
        .route("/api/rules/reload", post(routes::rules::reload))
        .route("/api/snapshots", get(routes::media::list).post(routes::media::create))
        .route("/api/snapshots/{id}", get(routes::media::image))
        .route("/api/stream", get(stream::live))
        .fallback(console::serve)
        // A full batch of 10,000 observations is about 1 MB; leave room, refuse the absurd.
        .layer(DefaultBodyLimit::max(16 * 1024 * 1024))
        .with_state(state)
}

/// Serves the API on `listener` until `shutdown` completes, then drains open connections.
pub async fn run(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state)).with_graceful_shutdown(shutdown).await
}
