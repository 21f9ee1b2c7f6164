//! `AuthStore`: the security database `<data_dir>/security.db` (accounts, sessions, pending
//! logins, legal holds, device revocations), its schema versions, its configuration and its
//! one error type.
//!
//! Every method blocks: argon2 takes tens of milliseconds of CPU on purpose and SQLite writes
//! wait for the disk. Call them from a blocking pool (`spawn_blocking`). The store is `Send` and
//! `Sync`: share it as `Arc<AuthStore>`. It keeps one SQLite connection behind a mutex, held only
//! for the queries themselves, never during an argon2 verification, so a slow login does not
//! hold up the requests that only check a session.

use crate::accounts::{LoginError, PasswordError};
use crate::secret::RandomError;
use crate::sessions::AttemptLimiter;
use rusqlite::Connection;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use vigie_core::Timestamp;

/// The file name of the security database inside the data folder.
pub const SECURITY_DB: &str = "security.db";

/// The security rules that can be tuned, with the defaults of OWASP ASVS 5.0 level 2.
///
/// | key | default | meaning |
/// | --- | --- | --- |
/// | `max_failed_logins` | 5 | consecutive failures (password or code) that lock an account |
/// | `lockout_s` | 900 | how long a locked account stays locked |
/// | `idle_timeout_s` | 1800 | a session unused this long ends |
/// | `absolute_timeout_s` | 43200 | a session ends this long after the login, used or not |
/// | `pending_login_s` | 300 | time to type the second factor after the password |
/// | `login_attempts_per_minute` | 10 | login attempts one client address may make per minute |
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// Consecutive failed logins that lock the account.
    pub max_failed_logins: u32,
    /// How long a lockout lasts, in seconds.
    pub lockout_s: i64,
    /// A session not used for this many seconds ends.
    pub idle_timeout_s: i64,
    /// A session ends this many seconds after its login, however active.
    pub absolute_timeout_s: i64,
    /// Seconds allowed between the password and the second factor.
    pub pending_login_s: i64,
    /// Login attempts (password or code) allowed per client address and minute, as a token
    /// bucket: bursts up to this number, refilled at this rate.
    pub login_attempts_per_minute: u32,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            max_failed_logins: 5,
            lockout_s: 15 * 60,
            idle_timeout_s: 30 * 60,
            absolute_timeout_s: 12 * 3600,
            pending_login_s: 5 * 60,
            login_attempts_per_minute: 10,
        }
    }
}

/// Why an operation on the security database failed. `code()` gives a stable identifier for
/// API responses.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("security database error")]
    Storage(#[from] rusqlite::Error),
    #[error("cannot prepare {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the security database has schema version {found}, newer than this program's {supported}")]
    SchemaTooNew { found: i64, supported: i64 },
    #[error("the security database holds an unreadable {what}")]
    Corrupt { what: String },
    #[error(transparent)]
    Random(#[from] RandomError),
    #[error("cannot hash the password: {0}")]
    Hash(String),
    #[error(transparent)]
    InvalidLogin(#[from] LoginError),
    #[error(transparent)]
    WeakPassword(#[from] PasswordError),
    #[error("the display name must be 1 to 100 characters without control characters")]
    InvalidDisplayName,
    #[error("an account named {login:?} already exists")]
    AccountExists { login: String },
    #[error("no account named {login:?}")]
    UnknownAccount { login: String },
    #[error("wrong login or password")]
    BadCredentials,
    #[error("the account is locked until {}", until.to_rfc3339())]
    Locked { until: Timestamp },
    #[error("too many login attempts from this address; retry in {retry_after_s} s")]
    RateLimited { retry_after_s: i64 },
    #[error("wrong authentication code")]
    BadCode,
    #[error("this authentication code was already used; wait for the next one")]
    CodeReused,
    #[error("the login has expired; enter the password again")]
    PendingLoginExpired,
    #[error("not signed in, or the session has ended")]
    Unauthenticated,
    #[error("missing or wrong CSRF token")]
    CsrfMismatch,
    #[error("no legal hold number {id}")]
    UnknownHold { id: i64 },
    #[error("legal hold {id} is already lifted")]
    HoldAlreadyLifted { id: i64 },
    #[error("invalid legal hold: {0}")]
    InvalidHold(&'static str),
    #[error("invalid device revocation: {0}")]
    InvalidRevocation(&'static str),
}

impl AuthError {
    /// Returns a stable, machine-readable code for the error (`bad_credentials`, `account_locked`...).
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::Storage(_) | AuthError::Io { .. } | AuthError::Corrupt { .. } => "storage",
            AuthError::SchemaTooNew { .. } => "schema_too_new",
            AuthError::Random(_) | AuthError::Hash(_) => "internal",
            AuthError::InvalidLogin(_) => "invalid_login",
            AuthError::WeakPassword(_) => "weak_password",
            AuthError::InvalidDisplayName => "invalid_display_name",
            AuthError::AccountExists { .. } => "account_exists",
            AuthError::UnknownAccount { .. } => "unknown_account",
            AuthError::BadCredentials => "bad_credentials",
            AuthError::Locked { .. } => "account_locked",
            AuthError::RateLimited { .. } => "too_many_attempts",
            AuthError::BadCode => "bad_totp_code",
            AuthError::CodeReused => "totp_code_reused",
            AuthError::PendingLoginExpired => "login_expired",
            AuthError::Unauthenticated => "unauthenticated",
            AuthError::CsrfMismatch => "csrf_mismatch",
            AuthError::UnknownHold { .. } => "unknown_hold",
            AuthError::HoldAlreadyLifted { .. } => "hold_already_lifted",
            AuthError::InvalidHold(_) => "invalid_hold",
            AuthError::InvalidRevocation(_) => "invalid_revocation",
        }
    }
}

/// The schema, one script per version: version `n` is `MIGRATIONS[n - 1]`, recorded in
/// SQLite's `user_version`. A new version appends a script; scripts never change.
const MIGRATIONS: &[&str] = &[
    "
CREATE TABLE accounts (
    login          TEXT PRIMARY KEY,
    display_name   TEXT NOT NULL,
    role           TEXT NOT NULL,
    scope          TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    totp_secret    BLOB,
    totp_last_step INTEGER,
    mfa_required   INTEGER NOT NULL,
    disabled       INTEGER NOT NULL DEFAULT 0,
    failed_logins  INTEGER NOT NULL DEFAULT 0,
    locked_until   INTEGER,
    created        INTEGER NOT NULL
);
CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,
    token_hash BLOB NOT NULL UNIQUE,
    csrf_token TEXT NOT NULL,
    login      TEXT NOT NULL REFERENCES accounts(login) ON DELETE CASCADE,
    client     TEXT NOT NULL,
    created    INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL
);
CREATE INDEX sessions_by_login ON sessions(login);
CREATE TABLE pending_logins (
    token_hash   BLOB PRIMARY KEY,
    login        TEXT NOT NULL REFERENCES accounts(login) ON DELETE CASCADE,
    enrol_secret BLOB,
    client       TEXT NOT NULL,
    created      INTEGER NOT NULL
);
CREATE TABLE legal_holds (
    id          INTEGER PRIMARY KEY,
    object_id   TEXT,
    incident_id INTEGER,
    reason      TEXT NOT NULL,
    placed_by   TEXT NOT NULL,
    placed_at   INTEGER NOT NULL,
    lifted_by   TEXT,
    lifted_at   INTEGER,
    CHECK ((object_id IS NULL) <> (incident_id IS NULL))
);
CREATE INDEX legal_holds_by_object ON legal_holds(object_id) WHERE object_id IS NOT NULL;
CREATE INDEX legal_holds_by_incident ON legal_holds(incident_id) WHERE incident_id IS NOT NULL;
CREATE TRIGGER legal_holds_no_delete BEFORE DELETE ON legal_holds
    BEGIN SELECT RAISE(ABORT, 'legal holds are kept: lift them instead'); END;
CREATE TRIGGER legal_holds_lift_only BEFORE UPDATE ON legal_holds
    WHEN OLD.lifted_at IS NOT NULL
      OR NEW.lifted_at IS NULL
      OR NEW.object_id IS NOT OLD.object_id
      OR NEW.incident_id IS NOT OLD.incident_id
      OR NEW.reason IS NOT OLD.reason
      OR NEW.placed_by IS NOT OLD.placed_by
      OR NEW.placed_at IS NOT OLD.placed_at
    BEGIN SELECT RAISE(ABORT, 'a legal hold can only be lifted, once'); END;
",
    "
CREATE TABLE device_revocations (
    device_id  TEXT PRIMARY KEY,
    revoked_by TEXT NOT NULL,
    revoked_at INTEGER NOT NULL,
    reason     TEXT NOT NULL
);
",
];

/// The accounts, sessions and legal holds, in `<data_dir>/security.db`.
pub struct AuthStore {
    connection: Mutex<Connection>,
    pub(crate) config: AuthConfig,
    pub(crate) limiter: Mutex<AttemptLimiter>,
    /// An argon2 hash checked when the login is unknown, so that refusing an unknown login
    /// costs as much time as refusing a wrong password. Made on first need.
    pub(crate) decoy_hash: OnceLock<String>,
}

impl AuthStore {
    /// Opens (creating if needed) `<data_dir>/security.db` and brings its schema up to date.
    pub fn open(data_dir: &Path, config: AuthConfig) -> Result<AuthStore, AuthError> {
        AuthStore::open_file(&data_dir.join(SECURITY_DB), config)
    }

    /// Opens (creating if needed) the security database at `path`.
    pub fn open_file(path: &Path, config: AuthConfig) -> Result<AuthStore, AuthError> {
        create_private_file(path).map_err(|source| AuthError::Io { path: path.to_path_buf(), source })?;
        let mut connection = Connection::open(path)?;
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "FULL")?;
        connection.pragma_update(None, "foreign_keys", "ON")?;
        connection.busy_timeout(std::time::Duration::from_secs(10))?;
        migrate(&mut connection)?;
        let limiter = AttemptLimiter::new(config.login_attempts_per_minute);
        Ok(AuthStore {
            connection: Mutex::new(connection),
            config,
            limiter: Mutex::new(limiter),
            decoy_hash: OnceLock::new(),
        })
    }

    /// Returns the configuration the store was opened with.
    pub fn config(&self) -> &AuthConfig {
        &self.config
    }

    /// Returns the schema version of the database.
    pub fn schema_version(&self) -> Result<i64, AuthError> {
        let connection = self.connection();
        Ok(connection.query_row("PRAGMA user_version", [], |row| row.get(0))?)
    }

    /// Locks the connection. A panic while it was held cannot leave a half-done write behind
    /// (an unfinished transaction rolls back when dropped), so a poisoned lock is taken over.
    pub(crate) fn connection(&self) -> MutexGuard<'_, Connection> {
        self.connection.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The latest schema version this program knows.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

fn migrate(connection: &mut Connection) -> Result<(), AuthError> {
    apply_migrations(connection, MIGRATIONS).map_err(|error| match error {
        MigrationError::Sqlite(error) => AuthError::Storage(error),
        MigrationError::TooNew { found, supported } => AuthError::SchemaTooNew { found, supported },
    })
}

/// Why a database's schema could not be brought up to date.
pub(crate) enum MigrationError {
    Sqlite(rusqlite::Error),
    TooNew { found: i64, supported: i64 },
}

impl From<rusqlite::Error> for MigrationError {
    fn from(error: rusqlite::Error) -> Self {
        MigrationError::Sqlite(error)
    }
}

/// Runs the scripts of `migrations` the database has not run yet, each in its own transaction
/// with its version number; refuses a database newer than the scripts.
pub(crate) fn apply_migrations(connection: &mut Connection, migrations: &[&str]) -> Result<(), MigrationError> {
    let supported = migrations.len() as i64;
    let found: i64 = connection.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if found > supported {
        return Err(MigrationError::TooNew { found, supported });
    }
    for (index, script) in migrations.iter().enumerate().skip(found as usize) {
        let transaction = connection.transaction()?;
        transaction.execute_batch(script)?;
        transaction.pragma_update(None, "user_version", index as i64 + 1)?;
        transaction.commit()?;
    }
    Ok(())
}

/// Creates `path` (and its folder) readable by its owner only, if it does not exist yet, so that
/// SQLite then opens a file nobody else can read; its `-wal` and `-shm` files copy that mode.
pub(crate) fn create_private_file(path: &Path) -> std::io::Result<()> {
    if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests;
