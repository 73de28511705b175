//! Baseline agents that play every Ludus game through the generic [`ludus_core::Game`] API.
//!
//! # Brief overview
//!
//! * [`RandomAgent`] — uniform over the legal moves: the floor.
//! * [`MctsAgent`] — UCT with random rollouts, configured by [`MctsConfig`]; statistics of the
//!   last search (root visits and values, simulations per second) in [`MctsStats`].
//! * [`AlphaBetaAgent`] — negamax alpha-beta with iterative deepening and a transposition table,
//!   configured by [`AlphaBetaConfig`], scoring leaves with an [`Evaluator`]; statistics in
//!   [`AlphaBetaStats`].
//! * Evaluators: [`ZeroEvaluator`] and [`RolloutEvaluator`] work for any game; the
//!   [`heuristics`] module has one hand-written evaluation per game, and [`DefaultEvaluator`]
//!   returns it from the game type, so generic code can build an alpha-beta player for any game.
//!
//! Every agent takes a seed at construction and draws all its randomness from it, so a match
//! between agents is reproducible.
//!
//! ```
//! use ludus_baselines::{AlphaBetaAgent, AlphaBetaConfig, DefaultEvaluator, MctsAgent, MctsConfig};
//! use ludus_connect4::ConnectFour;
//! use ludus_core::{Agent, Game, GameState};
//!
//! let game = ConnectFour;
//! let mcts = MctsAgent::new(game, MctsConfig { simulations: 200, ..Default::default() }, 1);
//! let alphabeta = AlphaBetaAgent::new(
//!     game,
//!     AlphaBetaConfig { depth: Some(4), max_time: None },
//!     ConnectFour::default_evaluator(),
//!     2,
//! );
//! let mut players: [Box<dyn Agent<ConnectFour>>; 2] = [Box::new(mcts), Box::new(alphabeta)];
//! let mut state = game.initial_state();
//! while !state.is_terminal() {
//!     let action = players[state.to_play()].select_action(&state).unwrap();
//!     state.apply(action).unwrap();
//! }
//! println!("{state}\nreturns {:?}", game.returns(&state));
//! ```

mod alphabeta;
mod eval;
pub mod heuristics;
mod mcts;
mod random;

pub use alphabeta::{AlphaBetaAgent, AlphaBetaConfig, AlphaBetaStats, DEFAULT_TT_BITS, MATE};
pub use eval::{DefaultEvaluator, Evaluator, RolloutEvaluator, ZeroEvaluator};
pub use mcts::{ChildStats, MctsAgent, MctsConfig, MctsStats};
pub use random::RandomAgent;
