//! Search hyper-parameters: one flat struct, so a run config's `[search]` table is one TOML table.

use serde::{Deserialize, Serialize};

use crate::SearchError;

/// Which tree search runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    /// AlphaZero's PUCT (Silver et al. 2018): visit-count policy targets, root Dirichlet noise and
    /// a move-temperature schedule for exploration, tree reuse between moves.
    Puct,
    /// Gumbel AlphaZero (Danihelka et al. 2022, "Policy improvement by planning with Gumbel"):
    /// Gumbel-top-k sampling and sequential halving at the root, deterministic improved-policy
    /// selection below it, and the improved policy as the training target. It keeps improving
    /// the policy with as few as 2–16 simulations, where PUCT's visit counts are mostly noise.
    Gumbel,
}

/// Hyper-parameters of [`crate::Search`]. Fields of the algorithm not chosen are ignored.
///
/// ```toml
/// [search]
/// algorithm = "gumbel"   # or "puct"
/// simulations = 64
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SearchConfig {
    /// `puct` or `gumbel` (default `puct`).
    pub algorithm: Algorithm,
    /// Simulations (leaf visits) per move, not counting the root's own evaluation (default 200).
    pub simulations: usize,
    /// Leaves one tree may send in one evaluation batch (default 1). Above 1, *virtual loss*
    /// spreads them over different branches: each pending leaf counts as a visit that lost.
    /// With many concurrent games per batch (self-play), 1 is best: batches fill across games and
    /// no search is distorted. A lone search (`ludus play`) wants 8–32 to fill a batch.
    pub leaves_per_batch: usize,
    /// Keep the subtree of the move played for the next search (default true; PUCT only — a
    /// Gumbel search's sequential halving starts from an unvisited root by design).
    pub reuse_tree: bool,

    // --- PUCT ---
    /// PUCT's exploration weight at small visit counts: `c(N) = c_init + ln((1 + N + c_base) /
    /// c_base)` (AlphaZero: 1.25 and 19 652; the log term only matters past ~10 k visits).
    #[serde(serialize_with = "short_f32")]
    pub c_init: f32,
    /// See [`SearchConfig::c_init`].
    #[serde(serialize_with = "short_f32")]
    pub c_base: f32,
    /// First-play urgency: an unvisited child is valued at its parent's mean value minus this
    /// (Leela Chess Zero's reduction, default 0.25), so search prefers proven moves over unknown
    /// ones unless the prior insists. 0 values unvisited children like the parent.
    #[serde(serialize_with = "short_f32")]
    pub fpu_reduction: f32,
    /// Root Dirichlet noise concentration (default 0.3; AlphaZero: 0.3 chess, 0.03 Go, scaled
    /// roughly inversely with the number of legal moves). Only when exploring (self-play).
    #[serde(serialize_with = "short_f32")]
    pub dirichlet_alpha: f32,
    /// Weight of the noise in the root prior (default 0.25).
    #[serde(serialize_with = "short_f32")]
    pub dirichlet_epsilon: f32,

    // --- Gumbel ---
    /// Actions considered at the root, `m` in the paper (default 16).
    pub max_considered: usize,
    /// `c_visit` of the paper's `σ(q) = (c_visit + max_b N(b)) · c_scale · q` (default 50).
    #[serde(serialize_with = "short_f32")]
    pub c_visit: f32,
    /// `c_scale` of `σ` (default 0.1, as DeepMind's mctx library; `q` is min–max normalised per
    /// node, so `σ` spans `(c_visit + max N) · c_scale` logits).
    #[serde(serialize_with = "short_f32")]
    pub c_scale: f32,
}

/// Writes an `f32` as the `f64` with the same shortest decimal form, so a config file says
/// `0.3`, not `0.30000001192092896`.
fn short_f32<S: serde::Serializer>(x: &f32, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(x.to_string().parse::<f64>().unwrap_or(f64::from(*x)))
}

impl Default for SearchConfig {
    fn default() -> Self {
        SearchConfig {
            algorithm: Algorithm::Puct,
            simulations: 200,
            leaves_per_batch: 1,
            reuse_tree: true,
            c_init: 1.25,
            c_base: 19_652.0,
            fpu_reduction: 0.25,
            dirichlet_alpha: 0.3,
            dirichlet_epsilon: 0.25,
            max_considered: 16,
            c_visit: 50.0,
            c_scale: 0.1,
        }
    }
}

impl SearchConfig {
    /// A PUCT search with `simulations` and every other setting at its default.
    pub fn puct(simulations: usize) -> Self {
        SearchConfig {
            simulations,
            ..SearchConfig::default()
        }
    }

    /// A Gumbel search with `simulations` and every other setting at its default.
    pub fn gumbel(simulations: usize) -> Self {
        SearchConfig {
            algorithm: Algorithm::Gumbel,
            simulations,
            ..SearchConfig::default()
        }
    }

    /// Checks every value, naming the first bad field and its accepted range.
    ///
    /// # Errors
    /// [`SearchError::Config`].
    pub fn validate(&self) -> Result<(), SearchError> {
        let bad = |field: &str, expected: &str| {
            Err(SearchError::Config(format!(
                "search.{field} must be {expected}"
            )))
        };
        let finite_pos = |x: f32| x.is_finite() && x > 0.0;
        if self.simulations == 0 || self.simulations > 10_000_000 {
            return bad("simulations", "between 1 and 10 000 000");
        }
        if self.leaves_per_batch == 0 || self.leaves_per_batch > 4096 {
            return bad("leaves_per_batch", "between 1 and 4096");
        }
        if !finite_pos(self.c_init) {
            return bad("c_init", "a number > 0");
        }
        if !finite_pos(self.c_base) {
            return bad("c_base", "a number > 0");
        }
        if !(self.fpu_reduction.is_finite() && (0.0..=2.0).contains(&self.fpu_reduction)) {
            return bad("fpu_reduction", "between 0 and 2");
        }
        if !finite_pos(self.dirichlet_alpha) {
            return bad("dirichlet_alpha", "a number > 0");
        }
        if !(0.0..=1.0).contains(&self.dirichlet_epsilon) {
            return bad("dirichlet_epsilon", "between 0 and 1");
        }
        if self.max_considered < 2 {
            return bad("max_considered", "at least 2");
        }
        if !(self.c_visit.is_finite() && self.c_visit >= 0.0) {
            return bad("c_visit", "a number ≥ 0");
        }
        if !finite_pos(self.c_scale) {
            return bad("c_scale", "a number > 0");
        }
        Ok(())
    }
}
