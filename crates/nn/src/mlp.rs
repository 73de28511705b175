//! Multi-layer perceptron over the flattened observation.

use candle_core::Tensor;
use candle_nn::VarBuilder;

use crate::layers::{linear, Linear};

use crate::config::{MlpConfig, ValueHead};
use crate::net::{NetOutput, NetShape};
use crate::Result;

/// Hidden layers only: observation [B, C, H, W] → features [B, hidden].
#[derive(Clone, Debug)]
pub(crate) struct MlpTrunk {
    layers: Vec<Linear>,
    pub(crate) out_dim: usize,
}

impl MlpTrunk {
    pub(crate) fn new(cfg: &MlpConfig, shape: &NetShape, vb: VarBuilder) -> Result<Self> {
        let mut layers = Vec::with_capacity(cfg.layers);
        let mut dim = shape.observation_len();
        for i in 0..cfg.layers {
            layers.push(linear(dim, cfg.hidden, vb.pp(format!("fc{i}")))?);
            dim = cfg.hidden;
        }
        Ok(MlpTrunk {
            layers,
            out_dim: dim,
        })
    }

    pub(crate) fn forward(&self, obs: &Tensor) -> Result<Tensor> {
        let mut x = obs.flatten_from(1)?;
        for layer in &self.layers {
            x = layer.forward(&x)?.relu()?;
        }
        Ok(x)
    }
}

/// The MLP policy/value network: trunk plus two linear heads.
#[derive(Clone, Debug)]
pub(crate) struct MlpNet {
    trunk: MlpTrunk,
    policy: Linear,
    value: Linear,
    value_head: ValueHead,
}

impl MlpNet {
    pub(crate) fn new(
        cfg: &MlpConfig,
        value_head: ValueHead,
        shape: &NetShape,
        vb: VarBuilder,
    ) -> Result<Self> {
        let trunk = MlpTrunk::new(cfg, shape, vb.pp("trunk"))?;
        Ok(MlpNet {
            policy: linear(trunk.out_dim, shape.num_actions, vb.pp("policy"))?,
            value: linear(trunk.out_dim, value_head.outputs(), vb.pp("value"))?,
            trunk,
            value_head,
        })
    }

    pub(crate) fn forward(&self, obs: &Tensor, legal: &Tensor) -> Result<NetOutput> {
        let x = self.trunk.forward(obs)?;
        NetOutput::new(
            &self.policy.forward(&x)?,
            legal,
            self.value.forward(&x)?,
            self.value_head,
        )
    }
}
