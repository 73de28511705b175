//! Pre-LayerNorm Transformer over board cells.
//!
//! Tokens: a learned class token, one token per board cell (the cell's C observation values,
//! linearly embedded, plus a learned position embedding), and one learned token for every action
//! that is not a cell (Go's and Othello's pass). When the game's actions are its cells in
//! row-major order plus such extras (tic-tac-toe, Othello, Go), the policy is one logit per
//! token, so the net is naturally translation-aware; otherwise (Connect Four's columns) the
//! policy and the value both come from the class token.
//!
//! [`TransformerEncoder`] is the reusable part: blocks over any [B, T, d] token batch with a
//! padding mask, for variable-length entity lists such as the RTS's units.

use candle_core::Tensor;
use candle_nn::VarBuilder;

use crate::layers::{linear, Linear};

use crate::config::{TransformerConfig, ValueHead};
use crate::layers::{add_row, padding_bias, LayerNorm, SelfAttention};
use crate::net::{NetOutput, NetShape};
use crate::Result;

#[derive(Clone, Debug)]
struct Block {
    ln1: LayerNorm,
    attn: SelfAttention,
    ln2: LayerNorm,
    ff1: Linear,
    ff2: Linear,
}

impl Block {
    fn forward(&self, x: &Tensor, key_bias: Option<&Tensor>) -> Result<Tensor> {
        let x = (x + self.attn.forward(&self.ln1.forward(x)?, key_bias)?)?;
        let h = crate::kernels::gelu(&self.ff1.forward(&self.ln2.forward(&x)?)?)?;
        Ok((&x + self.ff2.forward(&h)?)?)
    }
}

/// A stack of pre-LN Transformer blocks and a final LayerNorm.
#[derive(Clone, Debug)]
pub struct TransformerEncoder {
    blocks: Vec<Block>,
    ln_final: LayerNorm,
}

impl TransformerEncoder {
    pub fn new(cfg: &TransformerConfig, vb: VarBuilder) -> Result<Self> {
        let d = cfg.d_model;
        let blocks = (0..cfg.layers)
            .map(|i| {
                let vb = vb.pp(format!("block{i}"));
                Ok(Block {
                    ln1: LayerNorm::new(d, vb.pp("ln1"))?,
                    attn: SelfAttention::new(d, cfg.heads, vb.pp("attn"))?,
                    ln2: LayerNorm::new(d, vb.pp("ln2"))?,
                    ff1: linear(d, cfg.ff, vb.pp("ff1"))?,
                    ff2: linear(cfg.ff, d, vb.pp("ff2"))?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(TransformerEncoder {
            blocks,
            ln_final: LayerNorm::new(d, vb.pp("ln_final"))?,
        })
    }

    /// `tokens`: [B, T, d]. `padding`: optional [B, T] u8 mask, 1 = real token, 0 = padding;
    /// padded tokens are never attended to (their own outputs are meaningless).
    pub fn forward(&self, tokens: &Tensor, padding: Option<&Tensor>) -> Result<Tensor> {
        let bias = padding.map(padding_bias).transpose()?;
        let mut x = tokens.clone();
        for block in &self.blocks {
            x = block.forward(&x, bias.as_ref())?;
        }
        self.ln_final.forward(&x)
    }
}

/// How the policy is read from the tokens.
#[derive(Clone, Debug)]
enum PolicyHead {
    /// One logit per cell token and per extra-action token.
    PerToken(Linear),
    /// All logits from the class token.
    FromClass(Linear),
}

/// Tokens embedding plus encoder: the trunk, also used as an LSTM encoder (class token output).
#[derive(Clone, Debug)]
pub(crate) struct BoardTransformer {
    embed: Linear,
    position: Tensor,
    class_token: Tensor,
    extra_tokens: Option<Tensor>,
    encoder: TransformerEncoder,
    cells: usize,
    pub(crate) d_model: usize,
}

impl BoardTransformer {
    /// Extra action tokens are created only when the actions are cells plus a few extras.
    pub(crate) fn new(
        cfg: &TransformerConfig,
        shape: &NetShape,
        extra_actions: usize,
        vb: VarBuilder,
    ) -> Result<Self> {
        let [c, h, w] = shape.observation;
        let d = cfg.d_model;
        let init = candle_nn::init::Init::Randn {
            mean: 0.0,
            stdev: 0.02,
        };
        Ok(BoardTransformer {
            embed: linear(c, d, vb.pp("embed"))?,
            position: vb.get_with_hints((h * w, d), "position", init)?,
            class_token: vb.get_with_hints((1, 1, d), "class_token", init)?,
            extra_tokens: if extra_actions > 0 {
                Some(vb.get_with_hints((1, extra_actions, d), "extra_tokens", init)?)
            } else {
                None
            },
            encoder: TransformerEncoder::new(cfg, vb.pp("encoder"))?,
            cells: h * w,
            d_model: d,
        })
    }

    /// Encoded tokens [B, 1 + cells + extras, d]; token 0 is the class token.
    pub(crate) fn tokens(&self, obs: &Tensor) -> Result<Tensor> {
        let (b, c, _, _) = obs.dims4()?;
        let cells = obs
            .reshape((b, c, self.cells))?
            .transpose(1, 2)?
            .contiguous()?;
        // Learned embeddings are shared by the batch: add_row's product-based broadcast keeps
        // their backward fast (see `layers::add_row`).
        let d = self.d_model;
        let cells = add_row(
            &self.embed.forward(&cells)?.reshape((b, self.cells * d))?,
            &self.position.flatten_all()?,
        )?
        .reshape((b, self.cells, d))?;
        let (dtype, device) = (cells.dtype(), cells.device().clone());
        let zeros = |n: usize| Tensor::zeros((b, n * d), dtype, &device);
        let class = add_row(&zeros(1)?, &self.class_token.flatten_all()?)?.reshape((b, 1, d))?;
        let mut parts = vec![class, cells];
        if let Some(extra) = &self.extra_tokens {
            let k = extra.dim(1)?;
            parts.push(add_row(&zeros(k)?, &extra.flatten_all()?)?.reshape((b, k, d))?);
        }
        let x = Tensor::cat(&parts, 1)?;
        self.encoder.forward(&x, None)
    }

    /// The class token's output [B, d].
    pub(crate) fn pooled(&self, obs: &Tensor) -> Result<Tensor> {
        Ok(self.tokens(obs)?.get_on_dim(1, 0)?)
    }
}

/// The Transformer policy/value network.
#[derive(Clone, Debug)]
pub(crate) struct TransformerNet {
    body: BoardTransformer,
    policy: PolicyHead,
    value1: Linear,
    value2: Linear,
    value_head: ValueHead,
}

impl TransformerNet {
    pub(crate) fn new(
        cfg: &TransformerConfig,
        value_head: ValueHead,
        shape: &NetShape,
        vb: VarBuilder,
    ) -> Result<Self> {
        let d = cfg.d_model;
        let per_token_extras = shape.per_cell_extra_actions();
        let body = BoardTransformer::new(cfg, shape, per_token_extras.unwrap_or(0), vb.pp("body"))?;
        let policy = match per_token_extras {
            Some(_) => PolicyHead::PerToken(linear(d, 1, vb.pp("policy"))?),
            None => PolicyHead::FromClass(linear(d, shape.num_actions, vb.pp("policy"))?),
        };
        Ok(TransformerNet {
            body,
            policy,
            value1: linear(d, d, vb.pp("value.fc1"))?,
            value2: linear(d, value_head.outputs(), vb.pp("value.fc2"))?,
            value_head,
        })
    }

    pub(crate) fn forward(&self, obs: &Tensor, legal: &Tensor) -> Result<NetOutput> {
        let tokens = self.body.tokens(obs)?;
        let (b, t, _) = tokens.dims3()?;
        let class = tokens.get_on_dim(1, 0)?;
        let logits = match &self.policy {
            PolicyHead::PerToken(fc) => fc
                .forward(&tokens.narrow(1, 1, t - 1)?)?
                .reshape((b, t - 1))?,
            PolicyHead::FromClass(fc) => fc.forward(&class)?,
        };
        let v = self.value1.forward(&class)?.relu()?;
        NetOutput::new(&logits, legal, self.value2.forward(&v)?, self.value_head)
    }
}
