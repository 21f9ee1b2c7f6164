//! Access control for Vigie: who may sign in, what each may do where, and a tamper-evident
//! record of what was done.
//!
//! # Modules
//!
//! - `accounts`: `Role`, `Scope` (`ScopeSet` of command posts and of communes), `Login`,
//!   `Account`, the password rules (`check_password`) and argon2id hashing.
//! - `totp`: the second factor, RFC 6238 TOTP (`TotpSecret`, `verify_code`).
//! - `sessions`: the login flow (`AuthStore::begin_login`, `AuthStore::finish_login`), sessions
//!   (`AuthStore::authenticate` gives a `Principal`), CSRF tokens, lockout and the per-address
//!   attempt limiter.
//! - `policy`: the authorisation table (`allowed`, `authorize`, `Action`, `Target`).
//! - `audit`: the hash-chained audit log with signed checkpoints (`AuditLog`, `verify`).
//! - `retention`: the purge register (`AuditLog::record_purge`) and legal holds
//!   (`AuthStore::place_hold`, `is_held`).
//! - `devices`: device credentials withdrawn at run time (`AuthStore::revoke_device`).
//! - `store`: `AuthStore` over `<data_dir>/security.db`, `AuthConfig`, `AuthError`.
//!
//! Nothing here reads a clock: every operation that depends on time takes `now: Timestamp`.
//! Everything blocks (argon2 on purpose costs tens of milliseconds; writes wait for the disk),
//! so async callers use `spawn_blocking`. `AuthStore` and `AuditLog` are `Send + Sync`; share
//! each as an `Arc`.
//!
//! # Wiring into an HTTP server
//!
//! ```text
//! at start      let auth = Arc::new(AuthStore::open(data_dir, config.auth)?);
//!               let audit = Arc::new(AuditLog::open(data_dir, config.audit)?);
//!               (first run: create an administrator with auth.create_account, from the CLI)
//! POST login    auth.begin_login(login, password, peer_ip, now)
//!                 Session(s)            → Set-Cookie: __Host-vigie_session=<s.token.expose()>;
//!                                         Secure; HttpOnly; SameSite=Strict; Path=/;
//!                                         body {csrf_token, login, role}
//!                 NeedsTotp{pending}    → body {pending: pending.expose()}
//!                 NeedsTotpEnrolment{…} → body {pending, secret: secret.to_base32(), otpauth_uri}
//!                 Err(e)                → 401 bad_credentials, 423 account_locked,
//!                                         429 too_many_attempts (e.code())
//!               audit "login" with Outcome::Allowed / Failed, actor = the login typed
//! POST login/totp  auth.finish_login(pending, code, peer_ip, now) → the same as Session(s)
//! every request session = cookie (browsers) or `Authorization: Bearer` (machines)
//!               principal = auth.authenticate(token, now)?        (401 unauthenticated)
//!               cookie + method not GET/HEAD: auth.check_csrf(&principal.session_id,
//!                 header "x-csrf-token")?                           (403 csrf_mismatch)
//!               policy::authorize(&principal, action, &target)?    (403 forbidden / out_of_scope)
//!               audit.append(...) for commands, imagery reads, denials, admin changes
//! GET session   {login, role, scope, csrf_token: auth.csrf_token(&principal.session_id)}
//! POST logout   auth.logout(&principal.session_id)
//! every few min auth.purge_expired(now)
//! at shutdown   audit.checkpoint(now)
//! ```
//!
//! `vigie audit verify` would call `audit::verify(path, &public_key)` and print the
//! `VerifyReport`; `vigie audit public-key` prints `audit::public_key_of(key_path)`.
//!
//! # Security notes
//!
//! - Passwords: 12 to 128 characters, no composition rules, commonest ones refused (OWASP ASVS
//!   5.0 V6, NIST SP 800-63B); argon2id with m = 19 MiB, t = 2, p = 1 (OWASP Password Storage
//!   Cheat Sheet). Unknown logins and wrong passwords give the same error after the same work.
//! - Second factor: required for every human role by default; enrolment is completed only by a
//!   first valid code; a code is accepted once.
//! - Sessions: 256-bit tokens, stored as SHA-256 only; 30 min idle and 12 h absolute timeouts.
//! - Both databases are created readable by their owner only.
//!
//! # No biometrics
//!
//! Nothing in this crate stores or processes face templates, identity matches or any other
//! biometric data. The people it knows are the accounts that sign in, by login and display
//! name; camera imagery is only an `Action` (`ReadImagery`) whose access it checks and
//! records.

pub mod accounts;
pub mod audit;
pub mod devices;
pub mod policy;
pub mod retention;
mod secret;
pub mod sessions;
pub mod store;
pub mod totp;

#[cfg(test)]
mod testing;

pub use accounts::{
    Account, AccountUpdate, Login, LoginError, NewAccount, PasswordError, Role, RoleParseError, Scope, ScopeSet,
    check_password,
};
pub use audit::{
    AuditConfig, AuditEntry, AuditError, AuditFilter, AuditLog, AuditPublicKey, Checkpoint, NewAuditEntry, Outcome,
    Tamper, VerifyReport, verify,
};
pub use devices::DeviceRevocation;
pub use policy::{Action, Denied, Target, allowed, authorize, in_scope};
pub use retention::{HoldTarget, LegalHold, PurgeFilter, PurgeRecord, StoredPurge};
pub use secret::RandomError;
pub use sessions::{LoginStep, NewSession, Principal, SessionId, SessionInfo, Token};
pub use store::{AuthConfig, AuthError, AuthStore};
pub use totp::{TotpError, TotpSecret};
