//! An attacker with write access to `audit.db` drops the triggers and the unique index, then
//! changes the rows; `verify` must name the first problem, every time.

use crate::{T0, fresh_dir};
use ed25519_dalek::{Signer, SigningKey};
use rusqlite::{Connection, params};
use serde_json::json;
use std::path::{Path, PathBuf};
use vigie_auth::audit::{AUDIT_DB, AUDIT_KEY_FILE, EntryFields, GENESIS_HASH, entry_hash};
use vigie_auth::{AuditConfig, AuditLog, AuditPublicKey, NewAuditEntry, Outcome, Tamper, VerifyReport, verify};

const ENTRIES: u64 = 95;
const CHECKPOINT_EVERY: u64 = 10;

/// A small deterministic generator (xorshift64*), so that failures can be replayed.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `low..=high`.
    fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low + 1)
    }
}

/// A sound log of 95 entries with checkpoints at 10, 20... 90 and a final one at 95.
struct Template {
    dir: PathBuf,
    public_key: AuditPublicKey,
    /// `hashes[seq]` is entry `seq`'s hash; `hashes[0]` the genesis hash.
    hashes: Vec<[u8; 32]>,
    checkpoint_seqs: Vec<u64>,
}

fn build_template() -> Template {
    let dir = fresh_dir("tamper-template");
    let log = AuditLog::open(&dir, AuditConfig { checkpoint_every: CHECKPOINT_EVERY }).unwrap();
    let actors = ["alice", "bob", "system:engine", "carol"];
    let actions = ["login", "incident.acknowledge", "alarm.shelve", "read_imagery"];
    let outcomes = [Outcome::Allowed, Outcome::Denied, Outcome::Failed];
    let mut hashes = vec![GENESIS_HASH];
    for seq in 1..=ENTRIES {
        let index = seq as usize;
        let entry = NewAuditEntry {
            time: T0.plus_seconds(seq as i64 * 7),
            actor: actors[index % actors.len()].into(),
            action: actions[index % actions.len()].into(),
            target: format!("incident:{}", seq % 13),
            outcome: outcomes[index % outcomes.len()],
            detail: json!({"n": seq, "note": "é"}),
        };
        hashes.push(log.append(&entry).unwrap().hash);
    }
    log.checkpoint(T0.plus_seconds(1000)).unwrap();
    let checkpoint_seqs = log.checkpoints().unwrap().iter().map(|checkpoint| checkpoint.seq).collect();
    let public_key = log.public_key();
    drop(log);
    assert!(!dir.join(format!("{AUDIT_DB}-wal")).exists(), "closing folds the write-ahead log into the file");
    Template { dir, public_key, hashes, checkpoint_seqs }
}

/// Opens the file as an attacker would: no triggers, no unique index.
fn attacker(path: &Path) -> Connection {
    let connection = Connection::open(path).unwrap();
    connection
        .execute_batch(
            "DROP TRIGGER audit_entries_no_update; DROP TRIGGER audit_entries_no_delete;
             DROP TRIGGER audit_checkpoints_no_update; DROP TRIGGER audit_checkpoints_no_delete;
             DROP INDEX audit_entries_by_seq;",
        )
        .unwrap();
    connection
}

/// One stored row, as the attacker reads it to forge others.
#[derive(Clone)]
struct Row {
    seq: u64,
    time: i64,
    actor: String,
    action: String,
    target: String,
    outcome: String,
    detail: String,
    prev_hash: Vec<u8>,
    hash: Vec<u8>,
}

impl Row {
    fn rehash(&mut self) {
        self.hash = entry_hash(&EntryFields {
            seq: self.seq,
            time: self.time,
            actor: self.actor.as_bytes(),
            action: self.action.as_bytes(),
            target: self.target.as_bytes(),
            outcome: self.outcome.as_bytes(),
            detail: self.detail.as_bytes(),
            prev_hash: &self.prev_hash,
        })
        .to_vec();
    }
}

fn read_row(connection: &Connection, seq: u64) -> Row {
    connection
        .query_row(
            "SELECT seq, time, actor, action, target, outcome, detail, prev_hash, hash FROM audit_entries WHERE seq = ?1",
            [seq as i64],
            |row| {
                Ok(Row {
                    seq: row.get::<_, i64>(0)? as u64,
                    time: row.get(1)?,
                    actor: row.get(2)?,
                    action: row.get(3)?,
                    target: row.get(4)?,
                    outcome: row.get(5)?,
                    detail: row.get(6)?,
                    prev_hash: row.get(7)?,
                    hash: row.get(8)?,
                })
            },
        )
        .unwrap()
}

fn insert_row(connection: &Connection, id: Option<i64>, row: &Row) {
    connection
        .execute(
            "INSERT INTO audit_entries (id, seq, time, actor, action, target, outcome, detail, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                id,
                row.seq as i64,
                row.time,
                row.actor,
                row.action,
                row.target,
                row.outcome,
                row.detail,
                row.prev_hash,
                row.hash
            ],
        )
        .unwrap();
}

fn overwrite_row(connection: &Connection, id: i64, row: &Row) {
    connection
        .execute(
            "UPDATE audit_entries SET seq = ?2, time = ?3, actor = ?4, action = ?5, target = ?6, outcome = ?7,
             detail = ?8, prev_hash = ?9, hash = ?10 WHERE id = ?1",
            params![
                id,
                row.seq as i64,
                row.time,
                row.actor,
                row.action,
                row.target,
                row.outcome,
                row.detail,
                row.prev_hash,
                row.hash
            ],
        )
        .unwrap();
}

/// The bytes a checkpoint signature covers, written from the `audit` module's documentation.
fn checkpoint_message(seq: u64, time: i64, hash: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for field in [&b"vigie-audit-checkpoint-v1"[..], &seq.to_be_bytes(), &time.to_be_bytes(), hash] {
        bytes.extend_from_slice(&(field.len() as u32).to_be_bytes());
        bytes.extend_from_slice(field);
    }
    bytes
}

struct Cases<'a> {
    template: &'a Template,
    run: u32,
    exact: u32,
    detected: u32,
    failures: Vec<String>,
}

impl Cases<'_> {
    /// Copies the template, lets `tamper` change the copy, verifies it and compares with
    /// `expected`.
    fn check(&mut self, name: &str, expected: Tamper, tamper: impl FnOnce(&Connection)) {
        let report = self.tampered(name, tamper);
        self.run += 1;
        if report.problem.is_some() {
            self.detected += 1;
        }
        if report.problem == Some(expected) {
            self.exact += 1;
        } else {
            self.failures.push(format!("{name}: expected {expected:?}, got {report:?}"));
        }
    }

    fn tampered(&self, name: &str, tamper: impl FnOnce(&Connection)) -> VerifyReport {
        let dir = fresh_dir("tamper-case");
        let path = dir.join(AUDIT_DB);
        std::fs::copy(self.template.dir.join(AUDIT_DB), &path).unwrap();
        {
            let connection = attacker(&path);
            tamper(&connection);
        }
        let report = verify(&path, &self.template.public_key).unwrap_or_else(|error| panic!("{name}: {error}"));
        let _ = std::fs::remove_dir_all(&dir);
        report
    }

    fn first_checkpoint_from(&self, seq: u64) -> u64 {
        *self.template.checkpoint_seqs.iter().find(|checkpoint| **checkpoint >= seq).unwrap()
    }
}

#[test]
fn verify_detects_every_tampering_and_names_the_first_problem() {
    let template = build_template();
    assert_eq!(template.checkpoint_seqs, [10, 20, 30, 40, 50, 60, 70, 80, 90, 95]);
    let mut cases = Cases { template: &template, run: 0, exact: 0, detected: 0, failures: Vec::new() };
    let untouched = cases.tampered("untouched", |_| {});
    assert_eq!(
        untouched,
        VerifyReport {
            entries_verified: ENTRIES,
            checkpoints_verified: 10,
            last_checkpoint_seq: Some(95),
            unsigned_tail: 0,
            problem: None
        }
    );

    let seed = 0x5eed_a0d1_7000_0001;
    let mut random = Random(seed);

    // RUN_SLOW_TESTS=1 draws eight times as many positions.
    let rounds = if std::env::var_os("RUN_SLOW_TESTS").is_some() { 8 } else { 1 };
    for _ in 0..rounds {
        // Each field of a random entry, changed without recomputing anything.
        let mutations: [(&str, &str); 12] = [
            ("seq", "seq = seq + 1000"),
            ("time", "time = time + 1"),
            ("actor", "actor = actor || 'x'"),
            ("action", "action = action || '!'"),
            ("target", "target = target || '!'"),
            ("outcome", "outcome = CASE outcome WHEN 'allowed' THEN 'denied' ELSE 'allowed' END"),
            ("detail", "detail = detail || ' '"),
            ("prev_hash", "prev_hash = randomblob(32)"),
            ("hash", "hash = randomblob(32)"),
            ("time as text", "time = 'noon'"),
            ("hash as text", "hash = hex(hash)"),
            ("short prev_hash", "prev_hash = x'00'"),
        ];
        for (field, assignment) in mutations {
            for _ in 0..10 {
                let seq = random.between(1, ENTRIES);
                cases.check(&format!("modify {field} of {seq}"), Tamper::Modified { seq }, |connection| {
                    let sql = format!("UPDATE audit_entries SET {assignment} WHERE seq = ?1");
                    assert_eq!(connection.execute(&sql, [seq as i64]).unwrap(), 1);
                });
            }
        }

        // One field changed and the entry's own hash recomputed: the next link or checkpoint breaks.
        for _ in 0..15 {
            let seq = random.between(1, ENTRIES);
            let expected = if template.checkpoint_seqs.contains(&seq) {
                Tamper::BadCheckpoint { seq }
            } else {
                Tamper::Unchained { seq: seq + 1 }
            };
            cases.check(&format!("modify and rehash {seq}"), expected, |connection| {
                let mut row = read_row(connection, seq);
                row.actor = "mallory".into();
                row.rehash();
                overwrite_row(connection, seq as i64, &row);
            });
        }

        // Deletions: one entry, a run of entries, the last entry before each checkpoint.
        for _ in 0..20 {
            let seq = random.between(1, ENTRIES - 1);
            cases.check(&format!("delete {seq}"), Tamper::Deleted { after_seq: seq - 1, missing: 1 }, |connection| {
                connection.execute("DELETE FROM audit_entries WHERE seq = ?1", [seq as i64]).unwrap();
            });
        }
        for _ in 0..10 {
            let first = random.between(1, ENTRIES - 6);
            let count = random.between(2, 5);
            let expected = Tamper::Deleted { after_seq: first - 1, missing: count };
            cases.check(&format!("delete {count} from {first}"), expected, |connection| {
                let deleted = connection
                    .execute(
                        "DELETE FROM audit_entries WHERE seq >= ?1 AND seq < ?2",
                        [first as i64, (first + count) as i64],
                    )
                    .unwrap();
                assert_eq!(deleted, count as usize);
            });
        }
        for checkpoint in template.checkpoint_seqs.clone() {
            let expected = if checkpoint == ENTRIES {
                Tamper::Truncated { last_checkpoint_seq: ENTRIES }
            } else {
                Tamper::Deleted { after_seq: checkpoint - 1, missing: 1 }
            };
            cases.check(&format!("delete {checkpoint}, just before its checkpoint"), expected, |connection| {
                connection.execute("DELETE FROM audit_entries WHERE seq = ?1", [checkpoint as i64]).unwrap();
            });
        }

        // Forged entries with recomputed hashes.
        for _ in 0..10 {
            let seq = random.between(1, ENTRIES);
            cases.check(&format!("append a forged {seq}"), Tamper::Inserted { seq }, |connection| {
                let mut forged = read_row(connection, seq);
                forged.actor = "mallory".into();
                forged.rehash();
                insert_row(connection, None, &forged);
            });
        }
        for _ in 0..10 {
            let seq = random.between(1, ENTRIES);
            // The forged entry chains onto seq - 1 and sits where entry seq was; the genuine one
            // follows it, a duplicate. If a checkpoint covers seq, it notices the forgery first.
            let expected = if template.checkpoint_seqs.contains(&seq) {
                Tamper::BadCheckpoint { seq }
            } else {
                Tamper::Inserted { seq }
            };
            cases.check(&format!("slot a forged {seq} in place"), expected, |connection| {
                let mut forged = read_row(connection, seq);
                forged.actor = "mallory".into();
                forged.rehash();
                connection.execute("UPDATE audit_entries SET id = id + 100000 WHERE id >= ?1", [seq as i64]).unwrap();
                connection.execute("UPDATE audit_entries SET id = id - 100000 + 1 WHERE id >= 100000", []).unwrap();
                insert_row(connection, Some(seq as i64), &forged);
            });
        }
        for _ in 0..10 {
            let seq = random.between(1, ENTRIES);
            // The attacker inserts, renumbers what follows and recomputes the whole chain after it.
            let expected = Tamper::BadCheckpoint { seq: cases.first_checkpoint_from(seq) };
            cases.check(&format!("insert {seq} and rewrite the chain"), expected, |connection| {
                let mut rows: Vec<Row> = (seq..=ENTRIES).map(|each| read_row(connection, each)).collect();
                connection.execute("DELETE FROM audit_entries WHERE seq >= ?1", [seq as i64]).unwrap();
                let mut forged = rows[0].clone();
                forged.actor = "mallory".into();
                rows.insert(0, forged);
                let mut previous = template.hashes[seq as usize - 1].to_vec();
                for (offset, row) in rows.iter_mut().enumerate() {
                    row.seq = seq + offset as u64;
                    row.prev_hash = previous;
                    row.rehash();
                    previous = row.hash.clone();
                    insert_row(connection, None, row);
                }
            });
        }

        // Two entries swapped (every column but the storage order).
        for _ in 0..15 {
            let first = random.between(1, ENTRIES - 1);
            let second = random.between(first + 1, ENTRIES);
            cases.check(&format!("swap {first} and {second}"), Tamper::Reordered { seq: first }, |connection| {
                let first_row = read_row(connection, first);
                let second_row = read_row(connection, second);
                overwrite_row(connection, first as i64, &second_row);
                overwrite_row(connection, second as i64, &first_row);
            });
        }

        // The tail cut off.
        for _ in 0..10 {
            let from = random.between(1, ENTRIES);
            cases.check(
                &format!("truncate from {from}"),
                Tamper::Truncated { last_checkpoint_seq: ENTRIES },
                |connection| {
                    connection.execute("DELETE FROM audit_entries WHERE seq >= ?1", [from as i64]).unwrap();
                },
            );
        }

        // Checkpoints forged or altered.
        let checkpoint_edits: [(&str, &str); 3] = [
            ("signature", "signature = randomblob(64)"),
            ("hash", "hash = (SELECT hash FROM audit_entries WHERE seq = 5)"),
            ("time", "time = time + 1"),
        ];
        for (field, assignment) in checkpoint_edits {
            for _ in 0..5 {
                let checkpoint = template.checkpoint_seqs[random.between(1, 9) as usize];
                cases.check(
                    &format!("alter the {field} of checkpoint {checkpoint}"),
                    Tamper::BadCheckpoint { seq: checkpoint },
                    |connection| {
                        let sql = format!("UPDATE audit_checkpoints SET {assignment} WHERE seq = ?1");
                        assert_eq!(connection.execute(&sql, [checkpoint as i64]).unwrap(), 1);
                    },
                );
            }
        }
        for _ in 0..5 {
            let checkpoint = template.checkpoint_seqs[random.between(0, 9) as usize];
            let moved_to = random.between(1, ENTRIES);
            if moved_to == checkpoint {
                continue;
            }
            cases.check(
                &format!("move checkpoint {checkpoint} to {moved_to}"),
                Tamper::BadCheckpoint { seq: moved_to },
                |connection| {
                    connection
                        .execute(
                            "UPDATE audit_checkpoints SET seq = ?2 WHERE seq = ?1",
                            [checkpoint as i64, moved_to as i64],
                        )
                        .unwrap();
                },
            );
        }
        let other_key = SigningKey::from_bytes(&[9; 32]);
        for _ in 0..5 {
            let seq = random.between(1, ENTRIES);
            let hash = template.hashes[seq as usize];
            cases.check(
                &format!("forge a checkpoint of {seq} with another key"),
                Tamper::BadCheckpoint { seq },
                |connection| {
                    let time = T0.0 + 5;
                    let signature = other_key.sign(&checkpoint_message(seq, time, &hash)).to_bytes();
                    connection
                        .execute(
                            "INSERT INTO audit_checkpoints (seq, time, hash, signature) VALUES (?1, ?2, ?3, ?4)",
                            params![seq as i64, time, hash, signature],
                        )
                        .unwrap();
                },
            );
        }
    }

    println!(
        "audit tamper cases: {} run, {} detected ({:.0} %), {} classified exactly (seed {seed:#x})",
        cases.run,
        cases.detected,
        100.0 * f64::from(cases.detected) / f64::from(cases.run),
        cases.exact
    );
    assert!(cases.failures.is_empty(), "{} cases missed:\n{}", cases.failures.len(), cases.failures.join("\n"));
    assert_eq!(cases.detected, cases.run);
    assert!(cases.run >= 250 * rounds, "only {} cases ran", cases.run);
}

#[test]
fn checkpoints_are_signed_as_documented_and_the_unsigned_tail_is_reported() {
    let template = build_template();
    let cases = Cases { template: &template, run: 0, exact: 0, detected: 0, failures: Vec::new() };
    // Someone holding the signing key can sign a checkpoint from the documented format alone.
    let seed: [u8; 32] = std::fs::read(template.dir.join(AUDIT_KEY_FILE)).unwrap().try_into().unwrap();
    let key = SigningKey::from_bytes(&seed);
    let hash = template.hashes[42];
    let report = cases.tampered("a genuine extra checkpoint", |connection| {
        let signature = key.sign(&checkpoint_message(42, T0.0, &hash)).to_bytes();
        connection
            .execute(
                "INSERT INTO audit_checkpoints (seq, time, hash, signature) VALUES (42, ?1, ?2, ?3)",
                params![T0.0, hash, signature],
            )
            .unwrap();
    });
    assert!(report.is_clean(), "{report:?}");
    assert_eq!(report.checkpoints_verified, 11);
    // An entry chained onto the end after the last checkpoint cannot be told from a genuine
    // one; the report shows it as outside every checkpoint.
    let report = cases.tampered("an entry appended after the last checkpoint", |connection| {
        let mut forged = read_row(connection, ENTRIES);
        forged.seq = ENTRIES + 1;
        forged.prev_hash = template.hashes[ENTRIES as usize].to_vec();
        forged.actor = "mallory".into();
        forged.rehash();
        insert_row(connection, None, &forged);
    });
    assert!(report.is_clean(), "{report:?}");
    assert_eq!((report.entries_verified, report.unsigned_tail), (ENTRIES + 1, 1));
}
