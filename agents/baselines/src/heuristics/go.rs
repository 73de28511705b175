//! Go: the Tromp-Taylor area score as the board stands.
//!
//! [`GoState::area_score`] is Black's area (stones plus empty regions that touch only Black)
//! minus White's, minus komi: exactly the final score if the game ended now. The evaluation is
//! `tanh(margin / size)` from the mover's side, so a lead of one point per line of the board is
//! worth about 0.76.
//!
//! This is a weak evaluation, and meant as one: early on a big empty region counts for whoever
//! alone borders it, and life and death is not read at all. It is the baseline that search and
//! learned evaluations are measured against.

use ludus_core::GameState;
use ludus_go::{Go, GoState};

use crate::{heuristics::squash, Evaluator};

/// The default Go evaluation (see the module documentation).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GoEvaluator;

impl GoEvaluator {
    /// The area margin (komi included) for the player to move.
    pub fn margin(state: &GoState) -> f32 {
        let black_margin = state.area_score();
        if state.to_play() == 0 {
            black_margin
        } else {
            -black_margin
        }
    }
}

impl Evaluator<Go> for GoEvaluator {
    fn evaluate(&self, state: &GoState) -> f32 {
        squash(Self::margin(state) / state.size() as f32)
    }

    fn name(&self) -> String {
        "go".to_string()
    }
}

impl crate::DefaultEvaluator for Go {
    fn default_evaluator() -> Box<dyn Evaluator<Self>> {
        Box::new(GoEvaluator)
    }

    /// 3 plies: with some 80 moves a ply on 9×9, depth 3 takes about 0.1 s a move and depth 4
    /// several seconds (measured on one core, debug-info optimised build).
    fn default_depth() -> u32 {
        3
    }
}

#[cfg(test)]
mod tests {
    use ludus_core::Game;

    use super::*;

    #[test]
    fn margin_is_from_the_movers_side() {
        let go = Go::default();
        // Empty board: no area on either side, White has komi.
        let start = go.initial_state();
        assert_eq!(GoEvaluator::margin(&start), -7.5);
        assert!(GoEvaluator.evaluate(&start) < 0.0);
        // One black stone owns the whole empty board; White to move is far behind.
        let state = go.play_moves(&["e5"]).unwrap();
        assert_eq!(GoEvaluator::margin(&state), -(81.0 - 7.5));
        let v = GoEvaluator.evaluate(&state);
        assert!((-1.0..-0.99).contains(&v), "{v}");
        // A white reply shares the board again: Black (to move) keeps only its stone… and komi.
        let state = go.play_moves(&["e5", "e6"]).unwrap();
        assert_eq!(GoEvaluator::margin(&state), 1.0 - 1.0 - 7.5);
    }
}
