//! The policy as a player ([`RtsAgent`]): one forward pass per cycle with idle units, the
//! core's state carried from one decision to the next and reset between games.

use candle_core::Tensor;
use ludus_nn::LstmState;
use ludus_rts::{GameState, RtsAgent, UnitAction};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::decode::{decide, ItemLogits};
use crate::features::observe;
use crate::policy::{Batch, Policy};
use crate::PpoError;

/// A [`Policy`] playing one side of a game.
#[derive(Debug)]
pub struct PolicyAgent {
    name: String,
    policy: Policy,
    max_cycles: i32,
    greedy: bool,
    state: Option<LstmState>,
    rng: ChaCha8Rng,
    /// A failure was already reported (once per agent, not every cycle).
    warned: bool,
}

impl PolicyAgent {
    /// `greedy` plays each head's most likely choice; otherwise choices are sampled (seeded by
    /// [`RtsAgent::reseed`]). `max_cycles` is the game's cycle limit (one of the scalars).
    pub fn new(name: String, policy: Policy, max_cycles: i32, greedy: bool) -> Self {
        PolicyAgent {
            name,
            policy,
            max_cycles,
            greedy,
            state: None,
            rng: ChaCha8Rng::seed_from_u64(0),
            warned: false,
        }
    }

    /// One decision: orders for `player`'s idle units.
    ///
    /// # Errors
    /// A network failure.
    pub fn try_act(
        &mut self,
        state: &GameState,
        player: usize,
    ) -> Result<Vec<(u64, UnitAction)>, PpoError> {
        let shape = self.policy.shape();
        if state.width() as usize != shape.width || state.height() as usize != shape.height {
            return Err(PpoError::Input(format!(
                "the policy was trained on {}×{} maps and cannot play this {}×{} one",
                shape.width,
                shape.height,
                state.width(),
                state.height()
            )));
        }
        if state.idle_units(player).next().is_none() {
            return Ok(Vec::new());
        }
        let cfg = self.policy.config();
        let obs = observe(state, player, cfg.max_entities, self.max_cycles);
        let batch = Batch::new(
            &[&obs],
            self.policy.shape(),
            cfg.max_entities,
            self.policy.device(),
        )?;
        let (core, first) = match self.state.take() {
            Some(s) => (s, 0u8),
            None => (self.policy.initial_state(1)?, 1u8),
        };
        let starts = Tensor::new(&[[first]], self.policy.device())?;
        let out = self.policy.forward(&batch, 1, &starts, &core)?;
        self.state = Some(out.state.detach());
        let logits = ItemLogits::split(&out)?;
        let (orders, _) = decide(state, player, &obs, &logits[0], self.greedy, &mut self.rng);
        Ok(orders)
    }
}

impl RtsAgent for PolicyAgent {
    fn name(&self) -> String {
        self.name.clone()
    }

    /// A failure (a map of another size, a network error) leaves the units idle; the trait
    /// has no error channel, so it is reported on stderr, once.
    fn act(&mut self, state: &GameState, player: usize) -> Vec<(u64, UnitAction)> {
        self.try_act(state, player).unwrap_or_else(|e| {
            if !std::mem::replace(&mut self.warned, true) {
                eprintln!("{}: gives no orders: {e}", self.name);
            }
            Vec::new()
        })
    }

    fn reset(&mut self) {
        self.state = None;
    }

    fn reseed(&mut self, seed: u64) {
        self.rng = ChaCha8Rng::seed_from_u64(seed);
    }
}
