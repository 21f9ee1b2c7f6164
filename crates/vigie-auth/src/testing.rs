//! Helpers for the unit tests: fresh folders and fixed instants.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use vigie_core::Timestamp;

static NEXT_DIR: AtomicU32 = AtomicU32::new(0);

/// Returns a new, empty folder under the system's temporary folder.
pub(crate) fn fresh_dir(name: &str) -> PathBuf {
    let number = NEXT_DIR.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("vigie-auth-{name}-{}-{number}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("the temporary folder is writable");
    dir
}

/// 2026-11-26T08:30:00Z, the instant the tests start from.
pub(crate) const T0: Timestamp = Timestamp(1_795_681_800_000);
