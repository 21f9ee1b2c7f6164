//! Device credentials and scopes for the embedded broker, loaded once from a TOML file:
//!
//! ```toml
//! [[device]]
//! id = "ouche-gauges"                  # the MQTT username
//! password_hash = "$argon2id$v=19$m=19456,t=2,p=1$..."
//! sensors = ["gauge-ouche-01"]          # may publish for these sensors...
//! communes = ["21231"]                  # ...and for every sensor of these communes
//! revoked = false                       # true withdraws the device (optional)
//! ```
//!
//! A device is withdrawn by `revoked = true` in the file, or while the program runs by
//! [`Devices::revoke`] (the HTTP API keeps those revocations in its security database and
//! applies them at start). A withdrawn device is refused like a wrong password, by the broker
//! and by HTTP ingest alike, since both share one `Arc<Devices>`.
//!
//! Passwords are kept only as argon2id PHC strings, made by [`hash_secret`]. Checking a password
//! costs tens of milliseconds of CPU on purpose: callers run [`Devices::authenticate`] on a
//! blocking pool, once per connection, and keep the [`Device`] for the connection's life.

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use serde::Deserialize;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};
use vigie_city::City;
use vigie_core::{CommuneId, SensorId};

/// One device (a gateway, a sensor, an alarm panel) and what it may publish for.
#[derive(Debug)]
pub struct Device {
    pub id: String,
    /// The sensors it may publish for.
    pub sensors: BTreeSet<SensorId>,
    /// The communes for whose sensors it may publish.
    pub communes: BTreeSet<CommuneId>,
    /// Withdrawn in the devices file (`revoked = true`).
    pub revoked: bool,
    password_hash: String,
}

impl Device {
    /// Tells whether the device may publish `sensor`'s readings, the sensor being in `commune`.
    pub fn may_publish(&self, sensor: &SensorId, commune: &CommuneId) -> bool {
        self.sensors.contains(sensor) || self.communes.contains(commune)
    }
}

/// Every device of the embedded broker, by id.
#[derive(Debug, Default)]
pub struct Devices {
    by_id: HashMap<String, Arc<Device>>,
    /// A hash checked when the username is unknown, so that an unknown device takes as long to
    /// refuse as a wrong password (no device enumeration by timing). Made on first need.
    decoy: OnceLock<String>,
    /// Devices withdrawn while the program runs.
    withdrawn: RwLock<HashSet<String>>,
}

/// Why the devices file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DevicesError {
    #[error("cannot read the devices file {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid devices file {origin}: {message}")]
    Parse { origin: String, message: String },
    #[error("device {id:?}: the id must be 1 to 64 ASCII letters, digits, '-', '_', '.' or ':'")]
    BadId { id: String },
    #[error("device {id:?} appears twice")]
    Duplicate { id: String },
    #[error("device {id:?}: password_hash must be an argon2id PHC string (make one with `vigie device hash`)")]
    BadHash { id: String },
    #[error("device {id:?} has no scope: give it sensors, communes or both")]
    NoScope { id: String },
    #[error("device {id:?}: unknown sensor {sensor:?}")]
    UnknownSensor { id: String, sensor: String },
    #[error("device {id:?}: unknown commune {commune:?}")]
    UnknownCommune { id: String, commune: String },
}

/// Why a secret could not be hashed.
#[derive(Debug, thiserror::Error)]
#[error("cannot hash the secret: {0}")]
pub struct HashError(String);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DevicesFile {
    #[serde(default, rename = "device")]
    devices: Vec<DeviceEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviceEntry {
    id: String,
    password_hash: String,
    #[serde(default)]
    sensors: Vec<SensorId>,
    #[serde(default)]
    communes: Vec<CommuneId>,
    #[serde(default)]
    revoked: bool,
}

/// Hashes `secret` into an argon2id PHC string with a random salt and the default (OWASP)
/// parameters, for the devices file.
pub fn hash_secret(secret: &str) -> Result<String, HashError> {
    let hash = Argon2::default().hash_password(secret.as_bytes()).map_err(|error| HashError(error.to_string()))?;
    Ok(hash.to_string())
}

fn is_argon2id(phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|hash| hash.algorithm.as_str() == "argon2id")
}

/// Checks `secret` against an argon2id PHC string (with the parameters the string carries).
/// Blocking and CPU-heavy.
fn verify_secret(phc: &str, secret: &[u8]) -> bool {
    match PasswordHash::new(phc) {
        Ok(hash) => Argon2::default().verify_password(secret, &hash).is_ok(),
        Err(_) => false,
    }
}

fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
}

impl Devices {
    /// Reads and checks the devices file at `path`.
    pub fn load(path: &Path) -> Result<Devices, DevicesError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| DevicesError::Read { path: path.display().to_string(), source })?;
        Devices::from_toml(&text, &path.display().to_string())
    }

    /// Parses and checks a devices file's text; `origin` names it in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<Devices, DevicesError> {
        let file: DevicesFile = toml::from_str(text)
            .map_err(|error| DevicesError::Parse { origin: origin.to_owned(), message: error.to_string() })?;
        let mut by_id = HashMap::with_capacity(file.devices.len());
        for entry in file.devices {
            if !is_valid_id(&entry.id) {
                return Err(DevicesError::BadId { id: entry.id });
            }
            if !is_argon2id(&entry.password_hash) {
                return Err(DevicesError::BadHash { id: entry.id });
            }
            if entry.sensors.is_empty() && entry.communes.is_empty() {
                return Err(DevicesError::NoScope { id: entry.id });
            }
            let device = Device {
                id: entry.id.clone(),
                sensors: entry.sensors.into_iter().collect(),
                communes: entry.communes.into_iter().collect(),
                revoked: entry.revoked,
                password_hash: entry.password_hash,
            };
            if by_id.insert(entry.id.clone(), Arc::new(device)).is_some() {
                return Err(DevicesError::Duplicate { id: entry.id });
            }
        }
        Ok(Devices { by_id, decoy: OnceLock::new(), withdrawn: RwLock::new(HashSet::new()) })
    }

    /// Checks that every sensor and commune in a scope exists in the city pack.
    pub fn check_against(&self, city: &City) -> Result<(), DevicesError> {
        let mut devices: Vec<&Arc<Device>> = self.by_id.values().collect();
        devices.sort_by(|a, b| a.id.cmp(&b.id));
        for device in devices {
            if let Some(sensor) = device.sensors.iter().find(|sensor| city.sensor(sensor).is_none()) {
                return Err(DevicesError::UnknownSensor { id: device.id.clone(), sensor: sensor.to_string() });
            }
            if let Some(commune) = device.communes.iter().find(|commune| city.commune(commune).is_none()) {
                return Err(DevicesError::UnknownCommune { id: device.id.clone(), commune: commune.to_string() });
            }
        }
        Ok(())
    }

    /// Returns the device with this id.
    pub fn get(&self, id: &str) -> Option<&Arc<Device>> {
        self.by_id.get(id)
    }

    /// Returns every device, by id.
    pub fn all(&self) -> Vec<Arc<Device>> {
        let mut devices: Vec<Arc<Device>> = self.by_id.values().cloned().collect();
        devices.sort_by(|a, b| a.id.cmp(&b.id));
        devices
    }

    /// Withdraws a device until [`Devices::restore`]: its next connection or request is refused.
    pub fn revoke(&self, id: &str) {
        self.withdrawn.write().unwrap_or_else(PoisonError::into_inner).insert(id.to_owned());
    }

    /// Ends a withdrawal made by [`Devices::revoke`] (not one written in the file).
    pub fn restore(&self, id: &str) {
        self.withdrawn.write().unwrap_or_else(PoisonError::into_inner).remove(id);
    }

    /// Tells whether the device is withdrawn, in the file or at run time.
    pub fn is_revoked(&self, id: &str) -> bool {
        self.by_id.get(id).is_some_and(|device| device.revoked)
            || self.withdrawn.read().unwrap_or_else(PoisonError::into_inner).contains(id)
    }

    /// Returns how many devices there are.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Tells whether there is no device.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Returns the device if `password` is its password. Blocking and CPU-heavy (argon2): run
    /// it on a blocking pool, never on an async worker.
    pub fn authenticate(&self, id: &str, password: &[u8]) -> Option<Arc<Device>> {
        match self.by_id.get(id) {
            Some(device) => {
                let verified = verify_secret(&device.password_hash, password);
                // Checked after the hash, so that a withdrawn device takes as long to refuse.
                (verified && !self.is_revoked(id)).then(|| device.clone())
            }
            None => {
                let decoy = self.decoy.get_or_init(|| hash_secret("vigie-decoy").unwrap_or_default());
                let _ = verify_secret(decoy, password);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn devices_file(hash: &str) -> String {
        format!(
            r#"
            [[device]]
            id = "ouche-gauges"
            password_hash = "{hash}"
            sensors = ["gauge-ouche-01"]

            [[device]]
            id = "dijon-panels"
            password_hash = "{hash}"
            communes = ["21231"]
            "#
        )
    }

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let hash = hash_secret("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_secret(&hash, b"correct horse"));
        assert!(!verify_secret(&hash, b"wrong horse"));
        assert!(!verify_secret("not a hash", b"correct horse"));
        assert_ne!(hash, hash_secret("correct horse").unwrap(), "salts are random");
    }

    #[test]
    fn loads_devices_and_checks_scopes() {
        let hash = hash_secret("pw").unwrap();
        let devices = Devices::from_toml(&devices_file(&hash), "test").unwrap();
        assert_eq!(devices.len(), 2);
        let gauges = devices.authenticate("ouche-gauges", b"pw").expect("right password");
        let gauge = SensorId::parse("gauge-ouche-01").unwrap();
        let other = SensorId::parse("gauge-ouche-02").unwrap();
        let dijon = CommuneId::parse("21231").unwrap();
        let plombieres = CommuneId::parse("21485").unwrap();
        assert!(gauges.may_publish(&gauge, &plombieres));
        assert!(!gauges.may_publish(&other, &dijon));
        let panels = devices.get("dijon-panels").unwrap();
        assert!(panels.may_publish(&other, &dijon));
        assert!(!panels.may_publish(&gauge, &plombieres));
        assert!(devices.authenticate("ouche-gauges", b"wrong").is_none());
        assert!(devices.authenticate("nobody", b"pw").is_none());
    }

    #[test]
    fn revoked_devices_are_refused() {
        let hash = hash_secret("pw").unwrap();
        let text = format!(
            "{}\n[[device]]\nid = \"old\"\npassword_hash = \"{hash}\"\nsensors = [\"s\"]\nrevoked = true\n",
            devices_file(&hash)
        );
        let devices = Devices::from_toml(&text, "test").unwrap();
        assert!(devices.is_revoked("old"));
        assert!(devices.authenticate("old", b"pw").is_none(), "revoked in the file");
        assert!(devices.authenticate("ouche-gauges", b"pw").is_some());
        devices.revoke("ouche-gauges");
        assert!(devices.authenticate("ouche-gauges", b"pw").is_none(), "revoked at run time");
        devices.restore("ouche-gauges");
        assert!(devices.authenticate("ouche-gauges", b"pw").is_some());
        devices.restore("old");
        assert!(devices.is_revoked("old"), "a revocation in the file stays");
        assert_eq!(
            devices.all().iter().map(|device| device.id.as_str()).collect::<Vec<_>>(),
            ["dijon-panels", "old", "ouche-gauges"]
        );
    }

    #[test]
    fn refuses_bad_files() {
        let hash = hash_secret("pw").unwrap();
        let cases = [
            ("[[device]]\nid = \"a\"\npassword_hash = \"plain\"\nsensors = [\"s\"]".to_owned(), "argon2id"),
            (format!("[[device]]\nid = \"a\"\npassword_hash = \"{hash}\""), "no scope"),
            (format!("[[device]]\nid = \"a b\"\npassword_hash = \"{hash}\"\nsensors = [\"s\"]"), "the id must"),
            (
                format!(
                    "[[device]]\nid = \"a\"\npassword_hash = \"{hash}\"\nsensors = [\"s\"]\n[[device]]\nid = \"a\"\npassword_hash = \"{hash}\"\nsensors = [\"s\"]"
                ),
                "twice",
            ),
            ("[[device]]\nid = \"a\"\npassword = \"pw\"\nsensors = [\"s\"]".to_owned(), "invalid devices file"),
            (
                format!("[[device]]\nid = \"a\"\npassword_hash = \"{hash}\"\nsensors = [\"a/b\"]"),
                "invalid devices file",
            ),
        ];
        for (text, expected) in cases {
            let error = Devices::from_toml(&text, "test").unwrap_err().to_string();
            assert!(error.contains(expected), "{error}");
        }
        let pbkdf = "$pbkdf2-sha256$i=1000$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";
        let text = format!("[[device]]\nid = \"a\"\npassword_hash = \"{pbkdf}\"\nsensors = [\"s\"]");
        assert!(matches!(Devices::from_toml(&text, "test"), Err(DevicesError::BadHash { .. })));
    }
}
