//! Othello: square weights, mobility and, late in the game, the disc count.
//!
//! The classic three-term evaluation of the early Othello programs (Rosenbloom's IAGO, 1982, and
//! the textbook treatment in Norvig's "Paradigms of AI Programming", ch. 18):
//!
//! * **Square weights.** Corners can never be flipped and anchor whole edges, so they are worth
//!   most. The squares next to an empty corner (the diagonal X-squares and the edge C-squares)
//!   hand that corner to the opponent, so they are worth least; once the corner is taken they
//!   are ordinary squares. Edges are mildly good, the second ring mildly bad.
//! * **Mobility.** `(m − o) / (m + o + 2)` over the legal placements of the mover (`m`) and the
//!   opponent (`o`): having moves while the opponent runs out is what wins the middle game.
//! * **Discs.** Counting discs is a poor guide early (fewer discs usually means more mobility)
//!   but is the result at the end, so its weight grows linearly over the last 20 empty squares.
//!
//! The sum is squashed by `tanh` into (−1, 1).

use ludus_core::GameState;
use ludus_othello::{bitboard, Othello, OthelloState};

use crate::{heuristics::squash, Evaluator};

const CORNERS: u64 = 0x8100_0000_0000_0081;
/// Edge squares two and three steps from a corner (c1, f1, a3, h3, …).
const EDGE_A: u64 = 0x2400_8100_0081_0024;
/// The four central edge squares of each side (d1, e1, a4, h4, …).
const EDGE_B: u64 = 0x1800_0081_8100_0018;
/// The second ring, without the X-squares.
const RING: u64 = 0x003C_4242_4242_3C00;

/// For each corner: the corner bit and the X- and C-squares that give it away.
const CORNER_ZONES: [(u64, u64, u64); 4] = [
    // (corner, X-square, C-squares)
    (1 << 0, 1 << 9, (1 << 1) | (1 << 8)),
    (1 << 7, 1 << 14, (1 << 6) | (1 << 15)),
    (1 << 56, 1 << 49, (1 << 57) | (1 << 48)),
    (1 << 63, 1 << 54, (1 << 62) | (1 << 55)),
];

const W_CORNER: i32 = 25;
const W_X: i32 = -12;
const W_C: i32 = -5;
const W_EDGE_A: i32 = 3;
const W_EDGE_B: i32 = 2;
const W_RING: i32 = -1;

/// Square-weight total of `discs`, with the X- and C-squares of occupied corners neutral.
fn square_weights(discs: u64, occupied: u64) -> i32 {
    let count = |mask: u64| (discs & mask).count_ones() as i32;
    let mut total = W_CORNER * count(CORNERS)
        + W_EDGE_A * count(EDGE_A)
        + W_EDGE_B * count(EDGE_B)
        + W_RING * count(RING);
    for (corner, x, c) in CORNER_ZONES {
        if occupied & corner == 0 {
            total += W_X * count(x) + W_C * count(c);
        }
    }
    total
}

/// The default Othello evaluation (see the module documentation).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OthelloEvaluator;

impl OthelloEvaluator {
    /// The unsquashed score for the mover; positive is good for the mover.
    pub fn raw_score(state: &OthelloState) -> f32 {
        let me = state.to_play();
        let discs = state.bitboards();
        let (mine, theirs) = (discs[me], discs[me ^ 1]);
        let occupied = mine | theirs;
        let empties = 64 - occupied.count_ones() as i32;

        let squares = (square_weights(mine, occupied) - square_weights(theirs, occupied)) as f32;

        let m = state.legal_moves_bitboard().count_ones() as f32;
        let o = bitboard::legal_moves(theirs, mine).count_ones() as f32;
        let mobility = (m - o) / (m + o + 2.0);

        let disc_diff = (mine.count_ones() as f32 - theirs.count_ones() as f32) / 64.0;
        let late = (20 - empties).clamp(0, 20) as f32 / 20.0;

        squares / 40.0 + mobility + 4.0 * late * disc_diff
    }
}

impl crate::Evaluator<Othello> for OthelloEvaluator {
    fn evaluate(&self, state: &OthelloState) -> f32 {
        squash(Self::raw_score(state))
    }

    fn name(&self) -> String {
        "othello".to_string()
    }
}

impl crate::DefaultEvaluator for Othello {
    fn default_evaluator() -> Box<dyn Evaluator<Self>> {
        Box::new(OthelloEvaluator)
    }
}

#[cfg(test)]
mod tests {
    use ludus_core::Game;

    use super::*;

    #[test]
    fn masks_partition_the_weighted_squares() {
        let zones = CORNER_ZONES
            .iter()
            .fold(0, |acc, (corner, x, c)| acc | corner | x | c);
        let masks = [CORNERS, EDGE_A, EDGE_B, RING, zones & !CORNERS];
        for (i, a) in masks.iter().enumerate() {
            for b in &masks[i + 1..] {
                assert_eq!(a & b, 0, "{a:#x} overlaps {b:#x}");
            }
        }
        // 4 corners, 8 A, 8 B, 16 ring, 12 X/C squares; the 16 centre squares are weightless.
        let counts: Vec<u32> = masks.iter().map(|m| m.count_ones()).collect();
        assert_eq!(counts, [4, 8, 8, 16, 12]);
    }

    #[test]
    fn start_is_level_and_a_corner_is_good() {
        let start = Othello.initial_state();
        assert_eq!(OthelloEvaluator::raw_score(&start), 0.0);
        // Black to move, Black owns a1, White owns b2 next to it: a clear edge for Black.
        let black = (1 << 0) | (1 << 35) | (1 << 28);
        let white = (1 << 27) | (1 << 36) | (1 << 9);
        let state = OthelloState::from_bitboards([black, white], 0).unwrap();
        let v = OthelloEvaluator.evaluate(&state);
        assert!(v > 0.5 && v < 1.0, "{v}");
        // The evaluation only sees "mover" and "opponent": swapping the colours negates it.
        let swapped = OthelloState::from_bitboards([white, black], 0).unwrap();
        assert_eq!(
            OthelloEvaluator::raw_score(&swapped),
            -OthelloEvaluator::raw_score(&state)
        );
    }
}
