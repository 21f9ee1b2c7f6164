//! Ordinary days: what each kind of sensor reads when nothing happens.
//!
//! A [`Profile`] holds a sensor's own parameters (drawn once from the seed) and computes its
//! quantity at any instant from the local hour, the day of the week, smooth random variation
//! shared by neighbours (weather, a river's flow) and a little noise of its own. Quantities are
//! in the kind's customary unit: metres, mm/h, °C, obscuration in %/m for smoke, 0 or 1 for
//! intrusion, veh/h, persons, µg/m³, dB(A).

use crate::local_time::LocalTime;
use crate::rng::{Rng, key_of, smooth_noise};
use vigie_city::{Sensor, SensorKind};
use vigie_core::ZoneId;

/// What the profiles need to know about the city beyond the sensor itself.
#[derive(Clone, Debug, Default)]
pub(crate) struct CityFacts {
    /// The river with the most gauges; the others are brooks with lower levels.
    pub(crate) main_river: Option<ZoneId>,
    /// Main roads (ring roads, motorways), whose counters see much more traffic than streets.
    pub(crate) main_roads: Vec<ZoneId>,
}

/// A sensor's ordinary behaviour and its parameters.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Profile {
    RiverLevel { river_key: u64, level_m: f64, swing_m: f64 },
    Rainfall,
    Smoke,
    Heat { comfort_c: f64 },
    Intrusion,
    TrafficFlow { peak_veh_h: f64 },
    CrowdCount { daytime_persons: f64 },
    AirQuality { background: f64, traffic_share: f64 },
    Noise { quiet_db: f64 },
    Temperature { offset_c: f64 },
}

/// Keys of the city-wide variations, shared by every sensor that feels them.
const SALT_PROFILE: u64 = 0x5052_4F46;

fn weather_key() -> u64 {
    key_of("city-weather")
}

fn air_key() -> u64 {
    key_of("city-air")
}

fn outdoor_temperature_key() -> u64 {
    key_of("city-outdoor-temperature")
}

impl Profile {
    /// Draws the sensor's parameters from the seed; the same sensor id and seed always give
    /// the same ones.
    pub(crate) fn for_sensor(sensor: &Sensor, facts: &CityFacts, seed: u64) -> Profile {
        let mut rng = Rng::keyed(seed, &[key_of(sensor.id.as_str()), SALT_PROFILE]);
        match sensor.kind {
            SensorKind::RiverLevel => {
                let on_main_river = sensor.zone.is_some() && sensor.zone == facts.main_river;
                let river_key = key_of(sensor.zone.as_ref().map_or(sensor.id.as_str(), ZoneId::as_str));
                if on_main_river {
                    Profile::RiverLevel { river_key, level_m: rng.range(0.74, 0.84), swing_m: 0.05 }
                } else {
                    Profile::RiverLevel { river_key, level_m: rng.range(0.25, 0.40), swing_m: 0.04 }
                }
            }
            SensorKind::Rainfall => Profile::Rainfall,
            SensorKind::Smoke => Profile::Smoke,
            SensorKind::Heat => Profile::Heat { comfort_c: rng.range(20.0, 20.8) },
            SensorKind::Intrusion => Profile::Intrusion,
            SensorKind::TrafficFlow => {
                let on_main_road = sensor.zone.as_ref().is_some_and(|zone| facts.main_roads.contains(zone));
                let peak_veh_h = if on_main_road { rng.range(2200.0, 3600.0) } else { rng.range(500.0, 1100.0) };
                Profile::TrafficFlow { peak_veh_h }
            }
            SensorKind::CrowdCount => Profile::CrowdCount { daytime_persons: rng.range(30.0, 250.0) },
            SensorKind::AirQuality => {
                Profile::AirQuality { background: rng.range(12.0, 20.0), traffic_share: rng.range(6.0, 14.0) }
            }
            SensorKind::Noise => Profile::Noise { quiet_db: rng.range(40.0, 48.0) },
            SensorKind::Temperature => Profile::Temperature { offset_c: rng.range(-1.0, 1.0) },
            // Never simulated (the simulator leaves video kinds to the vision worker); an empty
            // area keeps the match total.
            SensorKind::VideoCount
            | SensorKind::VideoDensity
            | SensorKind::VideoCounterFlow
            | SensorKind::VideoIntrusion
            | SensorKind::VideoFlow
            | SensorKind::VideoClosePairs => Profile::CrowdCount { daytime_persons: 0.0 },
        }
    }

    /// Returns the quantity at `time_ms`. `noise` is the reading's own generator; the profile
    /// draws the same number of values from it whatever happens, so a scenario layered on top
    /// never changes the ordinary part of a reading.
    pub(crate) fn quantity(&self, seed: u64, sensor_key: u64, time_ms: i64, local: LocalTime, noise: &mut Rng) -> f64 {
        let time_s = time_ms as f64 / 1000.0;
        let hour = local.hour();
        match *self {
            Profile::RiverLevel { river_key, level_m, swing_m } => {
                let river = swing_m * smooth_noise(seed, river_key, time_s, 8.0 * 3600.0);
                let local_eddy = 0.015 * smooth_noise(seed, sensor_key, time_s, 1.5 * 3600.0);
                (level_m + river + local_eddy + 0.003 * noise.normal()).max(0.05)
            }
            Profile::Rainfall => {
                let weather = smooth_noise(seed, weather_key(), time_s, 3.0 * 3600.0);
                let shower = smooth_noise(seed, sensor_key, time_s, 40.0 * 60.0);
                let wetness = weather + 0.35 * shower - 1.15;
                if wetness <= 0.0 { 0.0 } else { 2.5 * wetness * (1.0 + wetness) }
            }
            Profile::Smoke => 0.01 + (0.02 * noise.normal()).abs(),
            Profile::Heat { comfort_c } => {
                let occupied = logistic((hour - 7.0) / 0.7) * logistic((19.0 - hour) / 0.7);
                let heating = if local.is_weekend() { 0.4 * occupied } else { occupied };
                let drift = 0.15 * smooth_noise(seed, sensor_key, time_s, 2.0 * 3600.0);
                (comfort_c - 0.5 + 1.1 * heating + drift + 0.05 * noise.normal()).clamp(18.5, 23.0)
            }
            Profile::Intrusion => 0.0,
            Profile::TrafficFlow { peak_veh_h } => {
                let trend = 1.0 + 0.05 * smooth_noise(seed, sensor_key, time_s, 15.0 * 60.0);
                let flow = peak_veh_h * traffic_shape(local) * trend * (1.0 + 0.04 * noise.normal());
                flow.max(0.0)
            }
            Profile::CrowdCount { daytime_persons } => {
                let mean = daytime_persons * crowd_shape(local);
                (mean + mean.sqrt() * noise.normal()).max(0.0)
            }
            Profile::AirQuality { background, traffic_share } => {
                let episode = 1.0 + 0.25 * smooth_noise(seed, air_key(), time_s, 6.0 * 3600.0);
                let local_drift = 1.5 * smooth_noise(seed, sensor_key, time_s, 3600.0);
                let value = background * episode + traffic_share * traffic_shape(local) + local_drift;
                (value + 0.8 * noise.normal()).max(1.0)
            }
            Profile::Noise { quiet_db } => {
                (quiet_db + 25.0 * traffic_shape(local) + 2.0 * noise.normal()).clamp(30.0, 110.0)
            }
            Profile::Temperature { offset_c } => {
                let daily = 4.0 * (std::f64::consts::TAU * (hour - 15.0) / 24.0).cos();
                let weather = 2.0 * smooth_noise(seed, outdoor_temperature_key(), time_s, 12.0 * 3600.0);
                8.0 + offset_c + daily + weather + 0.1 * noise.normal()
            }
        }
    }
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn gauss(x: f64, centre: f64, width: f64) -> f64 {
    (-0.5 * ((x - centre) / width).powi(2)).exp()
}

/// Traffic through the day, as a share of the weekday morning peak: near 4 % at night, peaks
/// at 08:00 and 18:00 on weekdays, a lower midday hump on weekends (lower still on Sundays).
pub(crate) fn traffic_shape(local: LocalTime) -> f64 {
    let hour = local.hour();
    if local.is_weekend() {
        let day = logistic((hour - 8.5) / 0.8) * logistic((21.0 - hour) / 0.8);
        let saturday = 0.05 + 0.55 * day + 0.12 * gauss(hour, 11.5, 2.0) + 0.10 * gauss(hour, 17.0, 2.0);
        let sunday_factor = if local.weekday == 6 { 0.75 } else { 1.0 };
        return saturday * sunday_factor;
    }
    let day = logistic((hour - 6.5) / 0.5) * logistic((21.5 - hour) / 0.8);
    0.04 + 0.50 * day + 0.50 * gauss(hour, 8.0, 0.75) + 0.45 * gauss(hour, 18.0, 0.9)
}

/// People around an event area through the day, as a share of its usual afternoon crowd:
/// about 1 % at night, most in the afternoon, a small evening bump, more on weekends.
pub(crate) fn crowd_shape(local: LocalTime) -> f64 {
    let hour = local.hour();
    let weekday_shape = 0.01 + 0.75 * gauss(hour, 15.5, 3.0) + 0.30 * gauss(hour, 20.5, 1.3);
    if local.is_weekend() { 1.6 * weekday_shape } else { weekday_shape }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(weekday: u8, hour: f64) -> LocalTime {
        LocalTime { millis_of_day: (hour * 3_600_000.0) as i64, weekday }
    }

    #[test]
    fn traffic_peaks_at_rush_hours_on_weekdays_only() {
        let monday = |hour| traffic_shape(local(0, hour));
        assert!(monday(3.0) < 0.06, "{}", monday(3.0));
        assert!(monday(8.0) > 0.95 && monday(18.0) > 0.9);
        assert!(monday(13.0) < 0.7 * monday(8.0));
        assert!(monday(8.0) > 10.0 * monday(3.0));
        let saturday = |hour| traffic_shape(local(5, hour));
        let sunday = |hour| traffic_shape(local(6, hour));
        assert!(saturday(8.0) < 0.5 * monday(8.0));
        assert!((0..24).all(|hour| sunday(f64::from(hour)) <= saturday(f64::from(hour))));
        assert!((0..96).all(|quarter| monday(f64::from(quarter) / 4.0) <= 1.05));
    }

    #[test]
    fn crowds_are_near_zero_at_night() {
        assert!(crowd_shape(local(2, 3.0)) < 0.02);
        assert!(crowd_shape(local(2, 15.5)) > 0.7);
        assert!(crowd_shape(local(6, 15.5)) > crowd_shape(local(2, 15.5)));
    }
}
