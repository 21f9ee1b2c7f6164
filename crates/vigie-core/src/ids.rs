//! Identifiers. Text identifiers are checked once, at the edge, by `parse`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a text identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("identifier is empty")]
    Empty,
    #[error("identifier is longer than {max} characters")]
    TooLong { max: usize },
    #[error("identifier contains {character:?}; allowed are ASCII letters, digits, '-', '_', '.' and ':'")]
    BadCharacter { character: char },
}

/// The longest text identifier accepted.
pub const MAX_ID_LEN: usize = 64;

fn check_id(text: &str) -> Result<(), IdError> {
    if text.is_empty() {
        return Err(IdError::Empty);
    }
    if text.len() > MAX_ID_LEN {
        return Err(IdError::TooLong { max: MAX_ID_LEN });
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':');
    // Every id of every reading passes here: a byte scan first, the characters only to name
    // the bad one.
    if text.bytes().all(|byte| allowed(char::from(byte))) {
        return Ok(());
    }
    match text.chars().find(|&c| !allowed(c)) {
        Some(character) => Err(IdError::BadCharacter { character }),
        None => Ok(()),
    }
}

macro_rules! text_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Checks `text` and wraps it.
            pub fn parse(text: &str) -> Result<Self, IdError> {
                check_id(text)?;
                Ok(Self(text.to_owned()))
            }

            /// Returns the identifier's text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(text: String) -> Result<Self, IdError> {
                check_id(&text)?;
                Ok(Self(text))
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }
    };
}

text_id!(
    /// A sensor of the city pack (river gauge, smoke detector, traffic counter...).
    SensorId
);
text_id!(
    /// A camera of the city pack.
    CameraId
);
text_id!(
    /// A patrol or intervention unit.
    UnitId
);
text_id!(
    /// A command post (PC): municipal police, traffic, crisis cell...
    PostId
);
text_id!(
    /// A commune, by its INSEE code (e.g. `21231` for Dijon).
    CommuneId
);
text_id!(
    /// A zone: riverside road, event area, public building.
    ZoneId
);
text_id!(
    /// An incident category (`fire`, `flood`, `intrusion`...), which selects the playbook.
    CategoryId
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn refuses_empty_long_and_odd_identifiers() {
        assert_eq!(SensorId::parse(""), Err(IdError::Empty));
        assert_eq!(SensorId::parse(&"a".repeat(65)), Err(IdError::TooLong { max: 64 }));
        assert_eq!(SensorId::parse("gauge 1"), Err(IdError::BadCharacter { character: ' ' }));
        assert_eq!(SensorId::parse("ouche-gauge-01").unwrap().as_str(), "ouche-gauge-01");
    }

    #[test]
    fn serde_checks_identifiers() {
        let bad: Result<SensorId, _> = serde_json::from_str("\"a/b\"");
        assert!(bad.is_err());
        let good: SensorId = serde_json::from_str("\"a.b\"").unwrap();
        assert_eq!(good.as_str(), "a.b");
    }

    proptest! {
        #[test]
        fn parse_never_panics_and_round_trips(text in "\\PC{0,80}") {
            if let Ok(id) = SensorId::parse(&text) {
                prop_assert_eq!(id.as_str(), text.as_str());
                prop_assert!(text.len() <= MAX_ID_LEN);
            }
        }
    }
}
