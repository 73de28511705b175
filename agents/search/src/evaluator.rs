//! What a search asks of a position: a prior over the moves and a value.

use ludus_core::{random_playout, seeded_rng, Action, Game, GameState, LudusRng};

use crate::SearchError;

/// A position's evaluation, from the view of the player to move there.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Prior probability of every action (`num_actions` long). Only legal actions are read; they
    /// need not sum to one (the search renormalises over the legal ones).
    pub policy: Vec<f32>,
    /// Expected return for the player to move, in [−1, 1].
    pub value: f32,
}

/// Evaluates positions in batches: a network, random rollouts, or an oracle in tests.
///
/// Batches are the point: a network evaluates 64 positions in little more time than one, so the
/// search collects leaves from many trees (or many leaves of one tree) before calling this.
pub trait Evaluator<G: Game> {
    /// Evaluates every state of `states` (none of them terminal), appending one
    /// [`Evaluation`] per state to `out`, in order.
    ///
    /// # Errors
    /// [`SearchError::Evaluator`] when the evaluation fails (a network error).
    fn evaluate(
        &mut self,
        states: &[&G::State],
        out: &mut Vec<Evaluation>,
    ) -> Result<(), SearchError>;
}

impl<G: Game, E: Evaluator<G> + ?Sized> Evaluator<G> for &mut E {
    fn evaluate(
        &mut self,
        states: &[&G::State],
        out: &mut Vec<Evaluation>,
    ) -> Result<(), SearchError> {
        (**self).evaluate(states, out)
    }
}

impl<G: Game, E: Evaluator<G> + ?Sized> Evaluator<G> for Box<E> {
    fn evaluate(
        &mut self,
        states: &[&G::State],
        out: &mut Vec<Evaluation>,
    ) -> Result<(), SearchError> {
        (**self).evaluate(states, out)
    }
}

/// A uniform prior and the mean return of random playouts: classic Monte-Carlo evaluation,
/// which needs no training. With one rollout per leaf, a PUCT search on it behaves like UCT.
#[derive(Debug, Clone)]
pub struct RolloutEvaluator<G: Game> {
    game: G,
    rollouts: usize,
    rng: LudusRng,
    scratch: Vec<Action>,
}

impl<G: Game> RolloutEvaluator<G> {
    /// `rollouts` playouts per position (at least one), drawn from a generator seeded by `seed`.
    pub fn new(game: G, rollouts: usize, seed: u64) -> Self {
        RolloutEvaluator {
            game,
            rollouts: rollouts.max(1),
            rng: seeded_rng(seed),
            scratch: Vec::new(),
        }
    }
}

impl<G: Game> Evaluator<G> for RolloutEvaluator<G> {
    fn evaluate(
        &mut self,
        states: &[&G::State],
        out: &mut Vec<Evaluation>,
    ) -> Result<(), SearchError> {
        for state in states {
            let mover = state.to_play();
            let total: f32 = (0..self.rollouts)
                .map(|_| {
                    let (end, _) = random_playout(*state, &mut self.rng, &mut self.scratch);
                    end.player_return(mover)
                })
                .sum();
            let policy = uniform_policy(&self.game, state, &mut self.scratch);
            out.push(Evaluation {
                policy,
                value: total / self.rollouts as f32,
            });
        }
        Ok(())
    }
}

/// A uniform prior over the legal actions of `state` (`num_actions` long).
pub fn uniform_policy<G: Game>(game: &G, state: &G::State, scratch: &mut Vec<Action>) -> Vec<f32> {
    state.legal_actions(scratch);
    let mut policy = vec![0.0; game.num_actions()];
    let p = 1.0 / scratch.len().max(1) as f32;
    for &a in scratch.iter() {
        policy[a] = p;
    }
    policy
}
