//! Load errors: each names its file, line, rule and what is wrong; one bad rule does not hide
//! the others.

use std::path::PathBuf;
use vigie_rules::{Operator, load, load_str};

/// The rules of `text` must be refused; returns one line per error.
#[track_caller]
fn errors(text: &str) -> Vec<String> {
    match load_str("flood.toml", text) {
        Ok(rules) => panic!("should be refused, loaded {rules:?}"),
        Err(errors) => errors.0.iter().map(ToString::to_string).collect(),
    }
}

/// A valid rule, with `extra` lines appended and `when` as given.
fn rule(id: &str, when: &str, extra: &str) -> String {
    format!(
        "[[rule]]\nid = \"{id}\"\ncategory = \"flood\"\nseverity = 4\ndescription_fr = \"Crue\"\n\
         description_en = \"Flood\"\nselect = {{ kind = \"river_level\" }}\nwhen = {when}\n{extra}"
    )
}

#[test]
fn loads_every_operator() {
    let text = [
        rule("a", "{ threshold = { raise = 2.5, clear = 2.2 } }", "for_s = 120"),
        rule("b", "{ threshold = { raise = 1, below = true } }", ""),
        rule("c", "{ rate = { window_s = 3600, raise = 0.2 } }", ""),
        rule("d", "{ count = { at_least = 3, window_s = 600, condition = \"value > 2\" } }", ""),
        rule("e", "{ silence = { after_s = 900 } }", ""),
        rule("f", "{ correlation = { rules = [\"a\", \"e\"], at_least = 2, window_s = 120 } }", ""),
        rule("g", "{ condition = \"value > 2 && hour < 6\" }", ""),
    ]
    .join("\n");
    let rules = vigie_rules::load_str("flood.toml", &text).unwrap_or_else(|errors| panic!("{errors}"));
    let ids: Vec<&str> = rules.rules().iter().map(|rule| rule.id.as_str()).collect();
    assert_eq!(ids, ["a", "b", "c", "d", "e", "f", "g"]);
    assert_eq!(rules.get("a").map(|rule| rule.for_s), Some(120));
    let Some(Operator::Threshold(threshold)) = rules.get("b").map(|rule| &rule.when) else {
        panic!("b is a threshold");
    };
    assert_eq!((threshold.raise, threshold.clear, threshold.below), (1.0, 1.0, true));
    assert!(vigie_rules::load_str("empty.toml", "").is_ok_and(|rules| rules.rules().is_empty()));
}

#[test]
fn reports_syntax_errors_with_line_and_column() {
    let found = errors("[[rule]]\nid = \"a\"\nseverity = \n");
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].starts_with("flood.toml:3:"), "{}", found[0]);
}

#[test]
fn refuses_unknown_keys_everywhere() {
    let text = [
        "version = 2".to_owned(),
        rule("a", "{ threshold = { raise = 2.5 } }", "colour = \"red\""),
        rule("b", "{ threshold = { raise = 2.5, clearr = 2 } }", ""),
        rule("c", "{ threshold = { raise = 2.5 } }", "").replace("kind = ", "kinds = "),
        rule("d", "{ treshold = { raise = 2.5 } }", ""),
    ]
    .join("\n");
    let found = errors(&text);
    let rule_keys = "`id`, `category`, `severity`, `description_fr`, `description_en`, `select`, `when`, `for_s`";
    assert_eq!(
        found,
        [
            "flood.toml:1:1: unknown key `version`; a rules file holds only `[[rule]]` tables".to_owned(),
            format!("flood.toml:10:1: rule[0] \"a\": unknown field `colour`, expected one of {rule_keys}"),
            "flood.toml:18:37: rule[1] \"b\": unknown field `clearr`, expected one of `raise`, `clear`, `below`"
                .to_owned(),
            "flood.toml:26:12: rule[2] \"c\": unknown field `kinds`, expected one of `kind`, `id`, `zone`, `commune`"
                .to_owned(),
            "flood.toml:36:10: rule[3] \"d\": unknown variant `treshold`, expected one of `threshold`, `rate`, \
             `count`, `silence`, `correlation`, `condition`"
                .to_owned(),
        ]
    );
}

#[test]
fn reports_bad_values_at_their_line() {
    let text = [
        rule("ok", "{ threshold = { raise = 2.5 } }", ""),
        rule("a", "{ threshold = { raise = 2.5, clear = 2.8 } }", ""),
        rule("b", "{ threshold = { raise = 2.5, clear = 2.2, below = true } }", ""),
        rule("c", "{ threshold = { raise = 2.5 } }", "").replace("severity = 4", "severity = 7"),
        rule("d", "{ silence = { after_s = 900 } }", "for_s = 60"),
        rule("e e", "{ threshold = { raise = 2.5 } }", ""),
        rule("f", "{ rate = { window_s = 0, raise = 0.2 } }", ""),
        rule("g", "{ count = { at_least = 0, window_s = 60, condition = \"value > 1\" } }", ""),
        rule("h", "{ threshold = { raise = 2.5 } }", "").replace("\"Crue\"", "\"Crue à {capteur}\""),
        rule("i", "{ silence = { after_s = 60 } }", "").replace("\"Flood\"", "\"Silent at {value}\""),
        rule("j", "{ threshold = { raise = 2.5 } }", "").replace("\"flood\"", "\"in flood\""),
        rule("k", "{ threshold = { raise = 2.5 } }", "").replace("river_level\" }", "river_level\", zone = \"a b\" }"),
        rule("l", "{ threshold = { raise = 1 }, silence = { after_s = 1 } }", ""),
    ]
    .join("\n");
    let found = errors(&text);
    let expected = [
        "flood.toml:17:8: rule[1] \"a\": when.threshold: clear (2.8) must not be above raise (2.5) for a rising threshold",
        "flood.toml:26:8: rule[2] \"b\": when.threshold: clear (2.2) must not be below raise (2.5) for a falling threshold (below = true)",
        "flood.toml:31:12: rule[3] \"c\": severity: must be 1 to 5, found 7",
        "flood.toml:45:9: rule[4] \"d\": for_s: has no meaning for silence and correlation rules, whose windows already say how long",
        "flood.toml:47:6: rule[5] \"e e\": id: contains ' '; allowed are ASCII letters, digits, '-', '_', '.' and ':'",
        "flood.toml:62:8: rule[6] \"f\": when.rate: window_s must be 1 to 604800, found 0",
        "flood.toml:71:8: rule[7] \"g\": when.count: at_least must be 1 to 4096, found 0",
        "flood.toml:77:18: rule[8] \"h\": description_fr: has the placeholder {capteur}; this rule may use {sensor}, {zone}, {commune}, {value}, {unit}",
        "flood.toml:87:18: rule[9] \"i\": description_en: has the placeholder {value}; this rule may use {sensor}, {zone}, {commune}",
        "flood.toml:93:12: rule[10] \"j\": category: identifier contains ' '; allowed are ASCII letters, digits, '-', '_', '.' and ':'",
        "flood.toml:106:10: rule[11] \"k\": select.zone: \"a b\": identifier contains ' '; allowed are ASCII letters, digits, '-', '_', '.' and ':'",
        "flood.toml:116:8: rule[12] \"l\": when: must hold exactly one operator (`threshold`, `rate`, `count`, `silence`, `correlation` or `condition`), found `silence`, `threshold`",
    ];
    assert_eq!(found, expected);
}

#[test]
fn points_expression_errors_at_their_column() {
    let found = errors(&rule("a", "{ condition = \"value > 2 && sensor.kin == 'x'\" }", ""));
    assert_eq!(
        found,
        ["flood.toml:8:36: rule[0] \"a\": when.condition, column 14: unknown name `sensor.kin`; known names are \
          value, unit, hour, sensor.id, sensor.kind, sensor.zone, sensor.commune, sensor.criticality"]
    );
    let found = errors(&rule("a", "{ count = { at_least = 2, window_s = 60, condition = \"value >\" } }", ""));
    assert_eq!(
        found,
        [
            "flood.toml:8:69: rule[0] \"a\": when.count.condition, column 8: expected a value, a name or `(`, found the end of the expression"
        ]
    );
    // With an escape in the string, the error points at the string.
    let found = errors(&rule("a", "{ condition = \"unit == \\\"m\\\" && value\" }", ""));
    assert_eq!(
        found,
        ["flood.toml:8:22: rule[0] \"a\": when.condition, column 16: `&&` combines booleans, found a number"]
    );
}

#[test]
fn checks_ids_and_correlations_across_rules() {
    let text = [
        rule("a", "{ threshold = { raise = 2.5 } }", ""),
        rule("a", "{ threshold = { raise = 3 } }", ""),
        rule("c", "{ correlation = { rules = [\"a\", \"nope\"], at_least = 2, window_s = 60 } }", ""),
        rule("d", "{ correlation = { rules = [\"c\"], at_least = 1, window_s = 60 } }", ""),
        rule(
            "e",
            "{ correlation = { rules = [\"a\"], at_least = 1, kinds = [\"smoke\", \"heat\"], window_s = 60 } }",
            "",
        ),
    ]
    .join("\n");
    assert_eq!(
        errors(&text),
        [
            "flood.toml:44:8: rule[4] \"e\": when.correlation: at_least (1) must be at least the number of kinds (2), one sensor per kind",
            "flood.toml:10: rule[1] \"a\": the id \"a\" is already used by rule[0] of flood.toml:1",
            "flood.toml:26: rule[2] \"c\": when.correlation.rules: no rule has the id \"nope\"",
            "flood.toml:35: rule[3] \"d\": when.correlation.rules: \"c\" is a correlation itself; name the rules it correlates",
        ]
    );
}

#[test]
fn loads_a_folder_in_file_order_and_checks_across_files() {
    let dir = scratch_dir("across-files");
    std::fs::write(dir.join("b-fire.toml"), rule("same", "{ threshold = { raise = 1 } }", "")).unwrap_or_default();
    std::fs::write(dir.join("a-flood.toml"), rule("same", "{ threshold = { raise = 2 } }", "")).unwrap_or_default();
    std::fs::write(dir.join("README.md"), "not rules").unwrap_or_default();
    let found: Vec<String> = match load(&dir) {
        Ok(rules) => panic!("duplicate ids should be refused, loaded {rules:?}"),
        Err(errors) => errors.0.iter().map(ToString::to_string).collect(),
    };
    assert_eq!(
        found,
        ["b-fire.toml:1: rule[0] \"same\": the id \"same\" is already used by rule[0] of a-flood.toml:1"]
    );
    std::fs::write(dir.join("b-fire.toml"), rule("other", "{ threshold = { raise = 1 } }", "")).unwrap_or_default();
    let rules = load(&dir).unwrap_or_else(|errors| panic!("{errors}"));
    let ids: Vec<&str> = rules.rules().iter().map(|rule| rule.id.as_str()).collect();
    assert_eq!(ids, ["same", "other"]);
    std::fs::remove_dir_all(&dir).unwrap_or_default();
    let missing = load(&dir).map(|_| ()).unwrap_err().to_string();
    assert!(missing.contains("cannot read the rules folder"), "{missing}");
}

/// A fresh folder under the system's temporary folder, unique to this test process.
fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vigie-rules-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|error| panic!("cannot create a scratch folder: {error}"));
    dir
}
