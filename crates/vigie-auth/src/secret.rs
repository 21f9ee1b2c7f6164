//! Small building blocks shared by the modules: random bytes from the operating system, hex,
//! SHA-256 and a constant-time comparison.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The operating system's random source failed (it practically never does on Linux).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the operating system's random source failed")]
pub struct RandomError;

/// Returns `N` bytes from the operating system's random source.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], RandomError> {
    let mut bytes = [0_u8; N];
    getrandom::fill(&mut bytes).map_err(|_| RandomError)?;
    Ok(bytes)
}

/// Returns a fresh random token of `N` bytes, written in lowercase hex.
pub(crate) fn random_hex<const N: usize>() -> Result<String, RandomError> {
    Ok(to_hex(&random_bytes::<N>()?))
}

/// Writes bytes as lowercase hex.
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    text
}

/// Reads hex (either case) into exactly `N` bytes.
pub(crate) fn from_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let digits = text.as_bytes();
    if digits.len() != N * 2 {
        return None;
    }
    let mut bytes = [0_u8; N];
    for (index, pair) in digits.chunks_exact(2).enumerate() {
        let high = char::from(pair[0]).to_digit(16)?;
        let low = char::from(pair[1]).to_digit(16)?;
        bytes[index] = (high * 16 + low) as u8;
    }
    Some(bytes)
}

/// Returns the SHA-256 of `bytes`.
pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Compares two byte strings in time that depends only on their lengths.
pub(crate) fn constant_time_eq(left: &[u8], right: &[u8]) -> bool {
    left.ct_eq(right).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_refuses_bad_text() {
        let bytes = [0x00, 0x7f, 0x80, 0xff, 0x12];
        assert_eq!(to_hex(&bytes), "007f80ff12");
        assert_eq!(from_hex::<5>("007F80ff12"), Some(bytes));
        assert_eq!(from_hex::<5>("007f80ff1"), None);
        assert_eq!(from_hex::<5>("007f80ff1g"), None);
        assert_eq!(from_hex::<2>("é1"), None);
    }

    #[test]
    fn sha256_matches_the_fips_180_example() {
        // FIPS 180-2, appendix B.1: SHA-256("abc").
        assert_eq!(to_hex(&sha256(b"abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn random_tokens_differ_and_comparison_is_exact() {
        let first = random_hex::<32>().unwrap();
        let second = random_hex::<32>().unwrap();
        assert_eq!(first.len(), 64);
        assert_ne!(first, second);
        assert!(constant_time_eq(first.as_bytes(), first.as_bytes()));
        assert!(!constant_time_eq(first.as_bytes(), second.as_bytes()));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
