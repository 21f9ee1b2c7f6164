//! Image ↔ ground plane mapping from calibration point pairs.
//!
//! A camera sees flat ground through a plane projective transformation (a homography, a 3×3
//! matrix defined up to scale). Given at least four pixels whose ground positions are known
//! (in metres, in a local frame of the operator's choosing), [`Homography::from_pairs`]
//! estimates it by the normalised direct linear transform of Hartley and Zisserman
//! (*Multiple View Geometry*, 2nd ed., algorithm 4.2): both point sets are moved to their
//! centroid and scaled to a mean distance of √2, and the least-squares solution is the
//! eigenvector of `AᵀA` with the smallest eigenvalue.
//!
//! The matrix is scaled so that the calibration points have a positive third homogeneous
//! coordinate: a pixel whose third coordinate is zero or negative lies on or above the
//! horizon and has no ground position.

use serde::{Deserialize, Serialize};

use crate::geometry::GroundPoint;

/// An image pixel `(u, v)` and its ground position `(x, y)` in metres.
pub type PointPair = ((f64, f64), (f64, f64));

/// Why point pairs or a matrix do not give a usable homography.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HomographyError {
    #[error("at least 4 point pairs are needed, got {count}")]
    TooFewPairs { count: usize },
    #[error("point pair {index} has a coordinate that is not a finite number")]
    NonFinite { index: usize },
    #[error("the homography matrix has an entry that is not a finite number")]
    NonFiniteMatrix,
    #[error("the {plane} points are all on one line")]
    Collinear { plane: Plane },
    #[error("the point pairs do not determine a single homography (three of four points on a line?)")]
    Degenerate,
    #[error("the homography is singular")]
    Singular,
    #[error("the calibration points lie on both sides of the horizon")]
    AcrossHorizon,
}

/// Which side of a point pair a problem is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plane {
    Image,
    Ground,
}

impl std::fmt::Display for Plane {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(match self {
            Plane::Image => "image",
            Plane::Ground => "ground",
        })
    }
}

type Matrix3 = [[f64; 3]; 3];

/// The mapping from image pixels to ground metres of one camera, and back.
#[derive(Debug, Clone, PartialEq)]
pub struct Homography {
    /// Image → ground, scaled to unit Frobenius norm with `w > 0` on the visible ground.
    to_ground: Matrix3,
    /// Ground → image.
    to_image: Matrix3,
}

/// Relative size under which an eigenvalue of `AᵀA` or a determinant counts as zero.
const RANK_TOLERANCE: f64 = 1e-10;

impl Homography {
    /// Estimates the homography from at least four image ↔ ground pairs (least squares when
    /// there are more than four).
    pub fn from_pairs(pairs: &[PointPair]) -> Result<Homography, HomographyError> {
        if pairs.len() < 4 {
            return Err(HomographyError::TooFewPairs { count: pairs.len() });
        }
        for (index, ((u, v), (x, y))) in pairs.iter().enumerate() {
            if ![u, v, x, y].iter().all(|value| value.is_finite()) {
                return Err(HomographyError::NonFinite { index });
            }
        }
        let image_points: Vec<(f64, f64)> = pairs.iter().map(|pair| pair.0).collect();
        let ground_points: Vec<(f64, f64)> = pairs.iter().map(|pair| pair.1).collect();
        let image_normaliser =
            Normaliser::fit(&image_points).ok_or(HomographyError::Collinear { plane: Plane::Image })?;
        let ground_normaliser =
            Normaliser::fit(&ground_points).ok_or(HomographyError::Collinear { plane: Plane::Ground })?;

        let mut normal_matrix = [[0.0; 9]; 9];
        for (image, ground) in image_points.iter().zip(&ground_points) {
            let (u, v) = image_normaliser.apply(*image);
            let (x, y) = ground_normaliser.apply(*ground);
            let row_x = [u, v, 1.0, 0.0, 0.0, 0.0, -x * u, -x * v, -x];
            let row_y = [0.0, 0.0, 0.0, u, v, 1.0, -y * u, -y * v, -y];
            for row in [row_x, row_y] {
                for i in 0..9 {
                    for j in 0..9 {
                        normal_matrix[i][j] += row[i] * row[j];
                    }
                }
            }
        }
        let (eigenvalues, eigenvectors) = symmetric_eigen(normal_matrix);
        let mut order: [usize; 9] = std::array::from_fn(|index| index);
        order.sort_by(|a, b| eigenvalues[*a].total_cmp(&eigenvalues[*b]));
        let largest = eigenvalues[order[8]].max(f64::MIN_POSITIVE);
        // A second (near) zero eigenvalue means a whole family of matrices fits the points.
        if eigenvalues[order[1]] <= RANK_TOLERANCE * largest {
            return Err(HomographyError::Degenerate);
        }
        let smallest = order[0];
        let normalised: Matrix3 = std::array::from_fn(|i| std::array::from_fn(|j| eigenvectors[i * 3 + j][smallest]));

        // H = T_ground⁻¹ · H_normalised · T_image
        let matrix = multiply(&multiply(&ground_normaliser.inverse_matrix(), &normalised), &image_normaliser.matrix());
        let homography = Homography::from_matrix(matrix)?;
        homography.orient(&image_points)
    }

    /// Returns the homography of a known image → ground matrix (homogeneous coordinates,
    /// `[x·w, y·w, w] = matrix · [u, v, 1]`, with `w > 0` for pixels below the horizon).
    pub fn from_matrix(matrix: [[f64; 3]; 3]) -> Result<Homography, HomographyError> {
        if !matrix.iter().flatten().all(|value| value.is_finite()) {
            return Err(HomographyError::NonFiniteMatrix);
        }
        let norm = matrix.iter().flatten().map(|value| value * value).sum::<f64>().sqrt();
        if norm == 0.0 {
            return Err(HomographyError::Singular);
        }
        let scaled = matrix.map(|row| row.map(|value| value / norm));
        let (adjugate, determinant) = adjugate_and_determinant(&scaled);
        // For a unit-norm matrix |det| ≤ (1/√3)³ ≈ 0.19, reached by scaled rotations.
        if determinant.abs() <= RANK_TOLERANCE {
            return Err(HomographyError::Singular);
        }
        // The adjugate is `det · inverse`; keep it a positive multiple of the inverse so that
        // visible ground points map to pixels with a positive weight too.
        let to_image = adjugate.map(|row| row.map(|value| value * determinant.signum()));
        Ok(Homography { to_ground: scaled, to_image })
    }

    /// Returns the image → ground matrix (unit Frobenius norm).
    pub fn matrix(&self) -> [[f64; 3]; 3] {
        self.to_ground
    }

    /// Returns where pixel `(u, v)` touches the ground, or `None` for a pixel on or above the
    /// horizon (or a non-finite one).
    pub fn to_ground(&self, pixel: (f64, f64)) -> Option<GroundPoint> {
        let (x, y) = project(&self.to_ground, pixel)?;
        Some(GroundPoint { x, y })
    }

    /// Returns the pixel where a ground point appears, or `None` for a point behind the camera.
    pub fn to_image(&self, ground: GroundPoint) -> Option<(f64, f64)> {
        project(&self.to_image, (ground.x, ground.y))
    }

    /// Returns the root mean square distance, in metres, between the known ground positions and
    /// those this homography gives their pixels (`+∞` if a pixel has none; 0 for no pairs).
    pub fn reprojection_error_m(&self, pairs: &[PointPair]) -> f64 {
        if pairs.is_empty() {
            return 0.0;
        }
        let mut sum_of_squares = 0.0;
        for (pixel, (x, y)) in pairs {
            let Some(mapped) = self.to_ground(*pixel) else {
                return f64::INFINITY;
            };
            let distance = mapped.distance(&GroundPoint { x: *x, y: *y });
            sum_of_squares += distance * distance;
        }
        (sum_of_squares / pairs.len() as f64).sqrt()
    }

    /// Flips the sign of both matrices so that the calibration pixels are on the ground side.
    fn orient(self, image_points: &[(f64, f64)]) -> Result<Homography, HomographyError> {
        let weights: Vec<f64> = image_points.iter().map(|pixel| homogeneous_weight(&self.to_ground, *pixel)).collect();
        if weights.iter().all(|weight| *weight > 0.0) {
            return Ok(self);
        }
        if weights.iter().all(|weight| *weight < 0.0) {
            return Ok(Homography {
                to_ground: self.to_ground.map(|row| row.map(|value| -value)),
                to_image: self.to_image.map(|row| row.map(|value| -value)),
            });
        }
        Err(HomographyError::AcrossHorizon)
    }
}

fn homogeneous_weight(matrix: &Matrix3, (u, v): (f64, f64)) -> f64 {
    matrix[2][0] * u + matrix[2][1] * v + matrix[2][2]
}

/// Applies a homography to a point, or `None` when the result is at infinity or behind.
fn project(matrix: &Matrix3, (u, v): (f64, f64)) -> Option<(f64, f64)> {
    if !u.is_finite() || !v.is_finite() {
        return None;
    }
    let weight = homogeneous_weight(matrix, (u, v));
    // Below this the weight is rounding noise of its own terms: the point is on the horizon.
    let noise = 1e-12 * (matrix[2][0].abs() * u.abs() + matrix[2][1].abs() * v.abs() + matrix[2][2].abs());
    if weight <= noise {
        return None;
    }
    let x = (matrix[0][0] * u + matrix[0][1] * v + matrix[0][2]) / weight;
    let y = (matrix[1][0] * u + matrix[1][1] * v + matrix[1][2]) / weight;
    (x.is_finite() && y.is_finite()).then_some((x, y))
}

/// Hartley's similarity: centroid to the origin, mean distance from it to √2.
struct Normaliser {
    centre: (f64, f64),
    scale: f64,
}

impl Normaliser {
    /// Returns `None` when the points are all on one line (or all the same point).
    fn fit(points: &[(f64, f64)]) -> Option<Normaliser> {
        let count = points.len() as f64;
        let centre = (
            points.iter().map(|point| point.0).sum::<f64>() / count,
            points.iter().map(|point| point.1).sum::<f64>() / count,
        );
        let mean_distance =
            points.iter().map(|point| (point.0 - centre.0).hypot(point.1 - centre.1)).sum::<f64>() / count;
        if mean_distance <= 0.0 || !mean_distance.is_finite() {
            return None;
        }
        let normaliser = Normaliser { centre, scale: std::f64::consts::SQRT_2 / mean_distance };
        // The scatter matrix of the normalised points has a zero eigenvalue iff they are collinear.
        let (mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0);
        for point in points {
            let (x, y) = normaliser.apply(*point);
            sxx += x * x;
            syy += y * y;
            sxy += x * y;
        }
        let half_trace = (sxx + syy) / 2.0;
        let spread = ((sxx - syy) / 2.0).hypot(sxy);
        let smallest = half_trace - spread;
        let largest = half_trace + spread;
        if smallest <= 1e-9 * largest {
            return None;
        }
        Some(normaliser)
    }

    fn apply(&self, (x, y): (f64, f64)) -> (f64, f64) {
        ((x - self.centre.0) * self.scale, (y - self.centre.1) * self.scale)
    }

    fn matrix(&self) -> Matrix3 {
        [
            [self.scale, 0.0, -self.scale * self.centre.0],
            [0.0, self.scale, -self.scale * self.centre.1],
            [0.0, 0.0, 1.0],
        ]
    }

    fn inverse_matrix(&self) -> Matrix3 {
        [[1.0 / self.scale, 0.0, self.centre.0], [0.0, 1.0 / self.scale, self.centre.1], [0.0, 0.0, 1.0]]
    }
}

fn multiply(a: &Matrix3, b: &Matrix3) -> Matrix3 {
    std::array::from_fn(|i| std::array::from_fn(|j| (0..3).map(|k| a[i][k] * b[k][j]).sum()))
}

/// Returns the adjugate (the inverse up to the factor `1/det`) and the determinant.
fn adjugate_and_determinant(m: &Matrix3) -> (Matrix3, f64) {
    let cofactor = |row: usize, col: usize| {
        let (r1, r2) = ((row + 1) % 3, (row + 2) % 3);
        let (c1, c2) = ((col + 1) % 3, (col + 2) % 3);
        m[r1][c1] * m[r2][c2] - m[r1][c2] * m[r2][c1]
    };
    let adjugate: Matrix3 = std::array::from_fn(|i| std::array::from_fn(|j| cofactor(j, i)));
    let determinant = (0..3).map(|j| m[0][j] * cofactor(0, j)).sum();
    (adjugate, determinant)
}

/// Eigen-decomposition of a symmetric 9×9 matrix by cyclic Jacobi rotations. Returns the
/// eigenvalues and a matrix whose column `k` is the unit eigenvector of eigenvalue `k`.
fn symmetric_eigen(mut a: [[f64; 9]; 9]) -> ([f64; 9], [[f64; 9]; 9]) {
    let mut vectors: [[f64; 9]; 9] = std::array::from_fn(|i| std::array::from_fn(|j| if i == j { 1.0 } else { 0.0 }));
    let total: f64 = a.iter().flatten().map(|value| value * value).sum();
    for _sweep in 0..64 {
        let off_diagonal: f64 =
            (0..9).flat_map(|p| ((p + 1)..9).map(move |q| (p, q))).map(|(p, q)| a[p][q] * a[p][q]).sum();
        if off_diagonal <= f64::EPSILON * f64::EPSILON * total {
            break;
        }
        for p in 0..9 {
            for q in (p + 1)..9 {
                if a[p][q] == 0.0 {
                    continue;
                }
                // The rotation angle that zeroes a[p][q]: t = tan θ, the smaller root of
                // t² + 2·cot(2θ)·t − 1 = 0.
                let cot_two_theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
                let t = cot_two_theta.signum() / (cot_two_theta.abs() + (cot_two_theta * cot_two_theta + 1.0).sqrt());
                let cos = 1.0 / (t * t + 1.0).sqrt();
                let sin = t * cos;
                for row in &mut a {
                    let (kp, kq) = (row[p], row[q]);
                    row[p] = cos * kp - sin * kq;
                    row[q] = sin * kp + cos * kq;
                }
                let (row_p, row_q) = (a[p], a[q]);
                a[p] = std::array::from_fn(|k| cos * row_p[k] - sin * row_q[k]);
                a[q] = std::array::from_fn(|k| sin * row_p[k] + cos * row_q[k]);
                for row in &mut vectors {
                    let (kp, kq) = (row[p], row[q]);
                    row[p] = cos * kp - sin * kq;
                    row[q] = sin * kp + cos * kq;
                }
            }
        }
    }
    (std::array::from_fn(|i| a[i][i]), vectors)
}

/// Calibration points as a city pack writes them (TOML), e.g.
/// `points = [{ image = [412.0, 633.5], ground = [0.0, 0.0] }, …]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calibration {
    /// At least four, not three of them on one line.
    pub points: Vec<CalibrationPoint>,
}

/// One surveyed point: its pixel and its ground position in metres.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalibrationPoint {
    /// Pixel `[u, v]`, from the image's top-left corner.
    pub image: [f64; 2],
    /// Ground position `[x, y]` in metres.
    pub ground: [f64; 2],
}

impl Calibration {
    /// Returns the point pairs as [`Homography::from_pairs`] takes them.
    pub fn pairs(&self) -> Vec<PointPair> {
        self.points.iter().map(|point| ((point.image[0], point.image[1]), (point.ground[0], point.ground[1]))).collect()
    }

    /// Estimates the homography of these points.
    pub fn homography(&self) -> Result<Homography, HomographyError> {
        Homography::from_pairs(&self.pairs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jacobi_finds_the_eigenpairs_of_a_diagonalisable_matrix() {
        // A = Q D Qᵀ for a known rotation-like Q built from two Givens rotations.
        let mut matrix = [[0.0; 9]; 9];
        for (i, row) in matrix.iter_mut().enumerate() {
            row[i] = (i + 1) as f64;
        }
        matrix[0][1] = 0.5;
        matrix[1][0] = 0.5;
        matrix[3][7] = -2.0;
        matrix[7][3] = -2.0;
        let (values, vectors) = symmetric_eigen(matrix);
        for k in 0..9 {
            for i in 0..9 {
                let product: f64 = (0..9).map(|j| matrix[i][j] * vectors[j][k]).sum();
                assert!((product - values[k] * vectors[i][k]).abs() < 1e-12, "A v ≠ λ v for pair {k}");
            }
            let norm: f64 = (0..9).map(|i| vectors[i][k] * vectors[i][k]).sum();
            assert!((norm - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn adjugate_inverts_up_to_the_determinant() {
        let matrix = [[2.0, 1.0, 0.5], [0.0, 3.0, -1.0], [0.1, 0.2, 1.0]];
        let (adjugate, determinant) = adjugate_and_determinant(&matrix);
        let product = multiply(&matrix, &adjugate);
        for (i, row) in product.iter().enumerate() {
            for (j, value) in row.iter().enumerate() {
                let expected = if i == j { determinant } else { 0.0 };
                assert!((value - expected).abs() < 1e-12);
            }
        }
    }
}
