use super::*;
use crate::testing::{T0, fresh_dir};

fn login(text: &str) -> Login {
    Login::parse(text).unwrap()
}

#[test]
fn roles_have_snake_case_names_that_round_trip() {
    for role in Role::ALL {
        assert_eq!(Role::parse(role.as_str()), Ok(role));
        assert_eq!(serde_json::to_string(&role).unwrap(), format!("\"{}\"", role.as_str()));
    }
    assert_eq!(Role::DataProtectionOfficer.as_str(), "data_protection_officer");
    assert_eq!(Role::parse("root"), Err(RoleParseError("root".into())));
    assert!(Role::Operator.is_human() && Role::Auditor.is_human());
    assert!(!Role::Integrator.is_human());
}

#[test]
fn logins_are_short_lowercase_words() {
    assert_eq!(login("jean.dupont-2_b").as_str(), "jean.dupont-2_b");
    assert_eq!(Login::parse(""), Err(LoginError::Empty));
    assert_eq!(Login::parse(&"a".repeat(65)), Err(LoginError::TooLong { max: 64 }));
    assert!(Login::parse(&"a".repeat(64)).is_ok());
    assert_eq!(Login::parse("Jean"), Err(LoginError::BadCharacter { character: 'J' }));
    assert_eq!(Login::parse("jean dupont"), Err(LoginError::BadCharacter { character: ' ' }));
    assert_eq!(Login::parse("jéan"), Err(LoginError::BadCharacter { character: 'é' }));
    assert!(serde_json::from_str::<Login>("\"a:b\"").is_err());
}

#[test]
fn scopes_are_all_or_an_explicit_set_and_empty_allows_nothing() {
    let police = PostId::parse("pc-police").unwrap();
    let traffic = PostId::parse("pc-traffic").unwrap();
    let scope = Scope { posts: [police.clone()].into_iter().collect(), communes: ScopeSet::All };
    assert!(scope.posts.contains(&police));
    assert!(!scope.posts.contains(&traffic));
    assert!(!scope.is_all());
    assert!(ScopeSet::<PostId>::All.contains(&traffic));
    assert!(!ScopeSet::<PostId>::nothing().contains(&police));
    let json = serde_json::to_string(&scope).unwrap();
    assert_eq!(json, r#"{"posts":{"only":["pc-police"]},"communes":"all"}"#);
    assert_eq!(serde_json::from_str::<Scope>(&json).unwrap(), scope);
    assert!(serde_json::from_str::<Scope>(r#"{"posts":"all","communes":{"only":["21 231"]}}"#).is_err());
}

#[test]
fn passwords_follow_length_rules_without_composition_rules() {
    let alice = login("alice");
    assert_eq!(check_password("short pass1", &alice), Err(PasswordError::TooShort { min: 12 }));
    assert_eq!(check_password("river bank 7", &alice), Ok(()), "12 characters, no symbols needed");
    assert_eq!(check_password("éléphant rosé", &alice), Ok(()), "characters, not bytes, are counted");
    assert_eq!(check_password("ours brun 😀", &alice), Err(PasswordError::TooShort { min: 12 }));
    let longest: String = "correct horse battery staple ".chars().cycle().take(128).collect();
    assert_eq!(check_password(&longest, &alice), Ok(()));
    let too_long: String = "correct horse battery staple ".chars().cycle().take(129).collect();
    assert_eq!(check_password(&too_long, &alice), Err(PasswordError::TooLong { max: 128 }));
}

#[test]
fn common_repetitive_and_login_passwords_are_refused() {
    let alice = login("alice");
    assert_eq!(check_password("Password1234", &alice), Err(PasswordError::Common));
    assert_eq!(check_password("AZERTYUIOP123", &alice), Err(PasswordError::Common));
    assert_eq!(check_password("aaaaaaaaaaaaaa", &alice), Err(PasswordError::Repetitive));
    assert_eq!(check_password("abcabcabcabc", &alice), Err(PasswordError::Repetitive));
    assert_eq!(check_password("abcdefghijklmnop", &alice), Err(PasswordError::Repetitive));
    assert_eq!(check_password("zyxwvutsrqponm", &alice), Err(PasswordError::Repetitive));
    assert_eq!(check_password("ALICE in wonderland", &alice), Err(PasswordError::ContainsLogin));
    assert_eq!(check_password("alice in wonderland", &login("al")), Ok(()), "two-letter logins are not searched");
    // Every listed password is long enough to reach the list check.
    for common in COMMON_PASSWORDS {
        assert!(common.chars().count() >= MIN_PASSWORD_CHARS, "{common}");
        assert_eq!(common.to_lowercase(), *common, "{common}");
    }
}

#[test]
fn password_hashes_are_argon2id_with_owasp_parameters() {
    let hash = hash_password("river bank 7 under the bridge").unwrap();
    assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
    assert!(verify_password(&hash, "river bank 7 under the bridge"));
    assert!(!verify_password(&hash, "river bank 7 under the bridgE"));
    assert!(!verify_password("not a hash", "river bank 7 under the bridge"));
    let argon2i = hash.replacen("$argon2id$", "$argon2i$", 1);
    assert!(!verify_password(&argon2i, "river bank 7 under the bridge"), "only argon2id is accepted");
    assert_ne!(hash, hash_password("river bank 7 under the bridge").unwrap(), "salts are random");
}

fn new_account(text: &str, role: Role) -> NewAccount {
    NewAccount { login: login(text), display_name: format!("{text} (test)"), role, scope: Scope::all() }
}

#[test]
fn accounts_are_created_once_with_mfa_for_people() {
    let store = AuthStore::open(&fresh_dir("accounts-create"), Default::default()).unwrap();
    let operator = store.create_account(&new_account("olivia", Role::Operator), "quiet harbour lights", T0).unwrap();
    assert!(operator.mfa_required);
    assert!(operator.totp.is_none());
    assert_eq!(operator.created, T0);
    assert_eq!(operator.failed_logins, 0);
    let gateway = store.create_account(&new_account("gateway", Role::Integrator), "quiet harbour lights", T0).unwrap();
    assert!(!gateway.mfa_required, "machine accounts need no second factor by default");
    let again = store.create_account(&new_account("olivia", Role::Auditor), "another long secret", T0);
    assert!(matches!(again, Err(AuthError::AccountExists { .. })), "{again:?}");
    let weak = store.create_account(&new_account("weak", Role::Auditor), "password1234", T0);
    assert!(matches!(weak, Err(AuthError::WeakPassword(PasswordError::Common))), "{weak:?}");
    let mut unnamed = new_account("unnamed", Role::Auditor);
    unnamed.display_name = " \t".into();
    assert!(matches!(store.create_account(&unnamed, "quiet harbour lights", T0), Err(AuthError::InvalidDisplayName)));
    let logins: Vec<String> = store.accounts().unwrap().into_iter().map(|account| account.login.to_string()).collect();
    assert_eq!(logins, ["gateway", "olivia"]);
    let debug = format!("{operator:?}");
    assert!(!debug.contains("argon2"), "the hash stays out of logs: {debug}");
}

#[test]
fn updates_change_role_and_scope_and_disabling_ends_sessions() {
    let store = AuthStore::open(&fresh_dir("accounts-update"), Default::default()).unwrap();
    store.create_account(&new_account("gateway", Role::Integrator), "quiet harbour lights", T0).unwrap();
    let gateway = login("gateway");
    let client = "192.0.2.10".parse().unwrap();
    let crate::sessions::LoginStep::Session(session) =
        store.begin_login("gateway", "quiet harbour lights", client, T0).unwrap()
    else {
        panic!("an integrator signs in without a second factor");
    };
    let update = AccountUpdate { role: Some(Role::Auditor), scope: Some(Scope::nothing()), ..Default::default() };
    let updated = store.update_account(&gateway, &update).unwrap();
    assert_eq!((updated.role, updated.scope.clone()), (Role::Auditor, Scope::nothing()));
    let principal = store.authenticate(session.token.expose(), T0).unwrap();
    assert_eq!(principal.role, Role::Auditor, "a role change applies at the next request");
    store.update_account(&gateway, &AccountUpdate { disabled: Some(true), ..Default::default() }).unwrap();
    assert!(matches!(store.authenticate(session.token.expose(), T0), Err(AuthError::Unauthenticated)));
    assert!(matches!(store.begin_login("gateway", "quiet harbour lights", client, T0), Err(AuthError::BadCredentials)));
    let unknown = store.update_account(&login("nobody"), &AccountUpdate::default());
    assert!(matches!(unknown, Err(AuthError::UnknownAccount { .. })));
}

#[test]
fn password_changes_end_other_sessions_and_check_the_current_password() {
    let store = AuthStore::open(&fresh_dir("accounts-password"), Default::default()).unwrap();
    store.create_account(&new_account("gateway", Role::Integrator), "quiet harbour lights", T0).unwrap();
    let gateway = login("gateway");
    let client = "192.0.2.11".parse().unwrap();
    let open = || match store.begin_login("gateway", "quiet harbour lights", client, T0).unwrap() {
        crate::sessions::LoginStep::Session(session) => session,
        other => panic!("expected a session, got {other:?}"),
    };
    let kept = open();
    let other = open();
    let wrong = store.change_password(&gateway, "not the password", "new harbour lights", None, T0);
    assert!(matches!(wrong, Err(AuthError::BadCredentials)), "{wrong:?}");
    assert_eq!(store.account(&gateway).unwrap().unwrap().failed_logins, 1);
    store
        .change_password(&gateway, "quiet harbour lights", "new harbour lights", Some(&kept.principal.session_id), T0)
        .unwrap();
    assert!(store.authenticate(kept.token.expose(), T0).is_ok(), "the asking session stays");
    assert!(store.authenticate(other.token.expose(), T0).is_err(), "other sessions end");
    assert_eq!(store.account(&gateway).unwrap().unwrap().failed_logins, 0);
    store.set_password(&gateway, "admin chosen phrase").unwrap();
    assert!(store.authenticate(kept.token.expose(), T0).is_err(), "a reset ends every session");
    assert!(store.begin_login("gateway", "admin chosen phrase", client, T0).is_ok());
    assert!(matches!(store.set_password(&gateway, "short"), Err(AuthError::WeakPassword(_))));
}
