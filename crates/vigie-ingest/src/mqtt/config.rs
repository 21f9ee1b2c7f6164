//! The `[mqtt]` section of Vigie's configuration.
//!
//! | key | default | meaning |
//! |---|---|---|
//! | `mode` | `"off"` | `"embedded"` (Vigie is the broker), `"external"` (Vigie subscribes to a broker) or `"off"` |
//! | `embedded.listen` | `"127.0.0.1:1883"` | address of the embedded broker (port 0: any free port) |
//! | `embedded.devices_file` | none | TOML file of device credentials and scopes (see [`super::devices`]) |
//! | `embedded.allow_anonymous` | `false` | accept connections without a username, with every scope (development only) |
//! | `embedded.workers` | `1` | broker worker threads |
//! | `embedded.max_inflight` | `1000` | unacknowledged QoS-1 publishes one connection may have (MQTT 5 receive maximum) |
//! | `external.host` | `"127.0.0.1"` | broker host |
//! | `external.port` | `1883` | broker port |
//! | `external.client_id` | `"vigie"` | fixed client id: the broker keeps the session (and queues QoS-1 messages) under it |
//! | `external.topic_prefix` | `"vigie"` | topics are `<prefix>/<commune>/<sensor-id>/obs` |
//! | `external.username`, `external.password` | none | credentials, if the broker asks for them |
//! | `external.keep_alive_s` | `30` | MQTT keep-alive |
//!
//! The default mode is `off`: an embedded broker with no devices would refuse everyone, so it is
//! switched on deliberately, with a devices file.

use serde::Deserialize;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use super::topic::DEFAULT_TOPIC_PREFIX;

/// How Vigie takes MQTT in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MqttMode {
    /// Vigie is the broker devices connect to.
    Embedded,
    /// Vigie subscribes to an existing broker (Mosquitto, EMQX, NATS' MQTT).
    External,
    /// No MQTT.
    #[default]
    Off,
}

/// The `[mqtt]` section.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MqttConfig {
    pub mode: MqttMode,
    pub embedded: EmbeddedConfig,
    pub external: ExternalConfig,
}

/// The `[mqtt.embedded]` section: Vigie as the broker.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmbeddedConfig {
    pub listen: SocketAddr,
    pub devices_file: Option<PathBuf>,
    pub allow_anonymous: bool,
    pub workers: usize,
    pub max_inflight: u16,
    /// MQTT over TLS (port 8883 by convention): the certificate chain and key, PEM files.
    pub tls: Option<BrokerTls>,
}

/// The `[mqtt.embedded.tls]` section: the broker's certificate chain and private key.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrokerTls {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl Default for EmbeddedConfig {
    fn default() -> Self {
        EmbeddedConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 1883)),
            devices_file: None,
            allow_anonymous: false,
            workers: 1,
            max_inflight: 1000,
            tls: None,
        }
    }
}

/// The `[mqtt.external]` section: Vigie as a subscriber of another broker.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExternalConfig {
    pub host: String,
    pub port: u16,
    pub client_id: String,
    pub topic_prefix: String,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub keep_alive_s: u16,
}

impl Default for ExternalConfig {
    fn default() -> Self {
        ExternalConfig {
            host: "127.0.0.1".to_owned(),
            port: 1883,
            client_id: "vigie".to_owned(),
            topic_prefix: DEFAULT_TOPIC_PREFIX.to_owned(),
            username: None,
            password: None,
            keep_alive_s: 30,
        }
    }
}

/// A secret from the configuration: never printed, not even by `Debug`.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Secret(secret.into())
    }

    /// Returns the secret itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_off_and_local() {
        let config: MqttConfig = toml::from_str("").unwrap();
        assert_eq!(config.mode, MqttMode::Off);
        assert_eq!(config.embedded.listen.to_string(), "127.0.0.1:1883");
        assert!(!config.embedded.allow_anonymous);
        assert_eq!(config.external.topic_prefix, "vigie");
    }

    #[test]
    fn reads_every_key() {
        let config: MqttConfig = toml::from_str(
            r#"
            mode = "external"
            [embedded]
            listen = "0.0.0.0:0"
            devices_file = "devices.toml"
            allow_anonymous = true
            workers = 2
            max_inflight = 64
            [external]
            host = "broker.local"
            port = 8883
            client_id = "vigie-node-1"
            topic_prefix = "city/dijon/vigie"
            username = "vigie"
            password = "s3cret"
            keep_alive_s = 10
            "#,
        )
        .unwrap();
        assert_eq!(config.mode, MqttMode::External);
        assert_eq!(config.embedded.listen.port(), 0);
        assert_eq!(config.embedded.max_inflight, 64);
        assert_eq!(config.external.password.as_ref().map(Secret::expose), Some("s3cret"));
        assert!(!format!("{config:?}").contains("s3cret"));
    }

    #[test]
    fn refuses_unknown_keys_and_modes() {
        assert!(toml::from_str::<MqttConfig>("mood = \"embedded\"").is_err());
        assert!(toml::from_str::<MqttConfig>("mode = \"bridge\"").is_err());
        assert!(toml::from_str::<MqttConfig>("[external]\nhots = \"x\"").is_err());
    }
}
