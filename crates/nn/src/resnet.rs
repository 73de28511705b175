//! AlphaZero-style residual tower (Silver et al. 2017, "Mastering the game of Go without human
//! knowledge", Methods): 3×3 conv stem, residual blocks of two 3×3 convolutions, a policy head
//! (1×1 conv to 2 planes, linear to the actions) and a value head (1×1 conv to 1 plane, linear,
//! ReLU, linear). Every convolution is followed by batch normalisation, so it has no bias.
//!
//! # Why the convolutions are written here
//! candle 0.11's CPU `conv2d` spends most of its time in a tiled im2col with small gemm tiles
//! (perf: ~50 % in rayon folds, the rest in a 2×6 microkernel) and ran 5× slower than PyTorch on
//! this net. Board activations are tiny (6×7 to 19×19 cells), so the tower keeps them as one
//! [B·H·W, C] matrix of rows (channels last) and does each 3×3 convolution as
//! one gather (`index_select` of the 9 neighbours of every cell, out-of-board neighbours reading
//! an appended zero row) and one large matrix product [B·H·W, 9·C] × [9·C, C_out]. Both ops have
//! gradients on every backend, so training uses the same path. In inference (frozen weights),
//! batch norm is folded into the product's weights and a bias.
//!
//! Weights keep PyTorch's layout (`conv.weight` [C_out, C_in, k, k], `bn.*`), so a checkpoint maps
//! one-to-one onto `torch.nn.Conv2d`/`BatchNorm2d`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use candle_core::{Device, Tensor, Var};
use candle_nn::VarBuilder;

use crate::layers::{linear, Linear};

use crate::config::{ResnetConfig, ValueHead};
use crate::layers::tracks_grad;
use crate::net::{NetOutput, NetShape};
use crate::Result;

const BN_EPS: f64 = 1e-5;
const BN_MOMENTUM: f64 = 0.1;

/// Indices on the device, and the same on the host for the CPU kernel.
pub(crate) type GatherIndices = (Tensor, Arc<Vec<u32>>);

/// Gather indices of 3×3 neighbourhoods for a batch size, built once per size and device.
#[derive(Clone, Debug)]
pub(crate) struct Neighbours {
    height: usize,
    width: usize,
    cache: Arc<Mutex<HashMap<usize, GatherIndices>>>,
}

impl Neighbours {
    pub(crate) fn new(height: usize, width: usize) -> Self {
        Neighbours {
            height,
            width,
            cache: Arc::default(),
        }
    }

    /// For each cell of each board (row-major, boards one after another) and each tap (dy, dx)
    /// of a k×k kernel, the row of its neighbour, or the zero row `B·H·W` off the board.
    pub(crate) fn indices(
        &self,
        batch: usize,
        kernel: usize,
        device: &Device,
    ) -> Result<GatherIndices> {
        let key = batch * 16 + kernel;
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(t) = cache.get(&key) {
            return Ok(t.clone());
        }
        let (h, w) = (self.height as isize, self.width as isize);
        let r = (kernel / 2) as isize;
        let zero_row = (batch * self.height * self.width) as u32;
        let mut idx = Vec::with_capacity(batch * self.height * self.width * kernel * kernel);
        for b in 0..batch as isize {
            for y in 0..h {
                for x in 0..w {
                    for dy in -r..=r {
                        for dx in -r..=r {
                            let (ny, nx) = (y + dy, x + dx);
                            idx.push(if ny < 0 || ny >= h || nx < 0 || nx >= w {
                                zero_row
                            } else {
                                ((b * h + ny) * w + nx) as u32
                            });
                        }
                    }
                }
            }
        }
        let t = Tensor::new(idx.as_slice(), device)?;
        let entry = (t, Arc::new(idx));
        cache.insert(key, entry.clone());
        Ok(entry)
    }
}

/// Batch normalisation over the channels of a [rows, C] matrix.
#[derive(Clone, Debug)]
struct BatchNorm {
    weight: Tensor,
    bias: Tensor,
    running_mean: Var,
    running_var: Var,
}

impl BatchNorm {
    fn new(channels: usize, vb: VarBuilder) -> Result<Self> {
        use candle_nn::init::{ONE, ZERO};
        Ok(BatchNorm {
            weight: vb.get_with_hints(channels, "weight", ONE)?,
            bias: vb.get_with_hints(channels, "bias", ZERO)?,
            // A tensor that is already a variable stays the same variable, so updates reach the
            // network's VarMap (and checkpoints).
            running_mean: Var::from_tensor(&vb.get_with_hints(channels, "running_mean", ZERO)?)?,
            running_var: Var::from_tensor(&vb.get_with_hints(channels, "running_var", ONE)?)?,
        })
    }

    /// Training mode: batch statistics (biased variance for normalising, unbiased for the
    /// running estimate, as PyTorch), and the running statistics move towards them. `relu`
    /// applies a ReLU to the output (fused with the normalisation on the CPU).
    fn forward_train(&self, x: &Tensor, relu: bool) -> Result<Tensor> {
        let n = x.dim(0)?;
        let (y, mean, var) =
            crate::kernels::batch_norm_train(x, &self.weight, &self.bias, BN_EPS, relu)?;
        let unbiased = (var * (n as f64 / (n.max(2) - 1) as f64))?;
        let m = BN_MOMENTUM;
        self.running_mean
            .set(&((self.running_mean.as_detached_tensor() * (1.0 - m))? + (mean * m)?)?)?;
        self.running_var
            .set(&((self.running_var.as_detached_tensor() * (1.0 - m))? + (unbiased * m)?)?)?;
        Ok(y)
    }

    /// Inference: per-channel scale and shift from the running statistics.
    fn scale_shift(&self) -> Result<(Tensor, Tensor)> {
        let scale = self
            .weight
            .broadcast_div(&(self.running_var.as_detached_tensor() + BN_EPS)?.sqrt()?)?;
        let shift = (&self.bias - (self.running_mean.as_detached_tensor() * &scale)?)?;
        Ok((scale, shift))
    }
}

/// A k×k convolution (k = 1 or 3, stride 1, same padding, no bias) followed by batch norm, on
/// [B·H·W, C] row matrices.
#[derive(Clone, Debug)]
struct ConvBn {
    /// [C_out, C_in, k, k], PyTorch's layout.
    weight: Tensor,
    bn: BatchNorm,
    kernel: usize,
    /// Folded (weight matrix, bias) for frozen networks, computed on first use.
    folded: OnceLock<(Tensor, Tensor)>,
}

impl ConvBn {
    fn new(c_in: usize, c_out: usize, kernel: usize, vb: VarBuilder) -> Result<Self> {
        Ok(ConvBn {
            weight: vb.pp("conv").get_with_hints(
                (c_out, c_in, kernel, kernel),
                "weight",
                candle_nn::init::DEFAULT_KAIMING_NORMAL,
            )?,
            bn: BatchNorm::new(c_out, vb.pp("bn"))?,
            kernel,
            folded: OnceLock::new(),
        })
    }

    /// The weights as a [k·k·C_in, C_out] matrix matching the gathered columns' order
    /// (tap-major, channel-minor).
    fn weight_matrix(&self) -> Result<Tensor> {
        let (c_out, c_in, k, _) = self.weight.dims4()?;
        Ok(self
            .weight
            .permute((2, 3, 1, 0))?
            .reshape((k * k * c_in, c_out))?)
    }

    /// Convolution, batch norm, then a ReLU if `relu`.
    fn forward(
        &self,
        x: &Tensor,
        nb: &Neighbours,
        batch: usize,
        train: bool,
        relu: bool,
    ) -> Result<Tensor> {
        if train {
            let w = self.weight_matrix()?;
            let pre = if self.kernel == 1 {
                x.matmul(&w)?
            } else {
                let (idx, idx_host) = nb.indices(batch, self.kernel, x.device())?;
                crate::kernels::gather_matmul(x, &idx, &idx_host, &w)?
            };
            return self.bn.forward_train(&pre, relu);
        }
        let cols = if self.kernel == 1 {
            x.clone()
        } else {
            let (rows, c) = x.dims2()?;
            let (idx, idx_host) = nb.indices(batch, self.kernel, x.device())?;
            crate::kernels::gather_rows(x, &idx, &idx_host)?
                .reshape((rows, self.kernel * self.kernel * c))?
        };
        let fold = || -> Result<(Tensor, Tensor)> {
            let (scale, shift) = self.bn.scale_shift()?;
            let w = self.weight_matrix()?.broadcast_mul(&scale.unsqueeze(0)?)?;
            Ok((w.contiguous()?, shift))
        };
        let (w, b) = if tracks_grad(&self.weight) {
            // Trainable net in eval mode: fold afresh, the statistics may have moved.
            fold()?
        } else {
            match self.folded.get() {
                Some(f) => f.clone(),
                None => {
                    let f = fold()?;
                    let _ = self.folded.set(f.clone());
                    f
                }
            }
        };
        let y = cols.matmul(&w)?.broadcast_add(&b)?;
        Ok(if relu { y.relu()? } else { y })
    }
}

#[derive(Clone, Debug)]
struct Block {
    a: ConvBn,
    b: ConvBn,
}

/// Stem and residual blocks: observations [B, C, H, W] → rows [B·H·W, channels].
#[derive(Clone, Debug)]
pub(crate) struct ResnetTrunk {
    stem: ConvBn,
    blocks: Vec<Block>,
    neighbours: Neighbours,
    pub(crate) channels: usize,
}

impl ResnetTrunk {
    pub(crate) fn new(cfg: &ResnetConfig, shape: &NetShape, vb: VarBuilder) -> Result<Self> {
        let c = cfg.channels;
        let [planes, height, width] = shape.observation;
        let stem = ConvBn::new(planes, c, 3, vb.pp("stem"))?;
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
            neighbours: Neighbours::new(height, width),
            channels: c,
        })
    }

    /// Rows [B·H·W, channels], boards one after another, cells row-major.
    pub(crate) fn forward_t(&self, obs: &Tensor, train: bool) -> Result<Tensor> {
        let (b, c, h, w) = obs.dims4()?;
        let rows = obs
            .permute((0, 2, 3, 1))?
            .contiguous()?
            .reshape((b * h * w, c))?;
        let nb = &self.neighbours;
        let mut x = self.stem.forward(&rows, nb, b, train, true)?;
        for block in &self.blocks {
            let y = block.a.forward(&x, nb, b, train, true)?;
            let y = block.b.forward(&y, nb, b, train, false)?;
            x = (y + x)?.relu()?;
        }
        Ok(x)
    }

    /// Globally average-pooled features [B, channels], for use as an LSTM encoder.
    pub(crate) fn pooled_t(&self, obs: &Tensor, train: bool) -> Result<Tensor> {
        let b = obs.dim(0)?;
        Ok(self
            .forward_t(obs, train)?
            .reshape((b, (), self.channels))?
            .mean(1)?)
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
        let b = obs.dim(0)?;
        let nb = &self.trunk.neighbours;
        let x = self.trunk.forward_t(obs, train)?;
        // Policy planes flattened channel-major ([B, 2, H·W]), as PyTorch's flatten of NCHW.
        let p = self
            .policy_conv
            .forward(&x, nb, b, train, true)?
            .reshape((b, (), 2))?
            .transpose(1, 2)?
            .flatten_from(1)?;
        let v = self
            .value_conv
            .forward(&x, nb, b, train, true)?
            .reshape((b, ()))?;
        let v = self.value_fc1.forward(&v)?.relu()?;
        NetOutput::new(
            &self.policy_fc.forward(&p)?,
            legal,
            self.value_fc2.forward(&v)?,
            self.value_head,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::DType;

    /// The gather-and-multiply convolution equals candle's own conv2d (+ batch norm in eval
    /// mode), on a batch of 2 boards with a non-square shape.
    #[test]
    fn gathered_convolution_matches_candle_conv2d() {
        let dev = Device::Cpu;
        let vm = candle_nn::VarMap::new();
        let vb = VarBuilder::from_varmap(&vm, DType::F32, &dev);
        let conv = ConvBn::new(3, 5, 3, vb.pp("c")).unwrap();
        conv.bn
            .running_mean
            .set(&Tensor::new(&[0.1f32, -0.2, 0.3, 0.0, 0.5], &dev).unwrap())
            .unwrap();
        conv.bn
            .running_var
            .set(&Tensor::new(&[1.5f32, 0.5, 2.0, 1.0, 0.8], &dev).unwrap())
            .unwrap();
        let x = Tensor::randn(0f32, 1.0, (2, 3, 4, 6), &dev).unwrap();
        let nb = Neighbours {
            height: 4,
            width: 6,
            cache: Arc::default(),
        };
        let rows = x
            .permute((0, 2, 3, 1))
            .unwrap()
            .contiguous()
            .unwrap()
            .reshape((48, 3))
            .unwrap();
        let ours = conv
            .forward(&rows, &nb, 2, false, false)
            .unwrap()
            .reshape((2, 4, 6, 5))
            .unwrap()
            .permute((0, 3, 1, 2))
            .unwrap();
        let reference = x.conv2d(&conv.weight, 1, 1, 1, 1).unwrap();
        let (scale, shift) = conv.bn.scale_shift().unwrap();
        let reference = reference
            .broadcast_mul(&scale.reshape((1, 5, 1, 1)).unwrap())
            .unwrap()
            .broadcast_add(&shift.reshape((1, 5, 1, 1)).unwrap())
            .unwrap();
        let diff = (ours - reference)
            .unwrap()
            .abs()
            .unwrap()
            .max_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!(diff < 1e-4, "max difference {diff}");
    }
}
