//! External broker mode: Vigie subscribes to an existing broker (Mosquitto, EMQX, NATS' MQTT)
//! and acknowledges each message only once it is durable.
//!
//! - A fixed client id and a persistent session (`clean_session = false`): while Vigie is
//!   away, the broker queues the QoS-1 messages of its subscription, and redelivers those it
//!   had sent but Vigie had not acknowledged.
//! - One subscription, QoS 1, to `<prefix>/+/+/obs`, renewed on every connection.
//! - Manual acknowledgements: a message goes through [`check_message`] and the batcher; one
//!   task acknowledges messages in the order they came, each after its commit (refused messages
//!   are dead-lettered and acknowledged at once, so the broker does not send them again).
//! - Lost connections are retried with exponential backoff (0.2 s to 30 s). A failed commit
//!   drops the connection without acknowledging: the broker redelivers what was not durable.
//! - Stopping lets the pending commits finish and their acknowledgements go out, then sends
//!   DISCONNECT; what arrives meanwhile stays unacknowledged and comes back next time.
//!
//! The broker does the access control here (Vigie sees no device identity): configure its ACL
//! so that devices publish only to their own topics.
//!
//! Mosquitto's defaults cap this mode: `max_inflight_messages` (20 per client) bounds how many
//! messages wait for a commit at once, hence the throughput (about 20 per commit), and
//! `max_queued_messages` (1000) is how many messages it keeps for Vigie while it is away, then
//! **drops**. Raise both for production (`max_inflight_messages 1000`, `max_queued_messages
//! 1000000` or `0` for no limit, with `persistence true`).

use rumqttc::{AsyncClient, ConnectionError, Event, EventLoop, MqttOptions, Outgoing, Packet, Publish, QoS};
use rumqttc::{SubscribeReasonCode, mqttbytes::v4::SubAck};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::batcher::{BatchError, BatcherHandle, Durable, spawn_batcher};
use super::config::ExternalConfig;
use super::source::{Scope, check_message, record_refusal};
use super::topic::{check_prefix, subscription_filter};
use super::{MqttContext, MqttError};

/// The source name of the events the external subscriber appends.
pub const EVENT_SOURCE: &str = "mqtt:external";

/// Capacity of the client's request channel. Every request is an acknowledgement of a message
/// in flight (plus one subscription per connection), and a broker cannot have more than 65,535
/// messages in flight to one client: with this capacity, acknowledging never waits on the
/// event loop, which is what lets the event loop wait on the batcher without a deadlock.
const REQUEST_CAPACITY: usize = u16::MAX as usize + 64;

/// Capacity of the queue of messages waiting for their acknowledgement (same bound).
const ACK_QUEUE_CAPACITY: usize = u16::MAX as usize;

/// The largest packet read from the broker. A larger one breaks the connection and would come
/// back at every reconnection: keep the broker's `message_size_limit` below it.
const MAX_INCOMING_PACKET: usize = 1024 * 1024;

/// How long a stopping subscriber waits for pending commits and their acknowledgements.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the subscriber stands with the broker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkState {
    /// Connecting, or waiting to reconnect.
    Connecting,
    /// Connected, and the broker confirmed the subscription.
    Subscribed,
    /// Stopped.
    Stopped,
}

/// A running external-broker subscriber.
pub struct ExternalSubscriber {
    stop: watch::Sender<bool>,
    state: watch::Receiver<LinkState>,
    task: Option<JoinHandle<()>>,
}

impl ExternalSubscriber {
    /// Returns where the subscriber stands now.
    pub fn state(&self) -> LinkState {
        *self.state.borrow()
    }

    /// Waits until the broker has confirmed the subscription; `false` if the subscriber
    /// stopped first.
    pub async fn wait_subscribed(&mut self) -> bool {
        let reached = self.state.wait_for(|state| matches!(state, LinkState::Subscribed | LinkState::Stopped)).await;
        matches!(reached.as_deref(), Ok(LinkState::Subscribed))
    }

    /// Lets pending commits finish and be acknowledged, disconnects (the broker keeps the
    /// session), then stops the batcher.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for ExternalSubscriber {
    fn drop(&mut self) {
        // Dropped without `stop`: the task drains and stops on its own.
        let _ = self.stop.send(true);
    }
}

/// Connects to the configured broker in the background and starts taking its messages. Must
/// be called within a tokio runtime.
pub async fn start_external(config: &ExternalConfig, context: MqttContext) -> Result<ExternalSubscriber, MqttError> {
    check_prefix(&config.topic_prefix)
        .map_err(|error| MqttError::Config { key: "mqtt.external.topic_prefix", message: error.to_string() })?;
    if config.client_id.is_empty() {
        return Err(MqttError::Config {
            key: "mqtt.external.client_id",
            message: "a persistent session needs a fixed, non-empty client id".to_owned(),
        });
    }
    let mut options = MqttOptions::new(config.client_id.clone(), config.host.clone(), config.port);
    options
        .set_clean_session(false)
        .set_manual_acks(true)
        .set_keep_alive(Duration::from_secs(u64::from(config.keep_alive_s)))
        .set_max_packet_size(MAX_INCOMING_PACKET, MAX_INCOMING_PACKET);
    if let Some(username) = &config.username {
        let password = config.password.as_ref().map(|secret| secret.expose().to_owned()).unwrap_or_default();
        options.set_credentials(username.clone(), password);
    }
    let (batcher, batcher_task) = spawn_batcher(context.engine.clone(), EVENT_SOURCE.to_owned());
    let (stop, stop_requested) = watch::channel(false);
    let (state_sender, state) = watch::channel(LinkState::Connecting);
    let subscriber = Subscriber {
        options,
        prefix: config.topic_prefix.clone(),
        filter: subscription_filter(&config.topic_prefix),
        broker: format!("{}:{}", config.host, config.port),
        context,
        batcher,
        state: state_sender,
    };
    tracing::info!(broker = %subscriber.broker, client_id = %config.client_id, filter = %subscriber.filter, "starting the external mqtt subscriber");
    let task = tokio::spawn(async move {
        let state = subscriber.state.clone();
        subscriber.run(stop_requested).await;
        // The subscriber held the last batcher handle: the batcher commits what it holds, then ends.
        let _ = batcher_task.await;
        let _ = state.send(LinkState::Stopped);
    });
    Ok(ExternalSubscriber { stop, state, task: Some(task) })
}

/// A message waiting for its acknowledgement.
struct PendingAck {
    publish: Publish,
    wait: AckAfter,
}

enum AckAfter {
    /// Refused and dead-lettered: acknowledge at once.
    Now,
    /// Acknowledge once durable.
    Commit(Durable),
    /// Could not be handed to the batcher: never acknowledge (the broker redelivers it).
    Never(BatchError),
}

/// How one broker session ended.
enum SessionEnd {
    Stopped,
    /// A commit failed: reconnect so that the broker redelivers what was not acknowledged.
    NotDurable,
}

/// How the acknowledging task ended.
enum AckerEnd {
    /// Its queue closed and everything in it was handled.
    Drained,
    NotDurable(BatchError),
    /// The client's event loop is gone.
    ClientGone,
}

struct Subscriber {
    options: MqttOptions,
    prefix: String,
    filter: String,
    /// `host:port`, for logs and dead letters.
    broker: String,
    context: MqttContext,
    batcher: BatcherHandle,
    state: watch::Sender<LinkState>,
}

struct Backoff {
    next: Duration,
}

impl Backoff {
    const FIRST: Duration = Duration::from_millis(200);
    const MAX: Duration = Duration::from_secs(30);

    fn new() -> Self {
        Backoff { next: Backoff::FIRST }
    }

    fn reset(&mut self) {
        self.next = Backoff::FIRST;
    }

    fn next_delay(&mut self) -> Duration {
        let delay = self.next;
        self.next = (self.next * 2).min(Backoff::MAX);
        delay
    }
}

fn stop_requested(stop: &watch::Receiver<bool>) -> bool {
    // A dropped sender means nobody can stop us any more: stop now.
    *stop.borrow() || stop.has_changed().is_err()
}

impl Subscriber {
    async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut backoff = Backoff::new();
        loop {
            let (client, eventloop) = AsyncClient::new(self.options.clone(), REQUEST_CAPACITY);
            let (acks, ack_queue) = mpsc::channel(ACK_QUEUE_CAPACITY);
            let acker = tokio::spawn(acknowledge_in_order(client.clone(), ack_queue));
            match self.run_session(&client, eventloop, acks, acker, &mut stop, &mut backoff).await {
                SessionEnd::Stopped => return,
                SessionEnd::NotDurable => {
                    let _ = self.state.send(LinkState::Connecting);
                    let delay = backoff.next_delay();
                    tracing::warn!(broker = %self.broker, delay_ms = delay.as_millis() as u64, "reconnecting so that the broker redelivers what was not durable");
                    tokio::select! {
                        _ = tokio::time::sleep(delay) => {}
                        _ = stop.changed() => return,
                    }
                }
            }
        }
    }

    /// Polls one client until stopped or until a commit fails.
    async fn run_session(
        &self,
        client: &AsyncClient,
        mut eventloop: EventLoop,
        acks: mpsc::Sender<PendingAck>,
        mut acker: JoinHandle<AckerEnd>,
        stop: &mut watch::Receiver<bool>,
        backoff: &mut Backoff,
    ) -> SessionEnd {
        loop {
            if stop_requested(stop) {
                drain(client, eventloop, acks, acker).await;
                return SessionEnd::Stopped;
            }
            tokio::select! {
                _ = stop.changed() => continue,
                ended = &mut acker => {
                    if let Ok(AckerEnd::NotDurable(error)) = ended {
                        tracing::error!(broker = %self.broker, error = %error, "a message was not made durable");
                    }
                    // Dropping the event loop closes the connection without a DISCONNECT.
                    return SessionEnd::NotDurable;
                }
                event = eventloop.poll() => match event {
                    Ok(Event::Incoming(Packet::ConnAck(connack))) => {
                        backoff.reset();
                        tracing::info!(broker = %self.broker, session_present = connack.session_present, "connected to the external mqtt broker");
                        if let Err(error) = client.try_subscribe(self.filter.clone(), QoS::AtLeastOnce) {
                            tracing::error!(broker = %self.broker, error = %error, "cannot subscribe");
                        }
                    }
                    Ok(Event::Incoming(Packet::SubAck(suback))) => self.on_suback(&suback),
                    Ok(Event::Incoming(Packet::Publish(publish))) => {
                        let pending = self.take(publish).await;
                        // The acker only stops early when a commit failed; the next turn sees it.
                        let _ = acks.send(pending).await;
                    }
                    Ok(_) => {}
                    Err(error) => self.wait_to_reconnect(&error, stop, backoff).await,
                },
            }
        }
    }

    fn on_suback(&self, suback: &SubAck) {
        let granted = suback.return_codes.iter().all(|code| matches!(code, SubscribeReasonCode::Success(_)));
        if granted {
            tracing::info!(broker = %self.broker, filter = %self.filter, "subscribed");
            let _ = self.state.send(LinkState::Subscribed);
        } else {
            tracing::error!(broker = %self.broker, filter = %self.filter, "the broker refused the subscription; check its ACL");
        }
    }

    async fn wait_to_reconnect(
        &self,
        error: &ConnectionError,
        stop: &mut watch::Receiver<bool>,
        backoff: &mut Backoff,
    ) {
        let _ = self.state.send(LinkState::Connecting);
        let delay = backoff.next_delay();
        tracing::warn!(broker = %self.broker, error = %error, delay_ms = delay.as_millis() as u64, "mqtt connection lost; reconnecting");
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = stop.changed() => {}
        }
    }

    /// Checks one message and hands it to the batcher (waiting for room: backpressure).
    async fn take(&self, publish: Publish) -> PendingAck {
        let now = self.context.clock.now();
        let checked =
            check_message(&self.context.city, &self.prefix, Scope::Everything, &publish.topic, &publish.payload, now);
        let wait = match checked {
            Ok(observation) => match self.batcher.submit(observation).await {
                Ok(durable) => AckAfter::Commit(durable),
                Err(error) => AckAfter::Never(error),
            },
            Err(refusal) => {
                let sender = format!("broker:{}", self.broker);
                record_refusal(&self.context, &refusal, &sender, &publish.topic, &publish.payload).await;
                AckAfter::Now
            }
        };
        PendingAck { publish, wait }
    }
}

/// Acknowledges messages in the order they came, each once durable.
async fn acknowledge_in_order(client: AsyncClient, mut queue: mpsc::Receiver<PendingAck>) -> AckerEnd {
    while let Some(pending) = queue.recv().await {
        match pending.wait {
            AckAfter::Now => {}
            AckAfter::Commit(durable) => match durable.await {
                Ok(Ok(_seq)) => {}
                Ok(Err(error)) => return AckerEnd::NotDurable(error),
                Err(_) => return AckerEnd::NotDurable(BatchError::Stopped),
            },
            AckAfter::Never(error) => return AckerEnd::NotDurable(error),
        }
        // The request channel has room for every message in flight (see REQUEST_CAPACITY).
        if client.ack(&pending.publish).await.is_err() {
            return AckerEnd::ClientGone;
        }
    }
    AckerEnd::Drained
}

/// Lets the acker finish while the event loop sends its acknowledgements, then disconnects.
/// Messages that arrive meanwhile are not taken: unacknowledged, the broker keeps them.
async fn drain(
    client: &AsyncClient,
    mut eventloop: EventLoop,
    acks: mpsc::Sender<PendingAck>,
    mut acker: JoinHandle<AckerEnd>,
) {
    drop(acks);
    if eventloop.network.is_none() {
        // Not connected: no acknowledgement could leave; the broker will send them all again.
        acker.abort();
        return;
    }
    let deadline = tokio::time::sleep(DRAIN_TIMEOUT);
    tokio::pin!(deadline);
    let mut acker_done = false;
    while !acker_done {
        tokio::select! {
            _ = &mut acker => acker_done = true,
            event = eventloop.poll() => if event.is_err() { return },
            _ = &mut deadline => {
                tracing::warn!("stopping before every durable message was acknowledged; the broker will send them again");
                acker.abort();
                break;
            }
        }
    }
    // The DISCONNECT queues behind the last acknowledgements, so polling until it leaves sends
    // them all.
    if client.try_disconnect().is_err() {
        return;
    }
    loop {
        tokio::select! {
            event = eventloop.poll() => match event {
                Ok(Event::Outgoing(Outgoing::Disconnect)) | Err(_) => return,
                Ok(_) => {}
            },
            _ = &mut deadline => return,
        }
    }
}
