//! `vigie audit`: check the audit log's hash chain and signed checkpoints (`verify`), print
//! the checkpoints' public key to publish (`public-key`), export the log as JSON lines.

use crate::config::Config;
use anyhow::{Context, anyhow, bail};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use vigie_auth::{AuditFilter, AuditLog, AuditPublicKey};

/// Where `vigie audit verify` finds the log and the key.
pub(crate) struct VerifyRequest {
    pub(crate) db: Option<PathBuf>,
    pub(crate) public_key: Option<String>,
    pub(crate) key_file: Option<PathBuf>,
}

fn config(config_file: Option<&Path>) -> anyhow::Result<Config> {
    Config::load(config_file, std::env::vars())
}

/// `vigie audit verify`: exit 0 when the log is intact, 1 with the first problem otherwise.
pub(crate) fn verify(config_file: Option<&Path>, request: &VerifyRequest) -> anyhow::Result<ExitCode> {
    let config = config(config_file)?;
    let db = request.db.clone().unwrap_or_else(|| config.audit_db());
    if !db.is_file() {
        bail!("there is no audit log at {}", db.display());
    }
    let public_key = match (&request.public_key, &request.key_file) {
        (Some(hex), _) => AuditPublicKey::from_hex(hex).map_err(|error| anyhow!("--public-key: {error}"))?,
        (None, key_file) => {
            let key_file = key_file.clone().unwrap_or_else(|| config.audit_key_file());
            if !key_file.is_file() {
                bail!("no signing key at {}: give --public-key HEX (the published key)", key_file.display());
            }
            vigie_auth::audit::public_key_of(&key_file)
                .with_context(|| format!("cannot read {}", key_file.display()))?
        }
    };
    let report = vigie_auth::verify(&db, &public_key).with_context(|| format!("cannot read {}", db.display()))?;
    println!(
        "{}: {} entries and {} checkpoints verified with key {}",
        db.display(),
        report.entries_verified,
        report.checkpoints_verified,
        public_key.to_hex()
    );
    match report.last_checkpoint_seq {
        Some(seq) => println!(
            "last checkpoint covers entry {seq}; {} entries after it are protected by the chain only",
            report.unsigned_tail
        ),
        None => println!("no checkpoint yet: {} entries are protected by the chain only", report.unsigned_tail),
    }
    match report.problem {
        None => {
            println!("audit log intact");
            Ok(ExitCode::SUCCESS)
        }
        Some(problem) => {
            eprintln!("audit log TAMPERED: {problem} ({})", serde_json::to_string(&problem).unwrap_or_default());
            Ok(ExitCode::FAILURE)
        }
    }
}

/// `vigie audit public-key`: the key that verifies the checkpoints (creating the signing key
/// if there is none yet).
pub(crate) fn public_key(config_file: Option<&Path>, key_file: Option<&Path>) -> anyhow::Result<ExitCode> {
    let config = config(config_file)?;
    let key_file = key_file.map(Path::to_path_buf).unwrap_or_else(|| config.audit_key_file());
    let key =
        vigie_auth::audit::public_key_of(&key_file).with_context(|| format!("cannot use {}", key_file.display()))?;
    println!("{}", key.to_hex());
    Ok(ExitCode::SUCCESS)
}

/// `vigie audit export`: signs a checkpoint, then writes every entry as JSON lines to
/// `output` (standard output by default).
pub(crate) fn export(config_file: Option<&Path>, output: Option<&Path>) -> anyhow::Result<ExitCode> {
    let config = config(config_file)?;
    let db = config.audit_db();
    if !db.is_file() {
        bail!("there is no audit log at {}", db.display());
    }
    let audit_config = vigie_auth::AuditConfig { checkpoint_every: config.audit.checkpoint_every };
    let log = AuditLog::open_files(&db, &config.audit_key_file(), audit_config)
        .with_context(|| format!("cannot open {}", db.display()))?;
    let now = {
        let millis = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis());
        vigie_core::Timestamp(i64::try_from(millis).unwrap_or(i64::MAX))
    };
    log.checkpoint(now).context("cannot sign a checkpoint")?;
    let count = match output {
        Some(path) => {
            let mut file = std::io::BufWriter::new(
                std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
            );
            let count = log.export_jsonl(&mut file, &AuditFilter::default())?;
            file.flush()?;
            count
        }
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            log.export_jsonl(&mut out, &AuditFilter::default())?
        }
    };
    eprintln!("{count} entries exported; public key {}", log.public_key().to_hex());
    Ok(ExitCode::SUCCESS)
}
