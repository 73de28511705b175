use rand::Rng;

use crate::{Action, GameState};

/// Plays uniformly random legal moves from `start` to the end of the game and returns the final
/// state and the number of plies played. `scratch` is reused between calls so the loop does
/// not allocate; this is the loop that playout benchmarks and rollout search time.
pub fn random_playout<S: GameState, R: Rng + ?Sized>(
    start: &S,
    rng: &mut R,
    scratch: &mut Vec<Action>,
) -> (S, usize) {
    let mut state = start.clone();
    let mut plies = 0;
    while let Some(action) = state.random_legal_action(rng, scratch) {
        state.apply_unchecked(action);
        plies += 1;
    }
    (state, plies)
}

/// Plays `count` random playouts from `start`, all drawing from one generator seeded with
/// `seed`, and returns their total plies: the seeded workload of the playout benchmarks, whose
/// pinned total catches any change to a game's rules or move sampling.
pub fn seeded_playouts<S: GameState>(start: &S, count: usize, seed: u64) -> usize {
    let mut rng = crate::seeded_rng(seed);
    let mut scratch = Vec::new();
    (0..count)
        .map(|_| random_playout(start, &mut rng, &mut scratch).1)
        .sum()
}
