//! What the fuzz targets share: the packs they check input against, and the invariants of an
//! accepted reading.
//!
//! - [`demo_city`]: the repository's demo pack, loaded once per process.
//! - [`small_pack`]: the small pack of `fuzz/pack/`, as texts, that `city_pack` mutates.
//! - [`check_accepted`]: what every reading that validation accepts must satisfy.
//! - [`split_selector`]: the first byte of an input picks what the rest is fed to.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use vigie_city::{City, PackTexts};
use vigie_core::{Observation, Timestamp};
use vigie_ingest::validate::MAX_FUTURE_SKEW_MS;

/// The "now" of every validation: 2026-11-26T08:00:00Z, fixed so that runs replay exactly.
pub const NOW: Timestamp = Timestamp(1_795_680_000_000);

/// Returns the folder of the repository's demo pack.
pub fn demo_pack_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../cities/demo-metropole")
}

/// Returns the demo pack, loaded on first use.
pub fn demo_city() -> Arc<City> {
    static CITY: OnceLock<Arc<City>> = OnceLock::new();
    CITY.get_or_init(|| {
        // A broken demo pack is a setup problem, not a finding: stop with its errors.
        Arc::new(vigie_city::load(&demo_pack_dir()).unwrap_or_else(|errors| panic!("the demo pack: {errors}")))
    })
    .clone()
}

/// The files of `fuzz/pack/`: a valid pack, a tenth of the demo pack, to mutate one file at a time.
pub struct SmallPack<'a> {
    pub city: &'a str,
    pub communes: &'a str,
    pub zones: &'a str,
    /// (file name, text) of each playbook.
    pub playbooks: Vec<(&'a str, &'a str)>,
}

/// Returns the small pack's texts.
pub fn small_pack() -> SmallPack<'static> {
    SmallPack {
        city: include_str!("../pack/city.toml"),
        communes: include_str!("../pack/communes.geojson"),
        zones: include_str!("../pack/zones.geojson"),
        playbooks: vec![
            ("crowd.toml", include_str!("../pack/playbooks/crowd.toml")),
            ("fire.toml", include_str!("../pack/playbooks/fire.toml")),
            ("flood.toml", include_str!("../pack/playbooks/flood.toml")),
            ("intrusion.toml", include_str!("../pack/playbooks/intrusion.toml")),
            ("public_order.toml", include_str!("../pack/playbooks/public_order.toml")),
            ("sensor_fault.toml", include_str!("../pack/playbooks/sensor_fault.toml")),
            ("traffic.toml", include_str!("../pack/playbooks/traffic.toml")),
            ("video_alert.toml", include_str!("../pack/playbooks/video_alert.toml")),
        ],
    }
}

impl SmallPack<'_> {
    /// Returns the texts as the loader takes them.
    pub fn texts(&self) -> PackTexts<'_> {
        PackTexts { city: self.city, communes: self.communes, zones: self.zones, playbooks: &self.playbooks }
    }
}

/// Asserts what validation promises of an accepted reading: a known sensor, a finite value, the
/// sensor's own unit, a time at most the allowed skew ahead of `now`, an evidence id of the
/// media store's shape.
pub fn check_accepted(city: &City, observation: &Observation, now: Timestamp) {
    let sensor = city.sensor(&observation.sensor_id).expect("an accepted reading names a known sensor");
    assert!(observation.value.is_finite(), "an accepted value is finite: {observation:?}");
    assert_eq!(observation.unit, sensor.unit, "an accepted reading has its sensor's unit");
    assert!(observation.time.0 <= now.0 + MAX_FUTURE_SKEW_MS, "an accepted time is not far ahead: {observation:?}");
    if let Some(evidence) = &observation.evidence {
        let shaped =
            (1..=64).contains(&evidence.len()) && evidence.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        assert!(shaped, "an accepted evidence id has the media store's shape: {evidence:?}");
    }
}

/// Splits an input into its first byte, which picks what the rest is fed to, and the rest.
pub fn split_selector(data: &[u8]) -> Option<(u8, &[u8])> {
    data.split_first().map(|(selector, rest)| (*selector, rest))
}

/// The first and last instants `Timestamp::to_rfc3339` writes with a four-digit year:
/// 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z.
const FOUR_DIGIT_YEARS: std::ops::RangeInclusive<i64> = -62_167_219_200_000..=253_402_300_799_999;

/// Asserts that a time parsed from RFC 3339 text comes back the same from its own RFC 3339 form.
pub fn check_time_round_trip(time: Timestamp) {
    if !FOUR_DIGIT_YEARS.contains(&time.0) {
        return;
    }
    let text = time.to_rfc3339();
    assert_eq!(Timestamp::parse_rfc3339(&text), Ok(time), "{text} reads back as the time it was written from");
}
