//! What is wrong with a city pack: every error names its file, where in it, and what.

use std::fmt;
use std::path::PathBuf;

/// One problem found in a city pack.
///
/// Displayed as `file: location: message`, for example
/// `city.toml: cameras[3].commune (line 1204): unknown commune "99999"`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CityError {
    /// The file, relative to the pack's folder (`city.toml`, `playbooks/fire.toml`).
    pub file: PathBuf,
    /// Where in the file: `line 12, column 5` for a syntax or shape error, or the path of the
    /// offending value, such as `cameras[3].commune (line 1204)` or `features[2].geometry`.
    pub location: Option<String>,
    /// What is wrong, lowercase, without a trailing period.
    pub message: String,
}

impl CityError {
    pub(crate) fn new(file: impl Into<PathBuf>, location: Option<String>, message: impl Into<String>) -> Self {
        Self { file: file.into(), location, message: message.into() }
    }
}

impl fmt::Display for CityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Forward slashes on every platform: the pack's layout, not the machine's.
        let file = self
            .file
            .components()
            .map(|component| component.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        match &self.location {
            Some(location) => write!(f, "{file}: {location}: {}", self.message),
            None => write!(f, "{file}: {}", self.message),
        }
    }
}

impl std::error::Error for CityError {}

/// Every problem found in a city pack, in file order. Never empty when returned by
/// [`load`](crate::load).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CityErrors(pub Vec<CityError>);

impl fmt::Display for CityErrors {
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

impl std::error::Error for CityErrors {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_one_error_per_line() {
        let errors = CityErrors(vec![
            CityError::new("city.toml", Some("line 3, column 1".to_owned()), "expected `=`"),
            CityError::new(PathBuf::from("playbooks").join("fire.toml"), None, "category `fire` has no routing rule"),
        ]);
        assert_eq!(
            errors.to_string(),
            "city.toml: line 3, column 1: expected `=`\nplaybooks/fire.toml: category `fire` has no routing rule"
        );
    }
}
