//! The API through real HTTP: a server on port 0 over a temporary SQLite log, the demo city
//! pack, a fresh security database and audit log, and a clock the tests move by hand.
//!
//! Every route but `/health`, the OpenAPI document and the login needs a session: the harness
//! creates accounts straight in the security database and signs them in through the API
//! (`TestServer::session`). `get` and `post` act as the account whose job the route is:
//! `alice`, a supervisor of the whole city, for most; `ingest`, an integrator, for ingest;
//! `admin`, an administrator, for the rules' reload.

mod alarms;
mod api;
mod matrix;
mod retention;
mod security;
mod stream;
mod tls;

use serde_json::Value;
use std::collections::HashMap;
use std::io::Read;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use vigie_auth::{AuthConfig, NewAccount, Role, Scope};
use vigie_core::Timestamp;
use vigie_engine::{Clock, EngineConfig, EngineHandle, RuleBook};
use vigie_store::sqlite::SqliteLog;

/// A clock that only moves when told to.
pub(crate) struct ManualClock(AtomicI64);

impl ManualClock {
    pub(crate) fn now_millis(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }

    pub(crate) fn now(&self) -> Timestamp {
        Timestamp(self.now_millis())
    }

    pub(crate) fn advance_seconds(&self, seconds: i64) {
        self.0.fetch_add(seconds * 1000, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

/// 2026-11-26T08:00:00Z.
pub(crate) const START: i64 = 1_795_680_000_000;

/// The password of every account the harness creates.
pub(crate) const PASSWORD: &str = "correct horse battery staple";

/// The demo devices' published secrets (DEMO ONLY).
pub(crate) const SIMULATOR: (&str, &str) = ("simulateur", "demo-simulateur-2026");
pub(crate) const OUCHE_GAUGES: (&str, &str) = ("passerelle-ouche", "demo-gauges-ouche-2026");

/// A signed-in account, as a browser holds it: the cookie and the CSRF token.
#[derive(Clone, Debug)]
pub(crate) struct Session {
    pub(crate) login: String,
    pub(crate) token: String,
    pub(crate) csrf: String,
}

/// How a test server is set up.
pub(crate) struct Options {
    pub(crate) pack: PathBuf,
    pub(crate) auth: AuthConfig,
    pub(crate) security: vigie_web::SecurityConfig,
    /// Serve HTTPS with this certificate and key (PEM files), and `/health` in plain text.
    pub(crate) tls: Option<(PathBuf, PathBuf)>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            pack: demo_pack(),
            // Tests move the clock by days: sessions must outlive them, and many logins come
            // from one address.
            auth: AuthConfig {
                idle_timeout_s: 400 * 86_400,
                absolute_timeout_s: 400 * 86_400,
                login_attempts_per_minute: 10_000,
                ..AuthConfig::default()
            },
            security: vigie_web::SecurityConfig { requests_per_second: 0, ..vigie_web::SecurityConfig::default() },
            tls: None,
        }
    }
}

pub(crate) struct TestServer {
    pub(crate) base: String,
    /// With TLS: the plaintext `/health` port's base.
    pub(crate) health_base: Option<String>,
    pub(crate) engine: EngineHandle,
    pub(crate) clock: Arc<ManualClock>,
    pub(crate) agent: ureq::Agent,
    pub(crate) state: vigie_web::AppState,
    sessions: Mutex<HashMap<String, Session>>,
    // Kept so the runtime serving the API lives as long as the test.
    _runtime: tokio::runtime::Runtime,
    dir: PathBuf,
    /// The SQLite log.
    pub(crate) path: PathBuf,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub(crate) fn demo_pack() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../cities/demo-metropole")
}

/// Starts the API on 127.0.0.1:0 with a fresh log.
pub(crate) fn spawn_server(name: &str) -> TestServer {
    spawn_server_with(name, Options::default())
}

/// Starts the API over the pack in `pack` (a copy the test may edit).
pub(crate) fn spawn_server_with_pack(name: &str, pack: PathBuf) -> TestServer {
    spawn_server_with(name, Options { pack, ..Options::default() })
}

/// Starts the API as `options` say.
pub(crate) fn spawn_server_with(name: &str, options: Options) -> TestServer {
    let dir = std::env::temp_dir().join(format!("vigie-web-it-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("vigie.db");
    let pack = options.pack;
    let city = Arc::new(vigie_city::load(&pack).expect("the pack loads"));
    let clock = Arc::new(ManualClock(AtomicI64::new(START)));
    let devices = vigie_ingest::mqtt::devices::Devices::load(&pack.join("devices.toml")).expect("the devices load");
    devices.check_against(&city).expect("the devices match the city");
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let https = options.tls.is_some();
    let (base, health_base, engine, state) = runtime.block_on(async {
        let log = SqliteLog::open(&path).unwrap();
        let reader = Arc::new(SqliteLog::reader(&path));
        let rulebook = RuleBook::load(city.clone(), &pack).expect("the pack's rules load");
        let (engine, _thread) =
            vigie_engine::spawn(log, reader, rulebook, clock.clone(), EngineConfig::default()).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let state = vigie_web::AppState {
            engine: engine.clone(),
            city,
            clock: clock.clone(),
            pack_dir: pack,
            console_dir: None,
            media: Arc::new(vigie_store::media::MediaStore::open(&dir.join("media.db")).unwrap()),
            auth: Arc::new(vigie_auth::AuthStore::open(&dir, options.auth).unwrap()),
            audit: Arc::new(vigie_auth::AuditLog::open(&dir, vigie_auth::AuditConfig::default()).unwrap()),
            devices: Arc::new(vigie_web::devices::DeviceGate::new(Some(Arc::new(devices)))),
            security: Arc::new(vigie_web::Security::new(vigie_web::SecurityConfig { https, ..options.security })),
        };
        match options.tls {
            None => {
                tokio::spawn(vigie_web::run(listener, state.clone(), std::future::pending()));
                (format!("http://{address}"), None, engine, state)
            }
            Some((cert, key)) => {
                let tls = vigie_web::tls::load_server_config(&cert, &key).expect("the certificate loads");
                let health = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let health_base = format!("http://{}", health.local_addr().unwrap());
                let listeners = vigie_web::Listeners { main: listener, tls: Some(tls), health: Some(health) };
                tokio::spawn(vigie_web::serve(listeners, state.clone(), std::future::pending()));
                (format!("https://localhost:{}", address.port()), Some(health_base), engine, state)
            }
        }
    });
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into();
    TestServer {
        base,
        health_base,
        engine,
        clock,
        agent,
        state,
        sessions: Mutex::new(HashMap::new()),
        _runtime: runtime,
        dir,
        path,
    }
}

/// What a request answered: its status, its body as JSON (`Null` when not JSON), its headers.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: Value,
    pub(crate) text: String,
    pub(crate) headers: Vec<(String, String)>,
}

impl Answer {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
    }

    pub(crate) fn all_headers(&self, name: &str) -> Vec<&str> {
        self.headers.iter().filter(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str()).collect()
    }
}

/// How a request authenticates.
#[derive(Clone, Copy)]
pub(crate) enum Credentials<'a> {
    None,
    /// The session cookie, and the CSRF token on writes (as the console does).
    Cookie(&'a Session),
    /// The session cookie without any CSRF header.
    CookieWithoutCsrf(&'a Session),
    /// `Authorization: Bearer`.
    Bearer(&'a Session),
    /// `Authorization: Basic` of a device.
    Device(&'a str, &'a str),
}

impl TestServer {
    /// Sends a request and reads the whole answer.
    pub(crate) fn request(
        &self,
        method: &str,
        path: &str,
        credentials: Credentials<'_>,
        body: Option<(&str, &[u8])>,
    ) -> Answer {
        let url = format!("{}{path}", self.base);
        let mut builder = ureq::http::Request::builder().method(method).uri(&url);
        match credentials {
            Credentials::None => {}
            Credentials::Cookie(session) => {
                builder = builder.header("cookie", format!("vigie_session={}", session.token));
                if method != "GET" && method != "HEAD" {
                    builder = builder.header("x-csrf-token", &session.csrf);
                }
            }
            Credentials::CookieWithoutCsrf(session) => {
                builder = builder.header("cookie", format!("vigie_session={}", session.token));
            }
            Credentials::Bearer(session) => {
                builder = builder.header("authorization", format!("Bearer {}", session.token));
            }
            Credentials::Device(id, secret) => {
                let encoded = vigie_web::devices::base64_encode(format!("{id}:{secret}").as_bytes());
                builder = builder.header("authorization", format!("Basic {encoded}"));
            }
        }
        let mut response = match body {
            Some((content_type, bytes)) if !matches!(method, "GET" | "HEAD" | "DELETE") => {
                let request = builder.header("content-type", content_type).body(bytes.to_vec()).unwrap();
                self.agent.run(request).unwrap()
            }
            _ => self.agent.run(builder.body(()).unwrap()).unwrap(),
        };
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| (name.as_str().to_owned(), value.to_str().unwrap_or("").to_owned()))
            .collect();
        let mut raw = Vec::new();
        response.body_mut().as_reader().read_to_end(&mut raw).unwrap();
        let text = String::from_utf8_lossy(&raw).into_owned();
        Answer { status, body: serde_json::from_str(&text).unwrap_or(Value::Null), text, headers }
    }

    /// Creates an account straight in the security database (no second factor).
    pub(crate) fn create_account(&self, login: &str, role: Role, scope: Scope) {
        let account = NewAccount {
            login: vigie_auth::Login::parse(login).unwrap(),
            display_name: format!("Test {login}"),
            role,
            scope,
        };
        let auth = self.state.auth.clone();
        let now = self.clock.now();
        auth.create_account(&account, PASSWORD, now).unwrap();
        let update = vigie_auth::AccountUpdate { mfa_required: Some(false), ..Default::default() };
        auth.update_account(&account.login, &update).unwrap();
    }

    /// Signs in through the API; returns the session from the cookie and the answer.
    pub(crate) fn login(&self, login: &str, password: &str) -> Result<Session, Answer> {
        let body = serde_json::json!({ "login": login, "password": password }).to_string();
        let answer =
            self.request("POST", "/api/auth/login", Credentials::None, Some(("application/json", body.as_bytes())));
        if answer.status != 200 || answer.body["step"] != "session" {
            return Err(answer);
        }
        let token = answer
            .all_headers("set-cookie")
            .iter()
            .find_map(|cookie| cookie.strip_prefix("vigie_session="))
            .and_then(|rest| rest.split(';').next())
            .expect("a session cookie")
            .to_owned();
        let csrf = answer.body["csrf_token"].as_str().expect("a CSRF token").to_owned();
        Ok(Session { login: login.to_owned(), token, csrf })
    }

    /// The session of an account of `role` and `scope` named `login`, created and signed in
    /// on first use.
    pub(crate) fn session(&self, login: &str, role: Role, scope: Scope) -> Session {
        if let Some(session) = self.sessions.lock().unwrap().get(login) {
            return session.clone();
        }
        self.create_account(login, role, scope);
        let session = self.login(login, PASSWORD).unwrap_or_else(|answer| panic!("{login} signs in: {}", answer.text));
        self.sessions.lock().unwrap().insert(login.to_owned(), session.clone());
        session
    }

    /// The session of the account whose job a route is.
    pub(crate) fn session_for(&self, method: &str, path: &str) -> Session {
        if method == "POST" && (path.starts_with("/api/observations") || path.contains("/position")) {
            return self.session("ingest", Role::Integrator, Scope::all());
        }
        if path.starts_with("/api/rules/reload") {
            return self.session("admin", Role::Administrator, Scope::all());
        }
        self.session("alice", Role::Supervisor, Scope::all())
    }

    pub(crate) fn get(&self, path: &str) -> (u16, Value) {
        let session = self.session_for("GET", path);
        let answer = self.request("GET", path, Credentials::Cookie(&session), None);
        (answer.status, answer.body)
    }

    pub(crate) fn post(&self, path: &str, body: &str) -> (u16, Value) {
        let session = self.session_for("POST", path);
        let answer =
            self.request("POST", path, Credentials::Cookie(&session), Some(("application/json", body.as_bytes())));
        (answer.status, answer.body)
    }

    /// `Authorization` header value of the default session, for streaming requests.
    pub(crate) fn bearer(&self) -> String {
        format!("Bearer {}", self.session("alice", Role::Supervisor, Scope::all()).token)
    }

    /// The audit entries whose action is `action`.
    pub(crate) fn audit_entries(&self, action: &str) -> Vec<vigie_auth::AuditEntry> {
        let filter = vigie_auth::AuditFilter { action: Some(action.to_owned()), ..Default::default() };
        self.state.audit.read(&filter, 10_000, 0).unwrap()
    }

    pub(crate) fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self._runtime.block_on(future)
    }
}
