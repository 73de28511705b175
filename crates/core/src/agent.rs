use crate::{Action, Game};

/// Something that picks moves: a baseline, a search, a trained network, a human at a terminal.
///
/// An agent is built for one game (it keeps the `Game` value it needs) and owns its random
/// generator, seeded at construction, so a match is reproducible from its seed.
pub trait Agent<G: Game>: Send {
    /// A short description for reports, normally the spec it was built from (`mcts:sims=1000`).
    fn name(&self) -> String;

    /// Chooses a legal action in a non-terminal `state`.
    ///
    /// # Errors
    /// [`AgentError`] when no move can be produced (the human quit, a time limit was missed, a
    /// network failed). Never returns an illegal action.
    fn select_action(&mut self, state: &G::State) -> Result<Action, AgentError>;

    /// Called before each game with that game's seed. The agent reseeds its generator from it and
    /// drops per-game state (a search tree, a recurrent state), so that a game depends only on
    /// its seed — not on which games the same agent played before — and a match played by
    /// reused agents on any number of threads is reproducible. Caches whose content cannot
    /// change a decision (a solver's table of proven bounds) may be kept.
    fn new_game(&mut self, seed: u64);

    /// What the agent thought about its last move, for a person watching (a search's top moves
    /// with visit counts and values); `None` for agents with nothing to show.
    fn last_move_report(&self) -> Option<String> {
        None
    }

    /// The statistics of the search behind the last move, for episode logs; `None` for agents
    /// that do not search.
    fn last_search(&self) -> Option<SearchStats> {
        None
    }
}

/// What a tree search found at the position it moved from: per action, dense over the game's
/// action space (zero or NaN for actions it did not consider).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SearchStats {
    /// Root visits of each action.
    pub visits: Vec<u32>,
    /// The search's policy (the training target for AlphaZero-style searches; visit shares
    /// otherwise).
    pub policy: Vec<f32>,
    /// Mean value of each action for the mover (0 where unvisited: `visits` tells; not NaN,
    /// so that records compare equal and serialise to JSON).
    pub q: Vec<f32>,
    /// The search's value of the position for the mover.
    pub root_value: f32,
    /// The network's value of the position for the mover, for searches guided by one.
    pub network_value: Option<f32>,
    /// Simulations the search ran.
    pub simulations: u32,
}

/// Why an agent produced no move.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AgentError {
    /// The position has no legal move (the game is over).
    #[error("no legal move: the game is over")]
    NoLegalAction,
    /// The user asked to stop (a human typed `quit`, or input ended).
    #[error("stopped by the user")]
    Aborted,
    /// Anything else, described.
    #[error("{0}")]
    Failed(String),
}
