//! Policy/value networks for Ludus on candle: MLP, AlphaZero ResNet, Transformer and LSTM, on CPU
//! or CUDA from one code path; safetensors checkpoints; a batched evaluator for search; and the
//! training utilities (AdamW, schedules, clipping, losses) the trainers share.
//!
//! The contract every architecture meets: observations [B, C, H, W] (the game's
//! `observation_shape`) and legal-action masks [B, A] in, masked policy logits [B, A] and a value
//! (scalar or win/draw/loss) out. Recurrent nets add an explicit [`LstmState`] and
//! episode-start flags.

pub mod bench;
pub mod checkpoint;
mod config;
mod conv;
mod device;
mod error;
pub mod evaluator;
mod init;
mod kernels;
mod layers;
mod lstm;
mod mlp;
mod net;
mod resnet;
pub mod train;
mod transformer;

pub use candle_core;
pub use candle_nn;
pub use config::{
    Arch, Encoder, LstmConfig, MlpConfig, NetConfig, ResnetConfig, TransformerConfig, ValueHead,
};
pub use conv::ConvTower;
pub use device::{device_name, parse_device, CUDA_BUILD};
pub use error::{NnError, Result};
pub use evaluator::{
    BatchedEvaluator, Evaluation, EvaluatorConfig, EvaluatorHandle, EvaluatorStats,
};
pub use init::seeded_var_builder;
pub use layers::{
    linear, mask_logits, padding_bias, LayerNorm, Linear, SelfAttention, ILLEGAL_LOGIT,
};
pub use lstm::{LstmCore, LstmState};
pub use net::{encode_states, NetOutput, NetShape, Network};
pub use transformer::TransformerEncoder;
