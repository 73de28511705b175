//! The uniform random player: the floor every other agent must beat.

use ludus_core::{seeded_rng, Action, Agent, AgentError, Game, GameState, LudusRng};

/// Plays a legal action chosen uniformly at random.
///
/// The generator is seeded at construction and reseeded by [`Agent::new_game`], so each game is
/// reproducible from its seed.
#[derive(Debug, Clone)]
pub struct RandomAgent<G: Game> {
    game: G,
    rng: LudusRng,
    scratch: Vec<Action>,
}

impl<G: Game> RandomAgent<G> {
    /// A random player for `game`, fixed by `seed`.
    pub fn new(game: G, seed: u64) -> Self {
        RandomAgent {
            game,
            rng: seeded_rng(seed),
            scratch: Vec::new(),
        }
    }

    /// The game this agent plays.
    pub fn game(&self) -> &G {
        &self.game
    }
}

impl<G: Game> Agent<G> for RandomAgent<G> {
    fn name(&self) -> String {
        "random".to_string()
    }

    fn select_action(&mut self, state: &G::State) -> Result<Action, AgentError> {
        state
            .random_legal_action(&mut self.rng, &mut self.scratch)
            .ok_or(AgentError::NoLegalAction)
    }

    fn new_game(&mut self, seed: u64) {
        self.rng = seeded_rng(seed);
    }
}
