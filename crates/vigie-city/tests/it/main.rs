//! Integration tests of the city pack: the demo pack loads and answers sensibly, and broken
//! packs are explained file by file, line by line.

mod broken;
mod demo;

use std::path::{Path, PathBuf};
use vigie_city::{City, CityErrors};

/// A pack written to a fresh folder under the system's temporary folder, removed on drop.
pub(crate) struct TempPack {
    pub(crate) dir: PathBuf,
}

impl TempPack {
    /// Writes `files` (path relative to the pack, content) into a new folder named after `name`.
    pub(crate) fn new(name: &str, files: &[(&str, String)]) -> TempPack {
        let dir = std::env::temp_dir().join(format!("vigie-city-test-{}-{name}", std::process::id()));
        // A leftover from an earlier run with the same process id: start afresh.
        let _ = std::fs::remove_dir_all(&dir);
        for (path, content) in files {
            let path = dir.join(path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).expect("the temporary folder is writable");
            }
            std::fs::write(&path, content).expect("the temporary folder is writable");
        }
        TempPack { dir }
    }

    pub(crate) fn load(&self) -> Result<City, CityErrors> {
        vigie_city::load(&self.dir)
    }
}

impl Drop for TempPack {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The demo pack of the repository.
pub(crate) fn demo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../cities/demo-metropole")
}
