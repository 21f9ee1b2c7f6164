//! The embedded broker over TLS: a device connects with rustls, authenticates, publishes at
//! QoS 1 and gets its PUBACK once the reading is durable; a plaintext client gets nowhere.

use crate::{DIJON, GAUGE_DEVICE, GAUGE_DIJON, GAUGE_PASSWORD, TestEngine, unique};
use rustls::pki_types::ServerName;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use vigie_ingest::mqtt::{BrokerTls, EmbeddedConfig, start_embedded};

/// Appends an MQTT string: its length on two bytes, then its bytes.
fn mqtt_string(packet: &mut Vec<u8>, text: &[u8]) {
    packet.extend_from_slice(&(text.len() as u16).to_be_bytes());
    packet.extend_from_slice(text);
}

/// A packet with its fixed header (the remaining length fits one byte here).
fn packet(first_byte: u8, body: &[u8]) -> Vec<u8> {
    assert!(body.len() < 128);
    let mut packet = vec![first_byte, body.len() as u8];
    packet.extend_from_slice(body);
    packet
}

/// Connects over TLS as the gauges device, publishes `payload` at QoS 1 to `topic`, and
/// returns the CONNACK and the PUBACK as received.
fn publish_over_tls(
    address: SocketAddr,
    roots: rustls::RootCertStore,
    topic: &str,
    payload: &[u8],
) -> (Vec<u8>, Vec<u8>) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connection =
        rustls::ClientConnection::new(Arc::new(config), ServerName::try_from("localhost").unwrap()).unwrap();
    let socket = TcpStream::connect(address).unwrap();
    socket.set_read_timeout(Some(std::time::Duration::from_secs(15))).unwrap();
    let mut stream = rustls::StreamOwned::new(connection, socket);
    // MQTT 3.1.1 CONNECT: protocol name and level, flags (username, password, clean session),
    // keep-alive, then the client id, the username and the password.
    let mut connect = Vec::new();
    mqtt_string(&mut connect, b"MQTT");
    connect.extend_from_slice(&[4, 0xc2, 0, 60]);
    mqtt_string(&mut connect, b"tls-gauge");
    mqtt_string(&mut connect, GAUGE_DEVICE.as_bytes());
    mqtt_string(&mut connect, GAUGE_PASSWORD.as_bytes());
    stream.write_all(&packet(0x10, &connect)).unwrap();
    let mut connack = vec![0; 4];
    stream.read_exact(&mut connack).unwrap();
    let mut publish = Vec::new();
    mqtt_string(&mut publish, topic.as_bytes());
    publish.extend_from_slice(&[0, 1]);
    publish.extend_from_slice(payload);
    stream.write_all(&packet(0x32, &publish)).unwrap();
    let mut puback = vec![0; 4];
    stream.read_exact(&mut puback).unwrap();
    (connack, puback)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_broker_speaks_mqtt_over_tls() {
    let env = TestEngine::start("tls");
    let dir = std::env::temp_dir().join(unique("vigie-mqtt-tls"));
    std::fs::create_dir_all(&dir).unwrap();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let tls = BrokerTls { cert: dir.join("cert.pem"), key: dir.join("key.pem") };
    std::fs::write(&tls.cert, certified.cert.pem()).unwrap();
    std::fs::write(&tls.key, certified.signing_key.serialize_pem()).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(certified.cert.der().clone()).unwrap();
    let config = EmbeddedConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        devices_file: Some(env.devices_file()),
        tls: Some(tls),
        ..EmbeddedConfig::default()
    };
    let broker = start_embedded(&config, env.context()).await.expect("the TLS broker starts");
    let address = broker.local_addr;
    let topic = format!("vigie/{DIJON}/{GAUGE_DIJON}/obs");
    let (connack, puback) =
        tokio::task::spawn_blocking(move || publish_over_tls(address, roots, &topic, b"1.25")).await.unwrap();
    assert_eq!(connack, [0x20, 2, 0, 0], "connection accepted");
    assert_eq!(puback, [0x40, 2, 0, 1], "the reading acknowledged");
    let last = env.observations_of(GAUGE_DIJON).pop().expect("the reading is in the log");
    assert_eq!(last.value, 1.25);

    // A plaintext CONNECT to the TLS port gets no CONNACK.
    let refused = tokio::task::spawn_blocking(move || {
        let mut socket = TcpStream::connect(address).unwrap();
        socket.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
        let mut connect = Vec::new();
        mqtt_string(&mut connect, b"MQTT");
        connect.extend_from_slice(&[4, 0x02, 0, 60]);
        mqtt_string(&mut connect, b"plain");
        let _ = socket.write_all(&packet(0x10, &connect));
        let mut answer = [0u8; 4];
        socket.read_exact(&mut answer).map(|()| answer)
    })
    .await
    .unwrap();
    assert!(refused.as_ref().map_or(true, |answer| answer[0] != 0x20), "no CONNACK in plaintext: {refused:?}");
    broker.stop().await;
    env.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
