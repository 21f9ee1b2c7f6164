//! The one typed configuration: compiled-in defaults, then a file, then `VIGIE_*` variables.
//! Loaded and validated once at start, then passed explicitly.

use anyhow::{Context, bail};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

const DEFAULTS: &str = include_str!("default-config.toml");

/// Vigie's configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Config {
    pub(crate) version: u32,
    pub(crate) server: ServerConfig,
    pub(crate) city: CityConfig,
    pub(crate) store: StoreConfig,
    pub(crate) log: LogConfig,
    /// MQTT ingest; see the `[mqtt]` table in the README.
    #[serde(default)]
    pub(crate) mqtt: vigie_ingest::mqtt::MqttConfig,
    /// Accounts, sessions and lockout (`vigie_auth::AuthConfig`).
    #[serde(default)]
    pub(crate) auth: vigie_auth::AuthConfig,
    /// The audit log.
    #[serde(default)]
    pub(crate) audit: AuditSection,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ServerConfig {
    pub(crate) listen: SocketAddr,
    /// The built operator console (`web/dist`), served at `/`.
    pub(crate) console_dir: PathBuf,
    /// HTTPS: the certificate chain and private key (PEM). Without it the API is plain HTTP.
    #[serde(default)]
    pub(crate) tls: Option<TlsFiles>,
    /// With TLS, a plaintext listener that answers `/health` only (for load balancers).
    #[serde(default)]
    pub(crate) health_listen: Option<SocketAddr>,
    /// The per-client-address rate limit.
    #[serde(default)]
    pub(crate) rate_limit: vigie_web::SecurityConfig,
}

/// A certificate chain and its private key, as PEM files.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TlsFiles {
    pub(crate) cert: PathBuf,
    pub(crate) key: PathBuf,
}

/// The `[audit]` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct AuditSection {
    /// A checkpoint is signed after every this many entries (and at shutdown).
    pub(crate) checkpoint_every: u64,
    /// The checkpoint signing key; default `audit-signing.key` beside the event log. Keep it
    /// off the data volume where possible.
    pub(crate) key_file: Option<PathBuf>,
}

impl Default for AuditSection {
    fn default() -> Self {
        AuditSection { checkpoint_every: vigie_auth::AuditConfig::default().checkpoint_every, key_file: None }
    }
}

impl Config {
    /// The folder of the data files: the event log, `security.db`, `audit.db`, the media store.
    pub(crate) fn data_dir(&self) -> PathBuf {
        match self.store.path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }

    /// The audit log's database.
    pub(crate) fn audit_db(&self) -> PathBuf {
        self.data_dir().join(vigie_auth::audit::AUDIT_DB)
    }

    /// The checkpoint signing key.
    pub(crate) fn audit_key_file(&self) -> PathBuf {
        self.audit.key_file.clone().unwrap_or_else(|| self.data_dir().join(vigie_auth::audit::AUDIT_KEY_FILE))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CityConfig {
    pub(crate) pack: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StoreConfig {
    pub(crate) path: PathBuf,
    pub(crate) snapshot_every_events: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LogConfig {
    pub(crate) filter: String,
    pub(crate) format: LogFormat,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum LogFormat {
    Text,
    Json,
}

/// Merges `overlay` into `base`, table by table.
fn merge(base: &mut toml::Table, overlay: toml::Table) {
    for (key, value) in overlay {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(base_table)), toml::Value::Table(overlay_table)) => {
                merge(base_table, overlay_table)
            }
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// Turns an environment value into TOML of the type the key already has (from the defaults or
/// the file): an integer or a boolean where one is expected, else a string — so a password of
/// digits stays a string.
fn env_value(key: &str, text: &str, current: Option<&toml::Value>) -> toml::Value {
    match current {
        Some(toml::Value::Integer(_)) => {
            text.parse::<i64>().map_or_else(|_| toml::Value::String(text.to_owned()), toml::Value::Integer)
        }
        Some(toml::Value::Boolean(_)) => match text {
            "true" => toml::Value::Boolean(true),
            "false" => toml::Value::Boolean(false),
            _ => toml::Value::String(text.to_owned()),
        },
        Some(toml::Value::Float(_)) => {
            text.parse::<f64>().map_or_else(|_| toml::Value::String(text.to_owned()), toml::Value::Float)
        }
        Some(_) => toml::Value::String(text.to_owned()),
        // Credentials are text, whatever they look like.
        None if matches!(key, "username" | "password") => toml::Value::String(text.to_owned()),
        None => {
            // Any other key absent from the defaults: guess from the text.
            if let Ok(integer) = text.parse::<i64>() {
                return toml::Value::Integer(integer);
            }
            match text {
                "true" => toml::Value::Boolean(true),
                "false" => toml::Value::Boolean(false),
                _ => toml::Value::String(text.to_owned()),
            }
        }
    }
}

impl Config {
    /// Loads the defaults, then `file` if given, then the environment variables in `env`.
    pub(crate) fn load(file: Option<&Path>, env: impl Iterator<Item = (String, String)>) -> anyhow::Result<Config> {
        // The compiled-in defaults are part of the binary and tested; they always parse.
        let mut table: toml::Table = toml::from_str(DEFAULTS).context("the compiled-in defaults do not parse")?;
        if let Some(file) = file {
            let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
            let overlay: toml::Table =
                toml::from_str(&text).with_context(|| format!("{} is not valid TOML", file.display()))?;
            merge(&mut table, overlay);
        }
        for (name, value) in env {
            let Some(rest) = name.strip_prefix("VIGIE_") else { continue };
            // VIGIE_SECTION__KEY, or deeper: VIGIE_MQTT__EMBEDDED__LISTEN.
            let path: Vec<String> = rest.split("__").map(str::to_ascii_lowercase).collect();
            let Some((key, sections)) = path.split_last() else { continue };
            if sections.is_empty() {
                continue;
            }
            let mut current = &mut table;
            for section in sections {
                let entry = current.entry(section.clone()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
                let Some(next) = entry.as_table_mut() else {
                    bail!("{name}: {section} is not a section");
                };
                current = next;
            }
            let typed = env_value(key, &value, current.get(key));
            current.insert(key.clone(), typed);
        }
        let config: Config = toml::Value::Table(table)
            .try_into()
            .context("invalid configuration (see the configuration table in the README)")?;
        if config.version != 1 {
            bail!("unsupported configuration version {} (this Vigie reads version 1)", config.version);
        }
        if config.store.snapshot_every_events == 0 {
            bail!("store.snapshot_every_events must be at least 1");
        }
        if config.server.health_listen.is_some() && config.server.tls.is_none() {
            bail!("server.health_listen is for TLS servers: without [server.tls] the API port answers /health already");
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_load() {
        let config = Config::load(None, std::iter::empty()).unwrap();
        assert_eq!(config.server.listen.port(), 8080);
        assert_eq!(config.log.format, LogFormat::Text);
    }

    #[test]
    fn file_then_environment_override() {
        let path = std::env::temp_dir().join(format!("vigie-config-{}.toml", std::process::id()));
        std::fs::write(&path, "[server]\nlisten = \"127.0.0.1:9000\"\n[store]\npath = \"x.db\"\n").unwrap();
        let env = vec![
            ("VIGIE_SERVER__LISTEN".to_owned(), "127.0.0.1:9100".to_owned()),
            ("VIGIE_STORE__SNAPSHOT_EVERY_EVENTS".to_owned(), "42".to_owned()),
        ];
        let config = Config::load(Some(&path), env.into_iter()).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(config.server.listen.port(), 9100);
        assert_eq!(config.store.path, PathBuf::from("x.db"));
        assert_eq!(config.store.snapshot_every_events, 42);
    }

    #[test]
    fn nested_sections_take_environment_overrides() {
        let env = vec![
            ("VIGIE_MQTT__MODE".to_owned(), "embedded".to_owned()),
            ("VIGIE_MQTT__EMBEDDED__LISTEN".to_owned(), "127.0.0.1:1999".to_owned()),
        ];
        let config = Config::load(None, env.into_iter()).unwrap();
        assert_eq!(config.mqtt.mode, vigie_ingest::mqtt::MqttMode::Embedded);
        assert_eq!(config.mqtt.embedded.listen.port(), 1999);
    }

    #[test]
    fn environment_values_take_the_type_of_their_key() {
        let env = vec![
            ("VIGIE_MQTT__EXTERNAL__CLIENT_ID".to_owned(), "123456".to_owned()),
            ("VIGIE_MQTT__EXTERNAL__PORT".to_owned(), "1999".to_owned()),
            ("VIGIE_MQTT__EMBEDDED__ALLOW_ANONYMOUS".to_owned(), "true".to_owned()),
            ("VIGIE_MQTT__EXTERNAL__PASSWORD".to_owned(), "000123".to_owned()),
        ];
        let config = Config::load(None, env.into_iter()).unwrap();
        assert_eq!(config.mqtt.external.client_id, "123456");
        assert_eq!(config.mqtt.external.port, 1999);
        assert!(config.mqtt.embedded.allow_anonymous);
        assert_eq!(config.mqtt.external.password.as_ref().map(|secret| secret.expose()), Some("000123"));
    }

    #[test]
    fn security_sections_load_from_the_environment() {
        let env = vec![
            ("VIGIE_SERVER__TLS__CERT".to_owned(), "/etc/vigie/cert.pem".to_owned()),
            ("VIGIE_SERVER__TLS__KEY".to_owned(), "/etc/vigie/key.pem".to_owned()),
            ("VIGIE_SERVER__HEALTH_LISTEN".to_owned(), "127.0.0.1:8081".to_owned()),
            ("VIGIE_AUTH__LOCKOUT_S".to_owned(), "60".to_owned()),
            ("VIGIE_SERVER__RATE_LIMIT__REQUESTS_PER_SECOND".to_owned(), "0".to_owned()),
            ("VIGIE_STORE__PATH".to_owned(), "/var/lib/vigie/vigie.db".to_owned()),
        ];
        let config = Config::load(None, env.into_iter()).unwrap();
        assert_eq!(config.server.tls.as_ref().map(|tls| tls.cert.clone()), Some(PathBuf::from("/etc/vigie/cert.pem")));
        assert_eq!(config.server.health_listen.map(|address| address.port()), Some(8081));
        assert_eq!(config.auth.lockout_s, 60);
        assert_eq!(config.auth.max_failed_logins, 5, "the other keys keep their defaults");
        assert_eq!(config.server.rate_limit.requests_per_second, 0);
        assert_eq!(config.audit_db(), PathBuf::from("/var/lib/vigie/audit.db"));
        assert_eq!(config.audit_key_file(), PathBuf::from("/var/lib/vigie/audit-signing.key"));
        let defaults = Config::load(None, std::iter::empty()).unwrap();
        assert!(defaults.server.tls.is_none() && defaults.server.rate_limit.requests_per_second > 0);
        let lonely = vec![("VIGIE_SERVER__HEALTH_LISTEN".to_owned(), "127.0.0.1:8081".to_owned())];
        assert!(Config::load(None, lonely.into_iter()).is_err(), "a health port without TLS is refused");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let env = vec![("VIGIE_SERVER__LISTNE".to_owned(), "x".to_owned())];
        let error = Config::load(None, env.into_iter()).unwrap_err();
        assert!(format!("{error:#}").contains("listne"), "{error:#}");
    }
}
