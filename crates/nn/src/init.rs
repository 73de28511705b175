//! Seeded parameter initialisation.
//!
//! candle's CPU device cannot be seeded (`Device::set_seed` fails on CPU), so a `VarMap` filled
//! by candle-nn's builders differs on every run. This backend plugs into `VarBuilder` instead:
//! it draws every initial value from a ChaCha8 stream seeded by the caller, in the order the
//! model asks for its parameters, so the same seed gives the same network on any machine and
//! device. The created variables are recorded in a `VarMap` that the optimiser and checkpoints use.

use std::sync::Mutex;

use candle_core::{DType, Device, Shape, Tensor, Var};
use candle_nn::init::{Init, NormalOrUniform};
use candle_nn::var_builder::SimpleBackend;
use candle_nn::VarMap;
use ludus_core::LudusRng;
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

pub(crate) struct SeededInit {
    varmap: VarMap,
    rng: Mutex<LudusRng>,
}

impl SeededInit {
    pub(crate) fn new(varmap: VarMap, seed: u64) -> Self {
        SeededInit {
            varmap,
            rng: Mutex::new(ludus_core::seeded_rng(seed)),
        }
    }

    fn sample(&self, shape: &Shape, init: Init) -> Vec<f32> {
        let n = shape.elem_count();
        let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
        let normal = |rng: &mut LudusRng, mean: f64, std: f64| -> f32 {
            let z: f64 = StandardNormal.sample(rng);
            (mean + std * z) as f32
        };
        match init {
            Init::Const(c) => vec![c as f32; n],
            Init::Randn { mean, stdev } => (0..n).map(|_| normal(&mut rng, mean, stdev)).collect(),
            Init::Uniform { lo, up } => (0..n)
                .map(|_| rng.random_range(lo..up.max(lo + f64::EPSILON)) as f32)
                .collect(),
            Init::Kaiming {
                dist,
                fan,
                non_linearity,
            } => {
                let std = non_linearity.gain() / (fan.for_shape(shape).max(1) as f64).sqrt();
                match dist {
                    NormalOrUniform::Normal => (0..n).map(|_| normal(&mut rng, 0.0, std)).collect(),
                    NormalOrUniform::Uniform => {
                        let bound = 3f64.sqrt() * std;
                        (0..n)
                            .map(|_| rng.random_range(-bound..bound) as f32)
                            .collect()
                    }
                }
            }
        }
    }
}

impl SimpleBackend for SeededInit {
    fn get(
        &self,
        shape: Shape,
        name: &str,
        init: Init,
        dtype: DType,
        dev: &Device,
    ) -> candle_core::Result<Tensor> {
        let existing = {
            let data = self.varmap.data().lock().unwrap_or_else(|p| p.into_inner());
            data.get(name).map(|v| v.as_tensor().clone())
        };
        if let Some(t) = existing {
            if t.shape() != &shape {
                candle_core::bail!(
                    "parameter {name} requested with shape {shape:?} but exists with {:?}",
                    t.shape()
                );
            }
            return Ok(t);
        }
        let values = self.sample(&shape, init);
        let t = Tensor::from_vec(values, shape, &Device::Cpu)?
            .to_dtype(dtype)?
            .to_device(dev)?;
        let var = Var::from_tensor(&t)?;
        let out = var.as_tensor().clone();
        self.varmap
            .data()
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.to_string(), var);
        Ok(out)
    }

    fn get_unchecked(
        &self,
        name: &str,
        _dtype: DType,
        _dev: &Device,
    ) -> candle_core::Result<Tensor> {
        let data = self.varmap.data().lock().unwrap_or_else(|p| p.into_inner());
        match data.get(name) {
            Some(v) => Ok(v.as_tensor().clone()),
            None => candle_core::bail!("parameter {name} has no initial value"),
        }
    }

    fn contains_tensor(&self, name: &str) -> bool {
        self.varmap
            .data()
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(name)
    }
}

/// A `VarBuilder` whose new variables are drawn from a ChaCha8 stream seeded by `seed` (see
/// the module docs) and recorded in `varmap`: for models built outside [`crate::Network`].
pub fn seeded_var_builder(
    varmap: &VarMap,
    seed: u64,
    device: &Device,
) -> candle_nn::VarBuilder<'static> {
    let backend: Box<dyn SimpleBackend> = Box::new(SeededInit::new(varmap.clone(), seed));
    candle_nn::VarBuilder::from_backend(backend, DType::F32, device.clone())
}
