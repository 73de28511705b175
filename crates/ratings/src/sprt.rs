//! The sequential probability ratio test as fishtest runs it: the generalised SPRT (GSPRT), whose
//! log-likelihood ratio compares the maximum-likelihood outcome distributions under the two
//! hypotheses, on pentanomial game-pair counts (trinomial when games are not paired).
//!
//! Formulas (fishtest's `LLRcalc`): with `p̂` the observed outcome frequencies (zero counts
//! replaced by 10⁻³) on per-game values `aᵢ`, the distribution of mean `s` closest to `p̂` is
//! `pᵢ = p̂ᵢ / (1 + x(aᵢ − s))` with `x` the root of `Σ p̂ᵢ (aᵢ − s) / (1 + x(aᵢ − s)) = 0`;
//! `LLR = N Σ p̂ᵢ ln(pᵢ(s₁) / pᵢ(s₀))`. Wald's bounds are `ln(β / (1 − α))` and
//! `ln((1 − β) / α)`.

use serde::Serialize;

use crate::elo::{estimate, expected_score, EloEstimate, Results};
use crate::RatingError;

/// `800 / ln 10`: normalised Elo per unit of `t = (s − ½) / σ` per game.
const NELO_PER_T: f64 = 800.0 / std::f64::consts::LN_10;

/// How the hypotheses' Elo values are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EloModel {
    /// Logistic Elo: `elo` predicts the score `1 / (1 + 10^(−elo/400))` (the default; what
    /// `ludus match` reports).
    Logistic,
    /// fishtest's normalised Elo: `(s − ½) / σ_game · 800 / ln 10`, which makes the test's
    /// expected length independent of the draw rate.
    Normalized,
}

/// An SPRT's hypotheses and error rates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Sprt {
    /// Elo under H0.
    pub elo0: f64,
    /// Elo under H1 (greater than `elo0`).
    pub elo1: f64,
    /// The largest probability of accepting H1 when H0 holds.
    pub alpha: f64,
    /// The largest probability of accepting H0 when H1 holds.
    pub beta: f64,
    /// The Elo scale of `elo0` and `elo1`.
    pub model: EloModel,
}

/// Where a test stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// The LLR reached the upper bound: H1 (the stronger hypothesis) is accepted.
    H1,
    /// The LLR reached the lower bound: H0 is accepted.
    H0,
    /// Neither bound yet: play on.
    Continue,
}

/// The state of a test after some results.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SprtStatus {
    /// The log-likelihood ratio.
    pub llr: f64,
    /// The lower bound (accept H0 at or below).
    pub lower: f64,
    /// The upper bound (accept H1 at or above).
    pub upper: f64,
    /// The decision.
    pub decision: Decision,
    /// The Elo estimate of the results so far, with its 95 % interval.
    pub estimate: Option<EloEstimate>,
}

impl Sprt {
    /// Parses `elo0=0,elo1=10[,alpha=0.05][,beta=0.05][,model=logistic|normalized]`.
    ///
    /// # Errors
    /// [`RatingError::Invalid`] naming the bad part.
    pub fn parse(text: &str) -> Result<Self, RatingError> {
        let mut sprt = Sprt {
            elo0: f64::NAN,
            elo1: f64::NAN,
            alpha: 0.05,
            beta: 0.05,
            model: EloModel::Logistic,
        };
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part.split_once('=').ok_or_else(|| {
                RatingError::Invalid(format!(
                    "SPRT setting `{part}` is not KEY=VALUE (e.g. elo0=0,elo1=10)"
                ))
            })?;
            let number = || {
                value.trim().parse::<f64>().map_err(|_| {
                    RatingError::Invalid(format!("SPRT `{key}`: `{value}` is not a number"))
                })
            };
            match key.trim() {
                "elo0" => sprt.elo0 = number()?,
                "elo1" => sprt.elo1 = number()?,
                "alpha" => sprt.alpha = number()?,
                "beta" => sprt.beta = number()?,
                "model" => {
                    sprt.model = match value.trim() {
                        "logistic" => EloModel::Logistic,
                        "normalized" | "normalised" => EloModel::Normalized,
                        other => {
                            return Err(RatingError::Invalid(format!(
                                "SPRT model `{other}`: use logistic or normalized"
                            )))
                        }
                    }
                }
                other => {
                    return Err(RatingError::Invalid(format!(
                        "unknown SPRT setting `{other}` (elo0, elo1, alpha, beta, model)"
                    )))
                }
            }
        }
        sprt.validate()?;
        Ok(sprt)
    }

    /// Checks the hypotheses and error rates.
    ///
    /// # Errors
    /// [`RatingError::Invalid`].
    pub fn validate(&self) -> Result<(), RatingError> {
        if !(self.elo0.is_finite() && self.elo1.is_finite()) {
            return Err(RatingError::Invalid(
                "an SPRT needs elo0 and elo1 (e.g. --sprt elo0=0,elo1=10)".into(),
            ));
        }
        if self.elo1 <= self.elo0 {
            return Err(RatingError::Invalid(format!(
                "SPRT: elo1 ({}) must be greater than elo0 ({})",
                self.elo1, self.elo0
            )));
        }
        for (name, v) in [("alpha", self.alpha), ("beta", self.beta)] {
            if !(v > 0.0 && v < 0.5) {
                return Err(RatingError::Invalid(format!(
                    "SPRT: {name} must be between 0 and 0.5, not {v}"
                )));
            }
        }
        Ok(())
    }

    /// Wald's bounds `(ln(β / (1 − α)), ln((1 − β) / α))`.
    pub fn bounds(&self) -> (f64, f64) {
        (
            (self.beta / (1.0 - self.alpha)).ln(),
            ((1.0 - self.beta) / self.alpha).ln(),
        )
    }

    /// The GSPRT log-likelihood ratio of `results` (0 without results).
    pub fn llr(&self, results: &Results) -> f64 {
        if results.samples() == 0 {
            return 0.0;
        }
        // Zero counts would pin the maximum-likelihood distributions to a smaller support.
        let counts: Vec<f64> = results
            .counts()
            .iter()
            .map(|&c| if c == 0 { 1e-3 } else { c as f64 })
            .collect();
        let n: f64 = counts.iter().sum();
        let phat: Vec<f64> = counts.iter().map(|c| c / n).collect();
        let values = results.values();
        let (p0, p1) = match self.model {
            EloModel::Logistic => (
                mle_with_mean(&values, &phat, expected_score(self.elo0)),
                mle_with_mean(&values, &phat, expected_score(self.elo1)),
            ),
            EloModel::Normalized => {
                // t per game; a pair's average has half the variance, so its t is √2 larger.
                let scale = if results.is_paired() {
                    std::f64::consts::SQRT_2
                } else {
                    1.0
                };
                (
                    mle_with_t(&values, &phat, self.elo0 / NELO_PER_T * scale),
                    mle_with_t(&values, &phat, self.elo1 / NELO_PER_T * scale),
                )
            }
        };
        n * phat
            .iter()
            .zip(p0.iter().zip(&p1))
            .map(|(&p, (&q0, &q1))| p * (q1 / q0).ln())
            .sum::<f64>()
    }

    /// The test's state after `results`.
    pub fn status(&self, results: &Results) -> SprtStatus {
        let llr = self.llr(results);
        let (lower, upper) = self.bounds();
        let decision = if llr >= upper {
            Decision::H1
        } else if llr <= lower {
            Decision::H0
        } else {
            Decision::Continue
        };
        SprtStatus {
            llr,
            lower,
            upper,
            decision,
            estimate: estimate(results, 0.95),
        }
    }
}

/// The distribution on `values` with mean `s` that is closest to `phat` in the
/// maximum-likelihood sense: `pᵢ = p̂ᵢ / (1 + x(aᵢ − s))`, normalised.
fn mle_with_mean(values: &[f64], phat: &[f64], s: f64) -> Vec<f64> {
    let shifted: Vec<f64> = values.iter().map(|a| a - s).collect();
    secular(&shifted, phat)
}

/// The distribution closest to `phat` whose `(mean − ½) / σ` equals `t` (fishtest's
/// `MLE_t_value`): a fixed-point iteration, each step a mean-constrained solve on values
/// shifted by the current σ.
fn mle_with_t(values: &[f64], phat: &[f64], t: f64) -> Vec<f64> {
    let k = values.len();
    let mut p = vec![1.0 / k as f64; k];
    for _ in 0..10 {
        let mean: f64 = p.iter().zip(values).map(|(p, a)| p * a).sum();
        let var: f64 = p
            .iter()
            .zip(values)
            .map(|(p, a)| p * (a - mean).powi(2))
            .sum();
        let sigma = var.sqrt();
        let shifted: Vec<f64> = values
            .iter()
            .map(|&a| a - 0.5 - t * sigma * (1.0 + ((mean - a) / sigma).powi(2)) / 2.0)
            .collect();
        let next = secular(&shifted, phat);
        let change = next
            .iter()
            .zip(&p)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        p = next;
        if change < 1e-9 {
            break;
        }
    }
    p
}

/// Solves `Σ p̂ᵢ aᵢ / (1 + x aᵢ) = 0` for `x` in `(−1/max a, −1/min a)` by bisection (the
/// function decreases in `x` there) and returns `p̂ᵢ / (1 + x aᵢ)`, normalised. The `aᵢ` must
/// have both signs, which holds whenever the target lies strictly inside the values' range.
fn secular(a: &[f64], phat: &[f64]) -> Vec<f64> {
    let lo_a = a.iter().copied().fold(f64::INFINITY, f64::min);
    let hi_a = a.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !(lo_a < 0.0 && hi_a > 0.0) {
        // The target is outside the values' range: no distribution has it; the observed one
        // is the nearest the formula can give.
        return phat.to_vec();
    }
    let f = |x: f64| -> f64 {
        a.iter()
            .zip(phat)
            .map(|(&ai, &pi)| pi * ai / (1.0 + x * ai))
            .sum()
    };
    let eps = 1e-9;
    let (mut lo, mut hi) = (-1.0 / hi_a + eps, -1.0 / lo_a - eps);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if f(mid) > 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-15 * (1.0 + mid.abs()) {
            break;
        }
    }
    let x = 0.5 * (lo + hi);
    let p: Vec<f64> = a
        .iter()
        .zip(phat)
        .map(|(&ai, &pi)| pi / (1.0 + x * ai))
        .collect();
    let total: f64 = p.iter().sum();
    p.into_iter().map(|v| v / total).collect()
}
