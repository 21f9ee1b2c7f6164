//! Vigie's city pack: a city described as data in a folder, loaded and checked once at
//! startup.
//!
//! A pack holds `city.toml` (communes, command posts, roles, sensors, cameras, units,
//! routing rules), `communes.geojson` (commune boundaries), `zones.geojson` (rivers, roads,
//! event areas, public buildings) and `playbooks/<category>.toml` (one per incident category).
//! [`load`] reads it and returns a [`City`], or every problem found as [`CityErrors`];
//! [`load_texts`] checks the same files held in memory ([`PackTexts`]).
//!
//! - `load`: reading the files, checking each one and every reference between them.
//! - [`city`]: [`City`] and its queries: routing an incident to a command post, the commune at
//!   a point, the cameras that see a point, the GeoJSON layers for a map.
//! - [`model`]: the parts of a city ([`Sensor`], [`Camera`], [`Zone`], [`Route`]...).
//! - [`geo`]: geometries, point-in-polygon, distances and camera fields of view.
//! - [`error`]: [`CityError`], which names the file, the line or path, and the problem.

pub mod city;
pub mod error;
pub mod geo;
mod geojson;
mod load;
pub mod model;
mod toml_doc;

pub use city::City;
pub use error::{CityError, CityErrors};
pub use geo::{FieldOfView, Geometry, Position};
pub use load::{POSITION_TOLERANCE_M, PackTexts, SUPPORTED_VERSION, load, load_texts};
pub use model::{Camera, CommandPost, Commune, Retention, Role, Route, Sensor, SensorKind, Unit, Zone, ZoneKind};
