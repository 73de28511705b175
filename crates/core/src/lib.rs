//! The Ludus game API.
//!
//! Every game in Ludus implements two traits, and every algorithm (search, training,
//! evaluation, logging) is written against them and nothing else:
//!
//! * [`Game`] — the rules with their parameters (board size, komi, …): static facts such as
//!   the number of actions and the observation shape, the initial state, action notation and
//!   the board symmetries.
//! * [`GameState`] — one position: player to move, legal actions, `apply`, returns, the
//!   observation planes from the mover's view and a Zobrist hash. States are cheap to clone
//!   (search clones them constantly) and serialize with serde.
//!
//! Players and actions are plain indices ([`Player`], [`Action`]); nothing in the types fixes the
//! number of players at two.
//!
//! ```
//! use ludus_core::{Game, GameState};
//! # fn demo<G: Game>(game: &G) -> Result<(), ludus_core::GameError> {
//! let mut state = game.initial_state();
//! let mut legal = Vec::new();
//! while !state.is_terminal() {
//!     state.legal_actions(&mut legal);
//!     state.apply(legal[0])?;
//! }
//! println!("{state}\nreturns: {:?}", game.returns(&state));
//! # Ok(()) }
//! ```
//!
//! The crate also holds what every game and agent shares: the agent interface ([`Agent`]), the
//! `name:key=value` spec syntax used on the command line ([`Spec`]), seeded random numbers
//! ([`seeded_rng`]), Zobrist key tables ([`zobrist_keys`]), perft ([`perft`]) and the
//! conformance suite that every game's tests run ([`conformance`]).

mod agent;
pub mod conformance;
mod error;
mod game;
pub mod overrides;
mod perft;
mod playout;
mod rng;
mod spec;
mod symmetry;
mod zobrist;

pub use agent::{Agent, AgentError, SearchStats};
pub use error::GameError;
pub use game::{Action, Game, GameState, Player};
pub use perft::perft;
pub use playout::{random_playout, seeded_playouts};
pub use rng::{derive_seed, seeded_rng, LudusRng};
pub use spec::{Spec, SpecError};
pub use symmetry::Symmetry;
pub use zobrist::{splitmix64, zobrist_keys};
