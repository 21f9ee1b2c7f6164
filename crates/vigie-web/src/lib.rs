//! Vigie's HTTP API (axum). The only crate that knows HTTP and the JSON DTOs.
//!
//! - [`router`] builds every route; [`run`] serves it until a shutdown future fires, [`serve`]
//!   with TLS and a `/health`-only plaintext port when configured.
//! - `policy`: the route table (who may call what, and how each route finds its target's
//!   command post and commune); `auth`: the guard that authenticates (session cookie with CSRF
//!   token, `Authorization: Bearer`, or device credentials on ingest) and checks roles and
//!   scopes; `routes::session`: login with TOTP, logout.
//! - `routes::ingest`: batch observations and unit positions.
//! - `routes::incidents`: list, detail with timeline, create, commands.
//! - `routes::city`: the city as GeoJSON, sensors with last values, cameras, units, posts.
//! - `routes::alarms`: standing and shelved alarms, shelving, KPIs, dead letters.
//! - `routes::media`: evidence snapshots; `retention`: their purge, legal holds, the register.
//! - `routes::admin`: accounts and devices; `routes::records`: the audit log, the purge
//!   register and legal holds; `audit`: appending to the audit log.
//! - `devices`: device credentials over HTTP; `hardening`: security headers and the rate
//!   limit; `tls`: HTTPS with rustls.
//! - `stream`: the live stream (SSE), resumable from a sequence number, filtered by scope.
//! - `openapi`: the OpenAPI document at `/api/openapi.json`.
//! - `console`: the operator console's files at `/`.
//! - `error`: the one mapping from errors to JSON responses.

mod audit;
pub mod auth;
mod console;
pub mod devices;
mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod hardening;
mod openapi;
pub mod policy;
pub mod retention;
mod routes;
mod stream;
pub mod tls;

pub use error::ApiError;
pub use hardening::{Security, SecurityConfig};

use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit};
use axum::routing::{delete, get, patch, post};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use vigie_city::City;
use vigie_engine::{Clock, EngineHandle};

/// The most observations one ingest request may carry.
pub const MAX_BATCH: usize = 10_000;

/// The largest body of an ingest request: a full batch of 10,000 observations is about 1 MB.
pub const MAX_INGEST_BODY: usize = 16 * 1024 * 1024;
/// The largest body of a snapshot upload.
pub const MAX_SNAPSHOT_BODY: usize = vigie_store::media::MAX_SNAPSHOT_BYTES;
/// The largest body of any other request.
pub const MAX_BODY: usize = 64 * 1024;

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
    /// Accounts, sessions, legal holds and device revocations (`security.db`).
    pub auth: Arc<vigie_auth::AuthStore>,
    /// The audit log and the purge register (`audit.db`).
    pub audit: Arc<vigie_auth::AuditLog>,
    /// The devices that may use HTTP ingest with their own credentials.
    pub devices: Arc<devices::DeviceGate>,
    /// TLS, headers and the rate limit.
    pub security: Arc<Security>,
}

/// Builds the router with every route of the API. Every route passes the guard
/// (`auth::guard`), which refuses any route missing from `policy::ROUTES`.
pub fn router(state: AppState) -> Router {
    let ingest_limit = DefaultBodyLimit::max(MAX_INGEST_BODY);
    let snapshot_limit = DefaultBodyLimit::max(MAX_SNAPSHOT_BODY);
    Router::new()
        .route("/health", get(routes::health))
        .route("/api/openapi.json", get(openapi::document))
        .route("/metrics", get(routes::metrics))
        .route("/api/auth/login", post(routes::session::login))
        .route("/api/auth/totp", post(routes::session::totp))
        .route("/api/auth/me", get(routes::session::me))
        .route("/api/auth/logout", post(routes::session::logout))
        .route("/api/auth/password", post(routes::session::change_password))
        .route("/api/observations", post(routes::ingest::observations).layer(ingest_limit))
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
        .route("/api/snapshots", get(routes::media::list).post(routes::media::create).layer(snapshot_limit))
        .route("/api/snapshots/{id}", get(routes::media::image))
        .route("/api/stream", get(stream::live))
        .route("/api/accounts", get(routes::admin::list_accounts).post(routes::admin::create_account))
        .route("/api/accounts/{login}", patch(routes::admin::update_account))
        .route("/api/accounts/{login}/password", post(routes::admin::reset_password))
        .route("/api/accounts/{login}/unlock", post(routes::admin::unlock))
        .route("/api/accounts/{login}/reset-totp", post(routes::admin::reset_totp))
        .route("/api/devices", get(routes::admin::list_devices))
        .route("/api/devices/{id}/revoke", post(routes::admin::revoke_device))
        .route("/api/devices/{id}/restore", post(routes::admin::restore_device))
        .route("/api/audit", get(routes::records::read))
        .route("/api/audit/export", get(routes::records::export))
        .route("/api/retention/purges", get(routes::records::purges))
        .route("/api/retention/holds", get(routes::records::holds).post(routes::records::place_hold))
        .route("/api/retention/holds/{id}", delete(routes::records::lift_hold))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), auth::guard))
        .fallback(console::serve)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn_with_state(state.clone(), hardening::protect))
        .with_state(state)
}

/// Signs an audit checkpoint of the log's head, as the server stops.
async fn checkpoint_at_shutdown(state: &AppState) {
    let audit = state.audit.clone();
    let now = state.clock.now();
    match tokio::task::spawn_blocking(move || audit.checkpoint(now)).await {
        Ok(Ok(checkpoint)) => tracing::info!(seq = checkpoint.seq, "audit log checkpoint signed at shutdown"),
        Ok(Err(error)) => tracing::error!(error = %error, "cannot sign the audit checkpoint at shutdown"),
        Err(error) => tracing::error!(error = %error, "the audit checkpoint task failed"),
    }
}

/// Serves the API over plain HTTP on `listener` until `shutdown` completes, then drains open
/// connections and signs an audit checkpoint.
pub async fn run(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let served = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
    checkpoint_at_shutdown(&state).await;
    served
}

/// Where and how the API listens.
pub struct Listeners {
    /// The API's listener: HTTPS when `tls` is set, else plain HTTP.
    pub main: tokio::net::TcpListener,
    /// The TLS configuration (`tls::load_server_config`).
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// With TLS, an optional plaintext listener that answers `/health` only.
    pub health: Option<tokio::net::TcpListener>,
}

/// Serves the API as `listeners` say until `shutdown` completes, then signs an audit checkpoint.
pub async fn serve(
    listeners: Listeners,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let Some(tls) = listeners.tls else {
        if let Ok(address) = listeners.main.local_addr()
            && !tls::is_loopback(&address)
        {
            tracing::warn!(address = %address, "the API is served without TLS on a non-loopback address");
        }
        return run(listeners.main, state, shutdown).await;
    };
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let health = listeners.health.map(|listener| {
        let app = tls::health_router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            let until = async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            };
            axum::serve(listener, app).with_graceful_shutdown(until).await
        })
    });
    let app = router(state.clone());
    let served = tls::serve_tls(listeners.main, app, tls, shutdown).await;
    let _ = stop.send(true);
    if let Some(health) = health {
        let _ = health.await;
    }
    checkpoint_at_shutdown(&state).await;
    served
}

/// The client address as the handlers see it when the server was started by [`run`].
pub type ClientAddress = ConnectInfo<SocketAddr>;
