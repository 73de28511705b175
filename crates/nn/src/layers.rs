//! Building blocks shared by the architectures: layer norm that keeps its gradient, multi-head
//! self-attention with padding masks, and the policy mask.

use candle_core::{DType, Tensor, D};
use candle_nn::VarBuilder;

use crate::Result;

/// Logit given to illegal actions. Finite (unlike -inf) so that `0 · log p` in a cross-entropy
/// stays 0 instead of NaN; after softmax it is exactly 0.0 in f32 (exp(-1e9) underflows).
pub const ILLEGAL_LOGIT: f32 = -1e9;

/// Replaces the logits of illegal actions by [`ILLEGAL_LOGIT`]. `legal` is u8 (1 = legal) with
/// the same shape as `logits`.
pub fn mask_logits(logits: &Tensor, legal: &Tensor) -> Result<Tensor> {
    let fill = Tensor::full(ILLEGAL_LOGIT, logits.shape(), logits.device())?;
    Ok(legal.where_cond(logits, &fill)?)
}

/// Whether a tensor takes part in a gradient graph. Inference copies of a network are built from
/// detached tensors, so this is false there and the fused (backward-less) kernels can be used.
pub(crate) fn tracks_grad(t: &Tensor) -> bool {
    t.track_op()
}

/// Adds a row vector `b` [C] to every row of `x` [.., C].
///
/// Why not `broadcast_add`: its backward sums the gradient over the broadcast rows with candle's
/// strided CPU reduction, which took ~30 % of a Transformer training step. Expanding `b` by a
/// product with a column of ones turns that sum into a matrix product (ones^T · grad), the
/// fastest op candle has on every device. Without a gradient to track, the plain broadcast is
/// used.
pub(crate) fn add_row(x: &Tensor, b: &Tensor) -> Result<Tensor> {
    if !tracks_grad(b) {
        return Ok(x.broadcast_add(b)?);
    }
    Ok((x + expand_rows(b, x)?)?)
}

/// Multiplies every row of `x` [.., C] by the row vector `w` [C]; see [`add_row`] for why.
pub(crate) fn mul_row(x: &Tensor, w: &Tensor) -> Result<Tensor> {
    if !tracks_grad(w) {
        return Ok(x.broadcast_mul(w)?);
    }
    Ok((x * expand_rows(w, x)?)?)
}

/// `v` [C] repeated to `like`'s shape [.., C] as ones[N, 1] · v[1, C].
fn expand_rows(v: &Tensor, like: &Tensor) -> Result<Tensor> {
    let c = v.elem_count();
    let n = like.elem_count() / c.max(1);
    let ones = Tensor::ones((n, 1), v.dtype(), v.device())?;
    Ok(ones.matmul(&v.reshape((1, c))?)?.reshape(like.shape())?)
}

/// Column means of `x` [N, C] → [C], as ones[1, N] · x / N (a matrix product, for the same
/// reason as [`add_row`]).
pub(crate) fn col_mean(x: &Tensor) -> Result<Tensor> {
    let (n, c) = x.dims2()?;
    let ones = Tensor::full(1.0 / n as f32, (1, n), x.device())?.to_dtype(x.dtype())?;
    Ok(ones.matmul(x)?.reshape(c)?)
}

/// A fully connected layer, `y = x Wᵀ + b`, with PyTorch's parameter names and layout
/// (`weight` [out, in], `bias` [out]) and candle-nn's initialisation.
#[derive(Clone, Debug)]
pub struct Linear {
    weight: Tensor,
    bias: Tensor,
}

/// A [`Linear`] layer from `input` to `output` features.
pub fn linear(input: usize, output: usize, vb: VarBuilder) -> Result<Linear> {
    let bound = 1.0 / (input as f64).sqrt();
    Ok(Linear {
        weight: vb.get_with_hints(
            (output, input),
            "weight",
            candle_nn::init::DEFAULT_KAIMING_NORMAL,
        )?,
        bias: vb.get_with_hints(
            output,
            "bias",
            candle_nn::init::Init::Uniform {
                lo: -bound,
                up: bound,
            },
        )?,
    })
}

impl Linear {
    /// `x`: [.., in] → [.., out].
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let (out_dim, in_dim) = self.weight.dims2()?;
        let dims = x.dims();
        let mut out_shape = dims.to_vec();
        if let Some(last) = out_shape.last_mut() {
            *last = out_dim;
        }
        let rows = x.contiguous()?.reshape(((), in_dim))?;
        let y = rows.matmul(&self.weight.t()?)?;
        Ok(add_row(&y, &self.bias)?.reshape(out_shape)?)
    }
}

/// Softmax over the last dimension that keeps its gradient when one is needed.
///
/// candle's fused `softmax_last_dim` has no backward (gradients silently vanish), so it is only
/// used when nothing upstream needs a gradient.
pub fn softmax_last(x: &Tensor) -> Result<Tensor> {
    if tracks_grad(x) {
        Ok(candle_nn::ops::softmax(x, D::Minus1)?)
    } else {
        crate::kernels::softmax_last_inference(x)
    }
}

/// Layer normalisation over the last dimension. Same trap as softmax: candle-nn's `LayerNorm`
/// routes to a fused op without backward, so training goes through `layer_norm_slow`.
#[derive(Clone, Debug)]
pub struct LayerNorm {
    weight: Tensor,
    bias: Tensor,
}

impl LayerNorm {
    const EPS: f32 = 1e-5;

    pub fn new(dim: usize, vb: VarBuilder) -> Result<Self> {
        Ok(LayerNorm {
            weight: vb.get_with_hints(dim, "weight", candle_nn::init::ONE)?,
            bias: vb.get_with_hints(dim, "bias", candle_nn::init::ZERO)?,
        })
    }

    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        if tracks_grad(x) || tracks_grad(&self.weight) {
            // Composed from differentiable ops (as candle-nn's `layer_norm_slow`), with the
            // affine part through add_row/mul_row for a fast backward.
            let mean = x.mean_keepdim(D::Minus1)?;
            let centred = x.broadcast_sub(&mean)?;
            let var = centred.sqr()?.mean_keepdim(D::Minus1)?;
            let normed = centred.broadcast_div(&(var + f64::from(Self::EPS))?.sqrt()?)?;
            add_row(&mul_row(&normed, &self.weight)?, &self.bias)
        } else {
            Ok(candle_nn::ops::layer_norm(
                &x.contiguous()?,
                &self.weight,
                &self.bias,
                Self::EPS,
            )?)
        }
    }
}

/// Multi-head self-attention written from primitives (candle-nn has no trainable one).
#[derive(Clone, Debug)]
pub struct SelfAttention {
    qkv: Linear,
    out: Linear,
    heads: usize,
}

impl SelfAttention {
    pub fn new(d_model: usize, heads: usize, vb: VarBuilder) -> Result<Self> {
        Ok(SelfAttention {
            qkv: linear(d_model, 3 * d_model, vb.pp("qkv"))?,
            out: linear(d_model, d_model, vb.pp("out"))?,
            heads,
        })
    }

    /// `x`: [B, T, d]. `key_bias`: optional [B, 1, 1, T] additive bias, 0 for real tokens and
    /// a large negative number for padding (see [`padding_bias`]).
    pub fn forward(&self, x: &Tensor, key_bias: Option<&Tensor>) -> Result<Tensor> {
        let (b, t, d) = x.dims3()?;
        let dh = d / self.heads;
        // [B, T, 3, H, dh] -> [3, B, H, T, dh]
        let qkv = self
            .qkv
            .forward(x)?
            .reshape((b, t, 3, self.heads, dh))?
            .permute((2, 0, 3, 1, 4))?;
        // Scale q rather than the [T, T] scores: T/dh times fewer multiplications.
        let q = (qkv.get(0)? * (1.0 / (dh as f64).sqrt()))?;
        let k = qkv.get(1)?.contiguous()?;
        let v = qkv.get(2)?.contiguous()?;
        let mut scores = q.matmul(&k.t()?)?; // [B, H, T, T]
        if let Some(bias) = key_bias {
            scores = scores.broadcast_add(bias)?;
        }
        let attn = softmax_last(&scores)?;
        let y = attn
            .matmul(&v)? // [B, H, T, dh]
            .transpose(1, 2)?
            .reshape((b, t, d))?;
        self.out.forward(&y)
    }
}

/// Turns a padding mask [B, T] (u8, 1 = real token, 0 = padding) into the additive attention
/// bias [B, 1, 1, T] that [`SelfAttention::forward`] takes.
pub fn padding_bias(mask: &Tensor) -> Result<Tensor> {
    let (b, t) = mask.dims2()?;
    let zeros = Tensor::zeros((b, t), DType::F32, mask.device())?;
    let neg = Tensor::full(ILLEGAL_LOGIT, (b, t), mask.device())?;
    Ok(mask.where_cond(&zeros, &neg)?.reshape((b, 1, 1, t))?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    #[test]
    fn masked_logits_have_exactly_zero_probability() {
        let dev = Device::Cpu;
        let logits = Tensor::new(&[[3.0f32, 50.0, -2.0, 0.5]], &dev).unwrap();
        let legal = Tensor::new(&[[1u8, 0, 1, 0]], &dev).unwrap();
        let p = softmax_last(&mask_logits(&logits, &legal).unwrap()).unwrap();
        let p = p.to_vec2::<f32>().unwrap();
        assert_eq!(p[0][1], 0.0);
        assert_eq!(p[0][3], 0.0);
        assert!((p[0][0] + p[0][2] - 1.0).abs() < 1e-6);
    }

    #[test]
    fn layer_norm_and_softmax_pass_gradients_in_training() {
        let dev = Device::Cpu;
        let x = Var::new(&[[1.0f32, 2.0, 4.0], [0.0, -1.0, 3.0]], &dev).unwrap();
        let w = Var::new(&[1.0f32, 2.0, 3.0], &dev).unwrap();
        let b = Var::new(&[0.5f32, 0.0, -0.5], &dev).unwrap();
        let ln = LayerNorm {
            weight: w.as_tensor().clone(),
            bias: b.as_tensor().clone(),
        };
        let y = softmax_last(&ln.forward(x.as_tensor()).unwrap()).unwrap();
        let target = Tensor::new(&[[0.0f32, 0.0, 1.0], [1.0, 0.0, 0.0]], &dev).unwrap();
        let loss = (y - target).unwrap().sqr().unwrap().sum_all().unwrap();
        let grads = loss.backward().unwrap();
        for v in [&x, &w, &b] {
            let g = grads.get(v.as_tensor()).expect("gradient present");
            let norm = g
                .sqr()
                .unwrap()
                .sum_all()
                .unwrap()
                .to_scalar::<f32>()
                .unwrap();
            assert!(norm > 0.0, "zero gradient");
        }
    }

    #[test]
    fn padding_tokens_receive_no_attention() {
        let dev = Device::Cpu;
        let vm = candle_nn::VarMap::new();
        let vb = VarBuilder::from_varmap(&vm, DType::F32, &dev);
        let att = SelfAttention::new(8, 2, vb).unwrap();
        let x = Tensor::randn(0f32, 1.0, (1, 4, 8), &dev).unwrap();
        let mask = Tensor::new(&[[1u8, 1, 0, 0]], &dev).unwrap();
        let y1 = att
            .forward(&x, Some(&padding_bias(&mask).unwrap()))
            .unwrap();
        // Changing the padded tokens must not change the real tokens' outputs.
        let noise = Tensor::randn(0f32, 5.0, (1, 2, 8), &dev).unwrap();
        let x2 = Tensor::cat(&[x.narrow(1, 0, 2).unwrap(), noise], 1).unwrap();
        let y2 = att
            .forward(&x2, Some(&padding_bias(&mask).unwrap()))
            .unwrap();
        let d = (y1.narrow(1, 0, 2).unwrap() - y2.narrow(1, 0, 2).unwrap())
            .unwrap()
            .abs()
            .unwrap()
            .max_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!(d < 1e-5, "padding leaked into real tokens: {d}");
    }
}
