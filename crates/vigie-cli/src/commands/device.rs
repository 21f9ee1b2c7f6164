//! `vigie device hash`: the argon2id hash of a device's secret, for a devices file.

use anyhow::{Context, bail};
use std::io::Read;
use std::process::ExitCode;

/// Reads the secret from standard input (so it stays out of shell history) and prints its hash.
pub(crate) fn hash() -> anyhow::Result<ExitCode> {
    let mut secret = String::new();
    std::io::stdin().read_to_string(&mut secret).context("cannot read the secret from standard input")?;
    let secret = secret.trim_end_matches(['\n', '\r']);
    if secret.len() < 12 {
        bail!("a device secret needs at least 12 characters");
    }
    let hash = vigie_ingest::mqtt::devices::hash_secret(secret).map_err(|error| anyhow::anyhow!("{error}"))?;
    println!("{hash}");
    Ok(ExitCode::SUCCESS)
}
