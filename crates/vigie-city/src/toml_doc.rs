//! Reading a TOML file of the pack key by key and item by item, so that one bad value does
//! not hide the others, and every error points at a line.
//!
//! The document is parsed once into spanned values ([`toml::de::DeTable`]); each top-level key
//! and each item of an array of tables is then deserialised on its own. An [`Origin`] records
//! where an item came from, for the checks that follow.

use crate::error::CityError;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

/// Where a value came from: its path in the document (`sensors[3]`) and its line, with the
/// line of each of its keys.
#[derive(Clone, Debug, Default)]
pub(crate) struct Origin {
    path: String,
    line: usize,
    field_lines: HashMap<String, usize>,
}

impl Origin {
    /// The location of the item itself: `sensors[3] (line 120)`.
    pub(crate) fn here(&self) -> String {
        format!("{} (line {})", self.path, self.line)
    }

    /// The location of one of its keys: `sensors[3].commune (line 124)`; the item's line when
    /// the key is absent.
    pub(crate) fn at(&self, field: &str) -> String {
        let line = self.field_lines.get(field).copied().unwrap_or(self.line);
        format!("{}.{field} (line {line})", self.path)
    }

    /// The location of an item of a list key: `routing[2].zones[1] (line 80)`.
    pub(crate) fn at_item(&self, field: &str, index: usize) -> String {
        let line = self.field_lines.get(field).copied().unwrap_or(self.line);
        format!("{}.{field}[{index}] (line {line})", self.path)
    }
}

/// A parsed TOML file whose keys are taken one by one; what is left at the end is unknown.
pub(crate) struct TomlDocument<'text> {
    file: PathBuf,
    text: &'text str,
    lines: LineIndex,
    entries: Vec<(String, usize, Spanned<DeValue<'text>>)>,
}

impl<'text> TomlDocument<'text> {
    /// Parses `text`, reporting every syntax error. Returns `None` when there is one: the
    /// recovered document would only produce confusing follow-up errors.
    pub(crate) fn parse(file: &Path, text: &'text str, errors: &mut Vec<CityError>) -> Option<Self> {
        let (document, syntax_errors) = DeTable::parse_recoverable(text);
        if !syntax_errors.is_empty() {
            for error in syntax_errors {
                let location = error.span().map(|span| line_column(text, span.start));
                errors.push(CityError::new(file, location, error.message().to_owned()));
            }
            return None;
        }
        let lines = LineIndex::new(text);
        let entries = document
            .into_inner()
            .into_iter()
            .map(|(key, value)| {
                let line = lines.line(key.span().start);
                (key.into_inner().into_owned(), line, value)
            })
            .collect();
        Some(Self { file: file.to_owned(), text, lines, entries })
    }

    fn take(&mut self, key: &str) -> Option<(usize, Spanned<DeValue<'text>>)> {
        let position = self.entries.iter().position(|(name, _, _)| name == key)?;
        let (_, line, value) = self.entries.remove(position);
        Some((line, value))
    }

    /// Takes a top-level key and deserialises it. A missing key is an error when `required`.
    pub(crate) fn value<T: DeserializeOwned>(
        &mut self,
        key: &str,
        required: bool,
        errors: &mut Vec<CityError>,
    ) -> Option<(T, Origin)> {
        let Some((line, value)) = self.take(key) else {
            if required {
                errors.push(CityError::new(&self.file, None, format!("missing key `{key}`")));
            }
            return None;
        };
        let origin = Origin { path: key.to_owned(), line, field_lines: HashMap::new() };
        self.decode(value, origin, errors)
    }

    /// Takes a top-level array of tables (`[[sensors]]`) and deserialises each item on its
    /// own; the items that fail are reported and left out. A missing key is an empty list.
    pub(crate) fn array<T: DeserializeOwned>(&mut self, key: &str, errors: &mut Vec<CityError>) -> Vec<(T, Origin)> {
        let Some((line, value)) = self.take(key) else {
            return Vec::new();
        };
        let DeValue::Array(items) = value.into_inner() else {
            errors.push(CityError::new(
                &self.file,
                Some(format!("{key} (line {line})")),
                format!("`{key}` must be an array of tables, written [[{key}]]"),
            ));
            return Vec::new();
        };
        let mut decoded = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let mut field_lines = HashMap::new();
            if let DeValue::Table(table) = item.get_ref() {
                for (field, _) in table {
                    field_lines.insert(field.get_ref().to_string(), self.lines.line(field.span().start));
                }
            }
            let origin =
                Origin { path: format!("{key}[{index}]"), line: self.lines.line(item.span().start), field_lines };
            if let Some(value) = self.decode(item.clone(), origin, errors) {
                decoded.push(value);
            }
        }
        decoded
    }

    fn decode<T: DeserializeOwned>(
        &self,
        value: Spanned<DeValue<'text>>,
        origin: Origin,
        errors: &mut Vec<CityError>,
    ) -> Option<(T, Origin)> {
        let item_start = value.span().start;
        match T::deserialize(ValueDeserializer::from(value)) {
            Ok(decoded) => Some((decoded, origin)),
            Err(error) => {
                let offset = error.span().map_or(item_start, |span| span.start);
                let location = format!("{} ({})", origin.path, line_column(self.text, offset));
                errors.push(CityError::new(&self.file, Some(location), error.message().to_owned()));
                None
            }
        }
    }

    /// Reports the keys nobody took.
    pub(crate) fn finish(self, expected: &[&str], errors: &mut Vec<CityError>) {
        let expected = expected.iter().map(|key| format!("`{key}`")).collect::<Vec<_>>().join(", ");
        for (key, line, _) in self.entries {
            errors.push(CityError::new(
                &self.file,
                Some(format!("{key} (line {line})")),
                format!("unknown key `{key}`, expected one of {expected}"),
            ));
        }
    }
}

/// The offsets where lines start, to turn byte offsets into line numbers quickly: a city
/// file has thousands of keys.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let newlines = text.match_indices('\n').map(|(offset, _)| offset + 1);
        Self { starts: std::iter::once(0).chain(newlines).collect() }
    }

    /// The 1-based line of a byte offset.
    fn line(&self, offset: usize) -> usize {
        // `starts[0]` is 0, so at least one start is <= offset.
        self.starts.partition_point(|&start| start <= offset)
    }
}

/// `line L, column C` (both 1-based, the column in characters) of a byte offset.
pub(crate) fn line_column(text: &str, offset: usize) -> String {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    let column = before[line_start..].chars().count() + 1;
    format!("line {}, column {column}", LineIndex::new(before).starts.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Item {
        id: String,
        count: u8,
    }

    #[test]
    fn converts_offsets_to_lines_and_columns() {
        let text = "a = 1\nb = \"é\" x\n";
        assert_eq!(line_column(text, 0), "line 1, column 1");
        assert_eq!(line_column(text, 6), "line 2, column 1");
        // After "b = \"é\" ": the column counts characters, not bytes.
        let x_offset = text.find('x').unwrap_or_default();
        assert_eq!(line_column(text, x_offset), "line 2, column 9");
    }

    #[test]
    fn reports_every_syntax_error_with_its_line() {
        let mut errors = Vec::new();
        let parsed = TomlDocument::parse(Path::new("city.toml"), "a = 1\nb = \nc = 3\n", &mut errors);
        assert!(parsed.is_none());
        assert!(!errors.is_empty());
        assert!(errors[0].to_string().starts_with("city.toml: line 2, column"), "{}", errors[0]);
    }

    #[test]
    fn decodes_each_item_on_its_own_and_reports_bad_ones() {
        let text = "[[items]]\nid = \"a\"\ncount = 1\n\n[[items]]\nid = \"b\"\ncount = 300\n\n[[items]]\nid = \"c\"\ncount = 2\ncolour = \"red\"\n\n[[items]]\nid = \"d\"\ncount = 4\n";
        let mut errors = Vec::new();
        let Some(mut document) = TomlDocument::parse(Path::new("x.toml"), text, &mut errors) else {
            panic!("valid TOML: {errors:?}");
        };
        let items: Vec<(Item, Origin)> = document.array("items", &mut errors);
        document.finish(&["items"], &mut errors);
        let ids: Vec<&str> = items.iter().map(|(item, _)| item.id.as_str()).collect();
        assert_eq!(ids, ["a", "d"]);
        assert_eq!(items[1].1.at("count"), "items[3].count (line 16)");
        let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(messages.len(), 2, "{messages:#?}");
        assert!(messages[0].starts_with("x.toml: items[1] (line 7, column 9): "), "{}", messages[0]);
        assert!(
            messages[1].starts_with("x.toml: items[2] (line 12, column 1): unknown field `colour`"),
            "{}",
            messages[1]
        );
    }

    #[test]
    fn reports_unknown_and_missing_top_level_keys() {
        let mut errors = Vec::new();
        let Some(mut document) = TomlDocument::parse(Path::new("x.toml"), "name = \"a\"\ncolour = 1\n", &mut errors)
        else {
            panic!("valid TOML: {errors:?}");
        };
        let name: Option<(String, Origin)> = document.value("name", true, &mut errors);
        let version: Option<(u32, Origin)> = document.value("version", true, &mut errors);
        document.finish(&["name", "version"], &mut errors);
        assert_eq!(name.map(|(name, _)| name).as_deref(), Some("a"));
        assert!(version.is_none());
        let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            [
                "x.toml: missing key `version`",
                "x.toml: colour (line 2): unknown key `colour`, expected one of `name`, `version`",
            ]
        );
    }
}
