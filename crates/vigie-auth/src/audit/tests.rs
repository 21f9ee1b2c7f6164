use super::*;
use crate::testing::{T0, fresh_dir};
use serde_json::json;

fn entry(time: Timestamp, actor: &str, action: &str, target: &str, outcome: Outcome) -> NewAuditEntry {
    NewAuditEntry {
        time,
        actor: actor.into(),
        action: action.into(),
        target: target.into(),
        outcome,
        detail: json!({"note": format!("{action} on {target}")}),
    }
}

fn open(dir: &Path, checkpoint_every: u64) -> AuditLog {
    AuditLog::open(dir, AuditConfig { checkpoint_every }).unwrap()
}

#[test]
fn the_hash_covers_length_prefixed_fields_in_order() {
    // Written out by hand from the module doc: 4-byte big-endian length, then the bytes.
    let mut expected = Vec::new();
    for field in [
        &7_u64.to_be_bytes()[..],
        &(-2_i64).to_be_bytes()[..],
        b"alice",
        b"login",
        b"",
        b"allowed",
        b"{}",
        &[0xab; 32][..],
    ] {
        expected.extend_from_slice(&(field.len() as u32).to_be_bytes());
        expected.extend_from_slice(field);
    }
    let fields = EntryFields {
        seq: 7,
        time: -2,
        actor: b"alice",
        action: b"login",
        target: b"",
        outcome: b"allowed",
        detail: b"{}",
        prev_hash: &[0xab; 32],
    };
    assert_eq!(entry_hash(&fields), sha256(&expected));
    // Moving a byte from one field to the next changes the hash: the prefixes keep them apart.
    let shifted = EntryFields { actor: b"alic", action: b"elogin", ..fields };
    assert_ne!(entry_hash(&shifted), entry_hash(&fields));
}

#[test]
fn entries_chain_from_the_genesis_hash_with_automatic_checkpoints() {
    let dir = fresh_dir("audit-chain");
    let log = open(&dir, 3);
    let mut previous = GENESIS_HASH;
    for index in 0..7 {
        let stored = log.append(&entry(T0.plus_seconds(index), "alice", "login", "", Outcome::Allowed)).unwrap();
        assert_eq!(stored.seq, index as u64 + 1);
        assert_eq!(stored.prev_hash, previous);
        assert_eq!(stored.detail, format!(r#"{{"note":"login on "}}"#));
        previous = stored.hash;
    }
    let seqs: Vec<u64> = log.checkpoints().unwrap().iter().map(|checkpoint| checkpoint.seq).collect();
    assert_eq!(seqs, [3, 6]);
    let manual = log.checkpoint(T0.plus_seconds(60)).unwrap();
    assert_eq!((manual.seq, manual.hash), (7, previous));
    let report = verify(log.path(), &log.public_key()).unwrap();
    assert_eq!(
        report,
        VerifyReport {
            entries_verified: 7,
            checkpoints_verified: 3,
            last_checkpoint_seq: Some(7),
            unsigned_tail: 0,
            problem: None
        }
    );
}

#[test]
fn an_empty_log_can_be_checkpointed_and_verifies() {
    let dir = fresh_dir("audit-empty");
    let log = open(&dir, 1000);
    let checkpoint = log.checkpoint(T0).unwrap();
    assert_eq!((checkpoint.seq, checkpoint.hash), (0, GENESIS_HASH));
    let report = verify(log.path(), &log.public_key()).unwrap();
    assert!(report.is_clean(), "{report:?}");
    assert_eq!((report.entries_verified, report.checkpoints_verified), (0, 1));
}

#[test]
fn the_database_refuses_updates_and_deletes() {
    let dir = fresh_dir("audit-triggers");
    let log = open(&dir, 1000);
    log.append(&entry(T0, "alice", "login", "", Outcome::Allowed)).unwrap();
    log.checkpoint(T0).unwrap();
    log.record_purge(&crate::retention::PurgeRecord {
        time: T0,
        data_class: "imagery".into(),
        object_id: "snapshot-1".into(),
        reason: "older than 30 days".into(),
        kept_by: None,
    })
    .unwrap();
    let raw = Connection::open(log.path()).unwrap();
    for statement in [
        "UPDATE audit_entries SET actor = 'mallory'",
        "DELETE FROM audit_entries",
        "UPDATE audit_checkpoints SET seq = 5",
        "DELETE FROM audit_checkpoints",
        "UPDATE purge_register SET reason = 'none'",
        "DELETE FROM purge_register",
    ] {
        let error = raw.execute(statement, []).unwrap_err().to_string();
        assert!(error.contains("append-only"), "{statement}: {error}");
    }
    assert!(verify(log.path(), &log.public_key()).unwrap().is_clean());
}

#[test]
fn reopening_continues_the_chain_with_the_same_key() {
    let dir = fresh_dir("audit-reopen");
    let first_key = {
        let log = open(&dir, 1000);
        log.append(&entry(T0, "alice", "login", "", Outcome::Allowed)).unwrap();
        log.append(&entry(T0, "bob", "login", "", Outcome::Failed)).unwrap();
        log.public_key()
    };
    let log = open(&dir, 1000);
    assert_eq!(log.public_key(), first_key);
    assert_eq!(log.last_seq(), 2);
    let third = log.append(&entry(T0, "alice", "logout", "", Outcome::Allowed)).unwrap();
    assert_eq!(third.seq, 3);
    assert_eq!(third.prev_hash, log.read(&AuditFilter::default(), 10, 1).unwrap()[0].hash);
    log.checkpoint(T0).unwrap();
    let report = verify(log.path(), &first_key).unwrap();
    assert!(report.is_clean(), "{report:?}");
    assert_eq!(report.entries_verified, 3);
    assert_eq!(AuditPublicKey::from_hex(&first_key.to_hex()).unwrap(), first_key);
    assert_eq!(public_key_of(&dir.join(AUDIT_KEY_FILE)).unwrap(), first_key);
}

#[test]
fn the_signing_key_file_is_private_and_exactly_32_bytes() {
    let dir = fresh_dir("audit-key");
    let key_path = dir.join("keys").join("audit.key");
    let log = AuditLog::open_files(&dir.join("audit.db"), &key_path, AuditConfig::default()).unwrap();
    assert_eq!(std::fs::read(&key_path).unwrap().len(), 32);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key_path).unwrap().permissions().mode() & 0o777, 0o600);
        std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let error = public_key_of(&key_path).unwrap_err().to_string();
        assert!(error.contains("chmod 600"), "{error}");
        std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    assert_eq!(public_key_of(&key_path).unwrap(), log.public_key());
    std::fs::write(&key_path, [7_u8; 31]).unwrap();
    let error = public_key_of(&key_path).unwrap_err().to_string();
    assert!(error.contains("exactly 32 bytes"), "{error}");
}

#[test]
fn another_key_does_not_verify_the_checkpoints() {
    let dir = fresh_dir("audit-other-key");
    let log = open(&dir, 2);
    for _ in 0..3 {
        log.append(&entry(T0, "alice", "login", "", Outcome::Allowed)).unwrap();
    }
    let other = public_key_of(&dir.join("other.key")).unwrap();
    let report = verify(log.path(), &other).unwrap();
    assert_eq!(report.problem, Some(Tamper::BadCheckpoint { seq: 2 }));
    assert_eq!(report.entries_verified, 2);
    assert!(matches!(AuditPublicKey::from_hex("abcd"), Err(AuditError::BadPublicKey)));
}

#[test]
fn reads_filter_and_page_and_exports_can_be_rehashed() {
    let dir = fresh_dir("audit-read");
    let log = open(&dir, 1000);
    let actors = ["alice", "bob", "alice", "carol", "alice"];
    for (index, actor) in actors.iter().enumerate() {
        let action = if index % 2 == 0 { "incident.acknowledge" } else { "login" };
        log.append(&entry(T0.plus_seconds(index as i64 * 60), actor, action, "incident:42", Outcome::Allowed)).unwrap();
    }
    let alice = AuditFilter { actor: Some("alice".into()), ..Default::default() };
    let seqs = |entries: Vec<AuditEntry>| entries.into_iter().map(|entry| entry.seq).collect::<Vec<_>>();
    assert_eq!(seqs(log.read(&alice, 100, 0).unwrap()), [1, 3, 5]);
    assert_eq!(seqs(log.read(&alice, 1, 1).unwrap()), [3], "the next page after seq 1");
    let logins = AuditFilter { action: Some("login".into()), ..Default::default() };
    assert_eq!(seqs(log.read(&logins, 100, 0).unwrap()), [2, 4]);
    let window =
        AuditFilter { from: Some(T0.plus_seconds(60)), until: Some(T0.plus_seconds(180)), ..Default::default() };
    assert_eq!(seqs(log.read(&window, 100, 0).unwrap()), [2, 3]);

    let mut exported = Vec::new();
    assert_eq!(log.export_jsonl(&mut exported, &AuditFilter::default()).unwrap(), 5);
    let text = String::from_utf8(exported).unwrap();
    let lines: Vec<serde_json::Value> = text.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(lines.len(), 5);
    for line in &lines {
        let text_of = |key: &str| line[key].as_str().unwrap().as_bytes().to_vec();
        let prev_hash = from_hex::<32>(line["prev_hash"].as_str().unwrap()).unwrap();
        let fields = EntryFields {
            seq: line["seq"].as_u64().unwrap(),
            time: line["time_ms"].as_i64().unwrap(),
            actor: &text_of("actor"),
            action: &text_of("action"),
            target: &text_of("target"),
            outcome: &text_of("outcome"),
            detail: &text_of("detail"),
            prev_hash: &prev_hash,
        };
        assert_eq!(to_hex(&entry_hash(&fields)), line["hash"].as_str().unwrap(), "an export line rehashes");
    }
    assert_eq!(lines[1]["time"], "2026-11-26T08:31:00.000Z");
}

#[test]
fn oversized_fields_are_refused() {
    let dir = fresh_dir("audit-large");
    let log = open(&dir, 1000);
    let mut large = entry(T0, "alice", "login", "", Outcome::Allowed);
    large.detail = json!({"blob": "x".repeat(MAX_DETAIL_BYTES)});
    assert!(matches!(log.append(&large), Err(AuditError::TooLarge { field: "detail", .. })));
    let mut long_actor = entry(T0, "alice", "login", "", Outcome::Allowed);
    long_actor.actor = "a".repeat(MAX_FIELD_BYTES + 1);
    assert!(matches!(log.append(&long_actor), Err(AuditError::TooLarge { field: "actor", .. })));
    assert_eq!(log.last_seq(), 0, "nothing was appended");
}

#[test]
fn outcomes_have_stable_names() {
    for outcome in [Outcome::Allowed, Outcome::Denied, Outcome::Failed] {
        assert_eq!(Outcome::parse(outcome.as_str()), Some(outcome));
        assert_eq!(serde_json::to_string(&outcome).unwrap(), format!("\"{}\"", outcome.as_str()));
    }
    assert_eq!(Outcome::parse("ok"), None);
}
