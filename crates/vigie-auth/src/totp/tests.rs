use super::*;

/// The secret of RFC 6238, appendix B, for HMAC-SHA1: the ASCII text "12345678901234567890".
const RFC_SECRET: &[u8] = b"12345678901234567890";

#[test]
fn matches_the_rfc_6238_appendix_b_sha1_vectors() {
    // (Unix time in seconds, 8-digit TOTP), RFC 6238 appendix B, mode SHA1.
    let vectors = [
        (59_i64, 94_287_082_u32),
        (1_111_111_109, 7_081_804),
        (1_111_111_111, 14_050_471),
        (1_234_567_890, 89_005_924),
        (2_000_000_000, 69_279_037),
        (20_000_000_000, 65_353_130),
    ];
    for (seconds, expected) in vectors {
        let step = step_at(Timestamp(seconds * 1000));
        assert_eq!(hotp(RFC_SECRET, step as u64, 8), expected, "T = {seconds}");
    }
}

#[test]
fn matches_the_rfc_4226_appendix_d_hotp_vectors() {
    let expected = [755_224, 287_082, 359_152, 969_429, 338_314, 254_676, 287_922, 162_583, 399_871, 520_489];
    for (counter, value) in expected.into_iter().enumerate() {
        assert_eq!(hotp(RFC_SECRET, counter as u64, 6), value, "counter {counter}");
    }
}

#[test]
fn base32_matches_rfc_4648_without_padding() {
    let vectors = [
        ("", ""),
        ("f", "MY"),
        ("fo", "MZXQ"),
        ("foo", "MZXW6"),
        ("foob", "MZXW6YQ"),
        ("fooba", "MZXW6YTB"),
        ("foobar", "MZXW6YTBOI"),
    ];
    for (plain, encoded) in vectors {
        assert_eq!(base32_encode(plain.as_bytes()), encoded);
        assert_eq!(base32_decode(encoded).as_deref(), Some(plain.as_bytes()));
    }
    assert_eq!(base32_decode("mzxw6ytboi").as_deref(), Some(&b"foobar"[..]), "lower case");
    assert_eq!(base32_decode("MZXW 6YTB OI======").as_deref(), Some(&b"foobar"[..]), "spaces and padding");
    assert_eq!(base32_decode("MZXW1"), None, "1 is not base32");
    assert_eq!(base32_decode("M"), None, "no byte string encodes to 1 character");
}

#[test]
fn secrets_are_160_random_bits_shown_as_base32() {
    let secret = TotpSecret::generate().unwrap();
    assert_eq!(secret.as_bytes().len(), 20);
    assert_eq!(secret.to_base32().len(), 32);
    assert_eq!(TotpSecret::from_base32(&secret.to_base32()).unwrap(), secret);
    assert_ne!(TotpSecret::generate().unwrap(), secret);
    assert_eq!(TotpSecret::from_bytes(vec![0; 15]), Err(TotpError::BadSecret));
    assert_eq!(TotpSecret::from_base32("not base32!"), Err(TotpError::BadSecret));
    assert_eq!(format!("{secret:?}"), "TotpSecret(<redacted>)");
}

#[test]
fn the_otpauth_uri_names_the_issuer_and_the_login() {
    let secret = TotpSecret::from_bytes(RFC_SECRET.to_vec()).unwrap();
    let login = Login::parse("jean.dupont").unwrap();
    assert_eq!(
        secret.otpauth_uri(&login),
        "otpauth://totp/Vigie:jean.dupont?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Vigie"
    );
}

#[test]
fn codes_are_accepted_one_step_either_way_and_never_twice() {
    let secret = TotpSecret::from_bytes(RFC_SECRET.to_vec()).unwrap();
    let now = Timestamp(1_795_681_800_000);
    let step = step_at(now);
    let code_at_step = |offset: i64| format!("{:06}", hotp(RFC_SECRET, (step + offset) as u64, DIGITS));
    assert_eq!(secret.code_at(now), code_at_step(0));
    assert_eq!(verify_code(&secret, &code_at_step(0), now, None), Ok(step));
    assert_eq!(verify_code(&secret, &code_at_step(-1), now, None), Ok(step - 1));
    assert_eq!(verify_code(&secret, &code_at_step(1), now, None), Ok(step + 1));
    for offset in [-3, -2, 2, 3] {
        let code = code_at_step(offset);
        // A distant step's code may by chance equal a near one's; skip that rare collision.
        if (-1..=1).any(|near| code_at_step(near) == code) {
            continue;
        }
        assert_eq!(verify_code(&secret, &code, now, None), Err(TotpError::Wrong), "offset {offset}");
    }
    assert_eq!(verify_code(&secret, &code_at_step(0), now, Some(step)), Err(TotpError::Reused));
    assert_eq!(verify_code(&secret, &code_at_step(-1), now, Some(step)), Err(TotpError::Reused));
    assert_eq!(verify_code(&secret, &code_at_step(1), now, Some(step)), Ok(step + 1));
    let spaced = format!("{} {}", &code_at_step(0)[..3], &code_at_step(0)[3..]);
    assert_eq!(verify_code(&secret, &spaced, now, None), Ok(step));
    for malformed in ["", "12345", "1234567", "12a456", "１２３４５６"] {
        assert_eq!(verify_code(&secret, malformed, now, None), Err(TotpError::Malformed), "{malformed:?}");
    }
}
