//! A publisher for the simulator and benchmarks: publishes readings QoS 1 to
//! `<prefix>/<commune>/<sensor-id>/obs` and tells when each PUBACK arrives, with a bounded
//! number of messages in flight.
//!
//! [`Publisher::send`] waits for room (at most `max_in_flight` unacknowledged messages), queues
//! the message and returns an [`Acked`] to await; sending many before awaiting any is how a
//! benchmark keeps the pipe full. A lost connection fails every message not yet acknowledged
//! ([`PublishError::ConnectionLost`]: it may or may not have arrived) and the publisher
//! reconnects with a new clean session; the caller decides whether to send again.

use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, Outgoing, Packet, QoS};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};
use tokio::task::JoinHandle;
use vigie_core::Timestamp;

use super::config::Secret;
use super::payload::encode_compact;
use super::topic::{DEFAULT_TOPIC_PREFIX, observation_topic};

/// How a [`Publisher`] connects.
#[derive(Clone, Debug)]
pub struct PublisherConfig {
    pub host: String,
    pub port: u16,
    pub client_id: String,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub topic_prefix: String,
    /// The most messages sent and not yet acknowledged.
    pub max_in_flight: u16,
    pub keep_alive_s: u16,
}

impl PublisherConfig {
    /// A configuration for `host:port` with the default prefix, 100 messages in flight and no
    /// credentials.
    pub fn new(host: impl Into<String>, port: u16, client_id: impl Into<String>) -> Self {
        PublisherConfig {
            host: host.into(),
            port,
            client_id: client_id.into(),
            username: None,
            password: None,
            topic_prefix: DEFAULT_TOPIC_PREFIX.to_owned(),
            max_in_flight: 100,
            keep_alive_s: 30,
        }
    }

    /// Sets the username and password.
    pub fn with_credentials(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self.password = Some(Secret::new(password));
        self
    }
}

/// Why a message was not acknowledged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublishError {
    #[error("cannot connect to the broker: {0}")]
    Connect(String),
    #[error("the connection was lost before the broker acknowledged the message")]
    ConnectionLost,
    #[error("the publisher is closed")]
    Closed,
}

/// The acknowledgement of one sent message.
pub struct Acked(oneshot::Receiver<Result<(), PublishError>>);

impl Acked {
    /// Waits for the broker's PUBACK.
    pub async fn wait(self) -> Result<(), PublishError> {
        self.0.await.unwrap_or(Err(PublishError::Closed))
    }
}

/// An MQTT 3.1.1 publisher of readings.
pub struct Publisher {
    shared: Arc<Shared>,
    prefix: String,
    driver: Option<JoinHandle<()>>,
}

struct Shared {
    permits: Arc<Semaphore>,
    tracker: Mutex<Tracker>,
}

/// A sent message waiting for its PUBACK; holds its in-flight permit until then.
struct Waiter {
    reply: oneshot::Sender<Result<(), PublishError>>,
    _permit: OwnedSemaphorePermit,
}

/// Matches PUBACKs to senders. rumqttc numbers publishes itself and reports each number as the
/// publish leaves (`Outgoing::Publish`), in the order they were queued.
struct Tracker {
    /// The client of the current connection; replaced when a connection is lost.
    client: AsyncClient,
    /// Queued, not yet numbered, in order.
    queued: VecDeque<Waiter>,
    /// Sent, by packet id.
    in_flight: HashMap<u16, Waiter>,
    /// Numbered but held back because its packet id was still in use (`Outgoing::AwaitAck`).
    collided: Option<(u16, Waiter)>,
}

impl Tracker {
    fn sent(&mut self, packet_id: u16) {
        let waiter = match self.collided.take() {
            Some((collided_id, waiter)) if collided_id == packet_id => Some(waiter),
            other => {
                self.collided = other;
                self.queued.pop_front()
            }
        };
        if let Some(waiter) = waiter {
            self.in_flight.insert(packet_id, waiter);
        }
    }

    fn held_back(&mut self, packet_id: u16) {
        if let Some(waiter) = self.queued.pop_front() {
            self.collided = Some((packet_id, waiter));
        }
    }

    fn acked(&mut self, packet_id: u16) {
        if let Some(waiter) = self.in_flight.remove(&packet_id) {
            let _ = waiter.reply.send(Ok(()));
        }
    }

    fn fail_all(&mut self, error: &PublishError) {
        let collided = self.collided.take().map(|(_, waiter)| waiter);
        let in_flight = self.in_flight.drain().map(|(_, waiter)| waiter);
        for waiter in self.queued.drain(..).chain(in_flight).chain(collided) {
            let _ = waiter.reply.send(Err(error.clone()));
        }
    }
}

impl Shared {
    fn tracker(&self) -> MutexGuard<'_, Tracker> {
        // A panic while holding the lock leaves the tracker consistent enough to go on.
        self.tracker.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn mqtt_options(config: &PublisherConfig) -> MqttOptions {
    let mut options = MqttOptions::new(config.client_id.clone(), config.host.clone(), config.port);
    options
        .set_clean_session(true)
        .set_keep_alive(Duration::from_secs(u64::from(config.keep_alive_s)))
        .set_inflight(config.max_in_flight.max(1));
    if let Some(username) = &config.username {
        let password = config.password.as_ref().map(|secret| secret.expose().to_owned()).unwrap_or_default();
        options.set_credentials(username.clone(), password);
    }
    options
}

fn new_client(options: &MqttOptions, max_in_flight: u16) -> (AsyncClient, EventLoop) {
    // Room for every message in flight plus a DISCONNECT: queuing never waits.
    AsyncClient::new(options.clone(), usize::from(max_in_flight) + 16)
}

impl Publisher {
    /// Connects, and returns once the broker accepted the connection.
    pub async fn connect(config: PublisherConfig) -> Result<Publisher, PublishError> {
        let max_in_flight = config.max_in_flight.max(1);
        let options = mqtt_options(&config);
        let (client, eventloop) = new_client(&options, max_in_flight);
        let shared = Arc::new(Shared {
            permits: Arc::new(Semaphore::new(usize::from(max_in_flight))),
            tracker: Mutex::new(Tracker { client, queued: VecDeque::new(), in_flight: HashMap::new(), collided: None }),
        });
        let (connected, first_connection) = oneshot::channel();
        let driver = tokio::spawn(drive(shared.clone(), options, max_in_flight, eventloop, connected));
        match first_connection.await {
            Ok(Ok(())) => Ok(Publisher { shared, prefix: config.topic_prefix, driver: Some(driver) }),
            Ok(Err(error)) => Err(error),
            Err(_) => Err(PublishError::Closed),
        }
    }

    /// Returns the topic of `sensor`, in `commune`.
    pub fn topic(&self, commune: &str, sensor: &str) -> String {
        observation_topic(&self.prefix, commune, sensor)
    }

    /// Sends `payload` to `topic` at QoS 1 once fewer than `max_in_flight` messages wait for
    /// their PUBACK.
    pub async fn send(&self, topic: String, payload: Vec<u8>) -> Result<Acked, PublishError> {
        let permit = self.shared.permits.clone().acquire_owned().await.map_err(|_| PublishError::Closed)?;
        let (reply, answer) = oneshot::channel();
        let mut tracker = self.shared.tracker();
        // Queued under the lock, so the order of `queued` is the order of the requests.
        tracker.queued.push_back(Waiter { reply, _permit: permit });
        if tracker.client.try_publish(topic, QoS::AtLeastOnce, false, payload).is_err() {
            tracker.queued.pop_back();
            return Err(PublishError::Closed);
        }
        Ok(Acked(answer))
    }

    /// Sends a reading in the compact form (`<ms>,<value>`, or `<value>` for "now").
    pub async fn send_reading(
        &self,
        commune: &str,
        sensor: &str,
        time: Option<Timestamp>,
        value: f64,
    ) -> Result<Acked, PublishError> {
        self.send(self.topic(commune, sensor), encode_compact(time, value).into_bytes()).await
    }

    /// Sends `payload` to `topic` and waits for the PUBACK.
    pub async fn publish(&self, topic: String, payload: Vec<u8>) -> Result<(), PublishError> {
        self.send(topic, payload).await?.wait().await
    }

    /// Disconnects cleanly; messages not yet acknowledged fail with [`PublishError::Closed`].
    pub async fn disconnect(mut self) {
        let sent = self.shared.tracker().client.try_disconnect();
        if let Some(driver) = self.driver.take() {
            if sent.is_ok() {
                let mut driver = driver;
                if tokio::time::timeout(Duration::from_secs(5), &mut driver).await.is_err() {
                    driver.abort();
                }
            } else {
                driver.abort();
            }
        }
        self.shared.tracker().fail_all(&PublishError::Closed);
        self.shared.permits.close();
    }
}

impl Drop for Publisher {
    fn drop(&mut self) {
        if let Some(driver) = self.driver.take() {
            driver.abort();
        }
    }
}

/// Polls the connection, matches PUBACKs, and reconnects (with a new client) when it is lost.
async fn drive(
    shared: Arc<Shared>,
    options: MqttOptions,
    max_in_flight: u16,
    mut eventloop: EventLoop,
    connected: oneshot::Sender<Result<(), PublishError>>,
) {
    let mut connected = Some(connected);
    let mut delay = Duration::from_millis(100);
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                delay = Duration::from_millis(100);
                if let Some(connected) = connected.take() {
                    let _ = connected.send(Ok(()));
                }
            }
            Ok(Event::Outgoing(Outgoing::Publish(packet_id))) => shared.tracker().sent(packet_id),
            Ok(Event::Outgoing(Outgoing::AwaitAck(packet_id))) => shared.tracker().held_back(packet_id),
            Ok(Event::Incoming(Packet::PubAck(puback))) => shared.tracker().acked(puback.pkid),
            Ok(Event::Outgoing(Outgoing::Disconnect)) => {
                shared.tracker().fail_all(&PublishError::Closed);
                return;
            }
            Ok(_) => {}
            Err(error) => {
                if let Some(connected) = connected.take() {
                    let _ = connected.send(Err(PublishError::Connect(error.to_string())));
                    return;
                }
                tracing::warn!(error = %error, delay_ms = delay.as_millis() as u64, "mqtt publisher connection lost; reconnecting");
                // A fresh client: whatever the old one had queued is failed, not resent, so
                // every answer stays matched to its own message.
                let (client, next_eventloop) = new_client(&options, max_in_flight);
                {
                    let mut tracker = shared.tracker();
                    tracker.fail_all(&PublishError::ConnectionLost);
                    tracker.client = client;
                }
                eventloop = next_eventloop;
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(10));
            }
        }
    }
}
