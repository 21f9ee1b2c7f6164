//! Reading the pack's GeoJSON files: a FeatureCollection whose features carry their
//! properties and a checked geometry. Errors name the JSON path (`features[2].geometry`).

use crate::error::CityError;
use crate::geo::{Geometry, Position};
use serde_json::{Map, Value};
use std::path::Path;

/// One feature of a collection. `geometry` is `None` when it was invalid (already reported).
#[derive(Debug)]
pub(crate) struct Feature {
    /// `features[3]`.
    pub(crate) path: String,
    pub(crate) properties: Map<String, Value>,
    pub(crate) geometry: Option<Geometry>,
}

impl Feature {
    /// The location of a property: `features[3].properties.id`.
    pub(crate) fn property_path(&self, key: &str) -> String {
        format!("{}.properties.{key}", self.path)
    }

    /// Returns a string property, reporting it when absent or of another type.
    pub(crate) fn string_property(&self, key: &str, file: &Path, errors: &mut Vec<CityError>) -> Option<String> {
        match self.properties.get(key) {
            Some(Value::String(text)) => Some(text.clone()),
            Some(other) => {
                errors.push(CityError::new(
                    file,
                    Some(self.property_path(key)),
                    format!("expected a string, found {}", json_type(other)),
                ));
                None
            }
            None => {
                errors.push(CityError::new(file, Some(self.property_path(key)), "missing property"));
                None
            }
        }
    }
}

/// Parses a FeatureCollection. Returns `None` when the file is not one at all.
pub(crate) fn read_feature_collection(file: &Path, text: &str, errors: &mut Vec<CityError>) -> Option<Vec<Feature>> {
    let document: Value = match serde_json::from_str(text) {
        Ok(document) => document,
        Err(error) => {
            // The same "line L, column C" as the TOML files' errors.
            let location = (error.line() > 0).then(|| format!("line {}, column {}", error.line(), error.column()));
            // serde_json appends " at line L column C" to its messages; the location has it.
            let message = error.to_string();
            let message = message.split(" at line ").next().unwrap_or(&message).to_owned();
            errors.push(CityError::new(file, location, message));
            return None;
        }
    };
    let Value::Object(collection) = document else {
        errors.push(CityError::new(file, None, "expected a GeoJSON FeatureCollection object"));
        return None;
    };
    if collection.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        errors.push(CityError::new(file, Some("type".to_owned()), "expected \"FeatureCollection\""));
        return None;
    }
    let Some(Value::Array(items)) = collection.get("features") else {
        errors.push(CityError::new(file, Some("features".to_owned()), "expected an array of features"));
        return None;
    };
    let mut features = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let path = format!("features[{index}]");
        let Value::Object(object) = item else {
            errors.push(CityError::new(file, Some(path), "expected a Feature object"));
            continue;
        };
        if object.get("type").and_then(Value::as_str) != Some("Feature") {
            errors.push(CityError::new(file, Some(format!("{path}.type")), "expected \"Feature\""));
            continue;
        }
        let properties = match object.get("properties") {
            Some(Value::Object(properties)) => properties.clone(),
            _ => {
                errors.push(CityError::new(
                    file,
                    Some(format!("{path}.properties")),
                    "expected an object of properties",
                ));
                continue;
            }
        };
        let geometry_path = format!("{path}.geometry");
        let geometry = match object.get("geometry") {
            Some(value) => match parse_geometry(value, &geometry_path) {
                Ok(geometry) => Some(geometry),
                Err(GeometryError { path, message }) => {
                    errors.push(CityError::new(file, Some(path), message));
                    None
                }
            },
            None => {
                errors.push(CityError::new(file, Some(geometry_path), "missing geometry"));
                None
            }
        };
        features.push(Feature { path, properties, geometry });
    }
    Some(features)
}

/// What is wrong with a geometry, and where.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct GeometryError {
    pub(crate) path: String,
    pub(crate) message: String,
}

fn geometry_error(path: &str, message: impl Into<String>) -> GeometryError {
    GeometryError { path: path.to_owned(), message: message.into() }
}

/// Parses and checks a GeoJSON geometry: positions in range, lines of two positions or more,
/// rings closed with four positions or more.
pub(crate) fn parse_geometry(value: &Value, path: &str) -> Result<Geometry, GeometryError> {
    let Value::Object(object) = value else {
        return Err(geometry_error(path, format!("expected a geometry object, found {}", json_type(value))));
    };
    let Some(kind) = object.get("type").and_then(Value::as_str) else {
        return Err(geometry_error(&format!("{path}.type"), "missing geometry type"));
    };
    let coordinates_path = format!("{path}.coordinates");
    let Some(coordinates) = object.get("coordinates") else {
        return Err(geometry_error(&coordinates_path, "missing coordinates"));
    };
    let at = coordinates_path.as_str();
    match kind {
        "Point" => Ok(Geometry::Point(position(coordinates, at)?)),
        "LineString" => Ok(Geometry::LineString(line(coordinates, at)?)),
        "MultiLineString" => Ok(Geometry::MultiLineString(non_empty_list(coordinates, at, line)?)),
        "Polygon" => Ok(Geometry::Polygon(polygon(coordinates, at)?)),
        "MultiPolygon" => Ok(Geometry::MultiPolygon(non_empty_list(coordinates, at, polygon)?)),
        other => Err(geometry_error(
            &format!("{path}.type"),
            format!(
                "unsupported geometry type `{other}`, expected one of Point, LineString, MultiLineString, Polygon, MultiPolygon"
            ),
        )),
    }
}

fn list<'v>(value: &'v Value, path: &str) -> Result<&'v Vec<Value>, GeometryError> {
    value.as_array().ok_or_else(|| geometry_error(path, format!("expected an array, found {}", json_type(value))))
}

fn non_empty_list<T>(
    value: &Value,
    path: &str,
    item: fn(&Value, &str) -> Result<T, GeometryError>,
) -> Result<Vec<T>, GeometryError> {
    let values = list(value, path)?;
    if values.is_empty() {
        return Err(geometry_error(path, "expected at least one part"));
    }
    values.iter().enumerate().map(|(index, value)| item(value, &format!("{path}[{index}]"))).collect()
}

fn position(value: &Value, path: &str) -> Result<Position, GeometryError> {
    let numbers = list(value, path)?;
    let (Some(lon), Some(lat)) = (numbers.first().and_then(Value::as_f64), numbers.get(1).and_then(Value::as_f64))
    else {
        return Err(geometry_error(path, "expected a position [lon, lat]"));
    };
    if numbers.len() > 3 || numbers.get(2).is_some_and(|altitude| !altitude.is_number()) {
        return Err(geometry_error(path, "expected a position [lon, lat] or [lon, lat, altitude]"));
    }
    check_lon_lat([lon, lat]).map_err(|message| geometry_error(path, message))?;
    Ok([lon, lat])
}

/// Checks that a position is finite and within WGS 84's ranges.
pub(crate) fn check_lon_lat(position: Position) -> Result<(), String> {
    let [lon, lat] = position;
    if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
        return Err(format!("longitude {lon} is outside [-180, 180]"));
    }
    if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
        return Err(format!("latitude {lat} is outside [-90, 90]"));
    }
    Ok(())
}

fn positions(value: &Value, path: &str) -> Result<Vec<Position>, GeometryError> {
    list(value, path)?.iter().enumerate().map(|(index, value)| position(value, &format!("{path}[{index}]"))).collect()
}

fn line(value: &Value, path: &str) -> Result<Vec<Position>, GeometryError> {
    let line = positions(value, path)?;
    if line.len() < 2 {
        return Err(geometry_error(path, format!("a line needs at least 2 positions, found {}", line.len())));
    }
    Ok(line)
}

fn ring(value: &Value, path: &str) -> Result<Vec<Position>, GeometryError> {
    let ring = positions(value, path)?;
    if ring.len() < 4 {
        return Err(geometry_error(path, format!("a ring needs at least 4 positions, found {}", ring.len())));
    }
    if ring.first() != ring.last() {
        return Err(geometry_error(path, "the ring is not closed: its first and last positions differ"));
    }
    Ok(ring)
}

fn polygon(value: &Value, path: &str) -> Result<Vec<Vec<Position>>, GeometryError> {
    let rings = list(value, path)?;
    if rings.is_empty() {
        return Err(geometry_error(path, "a polygon needs at least its outer ring"));
    }
    rings.iter().enumerate().map(|(index, value)| ring(value, &format!("{path}[{index}]"))).collect()
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(geometry: Value) -> Result<Geometry, GeometryError> {
        parse_geometry(&geometry, "features[2].geometry")
    }

    fn error(path: &str, message: &str) -> Result<Geometry, GeometryError> {
        Err(geometry_error(path, message))
    }

    #[test]
    fn accepts_valid_geometries() {
        assert_eq!(
            check(json!({"type": "Point", "coordinates": [5.04, 47.32, 250.0]})),
            Ok(Geometry::Point([5.04, 47.32]))
        );
        let square = json!([[[0, 0], [1, 0], [1, 1], [0, 0]]]);
        assert!(check(json!({"type": "Polygon", "coordinates": square})).is_ok());
        assert!(check(json!({"type": "MultiPolygon", "coordinates": [square, square]})).is_ok());
        assert!(check(json!({"type": "LineString", "coordinates": [[0, 0], [1, 1]]})).is_ok());
    }

    #[test]
    fn names_the_path_of_what_is_wrong() {
        assert_eq!(
            check(json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]})),
            error("features[2].geometry.coordinates[0]", "the ring is not closed: its first and last positions differ")
        );
        assert_eq!(
            check(json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]})),
            error("features[2].geometry.coordinates[0]", "a ring needs at least 4 positions, found 3")
        );
        assert_eq!(
            check(json!({"type": "LineString", "coordinates": [[0, 0], [190, 1]]})),
            error("features[2].geometry.coordinates[1]", "longitude 190 is outside [-180, 180]")
        );
        assert_eq!(
            check(json!({"type": "LineString", "coordinates": [[0, 0]]})),
            error("features[2].geometry.coordinates", "a line needs at least 2 positions, found 1")
        );
        assert_eq!(
            check(json!({"type": "Point", "coordinates": ["5", 47]})),
            error("features[2].geometry.coordinates", "expected a position [lon, lat]")
        );
        assert_eq!(
            check(json!({"type": "Circle", "coordinates": [0, 0]})),
            error(
                "features[2].geometry.type",
                "unsupported geometry type `Circle`, expected one of Point, LineString, MultiLineString, Polygon, MultiPolygon"
            )
        );
        assert_eq!(
            check(json!({"type": "MultiPolygon", "coordinates": []})),
            error("features[2].geometry.coordinates", "expected at least one part")
        );
        assert_eq!(check(json!(null)), error("features[2].geometry", "expected a geometry object, found null"));
    }

    #[test]
    fn reports_json_syntax_errors_with_line_and_column() {
        let mut errors = Vec::new();
        let features = read_feature_collection(
            Path::new("zones.geojson"),
            "{\"type\": \"FeatureCollection\",\n \"features\": [,]}",
            &mut errors,
        );
        assert!(features.is_none());
        assert_eq!(errors[0].to_string(), "zones.geojson: line 2, column 15: expected value");
    }
}
