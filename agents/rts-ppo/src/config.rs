//! Everything a training run of the RTS agent is set by: one struct, one TOML file, with
//! defaults that suit an 8×8 map on a 2-core CPU.

use ludus_nn::train::{LrSchedule, OptimizerConfig};
use serde::{Deserialize, Serialize};

use crate::league::LeagueConfig;
use crate::policy::PolicyConfig;
use crate::ppo::PpoConfig;
use crate::rollout::RewardConfig;
use crate::PpoError;

/// The run's game: map, unit table, cycle limit, observability.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GameConfig {
    /// A microRTS map file or a generator spec (default `gen:8x8`, basesWorkers8x8's layout).
    pub map: String,
    /// Unit table version, 1 or 2 (default 2).
    pub utt: u8,
    /// Cycle limit (default: the competition's for the map size).
    pub max_cycles: Option<i32>,
    /// Each player sees only what its units see (default false).
    pub partial_observability: bool,
}

impl Default for GameConfig {
    fn default() -> Self {
        GameConfig {
            map: "gen:8x8".into(),
            utt: 2,
            max_cycles: None,
            partial_observability: false,
        }
    }
}

/// Experience collection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CollectConfig {
    /// Games played at once, in lockstep (default 16).
    pub games: usize,
    /// Decisions per game per update: the length of each training sequence (default 64).
    pub steps: usize,
    /// Share of the run over which the shaped rewards fade to nothing, leaving the result
    /// alone (default 0.5).
    pub shaped_until: f64,
    /// Log the learner's games that start during every this many updates to the run's episode
    /// dataset `episodes/training-v0` (default 10; 0 = none). Every game would be some
    /// hundred megabytes an hour of HDF5.
    pub episodes_every: u64,
}

impl Default for CollectConfig {
    fn default() -> Self {
        CollectConfig {
            games: 16,
            steps: 64,
            shaped_until: 0.5,
            episodes_every: 10,
        }
    }
}

/// Evaluation against fixed opponents during training.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EvalConfig {
    /// Evaluate every this many updates (default 25; 0 = never).
    pub every: u64,
    /// Games against each opponent, half from each seat (default 20).
    pub games: usize,
    /// Bots to evaluate against (default randombiased, workerrush, lightrush).
    pub opponents: Vec<String>,
}

impl Default for EvalConfig {
    fn default() -> Self {
        EvalConfig {
            every: 25,
            games: 20,
            opponents: ["randombiased", "workerrush", "lightrush"]
                .map(String::from)
                .to_vec(),
        }
    }
}

/// A whole run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RtsTrainConfig {
    /// Seed of every random choice (default 1).
    pub seed: u64,
    /// PPO updates in the run (default 1000).
    pub updates: u64,
    /// Save a checkpoint (weights, optimiser, league, counters) every this many updates
    /// (default 10): a run killed in between resumes from the last one.
    pub checkpoint_every: u64,
    pub game: GameConfig,
    pub collect: CollectConfig,
    pub policy: PolicyConfig,
    pub ppo: PpoConfig,
    pub rewards: RewardConfig,
    pub optimizer: OptimizerConfig,
    pub league: LeagueConfig,
    pub evaluation: EvalConfig,
}

impl Default for RtsTrainConfig {
    fn default() -> Self {
        RtsTrainConfig {
            seed: 1,
            updates: 1000,
            checkpoint_every: 10,
            game: GameConfig::default(),
            collect: CollectConfig::default(),
            policy: PolicyConfig::default(),
            ppo: PpoConfig::default(),
            rewards: RewardConfig::default(),
            optimizer: OptimizerConfig {
                lr: 3e-4,
                weight_decay: 0.0,
                max_grad_norm: Some(0.5),
                schedule: LrSchedule::Constant,
                ..OptimizerConfig::default()
            },
            league: LeagueConfig::default(),
            evaluation: EvalConfig::default(),
        }
    }
}

impl RtsTrainConfig {
    /// Checks every section, naming the first bad field.
    ///
    /// # Errors
    /// [`PpoError::Config`].
    pub fn validate(&self) -> Result<(), PpoError> {
        let bad = |m: String| Err(PpoError::Config(m));
        if self.updates == 0 {
            return bad("updates must be at least 1".into());
        }
        if self.checkpoint_every == 0 {
            return bad("checkpoint_every must be at least 1".into());
        }
        if !matches!(self.game.utt, 1 | 2) {
            return bad(format!("game.utt must be 1 or 2, not {}", self.game.utt));
        }
        if self.game.max_cycles.is_some_and(|c| c < 1) {
            return bad("game.max_cycles must be at least 1".into());
        }
        if self.collect.games == 0 || self.collect.steps == 0 {
            return bad("collect.games and collect.steps must be at least 1".into());
        }
        if !(0.0..=1.0).contains(&self.collect.shaped_until) {
            return bad("collect.shaped_until must be between 0 and 1".into());
        }
        if self.collect.games < self.ppo.minibatches {
            return bad(format!(
                "collect.games ({}) must be at least ppo.minibatches ({}): a minibatch holds whole games' sequences",
                self.collect.games, self.ppo.minibatches
            ));
        }
        if !(0.0..=1.0).contains(&self.league.self_play) {
            return bad("league.self_play must be between 0 and 1".into());
        }
        for bot in self.league.bots.iter().chain(&self.evaluation.opponents) {
            if ludus_rts::parse_bot(bot, 0).is_none() {
                return bad(format!(
                    "unknown bot `{bot}` (known: {})",
                    ludus_rts::BOT_NAMES
                ));
            }
        }
        self.policy.validate()?;
        self.ppo.validate()?;
        self.optimizer
            .validate()
            .map_err(|e| PpoError::Config(format!("optimizer: {e}")))
    }

    /// This config with `KEY=VALUE` overrides (dotted keys, e.g. `ppo.epochs=2`).
    ///
    /// # Errors
    /// [`PpoError::Config`] naming a bad key or value.
    pub fn with_overrides(&self, overrides: &[String]) -> Result<Self, PpoError> {
        let mut tree = toml::Value::try_from(self)
            .map_err(|e| PpoError::Config(format!("cannot represent the config: {e}")))?;
        ludus_core::overrides::apply_overrides(&mut tree, overrides).map_err(PpoError::Config)?;
        let text = toml::to_string(&tree).map_err(|e| PpoError::Config(e.to_string()))?;
        toml::from_str(&text).map_err(|e| {
            PpoError::Config(format!(
                "after --set {}: {}",
                overrides.join(" "),
                e.message()
            ))
        })
    }

    /// Reads a config from TOML; missing keys take their defaults.
    ///
    /// # Errors
    /// [`PpoError::Config`] naming the bad key or value.
    pub fn from_toml(text: &str) -> Result<Self, PpoError> {
        toml::from_str(text).map_err(|e| PpoError::Config(e.message().to_string()))
    }

    /// Shaped rewards' weight after `update` updates: 1 at the start, fading linearly to 0 at
    /// `shaped_until` of the run.
    pub fn shaped_weight(&self, update: u64) -> f64 {
        let end = self.collect.shaped_until * self.updates as f64;
        if end <= 0.0 {
            0.0
        } else {
            (1.0 - update as f64 / end).max(0.0)
        }
    }
}
