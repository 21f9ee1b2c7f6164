//! The constant-velocity Kalman filter of SORT and ByteTrack on a box's centre, aspect and height.
//!
//! State: `[cx, cy, a, h, vcx, vcy, va, vh]` with `a = width / height`; measurement:
//! `[cx, cy, a, h]`. The noise levels scale with the box height, with ByteTrack's weights
//! (1/20 of the height for positions, 1/160 for velocities), so that near and far objects are
//! filtered alike.

use crate::geometry::BBox;

type Vector8 = [f64; 8];
type Matrix8 = [[f64; 8]; 8];
type Matrix4 = [[f64; 4]; 4];

const POSITION_WEIGHT: f64 = 1.0 / 20.0;
const VELOCITY_WEIGHT: f64 = 1.0 / 160.0;

/// A box's filtered state: mean and covariance.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct BoxFilter {
    mean: Vector8,
    covariance: Matrix8,
}

/// Returns the measurement `[cx, cy, a, h]` of a box with a positive height.
pub(super) fn measure(bbox: &BBox) -> [f64; 4] {
    let (cx, cy) = bbox.center();
    let height = f64::from(bbox.height());
    [f64::from(cx), f64::from(cy), f64::from(bbox.width()) / height, height]
}

impl BoxFilter {
    /// Starts a filter at a first measurement, with zero velocity and a wide uncertainty on it.
    pub(super) fn new(measurement: [f64; 4]) -> BoxFilter {
        let height = measurement[3];
        let position = 2.0 * POSITION_WEIGHT * height;
        let velocity = 10.0 * VELOCITY_WEIGHT * height;
        let deviations = [position, position, 1e-2, position, velocity, velocity, 1e-5, velocity];
        let mut mean = [0.0; 8];
        mean[..4].copy_from_slice(&measurement);
        BoxFilter { mean, covariance: diagonal(deviations) }
    }

    /// Moves the state one frame ahead.
    pub(super) fn predict(&mut self) {
        let height = self.mean[3];
        let position = POSITION_WEIGHT * height;
        let velocity = VELOCITY_WEIGHT * height;
        let process_noise = diagonal([position, position, 1e-2, position, velocity, velocity, 1e-5, velocity]);
        for index in 0..4 {
            self.mean[index] += self.mean[index + 4];
        }
        // P ← F P Fᵀ + Q with F = [[I, I], [0, I]]: add the velocity rows to the position rows,
        // then the velocity columns to the position columns.
        let mut covariance = self.covariance;
        for row in 0..4 {
            let velocity_row = covariance[row + 4];
            for (value, added) in covariance[row].iter_mut().zip(velocity_row) {
                *value += added;
            }
        }
        for row in &mut covariance {
            for col in 0..4 {
                row[col] += row[col + 4];
            }
        }
        for (row, noise_row) in covariance.iter_mut().zip(&process_noise) {
            for (value, noise) in row.iter_mut().zip(noise_row) {
                *value += noise;
            }
        }
        self.covariance = covariance;
    }

    /// Forgets the height velocity (ByteTrack does this for tracks it has lost, so that a box
    /// does not keep growing or shrinking while unseen).
    pub(super) fn stop_height_change(&mut self) {
        self.mean[7] = 0.0;
    }

    /// Corrects the state with a measurement.
    pub(super) fn update(&mut self, measurement: [f64; 4]) {
        let height = self.mean[3];
        let position = POSITION_WEIGHT * height;
        let measurement_noise = [position, position, 1e-1, position];
        // S = H P Hᵀ + R (the top-left block of P plus the measurement noise).
        let mut innovation_covariance: Matrix4 =
            std::array::from_fn(|i| std::array::from_fn(|j| self.covariance[i][j]));
        for (index, deviation) in measurement_noise.iter().enumerate() {
            innovation_covariance[index][index] += deviation * deviation;
        }
        let Some(cholesky) = cholesky(&innovation_covariance) else {
            // Only a corrupted covariance gets here; restart from the measurement.
            *self = BoxFilter::new(measurement);
            return;
        };
        // K = P Hᵀ S⁻¹: row r of K solves S kᵀ = (row r of P's first four columns)ᵀ.
        let gain: [[f64; 4]; 8] = std::array::from_fn(|row| {
            let cross =
                [self.covariance[row][0], self.covariance[row][1], self.covariance[row][2], self.covariance[row][3]];
            solve_with_cholesky(&cholesky, cross)
        });
        let innovation: [f64; 4] = std::array::from_fn(|index| measurement[index] - self.mean[index]);
        for (mean, gain_row) in self.mean.iter_mut().zip(&gain) {
            *mean += (0..4).map(|k| gain_row[k] * innovation[k]).sum::<f64>();
        }
        // P ← P − K S Kᵀ, kept exactly symmetric.
        let mut covariance = self.covariance;
        for row in 0..8 {
            for col in 0..8 {
                let mut correction = 0.0;
                for i in 0..4 {
                    for j in 0..4 {
                        correction += gain[row][i] * innovation_covariance[i][j] * gain[col][j];
                    }
                }
                covariance[row][col] -= correction;
            }
        }
        self.covariance =
            std::array::from_fn(|row| std::array::from_fn(|col| (covariance[row][col] + covariance[col][row]) / 2.0));
    }

    /// Returns the filtered box.
    pub(super) fn bbox(&self) -> BBox {
        let [cx, cy, aspect, height] = [self.mean[0], self.mean[1], self.mean[2], self.mean[3]];
        let width = aspect * height;
        BBox {
            x1: (cx - width / 2.0) as f32,
            y1: (cy - height / 2.0) as f32,
            x2: (cx + width / 2.0) as f32,
            y2: (cy + height / 2.0) as f32,
        }
    }
}

fn diagonal(deviations: Vector8) -> Matrix8 {
    std::array::from_fn(|i| std::array::from_fn(|j| if i == j { deviations[i] * deviations[i] } else { 0.0 }))
}

/// Returns the lower-triangular `L` with `L Lᵀ = matrix`, or `None` if it is not positive definite.
fn cholesky(matrix: &Matrix4) -> Option<Matrix4> {
    let mut lower = [[0.0; 4]; 4];
    for i in 0..4 {
        for j in 0..=i {
            let sum: f64 = (0..j).map(|k| lower[i][k] * lower[j][k]).sum();
            if i == j {
                let diagonal = matrix[i][i] - sum;
                if diagonal <= 0.0 || !diagonal.is_finite() {
                    return None;
                }
                lower[i][j] = diagonal.sqrt();
            } else {
                lower[i][j] = (matrix[i][j] - sum) / lower[j][j];
            }
        }
    }
    Some(lower)
}

/// Solves `L Lᵀ x = b`.
fn solve_with_cholesky(lower: &Matrix4, b: [f64; 4]) -> [f64; 4] {
    let mut forward = [0.0; 4];
    for i in 0..4 {
        let sum: f64 = (0..i).map(|k| lower[i][k] * forward[k]).sum();
        forward[i] = (b[i] - sum) / lower[i][i];
    }
    let mut solution = [0.0; 4];
    for i in (0..4).rev() {
        let sum: f64 = ((i + 1)..4).map(|k| lower[k][i] * solution[k]).sum();
        solution[i] = (forward[i] - sum) / lower[i][i];
    }
    solution
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_a_constant_velocity_from_exact_measurements() {
        let start = BBox::from_ltwh(100.0, 50.0, 40.0, 100.0);
        let mut filter = BoxFilter::new(measure(&start));
        for frame in 1..=30 {
            filter.predict();
            let moved = BBox::from_ltwh(100.0 + 3.0 * frame as f32, 50.0 - frame as f32, 40.0, 100.0);
            filter.update(measure(&moved));
        }
        filter.predict();
        let predicted = filter.bbox();
        let expected = BBox::from_ltwh(193.0, 19.0, 40.0, 100.0);
        assert!(predicted.iou(&expected) > 0.95, "predicted {predicted:?}, expected {expected:?}");
        assert!((filter.mean[4] - 3.0).abs() < 0.1 && (filter.mean[5] + 1.0).abs() < 0.1);
    }

    #[test]
    fn cholesky_solves_a_symmetric_positive_definite_system() {
        let matrix = [[4.0, 1.0, 0.0, 0.5], [1.0, 3.0, 0.2, 0.0], [0.0, 0.2, 2.0, 0.1], [0.5, 0.0, 0.1, 1.0]];
        let lower = cholesky(&matrix).expect("the matrix is diagonally dominant, hence positive definite");
        let solution = solve_with_cholesky(&lower, [1.0, 2.0, 3.0, 4.0]);
        for (row, expected) in matrix.iter().zip([1.0, 2.0, 3.0, 4.0]) {
            let product: f64 = row.iter().zip(&solution).map(|(a, x)| a * x).sum();
            assert!((product - expected).abs() < 1e-12);
        }
        assert_eq!(
            cholesky(&[[1.0, 2.0, 0.0, 0.0], [2.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]),
            None
        );
    }
}
