//! The embedded broker: Vigie itself is the MQTT server devices connect to (MQTT 3.1.1 and 5,
//! on [`ntex_mqtt`]).
//!
//! - **Handshake**: the username is the device id and the password is checked against the
//!   device's argon2id hash on ntex's blocking pool (never on a connection's worker); the device
//!   found is kept for the connection's life. No username: refused unless `allow_anonymous`.
//! - **Publish**: the message is checked ([`check_message`]), sent to the [`batcher`], and the
//!   service returns only once the observation is durable. Each worker thread gathers the
//!   publishes it read in one turn of its event loop into one chunk ([`WorkerBatch`]), so one
//!   hand-over and one answer cross to the batcher per chunk, and the PUBACKs of a connection
//!   leave together when the chunk is durable: ntex sends the PUBACK when the
//!   service returns, so **a PUBACK means durable**. If the commit fails, the service fails, the
//!   connection closes without a PUBACK and the device sends the message again.
//! - **Refusals** (malformed, unauthorised, rejected) are dead-lettered and counted. MQTT 5
//!   devices get a PUBACK with a reason code: 0x99 Payload format invalid (malformed), 0x87 Not
//!   authorized (unauthorised), 0x83 Implementation specific error (rejected by the city pack),
//!   with the detail as reason string when the device asked for problem information. MQTT
//!   3.1.1 has no negative PUBACK: the message is acknowledged anyway, because the alternative
//!   (closing the connection) makes the device send the same bad message again forever. The
//!   dead letter is where an integrator finds it.
//! - **Limits**: QoS 0 and 1 (a QoS-2 publish closes the connection), about `max_inflight`
//!   unacknowledged publishes per connection (enforced here, since ntex-mqtt 8 stops enforcing
//!   its own after the first PUBLISH; a burst already read may go a little past it), packets of at most [`MAX_PACKET_BYTES`]. Subscriptions are
//!   refused (SUBACK failure): this broker takes readings in, it delivers nothing. Retained
//!   flags and wills are ignored.
//! - **Order**: PUBACKs leave in arrival order, but ntex runs a connection's publish calls
//!   concurrently, so two readings that arrive close together may be logged swapped. Each
//!   reading carries its own time, and the projections go by it.
//!
//! ntex runs its own worker threads whose services are `!Send`: the broker runs on a dedicated
//! thread with its own ntex system, and reaches the tokio side only through channels (the
//! batcher's, the engine's).
//!
//! [`batcher`]: super::batcher

use ntex_bytes::ByteString;
use ntex_io::{Filter, Io, Layer};
use ntex_mqtt::v5::codec::{PublishAckReason, SubscribeAckReason};
use ntex_mqtt::{MqttServer, MqttServiceConfig, QoS, v3, v5};
use ntex_server::net::{Connection, ServerBuilder};
use ntex_service::cfg::SharedCfg;
use ntex_service::{Service, ServiceCtx, ServiceFactory, fn_service};
use ntex_tls::rustls::TlsServerFilter;
use ntex_util::time::Seconds;
use std::cell::{Cell, RefCell};
use std::net::{SocketAddr, TcpListener};
use std::rc::Rc;
use std::sync::Arc;
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;
use vigie_core::{Observation, Seq};

use super::batcher::{BatchError, BatcherHandle, Durable, Reply, answer_each, spawn_batcher};
use super::config::EmbeddedConfig;
use super::devices::{Device, Devices};
use super::source::{Refusal, RefusalReason, Scope, check_message, record_refusal};
use super::topic::DEFAULT_TOPIC_PREFIX;
use super::{MqttContext, MqttError};

/// The largest MQTT packet accepted; a larger one closes the connection.
pub const MAX_PACKET_BYTES: u32 = 16 * 1024;

/// How long a stopping broker waits for its connections to finish.
const SHUTDOWN_TIMEOUT: Seconds = Seconds(3);

/// The source name of the events the embedded broker appends.
pub const EVENT_SOURCE: &str = "mqtt:embedded";

/// A running embedded broker.
pub struct EmbeddedBroker {
    /// The address it listens on (the real port when the configuration said port 0).
    pub local_addr: SocketAddr,
    server: ntex_server::Server<Connection>,
    thread: Option<std::thread::JoinHandle<()>>,
    batcher: Option<JoinHandle<()>>,
}

impl EmbeddedBroker {
    /// Stops accepting connections, lets in-flight publishes finish (up to a few seconds),
    /// stops the broker thread, then the batcher once it has committed what it holds.
    pub async fn stop(mut self) {
        self.server.stop(true).await;
        if let Some(thread) = self.thread.take() {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
        if let Some(batcher) = self.batcher.take() {
            let _ = batcher.await;
        }
        tracing::info!(address = %self.local_addr, "embedded mqtt broker stopped");
    }
}

impl Drop for EmbeddedBroker {
    fn drop(&mut self) {
        if self.thread.is_some() {
            // Dropped without `stop`: ask the broker to stop without waiting. The command is sent
            // when `stop` is called; the returned future only waits for completion.
            drop(self.server.stop(false));
        }
    }
}

/// Starts the embedded broker on `config.listen` (port 0: any free port, see
/// [`EmbeddedBroker::local_addr`]). Must be called within a tokio runtime (for the batcher).
pub async fn start_embedded(config: &EmbeddedConfig, context: MqttContext) -> Result<EmbeddedBroker, MqttError> {
    if config.workers == 0 {
        return Err(MqttError::Config { key: "mqtt.embedded.workers", message: "must be at least 1".to_owned() });
    }
    if config.max_inflight == 0 {
        return Err(MqttError::Config { key: "mqtt.embedded.max_inflight", message: "must be at least 1".to_owned() });
    }
    let devices = match (&context.devices, &config.devices_file) {
        (Some(shared), _) => shared.clone(),
        (None, Some(path)) => {
            let devices = Devices::load(path)?;
            devices.check_against(&context.city)?;
            Arc::new(devices)
        }
        (None, None) if config.allow_anonymous => Arc::new(Devices::default()),
        (None, None) => return Err(MqttError::NoDevices),
    };
    if config.allow_anonymous {
        tracing::warn!("the embedded mqtt broker accepts anonymous connections (allow_anonymous): development only");
    }
    let tls = match &config.tls {
        Some(files) => Some(load_tls(&files.cert, &files.key)?),
        None => None,
    };
    let listener =
        TcpListener::bind(config.listen).map_err(|source| MqttError::Listen { address: config.listen, source })?;
    let local_addr = listener.local_addr().map_err(|source| MqttError::Listen { address: config.listen, source })?;
    let device_count = devices.len();
    let (batcher, batcher_task) = spawn_batcher(context.engine.clone(), EVENT_SOURCE.to_owned());
    let broker = Arc::new(Broker {
        context,
        devices,
        allow_anonymous: config.allow_anonymous,
        batcher,
        max_inflight: config.max_inflight,
    });
    let (started, started_answer) = oneshot::channel();
    let workers = config.workers;
    let thread = std::thread::Builder::new()
        .name("vigie-mqtt".to_owned())
        .spawn(move || run_broker_system(broker, listener, workers, tls, started))
        .map_err(MqttError::Thread)?;
    match started_answer.await {
        Ok(Ok(server)) => {
            tracing::info!(address = %local_addr, devices = device_count, workers, "embedded mqtt broker listening");
            Ok(EmbeddedBroker { local_addr, server, thread: Some(thread), batcher: Some(batcher_task) })
        }
        Ok(Err(source)) => {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
            Err(MqttError::Listen { address: local_addr, source })
        }
        Err(_) => {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
            Err(MqttError::Thread(std::io::Error::other("the broker thread stopped while starting")))
        }
    }
}

type Started = oneshot::Sender<std::io::Result<ntex_server::Server<Connection>>>;

/// The broker thread: an ntex system whose server runs until stopped.
/// Reads the broker's PEM certificate chain and private key into a rustls configuration (ring).
fn load_tls(cert: &std::path::Path, key: &std::path::Path) -> Result<Arc<rustls::ServerConfig>, MqttError> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let certificates = CertificateDer::pem_file_iter(cert)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .map_err(|error| MqttError::Tls(format!("{}: {error}", cert.display())))?;
    if certificates.is_empty() {
        return Err(MqttError::Tls(format!("{} holds no certificate", cert.display())));
    }
    let private_key =
        PrivateKeyDer::from_pem_file(key).map_err(|error| MqttError::Tls(format!("{}: {error}", key.display())))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|builder| builder.with_no_client_auth().with_single_cert(certificates, private_key))
        .map_err(|error| MqttError::Tls(error.to_string()))?;
    Ok(Arc::new(config))
}

fn run_broker_system(
    broker: Arc<Broker>,
    listener: TcpListener,
    workers: usize,
    tls: Option<Arc<rustls::ServerConfig>>,
    started: Started,
) {
    let system = ntex_rt::System::new("vigie-mqtt", ntex_net::DefaultRuntime);
    let outcome = system.run(move || {
        let mqtt_config = MqttServiceConfig::new()
            .set_max_qos(QoS::AtLeastOnce)
            .set_max_receive(broker.max_inflight)
            .set_max_size(MAX_PACKET_BYTES)
            .set_connect_timeout(Seconds(10));
        let builder =
            ServerBuilder::new().workers(workers).disable_signals().stop_runtime().shutdown_timeout(SHUTDOWN_TIMEOUT);
        let built = match tls {
            None => builder.listen("mqtt", listener, async move |_| mqtt_service(broker.clone())),
            Some(tls) => builder.listen("mqtt", listener, async move |_| {
                // The TLS handshake first, then MQTT over the decrypted stream; a failed
                // handshake ends that connection only.
                ntex_service::chain_factory(ntex_tls::rustls::TlsAcceptor::new(tls.clone()))
                    .map_err(|error| tracing::debug!(error = %error, "mqtt TLS handshake failed"))
                    .and_then(
                        ntex_service::chain_factory(mqtt_service::<Layer<TlsServerFilter>>(broker.clone()))
                            .map_err(|_| ())
                            .map_init_err(|_| ()),
                    )
            }),
        };
        match built {
            Ok(builder) => {
                let server = builder.config("mqtt", SharedCfg::new("vigie-mqtt").add(mqtt_config)).run();
                let _ = started.send(Ok(server));
            }
            Err(error) => {
                let _ = started.send(Err(error));
                ntex_rt::System::current().stop();
            }
        }
        Ok(())
    });
    if let Err(error) = outcome {
        tracing::error!(error = %error, "the mqtt broker system stopped with an error");
    }
}

/// Everything the connections of every worker share. `Send + Sync`: workers are threads.
struct Broker {
    context: MqttContext,
    devices: Arc<Devices>,
    allow_anonymous: bool,
    batcher: BatcherHandle,
    max_inflight: u16,
}

/// One authenticated connection: who it is and what it may publish.
#[derive(Clone)]
struct Session {
    /// `None`: anonymous (development), every scope.
    device: Option<Arc<Device>>,
    /// The device id, or `anonymous:<client id>`, for logs and dead letters.
    sender: Arc<str>,
    /// MQTT 5: whether the device asked for reason strings.
    problem_info: bool,
}

/// Why a connection must close. Never a refusal of the message itself.
#[derive(Debug, thiserror::Error)]
enum BrokerError {
    /// The observation could not be made durable: no PUBACK, the device sends it again.
    #[error("the publish was not made durable")]
    NotDurable(#[source] BatchError),
    /// The payload could not be read from the connection.
    #[error("cannot read the payload: {0}")]
    Payload(String),
    /// A service could not be built.
    #[error("cannot build the connection's services")]
    Init,
}

impl From<()> for BrokerError {
    fn from((): ()) -> Self {
        BrokerError::Init
    }
}

/// MQTT 5: a failure is not a PUBACK (which would tell the device to forget the message) but
/// a closed connection.
impl TryFrom<BrokerError> for v5::PublishAck {
    type Error = BrokerError;

    fn try_from(error: BrokerError) -> Result<Self, BrokerError> {
        Err(error)
    }
}

/// The MQTT server over connections whose I/O goes through filter `F` (plain TCP, or TLS).
fn mqtt_service<F: Filter>(broker: Arc<Broker>) -> impl ServiceFactory<Io<F>, SharedCfg> + 'static {
    let broker_v3 = broker.clone();
    let broker_v5 = broker.clone();
    // Called on each worker thread: one batch per worker, shared by both protocol versions.
    let batch = WorkerBatch::new(broker.batcher.clone());
    let v3_server = v3::MqttServer::new(fn_service(move |handshake: v3::Handshake| {
        let broker = broker_v3.clone();
        async move { handshake_v3(broker, handshake).await }
    }))
    .protocol(fn_service(async |message: v3::ProtocolMessage| Ok::<_, BrokerError>(protocol_v3(message))))
    .publish(PublishFactory { broker: broker.clone(), batch: batch.clone() });
    let v5_server = v5::MqttServer::new(fn_service(move |handshake: v5::Handshake| {
        let broker = broker_v5.clone();
        async move { handshake_v5(broker, handshake).await }
    }))
    .protocol(fn_service(async |message: v5::ProtocolMessage| Ok::<_, BrokerError>(protocol_v5(message))))
    .publish(PublishFactory { broker, batch });
    MqttServer::new().v3(v3_server).v5(v5_server)
}

enum Authenticated {
    Device(Arc<Device>),
    Anonymous,
    Refused,
}

/// Checks the credentials on ntex's blocking pool (argon2 takes tens of milliseconds).
async fn authenticate(broker: &Arc<Broker>, username: Option<&str>, password: Option<&[u8]>) -> Authenticated {
    let Some(username) = username else {
        return if broker.allow_anonymous { Authenticated::Anonymous } else { Authenticated::Refused };
    };
    let broker = broker.clone();
    let username = username.to_owned();
    let password = password.unwrap_or_default().to_vec();
    match ntex_rt::spawn_blocking(move || broker.devices.authenticate(&username, &password)).await {
        Ok(Some(device)) => Authenticated::Device(device),
        Ok(None) => Authenticated::Refused,
        Err(error) => {
            tracing::error!(error = %error, "cannot check device credentials");
            Authenticated::Refused
        }
    }
}

fn session_for(authenticated: Authenticated, client_id: &str, problem_info: bool) -> Option<Session> {
    let (device, sender) = match authenticated {
        Authenticated::Device(device) => {
            let sender = Arc::from(device.id.as_str());
            (Some(device), sender)
        }
        Authenticated::Anonymous => (None, Arc::from(format!("anonymous:{client_id}"))),
        Authenticated::Refused => return None,
    };
    Some(Session { device, sender, problem_info })
}

async fn handshake_v3(broker: Arc<Broker>, handshake: v3::Handshake) -> Result<v3::HandshakeAck<Session>, BrokerError> {
    let packet = handshake.packet();
    let client_id = packet.client_id.to_string();
    let username = packet.username.as_ref().map(ToString::to_string);
    let password = packet.password.clone();
    let authenticated = authenticate(&broker, username.as_deref(), password.as_deref()).await;
    match session_for(authenticated, &client_id, false) {
        Some(session) => {
            tracing::debug!(sender = %session.sender, client_id = %client_id, protocol = "3.1.1", "mqtt device connected");
            Ok(handshake.ack(session, false))
        }
        None => {
            tracing::warn!(username = ?username, client_id = %client_id, protocol = "3.1.1", "mqtt connection refused: bad credentials");
            Ok(handshake.bad_username_or_pwd())
        }
    }
}

async fn handshake_v5(broker: Arc<Broker>, handshake: v5::Handshake) -> Result<v5::HandshakeAck<Session>, BrokerError> {
    let packet = handshake.packet();
    let client_id = packet.client_id.to_string();
    let username = packet.username.as_ref().map(ToString::to_string);
    let password = packet.password.clone();
    let problem_info = packet.request_problem_info;
    let authenticated = authenticate(&broker, username.as_deref(), password.as_deref()).await;
    match session_for(authenticated, &client_id, problem_info) {
        Some(session) => {
            tracing::debug!(sender = %session.sender, client_id = %client_id, protocol = "5", "mqtt device connected");
            Ok(handshake.ack(session))
        }
        None => {
            tracing::warn!(username = ?username, client_id = %client_id, protocol = "5", "mqtt connection refused: bad credentials");
            Ok(handshake.failed(v5::codec::ConnectAckReason::BadUserNameOrPassword))
        }
    }
}

/// Pings and disconnects as usual; subscriptions refused; the rest acknowledged.
fn protocol_v3(message: v3::ProtocolMessage) -> v3::ProtocolMessageAck {
    match message {
        v3::ProtocolMessage::Ping(ping) => ping.ack(),
        v3::ProtocolMessage::Disconnect(disconnect) => disconnect.ack(),
        // Every topic starts as a failure: nothing is delivered by this broker.
        v3::ProtocolMessage::Subscribe(subscribe) => subscribe.ack(),
        v3::ProtocolMessage::Unsubscribe(unsubscribe) => unsubscribe.ack(),
        v3::ProtocolMessage::PublishRelease(release) => release.ack(),
    }
}

fn protocol_v5(message: v5::ProtocolMessage) -> v5::ProtocolMessageAck {
    match message {
        v5::ProtocolMessage::Ping(ping) => ping.ack(),
        v5::ProtocolMessage::Disconnect(disconnect) => disconnect.ack(),
        v5::ProtocolMessage::Subscribe(mut subscribe) => {
            for mut subscription in subscribe.iter_mut() {
                subscription.fail(SubscribeAckReason::NotAuthorized);
            }
            subscribe.ack_reason(ByteString::from_static("this broker takes readings in and delivers nothing")).ack()
        }
        v5::ProtocolMessage::Unsubscribe(unsubscribe) => unsubscribe.ack(),
        v5::ProtocolMessage::PublishRelease(release) => release.ack(),
        auth @ v5::ProtocolMessage::Auth(_) => auth.disconnect(),
    }
}

/// What became of one publish.
enum Handled {
    Accepted,
    Refused(Refusal),
    Failed(BatchError),
}

async fn handle_publish(
    broker: &Broker,
    batch: &Rc<WorkerBatch>,
    session: &Session,
    topic: &str,
    payload: &[u8],
) -> Handled {
    let now = broker.context.clock.now();
    let scope = match &session.device {
        Some(device) => Scope::Device(device),
        None => Scope::Everything,
    };
    match check_message(&broker.context.city, DEFAULT_TOPIC_PREFIX, scope, topic, payload, now) {
        Ok(observation) => match batch.append(observation).await {
            Ok(_seq) => Handled::Accepted,
            Err(error) => {
                tracing::error!(sender = %session.sender, topic = %topic, error = %error, "publish not durable; closing the connection so the device sends it again");
                Handled::Failed(error)
            }
        },
        Err(refusal) => {
            // Boxed: the rare path's future is large, and ntex moves every publish's future
            // a few times before it runs.
            Box::pin(record_refusal(&broker.context, &refusal, &session.sender, topic, payload)).await;
            Handled::Refused(refusal)
        }
    }
}

/// Bounds a connection's unacknowledged publishes. `ready` waits while the connection has
/// `max_inflight` publishes between arrival and PUBACK, and ntex stops reading the connection
/// meanwhile. Below the limit `ready` returns at once without touching any runtime primitive,
/// so it never yields.
struct InflightGate {
    state: Rc<GateState>,
}

struct GateState {
    in_flight: Cell<usize>,
    max_inflight: usize,
    freed: Notify,
}

/// Held by a publish call from its start to its PUBACK.
struct InflightGuard {
    state: Rc<GateState>,
}

impl InflightGate {
    fn new(max_inflight: u16) -> Self {
        let state =
            GateState { in_flight: Cell::new(0), max_inflight: usize::from(max_inflight), freed: Notify::new() };
        InflightGate { state: Rc::new(state) }
    }

    async fn ready(&self) {
        // Single-threaded: nothing can free a slot between the check and the registration of
        // `notified`, so no wake-up is lost.
        while self.state.in_flight.get() >= self.state.max_inflight {
            self.state.freed.notified().await;
        }
    }

    fn enter(&self) -> InflightGuard {
        self.state.in_flight.set(self.state.in_flight.get() + 1);
        InflightGuard { state: self.state.clone() }
    }
}

impl Drop for InflightGuard {
    fn drop(&mut self) {
        self.state.in_flight.set(self.state.in_flight.get().saturating_sub(1));
        self.state.freed.notify_waiters();
    }
}

/// The observations a worker thread has read and not yet handed to the batcher, and the senders
/// of their answers, in the same order: the observations go to the batcher as they are.
#[derive(Default)]
struct Pending {
    observations: Vec<Observation>,
    replies: Vec<Reply>,
}

/// One per worker thread: gathers the publishes of all the worker's connections into chunks.
///
/// The first publish after a hand-over schedules a flush task, which yields once to the event
/// loop (so that every publish already read joins), hands the chunk to the batcher, and keeps
/// handing over what arrived meanwhile until nothing is pending. Backpressure is kept: while
/// the batcher's channel is full the flush waits, and the publishes wait on their answers.
struct WorkerBatch {
    batcher: BatcherHandle,
    pending: RefCell<Pending>,
    flushing: Cell<bool>,
}

impl WorkerBatch {
    fn new(batcher: BatcherHandle) -> Rc<Self> {
        Rc::new(WorkerBatch { batcher, pending: RefCell::default(), flushing: Cell::new(false) })
    }

    /// Queues `observation` with this worker's next chunk and waits until it is durable.
    async fn append(self: &Rc<Self>, observation: Observation) -> Result<Seq, BatchError> {
        let (reply, answer) = oneshot::channel();
        {
            let mut pending = self.pending.borrow_mut();
            pending.observations.push(observation);
            pending.replies.push(reply);
        }
        if !self.flushing.replace(true) {
            ntex_rt::spawn(self.clone().flush());
        }
        answer.await.map_err(|_| BatchError::Stopped)?
    }

    async fn flush(self: Rc<Self>) {
        tokio::task::yield_now().await;
        loop {
            let Pending { observations, replies } = std::mem::take(&mut *self.pending.borrow_mut());
            if observations.is_empty() {
                self.flushing.set(false);
                return;
            }
            match self.batcher.submit_many(observations).await {
                // Answered on this thread: the chunk's one answer wakes its publishes here.
                Ok(durable) => drop(ntex_rt::spawn(answer_chunk(durable, replies))),
                Err(error) => answer_each(Err(error), replies),
            }
        }
    }
}

/// Waits for a chunk's answer and passes it on to each of its publishes.
async fn answer_chunk(durable: Durable, replies: Vec<Reply>) {
    answer_each(durable.await.unwrap_or(Err(BatchError::Stopped)), replies);
}

/// Builds one publish service per connection, for either protocol version. One per worker
/// thread, with that worker's [`WorkerBatch`].
struct PublishFactory {
    broker: Arc<Broker>,
    batch: Rc<WorkerBatch>,
}

struct PublishService {
    broker: Arc<Broker>,
    batch: Rc<WorkerBatch>,
    session: Session,
    gate: InflightGate,
}

impl PublishService {
    fn new(factory: &PublishFactory, session: &Session) -> Self {
        PublishService {
            broker: factory.broker.clone(),
            batch: factory.batch.clone(),
            session: session.clone(),
            gate: InflightGate::new(factory.broker.max_inflight),
        }
    }
}

impl ServiceFactory<v3::Publish, v3::Session<Session>> for PublishFactory {
    type Response = ();
    type Error = BrokerError;
    type InitError = BrokerError;
    type Service = PublishService;

    async fn create(&self, session: v3::Session<Session>) -> Result<PublishService, BrokerError> {
        Ok(PublishService::new(self, &session))
    }
}

impl ServiceFactory<v5::Publish, v5::Session<Session>> for PublishFactory {
    type Response = v5::PublishAck;
    type Error = BrokerError;
    type InitError = BrokerError;
    type Service = PublishService;

    async fn create(&self, session: v5::Session<Session>) -> Result<PublishService, BrokerError> {
        Ok(PublishService::new(self, &session))
    }
}

impl Service<v3::Publish> for PublishService {
    type Response = ();
    type Error = BrokerError;

    async fn ready(&self, _: ServiceCtx<'_, Self>) -> Result<(), BrokerError> {
        self.gate.ready().await;
        Ok(())
    }

    async fn call(&self, publish: v3::Publish, _: ServiceCtx<'_, Self>) -> Result<(), BrokerError> {
        let _in_flight = self.gate.enter();
        let payload = publish.read_all().await.map_err(|error| BrokerError::Payload(format!("{error:?}")))?;
        match handle_publish(&self.broker, &self.batch, &self.session, publish.publish_topic(), &payload).await {
            // 3.1.1 has no negative PUBACK: a refused message is acknowledged too (see the
            // module documentation), or the device would send it again forever.
            Handled::Accepted | Handled::Refused(_) => Ok(()),
            Handled::Failed(error) => Err(BrokerError::NotDurable(error)),
        }
    }
}

impl Service<v5::Publish> for PublishService {
    type Response = v5::PublishAck;
    type Error = BrokerError;

    async fn ready(&self, _: ServiceCtx<'_, Self>) -> Result<(), BrokerError> {
        self.gate.ready().await;
        Ok(())
    }

    async fn call(&self, publish: v5::Publish, _: ServiceCtx<'_, Self>) -> Result<v5::PublishAck, BrokerError> {
        let _in_flight = self.gate.enter();
        let payload = publish.read_all().await.map_err(|error| BrokerError::Payload(format!("{error:?}")))?;
        let handled = handle_publish(&self.broker, &self.batch, &self.session, publish.publish_topic(), &payload).await;
        match handled {
            Handled::Accepted => Ok(publish.ack()),
            Handled::Refused(refusal) => {
                let code = match refusal.reason {
                    RefusalReason::Malformed => PublishAckReason::PayloadFormatInvalid,
                    RefusalReason::Unauthorised => PublishAckReason::NotAuthorized,
                    RefusalReason::Rejected => PublishAckReason::ImplementationSpecificError,
                };
                let ack = publish.ack().reason_code(code);
                if self.session.problem_info { Ok(ack.reason(ByteString::from(refusal.detail))) } else { Ok(ack) }
            }
            Handled::Failed(error) => Err(BrokerError::NotDurable(error)),
        }
    }
}
