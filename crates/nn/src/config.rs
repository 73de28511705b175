//! Network configurations: plain serde structs, written as a `[net]` table in TOML run configs.
//!
//! ```toml
//! [net]
//! kind = "resnet"      # mlp | resnet | transformer | lstm
//! channels = 64
//! blocks = 5
//! value_head = "wdl"   # wdl (default) | scalar
//!
//! # an LSTM names the feed-forward encoder it sits on:
//! # kind = "lstm"
//! # hidden = 128
//! # encoder = { kind = "mlp", hidden = 128, layers = 2 }
//! ```
//!
//! Unknown keys are errors (a typo must not silently fall back to a default).

use serde::{Deserialize, Serialize};

use crate::{NnError, Result};

/// What the value head predicts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ValueHead {
    /// One number in [-1, 1] (tanh): the expected return for the player to move.
    Scalar,
    /// Win/draw/loss probabilities (softmax over 3) for the player to move. The default: with many
    /// draws (tic-tac-toe, Connect Four openings) a scalar head cannot tell "drawn" from "unclear".
    #[default]
    Wdl,
}

impl ValueHead {
    /// Number of value outputs: 1 or 3.
    pub fn outputs(self) -> usize {
        match self {
            ValueHead::Scalar => 1,
            ValueHead::Wdl => 3,
        }
    }
}

/// Multi-layer perceptron over the flattened observation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MlpConfig {
    /// Width of every hidden layer.
    pub hidden: usize,
    /// Number of hidden layers (each Linear + ReLU).
    pub layers: usize,
}

impl Default for MlpConfig {
    fn default() -> Self {
        MlpConfig {
            hidden: 128,
            layers: 2,
        }
    }
}

/// AlphaZero-style residual tower: 3×3 conv stem, `blocks` residual blocks, conv policy and
/// value heads; batch normalisation after every convolution.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ResnetConfig {
    /// Channels of every convolution in the tower.
    pub channels: usize,
    /// Residual blocks (two 3×3 convolutions each).
    pub blocks: usize,
}

impl Default for ResnetConfig {
    fn default() -> Self {
        ResnetConfig {
            channels: 64,
            blocks: 5,
        }
    }
}

/// Pre-LayerNorm Transformer with one token per board cell, a class token, and one learned token
/// per action that is not a cell (e.g. pass).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TransformerConfig {
    /// Token width.
    pub d_model: usize,
    /// Attention heads; must divide `d_model`.
    pub heads: usize,
    /// Transformer blocks.
    pub layers: usize,
    /// Hidden width of each block's feed-forward layer.
    pub ff: usize,
}

impl Default for TransformerConfig {
    fn default() -> Self {
        TransformerConfig {
            d_model: 64,
            heads: 4,
            layers: 4,
            ff: 256,
        }
    }
}

/// An LSTM core on top of a feed-forward encoder, for partially observed games and PPO.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LstmConfig {
    /// LSTM hidden (and cell) size.
    pub hidden: usize,
    /// Stacked LSTM layers.
    pub layers: usize,
    /// The feed-forward encoder that turns one observation into the LSTM's input vector: an MLP's
    /// last hidden layer, a ResNet's globally average-pooled channels, or a Transformer's class
    /// token.
    pub encoder: Encoder,
}

impl Default for LstmConfig {
    fn default() -> Self {
        LstmConfig {
            hidden: 128,
            layers: 1,
            encoder: Encoder::Mlp(MlpConfig::default()),
        }
    }
}

/// A feed-forward architecture, usable on its own or as an LSTM's encoder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Encoder {
    Mlp(MlpConfig),
    Resnet(ResnetConfig),
    Transformer(TransformerConfig),
}

/// Every architecture.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Arch {
    Mlp(MlpConfig),
    Resnet(ResnetConfig),
    Transformer(TransformerConfig),
    Lstm(LstmConfig),
}

impl From<Encoder> for Arch {
    fn from(e: Encoder) -> Arch {
        match e {
            Encoder::Mlp(c) => Arch::Mlp(c),
            Encoder::Resnet(c) => Arch::Resnet(c),
            Encoder::Transformer(c) => Arch::Transformer(c),
        }
    }
}

/// A whole network: architecture plus value head. Serialised flat (`kind`, the architecture's
/// fields, `value_head`), see the module docs.
#[derive(Clone, Debug, PartialEq)]
pub struct NetConfig {
    pub arch: Arch,
    pub value_head: ValueHead,
}

impl NetConfig {
    pub fn new(arch: impl Into<Arch>, value_head: ValueHead) -> Self {
        NetConfig {
            arch: arch.into(),
            value_head,
        }
    }

    /// Short name of the architecture: `mlp`, `resnet`, `transformer` or `lstm`.
    pub fn kind(&self) -> &'static str {
        match self.arch {
            Arch::Mlp(_) => "mlp",
            Arch::Resnet(_) => "resnet",
            Arch::Transformer(_) => "transformer",
            Arch::Lstm(_) => "lstm",
        }
    }

    /// Whether the network is recurrent (needs [`crate::Network::step`]/`sequence`).
    pub fn is_recurrent(&self) -> bool {
        matches!(self.arch, Arch::Lstm(_))
    }

    /// Checks every size for sanity, with a message that names the field.
    pub fn validate(&self) -> Result<()> {
        fn positive(what: &str, v: usize) -> Result<()> {
            if v == 0 {
                return Err(NnError::Config(format!("{what} must be at least 1")));
            }
            if v > 1 << 16 {
                return Err(NnError::Config(format!(
                    "{what} = {v} is implausibly large (limit 65536)"
                )));
            }
            Ok(())
        }
        fn encoder(e: &Encoder) -> Result<()> {
            match e {
                Encoder::Mlp(c) => {
                    positive("mlp.hidden", c.hidden)?;
                    positive("mlp.layers", c.layers)
                }
                Encoder::Resnet(c) => {
                    positive("resnet.channels", c.channels)?;
                    // Zero blocks is a legitimate (if weak) net: stem plus heads.
                    if c.blocks > 1024 {
                        return Err(NnError::Config(format!(
                            "resnet.blocks = {} is implausibly large",
                            c.blocks
                        )));
                    }
                    Ok(())
                }
                Encoder::Transformer(c) => {
                    positive("transformer.d_model", c.d_model)?;
                    positive("transformer.heads", c.heads)?;
                    positive("transformer.layers", c.layers)?;
                    positive("transformer.ff", c.ff)?;
                    if c.d_model % c.heads != 0 {
                        return Err(NnError::Config(format!(
                            "transformer.heads = {} must divide d_model = {}",
                            c.heads, c.d_model
                        )));
                    }
                    Ok(())
                }
            }
        }
        match &self.arch {
            Arch::Mlp(c) => encoder(&Encoder::Mlp(c.clone())),
            Arch::Resnet(c) => encoder(&Encoder::Resnet(c.clone())),
            Arch::Transformer(c) => encoder(&Encoder::Transformer(c.clone())),
            Arch::Lstm(c) => {
                positive("lstm.hidden", c.hidden)?;
                positive("lstm.layers", c.layers)?;
                encoder(&c.encoder)
            }
        }
    }
}

impl Serialize for NetConfig {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::Error;
        let mut v = serde_json::to_value(&self.arch).map_err(S::Error::custom)?;
        if let Some(map) = v.as_object_mut() {
            map.insert(
                "value_head".to_string(),
                serde_json::to_value(self.value_head).map_err(S::Error::custom)?,
            );
        }
        v.serialize(s)
    }
}

impl<'de> Deserialize<'de> for NetConfig {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use serde::de::Error;
        let mut v = serde_json::Value::deserialize(d)?;
        let map = v
            .as_object_mut()
            .ok_or_else(|| D::Error::custom("a network config must be a table"))?;
        if !map.contains_key("kind") {
            return Err(D::Error::custom(
                "network config needs `kind` = \"mlp\" | \"resnet\" | \"transformer\" | \"lstm\"",
            ));
        }
        let value_head = match map.remove("value_head") {
            None => ValueHead::default(),
            Some(h) => serde_json::from_value(h).map_err(|e| {
                D::Error::custom(format!("value_head: {e} (expected \"wdl\" or \"scalar\")"))
            })?,
        };
        let arch: Arch = serde_json::from_value(v).map_err(D::Error::custom)?;
        let config = NetConfig { arch, value_head };
        config.validate().map_err(D::Error::custom)?;
        Ok(config)
    }
}
