//! Accounts and the audit log from the command line: `vigie user add/list/unlock/reset-totp`,
//! `vigie audit verify/public-key/export` (a clean log, then a tampered one), the checkpoint
//! signed at shutdown, and the demo's accounts.

use crate::{PASSWORD, add_user, demo_pack, login, scratch, vigie};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;

fn run(args: &[&str], store: &Path) -> std::process::Output {
    vigie().args(args).env("VIGIE_STORE__PATH", store).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn accounts_and_the_audit_log_from_the_command_line() {
    let dir = scratch("security");
    let store = dir.join("vigie.db");
    let added = add_user(
        &store,
        "alice",
        "supervisor",
        &["--posts", "police-municipale,securite-espace-public", "--display-name", "Alice"],
    );
    let stdout = text(&added.stdout);
    assert!(added.status.success(), "{stdout}{}", text(&added.stderr));
    assert!(stdout.contains("second factor: at its first login"), "the TOTP enrolment hint: {stdout}");
    assert!(add_user(&store, "bob", "integrator", &["--no-mfa"]).status.success());
    let weak = vigie()
        .args(["user", "add", "--login", "carol", "--role", "operator"])
        .env("VIGIE_STORE__PATH", &store)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!weak.status.success() && text(&weak.stderr).contains("no password on standard input"));
    let bad_role = add_user(&store, "dave", "king", &[]);
    assert!(!bad_role.status.success() && text(&bad_role.stderr).contains("unknown role"));
    let list = run(&["user", "list"], &store);
    let listing = text(&list.stdout);
    assert!(listing.contains("alice") && listing.contains("police-municipale,securite-espace-public"), "{listing}");
    assert!(listing.contains("pending") && listing.contains("integrator"), "{listing}");
    assert!(run(&["user", "unlock", "alice"], &store).status.success());
    assert!(run(&["user", "reset-totp", "alice"], &store).status.success());
    assert!(!run(&["user", "unlock", "nobody"], &store).status.success());

    // A server: the people sign in, a denial and a login are audited, SIGTERM signs a checkpoint.
    let (mut server, base) = crate::crash::start(&store);
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut first = agent
        .post(&format!("{base}/api/auth/login"))
        .send_json(serde_json::json!({ "login": "alice", "password": PASSWORD }))
        .unwrap();
    let answer: serde_json::Value = first.body_mut().read_json().unwrap();
    assert_eq!(answer["step"], "enrol", "a person enrols a second factor first: {answer}");
    let token = login(&base, "bob");
    let denied =
        agent.get(&format!("{base}/api/incidents")).header("authorization", format!("Bearer {token}")).call().unwrap();
    assert_eq!(denied.status(), 403, "an integrator reads no incident");
    let terminated = std::process::Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap();
    assert!(terminated.success());
    assert!(server.wait().unwrap().success(), "a clean stop");

    let verified = run(&["audit", "verify"], &store);
    let report = text(&verified.stdout);
    assert!(verified.status.success(), "{report}{}", text(&verified.stderr));
    assert!(report.contains("audit log intact") && report.contains("last checkpoint covers entry"), "{report}");
    let key = run(&["audit", "public-key"], &store);
    let key = text(&key.stdout).trim().to_owned();
    assert_eq!(key.len(), 64, "{key}");
    let audit_db = dir.join("audit.db");
    let with_key = vigie()
        .args(["audit", "verify", "--public-key", &key, "--db"])
        .arg(&audit_db)
        .env("VIGIE_STORE__PATH", &store)
        .output()
        .unwrap();
    assert!(with_key.status.success(), "{}", text(&with_key.stderr));
    let wrong_key = "11".repeat(32);
    let forged = vigie()
        .args(["audit", "verify", "--public-key", &wrong_key])
        .env("VIGIE_STORE__PATH", &store)
        .output()
        .unwrap();
    assert!(!forged.status.success(), "another key does not verify the checkpoints");
    let exported = dir.join("export.jsonl");
    let export =
        vigie().args(["audit", "export", "--output"]).arg(&exported).env("VIGIE_STORE__PATH", &store).output().unwrap();
    assert!(export.status.success(), "{}", text(&export.stderr));
    let lines = std::fs::read_to_string(&exported).unwrap();
    assert!(lines.lines().count() >= 3 && lines.contains("\"action\":\"login\""), "{lines}");

    // Someone edits an entry behind the program's back: verify names it.
    let connection = rusqlite::Connection::open(&audit_db).unwrap();
    connection
        .execute_batch(
            "DROP TRIGGER audit_entries_no_update; UPDATE audit_entries SET actor = 'mallory' WHERE seq = 2;",
        )
        .unwrap();
    drop(connection);
    let tampered = run(&["audit", "verify"], &store);
    assert!(!tampered.status.success());
    assert!(text(&tampered.stderr).contains("entry 2 was modified"), "{}", text(&tampered.stderr));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_demo_creates_its_demo_accounts() {
    let dir = scratch("demo-accounts");
    let mut child = vigie()
        .args([
            "demo",
            "--listen",
            "127.0.0.1:0",
            "--mqtt-listen",
            "127.0.0.1:0",
            "--no-simulator",
            "--no-vision",
            "--store",
        ])
        .arg(dir.join("demo.db"))
        .env("VIGIE_CITY__PACK", demo_pack())
        .env("VIGIE_LOG__FILTER", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut banner = String::new();
    reader.read_line(&mut banner).unwrap();
    let base = banner.trim().strip_prefix("Vigie listening on ").unwrap().to_owned();
    let mut line = String::new();
    while !line.starts_with("Ctrl-C") {
        line.clear();
        assert!(reader.read_line(&mut line).unwrap() > 0, "the banner ended early: {banner}");
        banner.push_str(&line);
    }
    assert!(banner.contains("DEMO ONLY") && banner.contains("demo-vigie-2026"), "{banner}");
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    for (account, role) in [
        ("admin", "administrator"),
        ("superviseur", "supervisor"),
        ("operateur", "operator"),
        ("auditeur", "auditor"),
        ("dpd", "data_protection_officer"),
    ] {
        let mut response = agent
            .post(&format!("{base}/api/auth/login"))
            .send_json(serde_json::json!({ "login": account, "password": "demo-vigie-2026" }))
            .unwrap();
        let answer: serde_json::Value = response.body_mut().read_json().unwrap();
        assert_eq!(
            (answer["step"].as_str(), answer["role"].as_str()),
            (Some("session"), Some(role)),
            "{account}: {answer}"
        );
        if account == "operateur" {
            assert_eq!(
                answer["scope"]["posts"]["only"],
                serde_json::json!(["police-municipale", "securite-espace-public"])
            );
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}
