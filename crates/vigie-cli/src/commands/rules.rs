//! `vigie rules test`: replays a recorded stream through a rules folder and prints the alarms it
//! yields, so a rule author can check a rule before deploying it.

use anyhow::{Context, anyhow};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

/// Loads `rules`, checks them against the pack at `city`, replays `replay`, prints the changes.
pub(crate) fn test(rules: &Path, replay: &Path, city: &Path) -> anyhow::Result<ExitCode> {
    let city = Arc::new(
        vigie_city::load(city).map_err(|errors| anyhow!("the city pack {} is invalid:\n{errors}", city.display()))?,
    );
    let rule_set = match vigie_rules::load(rules) {
        Ok(rule_set) => rule_set,
        Err(errors) => {
            eprintln!("{errors}");
            eprintln!("{}: {} error(s)", rules.display(), errors.0.len());
            return Ok(ExitCode::FAILURE);
        }
    };
    let rulebook = vigie_engine::RuleBook::new(city, rule_set);
    let problems = rulebook.check();
    if !problems.is_empty() {
        for problem in &problems {
            eprintln!("{}: {problem}", rules.display());
        }
        return Ok(ExitCode::FAILURE);
    }
    let fixture = std::fs::read_to_string(replay).with_context(|| format!("cannot read {}", replay.display()))?;
    match vigie_rules::replay(&rulebook.rules, &rulebook.sensor_list, &fixture) {
        Ok(changes) => {
            print!("{}", vigie_rules::render(&changes));
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            eprintln!("{}: {error}", replay.display());
            Ok(ExitCode::FAILURE)
        }
    }
}
