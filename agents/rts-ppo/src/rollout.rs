//! Collecting experience: many games per thread, stepped in lockstep so that every game's
//! pending decision goes through one forward pass. Between two decisions of the learner a game
//! runs on by itself (the opponent acting, the learner's units busy), and what happens there —
//! shaped rewards, the end of the game — is credited to the decision before.

use candle_core::Tensor;
use ludus_episodes::{TickEpisode, TickRecorder};
use ludus_nn::LstmState;
use ludus_rts::{ids, GameState, IssueReport, RtsAgent, UnitAction};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::decode::{decide, ItemLogits};
use crate::features::{observe, Observation};
use crate::policy::{Batch, Policy, PolicyOutput};
use crate::ppo::{Sequence, Step};
use crate::PpoError;

/// Rewards: the game's result (+1 win, −1 loss, 0 draw or time-out) plus, while annealed in,
/// gym-µRTS's shaped terms for the orders the learner issues.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RewardConfig {
    /// Weights of the shaped terms, gym-µRTS's `[1, 1, 0.2, 1, 4]`: per harvest or return
    /// order, worker produced, building produced, attack order, combat unit produced.
    pub shaped: [f64; 5],
    /// Scale of the shaped terms against the result (default 0.1: gym-µRTS's win weight is 10).
    pub shaped_scale: f64,
}

impl Default for RewardConfig {
    fn default() -> Self {
        RewardConfig {
            shaped: [1.0, 1.0, 0.2, 1.0, 4.0],
            shaped_scale: 0.1,
        }
    }
}

impl RewardConfig {
    /// Shaped reward of one player's orders (before annealing).
    pub fn shaped_reward(&self, orders: &[(u64, UnitAction)]) -> f64 {
        let w = &self.shaped;
        let total: f64 = orders
            .iter()
            .map(|(_, a)| match a {
                UnitAction::Harvest(_) | UnitAction::Return(_) => w[0],
                UnitAction::Produce(_, t) if *t == ids::WORKER => w[1],
                UnitAction::Produce(_, t) if *t == ids::BASE || *t == ids::BARRACKS => w[2],
                UnitAction::Produce(_, _) => w[4],
                UnitAction::Attack { .. } => w[3],
                _ => 0.0,
            })
            .sum();
        total * self.shaped_scale
    }
}

/// A new game for one environment: the start state, the opponent (with an id for the league's
/// bookkeeping), the learner's seat, and a recorder when the game is to be logged.
pub struct NewGame {
    pub state: GameState,
    pub opponent: Box<dyn RtsAgent>,
    pub opponent_id: usize,
    pub seat: usize,
    /// The seed the start state was drawn with (kept in the game's log).
    pub seed: u64,
    /// Records every tick of the game, both players' views and orders, for the episode log.
    pub log: Option<TickRecorder>,
}

impl std::fmt::Debug for NewGame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewGame")
            .field("opponent", &self.opponent.name())
            .field("opponent_id", &self.opponent_id)
            .field("seat", &self.seat)
            .field("seed", &self.seed)
            .field("logged", &self.log.is_some())
            .finish_non_exhaustive()
    }
}

/// How a game of the learner's ended.
#[derive(Clone, Debug, PartialEq)]
pub struct EpisodeEnd {
    pub opponent_id: usize,
    pub seat: usize,
    /// 1 win, 0.5 draw, 0 loss.
    pub score: f64,
    pub cycles: i32,
    /// The learner's orders that the engine refused or cancelled (always 0: masks forbid them).
    pub refused: usize,
    /// The whole game when it was recorded, the learner's seat named `learner`.
    pub episode: Option<Box<TickEpisode>>,
}

/// One environment: a game in progress and the learner's recurrent state in it.
struct Env {
    game: NewGame,
    reports: [IssueReport; 2],
    core: (Vec<f32>, Vec<f32>),
    /// The next decision opens an episode.
    start: bool,
}

impl Env {
    /// One tick with both players' `orders`, logged first when the game is recorded.
    fn play(&mut self, orders: [Vec<(u64, UnitAction)>; 2]) -> Result<(), PpoError> {
        let g = &mut self.game;
        if let Some(log) = &mut g.log {
            log.record(&g.state, &orders);
        }
        ludus_rts::apply(&mut g.state, &orders, &mut self.reports)?;
        Ok(())
    }
}

/// Games stepped in lockstep for the learner.
pub struct Collector {
    envs: Vec<Env>,
    max_cycles: i32,
    partial: bool,
    hidden: usize,
}

impl std::fmt::Debug for Collector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Collector")
            .field("envs", &self.envs.len())
            .field("max_cycles", &self.max_cycles)
            .finish_non_exhaustive()
    }
}

impl Collector {
    /// `games` environments, each started by `new_game(index)`.
    pub fn new(
        games: usize,
        max_cycles: i32,
        partial: bool,
        hidden: usize,
        new_game: &mut dyn FnMut(usize) -> NewGame,
    ) -> Self {
        let envs = (0..games)
            .map(|i| Env {
                game: new_game(i),
                reports: [IssueReport::default(); 2],
                core: (vec![0.0; hidden], vec![0.0; hidden]),
                start: true,
            })
            .collect();
        Collector {
            envs,
            max_cycles,
            partial,
            hidden,
        }
    }

    /// The learner's view of env `i`.
    fn view(&self, i: usize) -> std::borrow::Cow<'_, GameState> {
        let g = &self.envs[i].game;
        if self.partial {
            std::borrow::Cow::Owned(g.state.observed_by(g.seat))
        } else {
            std::borrow::Cow::Borrowed(&g.state)
        }
    }

    /// Runs env `i` until the learner has an idle unit, restarting it when a game ends.
    /// Returns the reward for the learner's previous decision and whether a game ended.
    fn advance(
        &mut self,
        i: usize,
        ends: &mut Vec<EpisodeEnd>,
        new_game: &mut dyn FnMut(usize) -> NewGame,
    ) -> Result<(f64, bool), PpoError> {
        let (max_cycles, partial) = (self.max_cycles, self.partial);
        let env = &mut self.envs[i];
        loop {
            let g = &mut env.game;
            if g.state.is_over() || g.state.time() >= max_cycles {
                let score = match g.state.winner() {
                    Some(w) if w == g.seat => 1.0,
                    Some(_) => 0.0,
                    None => 0.5,
                };
                let r = env.reports[g.seat];
                let episode = g.log.take().map(|log| {
                    let mut players = vec![String::new(), String::new()];
                    players[g.seat] = "learner".into();
                    players[1 - g.seat] = g.opponent.name();
                    Box::new(log.finish(&g.state, players, Some(g.seed), Default::default()))
                });
                ends.push(EpisodeEnd {
                    opponent_id: g.opponent_id,
                    seat: g.seat,
                    score,
                    cycles: g.state.time(),
                    refused: r.illegal + r.cancelled + r.inconsistent + r.overwritten,
                    episode,
                });
                env.game = new_game(i);
                env.reports = [IssueReport::default(); 2];
                env.start = true;
                return Ok((2.0 * score - 1.0, true));
            }
            if g.state.idle_units(g.seat).next().is_some() {
                return Ok((0.0, false));
            }
            let other = 1 - g.seat;
            let theirs = if partial {
                g.opponent.act(&g.state.observed_by(other), other)
            } else {
                g.opponent.act(&g.state, other)
            };
            let mut orders = [Vec::new(), Vec::new()];
            orders[other] = theirs;
            env.play(orders)?;
        }
    }

    /// Brings every environment to its first decision (call once before collecting).
    ///
    /// # Errors
    /// An engine failure.
    pub fn prime(
        &mut self,
        new_game: &mut dyn FnMut(usize) -> NewGame,
    ) -> Result<Vec<EpisodeEnd>, PpoError> {
        let mut ends = Vec::new();
        for i in 0..self.envs.len() {
            while self.advance(i, &mut ends, new_game)?.1 {}
        }
        Ok(ends)
    }

    fn observations(&self, policy: &Policy) -> Vec<Observation> {
        let n = policy.config().max_entities;
        (0..self.envs.len())
            .map(|i| observe(&self.view(i), self.envs[i].game.seat, n, self.max_cycles))
            .collect()
    }

    /// The core states and episode starts of every env, as the policy takes them.
    fn core_inputs(&self, policy: &Policy) -> Result<(LstmState, Tensor), PpoError> {
        let b = self.envs.len();
        let device = policy.device();
        let stack = |f: &dyn Fn(&Env) -> &Vec<f32>| -> Result<Tensor, PpoError> {
            let v: Vec<f32> = self
                .envs
                .iter()
                .flat_map(|e| f(e).iter().copied())
                .collect();
            Ok(Tensor::from_vec(v, (1, b, self.hidden), device)?)
        };
        let starts: Vec<u8> = self.envs.iter().map(|e| u8::from(e.start)).collect();
        Ok((
            LstmState {
                h: stack(&|e| &e.core.0)?,
                c: stack(&|e| &e.core.1)?,
            },
            Tensor::from_vec(starts, (b, 1), device)?,
        ))
    }

    /// Every environment's pending decision through one forward pass, from its core state.
    fn forward_pending(
        &self,
        policy: &Policy,
    ) -> Result<(Vec<Observation>, PolicyOutput), PpoError> {
        let obs = self.observations(policy);
        let refs: Vec<&Observation> = obs.iter().collect();
        let n = policy.config().max_entities;
        let batch = Batch::new(&refs, policy.shape(), n, policy.device())?;
        let (core, starts) = self.core_inputs(policy)?;
        let out = policy.forward(&batch, self.envs.len(), &starts, &core)?;
        Ok((obs, out))
    }

    /// `steps` decisions in every environment: one sequence per environment, plus the games
    /// that ended on the way. `shaped_weight` scales the shaped rewards (annealed by the
    /// caller).
    ///
    /// # Errors
    /// A network or engine failure.
    pub fn collect(
        &mut self,
        policy: &Policy,
        steps: usize,
        rewards: &RewardConfig,
        shaped_weight: f64,
        rng: &mut impl Rng,
        new_game: &mut dyn FnMut(usize) -> NewGame,
    ) -> Result<(Vec<Sequence>, Vec<EpisodeEnd>), PpoError> {
        let mut ends = Vec::new();
        let mut seqs: Vec<Sequence> = self
            .envs
            .iter()
            .map(|e| Sequence {
                initial: if e.start {
                    (vec![0.0; self.hidden], vec![0.0; self.hidden])
                } else {
                    e.core.clone()
                },
                steps: Vec::with_capacity(steps),
                bootstrap: 0.0,
            })
            .collect();
        for _ in 0..steps {
            let (obs, out) = self.forward_pending(policy)?;
            let logits = ItemLogits::split(&out)?;
            let values = out.value.to_vec1::<f32>()?;
            let h = out.state.h.flatten_all()?.to_vec1::<f32>()?;
            let c = out.state.c.flatten_all()?.to_vec1::<f32>()?;
            for (i, o) in obs.into_iter().enumerate() {
                let seat = self.envs[i].game.seat;
                let (mine, choices) = {
                    let view = self.view(i);
                    decide(&view, seat, &o, &logits[i], false, rng)
                };
                let mut reward = rewards.shaped_reward(&mine) * shaped_weight;
                let env = &mut self.envs[i];
                let start = std::mem::replace(&mut env.start, false);
                env.core = (
                    h[i * self.hidden..(i + 1) * self.hidden].to_vec(),
                    c[i * self.hidden..(i + 1) * self.hidden].to_vec(),
                );
                let g = &mut env.game;
                let other = 1 - seat;
                let theirs = if self.partial {
                    g.opponent.act(&g.state.observed_by(other), other)
                } else {
                    g.opponent.act(&g.state, other)
                };
                let mut orders = [Vec::new(), Vec::new()];
                orders[seat] = mine;
                orders[other] = theirs;
                env.play(orders)?;
                let (end_reward, done) = self.advance(i, &mut ends, new_game)?;
                reward += end_reward;
                seqs[i].steps.push(Step {
                    observation: o,
                    log_prob: choices.iter().map(|c| c.log_prob).sum(),
                    choices,
                    value: values[i],
                    reward: reward as f32,
                    start,
                    done,
                });
            }
        }
        // Values of the pending decisions, to bootstrap from (the state they produce is not
        // kept: the next collection recomputes it as it acts).
        let values = self.forward_pending(policy)?.1.value.to_vec1::<f32>()?;
        for (seq, v) in seqs.iter_mut().zip(values) {
            let ended = seq.steps.last().is_some_and(|s| s.done);
            seq.bootstrap = if ended { 0.0 } else { v };
        }
        Ok((seqs, ends))
    }
}
