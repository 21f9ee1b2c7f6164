//! Reading the rules of a city pack: every `*.toml` file of its `rules/` folder, each holding
//! `[[rule]]` tables. Every rule is checked on its own, so one mistake does not hide the others,
//! and every error names its file, line, rule and what is wrong.
//!
//! The format, with every key:
//!
//! ```toml
//! [[rule]]
//! id = "ouche-crue"                 # unique in the pack: letters, digits, '-', '_', '.', ':'
//! category = "flood"                # the incident category (a playbook of the pack)
//! severity = 4                      # 1 (information) to 5 (life safety)
//! description_fr = "Crue de l'Ouche : {value} {unit} à {sensor}"
//! description_en = "Ouche flood: {value} {unit} at {sensor}"
//! select = { kind = "river_level", zone = "riviere-ouche" }   # kind, id, zone, commune:
//!                                   # each a string or a list; optional, default every sensor
//! when = { threshold = { raise = 2.5, clear = 2.2 } }          # exactly one operator
//! for_s = 120                       # optional, default 0
//! ```
//!
//! The operators of `when`:
//!
//! - `threshold = { raise, clear?, below? }`: `clear` defaults to `raise` (no hysteresis).
//! - `rate = { window_s, raise, clear?, below?, min_span_s? }`: in the unit per hour.
//! - `count = { at_least, window_s, condition }`.
//! - `silence = { after_s }`.
//! - `correlation = { rules, at_least, window_s, kinds? }`.
//! - `condition = "<expression>"`: see [`crate::expr`].

use crate::engine::MAX_WINDOW_READINGS;
use crate::expr::{Expr, ExprError};
use crate::rule::{
    Correlation, Count, Operator, PLACEHOLDERS, Rate, Rule, Selector, Silence, Threshold, check_template,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::Path;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};
use vigie_core::{CategoryId, CommuneId, SensorId, ZoneId};

/// The longest window a rule may declare: a week. Windows are kept in memory.
pub const MAX_WINDOW_S: u32 = 7 * 24 * 3600;

/// The pack's rules, checked: ids are unique and every correlation names existing rules that
/// are not correlations. Only [`load`] and [`load_str`] build one.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RuleSet {
    rules: Vec<Rule>,
}

impl RuleSet {
    /// Returns the rules, in file-name order, then in their order in each file.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Returns the rule with this id.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|rule| rule.id == id)
    }
}

/// One problem found in the rules.
///
/// Displayed as `file:line:column: rule[index] "id": message`, for example
/// `flood.toml:14:22: rule[1] "ouche-crue": when.threshold: clear (2.8) must not be above raise (2.5)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleError {
    /// The file, relative to the rules folder (`flood.toml`); the folder itself when it cannot
    /// be read.
    pub file: String,
    /// 1-based line in the file, when known.
    pub line: Option<usize>,
    /// 1-based column in the line, in characters, when known.
    pub column: Option<usize>,
    /// The rule's position among the file's `[[rule]]` tables, from 0.
    pub rule_index: Option<usize>,
    /// The rule's id, when it could be read.
    pub rule_id: Option<String>,
    /// What is wrong, lowercase, without a trailing period.
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        f.write_str(": ")?;
        if let Some(index) = self.rule_index {
            write!(f, "rule[{index}]")?;
            if let Some(id) = &self.rule_id {
                write!(f, " {id:?}")?;
            }
            f.write_str(": ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for RuleError {}

/// Every problem found in the rules: each file's in line order, then those across rules. Never
/// empty when returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleErrors(pub Vec<RuleError>);

impl fmt::Display for RuleErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.0.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for RuleErrors {}

/// Loads every `*.toml` file of a rules folder, in file-name order; other files are ignored.
/// An empty folder is an empty rule set.
pub fn load(dir: &Path) -> Result<RuleSet, RuleErrors> {
    let folder_error = |message: String| {
        RuleErrors(vec![RuleError {
            file: dir.display().to_string(),
            line: None,
            column: None,
            rule_index: None,
            rule_id: None,
            message,
        }])
    };
    let entries =
        std::fs::read_dir(dir).map_err(|error| folder_error(format!("cannot read the rules folder: {error}")))?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|error| folder_error(format!("cannot read the rules folder: {error}")))?;
        let path = entry.path();
        if path.is_file() && path.extension().is_some_and(|extension| extension == "toml") {
            files.push(path);
        }
    }
    files.sort();
    let mut loader = Loader::default();
    for path in files {
        let name = path.file_name().map_or_else(String::new, |name| name.to_string_lossy().into_owned());
        match std::fs::read_to_string(&path) {
            Ok(text) => loader.add_file(&name, &text),
            Err(error) => loader.errors.push(RuleError {
                file: name,
                line: None,
                column: None,
                rule_index: None,
                rule_id: None,
                message: format!("cannot read the file: {error}"),
            }),
        }
    }
    loader.finish()
}

/// Loads the rules of one file's text; `file` names it in errors.
pub fn load_str(file: &str, text: &str) -> Result<RuleSet, RuleErrors> {
    let mut loader = Loader::default();
    loader.add_file(file, text);
    loader.finish()
}

// ---------------------------------------------------------------------------------------------
// The file format, as serde reads it. `Spanned` values carry their place in the file.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: Spanned<String>,
    category: Spanned<String>,
    severity: Spanned<i64>,
    description_fr: Spanned<String>,
    description_en: Spanned<String>,
    #[serde(default)]
    select: Option<Spanned<RawSelect>>,
    when: Spanned<RawWhen>,
    #[serde(default)]
    for_s: Option<Spanned<u32>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSelect {
    #[serde(default)]
    kind: OneOrMany,
    #[serde(default)]
    id: OneOrMany,
    #[serde(default)]
    zone: OneOrMany,
    #[serde(default)]
    commune: OneOrMany,
}

/// A string or a list of strings.
#[derive(Deserialize)]
#[serde(untagged, expecting = "a string or a list of strings")]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl Default for OneOrMany {
    fn default() -> Self {
        OneOrMany::Many(Vec::new())
    }
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(one) => vec![one],
            OneOrMany::Many(many) => many,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum RawWhen {
    Threshold(RawThreshold),
    Rate(RawRate),
    Count(RawCount),
    Silence(RawSilence),
    Correlation(RawCorrelation),
    Condition(Spanned<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawThreshold {
    raise: f64,
    #[serde(default)]
    clear: Option<f64>,
    #[serde(default)]
    below: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRate {
    window_s: u32,
    raise: f64,
    #[serde(default)]
    clear: Option<f64>,
    #[serde(default)]
    below: bool,
    #[serde(default)]
    min_span_s: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCount {
    at_least: u32,
    window_s: u32,
    condition: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSilence {
    after_s: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCorrelation {
    rules: Vec<String>,
    at_least: u32,
    window_s: u32,
    #[serde(default)]
    kinds: Vec<String>,
}

// ---------------------------------------------------------------------------------------------
// Checking

/// Where a checked rule came from, for the checks across rules.
struct Origin {
    file: String,
    line: usize,
    index: usize,
    /// The line of `when`, where correlations name their rules.
    when_line: usize,
}

#[derive(Default)]
struct Loader {
    rules: Vec<(Rule, Origin)>,
    errors: Vec<RuleError>,
}

impl Loader {
    fn add_file(&mut self, file: &str, text: &str) {
        let first_error = self.errors.len();
        self.add_document(file, text);
        // Keys come out of the parser sorted by name; report in line order instead.
        self.errors[first_error..].sort_by_key(|error| (error.line, error.column));
    }

    fn add_document(&mut self, file: &str, text: &str) {
        let document = match DeTable::parse(text) {
            Ok(document) => document,
            Err(error) => {
                self.errors.push(file_error_at(
                    file,
                    text,
                    error.span().map_or(0, |span| span.start),
                    error.message().trim_end().to_owned(),
                ));
                return;
            }
        };
        for (key, value) in document.into_inner() {
            let key_text = key.get_ref().to_string();
            if key_text != "rule" {
                self.errors.push(file_error_at(
                    file,
                    text,
                    key.span().start,
                    format!("unknown key `{key_text}`; a rules file holds only `[[rule]]` tables"),
                ));
                continue;
            }
            let DeValue::Array(items) = value.get_ref() else {
                self.errors.push(file_error_at(
                    file,
                    text,
                    value.span().start,
                    "`rule` must be an array of tables, written [[rule]]".to_owned(),
                ));
                continue;
            };
            for (index, item) in items.iter().enumerate() {
                let mut checker = Checker { file, text, index, id: peek_id(item.get_ref()), errors: &mut self.errors };
                let item_start = item.span().start;
                if let Some((span, message)) = check_when_shape(item.get_ref()) {
                    checker.fail(span, message);
                    continue;
                }
                match RawRule::deserialize(ValueDeserializer::from(item.clone())) {
                    Ok(raw) => {
                        if let Some((rule, when_line)) = checker.check(raw) {
                            let origin = Origin {
                                file: file.to_owned(),
                                line: line_column(text, item_start).0,
                                index,
                                when_line,
                            };
                            self.rules.push((rule, origin));
                        }
                    }
                    Err(error) => {
                        let span = error.span().unwrap_or(item_start..item_start);
                        checker.fail(span, error.message().trim_end().to_owned());
                    }
                }
            }
        }
    }

    /// Runs the checks across rules and files.
    fn finish(mut self) -> Result<RuleSet, RuleErrors> {
        let mut first_by_id: BTreeMap<&str, &Origin> = BTreeMap::new();
        let mut cross_errors = Vec::new();
        for (rule, origin) in &self.rules {
            if let Some(first) = first_by_id.get(rule.id.as_str()) {
                cross_errors.push(rule_error(
                    origin,
                    &rule.id,
                    origin.line,
                    format!(
                        "the id {:?} is already used by rule[{}] of {}:{}",
                        rule.id, first.index, first.file, first.line
                    ),
                ));
            } else {
                first_by_id.insert(&rule.id, origin);
            }
        }
        for (rule, origin) in &self.rules {
            let Operator::Correlation(correlation) = &rule.when else {
                continue;
            };
            for member in &correlation.rules {
                let message = match self.rules.iter().find(|(other, _)| &other.id == member) {
                    None => format!("when.correlation.rules: no rule has the id {member:?}"),
                    Some((other, _)) if matches!(other.when, Operator::Correlation(_)) => {
                        format!(
                            "when.correlation.rules: {member:?} is a correlation itself; name the rules it correlates"
                        )
                    }
                    Some(_) => continue,
                };
                cross_errors.push(rule_error(origin, &rule.id, origin.when_line, message));
            }
        }
        self.errors.extend(cross_errors);
        if self.errors.is_empty() {
            Ok(RuleSet { rules: self.rules.into_iter().map(|(rule, _)| rule).collect() })
        } else {
            Err(RuleErrors(self.errors))
        }
    }
}

fn rule_error(origin: &Origin, id: &str, line: usize, message: String) -> RuleError {
    RuleError {
        file: origin.file.clone(),
        line: Some(line),
        column: None,
        rule_index: Some(origin.index),
        rule_id: Some(id.to_owned()),
        message,
    }
}

/// The rule's `id`, when it is a string, so that errors can name the rule even when the rest
/// of it does not parse.
fn peek_id(item: &DeValue<'_>) -> Option<String> {
    let DeValue::Table(table) = item else {
        return None;
    };
    table
        .iter()
        .find(|(key, _)| key.get_ref() == "id")
        .and_then(|(_, value)| value.get_ref().as_str().map(str::to_owned))
}

/// Refuses a `when` table without exactly one operator, which serde would report obscurely.
fn check_when_shape(item: &DeValue<'_>) -> Option<(Range<usize>, String)> {
    let DeValue::Table(table) = item else {
        return None;
    };
    let (_, when) = table.iter().find(|(key, _)| key.get_ref() == "when")?;
    let DeValue::Table(operators) = when.get_ref() else {
        return None;
    };
    if operators.len() == 1 {
        return None;
    }
    let found = if operators.is_empty() {
        "none".to_owned()
    } else {
        operators.keys().map(|key| format!("`{}`", key.get_ref())).collect::<Vec<_>>().join(", ")
    };
    let message = format!(
        "when: must hold exactly one operator (`threshold`, `rate`, `count`, `silence`, `correlation` or \
         `condition`), found {found}"
    );
    Some((when.span(), message))
}

/// Checks one rule, reporting each problem at its place in the file.
struct Checker<'a> {
    file: &'a str,
    text: &'a str,
    index: usize,
    id: Option<String>,
    errors: &'a mut Vec<RuleError>,
}

impl Checker<'_> {
    fn fail(&mut self, span: Range<usize>, message: String) {
        let (line, column) = line_column(self.text, span.start);
        self.errors.push(RuleError {
            file: self.file.to_owned(),
            line: Some(line),
            column: Some(column),
            rule_index: Some(self.index),
            rule_id: self.id.clone(),
            message,
        });
    }

    /// Returns the checked rule and the line of its `when`, or `None` after reporting.
    fn check(&mut self, raw: RawRule) -> Option<(Rule, usize)> {
        let errors_before = self.errors.len();
        let id = raw.id.get_ref().clone();
        if let Err(message) = check_rule_id(&id) {
            self.fail(raw.id.span(), format!("id: {message}"));
        }
        let category = match CategoryId::parse(raw.category.get_ref()) {
            Ok(category) => Some(category),
            Err(error) => {
                self.fail(raw.category.span(), format!("category: {error}"));
                None
            }
        };
        let severity = *raw.severity.get_ref();
        if !(1..=5).contains(&severity) {
            self.fail(raw.severity.span(), format!("severity: must be 1 to 5, found {severity}"));
        }
        let select = match raw.select {
            Some(select) => {
                let span = select.span();
                self.selector(select.into_inner(), span)
            }
            None => Selector::default(),
        };
        let when_span = raw.when.span();
        let when = self.operator(raw.when.into_inner(), when_span.clone());
        let for_s = raw.for_s.as_ref().map_or(0, |for_s| *for_s.get_ref());
        if let Some(for_s_value) = &raw.for_s {
            let timed_by_window = matches!(when, Some(Operator::Silence(_) | Operator::Correlation(_)));
            if for_s > 0 && timed_by_window {
                self.fail(
                    for_s_value.span(),
                    "for_s: has no meaning for silence and correlation rules, whose windows already say how long"
                        .to_owned(),
                );
            } else if for_s > MAX_WINDOW_S {
                self.fail(for_s_value.span(), format!("for_s: at most {MAX_WINDOW_S} seconds (a week), found {for_s}"));
            }
        }
        let allowed: &[&str] = match &when {
            Some(Operator::Silence(_) | Operator::Correlation(_)) => &PLACEHOLDERS[..3],
            _ => &PLACEHOLDERS,
        };
        for (name, description) in [("description_fr", &raw.description_fr), ("description_en", &raw.description_en)] {
            if description.get_ref().trim().is_empty() {
                self.fail(description.span(), format!("{name}: must not be empty"));
            } else if let Err(message) = check_template(description.get_ref(), allowed) {
                self.fail(description.span(), format!("{name}: {message}"));
            }
        }
        if self.errors.len() > errors_before {
            return None;
        }
        let rule = Rule {
            id,
            category: category?,
            severity: u8::try_from(severity).ok()?,
            description_fr: raw.description_fr.into_inner(),
            description_en: raw.description_en.into_inner(),
            select,
            when: when?,
            for_s,
        };
        Some((rule, line_column(self.text, when_span.start).0))
    }

    fn selector(&mut self, raw: RawSelect, span: Range<usize>) -> Selector {
        let mut select = Selector { kinds: raw.kind.into_vec(), ..Selector::default() };
        if select.kinds.iter().any(|kind| kind.trim().is_empty()) {
            self.fail(span.clone(), "select.kind: a kind must not be empty".to_owned());
        }
        for id in raw.id.into_vec() {
            match SensorId::parse(&id) {
                Ok(id) => select.ids.push(id),
                Err(error) => self.fail(span.clone(), format!("select.id: {id:?}: {error}")),
            }
        }
        for zone in raw.zone.into_vec() {
            match ZoneId::parse(&zone) {
                Ok(zone) => select.zones.push(zone),
                Err(error) => self.fail(span.clone(), format!("select.zone: {zone:?}: {error}")),
            }
        }
        for commune in raw.commune.into_vec() {
            match CommuneId::parse(&commune) {
                Ok(commune) => select.communes.push(commune),
                Err(error) => self.fail(span.clone(), format!("select.commune: {commune:?}: {error}")),
            }
        }
        select
    }

    fn operator(&mut self, raw: RawWhen, span: Range<usize>) -> Option<Operator> {
        match raw {
            RawWhen::Threshold(raw) => {
                let threshold = self.threshold("when.threshold", raw.raise, raw.clear, raw.below, &span)?;
                Some(Operator::Threshold(threshold))
            }
            RawWhen::Rate(raw) => {
                let window_ok = self.window("when.rate", raw.window_s, &span);
                if raw.min_span_s > raw.window_s {
                    self.fail(
                        span.clone(),
                        format!(
                            "when.rate: min_span_s ({}) must not exceed window_s ({})",
                            raw.min_span_s, raw.window_s
                        ),
                    );
                    return None;
                }
                let threshold = self.threshold("when.rate", raw.raise, raw.clear, raw.below, &span)?;
                window_ok.then_some(Operator::Rate(Rate {
                    window_s: raw.window_s,
                    min_span_s: raw.min_span_s,
                    threshold,
                }))
            }
            RawWhen::Count(raw) => {
                let window_ok = self.window("when.count", raw.window_s, &span);
                let at_least_ok = self.at_least("when.count", raw.at_least, &span);
                let condition = self.expression("when.count.condition", &raw.condition);
                if window_ok && at_least_ok {
                    Some(Operator::Count(Count {
                        at_least: raw.at_least,
                        window_s: raw.window_s,
                        condition: condition?,
                    }))
                } else {
                    None
                }
            }
            RawWhen::Silence(raw) => {
                if raw.after_s == 0 || raw.after_s > MAX_WINDOW_S {
                    self.fail(
                        span,
                        format!("when.silence: after_s must be 1 to {MAX_WINDOW_S}, found {}", raw.after_s),
                    );
                    return None;
                }
                Some(Operator::Silence(Silence { after_s: raw.after_s }))
            }
            RawWhen::Correlation(raw) => {
                let window_ok = self.window("when.correlation", raw.window_s, &span);
                let at_least_ok = self.at_least("when.correlation", raw.at_least, &span);
                if raw.rules.is_empty() {
                    self.fail(span, "when.correlation: rules must name at least one rule".to_owned());
                    return None;
                }
                if (raw.at_least as usize) < raw.kinds.len() {
                    self.fail(
                        span,
                        format!(
                            "when.correlation: at_least ({}) must be at least the number of kinds ({}), one sensor per kind",
                            raw.at_least,
                            raw.kinds.len()
                        ),
                    );
                    return None;
                }
                (window_ok && at_least_ok).then_some(Operator::Correlation(Correlation {
                    rules: raw.rules,
                    at_least: raw.at_least,
                    kinds: raw.kinds,
                    window_s: raw.window_s,
                }))
            }
            RawWhen::Condition(source) => self.expression("when.condition", &source).map(Operator::Condition),
        }
    }

    fn threshold(
        &mut self,
        path: &str,
        raise: f64,
        clear: Option<f64>,
        below: bool,
        span: &Range<usize>,
    ) -> Option<Threshold> {
        let clear = clear.unwrap_or(raise);
        if !raise.is_finite() || !clear.is_finite() {
            self.fail(span.clone(), format!("{path}: raise and clear must be finite numbers"));
            return None;
        }
        if !below && clear > raise {
            self.fail(
                span.clone(),
                format!("{path}: clear ({clear}) must not be above raise ({raise}) for a rising threshold"),
            );
            return None;
        }
        if below && clear < raise {
            self.fail(
                span.clone(),
                format!(
                    "{path}: clear ({clear}) must not be below raise ({raise}) for a falling threshold (below = true)"
                ),
            );
            return None;
        }
        Some(Threshold { raise, clear, below })
    }

    fn window(&mut self, path: &str, window_s: u32, span: &Range<usize>) -> bool {
        if window_s == 0 || window_s > MAX_WINDOW_S {
            self.fail(span.clone(), format!("{path}: window_s must be 1 to {MAX_WINDOW_S}, found {window_s}"));
            return false;
        }
        true
    }

    fn at_least(&mut self, path: &str, at_least: u32, span: &Range<usize>) -> bool {
        if at_least == 0 || at_least as usize > MAX_WINDOW_READINGS {
            self.fail(span.clone(), format!("{path}: at_least must be 1 to {MAX_WINDOW_READINGS}, found {at_least}"));
            return false;
        }
        true
    }

    /// Parses an expression, pointing errors at the very character when the string is written
    /// without escapes, else at the string.
    fn expression(&mut self, path: &str, source: &Spanned<String>) -> Option<Expr> {
        match Expr::parse(source.get_ref()) {
            Ok(expr) => Some(expr),
            Err(ExprError { column, message }) => {
                let span = source.span();
                let literal = self.text.get(span.start + 1..span.end.saturating_sub(1));
                let offset = if literal == Some(source.get_ref().as_str()) {
                    let inside = &source.get_ref()[..];
                    let byte_offset =
                        inside.char_indices().nth(column.saturating_sub(1)).map_or(inside.len(), |(offset, _)| offset);
                    span.start + 1 + byte_offset
                } else {
                    span.start
                };
                self.fail(offset..offset, format!("{path}, column {column}: {message}"));
                None
            }
        }
    }
}

/// Rule ids follow the pack's identifier rules, so `rule:<id>` is a safe actor name.
fn check_rule_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("must not be empty".to_owned());
    }
    if id.len() > 64 {
        return Err("at most 64 characters".to_owned());
    }
    if let Some(character) = id.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))) {
        return Err(format!("contains {character:?}; allowed are ASCII letters, digits, '-', '_', '.' and ':'"));
    }
    Ok(())
}

/// The 1-based line and column (in characters) of a byte offset.
/// An error about a whole file (not one rule), at byte `offset` of its `text`.
fn file_error_at(file: &str, text: &str, offset: usize, message: String) -> RuleError {
    let (line, column) = line_column(text, offset);
    RuleError {
        file: file.to_owned(),
        line: Some(line),
        column: Some(column),
        rule_index: None,
        rule_id: None,
        message,
    }
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    (line, before[line_start..].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_lines_and_columns_in_characters() {
        let text = "a = 1\nb = \"é\" x\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        assert_eq!(line_column(text, text.find('x').unwrap_or_default()), (2, 9));
        assert_eq!(line_column(text, 10_000), (3, 1));
    }

    #[test]
    fn checks_rule_ids() {
        assert_eq!(check_rule_id("ouche-crue.v2"), Ok(()));
        assert!(check_rule_id("").is_err());
        assert!(check_rule_id("a b").is_err());
        assert!(check_rule_id(&"a".repeat(65)).is_err());
    }
}
