//! Redaction of every image that leaves the analytics worker.
//!
//! [`redact`] obscures each face CenterFace finds (box enlarged by 30 %) and the head region of
//! each detected person (top 22 % of the box, widened by 10 % on each side), so that far-field
//! cameras, whose faces are too small for any face detector, are covered too. The only way to
//! get a [`RedactedImage`], and so a JPEG from [`RedactedImage::encode_jpeg`], is through
//! [`redact`].
//!
//! Obscuring is irreversible by construction: each region is first pixelated into 4 × 4
//! blocks or so (the detail is averaged away, not hidden), then box-blurred so that no block
//! edges remain. The strength was chosen so that CenterFace no longer finds the obscured faces
//! of the test photos, even after JPEG compression. Face boxes are used for blurring only and
//! never kept.
//!
//! - `centerface`: the face detector.
//! - `onnx_shapes`: lets the face model run on any input size.

mod centerface;
mod onnx_shapes;

pub use centerface::{Face, FaceDetector, FaceDetectorConfig, input_size};

use crate::decode::Frame;
use crate::detect::DetectError;
use crate::geometry::BBox;

/// Face boxes grow by this factor (width and height) before being obscured: CenterFace's boxes
/// are tight, and with 20 % the outline of hair and chin still reads as a face on `bus.jpg`.
pub const FACE_ENLARGEMENT: f32 = 1.3;
/// The head region is this fraction of a person box's height, from its top.
pub const HEAD_HEIGHT_FRACTION: f32 = 0.22;
/// The head region extends past each side of a person box by this fraction of its width.
pub const HEAD_WIDENING_FRACTION: f32 = 0.1;
/// The head region extends above a person box by this fraction of its height, since detector
/// boxes sometimes cut the top of the head.
pub const HEAD_RAISE_FRACTION: f32 = 0.03;

/// Why an image could not be redacted or encoded. No image leaves when redaction fails.
#[derive(Debug, thiserror::Error)]
pub enum PrivacyError {
    #[error("face detection failed")]
    FaceDetection(#[from] DetectError),
    #[error("frame has {got} bytes of pixels, {width}×{height} needs {expected}")]
    BadFrame { width: u32, height: u32, expected: usize, got: usize },
    #[error("image {width}×{height} is too large for JPEG (65535 pixels a side at most)")]
    TooLarge { width: u32, height: u32 },
    #[error("JPEG encoding failed")]
    Encode(#[source] jpeg_encoder::EncodingError),
}

/// An RGB image whose faces and heads have been obscured.
#[derive(Clone, Debug, PartialEq)]
pub struct RedactedImage {
    width: u32,
    height: u32,
    rgb: Vec<u8>,
}

impl RedactedImage {
    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The pixels, three bytes each (red first), rows top to bottom.
    pub fn rgb(&self) -> &[u8] {
        &self.rgb
    }

    /// Encodes the image as a baseline JPEG; `quality` runs from 1 to 100.
    pub fn encode_jpeg(&self, quality: u8) -> Result<Vec<u8>, PrivacyError> {
        let too_large = || PrivacyError::TooLarge { width: self.width, height: self.height };
        let width = u16::try_from(self.width).map_err(|_| too_large())?;
        let height = u16::try_from(self.height).map_err(|_| too_large())?;
        let mut jpeg = Vec::new();
        let encoder = jpeg_encoder::Encoder::new(&mut jpeg, quality.clamp(1, 100));
        encoder.encode(&self.rgb, width, height, jpeg_encoder::ColorType::Rgb).map_err(PrivacyError::Encode)?;
        Ok(jpeg)
    }
}

/// Returns `frame` with every face found by `faces` and the head region of every box in
/// `persons` obscured. Without a face detector only head regions are obscured. Fails, rather
/// than returning an unredacted image, when the face detector fails.
pub fn redact(
    frame: &Frame,
    persons: &[BBox],
    faces: Option<&mut FaceDetector>,
) -> Result<RedactedImage, PrivacyError> {
    let expected = frame.width as usize * frame.height as usize * 3;
    if frame.bgr.len() != expected {
        return Err(PrivacyError::BadFrame {
            width: frame.width,
            height: frame.height,
            expected,
            got: frame.bgr.len(),
        });
    }
    let mut regions: Vec<BBox> = persons.iter().map(head_region).collect();
    if let Some(detector) = faces {
        regions.extend(detector.detect(frame)?.iter().map(|face| face_region(&face.bbox)));
    }
    let mut image = RedactedImage { width: frame.width, height: frame.height, rgb: bgr_to_rgb(&frame.bgr) };
    for region in &regions {
        if let Some(pixels) = PixelRect::clip(region, image.width, image.height) {
            obscure(&mut image, pixels);
        }
    }
    Ok(image)
}

/// Returns the region obscured for a person box: its top [`HEAD_HEIGHT_FRACTION`], widened by
/// [`HEAD_WIDENING_FRACTION`] on each side and raised by [`HEAD_RAISE_FRACTION`].
pub fn head_region(person: &BBox) -> BBox {
    let width = person.width();
    let height = person.height();
    BBox {
        x1: person.x1 - width * HEAD_WIDENING_FRACTION,
        y1: person.y1 - height * HEAD_RAISE_FRACTION,
        x2: person.x2 + width * HEAD_WIDENING_FRACTION,
        y2: person.y1 + height * HEAD_HEIGHT_FRACTION,
    }
}

/// Returns the region obscured for a face box: the box grown by [`FACE_ENLARGEMENT`] around
/// its centre.
pub fn face_region(face: &BBox) -> BBox {
    let (center_x, center_y) = face.center();
    let half_width = face.width() * FACE_ENLARGEMENT / 2.0;
    let half_height = face.height() * FACE_ENLARGEMENT / 2.0;
    BBox {
        x1: center_x - half_width,
        y1: center_y - half_height,
        x2: center_x + half_width,
        y2: center_y + half_height,
    }
}

fn bgr_to_rgb(bgr: &[u8]) -> Vec<u8> {
    let mut rgb = Vec::with_capacity(bgr.len());
    for pixel in bgr.chunks_exact(3) {
        rgb.extend_from_slice(&[pixel[2], pixel[1], pixel[0]]);
    }
    rgb
}

/// A non-empty rectangle of whole pixels: columns `x0..x1`, rows `y0..y1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PixelRect {
    x0: usize,
    y0: usize,
    x1: usize,
    y1: usize,
}

impl PixelRect {
    /// Returns the pixels a box touches, within the image; `None` when it is outside or empty.
    fn clip(region: &BBox, width: u32, height: u32) -> Option<PixelRect> {
        let to_column = |x: f32| x.clamp(0.0, width as f32) as usize;
        let to_row = |y: f32| y.clamp(0.0, height as f32) as usize;
        let rect = PixelRect {
            x0: to_column(region.x1.floor()),
            y0: to_row(region.y1.floor()),
            x1: to_column(region.x2.ceil()),
            y1: to_row(region.y2.ceil()),
        };
        (rect.x0 < rect.x1 && rect.y0 < rect.y1).then_some(rect)
    }

    fn width(&self) -> usize {
        self.x1 - self.x0
    }

    fn height(&self) -> usize {
        self.y1 - self.y0
    }
}

/// Pixelates the rectangle into blocks of a quarter of its longer side (at least 2 px), then
/// box-blurs it twice with a radius of one block.
fn obscure(image: &mut RedactedImage, rect: PixelRect) {
    let block = rect.width().max(rect.height()).div_ceil(4).max(2);
    pixelate(image, rect, block);
    let radius = block;
    for _ in 0..2 {
        box_blur(image, rect, radius);
    }
}

fn pixelate(image: &mut RedactedImage, rect: PixelRect, block: usize) {
    let row_bytes = image.width as usize * 3;
    for block_y in (rect.y0..rect.y1).step_by(block) {
        let block_y_end = (block_y + block).min(rect.y1);
        for block_x in (rect.x0..rect.x1).step_by(block) {
            let block_x_end = (block_x + block).min(rect.x1);
            let mut sums = [0_u64; 3];
            for y in block_y..block_y_end {
                for pixel in image.rgb[y * row_bytes + block_x * 3..y * row_bytes + block_x_end * 3].chunks_exact(3) {
                    for channel in 0..3 {
                        sums[channel] += u64::from(pixel[channel]);
                    }
                }
            }
            let count = ((block_y_end - block_y) * (block_x_end - block_x)) as u64;
            let mean = sums.map(|sum| ((sum + count / 2) / count) as u8);
            for y in block_y..block_y_end {
                for pixel in image.rgb[y * row_bytes + block_x * 3..y * row_bytes + block_x_end * 3].chunks_exact_mut(3)
                {
                    pixel.copy_from_slice(&mean);
                }
            }
        }
    }
}

/// Averages each pixel of the rectangle with its neighbours within `radius`, first along rows
/// then along columns, using only pixels inside the rectangle.
fn box_blur(image: &mut RedactedImage, rect: PixelRect, radius: usize) {
    let row_bytes = image.width as usize * 3;
    let mut line = Vec::with_capacity(rect.width().max(rect.height()));
    for y in rect.y0..rect.y1 {
        line.clear();
        line.extend((rect.x0..rect.x1).map(|x| pixel_at(&image.rgb, y * row_bytes + x * 3)));
        let blurred = blur_line(&line, radius);
        for (offset, value) in blurred.iter().enumerate() {
            let start = y * row_bytes + (rect.x0 + offset) * 3;
            image.rgb[start..start + 3].copy_from_slice(value);
        }
    }
    for x in rect.x0..rect.x1 {
        line.clear();
        line.extend((rect.y0..rect.y1).map(|y| pixel_at(&image.rgb, y * row_bytes + x * 3)));
        let blurred = blur_line(&line, radius);
        for (offset, value) in blurred.iter().enumerate() {
            let start = (rect.y0 + offset) * row_bytes + x * 3;
            image.rgb[start..start + 3].copy_from_slice(value);
        }
    }
}

fn pixel_at(rgb: &[u8], start: usize) -> [u8; 3] {
    [rgb[start], rgb[start + 1], rgb[start + 2]]
}

/// Moving average over a window of `2 × radius + 1` pixels, shrunk at the ends.
fn blur_line(line: &[[u8; 3]], radius: usize) -> Vec<[u8; 3]> {
    let mut prefix = Vec::with_capacity(line.len() + 1);
    prefix.push([0_u32; 3]);
    for pixel in line {
        let last = prefix[prefix.len() - 1];
        prefix.push([last[0] + u32::from(pixel[0]), last[1] + u32::from(pixel[1]), last[2] + u32::from(pixel[2])]);
    }
    (0..line.len())
        .map(|index| {
            let start = index.saturating_sub(radius);
            let end = (index + radius + 1).min(line.len());
            let count = (end - start) as u32;
            [0, 1, 2].map(|channel| ((prefix[end][channel] - prefix[start][channel] + count / 2) / count) as u8)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frame of deterministic noise, so that any smoothing shows.
    fn noise_frame(width: u32, height: u32) -> Frame {
        let mut state = 0x2545_f491_u32;
        let bgr = (0..width as usize * height as usize * 3)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                (state >> 24) as u8
            })
            .collect();
        Frame { index: 0, time_ms: 0, width, height, bgr }
    }

    fn rgb_at(rgb: &[u8], width: u32, x: usize, y: usize) -> [u8; 3] {
        pixel_at(rgb, (y * width as usize + x) * 3)
    }

    #[test]
    fn head_region_is_the_widened_top_of_the_person_box() {
        let person = BBox { x1: 100.0, y1: 50.0, x2: 140.0, y2: 150.0 };
        let head = head_region(&person);
        assert_eq!(head, BBox { x1: 96.0, y1: 47.0, x2: 144.0, y2: 72.0 });
        let face = face_region(&BBox { x1: 10.0, y1: 10.0, x2: 20.0, y2: 30.0 });
        assert_eq!(face, BBox { x1: 8.5, y1: 7.0, x2: 21.5, y2: 33.0 });
    }

    #[test]
    fn redaction_changes_the_head_and_nothing_far_from_it() {
        let frame = noise_frame(200, 200);
        let original = bgr_to_rgb(&frame.bgr);
        let person = BBox { x1: 50.0, y1: 40.0, x2: 90.0, y2: 160.0 };
        let redacted = redact(&frame, &[person], None).expect("a valid frame");
        let head = PixelRect::clip(&head_region(&person), 200, 200).expect("inside the frame");

        let mut changed_in_head = 0;
        for y in 0..200 {
            for x in 0..200 {
                let before = rgb_at(&original, 200, x, y);
                let after = rgb_at(redacted.rgb(), 200, x, y);
                let inside = (head.x0..head.x1).contains(&x) && (head.y0..head.y1).contains(&y);
                if inside {
                    changed_in_head += usize::from(before != after);
                } else {
                    assert_eq!(before, after, "pixel ({x}, {y}) outside the head region changed");
                }
            }
        }
        let head_pixels = head.width() * head.height();
        assert!(changed_in_head * 10 >= head_pixels * 9, "only {changed_in_head} of {head_pixels} head pixels changed");
    }

    #[test]
    fn obscured_regions_keep_no_fine_detail() {
        let frame = noise_frame(120, 120);
        // A person box whose head region covers rows 0..30 of the whole width.
        let person = BBox { x1: 0.0, y1: 0.0, x2: 120.0, y2: 136.0 };
        let redacted = redact(&frame, &[person], None).expect("a valid frame");
        let original = bgr_to_rgb(&frame.bgr);
        let roughness = |rgb: &[u8]| -> f64 {
            let mut total = 0.0;
            for y in 0..30 {
                for x in 1..120 {
                    let left = rgb_at(rgb, 120, x - 1, y);
                    let right = rgb_at(rgb, 120, x, y);
                    total += (0..3).map(|c| f64::from(left[c].abs_diff(right[c]))).sum::<f64>();
                }
            }
            total / (30.0 * 119.0 * 3.0)
        };
        let before = roughness(&original);
        let after = roughness(redacted.rgb());
        assert!(before > 50.0, "noise should be rough, got {before}");
        assert!(after < 2.0, "obscured pixels differ by {after} on average from their neighbours");
    }

    #[test]
    fn boxes_outside_the_frame_are_ignored_and_bad_frames_refused() {
        let frame = noise_frame(20, 20);
        let outside = BBox { x1: 30.0, y1: 30.0, x2: 40.0, y2: 40.0 };
        let redacted = redact(&frame, &[outside], None).expect("a valid frame");
        assert_eq!(redacted.rgb(), bgr_to_rgb(&frame.bgr).as_slice());
        let broken = Frame { bgr: vec![0; 10], ..frame };
        assert!(matches!(redact(&broken, &[], None), Err(PrivacyError::BadFrame { .. })));
    }

    #[test]
    fn jpeg_encoding_produces_a_jpeg_of_the_right_size() {
        let frame = noise_frame(64, 48);
        let jpeg = redact(&frame, &[], None).expect("a valid frame").encode_jpeg(80).expect("encodable");
        assert_eq!(&jpeg[..2], &[0xff, 0xd8], "JPEG start-of-image marker");
        assert_eq!(&jpeg[jpeg.len() - 2..], &[0xff, 0xd9], "JPEG end-of-image marker");
        // The baseline frame header (SOF0) holds the height then the width.
        let sof = jpeg.windows(2).position(|marker| marker == [0xff, 0xc0]).expect("a baseline frame header");
        assert_eq!(&jpeg[sof + 5..sof + 9], &[0, 48, 0, 64]);
    }
}
