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
