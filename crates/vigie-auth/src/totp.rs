//! Time-based one-time passwords, the second factor: RFC 6238 TOTP over RFC 4226 HOTP with
//! HMAC-SHA1, 30-second steps and 6 digits (what authenticator apps expect by default), secrets
//! in RFC 4648 base32 without padding.
//!
//! A code is accepted one step early or late (clock skew), and never twice: the login flow keeps
//! the last accepted step of each account and refuses a code for that step or an earlier one.

use crate::accounts::Login;
use crate::secret::{RandomError, constant_time_eq, random_bytes};
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use std::fmt;
use vigie_core::Timestamp;

/// The length of a time step, in seconds (RFC 6238's default).
pub const STEP_S: i64 = 30;
/// The number of digits of a code.
pub const DIGITS: u32 = 6;
/// How many steps before or after the current one a code may belong to.
pub const SKEW_STEPS: i64 = 1;
/// The length of a generated secret: 160 bits, as RFC 4226 recommends.
pub const SECRET_LEN: usize = 20;
/// The shortest secret accepted: 128 bits, RFC 4226's minimum.
pub const MIN_SECRET_LEN: usize = 16;
/// The issuer shown by authenticator apps.
pub const ISSUER: &str = "Vigie";

/// A shared TOTP secret. Its `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

/// Why a TOTP secret or code was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TotpError {
    #[error("the secret must be base32 (A-Z, 2-7) of at least {MIN_SECRET_LEN} bytes")]
    BadSecret,
    #[error("the code must be {DIGITS} digits")]
    Malformed,
    #[error("wrong code")]
    Wrong,
    #[error("this code was already used")]
    Reused,
}

impl TotpSecret {
    /// Draws a new 160-bit secret from the operating system's random source.
    pub fn generate() -> Result<TotpSecret, RandomError> {
        Ok(TotpSecret(random_bytes::<SECRET_LEN>()?.to_vec()))
    }

    /// Wraps raw secret bytes (at least 16).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<TotpSecret, TotpError> {
        if bytes.len() < MIN_SECRET_LEN {
            return Err(TotpError::BadSecret);
        }
        Ok(TotpSecret(bytes))
    }

    /// Reads a base32 secret (either case; spaces and trailing `=` ignored).
    pub fn from_base32(text: &str) -> Result<TotpSecret, TotpError> {
        let bytes = base32_decode(text).ok_or(TotpError::BadSecret)?;
        TotpSecret::from_bytes(bytes)
    }

    /// Returns the raw secret bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Returns the secret in base32 without padding, as typed into an authenticator app.
    pub fn to_base32(&self) -> String {
        base32_encode(&self.0)
    }

    /// Returns the `otpauth://totp/Vigie:<login>?secret=…&issuer=Vigie` URI that authenticator
    /// apps read from a QR code. Logins need no percent-encoding (`a-z0-9._-`).
    pub fn otpauth_uri(&self, login: &Login) -> String {
        format!("otpauth://totp/{ISSUER}:{login}?secret={}&issuer={ISSUER}", self.to_base32())
    }

    /// Returns the code for `now`, as the account's authenticator app shows it.
    pub fn code_at(&self, now: Timestamp) -> String {
        format!("{:06}", hotp(&self.0, step_at(now) as u64, DIGITS))
    }
}

impl fmt::Debug for TotpSecret {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("TotpSecret(<redacted>)")
    }
}

/// Returns the TOTP time step that `now` falls in: whole 30-second periods since the epoch.
pub fn step_at(now: Timestamp) -> i64 {
    now.millis().div_euclid(STEP_S * 1000)
}

/// Computes an RFC 4226 HOTP value with HMAC-SHA1: `digits` decimal digits (1 to 9) of the
/// dynamically truncated MAC of the 8-byte big-endian `counter`.
pub fn hotp(key: &[u8], counter: u64, digits: u32) -> u32 {
    // HMAC takes keys of any length, so `new_from_slice` cannot fail.
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(key) else {
        return 0;
    };
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[digest.len() - 1] & 0x0f);
    let truncated =
        u32::from_be_bytes([digest[offset], digest[offset + 1], digest[offset + 2], digest[offset + 3]]) & 0x7fff_ffff;
    truncated % 10_u32.pow(digits.clamp(1, 9))
}

/// Checks a code typed at `now` (spaces ignored) against the secret, accepting one step of skew
/// either way and refusing any step at or before `last_used_step`. Returns the step the code
/// belongs to, for the caller to record as the new last used step.
pub fn verify_code(
    secret: &TotpSecret,
    code: &str,
    now: Timestamp,
    last_used_step: Option<i64>,
) -> Result<i64, TotpError> {
    let digits: String = code.chars().filter(|c| *c != ' ').collect();
    if digits.len() != DIGITS as usize || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TotpError::Malformed);
    }
    let current = step_at(now);
    let mut reused = false;
    for step in current - SKEW_STEPS..=current + SKEW_STEPS {
        let Ok(counter) = u64::try_from(step) else {
            continue;
        };
        let expected = format!("{:06}", hotp(&secret.0, counter, DIGITS));
        if constant_time_eq(expected.as_bytes(), digits.as_bytes()) {
            if last_used_step.is_some_and(|last| step <= last) {
                reused = true;
                continue;
            }
            return Ok(step);
        }
    }
    Err(if reused { TotpError::Reused } else { TotpError::Wrong })
}

const BASE32_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Encodes bytes in RFC 4648 base32, without padding.
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for byte in bytes {
        buffer = (buffer << 8) | u32::from(*byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            text.push(char::from(BASE32_ALPHABET[((buffer >> bits) & 0x1f) as usize]));
        }
    }
    if bits > 0 {
        text.push(char::from(BASE32_ALPHABET[((buffer << (5 - bits)) & 0x1f) as usize]));
    }
    text
}

/// Decodes RFC 4648 base32 in either case, ignoring spaces and trailing `=`. Returns `None`
/// on any other character or on a length no byte string encodes to.
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let cleaned: Vec<u8> = text.bytes().filter(|b| *b != b' ').collect();
    let end = cleaned.iter().rposition(|b| *b != b'=').map_or(0, |last| last + 1);
    let unpadded = &cleaned[..end];
    // Lengths 1, 3 and 6 modulo 8 leave bits that make no whole byte.
    if matches!(unpadded.len() % 8, 1 | 3 | 6) {
        return None;
    }
    let mut bytes = Vec::with_capacity(unpadded.len() * 5 / 8);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for character in unpadded {
        let value = match character.to_ascii_uppercase() {
            letter @ b'A'..=b'Z' => letter - b'A',
            digit @ b'2'..=b'7' => digit - b'2' + 26,
            _ => return None,
        };
        buffer = (buffer << 5) | u32::from(value);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            bytes.push((buffer >> bits) as u8);
        }
    }
    Some(bytes)
}

#[cfg(test)]
mod tests;
