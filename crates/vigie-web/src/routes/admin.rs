//! Administration: accounts (`/api/accounts…`) and devices (`/api/devices…`). Every change is
//! audited; passwords travel in bodies only and are never returned, nor are TOTP secrets.

use crate::auth::{Caller, blocking};
use crate::error::parse_json;
use crate::{ApiError, AppState, audit};
use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use vigie_auth::{Account, AccountUpdate, AuthError, AuthStore, Login, NewAccount, Outcome, Role, Scope};

/// An account as the API shows it: no password hash, no TOTP secret.
fn account_json(account: &Account) -> Value {
    json!({
        "login": account.login,
        "display_name": account.display_name,
        "role": account.role,
        "scope": account.scope,
        "mfa_required": account.mfa_required,
        "mfa_enrolled": account.totp.is_some(),
        "disabled": account.disabled,
        "failed_logins": account.failed_logins,
        "locked_until": account.locked_until,
        "created": account.created,
    })
}

/// Turns a security-database error into the API's answer.
fn account_error(error: AuthError) -> ApiError {
    let status = match &error {
        AuthError::UnknownAccount { .. } => StatusCode::NOT_FOUND,
        AuthError::AccountExists { .. } => StatusCode::CONFLICT,
        AuthError::InvalidLogin(_)
        | AuthError::WeakPassword(_)
        | AuthError::InvalidDisplayName
        | AuthError::InvalidHold(_)
        | AuthError::InvalidRevocation(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AuthError::UnknownHold { .. } => StatusCode::NOT_FOUND,
        AuthError::HoldAlreadyLifted { .. } => StatusCode::CONFLICT,
        _ => {
            tracing::error!(error = %error, "the security database failed");
            return ApiError::internal("the security database failed");
        }
    };
    ApiError { status, code: error.code(), message: error.to_string(), path: None }
}

fn parse_login(text: &str) -> Result<Login, ApiError> {
    Login::parse(text).map_err(|error| ApiError::invalid("login", error.to_string()))
}

async fn audited<T>(
    state: &AppState,
    caller: &Caller,
    action: &str,
    target: String,
    result: Result<T, AuthError>,
) -> Result<T, ApiError> {
    let (outcome, detail) = match &result {
        Ok(_) => (Outcome::Allowed, json!({})),
        Err(error) => (Outcome::Failed, json!({ "code": error.code() })),
    };
    audit::record(state, caller.actor(), action, target, outcome, detail).await;
    result.map_err(account_error)
}

/// `GET /api/accounts`.
pub(crate) async fn list_accounts(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let auth = state.auth.clone();
    let accounts = blocking(move || auth.accounts()).await?.map_err(account_error)?;
    Ok(Json(json!({ "accounts": accounts.iter().map(account_json).collect::<Vec<_>>() })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateIn {
    login: String,
    display_name: String,
    role: Role,
    scope: Scope,
    password: String,
    /// Defaults to the role's: people need a second factor.
    #[serde(default)]
    mfa_required: Option<bool>,
}

/// `POST /api/accounts`: creates an account.
pub(crate) async fn create_account(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let incoming: CreateIn = parse_json(&body)?;
    let login = parse_login(&incoming.login)?;
    let target = format!("account:{login}");
    let now = state.clock.now();
    let auth = state.auth.clone();
    let new = NewAccount {
        login: login.clone(),
        display_name: incoming.display_name,
        role: incoming.role,
        scope: incoming.scope,
    };
    let mfa_required = incoming.mfa_required;
    let password = incoming.password;
    let created = blocking(move || {
        let account = auth.create_account(&new, &password, now)?;
        match mfa_required {
            Some(required) if required != account.mfa_required => auth.update_account(
                &new.login,
                &AccountUpdate { mfa_required: Some(required), ..AccountUpdate::default() },
            ),
            _ => Ok(account),
        }
    })
    .await?;
    let account = audited(&state, &caller, "account.create", target, created).await?;
    Ok((StatusCode::CREATED, Json(account_json(&account))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateIn {
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    role: Option<Role>,
    #[serde(default)]
    scope: Option<Scope>,
    #[serde(default)]
    mfa_required: Option<bool>,
    #[serde(default)]
    disabled: Option<bool>,
}

/// `PATCH /api/accounts/{login}`: changes role, scope, display name, second factor or
/// disables the account (ending its sessions).
pub(crate) async fn update_account(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(login): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let login = parse_login(&login)?;
    let incoming: UpdateIn = parse_json(&body)?;
    let update = AccountUpdate {
        display_name: incoming.display_name,
        role: incoming.role,
        scope: incoming.scope,
        mfa_required: incoming.mfa_required,
        disabled: incoming.disabled,
    };
    let auth = state.auth.clone();
    let target = format!("account:{login}");
    let updated = blocking(move || auth.update_account(&login, &update)).await?;
    let account = audited(&state, &caller, "account.update", target, updated).await?;
    Ok(Json(account_json(&account)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasswordIn {
    password: String,
}

/// `POST /api/accounts/{login}/password` `{password}`: an administrator's reset; ends every
/// session of the account and clears its lockout.
pub(crate) async fn reset_password(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(login): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let incoming: PasswordIn = parse_json(&body)?;
    change_account(&state, &caller, &login, "account.password_reset", move |auth, login| {
        auth.set_password(login, &incoming.password)
    })
    .await
}

/// `POST /api/accounts/{login}/unlock`: ends a lockout early.
pub(crate) async fn unlock(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(login): Path<String>,
) -> Result<Response, ApiError> {
    change_account(&state, &caller, &login, "account.unlock", |auth, login| auth.unlock(login)).await
}

/// `POST /api/accounts/{login}/reset-totp`: forgets the second factor (a lost phone); the next
/// login enrols a new one.
pub(crate) async fn reset_totp(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(login): Path<String>,
) -> Result<Response, ApiError> {
    change_account(&state, &caller, &login, "account.reset_totp", |auth, login| auth.reset_totp(login)).await
}

/// Makes one change to the account `login` on the blocking pool (argon2 and SQLite), records it
/// in the audit log as `action` whatever its outcome, and answers 204 No Content.
async fn change_account<T: Send + 'static>(
    state: &AppState,
    caller: &Caller,
    login: &str,
    action: &str,
    change: impl FnOnce(&AuthStore, &Login) -> Result<T, AuthError> + Send + 'static,
) -> Result<Response, ApiError> {
    let login = parse_login(login)?;
    let auth = state.auth.clone();
    let target = format!("account:{login}");
    let outcome = blocking(move || change(&auth, &login)).await?;
    audited(state, caller, action, target, outcome).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /api/devices`: the devices of the devices file, with revocations and last contact.
pub(crate) async fn list_devices(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let auth = state.auth.clone();
    let revoked = blocking(move || auth.revoked_devices()).await?.map_err(account_error)?;
    let Some(devices) = state.devices.devices() else {
        return Ok(Json(json!({ "devices": [] })));
    };
    let listed: Vec<Value> = devices
        .all()
        .iter()
        .map(|device| {
            let revocation = revoked.iter().find(|revocation| revocation.device_id == device.id);
            json!({
                "id": device.id,
                "sensors": device.sensors,
                "communes": device.communes,
                "revoked": devices.is_revoked(&device.id),
                "revoked_in_file": device.revoked,
                "revoked_by": revocation.map(|revocation| revocation.revoked_by.clone()),
                "revoked_at": revocation.map(|revocation| revocation.revoked_at),
                "revocation_reason": revocation.map(|revocation| revocation.reason.clone()),
                "last_seen_http": state.devices.last_seen(&device.id),
            })
        })
        .collect();
    Ok(Json(json!({ "devices": listed })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RevokeIn {
    reason: String,
}

fn known_device(state: &AppState, id: &str) -> Result<(), ApiError> {
    match state.devices.devices() {
        Some(devices) if devices.get(id).is_some() => Ok(()),
        _ => Err(ApiError::not_found("device_not_found", format!("no device {id:?} in the devices file"))),
    }
}

/// `POST /api/devices/{id}/revoke` `{reason}`: withdraws a device at once, for HTTP and MQTT,
/// and keeps the revocation across restarts.
pub(crate) async fn revoke_device(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    known_device(&state, &id)?;
    let incoming: RevokeIn = parse_json(&body)?;
    let auth = state.auth.clone();
    let now = state.clock.now();
    let (device, by) = (id.clone(), caller.actor());
    let revoked = blocking(move || auth.revoke_device(&device, &incoming.reason, &by, now)).await?;
    let newly = audited(&state, &caller, "device.revoke", format!("device:{id}"), revoked).await?;
    if let Some(devices) = state.devices.devices() {
        devices.revoke(&id);
    }
    state.devices.forget(&id);
    Ok(Json(json!({ "device": id, "revoked": true, "newly_revoked": newly })))
}

/// `POST /api/devices/{id}/restore`: gives a device revoked through the API its credentials
/// back (a revocation written in the devices file stays).
pub(crate) async fn restore_device(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    known_device(&state, &id)?;
    let auth = state.auth.clone();
    let device = id.clone();
    let restored = blocking(move || auth.restore_device(&device)).await?;
    let was_revoked = audited(&state, &caller, "device.restore", format!("device:{id}"), restored).await?;
    let still_revoked = match state.devices.devices() {
        Some(devices) => {
            devices.restore(&id);
            devices.is_revoked(&id)
        }
        None => false,
    };
    Ok(Json(json!({ "device": id, "was_revoked": was_revoked, "revoked": still_revoked })))
}
