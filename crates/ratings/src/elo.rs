//! The logistic Elo scale, match results as trinomial (single games) or pentanomial (game pairs)
//! samples, and the Elo estimate of one match with its interval and likelihood of superiority.

use serde::Serialize;

/// `400 / ln 10`: Elo points per unit of log-odds.
const ELO_PER_NAT: f64 = 400.0 / std::f64::consts::LN_10;

/// The expected score of a player `elo` points stronger: `1 / (1 + 10^(−elo/400))`.
pub fn expected_score(elo: f64) -> f64 {
    1.0 / (1.0 + 10f64.powf(-elo / 400.0))
}

/// The Elo difference that predicts `score`: `−400 · log10(1/score − 1)` (±∞ at 0 and 1).
pub fn elo_from_score(score: f64) -> f64 {
    if score <= 0.0 {
        f64::NEG_INFINITY
    } else if score >= 1.0 {
        f64::INFINITY
    } else {
        -ELO_PER_NAT * (1.0 / score - 1.0).ln()
    }
}

/// The results of one player against another, as counts of sample outcomes ordered worst to
/// best, each worth `value(i)` in [0, 1]: single games (loss, draw, win — trinomial) or game
/// pairs with the seats swapped (0, ½, 1, 1½, 2 points out of 2 — pentanomial).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Results {
    /// `[losses, draws, wins]` of single games.
    Trinomial([u64; 3]),
    /// `[LL, LD+DL, LW+DD+WL, DW+WD, WW]` counts of game pairs.
    Pentanomial([u64; 5]),
}

impl Results {
    /// The counts, worst outcome first.
    pub fn counts(&self) -> &[u64] {
        match self {
            Results::Trinomial(c) => c,
            Results::Pentanomial(c) => c,
        }
    }

    /// The per-game score of each outcome: `i / (k − 1)` for `k` outcomes.
    pub fn values(&self) -> Vec<f64> {
        let k = self.counts().len();
        (0..k).map(|i| i as f64 / (k - 1) as f64).collect()
    }

    /// Samples: games, or pairs.
    pub fn samples(&self) -> u64 {
        self.counts().iter().sum()
    }

    /// Games played (two per pair).
    pub fn games(&self) -> u64 {
        match self {
            Results::Trinomial(_) => self.samples(),
            Results::Pentanomial(_) => 2 * self.samples(),
        }
    }

    /// Whether the samples are game pairs.
    pub fn is_paired(&self) -> bool {
        matches!(self, Results::Pentanomial(_))
    }

    /// Mean score per game and the variance of one sample's score (a game, or a pair's
    /// average). `None` without samples.
    pub fn mean_and_variance(&self) -> Option<(f64, f64)> {
        let n = self.samples();
        if n == 0 {
            return None;
        }
        let values = self.values();
        let mean: f64 = self
            .counts()
            .iter()
            .zip(&values)
            .map(|(&c, &a)| c as f64 * a)
            .sum::<f64>()
            / n as f64;
        let var: f64 = self
            .counts()
            .iter()
            .zip(&values)
            .map(|(&c, &a)| c as f64 * (a - mean).powi(2))
            .sum::<f64>()
            / n as f64;
        Some((mean, var))
    }
}

/// One match's Elo estimate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct EloEstimate {
    /// The mean score per game.
    pub score: f64,
    /// The Elo difference it implies.
    pub elo: f64,
    /// The interval's lower end (Elo of the score's lower bound).
    pub lower: f64,
    /// The interval's upper end.
    pub upper: f64,
    /// The likelihood that the player is the stronger: `Φ((score − ½) / standard error)`.
    pub los: f64,
}

/// The Elo difference of a match with a `confidence` interval (0.95 for 95 %): the score's
/// normal interval `s ± z·√(var / N)` (the per-sample variance of the observed outcomes, so
/// pairs carry their reduced variance), mapped to Elo, as cutechess and fishtest do.
pub fn estimate(results: &Results, confidence: f64) -> Option<EloEstimate> {
    let (score, var) = results.mean_and_variance()?;
    let n = results.samples() as f64;
    let se = (var / n).sqrt();
    let z = normal_quantile(0.5 + confidence / 2.0);
    let los = if se > 0.0 {
        normal_cdf((score - 0.5) / se)
    } else if score > 0.5 {
        1.0
    } else if score < 0.5 {
        0.0
    } else {
        0.5
    };
    Some(EloEstimate {
        score,
        elo: elo_from_score(score),
        lower: elo_from_score((score - z * se).max(0.0)),
        upper: elo_from_score((score + z * se).min(1.0)),
        los,
    })
}

/// The standard normal distribution function.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// The standard normal quantile (inverse distribution function), by bisection on
/// [`normal_cdf`] to 1e-12.
pub fn normal_quantile(p: f64) -> f64 {
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    let (mut lo, mut hi) = (-40.0, 40.0);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if normal_cdf(mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-12 {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// The complementary error function, to about 1e-15 relative error: a continued fraction for
/// large arguments and the Taylor series of erf for small ones (Numerical Recipes' approach).
fn erfc(x: f64) -> f64 {
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    if x < 2.0 {
        // erf(x) = 2/√π Σ (−1)^n x^(2n+1) / (n! (2n+1))
        let mut sum = 0.0f64;
        let mut term = x;
        let mut n = 0.0;
        while term.abs() > 1e-17 * sum.abs().max(1e-300) {
            sum += term / (2.0 * n + 1.0);
            n += 1.0;
            term *= -x * x / n;
        }
        return 1.0 - 2.0 / std::f64::consts::PI.sqrt() * sum;
    }
    // Lentz's continued fraction: erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …))))
    let tiny = 1e-300;
    let mut f = x;
    let mut c = x;
    let mut d = 0.0;
    for k in 1..300 {
        let a = k as f64 / 2.0;
        d = x + a * d;
        d = if d.abs() < tiny { tiny } else { d };
        c = x + a / c;
        c = if c.abs() < tiny { tiny } else { c };
        d = 1.0 / d;
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    (-x * x).exp() / std::f64::consts::PI.sqrt() / f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_elo_scale_round_trips() {
        assert!((expected_score(0.0) - 0.5).abs() < 1e-12);
        // 400 points: odds of 10 to 1.
        assert!((expected_score(400.0) - 10.0 / 11.0).abs() < 1e-12);
        for elo in [-800.0, -100.0, 0.0, 35.5, 700.0] {
            assert!((elo_from_score(expected_score(elo)) - elo).abs() < 1e-9);
        }
        assert_eq!(elo_from_score(1.0), f64::INFINITY);
    }

    #[test]
    fn the_normal_distribution_matches_tables() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-15);
        assert!((normal_cdf(1.959_963_984_540_054) - 0.975).abs() < 1e-12);
        assert!((normal_cdf(-1.0) - 0.158_655_253_931_457).abs() < 1e-12);
        assert!((normal_cdf(3.0) - 0.998_650_101_968_37).abs() < 1e-12);
        assert!((normal_quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-9);
        assert!((normal_quantile(0.5)).abs() < 1e-9);
    }

    #[test]
    fn a_match_estimate_has_the_textbook_interval() {
        // 60 wins, 20 draws, 20 losses: s = 0.7, var = 0.6·0.09 + 0.2·0.04 + 0.2·0.49 = 0.16,
        // se = 0.04, 95 %: s ∈ [0.6216, 0.7784].
        let e = estimate(&Results::Trinomial([20, 20, 60]), 0.95).unwrap();
        assert!((e.score - 0.7).abs() < 1e-12);
        assert!((e.elo - elo_from_score(0.7)).abs() < 1e-9);
        let z = 1.959_963_984_540_054;
        assert!((e.lower - elo_from_score(0.7 - z * 0.04)).abs() < 1e-6);
        assert!((e.upper - elo_from_score(0.7 + z * 0.04)).abs() < 1e-6);
        assert!((e.los - normal_cdf(0.2 / 0.04)).abs() < 1e-12);
        // Pairs: [LL, LD, WL/DD, WD, WW] = [0, 0, 10, 0, 0]: every pair split evenly.
        let even = estimate(&Results::Pentanomial([0, 0, 10, 0, 0]), 0.95).unwrap();
        assert_eq!((even.score, even.los), (0.5, 0.5));
        assert_eq!(Results::Pentanomial([1, 0, 0, 0, 1]).games(), 4);
    }
}
