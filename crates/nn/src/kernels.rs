//! CPU kernels that candle 0.11 does slowly, as custom ops with their own backward.
//!
//! Profiles of the reference nets (perf, one thread) showed two hot spots outside matrix
//! products: candle's CPU GELU calls libm's `tanhf` per element (45 % of the Transformer's
//! forward time), and `index_select` zero-fills its output before copying every row into it
//! (16 % of the ResNet's). Each op here keeps candle's semantics, is used only for contiguous f32
//! tensors on the CPU, and falls back to candle's own op elsewhere, so every device runs the
//! same network.

use std::sync::Arc;

use candle_core::{CpuStorage, CustomOp1, DType, Layout, Shape, Tensor};

use crate::Result;

/// tanh by a rational approximation x·P(x²)/Q(x²) on [-9, 9] (beyond, tanh is ±1 in f32);
/// plain arithmetic, so the compiler vectorises the loops that call it. Maximum error ~1e-7
/// (checked against f64 in the tests below).
#[inline(always)]
fn fast_tanh(x: f32) -> f32 {
    let x = x.clamp(-9.0, 9.0);
    let x2 = x * x;
    let p = x2 * -2.760_768_5e-16 + 2.000_188e-13;
    let p = x2 * p + -8.604_672e-11;
    let p = x2 * p + 5.122_297e-8;
    let p = x2 * p + 1.485_722_4e-5;
    let p = x2 * p + 6.372_619_3e-4;
    let p = x2 * p + 4.893_524_6e-3;
    let p = x * p;
    let q = x2 * 1.198_258_4e-6 + 1.185_347e-4;
    let q = x2 * q + 2.268_434_6e-3;
    let q = x2 * q + 4.893_525e-3;
    p / q
}

/// e^x by range reduction to r ∈ [-ln2/2, ln2/2] and a degree-6 polynomial (relative error
/// below 1e-7), exactly 0 below -87 (so masked logits keep exactly zero probability).
#[inline(always)]
fn fast_exp(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_145_75;
    const LN2_LO: f32 = 1.428_606_8e-6;
    let xc = x.clamp(-87.0, 88.0);
    let n = (xc * LOG2E).round();
    let r = xc - n * LN2_HI - n * LN2_LO;
    let p = r * (1.0 / 720.0) + 1.0 / 120.0;
    let p = r * p + 1.0 / 24.0;
    let p = r * p + 1.0 / 6.0;
    let p = r * p + 0.5;
    let p = r * p + 1.0;
    let p = r * p + 1.0;
    let scale = f32::from_bits(((n as i32 + 127) as u32) << 23);
    if x < -87.0 {
        0.0
    } else {
        p * scale
    }
}

const SQRT_2_OVER_PI: f32 = 0.797_884_6;
const GELU_C: f32 = 0.044_715;

#[inline(always)]
fn gelu_value(x: f32) -> f32 {
    0.5 * x * (1.0 + fast_tanh(SQRT_2_OVER_PI * (x + GELU_C * x * x * x)))
}

#[inline(always)]
fn gelu_derivative(x: f32) -> f32 {
    let t = fast_tanh(SQRT_2_OVER_PI * (x + GELU_C * x * x * x));
    0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_C * x * x)
}

fn contiguous_f32<'a>(storage: &'a CpuStorage, layout: &Layout) -> candle_core::Result<&'a [f32]> {
    let data = storage.as_slice::<f32>()?;
    match layout.contiguous_offsets() {
        Some((start, end)) => Ok(&data[start..end]),
        None => candle_core::bail!("kernel needs a contiguous tensor"),
    }
}

struct Gelu;
struct GeluGrad;

impl CustomOp1 for Gelu {
    fn name(&self) -> &'static str {
        "ludus-gelu-tanh"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let x = contiguous_f32(s, l)?;
        let y: Vec<f32> = x.iter().map(|&v| gelu_value(v)).collect();
        Ok((CpuStorage::F32(y), l.shape().clone()))
    }

    fn bwd(
        &self,
        arg: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<Option<Tensor>> {
        let d = arg.contiguous()?.apply_op1_no_bwd(&GeluGrad)?;
        Ok(Some(grad.mul(&d)?))
    }
}

impl CustomOp1 for GeluGrad {
    fn name(&self) -> &'static str {
        "ludus-gelu-tanh-grad"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let x = contiguous_f32(s, l)?;
        let y: Vec<f32> = x.iter().map(|&v| gelu_derivative(v)).collect();
        Ok((CpuStorage::F32(y), l.shape().clone()))
    }
}

/// GELU with the tanh approximation (candle's `gelu`, PyTorch's `gelu(approximate="tanh")`).
pub(crate) fn gelu(x: &Tensor) -> Result<Tensor> {
    if x.device().is_cpu() && x.dtype() == DType::F32 {
        Ok(x.contiguous()?.apply_op1(Gelu)?)
    } else {
        Ok(x.gelu()?)
    }
}

/// Folds `xs` with `f` in 8 interleaved lanes, then folds the lanes.
#[inline(always)]
fn lanes_fold(xs: &[f32], init: f32, f: impl Fn(f32, f32) -> f32) -> f32 {
    let mut acc = [init; 8];
    let chunks = xs.chunks_exact(8);
    let tail = chunks.remainder();
    for c in chunks {
        for i in 0..8 {
            acc[i] = f(acc[i], c[i]);
        }
    }
    let mut r = tail.iter().fold(init, |a, &v| f(a, v));
    for a in acc {
        r = f(r, a);
    }
    r
}

struct SoftmaxLast;

impl CustomOp1 for SoftmaxLast {
    fn name(&self) -> &'static str {
        "ludus-softmax-last"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let x = contiguous_f32(s, l)?;
        let n = *l.shape().dims().last().unwrap_or(&1);
        let mut out = vec![0f32; x.len()];
        if n > 0 {
            for (row, dst) in x.chunks_exact(n).zip(out.chunks_exact_mut(n)) {
                // Three passes, each a plain loop over 8 independent lanes so that it
                // vectorises (a single running f32 sum or max would be serial).
                let max = lanes_fold(row, f32::NEG_INFINITY, |m, v| if v > m { v } else { m });
                for (d, &v) in dst.iter_mut().zip(row) {
                    *d = fast_exp(v - max);
                }
                let inv = 1.0 / lanes_fold(dst, 0.0, |a, v| a + v);
                for d in dst.iter_mut() {
                    *d *= inv;
                }
            }
        }
        Ok((CpuStorage::F32(out), l.shape().clone()))
    }
}

/// Softmax over the last dimension for inference (no backward: callers use it only when no
/// gradient is needed; see `layers::softmax_last`).
pub(crate) fn softmax_last_inference(x: &Tensor) -> Result<Tensor> {
    if x.device().is_cpu() && x.dtype() == DType::F32 {
        Ok(x.contiguous()?.apply_op1_no_bwd(&SoftmaxLast)?)
    } else {
        Ok(candle_nn::ops::softmax_last_dim(&x.contiguous()?)?)
    }
}

/// Row gather for the ResNet's convolutions: output row i is input row `idx[i]`, or zeros when
/// `idx[i]` equals the number of input rows (an off-board neighbour).
struct GatherRows {
    idx: Arc<Vec<u32>>,
    idx_tensor: Tensor,
}

impl CustomOp1 for GatherRows {
    fn name(&self) -> &'static str {
        "ludus-gather-rows"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let x = contiguous_f32(s, l)?;
        let (rows, cols) = l.shape().dims2()?;
        let zeros = vec![0f32; cols];
        let mut out = Vec::with_capacity(self.idx.len() * cols);
        for &i in self.idx.iter() {
            let i = i as usize;
            if i < rows {
                out.extend_from_slice(&x[i * cols..(i + 1) * cols]);
            } else {
                out.extend_from_slice(&zeros);
            }
        }
        Ok((CpuStorage::F32(out), Shape::from((self.idx.len(), cols))))
    }

    fn bwd(
        &self,
        arg: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<Option<Tensor>> {
        // Scatter-add the gradient rows back; the extra zero row soaks up off-board taps.
        let (rows, cols) = arg.dims2()?;
        let acc = Tensor::zeros((rows + 1, cols), grad.dtype(), grad.device())?;
        let acc = acc.index_add(&self.idx_tensor, &grad.contiguous()?, 0)?;
        Ok(Some(acc.narrow(0, 0, rows)?))
    }
}

/// Gathers rows of `x` [N, C] by `idx` [M] (u32, values ≤ N; N selects a zero row) → [M, C].
pub(crate) fn gather_rows(x: &Tensor, idx: &Tensor, idx_host: &Arc<Vec<u32>>) -> Result<Tensor> {
    if x.device().is_cpu() && x.dtype() == DType::F32 {
        Ok(x.contiguous()?.apply_op1(GatherRows {
            idx: idx_host.clone(),
            idx_tensor: idx.clone(),
        })?)
    } else {
        let c = x.dim(1)?;
        let padded = Tensor::cat(&[x, &Tensor::zeros((1, c), x.dtype(), x.device())?], 0)?;
        Ok(padded.index_select(idx, 0)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    #[test]
    fn fast_tanh_is_accurate() {
        let mut worst = 0f64;
        for i in -200_000..=200_000 {
            let x = i as f32 * 1e-4; // [-20, 20]
            let err = (fast_tanh(x) as f64 - (x as f64).tanh()).abs();
            worst = worst.max(err);
        }
        assert!(worst < 2e-6, "max |fast_tanh - tanh| = {worst}");
    }

    #[test]
    fn fast_exp_is_accurate_and_underflows_to_zero() {
        let mut worst = 0f64;
        for i in -8_700..=8_800 {
            let x = i as f32 * 1e-2;
            let exact = (x as f64).exp();
            worst = worst.max(((fast_exp(x) as f64) - exact).abs() / exact);
        }
        assert!(worst < 5e-7, "max relative error {worst}");
        assert_eq!(fast_exp(-1e9), 0.0);
        assert_eq!(fast_exp(-100.0), 0.0);
    }

    #[test]
    fn softmax_matches_candle() {
        let dev = Device::Cpu;
        let x = Tensor::new(&[[1.0f32, 2.0, -3.0, -1e9], [0.5, 0.5, 0.5, 0.5]], &dev).unwrap();
        let ours = softmax_last_inference(&x)
            .unwrap()
            .to_vec2::<f32>()
            .unwrap();
        let theirs = candle_nn::ops::softmax_last_dim(&x)
            .unwrap()
            .to_vec2::<f32>()
            .unwrap();
        for (a, b) in ours.iter().flatten().zip(theirs.iter().flatten()) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
        assert_eq!(ours[0][3], 0.0);
    }

    #[test]
    fn gelu_matches_candle_and_its_gradient_matches_too() {
        let dev = Device::Cpu;
        let x = Var::new(&[-6.0f32, -2.5, -1.0, -0.1, 0.0, 0.3, 1.0, 2.0, 5.0], &dev).unwrap();
        let ours = gelu(x.as_tensor()).unwrap();
        let theirs = x.as_tensor().gelu().unwrap();
        let d = (&ours - &theirs).unwrap().abs().unwrap().max_all().unwrap();
        assert!(d.to_scalar::<f32>().unwrap() < 1e-5);
        let g1 = ours.sum_all().unwrap().backward().unwrap();
        let g2 = theirs.sum_all().unwrap().backward().unwrap();
        let (g1, g2) = (
            g1.get(x.as_tensor()).unwrap(),
            g2.get(x.as_tensor()).unwrap(),
        );
        let d = (g1 - g2).unwrap().abs().unwrap().max_all().unwrap();
        assert!(d.to_scalar::<f32>().unwrap() < 1e-4);
    }

    #[test]
    fn gather_rows_matches_index_select_forward_and_backward() {
        let dev = Device::Cpu;
        let x = Var::new(&[[1.0f32, 2.0], [3.0, 4.0], [5.0, 6.0]], &dev).unwrap();
        let host = Arc::new(vec![2u32, 3, 0, 0, 1, 3]);
        let idx = Tensor::new(host.as_slice(), &dev).unwrap();
        let ours = gather_rows(x.as_tensor(), &idx, &host).unwrap();
        let padded = Tensor::cat(
            &[
                x.as_tensor(),
                &Tensor::zeros((1, 2), DType::F32, &dev).unwrap(),
            ],
            0,
        )
        .unwrap();
        let theirs = padded.index_select(&idx, 0).unwrap();
        assert_eq!(
            ours.to_vec2::<f32>().unwrap(),
            theirs.to_vec2::<f32>().unwrap()
        );
        let w = Tensor::new(&[[1.0f32, -1.0]; 6], &dev).unwrap();
        let g1 = (&ours * &w).unwrap().sum_all().unwrap().backward().unwrap();
        let g2 = (&theirs * &w)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
        assert_eq!(
            g1.get(x.as_tensor()).unwrap().to_vec2::<f32>().unwrap(),
            g2.get(x.as_tensor()).unwrap().to_vec2::<f32>().unwrap()
        );
    }
}
