//! Signing in and out: `POST /api/auth/login`, `POST /api/auth/totp`, `GET /api/auth/me`,
//! `POST /api/auth/logout`, `POST /api/auth/password`.
//!
//! Answers of the login steps: `{"step": "session", login, display_name, role, scope,
//! csrf_token}` with the session cookie; `{"step": "totp"}` or `{"step": "enrol", secret,
//! otpauth_uri}` with the pending cookie (`Path=/api/auth`, valid `pending_login_s`). Errors:
//! 401 `bad_credentials` | `bad_totp_code` | `totp_code_reused` | `login_expired`, 423
//! `account_locked` with `until` (ms), 429 `too_many_attempts` with `Retry-After`, 422 for a
//! malformed body. Every attempt is audited as `login`, with the login typed as actor.

use crate::auth::{Caller, PENDING_COOKIE, blocking, client_address, cookie, session_cookie_name, set_cookie};
use crate::{ApiError, AppState, audit};
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use std::net::IpAddr;
use vigie_auth::{AuthError, LoginStep, NewSession, Outcome, Principal};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoginIn {
    login: String,
    password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TotpIn {
    code: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasswordIn {
    current: String,
    new: String,
}

/// Reads a login step's body; any fault is a 422, as the console expects.
fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    crate::error::parse_json(body).map_err(|mut error| {
        error.status = StatusCode::UNPROCESSABLE_ENTITY;
        error.code = "invalid_input";
        error
    })
}

/// The largest body a sign-in step reads.
const SIGN_IN_BODY_MAX: usize = 64 * 1024;

/// Reads and parses the JSON body of a sign-in step.
async fn read_body<T: serde::de::DeserializeOwned>(body: axum::body::Body) -> Result<T, ApiError> {
    let bytes = axum::body::to_bytes(body, SIGN_IN_BODY_MAX)
        .await
        .map_err(|_| ApiError::invalid("", "the body is too large or unreadable"))?;
    parse_body(&bytes)
}

/// The answer to a failed login step, with `until` for a lockout and `Retry-After` for the
/// attempt limiter.
fn login_error(error: &AuthError) -> Response {
    let (status, extra) = match error {
        AuthError::BadCredentials | AuthError::BadCode | AuthError::CodeReused | AuthError::PendingLoginExpired => {
            (StatusCode::UNAUTHORIZED, None)
        }
        AuthError::Unauthenticated => (StatusCode::UNAUTHORIZED, None),
        AuthError::Locked { until } => (StatusCode::LOCKED, Some(("until", json!(until.0)))),
        AuthError::RateLimited { retry_after_s } => {
            (StatusCode::TOO_MANY_REQUESTS, Some(("retry_after_s", json!(retry_after_s))))
        }
        AuthError::WeakPassword(_) | AuthError::InvalidLogin(_) => (StatusCode::UNPROCESSABLE_ENTITY, None),
        other => {
            tracing::error!(error = %other, "login failed on the server's side");
            (StatusCode::INTERNAL_SERVER_ERROR, None)
        }
    };
    let message = match status {
        StatusCode::INTERNAL_SERVER_ERROR => "the security database failed".to_owned(),
        _ => error.to_string(),
    };
    let mut body = json!({ "code": error.code(), "message": message });
    if let Some((key, value)) = extra {
        body[key] = value;
    }
    let mut response = (status, axum::Json(body)).into_response();
    if let AuthError::RateLimited { retry_after_s } = error
        && let Ok(value) = HeaderValue::from_str(&retry_after_s.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// The login typed, as the audit log names the actor: itself when it is a valid login, else a
/// placeholder (the text could be anything).
fn typed_actor(login: &str) -> String {
    match vigie_auth::Login::parse(login) {
        Ok(login) => login.to_string(),
        Err(_) => "invalid-login".to_owned(),
    }
}

/// The body of a `session` answer and `GET /api/auth/me`.
async fn session_body(state: &AppState, principal: &Principal, csrf_token: &str) -> Result<Value, ApiError> {
    let auth = state.auth.clone();
    let login = principal.login.clone();
    let account = blocking(move || auth.account(&login))
        .await?
        .map_err(|error| ApiError::internal(format!("cannot read the account: {error}")))?;
    let display_name = account.map_or_else(|| principal.login.to_string(), |account| account.display_name);
    Ok(json!({
        "login": principal.login,
        "display_name": display_name,
        "role": principal.role,
        "scope": principal.scope,
        "csrf_token": csrf_token,
    }))
}

/// A session answer: the body and the session cookie (and the pending cookie cleared).
async fn session_answer(state: &AppState, session: &NewSession) -> Response {
    let https = state.security.config.https;
    let mut body = match session_body(state, &session.principal, &session.csrf_token).await {
        Ok(body) => body,
        Err(error) => return error.into_response(),
    };
    body["step"] = json!("session");
    let max_age_s = (session.expires_at.0 - state.clock.now().0).div_euclid(1000);
    let mut response = axum::Json(body).into_response();
    let headers = response.headers_mut();
    headers.append(
        header::SET_COOKIE,
        set_cookie(session_cookie_name(https), session.token.expose(), "/", max_age_s, https),
    );
    headers.append(header::SET_COOKIE, set_cookie(PENDING_COOKIE, "", "/api/auth", 0, https));
    response
}

fn pending_answer(state: &AppState, pending: &vigie_auth::Token, body: Value) -> Response {
    let https = state.security.config.https;
    let max_age_s = state.auth.config().pending_login_s;
    let mut response = axum::Json(body).into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(PENDING_COOKIE, pending.expose(), "/api/auth", max_age_s, https));
    response
}

/// `POST /api/auth/login`.
pub(crate) async fn login(State(state): State<AppState>, request: Request) -> Response {
    let client: IpAddr = client_address(&request);
    let incoming: LoginIn = match read_body(request.into_body()).await {
        Ok(incoming) => incoming,
        Err(error) => return error.into_response(),
    };
    let now = state.clock.now();
    let actor = typed_actor(&incoming.login);
    let auth = state.auth.clone();
    let LoginIn { login, password } = incoming;
    let step = match blocking(move || auth.begin_login(&login, &password, client, now)).await {
        Ok(step) => step,
        Err(error) => return error.into_response(),
    };
    match step {
        Ok(LoginStep::Session(session)) => {
            let detail = json!({ "step": "password", "client": client.to_string() });
            audit::record(&state, actor, "login", String::new(), Outcome::Allowed, detail).await;
            session_answer(&state, &session).await
        }
        Ok(LoginStep::NeedsTotp { pending }) => {
            let detail = json!({ "step": "password", "next": "totp", "client": client.to_string() });
            audit::record(&state, actor, "login", String::new(), Outcome::Allowed, detail).await;
            pending_answer(&state, &pending, json!({ "step": "totp" }))
        }
        Ok(LoginStep::NeedsTotpEnrolment { pending, secret, otpauth_uri }) => {
            let detail = json!({ "step": "password", "next": "enrol", "client": client.to_string() });
            audit::record(&state, actor, "login", String::new(), Outcome::Allowed, detail).await;
            let body = json!({ "step": "enrol", "secret": secret.to_base32(), "otpauth_uri": otpauth_uri });
            pending_answer(&state, &pending, body)
        }
        Err(error) => {
            let detail = json!({ "step": "password", "code": error.code(), "client": client.to_string() });
            audit::record(&state, actor, "login", String::new(), Outcome::Failed, detail).await;
            login_error(&error)
        }
    }
}

/// `POST /api/auth/totp`: the second factor, with the pending cookie.
pub(crate) async fn totp(State(state): State<AppState>, request: Request) -> Response {
    let client = client_address(&request);
    let pending = cookie(request.headers(), PENDING_COOKIE).unwrap_or("").to_owned();
    let incoming: TotpIn = match read_body(request.into_body()).await {
        Ok(incoming) => incoming,
        Err(error) => return error.into_response(),
    };
    let now = state.clock.now();
    let auth = state.auth.clone();
    let finished = match blocking(move || auth.finish_login(&pending, &incoming.code, client, now)).await {
        Ok(finished) => finished,
        Err(error) => return error.into_response(),
    };
    match finished {
        Ok(session) => {
            let detail = json!({ "step": "totp", "client": client.to_string() });
            audit::record(
                &state,
                session.principal.login.to_string(),
                "login",
                String::new(),
                Outcome::Allowed,
                detail,
            )
            .await;
            session_answer(&state, &session).await
        }
        Err(error) => {
            let detail = json!({ "step": "totp", "code": error.code(), "client": client.to_string() });
            audit::record(&state, "anonymous".to_owned(), "login", String::new(), Outcome::Failed, detail).await;
            let mut response = login_error(&error);
            if matches!(error, AuthError::PendingLoginExpired | AuthError::Locked { .. }) {
                let https = state.security.config.https;
                response
                    .headers_mut()
                    .append(header::SET_COOKIE, set_cookie(PENDING_COOKIE, "", "/api/auth", 0, https));
            }
            response
        }
    }
}

/// `GET /api/auth/me`: who the session is, with its CSRF token (for a reloaded page).
pub(crate) async fn me(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Response, ApiError> {
    let principal = caller.principal()?;
    let auth = state.auth.clone();
    let session = principal.session_id.clone();
    let csrf_token = blocking(move || auth.csrf_token(&session)).await?.map_err(|_| ApiError::unauthenticated())?;
    Ok(axum::Json(session_body(&state, principal, &csrf_token).await?).into_response())
}

/// `POST /api/auth/logout`: ends the session and clears the cookie.
pub(crate) async fn logout(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Response, ApiError> {
    let principal = caller.principal()?;
    let auth = state.auth.clone();
    let session = principal.session_id.clone();
    blocking(move || auth.logout(&session))
        .await?
        .map_err(|error| ApiError::internal(format!("cannot end the session: {error}")))?;
    let detail = json!({ "session": principal.session_id.as_str() });
    audit::record(&state, caller.actor(), "logout", String::new(), Outcome::Allowed, detail).await;
    let https = state.security.config.https;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().append(header::SET_COOKIE, set_cookie(session_cookie_name(https), "", "/", 0, https));
    Ok(response)
}

/// `POST /api/auth/password` `{current, new}`: changes one's own password; the other sessions
/// of the account end.
pub(crate) async fn change_password(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let principal = caller.principal()?.clone();
    let incoming: PasswordIn = parse_body(&body)?;
    let now = state.clock.now();
    let auth = state.auth.clone();
    let login = principal.login.clone();
    let keep = principal.session_id.clone();
    let changed =
        blocking(move || auth.change_password(&login, &incoming.current, &incoming.new, Some(&keep), now)).await?;
    let outcome = if changed.is_ok() { Outcome::Allowed } else { Outcome::Failed };
    let detail = json!({ "code": changed.as_ref().err().map(AuthError::code) });
    audit::record(
        &state,
        caller.actor(),
        "account.change_password",
        format!("account:{}", principal.login),
        outcome,
        detail,
    )
    .await;
    match changed {
        Ok(()) => Ok(StatusCode::NO_CONTENT.into_response()),
        Err(error) => Ok(login_error(&error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockouts_carry_their_end_and_limits_their_wait() {
        let locked = login_error(&AuthError::Locked { until: vigie_core::Timestamp(1_234) });
        assert_eq!(locked.status(), StatusCode::LOCKED);
        let limited = login_error(&AuthError::RateLimited { retry_after_s: 7 });
        assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(limited.headers().get(header::RETRY_AFTER).unwrap(), "7");
        assert_eq!(login_error(&AuthError::BadCode).status(), StatusCode::UNAUTHORIZED);
        assert_eq!(typed_actor("alice"), "alice");
        assert_eq!(typed_actor("Robert'); DROP TABLE"), "invalid-login");
    }
}
