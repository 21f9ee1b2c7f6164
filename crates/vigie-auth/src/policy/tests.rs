use super::*;
use crate::accounts::Login;
use crate::sessions::SessionId;
use std::collections::BTreeSet;

fn principal(role: Role, scope: Scope) -> Principal {
    Principal { login: Login::parse("someone").unwrap(), role, scope, session_id: SessionId::new("s1") }
}

fn post(text: &str) -> PostId {
    PostId::parse(text).unwrap()
}

fn commune(text: &str) -> CommuneId {
    CommuneId::parse(text).unwrap()
}

#[test]
fn the_table_is_total_and_in_action_order() {
    assert_eq!(TABLE.len(), Action::ALL.len());
    let mut seen = BTreeSet::new();
    for (index, (action, _)) in TABLE.iter().enumerate() {
        assert_eq!(*action, Action::ALL[index], "row {index} is out of order");
        assert_eq!(*action as usize, index, "`allowed` finds rows by position");
        assert!(seen.insert(*action), "{action} appears twice");
    }
    for (index, role) in Role::ALL.into_iter().enumerate() {
        assert_eq!(role_column(role), index);
    }
    let decisions = Role::ALL.iter().flat_map(|role| Action::ALL.iter().map(move |action| allowed(*role, *action)));
    assert_eq!(decisions.count(), 6 * 22, "every role × action pair has a decision");
}

#[test]
fn the_documented_matrix_is_the_table() {
    let source = include_str!("../policy.rs");
    let rows: Vec<&str> = source
        .lines()
        .filter_map(|line| line.strip_prefix("//! | "))
        .filter(|row| !row.starts_with("action") && !row.starts_with("---"))
        .collect();
    assert_eq!(rows.len(), Action::ALL.len());
    for row in rows {
        let cells: Vec<&str> = row.trim_end_matches(" |").split(" | ").collect();
        let action = Action::ALL.into_iter().find(|action| action.as_str() == cells[0]).expect(cells[0]);
        for (role, cell) in Role::ALL.into_iter().zip(&cells[1..]) {
            let documented = match *cell {
                "yes" => true,
                "no" => false,
                other => panic!("cell {other:?}"),
            };
            assert_eq!(documented, allowed(role, action), "{role} × {action}");
        }
    }
}

#[test]
fn the_roles_get_what_their_job_needs() {
    use Action::*;
    let can = |role: Role, actions: &[Action]| actions.iter().all(|action| allowed(role, *action));
    let cannot = |role: Role, actions: &[Action]| actions.iter().all(|action| !allowed(role, *action));
    assert!(can(Role::Operator, &[ReadIncidents, CommandIncidents, CreateIncidents, ReadImagery, ReadLiveStream]));
    assert!(cannot(Role::Operator, &[ShelveAlarms, ReloadRules, ManageAccounts, ReadAudit, PostObservations]));
    assert!(can(Role::Supervisor, &[CommandIncidents, ShelveAlarms, ReadImagery]));
    assert!(cannot(Role::Supervisor, &[ReloadRules, ManageAccounts, ReadAudit]));
    assert!(can(Role::Administrator, &[ManageAccounts, ManageDevices, ReloadRules, ReadRules]));
    assert!(cannot(Role::Administrator, &[ReadImagery, ReadIncidents, CommandIncidents, ReadAudit, ManageLegalHolds]));
    assert!(can(Role::Auditor, &[ReadAudit, ExportAudit, ReadRetentionRegister]));
    assert!(cannot(Role::Auditor, &[ReadImagery, CommandIncidents, CreateIncidents, ShelveAlarms, ManageLegalHolds]));
    assert!(can(Role::DataProtectionOfficer, &[ReadAudit, ExportAudit, ReadRetentionRegister, ManageLegalHolds]));
    assert!(can(Role::DataProtectionOfficer, &[ReadImagery]));
    assert!(cannot(Role::DataProtectionOfficer, &[CommandIncidents, ManageAccounts]));
    assert!(can(Role::Integrator, &[PostObservations, ReadSensors, ReadDeadLetters, ReadRules]));
    assert!(cannot(Role::Integrator, &[ReadIncidents, CommandIncidents, CreateIncidents, ReadImagery]));
    for role in Role::ALL {
        assert_eq!(allowed(role, PostObservations), role == Role::Integrator, "{role}");
    }
}

#[test]
fn action_names_match_serde() {
    for action in Action::ALL {
        assert_eq!(serde_json::to_string(&action).unwrap(), format!("\"{}\"", action.as_str()));
    }
}

#[test]
fn roles_are_checked_before_scopes() {
    let auditor = principal(Role::Auditor, Scope::all());
    assert_eq!(
        authorize(&auditor, Action::CommandIncidents, &Target::Global),
        Err(Denied::Role { role: Role::Auditor, action: Action::CommandIncidents })
    );
    assert_eq!(authorize(&auditor, Action::ReadAudit, &Target::Global), Ok(()));
    let denied = authorize(&auditor, Action::ReadImagery, &Target::Global).unwrap_err();
    assert_eq!(denied.code(), "forbidden");
    assert_eq!(denied.to_string(), "the auditor role may not read_imagery");
}

#[test]
fn scoped_principals_act_only_where_every_coordinate_is_theirs() {
    let police = post("pc-police");
    let traffic = post("pc-traffic");
    let dijon = commune("21231");
    let talant = commune("21617");
    let operator = principal(
        Role::Operator,
        Scope { posts: [police.clone()].into_iter().collect(), communes: [dijon.clone()].into_iter().collect() },
    );
    let at = |post: Option<&PostId>, commune: Option<&CommuneId>| {
        authorize(&operator, Action::CommandIncidents, &Target::Scoped { post, commune })
    };
    assert_eq!(at(Some(&police), Some(&dijon)), Ok(()));
    let out = Err(Denied::OutOfScope { action: Action::CommandIncidents });
    assert_eq!(at(Some(&traffic), Some(&dijon)), out);
    assert_eq!(at(Some(&police), Some(&talant)), out);
    assert_eq!(at(None, Some(&dijon)), out, "an unknown post is refused (fail closed)");
    assert_eq!(at(Some(&police), None), out, "an unknown commune is refused (fail closed)");
    assert_eq!(at(None, None), out);
    assert_eq!(
        authorize(&operator, Action::ReadIncidents, &Target::Global),
        Err(Denied::OutOfScope { action: Action::ReadIncidents })
    );
    assert_eq!(authorize(&operator, Action::ReadCity, &Target::Global), Ok(()), "global actions ignore scopes");
    assert_eq!(authorize(&operator, Action::ReadSensors, &Target::Scoped { post: None, commune: None }), Ok(()));
    assert_eq!(Denied::OutOfScope { action: Action::ReadImagery }.code(), "out_of_scope");
}

#[test]
fn an_unrestricted_dimension_needs_no_coordinate() {
    let police = post("pc-police");
    let dijon = commune("21231");
    let by_post =
        principal(Role::Supervisor, Scope { posts: [police.clone()].into_iter().collect(), communes: ScopeSet::All });
    let target = Target::Scoped { post: Some(&police), commune: None };
    assert_eq!(authorize(&by_post, Action::ShelveAlarms, &target), Ok(()));
    let by_commune =
        principal(Role::Integrator, Scope { posts: ScopeSet::All, communes: [dijon.clone()].into_iter().collect() });
    let reading = Target::Scoped { post: None, commune: Some(&dijon) };
    assert_eq!(authorize(&by_commune, Action::PostObservations, &reading), Ok(()));
    let elsewhere = commune("21617");
    let outside = Target::Scoped { post: None, commune: Some(&elsewhere) };
    assert!(authorize(&by_commune, Action::PostObservations, &outside).is_err());
    let everywhere = principal(Role::Operator, Scope::all());
    assert_eq!(authorize(&everywhere, Action::ReadIncidents, &Target::Global), Ok(()));
    assert_eq!(authorize(&everywhere, Action::ReadImagery, &Target::Scoped { post: None, commune: None }), Ok(()));
}

#[test]
fn an_empty_scope_allows_nothing_scoped() {
    let police = post("pc-police");
    let dijon = commune("21231");
    let nobody = principal(Role::Operator, Scope::nothing());
    let target = Target::Scoped { post: Some(&police), commune: Some(&dijon) };
    assert!(authorize(&nobody, Action::ReadIncidents, &target).is_err());
    assert!(!in_scope(&nobody.scope, Some(&police), Some(&dijon)));
    assert_eq!(authorize(&nobody, Action::ReadCity, &Target::Global), Ok(()));
}
