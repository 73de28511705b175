//! [`Network`]: one type for every architecture, built from a [`NetConfig`] for a game's shapes.

use std::collections::HashMap;

use candle_core::{DType, Device, Tensor, Var, D};
use candle_nn::{VarBuilder, VarMap};
use ludus_core::{Game, GameState};

use crate::config::{Arch, NetConfig, ValueHead};
use crate::init::SeededInit;
use crate::layers::{mask_logits, softmax_last};
use crate::lstm::{LstmNet, LstmState};
use crate::mlp::MlpNet;
use crate::resnet::ResnetNet;
use crate::transformer::TransformerNet;
use crate::{NnError, Result};

/// Largest batch evaluated in one piece on the CPU (see `Network::forward_split`).
const CPU_CHUNK: usize = 64;

/// What a network must know about its game: observation shape and number of actions.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NetShape {
    /// `[planes, height, width]`, as [`Game::observation_shape`].
    pub observation: [usize; 3],
    pub num_actions: usize,
}

impl NetShape {
    pub fn of<G: Game>(game: &G) -> Self {
        NetShape {
            observation: game.observation_shape(),
            num_actions: game.num_actions(),
        }
    }

    /// Number of values in one observation.
    pub fn observation_len(&self) -> usize {
        self.observation.iter().product()
    }

    /// `Some(k)` when the actions are the board cells in row-major order followed by `k` (≤ 8)
    /// extra actions such as pass — the layout of tic-tac-toe, Othello and Go — so a Transformer
    /// can read one policy logit per token. `None` otherwise (Connect Four's columns).
    pub fn per_cell_extra_actions(&self) -> Option<usize> {
        let cells = self.observation[1] * self.observation[2];
        (self.num_actions >= cells && self.num_actions - cells <= 8)
            .then(|| self.num_actions - cells)
    }
}

/// A network's outputs for a batch.
#[derive(Clone, Debug)]
pub struct NetOutput {
    /// Policy logits [.., A]; illegal actions hold [`crate::ILLEGAL_LOGIT`] so their
    /// probability is exactly zero.
    pub policy_logits: Tensor,
    /// [.., 1] in [-1, 1] for a scalar head (after tanh); [.., 3] win/draw/loss logits for W/D/L.
    pub value: Tensor,
    pub value_head: ValueHead,
}

impl NetOutput {
    pub(crate) fn new(
        logits: &Tensor,
        legal: &Tensor,
        value: Tensor,
        value_head: ValueHead,
    ) -> Result<NetOutput> {
        let value = match value_head {
            ValueHead::Scalar => value.tanh()?,
            ValueHead::Wdl => value,
        };
        Ok(NetOutput {
            policy_logits: mask_logits(logits, legal)?,
            value,
            value_head,
        })
    }

    /// Reshapes the leading batch dimension into `dims` (e.g. [B, T]).
    pub(crate) fn reshape_batch(self, dims: &[usize]) -> Result<NetOutput> {
        let with = |t: &Tensor| -> Result<Tensor> {
            let last = t.dim(D::Minus1)?;
            let mut shape = dims.to_vec();
            shape.push(last);
            Ok(t.reshape(shape)?)
        };
        Ok(NetOutput {
            policy_logits: with(&self.policy_logits)?,
            value: with(&self.value)?,
            value_head: self.value_head,
        })
    }

    /// Action probabilities [.., A] (exactly 0 for illegal actions).
    pub fn policy(&self) -> Result<Tensor> {
        softmax_last(&self.policy_logits)
    }

    /// Expected return for the player to move, [..] in [-1, 1]: the scalar head's output, or
    /// P(win) − P(loss) for W/D/L.
    pub fn value_scalar(&self) -> Result<Tensor> {
        match self.value_head {
            ValueHead::Scalar => Ok(self.value.squeeze(D::Minus1)?),
            ValueHead::Wdl => {
                let p = softmax_last(&self.value)?;
                let last = p.rank() - 1;
                Ok((p.narrow(last, 0, 1)? - p.narrow(last, 2, 1)?)?.squeeze(D::Minus1)?)
            }
        }
    }
}

#[derive(Clone, Debug)]
enum Model {
    Mlp(MlpNet),
    Resnet(ResnetNet),
    Transformer(TransformerNet),
    Lstm(LstmNet),
}

/// Where the parameters live: trainable variables, or detached tensors for inference (no graph
/// is recorded through those, which is candle's only "no_grad").
#[derive(Clone)]
enum Params {
    Trainable(VarMap),
    Frozen(HashMap<String, Tensor>),
}

impl std::fmt::Debug for Params {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Params::Trainable(_) => f.write_str("Trainable"),
            Params::Frozen(_) => f.write_str("Frozen"),
        }
    }
}

/// A policy/value network of any architecture, for one game's shapes, on one device.
#[derive(Clone, Debug)]
pub struct Network {
    config: NetConfig,
    shape: NetShape,
    device: Device,
    params: Params,
    model: Model,
}

impl Network {
    /// A freshly initialised, trainable network. The seed fixes every initial weight.
    pub fn new(config: &NetConfig, shape: &NetShape, device: &Device, seed: u64) -> Result<Self> {
        config.validate()?;
        if shape.observation.contains(&0) || shape.num_actions == 0 {
            return Err(NnError::Config(format!(
                "game shapes must be non-empty: observation {:?}, {} actions",
                shape.observation, shape.num_actions
            )));
        }
        let varmap = VarMap::new();
        let backend: Box<dyn candle_nn::var_builder::SimpleBackend> =
            Box::new(SeededInit::new(varmap.clone(), seed));
        let vb = VarBuilder::from_backend(backend, DType::F32, device.clone());
        let model = build(config, shape, vb)?;
        Ok(Network {
            config: config.clone(),
            shape: shape.clone(),
            device: device.clone(),
            params: Params::Trainable(varmap),
            model,
        })
    }

    /// A network built from named tensors (a checkpoint), frozen for inference when
    /// `trainable` is false. Every parameter the architecture needs must be present with the
    /// right shape, and no other tensor may be.
    pub(crate) fn from_tensors(
        config: &NetConfig,
        shape: &NetShape,
        device: &Device,
        tensors: HashMap<String, Tensor>,
        trainable: bool,
    ) -> Result<Self> {
        let mut net = Network::new(config, shape, device, 0)?;
        let expected = net.tensors();
        let mut missing: Vec<&String> = expected
            .keys()
            .filter(|k| !tensors.contains_key(*k))
            .collect();
        let mut unexpected: Vec<&String> = tensors
            .keys()
            .filter(|k| !expected.contains_key(*k))
            .collect();
        missing.sort();
        unexpected.sort();
        if !missing.is_empty() || !unexpected.is_empty() {
            return Err(NnError::Input(format!(
                "weights do not fit a {} network: missing {:?}, unexpected {:?}",
                config.kind(),
                missing,
                unexpected
            )));
        }
        for (name, t) in &expected {
            let got = &tensors[name];
            if got.dims() != t.dims() {
                return Err(NnError::Input(format!(
                    "weight {name} has shape {:?}, the network needs {:?}",
                    got.dims(),
                    t.dims()
                )));
            }
        }
        let tensors: HashMap<String, Tensor> = tensors
            .into_iter()
            .map(|(k, t)| Ok((k, t.to_dtype(DType::F32)?.to_device(device)?)))
            .collect::<Result<_>>()?;
        if trainable {
            if let Params::Trainable(vm) = &net.params {
                let data = vm.data().lock().unwrap_or_else(|p| p.into_inner());
                for (name, var) in data.iter() {
                    var.set(&tensors[name])?;
                }
            }
            Ok(net)
        } else {
            net.model = build(
                config,
                shape,
                VarBuilder::from_tensors(tensors.clone(), DType::F32, device),
            )?;
            net.params = Params::Frozen(tensors);
            Ok(net)
        }
    }

    /// A frozen copy for inference (search, self-play): the same weights as now, no gradient
    /// graph. The weights are copied, not shared: training updates its variables in place, and
    /// a copy must keep the values it was taken with (a previous generation to play against, a
    /// self-play network while the learner trains beside it).
    pub fn inference_copy(&self) -> Result<Network> {
        let snapshot = self
            .tensors()
            .into_iter()
            .map(|(k, t)| Ok((k, t.copy()?)))
            .collect::<Result<HashMap<_, _>>>()?;
        Network::from_tensors(&self.config, &self.shape, &self.device, snapshot, false)
    }

    /// The same network on another device (frozen or trainable as `self`).
    pub fn to_device(&self, device: &Device) -> Result<Network> {
        let trainable = matches!(self.params, Params::Trainable(_));
        Network::from_tensors(&self.config, &self.shape, device, self.tensors(), trainable)
    }

    pub fn config(&self) -> &NetConfig {
        &self.config
    }

    pub fn shape(&self) -> &NetShape {
        &self.shape
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Whether this is a recurrent network (use [`Network::step`] / [`Network::sequence`]).
    pub fn is_recurrent(&self) -> bool {
        matches!(self.model, Model::Lstm(_))
    }

    /// Trainable variables, sorted by name (empty for a frozen copy). Batch-norm running
    /// statistics are included; they never receive gradients, so optimisers leave them alone.
    pub fn vars(&self) -> Vec<Var> {
        self.named_vars().into_iter().map(|(_, v)| v).collect()
    }

    /// Trainable variables with their names (empty for a frozen copy).
    pub fn named_vars(&self) -> Vec<(String, Var)> {
        match &self.params {
            Params::Trainable(vm) => {
                let data = vm.data().lock().unwrap_or_else(|p| p.into_inner());
                let mut named: Vec<(String, Var)> =
                    data.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                named.sort_by(|a, b| a.0.cmp(&b.0));
                named
            }
            Params::Frozen(_) => Vec::new(),
        }
    }

    /// Current values of every parameter (and batch-norm statistic), by name.
    pub fn tensors(&self) -> HashMap<String, Tensor> {
        match &self.params {
            Params::Trainable(vm) => vm
                .data()
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .iter()
                .map(|(k, v)| (k.clone(), v.as_detached_tensor()))
                .collect(),
            Params::Frozen(t) => t.clone(),
        }
    }

    /// Number of scalar parameters (batch-norm running statistics excluded).
    pub fn num_parameters(&self) -> usize {
        self.tensors()
            .iter()
            .filter(|(k, _)| !k.ends_with("running_mean") && !k.ends_with("running_var"))
            .map(|(_, t)| t.elem_count())
            .sum()
    }

    /// Inference forward pass (batch norm uses its running statistics).
    /// `obs`: [B, C, H, W] f32; `legal`: [B, A] u8 (1 = legal).
    pub fn forward(&self, obs: &Tensor, legal: &Tensor) -> Result<NetOutput> {
        self.forward_t(obs, legal, false)
    }

    /// Forward pass; `train` selects batch statistics (and updates the running ones) in batch norm.
    pub fn forward_t(&self, obs: &Tensor, legal: &Tensor, train: bool) -> Result<NetOutput> {
        let b = self.check_inputs(obs, legal, &[])?;
        let frozen = matches!(self.params, Params::Frozen(_));
        if !train && frozen && self.device.is_cpu() {
            let threads = candle_core::utils::get_num_threads();
            match self.model {
                Model::Transformer(_) if (threads > 1 && b >= 32) || b > CPU_CHUNK => {
                    let chunks = threads.min(b / 16).max(b.div_ceil(CPU_CHUNK));
                    return self.forward_split(obs, legal, b, chunks, true);
                }
                Model::Resnet(_) if b > CPU_CHUNK => {
                    return self.forward_split(obs, legal, b, b.div_ceil(CPU_CHUNK), false);
                }
                _ => {}
            }
        }
        self.forward_model(obs, legal, train)
    }

    /// Inference on the CPU with the batch split into `chunks` slices, run side by side
    /// (`parallel`) or one after the other.
    ///
    /// Why, for the Transformer (parallel): many of a forward pass's ops are small (per-head attention products, element-wise
    /// kernels) and run on one thread, so a Transformer gained nothing from a second core
    /// (`ludus bench-nets`: 66.8 ms → 65.4 ms at batch 64; split: 49 ms). Frozen networks record
    /// no graph and share no mutable state, so slices of the batch can run side by side. The
    /// ResNet is left alone: its time is in large matrix products that already use every
    /// thread, and splitting them in parallel made batch 64 slower (23 → 40 ms).
    ///
    /// Why, for the ResNet (sequential): a batch's gathered convolution input is
    /// B·H·W × 9·C floats (25 MB at batch 256 on Connect Four), far beyond the caches and
    /// freshly allocated (page faults) by every layer; slices of [`CPU_CHUNK`] boards
    /// stay cache-sized. Measured: batch 256 took 4.8× batch 64's time instead of 4×
    /// (194 → 157 ms). The Transformer's attention scores grow the same way, so its parallel
    /// slices are also at most [`CPU_CHUNK`] positions.
    fn forward_split(
        &self,
        obs: &Tensor,
        legal: &Tensor,
        b: usize,
        chunks: usize,
        parallel: bool,
    ) -> Result<NetOutput> {
        use rayon::prelude::*;
        let size = b.div_ceil(chunks.max(1));
        let slice = |i: usize| {
            let start = i * size;
            let len = size.min(b - start);
            self.forward_model(
                &obs.narrow(0, start, len)?,
                &legal.narrow(0, start, len)?,
                false,
            )
        };
        let count = b.div_ceil(size);
        let parts: Vec<NetOutput> = if parallel {
            (0..count)
                .into_par_iter()
                .map(slice)
                .collect::<Result<_>>()?
        } else {
            (0..count).map(slice).collect::<Result<_>>()?
        };
        let cat = |f: fn(&NetOutput) -> &Tensor| -> Result<Tensor> {
            Ok(Tensor::cat(&parts.iter().map(f).collect::<Vec<_>>(), 0)?)
        };
        Ok(NetOutput {
            policy_logits: cat(|o| &o.policy_logits)?,
            value: cat(|o| &o.value)?,
            value_head: self.config.value_head,
        })
    }

    fn forward_model(&self, obs: &Tensor, legal: &Tensor, train: bool) -> Result<NetOutput> {
        match &self.model {
            Model::Mlp(m) => m.forward(obs, legal),
            Model::Resnet(m) => m.forward_t(obs, legal, train),
            Model::Transformer(m) => m.forward(obs, legal),
            Model::Lstm(_) => Err(NnError::Input(
                "this is a recurrent (lstm) network: call step() or sequence() with a state"
                    .to_string(),
            )),
        }
    }

    /// Zero recurrent state for `batch` environments.
    pub fn initial_state(&self, batch: usize) -> Result<LstmState> {
        self.lstm()?.initial_state(batch, &self.device)
    }

    /// One time step for a batch of environments: `obs` [B, C, H, W], `legal` [B, A],
    /// `episode_start` [B] u8 (1 = this observation starts a new episode: the state is reset).
    pub fn step(
        &self,
        obs: &Tensor,
        legal: &Tensor,
        episode_start: &Tensor,
        state: &LstmState,
    ) -> Result<(NetOutput, LstmState)> {
        let b = self.check_inputs(obs, legal, &[])?;
        if episode_start.dims() != [b] {
            return Err(NnError::Input(format!(
                "episode_start has shape {:?}, expected [{b}]",
                episode_start.dims()
            )));
        }
        let [c, h, w] = self.shape.observation;
        let (out, state) = self.lstm()?.sequence_t(
            &obs.reshape((b, 1, c, h, w))?,
            &legal.reshape((b, 1, self.shape.num_actions))?,
            &episode_start.reshape((b, 1))?,
            state,
            false,
        )?;
        Ok((out.reshape_batch(&[b])?, state))
    }

    /// A whole stored sequence, for training: `obs` [B, T, C, H, W], `legal` [B, T, A],
    /// `episode_start` [B, T]. Outputs have batch dims [B, T].
    pub fn sequence(
        &self,
        obs: &Tensor,
        legal: &Tensor,
        episode_start: &Tensor,
        state: &LstmState,
        train: bool,
    ) -> Result<(NetOutput, LstmState)> {
        let (b, t) = episode_start.dims2().map_err(|_| {
            NnError::Input(format!(
                "episode_start has shape {:?}, expected [B, T]",
                episode_start.dims()
            ))
        })?;
        self.check_inputs(obs, legal, &[b, t])?;
        self.lstm()?
            .sequence_t(obs, legal, episode_start, state, train)
    }

    fn lstm(&self) -> Result<&LstmNet> {
        match &self.model {
            Model::Lstm(m) => Ok(m),
            _ => Err(NnError::Input(format!(
                "step()/sequence() need a recurrent network; this one is a {}: call forward()",
                self.config.kind()
            ))),
        }
    }

    /// Checks dtypes, shapes and device; returns the (flattened) batch size.
    fn check_inputs(&self, obs: &Tensor, legal: &Tensor, lead: &[usize]) -> Result<usize> {
        let [c, h, w] = self.shape.observation;
        let obs_ok = obs.dtype() == DType::F32
            && obs.rank() == lead.len().max(1) + 3
            && obs.dims()[obs.rank() - 3..] == [c, h, w]
            && (lead.is_empty() || obs.dims()[..lead.len()] == *lead);
        if !obs_ok {
            return Err(NnError::Input(format!(
                "observations are {:?} {:?}; this network takes f32 {}[{c}, {h}, {w}]",
                obs.dtype(),
                obs.dims(),
                if lead.is_empty() {
                    "[B] + ".to_string()
                } else {
                    format!("{lead:?} + ")
                }
            )));
        }
        let lead_dims = &obs.dims()[..obs.rank() - 3];
        let mut want = lead_dims.to_vec();
        want.push(self.shape.num_actions);
        if legal.dtype() != DType::U8 || legal.dims() != want.as_slice() {
            return Err(NnError::Input(format!(
                "legal mask is {:?} {:?}; expected u8 {want:?}",
                legal.dtype(),
                legal.dims()
            )));
        }
        if !obs.device().same_device(&self.device) || !legal.device().same_device(&self.device) {
            return Err(NnError::Input(
                "inputs are on another device than the network".to_string(),
            ));
        }
        Ok(lead_dims.iter().product())
    }
}

fn build(config: &NetConfig, shape: &NetShape, vb: VarBuilder) -> Result<Model> {
    let vh = config.value_head;
    Ok(match &config.arch {
        Arch::Mlp(c) => Model::Mlp(MlpNet::new(c, vh, shape, vb)?),
        Arch::Resnet(c) => Model::Resnet(ResnetNet::new(c, vh, shape, vb)?),
        Arch::Transformer(c) => Model::Transformer(TransformerNet::new(c, vh, shape, vb)?),
        Arch::Lstm(c) => Model::Lstm(LstmNet::new(c, vh, shape, vb)?),
    })
}

/// Observations and legal masks of game states, as network inputs:
/// obs [B, C, H, W] f32 and legal [B, A] u8.
pub fn encode_states<G: Game>(
    game: &G,
    states: &[&G::State],
    device: &Device,
) -> Result<(Tensor, Tensor)> {
    let [c, h, w] = game.observation_shape();
    let a = game.num_actions();
    let n = c * h * w;
    let mut obs = vec![0f32; states.len() * n];
    let mut legal = vec![0u8; states.len() * a];
    let mut actions = Vec::new();
    for (i, s) in states.iter().enumerate() {
        s.write_observation(&mut obs[i * n..(i + 1) * n]);
        s.legal_actions(&mut actions);
        for &act in &actions {
            legal[i * a + act] = 1;
        }
    }
    let b = states.len();
    Ok((
        Tensor::from_vec(obs, (b, c, h, w), device)?,
        Tensor::from_vec(legal, (b, a), device)?,
    ))
}
