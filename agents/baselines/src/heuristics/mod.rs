//! Hand-written evaluations, one per game, each documented in its module. Every one is the
//! [`crate::DefaultEvaluator`] of its game.

pub mod connect4;
pub mod go;
pub mod othello;
pub mod tictactoe;

pub use connect4::ConnectFourEvaluator;
pub use go::GoEvaluator;
pub use othello::OthelloEvaluator;
pub use tictactoe::TicTacToeEvaluator;

/// `tanh`, kept strictly inside (−1, 1): in `f32` a large `tanh` rounds to exactly 1, which the
/// [`crate::Evaluator`] contract reserves for proven results.
pub(crate) fn squash(x: f32) -> f32 {
    x.tanh().clamp(-0.999, 0.999)
}
