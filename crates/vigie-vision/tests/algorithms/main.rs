//! Tests of the pure algorithms: assignment, homography, tracking, scene analytics and the
//! MOTChallenge metrics.

mod assign;
mod camera;
mod homography;
mod mot;
mod random;
mod scene;
mod track;
