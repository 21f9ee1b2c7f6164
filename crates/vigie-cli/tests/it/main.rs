//! The `vigie` binary as a user runs it: city check, log verify and replay, and the crash test
//! (SIGKILL during acknowledged ingest, then restart and verify).

mod cli;
mod crash;
mod rules;
mod security;
mod vision;

use std::path::PathBuf;

pub(crate) fn vigie() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_vigie"))
}

pub(crate) fn demo_pack() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../cities/demo-metropole")
}

/// The password of the accounts the tests create.
pub(crate) const PASSWORD: &str = "correct horse battery staple";

/// Creates an account with `vigie user add` in the security database beside `store`, the
/// password on standard input; returns the command's output.
pub(crate) fn add_user(store: &std::path::Path, login: &str, role: &str, extra: &[&str]) -> std::process::Output {
    use std::io::Write;
    let mut child = vigie()
        .args(["user", "add", "--login", login, "--role", role])
        .args(extra)
        .env("VIGIE_STORE__PATH", store)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(format!("{PASSWORD}\n").as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

/// Signs in to a running server; returns the session token (for `Authorization: Bearer`).
pub(crate) fn login(base: &str, login: &str) -> String {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut response = agent
        .post(&format!("{base}/api/auth/login"))
        .send_json(serde_json::json!({ "login": login, "password": PASSWORD }))
        .unwrap();
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(|cookie| cookie.strip_prefix("vigie_session="))
        .map(|rest| rest.split(';').next().unwrap_or("").to_owned());
    let body: serde_json::Value = response.body_mut().read_json().unwrap_or_default();
    cookie.unwrap_or_else(|| panic!("{login} did not sign in: {body}"))
}

pub(crate) fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vigie-cli-it-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
