//! A perfect Connect Four solver for the standard 7×6 board.
//!
//! ```
//! use ludus_solver::{Position, Solver};
//! let mut solver = Solver::new(16); // 16 MiB transposition table
//! // A position from Pascal Pons' Middle-Easy set: the mover wins with their 13th stone.
//! let pos = Position::from_moves("52753311433677442422121")?;
//! assert_eq!(solver.solve(&pos), 8);
//! assert_eq!(solver.analyze(&pos), [2, 3, 7, 7, 8, 7, 2].map(Some));
//! assert_eq!(solver.best_moves(&pos), vec![4]); // 0-based: column 5
//! # Ok::<(), ludus_solver::PositionError>(())
//! ```
//!
//! # Scores
//! Pascal Pons' convention, shared with his benchmark sets in `shared/data/connect4-pons`: from
//! the point of view of the player to move, a win with one's `k`-th stone scores `22 − k`, a
//! draw 0, and a loss to the opponent's `k`-th stone `−(22 − k)`. Faster wins score higher, and
//! slower losses score higher than fast ones.
//!
//! # Algorithm
//! Written from the description in Pascal Pons' tutorial ("Solving Connect 4: how to build a
//! perfect AI", blog.gamesolver.org, 2017), which follows John Tromp's and Victor Allis' work:
//! * [`Position`] is two 64-bit boards (mover's stones, all stones) with a spare bit on top of
//!   each column, so moves, wins and threats are a few shifts and masks.
//! * Negamax with alpha-beta. Before searching a node it drops every move that hands the
//!   opponent an immediate win (it must block a single threat, loses at once to two, and never
//!   plays right below an opponent's winning cell), and it narrows the window with the
//!   earliest possible win and loss.
//! * Moves are tried by the number of winning cells they create, ties centre first.
//! * A transposition table of 5-byte entries stores upper and lower bounds (see
//!   [`Solver::new`] for its size).
//! * The exact score comes from a sequence of null-window searches that bisect the score range,
//!   probing near 0 first; [`Solver::weak_solve`] stops at the sign.
//!
//! [`SolverAgent`] plays Ludus' Connect Four (`ludus-connect4`) with these scores, and
//! `Position::from(&ConnectFourState)` converts a game state, as both share Pons' layout.
//!
//! [`eval_set`] holds 1,000 solver-labelled positions with 8 to 30 stones
//! ([`builtin_eval_set`], compiled in from `data/connect4-eval.tsv`, written by the
//! `label_positions` example) and [`optimal_move_share`], which scores any move picker on them:
//! the Connect Four yardstick of the AlphaZero trainer.
//!
//! There is no opening book, so boards with fewer than about 8 stones can take minutes (see
//! [`Solver`] for measured times).
//!
//! The crate uses its own position type because the search copies a position at every node and
//! needs bit-level operations the game API does not offer.

mod agent;
pub mod eval_set;
mod position;
mod solver;
mod table;

pub use agent::SolverAgent;
pub use eval_set::{
    builtin_eval_set, optimal_move_share, parse_labelled_tsv, EvalSetError, LabelledPosition,
    OptimalMoveReport, Share,
};
pub use position::{Position, PositionError, CELLS, HEIGHT, WIDTH};
pub use solver::Solver;
