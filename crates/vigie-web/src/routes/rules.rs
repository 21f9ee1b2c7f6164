//! The rules of the pack: what is loaded, and reloading them without a restart.

use crate::{ApiError, AppState};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

/// `GET /api/rules`: the rules the engine runs now.
pub(crate) async fn list(State(state): State<AppState>) -> Json<Value> {
    Json(json!({ "rules": state.engine.rules().rules() }))
}

/// `POST /api/rules/reload`: reads `rules/*.toml` again, checks them against the city, and
/// hands them to the engine. Invalid rules are refused with every error; the old ones stay.
pub(crate) async fn reload(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let city = state.city.clone();
    let dir = state.pack_dir.clone();
    let loaded = tokio::task::spawn_blocking(move || vigie_engine::RuleBook::load(city, &dir))
        .await
        .map_err(|error| ApiError::internal(format!("rules task failed: {error}")))?;
    match loaded {
        Ok(rulebook) => {
            let count = rulebook.rules.rules().len();
            state.engine.reload_rules(rulebook.rules).await?;
            Ok(Json(json!({ "reloaded": count })))
        }
        Err(error) => Err(ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "invalid_rules",
            message: error.to_string(),
            path: Some("rules".to_owned()),
        }),
    }
}
