//! A reading posted as JSON (HTTP ingest, one element of `POST /api/observations`): parsed as
//! `ObservationIn`, then checked against the demo pack by `validate_observation`.
//!
//! Invariants: nothing panics; an accepted reading satisfies `check_accepted`; an RFC 3339 time
//! round-trips through its own text form.

#![no_main]

use libfuzzer_sys::fuzz_target;
use vigie_fuzz::{NOW, check_accepted, check_time_round_trip, demo_city};
use vigie_ingest::{ObservationIn, TimeIn, validate_observation};

fuzz_target!(|data: &[u8]| {
    let Ok(incoming) = serde_json::from_slice::<ObservationIn>(data) else { return };
    if let TimeIn::Text(_) = &incoming.time
        && let Ok(time) = incoming.time.to_timestamp()
    {
        check_time_round_trip(time);
    }
    let city = demo_city();
    if let Ok(observation) = validate_observation(&city, incoming, NOW) {
        check_accepted(&city, &observation, NOW);
    }
});
