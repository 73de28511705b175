use crate::{Action, GameState};

/// Counts the move sequences of exactly `depth` plies from `state`; sequences that reach the end
/// of the game earlier are not counted. `perft(s, 0) == 1`.
///
/// The standard move-generator check: known counts catch almost any rules bug.
pub fn perft<S: GameState>(state: &S, depth: usize) -> u64 {
    fn go<S: GameState>(state: &S, depth: usize, scratch: &mut [Vec<Action>]) -> u64 {
        if depth == 0 {
            return 1;
        }
        let (moves, rest) = scratch.split_first_mut().expect("scratch sized to depth");
        state.legal_actions(moves);
        if depth == 1 {
            return moves.len() as u64;
        }
        let mut total = 0;
        for &action in moves.iter() {
            let mut child = state.clone();
            child.apply_unchecked(action);
            total += go(&child, depth - 1, rest);
        }
        total
    }
    let mut scratch = vec![Vec::new(); depth.max(1)];
    go(state, depth, &mut scratch)
}
