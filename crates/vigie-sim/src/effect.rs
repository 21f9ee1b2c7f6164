//! What a scenario does to one sensor: an [`Effect`] layered over its ordinary quantity,
//! between two instants.
//!
//! Times are milliseconds since the Unix epoch, like [`vigie_core::Timestamp`].

use crate::rng::Rng;

/// How often an event-driven sensor (a fire or intrusion panel's detector) reports while one of
/// its effects runs; otherwise it keeps its usual, slow heartbeat.
const FIRE_PANEL_REPORT_MS: i64 = 10_000;
const INTRUSION_PANEL_REPORT_MS: i64 = 15_000;

/// Obscuration of a smoke detector in a fire, in %/m (alarms trip near 2 %/m).
const FIRE_OBSCURATION_PERCENT_PER_M: f64 = 6.0;

/// A change to one sensor's readings.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Effect {
    /// The river rises linearly to `peak_m` above its level at `peak_at`, then recedes
    /// linearly until `end`.
    RiverRise { start: i64, peak_at: i64, end: i64, peak_m: f64 },
    /// A downpour of `peak_mm_h` on top of the ordinary rain.
    HeavyRain { envelope: Envelope, peak_mm_h: f64 },
    /// Smoke fills the detector's chamber.
    Smoke { start: i64, end: i64 },
    /// The detector's fire panel trips, with no smoke: it reports the detector in alarm.
    PanelTrip { start: i64, end: i64 },
    /// A fire heats the detector at `rate_c_per_s` up to `peak_c`, from `cooling_from` the
    /// building cools back to its ordinary temperature, reached at `end`.
    Heat { start: i64, rate_c_per_s: f64, peak_c: f64, cooling_from: i64, end: i64 },
    /// The detector sees someone.
    Intrusion { start: i64, end: i64 },
    /// The flow falls to `residual` of its ordinary value.
    FlowCollapse { envelope: Envelope, residual: f64 },
    /// `extra_persons` more people around the counter.
    Crowd { envelope: Envelope, extra_persons: f64 },
    /// The sensor stops reporting for good.
    Silent { start: i64 },
}

/// A rise from `start` to full strength at `full_from`, a plateau to `full_until`, a fall to
/// nothing at `end`; the edges are smoothsteps.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Envelope {
    pub(crate) start: i64,
    pub(crate) full_from: i64,
    pub(crate) full_until: i64,
    pub(crate) end: i64,
}

impl Envelope {
    /// Returns the strength at `time`, in `[0, 1]`.
    pub(crate) fn at(&self, time: i64) -> f64 {
        let ramp = |from: i64, to: i64| {
            let fraction = ((time - from) as f64 / (to - from).max(1) as f64).clamp(0.0, 1.0);
            fraction * fraction * (3.0 - 2.0 * fraction)
        };
        if time <= self.start || time >= self.end {
            0.0
        } else if time < self.full_from {
            ramp(self.start, self.full_from)
        } else if time <= self.full_until {
            1.0
        } else {
            1.0 - ramp(self.full_until, self.end)
        }
    }
}

impl Effect {
    /// Returns when the effect begins.
    pub(crate) fn start(&self) -> i64 {
        match self {
            Effect::RiverRise { start, .. }
            | Effect::Smoke { start, .. }
            | Effect::PanelTrip { start, .. }
            | Effect::Heat { start, .. }
            | Effect::Intrusion { start, .. }
            | Effect::Silent { start } => *start,
            Effect::HeavyRain { envelope, .. }
            | Effect::FlowCollapse { envelope, .. }
            | Effect::Crowd { envelope, .. } => envelope.start,
        }
    }

    /// Returns when the effect is over (never, for a silent sensor).
    pub(crate) fn end(&self) -> i64 {
        match self {
            Effect::RiverRise { end, .. }
            | Effect::Smoke { end, .. }
            | Effect::PanelTrip { end, .. }
            | Effect::Heat { end, .. }
            | Effect::Intrusion { end, .. } => *end,
            Effect::HeavyRain { envelope, .. }
            | Effect::FlowCollapse { envelope, .. }
            | Effect::Crowd { envelope, .. } => envelope.end,
            Effect::Silent { .. } => i64::MAX,
        }
    }

    /// Returns how often the sensor reports while the effect runs, for the sensors that
    /// report on change (fire and intrusion panels); they also report when it begins and
    /// ends. `None` for sensors that keep their usual period.
    pub(crate) fn report_on_change_ms(&self) -> Option<i64> {
        match self {
            Effect::Smoke { .. } | Effect::PanelTrip { .. } | Effect::Heat { .. } => Some(FIRE_PANEL_REPORT_MS),
            Effect::Intrusion { .. } => Some(INTRUSION_PANEL_REPORT_MS),
            Effect::RiverRise { .. }
            | Effect::HeavyRain { .. }
            | Effect::FlowCollapse { .. }
            | Effect::Crowd { .. }
            | Effect::Silent { .. } => None,
        }
    }

    /// Tells whether the effect keeps the sensor quiet at `time`.
    pub(crate) fn silences(&self, time: i64) -> bool {
        matches!(self, Effect::Silent { start } if time >= *start)
    }

    /// Returns the quantity at `time` with the effect applied to the ordinary `quantity`.
    /// `noise` is the reading's generator.
    pub(crate) fn apply(&self, quantity: f64, time: i64, noise: &mut Rng) -> f64 {
        if time < self.start() || time >= self.end() {
            return quantity;
        }
        match *self {
            Effect::RiverRise { start, peak_at, end, peak_m } => {
                let rise = if time < peak_at {
                    peak_m * (time - start) as f64 / (peak_at - start).max(1) as f64
                } else {
                    peak_m * (end - time) as f64 / (end - peak_at).max(1) as f64
                };
                quantity + rise
            }
            Effect::HeavyRain { envelope, peak_mm_h } => {
                let downpour = peak_mm_h * envelope.at(time) * (1.0 + 0.15 * noise.normal());
                quantity + downpour.max(0.0)
            }
            Effect::Smoke { .. } => quantity + FIRE_OBSCURATION_PERCENT_PER_M + 3.0 * noise.uniform(),
            // The panel sends the alarm state of a chamber full of smoke.
            Effect::PanelTrip { .. } => quantity.max(FIRE_OBSCURATION_PERCENT_PER_M),
            Effect::Heat { start, rate_c_per_s, peak_c, cooling_from, end } => {
                let seconds_of_fire = |until: i64| (until - start) as f64 / 1000.0;
                let heated = |until: i64| (quantity + rate_c_per_s * seconds_of_fire(until)).min(peak_c);
                let fire_c = if time < cooling_from {
                    heated(time)
                } else {
                    // Exponential cooling, down to about 1 % of the excess at `end`.
                    let excess = heated(cooling_from) - quantity;
                    let time_constant_ms = ((end - cooling_from) as f64 / 5.0).max(1.0);
                    quantity + excess * (-((time - cooling_from) as f64) / time_constant_ms).exp()
                };
                if fire_c > quantity + 0.5 { (fire_c + 0.3 * noise.normal()).max(quantity) } else { quantity }
            }
            Effect::Intrusion { .. } => 1.0,
            Effect::FlowCollapse { envelope, residual } => quantity * (1.0 - (1.0 - residual) * envelope.at(time)),
            Effect::Crowd { envelope, extra_persons } => {
                let extra = extra_persons * envelope.at(time);
                (quantity + extra + 0.3 * extra.sqrt() * noise.normal()).max(0.0)
            }
            Effect::Silent { .. } => quantity,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_rises_holds_and_falls() {
        let envelope = Envelope { start: 0, full_from: 100, full_until: 200, end: 400 };
        assert_eq!(envelope.at(-1), 0.0);
        assert_eq!(envelope.at(0), 0.0);
        assert_eq!(envelope.at(50), 0.5);
        assert_eq!(envelope.at(150), 1.0);
        assert_eq!(envelope.at(300), 0.5);
        assert_eq!(envelope.at(400), 0.0);
        let mut previous = 0.0;
        for time in 0..=100 {
            let strength = envelope.at(time);
            assert!(strength >= previous);
            previous = strength;
        }
    }

    #[test]
    fn river_rise_peaks_then_recedes() {
        let hour = 3_600_000;
        let rise = Effect::RiverRise { start: 0, peak_at: 6 * hour, end: 20 * hour, peak_m: 2.1 };
        let mut noise = Rng::keyed(1, &[]);
        assert_eq!(rise.apply(0.8, -1, &mut noise), 0.8);
        assert!((rise.apply(0.8, 3 * hour, &mut noise) - 1.85).abs() < 1e-9);
        assert!((rise.apply(0.8, 6 * hour, &mut noise) - 2.9).abs() < 1e-9);
        assert!((rise.apply(0.8, 13 * hour, &mut noise) - 1.85).abs() < 1e-9);
        assert_eq!(rise.apply(0.8, 20 * hour, &mut noise), 0.8);
    }

    #[test]
    fn heat_climbs_holds_and_cools() {
        let heat = Effect::Heat { start: 0, rate_c_per_s: 1.0, peak_c: 110.0, cooling_from: 600_000, end: 1_800_000 };
        let mut noise = Rng::keyed(3, &[]);
        assert!((heat.apply(20.0, 40_000, &mut noise) - 60.0).abs() < 2.0);
        assert!((heat.apply(20.0, 300_000, &mut noise) - 110.0).abs() < 2.0);
        let cooling = heat.apply(20.0, 1_000_000, &mut noise);
        assert!(cooling > 20.0 && cooling < 60.0, "{cooling}");
        assert_eq!(heat.apply(20.0, 1_800_000, &mut noise), 20.0);
        assert_eq!(heat.report_on_change_ms(), Some(FIRE_PANEL_REPORT_MS));
    }

    #[test]
    fn a_tripped_panel_reports_an_alarm_every_10_s_until_it_resets() {
        let trip = Effect::PanelTrip { start: 1000, end: 601_000 };
        let mut noise = Rng::keyed(5, &[]);
        assert_eq!(trip.apply(0.0, 999, &mut noise), 0.0);
        assert_eq!(trip.apply(0.0, 1000, &mut noise), FIRE_OBSCURATION_PERCENT_PER_M);
        assert_eq!(trip.apply(0.0, 600_999, &mut noise), FIRE_OBSCURATION_PERCENT_PER_M);
        assert_eq!(trip.apply(0.0, 601_000, &mut noise), 0.0);
        assert_eq!(trip.report_on_change_ms(), Some(FIRE_PANEL_REPORT_MS));
        assert!(!trip.silences(300_000));
    }

    #[test]
    fn silence_is_forever() {
        let silent = Effect::Silent { start: 1000 };
        assert!(!silent.silences(999));
        assert!(silent.silences(1000) && silent.silences(i64::MAX - 1));
        assert_eq!(silent.end(), i64::MAX);
    }
}
