//! A small seeded pseudo-random generator (SplitMix64) and the noise built on it.
//!
//! The simulator never keeps a running random state between readings: every draw comes from a
//! generator keyed by what it is for (the seed, the sensor, the instant). A reading is thus a
//! pure function of its inputs, whatever the order or the chunking of `advance` calls.

use std::f64::consts::TAU;

/// SplitMix64 (Steele, Lea and Flood, 2014): one 64-bit state, good statistical quality for
/// simulation, trivially seedable. Not for cryptography.
#[derive(Clone, Debug)]
pub(crate) struct Rng {
    state: u64,
}

const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// The SplitMix64 output function: a bijective mix of 64 bits.
pub(crate) fn mix(value: u64) -> u64 {
    let mut z = value;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A stable 64-bit key for a text (FNV-1a), so that a sensor's noise depends on its id, not on
/// its position in the pack.
pub(crate) fn key_of(text: &str) -> u64 {
    let mut hash: u64 = 0xCBF2_9CE4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01B3);
    }
    hash
}

impl Rng {
    /// Returns the generator of one key path: the same seed and keys always give the same
    /// stream, and different keys give independent-looking ones.
    pub(crate) fn keyed(seed: u64, keys: &[u64]) -> Rng {
        let mut state = mix(seed ^ GOLDEN_GAMMA);
        for key in keys {
            state = mix(state.wrapping_add(GOLDEN_GAMMA) ^ mix(*key));
        }
        Rng { state }
    }

    /// Returns the next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN_GAMMA);
        mix(self.state)
    }

    /// Returns a number uniformly drawn from `[0, 1)`.
    pub(crate) fn uniform(&mut self) -> f64 {
        // The top 53 bits fill an f64 mantissa exactly.
        (self.next_u64() >> 11) as f64 * (1.0 / (1_u64 << 53) as f64)
    }

    /// Returns a number uniformly drawn from `[low, high)`.
    pub(crate) fn range(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.uniform()
    }

    /// Returns an index uniformly drawn from `0..count`; `count` must not be zero.
    pub(crate) fn below(&mut self, count: usize) -> usize {
        debug_assert!(count > 0, "no index to draw from an empty range");
        // The modulo bias is below 2^-40 for the small counts drawn here.
        (self.next_u64() % count.max(1) as u64) as usize
    }

    /// Returns a number drawn from the standard normal distribution (Box–Muller).
    pub(crate) fn normal(&mut self) -> f64 {
        // `1 - uniform` lies in (0, 1], so the logarithm is finite.
        let radius = (-2.0 * (1.0 - self.uniform()).ln()).sqrt();
        radius * (TAU * self.uniform()).cos()
    }
}

/// Smooth random variation: a standard-normal value on a grid every `scale_s` seconds,
/// interpolated with a smoothstep. Pure in `(seed, key, time_s)`; its standard deviation is
/// 1 on the grid and about 0.7 halfway.
pub(crate) fn smooth_noise(seed: u64, key: u64, time_s: f64, scale_s: f64) -> f64 {
    let position = time_s / scale_s;
    let cell = position.floor();
    let fraction = position - cell;
    let cell_index = cell as i64;
    let at = |index: i64| Rng::keyed(seed, &[key, index as u64]).normal();
    let (left, right) = (at(cell_index), at(cell_index + 1));
    let weight = fraction * fraction * (3.0 - 2.0 * fraction);
    left + (right - left) * weight
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_keys_separate_streams() {
        let mut first = Rng::keyed(7, &[]);
        let mut second = Rng::keyed(7, &[]);
        let mut other = Rng::keyed(8, &[]);
        let drawn: Vec<u64> = (0..8).map(|_| first.next_u64()).collect();
        assert_eq!(drawn, (0..8).map(|_| second.next_u64()).collect::<Vec<_>>());
        assert_ne!(drawn, (0..8).map(|_| other.next_u64()).collect::<Vec<_>>());
        assert_eq!(Rng::keyed(1, &[2, 3]).next_u64(), Rng::keyed(1, &[2, 3]).next_u64());
        assert_ne!(Rng::keyed(1, &[2, 3]).next_u64(), Rng::keyed(1, &[3, 2]).next_u64());
        assert_eq!(key_of("gauge-ouche-01"), key_of("gauge-ouche-01"));
        assert_ne!(key_of("gauge-ouche-01"), key_of("gauge-ouche-02"));
    }

    #[test]
    fn uniform_and_normal_have_the_expected_moments() {
        let mut rng = Rng::keyed(2026, &[]);
        let count = 200_000;
        let uniforms: Vec<f64> = (0..count).map(|_| rng.uniform()).collect();
        assert!(uniforms.iter().all(|value| (0.0..1.0).contains(value)));
        let uniform_mean = uniforms.iter().sum::<f64>() / count as f64;
        assert!((uniform_mean - 0.5).abs() < 0.01, "{uniform_mean}");

        let normals: Vec<f64> = (0..count).map(|_| rng.normal()).collect();
        assert!(normals.iter().all(|value| value.is_finite()));
        let mean = normals.iter().sum::<f64>() / count as f64;
        let variance = normals.iter().map(|value| (value - mean).powi(2)).sum::<f64>() / count as f64;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((variance - 1.0).abs() < 0.02, "variance {variance}");

        let indices: Vec<usize> = (0..1000).map(|_| rng.below(3)).collect();
        assert!(indices.iter().all(|index| *index < 3));
        assert!((0..3).all(|wanted| indices.contains(&wanted)));
    }

    #[test]
    fn smooth_noise_is_continuous_and_pure() {
        let step = 1.0;
        let mut previous = smooth_noise(5, 9, 0.0, 600.0);
        for second in 1..7200 {
            let value = smooth_noise(5, 9, second as f64 * step, 600.0);
            assert!((value - previous).abs() < 0.05, "jump at {second}");
            assert_eq!(value, smooth_noise(5, 9, second as f64 * step, 600.0));
            previous = value;
        }
    }
}
