//! Device revocations: credentials of devices (sensor gateways, the vision worker) withdrawn
//! while the program runs, kept in the security database so that a restart does not bring a
//! revoked device back. The devices themselves and their secrets live in the devices file;
//! `revoked = true` there is the other way to withdraw one.

use crate::store::{AuthError, AuthStore};
use rusqlite::params;
use vigie_core::Timestamp;

/// The longest device identifier or reason accepted, in bytes.
const MAX_TEXT_BYTES: usize = 1024;

/// One withdrawn device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceRevocation {
    /// The device's identifier, as in the devices file.
    pub device_id: String,
    /// Who withdrew it.
    pub revoked_by: String,
    /// When.
    pub revoked_at: Timestamp,
    /// Why.
    pub reason: String,
}

fn check_text(text: &str, what: &'static str) -> Result<(), AuthError> {
    if text.trim().is_empty() || text.len() > MAX_TEXT_BYTES {
        return Err(AuthError::InvalidRevocation(what));
    }
    Ok(())
}

impl AuthStore {
    /// Withdraws a device's credentials. Returns `false` when it was already withdrawn (the
    /// first revocation is kept).
    pub fn revoke_device(
        &self,
        device_id: &str,
        reason: &str,
        revoked_by: &str,
        now: Timestamp,
    ) -> Result<bool, AuthError> {
        check_text(device_id, "the device identifier must be 1 to 1024 bytes")?;
        check_text(reason, "the reason must be 1 to 1024 bytes")?;
        check_text(revoked_by, "revoked_by must be 1 to 1024 bytes")?;
        let inserted = self.connection().execute(
            "INSERT INTO device_revocations (device_id, revoked_by, revoked_at, reason) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (device_id) DO NOTHING",
            params![device_id, revoked_by, now.0, reason],
        )?;
        Ok(inserted > 0)
    }

    /// Gives a withdrawn device its credentials back. Returns whether it was withdrawn.
    pub fn restore_device(&self, device_id: &str) -> Result<bool, AuthError> {
        Ok(self.connection().execute("DELETE FROM device_revocations WHERE device_id = ?1", [device_id])? > 0)
    }

    /// Returns every withdrawn device, by identifier.
    pub fn revoked_devices(&self) -> Result<Vec<DeviceRevocation>, AuthError> {
        let connection = self.connection();
        let mut statement = connection
            .prepare("SELECT device_id, revoked_by, revoked_at, reason FROM device_revocations ORDER BY device_id")?;
        let rows = statement.query_map([], |row| {
            Ok(DeviceRevocation {
                device_id: row.get(0)?,
                revoked_by: row.get(1)?,
                revoked_at: Timestamp(row.get(2)?),
                reason: row.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::AuthConfig;
    use crate::testing::{T0, fresh_dir};

    #[test]
    fn a_revocation_survives_a_restart_until_the_device_is_restored() {
        let dir = fresh_dir("device-revocations");
        let store = AuthStore::open(&dir, AuthConfig::default()).unwrap();
        assert!(store.revoke_device("passerelle-ouche", "gateway stolen", "admin", T0).unwrap());
        assert!(!store.revoke_device("passerelle-ouche", "again", "admin", T0).unwrap(), "the first one is kept");
        drop(store);
        let store = AuthStore::open(&dir, AuthConfig::default()).unwrap();
        let revoked = store.revoked_devices().unwrap();
        assert_eq!(revoked.len(), 1);
        assert_eq!((revoked[0].device_id.as_str(), revoked[0].reason.as_str()), ("passerelle-ouche", "gateway stolen"));
        assert!(store.restore_device("passerelle-ouche").unwrap());
        assert!(!store.restore_device("passerelle-ouche").unwrap());
        assert!(store.revoked_devices().unwrap().is_empty());
        let error = store.revoke_device("x", " ", "admin", T0).unwrap_err();
        assert_eq!(error.code(), "invalid_revocation");
    }
}
