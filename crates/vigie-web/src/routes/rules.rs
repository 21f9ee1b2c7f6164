//! The rules of the pack: what is loaded, and reloading them without a restart.

use crate::auth::Caller;
use crate::{ApiError, AppState, audit};
use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde_json::{Value, json};
use vigie_auth::Outcome;

/// `GET /api/rules`: the rules the engine runs now.
pub(crate) async fn list(State(state): State<AppState>) -> Json<Value> {
    Json(json!({ "rules": state.engine.rules().rules() }))
}

/// `POST /api/rules/reload`: reads `rules/*.toml` again, checks them against the city, and
/// hands them to the engine. Invalid rules are refused with every error; the old ones stay.
pub(crate) async fn reload(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Value>, ApiError> {
    let city = state.city.clone();
    let dir = state.pack_dir.clone();
    let loaded = tokio::task::spawn_blocking(move || vigie_engine::RuleBook::load(city, &dir))
        .await
        .map_err(|error| ApiError::internal(format!("rules task failed: {error}")))?;
    match loaded {
        Ok(rulebook) => {
            let count = rulebook.rules.rules().len();
            let reloaded = state.engine.reload_rules(rulebook.rules).await;
            let outcome = if reloaded.is_ok() { Outcome::Allowed } else { Outcome::Failed };
            audit::record(
                &state,
                caller.actor(),
                "rules.reload",
                "rules".to_owned(),
                outcome,
                json!({ "rules": count }),
            )
            .await;
            reloaded?;
            Ok(Json(json!({ "reloaded": count })))
        }
        Err(error) => {
            let detail = json!({ "code": "invalid_rules", "error": error.to_string() });
            audit::record(&state, caller.actor(), "rules.reload", "rules".to_owned(), Outcome::Failed, detail).await;
            Err(ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "invalid_rules",
                message: error.to_string(),
                path: Some("rules".to_owned()),
            })
        }
    }
}
