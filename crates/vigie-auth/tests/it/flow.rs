//! A whole session as the HTTP layer will run it: accounts, sign-in with a second factor,
//! authorisation with scopes, the audit trail and its verification; with a few timings.

use crate::{T0, fresh_dir};
use serde_json::json;
use std::net::IpAddr;
use std::time::Instant;
use vigie_auth::policy::Target;
use vigie_auth::{
    Action, AuditConfig, AuditFilter, AuditLog, AuthConfig, AuthError, AuthStore, Denied, Login, LoginStep, NewAccount,
    NewAuditEntry, Outcome, Principal, Role, Scope, ScopeSet, authorize, verify,
};
use vigie_core::{CommuneId, PostId, Timestamp};

const PASSWORD: &str = "lanterns over the river";

fn audit(
    log: &AuditLog,
    principal: &Principal,
    action: Action,
    target: &str,
    result: &Result<(), Denied>,
    now: Timestamp,
) {
    let (outcome, detail) = match result {
        Ok(()) => (Outcome::Allowed, json!({})),
        Err(denied) => (Outcome::Denied, json!({"code": denied.code()})),
    };
    log.append(&NewAuditEntry {
        time: now,
        actor: principal.login.to_string(),
        action: action.as_str().into(),
        target: target.into(),
        outcome,
        detail,
    })
    .unwrap();
}

#[test]
fn an_operator_signs_in_acts_in_scope_and_leaves_a_verifiable_trail() {
    let dir = fresh_dir("flow");
    let store = AuthStore::open(&dir, AuthConfig::default()).unwrap();
    let log = AuditLog::open(&dir, AuditConfig::default()).unwrap();
    let police = PostId::parse("pc-police").unwrap();
    let traffic = PostId::parse("pc-traffic").unwrap();
    let dijon = CommuneId::parse("21231").unwrap();
    let client: IpAddr = "192.0.2.80".parse().unwrap();

    let started = Instant::now();
    let operator = NewAccount {
        login: Login::parse("olivia").unwrap(),
        display_name: "Olivia, police post".into(),
        role: Role::Operator,
        scope: Scope { posts: [police.clone()].into_iter().collect(), communes: ScopeSet::All },
    };
    store.create_account(&operator, PASSWORD, T0).unwrap();
    let hash_time = started.elapsed();

    let Ok(LoginStep::NeedsTotpEnrolment { pending, secret, .. }) = store.begin_login("olivia", PASSWORD, client, T0)
    else {
        panic!("the operator enrols a second factor at the first login");
    };
    let session = store.finish_login(pending.expose(), &secret.code_at(T0), client, T0).unwrap();
    let now = T0.plus_seconds(60);
    let principal = store.authenticate(session.token.expose(), now).unwrap();
    store.check_csrf(&principal.session_id, Some(&session.csrf_token)).unwrap();

    let own = Target::Scoped { post: Some(&police), commune: Some(&dijon) };
    let foreign = Target::Scoped { post: Some(&traffic), commune: Some(&dijon) };
    let allowed = authorize(&principal, Action::CommandIncidents, &own);
    audit(&log, &principal, Action::CommandIncidents, "incident:7", &allowed, now);
    assert_eq!(allowed, Ok(()));
    let out_of_scope = authorize(&principal, Action::CommandIncidents, &foreign);
    audit(&log, &principal, Action::CommandIncidents, "incident:8", &out_of_scope, now);
    assert_eq!(out_of_scope, Err(Denied::OutOfScope { action: Action::CommandIncidents }));
    let shelve = authorize(&principal, Action::ShelveAlarms, &own);
    audit(&log, &principal, Action::ShelveAlarms, "alarm:river-level", &shelve, now);
    assert!(matches!(shelve, Err(Denied::Role { .. })));

    assert!(store.logout(&principal.session_id).unwrap());
    assert!(matches!(store.authenticate(session.token.expose(), now), Err(AuthError::Unauthenticated)));
    log.checkpoint(now).unwrap();

    let report = verify(log.path(), &log.public_key()).unwrap();
    assert!(report.is_clean(), "{report:?}");
    assert_eq!((report.entries_verified, report.checkpoints_verified), (3, 1));
    let denied: Vec<String> = log
        .read(&AuditFilter { actor: Some("olivia".into()), ..Default::default() }, 10, 0)
        .unwrap()
        .into_iter()
        .filter(|entry| entry.outcome == Outcome::Denied)
        .map(|entry| entry.target)
        .collect();
    assert_eq!(denied, ["incident:8", "alarm:river-level"]);
    println!("argon2id hash of one password (m=19456, t=2, p=1, test build): {hash_time:?}");
}

#[test]
fn timings_of_session_checks_appends_and_verification() {
    let dir = fresh_dir("flow-timings");
    let store = AuthStore::open(&dir, AuthConfig::default()).unwrap();
    let gateway = NewAccount {
        login: Login::parse("gateway").unwrap(),
        display_name: "Gateway".into(),
        role: Role::Integrator,
        scope: Scope::all(),
    };
    store.create_account(&gateway, PASSWORD, T0).unwrap();
    let client: IpAddr = "192.0.2.81".parse().unwrap();
    let Ok(LoginStep::Session(session)) = store.begin_login("gateway", PASSWORD, client, T0) else {
        panic!("an integrator signs in with its password");
    };
    let checks = 2000;
    let started = Instant::now();
    for index in 0..checks {
        store.authenticate(session.token.expose(), T0.plus_seconds(index / 100)).unwrap();
    }
    let per_check = started.elapsed() / checks as u32;

    let log = AuditLog::open(&dir, AuditConfig { checkpoint_every: 100 }).unwrap();
    let appends = 300;
    let started = Instant::now();
    for index in 0..appends {
        let entry = NewAuditEntry {
            time: T0.plus_seconds(index),
            actor: "gateway".into(),
            action: "post_observations".into(),
            target: format!("batch:{index}"),
            outcome: Outcome::Allowed,
            detail: json!({"readings": index}),
        };
        log.append(&entry).unwrap();
    }
    let per_append = started.elapsed() / appends as u32;
    let started = Instant::now();
    let report = verify(log.path(), &log.public_key()).unwrap();
    let verify_time = started.elapsed();
    assert!(report.is_clean(), "{report:?}");
    assert_eq!((report.entries_verified, report.checkpoints_verified), (300, 3));
    println!(
        "authenticate: {per_check:?} per call; audit append (durable commit): {per_append:?} per entry; \
         verify of {appends} entries and 3 checkpoints: {verify_time:?} (test build)"
    );
}
