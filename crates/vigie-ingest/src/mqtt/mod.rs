//! MQTT ingest: devices publish readings to `vigie/<commune>/<sensor-id>/obs` (QoS 1), Vigie
//! makes them durable in the event log and only then acknowledges them.
//!
//! Two ways to run, chosen by [`MqttConfig::mode`] and started by [`start`]:
//! - [`embedded`]: Vigie is the broker (MQTT 3.1.1 and 5). Devices authenticate with a username
//!   and password from the devices file; the PUBACK of a QoS-1 publish leaves only after the
//!   observation is durable.
//! - [`external`]: Vigie subscribes to an existing broker with a persistent session and manual
//!   acknowledgements; it acknowledges each message only after it is durable, so the broker
//!   redelivers whatever Vigie had not made durable when it went away.
//!
//! Both send observations through the [`batcher`], which lets thousands of QoS-1 messages share
//! one durable commit, and both check messages with [`source::check_message`] (topic, scope,
//! payload, then the validation shared with HTTP). Refused messages become dead letters.
//!
//! The other modules: [`config`] (the `[mqtt]` section), [`topic`] and [`payload`] (the wire
//! scheme), [`devices`] (credentials and scopes), [`client`] (a publisher for the simulator and
//! benchmarks).
//!
//! Guarantee: at least once. A message acknowledged to a device or to a broker is in the log.
//! A message made durable whose acknowledgement was lost (a connection cut at the wrong moment)
//! comes again and is logged twice; readings are idempotent facts, so rules are not misled.

pub mod batcher;
pub mod client;
pub mod config;
pub mod devices;
pub mod embedded;
pub mod external;
pub mod payload;
pub mod source;
pub mod topic;

pub use config::{BrokerTls, EmbeddedConfig, ExternalConfig, MqttConfig, MqttMode, Secret};
pub use embedded::{EmbeddedBroker, start_embedded};
pub use external::{ExternalSubscriber, start_external};

use std::sync::Arc;
use vigie_city::City;
use vigie_engine::{Clock, EngineHandle};

/// What the MQTT sources need from the rest of Vigie.
#[derive(Clone)]
pub struct MqttContext {
    /// Where observations and dead letters go.
    pub engine: EngineHandle,
    /// The city pack: sensors, their communes and units.
    pub city: Arc<City>,
    /// The time of reception (compact readings without a time, dead letters, validation).
    pub clock: Arc<dyn Clock>,
    /// The devices, when already loaded from the devices file (HTTP ingest shares them, and
    /// with them the revocations made at run time); `None`: the embedded broker loads
    /// `devices_file` itself.
    pub devices: Option<Arc<devices::Devices>>,
}

/// Why MQTT ingest could not start.
#[derive(Debug, thiserror::Error)]
pub enum MqttError {
    #[error("cannot listen on {address}")]
    Listen {
        address: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Devices(#[from] devices::DevicesError),
    #[error("the embedded broker has no devices_file and allow_anonymous is false: nobody could connect")]
    NoDevices,
    #[error("invalid mqtt setting {key}: {message}")]
    Config { key: &'static str, message: String },
    #[error("the broker thread could not start")]
    Thread(#[source] std::io::Error),
    #[error("cannot set up TLS for the broker: {0}")]
    Tls(String),
}

/// A running MQTT source, whichever the mode.
pub enum RunningMqtt {
    Embedded(EmbeddedBroker),
    External(ExternalSubscriber),
}

impl RunningMqtt {
    /// Stops accepting messages, lets the durable ones be acknowledged, and stops.
    pub async fn stop(self) {
        match self {
            RunningMqtt::Embedded(broker) => broker.stop().await,
            RunningMqtt::External(subscriber) => subscriber.stop().await,
        }
    }
}

/// Starts MQTT ingest as configured; `None` when the mode is `off`.
pub async fn start(config: &MqttConfig, context: MqttContext) -> Result<Option<RunningMqtt>, MqttError> {
    match config.mode {
        MqttMode::Off => Ok(None),
        MqttMode::Embedded => Ok(Some(RunningMqtt::Embedded(start_embedded(&config.embedded, context).await?))),
        MqttMode::External => Ok(Some(RunningMqtt::External(start_external(&config.external, context).await?))),
    }
}

/// Renders an error and its sources on one line: `a: b: c`.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
