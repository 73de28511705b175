//! A network as the search's evaluator.

use std::time::{Duration, Instant};

use ludus_core::Game;
use ludus_nn::{encode_states, Network};
use ludus_search::{Evaluation, Evaluator, SearchError};

/// Evaluates a batch of positions with one forward pass of a frozen network (no autograd
/// graph: see `Network::inference_copy`).
#[derive(Debug, Clone)]
pub struct NetEvaluator<G: Game> {
    game: G,
    net: Network,
    /// Forward passes, positions evaluated and time spent in them.
    pub batches: u64,
    /// See [`NetEvaluator::batches`].
    pub positions: u64,
    /// See [`NetEvaluator::batches`].
    pub busy: Duration,
}

impl<G: Game> NetEvaluator<G> {
    /// An evaluator on a frozen copy of `net`.
    ///
    /// # Errors
    /// The network's error when it cannot be copied.
    pub fn new(game: G, net: &Network) -> Result<Self, ludus_nn::NnError> {
        Ok(NetEvaluator {
            game,
            net: net.inference_copy()?,
            batches: 0,
            positions: 0,
            busy: Duration::ZERO,
        })
    }

    fn run(&self, states: &[&G::State]) -> ludus_nn::Result<(Vec<Vec<f32>>, Vec<f32>)> {
        let (obs, legal) = encode_states(&self.game, states, self.net.device())?;
        let out = self.net.forward(&obs, &legal)?;
        Ok((
            out.policy()?.to_vec2::<f32>()?,
            out.value_scalar()?.to_vec1::<f32>()?,
        ))
    }
}

impl<G: Game> Evaluator<G> for NetEvaluator<G> {
    fn evaluate(
        &mut self,
        states: &[&G::State],
        out: &mut Vec<Evaluation>,
    ) -> Result<(), SearchError> {
        if states.is_empty() {
            return Ok(());
        }
        let start = Instant::now();
        let (policies, values) = self
            .run(states)
            .map_err(|e| SearchError::Evaluator(e.to_string()))?;
        out.extend(
            policies
                .into_iter()
                .zip(values)
                .map(|(policy, value)| Evaluation { policy, value }),
        );
        self.busy += start.elapsed();
        self.batches += 1;
        self.positions += states.len() as u64;
        Ok(())
    }
}
