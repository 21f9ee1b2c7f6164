//! `vigie user`: operator accounts in `security.db` beside the event log. Passwords are read
//! from standard input, never from the command line (which `ps` and shell history show).

use crate::config::Config;
use anyhow::{Context, anyhow, bail};
use std::io::Read;
use std::path::Path;
use std::process::ExitCode;
use vigie_auth::{AccountUpdate, AuthStore, Login, NewAccount, Role, Scope, ScopeSet};
use vigie_core::{CommuneId, PostId, Timestamp};

/// What `vigie user add` was given.
pub(crate) struct NewUser {
    pub(crate) login: String,
    pub(crate) role: String,
    /// `all` or a comma-separated list of command posts.
    pub(crate) posts: String,
    /// `all` or a comma-separated list of communes (INSEE codes).
    pub(crate) communes: String,
    pub(crate) display_name: Option<String>,
    pub(crate) no_mfa: bool,
}

fn now() -> Timestamp {
    let millis = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis());
    Timestamp(i64::try_from(millis).unwrap_or(i64::MAX))
}

fn open(config_file: Option<&Path>) -> anyhow::Result<AuthStore> {
    let config = Config::load(config_file, std::env::vars())?;
    let data_dir = config.data_dir();
    AuthStore::open(&data_dir, config.auth.clone())
        .with_context(|| format!("cannot open the security database in {}", data_dir.display()))
}

fn parse_set<T: Ord>(text: &str, parse: impl Fn(&str) -> Result<T, String>) -> anyhow::Result<ScopeSet<T>> {
    if text.trim() == "all" {
        return Ok(ScopeSet::All);
    }
    let mut items = Vec::new();
    for item in text.split(',').map(str::trim).filter(|item| !item.is_empty()) {
        items.push(parse(item).map_err(|error| anyhow!("{item:?}: {error}"))?);
    }
    if items.is_empty() {
        bail!("give `all` or a comma-separated list");
    }
    Ok(items.into_iter().collect())
}

/// Reads a password from standard input: the first line, without its line ending.
fn read_password() -> anyhow::Result<String> {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text).context("cannot read the password from standard input")?;
    let password = text.lines().next().unwrap_or("").to_owned();
    if password.is_empty() {
        bail!(
            "no password on standard input (e.g. `read -rs PASSWORD; printf '%s\\n' \"$PASSWORD\" | vigie user add ...`)"
        );
    }
    Ok(password)
}

/// `vigie user add`.
pub(crate) fn add(config_file: Option<&Path>, user: &NewUser) -> anyhow::Result<ExitCode> {
    let login = Login::parse(&user.login).map_err(|error| anyhow!("--login: {error}"))?;
    let role = Role::parse(&user.role).map_err(|error| anyhow!("--role: {error}"))?;
    let posts =
        parse_set(&user.posts, |item| PostId::parse(item).map_err(|error| error.to_string())).context("--posts")?;
    let communes = parse_set(&user.communes, |item| CommuneId::parse(item).map_err(|error| error.to_string()))
        .context("--communes")?;
    let auth = open(config_file)?;
    let password = read_password()?;
    let account = NewAccount {
        login: login.clone(),
        display_name: user.display_name.clone().unwrap_or_else(|| login.to_string()),
        role,
        scope: Scope { posts, communes },
    };
    let created = auth.create_account(&account, &password, now()).map_err(|error| anyhow!("{error}"))?;
    let created = if user.no_mfa && created.mfa_required {
        auth.update_account(&login, &AccountUpdate { mfa_required: Some(false), ..AccountUpdate::default() })?
    } else {
        created
    };
    println!(
        "account {} created: role {}, posts {}, communes {}",
        created.login,
        created.role,
        scope_text(&created.scope.posts),
        scope_text(&created.scope.communes)
    );
    if created.mfa_required {
        println!(
            "second factor: at its first login the console shows a QR code (and the secret as text) to scan with an authenticator app (TOTP, RFC 6238); the first code confirms it."
        );
    } else {
        println!("warning: no second factor for this account (--no-mfa); people should have one");
    }
    Ok(ExitCode::SUCCESS)
}

fn scope_text<T: Ord + std::fmt::Display>(set: &ScopeSet<T>) -> String {
    match set {
        ScopeSet::All => "all".to_owned(),
        ScopeSet::Only(items) => items.iter().map(ToString::to_string).collect::<Vec<_>>().join(","),
    }
}

/// `vigie user list`.
pub(crate) fn list(config_file: Option<&Path>) -> anyhow::Result<ExitCode> {
    let auth = open(config_file)?;
    let now = now();
    println!("{:<20} {:<24} {:<8} {:<9} {:<8} {:<30} communes", "login", "role", "mfa", "disabled", "locked", "posts");
    for account in auth.accounts()? {
        let mfa = match (account.mfa_required, account.totp.is_some()) {
            (true, true) => "on",
            (true, false) => "pending",
            (false, _) => "off",
        };
        println!(
            "{:<20} {:<24} {:<8} {:<9} {:<8} {:<30} {}",
            account.login.as_str(),
            account.role.as_str(),
            mfa,
            if account.disabled { "yes" } else { "no" },
            if account.is_locked(now) { "yes" } else { "no" },
            scope_text(&account.scope.posts),
            scope_text(&account.scope.communes)
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_login(text: &str) -> anyhow::Result<Login> {
    Login::parse(text).map_err(|error| anyhow!("{text:?}: {error}"))
}

/// `vigie user unlock LOGIN`.
pub(crate) fn unlock(config_file: Option<&Path>, login: &str) -> anyhow::Result<ExitCode> {
    let login = parse_login(login)?;
    open(config_file)?.unlock(&login).map_err(|error| anyhow!("{error}"))?;
    println!("account {login} unlocked");
    Ok(ExitCode::SUCCESS)
}

/// `vigie user reset-totp LOGIN`.
pub(crate) fn reset_totp(config_file: Option<&Path>, login: &str) -> anyhow::Result<ExitCode> {
    let login = parse_login(login)?;
    open(config_file)?.reset_totp(&login).map_err(|error| anyhow!("{error}"))?;
    println!("second factor of {login} forgotten: its next login enrols a new one; its sessions ended");
    Ok(ExitCode::SUCCESS)
}
