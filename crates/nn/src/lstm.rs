//! LSTM core on a feed-forward encoder, with explicit per-environment state.
//!
//! The cell is written here rather than taken from candle-nn's `LSTM` for speed: in `sequence`
//! mode the input projection of all T steps is one matrix product ([B·T, F] × [F, 4H]) instead of
//! T small ones, leaving one [B, H] × [H, 4H] product and a few element-wise ops per step.
//! Parameter names and gate order (i, f, g, o) follow PyTorch's `nn.LSTM` (`weight_ih_l0`, ...),
//! so weights move between the two unchanged.
//!
//! Episode boundaries: each step carries an `episode_start` flag per environment; where it is
//! set, the state is zeroed before that step, in every layer. This is what lets one rollout
//! buffer hold several episodes back to back per environment.

use candle_core::{DType, Tensor};
use candle_nn::VarBuilder;

use crate::layers::{linear, Linear};

use crate::config::{Encoder, LstmConfig, ValueHead};
use crate::mlp::MlpTrunk;
use crate::net::{NetOutput, NetShape};
use crate::resnet::ResnetTrunk;
use crate::transformer::BoardTransformer;
use crate::{NnError, Result};

/// Recurrent state of a stack of LSTM layers for a batch of environments:
/// `h` and `c` are [layers, B, hidden].
#[derive(Clone, Debug)]
pub struct LstmState {
    pub h: Tensor,
    pub c: Tensor,
}

impl LstmState {
    /// Detaches the state from the graph (truncated back-propagation through time).
    pub fn detach(&self) -> LstmState {
        LstmState {
            h: self.h.detach(),
            c: self.c.detach(),
        }
    }
}

#[derive(Clone, Debug)]
enum EncoderNet {
    Mlp(MlpTrunk),
    Resnet(ResnetTrunk),
    Transformer(BoardTransformer),
}

impl EncoderNet {
    fn forward_t(&self, obs: &Tensor, train: bool) -> Result<Tensor> {
        match self {
            EncoderNet::Mlp(m) => m.forward(obs),
            EncoderNet::Resnet(r) => r.pooled_t(obs, train),
            EncoderNet::Transformer(t) => t.pooled(obs),
        }
    }
}

#[derive(Clone, Debug)]
struct LstmLayer {
    w_ih_t: Tensor, // [in, 4H] (stored as PyTorch's [4H, in], transposed view)
    w_hh_t: Tensor, // [H, 4H]
    b_ih: Tensor,   // [4H]
    b_hh: Tensor,   // [4H]
}

impl LstmLayer {
    fn new(input: usize, hidden: usize, layer: usize, vb: &VarBuilder) -> Result<Self> {
        // PyTorch's default: U(-1/sqrt(H), 1/sqrt(H)) for all four tensors.
        let k = 1.0 / (hidden as f64).sqrt();
        let init = candle_nn::init::Init::Uniform { lo: -k, up: k };
        let w_ih = vb.get_with_hints((4 * hidden, input), &format!("weight_ih_l{layer}"), init)?;
        let w_hh = vb.get_with_hints((4 * hidden, hidden), &format!("weight_hh_l{layer}"), init)?;
        let b_ih = vb.get_with_hints(4 * hidden, &format!("bias_ih_l{layer}"), init)?;
        let b_hh = vb.get_with_hints(4 * hidden, &format!("bias_hh_l{layer}"), init)?;
        Ok(LstmLayer {
            w_ih_t: w_ih.t()?,
            w_hh_t: w_hh.t()?,
            b_ih,
            b_hh,
        })
    }

    /// Runs the layer over `xs` [B, T, in] from state (h0, c0) [B, H], zeroing the state before
    /// every step whose `keep` [B, T, 1] is 0. Returns outputs [B, T, H] and the final state.
    fn run(
        &self,
        xs: &Tensor,
        keep: Option<&Tensor>,
        mut h: Tensor,
        mut c: Tensor,
    ) -> Result<(Tensor, Tensor, Tensor)> {
        let (b, t, input) = xs.dims3()?;
        let hidden = h.dim(1)?;
        let xproj = xs.reshape((b * t, input))?.matmul(&self.w_ih_t)?;
        // Summed here, not at construction: the variables change under training and loading.
        let bias = (&self.b_ih + &self.b_hh)?;
        let xproj = crate::layers::add_row(&xproj, &bias)?.reshape((b, t, 4 * hidden))?;
        let mut outputs = Vec::with_capacity(t);
        for step in 0..t {
            if let Some(keep) = keep {
                let k = keep.get_on_dim(1, step)?; // [B, 1]
                h = h.broadcast_mul(&k)?;
                c = c.broadcast_mul(&k)?;
            }
            let gates = (xproj.get_on_dim(1, step)? + h.matmul(&self.w_hh_t)?)?;
            let i = candle_nn::ops::sigmoid(&gates.narrow(1, 0, hidden)?)?;
            let f = candle_nn::ops::sigmoid(&gates.narrow(1, hidden, hidden)?)?;
            let g = gates.narrow(1, 2 * hidden, hidden)?.tanh()?;
            let o = candle_nn::ops::sigmoid(&gates.narrow(1, 3 * hidden, hidden)?)?;
            c = ((f * &c)? + (i * g)?)?;
            h = (o * c.tanh()?)?;
            outputs.push(h.clone());
        }
        Ok((Tensor::stack(&outputs, 1)?, h, c))
    }
}

/// A stack of LSTM layers over vectors: the recurrent core of [`crate::Network`]'s `lstm`
/// architecture, public for models whose inputs are not board observations (e.g. the RTS).
#[derive(Clone, Debug)]
pub struct LstmCore {
    layers: Vec<LstmLayer>,
    hidden: usize,
}

impl LstmCore {
    /// `layers` stacked LSTM layers of size `hidden` over `input`-wide vectors; parameters are
    /// named `weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`, ... under `vb`.
    pub fn new(input: usize, hidden: usize, layers: usize, vb: VarBuilder) -> Result<Self> {
        let layers = (0..layers)
            .map(|l| LstmLayer::new(if l == 0 { input } else { hidden }, hidden, l, &vb))
            .collect::<Result<Vec<_>>>()?;
        Ok(LstmCore { layers, hidden })
    }

    pub fn hidden(&self) -> usize {
        self.hidden
    }

    pub fn num_layers(&self) -> usize {
        self.layers.len()
    }

    /// Zero state for `batch` sequences.
    pub fn zero_state(&self, batch: usize, device: &candle_core::Device) -> Result<LstmState> {
        let z = Tensor::zeros((self.layers.len(), batch, self.hidden), DType::F32, device)?;
        Ok(LstmState { h: z.clone(), c: z })
    }

    /// Runs over `xs` [B, T, input] from `state`; where `episode_start` [B, T] (u8) is 1 the
    /// state is zeroed before that step. Returns the top layer's outputs [B, T, hidden] and the
    /// final state.
    pub fn forward(
        &self,
        xs: &Tensor,
        episode_start: Option<&Tensor>,
        state: &LstmState,
    ) -> Result<(Tensor, LstmState)> {
        let (b, t, _) = xs.dims3()?;
        let want = [self.layers.len(), b, self.hidden];
        if state.h.dims() != want || state.c.dims() != want {
            return Err(NnError::Input(format!(
                "LSTM state has shape {:?}/{:?}, expected {want:?} (layers, batch, hidden)",
                state.h.dims(),
                state.c.dims(),
            )));
        }
        let keep = match episode_start {
            Some(s) => {
                if s.dims() != [b, t] {
                    return Err(NnError::Input(format!(
                        "episode_start has shape {:?}, expected [{b}, {t}]",
                        s.dims()
                    )));
                }
                Some((1.0 - s.to_dtype(DType::F32)?)?.unsqueeze(2)?)
            }
            None => None,
        };
        let mut xs = xs.clone();
        let mut hs = Vec::with_capacity(self.layers.len());
        let mut cs = Vec::with_capacity(self.layers.len());
        for (l, layer) in self.layers.iter().enumerate() {
            let (out, hl, cl) = layer.run(&xs, keep.as_ref(), state.h.get(l)?, state.c.get(l)?)?;
            xs = out;
            hs.push(hl);
            cs.push(cl);
        }
        Ok((
            xs,
            LstmState {
                h: Tensor::stack(&hs, 0)?,
                c: Tensor::stack(&cs, 0)?,
            },
        ))
    }
}

/// Encoder → stacked LSTM → linear policy and value heads.
#[derive(Clone, Debug)]
pub(crate) struct LstmNet {
    encoder: EncoderNet,
    core: LstmCore,
    policy: Linear,
    value: Linear,
    value_head: ValueHead,
    shape: NetShape,
}

impl LstmNet {
    pub(crate) fn new(
        cfg: &LstmConfig,
        value_head: ValueHead,
        shape: &NetShape,
        vb: VarBuilder,
    ) -> Result<Self> {
        let evb = vb.pp("encoder");
        let (encoder, features) = match &cfg.encoder {
            Encoder::Mlp(c) => {
                let m = MlpTrunk::new(c, shape, evb)?;
                let d = m.out_dim;
                (EncoderNet::Mlp(m), d)
            }
            Encoder::Resnet(c) => {
                let r = ResnetTrunk::new(c, shape, evb)?;
                let d = r.channels;
                (EncoderNet::Resnet(r), d)
            }
            Encoder::Transformer(c) => {
                let t = BoardTransformer::new(c, shape, 0, evb)?;
                let d = t.d_model;
                (EncoderNet::Transformer(t), d)
            }
        };
        Ok(LstmNet {
            encoder,
            core: LstmCore::new(features, cfg.hidden, cfg.layers, vb.pp("lstm"))?,
            policy: linear(cfg.hidden, shape.num_actions, vb.pp("policy"))?,
            value: linear(cfg.hidden, value_head.outputs(), vb.pp("value"))?,
            value_head,
            shape: shape.clone(),
        })
    }

    pub(crate) fn initial_state(
        &self,
        batch: usize,
        device: &candle_core::Device,
    ) -> Result<LstmState> {
        self.core.zero_state(batch, device)
    }

    /// `obs` [B, T, C, H, W], `legal` [B, T, A] u8, `episode_start` [B, T] u8.
    /// Returns logits [B, T, A] and values [B, T, 1|3] (in a `NetOutput` whose batch is [B, T]).
    pub(crate) fn sequence_t(
        &self,
        obs: &Tensor,
        legal: &Tensor,
        episode_start: &Tensor,
        state: &LstmState,
        train: bool,
    ) -> Result<(NetOutput, LstmState)> {
        let (b, t) = episode_start.dims2()?;
        let [c, h, w] = self.shape.observation;
        let feats = self
            .encoder
            .forward_t(&obs.reshape((b * t, c, h, w))?, train)?;
        let (xs, state) =
            self.core
                .forward(&feats.reshape((b, t, ()))?, Some(episode_start), state)?;
        let flat = xs.reshape((b * t, self.core.hidden()))?;
        let out = NetOutput::new(
            &self.policy.forward(&flat)?,
            &legal.reshape((b * t, self.shape.num_actions))?,
            self.value.forward(&flat)?,
            self.value_head,
        )?
        .reshape_batch(&[b, t])?;
        Ok((out, state))
    }
}
