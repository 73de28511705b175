//! Ratings for many players from all their games at once: the Bradley–Terry model on the Elo
//! scale (the logistic model of Ordo and BayesElo without a draw parameter: a draw counts half a
//! win), fitted by maximum likelihood, anchored, with bootstrap intervals over game pairs and
//! the likelihood-of-superiority matrix.
//!
//! The model: a player rated `rᵢ` scores `E(rᵢ − rⱼ) = 1 / (1 + 10^((rⱼ − rᵢ)/400))` per game
//! against one rated `rⱼ`. The log-likelihood of points `Wᵢⱼ` in `Nᵢⱼ` games is
//! `Σ Wᵢⱼ ln E(rᵢ − rⱼ)` over ordered pairs. Game pairs with swapped seats remove the
//! first-move advantage from each encounter, so the model needs no seat term when games are
//! paired (tournaments pair them).
//!
//! A perfect score has no finite maximum (the winner's rating runs off to infinity), so each
//! encounter gets `prior_draws` virtual drawn games (BayesElo's prior, 1 by default): ratings stay
//! finite and move only slightly where there are real games.

use ludus_core::seeded_rng;
use rand::Rng;
use serde::Serialize;

use crate::elo::expected_score;
use crate::RatingError;

/// One game's result between players `a` and `b` (indices), from `a`'s side.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GameResult {
    /// The first player.
    pub a: usize,
    /// The second player.
    pub b: usize,
    /// `a`'s score: 1 win, ½ draw, 0 loss.
    pub score_a: f64,
    /// The game pair it belongs to (the bootstrap resamples whole pairs), if it was paired.
    pub pair: Option<u64>,
}

/// Fitting options.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FitOptions {
    /// The player whose rating is fixed.
    pub anchor: usize,
    /// Its rating (default 0).
    pub anchor_elo: f64,
    /// Virtual drawn games added to each encounter (default 1).
    pub prior_draws: f64,
    /// Bootstrap replicates for the intervals and superiority (default 1,000; 0 = none).
    pub bootstrap: usize,
    /// Interval coverage (default 0.95).
    pub confidence: f64,
    /// Seed of the bootstrap's resampling.
    pub seed: u64,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            anchor: 0,
            anchor_elo: 0.0,
            prior_draws: 1.0,
            bootstrap: 1000,
            confidence: 0.95,
            seed: 0,
        }
    }
}

/// Fitted ratings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ratings {
    /// Each player's rating.
    pub elo: Vec<f64>,
    /// The lower end of each rating's interval (relative to the anchor, which has none).
    pub lower: Vec<f64>,
    /// The upper end.
    pub upper: Vec<f64>,
    /// `los[i][j]`: the share of bootstrap replicates in which `i` is rated above `j` (ties
    /// count half).
    pub los: Vec<Vec<f64>>,
    /// Games each player played.
    pub games: Vec<u64>,
    /// Each player's mean score.
    pub score: Vec<f64>,
}

/// Fits the ratings of `players` players from `games`.
///
/// # Errors
/// A game naming a player out of range or a score outside [0, 1], bad options, a player with
/// no game, or players in separate groups that never met (their ratings would not be
/// comparable).
pub fn fit(
    players: usize,
    games: &[GameResult],
    options: &FitOptions,
) -> Result<Ratings, RatingError> {
    check(players, games, options)?;
    let (points, counts) = tally(players, games.iter());
    let elo = anchored(mle(&points, &counts, options.prior_draws), options);

    let mut played = vec![0u64; players];
    let mut scored = vec![0.0; players];
    for g in games {
        played[g.a] += 1;
        played[g.b] += 1;
        scored[g.a] += g.score_a;
        scored[g.b] += 1.0 - g.score_a;
    }
    let score = scored
        .iter()
        .zip(&played)
        .map(|(s, &n)| s / n.max(1) as f64)
        .collect();

    // The bootstrap resamples the independent units of each encounter — its game pairs, and
    // unpaired games one by one — keeping every encounter's size.
    let mut units: std::collections::BTreeMap<(usize, usize), Vec<Vec<&GameResult>>> =
        Default::default();
    let mut by_pair: std::collections::BTreeMap<(usize, usize, u64), Vec<&GameResult>> =
        Default::default();
    for g in games {
        let key = (g.a.min(g.b), g.a.max(g.b));
        match g.pair {
            Some(p) => by_pair.entry((key.0, key.1, p)).or_default().push(g),
            None => units.entry(key).or_default().push(vec![g]),
        }
    }
    for ((a, b, _), pair) in by_pair {
        units.entry((a, b)).or_default().push(pair);
    }
    let units: Vec<Vec<Vec<&GameResult>>> = units.into_values().collect();

    let mut rng = seeded_rng(options.seed);
    let mut samples: Vec<Vec<f64>> = vec![Vec::with_capacity(options.bootstrap); players];
    let mut above = vec![vec![0.0; players]; players];
    for _ in 0..options.bootstrap {
        let drawn = units.iter().flat_map(|encounter| {
            (0..encounter.len())
                .map(|_| &encounter[rng.random_range(0..encounter.len())])
                .collect::<Vec<_>>()
        });
        let resampled: Vec<&GameResult> = drawn.flatten().copied().collect();
        let (p, c) = tally(players, resampled.into_iter());
        let r = anchored(mle(&p, &c, options.prior_draws), options);
        for i in 0..players {
            samples[i].push(r[i]);
            for j in 0..players {
                if r[i] > r[j] {
                    above[i][j] += 1.0;
                } else if r[i] == r[j] && i != j {
                    above[i][j] += 0.5;
                }
            }
        }
    }
    let tail = (1.0 - options.confidence) / 2.0;
    let (mut lower, mut upper) = (elo.clone(), elo.clone());
    if options.bootstrap > 0 {
        for i in 0..players {
            samples[i].sort_by(f64::total_cmp);
            lower[i] = quantile(&samples[i], tail);
            upper[i] = quantile(&samples[i], 1.0 - tail);
        }
    }
    let reps = options.bootstrap.max(1) as f64;
    let los = above
        .into_iter()
        .enumerate()
        .map(|(i, row)| {
            row.into_iter()
                .enumerate()
                .map(|(j, v)| if i == j { 0.5 } else { v / reps })
                .collect()
        })
        .collect();
    Ok(Ratings {
        elo,
        lower,
        upper,
        los,
        games: played,
        score,
    })
}

fn check(players: usize, games: &[GameResult], options: &FitOptions) -> Result<(), RatingError> {
    let bad = |m: String| Err(RatingError::Invalid(m));
    if options.anchor >= players {
        return bad(format!(
            "the anchor is player {} but there are {players}",
            options.anchor
        ));
    }
    if !(options.prior_draws >= 0.0 && options.prior_draws.is_finite()) {
        return bad("prior_draws must be a number ≥ 0".into());
    }
    if !(options.confidence > 0.0 && options.confidence < 1.0) {
        return bad("confidence must be between 0 and 1".into());
    }
    for g in games {
        if g.a >= players || g.b >= players || g.a == g.b {
            return bad(format!(
                "a game between players {} and {} (there are {players})",
                g.a, g.b
            ));
        }
        if !(0.0..=1.0).contains(&g.score_a) {
            return bad(format!("a game score of {} (must be 0, ½ or 1)", g.score_a));
        }
    }
    // Every player must be connected to the anchor through games played.
    let mut group: Vec<usize> = (0..players).collect();
    fn root(group: &mut [usize], mut i: usize) -> usize {
        while group[i] != i {
            group[i] = group[group[i]];
            i = group[i];
        }
        i
    }
    for g in games {
        let (ra, rb) = (root(&mut group, g.a), root(&mut group, g.b));
        group[ra] = rb;
    }
    let anchor_root = root(&mut group, options.anchor);
    let apart: Vec<usize> = (0..players)
        .filter(|&i| root(&mut group, i) != anchor_root)
        .collect();
    if !apart.is_empty() {
        return bad(format!(
            "players {apart:?} never played (directly or through others) the anchor's group, so \
             their ratings cannot be compared; add games between the groups"
        ));
    }
    Ok(())
}

/// Points and games of each ordered pair: `points[i][j]` is `i`'s total score against `j`.
fn tally<'a>(
    players: usize,
    games: impl Iterator<Item = &'a GameResult>,
) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
    let mut points = vec![vec![0.0; players]; players];
    let mut counts = vec![vec![0.0; players]; players];
    for g in games {
        points[g.a][g.b] += g.score_a;
        points[g.b][g.a] += 1.0 - g.score_a;
        counts[g.a][g.b] += 1.0;
        counts[g.b][g.a] += 1.0;
    }
    (points, counts)
}

/// The maximum-likelihood ratings (mean 0) by Newton's method on the log-likelihood, with
/// `prior` virtual draws per encounter that took place.
///
/// The log-likelihood is concave in the ratings; its Hessian is a weighted graph Laplacian,
/// singular only along the common shift, which the mean-zero constraint removes.
pub fn mle(points: &[Vec<f64>], counts: &[Vec<f64>], prior: f64) -> Vec<f64> {
    let n = points.len();
    let k = std::f64::consts::LN_10 / 400.0;
    let mut w = points.to_vec();
    let mut c = counts.to_vec();
    for i in 0..n {
        for j in 0..n {
            if counts[i][j] > 0.0 {
                w[i][j] += prior / 2.0;
                c[i][j] += prior;
            }
        }
    }
    let mut r = vec![0.0; n];
    for _ in 0..100 {
        // Gradient gᵢ = k Σⱼ (Wᵢⱼ − Cᵢⱼ Eᵢⱼ); Hessian Hᵢⱼ = k² Cᵢⱼ Eᵢⱼ (1 − Eᵢⱼ), Hᵢᵢ = −Σ.
        let mut g = vec![0.0; n];
        let mut h = vec![vec![0.0; n]; n];
        for i in 0..n {
            for j in 0..n {
                if i == j || c[i][j] == 0.0 {
                    continue;
                }
                let e = expected_score(r[i] - r[j]);
                g[i] += k * (w[i][j] - c[i][j] * e);
                let v = k * k * c[i][j] * e * (1.0 - e);
                h[i][j] += v;
                h[i][i] -= v;
            }
        }
        // Solve (−H + 1·1ᵀ) δ = g: the added rank-one term pins the mean of δ to zero.
        let mut a: Vec<Vec<f64>> = (0..n)
            .map(|i| (0..n).map(|j| -h[i][j] + 1.0).collect())
            .collect();
        let mut b = g.clone();
        let Some(step) = solve(&mut a, &mut b) else {
            break;
        };
        // Damp large steps (far from the optimum the quadratic model overshoots).
        let largest = step.iter().fold(0.0f64, |m, s| m.max(s.abs()));
        let scale = if largest > 400.0 {
            400.0 / largest
        } else {
            1.0
        };
        for (ri, si) in r.iter_mut().zip(&step) {
            *ri += scale * si;
        }
        if largest < 1e-10 {
            break;
        }
    }
    let mean = r.iter().sum::<f64>() / n.max(1) as f64;
    r.into_iter().map(|x| x - mean).collect()
}

fn anchored(r: Vec<f64>, options: &FitOptions) -> Vec<f64> {
    let shift = options.anchor_elo - r[options.anchor];
    r.into_iter().map(|x| x + shift).collect()
}

/// Gaussian elimination with partial pivoting; `None` if singular.
fn solve(a: &mut [Vec<f64>], b: &mut [f64]) -> Option<Vec<f64>> {
    let n = b.len();
    for col in 0..n {
        let pivot = (col..n).max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))?;
        if a[pivot][col].abs() < 1e-300 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        for row in col + 1..n {
            let f = a[row][col] / a[col][col];
            if f == 0.0 {
                continue;
            }
            let (upper, lower) = a.split_at_mut(row);
            for (target, source) in lower[0][col..n].iter_mut().zip(&upper[col][col..n]) {
                *target -= f * source;
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let s: f64 = (row + 1..n).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - s) / a[row][row];
    }
    Some(x)
}

/// The `q` quantile of sorted `v`, interpolating linearly.
fn quantile(v: &[f64], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let pos = q * (v.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
}
