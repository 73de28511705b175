//! Every hyper-parameter of a training run, in one struct with documented defaults (CleanRL's
//! rule: what a run did is one visible table). A run directory's `config.toml` is this struct.

use ludus_nn::train::{LrSchedule, OptimizerConfig};
use ludus_nn::{Arch, MlpConfig, NetConfig, ResnetConfig, ValueHead};
use ludus_search::{Algorithm, SearchConfig};
use serde::{Deserialize, Serialize};

use crate::TrainError;

/// A whole training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainConfig {
    /// The game spec, as on the command line (`connect4`, `go:size=9`).
    pub game: String,
    /// Fixes every random choice on the CPU: initial weights, self-play, batch sampling.
    pub seed: u64,
    /// Generations to run; each is one round of self-play, then training, then evaluation.
    pub generations: usize,
    /// The network (`[net]`, see `ludus_nn::NetConfig`).
    pub net: NetConfig,
    /// The search used in self-play (`[search]`).
    pub search: SearchConfig,
    /// Self-play (`[selfplay]`).
    pub selfplay: SelfPlayConfig,
    /// The replay buffer (`[replay]`).
    pub replay: ReplayConfig,
    /// Gradient steps (`[training]`).
    pub training: TrainingConfig,
    /// AdamW (`[optimizer]`).
    pub optimizer: OptimizerConfig,
    /// Evaluation after each generation (`[evaluation]`).
    pub evaluation: EvaluationConfig,
}

/// Self-play settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SelfPlayConfig {
    /// Games per generation (default 128).
    pub games_per_generation: usize,
    /// Worker threads (default 1). Each plays its share of the games and evaluates the leaves
    /// of all of them in one network batch; on a CPU the network already uses every core, so
    /// one worker is fastest; on a GPU, 2–4 workers overlap search with inference.
    pub threads: usize,
    /// Games each worker plays at once, i.e. the network batch size (default 64).
    pub concurrent_games: usize,
    /// PUCT only: moves played with temperature 1 (sampled ∝ visits) before playing the most
    /// visited (default 8). Gumbel search explores by its own noise.
    pub temperature_moves: usize,
    /// Each game opens with `k` uniformly random moves (never one the search proved lost),
    /// `k` drawn uniformly from `0..=random_opening_plies` per game (default 0). The positions
    /// are still searched and trained on; only the move played is random. Once the policy
    /// is sharp, Gumbel noise and temperature alike replay a few openings over and over
    /// (Connect Four without it: 4 distinct 8-ply openings in 128 games by generation 130).
    pub random_opening_plies: usize,
    /// Log every self-play game, with its search statistics, to the run's episode dataset
    /// `episodes/selfplay-v0` (HDF5 that Minari and h5py open; default true).
    pub log_episodes: bool,
}

/// Replay buffer settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReplayConfig {
    /// Generations of self-play positions kept (default 8): old games by a weak network are
    /// dropped so targets track the current network.
    pub window_generations: usize,
    /// Train on a random symmetry of each sampled position (default true).
    pub augment: bool,
}

/// Gradient steps per generation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainingConfig {
    /// Positions per gradient step (default 256).
    pub batch_size: usize,
    /// AdamW steps per generation (default 100).
    pub steps_per_generation: usize,
    /// Weight of the value loss against the policy loss (default 1.0).
    pub value_weight: f64,
    /// Share of the search's root value in the value target, the rest being the game's
    /// outcome (default 0: AlphaZero's outcome alone). The outcome of one self-play game is a
    /// noisy label for the positions early in it (every later exploratory move changes it);
    /// the root value is a low-noise but biased one. Mixing them trades the two.
    pub root_value_weight: f32,
    /// Train while the generation's games are played (default true): the learner trains on
    /// the window so far on one thread while self-play, on another, plays the next games with
    /// the weights the generation started from. The games then come from weights one
    /// generation older, which AlphaZero-style learners tolerate (their actors always lag the
    /// learner); in exchange a generation takes the longer of self-play and training instead
    /// of their sum. The first generation of a run has no games to train on and only plays.
    pub overlap_selfplay: bool,
}

/// Evaluation settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EvaluationConfig {
    /// Evaluate every this many generations (default 1; 0 = never).
    pub every: usize,
    /// Opponents, as agent specs (default `random` and `mcts:sims=200`).
    pub opponents: Vec<String>,
    /// Games against each opponent, half in each seat (default 20).
    pub games: usize,
    /// Random moves that open each pair of evaluation games (default 0); both games of a pair
    /// start from the same opening with the seats swapped. Without them two deterministic
    /// agents play the same two games over and over.
    pub opening_plies: usize,
    /// Simulations per move of the trained agent when evaluated (default: the self-play
    /// search's). Its search runs without exploration noise.
    pub simulations: Option<usize>,
    /// The trained agent's search when evaluated and when it plays (`az:` agents): `puct`
    /// (default) or `gumbel`. Gumbel's sequential halving earns its keep as a self-play policy
    /// improvement at a few simulations; playing to win with hundreds, PUCT is stronger
    /// (a Connect Four network at 800 simulations: 21 % against 30 % mistakes on 200
    /// Beginning-Hard positions).
    pub algorithm: Algorithm,
    /// Gating (default off). When set, self-play uses the *best* weights, and each new
    /// generation plays `games` games against them; it becomes the best only with at least this
    /// score (the original AlphaGo Zero used 0.55). Off, self-play always uses the latest
    /// weights, as AlphaZero (2018) does, and `best` is the best-evaluated generation.
    pub gate: Option<f64>,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig::for_game("connect4")
    }
}

impl Default for SelfPlayConfig {
    fn default() -> Self {
        SelfPlayConfig {
            games_per_generation: 128,
            threads: 1,
            concurrent_games: 64,
            temperature_moves: 8,
            random_opening_plies: 0,
            log_episodes: true,
        }
    }
}

impl Default for ReplayConfig {
    fn default() -> Self {
        ReplayConfig {
            window_generations: 8,
            augment: true,
        }
    }
}

impl Default for TrainingConfig {
    fn default() -> Self {
        TrainingConfig {
            batch_size: 256,
            steps_per_generation: 100,
            value_weight: 1.0,
            root_value_weight: 0.0,
            overlap_selfplay: true,
        }
    }
}

impl Default for EvaluationConfig {
    fn default() -> Self {
        EvaluationConfig {
            every: 1,
            opponents: vec!["random".into(), "mcts:sims=200".into()],
            games: 20,
            opening_plies: 0,
            simulations: None,
            algorithm: Algorithm::Puct,
            gate: None,
        }
    }
}

impl TrainConfig {
    /// Defaults chosen to learn visibly on a 2-core CPU, per game (`name` is the game's
    /// registry name; unknown names get Connect Four's settings).
    pub fn for_game(name: &str) -> Self {
        let base = TrainConfig {
            game: name.to_string(),
            seed: 1,
            generations: 30,
            net: NetConfig::new(
                Arch::Resnet(ResnetConfig {
                    channels: 64,
                    blocks: 5,
                }),
                ValueHead::Wdl,
            ),
            search: SearchConfig {
                algorithm: Algorithm::Gumbel,
                simulations: 32,
                ..SearchConfig::default()
            },
            selfplay: SelfPlayConfig::default(),
            replay: ReplayConfig::default(),
            training: TrainingConfig::default(),
            optimizer: OptimizerConfig::default(),
            evaluation: EvaluationConfig::default(),
        };
        match name {
            // Tic-tac-toe is small enough that coverage decides: PUCT with strong root noise
            // and temperature on every move reaches positions far off the main lines, which
            // the judge (every reachable position) asks about.
            "tictactoe" => TrainConfig {
                generations: 40,
                net: NetConfig::new(
                    Arch::Mlp(MlpConfig {
                        hidden: 128,
                        layers: 2,
                    }),
                    ValueHead::Wdl,
                ),
                search: SearchConfig {
                    algorithm: Algorithm::Puct,
                    simulations: 64,
                    dirichlet_alpha: 1.0,
                    ..SearchConfig::default()
                },
                selfplay: SelfPlayConfig {
                    games_per_generation: 128,
                    temperature_moves: 9,
                    ..SelfPlayConfig::default()
                },
                training: TrainingConfig {
                    batch_size: 128,
                    steps_per_generation: 60,
                    ..TrainingConfig::default()
                },
                optimizer: OptimizerConfig {
                    lr: 3e-3,
                    schedule: LrSchedule::Cosine {
                        warmup: 60,
                        total: 40 * 60,
                        min_factor: 0.05,
                    },
                    ..OptimizerConfig::default()
                },
                evaluation: EvaluationConfig {
                    opponents: vec!["random".into(), "alphabeta".into()],
                    games: 100,
                    simulations: Some(200),
                    ..EvaluationConfig::default()
                },
                ..base
            },
            // Sized to under an hour on a 2-core CPU (48 minutes, about 10 s a generation, on
            // the development machine at 15,000 simulations/s: self-play and training side by
            // side, one core each, and an evaluation every fourth), with the learning rate
            // annealed over exactly that (170 generations reached 93 % against
            // mcts:sims=1000, 300 reach 97.5 %). Each position is trained on about three times
            // on average, not ten, to keep training as fast as self-play; half of each value
            // target is the search's root value, which is far less noisy than the outcome of
            // one exploratory game.
            "connect4" => TrainConfig {
                generations: 300,
                selfplay: SelfPlayConfig {
                    random_opening_plies: 4,
                    ..SelfPlayConfig::default()
                },
                training: TrainingConfig {
                    steps_per_generation: 60,
                    root_value_weight: 0.5,
                    ..TrainingConfig::default()
                },
                optimizer: OptimizerConfig {
                    lr: 2e-3,
                    schedule: LrSchedule::Cosine {
                        warmup: 60,
                        total: 300 * 60,
                        min_factor: 0.05,
                    },
                    ..OptimizerConfig::default()
                },
                net: NetConfig::new(
                    Arch::Resnet(ResnetConfig {
                        channels: 32,
                        blocks: 4,
                    }),
                    ValueHead::Wdl,
                ),
                evaluation: EvaluationConfig {
                    every: 4,
                    opponents: vec!["mcts:sims=200".into(), "alphabeta:depth=4".into()],
                    opening_plies: 2,
                    ..EvaluationConfig::default()
                },
                ..base
            },
            _ => base,
        }
    }

    /// Checks every section, naming the first bad field.
    ///
    /// # Errors
    /// [`TrainError::Config`].
    pub fn validate(&self) -> Result<(), TrainError> {
        let bad = |what: String| Err(TrainError::Config(what));
        if self.generations == 0 {
            return bad("generations must be at least 1".into());
        }
        self.net
            .validate()
            .map_err(|e| TrainError::Config(format!("net: {e}")))?;
        self.search
            .validate()
            .map_err(|e| TrainError::Config(e.to_string()))?;
        self.optimizer
            .validate()
            .map_err(|e| TrainError::Config(format!("optimizer: {e}")))?;
        if self.net.is_recurrent() {
            return bad("net.kind = \"lstm\" cannot be trained by AlphaZero self-play: search evaluates positions, not sequences; use mlp, resnet or transformer".into());
        }
        let sp = &self.selfplay;
        if sp.games_per_generation == 0 {
            return bad("selfplay.games_per_generation must be at least 1".into());
        }
        if sp.threads == 0 || sp.threads > 256 {
            return bad("selfplay.threads must be between 1 and 256".into());
        }
        if sp.concurrent_games == 0 || sp.concurrent_games > 65_536 {
            return bad("selfplay.concurrent_games must be between 1 and 65536".into());
        }
        if self.replay.window_generations == 0 {
            return bad("replay.window_generations must be at least 1".into());
        }
        let tr = &self.training;
        if tr.batch_size == 0 {
            return bad("training.batch_size must be at least 1".into());
        }
        if !(tr.value_weight.is_finite() && tr.value_weight >= 0.0) {
            return bad("training.value_weight must be a number ≥ 0".into());
        }
        if !(0.0..=1.0).contains(&tr.root_value_weight) {
            return bad(format!(
                "training.root_value_weight must be between 0 and 1, not {}",
                tr.root_value_weight
            ));
        }
        if let Some(g) = self.evaluation.gate {
            if !(g.is_finite() && g > 0.0 && g <= 1.0) {
                return bad("evaluation.gate must be a score in (0, 1], e.g. 0.55".into());
            }
            if self.evaluation.games == 0 {
                return bad("evaluation.gate needs evaluation.games ≥ 1".into());
            }
        }
        if self.evaluation.simulations == Some(0) {
            return bad("evaluation.simulations must be at least 1".into());
        }
        Ok(())
    }

    /// Applies `key=value` overrides (`search.simulations=64`, `net.kind="mlp"`): the value is
    /// read as TOML (a bare word is taken as a string) and set at the dotted path, then the
    /// whole config is read back, so a mistyped key or a value of the wrong type is an error
    /// that names it.
    ///
    /// # Errors
    /// [`TrainError::Config`].
    pub fn with_overrides(&self, overrides: &[String]) -> Result<TrainConfig, TrainError> {
        let mut table = toml::Value::try_from(self)
            .map_err(|e| TrainError::Config(format!("cannot represent the config: {e}")))?;
        ludus_core::overrides::apply_overrides(&mut table, overrides)
            .map_err(TrainError::Config)?;
        let text = toml::to_string(&table)
            .map_err(|e| TrainError::Config(format!("cannot represent the config: {e}")))?;
        let mut config: TrainConfig = toml::from_str(&text).map_err(|e| {
            TrainError::Config(format!(
                "after --set {}: {}",
                overrides.join(" "),
                e.message()
            ))
        })?;
        let schedule_set = overrides
            .iter()
            .any(|o| o.trim_start().starts_with("optimizer.schedule"));
        if !schedule_set {
            config.stretch_schedule_from(self);
        }
        Ok(config)
    }

    /// The config as TOML, as written to a run's `config.toml`.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("a TrainConfig is always representable in TOML")
    }

    /// Reads a config from TOML text; missing fields take their defaults for the game named in
    /// the text (or Connect Four's).
    ///
    /// # Errors
    /// [`TrainError::Config`] naming the bad key or value.
    pub fn from_toml(text: &str) -> Result<TrainConfig, TrainError> {
        let value: toml::Value = toml::from_str(text)
            .map_err(|e| TrainError::Config(format!("invalid TOML: {}", e.message())))?;
        let game = value
            .get("game")
            .and_then(|g| g.as_str())
            .unwrap_or("connect4")
            .to_string();
        let name = game.split(':').next().unwrap_or("").to_string();
        let preset = TrainConfig::for_game(&name);
        let schedule_set = value
            .get("optimizer")
            .and_then(|o| o.get("schedule"))
            .is_some();
        let mut base =
            toml::Value::try_from(&preset).map_err(|e| TrainError::Config(e.to_string()))?;
        merge(&mut base, value);
        let text = toml::to_string(&base).map_err(|e| TrainError::Config(e.to_string()))?;
        let mut config: TrainConfig =
            toml::from_str(&text).map_err(|e| TrainError::Config(e.message().to_string()))?;
        if !schedule_set {
            config.stretch_schedule_from(&preset);
        }
        Ok(config)
    }

    /// A cosine schedule that spanned `before`'s whole run (its generations × steps) spans this
    /// config's run instead, so that `generations = 200` alone does not leave the learning rate
    /// at its floor for most of the run.
    fn stretch_schedule_from(&mut self, before: &TrainConfig) {
        let run_steps = |c: &TrainConfig| (c.generations * c.training.steps_per_generation) as u64;
        let after = run_steps(self);
        if let LrSchedule::Cosine { warmup, total, .. } = &mut self.optimizer.schedule {
            if *total == run_steps(before) {
                *total = after.max(*warmup + 1);
            }
        }
    }
}

/// Overlays `top` on `base`, table by table (a `[net]` table replaces the whole net, since
/// its fields depend on its `kind`).
fn merge(base: &mut toml::Value, top: toml::Value) {
    match (base, top) {
        (toml::Value::Table(b), toml::Value::Table(t)) => {
            for (k, v) in t {
                match b.get_mut(&k) {
                    Some(slot) if k != "net" && slot.is_table() && v.is_table() => merge(slot, v),
                    _ => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, t) => *b = t,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_round_trip_through_toml_and_validate() {
        for game in ["tictactoe", "connect4", "othello", "go"] {
            let config = TrainConfig::for_game(game);
            config.validate().unwrap();
            let text = config.to_toml();
            assert_eq!(TrainConfig::from_toml(&text).unwrap(), config);
            // Floats read as written, not as their binary expansion.
            assert!(text.contains("dirichlet_alpha = "), "{text}");
            assert!(!text.contains("00000119"), "{text}");
        }
    }

    #[test]
    fn overrides_set_nested_values_and_reject_typos() {
        let config = TrainConfig::for_game("tictactoe");
        let changed = config
            .with_overrides(&[
                "search.simulations=64".into(),
                "search.algorithm=puct".into(),
                "seed = 9".into(),
            ])
            .unwrap();
        assert_eq!(changed.search.simulations, 64);
        assert_eq!(changed.search.algorithm, Algorithm::Puct);
        assert_eq!(changed.seed, 9);
        let err = config
            .with_overrides(&["search.simulatons=3".into()])
            .unwrap_err();
        assert!(err.to_string().contains("simulatons"), "{err}");
        let err = config.with_overrides(&["seed".into()]).unwrap_err();
        assert!(err.to_string().contains("KEY=VALUE"));
        let err = config
            .with_overrides(&["training.batch_size=\"big\"".into()])
            .unwrap_err();
        assert!(err.to_string().contains("batch_size"), "{err}");
    }

    /// The preset's cosine schedule spans the run; changing the run's length stretches it,
    /// unless the schedule is set too.
    #[test]
    fn the_learning_rate_schedule_follows_the_run_length() {
        let total = |c: &TrainConfig| match c.optimizer.schedule {
            LrSchedule::Cosine { total, .. } => total,
            _ => panic!("the preset has a cosine schedule"),
        };
        let preset = TrainConfig::for_game("connect4");
        assert_eq!(total(&preset), 300 * 60);
        let longer = preset.with_overrides(&["generations=200".into()]).unwrap();
        assert_eq!(total(&longer), 200 * 60);
        let fewer_steps = preset
            .with_overrides(&["training.steps_per_generation=10".into()])
            .unwrap();
        assert_eq!(total(&fewer_steps), 300 * 10);
        let pinned = preset
            .with_overrides(&[
                "generations=200".into(),
                "optimizer.schedule.total=1000".into(),
            ])
            .unwrap();
        assert_eq!(total(&pinned), 1000);
        let from_file = TrainConfig::from_toml("game = \"connect4\"\ngenerations = 10\n").unwrap();
        assert_eq!(total(&from_file), 10 * 60);
        // A one-generation run still has a valid schedule (longer than its warm-up).
        let one = preset.with_overrides(&["generations=1".into()]).unwrap();
        one.validate().unwrap();
    }

    #[test]
    fn a_partial_file_takes_the_games_defaults() {
        let config =
            TrainConfig::from_toml("game = \"tictactoe\"\n[search]\nsimulations = 8\n").unwrap();
        assert_eq!(config.search.simulations, 8);
        let defaults = TrainConfig::for_game("tictactoe");
        assert_eq!(config.search.algorithm, defaults.search.algorithm);
        assert_eq!(config.net, TrainConfig::for_game("tictactoe").net);
        assert!(TrainConfig::from_toml("generations = 0")
            .unwrap()
            .validate()
            .is_err());
        assert!(TrainConfig::from_toml("[selfplay]\ngames = 3").is_err());
    }
}
