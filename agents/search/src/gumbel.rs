//! The pieces of Gumbel AlphaZero (Danihelka, Guez, Schrittwieser & Silver, ICLR 2022) that do
//! not touch the tree: the sequential-halving visit schedule, completed Q-values and `σ`.

/// The root visit schedule of sequential halving, one entry per simulation: simulation `k` goes
/// to a considered action that has exactly `schedule[k]` visits (the best-scoring such action).
///
/// The budget is split over `⌈log₂ m⌉` phases. In each phase every action still considered gets
/// the same number of extra visits, at least one and about `n / (phases · considered)`, and then
/// only the better half (at least two) stays considered. Because the surviving actions always
/// have equal visit counts at a phase boundary, "which action next" reduces to "the best-scoring
/// action among those with the scheduled count", which is how the search uses the schedule: the
/// halving falls out of the scores, with no explicit elimination step.
pub fn considered_visit_schedule(considered: usize, simulations: usize) -> Vec<u32> {
    if considered <= 1 {
        return (0..simulations as u32).collect();
    }
    let phases = considered.next_power_of_two().trailing_zeros() as usize;
    let mut schedule = Vec::with_capacity(simulations);
    let mut remaining = considered;
    let mut visits_each = 0u32;
    while schedule.len() < simulations {
        let extra = (simulations / (phases * remaining)).max(1);
        for _ in 0..extra {
            schedule.extend(std::iter::repeat_n(visits_each, remaining));
            visits_each += 1;
        }
        remaining = (remaining / 2).max(2);
    }
    schedule.truncate(simulations);
    schedule
}

/// `σ`'s scale, `(c_visit + max_b N(b)) · c_scale`: the more the most visited action has been
/// searched, the more its Q-value is trusted over the prior.
pub fn sigma_scale(c_visit: f32, c_scale: f32, max_visits: u32) -> f32 {
    (c_visit + max_visits as f32) * c_scale
}

/// Fills `completed` with the paper's completed Q-values of a node's children: the mean value
/// of each visited child, and for unvisited ones the *mixed value*
/// `v_mix = (v̂ + ΣN · Σ_visited π(a) q(a) / Σ_visited π(a)) / (1 + ΣN)`, an estimate that
/// starts at the network's value `v̂` of the node and moves towards the prior-weighted mean of
/// what the search found. Then min–max normalises them to [0, 1] (as DeepMind's mctx does), so
/// `σ` does not depend on the game's reward scale.
///
/// `children` yields `(prior, visits, q)` with `q` the mean value from the node's mover's view
/// (ignored when `visits` is 0).
pub fn completed_q(
    network_value: f32,
    children: impl Iterator<Item = (f32, u32, f32)> + Clone,
    completed: &mut Vec<f32>,
) {
    let (mut visits_total, mut weighted_q, mut weight) = (0u32, 0.0f32, 0.0f32);
    for (prior, visits, q) in children.clone() {
        if visits > 0 {
            visits_total += visits;
            weighted_q += prior * q;
            weight += prior;
        }
    }
    let mixed = if visits_total == 0 || weight <= 0.0 {
        network_value
    } else {
        (network_value + visits_total as f32 * weighted_q / weight) / (1.0 + visits_total as f32)
    };
    completed.clear();
    completed.extend(children.map(|(_, visits, q)| if visits > 0 { q } else { mixed }));
    let (lo, hi) = completed
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &q| {
            (lo.min(q), hi.max(q))
        });
    let span = (hi - lo).max(1e-8);
    for q in completed.iter_mut() {
        *q = (*q - lo) / span;
    }
}

/// A standard Gumbel(0, 1) sample from a uniform one, `−ln(−ln u)`, with `u` kept inside (0, 1).
pub fn gumbel_from_uniform(u: f64) -> f32 {
    let u = u.clamp(1e-12, 1.0 - 1e-12);
    (-(-u.ln()).ln()) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_halves_the_field() {
        // 4 actions, 8 simulations: 2 phases; phase 1 gives each of 4 one visit, phase 2 gives
        // each of the best 2 two visits.
        assert_eq!(
            considered_visit_schedule(4, 8),
            vec![0, 0, 0, 0, 1, 1, 2, 2]
        );
        // Fewer simulations than actions: Gumbel-top-k with k = n.
        assert_eq!(considered_visit_schedule(16, 3), vec![0, 0, 0]);
        // One action: every simulation goes to it.
        assert_eq!(considered_visit_schedule(1, 3), vec![0, 1, 2]);
        // The schedule always has exactly `simulations` entries and never skips a count.
        for m in 2..20 {
            for n in 1..200 {
                let s = considered_visit_schedule(m, n);
                assert_eq!(s.len(), n);
                let mut counts = vec![0usize; *s.iter().max().unwrap() as usize + 1];
                for &v in &s {
                    counts[v as usize] += 1;
                }
                // Visit level v is reached by no more actions than level v − 1.
                assert!(counts.windows(2).all(|w| w[1] <= w[0]), "m={m} n={n}");
                assert!(counts[0] <= m);
            }
        }
    }

    #[test]
    fn completed_q_mixes_prior_weighted_values_into_unvisited_children() {
        let mut out = Vec::new();
        // Unvisited children only: all take the network value, so normalisation gives zeros.
        completed_q(0.3, [(0.5, 0, 0.0), (0.5, 0, 0.0)].into_iter(), &mut out);
        assert_eq!(out, vec![0.0, 0.0]);
        // One visited child (q = 1, 3 visits, prior 0.25): v_mix = (−1 + 3·1) / 4 = 0.5;
        // the other visited child has q = −1. Normalised over [−1, 1]: 1, 0, 0.75.
        let children = [(0.25, 3, 1.0), (0.25, 1, -1.0), (0.5, 0, 0.0)];
        completed_q(-1.0, children.into_iter(), &mut out);
        // v_mix = (−1 + 4 · (0.25·1 + 0.25·(−1)) / 0.5) / 5 = −0.2 → (−0.2 + 1) / 2 = 0.4.
        let expected = [1.0, 0.0, 0.4];
        for (a, b) in out.iter().zip(expected) {
            assert!((a - b).abs() < 1e-6, "{out:?}");
        }
    }

    #[test]
    fn gumbel_samples_are_finite_and_ordered() {
        assert!(gumbel_from_uniform(0.0).is_finite());
        assert!(gumbel_from_uniform(1.0).is_finite());
        assert!(gumbel_from_uniform(0.2) < gumbel_from_uniform(0.8));
        assert!((sigma_scale(50.0, 0.1, 10) - 6.0).abs() < 1e-6);
    }
}
