//! Leaf evaluation for [`crate::AlphaBetaAgent`]: the [`Evaluator`] trait, two evaluators that work
//! for any game, and [`DefaultEvaluator`], which names the heuristic to use for each game type.

use std::fmt;

use ludus_core::{derive_seed, random_playout, seeded_rng, Game, GameState};

/// A static evaluation of non-terminal positions.
///
/// The value is from the point of view of the player to move (`state.to_play()`) and lies in the
/// open interval (−1, 1): +1 and −1 are reserved for proven wins and losses, which the search
/// scores exactly, so a heuristic must never claim certainty. Values outside are clamped by the
/// search.
///
/// Evaluators are shared between threads (`Send + Sync`) and take `&self`, so anything random
/// must be derived from the position itself (see [`RolloutEvaluator`]): the same position then
/// always gets the same value, which a transposition table relies on.
pub trait Evaluator<G: Game>: Send + Sync {
    /// The value of a non-terminal `state` for the player to move, in (−1, 1).
    fn evaluate(&self, state: &G::State) -> f32;

    /// A short name for agent descriptions (`"connect4"`, `"rollout:8"`).
    fn name(&self) -> String {
        "custom".to_string()
    }
}

impl<G: Game> Evaluator<G> for Box<dyn Evaluator<G>> {
    fn evaluate(&self, state: &G::State) -> f32 {
        (**self).evaluate(state)
    }

    fn name(&self) -> String {
        (**self).name()
    }
}

impl<G: Game> fmt::Debug for dyn Evaluator<G> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Evaluator({})", self.name())
    }
}

/// Scores every non-terminal position 0: alpha-beta then sees only proven wins and losses, which
/// is perfect play when the depth reaches the end of the game (tic-tac-toe at depth 9) and a
/// "do not blunder within the horizon" player otherwise.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ZeroEvaluator;

impl<G: Game> Evaluator<G> for ZeroEvaluator {
    fn evaluate(&self, _state: &G::State) -> f32 {
        0.0
    }

    fn name(&self) -> String {
        "zero".to_string()
    }
}

/// The mean result of `playouts` uniformly random playouts, for the player to move: a heuristic
/// that needs no knowledge of the game, at the cost of a whole playout per leaf.
///
/// The playouts of a position are seeded from `seed` and the position's hash, so a position always
/// gets the same value (searches stay reproducible and transposition-table entries stay valid).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RolloutEvaluator {
    /// Playouts averaged per evaluation (at least one is always played).
    pub playouts: usize,
    /// Mixed with each position's hash to seed its playouts.
    pub seed: u64,
}

impl RolloutEvaluator {
    /// `playouts` playouts per position, with seed 0.
    pub fn new(playouts: usize) -> Self {
        RolloutEvaluator { playouts, seed: 0 }
    }
}

impl<G: Game> Evaluator<G> for RolloutEvaluator {
    fn evaluate(&self, state: &G::State) -> f32 {
        let me = state.to_play();
        let playouts = self.playouts.max(1);
        let mut rng = seeded_rng(derive_seed(self.seed, state.position_hash()));
        let mut scratch = Vec::new();
        let total: f32 = (0..playouts)
            .map(|_| {
                random_playout(state, &mut rng, &mut scratch)
                    .0
                    .player_return(me)
            })
            .sum();
        // A unanimous result is still only a sample: keep it inside the open interval.
        (total / playouts as f32).clamp(-0.999, 0.999)
    }

    fn name(&self) -> String {
        format!("rollout:{}", self.playouts.max(1))
    }
}

/// Games that come with a hand-written heuristic, so that generic code (the CLI's `alphabeta`
/// agent) can build a good alpha-beta player for any of them:
///
/// ```
/// use ludus_baselines::{AlphaBetaAgent, AlphaBetaConfig, DefaultEvaluator};
/// use ludus_core::{Agent, Game, GameState};
///
/// fn alphabeta<G: DefaultEvaluator>(game: G, seed: u64) -> impl Agent<G> {
///     AlphaBetaAgent::new(game, AlphaBetaConfig::default(), G::default_evaluator(), seed)
/// }
/// let game = ludus_connect4::ConnectFour;
/// let mut agent = alphabeta(game, 7);
/// let action = agent.select_action(&game.initial_state()).unwrap();
/// assert!(game.initial_state().is_legal(action));
/// ```
pub trait DefaultEvaluator: Game {
    /// The game's heuristic (see the `heuristics` module of this crate for each game's terms).
    fn default_evaluator() -> Box<dyn Evaluator<Self>>;

    /// A search depth that answers within about a second on a laptop core with the default
    /// evaluator: [`AlphaBetaConfig::default`]'s 6 plies, except where the branching factor
    /// makes that far too slow (Go).
    ///
    /// [`AlphaBetaConfig::default`]: crate::AlphaBetaConfig
    fn default_depth() -> u32 {
        crate::AlphaBetaConfig::DEFAULT_DEPTH
    }
}
