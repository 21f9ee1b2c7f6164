//! The embedded backend: one SQLite file in WAL mode with `synchronous=FULL`.
//!
//! The writer appends a whole batch — possibly many clients' requests — in one transaction, so
//! they share one fsync (group commit). Readers use their own connections; WAL lets them read
//! while the writer writes. Triggers make the `events` table append-only.

use crate::{
    DEAD_LETTER_PAYLOAD_MAX, DeadLetter, EventLog, LogReader, MinuteAggregate, Snapshot, StoreError, StoredDeadLetter,
};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use vigie_core::{Event, EventBody, SensorId, Seq, Timestamp};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS events (
    seq     INTEGER PRIMARY KEY,
    time    INTEGER NOT NULL,
    source  TEXT NOT NULL,
    kind    TEXT NOT NULL,
    subject TEXT,
    payload TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_subject ON events(subject, seq) WHERE subject IS NOT NULL;
CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TABLE IF NOT EXISTS dead_letters (
    id      INTEGER PRIMARY KEY,
    time    INTEGER NOT NULL,
    channel TEXT NOT NULL,
    source  TEXT NOT NULL,
    topic   TEXT NOT NULL,
    reason  TEXT NOT NULL,
    detail  TEXT NOT NULL,
    payload BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS snapshots (
    seq      INTEGER PRIMARY KEY,
    taken_at INTEGER NOT NULL,
    state    BLOB NOT NULL,
    rules    BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS sensor_minutes (
    sensor    TEXT NOT NULL,
    minute    INTEGER NOT NULL,
    n         INTEGER NOT NULL,
    sum       REAL NOT NULL,
    min       REAL NOT NULL,
    max       REAL NOT NULL,
    last      REAL NOT NULL,
    last_time INTEGER NOT NULL,
    PRIMARY KEY (sensor, minute)
) WITHOUT ROWID;
";

/// How many snapshots are kept; older ones are deleted when a new one is saved.
const SNAPSHOTS_KEPT: i64 = 3;

/// The subject an event is indexed under: an incident's number or a unit's id. Observations
/// are not indexed one by one (their series lives in `sensor_minutes`), which keeps appends fast.
fn subject_of(body: &EventBody) -> Option<String> {
    match body {
        EventBody::Observation(_) => None,
        EventBody::Alarm(alarm_event) => Some(match alarm_event.incident {
            Some(incident) => format!("incident:{}", incident.0),
            None => format!("alarm:{}", alarm_event.key),
        }),
        EventBody::Incident(incident_event) => Some(format!("incident:{}", incident_event.incident_id.0)),
        EventBody::UnitPosition(position) => Some(format!("unit:{}", position.unit_id)),
    }
}

fn decode(seq: i64, time: i64, source: String, payload: &str) -> Result<Event, StoreError> {
    let body: EventBody = serde_json::from_str(payload)
        .map_err(|source_error| StoreError::Corrupt { seq: seq as u64, source: source_error })?;
    Ok(Event { seq: Seq(seq as u64), time: Timestamp(time), source, body })
}

fn read_range(connection: &Connection, from: Seq, limit: usize) -> Result<Vec<Event>, StoreError> {
    let mut statement = connection
        .prepare_cached("SELECT seq, time, source, payload FROM events WHERE seq >= ?1 ORDER BY seq LIMIT ?2")?;
    let mut rows = statement.query(params![from.0 as i64, limit as i64])?;
    let mut events = Vec::new();
    while let Some(row) = rows.next()? {
        let payload: String = row.get(3)?;
        events.push(decode(row.get(0)?, row.get(1)?, row.get(2)?, &payload)?);
    }
    Ok(events)
}

/// The writer's connection.
pub struct SqliteLog {
    connection: Connection,
}

impl SqliteLog {
    /// Opens (creating if needed) the log at `path`.
    pub fn open(path: &Path) -> Result<SqliteLog, StoreError> {
        if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|error| StoreError::Other(format!("cannot create {}: {error}", parent.display())))?;
        }
        let connection = Connection::open(path)?;
        connection.pragma_update(None, "journal_mode", "WAL")?;
        // FULL: a commit is on disk, WAL included, when it returns; acknowledgements rely on it.
        connection.pragma_update(None, "synchronous", "FULL")?;
        connection.pragma_update(None, "temp_store", "MEMORY")?;
        connection.pragma_update(None, "cache_size", -65_536)?;
        connection.busy_timeout(std::time::Duration::from_secs(10))?;
        connection.execute_batch(SCHEMA)?;
        Ok(SqliteLog { connection })
    }

    /// Opens a reader pool over the same file. The log must have been opened once before.
    pub fn reader(path: &Path) -> SqliteReader {
        SqliteReader { path: path.to_path_buf(), pool: Mutex::new(Vec::new()) }
    }
}

impl EventLog for SqliteLog {
    fn last_seq(&mut self) -> Result<Seq, StoreError> {
        let last: i64 = self.connection.query_row("SELECT COALESCE(MAX(seq), 0) FROM events", [], |row| row.get(0))?;
        Ok(Seq(last as u64))
    }

    fn append_with_dead_letters(&mut self, events: &[Event], dead_letters: &[DeadLetter]) -> Result<(), StoreError> {
        if events.is_empty() && dead_letters.is_empty() {
            return Ok(());
        }
        let transaction = self.connection.transaction()?;
        if !dead_letters.is_empty() {
            let mut insert = transaction.prepare_cached(
                "INSERT INTO dead_letters (time, channel, source, topic, reason, detail, payload)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for letter in dead_letters {
                let kept = &letter.payload[..letter.payload.len().min(DEAD_LETTER_PAYLOAD_MAX)];
                insert.execute(params![
                    letter.time.0,
                    letter.channel,
                    letter.source,
                    letter.topic,
                    letter.reason,
                    letter.detail,
                    kept
                ])?;
            }
        }
        if let Some(first) = events.first() {
            let last: i64 = transaction.query_row("SELECT COALESCE(MAX(seq), 0) FROM events", [], |row| row.get(0))?;
            if first.seq.0 != last as u64 + 1 {
                return Err(StoreError::OutOfOrder { last: last as u64, first: first.seq.0 });
            }
        }
        let mut minutes: HashMap<(&str, i64), MinuteSum> = HashMap::new();
        {
            let mut insert = transaction.prepare_cached(
                "INSERT INTO events (seq, time, source, kind, subject, payload) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for (offset, event) in events.iter().enumerate() {
                debug_assert_eq!(event.seq.0, events[0].seq.0 + offset as u64, "batch must be contiguous");
                // Writing into a String cannot fail for these plain data types except on
                // non-finite floats, which the edge refuses; the error is still reported.
                let encoded = serde_json::to_string(&event.body)
                    .map_err(|source| StoreError::Encode { seq: event.seq.0, source })?;
                insert.execute(params![
                    event.seq.0 as i64,
                    event.time.0,
                    event.source,
                    event.body.kind(),
                    subject_of(&event.body),
                    encoded,
                ])?;
                if let EventBody::Observation(observation) = &event.body {
                    let minute = observation.time.0.div_euclid(60_000) * 60_000;
                    minutes
                        .entry((observation.sensor_id.as_str(), minute))
                        .or_default()
                        .add(observation.value, observation.time.0);
                }
            }
        }
        if !minutes.is_empty() {
            let mut upsert = transaction.prepare_cached(
                "INSERT INTO sensor_minutes (sensor, minute, n, sum, min, max, last, last_time)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (sensor, minute) DO UPDATE SET
                    n = n + excluded.n,
                    sum = sum + excluded.sum,
                    min = min(min, excluded.min),
                    max = max(max, excluded.max),
                    last = CASE WHEN excluded.last_time >= last_time THEN excluded.last ELSE last END,
                    last_time = max(last_time, excluded.last_time)",
            )?;
            for ((sensor, minute), sum) in &minutes {
                upsert.execute(params![
                    sensor,
                    minute,
                    sum.count as i64,
                    sum.sum,
                    sum.min,
                    sum.max,
                    sum.last,
                    sum.last_time
                ])?;
            }
        }
        transaction.commit()?;
        Ok(())
    }

    fn save_snapshot(&mut self, snapshot: &Snapshot) -> Result<(), StoreError> {
        let transaction = self.connection.transaction()?;
        transaction.execute(
            "INSERT OR REPLACE INTO snapshots (seq, taken_at, state, rules) VALUES (?1, ?2, ?3, ?4)",
            params![snapshot.seq.0 as i64, snapshot.taken_at.0, snapshot.state, snapshot.rules],
        )?;
        transaction.execute(
            "DELETE FROM snapshots WHERE seq NOT IN (SELECT seq FROM snapshots ORDER BY seq DESC LIMIT ?1)",
            params![SNAPSHOTS_KEPT],
        )?;
        transaction.commit()?;
        Ok(())
    }

    fn latest_snapshot(&mut self) -> Result<Option<Snapshot>, StoreError> {
        let snapshot = self
            .connection
            .query_row("SELECT seq, taken_at, state, rules FROM snapshots ORDER BY seq DESC LIMIT 1", [], |row| {
                Ok(Snapshot {
                    seq: Seq(row.get::<_, i64>(0)? as u64),
                    taken_at: Timestamp(row.get(1)?),
                    state: row.get(2)?,
                    rules: row.get(3)?,
                })
            })
            .optional()?;
        Ok(snapshot)
    }

    fn read(&mut self, from: Seq, limit: usize) -> Result<Vec<Event>, StoreError> {
        read_range(&self.connection, from, limit)
    }
}

#[derive(Default)]
struct MinuteSum {
    count: u64,
    sum: f64,
    min: f64,
    max: f64,
    last: f64,
    last_time: i64,
}

impl MinuteSum {
    fn add(&mut self, value: f64, time: i64) {
        if self.count == 0 {
            self.min = value;
            self.max = value;
            self.last = value;
            self.last_time = time;
        } else {
            self.min = self.min.min(value);
            self.max = self.max.max(value);
            if time >= self.last_time {
                self.last = value;
                self.last_time = time;
            }
        }
        self.count += 1;
        self.sum += value;
    }
}

/// Read-only connections over the log file, shared by request handlers.
pub struct SqliteReader {
    path: PathBuf,
    /// Idle connections; a request takes one (or opens one) and gives it back.
    pool: Mutex<Vec<Connection>>,
}

impl SqliteReader {
    fn with_connection<T>(&self, work: impl FnOnce(&Connection) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let pooled = self.pool.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).pop();
        let connection = match pooled {
            Some(connection) => connection,
            None => {
                let connection = Connection::open_with_flags(
                    &self.path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                connection.busy_timeout(std::time::Duration::from_secs(10))?;
                connection
            }
        };
        let result = work(&connection);
        let mut pool = self.pool.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if pool.len() < 8 {
            pool.push(connection);
        }
        result
    }
}

impl LogReader for SqliteReader {
    fn read(&self, from: Seq, limit: usize) -> Result<Vec<Event>, StoreError> {
        self.with_connection(|connection| read_range(connection, from, limit))
    }

    fn incident_timeline(&self, incident: u64) -> Result<Vec<Event>, StoreError> {
        self.with_connection(|connection| {
            let mut statement = connection
                .prepare_cached("SELECT seq, time, source, payload FROM events WHERE subject = ?1 ORDER BY seq")?;
            let mut rows = statement.query(params![format!("incident:{incident}")])?;
            let mut events = Vec::new();
            while let Some(row) = rows.next()? {
                let payload: String = row.get(3)?;
                events.push(decode(row.get(0)?, row.get(1)?, row.get(2)?, &payload)?);
            }
            Ok(events)
        })
    }

    fn sensor_minutes(
        &self,
        sensor: &SensorId,
        since: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<MinuteAggregate>, StoreError> {
        self.with_connection(|connection| {
            let mut statement = connection.prepare_cached(
                "SELECT minute, n, sum, min, max, last FROM sensor_minutes
                 WHERE sensor = ?1 AND minute >= ?2 AND minute < ?3 ORDER BY minute",
            )?;
            let mut rows = statement.query(params![sensor.as_str(), since.0, until.0])?;
            let mut minutes = Vec::new();
            while let Some(row) = rows.next()? {
                let count: i64 = row.get(1)?;
                let sum: f64 = row.get(2)?;
                minutes.push(MinuteAggregate {
                    minute: Timestamp(row.get(0)?),
                    count: count as u64,
                    min: row.get(3)?,
                    max: row.get(4)?,
                    mean: if count > 0 { sum / count as f64 } else { 0.0 },
                    last: row.get(5)?,
                });
            }
            Ok(minutes)
        })
    }

    fn dead_letters(&self, limit: usize) -> Result<Vec<StoredDeadLetter>, StoreError> {
        self.with_connection(|connection| {
            let mut statement = connection.prepare_cached(
                "SELECT id, time, channel, source, topic, reason, detail, payload FROM dead_letters
                 ORDER BY id DESC LIMIT ?1",
            )?;
            let mut rows = statement.query(params![limit as i64])?;
            let mut letters = Vec::new();
            while let Some(row) = rows.next()? {
                letters.push(StoredDeadLetter {
                    id: row.get::<_, i64>(0)? as u64,
                    letter: DeadLetter {
                        time: Timestamp(row.get(1)?),
                        channel: row.get(2)?,
                        source: row.get(3)?,
                        topic: row.get(4)?,
                        reason: row.get(5)?,
                        detail: row.get(6)?,
                        payload: row.get(7)?,
                    },
                });
            }
            Ok(letters)
        })
    }

    fn last_seq(&self) -> Result<Seq, StoreError> {
        self.with_connection(|connection| {
            let last: i64 = connection.query_row("SELECT COALESCE(MAX(seq), 0) FROM events", [], |row| row.get(0))?;
            Ok(Seq(last as u64))
        })
    }
}

/// What `verify` found.
#[derive(Debug, Default)]
pub struct VerifyReport {
    pub events: u64,
    pub snapshots: u64,
    /// Each problem names the event it is about.
    pub problems: Vec<String>,
}

/// The most problems listed before `verify` stops listing (it still counts events).
const MAX_PROBLEMS: usize = 100;

/// Checks the log file at `path`: sequence numbers contiguous from 1, every payload decodes,
/// the stored kind and subject match the payload. `progress` gets the number checked so far.
pub fn verify(path: &Path, progress: &mut dyn FnMut(u64)) -> Result<VerifyReport, StoreError> {
    let connection = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut report = VerifyReport::default();
    let mut statement = connection.prepare("SELECT seq, kind, subject, payload FROM events ORDER BY seq")?;
    let mut rows = statement.query([])?;
    let mut expected: i64 = 1;
    let note = |report: &mut VerifyReport, problem: String| {
        if report.problems.len() < MAX_PROBLEMS {
            report.problems.push(problem);
        }
    };
    while let Some(row) = rows.next()? {
        let seq: i64 = row.get(0)?;
        let kind: String = row.get(1)?;
        let subject: Option<String> = row.get(2)?;
        let payload: String = row.get(3)?;
        if seq != expected {
            note(&mut report, format!("event {expected} is missing (next is {seq})"));
        }
        expected = seq + 1;
        match serde_json::from_str::<EventBody>(&payload) {
            Ok(body) => {
                if body.kind() != kind {
                    note(
                        &mut report,
                        format!("event {seq}: stored kind {kind:?} but the payload is {:?}", body.kind()),
                    );
                }
                if subject_of(&body) != subject {
                    note(&mut report, format!("event {seq}: stored subject {subject:?} does not match the payload"));
                }
            }
            Err(error) => note(&mut report, format!("event {seq}: payload does not decode: {error}")),
        }
        report.events += 1;
        if report.events % 100_000 == 0 {
            progress(report.events);
        }
    }
    progress(report.events);
    report.snapshots = connection.query_row("SELECT COUNT(*) FROM snapshots", [], |row| row.get::<_, i64>(0))? as u64;
    Ok(report)
}
