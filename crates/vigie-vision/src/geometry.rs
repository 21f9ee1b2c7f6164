//! Pixel boxes, ground points and detections: the shapes every stage passes on.

use serde::{Deserialize, Serialize};

/// An axis-aligned box in image pixels: `(x1, y1)` top-left, `(x2, y2)` bottom-right.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BBox {
    pub x1: f32,
    pub y1: f32,
    pub x2: f32,
    pub y2: f32,
}

impl BBox {
    /// Returns the box from its top-left corner and size (MOTChallenge's `left, top, width, height`).
    pub fn from_ltwh(left: f32, top: f32, width: f32, height: f32) -> BBox {
        BBox { x1: left, y1: top, x2: left + width, y2: top + height }
    }

    pub fn width(&self) -> f32 {
        (self.x2 - self.x1).max(0.0)
    }

    pub fn height(&self) -> f32 {
        (self.y2 - self.y1).max(0.0)
    }

    pub fn area(&self) -> f32 {
        self.width() * self.height()
    }

    /// Returns the centre of the box.
    pub fn center(&self) -> (f32, f32) {
        ((self.x1 + self.x2) / 2.0, (self.y1 + self.y2) / 2.0)
    }

    /// Returns the middle of the bottom edge: where a standing person touches the ground.
    pub fn foot(&self) -> (f32, f32) {
        ((self.x1 + self.x2) / 2.0, self.y2)
    }

    /// Returns the intersection over union of two boxes, 0 when they do not overlap.
    pub fn iou(&self, other: &BBox) -> f32 {
        let width = (self.x2.min(other.x2) - self.x1.max(other.x1)).max(0.0);
        let height = (self.y2.min(other.y2) - self.y1.max(other.y1)).max(0.0);
        let intersection = width * height;
        let union = self.area() + other.area() - intersection;
        if union <= 0.0 { 0.0 } else { intersection / union }
    }
}

/// A point on the ground plane, in metres, in the camera's local ground frame.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroundPoint {
    pub x: f64,
    pub y: f64,
}

impl GroundPoint {
    pub fn distance(&self, other: &GroundPoint) -> f64 {
        (self.x - other.x).hypot(self.y - other.y)
    }
}

/// What a detection is. Only the classes scene analytics use are named; the rest keep their
/// COCO index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectClass {
    Person,
    Bicycle,
    Car,
    Motorcycle,
    Bus,
    Truck,
    Other(u16),
}

impl ObjectClass {
    /// Returns the class of a COCO class index (YOLOX's 80 classes).
    pub fn from_coco(index: usize) -> ObjectClass {
        match index {
            0 => ObjectClass::Person,
            1 => ObjectClass::Bicycle,
            2 => ObjectClass::Car,
            3 => ObjectClass::Motorcycle,
            5 => ObjectClass::Bus,
            7 => ObjectClass::Truck,
            other => ObjectClass::Other(u16::try_from(other).unwrap_or(u16::MAX)),
        }
    }

    /// Whether this is a vehicle (for counter-flow of vehicles).
    pub fn is_vehicle(self) -> bool {
        matches!(
            self,
            ObjectClass::Bicycle | ObjectClass::Car | ObjectClass::Motorcycle | ObjectClass::Bus | ObjectClass::Truck
        )
    }
}

/// One object found in one frame.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    pub bbox: BBox,
    /// Objectness × class score, in `[0, 1]`.
    pub score: f32,
    pub class: ObjectClass,
}
