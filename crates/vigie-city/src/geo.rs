//! Geometry at the scale of a city: GeoJSON geometries, point-in-polygon, distances in metres
//! and camera fields of view.
//!
//! Distances and angles use an equirectangular projection centred on the point of interest:
//! over a few kilometres its error is far below a GPS fix's, and it keeps the code obvious.

use serde::Serialize;

/// A WGS 84 position: `[longitude, latitude]` in degrees, GeoJSON's order.
pub type Position = [f64; 2];

/// The mean Earth radius (IUGG), in metres.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A GeoJSON geometry, serialised as GeoJSON (`{"type": "Polygon", "coordinates": ...}`).
///
/// Polygons are lists of rings, the outer ring first and holes after; every ring is closed
/// (its first and last positions are equal), which [`load`](crate::load) checks.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", content = "coordinates")]
pub enum Geometry {
    Point(Position),
    LineString(Vec<Position>),
    MultiLineString(Vec<Vec<Position>>),
    Polygon(Vec<Vec<Position>>),
    MultiPolygon(Vec<Vec<Vec<Position>>>),
}

impl Geometry {
    /// Returns the GeoJSON type name.
    pub fn type_name(&self) -> &'static str {
        match self {
            Geometry::Point(_) => "Point",
            Geometry::LineString(_) => "LineString",
            Geometry::MultiLineString(_) => "MultiLineString",
            Geometry::Polygon(_) => "Polygon",
            Geometry::MultiPolygon(_) => "MultiPolygon",
        }
    }

    /// Tells whether the geometry is a polygon or a multipolygon.
    pub fn is_areal(&self) -> bool {
        matches!(self, Geometry::Polygon(_) | Geometry::MultiPolygon(_))
    }

    /// Tells whether `point` lies inside the area. Points and lines contain nothing.
    pub fn contains(&self, point: Position) -> bool {
        match self {
            Geometry::Polygon(rings) => polygon_contains(rings, point),
            Geometry::MultiPolygon(polygons) => polygons.iter().any(|rings| polygon_contains(rings, point)),
            Geometry::Point(_) | Geometry::LineString(_) | Geometry::MultiLineString(_) => false,
        }
    }

    /// Returns the distance in metres from `point` to the geometry: zero inside an area,
    /// otherwise the distance to the nearest vertex or edge.
    pub fn distance_m(&self, point: Position) -> f64 {
        if self.contains(point) {
            return 0.0;
        }
        let frame = LocalFrame::new(point);
        match self {
            Geometry::Point(position) => frame.norm(*position),
            Geometry::LineString(line) => frame.distance_to_line(line),
            Geometry::MultiLineString(lines) | Geometry::Polygon(lines) => {
                lines.iter().map(|line| frame.distance_to_line(line)).fold(f64::INFINITY, f64::min)
            }
            Geometry::MultiPolygon(polygons) => {
                polygons.iter().flatten().map(|ring| frame.distance_to_line(ring)).fold(f64::INFINITY, f64::min)
            }
        }
    }

    /// Returns a point that stands for the geometry: the point itself, the middle vertex of a
    /// line, or the mean of the outer ring's vertices (the centre of a simple building outline).
    pub fn representative_point(&self) -> Position {
        match self {
            Geometry::Point(position) => *position,
            Geometry::LineString(line) => middle_vertex(line),
            Geometry::MultiLineString(lines) => lines.first().map_or([0.0, 0.0], |line| middle_vertex(line)),
            Geometry::Polygon(rings) => rings.first().map_or([0.0, 0.0], |ring| ring_mean(ring)),
            Geometry::MultiPolygon(polygons) => {
                polygons.first().and_then(|rings| rings.first()).map_or([0.0, 0.0], |ring| ring_mean(ring))
            }
        }
    }
}

fn middle_vertex(line: &[Position]) -> Position {
    line.get(line.len() / 2).copied().unwrap_or([0.0, 0.0])
}

fn ring_mean(ring: &[Position]) -> Position {
    // The closing position repeats the first one: leave it out of the mean.
    let open = match ring.split_last() {
        Some((last, rest)) if rest.first() == Some(last) => rest,
        _ => ring,
    };
    if open.is_empty() {
        return [0.0, 0.0];
    }
    let count = open.len() as f64;
    let lon = open.iter().map(|position| position[0]).sum::<f64>() / count;
    let lat = open.iter().map(|position| position[1]).sum::<f64>() / count;
    [lon, lat]
}

/// Tells whether `point` lies inside the closed `ring` (even-odd rule; a point exactly on an
/// edge may fall either way).
pub fn ring_contains(ring: &[Position], point: Position) -> bool {
    let [x, y] = point;
    let mut inside = false;
    for edge in ring.windows(2) {
        let [x1, y1] = edge[0];
        let [x2, y2] = edge[1];
        if (y1 > y) != (y2 > y) && x < x1 + (y - y1) * (x2 - x1) / (y2 - y1) {
            inside = !inside;
        }
    }
    inside
}

/// Tells whether `point` lies inside the polygon: inside its outer ring and outside its holes.
pub fn polygon_contains(rings: &[Vec<Position>], point: Position) -> bool {
    let Some((outer, holes)) = rings.split_first() else {
        return false;
    };
    ring_contains(outer, point) && !holes.iter().any(|hole| ring_contains(hole, point))
}

/// Returns the distance in metres between two positions.
pub fn distance_m(from: Position, to: Position) -> f64 {
    LocalFrame::new(from).norm(to)
}

/// A local plane around an origin, in metres east (`x`) and north (`y`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct LocalFrame {
    origin: Position,
    metres_per_degree_lon: f64,
    metres_per_degree_lat: f64,
}

impl LocalFrame {
    pub(crate) fn new(origin: Position) -> Self {
        let metres_per_degree_lat = EARTH_RADIUS_M.to_radians();
        Self {
            origin,
            metres_per_degree_lon: metres_per_degree_lat * origin[1].to_radians().cos(),
            metres_per_degree_lat,
        }
    }

    pub(crate) fn to_metres(self, position: Position) -> [f64; 2] {
        [
            (position[0] - self.origin[0]) * self.metres_per_degree_lon,
            (position[1] - self.origin[1]) * self.metres_per_degree_lat,
        ]
    }

    pub(crate) fn to_position(self, metres: [f64; 2]) -> Position {
        [
            self.origin[0] + metres[0] / self.metres_per_degree_lon,
            self.origin[1] + metres[1] / self.metres_per_degree_lat,
        ]
    }

    /// Returns the distance in metres from the origin to `position`.
    fn norm(self, position: Position) -> f64 {
        let [x, y] = self.to_metres(position);
        x.hypot(y)
    }

    /// Returns the distance in metres from the origin to the nearest point of a polyline.
    fn distance_to_line(self, line: &[Position]) -> f64 {
        match line {
            [] => f64::INFINITY,
            [only] => self.norm(*only),
            _ => line
                .windows(2)
                .map(|edge| distance_to_segment(self.to_metres(edge[0]), self.to_metres(edge[1])))
                .fold(f64::INFINITY, f64::min),
        }
    }
}

/// The distance from the origin to the segment `a`–`b`, all in a local plane.
fn distance_to_segment(a: [f64; 2], b: [f64; 2]) -> f64 {
    let [dx, dy] = [b[0] - a[0], b[1] - a[1]];
    let length_squared = dx * dx + dy * dy;
    let t = if length_squared == 0.0 { 0.0 } else { (-(a[0] * dx + a[1] * dy) / length_squared).clamp(0.0, 1.0) };
    (a[0] + t * dx).hypot(a[1] + t * dy)
}

/// A camera's field of view: a circular sector from its position, `heading_deg` clockwise
/// from north, `fov_deg` wide and `range_m` long.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FieldOfView {
    pub position: Position,
    pub heading_deg: f64,
    pub fov_deg: f64,
    pub range_m: f64,
}

impl FieldOfView {
    /// Returns the distance in metres to `target` when the sector contains it, or `None`.
    /// The camera's own position counts as seen.
    pub fn sees(&self, target: Position) -> Option<f64> {
        let [east, north] = LocalFrame::new(self.position).to_metres(target);
        let distance = east.hypot(north);
        if distance > self.range_m {
            return None;
        }
        if distance == 0.0 || self.fov_deg >= 360.0 {
            return Some(distance);
        }
        let bearing = east.atan2(north).to_degrees();
        let off_axis = (bearing - self.heading_deg).rem_euclid(360.0);
        let off_axis = off_axis.min(360.0 - off_axis);
        // A hair of slack so that a point exactly on the sector's edge counts as inside.
        (off_axis <= self.fov_deg / 2.0 + 1e-9).then_some(distance)
    }

    /// Returns the sector as a closed ring, for a map to draw: the camera's position, then an
    /// arc with a vertex every [`ARC_STEP_DEG`] at most. A 360° view is a circle.
    pub fn polygon(&self) -> Vec<Position> {
        let frame = LocalFrame::new(self.position);
        let point_at = |bearing_deg: f64| {
            let radians = bearing_deg.to_radians();
            round_position(frame.to_position([self.range_m * radians.sin(), self.range_m * radians.cos()]))
        };
        if self.fov_deg >= 360.0 {
            let steps = (360.0 / ARC_STEP_DEG) as u32;
            let mut ring: Vec<Position> = (0..steps).map(|step| point_at(f64::from(step) * ARC_STEP_DEG)).collect();
            ring.push(ring[0]);
            return ring;
        }
        let steps = (self.fov_deg / ARC_STEP_DEG).ceil().max(1.0) as u32;
        let start = self.heading_deg - self.fov_deg / 2.0;
        let mut ring = vec![round_position(self.position)];
        for step in 0..=steps {
            ring.push(point_at(start + self.fov_deg * f64::from(step) / f64::from(steps)));
        }
        ring.push(round_position(self.position));
        ring
    }
}

/// The widest arc between two vertices of a drawn field of view. A chord of 15° strays from
/// its arc by under 0.9 % of the radius — 2 pixels for a 100 m range at zoom 18 — and a map of
/// thousands of cameras draws a third of the vertices a 5° step would give it, which counts
/// where WebGL is drawn in software.
pub const ARC_STEP_DEG: f64 = 15.0;

/// Rounds to 1e-6 degree (about 0.1 m): enough for a map, and it keeps the JSON small.
pub(crate) fn round_position(position: Position) -> Position {
    [(position[0] * 1e6).round() / 1e6, (position[1] * 1e6).round() / 1e6]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 1 km square near Dijon, with a 200 m square hole in its middle.
    fn square_with_hole() -> Vec<Vec<Position>> {
        let outer = vec![[5.0, 47.3], [5.0132, 47.3], [5.0132, 47.309], [5.0, 47.309], [5.0, 47.3]];
        let hole = vec![[5.0053, 47.3036], [5.0079, 47.3036], [5.0079, 47.3054], [5.0053, 47.3054], [5.0053, 47.3036]];
        vec![outer, hole]
    }

    #[test]
    fn point_in_polygon_respects_the_outer_ring_and_the_holes() {
        let rings = square_with_hole();
        assert!(polygon_contains(&rings, [5.002, 47.302]));
        assert!(!polygon_contains(&rings, [5.0066, 47.3045]), "inside the hole");
        assert!(!polygon_contains(&rings, [5.02, 47.302]), "east of the square");
        assert!(!polygon_contains(&rings, [5.002, 47.299]), "south of the square");
        assert!(!polygon_contains(&[], [5.002, 47.302]));
    }

    #[test]
    fn point_in_polygon_handles_concave_rings() {
        // A "U" open to the north: the notch is outside.
        let u_shape = vec![vec![
            [0.0, 0.0],
            [3.0, 0.0],
            [3.0, 3.0],
            [2.0, 3.0],
            [2.0, 1.0],
            [1.0, 1.0],
            [1.0, 3.0],
            [0.0, 3.0],
            [0.0, 0.0],
        ]];
        assert!(polygon_contains(&u_shape, [0.5, 2.5]));
        assert!(polygon_contains(&u_shape, [2.5, 2.5]));
        assert!(!polygon_contains(&u_shape, [1.5, 2.5]));
        assert!(polygon_contains(&u_shape, [1.5, 0.5]));
    }

    #[test]
    fn distance_to_a_polygon_is_zero_inside_and_metric_outside() {
        let square = Geometry::Polygon(square_with_hole());
        assert_eq!(square.distance_m([5.002, 47.302]), 0.0);
        // 0.001° of latitude south of the southern edge: about 111 m.
        let south = square.distance_m([5.006, 47.299]);
        assert!((south - 111.2).abs() < 0.5, "{south}");
        // Inside the hole, the nearest edge is the hole's.
        let in_hole = square.distance_m([5.0066, 47.3045]);
        assert!(in_hole > 50.0 && in_hole < 110.0, "{in_hole}");
    }

    #[test]
    fn distance_to_a_line_uses_the_nearest_segment() {
        let line = Geometry::LineString(vec![[5.0, 47.3], [5.01, 47.3]]);
        let beside = line.distance_m([5.005, 47.3005]);
        assert!((beside - 55.6).abs() < 0.5, "{beside}");
        let beyond_end = line.distance_m([5.0, 47.301]);
        assert!((beyond_end - 111.2).abs() < 0.5, "{beyond_end}");
    }

    #[test]
    fn representative_point_of_a_rectangle_is_its_centre() {
        let rectangle = Geometry::Polygon(vec![vec![[0.0, 0.0], [2.0, 0.0], [2.0, 1.0], [0.0, 1.0], [0.0, 0.0]]]);
        assert_eq!(rectangle.representative_point(), [1.0, 0.5]);
    }

    fn camera(heading_deg: f64, fov_deg: f64) -> FieldOfView {
        FieldOfView { position: [5.0415, 47.3213], heading_deg, fov_deg, range_m: 100.0 }
    }

    /// The position `metres` from the camera at `bearing_deg` clockwise from north.
    fn at(bearing_deg: f64, metres: f64) -> Position {
        let radians = bearing_deg.to_radians();
        LocalFrame::new([5.0415, 47.3213]).to_position([metres * radians.sin(), metres * radians.cos()])
    }

    #[test]
    fn field_of_view_contains_points_in_the_cone_and_in_range() {
        let east_facing = camera(90.0, 60.0);
        let seen = east_facing.sees(at(90.0, 50.0)).map(|d| d.round());
        assert_eq!(seen, Some(50.0));
        assert!(east_facing.sees(at(115.0, 50.0)).is_some(), "25° off axis, inside 30°");
        assert!(east_facing.sees(at(125.0, 50.0)).is_none(), "35° off axis");
        assert!(east_facing.sees(at(270.0, 50.0)).is_none(), "behind the camera");
        assert!(east_facing.sees(at(90.0, 101.0)).is_none(), "beyond range");
        assert_eq!(east_facing.sees([5.0415, 47.3213]), Some(0.0), "the camera's own spot");
    }

    #[test]
    fn field_of_view_wraps_around_north() {
        let north_facing = camera(0.0, 40.0);
        assert!(north_facing.sees(at(350.0, 60.0)).is_some());
        assert!(north_facing.sees(at(10.0, 60.0)).is_some());
        assert!(north_facing.sees(at(25.0, 60.0)).is_none());
        let almost_north = camera(355.0, 30.0);
        assert!(almost_north.sees(at(5.0, 60.0)).is_some(), "10° clockwise past 355°");
        assert!(almost_north.sees(at(345.0, 60.0)).is_some(), "10° anticlockwise of 355°");
        assert!(almost_north.sees(at(335.0, 60.0)).is_none());
        let dome = camera(123.0, 360.0);
        assert!(dome.sees(at(303.0, 99.0)).is_some());
    }

    #[test]
    fn field_of_view_polygon_is_a_closed_sector() {
        let sector = camera(90.0, 60.0).polygon();
        assert_eq!(sector.first(), sector.last());
        assert_eq!(sector.len(), 4 + 3, "apex, 5 arc vertices, apex");
        for vertex in &sector[1..sector.len() - 1] {
            let radius = distance_m([5.0415, 47.3213], *vertex);
            assert!((radius - 100.0).abs() < 0.2, "{radius}");
        }
        let circle = camera(0.0, 360.0).polygon();
        assert_eq!(circle.len(), 25);
        assert_eq!(circle.first(), circle.last());
    }
}
