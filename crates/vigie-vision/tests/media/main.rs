//! Tests on real media: the video, models, library and photos that
//! `python3 scripts/fetch-assets.py` puts into `assets/`. A missing file fails the test with a
//! message naming that script.

mod assets;
mod decode;
mod detect;
mod privacy;
