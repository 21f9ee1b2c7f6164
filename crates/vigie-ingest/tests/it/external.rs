//! External broker mode against the machine's Mosquitto (127.0.0.1:1883, anonymous access).
//! Every run uses its own topic prefix and client ids, and removes its persistent sessions.

use crate::*;
use rumqttc::{AsyncClient, Event, MqttOptions, Packet};
use vigie_ingest::mqtt::client::{Publisher, PublisherConfig};
use vigie_ingest::mqtt::external::LinkState;
use vigie_ingest::mqtt::{ExternalConfig, ExternalSubscriber, start_external};

const MOSQUITTO: (&str, u16) = ("127.0.0.1", 1883);
const TIMEOUT: Duration = Duration::from_secs(20);

async fn require_mosquitto() {
    let reachable = tokio::net::TcpStream::connect(MOSQUITTO).await.is_ok();
    assert!(
        reachable,
        "these tests need an MQTT broker with anonymous access at {}:{} (Mosquitto: `apt-get install mosquitto`, \
         `listener 1883 127.0.0.1` and `allow_anonymous true`)",
        MOSQUITTO.0, MOSQUITTO.1
    );
}

fn subscriber_config(client_id: &str, prefix: &str) -> ExternalConfig {
    ExternalConfig {
        host: MOSQUITTO.0.to_owned(),
        port: MOSQUITTO.1,
        client_id: client_id.to_owned(),
        topic_prefix: prefix.to_owned(),
        ..ExternalConfig::default()
    }
}

async fn start_subscribed(env: &TestEngine, client_id: &str, prefix: &str) -> ExternalSubscriber {
    let mut subscriber =
        start_external(&subscriber_config(client_id, prefix), env.context()).await.expect("the subscriber starts");
    let subscribed = tokio::time::timeout(TIMEOUT, subscriber.wait_subscribed()).await.expect("subscribed in time");
    assert!(subscribed, "the broker confirmed the subscription");
    assert_eq!(subscriber.state(), LinkState::Subscribed);
    subscriber
}

async fn device(prefix: &str) -> Publisher {
    let mut config = PublisherConfig::new(MOSQUITTO.0, MOSQUITTO.1, unique("device"));
    config.topic_prefix = prefix.to_owned();
    Publisher::connect(config).await.expect("the device connects to the broker")
}

/// Removes a persistent session from the broker: connect with the same id and a clean session.
async fn forget_session(client_id: &str) {
    let mut options = MqttOptions::new(client_id, MOSQUITTO.0, MOSQUITTO.1);
    options.set_clean_session(true);
    let (client, mut eventloop) = AsyncClient::new(options, 10);
    let connected = tokio::time::timeout(TIMEOUT, async {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => return true,
                Ok(_) => {}
                Err(_) => return false,
            }
        }
    })
    .await;
    if connected == Ok(true) {
        let _ = client.disconnect().await;
        let _ = tokio::time::timeout(Duration::from_secs(2), async {
            while let Ok(event) = eventloop.poll().await {
                if matches!(event, Event::Outgoing(rumqttc::Outgoing::Disconnect)) {
                    break;
                }
            }
        })
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readings_published_to_the_broker_land_in_the_log() {
    require_mosquitto().await;
    let env = TestEngine::start("external");
    let prefix = unique("vigie-it");
    let client_id = unique("vigie-it-sub");
    let subscriber = start_subscribed(&env, &client_id, &prefix).await;
    let publisher = device(&prefix).await;

    let json = format!(r#"{{"time": "{ONE_MINUTE_AGO}", "value": 1.1, "unit": "m"}}"#);
    publisher.publish(publisher.topic(DIJON, GAUGE_DIJON), json.into_bytes()).await.expect("the broker acknowledges");
    let malformed_topic = publisher.topic(DIJON, GAUGE_DIJON_2);
    publisher.publish(malformed_topic.clone(), b"high water".to_vec()).await.expect("the broker acknowledges");

    let logged = wait_until(TIMEOUT, || env.observations().pop()).await.expect("the reading reaches the log");
    assert_eq!(logged.0, "mqtt:external");
    assert_eq!(logged.1.sensor_id.as_str(), GAUGE_DIJON);
    assert_eq!((logged.1.time, logged.1.value), (Timestamp(START - 60_000), 1.1));
    let letter = env.wait_for_dead_letter(&malformed_topic).await.letter;
    assert_eq!(letter.reason, "malformed");
    assert_eq!(letter.source, "broker:127.0.0.1:1883");

    publisher.disconnect().await;
    subscriber.stop().await;
    forget_session(&client_id).await;
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qos1_readings_sent_while_vigie_is_away_arrive_after_a_restart() {
    require_mosquitto().await;
    let prefix = unique("vigie-it");
    let client_id = unique("vigie-it-sub");
    let env = TestEngine::start("redelivery");
    let dir = env.dir.clone();

    let subscriber = start_subscribed(&env, &client_id, &prefix).await;
    let publisher = device(&prefix).await;
    let reading = |index: usize| (Some(Timestamp(START - 300_000 + index as i64 * 1000)), index as f64);
    for index in 0..5 {
        let (time, value) = reading(index);
        publisher.send_reading(DIJON, GAUGE_DIJON, time, value).await.expect("sent").wait().await.expect("acked");
    }
    let first = wait_until(TIMEOUT, || {
        let logged = env.observations_of(GAUGE_DIJON);
        (logged.len() == 5).then_some(logged)
    })
    .await
    .expect("the first readings reach the log");
    assert_eq!(first.len(), 5);

    // Vigie goes away: the subscriber disconnects (the broker keeps its session), the engine stops.
    subscriber.stop().await;
    let log_path = env.log_path().to_path_buf();
    env.engine.shutdown().await;
    drop(env);

    // Devices go on publishing; the broker acknowledges and queues for the absent session.
    let away = 5..25;
    let mut acks = Vec::new();
    for index in away.clone() {
        let (time, value) = reading(index);
        acks.push(publisher.send_reading(DIJON, GAUGE_DIJON, time, value).await.expect("sent"));
    }
    for ack in acks {
        ack.wait().await.expect("the broker acknowledges while Vigie is away");
    }
    publisher.disconnect().await;

    // Vigie comes back over the same log, with the same client id.
    let env = TestEngine::start_in(dir);
    assert_eq!(env.log_path(), log_path);
    let subscriber =
        start_external(&subscriber_config(&client_id, &prefix), env.context()).await.expect("the subscriber starts");
    let logged = wait_until(TIMEOUT, || {
        let logged = env.observations_of(GAUGE_DIJON);
        (logged.len() >= 25).then_some(logged)
    })
    .await
    .expect("the readings queued while Vigie was away arrive");
    // Give a possible duplicate the time to show up before counting.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let logged_after = env.observations_of(GAUGE_DIJON);
    assert_eq!(logged_after.len(), logged.len());
    let values: Vec<f64> = logged_after.iter().map(|observation| observation.value).collect();
    let expected: Vec<f64> = (0..25).map(|index| index as f64).collect();
    assert_eq!(values, expected, "each reading exactly once, in order");
    for (index, observation) in logged_after.iter().enumerate() {
        assert_eq!(Some(observation.time), reading(index).0);
    }

    subscriber.stop().await;
    forget_session(&client_id).await;
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_without_its_broker_keeps_retrying_and_stops_promptly() {
    let env = TestEngine::start("no-broker");
    // A port nothing listens on.
    let port =
        std::net::TcpListener::bind("127.0.0.1:0").and_then(|listener| listener.local_addr()).expect("a port").port();
    let config = ExternalConfig { port, ..subscriber_config(&unique("vigie-it-sub"), "vigie") };
    let wildcard = ExternalConfig { topic_prefix: "vigie/+".to_owned(), ..config.clone() };
    assert!(start_external(&wildcard, env.context()).await.is_err(), "a prefix with a wildcard is refused");
    let subscriber = start_external(&config, env.context()).await.expect("starts even without its broker");
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(subscriber.state(), LinkState::Connecting);
    tokio::time::timeout(Duration::from_secs(3), subscriber.stop()).await.expect("stops promptly");
    env.stop().await;
}
