//! The entry point of the `api_bodies` fuzz target (`fuzz/` at the repository root): one request
//! body parsed as every JSON body type of the API, by `parse_json` as the handlers do. Hidden
//! from the documentation: not an API.

#![doc(hidden)]

use crate::ApiError;
use crate::error::parse_json;
use crate::routes::{admin, alarms, incidents, ingest, records, session};

/// Parses `body` as each JSON request body of the API; returns, per body type, `Ok` or the
/// refusal its handler would answer.
pub fn fuzz_parse_bodies(body: &[u8]) -> Vec<(&'static str, Result<(), ApiError>)> {
    fn parse<T: serde::de::DeserializeOwned>(name: &'static str, body: &[u8]) -> (&'static str, Result<(), ApiError>) {
        (name, parse_json::<T>(body).map(|_| ()))
    }
    vec![
        parse::<ingest::ObservationBatch>("observations", body),
        parse::<ingest::PositionIn>("unit position", body),
        parse::<incidents::CreateIn>("incident", body),
        parse::<incidents::CommandIn>("incident command", body),
        parse::<alarms::ShelveIn>("shelve", body),
        parse::<alarms::UnshelveIn>("unshelve", body),
        parse::<session::LoginIn>("login", body),
        parse::<session::TotpIn>("totp", body),
        parse::<session::PasswordIn>("password change", body),
        parse::<admin::CreateIn>("account", body),
        parse::<admin::UpdateIn>("account update", body),
        parse::<admin::PasswordIn>("password reset", body),
        parse::<admin::RevokeIn>("device revocation", body),
        parse::<records::HoldIn>("legal hold", body),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_bodies_are_refused_by_every_type() {
        let answers = fuzz_parse_bodies(b"{\"observations\": [");
        assert_eq!(answers.len(), 14);
        for (name, answer) in answers {
            let error = answer.expect_err(name);
            // Truncated JSON is malformed, unless a body type stops earlier at a field it does
            // not know (`observations` is not a field of a unit position).
            let refusal = (error.status.as_u16(), error.code);
            assert!(refusal == (400, "malformed_json") || refusal == (422, "invalid_input"), "{name}: {refusal:?}");
        }
    }

    #[test]
    fn each_body_reaches_its_type() {
        let shelve = br#"{"rule": "ouche-crue", "subject": "gauge-ouche-02", "minutes": 60, "reason": "works"}"#;
        let answers = fuzz_parse_bodies(shelve);
        let accepted: Vec<&str> = answers.iter().filter(|(_, answer)| answer.is_ok()).map(|(name, _)| *name).collect();
        assert_eq!(accepted, ["shelve"]);
        let (_, unshelve) = &answers[5];
        let refusal = unshelve.as_ref().expect_err("unshelve takes no minutes");
        assert_eq!((refusal.status.as_u16(), refusal.code), (422, "invalid_input"));
    }
}
