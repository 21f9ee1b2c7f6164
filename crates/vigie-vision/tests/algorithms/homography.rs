//! Homography estimation from a simulated camera.

use vigie_vision::GroundPoint;
use vigie_vision::homography::{Calibration, Homography, HomographyError, Plane, PointPair};

use crate::random::Random;

/// A pinhole camera 6 m above the ground at (0, −10), looking along +y, tilted 30° down,
/// 800 px focal length, 1280×720 image.
fn camera_pixel(ground: (f64, f64)) -> (f64, f64) {
    let tilt = 30_f64.to_radians();
    let (focal, centre_u, centre_v) = (800.0, 640.0, 360.0);
    let relative = [ground.0, ground.1 + 10.0, -6.0];
    let forward = [0.0, tilt.cos(), -tilt.sin()];
    let down = [0.0, -tilt.sin(), -tilt.cos()];
    let dot = |axis: [f64; 3]| axis.iter().zip(&relative).map(|(a, b)| a * b).sum::<f64>();
    let depth = dot(forward);
    (centre_u + focal * relative[0] / depth, centre_v + focal * dot(down) / depth)
}

fn pair(ground: (f64, f64)) -> PointPair {
    (camera_pixel(ground), ground)
}

/// Ground points spread over the 16 m × 20 m area in front of the camera.
fn grid() -> Vec<(f64, f64)> {
    let mut points = Vec::new();
    for i in 0..=8 {
        for j in 0..=10 {
            points.push((-8.0 + 2.0 * f64::from(i), 2.0 * f64::from(j)));
        }
    }
    points
}

fn worst_ground_error(homography: &Homography) -> f64 {
    grid()
        .into_iter()
        .map(|(x, y)| {
            let mapped = homography.to_ground(camera_pixel((x, y))).expect("the grid is below the horizon");
            mapped.distance(&GroundPoint { x, y })
        })
        .fold(0.0, f64::max)
}

#[test]
fn four_exact_points_give_the_camera_homography() {
    let pairs: Vec<PointPair> = [(-8.0, 0.0), (8.0, 0.0), (8.0, 20.0), (-8.0, 20.0)].into_iter().map(pair).collect();
    let homography = Homography::from_pairs(&pairs).expect("four points in general position");
    assert!(worst_ground_error(&homography) < 1e-9, "error {} m", worst_ground_error(&homography));
    assert!(homography.reprojection_error_m(&pairs) < 1e-9);
}

#[test]
fn ten_noisy_points_give_the_camera_homography_within_centimetres() {
    let mut random = Random::new(7);
    let ground_points = [
        (-7.0, 1.0),
        (0.0, 0.5),
        (6.5, 2.0),
        (-5.0, 8.0),
        (1.0, 10.0),
        (7.5, 9.0),
        (-7.5, 18.0),
        (-1.0, 15.0),
        (3.0, 19.5),
        (7.0, 16.0),
    ];
    let pairs: Vec<PointPair> = ground_points
        .into_iter()
        .map(|ground| {
            let (u, v) = camera_pixel(ground);
            // Clicking a pixel by hand: half a pixel of error.
            ((u + random.gaussian(0.5), v + random.gaussian(0.5)), ground)
        })
        .collect();
    let homography = Homography::from_pairs(&pairs).expect("ten points in general position");
    let worst = worst_ground_error(&homography);
    assert!(worst < 0.15, "worst error over the area {worst} m");
    let residual = homography.reprojection_error_m(&pairs);
    assert!(residual > 0.0 && residual < 0.1, "residual {residual} m");
}

#[test]
fn image_and_ground_round_trip() {
    let pairs: Vec<PointPair> =
        [(-8.0, 0.0), (8.0, 0.0), (8.0, 20.0), (-8.0, 20.0), (0.0, 7.0)].into_iter().map(pair).collect();
    let homography = Homography::from_pairs(&pairs).expect("points in general position");
    for (u, v) in [(10.0, 700.0), (640.0, 360.0), (1200.0, 100.0), (300.0, 20.0)] {
        let ground = homography.to_ground((u, v)).expect("below the horizon");
        let (back_u, back_v) = homography.to_image(ground).expect("in front of the camera");
        assert!((back_u - u).abs() < 1e-6 && (back_v - v).abs() < 1e-6, "({u}, {v}) came back as ({back_u}, {back_v})");
    }
    let (u, v) = homography.to_image(GroundPoint { x: 3.0, y: 12.0 }).expect("in front of the camera");
    let expected = camera_pixel((3.0, 12.0));
    assert!((u - expected.0).abs() < 1e-6 && (v - expected.1).abs() < 1e-6);
}

#[test]
fn pixels_on_or_above_the_horizon_have_no_ground_position() {
    let pairs: Vec<PointPair> = [(-8.0, 0.0), (8.0, 0.0), (8.0, 20.0), (-8.0, 20.0)].into_iter().map(pair).collect();
    let homography = Homography::from_pairs(&pairs).expect("four points in general position");
    // The horizon is at v = 360 − 800·tan 30° ≈ −101.9.
    let horizon_v = 360.0 - 800.0 * 30_f64.to_radians().tan();
    assert_eq!(homography.to_ground((640.0, -300.0)), None);
    assert_eq!(homography.to_ground((100.0, horizon_v)), None);
    assert_eq!(homography.to_ground((f64::NAN, 400.0)), None);
    let far = homography.to_ground((640.0, horizon_v + 1.0)).expect("just below the horizon");
    assert!(far.y > 500.0, "one pixel under the horizon is far away, got {far:?}");
}

#[test]
fn bad_point_sets_are_refused() {
    let square = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)];
    let pairs: Vec<PointPair> = square.into_iter().map(pair).collect();
    assert_eq!(Homography::from_pairs(&pairs[..3]), Err(HomographyError::TooFewPairs { count: 3 }));

    let mut with_nan = pairs.clone();
    with_nan[2].1.0 = f64::NAN;
    assert_eq!(Homography::from_pairs(&with_nan), Err(HomographyError::NonFinite { index: 2 }));

    let on_a_line: Vec<PointPair> = (0..5).map(|i| f64::from(i) * 3.0).map(|x| pair((x, 2.0 * x))).collect();
    assert_eq!(Homography::from_pairs(&on_a_line), Err(HomographyError::Collinear { plane: Plane::Image }));

    let ground_on_a_line: Vec<PointPair> =
        square.iter().enumerate().map(|(i, ground)| (camera_pixel(*ground), (i as f64, 0.0))).collect();
    assert_eq!(Homography::from_pairs(&ground_on_a_line), Err(HomographyError::Collinear { plane: Plane::Ground }));

    let same_point = vec![pair((1.0, 1.0)); 4];
    assert_eq!(Homography::from_pairs(&same_point), Err(HomographyError::Collinear { plane: Plane::Image }));

    // Three of the four pixels on one line, their ground points not: no homography does that.
    let three_in_line = vec![
        ((100.0, 500.0), (0.0, 0.0)),
        ((300.0, 500.0), (10.0, 0.0)),
        ((500.0, 500.0), (10.0, 10.0)),
        ((300.0, 300.0), (0.0, 10.0)),
    ];
    assert!(matches!(
        Homography::from_pairs(&three_in_line),
        Err(HomographyError::Degenerate | HomographyError::Singular)
    ));
}

#[test]
fn calibration_is_read_from_toml() {
    let points: Vec<String> = [(-8.0, 0.0), (8.0, 0.0), (8.0, 20.0), (-8.0, 20.0), (0.0, 7.0)]
        .into_iter()
        .map(|ground| {
            let (u, v) = camera_pixel(ground);
            format!("{{ image = [{u}, {v}], ground = [{}, {}] }}", ground.0, ground.1)
        })
        .collect();
    let text = format!("points = [{}]", points.join(", "));
    let calibration: Calibration = toml::from_str(&text).expect("valid calibration");
    assert_eq!(calibration.points.len(), 5);
    let homography = calibration.homography().expect("points in general position");
    assert!(worst_ground_error(&homography) < 1e-9);

    let unknown_field = "points = [{ image = [1.0, 2.0], ground = [0.0, 0.0], height = 3.0 }]";
    assert!(toml::from_str::<Calibration>(unknown_field).is_err());
}
