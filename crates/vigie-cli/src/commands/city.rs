//! `vigie city check DIR`.

use std::path::Path;
use std::process::ExitCode;

/// Loads the pack and prints every error, or a summary.
pub(crate) fn check(dir: &Path) -> anyhow::Result<ExitCode> {
    match vigie_city::load(dir) {
        Ok(city) => {
            let city = std::sync::Arc::new(city);
            let rulebook = match vigie_engine::RuleBook::load(city.clone(), dir) {
                Ok(rulebook) => rulebook,
                Err(error) => {
                    eprintln!("{error}");
                    eprintln!("{}: the rules cannot run", dir.display());
                    return Ok(ExitCode::FAILURE);
                }
            };
            println!(
                "{}: ok — {} communes, {} command posts, {} sensors, {} cameras, {} zones, {} units, {} incident categories, {} rules",
                city.name,
                city.communes.len(),
                city.posts.len(),
                city.sensors.len(),
                city.cameras.len(),
                city.zones.len(),
                city.units.len(),
                city.policies.categories.len(),
                rulebook.rules.rules().len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(errors) => {
            eprintln!("{errors}");
            eprintln!("{}: {} error(s)", dir.display(), errors.0.len());
            Ok(ExitCode::FAILURE)
        }
    }
}
