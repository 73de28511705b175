//! The replay buffer: a sliding window of the last generations' self-play positions, sampled
//! uniformly with a random board symmetry, and saved one file per generation.
//!
//! Positions are stored as the network sees them (observation planes, legal mask) with their
//! targets, not as game states, so the buffer and its files need no game logic; a symmetry is a
//! pair of permutations (`ludus_core::Symmetry`) applied to planes, mask and policy alike.
//! Each generation's positions are written once, as `replay/gen-NNNNN.safetensors` (tensors
//! `observations` [N, C, H, W] f32, `legal` [N, A] u8, `policy` [N, A] f32, `value` [N] f32:
//! the final return for the player to move), so resuming reloads the window exactly and
//! Python reads it with `safetensors.numpy.load_file`.

use std::collections::{HashMap, VecDeque};
use std::path::Path;

use candle_core::{DType, Device, Tensor};
use ludus_core::{Game, Symmetry};
use rand::Rng;

use crate::error::io;
use crate::{GameRecord, TrainError};

/// The positions of one generation.
#[derive(Debug, Clone, PartialEq)]
pub struct Shard {
    /// The generation that played them.
    pub generation: usize,
    observations: Vec<f32>,
    legal: Vec<u8>,
    policy: Vec<f32>,
    value: Vec<f32>,
}

impl Shard {
    /// The positions of `games`. Each position's value target is its game's final return for
    /// the player to move, mixed with the search's root value by `root_value_weight`
    /// (`training.root_value_weight`: 0 keeps the outcome alone).
    pub fn from_games(generation: usize, games: &[GameRecord], root_value_weight: f32) -> Self {
        let mut shard = Shard {
            generation,
            observations: Vec::new(),
            legal: Vec::new(),
            policy: Vec::new(),
            value: Vec::new(),
        };
        for record in games {
            for step in &record.steps {
                shard.observations.extend_from_slice(&step.observation);
                shard.legal.extend(step.legal.iter().map(|&l| u8::from(l)));
                shard.policy.extend_from_slice(&step.search.policy);
                let outcome = record.returns[step.to_play];
                shard.value.push(
                    (1.0 - root_value_weight) * outcome
                        + root_value_weight * step.search.root_value,
                );
            }
        }
        shard
    }

    /// Number of positions.
    pub fn len(&self) -> usize {
        self.value.len()
    }

    /// Whether there are no positions.
    pub fn is_empty(&self) -> bool {
        self.value.is_empty()
    }

    /// Writes the shard atomically (a temporary file renamed into place).
    ///
    /// # Errors
    /// [`TrainError::Io`] or a tensor error.
    pub fn save(&self, path: &Path, shape: [usize; 3], actions: usize) -> Result<(), TrainError> {
        let n = self.len();
        let [c, h, w] = shape;
        let cpu = Device::Cpu;
        let tensors: HashMap<String, Tensor> = [
            (
                "observations",
                Tensor::from_slice(&self.observations, (n, c, h, w), &cpu)?,
            ),
            (
                "legal",
                Tensor::from_slice(&self.legal, (n, actions), &cpu)?,
            ),
            (
                "policy",
                Tensor::from_slice(&self.policy, (n, actions), &cpu)?,
            ),
            ("value", Tensor::from_slice(&self.value, n, &cpu)?),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let tmp = path.with_extension("safetensors.tmp");
        candle_core::safetensors::save(&tensors, &tmp)?;
        std::fs::File::open(&tmp)
            .and_then(|f| f.sync_all())
            .map_err(io(&tmp))?;
        std::fs::rename(&tmp, path).map_err(io(path))?;
        Ok(())
    }

    /// Reads a shard written by [`Shard::save`], checking its shapes against the game's.
    ///
    /// # Errors
    /// [`TrainError::Run`] naming the file when it is unreadable or of other shapes.
    pub fn load(
        path: &Path,
        generation: usize,
        shape: [usize; 3],
        actions: usize,
    ) -> Result<Self, TrainError> {
        let bad = |reason: String| TrainError::Run {
            path: path.to_path_buf(),
            reason,
        };
        let tensors = candle_core::safetensors::load(path, &Device::Cpu)
            .map_err(|e| bad(format!("unreadable replay file: {e}")))?;
        let get = |name: &str| {
            tensors
                .get(name)
                .ok_or_else(|| bad(format!("replay file lacks `{name}`")))
        };
        let value = get("value")?.to_vec1::<f32>()?;
        let n = value.len();
        let obs = get("observations")?;
        let [c, h, w] = shape;
        if obs.dims() != [n, c, h, w] || get("legal")?.dims() != [n, actions] {
            return Err(bad(format!(
                "replay file has shapes {:?}, expected [{n}, {c}, {h}, {w}]",
                obs.dims()
            )));
        }
        Ok(Shard {
            generation,
            observations: obs.flatten_all()?.to_vec1::<f32>()?,
            legal: get("legal")?.flatten_all()?.to_vec1::<u8>()?,
            policy: get("policy")?.flatten_all()?.to_vec1::<f32>()?,
            value,
        })
    }
}

/// The sliding window of shards.
#[derive(Debug, Clone)]
pub struct ReplayBuffer {
    window: usize,
    shape: [usize; 3],
    observation_len: usize,
    actions: usize,
    shards: VecDeque<Shard>,
}

/// One training batch, as tensors on the training device.
#[derive(Debug)]
pub struct Batch {
    /// [B, C, H, W] f32.
    pub observations: Tensor,
    /// [B, A] u8.
    pub legal: Tensor,
    /// [B, A] f32.
    pub policy: Tensor,
    /// [B] f32.
    pub value: Tensor,
}

impl ReplayBuffer {
    /// An empty buffer keeping the last `window` generations of `game`'s positions.
    pub fn new<G: Game>(game: &G, window: usize) -> Self {
        let [c, h, w] = game.observation_shape();
        ReplayBuffer {
            window: window.max(1),
            shape: [c, h, w],
            observation_len: c * h * w,
            actions: game.num_actions(),
            shards: VecDeque::new(),
        }
    }

    /// Adds a generation, dropping the oldest beyond the window.
    pub fn push(&mut self, shard: Shard) {
        self.shards.push_back(shard);
        while self.shards.len() > self.window {
            self.shards.pop_front();
        }
    }

    /// Positions held.
    pub fn len(&self) -> usize {
        self.shards.iter().map(Shard::len).sum()
    }

    /// Whether the buffer holds no position.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The generations held, oldest first.
    pub fn generations(&self) -> Vec<usize> {
        self.shards.iter().map(|s| s.generation).collect()
    }

    /// Samples `size` positions uniformly (with replacement), each under a uniformly chosen
    /// symmetry of `symmetries` (pass only the identity to disable augmentation).
    ///
    /// # Errors
    /// A tensor error; an empty buffer is a [`TrainError::Config`].
    pub fn sample<R: Rng>(
        &self,
        rng: &mut R,
        size: usize,
        symmetries: &[Symmetry],
        device: &Device,
    ) -> Result<Batch, TrainError> {
        let total = self.len();
        if total == 0 {
            return Err(TrainError::Config(
                "the replay buffer is empty: no self-play positions to train on".into(),
            ));
        }
        let (ol, a) = (self.observation_len, self.actions);
        let mut obs = vec![0f32; size * ol];
        let mut legal = vec![0u8; size * a];
        let mut policy = vec![0f32; size * a];
        let mut value = Vec::with_capacity(size);
        for i in 0..size {
            let mut k = rng.random_range(0..total);
            let shard = self
                .shards
                .iter()
                .find(|s| {
                    if k < s.len() {
                        true
                    } else {
                        k -= s.len();
                        false
                    }
                })
                .expect("k < total");
            let sym = &symmetries[rng.random_range(0..symmetries.len())];
            sym.map_observation(
                &shard.observations[k * ol..(k + 1) * ol],
                &mut obs[i * ol..(i + 1) * ol],
            );
            sym.map_policy(
                &shard.legal[k * a..(k + 1) * a],
                &mut legal[i * a..(i + 1) * a],
            );
            sym.map_policy(
                &shard.policy[k * a..(k + 1) * a],
                &mut policy[i * a..(i + 1) * a],
            );
            value.push(shard.value[k]);
        }
        let [c, h, w] = self.shape;
        Ok(Batch {
            observations: Tensor::from_vec(obs, (size, c, h, w), device)?,
            legal: Tensor::from_vec(legal, (size, a), device)?.to_dtype(DType::U8)?,
            policy: Tensor::from_vec(policy, (size, a), device)?,
            value: Tensor::from_vec(value, size, device)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Step;

    fn step(to_play: usize, root_value: f32) -> Step {
        Step {
            to_play,
            observation: vec![0.0; 2],
            legal: vec![true; 2],
            action: 0,
            search: ludus_core::SearchStats {
                visits: vec![1, 1],
                policy: vec![0.5; 2],
                q: vec![0.0; 2],
                root_value,
                network_value: Some(0.0),
                simulations: 2,
            },
        }
    }

    /// The value target is the outcome for the mover, moved towards the root value by the
    /// weight: player 0 won, so +1 for its steps and −1 for player 1's.
    #[test]
    fn value_targets_mix_outcome_and_root_value() {
        let game = GameRecord {
            index: 0,
            seed: 0,
            steps: vec![step(0, 0.2), step(1, -0.6)],
            returns: vec![1.0, -1.0],
        };
        let games = std::slice::from_ref(&game);
        assert_eq!(Shard::from_games(1, games, 0.0).value, vec![1.0, -1.0]);
        assert_eq!(Shard::from_games(1, games, 1.0).value, vec![0.2, -0.6]);
        let mixed = Shard::from_games(1, games, 0.25).value;
        for (got, want) in mixed.iter().zip([0.8, -0.9]) {
            assert!((got - want).abs() < 1e-6, "{mixed:?}");
        }
    }
}
