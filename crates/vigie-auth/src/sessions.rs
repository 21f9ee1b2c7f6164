//! The login flow and the sessions it opens.
//!
//! ```text
//! begin_login(login, password, client, now)
//!   ├─ Err(RateLimited)         the client address spent its attempts (token bucket)
//!   ├─ Err(Locked { until })    too many consecutive failures
//!   ├─ Err(BadCredentials)      unknown login or wrong password: the same error and the same
//!   │                           time (an argon2 check is spent on unknown logins too)
//!   ├─ Ok(Session)              no second factor required: signed in
//!   ├─ Ok(NeedsTotp)            ─┐ finish_login(pending, code, client, now)
//!   └─ Ok(NeedsTotpEnrolment)   ─┘   ├─ Err(BadCode | CodeReused | Locked | PendingLoginExpired)
//!                                    └─ Ok(NewSession)  (an enrolment is kept only now, once a
//!                                                        first code proved the app has it)
//! ```
//!
//! A failed password and a failed code both count towards the lockout; the count is reset only
//! by a complete login, so knowing the password does not allow guessing codes without limit.
//!
//! A session is a 256-bit random token, given to the client once (`NewSession::token`, for a
//! `Secure; HttpOnly; SameSite=Strict` cookie); the database keeps only its SHA-256, so a copy
//! of the database opens no session. Each session also has a CSRF token (synchronizer pattern:
//! the client sends it back in a header on every state-changing request; `check_csrf` compares
//! in constant time). A session ends after `idle_timeout_s` without use, `absolute_timeout_s`
//! after its login, at `logout`, or at `revoke_all` of its account.

use crate::accounts::{Login, Role, Scope, load_account, register_failure, verify_password};
use crate::secret::{constant_time_eq, from_hex, random_hex, sha256};
use crate::store::{AuthError, AuthStore};
use crate::totp::{TotpError, TotpSecret, verify_code};
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use vigie_core::Timestamp;

/// How stale `last_seen` may get before `authenticate` writes it again: sparing a write per
/// request costs at most this much idle time.
const TOUCH_EVERY_MS: i64 = 60_000;

/// A session's public identifier (128 random bits in hex): it names the session in lists and in
/// the audit log, and opens nothing by itself.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SessionId(String);

impl SessionId {
    /// Wraps an identifier read from a request or a list (not checked: an unknown one matches
    /// no session).
    pub fn new(text: &str) -> SessionId {
        SessionId(text.to_owned())
    }

    /// Returns the identifier's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

/// A bearer secret handed to the client once: a session token or a pending-login token (256
/// random bits in hex). Its `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Returns the token's text, to send to the client.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("Token(<redacted>)")
    }
}

/// Who is asking, as the HTTP layer gets it from `AuthStore::authenticate`: the account's
/// current role and scope (a change applies at the next request) and the session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The account's login; the actor of audit entries and incident commands.
    pub login: Login,
    /// The account's role.
    pub role: Role,
    /// The account's scope.
    pub scope: Scope,
    /// The session the request came with.
    pub session_id: SessionId,
}

/// A session just opened; the only time its token exists outside the client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSession {
    /// The session token, for the cookie (or an `Authorization: Bearer` header for machines).
    pub token: Token,
    /// The CSRF token the client must send back on state-changing requests.
    pub csrf_token: String,
    /// Who signed in.
    pub principal: Principal,
    /// When the session ends at the latest (the absolute timeout), for the cookie's lifetime.
    pub expires_at: Timestamp,
}

/// What a correct password leads to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoginStep {
    /// Signed in (the account needs no second factor).
    Session(NewSession),
    /// The account's TOTP code is needed: call `finish_login` with `pending` and the code.
    NeedsTotp {
        /// The pending-login token, valid `pending_login_s` seconds.
        pending: Token,
    },
    /// The account must enrol a second factor: show `secret` (as text and as a QR code of
    /// `otpauth_uri`), then call `finish_login` with `pending` and the first code the app shows.
    NeedsTotpEnrolment {
        /// The pending-login token, valid `pending_login_s` seconds.
        pending: Token,
        /// The new secret, kept only once a first code confirms it.
        secret: TotpSecret,
        /// The `otpauth://` URI for a QR code.
        otpauth_uri: String,
    },
}

/// One open session, for listing an account's sessions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionInfo {
    /// The session's identifier.
    pub id: SessionId,
    /// The account.
    pub login: Login,
    /// The client address it logged in from.
    pub client: String,
    /// When it logged in.
    pub created: Timestamp,
    /// When it was last used (to a minute).
    pub last_seen: Timestamp,
}

/// How many client addresses the limiter tracks at most; past that, addresses whose bucket is
/// full again are forgotten, and if that is not enough, all are (the lockout still applies).
const MAX_TRACKED_CLIENTS: usize = 65_536;

/// One attempt, in the bucket's units. The bucket refills `per_minute` units per millisecond,
/// that is `per_minute` attempts per 60,000 ms, in integers.
const ATTEMPT_UNITS: u64 = 60_000;

/// A token bucket per client address: up to `per_minute` attempts at once, refilled at
/// `per_minute` a minute. IPv6 addresses count by /64, what one client usually holds.
#[derive(Debug)]
pub(crate) struct AttemptLimiter {
    per_minute: u64,
    buckets: HashMap<IpAddr, Bucket>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    units: u64,
    updated: Timestamp,
}

impl AttemptLimiter {
    pub(crate) fn new(per_minute: u32) -> AttemptLimiter {
        AttemptLimiter { per_minute: u64::from(per_minute.max(1)), buckets: HashMap::new() }
    }

    fn capacity(&self) -> u64 {
        self.per_minute * ATTEMPT_UNITS
    }

    fn refilled(&self, bucket: Bucket, now: Timestamp) -> u64 {
        let elapsed = u64::try_from(now.0.saturating_sub(bucket.updated.0)).unwrap_or(0);
        bucket.units.saturating_add(elapsed.saturating_mul(self.per_minute)).min(self.capacity())
    }

    /// Takes one attempt for `client` at `now`, or says in how many seconds one will be free.
    pub(crate) fn take(&mut self, client: IpAddr, now: Timestamp) -> Result<(), i64> {
        let key = client_key(client);
        if !self.buckets.contains_key(&key) && self.buckets.len() >= MAX_TRACKED_CLIENTS {
            let capacity = self.capacity();
            let per_minute = self.per_minute;
            self.buckets.retain(|_, bucket| {
                let elapsed = u64::try_from(now.0.saturating_sub(bucket.updated.0)).unwrap_or(0);
                bucket.units.saturating_add(elapsed.saturating_mul(per_minute)) < capacity
            });
            if self.buckets.len() >= MAX_TRACKED_CLIENTS {
                self.buckets.clear();
            }
        }
        let full = Bucket { units: self.capacity(), updated: now };
        let bucket = self.buckets.get(&key).copied().unwrap_or(full);
        let units = self.refilled(bucket, now);
        if units < ATTEMPT_UNITS {
            self.buckets.insert(key, Bucket { units, updated: now });
            let wait_ms = (ATTEMPT_UNITS - units).div_ceil(self.per_minute);
            return Err(i64::try_from(wait_ms.div_ceil(1000)).unwrap_or(i64::MAX));
        }
        self.buckets.insert(key, Bucket { units: units - ATTEMPT_UNITS, updated: now });
        Ok(())
    }
}

/// The limiter's key for an address: IPv4 as is (IPv4-mapped IPv6 too), IPv6 by /64.
fn client_key(client: IpAddr) -> IpAddr {
    match client {
        IpAddr::V4(_) => client,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let segments = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(segments[0], segments[1], segments[2], segments[3], 0, 0, 0, 0))
            }
        },
    }
}

/// Reads a token sent by a client: exactly 64 hex digits, else it matches nothing.
fn token_hash(token: &str) -> Option<[u8; 32]> {
    from_hex::<32>(token)?;
    Some(sha256(token.to_ascii_lowercase().as_bytes()))
}

impl AuthStore {
    fn take_attempt(&self, client: IpAddr, now: Timestamp) -> Result<(), AuthError> {
        let mut limiter = self.limiter.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        limiter.take(client, now).map_err(|retry_after_s| AuthError::RateLimited { retry_after_s })
    }

    /// Spends one argon2 verification on a throw-away hash, so that an unknown login takes as
    /// long to refuse as a wrong password.
    fn spend_decoy_verification(&self, password: &str) {
        let decoy = self.decoy_hash.get_or_init(|| crate::accounts::hash_password("vigie-decoy").unwrap_or_default());
        let _ = verify_password(decoy, password);
    }

    /// Starts a login with a password. Blocking and CPU-heavy (argon2): see the module doc for
    /// the outcomes.
    pub fn begin_login(
        &self,
        login: &str,
        password: &str,
        client: IpAddr,
        now: Timestamp,
    ) -> Result<LoginStep, AuthError> {
        self.take_attempt(client, now)?;
        let account = match Login::parse(login) {
            Ok(login) => load_account(&self.connection(), login.as_str())?,
            Err(_) => None,
        };
        let Some(account) = account else {
            self.spend_decoy_verification(password);
            return Err(AuthError::BadCredentials);
        };
        if let Some(until) = account.locked_until.filter(|until| *until > now) {
            return Err(AuthError::Locked { until });
        }
        // The slow check runs without the connection's lock.
        if !verify_password(&account.password_hash, password) {
            let connection = self.connection();
            let locked = register_failure(
                &connection,
                account.login.as_str(),
                self.config.max_failed_logins,
                self.config.lockout_s,
                now,
            )?;
            return Err(match locked {
                Some(until) => AuthError::Locked { until },
                None => AuthError::BadCredentials,
            });
        }
        if account.disabled {
            return Err(AuthError::BadCredentials);
        }
        if !account.mfa_required {
            let mut connection = self.connection();
            let transaction = connection.transaction()?;
            transaction.execute(
                "UPDATE accounts SET failed_logins = 0, locked_until = NULL WHERE login = ?1",
                [account.login.as_str()],
            )?;
            let session = self.open_session(&transaction, &account.login, account.role, account.scope, client, now)?;
            transaction.commit()?;
            return Ok(LoginStep::Session(session));
        }
        let pending = Token(random_hex::<32>()?);
        let enrolment = match &account.totp {
            Some(_) => None,
            None => Some(TotpSecret::generate()?),
        };
        self.connection().execute(
            "INSERT INTO pending_logins (token_hash, login, enrol_secret, client, created) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                sha256(pending.0.as_bytes()),
                account.login.as_str(),
                enrolment.as_ref().map(TotpSecret::as_bytes),
                client.to_string(),
                now.0
            ],
        )?;
        Ok(match enrolment {
            Some(secret) => {
                let otpauth_uri = secret.otpauth_uri(&account.login);
                LoginStep::NeedsTotpEnrolment { pending, secret, otpauth_uri }
            }
            None => LoginStep::NeedsTotp { pending },
        })
    }

    /// Completes a login with the TOTP code (or the first code of an enrolment). A wrong code
    /// counts as a failed login.
    pub fn finish_login(
        &self,
        pending: &str,
        code: &str,
        client: IpAddr,
        now: Timestamp,
    ) -> Result<NewSession, AuthError> {
        self.take_attempt(client, now)?;
        let Some(pending_hash) = token_hash(pending) else {
            return Err(AuthError::PendingLoginExpired);
        };
        let mut connection = self.connection();
        let transaction = connection.transaction()?;
        let row: Option<(String, Option<Vec<u8>>, i64)> = transaction
            .query_row(
                "SELECT login, enrol_secret, created FROM pending_logins WHERE token_hash = ?1",
                [pending_hash],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()?;
        let Some((login, enrol_secret, created)) = row else {
            return Err(AuthError::PendingLoginExpired);
        };
        let forget_pending = |transaction: &Connection| {
            transaction.execute("DELETE FROM pending_logins WHERE token_hash = ?1", [pending_hash])
        };
        let expired = now.0 >= Timestamp(created).plus_seconds(self.config.pending_login_s).0;
        let account = load_account(&transaction, &login)?;
        let Some(account) = account.filter(|_| !expired) else {
            forget_pending(&transaction)?;
            transaction.commit()?;
            return Err(AuthError::PendingLoginExpired);
        };
        if let Some(until) = account.locked_until.filter(|until| *until > now) {
            forget_pending(&transaction)?;
            transaction.commit()?;
            return Err(AuthError::Locked { until });
        }
        if account.disabled {
            forget_pending(&transaction)?;
            transaction.commit()?;
            return Err(AuthError::BadCredentials);
        }
        let (secret, last_used_step) = match enrol_secret {
            // Another login completed an enrolment meanwhile: never replace a confirmed secret.
            Some(_) if account.totp.is_some() => {
                forget_pending(&transaction)?;
                transaction.commit()?;
                return Err(AuthError::PendingLoginExpired);
            }
            Some(bytes) => {
                let secret = TotpSecret::from_bytes(bytes)
                    .map_err(|_| AuthError::Corrupt { what: "pending enrolment".into() })?;
                (secret, None)
            }
            None => match account.totp.clone() {
                Some(secret) => (secret, account.totp_last_step),
                // The secret was reset since the password was checked: start again.
                None => {
                    forget_pending(&transaction)?;
                    transaction.commit()?;
                    return Err(AuthError::PendingLoginExpired);
                }
            },
        };
        let step = match verify_code(&secret, code, now, last_used_step) {
            Ok(step) => step,
            Err(TotpError::Reused) => return Err(AuthError::CodeReused),
            Err(_) => {
                let locked =
                    register_failure(&transaction, &login, self.config.max_failed_logins, self.config.lockout_s, now)?;
                if locked.is_some() {
                    forget_pending(&transaction)?;
                }
                transaction.commit()?;
                return Err(match locked {
                    Some(until) => AuthError::Locked { until },
                    None => AuthError::BadCode,
                });
            }
        };
        transaction.execute(
            "UPDATE accounts SET totp_secret = ?2, totp_last_step = ?3, failed_logins = 0, locked_until = NULL
             WHERE login = ?1",
            params![login, secret.as_bytes(), step],
        )?;
        forget_pending(&transaction)?;
        let session = self.open_session(&transaction, &account.login, account.role, account.scope, client, now)?;
        transaction.commit()?;
        Ok(session)
    }

    fn open_session(
        &self,
        connection: &Connection,
        login: &Login,
        role: Role,
        scope: Scope,
        client: IpAddr,
        now: Timestamp,
    ) -> Result<NewSession, AuthError> {
        let token = Token(random_hex::<32>()?);
        let id = SessionId(random_hex::<16>()?);
        let csrf_token = random_hex::<32>()?;
        connection.execute(
            "INSERT INTO sessions (id, token_hash, csrf_token, login, client, created, last_seen)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
            params![id.0, sha256(token.0.as_bytes()), csrf_token, login.as_str(), client.to_string(), now.0],
        )?;
        Ok(NewSession {
            token,
            csrf_token,
            principal: Principal { login: login.clone(), role, scope, session_id: id },
            expires_at: now.plus_seconds(self.config.absolute_timeout_s),
        })
    }

    fn is_expired(&self, created: i64, last_seen: i64, now: Timestamp) -> bool {
        now.0 >= Timestamp(last_seen).plus_seconds(self.config.idle_timeout_s).0
            || now.0 >= Timestamp(created).plus_seconds(self.config.absolute_timeout_s).0
    }

    /// Finds who holds a session token at `now`: the account's current role and scope. Ends
    /// the session if it timed out, and refreshes its last use (at most once a minute).
    pub fn authenticate(&self, token: &str, now: Timestamp) -> Result<Principal, AuthError> {
        let Some(hash) = token_hash(token) else {
            return Err(AuthError::Unauthenticated);
        };
        let connection = self.connection();
        let row: Option<(String, i64, i64, String, bool)> = connection
            .prepare_cached(
                "SELECT s.id, s.created, s.last_seen, s.login, a.disabled
                 FROM sessions s JOIN accounts a ON a.login = s.login WHERE s.token_hash = ?1",
            )?
            .query_row([hash], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?)))
            .optional()?;
        let Some((id, created, last_seen, login, disabled)) = row else {
            return Err(AuthError::Unauthenticated);
        };
        if disabled || self.is_expired(created, last_seen, now) {
            connection.execute("DELETE FROM sessions WHERE id = ?1", [&id])?;
            return Err(AuthError::Unauthenticated);
        }
        let Some(account) = load_account(&connection, &login)? else {
            return Err(AuthError::Unauthenticated);
        };
        if now.0 - last_seen >= TOUCH_EVERY_MS {
            connection.execute("UPDATE sessions SET last_seen = ?2 WHERE id = ?1", params![id, now.0])?;
        }
        Ok(Principal { login: account.login, role: account.role, scope: account.scope, session_id: SessionId(id) })
    }

    /// Marks the session used at `now` (what `authenticate` does once a minute).
    pub fn touch(&self, session: &SessionId, now: Timestamp) -> Result<(), AuthError> {
        let connection = self.connection();
        let row: Option<(i64, i64)> = connection
            .query_row("SELECT created, last_seen FROM sessions WHERE id = ?1", [&session.0], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .optional()?;
        match row {
            Some((created, last_seen)) if !self.is_expired(created, last_seen, now) => {
                connection.execute("UPDATE sessions SET last_seen = ?2 WHERE id = ?1", params![session.0, now.0])?;
                Ok(())
            }
            Some(_) => {
                connection.execute("DELETE FROM sessions WHERE id = ?1", [&session.0])?;
                Err(AuthError::Unauthenticated)
            }
            None => Err(AuthError::Unauthenticated),
        }
    }

    /// Checks the CSRF header of a state-changing request against the session's token, in
    /// constant time. `None` (no header) fails.
    pub fn check_csrf(&self, session: &SessionId, header_value: Option<&str>) -> Result<(), AuthError> {
        let expected = self.csrf_token(session)?;
        match header_value {
            Some(value) if constant_time_eq(value.as_bytes(), expected.as_bytes()) => Ok(()),
            _ => Err(AuthError::CsrfMismatch),
        }
    }

    /// Returns the session's CSRF token, for a client that reloads its page (it kept the cookie
    /// but lost the token).
    pub fn csrf_token(&self, session: &SessionId) -> Result<String, AuthError> {
        self.connection()
            .query_row("SELECT csrf_token FROM sessions WHERE id = ?1", [&session.0], |row| row.get(0))
            .optional()?
            .ok_or(AuthError::Unauthenticated)
    }

    /// Ends a session. Returns whether it was open.
    pub fn logout(&self, session: &SessionId) -> Result<bool, AuthError> {
        Ok(self.connection().execute("DELETE FROM sessions WHERE id = ?1", [&session.0])? > 0)
    }

    /// Ends every session and pending login of an account. Returns how many sessions ended.
    pub fn revoke_all(&self, login: &Login) -> Result<usize, AuthError> {
        let connection = self.connection();
        connection.execute("DELETE FROM pending_logins WHERE login = ?1", [login.as_str()])?;
        Ok(connection.execute("DELETE FROM sessions WHERE login = ?1", [login.as_str()])?)
    }

    /// Lists an account's open sessions, newest first (timed-out ones included until
    /// `purge_expired` or their next use removes them).
    pub fn sessions_of(&self, login: &Login) -> Result<Vec<SessionInfo>, AuthError> {
        let connection = self.connection();
        let mut statement = connection
            .prepare("SELECT id, client, created, last_seen FROM sessions WHERE login = ?1 ORDER BY created DESC")?;
        let rows = statement.query_map([login.as_str()], |row| {
            Ok(SessionInfo {
                id: SessionId(row.get(0)?),
                login: login.clone(),
                client: row.get(1)?,
                created: Timestamp(row.get(2)?),
                last_seen: Timestamp(row.get(3)?),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Deletes the sessions and pending logins that timed out by `now`. Returns how many rows
    /// went. Call it from time to time (every few minutes).
    pub fn purge_expired(&self, now: Timestamp) -> Result<usize, AuthError> {
        let idle_ms = self.config.idle_timeout_s.saturating_mul(1000);
        let absolute_ms = self.config.absolute_timeout_s.saturating_mul(1000);
        let pending_ms = self.config.pending_login_s.saturating_mul(1000);
        let connection = self.connection();
        let sessions = connection.execute(
            "DELETE FROM sessions WHERE last_seen + ?2 <= ?1 OR created + ?3 <= ?1",
            params![now.0, idle_ms, absolute_ms],
        )?;
        let pending =
            connection.execute("DELETE FROM pending_logins WHERE created + ?2 <= ?1", params![now.0, pending_ms])?;
        Ok(sessions + pending)
    }
}

#[cfg(test)]
mod tests;
