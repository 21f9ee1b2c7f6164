//! ONNX Runtime through the `ort` crate, loading `libonnxruntime.so` at run time.
//!
//! The binary has no link-time dependency on ONNX Runtime: builds and tests that run no model
//! need no library. A process loads one library once; every session shares its environment.
//! The library's path is always given explicitly and checked first, because `ort` aborts
//! instead of erroring when it has to guess a path and finds nothing there.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use ort::environment::Environment;
use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;
use ort::value::TensorRef;

use super::{DetectError, InferenceSession, OutputTensor};

/// The environment of the loaded library, and where that library is.
static ENVIRONMENT: Mutex<Option<(PathBuf, Environment)>> = Mutex::new(None);

/// Loads the library at `library` (once per process) and returns its environment.
fn environment(library: &Path) -> Result<Environment, DetectError> {
    if !library.is_file() {
        return Err(DetectError::OrtLibraryMissing { path: library.to_path_buf() });
    }
    let absolute = library
        .canonicalize()
        .map_err(|error| DetectError::OrtLibraryLoad { path: library.to_path_buf(), reason: error.to_string() })?;
    let mut loaded = ENVIRONMENT.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((loaded_path, environment)) = loaded.as_ref() {
        if *loaded_path != absolute {
            return Err(DetectError::OrtLibraryConflict { loaded: loaded_path.clone(), requested: absolute });
        }
        return Ok(environment.clone());
    }
    let builder = ort::init_from(&absolute)
        .map_err(|error| DetectError::OrtLibraryLoad { path: absolute.clone(), reason: error.to_string() })?;
    let environment = builder
        .with_name("vigie")
        .with_telemetry(false)
        .build()
        .map_err(|error| DetectError::OrtLibraryLoad { path: absolute.clone(), reason: error.to_string() })?;
    *loaded = Some((absolute, environment.clone()));
    Ok(environment)
}

/// A model loaded into ONNX Runtime.
pub(crate) struct OrtSession {
    session: Session,
}

impl OrtSession {
    /// Loads `model` with `threads` intra-op threads (the calling thread counts as one). The
    /// threads sleep between runs instead of spinning: on a small machine shared with the
    /// decoder and the server, spinning threads slowed two-thread inference down more than
    /// twofold.
    pub(crate) fn open(library: &Path, model: &[u8], threads: usize) -> Result<OrtSession, DetectError> {
        let environment = environment(library)?;
        let session = Session::builder(&environment)
            .and_then(|builder| Ok(builder.with_optimization_level(GraphOptimizationLevel::All)?))
            .and_then(|builder| Ok(builder.with_intra_threads(threads)?))
            .and_then(|builder| Ok(builder.with_inter_threads(1)?))
            .and_then(|builder| Ok(builder.with_intra_op_spinning(false)?))
            .and_then(|mut builder| builder.commit_from_memory(model))
            .map_err(DetectError::Ort)?;
        Ok(OrtSession { session })
    }
}

impl InferenceSession for OrtSession {
    fn run(&mut self, input: &[f32], shape: [usize; 4]) -> Result<Vec<OutputTensor>, DetectError> {
        let tensor = TensorRef::from_array_view((shape, input)).map_err(DetectError::Ort)?;
        let outputs = self.session.run(ort::inputs![tensor]).map_err(DetectError::Ort)?;
        let mut copied = Vec::with_capacity(outputs.len());
        for (_name, value) in outputs.iter() {
            let (dimensions, data) = value.try_extract_tensor::<f32>().map_err(DetectError::Ort)?;
            let shape = dimensions.iter().map(|&dimension| usize::try_from(dimension).unwrap_or(0)).collect();
            copied.push(OutputTensor { shape, data: data.to_vec() });
        }
        Ok(copied)
    }
}
