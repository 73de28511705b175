//! Tic-tac-toe: lines still open to each side.
//!
//! A line (row, column or diagonal) that holds marks of only one player can still become that
//! player's three in a row. Each such line counts its number of marks squared, so a line about
//! to be completed weighs more than two single marks; the mover's total minus the opponent's is
//! scaled and squashed into (−1, 1).
//!
//! The heuristic only shapes play at shallow depths: alpha-beta at depth 9 reaches the end of
//! every line and plays perfectly whatever the evaluation.

use ludus_core::GameState;
use ludus_tictactoe::{TicTacToe, TicTacToeState, LINES};

use crate::{heuristics::squash, Evaluator};

/// The default tic-tac-toe evaluation (see the module documentation).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TicTacToeEvaluator;

impl TicTacToeEvaluator {
    /// Σ over open lines of (marks in the line)², the mover's minus the opponent's.
    pub fn raw_score(state: &TicTacToeState) -> i32 {
        let me = state.to_play();
        let (mine, theirs) = (state.marks(me), state.marks(1 - me));
        LINES
            .iter()
            .map(|&line| {
                let (m, t) = (
                    (mine & line).count_ones() as i32,
                    (theirs & line).count_ones() as i32,
                );
                match (m, t) {
                    (m, 0) => m * m,
                    (0, t) => -t * t,
                    _ => 0,
                }
            })
            .sum()
    }
}

impl Evaluator<TicTacToe> for TicTacToeEvaluator {
    fn evaluate(&self, state: &TicTacToeState) -> f32 {
        squash(Self::raw_score(state) as f32 / 8.0)
    }

    fn name(&self) -> String {
        "tictactoe".to_string()
    }
}

impl crate::DefaultEvaluator for TicTacToe {
    fn default_evaluator() -> Box<dyn Evaluator<Self>> {
        Box::new(TicTacToeEvaluator)
    }

    /// The whole game: 9 plies solve it from the empty board in about 12 000 nodes.
    fn default_depth() -> u32 {
        9
    }
}

#[cfg(test)]
mod tests {
    use ludus_core::Game;

    use super::*;

    #[test]
    fn counts_open_lines_for_the_mover() {
        let game = TicTacToe;
        assert_eq!(TicTacToeEvaluator::raw_score(&game.initial_state()), 0);
        // X in the centre: four open lines with one mark each, seen by O (to move) as −4.
        let state = game.play_moves(&["b2"]).unwrap();
        assert_eq!(TicTacToeEvaluator::raw_score(&state), -4);
        // X b2 and c1, O a1, O to move.
        let state = game.play_moves(&["b2", "a1", "c1"]).unwrap();
        // O (to move): open O lines through a1: column a (1); row 1 and the a1–c3 diagonal are
        // blocked. X: anti-diagonal 2² = 4, column b 1, row 2 1, column c 1 → 7. Total 1 − 7.
        assert_eq!(TicTacToeEvaluator::raw_score(&state), -6);
        let v = TicTacToeEvaluator.evaluate(&state);
        assert!(v < 0.0 && v > -1.0, "{v}");
    }
}
