//! Devices over HTTP: `Authorization: Basic base64(device:secret)` on the ingest routes, checked
//! against the devices file the MQTT broker uses (the same `Arc<Devices>`, so the same
//! revocations), with the same scope: a device posts only for its own sensors and communes.
//!
//! An argon2id check costs tens of milliseconds on purpose, far too much for every ingest
//! request, so a successful check is remembered for `VERIFIED_FOR` under the SHA-256 of the
//! credentials (never the secret itself). A revocation applies at once: it is checked on every
//! request, cached or not. The last contact of each device is kept in memory for
//! `GET /api/devices`.

use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use vigie_core::Timestamp;
use vigie_ingest::mqtt::devices::{Device, Devices};

/// How long a verified credential is trusted without a new argon2 check.
pub const VERIFIED_FOR: Duration = Duration::from_secs(300);

/// The most verified credentials remembered; past that, the expired ones are forgotten, and if
/// that is not enough, all of them.
const MAX_VERIFIED: usize = 10_000;

/// Verified credentials: the device and when its secret was last checked, by credential key.
type Verified = HashMap<[u8; 32], (Arc<Device>, Instant)>;

/// The devices that may use HTTP ingest, and what the server remembers about them.
pub struct DeviceGate {
    devices: Option<Arc<Devices>>,
    verified: Mutex<Verified>,
    last_seen: Mutex<HashMap<String, Timestamp>>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The maps hold no invariant a panic could break half-way: take a poisoned lock over.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The cache key of a credential: SHA-256 of the id, a zero byte and the secret.
fn credential_key(id: &str, secret: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(id.as_bytes());
    hasher.update([0]);
    hasher.update(secret);
    hasher.finalize().into()
}

impl DeviceGate {
    /// A gate over the devices of a devices file; `None`: no device may use HTTP.
    pub fn new(devices: Option<Arc<Devices>>) -> DeviceGate {
        DeviceGate { devices, verified: Mutex::new(HashMap::new()), last_seen: Mutex::new(HashMap::new()) }
    }

    /// Returns the devices, when a devices file is configured.
    pub fn devices(&self) -> Option<&Arc<Devices>> {
        self.devices.as_ref()
    }

    /// Checks a device's credentials at `now`; returns the device when they are right and it
    /// is not withdrawn. Blocking (argon2) unless the credential was verified recently.
    pub fn authenticate(&self, id: &str, secret: &[u8], now: Timestamp) -> Option<Arc<Device>> {
        let devices = self.devices.as_ref()?;
        let key = credential_key(id, secret);
        if devices.is_revoked(id) {
            lock(&self.verified).remove(&key);
            // Spend the same work as a wrong secret, so that a withdrawn device learns nothing.
            let _ = devices.authenticate(id, secret);
            return None;
        }
        let cached = lock(&self.verified)
            .get(&key)
            .filter(|(device, verified_at)| device.id == id && verified_at.elapsed() < VERIFIED_FOR)
            .map(|(device, _)| device.clone());
        let device = match cached {
            Some(device) => device,
            None => {
                let device = devices.authenticate(id, secret)?;
                let mut verified = lock(&self.verified);
                if verified.len() >= MAX_VERIFIED {
                    verified.retain(|_, (_, verified_at)| verified_at.elapsed() < VERIFIED_FOR);
                    if verified.len() >= MAX_VERIFIED {
                        verified.clear();
                    }
                }
                verified.insert(key, (device.clone(), Instant::now()));
                device
            }
        };
        lock(&self.last_seen).insert(device.id.clone(), now);
        Some(device)
    }

    /// Forgets the verified credentials of a device (after its revocation).
    pub fn forget(&self, id: &str) {
        lock(&self.verified).retain(|_, (device, _)| device.id != id);
    }

    /// Returns when the device last used HTTP ingest, since the server started.
    pub fn last_seen(&self, id: &str) -> Option<Timestamp> {
        lock(&self.last_seen).get(id).copied()
    }
}

/// Reads the value of an `Authorization: Basic` header: `(id, secret)`.
pub(crate) fn parse_basic(value: &str) -> Option<(String, Vec<u8>)> {
    let encoded = value.strip_prefix("Basic ").or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64_decode(encoded.trim())?;
    let colon = decoded.iter().position(|byte| *byte == b':')?;
    let id = String::from_utf8(decoded[..colon].to_vec()).ok()?;
    Some((id, decoded[colon + 1..].to_vec()))
}

/// Decodes standard base64 (RFC 4648 §4, padding optional); `None` on any other character.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let digits = text.trim_end_matches('=').as_bytes();
    if digits.len() % 4 == 1 {
        return None;
    }
    let mut bytes = Vec::with_capacity(digits.len() * 3 / 4);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for digit in digits {
        let value = match digit {
            b'A'..=b'Z' => digit - b'A',
            b'a'..=b'z' => digit - b'a' + 26,
            b'0'..=b'9' => digit - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            bytes.push((buffer >> bits) as u8);
        }
    }
    Some(bytes)
}

/// Encodes bytes in standard base64 with padding (for clients and tests of this crate).
pub fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut text = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let triple = (u32::from(chunk[0]) << 16)
            | (u32::from(chunk.get(1).copied().unwrap_or(0)) << 8)
            | u32::from(chunk.get(2).copied().unwrap_or(0));
        for index in 0..4 {
            if index <= chunk.len() {
                text.push(char::from(ALPHABET[((triple >> (18 - 6 * index)) & 0x3f) as usize]));
            } else {
                text.push('=');
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_round_trip() {
        // RFC 7617 §2's example.
        assert_eq!(base64_encode(b"Aladdin:open sesame"), "QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
        let (id, secret) = parse_basic("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==").unwrap();
        assert_eq!((id.as_str(), secret.as_slice()), ("Aladdin", b"open sesame".as_slice()));
        for sample in [&b""[..], b"f", b"fo", b"foo", b"foob", b"fooba", b"foobar"] {
            assert_eq!(base64_decode(&base64_encode(sample)).unwrap(), sample);
        }
        assert_eq!(base64_encode(b"foobar"), "Zm9vYmFy", "RFC 4648 §10");
        assert!(parse_basic("Basic !!!").is_none());
        assert!(parse_basic("Basic bm9jb2xvbg==").is_none(), "no colon");
        assert!(parse_basic("Bearer abc").is_none());
    }

    #[test]
    fn a_verified_credential_is_remembered_and_a_revocation_applies_at_once() {
        let hash = vigie_ingest::mqtt::devices::hash_secret("a long device secret").unwrap();
        let text = format!("[[device]]\nid = \"gateway\"\npassword_hash = \"{hash}\"\ncommunes = [\"21231\"]\n");
        let devices = Arc::new(Devices::from_toml(&text, "test").unwrap());
        let gate = DeviceGate::new(Some(devices.clone()));
        let now = Timestamp(1_000);
        assert!(gate.authenticate("gateway", b"wrong", now).is_none());
        assert!(gate.last_seen("gateway").is_none());
        let started = Instant::now();
        assert!(gate.authenticate("gateway", b"a long device secret", now).is_some());
        let first = started.elapsed();
        let started = Instant::now();
        for _ in 0..20 {
            assert!(gate.authenticate("gateway", b"a long device secret", Timestamp(2_000)).is_some());
        }
        assert!(started.elapsed() < first * 5, "20 cached checks cost less than a few argon2 checks");
        assert_eq!(gate.last_seen("gateway"), Some(Timestamp(2_000)));
        devices.revoke("gateway");
        assert!(gate.authenticate("gateway", b"a long device secret", now).is_none(), "revoked, even cached");
        devices.restore("gateway");
        assert!(gate.authenticate("gateway", b"a long device secret", now).is_some());
        assert!(DeviceGate::new(None).authenticate("gateway", b"a long device secret", now).is_none());
    }
}
