//! AlphaZero-style residual tower (Silver et al. 2017, "Mastering the game of Go without human
//! knowledge", Methods): 3×3 conv stem, residual blocks of two 3×3 convolutions, a policy head
//! (1×1 conv to 2 planes, linear to the actions) and a value head (1×1 conv to 1 plane, linear,
//! ReLU, linear). Every convolution is followed by batch normalisation, so it has no bias.

use candle_core::{Module, ModuleT, Tensor};
use candle_nn::{
    batch_norm, conv2d_no_bias, linear, BatchNorm, Conv2d, Conv2dConfig, Linear, VarBuilder,
};

use crate::config::{ResnetConfig, ValueHead};
use crate::net::{NetOutput, NetShape};
use crate::Result;

/// Convolution followed by batch normalisation.
#[derive(Clone, Debug)]
struct ConvBn {
    conv: Conv2d,
    bn: BatchNorm,
}

impl ConvBn {
    fn new(c_in: usize, c_out: usize, kernel: usize, vb: VarBuilder) -> Result<Self> {
        let cfg = Conv2dConfig {
            padding: kernel / 2,
            ..Default::default()
        };
        Ok(ConvBn {
            conv: conv2d_no_bias(c_in, c_out, kernel, cfg, vb.pp("conv"))?,
            bn: batch_norm(c_out, 1e-5, vb.pp("bn"))?,
        })
    }

    fn forward_t(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        Ok(self.bn.forward_t(&self.conv.forward(x)?, train)?)
    }
}

#[derive(Clone, Debug)]
struct Block {
    a: ConvBn,
    b: ConvBn,
}

/// Stem and residual blocks: [B, C, H, W] → [B, channels, H, W].
#[derive(Clone, Debug)]
pub(crate) struct ResnetTrunk {
    stem: ConvBn,
    blocks: Vec<Block>,
    pub(crate) channels: usize,
}

impl ResnetTrunk {
    pub(crate) fn new(cfg: &ResnetConfig, shape: &NetShape, vb: VarBuilder) -> Result<Self> {
        let c = cfg.channels;
        let stem = ConvBn::new(shape.observation[0], c, 3, vb.pp("stem"))?;
        let blocks = (0..cfg.blocks)
            .map(|i| {
                let vb = vb.pp(format!("block{i}"));
                Ok(Block {
                    a: ConvBn::new(c, c, 3, vb.pp("a"))?,
                    b: ConvBn::new(c, c, 3, vb.pp("b"))?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(ResnetTrunk {
            stem,
            blocks,
            channels: c,
        })
    }

    pub(crate) fn forward_t(&self, obs: &Tensor, train: bool) -> Result<Tensor> {
        let mut x = self.stem.forward_t(obs, train)?.relu()?;
        for block in &self.blocks {
            let y = block.a.forward_t(&x, train)?.relu()?;
            let y = block.b.forward_t(&y, train)?;
            x = (y + x)?.relu()?;
        }
        Ok(x)
    }

    /// Globally average-pooled features [B, channels], for use as an LSTM encoder.
    pub(crate) fn pooled_t(&self, obs: &Tensor, train: bool) -> Result<Tensor> {
        Ok(self.forward_t(obs, train)?.flatten_from(2)?.mean(2)?)
    }
}

/// The full AlphaZero network.
#[derive(Clone, Debug)]
pub(crate) struct ResnetNet {
    trunk: ResnetTrunk,
    policy_conv: ConvBn,
    policy_fc: Linear,
    value_conv: ConvBn,
    value_fc1: Linear,
    value_fc2: Linear,
    value_head: ValueHead,
}

impl ResnetNet {
    pub(crate) fn new(
        cfg: &ResnetConfig,
        value_head: ValueHead,
        shape: &NetShape,
        vb: VarBuilder,
    ) -> Result<Self> {
        let [_, h, w] = shape.observation;
        let c = cfg.channels;
        Ok(ResnetNet {
            trunk: ResnetTrunk::new(cfg, shape, vb.pp("trunk"))?,
            policy_conv: ConvBn::new(c, 2, 1, vb.pp("policy"))?,
            policy_fc: linear(2 * h * w, shape.num_actions, vb.pp("policy.fc"))?,
            value_conv: ConvBn::new(c, 1, 1, vb.pp("value"))?,
            value_fc1: linear(h * w, c, vb.pp("value.fc1"))?,
            value_fc2: linear(c, value_head.outputs(), vb.pp("value.fc2"))?,
            value_head,
        })
    }

    pub(crate) fn forward_t(&self, obs: &Tensor, legal: &Tensor, train: bool) -> Result<NetOutput> {
        let x = self.trunk.forward_t(obs, train)?;
        let p = self
            .policy_conv
            .forward_t(&x, train)?
            .relu()?
            .flatten_from(1)?;
        let v = self
            .value_conv
            .forward_t(&x, train)?
            .relu()?
            .flatten_from(1)?;
        let v = self.value_fc1.forward(&v)?.relu()?;
        NetOutput::new(
            &self.policy_fc.forward(&p)?,
            legal,
            self.value_fc2.forward(&v)?,
            self.value_head,
        )
    }
}
