//! The one place where errors become HTTP responses: a stable `code`, a status, a message and,
//! for bad input, the path of the faulty field.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use vigie_core::incident::Rejection;
use vigie_engine::{AlarmRejection, EngineError};

/// An error as the API returns it.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// The JSON path of the faulty field (`observations[3].value`), for bad input.
    pub path: Option<String>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<&'a str>,
}

impl ApiError {
    /// Bad input at `path`.
    pub fn invalid(path: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "invalid_input",
            message: message.into(),
            path: Some(path.into()),
        }
    }

    /// Something named in the URL does not exist.
    pub fn not_found(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status: StatusCode::NOT_FOUND, code, message: message.into(), path: None }
    }

    /// No valid session (or device credentials) came with the request.
    pub fn unauthenticated() -> ApiError {
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            code: "unauthenticated",
            message: "not signed in, or the session has ended".to_owned(),
            path: None,
        }
    }

    /// The caller may not do this (`forbidden`, `out_of_scope`, `csrf_mismatch`).
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status: StatusCode::FORBIDDEN, code, message: message.into(), path: None }
    }

    /// The server could not do its part.
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError { status: StatusCode::INTERNAL_SERVER_ERROR, code: "internal", message: message.into(), path: None }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody { code: self.code, message: &self.message, path: self.path.as_deref() };
        (self.status, Json(body)).into_response()
    }
}

impl From<EngineError> for ApiError {
    fn from(error: EngineError) -> ApiError {
        match error {
            EngineError::Rejected(rejection) => {
                let status = match rejection {
                    Rejection::NotFound { .. } => StatusCode::NOT_FOUND,
                    Rejection::UnknownCategory { .. }
                    | Rejection::EmptyText { .. }
                    | Rejection::TextTooLong { .. }
                    | Rejection::InvalidPosition
                    | Rejection::UnknownStep { .. }
                    | Rejection::DuplicateOfItself { .. }
                    | Rejection::UnknownDuplicateTarget { .. } => StatusCode::UNPROCESSABLE_ENTITY,
                    _ => StatusCode::CONFLICT,
                };
                ApiError { status, code: rejection.code(), message: rejection.to_string(), path: None }
            }
            EngineError::AlarmRejected(rejection) => {
                let status = match rejection {
                    AlarmRejection::UnknownAlarm { .. } => StatusCode::NOT_FOUND,
                    AlarmRejection::NotShelved { .. } => StatusCode::CONFLICT,
                    _ => StatusCode::UNPROCESSABLE_ENTITY,
                };
                ApiError { status, code: rejection.code(), message: rejection.to_string(), path: None }
            }
            EngineError::Store(store_error) => {
                tracing::error!(error = %store_error, "event log failure");
                ApiError {
                    status: StatusCode::SERVICE_UNAVAILABLE,
                    code: "log_unavailable",
                    message: "the event log could not commit; nothing was acknowledged, retry".to_owned(),
                    path: None,
                }
            }
            EngineError::Stopped => ApiError {
                status: StatusCode::SERVICE_UNAVAILABLE,
                code: "shutting_down",
                message: "the server is shutting down".to_owned(),
                path: None,
            },
        }
    }
}

/// Parses a JSON body, reporting the path of the faulty field.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    match serde_path_to_error::deserialize(&mut deserializer) {
        Ok(value) => {
            deserializer
                .end()
                .map_err(|error| ApiError::invalid("", format!("trailing data after the JSON body: {error}")))?;
            Ok(value)
        }
        Err(error) => {
            let path = error.path().to_string();
            let inner = error.into_inner();
            let path = if path == "." { String::new() } else { path };
            Err(ApiError {
                status: if inner.is_syntax() || inner.is_eof() {
                    StatusCode::BAD_REQUEST
                } else {
                    StatusCode::UNPROCESSABLE_ENTITY
                },
                code: if inner.is_syntax() || inner.is_eof() { "malformed_json" } else { "invalid_input" },
                message: inner.to_string(),
                path: Some(path),
            })
        }
    }
}
