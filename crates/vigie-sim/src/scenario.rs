//! What a scenario is, as the configuration and the `--scenario flood@600` flag name it, and
//! the steps of a planned scenario as the console shows them.

use crate::error::ScenarioParseError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use vigie_core::{SensorId, Timestamp, ZoneId};

/// A scenario the simulator can play into a city.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScenarioKind {
    /// The main river's gauges rise over hours, downstream later than upstream, then recede;
    /// the rain gauges see a downpour.
    Flood,
    /// A fire in the library: a smoke detector first, a heat detector past 57 °C about a
    /// minute later, then the building's other detectors.
    LibraryFire,
    /// An intrusion detector of an armed building triggers at night: at the scenario's start
    /// when it is already night (22:00 to 05:00 local), otherwise between 01:00 and 04:00 of
    /// the next night.
    NightIntrusion,
    /// The flow at one counter of a main road collapses for about half an hour while the
    /// road's other counters carry on. It starts when asked, rush hour or not: start it
    /// around 08:00 or 18:00 local for the full picture.
    RushHourJam,
    /// The crowd counters of one event area climb to several thousand persons in 20 minutes.
    CrowdGathering,
    /// One sensor stops reporting.
    SensorSilent,
    /// A power dip in the main commune trips the fire panels of several public buildings:
    /// for about ten minutes, every smoke detector of at least four buildings reports an
    /// alarm, with no fire (heat detectors carry on as usual). The classic alarm flood.
    PowerCut,
}

impl ScenarioKind {
    /// Every scenario, in the order the documentation lists them.
    pub const ALL: [ScenarioKind; 7] = [
        ScenarioKind::Flood,
        ScenarioKind::LibraryFire,
        ScenarioKind::NightIntrusion,
        ScenarioKind::RushHourJam,
        ScenarioKind::CrowdGathering,
        ScenarioKind::SensorSilent,
        ScenarioKind::PowerCut,
    ];

    /// Returns the scenario's name as configuration writes it (`library_fire`).
    pub fn as_str(self) -> &'static str {
        match self {
            ScenarioKind::Flood => "flood",
            ScenarioKind::LibraryFire => "library_fire",
            ScenarioKind::NightIntrusion => "night_intrusion",
            ScenarioKind::RushHourJam => "rush_hour_jam",
            ScenarioKind::CrowdGathering => "crowd_gathering",
            ScenarioKind::SensorSilent => "sensor_silent",
            ScenarioKind::PowerCut => "power_cut",
        }
    }

    /// Returns the short name a command line may use instead (`fire`).
    pub fn short_name(self) -> &'static str {
        match self {
            ScenarioKind::Flood => "flood",
            ScenarioKind::LibraryFire => "fire",
            ScenarioKind::NightIntrusion => "intrusion",
            ScenarioKind::RushHourJam => "jam",
            ScenarioKind::CrowdGathering => "crowd",
            ScenarioKind::SensorSilent => "silent",
            ScenarioKind::PowerCut => "power-cut",
        }
    }

    /// Returns every accepted name, for help texts and error messages.
    pub fn names() -> String {
        let names: Vec<String> =
            ScenarioKind::ALL.iter().map(|kind| format!("{} ({})", kind.as_str(), kind.short_name())).collect();
        names.join(", ")
    }
}

impl fmt::Display for ScenarioKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ScenarioKind {
    type Err = ScenarioParseError;

    /// Parses a full name (`library_fire`, also `library-fire` or `libraryfire`) or a short
    /// one (`fire`, `power-cut`, also `power_cut` or `powercut`), whatever the case.
    fn from_str(text: &str) -> Result<ScenarioKind, ScenarioParseError> {
        let bare = |name: &str| name.trim().to_ascii_lowercase().replace(['-', '_'], "");
        let name = bare(text);
        ScenarioKind::ALL
            .into_iter()
            .find(|kind| bare(kind.as_str()) == name || bare(kind.short_name()) == name)
            .ok_or_else(|| ScenarioParseError::UnknownKind { name: text.to_owned() })
    }
}

/// A scenario to play, and when: `starts_after_s` seconds after the simulation's start.
///
/// On a command line it reads `kind@delay`: `flood@600`, `fire@10m`, `jam@1h30m`, or `crowd`
/// alone for a scenario that starts at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioSpec {
    pub kind: ScenarioKind,
    #[serde(default)]
    pub starts_after_s: u64,
}

impl fmt::Display for ScenarioSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.kind, self.starts_after_s)
    }
}

impl FromStr for ScenarioSpec {
    type Err = ScenarioParseError;

    fn from_str(text: &str) -> Result<ScenarioSpec, ScenarioParseError> {
        let (name, delay) = match text.split_once('@') {
            Some((name, delay)) => (name, Some(delay)),
            None => (text, None),
        };
        let kind = name.parse()?;
        let starts_after_s = match delay {
            Some(delay) => parse_delay(delay)?,
            None => 0,
        };
        Ok(ScenarioSpec { kind, starts_after_s })
    }
}

/// Parses `600` (seconds) or amounts with units, `600s`, `10m`, `2h`, `1h30m`, into seconds.
fn parse_delay(text: &str) -> Result<u64, ScenarioParseError> {
    let bad = || ScenarioParseError::BadDelay { text: text.to_owned() };
    let trimmed = text.trim();
    if !trimmed.is_empty() && trimmed.bytes().all(|byte| byte.is_ascii_digit()) {
        return trimmed.parse().map_err(|_| bad());
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    for character in trimmed.chars() {
        let multiplier = match character {
            '0'..='9' => {
                digits.push(character);
                continue;
            }
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return Err(bad()),
        };
        let amount: u64 = digits.parse().map_err(|_| bad())?;
        digits.clear();
        total = amount.checked_mul(multiplier).and_then(|seconds| total.checked_add(seconds)).ok_or_else(bad)?;
    }
    if !digits.is_empty() || trimmed.is_empty() {
        return Err(bad());
    }
    Ok(total)
}

/// One step of a planned scenario: what happens, when, where and to which sensors.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScenarioStep {
    pub time: Timestamp,
    pub scenario: ScenarioKind,
    /// What happens, in English (`smoke detected by smoke-bibliotheque-03`).
    pub what: String,
    /// The river, building, road or area concerned, when there is one.
    pub zone: Option<ZoneId>,
    /// The sensors whose readings show it.
    pub sensors: Vec<SensorId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> Result<ScenarioSpec, ScenarioParseError> {
        text.parse()
    }

    #[test]
    fn parses_the_command_line_form() {
        assert_eq!(spec("flood@600"), Ok(ScenarioSpec { kind: ScenarioKind::Flood, starts_after_s: 600 }));
        assert_eq!(spec("fire@10m"), Ok(ScenarioSpec { kind: ScenarioKind::LibraryFire, starts_after_s: 600 }));
        assert_eq!(spec("library-fire@2h"), Ok(ScenarioSpec { kind: ScenarioKind::LibraryFire, starts_after_s: 7200 }));
        assert_eq!(spec("Rush_Hour_Jam@30s"), Ok(ScenarioSpec { kind: ScenarioKind::RushHourJam, starts_after_s: 30 }));
        assert_eq!(spec("jam@1h30m"), Ok(ScenarioSpec { kind: ScenarioKind::RushHourJam, starts_after_s: 5400 }));
        assert_eq!(spec("crowd"), Ok(ScenarioSpec { kind: ScenarioKind::CrowdGathering, starts_after_s: 0 }));
        for power_cut in ["power-cut@10m", "powercut@600", "POWER_CUT@10m", "Power-Cut@600s"] {
            assert_eq!(spec(power_cut), Ok(ScenarioSpec { kind: ScenarioKind::PowerCut, starts_after_s: 600 }));
        }
        assert_eq!(ScenarioKind::PowerCut.to_string(), "power_cut");
        assert_eq!(ScenarioKind::PowerCut.short_name(), "power-cut");
        for kind in ScenarioKind::ALL {
            let written = ScenarioSpec { kind, starts_after_s: 42 };
            assert_eq!(spec(&written.to_string()), Ok(written));
        }
    }

    #[test]
    fn refuses_unknown_scenarios_and_bad_delays() {
        let unknown = spec("earthquake@5");
        assert_eq!(unknown, Err(ScenarioParseError::UnknownKind { name: "earthquake".to_owned() }));
        for bad in
            ["flood@", "flood@-5", "flood@1.5h", "flood@m", "flood@10d", "flood@1h30", "flood@99999999999999999999h"]
        {
            assert!(matches!(spec(bad), Err(ScenarioParseError::BadDelay { .. })), "{bad}");
        }
    }

    #[test]
    fn the_error_lists_the_known_names() {
        let message = match spec("earthquake") {
            Err(error) => error.to_string(),
            Ok(parsed) => panic!("parsed {parsed}"),
        };
        assert!(message.contains("earthquake"), "{message}");
        for kind in ScenarioKind::ALL {
            assert!(message.contains(kind.as_str()) && message.contains(kind.short_name()), "{message}");
        }
    }
}
