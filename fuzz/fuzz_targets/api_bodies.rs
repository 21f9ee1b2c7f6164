//! The JSON request bodies of the HTTP API: each input is parsed as every body type (observation
//! batches, unit positions, incident creation and commands, shelving, login steps, accounts,
//! device revocations, legal holds) by `vigie_web::fuzzing::fuzz_parse_bodies`, which parses
//! them exactly as the handlers do. A batch that parses is then checked reading by reading
//! against the demo pack, as `POST /api/observations` does.
//!
//! Invariants: nothing panics; a refusal is a client error (400 `malformed_json` or 422
//! `invalid_input`) with the path of the faulty field.

#![no_main]

use libfuzzer_sys::fuzz_target;
use serde::Deserialize;
use vigie_fuzz::{NOW, check_accepted, demo_city};
use vigie_ingest::{ObservationIn, validate_observation};
use vigie_web::fuzzing::fuzz_parse_bodies;

/// The readings of a batch, to validate them once the API's own type has accepted the body.
#[derive(Deserialize)]
struct Readings {
    observations: Vec<ObservationIn>,
}

fuzz_target!(|data: &[u8]| {
    let mut batch_parsed = false;
    for (body, answer) in fuzz_parse_bodies(data) {
        match answer {
            Ok(()) => batch_parsed |= body == "observations",
            Err(error) => {
                let status = error.status.as_u16();
                let refusal = matches!((status, error.code), (400, "malformed_json") | (422, "invalid_input"));
                assert!(refusal, "{body}: {status} {} {}", error.code, error.message);
                assert!(error.path.is_some(), "{body}: a refusal names the faulty field");
            }
        }
    }
    if batch_parsed {
        let readings: Readings = serde_json::from_slice(data).expect("a batch the API accepts parses as readings");
        let city = demo_city();
        for incoming in readings.observations {
            if let Ok(observation) = validate_observation(&city, incoming, NOW) {
                check_accepted(&city, &observation, NOW);
            }
        }
    }
});
