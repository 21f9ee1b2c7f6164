use super::*;
use crate::accounts::{Login, NewAccount, Role, Scope};
use crate::testing::{T0, fresh_dir};

#[test]
fn opens_a_private_database_at_the_latest_schema_and_reopens_it() {
    let dir = fresh_dir("store-open");
    let store = AuthStore::open(&dir, AuthConfig::default()).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    let login = Login::parse("ingest-gateway").unwrap();
    let account = NewAccount {
        login: login.clone(),
        display_name: "Ingest gateway".into(),
        role: Role::Integrator,
        scope: Scope::all(),
    };
    store.create_account(&account, "long enough secret text", T0).unwrap();
    drop(store);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join(SECURITY_DB)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "security.db is readable by its owner only");
    }
    let reopened = AuthStore::open(&dir, AuthConfig::default()).unwrap();
    assert_eq!(reopened.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(reopened.account(&login).unwrap().unwrap().role, Role::Integrator);
}

#[test]
fn refuses_a_database_from_a_newer_program() {
    let dir = fresh_dir("store-newer");
    drop(AuthStore::open(&dir, AuthConfig::default()).unwrap());
    let raw = Connection::open(dir.join(SECURITY_DB)).unwrap();
    raw.pragma_update(None, "user_version", 99).unwrap();
    drop(raw);
    let error = AuthStore::open(&dir, AuthConfig::default()).err().expect("a newer schema is refused");
    assert!(matches!(error, AuthError::SchemaTooNew { found: 99, supported: SCHEMA_VERSION }), "{error:?}");
    assert_eq!(error.code(), "schema_too_new");
}

#[test]
fn config_has_the_asvs_defaults_and_refuses_unknown_keys() {
    let defaults = AuthConfig::default();
    assert_eq!(defaults.max_failed_logins, 5);
    assert_eq!(defaults.lockout_s, 900);
    assert_eq!(defaults.idle_timeout_s, 1800);
    assert_eq!(defaults.absolute_timeout_s, 43_200);
    let partial: AuthConfig = serde_json::from_str(r#"{"lockout_s": 60}"#).unwrap();
    assert_eq!(partial, AuthConfig { lockout_s: 60, ..AuthConfig::default() });
    assert!(serde_json::from_str::<AuthConfig>(r#"{"lockout": 60}"#).is_err());
}

#[test]
fn stores_can_be_shared_between_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<AuthStore>();
    shared::<crate::audit::AuditLog>();
}

#[test]
fn error_codes_are_stable() {
    assert_eq!(AuthError::BadCredentials.code(), "bad_credentials");
    assert_eq!(AuthError::Locked { until: T0 }.code(), "account_locked");
    assert_eq!(AuthError::RateLimited { retry_after_s: 3 }.code(), "too_many_attempts");
    assert_eq!(AuthError::Unauthenticated.code(), "unauthenticated");
    assert_eq!(AuthError::CsrfMismatch.code(), "csrf_mismatch");
    assert_eq!(AuthError::Locked { until: T0 }.to_string(), "the account is locked until 2026-11-26T08:30:00.000Z");
}
