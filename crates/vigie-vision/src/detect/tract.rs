//! tract, the pure-Rust inference engine: nothing to install, about 3.5× slower than ONNX
//! Runtime on two cores.
//!
//! tract optimises a model for one input shape. The plan for the typical shape is built up
//! front; another shape (a face detector fed frames of another size) builds a new plan, kept
//! until the shape changes again.

use std::sync::Arc;

use tract_onnx::prelude::*;

use super::{DetectError, InferenceSession, OutputTensor};

type Plan = Arc<TypedRunnableModel>;

/// A model loaded into tract.
pub(crate) struct TractSession {
    model: InferenceModel,
    /// The plan for the last input shape.
    plan: Option<([usize; 4], Plan)>,
}

impl TractSession {
    /// Parses `model` and, when `typical_input` is known, optimises it for that input shape.
    pub(crate) fn open(model: &[u8], typical_input: Option<[usize; 4]>) -> Result<TractSession, DetectError> {
        let parsed = tract_onnx::onnx()
            .model_for_read(&mut &model[..])
            .map_err(|error| DetectError::BadModel { path: Default::default(), reason: format!("{error:#}") })?;
        let plan = match typical_input {
            Some(shape) => Some((shape, plan_for(&parsed, shape)?)),
            None => None,
        };
        Ok(TractSession { model: parsed, plan })
    }
}

fn plan_for(model: &InferenceModel, shape: [usize; 4]) -> Result<Plan, DetectError> {
    let mut model = model.clone();
    let build = || -> TractResult<Plan> {
        model.set_input_fact(0, f32::fact(shape).into())?;
        // The declared output shapes may belong to another input size: let tract infer them.
        for output in 0..model.output_outlets()?.len() {
            model.set_output_fact(output, InferenceFact::default())?;
        }
        model.into_optimized()?.into_runnable()
    };
    build().map_err(|error| DetectError::Tract { message: format!("{error:#}") })
}

impl InferenceSession for TractSession {
    fn run(&mut self, input: &[f32], shape: [usize; 4]) -> Result<Vec<OutputTensor>, DetectError> {
        let plan = match &self.plan {
            Some((planned_shape, plan)) if *planned_shape == shape => Arc::clone(plan),
            _ => {
                let plan = plan_for(&self.model, shape)?;
                self.plan = Some((shape, Arc::clone(&plan)));
                plan
            }
        };
        let tract_error = |error: TractError| DetectError::Tract { message: format!("{error:#}") };
        let tensor = Tensor::from_shape(&shape, input).map_err(tract_error)?;
        let outputs = plan.run(tvec!(tensor.into())).map_err(tract_error)?;
        let mut copied = Vec::with_capacity(outputs.len());
        for output in outputs {
            let plain = output.try_as_plain_ram().map_err(tract_error)?;
            let data = plain.as_slice::<f32>().map_err(tract_error)?.to_vec();
            copied.push(OutputTensor { shape: output.shape().to_vec(), data });
        }
        Ok(copied)
    }
}
