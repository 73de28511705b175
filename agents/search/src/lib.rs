//! AlphaZero-style tree search over the Ludus game API.
//!
//! * [`Search`] — one tree, searched by PUCT (AlphaZero) or Gumbel AlphaZero, chosen by
//!   [`SearchConfig::algorithm`]. It never calls an evaluator itself: [`Search::gather`] hands
//!   out the leaves that need an evaluation and [`Search::deliver`] takes the results, so one
//!   thread can run hundreds of searches (one per self-play game) and evaluate all their leaves
//!   in one network batch. [`Search::run`] is the loop for a lone search.
//! * [`Evaluator`] — what a search needs from a network: a prior and a value for a batch of
//!   positions. [`RolloutEvaluator`] (uniform prior, random playouts) needs no training.
//! * [`SearchAgent`] — a search plus an evaluator, as a [`ludus_core::Agent`].
//!
//! What the search provides (AlphaZero; Silver et al. 2018, and Danihelka et al. 2022):
//! root Dirichlet noise, first-play urgency, a move temperature, tree reuse between moves,
//! exact values at finished games, virtual loss when one tree sends several leaves, and Gumbel
//! AlphaZero's Gumbel-top-k root sampling, sequential halving and improved-policy targets.
//!
//! ```
//! use ludus_core::Game;
//! use ludus_search::{RolloutEvaluator, Search, SearchConfig};
//! use ludus_tictactoe::TicTacToe;
//!
//! let game = TicTacToe;
//! let mut search = Search::new(game, SearchConfig::puct(200), 7)?;
//! let mut evaluator = RolloutEvaluator::new(game, 4, 7);
//! let outcome = search.run(&mut evaluator, false)?;
//! assert_eq!(outcome.simulations, 200);
//! assert!((outcome.policy_target.iter().sum::<f32>() - 1.0).abs() < 1e-5);
//! # Ok::<(), ludus_search::SearchError>(())
//! ```

mod agent;
mod config;
mod error;
mod evaluator;
pub mod gumbel;
mod search;

pub use agent::SearchAgent;
pub use config::{Algorithm, SearchConfig};
pub use error::SearchError;
pub use evaluator::{uniform_policy, Evaluation, Evaluator, RolloutEvaluator};
pub use search::{run_all, ChildStats, Search, SearchOutcome};
