//! Training utilities shared by the trainers: AdamW with a learning-rate schedule and global
//! gradient-norm clipping, and the policy/value loss with each term reported.
//!
//! AdamW is implemented here (the update is candle-nn's, Loshchilov & Hutter's decoupled weight
//! decay) because candle-nn's optimiser keeps its moments private: a run that resumes after a
//! crash must restore them, or the first steps after resuming are wrong-sized.

use std::collections::HashMap;

use candle_core::backprop::GradStore;
use candle_core::{DType, Tensor, Var, D};
use serde::{Deserialize, Serialize};

use crate::config::ValueHead;
use crate::{NetOutput, Network, NnError, Result};

/// Learning-rate schedule, as a multiplier of the base rate over optimiser steps.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum LrSchedule {
    /// The base rate throughout.
    #[default]
    Constant,
    /// Multiply by `gamma` every `every` steps.
    Step { every: u64, gamma: f64 },
    /// Linear warm-up from 0 over `warmup` steps, then a cosine decay to `min_factor` × base at
    /// step `total` (and that floor afterwards).
    Cosine {
        warmup: u64,
        total: u64,
        #[serde(default)]
        min_factor: f64,
    },
}

impl LrSchedule {
    /// The multiplier for the step about to be taken (0-based).
    pub fn factor(&self, step: u64) -> f64 {
        match *self {
            LrSchedule::Constant => 1.0,
            LrSchedule::Step { every, gamma } => gamma.powf((step / every.max(1)) as f64),
            LrSchedule::Cosine {
                warmup,
                total,
                min_factor,
            } => {
                if step < warmup {
                    (step + 1) as f64 / warmup as f64
                } else if step >= total {
                    min_factor
                } else {
                    let span = (total - warmup).max(1) as f64;
                    let progress = (step - warmup) as f64 / span;
                    min_factor
                        + (1.0 - min_factor) * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos())
                }
            }
        }
    }

    fn validate(&self) -> Result<()> {
        match *self {
            LrSchedule::Constant => Ok(()),
            LrSchedule::Step { every, gamma } => {
                if every == 0 || !(gamma > 0.0 && gamma.is_finite()) {
                    return Err(NnError::Config(format!(
                        "step schedule needs every ≥ 1 and gamma > 0 (got every = {every}, gamma = {gamma})"
                    )));
                }
                Ok(())
            }
            LrSchedule::Cosine {
                warmup,
                total,
                min_factor,
            } => {
                if total <= warmup || !(0.0..=1.0).contains(&min_factor) {
                    return Err(NnError::Config(format!(
                        "cosine schedule needs total > warmup and 0 ≤ min_factor ≤ 1 \
                         (got warmup = {warmup}, total = {total}, min_factor = {min_factor})"
                    )));
                }
                Ok(())
            }
        }
    }
}

/// Optimiser hyper-parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OptimizerConfig {
    /// Base learning rate.
    pub lr: f64,
    /// Decoupled weight decay (applied as θ ← θ·(1 − lr·wd)).
    pub weight_decay: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    /// Clip the global gradient norm to this value; `None` disables clipping.
    pub max_grad_norm: Option<f64>,
    pub schedule: LrSchedule,
}

impl Default for OptimizerConfig {
    fn default() -> Self {
        OptimizerConfig {
            lr: 1e-3,
            weight_decay: 1e-4,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            max_grad_norm: Some(5.0),
            schedule: LrSchedule::Constant,
        }
    }
}

impl OptimizerConfig {
    pub fn validate(&self) -> Result<()> {
        let bad = |what: &str, v: f64| {
            Err(NnError::Config(format!(
                "optimizer.{what} = {v} is out of range"
            )))
        };
        if !(self.lr > 0.0 && self.lr.is_finite()) {
            return bad("lr", self.lr);
        }
        if !(0.0..1.0).contains(&self.weight_decay) {
            return bad("weight_decay", self.weight_decay);
        }
        if !(0.0..1.0).contains(&self.beta1) {
            return bad("beta1", self.beta1);
        }
        if !(0.0..1.0).contains(&self.beta2) {
            return bad("beta2", self.beta2);
        }
        if self.eps.is_nan() || self.eps <= 0.0 {
            return bad("eps", self.eps);
        }
        if let Some(n) = self.max_grad_norm {
            if !(n > 0.0 && n.is_finite()) {
                return bad("max_grad_norm", n);
            }
        }
        self.schedule.validate()
    }
}

/// What one optimiser step did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepStats {
    /// Learning rate used for this step.
    pub lr: f64,
    /// Global gradient norm before clipping.
    pub grad_norm: f64,
}

struct Slot {
    name: String,
    var: Var,
    m: Tensor,
    v: Tensor,
}

/// AdamW over a network's variables, with schedule and clipping.
pub struct Optimizer {
    config: OptimizerConfig,
    slots: Vec<Slot>,
    step: u64,
}

impl std::fmt::Debug for Optimizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Optimizer")
            .field("config", &self.config)
            .field("params", &self.slots.len())
            .field("step", &self.step)
            .finish()
    }
}

impl Optimizer {
    /// An optimiser for every trainable variable of `net`.
    pub fn new(net: &Network, config: OptimizerConfig) -> Result<Self> {
        Self::from_vars(net.named_vars(), config)
    }

    /// An optimiser over named variables (batch-norm running statistics are skipped).
    pub fn from_vars(vars: Vec<(String, Var)>, config: OptimizerConfig) -> Result<Self> {
        config.validate()?;
        let mut vars = vars;
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        let slots = vars
            .into_iter()
            .filter(|(name, _)| !name.ends_with("running_mean") && !name.ends_with("running_var"))
            .map(|(name, var)| {
                let z = var.zeros_like()?;
                Ok(Slot {
                    name,
                    m: z.clone(),
                    v: z,
                    var,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        if slots.is_empty() {
            return Err(NnError::Config(
                "the network has no trainable variables (a frozen inference copy?)".to_string(),
            ));
        }
        Ok(Optimizer {
            config,
            slots,
            step: 0,
        })
    }

    /// Optimiser steps taken so far.
    pub fn steps_taken(&self) -> u64 {
        self.step
    }

    /// Learning rate the next step will use.
    pub fn current_lr(&self) -> f64 {
        self.config.lr * self.config.schedule.factor(self.step)
    }

    /// Back-propagates `loss`, clips, and updates every variable.
    pub fn backward_step(&mut self, loss: &Tensor) -> Result<StepStats> {
        let mut grads = loss.backward()?;
        self.step_with(&mut grads)
    }

    /// Updates from gradients already computed (e.g. accumulated over several batches).
    pub fn step_with(&mut self, grads: &mut GradStore) -> Result<StepStats> {
        let vars: Vec<Var> = self.slots.iter().map(|s| s.var.clone()).collect();
        let grad_norm = global_grad_norm(grads, &vars)?;
        if !grad_norm.is_finite() {
            return Err(NnError::Input(format!(
                "gradient norm is {grad_norm} at step {}: the loss diverged (lower the learning rate)",
                self.step
            )));
        }
        let clip = match self.config.max_grad_norm {
            Some(max) if grad_norm > max => max / grad_norm,
            _ => 1.0,
        };
        let lr = self.current_lr();
        self.step += 1;
        let c = &self.config;
        let t = self.step as i32;
        let scale_m = 1.0 / (1.0 - c.beta1.powi(t));
        let scale_v = 1.0 / (1.0 - c.beta2.powi(t));
        for slot in &mut self.slots {
            let Some(g) = grads.get(slot.var.as_tensor()) else {
                continue;
            };
            let g = if clip < 1.0 { (g * clip)? } else { g.clone() };
            slot.m = ((&slot.m * c.beta1)? + (&g * (1.0 - c.beta1))?)?;
            slot.v = ((&slot.v * c.beta2)? + (g.sqr()? * (1.0 - c.beta2))?)?;
            let update = ((&slot.m * scale_m)? / ((&slot.v * scale_v)?.sqrt()? + c.eps)?)?;
            let theta = slot.var.as_tensor().detach();
            let next = ((theta * (1.0 - lr * c.weight_decay))? - (update * lr)?)?;
            slot.var.set(&next)?;
        }
        Ok(StepStats { lr, grad_norm })
    }

    /// Moments and step count, by name, for checkpointing a run.
    pub fn state_tensors(&self) -> Result<HashMap<String, Tensor>> {
        let mut out = HashMap::new();
        for s in &self.slots {
            out.insert(format!("adamw.m.{}", s.name), s.m.clone());
            out.insert(format!("adamw.v.{}", s.name), s.v.clone());
        }
        out.insert(
            "adamw.step".to_string(),
            Tensor::new(&[self.step as f64], &candle_core::Device::Cpu)?,
        );
        Ok(out)
    }

    /// Restores what [`Optimizer::state_tensors`] saved; every moment must be present.
    pub fn load_state(&mut self, state: &HashMap<String, Tensor>) -> Result<()> {
        let get = |key: &str, like: &Tensor| -> Result<Tensor> {
            let t = state.get(key).ok_or_else(|| {
                NnError::Input(format!(
                    "optimizer state lacks {key}: saved for another network?"
                ))
            })?;
            if t.dims() != like.dims() {
                return Err(NnError::Input(format!(
                    "optimizer state {key} has shape {:?}, expected {:?}",
                    t.dims(),
                    like.dims()
                )));
            }
            Ok(t.to_dtype(DType::F32)?.to_device(like.device())?)
        };
        let mut restored = Vec::with_capacity(self.slots.len());
        for s in &self.slots {
            restored.push((
                get(&format!("adamw.m.{}", s.name), &s.m)?,
                get(&format!("adamw.v.{}", s.name), &s.v)?,
            ));
        }
        let step = state
            .get("adamw.step")
            .ok_or_else(|| NnError::Input("optimizer state lacks adamw.step".to_string()))?
            .to_dtype(DType::F64)?
            .to_vec1::<f64>()?;
        for (s, (m, v)) in self.slots.iter_mut().zip(restored) {
            s.m = m;
            s.v = v;
        }
        self.step = step.first().copied().unwrap_or(0.0) as u64;
        Ok(())
    }
}

/// Global L2 norm of the gradients of `vars` (variables without a gradient count as zero).
pub fn global_grad_norm(grads: &GradStore, vars: &[Var]) -> Result<f64> {
    let mut sum = 0f64;
    for v in vars {
        if let Some(g) = grads.get(v.as_tensor()) {
            sum += g
                .sqr()?
                .sum_all()?
                .to_dtype(DType::F64)?
                .to_scalar::<f64>()?;
        }
    }
    Ok(sum.sqrt())
}

/// Scales the gradients of `vars` so their global norm is at most `max_norm`; returns the
/// norm before clipping.
pub fn clip_grad_norm(grads: &mut GradStore, vars: &[Var], max_norm: f64) -> Result<f64> {
    let norm = global_grad_norm(grads, vars)?;
    if norm > max_norm && norm > 0.0 {
        let scale = max_norm / norm;
        for v in vars {
            if let Some(g) = grads.get(v.as_tensor()) {
                let scaled = (g * scale)?;
                grads.insert(v.as_tensor(), scaled);
            }
        }
    }
    Ok(norm)
}

/// The loss terms of one batch.
#[derive(Clone, Debug)]
pub struct Losses {
    /// policy + value_weight × value: the scalar to back-propagate.
    pub total: Tensor,
    /// Policy cross-entropy against the target distribution (nats, batch mean).
    pub policy: f32,
    /// Value loss: MSE for a scalar head, W/D/L cross-entropy (nats) for a W/D/L head.
    pub value: f32,
}

/// AlphaZero's loss: policy cross-entropy −Σ π·log p against a target distribution `policy_target`
/// ([.., A], zero on illegal actions) plus the value loss against `value_target` ([..], the
/// outcome in [-1, 1] for the player to move), weighted by `value_weight`.
///
/// For a W/D/L head the outcome z becomes the distribution (win, draw, loss) =
/// (max(z, 0), 1 − |z|, max(−z, 0)), which is one-hot for ±1/0 and has expectation z otherwise.
pub fn policy_value_loss(
    out: &NetOutput,
    policy_target: &Tensor,
    value_target: &Tensor,
    value_weight: f64,
) -> Result<Losses> {
    if policy_target.dims() != out.policy_logits.dims() {
        return Err(NnError::Input(format!(
            "policy target has shape {:?}, logits have {:?}",
            policy_target.dims(),
            out.policy_logits.dims()
        )));
    }
    let lead = &out.policy_logits.dims()[..out.policy_logits.rank() - 1];
    if value_target.dims() != lead {
        return Err(NnError::Input(format!(
            "value target has shape {:?}, expected {lead:?}",
            value_target.dims()
        )));
    }
    let logp = candle_nn::ops::log_softmax(&out.policy_logits, D::Minus1)?;
    let policy = (policy_target * logp)?.sum(D::Minus1)?.neg()?.mean_all()?;
    let value = match out.value_head {
        ValueHead::Scalar => (out.value.squeeze(D::Minus1)? - value_target)?
            .sqr()?
            .mean_all()?,
        ValueHead::Wdl => {
            let win = value_target.relu()?;
            let loss = value_target.neg()?.relu()?;
            let draw = (1.0 - value_target.abs()?)?;
            let target = Tensor::stack(&[win, draw, loss], D::Minus1)?;
            let logq = candle_nn::ops::log_softmax(&out.value, D::Minus1)?;
            (target * logq)?.sum(D::Minus1)?.neg()?.mean_all()?
        }
    };
    let total = (&policy + (&value * value_weight)?)?;
    Ok(Losses {
        policy: policy.to_dtype(DType::F32)?.to_scalar()?,
        value: value.to_dtype(DType::F32)?.to_scalar()?,
        total,
    })
}
