//! The audit log: an append-only, hash-chained record of who did what, in its own SQLite file
//! `<data_dir>/audit.db`, with signed checkpoints.
//!
//! # The chain
//!
//! Entry `seq` (1, 2, 3... without gaps) holds `time`, `actor`, `action`, `target`, `outcome`,
//! `detail` (JSON text), `prev_hash` (the previous entry's `hash`; 32 zero bytes for entry 1)
//! and `hash = SHA-256(canonical bytes)`. The canonical bytes are the eight fields in this
//! order, each written as its length in bytes (4 bytes, big-endian) followed by its bytes:
//!
//! | field | bytes |
//! | --- | --- |
//! | `seq` | 8, unsigned big-endian |
//! | `time` | 8, signed big-endian, milliseconds since the Unix epoch |
//! | `actor`, `action`, `target` | UTF-8 text |
//! | `outcome` | UTF-8 text: `allowed`, `denied` or `failed` |
//! | `detail` | UTF-8 text, the JSON exactly as stored |
//! | `prev_hash` | 32 |
//!
//! Changing any field of any entry changes its hash, which then matches neither the stored one
//! nor the next entry's `prev_hash`.
//!
//! # Checkpoints
//!
//! Every `checkpoint_every` entries (1000 by default), and whenever `AuditLog::checkpoint` is
//! called, a checkpoint `{seq, time, hash, signature}` records the chain's head, signed with
//! Ed25519 (RFC 8032) over the length-prefixed fields of the text `vigie-audit-checkpoint-v1`,
//! `seq` (8 bytes), `time` (8 bytes) and `hash`. Whoever rewrites the chain from some entry
//! onwards, recomputing every hash, is caught by the first checkpoint after that entry unless
//! they hold the signing key. The key is a 32-byte seed in a file created with mode 0600;
//! keep it off the data volume where possible, and give verifiers the public key
//! (`AuditLog::public_key`). Entries after the last checkpoint are protected by the chain only:
//! an attacker with write access can cut or extend that tail unseen, so take a checkpoint
//! before an export, at shutdown, and copy checkpoints elsewhere (a printout, another system)
//! when the stakes call for it.
//!
//! # Append-only
//!
//! SQLite triggers abort any `UPDATE` or `DELETE` of entries, checkpoints and the purge
//! register. They stop mistakes and the program itself, not someone who opens the file
//! directly and drops them: that is what `verify` is for. It reads the raw rows in the order
//! they were stored and reports the first problem (`Tamper`), with counts of what it checked.

use crate::secret::{RandomError, from_hex, random_bytes, sha256, to_hex};
use crate::store::{MigrationError, apply_migrations, create_private_file};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use vigie_core::Timestamp;

/// The file name of the audit database inside the data folder.
pub const AUDIT_DB: &str = "audit.db";
/// The file name of the checkpoint signing key inside the data folder, when no other path is
/// configured.
pub const AUDIT_KEY_FILE: &str = "audit-signing.key";
/// The `prev_hash` of entry 1.
pub const GENESIS_HASH: [u8; 32] = [0; 32];
/// The longest `detail` accepted, in bytes of JSON text.
pub const MAX_DETAIL_BYTES: usize = 64 * 1024;
/// The longest `actor`, `action` or `target` accepted, in bytes.
pub const MAX_FIELD_BYTES: usize = 1024;
/// The most entries `read` returns at once.
pub const MAX_READ: usize = 10_000;

const CHECKPOINT_DOMAIN: &[u8] = b"vigie-audit-checkpoint-v1";

/// The audit log's settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// A checkpoint is signed automatically after every this many entries (0: never).
    pub checkpoint_every: u64,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig { checkpoint_every: 1000 }
    }
}

/// How an audited action ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// It was permitted and done.
    Allowed,
    /// The authorisation table or the scope refused it.
    Denied,
    /// It was permitted but failed (a wrong password, a rejected command, an error).
    Failed,
}

impl Outcome {
    /// Returns the outcome's name: `allowed`, `denied` or `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allowed => "allowed",
            Outcome::Denied => "denied",
            Outcome::Failed => "failed",
        }
    }

    /// Reads an outcome's name.
    pub fn parse(text: &str) -> Option<Outcome> {
        [Outcome::Allowed, Outcome::Denied, Outcome::Failed].into_iter().find(|outcome| outcome.as_str() == text)
    }
}

/// An entry to append; the log gives it its `seq` and hashes.
#[derive(Clone, Debug, PartialEq)]
pub struct NewAuditEntry {
    /// When it happened.
    pub time: Timestamp,
    /// Who did it: a login, `system:<part>` for the program itself, or `anonymous`.
    pub actor: String,
    /// What was done: a `policy::Action` name or an event such as `login`, `logout`,
    /// `incident.acknowledge`, `account.create`.
    pub action: String,
    /// What it was done to (`incident:42`, `account:alice`), or empty.
    pub target: String,
    /// How it ended.
    pub outcome: Outcome,
    /// Details as JSON (stored compact, exactly as hashed). Never put secrets or images here.
    pub detail: serde_json::Value,
}

/// One stored entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    /// Its place in the chain, from 1.
    pub seq: u64,
    /// When it happened.
    pub time: Timestamp,
    /// Who did it.
    pub actor: String,
    /// What was done.
    pub action: String,
    /// What it was done to.
    pub target: String,
    /// How it ended.
    pub outcome: Outcome,
    /// The JSON text of the details, exactly as hashed.
    pub detail: String,
    /// The previous entry's hash.
    pub prev_hash: [u8; 32],
    /// This entry's hash.
    pub hash: [u8; 32],
}

/// A signed record of the chain's head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The last entry covered (0 for an empty log).
    pub seq: u64,
    /// When it was signed.
    pub time: Timestamp,
    /// The hash of entry `seq` (`GENESIS_HASH` for an empty log).
    pub hash: [u8; 32],
    /// The Ed25519 signature of (`seq`, `time`, `hash`).
    pub signature: [u8; 64],
}

/// The public half of the checkpoint signing key, for verifiers; written as 64 hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AuditPublicKey(pub [u8; 32]);

impl AuditPublicKey {
    /// Reads 64 hex digits.
    pub fn from_hex(text: &str) -> Result<AuditPublicKey, AuditError> {
        from_hex::<32>(text.trim()).map(AuditPublicKey).ok_or(AuditError::BadPublicKey)
    }

    /// Returns the key as 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        to_hex(&self.0)
    }
}

impl fmt::Debug for AuditPublicKey {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "AuditPublicKey({})", self.to_hex())
    }
}

impl fmt::Display for AuditPublicKey {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.to_hex())
    }
}

/// Which entries `read` and `export_jsonl` return; every condition set must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only this actor's entries.
    pub actor: Option<String>,
    /// Only entries with this action.
    pub action: Option<String>,
    /// Only entries at or after this time.
    pub from: Option<Timestamp>,
    /// Only entries before this time.
    pub until: Option<Timestamp>,
}

/// The first problem `verify` found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Tamper {
    /// The entry's fields no longer hash to its stored hash: one of them was changed.
    Modified { seq: u64 },
    /// Entries `after_seq + 1 ..= after_seq + missing` are gone.
    Deleted { after_seq: u64, missing: u64 },
    /// A second entry numbered `seq` (or one numbered below 1) appears: it was forged in.
    Inserted { seq: u64 },
    /// The entry numbered `seq` is stored later than where it belongs: entries were moved.
    Reordered { seq: u64 },
    /// Entry `seq` is whole and in its place, but its `prev_hash` is not the previous entry's
    /// hash: the previous entry was rewritten with a recomputed hash, or this one was forged.
    Unchained { seq: u64 },
    /// A checkpoint for `seq` has a bad signature or does not match entry `seq`'s hash.
    BadCheckpoint { seq: u64 },
    /// A validly signed checkpoint covers `last_checkpoint_seq`, beyond the last entry: the
    /// tail of the log was cut.
    Truncated { last_checkpoint_seq: u64 },
}

impl fmt::Display for Tamper {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tamper::Modified { seq } => write!(formatter, "entry {seq} was modified"),
            Tamper::Deleted { after_seq, missing } => {
                write!(formatter, "{missing} entries after entry {after_seq} were deleted")
            }
            Tamper::Inserted { seq } => write!(formatter, "a forged entry {seq} was inserted"),
            Tamper::Reordered { seq } => write!(formatter, "entries were reordered from entry {seq}"),
            Tamper::Unchained { seq } => {
                write!(formatter, "entry {seq} does not chain onto entry {}", seq.saturating_sub(1))
            }
            Tamper::BadCheckpoint { seq } => write!(formatter, "the checkpoint of entry {seq} is forged or altered"),
            Tamper::Truncated { last_checkpoint_seq } => {
                write!(formatter, "the log was truncated before entry {last_checkpoint_seq}, which a checkpoint covers")
            }
        }
    }
}

/// What `verify` found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Entries checked and found sound, up to the first problem.
    pub entries_verified: u64,
    /// Checkpoints whose signature and hash were found sound, up to the first problem.
    pub checkpoints_verified: u64,
    /// The last sound checkpoint's `seq`, if any.
    pub last_checkpoint_seq: Option<u64>,
    /// Sound entries after the last sound checkpoint: protected by the chain only.
    pub unsigned_tail: u64,
    /// The first problem, or `None` if the log is intact.
    pub problem: Option<Tamper>,
}

impl VerifyReport {
    /// Tells whether no problem was found.
    pub fn is_clean(&self) -> bool {
        self.problem.is_none()
    }
}

/// Why an operation on the audit log failed.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("audit database error")]
    Storage(#[from] rusqlite::Error),
    #[error("cannot use {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the audit database has schema version {found}, newer than this program's {supported}")]
    SchemaTooNew { found: i64, supported: i64 },
    #[error("the signing key file {path} {problem}")]
    KeyFile { path: PathBuf, problem: &'static str },
    #[error("the public key must be 64 hex digits of a valid Ed25519 key")]
    BadPublicKey,
    #[error(transparent)]
    Random(#[from] RandomError),
    #[error("the audit entry's {field} is longer than {max} bytes")]
    TooLarge { field: &'static str, max: usize },
    #[error("stored audit entry {seq} cannot be read")]
    Corrupt { seq: i64 },
    #[error("cannot write the export")]
    Export(#[source] std::io::Error),
}

fn migration_error(error: MigrationError) -> AuditError {
    match error {
        MigrationError::Sqlite(error) => AuditError::Storage(error),
        MigrationError::TooNew { found, supported } => AuditError::SchemaTooNew { found, supported },
    }
}

/// The audit database's schema, one script per version (see `store` for the scheme).
const MIGRATIONS: &[&str] = &["
CREATE TABLE audit_entries (
    id        INTEGER PRIMARY KEY,
    seq       INTEGER NOT NULL,
    time      INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    target    TEXT NOT NULL,
    outcome   TEXT NOT NULL,
    detail    TEXT NOT NULL,
    prev_hash BLOB NOT NULL,
    hash      BLOB NOT NULL
);
CREATE UNIQUE INDEX audit_entries_by_seq ON audit_entries(seq);
CREATE INDEX audit_entries_by_actor ON audit_entries(actor, seq);
CREATE INDEX audit_entries_by_time ON audit_entries(time);
CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TABLE audit_checkpoints (
    id        INTEGER PRIMARY KEY,
    seq       INTEGER NOT NULL,
    time      INTEGER NOT NULL,
    hash      BLOB NOT NULL,
    signature BLOB NOT NULL
);
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
    BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
    BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
CREATE TABLE purge_register (
    id          INTEGER PRIMARY KEY,
    time        INTEGER NOT NULL,
    data_class  TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    reason      TEXT NOT NULL,
    kept_by     TEXT
);
CREATE INDEX purge_register_by_time ON purge_register(time);
CREATE TRIGGER purge_register_no_update BEFORE UPDATE ON purge_register
    BEGIN SELECT RAISE(ABORT, 'the purge register is append-only'); END;
CREATE TRIGGER purge_register_no_delete BEFORE DELETE ON purge_register
    BEGIN SELECT RAISE(ABORT, 'the purge register is append-only'); END;
"];

fn push_field(bytes: &mut Vec<u8>, field: &[u8]) {
    // Fields are capped far below 4 GiB (`MAX_DETAIL_BYTES`); a longer one read back from a
    // tampered file is cut to length u32::MAX in the prefix, which still cannot collide with
    // an honest entry since its hash would then be checked against the stored one.
    let length = u32::try_from(field.len()).unwrap_or(u32::MAX);
    bytes.extend_from_slice(&length.to_be_bytes());
    bytes.extend_from_slice(field);
}

/// The fields of an entry that its hash covers, borrowed.
#[derive(Clone, Copy, Debug)]
pub struct EntryFields<'a> {
    /// Its place in the chain.
    pub seq: u64,
    /// Milliseconds since the epoch.
    pub time: i64,
    /// Who.
    pub actor: &'a [u8],
    /// What.
    pub action: &'a [u8],
    /// On what.
    pub target: &'a [u8],
    /// `allowed`, `denied` or `failed`.
    pub outcome: &'a [u8],
    /// The JSON text.
    pub detail: &'a [u8],
    /// The previous entry's hash.
    pub prev_hash: &'a [u8],
}

/// Computes an entry's hash from its fields, as described in the module doc.
pub fn entry_hash(fields: &EntryFields<'_>) -> [u8; 32] {
    let mut bytes = Vec::with_capacity(
        8 * 4
            + 16
            + fields.actor.len()
            + fields.action.len()
            + fields.target.len()
            + fields.outcome.len()
            + fields.detail.len()
            + fields.prev_hash.len(),
    );
    push_field(&mut bytes, &fields.seq.to_be_bytes());
    push_field(&mut bytes, &fields.time.to_be_bytes());
    push_field(&mut bytes, fields.actor);
    push_field(&mut bytes, fields.action);
    push_field(&mut bytes, fields.target);
    push_field(&mut bytes, fields.outcome);
    push_field(&mut bytes, fields.detail);
    push_field(&mut bytes, fields.prev_hash);
    sha256(&bytes)
}

/// The bytes a checkpoint's signature covers.
fn checkpoint_message(seq: u64, time: i64, hash: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(CHECKPOINT_DOMAIN.len() + 4 * 4 + 16 + hash.len());
    push_field(&mut bytes, CHECKPOINT_DOMAIN);
    push_field(&mut bytes, &seq.to_be_bytes());
    push_field(&mut bytes, &time.to_be_bytes());
    push_field(&mut bytes, hash);
    bytes
}

/// Reads the signing key's 32-byte seed from `path`, or creates one (mode 0600) if the file
/// does not exist. Refuses a file of another size, or one that others may read.
fn load_or_create_signing_key(path: &Path) -> Result<SigningKey, AuditError> {
    let io_error = |source| AuditError::Io { path: path.to_path_buf(), source };
    match std::fs::read(path) {
        Ok(bytes) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(path).map_err(io_error)?.permissions().mode();
                if mode & 0o077 != 0 {
                    return Err(AuditError::KeyFile {
                        path: path.to_path_buf(),
                        problem: "may be read by others: make it readable by its owner only (chmod 600)",
                    });
                }
            }
            let seed: [u8; 32] = bytes
                .as_slice()
                .try_into()
                .map_err(|_| AuditError::KeyFile { path: path.to_path_buf(), problem: "must hold exactly 32 bytes" })?;
            Ok(SigningKey::from_bytes(&seed))
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(io_error)?;
            }
            let seed = random_bytes::<32>()?;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            match options.open(path) {
                Ok(mut file) => {
                    file.write_all(&seed).map_err(io_error)?;
                    file.sync_all().map_err(io_error)?;
                    Ok(SigningKey::from_bytes(&seed))
                }
                // Another process created it meanwhile: use theirs.
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => load_or_create_signing_key(path),
                Err(error) => Err(io_error(error)),
            }
        }
        Err(error) => Err(io_error(error)),
    }
}

/// Returns the public key of the signing key file at `path` (for `vigie audit public-key`),
/// creating the key if it does not exist.
pub fn public_key_of(path: &Path) -> Result<AuditPublicKey, AuditError> {
    Ok(AuditPublicKey(load_or_create_signing_key(path)?.verifying_key().to_bytes()))
}

/// The writer's side: the connection and the chain's head.
struct Writer {
    connection: Connection,
    last_seq: u64,
    last_hash: [u8; 32],
}

/// The audit log in `<data_dir>/audit.db`. `Send` and `Sync`; every method blocks (each
/// append is a durable commit), so call it from a blocking pool.
pub struct AuditLog {
    path: PathBuf,
    /// A second connection for reads and exports, so that a long export never holds up appends.
    /// Declared before `writer` so that it closes first: the last connection to close folds
    /// the write-ahead log into the database file, which a read-only one cannot do.
    reader: Mutex<Connection>,
    writer: Mutex<Writer>,
    signing_key: SigningKey,
    config: AuditConfig,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while the lock was held leaves no half-done write (uncommitted transactions roll
    // back when dropped, and the head is updated only after a commit), so take it over.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl AuditLog {
    /// Opens (creating if needed) `<data_dir>/audit.db`, with the signing key in
    /// `<data_dir>/audit-signing.key`.
    pub fn open(data_dir: &Path, config: AuditConfig) -> Result<AuditLog, AuditError> {
        AuditLog::open_files(&data_dir.join(AUDIT_DB), &data_dir.join(AUDIT_KEY_FILE), config)
    }

    /// Opens (creating if needed) the audit database at `path`, with the signing key at
    /// `key_path` (created, mode 0600, if absent).
    pub fn open_files(path: &Path, key_path: &Path, config: AuditConfig) -> Result<AuditLog, AuditError> {
        let signing_key = load_or_create_signing_key(key_path)?;
        create_private_file(path).map_err(|source| AuditError::Io { path: path.to_path_buf(), source })?;
        let mut connection = Connection::open(path)?;
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "FULL")?;
        connection.busy_timeout(std::time::Duration::from_secs(10))?;
        apply_migrations(&mut connection, MIGRATIONS).map_err(migration_error)?;
        let head: Option<(i64, Vec<u8>)> = connection
            .query_row("SELECT seq, hash FROM audit_entries ORDER BY id DESC LIMIT 1", [], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .optional()?;
        let (last_seq, last_hash) = match head {
            None => (0, GENESIS_HASH),
            Some((seq, hash)) => {
                let last_hash: [u8; 32] = hash.try_into().map_err(|_| AuditError::Corrupt { seq })?;
                (u64::try_from(seq).map_err(|_| AuditError::Corrupt { seq })?, last_hash)
            }
        };
        let reader = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        reader.busy_timeout(std::time::Duration::from_secs(10))?;
        Ok(AuditLog {
            path: path.to_path_buf(),
            reader: Mutex::new(reader),
            writer: Mutex::new(Writer { connection, last_seq, last_hash }),
            signing_key,
            config,
        })
    }

    /// Returns the database file's path (what `verify` takes).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Returns the public key that verifies the checkpoints.
    pub fn public_key(&self) -> AuditPublicKey {
        AuditPublicKey(self.signing_key.verifying_key().to_bytes())
    }

    /// Returns the `seq` of the last entry (0 when empty).
    pub fn last_seq(&self) -> u64 {
        lock(&self.writer).last_seq
    }

    /// Appends an entry in one durable commit, signing a checkpoint in the same commit when
    /// its `seq` is a multiple of `checkpoint_every`. Returns the stored entry.
    pub fn append(&self, entry: &NewAuditEntry) -> Result<AuditEntry, AuditError> {
        for (field, text) in [("actor", &entry.actor), ("action", &entry.action), ("target", &entry.target)] {
            if text.len() > MAX_FIELD_BYTES {
                return Err(AuditError::TooLarge { field, max: MAX_FIELD_BYTES });
            }
        }
        let detail = entry.detail.to_string();
        if detail.len() > MAX_DETAIL_BYTES {
            return Err(AuditError::TooLarge { field: "detail", max: MAX_DETAIL_BYTES });
        }
        let mut writer = lock(&self.writer);
        let seq = writer.last_seq + 1;
        let prev_hash = writer.last_hash;
        let hash = entry_hash(&EntryFields {
            seq,
            time: entry.time.0,
            actor: entry.actor.as_bytes(),
            action: entry.action.as_bytes(),
            target: entry.target.as_bytes(),
            outcome: entry.outcome.as_str().as_bytes(),
            detail: detail.as_bytes(),
            prev_hash: &prev_hash,
        });
        let transaction = writer.connection.transaction()?;
        transaction.execute(
            "INSERT INTO audit_entries (seq, time, actor, action, target, outcome, detail, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                seq as i64,
                entry.time.0,
                entry.actor,
                entry.action,
                entry.target,
                entry.outcome.as_str(),
                detail,
                prev_hash,
                hash
            ],
        )?;
        if self.config.checkpoint_every > 0 && seq.is_multiple_of(self.config.checkpoint_every) {
            self.insert_checkpoint(&transaction, seq, hash, entry.time)?;
        }
        transaction.commit()?;
        writer.last_seq = seq;
        writer.last_hash = hash;
        Ok(AuditEntry {
            seq,
            time: entry.time,
            actor: entry.actor.clone(),
            action: entry.action.clone(),
            target: entry.target.clone(),
            outcome: entry.outcome,
            detail,
            prev_hash,
            hash,
        })
    }

    fn insert_checkpoint(
        &self,
        connection: &Connection,
        seq: u64,
        hash: [u8; 32],
        now: Timestamp,
    ) -> Result<Checkpoint, AuditError> {
        let signature = self.signing_key.sign(&checkpoint_message(seq, now.0, &hash)).to_bytes();
        connection.execute(
            "INSERT INTO audit_checkpoints (seq, time, hash, signature) VALUES (?1, ?2, ?3, ?4)",
            params![seq as i64, now.0, hash, signature],
        )?;
        Ok(Checkpoint { seq, time: now, hash, signature })
    }

    /// Signs a checkpoint of the chain's current head now (before an export, at shutdown).
    pub fn checkpoint(&self, now: Timestamp) -> Result<Checkpoint, AuditError> {
        let writer = lock(&self.writer);
        self.insert_checkpoint(&writer.connection, writer.last_seq, writer.last_hash, now)
    }

    /// Returns every checkpoint, by `seq`.
    pub fn checkpoints(&self) -> Result<Vec<Checkpoint>, AuditError> {
        let reader = lock(&self.reader);
        let mut statement =
            reader.prepare("SELECT seq, time, hash, signature FROM audit_checkpoints ORDER BY seq, id")?;
        let mut rows = statement.query([])?;
        let mut checkpoints = Vec::new();
        while let Some(row) = rows.next()? {
            let seq: i64 = row.get(0)?;
            let hash: Vec<u8> = row.get(2)?;
            let signature: Vec<u8> = row.get(3)?;
            checkpoints.push(Checkpoint {
                seq: u64::try_from(seq).map_err(|_| AuditError::Corrupt { seq })?,
                time: Timestamp(row.get(1)?),
                hash: hash.try_into().map_err(|_| AuditError::Corrupt { seq })?,
                signature: signature.try_into().map_err(|_| AuditError::Corrupt { seq })?,
            });
        }
        Ok(checkpoints)
    }

    /// Returns up to `limit` (at most `MAX_READ`) entries matching `filter` with `seq` above
    /// `after_seq`, by `seq`: pass the last `seq` received to read the next page.
    pub fn read(&self, filter: &AuditFilter, limit: usize, after_seq: u64) -> Result<Vec<AuditEntry>, AuditError> {
        let mut entries = Vec::new();
        self.for_each_entry(filter, limit.min(MAX_READ), after_seq, |entry| {
            entries.push(entry);
            Ok(())
        })?;
        Ok(entries)
    }

    /// Writes every entry matching `filter` to `writer`, one JSON object per line, by `seq`:
    /// `{"seq", "time" (RFC 3339), "time_ms", "actor", "action", "target", "outcome", "detail"
    /// (the JSON text exactly as hashed, as a string), "prev_hash", "hash" (hex)}`, so that a
    /// third party can recompute each hash. Returns how many lines were written.
    pub fn export_jsonl(&self, writer: &mut dyn Write, filter: &AuditFilter) -> Result<u64, AuditError> {
        let mut count = 0;
        self.for_each_entry(filter, usize::MAX, 0, |entry| {
            let line = ExportLine {
                seq: entry.seq,
                time: entry.time.to_rfc3339(),
                time_ms: entry.time.0,
                actor: &entry.actor,
                action: &entry.action,
                target: &entry.target,
                outcome: entry.outcome.as_str(),
                detail: &entry.detail,
                prev_hash: to_hex(&entry.prev_hash),
                hash: to_hex(&entry.hash),
            };
            // Serialising plain strings and numbers into a writer fails only when the writer does.
            serde_json::to_writer(&mut *writer, &line).map_err(|error| AuditError::Export(error.into()))?;
            writer.write_all(b"\n").map_err(AuditError::Export)?;
            count += 1;
            Ok(())
        })?;
        writer.flush().map_err(AuditError::Export)?;
        Ok(count)
    }

    fn for_each_entry(
        &self,
        filter: &AuditFilter,
        limit: usize,
        after_seq: u64,
        mut visit: impl FnMut(AuditEntry) -> Result<(), AuditError>,
    ) -> Result<(), AuditError> {
        let reader = lock(&self.reader);
        let mut statement = reader.prepare_cached(
            "SELECT seq, time, actor, action, target, outcome, detail, prev_hash, hash FROM audit_entries
             WHERE seq > ?1
               AND (?2 IS NULL OR actor = ?2)
               AND (?3 IS NULL OR action = ?3)
               AND (?4 IS NULL OR time >= ?4)
               AND (?5 IS NULL OR time < ?5)
             ORDER BY seq LIMIT ?6",
        )?;
        let mut rows = statement.query(params![
            i64::try_from(after_seq).unwrap_or(i64::MAX),
            filter.actor,
            filter.action,
            filter.from.map(|time| time.0),
            filter.until.map(|time| time.0),
            i64::try_from(limit).unwrap_or(i64::MAX),
        ])?;
        while let Some(row) = rows.next()? {
            let seq: i64 = row.get(0)?;
            let corrupt = || AuditError::Corrupt { seq };
            let outcome: String = row.get(5)?;
            let prev_hash: Vec<u8> = row.get(7)?;
            let hash: Vec<u8> = row.get(8)?;
            visit(AuditEntry {
                seq: u64::try_from(seq).map_err(|_| corrupt())?,
                time: Timestamp(row.get(1)?),
                actor: row.get(2)?,
                action: row.get(3)?,
                target: row.get(4)?,
                outcome: Outcome::parse(&outcome).ok_or_else(corrupt)?,
                detail: row.get(6)?,
                prev_hash: prev_hash.try_into().map_err(|_| corrupt())?,
                hash: hash.try_into().map_err(|_| corrupt())?,
            })?;
        }
        Ok(())
    }

    /// Runs `work` on the writer's connection (for the purge register, which shares the file).
    pub(crate) fn with_writer<T>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, AuditError>,
    ) -> Result<T, AuditError> {
        work(&lock(&self.writer).connection)
    }

    /// Runs `work` on the reader's connection.
    pub(crate) fn with_reader<T>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, AuditError>,
    ) -> Result<T, AuditError> {
        work(&lock(&self.reader))
    }
}

#[derive(Serialize)]
struct ExportLine<'a> {
    seq: u64,
    time: String,
    time_ms: i64,
    actor: &'a str,
    action: &'a str,
    target: &'a str,
    outcome: &'a str,
    detail: &'a str,
    prev_hash: String,
    hash: String,
}

/// An entry row as stored, before any trust: each column as SQLite holds it.
struct RawEntry {
    seq: Value,
    time: Value,
    actor: Value,
    action: Value,
    target: Value,
    outcome: Value,
    detail: Value,
    prev_hash: Value,
    hash: Value,
}

/// The text or blob bytes of a raw column; other types yield `None`.
fn raw_bytes(value: &Value) -> Option<&[u8]> {
    match value {
        Value::Text(text) => Some(text.as_bytes()),
        Value::Blob(bytes) => Some(bytes),
        _ => None,
    }
}

fn raw_text(value: &Value) -> Option<&[u8]> {
    match value {
        Value::Text(text) => Some(text.as_bytes()),
        _ => None,
    }
}

fn raw_hash(value: &Value) -> Option<[u8; 32]> {
    match value {
        Value::Blob(bytes) => bytes.as_slice().try_into().ok(),
        _ => None,
    }
}

fn raw_integer(value: &Value) -> Option<i64> {
    match value {
        Value::Integer(number) => Some(*number),
        _ => None,
    }
}

/// A raw entry's fields, when every column has its proper type.
struct CheckedEntry<'a> {
    seq: i64,
    fields: EntryFields<'a>,
    prev_hash: [u8; 32],
    hash: [u8; 32],
}

impl RawEntry {
    fn checked(&self) -> Option<CheckedEntry<'_>> {
        let seq = raw_integer(&self.seq)?;
        let prev_hash = raw_hash(&self.prev_hash)?;
        Some(CheckedEntry {
            seq,
            fields: EntryFields {
                // A negative seq is hashed as its two's complement; it never verifies anyway.
                seq: seq as u64,
                time: raw_integer(&self.time)?,
                actor: raw_text(&self.actor)?,
                action: raw_text(&self.action)?,
                target: raw_text(&self.target)?,
                outcome: raw_text(&self.outcome)?,
                detail: raw_text(&self.detail)?,
                prev_hash: raw_bytes(&self.prev_hash)?,
            },
            prev_hash,
            hash: raw_hash(&self.hash)?,
        })
    }
}

/// A checkpoint row, checked for types; `None` fields mean a malformed column.
struct RawCheckpoint {
    seq: i64,
    time: Option<i64>,
    hash: Option<[u8; 32]>,
    signature: Option<[u8; 64]>,
}

impl RawCheckpoint {
    /// Tells whether the signature is a valid signature of (seq, time, hash) by `key`.
    fn signature_holds(&self, key: &VerifyingKey) -> bool {
        let (Some(time), Some(hash), Some(signature)) = (self.time, self.hash, self.signature) else {
            return false;
        };
        let message = checkpoint_message(self.seq as u64, time, &hash);
        key.verify_strict(&message, &Signature::from_bytes(&signature)).is_ok()
    }
}

/// Checks the audit database at `path` against the checkpoint `public_key`: every entry's hash,
/// the sequence, the chain and every checkpoint. Reads the raw rows in the order they were
/// stored, so it needs neither the triggers nor the indexes, and stops at the first problem.
/// Opens the file read-only.
pub fn verify(path: &Path, public_key: &AuditPublicKey) -> Result<VerifyReport, AuditError> {
    let key = VerifyingKey::from_bytes(&public_key.0).map_err(|_| AuditError::BadPublicKey)?;
    if !path.exists() {
        return Err(AuditError::Io { path: path.to_path_buf(), source: std::io::ErrorKind::NotFound.into() });
    }
    let connection = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut checkpoints: BTreeMap<i64, Vec<RawCheckpoint>> = BTreeMap::new();
    {
        let mut statement =
            connection.prepare("SELECT seq, time, hash, signature FROM audit_checkpoints ORDER BY id")?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            let seq = raw_integer(&row.get::<_, Value>(0)?).unwrap_or(-1);
            let signature = match row.get::<_, Value>(3)? {
                Value::Blob(bytes) => bytes.as_slice().try_into().ok(),
                _ => None,
            };
            let checkpoint = RawCheckpoint {
                seq,
                time: raw_integer(&row.get::<_, Value>(1)?),
                hash: raw_hash(&row.get::<_, Value>(2)?),
                signature,
            };
            checkpoints.entry(seq).or_default().push(checkpoint);
        }
    }
    let mut report = VerifyReport::default();
    let mut check_checkpoints_at = |report: &mut VerifyReport, seq: i64, entry_hash: &[u8; 32]| -> Option<Tamper> {
        for checkpoint in checkpoints.remove(&seq).unwrap_or_default() {
            if !checkpoint.signature_holds(&key) || checkpoint.hash.as_ref() != Some(entry_hash) {
                return Some(Tamper::BadCheckpoint { seq: seq.max(0) as u64 });
            }
            report.checkpoints_verified += 1;
            report.last_checkpoint_seq = Some(seq as u64);
        }
        None
    };
    report.problem = check_checkpoints_at(&mut report, 0, &GENESIS_HASH);
    if report.problem.is_some() {
        return Ok(report);
    }
    let mut expected: i64 = 1;
    let mut previous_hash = GENESIS_HASH;
    let mut statement = connection.prepare(
        "SELECT seq, time, actor, action, target, outcome, detail, prev_hash, hash FROM audit_entries ORDER BY id",
    )?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        let raw = RawEntry {
            seq: row.get(0)?,
            time: row.get(1)?,
            actor: row.get(2)?,
            action: row.get(3)?,
            target: row.get(4)?,
            outcome: row.get(5)?,
            detail: row.get(6)?,
            prev_hash: row.get(7)?,
            hash: row.get(8)?,
        };
        if let Some(problem) = check_entry(&connection, &raw, expected, &previous_hash)? {
            report.problem = Some(problem);
            return Ok(report);
        }
        // `check_entry` found the row sound, so it is well-typed.
        let Some(entry) = raw.checked() else {
            report.problem = Some(Tamper::Modified { seq: expected as u64 });
            return Ok(report);
        };
        report.entries_verified += 1;
        previous_hash = entry.hash;
        if let Some(problem) = check_checkpoints_at(&mut report, entry.seq, &entry.hash) {
            report.problem = Some(problem);
            return Ok(report);
        }
        expected += 1;
    }
    let last_seq = expected - 1;
    report.unsigned_tail = (last_seq as u64).saturating_sub(report.last_checkpoint_seq.unwrap_or(0));
    // What remains are checkpoints beyond the last entry (or at a seq no entry had).
    let beyond: Vec<(i64, RawCheckpoint)> = std::mem::take(&mut checkpoints)
        .into_iter()
        .flat_map(|(seq, list)| list.into_iter().map(move |c| (seq, c)))
        .collect();
    for (seq, checkpoint) in &beyond {
        if !checkpoint.signature_holds(&key) {
            report.problem = Some(Tamper::BadCheckpoint { seq: (*seq).max(0) as u64 });
            return Ok(report);
        }
    }
    if let Some((seq, _)) = beyond.iter().filter(|(seq, _)| *seq > last_seq).max_by_key(|(seq, _)| *seq) {
        report.problem = Some(Tamper::Truncated { last_checkpoint_seq: *seq as u64 });
        return Ok(report);
    }
    if let Some((seq, _)) = beyond.first() {
        // A validly signed checkpoint for a seq at or below the last entry that was never
        // reached cannot happen with a sound chain; report it rather than ignore it.
        report.problem = Some(Tamper::BadCheckpoint { seq: (*seq).max(0) as u64 });
    }
    Ok(report)
}

/// Checks one raw row at the place of entry `expected`, after a sound chain ending in
/// `previous_hash`. Returns the problem, if any.
fn check_entry(
    connection: &Connection,
    raw: &RawEntry,
    expected: i64,
    previous_hash: &[u8; 32],
) -> Result<Option<Tamper>, AuditError> {
    let expected_seq = expected as u64;
    let Some(entry) = raw.checked() else {
        return Ok(Some(Tamper::Modified { seq: expected_seq }));
    };
    if entry_hash(&entry.fields) != entry.hash {
        // Was it only the seq that changed? Then the entry at `expected` was modified.
        let as_expected = EntryFields { seq: expected_seq, ..entry.fields };
        let seq = if entry.seq != expected && entry_hash(&as_expected) == entry.hash {
            expected_seq
        } else {
            entry.seq.max(0) as u64
        };
        return Ok(Some(Tamper::Modified { seq }));
    }
    if entry.seq < expected {
        return Ok(Some(Tamper::Inserted { seq: entry.seq.max(0) as u64 }));
    }
    if entry.seq > expected {
        let expected_exists: bool =
            connection.query_row("SELECT EXISTS (SELECT 1 FROM audit_entries WHERE seq = ?1)", [expected], |row| {
                row.get(0)
            })?;
        if expected_exists {
            return Ok(Some(Tamper::Reordered { seq: expected_seq }));
        }
        let next_present: Option<i64> =
            connection.query_row("SELECT MIN(seq) FROM audit_entries WHERE seq > ?1", [expected], |row| row.get(0))?;
        let missing = next_present.unwrap_or(entry.seq) - expected;
        return Ok(Some(Tamper::Deleted { after_seq: expected_seq - 1, missing: missing as u64 }));
    }
    if entry.prev_hash != *previous_hash {
        return Ok(Some(Tamper::Unchained { seq: expected_seq }));
    }
    Ok(None)
}

#[cfg(test)]
mod tests;
