//! The embedded broker, with rumqttc clients as devices.

use crate::*;
use rumqttc::{AsyncClient, ConnectReturnCode, ConnectionError, Event, EventLoop, MqttOptions, Outgoing, Packet, QoS};
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use vigie_ingest::metrics::{METRICS, Outcome};
use vigie_ingest::mqtt::client::{Publisher, PublisherConfig};
use vigie_ingest::mqtt::{EmbeddedConfig, MqttError, start_embedded};

const TIMEOUT: Duration = Duration::from_secs(15);

fn broker_config(env: &TestEngine) -> EmbeddedConfig {
    EmbeddedConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        devices_file: Some(env.devices_file()),
        ..EmbeddedConfig::default()
    }
}

fn topic(commune: &str, sensor: &str) -> String {
    format!("vigie/{commune}/{sensor}/obs")
}

/// Connects an MQTT 3.1.1 client and waits for the CONNACK.
async fn connect_v3(
    address: SocketAddr,
    credentials: Option<(&str, &str)>,
) -> Result<(AsyncClient, EventLoop), ConnectionError> {
    let mut options = MqttOptions::new(unique("device"), address.ip().to_string(), address.port());
    options.set_keep_alive(Duration::from_secs(30));
    if let Some((username, password)) = credentials {
        options.set_credentials(username, password);
    }
    let (client, mut eventloop) = AsyncClient::new(options, 100);
    loop {
        match tokio::time::timeout(TIMEOUT, eventloop.poll()).await.expect("the broker answers") {
            Ok(Event::Incoming(Packet::ConnAck(_))) => return Ok((client, eventloop)),
            Ok(_) => {}
            Err(error) => return Err(error),
        }
    }
}

/// Publishes QoS 1 and polls until that message's PUBACK arrives.
async fn publish_and_wait(client: &AsyncClient, eventloop: &mut EventLoop, topic: &str, payload: &[u8]) {
    client.publish(topic, QoS::AtLeastOnce, false, payload.to_vec()).await.expect("the request is queued");
    let mut packet_id = None;
    loop {
        let event = tokio::time::timeout(TIMEOUT, eventloop.poll()).await.expect("a PUBACK in time");
        match event.expect("the connection stays up") {
            Event::Outgoing(Outgoing::Publish(id)) => packet_id = Some(id),
            Event::Incoming(Packet::PubAck(puback)) if Some(puback.pkid) == packet_id => return,
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_puback_means_the_reading_is_in_the_log() {
    let env = TestEngine::start("puback-durable");
    let broker = start_embedded(&broker_config(&env), env.context()).await.expect("the broker starts");
    assert_ne!(broker.local_addr.port(), 0);
    let (client, mut eventloop) =
        connect_v3(broker.local_addr, Some((GAUGE_DEVICE, GAUGE_PASSWORD))).await.expect("the device connects");

    let json = format!(r#"{{"time": "{ONE_MINUTE_AGO}", "value": 1.25, "unit": "m"}}"#);
    publish_and_wait(&client, &mut eventloop, &topic(DIJON, GAUGE_DIJON), json.as_bytes()).await;
    // Read right after the PUBACK, with no waiting: it must already be durable.
    let logged = env.observations();
    let (source, observation) = logged.last().expect("the reading is in the log when the PUBACK arrives");
    assert_eq!(source, "mqtt:embedded");
    assert_eq!(observation.sensor_id.as_str(), GAUGE_DIJON);
    assert_eq!(
        (observation.time, observation.value, observation.unit.as_str()),
        (Timestamp(START - 60_000), 1.25, "m")
    );

    let compact = format!("{},1.5", START - 30_000);
    publish_and_wait(&client, &mut eventloop, &topic(DIJON, GAUGE_DIJON), compact.as_bytes()).await;
    let last = env.observations_of(GAUGE_DIJON).pop().expect("the compact reading is in the log");
    assert_eq!((last.time, last.value), (Timestamp(START - 30_000), 1.5));

    publish_and_wait(&client, &mut eventloop, &topic(DIJON, GAUGE_DIJON_2), b"1.75").await;
    let last = env.observations_of(GAUGE_DIJON_2).pop().expect("the reading without a time is in the log");
    assert_eq!((last.time, last.value), (Timestamp(START), 1.75), "no time: the time of reception");

    let address = broker.local_addr;
    broker.stop().await;
    assert!(tokio::net::TcpStream::connect(address).await.is_err(), "a stopped broker no longer listens");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_are_refused_at_connect() {
    let env = TestEngine::start("credentials");
    let broker = start_embedded(&broker_config(&env), env.context()).await.expect("the broker starts");
    for credentials in [Some((GAUGE_DEVICE, "not-the-password")), Some(("no-such-device", GAUGE_PASSWORD)), None] {
        let refused = connect_v3(broker.local_addr, credentials).await.err();
        assert!(
            matches!(refused, Some(ConnectionError::ConnectionRefused(ConnectReturnCode::BadUserNamePassword))),
            "{credentials:?}: {refused:?}"
        );
    }
    let refused = connect_v5(broker.local_addr, GAUGE_DEVICE, "not-the-password").await.err();
    assert!(
        matches!(
            refused,
            Some(rumqttc::v5::ConnectionError::ConnectionRefused(
                rumqttc::v5::mqttbytes::v5::ConnectReturnCode::BadUserNamePassword
            ))
        ),
        "{refused:?}"
    );
    // The right password still works after the refusals.
    assert!(connect_v3(broker.local_addr, Some((PANEL_DEVICE, PANEL_PASSWORD))).await.is_ok());
    broker.stop().await;
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_publishes_are_dead_lettered_and_the_broker_keeps_serving() {
    let env = TestEngine::start("refusals");
    let broker = start_embedded(&broker_config(&env), env.context()).await.expect("the broker starts");
    let before = |outcome| METRICS.mqtt.messages(outcome);
    let (unauthorised_before, malformed_before, rejected_before) =
        (before(Outcome::Unauthorised), before(Outcome::Malformed), before(Outcome::Rejected));
    let (client, mut eventloop) =
        connect_v3(broker.local_addr, Some((GAUGE_DEVICE, GAUGE_PASSWORD))).await.expect("the device connects");

    // Another device's sensor (and another commune): MQTT 3.1.1 acknowledges it anyway.
    let foreign = topic(PLOMBIERES, GAUGE_PLOMBIERES);
    publish_and_wait(&client, &mut eventloop, &foreign, b"2.0").await;
    let letter = env.wait_for_dead_letter(&foreign).await.letter;
    assert_eq!((letter.channel.as_str(), letter.reason.as_str()), ("mqtt", "unauthorised"));
    assert_eq!(letter.source, GAUGE_DEVICE);
    assert_eq!(letter.payload, b"2.0");

    let own = topic(DIJON, GAUGE_DIJON);
    let broken_json = br#"{"time": "2026-11-26T07:59:00Z", "value": "#;
    publish_and_wait(&client, &mut eventloop, &own, broken_json).await;
    let letter = env.wait_for_dead_letter(&own).await.letter;
    assert_eq!(letter.reason, "malformed");
    assert_eq!(letter.payload, broken_json);

    let unknown = topic(DIJON, "no-such-sensor");
    publish_and_wait(&client, &mut eventloop, &unknown, b"1").await;
    assert_eq!(env.wait_for_dead_letter(&unknown).await.letter.reason, "rejected");

    let wrong_commune = topic(PLOMBIERES, GAUGE_DIJON);
    publish_and_wait(&client, &mut eventloop, &wrong_commune, b"1").await;
    assert_eq!(env.wait_for_dead_letter(&wrong_commune).await.letter.reason, "rejected");

    let off_scheme = "vigie/21231/gauge-ouche-02/state";
    publish_and_wait(&client, &mut eventloop, off_scheme, b"1").await;
    assert_eq!(env.wait_for_dead_letter(off_scheme).await.letter.reason, "malformed");

    let wrong_unit = format!(r#"{{"time": "{ONE_MINUTE_AGO}", "value": 1, "unit": "cm"}}"#);
    let own_2 = topic(DIJON, GAUGE_DIJON_2);
    publish_and_wait(&client, &mut eventloop, &own_2, wrong_unit.as_bytes()).await;
    assert_eq!(env.wait_for_dead_letter(&own_2).await.letter.reason, "rejected");

    // Subscriptions are refused without closing the connection.
    client.subscribe("vigie/#", QoS::AtLeastOnce).await.expect("the request is queued");
    loop {
        let event = tokio::time::timeout(TIMEOUT, eventloop.poll()).await.expect("a SUBACK in time");
        if let Event::Incoming(Packet::SubAck(suback)) = event.expect("the connection stays up") {
            assert_eq!(suback.return_codes, vec![rumqttc::SubscribeReasonCode::Failure]);
            break;
        }
    }

    // The same connection, and a new one, still get their readings in.
    publish_and_wait(&client, &mut eventloop, &own, b"0.5").await;
    assert_eq!(env.observations_of(GAUGE_DIJON).len(), 1);
    assert!(env.observations_of(GAUGE_PLOMBIERES).is_empty());
    let (panels, mut panels_loop) =
        connect_v3(broker.local_addr, Some((PANEL_DEVICE, PANEL_PASSWORD))).await.expect("another device connects");
    publish_and_wait(&panels, &mut panels_loop, &topic(DIJON, "smoke-bibliotheque-01"), b"1").await;
    assert_eq!(env.observations_of("smoke-bibliotheque-01").len(), 1);

    assert!(METRICS.mqtt.messages(Outcome::Unauthorised) > unauthorised_before);
    assert!(METRICS.mqtt.messages(Outcome::Malformed) >= malformed_before + 2);
    assert!(METRICS.mqtt.messages(Outcome::Rejected) >= rejected_before + 3);
    broker.stop().await;
    env.stop().await;
}

/// Connects an MQTT 5 client and waits for the CONNACK.
async fn connect_v5(
    address: SocketAddr,
    username: &str,
    password: &str,
) -> Result<(rumqttc::v5::AsyncClient, rumqttc::v5::EventLoop), rumqttc::v5::ConnectionError> {
    let mut options = rumqttc::v5::MqttOptions::new(unique("device-v5"), address.ip().to_string(), address.port());
    options.set_keep_alive(Duration::from_secs(30));
    options.set_credentials(username, password);
    let (client, mut eventloop) = rumqttc::v5::AsyncClient::new(options, 100);
    loop {
        match tokio::time::timeout(TIMEOUT, eventloop.poll()).await.expect("the broker answers") {
            Ok(rumqttc::v5::Event::Incoming(rumqttc::v5::mqttbytes::v5::Packet::ConnAck(_))) => {
                return Ok((client, eventloop));
            }
            Ok(_) => {}
            Err(error) => return Err(error),
        }
    }
}

/// Publishes QoS 1 over MQTT 5 and returns the PUBACK's reason code.
async fn publish_v5(
    client: &rumqttc::v5::AsyncClient,
    eventloop: &mut rumqttc::v5::EventLoop,
    topic: &str,
    payload: &[u8],
) -> rumqttc::v5::mqttbytes::v5::PubAckReason {
    use rumqttc::v5::mqttbytes::v5::Packet as V5Packet;
    client
        .publish(topic, rumqttc::v5::mqttbytes::QoS::AtLeastOnce, false, payload.to_vec())
        .await
        .expect("the request is queued");
    let mut packet_id = None;
    loop {
        let event = tokio::time::timeout(TIMEOUT, eventloop.poll()).await.expect("a PUBACK in time");
        match event.expect("the connection stays up") {
            rumqttc::v5::Event::Outgoing(Outgoing::Publish(id)) => packet_id = Some(id),
            rumqttc::v5::Event::Incoming(V5Packet::PubAck(puback)) if Some(puback.pkid) == packet_id => {
                return puback.reason;
            }
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mqtt5_devices_get_reason_codes() {
    use rumqttc::v5::mqttbytes::v5::PubAckReason;
    let env = TestEngine::start("mqtt5");
    let broker = start_embedded(&broker_config(&env), env.context()).await.expect("the broker starts");
    let (client, mut eventloop) =
        connect_v5(broker.local_addr, GAUGE_DEVICE, GAUGE_PASSWORD).await.expect("the device connects");

    let json = format!(r#"{{"time": "{ONE_MINUTE_AGO}", "value": 2.5}}"#);
    let reason = publish_v5(&client, &mut eventloop, &topic(DIJON, GAUGE_DIJON), json.as_bytes()).await;
    assert_eq!(reason, PubAckReason::Success);
    let logged = env.observations_of(GAUGE_DIJON);
    assert_eq!(logged.len(), 1, "durable when the PUBACK arrives");
    assert_eq!((logged[0].value, logged[0].unit.as_str()), (2.5, "m"));

    let foreign = topic(PLOMBIERES, GAUGE_PLOMBIERES);
    assert_eq!(publish_v5(&client, &mut eventloop, &foreign, b"1").await, PubAckReason::NotAuthorized);
    let own = topic(DIJON, GAUGE_DIJON_2);
    assert_eq!(publish_v5(&client, &mut eventloop, &own, b"{not json").await, PubAckReason::PayloadFormatInvalid);
    let unknown = topic(DIJON, "no-such-sensor");
    assert_eq!(publish_v5(&client, &mut eventloop, &unknown, b"1").await, PubAckReason::ImplementationSpecificError);

    assert_eq!(env.wait_for_dead_letter(&foreign).await.letter.reason, "unauthorised");
    assert_eq!(env.wait_for_dead_letter(&own).await.letter.reason, "malformed");
    assert_eq!(env.wait_for_dead_letter(&unknown).await.letter.reason, "rejected");
    assert_eq!(publish_v5(&client, &mut eventloop, &own, b"3").await, PubAckReason::Success);
    assert_eq!(env.observations_of(GAUGE_DIJON_2).len(), 1);
    broker.stop().await;
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_publishes_in_flight_share_commits() {
    let env = TestEngine::start("batching");
    let broker = start_embedded(&broker_config(&env), env.context()).await.expect("the broker starts");
    let (batches_before, accepted_before) = (METRICS.mqtt.batches(), METRICS.mqtt.messages(Outcome::Accepted));
    let mut config = PublisherConfig::new("127.0.0.1", broker.local_addr.port(), unique("bench"))
        .with_credentials(PANEL_DEVICE, PANEL_PASSWORD);
    config.max_in_flight = 500;
    let publisher = Publisher::connect(config).await.expect("the publisher connects");
    let count = 2_000;
    let mut acks = Vec::with_capacity(count);
    for index in 0..count {
        let time = Timestamp(START - 600_000 + index as i64);
        acks.push(publisher.send_reading(DIJON, GAUGE_DIJON, Some(time), index as f64).await.expect("sent"));
    }
    for ack in acks {
        tokio::time::timeout(TIMEOUT, ack.wait()).await.expect("acknowledged in time").expect("acknowledged");
    }
    let logged = env.observations_of(GAUGE_DIJON);
    assert_eq!(logged.len(), count, "every acknowledged reading is in the log");
    // A connection's publish calls run concurrently: two close readings may be logged swapped
    // (each carries its own time). Each one is there exactly once.
    let mut values: Vec<u64> = logged.iter().map(|observation| observation.value as u64).collect();
    values.sort_unstable();
    let missing_or_twice = values.iter().enumerate().find(|(index, value)| **value != *index as u64);
    assert_eq!(missing_or_twice, None, "every reading exactly once");
    for observation in &logged {
        assert_eq!(observation.time, Timestamp(START - 600_000 + observation.value as i64));
    }
    let batches = METRICS.mqtt.batches() - batches_before;
    let accepted = METRICS.mqtt.messages(Outcome::Accepted) - accepted_before;
    assert!(accepted >= count as u64);
    assert!(batches < accepted, "{accepted} messages in {batches} commits: commits are shared");
    publisher.disconnect().await;
    broker.stop().await;
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_past_the_inflight_limit_is_slowed_not_dropped() {
    let env = TestEngine::start("inflight-limit");
    let config = EmbeddedConfig { max_inflight: 2, ..broker_config(&env) };
    let broker = start_embedded(&config, env.context()).await.expect("the broker starts");
    let mut publisher_config = PublisherConfig::new("127.0.0.1", broker.local_addr.port(), unique("eager"))
        .with_credentials(GAUGE_DEVICE, GAUGE_PASSWORD);
    publisher_config.max_in_flight = 50;
    let publisher = Publisher::connect(publisher_config).await.expect("the publisher connects");
    let mut acks = Vec::new();
    for index in 0..200 {
        let time = Some(Timestamp(START - 1_000 + index));
        acks.push(publisher.send_reading(DIJON, GAUGE_DIJON_2, time, index as f64).await.expect("sent"));
    }
    for ack in acks {
        tokio::time::timeout(TIMEOUT, ack.wait()).await.expect("acknowledged in time").expect("acknowledged");
    }
    assert_eq!(env.observations_of(GAUGE_DIJON_2).len(), 200);
    publisher.disconnect().await;
    broker.stop().await;
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_that_cannot_be_made_durable_is_not_acknowledged() {
    let env = TestEngine::start("not-durable");
    let broker = start_embedded(&broker_config(&env), env.context()).await.expect("the broker starts");
    let (client, mut eventloop) =
        connect_v3(broker.local_addr, Some((GAUGE_DEVICE, GAUGE_PASSWORD))).await.expect("the device connects");
    // The engine stops: nothing can become durable any more.
    env.engine.shutdown().await;
    client.publish(topic(DIJON, GAUGE_DIJON), QoS::AtLeastOnce, false, b"1".to_vec()).await.expect("queued");
    loop {
        let event = tokio::time::timeout(TIMEOUT, eventloop.poll()).await.expect("an answer or a close in time");
        match event {
            Ok(Event::Incoming(Packet::PubAck(_))) => panic!("acknowledged although not durable"),
            Ok(_) => {}
            Err(_) => break,
        }
    }
    assert!(env.observations_of(GAUGE_DIJON).is_empty());
    broker.stop().await;
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_devices_only_when_allowed_and_devices_are_checked_at_start() {
    let env = TestEngine::start("anonymous");
    let listen = SocketAddr::from(([127, 0, 0, 1], 0));
    let closed = EmbeddedConfig { listen, ..EmbeddedConfig::default() };
    assert!(matches!(start_embedded(&closed, env.context()).await, Err(MqttError::NoDevices)));

    let bad_devices = env.dir.join("bad-devices.toml");
    let hash = vigie_ingest::mqtt::devices::hash_secret("x").expect("hashing works");
    std::fs::write(
        &bad_devices,
        format!("[[device]]\nid = \"d\"\npassword_hash = \"{hash}\"\nsensors = [\"gauge-nowhere\"]\n"),
    )
    .expect("written");
    let config = EmbeddedConfig { listen, devices_file: Some(bad_devices), ..EmbeddedConfig::default() };
    let error = start_embedded(&config, env.context()).await.err().expect("an unknown sensor is refused at start");
    assert!(error.to_string().contains("gauge-nowhere"), "{error}");

    let open = EmbeddedConfig { listen, allow_anonymous: true, ..EmbeddedConfig::default() };
    let broker = start_embedded(&open, env.context()).await.expect("the broker starts");
    let (client, mut eventloop) = connect_v3(broker.local_addr, None).await.expect("anonymous devices connect");
    publish_and_wait(&client, &mut eventloop, &topic(PLOMBIERES, GAUGE_PLOMBIERES), b"0.8").await;
    assert_eq!(env.observations_of(GAUGE_PLOMBIERES).len(), 1);
    broker.stop().await;
    env.stop().await;
}

/// Encodes an MQTT remaining length.
fn remaining_length(mut length: usize, out: &mut Vec<u8>) {
    loop {
        let mut byte = (length % 128) as u8;
        length /= 128;
        if length > 0 {
            byte |= 0x80;
        }
        out.push(byte);
        if length == 0 {
            return;
        }
    }
}

fn mqtt_string(text: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(&(text.len() as u16).to_be_bytes());
    out.extend_from_slice(text.as_bytes());
}

/// A PUBLISH that reaches the broker a few bytes at a time (as over a slow link) is either
/// acknowledged and durable, or the connection closes and nothing is acknowledged; either way
/// the broker goes on serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_split_across_reads_is_never_acknowledged_without_being_durable() {
    let env = TestEngine::start("split");
    let broker = start_embedded(&broker_config(&env), env.context()).await.expect("the broker starts");
    let mut connect_body = Vec::new();
    mqtt_string("MQTT", &mut connect_body);
    connect_body.extend_from_slice(&[4, 0xC2, 0, 60]);
    mqtt_string(&unique("raw"), &mut connect_body);
    mqtt_string(GAUGE_DEVICE, &mut connect_body);
    mqtt_string(GAUGE_PASSWORD, &mut connect_body);
    let mut connect = vec![0x10];
    remaining_length(connect_body.len(), &mut connect);
    connect.extend_from_slice(&connect_body);

    let payload = format!(r#"{{"time": "{ONE_MINUTE_AGO}", "value": 4.25, "unit": "m"}}"#);
    let mut publish_body = Vec::new();
    mqtt_string(&topic(DIJON, GAUGE_DIJON), &mut publish_body);
    publish_body.extend_from_slice(&7u16.to_be_bytes());
    publish_body.extend_from_slice(payload.as_bytes());
    let mut publish = vec![0x32];
    remaining_length(publish_body.len(), &mut publish);
    publish.extend_from_slice(&publish_body);

    let mut stream = tokio::net::TcpStream::connect(broker.local_addr).await.expect("connects");
    stream.set_nodelay(true).expect("no delay");
    stream.write_all(&connect).await.expect("CONNECT sent");
    let mut connack = [0u8; 4];
    tokio::time::timeout(TIMEOUT, stream.read_exact(&mut connack)).await.expect("a CONNACK").expect("read");
    assert_eq!(connack, [0x20, 2, 0, 0]);
    // The header and topic first, then the payload a few bytes at a time.
    let header_end = publish.len() - payload.len();
    stream.write_all(&publish[..header_end]).await.expect("written");
    for chunk in publish[header_end..].chunks(5) {
        tokio::time::sleep(Duration::from_millis(15)).await;
        if stream.write_all(chunk).await.is_err() {
            break;
        }
    }
    let mut answer = [0u8; 4];
    let read = tokio::time::timeout(TIMEOUT, stream.read_exact(&mut answer)).await.expect("an answer or a close");
    match read {
        Ok(_) => {
            assert_eq!(answer, [0x40, 2, 0, 7], "a PUBACK for packet 7");
            assert_eq!(env.observations_of(GAUGE_DIJON).len(), 1, "acknowledged, so durable");
        }
        Err(_) => assert!(env.observations_of(GAUGE_DIJON).is_empty(), "closed: not acknowledged"),
    }
    let (client, mut eventloop) =
        connect_v3(broker.local_addr, Some((GAUGE_DEVICE, GAUGE_PASSWORD))).await.expect("the broker still serves");
    publish_and_wait(&client, &mut eventloop, &topic(DIJON, GAUGE_DIJON_2), b"1").await;
    assert_eq!(env.observations_of(GAUGE_DIJON_2).len(), 1);
    broker.stop().await;
    env.stop().await;
}
