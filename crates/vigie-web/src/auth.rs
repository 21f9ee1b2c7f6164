//! Who is asking: the guard that runs before every routed handler.
//!
//! ```text
//! request ─ policy::lookup(method, matched route) ── none ──────────────► 403 forbidden (audited)
//!             │ Public, SignIn ─────────────────────────────────────────► handler (Anonymous)
//!             │ otherwise: Authorization: Bearer <session token> ──┐
//!             │            Authorization: Basic <device> (ingest) ─┤
//!             │            session cookie, + X-CSRF-Token unless   │
//!             │              GET or HEAD ────────────────────────── ┤── none or wrong ► 401 / 403
//!             │ role check: vigie_auth::allowed(role, action) ──────┴── no ───► 403 forbidden (audited)
//!             └────────────────────────────────────────────────────────────► handler (Caller)
//! ```
//!
//! Handlers then check the scope of what they touch (`check_place`) and filter lists.

use crate::policy::{self, Access, Place, RoutePolicy};
use crate::{ApiError, AppState, audit};
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use vigie_auth::{Action, AuthError, Outcome, Principal, Scope, allowed};
use vigie_ingest::mqtt::devices::Device;

/// The session cookie's name without TLS.
pub const SESSION_COOKIE: &str = "vigie_session";
/// The session cookie's name with TLS: the `__Host-` prefix binds it to this host, `Path=/`
/// and `Secure` (RFC 6265bis §4.1.3.2).
pub const SESSION_COOKIE_TLS: &str = "__Host-vigie_session";
/// The cookie of a login waiting for its second factor.
pub const PENDING_COOKIE: &str = "vigie_pending";
/// The header that carries the CSRF token on state-changing requests.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Who a request comes from, as the guard found it; handlers take it as an extension.
#[derive(Clone, Debug)]
pub enum Caller {
    /// Nobody signed in: public routes and the login steps.
    Anonymous,
    /// A signed-in account, by its session.
    Account(Principal),
    /// A device, by its credentials from the devices file (ingest routes only).
    Device(Arc<Device>),
}

impl Caller {
    /// Returns who this is in the audit log: the login, `device:<id>` or `anonymous`.
    pub fn actor(&self) -> String {
        match self {
            Caller::Anonymous => "anonymous".to_owned(),
            Caller::Account(principal) => principal.login.to_string(),
            Caller::Device(device) => format!("device:{}", device.id),
        }
    }

    /// Returns the author of incident and alarm commands: `operator:<login>`.
    pub fn operator(&self) -> vigie_core::incident::Actor {
        match self {
            Caller::Account(principal) => vigie_core::incident::Actor(format!("operator:{}", principal.login)),
            Caller::Device(device) => vigie_core::incident::Actor(format!("device:{}", device.id)),
            Caller::Anonymous => vigie_core::incident::Actor("anonymous".to_owned()),
        }
    }

    /// Returns the signed-in account, or the error a route that needs one answers.
    pub fn principal(&self) -> Result<&Principal, ApiError> {
        match self {
            Caller::Account(principal) => Ok(principal),
            _ => Err(ApiError::unauthenticated()),
        }
    }

    /// Returns the scope of a signed-in account; devices and anonymous callers have none.
    pub fn scope(&self) -> Scope {
        match self {
            Caller::Account(principal) => principal.scope.clone(),
            _ => Scope::nothing(),
        }
    }
}

/// The client's address: the TCP peer (`ConnectInfo`), or `0.0.0.0` where the server was
/// started without it (every such client then shares one rate-limit bucket).
pub(crate) fn client_address(request: &Request) -> IpAddr {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |ConnectInfo(address)| address.ip())
}

/// Returns the value of cookie `name` in the request's `Cookie` headers.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim())
}

/// Returns the session cookie's name for this server.
pub(crate) fn session_cookie_name(https: bool) -> &'static str {
    if https { SESSION_COOKIE_TLS } else { SESSION_COOKIE }
}

/// Builds a `Set-Cookie` value; `max_age_s` 0 deletes the cookie.
pub(crate) fn set_cookie(name: &str, value: &str, path: &str, max_age_s: i64, https: bool) -> HeaderValue {
    let secure = if https { "; Secure" } else { "" };
    let text = format!("{name}={value}; HttpOnly; SameSite=Strict; Path={path}; Max-Age={}{secure}", max_age_s.max(0));
    // Tokens are hex and names and paths are constants: the value is always a valid header.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
}

/// Runs blocking work (argon2, SQLite) on the blocking pool.
pub(crate) async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| ApiError::internal(format!("security task failed: {error}")))
}

/// Why the guard turned a request away, and whether the audit log hears of it.
struct Refusal {
    error: ApiError,
    /// `Some(actor)`: append a denial (wrong credentials presented, CSRF, role, scope).
    audited_as: Option<String>,
}

impl Refusal {
    fn quiet(error: ApiError) -> Refusal {
        Refusal { error, audited_as: None }
    }
}

fn auth_error(error: &AuthError) -> ApiError {
    match error {
        AuthError::CsrfMismatch => ApiError::forbidden("csrf_mismatch", "missing or wrong X-CSRF-Token header"),
        AuthError::Unauthenticated => ApiError::unauthenticated(),
        other => {
            tracing::error!(error = %other, "the security database failed");
            ApiError::internal("the security database failed")
        }
    }
}

/// Finds the caller of a route that needs one.
async fn identify(
    state: &AppState,
    headers: &HeaderMap,
    method: &Method,
    line: &RoutePolicy,
) -> Result<Caller, Refusal> {
    let now = state.clock.now();
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let text = value.to_str().unwrap_or("");
        if let Some(token) = text.strip_prefix("Bearer ") {
            let auth = state.auth.clone();
            let token = token.trim().to_owned();
            let found = blocking(move || auth.authenticate(&token, now)).await.map_err(Refusal::quiet)?;
            return match found {
                Ok(principal) => Ok(Caller::Account(principal)),
                Err(error) => Err(Refusal { error: auth_error(&error), audited_as: Some("bearer-token".to_owned()) }),
            };
        }
        if matches!(line.access, Access::RoleOrDevice(_))
            && let Some((id, secret)) = crate::devices::parse_basic(text)
        {
            let devices = state.devices.clone();
            let actor = format!("device:{id}");
            let found = blocking(move || devices.authenticate(&id, &secret, now)).await.map_err(Refusal::quiet)?;
            return match found {
                Some(device) => Ok(Caller::Device(device)),
                None => Err(Refusal { error: ApiError::unauthenticated(), audited_as: Some(actor) }),
            };
        }
        return Err(Refusal { error: ApiError::unauthenticated(), audited_as: Some("anonymous".to_owned()) });
    }
    let Some(token) = cookie(headers, session_cookie_name(state.security.config.https)) else {
        return Err(Refusal::quiet(ApiError::unauthenticated()));
    };
    let token = token.to_owned();
    let needs_csrf = !(method == Method::GET || method == Method::HEAD);
    let csrf = headers.get(CSRF_HEADER).and_then(|value| value.to_str().ok()).map(str::to_owned);
    let auth = state.auth.clone();
    let checked = blocking(move || {
        let principal = auth.authenticate(&token, now).map_err(|error| (error, None))?;
        if needs_csrf && let Err(error) = auth.check_csrf(&principal.session_id, csrf.as_deref()) {
            return Err((error, Some(principal.login.to_string())));
        }
        Ok(principal)
    })
    .await
    .map_err(Refusal::quiet)?;
    match checked {
        Ok(principal) => Ok(Caller::Account(principal)),
        // An expired cookie is the daily end of a session, not an attack: not audited.
        Err((AuthError::Unauthenticated, _)) => Err(Refusal::quiet(ApiError::unauthenticated())),
        Err((error, login)) => Err(Refusal { error: auth_error(&error), audited_as: login }),
    }
}

/// The guard: finds the route's line in the policy table, the caller, and checks the role.
/// `router` applies it to every route with `route_layer`.
pub async fn guard(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let uri_path = request.uri().path().to_owned();
    let matched = request.extensions().get::<MatchedPath>().map(|path| path.as_str().to_owned());
    let Some(line) = matched.as_deref().and_then(|matched| policy::lookup(&method, matched)) else {
        let detail = json!({ "method": method.as_str(), "path": uri_path, "code": "route_not_in_policy" });
        audit::record(&state, "anonymous".to_owned(), "request", uri_path.clone(), Outcome::Denied, detail).await;
        return ApiError::forbidden("forbidden", "this route is not in the policy table").into_response();
    };
    let caller = match line.access {
        Access::Public | Access::SignIn => Caller::Anonymous,
        Access::Session | Access::Role(_) | Access::RoleOrDevice(_) => {
            match identify(&state, request.headers(), &method, line).await {
                Ok(caller) => caller,
                Err(refusal) => {
                    if let Some(actor) = refusal.audited_as {
                        let action = line.access.action().map_or("session", Action::as_str);
                        let detail = json!({ "method": method.as_str(), "path": uri_path, "code": refusal.error.code });
                        let outcome =
                            if refusal.error.status.as_u16() == 401 { Outcome::Failed } else { Outcome::Denied };
                        audit::record(&state, actor, action, uri_path.clone(), outcome, detail).await;
                    }
                    return refusal.error.into_response();
                }
            }
        }
    };
    if let (Some(action), Caller::Account(principal)) = (line.access.action(), &caller)
        && !allowed(principal.role, action)
    {
        let detail =
            json!({ "method": method.as_str(), "path": uri_path, "code": "forbidden", "role": principal.role });
        audit::record(&state, caller.actor(), action.as_str(), uri_path.clone(), Outcome::Denied, detail).await;
        return ApiError::forbidden("forbidden", format!("the {} role may not {action}", principal.role))
            .into_response();
    }
    request.extensions_mut().insert(caller);
    next.run(request).await
}

/// Checks that what a handler acts on lies in the caller's scope; refuses (403 `out_of_scope`,
/// audited) otherwise. `target` names it in the audit log (`incident:12`).
pub(crate) async fn check_place(
    state: &AppState,
    caller: &Caller,
    action: Action,
    target: String,
    place: &Place<'_>,
) -> Result<(), ApiError> {
    let permitted = match caller {
        Caller::Account(principal) => policy::within(&principal.scope, place),
        Caller::Device(_) | Caller::Anonymous => false,
    };
    if permitted {
        return Ok(());
    }
    Err(refuse_out_of_scope(state, caller, action, target).await)
}

/// Records a refusal for scope and returns its error.
pub(crate) async fn refuse_out_of_scope(state: &AppState, caller: &Caller, action: Action, target: String) -> ApiError {
    let detail = json!({ "code": "out_of_scope" });
    audit::record(state, caller.actor(), action.as_str(), target, Outcome::Denied, detail).await;
    ApiError::forbidden("out_of_scope", format!("{action} on a resource outside the account's scope"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_by_name_and_set_strictly() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("theme=dark; vigie_session=abc123"));
        headers.append(header::COOKIE, HeaderValue::from_static("vigie_pending=def"));
        assert_eq!(cookie(&headers, "vigie_session"), Some("abc123"));
        assert_eq!(cookie(&headers, "vigie_pending"), Some("def"));
        assert_eq!(cookie(&headers, "__Host-vigie_session"), None);
        let plain = set_cookie(SESSION_COOKIE, "abc", "/", 60, false);
        assert_eq!(plain, "vigie_session=abc; HttpOnly; SameSite=Strict; Path=/; Max-Age=60");
        let secure = set_cookie(session_cookie_name(true), "abc", "/", 60, true);
        assert_eq!(secure, "__Host-vigie_session=abc; HttpOnly; SameSite=Strict; Path=/; Max-Age=60; Secure");
    }
}
