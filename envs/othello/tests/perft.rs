//! Move-generator counts from the starting position.

use ludus_core::{perft, Game, GameState};
use ludus_othello::{Othello, OthelloState};

/// Published perft counts for 1–9 plies. To this depth they agree with Ludus's convention (a
/// pass is a ply; the first possible one is ply 9, and no game is over before ply 9).
const PUBLISHED: [u64; 9] = [4, 12, 56, 244, 1396, 8200, 55092, 390_216, 3_005_288];

#[test]
fn perft_matches_published_counts_to_depth_9() {
    let start = Othello.initial_state();
    assert_eq!(perft(&start, 0), 1);
    for (depth, &count) in (1..).zip(&PUBLISHED) {
        assert_eq!(perft(&start, depth), count, "perft({depth})");
    }
}

/// At depth 10 conventions part: the published 24 571 284 exceeds Ludus's count by exactly the
/// 228 games that are over after 9 plies, which that count extends by one ply; Ludus's perft
/// counts only sequences of exactly `depth` plies (a pass being one).
#[test]
fn perft_10_differs_from_the_published_count_by_the_games_over_at_ply_9() {
    fn finished_at(state: &OthelloState, plies: usize, legal: &mut Vec<usize>) -> u64 {
        state.legal_actions(legal);
        if plies == 0 {
            return u64::from(state.is_terminal());
        }
        let moves = legal.clone();
        moves
            .iter()
            .map(|&a| {
                let mut child = *state;
                child.apply_unchecked(a);
                finished_at(&child, plies - 1, legal)
            })
            .sum()
    }
    let start = Othello.initial_state();
    let over_at_9 = finished_at(&start, 9, &mut Vec::new());
    assert_eq!(over_at_9, 228);
    assert_eq!(perft(&start, 10), 24_571_284 - over_at_9);
}
