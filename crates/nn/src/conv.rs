//! A residual tower of 3×3 convolutions without normalisation, for policies trained by
//! reinforcement learning (the RTS agent's spatial path).
//!
//! Why no batch norm: an actor-critic acts on small batches (one state per environment) and
//! learns on large shuffled ones; batch statistics would make the policy that acted differ from
//! the one whose probabilities the update compares against. IMPALA's CNN, which the best
//! gym-µRTS agent used, has no normalisation either. The convolutions run on [B·H·W, C] row
//! matrices like the AlphaZero ResNet's (see `resnet.rs` for why).

use candle_core::Tensor;
use candle_nn::VarBuilder;

use crate::layers::add_row;
use crate::resnet::Neighbours;
use crate::Result;

/// A 3×3 convolution with bias, stride 1, same padding; PyTorch's parameter layout.
#[derive(Clone, Debug)]
struct Conv3x3 {
    /// [C_out, C_in, 3, 3].
    weight: Tensor,
    bias: Tensor,
}

impl Conv3x3 {
    fn new(c_in: usize, c_out: usize, vb: VarBuilder) -> Result<Self> {
        let bound = 1.0 / ((9 * c_in) as f64).sqrt();
        Ok(Conv3x3 {
            weight: vb.get_with_hints(
                (c_out, c_in, 3, 3),
                "weight",
                candle_nn::init::DEFAULT_KAIMING_NORMAL,
            )?,
            bias: vb.get_with_hints(
                c_out,
                "bias",
                candle_nn::init::Init::Uniform {
                    lo: -bound,
                    up: bound,
                },
            )?,
        })
    }

    fn forward(&self, x: &Tensor, nb: &Neighbours, batch: usize) -> Result<Tensor> {
        let (c_out, c_in, k, _) = self.weight.dims4()?;
        let w = self
            .weight
            .permute((2, 3, 1, 0))?
            .reshape((k * k * c_in, c_out))?;
        let (idx, idx_host) = nb.indices(batch, k, x.device())?;
        add_row(
            &crate::kernels::gather_matmul(x, &idx, &idx_host, &w)?,
            &self.bias,
        )
    }
}

/// Stem convolution to `channels`, then residual blocks `x + conv(relu(conv(relu(x))))`, then a
/// ReLU; over boards of a fixed size.
#[derive(Clone, Debug)]
pub struct ConvTower {
    stem: Conv3x3,
    blocks: Vec<(Conv3x3, Conv3x3)>,
    neighbours: Neighbours,
    channels: usize,
}

impl ConvTower {
    /// Parameters under `vb`: `stem.*`, `block{i}.a.*`, `block{i}.b.*`.
    pub fn new(
        in_channels: usize,
        channels: usize,
        blocks: usize,
        height: usize,
        width: usize,
        vb: VarBuilder,
    ) -> Result<Self> {
        Ok(ConvTower {
            stem: Conv3x3::new(in_channels, channels, vb.pp("stem"))?,
            blocks: (0..blocks)
                .map(|i| {
                    let vb = vb.pp(format!("block{i}"));
                    Ok((
                        Conv3x3::new(channels, channels, vb.pp("a"))?,
                        Conv3x3::new(channels, channels, vb.pp("b"))?,
                    ))
                })
                .collect::<Result<Vec<_>>>()?,
            neighbours: Neighbours::new(height, width),
            channels,
        })
    }

    pub fn channels(&self) -> usize {
        self.channels
    }

    /// `rows`: [B·H·W, in_channels], boards one after another, cells row-major →
    /// [B·H·W, channels].
    pub fn forward(&self, rows: &Tensor, batch: usize) -> Result<Tensor> {
        let nb = &self.neighbours;
        let mut x = self.stem.forward(rows, nb, batch)?;
        for (a, b) in &self.blocks {
            let y = a.forward(&x.relu()?, nb, batch)?;
            let y = b.forward(&y.relu()?, nb, batch)?;
            x = (x + y)?;
        }
        Ok(x.relu()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device, Var};
    use candle_nn::VarMap;

    /// The tower's stem equals candle's own conv2d (plus bias) on the same weights, and every
    /// parameter gets a gradient.
    #[test]
    fn the_stem_is_a_same_padded_convolution_and_every_weight_learns() {
        let dev = Device::Cpu;
        let vm = VarMap::new();
        let vb = VarBuilder::from_varmap(&vm, DType::F32, &dev);
        let tower = ConvTower::new(2, 3, 1, 3, 4, vb).unwrap();
        let x = Tensor::arange(0f32, 48.0, &dev)
            .unwrap()
            .affine(0.1, -2.0)
            .unwrap()
            .sin()
            .unwrap()
            .reshape((2, 2, 3, 4))
            .unwrap();
        let rows = x.permute((0, 2, 3, 1)).unwrap().reshape((24, 2)).unwrap();
        let ours = tower.stem.forward(&rows, &tower.neighbours, 2).unwrap();
        let theirs = x
            .conv2d(&tower.stem.weight, 1, 1, 1, 1)
            .unwrap()
            .broadcast_add(&tower.stem.bias.reshape((1, 3, 1, 1)).unwrap())
            .unwrap()
            .permute((0, 2, 3, 1))
            .unwrap()
            .reshape((24, 3))
            .unwrap();
        let d = (ours - theirs).unwrap().abs().unwrap().max_all().unwrap();
        assert!(d.to_scalar::<f32>().unwrap() < 1e-5);

        let out = tower.forward(&rows, 2).unwrap();
        assert_eq!(out.dims(), [24, 3]);
        let grads = out.sqr().unwrap().sum_all().unwrap().backward().unwrap();
        let vars: Vec<Var> = vm.all_vars();
        assert_eq!(vars.len(), 6);
        for v in &vars {
            let g = grads
                .get(v.as_tensor())
                .expect("every weight has a gradient");
            assert!(
                g.abs()
                    .unwrap()
                    .sum_all()
                    .unwrap()
                    .to_scalar::<f32>()
                    .unwrap()
                    > 0.0
            );
        }
    }
}
