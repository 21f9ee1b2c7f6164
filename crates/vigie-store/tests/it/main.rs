//! The event-log contract, expanded for every backend (SQLite today; PostgreSQL and NATS
//! JetStream join the macro when they land).

use vigie_core::incident::{Actor, IncidentChange, IncidentEvent, IncidentId};
use vigie_core::{Event, EventBody, Observation, SensorId, Seq, Timestamp};
use vigie_store::{EventLog, LogReader, Snapshot, StoreError};

fn observation(seq: u64, sensor: &str, time: i64, value: f64) -> Event {
    Event {
        seq: Seq(seq),
        time: Timestamp(time),
        source: "test".to_owned(),
        body: EventBody::Observation(Observation {
            sensor_id: SensorId::parse(sensor).unwrap(),
            time: Timestamp(time),
            value,
            unit: "m".to_owned(),
            evidence: None,
        }),
    }
}

fn note(seq: u64, incident: u64) -> Event {
    Event {
        seq: Seq(seq),
        time: Timestamp(1_000),
        source: "operator:alice".to_owned(),
        body: EventBody::Incident(IncidentEvent {
            incident_id: IncidentId(incident),
            actor: Actor("operator:alice".to_owned()),
            change: IncidentChange::NoteAdded { text: format!("note {seq}") },
        }),
    }
}

macro_rules! event_log_contract {
    ($module:ident, $open:expr) => {
        mod $module {
            use super::*;

            #[test]
            fn appends_in_order_and_reads_back() {
                let (mut log, reader) = $open("order");
                assert_eq!(log.last_seq().unwrap(), Seq(0));
                let batch: Vec<Event> =
                    (1..=5).map(|seq| observation(seq, "gauge-1", seq as i64 * 1000, seq as f64)).collect();
                log.append(&batch).unwrap();
                log.append(&[note(6, 1), note(7, 2), note(8, 1)]).unwrap();
                assert_eq!(log.last_seq().unwrap(), Seq(8));
                assert_eq!(reader.last_seq().unwrap(), Seq(8));
                let all = reader.read(Seq(1), 100).unwrap();
                assert_eq!(all.len(), 8);
                assert_eq!(all[..5], batch[..]);
                let page = reader.read(Seq(4), 2).unwrap();
                assert_eq!(page.iter().map(|event| event.seq.0).collect::<Vec<_>>(), vec![4, 5]);
                let timeline = reader.incident_timeline(1).unwrap();
                assert_eq!(timeline.iter().map(|event| event.seq.0).collect::<Vec<_>>(), vec![6, 8]);
            }

            #[test]
            fn refuses_gaps_and_overlaps() {
                let (mut log, _reader) = $open("gaps");
                log.append(&[observation(1, "gauge-1", 0, 1.0)]).unwrap();
                let gap = log.append(&[observation(3, "gauge-1", 0, 1.0)]);
                assert!(matches!(gap, Err(StoreError::OutOfOrder { last: 1, first: 3 })), "{gap:?}");
                let overlap = log.append(&[observation(1, "gauge-1", 0, 1.0)]);
                assert!(matches!(overlap, Err(StoreError::OutOfOrder { last: 1, first: 1 })), "{overlap:?}");
                assert_eq!(log.last_seq().unwrap(), Seq(1));
            }

            #[test]
            fn aggregates_sensor_minutes_across_batches() {
                let (mut log, reader) = $open("minutes");
                log.append(&[observation(1, "gauge-1", 60_000, 2.0), observation(2, "gauge-1", 61_000, 4.0)]).unwrap();
                log.append(&[observation(3, "gauge-1", 119_000, 1.0), observation(4, "gauge-1", 120_000, 9.0)])
                    .unwrap();
                let minutes = reader
                    .sensor_minutes(&SensorId::parse("gauge-1").unwrap(), Timestamp(0), Timestamp(1_000_000))
                    .unwrap();
                assert_eq!(minutes.len(), 2);
                assert_eq!((minutes[0].count, minutes[0].min, minutes[0].max, minutes[0].last), (3, 1.0, 4.0, 1.0));
                assert!((minutes[0].mean - 7.0 / 3.0).abs() < 1e-9);
                assert_eq!((minutes[1].minute, minutes[1].count, minutes[1].last), (Timestamp(120_000), 1, 9.0));
            }

            #[test]
            fn keeps_the_newest_snapshots() {
                let (mut log, _reader) = $open("snapshots");
                assert!(log.latest_snapshot().unwrap().is_none());
                for seq in 1..=5 {
                    log.save_snapshot(&Snapshot {
                        seq: Seq(seq),
                        taken_at: Timestamp(seq as i64),
                        state: vec![seq as u8],
                        rules: Vec::new(),
                    })
                    .unwrap();
                }
                let latest = log.latest_snapshot().unwrap().unwrap();
                assert_eq!((latest.seq, latest.state), (Seq(5), vec![5]));
            }
        }
    };
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("vigie-store-it-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("log.db")
}

fn open_sqlite(name: &str) -> (vigie_store::sqlite::SqliteLog, vigie_store::sqlite::SqliteReader) {
    let path = scratch(name);
    let log = vigie_store::sqlite::SqliteLog::open(&path).unwrap();
    (log, vigie_store::sqlite::SqliteLog::reader(&path))
}

event_log_contract!(sqlite, open_sqlite);

#[test]
fn sqlite_log_is_append_only_and_verifies() {
    let path = scratch("append-only");
    let mut log = vigie_store::sqlite::SqliteLog::open(&path).unwrap();
    log.append(&[observation(1, "gauge-1", 0, 1.0), note(2, 1)]).unwrap();
    let connection = rusqlite_connection(&path);
    let update = connection.execute("UPDATE events SET payload = '{}' WHERE seq = 1", []);
    assert!(update.unwrap_err().to_string().contains("append-only"));
    let delete = connection.execute("DELETE FROM events WHERE seq = 2", []);
    assert!(delete.unwrap_err().to_string().contains("append-only"));
    let report = vigie_store::sqlite::verify(&path, &mut |_| {}).unwrap();
    assert_eq!(report.events, 2);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    // A payload tampered with behind the triggers' back is found.
    connection
        .execute_batch("DROP TRIGGER events_no_update; UPDATE events SET kind = 'forged' WHERE seq = 2;")
        .unwrap();
    let report = vigie_store::sqlite::verify(&path, &mut |_| {}).unwrap();
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert!(report.problems[0].starts_with("event 2: stored kind \"forged\""), "{:?}", report.problems);
}

fn rusqlite_connection(path: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}
