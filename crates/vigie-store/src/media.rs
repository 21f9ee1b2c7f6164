//! The media store: redacted evidence snapshots from video analytics, each with its data class
//! and the date its retention ends.
//!
//! Retention is enforced twice. Reads never return an item past its expiry unless something
//! keeps it (an open incident, a legal hold): the purge job records the keeper in `kept_by`.
//! The purge job deletes what has expired and is not kept, with SQLite's `secure_delete` so
//! that the bytes are overwritten, and returns what it deleted for the purge register.
//!
//! Images arrive already redacted (faces and heads blurred by the vision worker); nothing here
//! decodes or analyses them.

use crate::StoreError;
use rusqlite::{Connection, OptionalExtension, params};
use std::path::Path;
use std::sync::Mutex;
use vigie_core::Timestamp;

/// The data class of video-derived snapshots and clips (CSI L252-5: kept at most one month).
pub const VIDEO_DERIVED: &str = "video_derived";

/// The largest snapshot accepted, in bytes.
pub const MAX_SNAPSHOT_BYTES: usize = 2 * 1024 * 1024;

/// What the store knows of one snapshot.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SnapshotMeta {
    pub id: String,
    pub camera: String,
    /// The analytic's sensor the snapshot is evidence for.
    pub sensor: Option<String>,
    /// When the frame was taken.
    pub taken_at: Timestamp,
    pub stored_at: Timestamp,
    pub data_class: String,
    /// When retention ends; after this only a keeper (`kept_by`) lets it be read.
    pub expires_at: Timestamp,
    /// What keeps it past its expiry (`incident:…`, `hold:…`), set by the purge job.
    pub kept_by: Option<String>,
    pub bytes: u64,
}

/// A snapshot to store.
#[derive(Debug, Clone)]
pub struct NewSnapshot<'a> {
    pub camera: &'a str,
    pub sensor: Option<&'a str>,
    pub taken_at: Timestamp,
    pub data_class: &'a str,
    /// How long it may be kept, in milliseconds.
    pub retention_ms: i64,
    pub jpeg: &'a [u8],
}

/// The media store on SQLite (its own file, apart from the event log, because it must be
/// purged while the log is append-only).
pub struct MediaStore {
    connection: Mutex<Connection>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS snapshots (
    id TEXT PRIMARY KEY,
    camera TEXT NOT NULL,
    sensor TEXT,
    taken_at INTEGER NOT NULL,
    stored_at INTEGER NOT NULL,
    data_class TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    kept_by TEXT,
    jpeg BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS snapshots_by_sensor ON snapshots (sensor, taken_at);
CREATE INDEX IF NOT EXISTS snapshots_by_expiry ON snapshots (expires_at);
";

const COLUMNS: &str = "id, camera, sensor, taken_at, stored_at, data_class, expires_at, kept_by, length(jpeg)";

fn meta_of(row: &rusqlite::Row<'_>) -> rusqlite::Result<SnapshotMeta> {
    Ok(SnapshotMeta {
        id: row.get(0)?,
        camera: row.get(1)?,
        sensor: row.get(2)?,
        taken_at: Timestamp(row.get(3)?),
        stored_at: Timestamp(row.get(4)?),
        data_class: row.get(5)?,
        expires_at: Timestamp(row.get(6)?),
        kept_by: row.get(7)?,
        bytes: row.get(8)?,
    })
}

impl MediaStore {
    /// Opens (or creates) the store at `path`.
    pub fn open(path: &Path) -> Result<MediaStore, StoreError> {
        let connection = Connection::open(path)?;
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "FULL")?;
        // Deleted evidence is overwritten, not just unlinked from the b-tree.
        connection.pragma_update(None, "secure_delete", "ON")?;
        connection.execute_batch(SCHEMA)?;
        Ok(MediaStore { connection: Mutex::new(connection) })
    }

    fn connection(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A poisoned lock only means another thread panicked mid-call; SQLite's own transaction
        // kept the file consistent, so the connection is still usable.
        self.connection.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Stores a snapshot received at `now` and returns what the store keeps of it.
    pub fn put(&self, snapshot: &NewSnapshot<'_>, now: Timestamp) -> Result<SnapshotMeta, StoreError> {
        if snapshot.jpeg.len() > MAX_SNAPSHOT_BYTES {
            return Err(StoreError::Other(format!(
                "a snapshot holds at most {MAX_SNAPSHOT_BYTES} bytes, this one has {}",
                snapshot.jpeg.len()
            )));
        }
        let id = new_id(now)?;
        let expires_at = Timestamp(snapshot.taken_at.0.min(now.0).saturating_add(snapshot.retention_ms.max(0)));
        self.connection().execute(
            "INSERT INTO snapshots (id, camera, sensor, taken_at, stored_at, data_class, expires_at, kept_by, jpeg)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, ?8)",
            params![
                id,
                snapshot.camera,
                snapshot.sensor,
                snapshot.taken_at.0,
                now.0,
                snapshot.data_class,
                expires_at.0,
                snapshot.jpeg
            ],
        )?;
        Ok(SnapshotMeta {
            id,
            camera: snapshot.camera.to_owned(),
            sensor: snapshot.sensor.map(str::to_owned),
            taken_at: snapshot.taken_at,
            stored_at: now,
            data_class: snapshot.data_class.to_owned(),
            expires_at,
            kept_by: None,
            bytes: snapshot.jpeg.len() as u64,
        })
    }

    /// Returns the snapshot and its image, or `None` when it does not exist or its retention
    /// has ended at `now` and nothing keeps it.
    pub fn get(&self, id: &str, now: Timestamp) -> Result<Option<(SnapshotMeta, Vec<u8>)>, StoreError> {
        let connection = self.connection();
        let found = connection
            .query_row(
                &format!(
                    "SELECT {COLUMNS}, jpeg FROM snapshots WHERE id = ?1 AND (expires_at > ?2 OR kept_by IS NOT NULL)"
                ),
                params![id, now.0],
                |row| Ok((meta_of(row)?, row.get::<_, Vec<u8>>(9)?)),
            )
            .optional()?;
        Ok(found)
    }

    /// Lists the readable snapshots of `sensor` (or of every sensor) taken in `[since, until)`,
    /// newest first, at most `limit`.
    pub fn list(
        &self,
        sensor: Option<&str>,
        since: Timestamp,
        until: Timestamp,
        limit: u32,
        now: Timestamp,
    ) -> Result<Vec<SnapshotMeta>, StoreError> {
        let connection = self.connection();
        let mut statement = connection.prepare(&format!(
            "SELECT {COLUMNS} FROM snapshots
             WHERE (?1 IS NULL OR sensor = ?1) AND taken_at >= ?2 AND taken_at < ?3
               AND (expires_at > ?4 OR kept_by IS NOT NULL)
             ORDER BY taken_at DESC LIMIT ?5"
        ))?;
        let rows = statement.query_map(params![sensor, since.0, until.0, now.0, limit], meta_of)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// The purge job: for every snapshot whose retention has ended at `now`, asks `keeper`
    /// whether something keeps it (`Some("incident:…")`); kept ones are marked, the others are
    /// deleted (bytes overwritten) and returned for the purge register. A snapshot kept earlier
    /// whose keeper has gone is deleted at the next run.
    pub fn purge(
        &self,
        now: Timestamp,
        keeper: &mut dyn FnMut(&SnapshotMeta) -> Option<String>,
    ) -> Result<Vec<SnapshotMeta>, StoreError> {
        let mut connection = self.connection();
        let transaction = connection.transaction()?;
        let expired: Vec<SnapshotMeta> = {
            let mut statement =
                transaction.prepare(&format!("SELECT {COLUMNS} FROM snapshots WHERE expires_at <= ?1 ORDER BY id"))?;
            let rows = statement.query_map(params![now.0], meta_of)?;
            rows.collect::<Result<Vec<_>, _>>()?
        };
        let mut purged = Vec::new();
        for meta in expired {
            match keeper(&meta) {
                Some(reason) => {
                    transaction.execute("UPDATE snapshots SET kept_by = ?2 WHERE id = ?1", params![meta.id, reason])?;
                }
                None => {
                    transaction.execute("DELETE FROM snapshots WHERE id = ?1", params![meta.id])?;
                    purged.push(meta);
                }
            }
        }
        transaction.commit()?;
        Ok(purged)
    }

    /// Counts the snapshots stored, readable or not.
    pub fn count(&self) -> Result<u64, StoreError> {
        Ok(self.connection().query_row("SELECT count(*) FROM snapshots", [], |row| row.get(0))?)
    }
}

/// Returns a new unguessable id: the time in hexadecimal, then 64 random bits.
fn new_id(now: Timestamp) -> Result<String, StoreError> {
    let mut random = [0u8; 8];
    getrandom::fill(&mut random).map_err(|error| StoreError::Other(format!("no randomness for an id: {error}")))?;
    Ok(format!("{:x}-{:016x}", now.0.max(0), u64::from_le_bytes(random)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY_MS: i64 = 24 * 3600 * 1000;

    fn store() -> (tempdir::Dir, MediaStore) {
        let dir = tempdir::Dir::new();
        let store = MediaStore::open(&dir.path().join("media.db")).unwrap();
        (dir, store)
    }

    fn snapshot(sensor: &str, taken_at: i64) -> NewSnapshot<'static> {
        NewSnapshot {
            camera: "cam-1",
            sensor: Some(if sensor == "a" { "cam-1.parvis.density" } else { "cam-1.quai.intrusion" }),
            taken_at: Timestamp(taken_at),
            data_class: VIDEO_DERIVED,
            retention_ms: 30 * DAY_MS,
            jpeg: b"\xff\xd8 redacted \xff\xd9",
        }
    }

    #[test]
    fn nothing_expired_is_readable_and_the_purge_deletes_what_nothing_keeps() {
        let (_dir, store) = store();
        let start = Timestamp(1_780_000_000_000);
        let kept = store.put(&snapshot("a", start.0), start).unwrap();
        let gone = store.put(&snapshot("b", start.0), start).unwrap();
        assert!(store.get(&gone.id, Timestamp(start.0 + 29 * DAY_MS)).unwrap().is_some());
        let later = Timestamp(start.0 + 31 * DAY_MS);
        // Before the purge runs, expiry alone hides both.
        assert!(store.get(&kept.id, later).unwrap().is_none());
        assert!(store.list(None, Timestamp(0), Timestamp(i64::MAX), 10, later).unwrap().is_empty());
        let purged = store
            .purge(later, &mut |meta| {
                meta.sensor.as_deref().filter(|s| s.ends_with("density")).map(|_| "incident:X".into())
            })
            .unwrap();
        assert_eq!(purged.iter().map(|meta| meta.id.as_str()).collect::<Vec<_>>(), vec![gone.id.as_str()]);
        assert!(store.get(&gone.id, later).unwrap().is_none());
        let (meta, jpeg) = store.get(&kept.id, later).unwrap().unwrap();
        assert_eq!(meta.kept_by.as_deref(), Some("incident:X"));
        assert_eq!(jpeg, b"\xff\xd8 redacted \xff\xd9");
        assert_eq!(store.count().unwrap(), 1);
        // The incident is closed: the next run deletes it.
        let purged = store.purge(Timestamp(later.0 + 1), &mut |_| None).unwrap();
        assert_eq!(purged.len(), 1);
        assert_eq!(store.count().unwrap(), 0);
    }

    #[test]
    fn list_filters_by_sensor_and_time_and_oversized_images_are_refused() {
        let (_dir, store) = store();
        let now = Timestamp(1_780_000_000_000);
        for minute in 0..5 {
            store.put(&snapshot("a", now.0 - minute * 60_000), now).unwrap();
        }
        store.put(&snapshot("b", now.0), now).unwrap();
        let recent = store.list(Some("cam-1.parvis.density"), Timestamp(now.0 - 150_000), now, 10, now).unwrap();
        assert_eq!(recent.len(), 2, "{recent:?}");
        assert!(recent[0].taken_at >= recent[1].taken_at);
        let big = vec![0u8; MAX_SNAPSHOT_BYTES + 1];
        let refused = store.put(&NewSnapshot { jpeg: &big, ..snapshot("a", now.0) }, now);
        assert!(refused.is_err());
    }

    /// A temporary folder removed on drop (the store's tests need a real file for WAL).
    mod tempdir {
        use std::path::{Path, PathBuf};
        use std::sync::atomic::{AtomicU32, Ordering};

        pub(super) struct Dir(PathBuf);

        impl Dir {
            pub(super) fn new() -> Dir {
                static NEXT: AtomicU32 = AtomicU32::new(0);
                let path = std::env::temp_dir().join(format!(
                    "vigie-media-{}-{}",
                    std::process::id(),
                    NEXT.fetch_add(1, Ordering::Relaxed)
                ));
                std::fs::create_dir_all(&path).unwrap();
                Dir(path)
            }

            pub(super) fn path(&self) -> &Path {
                &self.0
            }
        }

        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }
}
