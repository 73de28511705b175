//! Proximal policy optimisation over recorded decision sequences (Schulman et al. 2017, with
//! the details of the CleanRL/gym-µRTS implementation): generalised advantage estimation,
//! the clipped surrogate, a value loss, an entropy bonus, invalid-action masking (the masks
//! each choice was offered are replayed exactly), and truncated back-propagation through time
//! for the LSTM: each minibatch is a set of whole sequences, each run from the core state it
//! started from when it was collected.
//!
//! A step's probability is the product over its units' choices (action type, then argument),
//! so its log-probability is the sum of theirs; the ratio and the clipping act on the step.

use candle_core::{DType, Device, Tensor, D};
use ludus_nn::train::Optimizer;
use ludus_nn::{mask_logits, LstmState, ILLEGAL_LOGIT};
use rand::seq::SliceRandom;
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::decode::{arg_width, kind, UnitChoice};
use crate::features::Observation;
use crate::policy::{Batch, Policy, PolicyOutput, ACTION_TYPES, DIRECTED, DIRECTIONS};
use crate::PpoError;

/// PPO's hyper-parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PpoConfig {
    /// Discount per decision (default 0.99).
    pub gamma: f64,
    /// GAE's λ (default 0.95).
    pub gae_lambda: f64,
    /// Clipping of the probability ratio (default 0.2).
    pub clip: f64,
    /// Passes over each rollout (default 4).
    pub epochs: usize,
    /// Minibatches per pass; each holds whole sequences (default 4).
    pub minibatches: usize,
    /// Weight of the value loss (default 0.5).
    pub value_coef: f64,
    /// Weight of the entropy bonus (default 0.01).
    pub entropy_coef: f64,
    /// Normalise advantages within each minibatch (default true).
    pub normalize_advantages: bool,
}

impl Default for PpoConfig {
    fn default() -> Self {
        PpoConfig {
            gamma: 0.99,
            gae_lambda: 0.95,
            clip: 0.2,
            epochs: 4,
            minibatches: 4,
            value_coef: 0.5,
            entropy_coef: 0.01,
            normalize_advantages: true,
        }
    }
}

impl PpoConfig {
    /// # Errors
    /// [`PpoError::Config`] naming the first bad field.
    pub fn validate(&self) -> Result<(), PpoError> {
        let bad = |m: &str| Err(PpoError::Config(format!("ppo: {m}")));
        if !(0.0..=1.0).contains(&self.gamma) || !(0.0..=1.0).contains(&self.gae_lambda) {
            return bad("gamma and gae_lambda must be between 0 and 1");
        }
        if !(self.clip > 0.0 && self.clip < 1.0) {
            return bad("clip must be between 0 and 1 (exclusive)");
        }
        if self.epochs == 0 || self.minibatches == 0 {
            return bad("epochs and minibatches must be at least 1");
        }
        if self.value_coef < 0.0 || self.entropy_coef < 0.0 {
            return bad("value_coef and entropy_coef must be ≥ 0");
        }
        Ok(())
    }
}

/// One decision of the learner: what it saw, what it chose, and what followed.
#[derive(Clone, Debug)]
pub struct Step {
    pub observation: Observation,
    pub choices: Vec<UnitChoice>,
    /// Log-probability of the choices under the acting policy.
    pub log_prob: f32,
    /// The acting policy's value estimate.
    pub value: f32,
    /// Reward collected from this decision until the next one.
    pub reward: f32,
    /// The first decision of an episode (the core's state is reset before it).
    pub start: bool,
    /// The episode ended after this decision (no bootstrapping across it).
    pub done: bool,
}

/// One environment's consecutive decisions, with the core state before the first.
#[derive(Clone, Debug)]
pub struct Sequence {
    /// Core state (h, c) before the first step, each `[layers · hidden]` values.
    pub initial: (Vec<f32>, Vec<f32>),
    pub steps: Vec<Step>,
    /// Value estimate of the state after the last step (0 when it ended an episode).
    pub bootstrap: f32,
}

/// Generalised advantage estimates and the returns they imply (advantage + value).
pub fn advantages(seq: &Sequence, gamma: f64, lambda: f64) -> (Vec<f32>, Vec<f32>) {
    let n = seq.steps.len();
    let mut adv = vec![0f32; n];
    let mut next_value = f64::from(seq.bootstrap);
    let mut running = 0f64;
    for t in (0..n).rev() {
        let s = &seq.steps[t];
        let live = if s.done { 0.0 } else { 1.0 };
        if s.done {
            next_value = 0.0;
            running = 0.0;
        }
        let delta = f64::from(s.reward) + gamma * next_value * live - f64::from(s.value);
        running = delta + gamma * lambda * live * running;
        adv[t] = running as f32;
        next_value = f64::from(s.value);
    }
    let returns = adv
        .iter()
        .zip(&seq.steps)
        .map(|(a, s)| a + s.value)
        .collect();
    (adv, returns)
}

/// The choices of `steps` (item `i` of the forward pass = `steps[i]`), as index tensors.
struct ChoiceBatch {
    items: usize,
    /// [D] global entity row `item · N + row`.
    rows: Tensor,
    kinds: Tensor,
    /// [D, 6] u8.
    kind_masks: Tensor,
    /// [D] item of each choice.
    item_of: Tensor,
    /// For choices with an argument: row of the [BT·N·5, A] argument table, argument, mask
    /// [D', A] u8, item.
    arg_rows: Option<(Tensor, Tensor, Tensor, Tensor)>,
}

impl ChoiceBatch {
    fn new(steps: &[&Step], n: usize, width: usize, device: &Device) -> Result<Self, PpoError> {
        let (mut rows, mut kinds, mut kind_masks, mut item_of) = (vec![], vec![], vec![], vec![]);
        let (mut arg_rows, mut args, mut arg_masks, mut arg_item) =
            (vec![], vec![], vec![], vec![]);
        for (i, step) in steps.iter().enumerate() {
            for c in &step.choices {
                let row = (i * n + c.row) as u32;
                rows.push(row);
                kinds.push(c.kind as u32);
                kind_masks.extend(c.kind_mask.iter().map(|&m| u8::from(m)));
                item_of.push(i as u32);
                if c.kind != kind::WAIT {
                    arg_rows.push(row * (ACTION_TYPES as u32 - 1) + c.kind as u32 - 1);
                    args.push(c.arg as u32);
                    // The mask is as wide as the acting batch's rows made it; this batch may
                    // have fewer or more rows. Only entries past every allowed one differ.
                    if c.arg >= width || c.arg_mask.iter().skip(width).any(|&m| m) {
                        return Err(PpoError::Input(format!(
                            "a recorded choice's arguments reach past this batch's {width}; \
                             was it recorded with another max_entities or unit table?"
                        )));
                    }
                    let kept = c.arg_mask.len().min(width);
                    arg_masks.extend(c.arg_mask[..kept].iter().map(|&m| u8::from(m)));
                    arg_masks.extend(std::iter::repeat_n(0u8, width - kept));
                    arg_item.push(i as u32);
                }
            }
        }
        let d = rows.len();
        let da = args.len();
        let t = |v: Vec<u32>| Tensor::from_vec(v, d, device);
        Ok(ChoiceBatch {
            items: steps.len(),
            rows: t(rows)?,
            kinds: t(kinds)?,
            kind_masks: Tensor::from_vec(kind_masks, (d, ACTION_TYPES), device)?,
            item_of: t(item_of)?,
            arg_rows: (da > 0)
                .then(|| -> Result<_, PpoError> {
                    let t = |v: Vec<u32>| Tensor::from_vec(v, da, device);
                    Ok((
                        t(arg_rows)?,
                        t(args)?,
                        Tensor::from_vec(arg_masks, (da, width), device)?,
                        t(arg_item)?,
                    ))
                })
                .transpose()?,
        })
    }
}

/// log p of each entry of masked `logits` [D, K] → log-softmax (masked entries ≈ −1e9).
fn masked_log_softmax(logits: &Tensor, mask: &Tensor) -> Result<Tensor, PpoError> {
    let l = mask_logits(logits, mask)?;
    let m = l.max_keepdim(D::Minus1)?.detach();
    let lse = (l.broadcast_sub(&m)?.exp()?.sum_keepdim(D::Minus1)?.log()? + m)?;
    Ok(l.broadcast_sub(&lse)?)
}

/// Chosen entries' log-probabilities [D] and the distributions' entropies [D].
fn chosen_and_entropy(logp: &Tensor, chosen: &Tensor) -> Result<(Tensor, Tensor), PpoError> {
    let picked = logp.gather(&chosen.unsqueeze(1)?, 1)?.squeeze(1)?;
    let entropy = (logp.exp()? * logp)?.sum(D::Minus1)?.neg()?;
    Ok((picked, entropy))
}

/// Per item: the log-probability of its recorded choices and the summed entropy of the
/// distributions they were drawn from.
fn log_probs(out: &PolicyOutput, choices: &ChoiceBatch) -> Result<(Tensor, Tensor), PpoError> {
    let (bt, n, _) = out.type_logits.dims3()?;
    let device = out.type_logits.device();
    let k = out.unit_logits.dim(2)?;
    let width = arg_width(n, k);
    let zeros = Tensor::zeros(choices.items, DType::F32, device)?;

    let types = out.type_logits.reshape((bt * n, ACTION_TYPES))?;
    let type_logp =
        masked_log_softmax(&types.index_select(&choices.rows, 0)?, &choices.kind_masks)?;
    let (picked, entropy) = chosen_and_entropy(&type_logp, &choices.kinds)?;
    let mut logp = zeros.index_add(&choices.item_of, &picked, 0)?;
    let mut ent = zeros.index_add(&choices.item_of, &entropy, 0)?;

    if let Some((arg_rows, args, masks, item)) = &choices.arg_rows {
        // The argument table [BT·N, 5, A]: move, harvest, return directions; produce
        // (direction, type) pairs; attack targets; each padded with illegal logits.
        let rows = bt * n;
        let pad = |t: Tensor, used: usize, parts: usize| -> Result<Tensor, PpoError> {
            if used == width {
                return Ok(t);
            }
            let fill = Tensor::full(ILLEGAL_LOGIT, (rows, parts, width - used), device)?;
            Ok(Tensor::cat(&[&t, &fill], 2)?)
        };
        let dirs = out.direction_logits.reshape((rows, DIRECTED, DIRECTIONS))?;
        let plain = pad(dirs.narrow(1, 0, DIRECTED - 1)?, DIRECTIONS, DIRECTED - 1)?;
        let produce_dirs = dirs
            .narrow(1, DIRECTED - 1, 1)?
            .reshape((rows, DIRECTIONS, 1))?;
        let produce = produce_dirs
            .broadcast_add(&out.unit_logits.reshape((rows, 1, k))?)?
            .reshape((rows, 1, DIRECTIONS * k))?;
        let produce = pad(produce, DIRECTIONS * k, 1)?;
        let attack = pad(out.target_logits.reshape((rows, 1, n))?, n, 1)?;
        let table = Tensor::cat(&[&plain, &produce, &attack], 1)?
            .reshape((rows * (ACTION_TYPES - 1), width))?;
        let arg_logp = masked_log_softmax(&table.index_select(arg_rows, 0)?, masks)?;
        let (picked, entropy) = chosen_and_entropy(&arg_logp, args)?;
        logp = logp.index_add(item, &picked, 0)?;
        ent = ent.index_add(item, &entropy, 0)?;
    }
    Ok((logp, ent))
}

/// Log-probabilities of each step's recorded choices under `policy`, run as the sequences they
/// came from (for checks: they equal the acting policy's when nothing has changed).
///
/// # Errors
/// A network failure.
pub fn replay_log_probs(policy: &Policy, seq: &Sequence) -> Result<Vec<f32>, PpoError> {
    let (out, choices) = evaluate(policy, &[seq])?;
    let (logp, _) = log_probs(&out, &choices)?;
    Ok(logp.to_vec1()?)
}

/// Runs sequences of equal length through the policy from their stored initial states.
fn evaluate(policy: &Policy, seqs: &[&Sequence]) -> Result<(PolicyOutput, ChoiceBatch), PpoError> {
    let device = policy.device();
    let t = seqs[0].steps.len();
    if seqs.iter().any(|s| s.steps.len() != t) {
        return Err(PpoError::Input(
            "sequences of a minibatch must have equal length".into(),
        ));
    }
    let steps: Vec<&Step> = seqs.iter().flat_map(|s| s.steps.iter()).collect();
    let observations: Vec<&Observation> = steps.iter().map(|s| &s.observation).collect();
    let batch = Batch::new(
        &observations,
        policy.shape(),
        policy.config().max_entities,
        device,
    )?;
    let starts: Vec<u8> = steps.iter().map(|s| u8::from(s.start)).collect();
    let starts = Tensor::from_vec(starts, (seqs.len(), t), device)?;
    let hidden = policy.config().core_hidden;
    let stack = |f: &dyn Fn(&Sequence) -> &Vec<f32>| -> Result<Tensor, PpoError> {
        let v: Vec<f32> = seqs.iter().flat_map(|s| f(s).iter().copied()).collect();
        Ok(Tensor::from_vec(v, (seqs.len(), 1, hidden), device)?
            .transpose(0, 1)?
            .contiguous()?)
    };
    let state = LstmState {
        h: stack(&|s| &s.initial.0)?,
        c: stack(&|s| &s.initial.1)?,
    };
    let out = policy.forward(&batch, seqs.len(), &starts, &state)?;
    let width = arg_width(batch.rows, policy.shape().unit_types);
    let choices = ChoiceBatch::new(&steps, batch.rows, width, device)?;
    Ok((out, choices))
}

/// What one PPO update did, averaged over its minibatches.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct UpdateStats {
    pub policy_loss: f64,
    pub value_loss: f64,
    pub entropy: f64,
    /// Mean KL(old ‖ new) estimate, (r − 1) − log r.
    pub approx_kl: f64,
    /// Share of steps whose ratio was clipped.
    pub clip_fraction: f64,
    pub grad_norm: f64,
    pub minibatches: usize,
}

/// PPO epochs over `sequences` (all of one length), in minibatches of whole sequences.
///
/// # Errors
/// A network failure or a non-finite gradient.
pub fn update(
    policy: &Policy,
    optimizer: &mut Optimizer,
    sequences: &[Sequence],
    config: &PpoConfig,
    rng: &mut impl Rng,
) -> Result<UpdateStats, PpoError> {
    config.validate()?;
    let device = policy.device();
    let gae: Vec<(Vec<f32>, Vec<f32>)> = sequences
        .iter()
        .map(|s| advantages(s, config.gamma, config.gae_lambda))
        .collect();
    let mut order: Vec<usize> = (0..sequences.len()).collect();
    let per = sequences.len().div_ceil(config.minibatches).max(1);
    let mut stats = UpdateStats::default();
    for _ in 0..config.epochs {
        order.shuffle(rng);
        for group in order.chunks(per) {
            let seqs: Vec<&Sequence> = group.iter().map(|&i| &sequences[i]).collect();
            let (out, choices) = evaluate(policy, &seqs)?;
            let (logp, entropy) = log_probs(&out, &choices)?;
            let flat = |f: &dyn Fn(usize, usize) -> f32| -> Vec<f32> {
                group
                    .iter()
                    .flat_map(|&i| (0..sequences[i].steps.len()).map(move |t| (i, t)))
                    .map(|(i, t)| f(i, t))
                    .collect()
            };
            let mut adv = flat(&|i, t| gae[i].0[t]);
            if config.normalize_advantages && adv.len() > 1 {
                let mean = adv.iter().sum::<f32>() / adv.len() as f32;
                let var = adv.iter().map(|a| (a - mean).powi(2)).sum::<f32>() / adv.len() as f32;
                let sd = var.sqrt() + 1e-8;
                adv.iter_mut().for_each(|a| *a = (*a - mean) / sd);
            }
            let items = adv.len();
            let adv = Tensor::from_vec(adv, items, device)?;
            let returns = Tensor::from_vec(flat(&|i, t| gae[i].1[t]), items, device)?;
            let old =
                Tensor::from_vec(flat(&|i, t| sequences[i].steps[t].log_prob), items, device)?;

            let log_ratio = (&logp - &old)?;
            let ratio = log_ratio.exp()?;
            let clipped = ratio.clamp(1.0 - config.clip, 1.0 + config.clip)?;
            let surrogate = (&ratio * &adv)?.minimum(&(&clipped * &adv)?)?;
            let policy_loss = surrogate.mean_all()?.neg()?;
            let value_loss = (&out.value - &returns)?.sqr()?.mean_all()?;
            let entropy_mean = entropy.mean_all()?;
            let loss = ((&policy_loss + (&value_loss * config.value_coef)?)?
                - (&entropy_mean * config.entropy_coef)?)?;
            let step = optimizer.backward_step(&loss)?;

            let r = ratio.detach().to_vec1::<f32>()?;
            let lr = log_ratio.detach().to_vec1::<f32>()?;
            stats.policy_loss += f64::from(policy_loss.to_scalar::<f32>()?);
            stats.value_loss += f64::from(value_loss.to_scalar::<f32>()?);
            stats.entropy += f64::from(entropy_mean.to_scalar::<f32>()?);
            stats.approx_kl += r
                .iter()
                .zip(&lr)
                .map(|(r, l)| f64::from((r - 1.0) - l))
                .sum::<f64>()
                / items as f64;
            stats.clip_fraction += r
                .iter()
                .filter(|&&r| (f64::from(r) - 1.0).abs() > config.clip)
                .count() as f64
                / items as f64;
            stats.grad_norm += step.grad_norm;
            stats.minibatches += 1;
        }
    }
    let m = stats.minibatches.max(1) as f64;
    Ok(UpdateStats {
        policy_loss: stats.policy_loss / m,
        value_loss: stats.value_loss / m,
        entropy: stats.entropy / m,
        approx_kl: stats.approx_kl / m,
        clip_fraction: stats.clip_fraction / m,
        grad_norm: stats.grad_norm / m,
        minibatches: stats.minibatches,
    })
}
