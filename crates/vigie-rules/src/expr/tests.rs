//! Tests of the condition language: parsing, type errors with their columns, evaluation.

use super::*;
use proptest::prelude::*;
use vigie_core::{CommuneId, SensorId, ZoneId};

fn sensor(zone: Option<&str>) -> SensorInfo {
    SensorInfo {
        id: SensorId::parse("traffic-lino-01").unwrap(),
        kind: "traffic_flow".to_owned(),
        unit: "veh/h".to_owned(),
        zone: zone.map(|zone| ZoneId::parse(zone).unwrap()),
        commune: CommuneId::parse("21231").unwrap(),
        criticality: 2,
    }
}

#[track_caller]
fn holds(source: &str, value: f64, hour: u8) -> bool {
    let expr = match Expr::parse(source) {
        Ok(expr) => expr,
        Err(error) => panic!("{source:?} should parse: {error}"),
    };
    let sensor = sensor(Some("rocade-lino"));
    expr.holds(&Context { value, unit: "veh/h", hour, sensor: &sensor })
}

#[track_caller]
fn refused(source: &str) -> String {
    match Expr::parse(source) {
        Ok(_) => panic!("{source:?} should be refused"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn evaluates_comparisons_logic_and_arithmetic() {
    let rush_hour = "value < 500 && ((hour >= 7 && hour < 10) || (hour >= 16 && hour < 19))";
    assert!(holds(rush_hour, 300.0, 8));
    assert!(!holds(rush_hour, 300.0, 12));
    assert!(!holds(rush_hour, 900.0, 17));
    assert!(holds("!(value > 3) && -value == -2", 2.0, 0));
    assert!(holds("value * 2 + 1 == 5 && value % 2 == 0 && 10 / value == 5", 2.0, 0));
    assert!(holds("1 + 2 * 3 == 7 && (1 + 2) * 3 == 9 && 8 - 2 - 1 == 5", 0.0, 0));
    assert!(holds("2.5e1 == 25 && 1E-1 < 1", 0.0, 0));
    assert!(holds("true || false", 0.0, 0));
    assert!(!holds("false", 0.0, 0));
}

#[test]
fn reads_the_sensor_and_its_unit() {
    assert!(holds(
        "sensor.kind == \"traffic_flow\" && sensor.zone == 'rocade-lino' && sensor.commune == \"21231\"",
        0.0,
        0
    ));
    assert!(holds("sensor.id != \"x\" && sensor.criticality >= 2 && unit == \"veh/h\"", 0.0, 0));
    let no_zone = sensor(None);
    let expr = Expr::parse("sensor.zone == \"\"").unwrap();
    assert!(expr.holds(&Context { value: 0.0, unit: "veh/h", hour: 0, sensor: &no_zone }));
    assert!(holds("\"a\\\"b\" != 'a\\'b\\n\\t\\\\'", 0.0, 0));
}

#[test]
fn division_by_zero_is_unknown_and_absorbed_like_cel() {
    assert!(!holds("1 / value > 0", 0.0, 0));
    assert!(!holds("value % 0 == 0", 3.0, 0));
    assert!(!holds("!(1 / value > 0)", 0.0, 0));
    assert!(holds("1 / value > 0 || true", 0.0, 0));
    assert!(holds("true || 1 / value > 0", 0.0, 0));
    assert!(!holds("1 / value > 0 && false", 0.0, 0));
    assert!(!holds("1 / value > 0 && true", 0.0, 0));
    assert!(!holds("1 / value > 0 || false", 0.0, 0));
    assert!(!holds("value * 1e308 * 10 > 0", 1.0, 0));
    // A NaN reading compares false, as IEEE 754 says.
    assert!(!holds("value > 0", f64::NAN, 0));
    assert!(!holds("value <= 0", f64::NAN, 0));
}

#[test]
fn reports_errors_with_their_column() {
    assert_eq!(refused("value > "), "column 9: expected a value, a name or `(`, found the end of the expression");
    assert_eq!(
        refused("value > 2 && sensor.kin == \"x\""),
        "column 14: unknown name `sensor.kin`; known names are value, unit, hour, sensor.id, sensor.kind, \
         sensor.zone, sensor.commune, sensor.criticality"
    );
    assert_eq!(refused("value = 3"), "column 7: `=` is not an operator; write `==` to compare");
    assert_eq!(refused("value > 1 & hour < 3"), "column 11: `&` is not an operator; write `&&` for \"and\"");
    assert_eq!(
        refused("(value > 1"),
        "column 11: expected `)` to close the `(` at column 1, found the end of the expression"
    );
    assert_eq!(refused("value > 1)"), "column 10: expected an operator or the end of the expression, found `)`");
    assert_eq!(refused("unit == \"m"), "column 9: this string is not closed");
    assert_eq!(refused("value > 1.e3"), "column 10: expected digits after the decimal point");
    assert_eq!(refused("value > 2x"), "column 10: expected an operator after the number");
    assert_eq!(refused("value @ 2"), "column 7: unexpected character '@'");
    assert_eq!(refused("1 < value < 3"), "column 11: comparisons do not chain: combine `<` and `<` with `&&`");
    assert_eq!(refused(""), "column 1: expected a value, a name or `(`, found the end of the expression");
}

#[test]
fn checks_types_at_parse_time() {
    assert_eq!(refused("value + 1"), "column 1: a condition must be true or false, this one is a number");
    assert_eq!(refused("unit > 3"), "column 1: `>` takes numbers, found a string");
    assert_eq!(refused("value == \"3\""), "column 7: `==` compares a number with a string");
    assert_eq!(refused("value > 1 && hour"), "column 14: `&&` combines booleans, found a number");
    assert_eq!(refused("!value"), "column 2: `!` applies to a boolean, found a number");
    assert_eq!(refused("-(value > 1)"), "column 2: `-` applies to a number, found a boolean");
    assert_eq!(refused("sensor.kind + 1 == 2"), "column 1: `+` takes numbers, found a string");
}

#[test]
fn bounds_length_and_depth() {
    let deep = format!("{}value > 1{}", "(".repeat(100), ")".repeat(100));
    assert!(refused(&deep).contains("nests more than 48 levels deep"), "{}", refused(&deep));
    let long_chain = format!("{} > 1", vec!["value"; 100].join(" + "));
    assert!(refused(&long_chain).contains("nests more than 48 levels deep"));
    let nots = format!("{}true", "!".repeat(200));
    assert!(refused(&nots).contains("nests more than 48 levels deep"));
    let long = format!("value > {}", "1".repeat(1200));
    assert!(refused(&long).contains("at most 1000 are allowed"));
    // Within the bounds, a long expression is fine.
    let ok_chain = format!("{} > 1", vec!["value"; 40].join(" + "));
    assert!(holds(&ok_chain, 1.0, 0));
}

#[test]
fn serialises_as_its_source() {
    let expr = Expr::parse("value > 2").unwrap();
    assert_eq!(String::from(expr.clone()), "value > 2");
    assert_eq!(Expr::try_from("value > 2".to_owned()), Ok(expr));
    assert!(Expr::try_from("value >".to_owned()).is_err());
}

proptest! {
    #[test]
    fn parse_and_evaluate_never_panic(source in "[ -~]{0,60}", value in proptest::num::f64::ANY, hour in 0u8..24) {
        if let Ok(expr) = Expr::parse(&source) {
            let sensor = sensor(None);
            let _ = expr.holds(&Context { value, unit: "m", hour, sensor: &sensor });
        }
    }

    #[test]
    fn parse_never_panics_on_expression_like_text(
        parts in proptest::collection::vec(
            prop_oneof![
                Just("value"), Just("hour"), Just("unit"), Just("sensor.kind"), Just("("), Just(")"),
                Just("&&"), Just("||"), Just("!"), Just("-"), Just("+"), Just("/"), Just("%"), Just("=="),
                Just("<"), Just(">="), Just("1"), Just("0"), Just("2.5"), Just("\"m\""), Just("true"),
            ],
            0..40,
        ),
        value in proptest::num::f64::ANY,
    ) {
        let source = parts.join(" ");
        if let Ok(expr) = Expr::parse(&source) {
            let sensor = sensor(Some("z"));
            let _ = expr.holds(&Context { value, unit: "m", hour: 3, sensor: &sensor });
        }
    }

    #[test]
    fn errors_point_inside_or_just_after_the_text(source in "\\PC{0,40}") {
        if let Err(error) = Expr::parse(&source) {
            prop_assert!(error.column >= 1 && error.column <= source.chars().count() + 1, "{error}");
        }
    }
}
