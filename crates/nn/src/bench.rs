//! The reference networks of the speed comparison with PyTorch, and their timing loop.
//!
//! `scripts/bench_nets_torch.py` builds the same three nets layer for layer; `ludus bench-nets`
//! and that script print the same JSON records, which `scripts/bench-nets.sh` joins into a table.
//!
//! - `resnet`: 5 blocks × 64 channels on a [3, 6, 7] input, 7 actions, W/D/L head;
//! - `transformer`: 4 layers, d = 64, 4 heads, ff 256, over the 42 cells (+ class token);
//! - `lstm`: one LSTM layer, hidden 128, over 32 steps of 64 inputs, plus a linear head.
//!
//! `forward` times inference on a frozen copy (what search does); `train` times one AdamW step
//! (forward in training mode, loss, backward, update).

use std::time::{Duration, Instant};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use serde::Serialize;

use crate::config::{Arch, NetConfig, ResnetConfig, TransformerConfig, ValueHead};
use crate::train::{policy_value_loss, Optimizer, OptimizerConfig};
use crate::{LstmCore, NetShape, Network, NnError, Result};

/// The reference nets, by name.
pub const NETS: [&str; 3] = ["resnet", "transformer", "lstm"];
/// The two timed modes.
pub const MODES: [&str; 2] = ["forward", "train"];

/// One timing, in the schema the PyTorch script prints.
#[derive(Clone, Debug, Serialize)]
pub struct Record {
    #[serde(rename = "impl")]
    pub implementation: &'static str,
    pub net: String,
    pub mode: String,
    pub batch: usize,
    pub threads: usize,
    pub device: String,
    /// Mean milliseconds per call.
    pub ms: f64,
    pub iters: usize,
}

const OPTIM: OptimizerConfig = OptimizerConfig {
    lr: 1e-3,
    weight_decay: 1e-4,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    max_grad_norm: None,
    schedule: crate::train::LrSchedule::Constant,
};

/// Calls `f` 5 times to warm up, then until both 20 calls and `min_time` have passed;
/// returns (mean ms per call, calls).
fn time_it(
    min_time: Duration,
    device: &Device,
    mut f: impl FnMut() -> Result<()>,
) -> Result<(f64, usize)> {
    for _ in 0..5 {
        f()?;
    }
    device.synchronize()?;
    let start = Instant::now();
    let mut iters = 0;
    while iters < 20 || start.elapsed() < min_time {
        f()?;
        iters += 1;
    }
    device.synchronize()?;
    Ok((start.elapsed().as_secs_f64() * 1e3 / iters as f64, iters))
}

/// Fixed pseudo-random inputs (seeded, so every run times the same numbers).
fn inputs(batch: usize, device: &Device) -> Result<(Tensor, Tensor, Tensor, Tensor)> {
    let mut rng = ludus_core::seeded_rng(42);
    use rand::Rng;
    let obs: Vec<f32> = (0..batch * 3 * 42)
        .map(|_| rng.random_range(-1.0f32..1.0))
        .collect();
    // Actions 5 and 6 illegal in every other row, like full columns.
    let legal: Vec<u8> = (0..batch * 7)
        .map(|i| u8::from(!((i / 7) % 2 == 1 && i % 7 >= 5)))
        .collect();
    let mut target = vec![0f32; batch * 7];
    for (row, chunk) in target.chunks_mut(7).enumerate() {
        let n = if row % 2 == 1 { 5 } else { 7 };
        let w: Vec<f32> = (0..n).map(|_| rng.random_range(0.1f32..1.0)).collect();
        let sum: f32 = w.iter().sum();
        for (t, x) in chunk.iter_mut().zip(w) {
            *t = x / sum;
        }
    }
    let z: Vec<f32> = (0..batch).map(|i| [-1.0, 0.0, 1.0][i % 3]).collect();
    Ok((
        Tensor::from_vec(obs, (batch, 3, 6, 7), device)?,
        Tensor::from_vec(legal, (batch, 7), device)?,
        Tensor::from_vec(target, (batch, 7), device)?,
        Tensor::from_vec(z, batch, device)?,
    ))
}

/// The board config of a reference net.
pub fn reference_config(net: &str) -> Result<NetConfig> {
    match net {
        "resnet" => Ok(NetConfig::new(
            Arch::Resnet(ResnetConfig {
                channels: 64,
                blocks: 5,
            }),
            ValueHead::Wdl,
        )),
        "transformer" => Ok(NetConfig::new(
            Arch::Transformer(TransformerConfig {
                d_model: 64,
                heads: 4,
                layers: 4,
                ff: 256,
            }),
            ValueHead::Wdl,
        )),
        other => Err(NnError::Config(format!(
            "no board reference net `{other}` (resnet, transformer)"
        ))),
    }
}

/// Times `net` (one of [`NETS`]) in `mode` (one of [`MODES`]) at `batch` on `device`.
pub fn run(
    net: &str,
    mode: &str,
    batch: usize,
    device: &Device,
    min_time: Duration,
) -> Result<Record> {
    if batch == 0 {
        return Err(NnError::Config("batch must be at least 1".to_string()));
    }
    let train = match mode {
        "forward" => false,
        "train" => true,
        other => {
            return Err(NnError::Config(format!(
                "unknown mode `{other}` (forward, train)"
            )))
        }
    };
    let (ms, iters) = match net {
        "resnet" | "transformer" => {
            let shape = NetShape {
                observation: [3, 6, 7],
                num_actions: 7,
            };
            let model = Network::new(&reference_config(net)?, &shape, device, 1)?;
            let (obs, legal, target, z) = inputs(batch, device)?;
            if train {
                let mut opt = Optimizer::new(&model, OPTIM)?;
                time_it(min_time, device, || {
                    let out = model.forward_t(&obs, &legal, true)?;
                    let losses = policy_value_loss(&out, &target, &z, 1.0)?;
                    opt.backward_step(&losses.total)?;
                    Ok(())
                })?
            } else {
                let frozen = model.inference_copy()?;
                time_it(min_time, device, || {
                    let out = frozen.forward(&obs, &legal)?;
                    std::hint::black_box(&out);
                    Ok(())
                })?
            }
        }
        "lstm" => {
            let varmap = candle_nn::VarMap::new();
            let vb = VarBuilder::from_varmap(&varmap, DType::F32, device);
            let core = LstmCore::new(64, 128, 1, vb.pp("lstm"))?;
            let head = crate::layers::linear(128, 1, vb.pp("head"))?;
            let mut rng = ludus_core::seeded_rng(9);
            use rand::Rng;
            let xs: Vec<f32> = (0..batch * 32 * 64)
                .map(|_| rng.random_range(-1.0f32..1.0))
                .collect();
            let xs = Tensor::from_vec(xs, (batch, 32, 64), device)?;
            let ys: Vec<f32> = (0..batch * 32)
                .map(|_| rng.random_range(-1.0f32..1.0))
                .collect();
            let ys = Tensor::from_vec(ys, (batch, 32, 1), device)?;
            if train {
                let mut opt = crate::train::Optimizer::from_vars(
                    varmap
                        .data()
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .iter()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                    OPTIM,
                )?;
                time_it(min_time, device, || {
                    let state = core.zero_state(batch, device)?;
                    let (out, _) = core.forward(&xs, None, &state)?;
                    let pred = head.forward(&out)?;
                    let loss = (pred - &ys)?.sqr()?.mean_all()?;
                    opt.backward_step(&loss)?;
                    Ok(())
                })?
            } else {
                // Frozen copy: rebuild from detached tensors so no graph is recorded.
                let detached = varmap
                    .data()
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_detached_tensor()))
                    .collect();
                let vb = VarBuilder::from_tensors(detached, DType::F32, device);
                let core = LstmCore::new(64, 128, 1, vb.pp("lstm"))?;
                let head = crate::layers::linear(128, 1, vb.pp("head"))?;
                time_it(min_time, device, || {
                    let state = core.zero_state(batch, device)?;
                    let (out, _) = core.forward(&xs, None, &state)?;
                    std::hint::black_box(head.forward(&out)?);
                    Ok(())
                })?
            }
        }
        other => {
            return Err(NnError::Config(format!(
                "unknown reference net `{other}` (resnet, transformer, lstm)"
            )))
        }
    };
    Ok(Record {
        implementation: "ludus",
        net: net.to_string(),
        mode: mode.to_string(),
        batch,
        threads: candle_core::utils::get_num_threads(),
        device: crate::device_name(device),
        ms,
        iters,
    })
}
