//! A rule, once loaded and checked: which sensors it watches ([`Selector`]), what it looks for
//! ([`Operator`]), and what it opens (category, severity, messages).

use crate::SensorInfo;
use crate::expr::Expr;
use serde::{Deserialize, Serialize};
use vigie_core::incident::Priority;
use vigie_core::{CategoryId, CommuneId, SensorId, ZoneId};

/// One checked rule of the city pack.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// Unique among the pack's rules; alarms and incidents name it (`rule:ouche-crue`).
    pub id: String,
    /// The incident category its alarms open, which selects the playbook.
    pub category: CategoryId,
    /// From 1 (information) to 5 (life safety).
    pub severity: u8,
    /// The alarm's message in French; may hold the placeholders of [`PLACEHOLDERS`].
    pub description_fr: String,
    /// The alarm's message in English; may hold the placeholders of [`PLACEHOLDERS`].
    pub description_en: String,
    pub select: Selector,
    pub when: Operator,
    /// The condition must hold this long before the alarm raises; 0 raises at once.
    pub for_s: u32,
}

/// Which sensors a rule watches. Each list, when not empty, must contain the sensor's
/// attribute; the lists combine with "and". An empty selector watches every sensor.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selector {
    pub kinds: Vec<String>,
    pub ids: Vec<SensorId>,
    pub zones: Vec<ZoneId>,
    pub communes: Vec<CommuneId>,
}

impl Selector {
    /// Tells whether the rule watches this sensor.
    pub fn matches(&self, sensor: &SensorInfo) -> bool {
        let kind_ok = self.kinds.is_empty() || self.kinds.contains(&sensor.kind);
        let id_ok = self.ids.is_empty() || self.ids.contains(&sensor.id);
        let zone_ok = self.zones.is_empty() || sensor.zone.as_ref().is_some_and(|zone| self.zones.contains(zone));
        let commune_ok = self.communes.is_empty() || self.communes.contains(&sensor.commune);
        kind_ok && id_ok && zone_ok && commune_ok
    }
}

/// What a rule looks for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    /// The reading crosses a threshold, with hysteresis.
    Threshold(Threshold),
    /// The reading changes faster than a threshold, in the sensor's unit per hour.
    Rate(Rate),
    /// At least `at_least` readings satisfy a condition within a window.
    Count(Count),
    /// The sensor has sent nothing for `after_s` seconds; checked by `tick`.
    Silence(Silence),
    /// Several sensors of one zone raise other rules' alarms within a window.
    Correlation(Correlation),
    /// A condition on the reading and its sensor holds.
    Condition(Expr),
}

/// A threshold with hysteresis: the alarm raises at `raise` and clears only once the value is
/// back past `clear`, so a value wavering between the two does not chatter.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Threshold {
    pub raise: f64,
    /// At or below `raise` for a rising threshold, at or above it for a falling one.
    pub clear: f64,
    /// A falling threshold: raises at or below `raise`, clears above `clear`.
    pub below: bool,
}

impl Threshold {
    /// The new state for `value`, given whether the threshold stood before: a rising threshold
    /// stands when `value >= raise`, or when it stood and `value > clear` (mirrored when
    /// `below`). A NaN value never stands.
    pub fn stands(&self, stood: bool, value: f64) -> bool {
        if self.below {
            value <= self.raise || (stood && value < self.clear)
        } else {
            value >= self.raise || (stood && value > self.clear)
        }
    }
}

/// A rate of change, computed over the readings kept in the window: from the oldest to the
/// newest, `(last - first) / elapsed`, in the sensor's unit per hour. The alarm's value is the
/// rate, and `{unit}` in its message reads `m/h` for a sensor in `m`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rate {
    pub window_s: u32,
    /// The readings must span at least this long for a rate to be computed; a shorter span
    /// gives no rate, which does not stand.
    pub min_span_s: u32,
    /// The threshold on the rate, in the unit per hour.
    pub threshold: Threshold,
}

/// At least `at_least` readings for which `condition` holds, within the last `window_s`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Count {
    pub at_least: u32,
    pub window_s: u32,
    pub condition: Expr,
}

/// No reading for `after_s` seconds raises; the next reading clears.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Silence {
    pub after_s: u32,
}

/// At least `at_least` distinct sensors of one zone, covering every kind of `kinds`, raised an
/// alarm of one of `rules` within `window_s` of one another. The alarm's subject is the zone; it
/// clears when no alarm of `rules` stands any more in the zone.
///
/// A member counts for `window_s` seconds from when its alarm raised, even if it cleared in
/// between (a brief puff of smoke); after that it no longer helps confirm, even if it still
/// stands. Sensors without a zone take no part.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correlation {
    /// The rules whose alarms count; none of them is a correlation.
    pub rules: Vec<String>,
    pub at_least: u32,
    /// Kinds that must all be among the sensors; may be empty.
    pub kinds: Vec<String>,
    pub window_s: u32,
}

/// The names a description may hold between braces, replaced in each alarm's message.
pub const PLACEHOLDERS: [&str; 5] = ["sensor", "zone", "commune", "value", "unit"];

/// Returns the priority of an alarm from its rule's severity and its sensor's criticality
/// (both 1 to 5, clamped): their product is 16 or more → P1, 9 to 15 → P2, 4 to 8 → P3,
/// less → P4.
///
/// A flood rule of severity 4 on a river gauge of criticality 5 is P1; the same rule on a
/// gauge of criticality 2 is P3; a sensor silence of severity 1 is P3 on a life-safety
/// detector and P4 on a traffic counter.
pub fn priority(severity: u8, criticality: u8) -> Priority {
    // One table for the whole of Vigie: alarm management's.
    vigie_core::alarm::priority_of(severity, criticality)
}

/// What fills a description's placeholders.
pub(crate) struct MessageArgs<'a> {
    pub(crate) sensor: &'a str,
    pub(crate) zone: &'a str,
    pub(crate) commune: &'a str,
    pub(crate) value: Option<f64>,
    pub(crate) unit: &'a str,
}

/// The language a number is written in: French writes a decimal comma.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Language {
    French,
    English,
}

/// Replaces `{sensor}`, `{zone}`, `{commune}`, `{value}` and `{unit}` in `template`. Templates
/// are checked at load time by [`check_template`]; anything else is copied as is.
pub(crate) fn render_message(template: &str, args: &MessageArgs<'_>, language: Language) -> String {
    let mut message = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        message.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            message.push_str(&rest[open..]);
            return message;
        };
        match &after[..close] {
            "sensor" => message.push_str(args.sensor),
            "zone" => message.push_str(args.zone),
            "commune" => message.push_str(args.commune),
            "value" => message.push_str(&args.value.map_or_else(|| "?".to_owned(), |v| format_number(v, language))),
            "unit" => message.push_str(args.unit),
            other => {
                message.push('{');
                message.push_str(other);
                message.push('}');
            }
        }
        rest = &after[close + 1..];
    }
    message.push_str(rest);
    message
}

/// Writes a number with at most three decimals: `2.6`, or `2,6` in French.
pub(crate) fn format_number(value: f64, language: Language) -> String {
    let rounded = (value * 1000.0).round() / 1000.0;
    // `-0` reads oddly in a message.
    let rounded = if rounded == 0.0 { 0.0 } else { rounded };
    let text = format!("{rounded}");
    match language {
        Language::French => text.replace('.', ","),
        Language::English => text,
    }
}

/// Checks that every `{...}` of `template` is one of `allowed`; returns what is wrong.
pub(crate) fn check_template(template: &str, allowed: &[&str]) -> Result<(), String> {
    let mut rest = template;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return Err("has a `}` without its `{`".to_owned());
        }
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            return Err("has a `{` without its `}`".to_owned());
        };
        let name = &after[..close];
        if !allowed.contains(&name) {
            let known = allowed.iter().map(|name| format!("{{{name}}}")).collect::<Vec<_>>().join(", ");
            return Err(format!("has the placeholder {{{name}}}; this rule may use {known}"));
        }
        rest = &after[close + 1..];
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priority_grows_with_severity_and_criticality() {
        let table: Vec<Vec<Priority>> =
            (1..=5).map(|severity| (1..=5).map(|criticality| priority(severity, criticality)).collect()).collect();
        use Priority::*;
        assert_eq!(
            table,
            [
                [P4, P4, P4, P3, P3],
                [P4, P3, P3, P3, P2],
                [P4, P3, P2, P2, P2],
                [P3, P3, P2, P1, P1],
                [P3, P2, P2, P1, P1],
            ]
        );
        assert_eq!(priority(0, 9), priority(1, 5));
    }

    #[test]
    fn hysteresis_stands_between_clear_and_raise_only_once_raised() {
        let rising = Threshold { raise: 2.5, clear: 2.2, below: false };
        assert!(!rising.stands(false, 2.4));
        assert!(rising.stands(false, 2.5));
        assert!(rising.stands(true, 2.3));
        assert!(!rising.stands(true, 2.2));
        assert!(!rising.stands(true, f64::NAN));
        let falling = Threshold { raise: 0.5, clear: 0.8, below: true };
        assert!(falling.stands(false, 0.5));
        assert!(falling.stands(true, 0.7));
        assert!(!falling.stands(true, 0.8));
        assert!(!falling.stands(false, 0.7));
    }

    #[test]
    fn renders_placeholders_with_a_decimal_comma_in_french() {
        let args = MessageArgs { sensor: "gauge-1", zone: "ouche", commune: "21231", value: Some(2.6049), unit: "m" };
        assert_eq!(render_message("{sensor} : {value} {unit}", &args, Language::French), "gauge-1 : 2,605 m");
        assert_eq!(render_message("{zone}/{commune} {value}", &args, Language::English), "ouche/21231 2.605");
        let silent = MessageArgs { value: None, ..args };
        assert_eq!(render_message("{value}", &silent, Language::English), "?");
        assert_eq!(format_number(-0.0001, Language::English), "0");
    }

    #[test]
    fn checks_placeholders() {
        assert_eq!(check_template("{sensor} at {value} {unit}", &PLACEHOLDERS), Ok(()));
        assert_eq!(
            check_template("{valeur}", &["sensor", "zone"]),
            Err("has the placeholder {valeur}; this rule may use {sensor}, {zone}".to_owned())
        );
        assert_eq!(check_template("a { b", &PLACEHOLDERS), Err("has a `{` without its `}`".to_owned()));
        assert_eq!(check_template("a } b", &PLACEHOLDERS), Err("has a `}` without its `{`".to_owned()));
    }
}
