use super::*;
use crate::audit::{AuditConfig, AuditLog};
use crate::store::AuthConfig;
use crate::testing::{T0, fresh_dir};
use rusqlite::Connection;

#[test]
fn the_purge_register_records_deletions_and_kept_objects() {
    let dir = fresh_dir("retention-register");
    let log = AuditLog::open(&dir, AuditConfig::default()).unwrap();
    let deleted = PurgeRecord {
        time: T0,
        data_class: "imagery".into(),
        object_id: "snapshot-0001".into(),
        reason: "imagery older than 30 days".into(),
        kept_by: None,
    };
    let kept = PurgeRecord {
        time: T0.plus_seconds(1),
        object_id: "snapshot-0002".into(),
        kept_by: Some("legal_hold:1".into()),
        ..deleted.clone()
    };
    let other = PurgeRecord { time: T0.plus_seconds(2), data_class: "observations".into(), ..deleted.clone() };
    let first = log.record_purge(&deleted).unwrap();
    log.record_purge(&kept).unwrap();
    log.record_purge(&other).unwrap();
    let all = log.purges(&PurgeFilter::default(), 100, 0).unwrap();
    assert_eq!(all.iter().map(|stored| stored.record.clone()).collect::<Vec<_>>(), [deleted, kept.clone(), other]);
    let imagery = PurgeFilter { data_class: Some("imagery".into()), ..Default::default() };
    let page = log.purges(&imagery, 1, first).unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].record, kept);
    let window = PurgeFilter { from: Some(T0.plus_seconds(1)), until: Some(T0.plus_seconds(2)), ..Default::default() };
    assert_eq!(log.purges(&window, 100, 0).unwrap().len(), 1);
    let too_long = PurgeRecord { reason: "x".repeat(MAX_TEXT_BYTES + 1), ..kept };
    assert!(matches!(log.record_purge(&too_long), Err(AuditError::TooLarge { field: "reason", .. })));
}

#[test]
fn legal_holds_are_placed_checked_and_lifted_once() {
    let dir = fresh_dir("retention-holds");
    let store = AuthStore::open(&dir, AuthConfig::default()).unwrap();
    let snapshot = HoldTarget::Object("snapshot-0002".into());
    let incident = HoldTarget::Incident(IncidentId(42));
    assert!(!store.is_held(&snapshot).unwrap());
    let hold = store.place_hold(&snapshot, "complaint 2026-117", "dpo.martin", T0).unwrap();
    let incident_hold = store.place_hold(&incident, "court order", "dpo.martin", T0).unwrap();
    assert!(hold.is_active());
    assert!(store.is_held(&snapshot).unwrap());
    assert!(store.is_held(&incident).unwrap());
    assert!(!store.is_held(&HoldTarget::Object("snapshot-0003".into())).unwrap());
    assert!(!store.is_held(&HoldTarget::Incident(IncidentId(43))).unwrap());
    let lifted = store.lift_hold(hold.id, "dpo.martin", T0.plus_seconds(3600)).unwrap();
    assert_eq!(lifted.lifted_at, Some(T0.plus_seconds(3600)));
    assert!(!store.is_held(&snapshot).unwrap());
    assert!(matches!(store.lift_hold(hold.id, "dpo.martin", T0), Err(AuthError::HoldAlreadyLifted { .. })));
    assert!(matches!(store.lift_hold(999, "dpo.martin", T0), Err(AuthError::UnknownHold { id: 999 })));
    assert!(matches!(store.place_hold(&snapshot, " ", "dpo.martin", T0), Err(AuthError::InvalidHold(_))));
    let holds = store.holds().unwrap();
    assert_eq!(holds, [lifted, incident_hold]);
}

#[test]
fn holds_cannot_be_deleted_or_rewritten_in_the_database() {
    let dir = fresh_dir("retention-holds-triggers");
    let store = AuthStore::open(&dir, AuthConfig::default()).unwrap();
    let hold = store.place_hold(&HoldTarget::Incident(IncidentId(7)), "court order", "dpo.martin", T0).unwrap();
    let raw = Connection::open(dir.join(crate::store::SECURITY_DB)).unwrap();
    let id = hold.id;
    for statement in [
        format!("DELETE FROM legal_holds WHERE id = {id}"),
        format!("UPDATE legal_holds SET reason = 'none' WHERE id = {id}"),
        format!("UPDATE legal_holds SET reason = 'none', lifted_at = 1 WHERE id = {id}"),
    ] {
        assert!(raw.execute(&statement, []).is_err(), "{statement}");
    }
    store.lift_hold(id, "dpo.martin", T0).unwrap();
    assert!(raw.execute(&format!("UPDATE legal_holds SET lifted_at = NULL WHERE id = {id}"), []).is_err());
    assert_eq!(store.holds().unwrap()[0].reason, "court order");
}
