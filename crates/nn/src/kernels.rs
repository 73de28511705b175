//! CPU kernels that candle 0.11 does slowly, as custom ops with their own backward.
//!
//! Profiles of the reference nets (perf, one thread) showed two hot spots outside matrix
//! products: candle's CPU GELU calls libm's `tanhf` per element (45 % of the Transformer's
//! forward time), and `index_select` zero-fills its output before copying every row into it
//! (16 % of the ResNet's). Each op here keeps candle's semantics, is used only for contiguous f32
//! tensors on the CPU, and falls back to candle's own op elsewhere, so every device runs the
//! same network.

use std::sync::Arc;

use candle_core::{
    CpuStorage, CustomOp1, CustomOp2, CustomOp3, DType, Device, Layout, Shape, Storage, Tensor,
};

use crate::layers::{add_row, col_mean, mul_row};
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

/// Runs `f` on the f32 values of a CPU tensor (made contiguous first), without copying them.
fn with_f32<R>(t: &Tensor, f: impl FnOnce(&[f32]) -> R) -> candle_core::Result<R> {
    let t = t.contiguous()?;
    let (storage, layout) = t.storage_and_layout();
    match &*storage {
        Storage::Cpu(s) => Ok(f(contiguous_f32(s, layout)?)),
        _ => candle_core::bail!("kernel needs a CPU tensor"),
    }
}

/// Whether the hand-written CPU kernels apply to `t`.
fn cpu_f32(t: &Tensor) -> bool {
    t.device().is_cpu() && t.dtype() == DType::F32
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

/// Rows of `x` [rows, cols] picked by `idx`, one after another; an index equal to `rows` picks a
/// row of zeros.
fn gather(x: &[f32], rows: usize, cols: usize, idx: &[u32]) -> Vec<f32> {
    let zeros = vec![0f32; cols];
    let mut out = Vec::with_capacity(idx.len() * cols);
    for &i in idx {
        let i = i as usize;
        if i < rows {
            out.extend_from_slice(&x[i * cols..(i + 1) * cols]);
        } else {
            out.extend_from_slice(&zeros);
        }
    }
    out
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
        let (rows, cols) = l.shape().dims2()?;
        let out = gather(contiguous_f32(s, l)?, rows, cols, &self.idx);
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

/// A k×k convolution in training, as one op: gather every cell's neighbourhood (as
/// [`gather_rows`]) and multiply by the [k·k·C_in, C_out] weight matrix.
///
/// Why one op: candle's backward zero-fills and then accumulates the gradient of every
/// intermediate tensor. As two ops, the gathered [B·H·W, k·k·C_in] matrix (9× the activations)
/// was such an intermediate, and with batch norm's many element-wise steps these fills and adds
/// took over a third of a ResNet training step. Here the gathered matrix lives only inside the
/// op; the backward gathers again rather than keeping it.
struct GatherMatmul {
    idx: Arc<Vec<u32>>,
}

impl GatherMatmul {
    /// The gathered rows as a [rows, k] tensor (k = taps · C_in).
    fn columns(&self, x: &[f32], rows: usize, c: usize, k: usize) -> candle_core::Result<Tensor> {
        Tensor::from_vec(gather(x, rows, c, &self.idx), (rows, k), &Device::Cpu)
    }
}

impl CustomOp2 for GatherMatmul {
    fn name(&self) -> &'static str {
        "ludus-gather-matmul"
    }

    fn cpu_fwd(
        &self,
        xs: &CpuStorage,
        xl: &Layout,
        ws: &CpuStorage,
        wl: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (rows, c) = xl.shape().dims2()?;
        let (k, c_out) = wl.shape().dims2()?;
        let w = Tensor::from_slice(contiguous_f32(ws, wl)?, (k, c_out), &Device::Cpu)?;
        let out = self
            .columns(contiguous_f32(xs, xl)?, rows, c, k)?
            .matmul(&w)?;
        Ok((
            CpuStorage::F32(out.flatten_all()?.to_vec1()?),
            Shape::from((rows, c_out)),
        ))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>)> {
        let (rows, c) = x.dims2()?;
        let k = w.dim(0)?;
        let taps = k / c;
        let grad = grad.contiguous()?;
        let cols = with_f32(x, |x| self.columns(x, rows, c, k))??;
        let dw = cols.t()?.matmul(&grad)?;
        // d(columns) = grad · Wᵀ, scatter-added back to the rows each column was gathered from.
        let dcols = grad.matmul(&w.t()?)?;
        let mut dx = vec![0f32; rows * c];
        with_f32(&dcols, |dcols| {
            for (i, row) in dcols.chunks_exact(k).enumerate() {
                for t in 0..taps {
                    let src = self.idx[i * taps + t] as usize;
                    if src < rows {
                        let acc = &mut dx[src * c..(src + 1) * c];
                        for (a, d) in acc.iter_mut().zip(&row[t * c..(t + 1) * c]) {
                            *a += d;
                        }
                    }
                }
            }
        })?;
        Ok((Some(Tensor::from_vec(dx, (rows, c), x.device())?), Some(dw)))
    }
}

/// `gather_rows(x, idx)` reshaped to [rows, k] times `w` [k, C_out], where each row of `x`
/// [rows, C] gathers `k / C` rows (`idx` has rows · k / C entries).
pub(crate) fn gather_matmul(
    x: &Tensor,
    idx: &Tensor,
    idx_host: &Arc<Vec<u32>>,
    w: &Tensor,
) -> Result<Tensor> {
    if cpu_f32(x) && cpu_f32(w) {
        Ok(x.contiguous()?.apply_op2(
            &w.contiguous()?,
            GatherMatmul {
                idx: idx_host.clone(),
            },
        )?)
    } else {
        gather_matmul_graph(x, idx, idx_host, w)
    }
}

/// [`gather_matmul`] from candle's own ops (any device).
fn gather_matmul_graph(
    x: &Tensor,
    idx: &Tensor,
    idx_host: &Arc<Vec<u32>>,
    w: &Tensor,
) -> Result<Tensor> {
    let rows = x.dim(0)?;
    let cols = gather_rows(x, idx, idx_host)?.reshape((rows, w.dim(0)?))?;
    Ok(cols.matmul(w)?)
}

/// Batch normalisation in training (with an optional ReLU after it) as one op, for the same
/// reason as [`GatherMatmul`]: as candle ops it is a dozen full-size intermediates. The batch
/// statistics are computed before the op (they are also needed for the running averages) and
/// enter it as constants; the backward accounts for their dependence on `x` by the usual
/// closed form dx = γ·σ⁻¹/N · (N·g − Σg − x̂·Σ(g·x̂)).
struct BatchNormTrain {
    mean: Vec<f32>,
    inv_std: Vec<f32>,
    relu: bool,
}

impl CustomOp3 for BatchNormTrain {
    fn name(&self) -> &'static str {
        "ludus-batch-norm-train"
    }

    fn cpu_fwd(
        &self,
        xs: &CpuStorage,
        xl: &Layout,
        gs: &CpuStorage,
        gl: &Layout,
        bs: &CpuStorage,
        bl: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (x, gamma, beta) = (
            contiguous_f32(xs, xl)?,
            contiguous_f32(gs, gl)?,
            contiguous_f32(bs, bl)?,
        );
        let c = gamma.len();
        let scale: Vec<f32> = (0..c).map(|j| self.inv_std[j] * gamma[j]).collect();
        let mut out = Vec::with_capacity(x.len());
        for row in x.chunks_exact(c) {
            for j in 0..c {
                let y = (row[j] - self.mean[j]) * scale[j] + beta[j];
                out.push(if self.relu { y.max(0.0) } else { y });
            }
        }
        Ok((CpuStorage::F32(out), xl.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        gamma: &Tensor,
        _beta: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let (n, c) = x.dims2()?;
        let gamma = gamma.to_vec1::<f32>()?;
        // The gradient through the ReLU, then the per-channel sums Σg and Σ(g·x̂).
        let g: Vec<f32> = with_f32(grad, |grad| {
            if !self.relu {
                return Ok(grad.to_vec());
            }
            with_f32(res, |y| {
                grad.iter()
                    .zip(y)
                    .map(|(&g, &y)| if y > 0.0 { g } else { 0.0 })
                    .collect()
            })
        })??;
        let (mut sum_g, mut sum_gx) = (vec![0f64; c], vec![0f64; c]);
        let dx = with_f32(x, |x| {
            for (xr, gr) in x.chunks_exact(c).zip(g.chunks_exact(c)) {
                for j in 0..c {
                    let xhat = (xr[j] - self.mean[j]) * self.inv_std[j];
                    sum_g[j] += gr[j] as f64;
                    sum_gx[j] += (gr[j] * xhat) as f64;
                }
            }
            let nf = n as f32;
            let mut dx = Vec::with_capacity(x.len());
            for (xr, gr) in x.chunks_exact(c).zip(g.chunks_exact(c)) {
                for j in 0..c {
                    let xhat = (xr[j] - self.mean[j]) * self.inv_std[j];
                    let k = gamma[j] * self.inv_std[j] / nf;
                    dx.push(k * (nf * gr[j] - sum_g[j] as f32 - xhat * sum_gx[j] as f32));
                }
            }
            dx
        })?;
        let dev = x.device();
        let to_f32 = |v: Vec<f64>| v.into_iter().map(|a| a as f32).collect::<Vec<_>>();
        Ok((
            Some(Tensor::from_vec(dx, (n, c), dev)?),
            Some(Tensor::from_vec(to_f32(sum_gx), c, dev)?),
            Some(Tensor::from_vec(to_f32(sum_g), c, dev)?),
        ))
    }
}

/// Batch normalisation of `x` [N, C] by its own column statistics, scaled by `gamma` and shifted
/// by `beta` (each [C]), then a ReLU if `relu`. Returns the output and the batch mean and biased
/// variance (detached, for the running averages).
pub(crate) fn batch_norm_train(
    x: &Tensor,
    gamma: &Tensor,
    beta: &Tensor,
    eps: f64,
    relu: bool,
) -> Result<(Tensor, Tensor, Tensor)> {
    if !(cpu_f32(x) && cpu_f32(gamma) && cpu_f32(beta)) {
        return batch_norm_graph(x, gamma, beta, eps, relu);
    }
    let (n, c) = x.dims2()?;
    let (mean, var) = with_f32(x, |x| {
        let mut mean = vec![0f64; c];
        for row in x.chunks_exact(c) {
            for (m, &v) in mean.iter_mut().zip(row) {
                *m += v as f64;
            }
        }
        mean.iter_mut().for_each(|m| *m /= n as f64);
        let mut var = vec![0f64; c];
        for row in x.chunks_exact(c) {
            for j in 0..c {
                let d = row[j] as f64 - mean[j];
                var[j] += d * d;
            }
        }
        var.iter_mut().for_each(|v| *v /= n as f64);
        (mean, var)
    })?;
    let op = BatchNormTrain {
        mean: mean.iter().map(|&m| m as f32).collect(),
        inv_std: var
            .iter()
            .map(|&v| (1.0 / (v + eps).sqrt()) as f32)
            .collect(),
        relu,
    };
    let mean = Tensor::from_slice(&op.mean, c, x.device())?;
    let var = Tensor::from_vec(
        var.iter().map(|&v| v as f32).collect::<Vec<_>>(),
        c,
        x.device(),
    )?;
    let y = x
        .contiguous()?
        .apply_op3(&gamma.contiguous()?, &beta.contiguous()?, op)?;
    Ok((y, mean, var))
}

/// [`batch_norm_train`] from candle's own ops (any device). Column statistics and row-vector
/// broadcasts go through matrix products (see `layers::add_row`): candle's strided reductions
/// made their backward slow.
fn batch_norm_graph(
    x: &Tensor,
    gamma: &Tensor,
    beta: &Tensor,
    eps: f64,
    relu: bool,
) -> Result<(Tensor, Tensor, Tensor)> {
    let mean = col_mean(x)?;
    let centred = add_row(x, &mean.neg()?)?;
    let var = col_mean(&centred.sqr()?)?;
    let inv_std = (&var + eps)?.sqrt()?.recip()?;
    let y = add_row(&mul_row(&mul_row(&centred, &inv_std)?, gamma)?, beta)?;
    let y = if relu { y.relu()? } else { y };
    Ok((y, mean.detach(), var.detach()))
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

    /// Max |a − b| over two same-shape tensors.
    fn max_diff(a: &Tensor, b: &Tensor) -> f32 {
        (a - b)
            .unwrap()
            .abs()
            .unwrap()
            .flatten_all()
            .unwrap()
            .max(0)
            .unwrap()
            .to_scalar::<f32>()
            .unwrap()
    }

    /// A loss with a different weight on every output element, so every gradient entry counts.
    fn weighted_sum(y: &Tensor) -> Tensor {
        let n = y.elem_count();
        let w = Tensor::arange(0f32, n as f32, y.device())
            .unwrap()
            .affine(0.37, -3.0)
            .unwrap()
            .sin()
            .unwrap()
            .reshape(y.shape())
            .unwrap();
        (y * w).unwrap().sum_all().unwrap()
    }

    /// Irregular fixed values (candle's CPU generator cannot be seeded).
    fn random_var(shape: (usize, usize), seed: u64) -> Var {
        let n = shape.0 * shape.1;
        let t = Tensor::arange(0f32, n as f32, &Device::Cpu)
            .unwrap()
            .affine(1.7 + seed as f64, 0.3 * seed as f64)
            .unwrap()
            .sin()
            .unwrap()
            .affine(1.5, 0.2)
            .unwrap()
            .reshape(shape)
            .unwrap();
        Var::from_tensor(&t).unwrap()
    }

    #[test]
    fn fused_gather_matmul_matches_candle_ops_forward_and_backward() {
        let dev = Device::Cpu;
        // 5 rows of 3 channels, each gathering 2 rows (one of them sometimes off the board).
        let x = random_var((5, 3), 1);
        let w = random_var((6, 4), 2);
        let host = Arc::new(vec![1u32, 0, 2, 5, 4, 3, 5, 1, 0, 0]);
        let idx = Tensor::new(host.as_slice(), &dev).unwrap();
        let fused = gather_matmul(x.as_tensor(), &idx, &host, w.as_tensor()).unwrap();
        let graph = gather_matmul_graph(x.as_tensor(), &idx, &host, w.as_tensor()).unwrap();
        assert!(max_diff(&fused, &graph) < 1e-5);
        let g1 = weighted_sum(&fused).backward().unwrap();
        let g2 = weighted_sum(&graph).backward().unwrap();
        for v in [&x, &w] {
            let (a, b) = (
                g1.get(v.as_tensor()).unwrap(),
                g2.get(v.as_tensor()).unwrap(),
            );
            assert!(max_diff(a, b) < 1e-4, "{a} vs {b}");
        }
    }

    #[test]
    fn fused_batch_norm_matches_candle_ops_forward_and_backward() {
        for relu in [false, true] {
            let x = random_var((7, 3), 3);
            let gamma = random_var((1, 3), 4);
            let beta = random_var((1, 3), 5);
            let (g, b) = (
                gamma.as_tensor().flatten_all().unwrap(),
                beta.as_tensor().flatten_all().unwrap(),
            );
            let (y1, m1, v1) = batch_norm_train(x.as_tensor(), &g, &b, 1e-5, relu).unwrap();
            let (y2, m2, v2) = batch_norm_graph(x.as_tensor(), &g, &b, 1e-5, relu).unwrap();
            assert!(max_diff(&y1, &y2) < 1e-5);
            assert!(max_diff(&m1, &m2) < 1e-5 && max_diff(&v1, &v2) < 1e-5);
            if relu {
                // Some outputs are clipped, so the ReLU's gradient mask is exercised.
                let zeros = y1.eq(0f32).unwrap().to_dtype(DType::F32).unwrap();
                assert!(zeros.sum_all().unwrap().to_scalar::<f32>().unwrap() > 0.0);
            }
            let g1 = weighted_sum(&y1).backward().unwrap();
            let g2 = weighted_sum(&y2).backward().unwrap();
            for v in [&x, &gamma, &beta] {
                let (a, b) = (
                    g1.get(v.as_tensor()).unwrap(),
                    g2.get(v.as_tensor()).unwrap(),
                );
                assert!(max_diff(a, b) < 1e-4, "relu {relu}: {a} vs {b}");
            }
        }
    }
}
