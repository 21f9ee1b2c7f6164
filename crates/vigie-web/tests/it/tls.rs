//! HTTPS with a certificate made for the test: the API answers over TLS with HSTS and
//! `Secure` `__Host-` cookies; the plaintext port answers `/health` and nothing else, and the
//! TLS port refuses plaintext.

use crate::{Credentials, Options, PASSWORD, spawn_server_with};
use rustls::pki_types::ServerName;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use vigie_auth::{Role, Scope};

/// Sends one HTTP/1.1 request over TLS to `localhost:port` and returns the raw answer.
fn https(port: u16, roots: &rustls::RootCertStore, request: &str) -> String {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots.clone())
        .with_no_client_auth();
    let name = ServerName::try_from("localhost").unwrap();
    let connection = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let socket = TcpStream::connect(("127.0.0.1", port)).unwrap();
    socket.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    let mut stream = rustls::StreamOwned::new(connection, socket);
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    // The server closes after `Connection: close`; what was read is the answer.
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn https_serves_the_api_and_the_plain_port_serves_health_only() {
    let dir = std::env::temp_dir().join(format!("vigie-web-it-tls-cert-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_path, certified.cert.pem()).unwrap();
    std::fs::write(&key_path, certified.signing_key.serialize_pem()).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(certified.cert.der().clone()).unwrap();

    let server = spawn_server_with("tls", Options { tls: Some((cert_path, key_path)), ..Options::default() });
    let port: u16 = server.base.rsplit(':').next().unwrap().parse().unwrap();
    let health = https(port, &roots, "GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.to_ascii_lowercase().contains("strict-transport-security: max-age=31536000"), "{health}");

    server.create_account("tls-user", Role::Operator, Scope::all());
    let body = serde_json::json!({ "login": "tls-user", "password": PASSWORD }).to_string();
    let login = https(
        port,
        &roots,
        &format!(
            "POST /api/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    );
    assert!(login.starts_with("HTTP/1.1 200"), "{login}");
    let cookie = login
        .lines()
        .find(|line| line.to_ascii_lowercase().starts_with("set-cookie: __host-vigie_session="))
        .unwrap_or_else(|| panic!("{login}"));
    assert!(cookie.contains("; Secure") && cookie.contains("HttpOnly") && cookie.contains("Path=/"), "{cookie}");
    let token = cookie.split_once('=').unwrap().1.split(';').next().unwrap();
    let me = https(
        port,
        &roots,
        &format!(
            "GET /api/auth/me HTTP/1.1\r\nHost: localhost\r\nCookie: __Host-vigie_session={token}\r\nConnection: close\r\n\r\n"
        ),
    );
    assert!(me.starts_with("HTTP/1.1 200") && me.contains("\"tls-user\""), "{me}");
    let plain_cookie = https(
        port,
        &roots,
        &format!(
            "GET /api/auth/me HTTP/1.1\r\nHost: localhost\r\nCookie: vigie_session={token}\r\nConnection: close\r\n\r\n"
        ),
    );
    assert!(plain_cookie.starts_with("HTTP/1.1 401"), "over TLS only the __Host- cookie counts: {plain_cookie}");

    // The plaintext port: /health, and nothing else.
    let health_base = server.health_base.clone().unwrap();
    let mut answer = server.agent.get(&format!("{health_base}/health")).call().unwrap();
    assert_eq!(answer.status(), 200);
    assert!(answer.body_mut().read_to_string().unwrap().contains("\"ok\""));
    for path in ["/api/incidents", "/api/auth/login", "/api/openapi.json", "/"] {
        let answer = server.agent.get(&format!("{health_base}{path}")).call().unwrap();
        assert_eq!(answer.status(), 404, "{path} on the plaintext port");
    }
    // Plaintext to the TLS port gets no answer.
    let refused = server.agent.get(&format!("http://127.0.0.1:{port}/health")).call();
    assert!(refused.map(|answer| answer.status() != 200).unwrap_or(true));
    let _ = Credentials::None;
    std::fs::remove_dir_all(&dir).unwrap();
}
