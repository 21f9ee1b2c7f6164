//! Signing in (password, TOTP enrolment and codes, lockout), sessions (cookie and CSRF, Bearer,
//! logout), the fail-closed route table, devices over HTTP, headers, limits, the audit trail,
//! and the absence of any biometric field in the API.

use crate::{
    Credentials, OUCHE_GAUGES, Options, PASSWORD, SIMULATOR, START, Session, TestServer, spawn_server,
    spawn_server_with,
};
use serde_json::{Value, json};
use vigie_auth::{Outcome, Role, Scope, TotpSecret};

fn send(
    server: &TestServer,
    method: &str,
    path: &str,
    credentials: Credentials<'_>,
    body: Option<&Value>,
) -> crate::Answer {
    let bytes = body.map(|body| body.to_string().into_bytes());
    server.request(method, path, credentials, bytes.as_deref().map(|bytes| ("application/json", bytes)))
}

/// Creates an account of a person, with the second factor required (the default for people).
fn create_person(server: &TestServer, login: &str, role: Role) {
    let account = vigie_auth::NewAccount {
        login: vigie_auth::Login::parse(login).unwrap(),
        display_name: format!("Agent {login}"),
        role,
        scope: Scope::all(),
    };
    server.state.auth.create_account(&account, PASSWORD, server.clock.now()).unwrap();
}

fn pending_cookie(answer: &crate::Answer) -> String {
    let cookie = answer
        .all_headers("set-cookie")
        .into_iter()
        .find(|cookie| cookie.starts_with("vigie_pending=") && !cookie.starts_with("vigie_pending=;"))
        .unwrap_or_else(|| panic!("a pending cookie: {:?}", answer.headers))
        .to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(cookie.contains("Path=/api/auth") && cookie.contains("Max-Age=300"), "{cookie}");
    cookie.split(';').next().unwrap().trim_start_matches("vigie_pending=").to_owned()
}

fn send_code(server: &TestServer, pending: &str, code: &str) -> crate::Answer {
    let url = format!("{}/api/auth/totp", server.base);
    let request = ureq::http::Request::builder()
        .method("POST")
        .uri(&url)
        .header("cookie", format!("vigie_pending={pending}"))
        .header("content-type", "application/json")
        .body(json!({ "code": code }).to_string())
        .unwrap();
    let mut response = server.agent.run(request).unwrap();
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), value.to_str().unwrap_or("").to_owned()))
        .collect();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    crate::Answer { status, body: serde_json::from_str(&text).unwrap_or(Value::Null), text, headers }
}

fn login_answer(server: &TestServer, login: &str, password: &str) -> crate::Answer {
    send(server, "POST", "/api/auth/login", Credentials::None, Some(&json!({ "login": login, "password": password })))
}

#[test]
fn a_password_login_opens_a_session_that_logout_ends() {
    let server = spawn_server("login");
    server.create_account("bob", Role::Operator, Scope::all());
    let answer = login_answer(&server, "bob", PASSWORD);
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.body["step"], "session");
    assert_eq!((answer.body["login"].as_str(), answer.body["role"].as_str()), (Some("bob"), Some("operator")));
    assert_eq!(answer.body["display_name"], "Test bob");
    assert_eq!(answer.body["scope"], json!({ "posts": "all", "communes": "all" }));
    let cookie =
        answer.all_headers("set-cookie").into_iter().find(|cookie| cookie.starts_with("vigie_session=")).unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.contains("Secure"), "no TLS here: {cookie}");
    let session = server.login("bob", PASSWORD).unwrap();

    let me = send(&server, "GET", "/api/auth/me", Credentials::Cookie(&session), None);
    assert_eq!(me.status, 200);
    assert_eq!((me.body["login"].as_str(), me.body["csrf_token"].as_str()), (Some("bob"), Some(session.csrf.as_str())));
    let bearer = send(&server, "GET", "/api/auth/me", Credentials::Bearer(&session), None);
    assert_eq!(bearer.status, 200, "a program uses the token as a Bearer");

    let logout = send(&server, "POST", "/api/auth/logout", Credentials::Cookie(&session), None);
    assert_eq!(logout.status, 204);
    assert!(
        logout
            .all_headers("set-cookie")
            .iter()
            .any(|cookie| cookie.starts_with("vigie_session=;") && cookie.contains("Max-Age=0"))
    );
    let after = send(&server, "GET", "/api/auth/me", Credentials::Cookie(&session), None);
    assert_eq!((after.status, after.body["code"].as_str()), (401, Some("unauthenticated")));
    let logins = server.audit_entries("login");
    assert!(logins.iter().any(|entry| entry.actor == "bob" && entry.outcome == Outcome::Allowed));
    assert_eq!(server.audit_entries("logout").len(), 1);

    let malformed = send(&server, "POST", "/api/auth/login", Credentials::None, Some(&json!({ "login": "bob" })));
    assert_eq!(malformed.status, 422);
    let wrong = login_answer(&server, "bob", "not the password at all");
    assert_eq!((wrong.status, wrong.body["code"].as_str()), (401, Some("bad_credentials")));
    let unknown = login_answer(&server, "nobody", PASSWORD);
    assert_eq!((unknown.status, unknown.body["code"].as_str()), (401, Some("bad_credentials")), "no enumeration");
    assert!(
        server.audit_entries("login").iter().any(|entry| entry.actor == "nobody" && entry.outcome == Outcome::Failed)
    );
}

#[test]
fn totp_enrolment_then_logins_with_codes() {
    let server = spawn_server("totp");
    create_person(&server, "carol", Role::Supervisor);
    let first = login_answer(&server, "carol", PASSWORD);
    assert_eq!((first.status, first.body["step"].as_str()), (200, Some("enrol")), "{}", first.text);
    let secret = TotpSecret::from_base32(first.body["secret"].as_str().unwrap()).unwrap();
    assert!(first.body["otpauth_uri"].as_str().unwrap().starts_with("otpauth://totp/Vigie:carol?secret="));
    let pending = pending_cookie(&first);
    let right: u32 = secret.code_at(server.clock.now()).parse().unwrap();
    let wrong = send_code(&server, &pending, &format!("{:06}", (right + 500_000) % 1_000_000));
    assert_eq!((wrong.status, wrong.body["code"].as_str()), (401, Some("bad_totp_code")));
    let enrolled = send_code(&server, &pending, &secret.code_at(server.clock.now()));
    assert_eq!((enrolled.status, enrolled.body["step"].as_str()), (200, Some("session")), "{}", enrolled.text);
    assert!(enrolled.all_headers("set-cookie").iter().any(|cookie| cookie.starts_with("vigie_session=")));

    // The next login asks for a code; the one just used is refused, the next step's works.
    let second = login_answer(&server, "carol", PASSWORD);
    assert_eq!(second.body["step"], "totp", "{}", second.text);
    let pending = pending_cookie(&second);
    let reused = send_code(&server, &pending, &secret.code_at(server.clock.now()));
    assert_eq!((reused.status, reused.body["code"].as_str()), (401, Some("totp_code_reused")));
    server.clock.advance_seconds(30);
    let signed_in = send_code(&server, &pending, &secret.code_at(server.clock.now()));
    assert_eq!((signed_in.status, signed_in.body["login"].as_str()), (200, Some("carol")), "{}", signed_in.text);

    let expired = send_code(&server, "", "123456");
    assert_eq!((expired.status, expired.body["code"].as_str()), (401, Some("login_expired")));
    let third = login_answer(&server, "carol", PASSWORD);
    let pending = pending_cookie(&third);
    server.clock.advance_seconds(301);
    let late = send_code(&server, &pending, &secret.code_at(server.clock.now()));
    assert_eq!(
        (late.status, late.body["code"].as_str()),
        (401, Some("login_expired")),
        "the pending login lasts 5 minutes"
    );
}

#[test]
fn five_wrong_passwords_lock_the_account() {
    let server = spawn_server("lockout");
    server.create_account("dave", Role::Operator, Scope::all());
    for attempt in 1..=4 {
        let answer = login_answer(&server, "dave", "wrong password number");
        assert_eq!((answer.status, answer.body["code"].as_str()), (401, Some("bad_credentials")), "attempt {attempt}");
    }
    let locked = login_answer(&server, "dave", "wrong password number");
    assert_eq!((locked.status, locked.body["code"].as_str()), (423, Some("account_locked")), "{}", locked.text);
    let until = locked.body["until"].as_i64().unwrap();
    assert_eq!(until, START + 900_000, "locked for 15 minutes");
    let still = login_answer(&server, "dave", PASSWORD);
    assert_eq!(still.status, 423, "even the right password waits");
    server.clock.advance_seconds(901);
    assert!(server.login("dave", PASSWORD).is_ok(), "the lockout ends");
    let failures = server
        .audit_entries("login")
        .iter()
        .filter(|entry| entry.actor == "dave" && entry.outcome == Outcome::Failed)
        .count();
    assert_eq!(failures, 6, "every failed attempt is in the audit log");
}

#[test]
fn login_attempts_are_limited_per_address() {
    let mut options = Options::default();
    options.auth.login_attempts_per_minute = 3;
    let server = spawn_server_with("login-limit", options);
    for _ in 0..3 {
        assert_eq!(login_answer(&server, "eve", "some wrong password").status, 401);
    }
    let limited = login_answer(&server, "eve", "some wrong password");
    assert_eq!((limited.status, limited.body["code"].as_str()), (429, Some("too_many_attempts")));
    assert!(limited.header("retry-after").is_some());
}

#[test]
fn writes_with_a_cookie_need_the_csrf_token() {
    let server = spawn_server("csrf");
    let session = server.session("alice", Role::Supervisor, Scope::all());
    let incident = json!({ "category": "fire", "title": "CSRF", "commune": "21231" });
    let missing = send(&server, "POST", "/api/incidents", Credentials::CookieWithoutCsrf(&session), Some(&incident));
    assert_eq!((missing.status, missing.body["code"].as_str()), (403, Some("csrf_mismatch")));
    let forged = Session { csrf: "0".repeat(64), ..session.clone() };
    let wrong = send(&server, "POST", "/api/incidents", Credentials::Cookie(&forged), Some(&incident));
    assert_eq!((wrong.status, wrong.body["code"].as_str()), (403, Some("csrf_mismatch")));
    let (_, health) = server.get("/health");
    assert_eq!(health["last_seq"].as_u64(), Some(0), "nothing was done");
    assert!(server.audit_entries("create_incidents").iter().any(|entry| entry.outcome == Outcome::Denied));
    let with_token = send(&server, "POST", "/api/incidents", Credentials::Cookie(&session), Some(&incident));
    assert_eq!(with_token.status, 201);
    let bearer = send(&server, "POST", "/api/incidents", Credentials::Bearer(&session), Some(&incident));
    assert_eq!(bearer.status, 201, "a Bearer token needs no CSRF token");
    let read = send(&server, "GET", "/api/incidents", Credentials::CookieWithoutCsrf(&session), None);
    assert_eq!(read.status, 200, "reads need none");
    assert_eq!(server.audit_entries("incident.create").len(), 2);
}

#[test]
fn every_private_route_needs_a_session_and_every_route_is_in_the_table() {
    let server = spawn_server("fail-closed");
    for line in vigie_web::policy::ROUTES {
        let path = line.path.replace("{id}", "1").replace("{login}", "nobody");
        let answer = server.request(line.method, &path, Credentials::None, Some(("application/json", b"{}")));
        match line.access {
            vigie_web::policy::Access::Public => assert_eq!(answer.status, 200, "{} {}", line.method, line.path),
            vigie_web::policy::Access::SignIn => assert_eq!(answer.status, 422, "{} {}", line.method, line.path),
            _ => assert_eq!(
                (answer.status, answer.body["code"].as_str()),
                (401, Some("unauthenticated")),
                "{} {} without a session",
                line.method,
                line.path
            ),
        }
    }
    // The router's routes, read from its source, are exactly the table's lines.
    let source = include_str!("../../src/lib.rs");
    let mut routed = std::collections::BTreeSet::new();
    for call in source.split(".route(\"").skip(1) {
        let (path, rest) = call.split_once('"').unwrap();
        let end = rest.find("))\n").unwrap_or(rest.len());
        for method in ["get", "post", "patch", "delete", "put"] {
            if rest[..end].contains(&format!("{method}(")) {
                routed.insert((method.to_uppercase(), path.to_owned()));
            }
        }
    }
    let table: std::collections::BTreeSet<(String, String)> =
        vigie_web::policy::ROUTES.iter().map(|line| (line.method.to_owned(), line.path.to_owned())).collect();
    assert_eq!(routed, table, "every route of the router has exactly one line in the policy table");
    println!("route table: {} routes, each in the policy table", routed.len());

    // A route missing from the table is refused, whoever asks.
    let state = server.state.clone();
    let guarded: axum::Router = axum::Router::new()
        .route("/api/not-in-the-table", axum::routing::get(|| async { "secret" }))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), vigie_web::auth::guard))
        .with_state(state);
    let session = server.session("alice", Role::Supervisor, Scope::all());
    let request = axum::http::Request::builder()
        .uri("/api/not-in-the-table")
        .header("authorization", format!("Bearer {}", session.token))
        .body(axum::body::Body::empty())
        .unwrap();
    let response = server.block_on(tower::ServiceExt::oneshot(guarded, request)).unwrap();
    assert_eq!(response.status(), 403, "fail closed");
}

#[test]
fn roles_are_checked_and_denials_audited() {
    let server = spawn_server("roles");
    let admin = server.session("admin", Role::Administrator, Scope::all());
    let answer = send(&server, "GET", "/api/incidents", Credentials::Cookie(&admin), None);
    assert_eq!((answer.status, answer.body["code"].as_str()), (403, Some("forbidden")));
    let denial = server.audit_entries("read_incidents");
    assert_eq!(denial.len(), 1);
    assert_eq!((denial[0].actor.as_str(), denial[0].outcome), ("admin", Outcome::Denied));
    let auditor = server.session("auditor", Role::Auditor, Scope::all());
    let audit = send(&server, "GET", "/api/audit?action=read_incidents", Credentials::Cookie(&auditor), None);
    assert_eq!(audit.status, 200);
    assert_eq!(audit.body["entries"][0]["actor"], "admin");
    assert_eq!(server.audit_entries("read_audit").len(), 1, "reading the audit log is audited");
    // Nobody can change or delete an entry: there is no such route.
    for method in ["DELETE", "PATCH", "PUT", "POST"] {
        let answer =
            server.request(method, "/api/audit", Credentials::Bearer(&auditor), Some(("application/json", b"{}")));
        assert!((403..=405).contains(&answer.status), "{method} /api/audit answered {}", answer.status);
    }
    let export = send(&server, "GET", "/api/audit/export", Credentials::Cookie(&auditor), None);
    assert_eq!(export.status, 200);
    assert_eq!(export.header("content-type"), Some("application/x-ndjson"));
    let lines: Vec<Value> = export.text.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert!(lines.len() >= 4, "{}", export.text);
    assert!(lines.iter().all(|line| line["hash"].as_str().is_some_and(|hash| hash.len() == 64)));
    let report = vigie_auth::verify(server.state.audit.path(), &server.state.audit.public_key()).unwrap();
    assert!(report.is_clean(), "{report:?}");
    assert!(report.checkpoints_verified >= 1, "the export signed a checkpoint");
}

#[test]
fn devices_post_for_their_own_sensors_and_can_be_revoked() {
    let server = spawn_server("devices");
    let city = server.state.city.clone();
    let gauge = "gauge-ouche-01";
    let elsewhere = city.sensors.iter().find(|sensor| !sensor.id.as_str().starts_with("gauge-ouche")).unwrap();
    let batch = |sensor: &str| json!({ "observations": [{ "sensor_id": sensor, "time": START - 1000, "value": 0.5 }] });
    let (id, secret) = OUCHE_GAUGES;
    let ok = send(&server, "POST", "/api/observations", Credentials::Device(id, secret), Some(&batch(gauge)));
    assert_eq!(ok.status, 200, "{}", ok.text);
    let refused = send(
        &server,
        "POST",
        "/api/observations",
        Credentials::Device(id, secret),
        Some(&batch(elsewhere.id.as_str())),
    );
    assert_eq!((refused.status, refused.body["code"].as_str()), (403, Some("out_of_scope")), "{}", refused.text);
    let wrong =
        send(&server, "POST", "/api/observations", Credentials::Device(id, "not the secret"), Some(&batch(gauge)));
    assert_eq!(wrong.status, 401);
    let simulator = send(
        &server,
        "POST",
        "/api/observations",
        Credentials::Device(SIMULATOR.0, SIMULATOR.1),
        Some(&batch(elsewhere.id.as_str())),
    );
    assert_eq!(simulator.status, 200, "the simulator may post for every commune");
    let elsewhere_route = send(&server, "GET", "/api/incidents", Credentials::Device(id, secret), None);
    assert_eq!(elsewhere_route.status, 401, "device credentials open the ingest routes only");

    let admin = server.session("admin", Role::Administrator, Scope::all());
    let devices = send(&server, "GET", "/api/devices", Credentials::Cookie(&admin), None);
    let gauges = devices.body["devices"].as_array().unwrap().iter().find(|device| device["id"] == id).unwrap().clone();
    assert_eq!(gauges["revoked"], false);
    assert_eq!(gauges["last_seen_http"].as_i64(), Some(START), "{gauges}");
    let revoke = send(
        &server,
        "POST",
        &format!("/api/devices/{id}/revoke"),
        Credentials::Cookie(&admin),
        Some(&json!({ "reason": "gateway stolen" })),
    );
    assert_eq!(revoke.status, 200, "{}", revoke.text);
    let after = send(&server, "POST", "/api/observations", Credentials::Device(id, secret), Some(&batch(gauge)));
    assert_eq!(after.status, 401, "a revocation applies at once, cached credentials or not");
    assert_eq!(server.state.auth.revoked_devices().unwrap().len(), 1, "kept across restarts");
    let devices = send(&server, "GET", "/api/devices", Credentials::Cookie(&admin), None);
    let gauges = devices.body["devices"].as_array().unwrap().iter().find(|device| device["id"] == id).unwrap().clone();
    assert_eq!(
        (gauges["revoked"].as_bool(), gauges["revocation_reason"].as_str()),
        (Some(true), Some("gateway stolen"))
    );
    let restore = send(&server, "POST", &format!("/api/devices/{id}/restore"), Credentials::Cookie(&admin), None);
    assert_eq!(restore.status, 200);
    let back = send(&server, "POST", "/api/observations", Credentials::Device(id, secret), Some(&batch(gauge)));
    assert_eq!(back.status, 200);
    assert_eq!(server.audit_entries("device.revoke").len(), 1);
    assert_eq!(server.audit_entries("device.restore").len(), 1);
    let integrator = server.session("partner", Role::Integrator, Scope::all());
    assert_eq!(send(&server, "GET", "/api/devices", Credentials::Cookie(&integrator), None).status, 200);
    let operator = server.session("bob", Role::Operator, Scope::all());
    assert_eq!(send(&server, "GET", "/api/devices", Credentials::Cookie(&operator), None).status, 403);
}

#[test]
fn accounts_are_managed_by_administrators_and_audited() {
    let server = spawn_server("accounts");
    let admin = server.session("admin", Role::Administrator, Scope::all());
    let create = json!({
        "login": "frank", "display_name": "Frank", "role": "operator",
        "scope": { "posts": { "only": ["police-municipale"] }, "communes": "all" },
        "password": "a very long passphrase", "mfa_required": false
    });
    let created = send(&server, "POST", "/api/accounts", Credentials::Cookie(&admin), Some(&create));
    assert_eq!(created.status, 201, "{}", created.text);
    assert!(created.body.get("password_hash").is_none() && created.body["mfa_required"] == false);
    let weak = send(
        &server,
        "POST",
        "/api/accounts",
        Credentials::Cookie(&admin),
        Some(
            &json!({ "login": "gina", "display_name": "G", "role": "operator", "scope": { "posts": "all", "communes": "all" }, "password": "short" }),
        ),
    );
    assert_eq!((weak.status, weak.body["code"].as_str()), (422, Some("weak_password")));
    let frank = server.login("frank", "a very long passphrase").unwrap();
    let disable =
        send(&server, "PATCH", "/api/accounts/frank", Credentials::Cookie(&admin), Some(&json!({ "disabled": true })));
    assert_eq!(disable.status, 200);
    let gone = send(&server, "GET", "/api/auth/me", Credentials::Cookie(&frank), None);
    assert_eq!(gone.status, 401, "disabling ends the sessions");
    let list = send(&server, "GET", "/api/accounts", Credentials::Cookie(&admin), None);
    assert!(list.text.contains("\"frank\"") && !list.text.contains("argon2"), "{}", list.text);
    assert_eq!(server.audit_entries("account.create").len(), 2, "the refused creation too");
    assert_eq!(server.audit_entries("account.update").len(), 1);
}

#[test]
fn every_answer_carries_the_security_headers() {
    let server = spawn_server("headers");
    for path in ["/health", "/", "/api/openapi.json", "/api/incidents"] {
        let answer = server.request("GET", path, Credentials::None, None);
        let policy = answer.header("content-security-policy").unwrap_or_else(|| panic!("{path}: no CSP"));
        assert!(policy.contains("frame-ancestors 'none'") && policy.contains("script-src 'self'"), "{policy}");
        assert!(
            policy.contains("worker-src 'self' blob:") && policy.contains("img-src 'self' data: blob:"),
            "{policy}"
        );
        assert_eq!(answer.header("x-content-type-options"), Some("nosniff"), "{path}");
        assert_eq!(answer.header("referrer-policy"), Some("no-referrer"), "{path}");
        assert!(answer.header("strict-transport-security").is_none(), "no HSTS without TLS");
    }
    let api = server.request("GET", "/api/incidents", Credentials::None, None);
    assert_eq!(api.header("cache-control"), Some("no-store"));
}

#[test]
fn request_bodies_are_limited_per_route() {
    let server = spawn_server("limits");
    let supervisor = server.session("alice", Role::Supervisor, Scope::all());
    let integrator = server.session("ingest", Role::Integrator, Scope::all());
    let big_title = "x".repeat(70 * 1024);
    let answer = send(
        &server,
        "POST",
        "/api/incidents",
        Credentials::Cookie(&supervisor),
        Some(&json!({ "category": "fire", "title": big_title })),
    );
    assert_eq!(answer.status, 413, "64 KiB for ordinary requests");
    let sensor = server.state.city.sensors[0].id.to_string();
    let observations: Vec<Value> =
        (0..2_000).map(|index| json!({ "sensor_id": sensor, "time": START - 10_000 + index, "value": 0.1 })).collect();
    let answer = send(
        &server,
        "POST",
        "/api/observations",
        Credentials::Cookie(&integrator),
        Some(&json!({ "observations": observations })),
    );
    assert_eq!(answer.status, 200, "ingest takes large batches: {}", answer.text);
    let mut jpeg = vec![0xff, 0xd8, 0xff];
    jpeg.resize(2 * 1024 * 1024 + 10, 0);
    let path = "/api/snapshots?camera=cam-dijon-0100&sensor=cam-dijon-0100.allee.count";
    let answer = server.request("POST", path, Credentials::Bearer(&integrator), Some(("image/jpeg", &jpeg)));
    assert_eq!(answer.status, 413, "2 MiB for snapshots");
}

#[test]
fn the_rate_limit_answers_429_with_retry_after() {
    let mut options = Options::default();
    options.security.requests_per_second = 1;
    options.security.burst = 3;
    let server = spawn_server_with("rate-limit", options);
    for _ in 0..3 {
        assert_eq!(server.request("GET", "/health", Credentials::None, None).status, 200);
    }
    let limited = server.request("GET", "/health", Credentials::None, None);
    assert_eq!((limited.status, limited.body["code"].as_str()), (429, Some("too_many_requests")));
    assert_eq!(limited.header("retry-after"), Some("1"));
}

/// Words that would betray biometric processing, in field names or in the API's description.
const BIOMETRIC_WORDS: &[&str] = &[
    "face",
    "faces",
    "facial",
    "embedding",
    "embeddings",
    "template",
    "templates",
    "biometric",
    "biometrics",
    "identity",
    "identities",
    "reid",
    "re_id",
    "person_id",
    "gait",
    "faceprint",
];

fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric() && c != '_').filter(|word| !word.is_empty()).map(str::to_lowercase)
}

fn biometric_word(text: &str) -> Option<String> {
    words(text).find(|word| {
        BIOMETRIC_WORDS.contains(&word.as_str()) || word.split('_').any(|part| BIOMETRIC_WORDS.contains(&part))
    })
}

fn collect_keys(value: &Value, keys: &mut std::collections::BTreeSet<String>) {
    match value {
        Value::Object(object) => {
            for (key, inner) in object {
                keys.insert(key.clone());
                collect_keys(inner, keys);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_keys(item, keys)),
        _ => {}
    }
}

#[test]
fn no_biometric_field_anywhere_in_the_api() {
    let server = spawn_server("no-biometrics");
    let (_, spec) = server.get("/api/openapi.json");
    let text = spec.to_string();
    assert_eq!(biometric_word(&text), None, "the OpenAPI document names no biometric field");
    // Fill the city a little, then read every GET route as each role that may.
    let (_, sensors) = server.get("/api/sensors");
    let smoke = sensors["sensors"].as_array().unwrap().iter().find(|entry| entry["sensor"]["kind"] == "smoke").unwrap()
        ["sensor"]["id"]
        .clone();
    server.post(
        "/api/observations",
        &json!({ "observations": [{ "sensor_id": smoke, "time": START, "value": 1.0 }] }).to_string(),
    );
    let integrator = server.session("ingest", Role::Integrator, Scope::all());
    let path = "/api/snapshots?camera=cam-dijon-0100&sensor=cam-dijon-0100.allee.count";
    let snapshot = server.request(
        "POST",
        path,
        Credentials::Bearer(&integrator),
        Some(("image/jpeg", &[0xff, 0xd8, 0xff, 0xe0, 0, 0])),
    );
    assert_eq!(snapshot.status, 201, "{}", snapshot.text);
    let mut keys = std::collections::BTreeSet::new();
    let mut routes = 0;
    for role in Role::ALL {
        let session = server.session(&format!("reader-{}", role.as_str().replace('_', "-")), role, Scope::all());
        for line in vigie_web::policy::ROUTES.iter().filter(|line| line.method == "GET" && line.path != "/api/stream") {
            let path = line.path.replace("{id}", "1");
            let answer = server.request("GET", &path, Credentials::Bearer(&session), None);
            if answer.status == 200 {
                routes += 1;
                collect_keys(&answer.body, &mut keys);
                if line.path == "/api/audit/export" {
                    for line in answer.text.lines() {
                        collect_keys(&serde_json::from_str(line).unwrap(), &mut keys);
                    }
                }
            }
        }
    }
    let offending: Vec<&String> = keys.iter().filter(|key| biometric_word(key).is_some()).collect();
    assert!(offending.is_empty(), "biometric fields: {offending:?}");
    assert!(keys.len() > 100, "the answers were read: {} keys", keys.len());
    println!("no biometrics: {} answers, {} distinct JSON keys, none biometric", routes, keys.len());
    assert_eq!(biometric_word("the face_template field"), Some("face_template".to_owned()), "the check catches one");
}
