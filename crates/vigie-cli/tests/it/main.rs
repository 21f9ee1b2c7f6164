//! The `vigie` binary as a user runs it: city check, log verify and replay, and the crash test
//! (SIGKILL during acknowledged ingest, then restart and verify).

mod cli;
mod crash;
mod rules;

use std::path::PathBuf;

pub(crate) fn vigie() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_vigie"))
}

pub(crate) fn demo_pack() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../cities/demo-metropole")
}

pub(crate) fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vigie-cli-it-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
