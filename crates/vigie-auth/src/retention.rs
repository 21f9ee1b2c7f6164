//! Retention records: the purge register and legal holds. The purge job itself lives
//! elsewhere; it asks `AuthStore::is_held` before deleting anything and records each decision
//! with `AuditLog::record_purge`.
//!
//! The purge register is append-only (triggers, like the audit log) and lives in the audit
//! database. Legal holds live in the security database: a hold is placed, then lifted once,
//! and never deleted (triggers enforce both), so the register of holds is complete.

use crate::audit::{AuditError, AuditLog};
use crate::store::{AuthError, AuthStore};
use rusqlite::{OptionalExtension, Row, params};
use vigie_core::Timestamp;
use vigie_core::incident::IncidentId;

/// The longest text accepted in a register field, in bytes.
pub const MAX_TEXT_BYTES: usize = 1024;

/// One line of the purge register: an object whose retention period ended, and what became of
/// it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PurgeRecord {
    /// When the purge job decided.
    pub time: Timestamp,
    /// The kind of data (`imagery`, `observations`, `incidents`, `sessions`...).
    pub data_class: String,
    /// The object's identifier within its class.
    pub object_id: String,
    /// Why it was due (the retention rule, e.g. `imagery older than 30 days`).
    pub reason: String,
    /// `None`: the object was deleted. `Some(what)`: it was due but kept, by `what` (for a
    /// legal hold, `legal_hold:<id>`).
    pub kept_by: Option<String>,
}

/// A stored purge record, with its number in the register.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredPurge {
    /// Its number, increasing with each record.
    pub id: i64,
    /// The record.
    pub record: PurgeRecord,
}

/// Which purge records `AuditLog::purges` returns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PurgeFilter {
    /// Only this data class.
    pub data_class: Option<String>,
    /// Only records at or after this time.
    pub from: Option<Timestamp>,
    /// Only records before this time.
    pub until: Option<Timestamp>,
}

fn check_text(field: &'static str, text: &str) -> Result<(), AuditError> {
    if text.len() > MAX_TEXT_BYTES {
        return Err(AuditError::TooLarge { field, max: MAX_TEXT_BYTES });
    }
    Ok(())
}

impl AuditLog {
    /// Appends a record to the purge register; returns its number.
    pub fn record_purge(&self, record: &PurgeRecord) -> Result<i64, AuditError> {
        check_text("data_class", &record.data_class)?;
        check_text("object_id", &record.object_id)?;
        check_text("reason", &record.reason)?;
        check_text("kept_by", record.kept_by.as_deref().unwrap_or_default())?;
        self.with_writer(|connection| {
            connection.execute(
                "INSERT INTO purge_register (time, data_class, object_id, reason, kept_by) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![record.time.0, record.data_class, record.object_id, record.reason, record.kept_by],
            )?;
            Ok(connection.last_insert_rowid())
        })
    }

    /// Returns up to `limit` purge records matching `filter` numbered above `after_id`, oldest
    /// first.
    pub fn purges(&self, filter: &PurgeFilter, limit: usize, after_id: i64) -> Result<Vec<StoredPurge>, AuditError> {
        self.with_reader(|connection| {
            let mut statement = connection.prepare_cached(
                "SELECT id, time, data_class, object_id, reason, kept_by FROM purge_register
                 WHERE id > ?1
                   AND (?2 IS NULL OR data_class = ?2)
                   AND (?3 IS NULL OR time >= ?3)
                   AND (?4 IS NULL OR time < ?4)
                 ORDER BY id LIMIT ?5",
            )?;
            let rows = statement.query_map(
                params![
                    after_id,
                    filter.data_class,
                    filter.from.map(|time| time.0),
                    filter.until.map(|time| time.0),
                    i64::try_from(limit.min(crate::audit::MAX_READ)).unwrap_or(i64::MAX)
                ],
                |row| {
                    Ok(StoredPurge {
                        id: row.get(0)?,
                        record: PurgeRecord {
                            time: Timestamp(row.get(1)?),
                            data_class: row.get(2)?,
                            object_id: row.get(3)?,
                            reason: row.get(4)?,
                            kept_by: row.get(5)?,
                        },
                    })
                },
            )?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }
}

/// What a legal hold keeps: one object, or everything attached to one incident.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HoldTarget {
    /// An object by its identifier (a recording, a snapshot...).
    Object(String),
    /// An incident and everything attached to it.
    Incident(IncidentId),
}

/// A legal hold: data kept beyond its retention period for a legal reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LegalHold {
    /// Its number.
    pub id: i64,
    /// What it keeps.
    pub target: HoldTarget,
    /// Why (a court order, a complaint, a rights request...).
    pub reason: String,
    /// Who placed it.
    pub placed_by: String,
    /// When.
    pub placed_at: Timestamp,
    /// Who lifted it, once lifted.
    pub lifted_by: Option<String>,
    /// When it was lifted; `None` while it holds.
    pub lifted_at: Option<Timestamp>,
}

impl LegalHold {
    /// Tells whether the hold still holds.
    pub fn is_active(&self) -> bool {
        self.lifted_at.is_none()
    }
}

const HOLD_COLUMNS: &str = "id, object_id, incident_id, reason, placed_by, placed_at, lifted_by, lifted_at";

fn hold_row(row: &Row<'_>) -> rusqlite::Result<LegalHold> {
    let object_id: Option<String> = row.get(1)?;
    let incident_id: Option<i64> = row.get(2)?;
    let target = match (object_id, incident_id) {
        (Some(object), _) => HoldTarget::Object(object),
        (None, Some(incident)) => HoldTarget::Incident(IncidentId(incident as u64)),
        // The table's CHECK constraint makes exactly one of them set.
        (None, None) => HoldTarget::Object(String::new()),
    };
    Ok(LegalHold {
        id: row.get(0)?,
        target,
        reason: row.get(3)?,
        placed_by: row.get(4)?,
        placed_at: Timestamp(row.get(5)?),
        lifted_by: row.get(6)?,
        lifted_at: row.get::<_, Option<i64>>(7)?.map(Timestamp),
    })
}

fn target_columns(target: &HoldTarget) -> (Option<&str>, Option<i64>) {
    match target {
        HoldTarget::Object(object) => (Some(object.as_str()), None),
        HoldTarget::Incident(incident) => (None, Some(incident.0 as i64)),
    }
}

impl AuthStore {
    /// Places a legal hold; returns it.
    pub fn place_hold(
        &self,
        target: &HoldTarget,
        reason: &str,
        placed_by: &str,
        now: Timestamp,
    ) -> Result<LegalHold, AuthError> {
        if let HoldTarget::Object(object) = target
            && (object.is_empty() || object.len() > MAX_TEXT_BYTES)
        {
            return Err(AuthError::InvalidHold("the object identifier must be 1 to 1024 bytes"));
        }
        if reason.trim().is_empty() || reason.len() > MAX_TEXT_BYTES {
            return Err(AuthError::InvalidHold("the reason must be 1 to 1024 bytes"));
        }
        if placed_by.is_empty() || placed_by.len() > MAX_TEXT_BYTES {
            return Err(AuthError::InvalidHold("placed_by must be 1 to 1024 bytes"));
        }
        let (object_id, incident_id) = target_columns(target);
        let connection = self.connection();
        connection.execute(
            "INSERT INTO legal_holds (object_id, incident_id, reason, placed_by, placed_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![object_id, incident_id, reason, placed_by, now.0],
        )?;
        Ok(LegalHold {
            id: connection.last_insert_rowid(),
            target: target.clone(),
            reason: reason.to_owned(),
            placed_by: placed_by.to_owned(),
            placed_at: now,
            lifted_by: None,
            lifted_at: None,
        })
    }

    /// Lifts a hold; returns it as lifted.
    pub fn lift_hold(&self, id: i64, lifted_by: &str, now: Timestamp) -> Result<LegalHold, AuthError> {
        if lifted_by.is_empty() || lifted_by.len() > MAX_TEXT_BYTES {
            return Err(AuthError::InvalidHold("lifted_by must be 1 to 1024 bytes"));
        }
        let mut connection = self.connection();
        let transaction = connection.transaction()?;
        let sql = format!("SELECT {HOLD_COLUMNS} FROM legal_holds WHERE id = ?1");
        let Some(mut hold) = transaction.query_row(&sql, [id], hold_row).optional()? else {
            return Err(AuthError::UnknownHold { id });
        };
        if !hold.is_active() {
            return Err(AuthError::HoldAlreadyLifted { id });
        }
        transaction.execute(
            "UPDATE legal_holds SET lifted_by = ?2, lifted_at = ?3 WHERE id = ?1",
            params![id, lifted_by, now.0],
        )?;
        transaction.commit()?;
        hold.lifted_by = Some(lifted_by.to_owned());
        hold.lifted_at = Some(now);
        Ok(hold)
    }

    /// Tells whether an active hold keeps `target`.
    pub fn is_held(&self, target: &HoldTarget) -> Result<bool, AuthError> {
        let (object_id, incident_id) = target_columns(target);
        let held = self.connection().query_row(
            "SELECT EXISTS (SELECT 1 FROM legal_holds WHERE lifted_at IS NULL
                 AND (object_id = ?1 OR incident_id = ?2))",
            params![object_id, incident_id],
            |row| row.get(0),
        )?;
        Ok(held)
    }

    /// Returns every hold, active and lifted, by number.
    pub fn holds(&self) -> Result<Vec<LegalHold>, AuthError> {
        let connection = self.connection();
        let sql = format!("SELECT {HOLD_COLUMNS} FROM legal_holds ORDER BY id");
        let mut statement = connection.prepare(&sql)?;
        let rows = statement.query_map([], hold_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests;
