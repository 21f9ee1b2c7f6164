use super::*;
use crate::accounts::NewAccount;
use crate::store::AuthConfig;
use crate::testing::{T0, fresh_dir};
use crate::totp::{hotp, step_at};

const PASSWORD: &str = "quiet harbour lights";

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn store_with(name: &str, accounts: &[(&str, Role)]) -> AuthStore {
    let store = AuthStore::open(&fresh_dir(name), AuthConfig::default()).unwrap();
    for (login, role) in accounts {
        let account = NewAccount {
            login: Login::parse(login).unwrap(),
            display_name: (*login).to_owned(),
            role: *role,
            scope: Scope::all(),
        };
        store.create_account(&account, PASSWORD, T0).unwrap();
    }
    store
}

fn expect_session(step: Result<LoginStep, AuthError>) -> NewSession {
    match step {
        Ok(LoginStep::Session(session)) => session,
        other => panic!("expected a session, got {other:?}"),
    }
}

/// Signs `login` (an operator) in through enrolment; returns the session and the secret.
fn enrol(store: &AuthStore, login: &str, now: Timestamp) -> (NewSession, TotpSecret) {
    let Ok(LoginStep::NeedsTotpEnrolment { pending, secret, otpauth_uri }) =
        store.begin_login(login, PASSWORD, ip("198.51.100.1"), now)
    else {
        panic!("a first login of a person enrols a second factor");
    };
    assert!(otpauth_uri.contains(&secret.to_base32()));
    let session = store.finish_login(pending.expose(), &secret.code_at(now), ip("198.51.100.1"), now).unwrap();
    (session, secret)
}

#[test]
fn a_machine_account_signs_in_with_its_password_and_the_token_is_stored_hashed() {
    let store = store_with("sessions-machine", &[("gateway", Role::Integrator)]);
    let session = expect_session(store.begin_login("gateway", PASSWORD, ip("192.0.2.1"), T0));
    assert_eq!(session.token.expose().len(), 64, "256 bits in hex");
    assert_eq!(session.expires_at, T0.plus_seconds(12 * 3600));
    assert_eq!(format!("{:?}", session.token), "Token(<redacted>)");
    let principal = store.authenticate(session.token.expose(), T0).unwrap();
    assert_eq!(principal, session.principal);
    assert_eq!((principal.login.as_str(), principal.role), ("gateway", Role::Integrator));
    let stored: Vec<u8> = store
        .connection()
        .query_row("SELECT token_hash FROM sessions WHERE id = ?1", [principal.session_id.as_str()], |row| row.get(0))
        .unwrap();
    assert_eq!(stored, sha256(session.token.expose().as_bytes()).to_vec(), "only the SHA-256 is kept");
    assert!(matches!(store.authenticate(&"0".repeat(64), T0), Err(AuthError::Unauthenticated)));
    assert!(matches!(store.authenticate("not a token", T0), Err(AuthError::Unauthenticated)));
}

#[test]
fn unknown_logins_and_wrong_passwords_get_the_same_answer_in_the_same_time() {
    let store = store_with("sessions-enumeration", &[("gateway", Role::Integrator)]);
    // Warm up: the first unknown login makes the decoy hash.
    let _ = store.begin_login("nobody", PASSWORD, ip("192.0.2.100"), T0);
    let mut unknown = std::time::Duration::MAX;
    let mut wrong = std::time::Duration::MAX;
    for attempt in 0..3 {
        let client = ip(&format!("192.0.2.{}", 10 + attempt));
        let started = std::time::Instant::now();
        let answer = store.begin_login("nobody", PASSWORD, client, T0);
        unknown = unknown.min(started.elapsed());
        assert!(matches!(answer, Err(AuthError::BadCredentials)), "{answer:?}");
        let started = std::time::Instant::now();
        let answer = store.begin_login("gateway", "wrong password here", client, T0);
        wrong = wrong.min(started.elapsed());
        assert!(matches!(answer, Err(AuthError::BadCredentials)), "{answer:?}");
    }
    assert!(unknown * 2 > wrong, "unknown {unknown:?} vs wrong password {wrong:?}: an argon2 check is spent on both");
    let invalid = store.begin_login("Not A Login!", PASSWORD, ip("192.0.2.50"), T0);
    assert!(matches!(invalid, Err(AuthError::BadCredentials)), "{invalid:?}");
}

#[test]
fn five_failures_lock_the_account_for_fifteen_minutes() {
    let store = store_with("sessions-lockout", &[("gateway", Role::Integrator)]);
    let client = ip("192.0.2.20");
    for failure in 1..=4 {
        let answer = store.begin_login("gateway", "wrong password here", client, T0);
        assert!(matches!(answer, Err(AuthError::BadCredentials)), "failure {failure}: {answer:?}");
    }
    let until = T0.plus_seconds(900);
    let fifth = store.begin_login("gateway", "wrong password here", client, T0);
    assert!(matches!(fifth, Err(AuthError::Locked { until: at }) if at == until), "{fifth:?}");
    let during = store.begin_login("gateway", PASSWORD, ip("192.0.2.21"), T0.plus_seconds(899));
    assert!(matches!(during, Err(AuthError::Locked { .. })), "even the right password waits: {during:?}");
    expect_session(store.begin_login("gateway", PASSWORD, ip("192.0.2.21"), until));
    let account = store.account(&Login::parse("gateway").unwrap()).unwrap().unwrap();
    assert_eq!(account.failed_logins, 0);
}

#[test]
fn lockout_settings_are_configurable() {
    let dir = fresh_dir("sessions-lockout-config");
    let config = AuthConfig { max_failed_logins: 2, lockout_s: 60, ..AuthConfig::default() };
    let store = AuthStore::open(&dir, config).unwrap();
    let account = NewAccount {
        login: Login::parse("gateway").unwrap(),
        display_name: "gateway".into(),
        role: Role::Integrator,
        scope: Scope::all(),
    };
    store.create_account(&account, PASSWORD, T0).unwrap();
    let client = ip("192.0.2.22");
    assert!(matches!(store.begin_login("gateway", "wrong password 1", client, T0), Err(AuthError::BadCredentials)));
    let second = store.begin_login("gateway", "wrong password 2", client, T0);
    assert!(matches!(second, Err(AuthError::Locked { until }) if until == T0.plus_seconds(60)), "{second:?}");
    store.unlock(&Login::parse("gateway").unwrap()).unwrap();
    expect_session(store.begin_login("gateway", PASSWORD, client, T0));
}

#[test]
fn each_client_address_gets_ten_attempts_a_minute() {
    let store = store_with("sessions-limiter", &[]);
    let client = ip("203.0.113.7");
    for _ in 0..10 {
        assert!(matches!(store.begin_login("nobody", "x", client, T0), Err(AuthError::BadCredentials)));
    }
    let limited = store.begin_login("nobody", "x", client, T0);
    assert!(matches!(limited, Err(AuthError::RateLimited { retry_after_s: 6 })), "{limited:?}");
    assert!(matches!(store.begin_login("nobody", "x", ip("203.0.113.8"), T0), Err(AuthError::BadCredentials)));
    let later = T0.plus_seconds(6);
    assert!(matches!(store.begin_login("nobody", "x", client, later), Err(AuthError::BadCredentials)));
    assert!(matches!(store.begin_login("nobody", "x", client, later), Err(AuthError::RateLimited { .. })));
}

#[test]
fn the_limiter_counts_ipv6_clients_by_slash_64() {
    let mut limiter = AttemptLimiter::new(2);
    assert_eq!(limiter.take(ip("2001:db8:1:2::1"), T0), Ok(()));
    assert_eq!(limiter.take(ip("2001:db8:1:2:ffff::9"), T0), Ok(()));
    assert_eq!(limiter.take(ip("2001:db8:1:2::abcd"), T0), Err(30));
    assert_eq!(limiter.take(ip("2001:db8:1:3::1"), T0), Ok(()), "another /64");
    assert_eq!(limiter.take(ip("::ffff:192.0.2.1"), T0), Ok(()));
    assert_eq!(limiter.take(ip("192.0.2.1"), T0), Ok(()));
    assert_eq!(limiter.take(ip("192.0.2.1"), T0), Err(30), "IPv4-mapped addresses count as IPv4");
    assert_eq!(limiter.take(ip("192.0.2.1"), T0.plus_seconds(30)), Ok(()));
}

#[test]
fn people_enrol_a_second_factor_confirmed_by_a_first_code() {
    let store = store_with("sessions-enrol", &[("olivia", Role::Operator)]);
    let client = ip("198.51.100.2");
    let Ok(LoginStep::NeedsTotpEnrolment { pending, secret, otpauth_uri }) =
        store.begin_login("olivia", PASSWORD, client, T0)
    else {
        panic!("an operator without TOTP must enrol");
    };
    assert_eq!(otpauth_uri, format!("otpauth://totp/Vigie:olivia?secret={}&issuer=Vigie", secret.to_base32()));
    let olivia = Login::parse("olivia").unwrap();
    let wrong = store.finish_login(pending.expose(), "000000", client, T0);
    let wrong = if secret.code_at(T0) == "000000" { Err(AuthError::BadCode) } else { wrong };
    assert!(matches!(wrong, Err(AuthError::BadCode)), "{wrong:?}");
    assert!(store.account(&olivia).unwrap().unwrap().totp.is_none(), "nothing is kept before a right code");
    let session = store.finish_login(pending.expose(), &secret.code_at(T0), client, T0).unwrap();
    assert_eq!(session.principal.role, Role::Operator);
    let account = store.account(&olivia).unwrap().unwrap();
    assert_eq!(account.totp.as_ref(), Some(&secret));
    assert_eq!(account.failed_logins, 0, "a complete login clears the count");
    let reused = store.finish_login(pending.expose(), &secret.code_at(T0), client, T0);
    assert!(matches!(reused, Err(AuthError::PendingLoginExpired)), "a pending login is used once: {reused:?}");
}

#[test]
fn enrolled_people_need_a_fresh_code_at_each_login() {
    let store = store_with("sessions-totp", &[("olivia", Role::Operator)]);
    let (_, secret) = enrol(&store, "olivia", T0);
    let client = ip("198.51.100.3");
    let Ok(LoginStep::NeedsTotp { pending }) = store.begin_login("olivia", PASSWORD, client, T0) else {
        panic!("an enrolled operator is asked for a code");
    };
    let replay = store.finish_login(pending.expose(), &secret.code_at(T0), client, T0);
    assert!(matches!(replay, Err(AuthError::CodeReused)), "the enrolment's code cannot sign in again: {replay:?}");
    let next_step = T0.plus_seconds(30);
    store.finish_login(pending.expose(), &secret.code_at(next_step), client, next_step).unwrap();
    let account = store.account(&Login::parse("olivia").unwrap()).unwrap().unwrap();
    assert_eq!(account.totp_last_step, Some(step_at(next_step)));
}

#[test]
fn wrong_codes_count_towards_the_lockout_and_pending_logins_expire() {
    let store = store_with("sessions-totp-lockout", &[("olivia", Role::Operator)]);
    let (_, secret) = enrol(&store, "olivia", T0);
    let later = T0.plus_seconds(600);
    let client = ip("198.51.100.4");
    let Ok(LoginStep::NeedsTotp { pending }) = store.begin_login("olivia", PASSWORD, client, later) else {
        panic!("expected a code request");
    };
    let step = step_at(later);
    // Codes of distant steps: wrong now, and well-formed.
    let wrong_codes: Vec<String> = (100..)
        .map(|offset| format!("{:06}", hotp(secret.as_bytes(), (step + offset) as u64, 6)))
        .filter(|code| (-1..=1).all(|near| *code != format!("{:06}", hotp(secret.as_bytes(), (step + near) as u64, 6))))
        .take(5)
        .collect();
    for code in &wrong_codes[..4] {
        assert!(matches!(store.finish_login(pending.expose(), code, client, later), Err(AuthError::BadCode)));
    }
    let locked = store.finish_login(pending.expose(), &wrong_codes[4], client, later);
    assert!(matches!(locked, Err(AuthError::Locked { .. })), "{locked:?}");
    let after = store.finish_login(pending.expose(), &secret.code_at(later), client, later);
    assert!(matches!(after, Err(AuthError::PendingLoginExpired)), "a lockout ends the pending login: {after:?}");

    let unlocked = later.plus_seconds(900);
    let Ok(LoginStep::NeedsTotp { pending }) = store.begin_login("olivia", PASSWORD, client, unlocked) else {
        panic!("expected a code request");
    };
    let too_late = unlocked.plus_seconds(300);
    let expired = store.finish_login(pending.expose(), &secret.code_at(too_late), client, too_late);
    assert!(matches!(expired, Err(AuthError::PendingLoginExpired)), "{expired:?}");
}

#[test]
fn sessions_end_when_idle_for_30_minutes() {
    let store = store_with("sessions-idle", &[("gateway", Role::Integrator)]);
    let session = expect_session(store.begin_login("gateway", PASSWORD, ip("192.0.2.30"), T0));
    let token = session.token.expose();
    let mut now = T0;
    for _ in 0..3 {
        now = now.plus_seconds(29 * 60);
        assert!(store.authenticate(token, now).is_ok(), "used every 29 minutes, it stays open");
    }
    now = now.plus_seconds(30 * 60);
    assert!(matches!(store.authenticate(token, now), Err(AuthError::Unauthenticated)));
    assert!(matches!(store.authenticate(token, T0), Err(AuthError::Unauthenticated)), "and it is gone");
}

#[test]
fn sessions_end_twelve_hours_after_login_however_active() {
    let store = store_with("sessions-absolute", &[("gateway", Role::Integrator)]);
    let session = expect_session(store.begin_login("gateway", PASSWORD, ip("192.0.2.31"), T0));
    let mut now = T0;
    while now < T0.plus_seconds(12 * 3600 - 600) {
        now = now.plus_seconds(600);
        store.touch(&session.principal.session_id, now).unwrap();
    }
    assert!(store.authenticate(session.token.expose(), T0.plus_seconds(12 * 3600 - 1)).is_ok());
    let end = T0.plus_seconds(12 * 3600);
    assert!(matches!(store.authenticate(session.token.expose(), end), Err(AuthError::Unauthenticated)));
    assert!(matches!(store.touch(&session.principal.session_id, end), Err(AuthError::Unauthenticated)));
}

#[test]
fn csrf_tokens_are_checked_per_session() {
    let store = store_with("sessions-csrf", &[("gateway", Role::Integrator)]);
    let first = expect_session(store.begin_login("gateway", PASSWORD, ip("192.0.2.32"), T0));
    let second = expect_session(store.begin_login("gateway", PASSWORD, ip("192.0.2.32"), T0));
    let id = &first.principal.session_id;
    assert_eq!(store.csrf_token(id).unwrap(), first.csrf_token);
    assert!(store.check_csrf(id, Some(&first.csrf_token)).is_ok());
    assert!(matches!(store.check_csrf(id, Some(&second.csrf_token)), Err(AuthError::CsrfMismatch)));
    assert!(matches!(store.check_csrf(id, Some("")), Err(AuthError::CsrfMismatch)));
    assert!(matches!(store.check_csrf(id, None), Err(AuthError::CsrfMismatch)));
    assert_ne!(first.csrf_token, first.token.expose(), "the CSRF token is not the session token");
}

#[test]
fn logout_and_revoke_all_end_sessions() {
    let store = store_with("sessions-logout", &[("gateway", Role::Integrator), ("sensor-hub", Role::Integrator)]);
    let client = ip("192.0.2.33");
    let first = expect_session(store.begin_login("gateway", PASSWORD, client, T0));
    let second = expect_session(store.begin_login("gateway", PASSWORD, client, T0));
    let third = expect_session(store.begin_login("gateway", PASSWORD, client, T0));
    let other = expect_session(store.begin_login("sensor-hub", PASSWORD, client, T0));
    let gateway = Login::parse("gateway").unwrap();
    assert_eq!(store.sessions_of(&gateway).unwrap().len(), 3);
    assert!(store.logout(&first.principal.session_id).unwrap());
    assert!(!store.logout(&first.principal.session_id).unwrap(), "already ended");
    assert!(store.authenticate(first.token.expose(), T0).is_err());
    assert!(store.authenticate(second.token.expose(), T0).is_ok());
    assert_eq!(store.revoke_all(&gateway).unwrap(), 2);
    assert!(store.authenticate(third.token.expose(), T0).is_err());
    assert!(store.authenticate(other.token.expose(), T0).is_ok(), "other accounts keep theirs");
    assert!(store.sessions_of(&gateway).unwrap().is_empty());
}

#[test]
fn purging_removes_timed_out_sessions_and_pending_logins() {
    let store = store_with("sessions-purge", &[("gateway", Role::Integrator), ("olivia", Role::Operator)]);
    let client = ip("192.0.2.34");
    expect_session(store.begin_login("gateway", PASSWORD, client, T0));
    let fresh = expect_session(store.begin_login("gateway", PASSWORD, client, T0.plus_seconds(1500)));
    assert!(matches!(store.begin_login("olivia", PASSWORD, client, T0), Ok(LoginStep::NeedsTotpEnrolment { .. })));
    assert_eq!(store.purge_expired(T0.plus_seconds(1800)).unwrap(), 2, "one idle session, one pending login");
    let left = store.sessions_of(&Login::parse("gateway").unwrap()).unwrap();
    assert_eq!(left.iter().map(|info| info.id.clone()).collect::<Vec<_>>(), [fresh.principal.session_id]);
}

#[test]
fn a_second_enrolment_started_meanwhile_cannot_replace_the_confirmed_secret() {
    let store = store_with("sessions-double-enrol", &[("olivia", Role::Operator)]);
    let client = ip("198.51.100.5");
    let Ok(LoginStep::NeedsTotpEnrolment { pending: stale, secret: stale_secret, .. }) =
        store.begin_login("olivia", PASSWORD, client, T0)
    else {
        panic!("expected an enrolment");
    };
    let (_, secret) = enrol(&store, "olivia", T0);
    let later = T0.plus_seconds(30);
    let answer = store.finish_login(stale.expose(), &stale_secret.code_at(later), client, later);
    assert!(matches!(answer, Err(AuthError::PendingLoginExpired)), "{answer:?}");
    let account = store.account(&Login::parse("olivia").unwrap()).unwrap().unwrap();
    assert_eq!(account.totp, Some(secret));
}
