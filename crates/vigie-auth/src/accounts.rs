//! Accounts: who may sign in, with which `Role` and which `Scope`, and the password rules.
//!
//! Passwords follow OWASP ASVS 5.0 (level 2) and NIST SP 800-63B: at least 12 characters, at
//! most 128, any characters (spaces and letters outside ASCII included), no composition rules,
//! and a refusal of the commonest passwords, of repeated or sequential characters and of the
//! login itself. They are kept only as argon2id PHC strings with OWASP's parameters (19 MiB,
//! 2 passes, 1 lane), the same as the MQTT devices' secrets.

use crate::secret::RandomError;
use crate::store::{AuthError, AuthStore};
use crate::totp::TotpSecret;
use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use vigie_core::{CommuneId, PostId, Timestamp};

/// What an account is for; the authorisation table (`policy`) says what each may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Works the incident queue of a command post.
    Operator,
    /// An operator who also manages alarm shelving.
    Supervisor,
    /// Manages accounts, devices and the rules; sees no operational data or imagery.
    Administrator,
    /// Reads and exports the audit log and the retention register.
    Auditor,
    /// The data protection officer: audit, retention, legal holds, imagery for rights requests.
    DataProtectionOfficer,
    /// A machine account of a partner system: posts observations, reads the sensor side.
    Integrator,
}

/// The text is not one of the roles.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown role {0:?}; expected operator, supervisor, administrator, auditor, data_protection_officer or integrator"
)]
pub struct RoleParseError(pub String);

impl Role {
    /// Every role, in the order of the authorisation table's columns.
    pub const ALL: [Role; 6] = [
        Role::Operator,
        Role::Supervisor,
        Role::Administrator,
        Role::Auditor,
        Role::DataProtectionOfficer,
        Role::Integrator,
    ];

    /// Returns the role's name, as in configuration and JSON (`data_protection_officer`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Supervisor => "supervisor",
            Role::Administrator => "administrator",
            Role::Auditor => "auditor",
            Role::DataProtectionOfficer => "data_protection_officer",
            Role::Integrator => "integrator",
        }
    }

    /// Reads a role's name.
    pub fn parse(text: &str) -> Result<Role, RoleParseError> {
        Role::ALL.into_iter().find(|role| role.as_str() == text).ok_or_else(|| RoleParseError(text.to_owned()))
    }

    /// Tells whether people hold accounts of this role (every role but `Integrator`); their
    /// accounts need a second factor by default.
    pub fn is_human(self) -> bool {
        !matches!(self, Role::Integrator)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// Which items of one kind (command posts, communes) an account may see: all of them, or an
/// explicit set. An empty set allows nothing.
///
/// In JSON: `"all"` or `{"only": ["pc-police", "pc-traffic"]}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScopeSet<T: Ord> {
    /// Every item, present and future.
    All,
    /// These items only.
    Only(BTreeSet<T>),
}

impl<T: Ord> ScopeSet<T> {
    /// Returns the set that allows nothing.
    pub fn nothing() -> ScopeSet<T> {
        ScopeSet::Only(BTreeSet::new())
    }

    /// Tells whether `item` is in the set.
    pub fn contains(&self, item: &T) -> bool {
        match self {
            ScopeSet::All => true,
            ScopeSet::Only(items) => items.contains(item),
        }
    }

    /// Tells whether the set is `All`.
    pub fn is_all(&self) -> bool {
        matches!(self, ScopeSet::All)
    }
}

impl<T: Ord> FromIterator<T> for ScopeSet<T> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Self {
        ScopeSet::Only(items.into_iter().collect())
    }
}

/// The part of the city an account works on: command posts and communes. A resource is in
/// scope when its post is in `posts` and its commune in `communes` (see `policy::authorize`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scope {
    /// The command posts whose incidents, alarms and imagery the account may see.
    pub posts: ScopeSet<PostId>,
    /// The communes whose resources the account may see.
    pub communes: ScopeSet<CommuneId>,
}

impl Scope {
    /// Returns the scope of the whole city.
    pub fn all() -> Scope {
        Scope { posts: ScopeSet::All, communes: ScopeSet::All }
    }

    /// Returns the scope that allows nothing scoped (global actions stay possible).
    pub fn nothing() -> Scope {
        Scope { posts: ScopeSet::nothing(), communes: ScopeSet::nothing() }
    }

    /// Tells whether the scope is the whole city.
    pub fn is_all(&self) -> bool {
        self.posts.is_all() && self.communes.is_all()
    }
}

/// The longest login accepted.
pub const MAX_LOGIN_LEN: usize = 64;

/// An account's login: 1 to 64 characters among `a-z`, `0-9`, `.`, `_` and `-`. Checked once,
/// by `parse`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Login(String);

/// Why a login was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    #[error("the login is empty")]
    Empty,
    #[error("the login is longer than {max} characters")]
    TooLong { max: usize },
    #[error("the login contains {character:?}; allowed are a-z, 0-9, '.', '_' and '-'")]
    BadCharacter { character: char },
}

impl Login {
    /// Checks `text` and wraps it.
    pub fn parse(text: &str) -> Result<Login, LoginError> {
        if text.is_empty() {
            return Err(LoginError::Empty);
        }
        if let Some(character) =
            text.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')))
        {
            return Err(LoginError::BadCharacter { character });
        }
        if text.len() > MAX_LOGIN_LEN {
            return Err(LoginError::TooLong { max: MAX_LOGIN_LEN });
        }
        Ok(Login(text.to_owned()))
    }

    /// Returns the login's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Login {
    type Error = LoginError;
    fn try_from(text: String) -> Result<Login, LoginError> {
        Login::parse(&text)
    }
}

impl From<Login> for String {
    fn from(login: Login) -> String {
        login.0
    }
}

impl fmt::Display for Login {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

/// One account, as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct Account {
    /// The login, unique.
    pub login: Login,
    /// The name shown to other users.
    pub display_name: String,
    /// What the account may do.
    pub role: Role,
    /// Where it may do it.
    pub scope: Scope,
    /// The argon2id PHC string of the password.
    pub password_hash: String,
    /// The TOTP secret, once enrolled.
    pub totp: Option<TotpSecret>,
    /// The last TOTP time step accepted, so that a code is never accepted twice.
    pub totp_last_step: Option<i64>,
    /// Whether a login needs a TOTP code after the password (true for people by default).
    pub mfa_required: bool,
    /// A disabled account cannot sign in; its sessions were ended when it was disabled.
    pub disabled: bool,
    /// Consecutive failed logins since the last success or lockout.
    pub failed_logins: u32,
    /// While set and in the future, every login is refused.
    pub locked_until: Option<Timestamp>,
    /// When the account was created.
    pub created: Timestamp,
}

impl Account {
    /// Tells whether the account is locked out at `now`.
    pub fn is_locked(&self, now: Timestamp) -> bool {
        self.locked_until.is_some_and(|until| until > now)
    }
}

impl fmt::Debug for Account {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Account")
            .field("login", &self.login)
            .field("display_name", &self.display_name)
            .field("role", &self.role)
            .field("scope", &self.scope)
            .field("password_hash", &"<redacted>")
            .field("totp", &self.totp)
            .field("totp_last_step", &self.totp_last_step)
            .field("mfa_required", &self.mfa_required)
            .field("disabled", &self.disabled)
            .field("failed_logins", &self.failed_logins)
            .field("locked_until", &self.locked_until)
            .field("created", &self.created)
            .finish()
    }
}

/// What `AuthStore::create_account` needs besides the password.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAccount {
    /// The login.
    pub login: Login,
    /// The name shown to other users.
    pub display_name: String,
    /// The role; the account needs a second factor if `role.is_human()`.
    pub role: Role,
    /// The part of the city it works on.
    pub scope: Scope,
}

/// Changes to an account; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountUpdate {
    /// A new display name.
    pub display_name: Option<String>,
    /// A new role; it applies to the account's open sessions at their next request.
    pub role: Option<Role>,
    /// A new scope; it applies to the account's open sessions at their next request.
    pub scope: Option<Scope>,
    /// Whether a second factor is required.
    pub mfa_required: Option<bool>,
    /// Disables (ending every session) or enables the account.
    pub disabled: Option<bool>,
}

/// The shortest password accepted, in characters (ASVS 5.0 V6.2.1, NIST SP 800-63B).
pub const MIN_PASSWORD_CHARS: usize = 12;
/// The longest password accepted, in characters.
pub const MAX_PASSWORD_CHARS: usize = 128;

/// Why a password was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("the password must have at least {min} characters")]
    TooShort { min: usize },
    #[error("the password must have at most {max} characters")]
    TooLong { max: usize },
    #[error("this password is among the most common ones; choose another")]
    Common,
    #[error("the password repeats or counts characters (like aaaa or 1234); choose another")]
    Repetitive,
    #[error("the password must not contain the login")]
    ContainsLogin,
}

/// Common passwords of 12 characters or more (shorter ones fail the length rule anyway),
/// compared in lower case: keyboard walks (QWERTY and AZERTY), the word "password" in English
/// and French with digits, years and the service's own name.
const COMMON_PASSWORDS: &[&str] = &[
    "123456789012",
    "1234567890123",
    "12345678901234",
    "123456789123",
    "123123123123",
    "121212121212",
    "112233445566",
    "qwertyuiop12",
    "qwertyuiop123",
    "qwertyuiopasdf",
    "qwerty123456",
    "qwerty123qwerty",
    "qwertyqwerty",
    "azertyuiop12",
    "azertyuiop123",
    "azertyuiopqsdf",
    "azerty123456",
    "azerty123azerty",
    "azertyazerty",
    "1q2w3e4r5t6y",
    "1qaz2wsx3edc",
    "zaq12wsxcde3",
    "1a2z3e4r5t6y",
    "abc123456789",
    "abcd12345678",
    "password1234",
    "password12345",
    "password123!",
    "password2024",
    "password2025",
    "password2026",
    "passwordpassword",
    "p@ssw0rd1234",
    "p@ssword1234",
    "passw0rd1234",
    "motdepasse12",
    "motdepasse123",
    "motdepasse1234",
    "motdepasse2025",
    "motdepasse2026",
    "administrator",
    "administrator1",
    "administrateur",
    "administrateur1",
    "iloveyou1234",
    "jetaime123456",
    "welcome12345",
    "bienvenue123",
    "bienvenue1234",
    "letmein12345",
    "changeme1234",
    "changeme123!",
    "trustno1trustno1",
    "football1234",
    "baseball1234",
    "superman1234",
    "starwars1234",
    "princess1234",
    "sunshine1234",
    "soleil123456",
    "dragon123456",
    "monkey123456",
    "master123456",
    "shadow123456",
    "chocolate123",
    "liverpool123",
    "marseille123",
    "vigie1234567",
    "vigie123456789",
    "vigievigie12",
    "vigievigievigie",
];

/// Checks a new password against the rules; `login` is the account's.
pub fn check_password(password: &str, login: &Login) -> Result<(), PasswordError> {
    let length = password.chars().count();
    if length < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort { min: MIN_PASSWORD_CHARS });
    }
    if length > MAX_PASSWORD_CHARS {
        return Err(PasswordError::TooLong { max: MAX_PASSWORD_CHARS });
    }
    let lowered = password.to_lowercase();
    if COMMON_PASSWORDS.contains(&lowered.as_str()) {
        return Err(PasswordError::Common);
    }
    if is_repetitive(&lowered) {
        return Err(PasswordError::Repetitive);
    }
    if login.as_str().len() >= 3 && lowered.contains(login.as_str()) {
        return Err(PasswordError::ContainsLogin);
    }
    Ok(())
}

/// Tells whether the text is a short pattern repeated (`aaaa`, `abab`, `abcabc`) or a run of
/// consecutive characters going up or down (`123456...`, `zyxw...`).
fn is_repetitive(text: &str) -> bool {
    let characters: Vec<char> = text.chars().collect();
    for period in 1..=3 {
        if characters.len() > period && characters.iter().skip(period).zip(&characters).all(|(a, b)| a == b) {
            return true;
        }
    }
    let steps: Vec<i64> =
        characters.windows(2).map(|pair| i64::from(pair[1] as u32) - i64::from(pair[0] as u32)).collect();
    steps.iter().all(|step| *step == 1) || steps.iter().all(|step| *step == -1)
}

/// The argon2id hasher with OWASP's parameters: 19 MiB, 2 passes, 1 lane (the argon2 crate's
/// defaults, written out so that a change of defaults upstream changes nothing here).
fn hasher() -> Argon2<'static> {
    // The constants are within argon2's limits, so `Params::new` cannot fail; the default is
    // the same parameters in any case.
    let params = Params::new(19_456, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password into an argon2id PHC string with a fresh random salt. CPU-heavy.
pub fn hash_password(password: &str) -> Result<String, AuthError> {
    let hash = hasher().hash_password(password.as_bytes()).map_err(|error| match error {
        argon2::password_hash::Error::RngFailure => AuthError::Random(RandomError),
        other => AuthError::Hash(other.to_string()),
    })?;
    Ok(hash.to_string())
}

/// Checks a password against an argon2id PHC string, with the parameters the string carries.
/// CPU-heavy. A malformed string never matches.
pub fn verify_password(phc: &str, password: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(hash) if hash.algorithm.as_str() == "argon2id" => {
            hasher().verify_password(password.as_bytes(), &hash).is_ok()
        }
        _ => false,
    }
}

fn check_display_name(name: &str) -> Result<(), AuthError> {
    let length = name.chars().count();
    if length == 0 || length > 100 || name.chars().any(char::is_control) || name.trim().is_empty() {
        return Err(AuthError::InvalidDisplayName);
    }
    Ok(())
}

const ACCOUNT_COLUMNS: &str = "login, display_name, role, scope, password_hash, totp_secret, totp_last_step, \
     mfa_required, disabled, failed_logins, locked_until, created";

/// The columns of `ACCOUNT_COLUMNS`, read raw; decoded outside rusqlite's row closure.
struct AccountRow {
    login: String,
    display_name: String,
    role: String,
    scope: String,
    password_hash: String,
    totp_secret: Option<Vec<u8>>,
    totp_last_step: Option<i64>,
    mfa_required: bool,
    disabled: bool,
    failed_logins: i64,
    locked_until: Option<i64>,
    created: i64,
}

fn account_row(row: &Row<'_>) -> rusqlite::Result<AccountRow> {
    Ok(AccountRow {
        login: row.get(0)?,
        display_name: row.get(1)?,
        role: row.get(2)?,
        scope: row.get(3)?,
        password_hash: row.get(4)?,
        totp_secret: row.get(5)?,
        totp_last_step: row.get(6)?,
        mfa_required: row.get(7)?,
        disabled: row.get(8)?,
        failed_logins: row.get(9)?,
        locked_until: row.get(10)?,
        created: row.get(11)?,
    })
}

impl AccountRow {
    fn decode(self) -> Result<Account, AuthError> {
        let what = |field: &str| format!("{field} of account {:?}", self.login);
        let login = Login::parse(&self.login).map_err(|_| AuthError::Corrupt { what: what("login") })?;
        let role = Role::parse(&self.role).map_err(|_| AuthError::Corrupt { what: what("role") })?;
        let scope: Scope = serde_json::from_str(&self.scope).map_err(|_| AuthError::Corrupt { what: what("scope") })?;
        let totp = match self.totp_secret {
            Some(bytes) => Some(TotpSecret::from_bytes(bytes).map_err(|_| AuthError::Corrupt { what: what("totp") })?),
            None => None,
        };
        Ok(Account {
            login,
            display_name: self.display_name,
            role,
            scope,
            password_hash: self.password_hash,
            totp,
            totp_last_step: self.totp_last_step,
            mfa_required: self.mfa_required,
            disabled: self.disabled,
            failed_logins: u32::try_from(self.failed_logins).unwrap_or(u32::MAX),
            locked_until: self.locked_until.map(Timestamp),
            created: Timestamp(self.created),
        })
    }
}

/// Reads one account on an open connection.
pub(crate) fn load_account(connection: &Connection, login: &str) -> Result<Option<Account>, AuthError> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE login = ?1");
    let row = connection.prepare_cached(&sql)?.query_row([login], account_row).optional()?;
    row.map(AccountRow::decode).transpose()
}

fn scope_json(scope: &Scope) -> String {
    // A `Scope` is sets of checked identifiers: serialising it to a string cannot fail.
    serde_json::to_string(scope).unwrap_or_default()
}

/// Counts one failed login for `login`; locks the account when the count reaches the limit.
/// Returns the lock's end if this failure locked it.
pub(crate) fn register_failure(
    connection: &Connection,
    login: &str,
    max_failures: u32,
    lockout_s: i64,
    now: Timestamp,
) -> Result<Option<Timestamp>, AuthError> {
    let failures: i64 = connection.query_row(
        "UPDATE accounts SET failed_logins = failed_logins + 1 WHERE login = ?1 RETURNING failed_logins",
        [login],
        |row| row.get(0),
    )?;
    if failures < i64::from(max_failures.max(1)) {
        return Ok(None);
    }
    let until = now.plus_seconds(lockout_s);
    connection.execute(
        "UPDATE accounts SET failed_logins = 0, locked_until = ?2 WHERE login = ?1",
        params![login, until.0],
    )?;
    Ok(Some(until))
}

impl AuthStore {
    /// Creates an account after checking its display name and password. Blocking and CPU-heavy
    /// (argon2).
    pub fn create_account(&self, account: &NewAccount, password: &str, now: Timestamp) -> Result<Account, AuthError> {
        check_display_name(&account.display_name)?;
        check_password(password, &account.login)?;
        let password_hash = hash_password(password)?;
        let connection = self.connection();
        let inserted = connection.execute(
            "INSERT INTO accounts (login, display_name, role, scope, password_hash, mfa_required, created)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (login) DO NOTHING",
            params![
                account.login.as_str(),
                account.display_name,
                account.role.as_str(),
                scope_json(&account.scope),
                password_hash,
                account.role.is_human(),
                now.0
            ],
        )?;
        if inserted == 0 {
            return Err(AuthError::AccountExists { login: account.login.to_string() });
        }
        load_account(&connection, account.login.as_str())?
            .ok_or_else(|| AuthError::UnknownAccount { login: account.login.to_string() })
    }

    /// Returns the account with this login, if any.
    pub fn account(&self, login: &Login) -> Result<Option<Account>, AuthError> {
        load_account(&self.connection(), login.as_str())
    }

    /// Returns every account, by login.
    pub fn accounts(&self) -> Result<Vec<Account>, AuthError> {
        let connection = self.connection();
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY login");
        let mut statement = connection.prepare(&sql)?;
        let rows = statement.query_map([], account_row)?;
        let mut accounts = Vec::new();
        for row in rows {
            accounts.push(row?.decode()?);
        }
        Ok(accounts)
    }

    /// Applies `update` to an account and returns it. Disabling ends every session.
    pub fn update_account(&self, login: &Login, update: &AccountUpdate) -> Result<Account, AuthError> {
        if let Some(name) = &update.display_name {
            check_display_name(name)?;
        }
        let mut connection = self.connection();
        let transaction = connection.transaction()?;
        let Some(mut account) = load_account(&transaction, login.as_str())? else {
            return Err(AuthError::UnknownAccount { login: login.to_string() });
        };
        if let Some(name) = &update.display_name {
            account.display_name = name.clone();
        }
        if let Some(role) = update.role {
            account.role = role;
        }
        if let Some(scope) = &update.scope {
            account.scope = scope.clone();
        }
        if let Some(required) = update.mfa_required {
            account.mfa_required = required;
        }
        if let Some(disabled) = update.disabled {
            account.disabled = disabled;
        }
        transaction.execute(
            "UPDATE accounts SET display_name = ?2, role = ?3, scope = ?4, mfa_required = ?5, disabled = ?6
             WHERE login = ?1",
            params![
                login.as_str(),
                account.display_name,
                account.role.as_str(),
                scope_json(&account.scope),
                account.mfa_required,
                account.disabled
            ],
        )?;
        if account.disabled {
            transaction.execute("DELETE FROM sessions WHERE login = ?1", [login.as_str()])?;
            transaction.execute("DELETE FROM pending_logins WHERE login = ?1", [login.as_str()])?;
        }
        transaction.commit()?;
        Ok(account)
    }

    /// Sets a new password (an administrator's reset): checks it, clears any lockout and ends
    /// every session of the account. Blocking and CPU-heavy (argon2).
    pub fn set_password(&self, login: &Login, new_password: &str) -> Result<(), AuthError> {
        check_password(new_password, login)?;
        let password_hash = hash_password(new_password)?;
        self.replace_password(login, &password_hash, None)
    }

    /// Changes one's own password: `current` must be right (a wrong one counts as a failed
    /// login). Ends every session of the account except `keep`, the one asking. Blocking and
    /// CPU-heavy (argon2, twice).
    pub fn change_password(
        &self,
        login: &Login,
        current: &str,
        new_password: &str,
        keep: Option<&crate::sessions::SessionId>,
        now: Timestamp,
    ) -> Result<(), AuthError> {
        let Some(account) = self.account(login)? else {
            return Err(AuthError::UnknownAccount { login: login.to_string() });
        };
        if let Some(until) = account.locked_until.filter(|until| *until > now) {
            return Err(AuthError::Locked { until });
        }
        if !verify_password(&account.password_hash, current) {
            let connection = self.connection();
            let locked = register_failure(
                &connection,
                login.as_str(),
                self.config.max_failed_logins,
                self.config.lockout_s,
                now,
            )?;
            return Err(match locked {
                Some(until) => AuthError::Locked { until },
                None => AuthError::BadCredentials,
            });
        }
        check_password(new_password, login)?;
        let password_hash = hash_password(new_password)?;
        self.replace_password(login, &password_hash, keep)
    }

    fn replace_password(
        &self,
        login: &Login,
        password_hash: &str,
        keep: Option<&crate::sessions::SessionId>,
    ) -> Result<(), AuthError> {
        let mut connection = self.connection();
        let transaction = connection.transaction()?;
        let changed = transaction.execute(
            "UPDATE accounts SET password_hash = ?2, failed_logins = 0, locked_until = NULL WHERE login = ?1",
            params![login.as_str(), password_hash],
        )?;
        if changed == 0 {
            return Err(AuthError::UnknownAccount { login: login.to_string() });
        }
        transaction.execute(
            "DELETE FROM sessions WHERE login = ?1 AND id IS NOT ?2",
            params![login.as_str(), keep.map(|id| id.as_str())],
        )?;
        transaction.execute("DELETE FROM pending_logins WHERE login = ?1", [login.as_str()])?;
        transaction.commit()?;
        Ok(())
    }

    /// Forgets the account's TOTP secret (a lost phone): its next login enrols a new one. Ends
    /// every session of the account.
    pub fn reset_totp(&self, login: &Login) -> Result<(), AuthError> {
        let mut connection = self.connection();
        let transaction = connection.transaction()?;
        let changed = transaction.execute(
            "UPDATE accounts SET totp_secret = NULL, totp_last_step = NULL WHERE login = ?1",
            [login.as_str()],
        )?;
        if changed == 0 {
            return Err(AuthError::UnknownAccount { login: login.to_string() });
        }
        transaction.execute("DELETE FROM sessions WHERE login = ?1", [login.as_str()])?;
        transaction.execute("DELETE FROM pending_logins WHERE login = ?1", [login.as_str()])?;
        transaction.commit()?;
        Ok(())
    }

    /// Ends a lockout early and clears the failure count.
    pub fn unlock(&self, login: &Login) -> Result<(), AuthError> {
        let changed = self
            .connection()
            .execute("UPDATE accounts SET failed_logins = 0, locked_until = NULL WHERE login = ?1", [login.as_str()])?;
        if changed == 0 {
            return Err(AuthError::UnknownAccount { login: login.to_string() });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
