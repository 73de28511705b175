//! Names to things. Every command that takes `--game SPEC` or an agent `SPEC` goes through this
//! crate, so the spec syntax (`name:key=value:…`, see [`ludus_core::Spec`]) and the list of what
//! exists are defined once.
//!
//! Generic code runs over a game chosen at run time through [`GameVisitor`]:
//!
//! ```
//! use ludus_registry::{game_from_spec, GameVisitor, RegisteredGame};
//! use ludus_core::Game;
//!
//! struct ActionCount;
//! impl GameVisitor for ActionCount {
//!     type Output = usize;
//!     fn visit<G: RegisteredGame>(self, game: G) -> usize { game.num_actions() }
//! }
//! assert_eq!(game_from_spec("go:size=9").unwrap().visit(ActionCount), 82);
//! ```

mod agents;
mod duration;
mod games;

pub use agents::{agent_from_spec, AGENT_FORMS};
pub use duration::parse_duration;
pub use games::{game_from_spec, AnyGame, GameVisitor, RegisteredGame, GAME_FORMS};

/// A spec that names no known game or agent, or that does not fit the game.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// The spec text is malformed or has a bad argument.
    #[error(transparent)]
    Spec(#[from] ludus_core::SpecError),
    /// A game parameter is out of range.
    #[error(transparent)]
    Game(#[from] ludus_core::GameError),
    /// The agent exists but not for this game (`solver` outside Connect Four).
    #[error("{0}")]
    Unsupported(String),
}
