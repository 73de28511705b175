//! The AlphaZero training loop and its run directory.
//!
//! One generation, top to bottom ([`Trainer::generation`]):
//! 1. **Self-play**: `games_per_generation` games with the weights the generation starts from
//!    ([`play_games`], on a snapshot of them).
//! 2. **Replay**: their positions become one shard, saved to `replay/`, added to the window;
//!    the games themselves go to the episode log (on its own thread).
//! 3. **Training**: `steps_per_generation` AdamW steps on batches sampled from the window, each
//!    position under a random board symmetry. With `training.overlap_selfplay` (the default)
//!    this runs beside step 1 on its own thread, on the window as it was before this
//!    generation's games, so the two steps take the time of the longer one.
//!
//! Self-play and the learner meet only there: games in (a shard), weights out (a snapshot).
//! Both are functions of their inputs and of `(seed, generation)`, so the overlapped run is
//! as reproducible as the sequential one, and a networked transport between separate actor and
//! learner processes could take the place of the thread without changing either side.
//! 4. **Checkpoint**: weights and optimiser state for this generation.
//! 5. **Evaluation**: matches against the configured opponents and the previous generation, and
//!    the share of optimal moves where the caller supplied labelled positions.
//! 6. **Commit**: the episode log's shard for this generation published, one row appended to
//!    `metrics.csv`, then `state.json` rewritten atomically.
//!
//! `state.json` is the commit point. A run killed at any moment (Ctrl-C, `kill -9`, power loss)
//! resumes from the last committed generation: files a later, unfinished generation left
//! behind (its replay shard, checkpoint, metrics row) are removed, and that generation is
//! played again. Every random choice derives from `(seed, generation)`, so the replayed
//! generation is the one the interrupted run would have played, and a resumed run ends with the
//! same weights as an uninterrupted one (on a CPU). The episode log names each generation's
//! shard, so a generation played again replaces its games there instead of adding them twice.
//!
//! ```text
//! runs/NAME/
//!   config.toml                      the resolved configuration
//!   state.json                       the last committed generation and the counters
//!   metrics.csv                      one row per generation
//!   checkpoints/gen-NNNNN.{safetensors,json}   weights (+ .optimizer.safetensors)
//!   checkpoints/latest.*, best.*     copies of the newest and the best-evaluated weights
//!   replay/gen-NNNNN.safetensors     self-play positions of each generation in the window
//!   plots/progress.{png,svg}         losses and strength over time
//!   episodes/selfplay-v0/            every self-play game (Minari's HDF5 layout, see ludus-episodes)
//! ```

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use candle_core::Device;
use ludus_core::{derive_seed, seeded_rng, AgentError, Game, Symmetry};
use ludus_nn::checkpoint::{checkpoint_files, load_checkpoint, save_checkpoint};
use ludus_nn::train::{policy_value_loss, Optimizer};
use ludus_nn::{NetShape, Network};
use ludus_search::SearchConfig;
use serde::{Deserialize, Serialize};

use crate::error::io;
use crate::evaluate::{
    network_optimal_share, optimal_move_share_batched, play_match_batched, Labelled, Opponent, Side,
};
use crate::{
    play_games, GameRecord, NetEvaluator, ReplayBuffer, SelfPlayStats, Shard, TrainConfig,
    TrainError,
};
use ludus_core::GameState;
use ludus_episodes::{DatasetInfo, DatasetWriter, EpisodeRecorder, WriterOptions};

const STATE_FORMAT: &str = "ludus-run";
const STATE_VERSION: u32 = 1;

/// The counters of a run, as committed in `state.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunState {
    /// Always `ludus-run`.
    pub format: String,
    /// Layout version of the run directory.
    pub format_version: u32,
    /// Generations completed.
    pub generation: usize,
    /// Self-play games and positions so far.
    pub games: u64,
    /// See [`RunState::games`].
    pub positions: u64,
    /// Optimiser steps so far.
    pub train_steps: u64,
    /// Wall-clock seconds spent in generations (not counting time while stopped).
    pub elapsed_seconds: f64,
    /// The generation whose weights are `checkpoints/best`, and its evaluation score.
    pub best_generation: usize,
    /// See [`RunState::best_generation`].
    pub best_score: Option<f64>,
}

/// What the trainer reports while it runs (the CLI draws progress bars from it). Called from
/// worker threads, hence `Sync` and `&self`.
pub trait Observer: Sync {
    /// A generation starts.
    fn generation_started(&self, _generation: usize, _of: usize) {}
    /// `done` of `total` self-play games are finished.
    fn selfplay_progress(&self, _done: usize, _total: usize) {}
    /// `done` of `total` training steps are taken.
    fn training_progress(&self, _done: usize, _total: usize) {}
    /// Evaluation matches start.
    fn evaluating(&self) {}
    /// A generation is committed, with its metrics row (column → value).
    fn generation_done(&self, _row: &Metrics) {}
}

/// An observer that reports nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;
impl Observer for Silent {}

/// One generation's `metrics.csv` row, in column order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metrics {
    /// `(column, value)`; `None` for a value not measured this generation.
    pub values: Vec<(String, Option<f64>)>,
}

impl Metrics {
    fn set(&mut self, key: &str, value: impl Into<Option<f64>>) {
        self.values.push((key.to_string(), value.into()));
    }

    /// The value of `column`, if measured.
    pub fn get(&self, column: &str) -> Option<f64> {
        self.values
            .iter()
            .find(|(k, _)| k == column)
            .and_then(|(_, v)| *v)
    }
}

/// What the trainer needs besides the config: where to run, and how to judge strength.
pub struct TrainSetup<G: Game> {
    /// The device for self-play and training.
    pub device: Device,
    /// Evaluation opponents, matching `config.evaluation.opponents` by name.
    pub opponents: Vec<Opponent<G>>,
    /// Positions with known optimal moves (Connect Four's solver-labelled set, all of
    /// tic-tac-toe); `None` where none exist.
    pub labelled: Option<Vec<Labelled<G>>>,
}

impl<G: Game> std::fmt::Debug for TrainSetup<G> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrainSetup")
            .field("device", &self.device)
            .field("opponents", &self.opponents)
            .field("labelled", &self.labelled.as_ref().map(Vec::len))
            .finish()
    }
}

/// A training run in a run directory.
pub struct Trainer<G: Game> {
    game: G,
    config: TrainConfig,
    dir: PathBuf,
    setup: TrainSetup<G>,
    net: Network,
    optimizer: Optimizer,
    replay: ReplayBuffer,
    state: RunState,
    /// The previous generation's frozen weights, the "previous checkpoint" opponent.
    previous: Option<Network>,
    /// With gating: the best weights, which self-play uses.
    gate_best: Option<Network>,
    /// The self-play episode log (`selfplay.log_episodes`).
    episodes: Option<DatasetWriter>,
}

impl<G: Game> std::fmt::Debug for Trainer<G> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trainer")
            .field("dir", &self.dir)
            .field("state", &self.state)
            .finish()
    }
}

impl<G: Game> Trainer<G> {
    /// Starts a new run in `dir` (created; it must not hold a run already).
    ///
    /// # Errors
    /// A bad config, an existing run, or a file that cannot be written.
    pub fn create(
        game: G,
        config: TrainConfig,
        dir: &Path,
        setup: TrainSetup<G>,
    ) -> Result<Self, TrainError> {
        config.validate()?;
        if dir.join("state.json").exists() || dir.join("config.toml").exists() {
            return Err(TrainError::Run {
                path: dir.to_path_buf(),
                reason: "already holds a run; continue it with `--resume`, or choose another \
                         `--name`"
                    .into(),
            });
        }
        for sub in ["checkpoints", "replay", "plots"] {
            fs::create_dir_all(dir.join(sub)).map_err(io(dir.join(sub)))?;
        }
        write_atomic(&dir.join("config.toml"), config.to_toml().as_bytes())?;
        let net = Network::new(
            &config.net,
            &NetShape::of(&game),
            &setup.device,
            derive_seed(config.seed, 0),
        )?;
        let optimizer = Optimizer::new(&net, config.optimizer.clone())?;
        let state = RunState {
            format: STATE_FORMAT.into(),
            format_version: STATE_VERSION,
            generation: 0,
            games: 0,
            positions: 0,
            train_steps: 0,
            elapsed_seconds: 0.0,
            best_generation: 0,
            best_score: None,
        };
        let mut trainer = Trainer {
            replay: ReplayBuffer::new(&game, config.replay.window_generations),
            game,
            config,
            dir: dir.to_path_buf(),
            setup,
            net,
            optimizer,
            state,
            previous: None,
            gate_best: None,
            episodes: None,
        };
        trainer.episodes = trainer.open_episode_log()?;
        trainer.save_weights(0)?;
        if trainer.config.evaluation.gate.is_some() {
            trainer.gate_best = Some(trainer.net.inference_copy()?);
            copy_checkpoint(&checkpoint_path(dir, 0), &dir.join("checkpoints/best"))?;
        }
        trainer.write_metrics_header()?;
        trainer.commit()?;
        Ok(trainer)
    }

    /// Reopens the run in `dir` at its last committed generation. `config` is the config the
    /// caller wants (from `--config`/`--set`); when it differs from the run's own it is refused
    /// unless `accept_changes`, since a silently changed run would not be the run its files
    /// describe.
    ///
    /// # Errors
    /// A missing or damaged run, a config change without `accept_changes`, or I/O.
    pub fn resume(
        game: G,
        dir: &Path,
        config: Option<TrainConfig>,
        accept_changes: bool,
        setup: TrainSetup<G>,
    ) -> Result<Self, TrainError> {
        let run_err = |reason: String| TrainError::Run {
            path: dir.to_path_buf(),
            reason,
        };
        let text = fs::read_to_string(dir.join("state.json")).map_err(|e| {
            run_err(format!(
                "no state.json ({e}): not a run directory, or it was never started"
            ))
        })?;
        let state: RunState = serde_json::from_str(&text)
            .map_err(|e| run_err(format!("state.json is damaged: {e}")))?;
        if state.format != STATE_FORMAT || state.format_version != STATE_VERSION {
            return Err(run_err(format!(
                "state.json has format {} version {}, this build reads {STATE_FORMAT} version \
                 {STATE_VERSION}",
                state.format, state.format_version
            )));
        }
        let saved_text =
            fs::read_to_string(dir.join("config.toml")).map_err(io(dir.join("config.toml")))?;
        let saved = TrainConfig::from_toml(&saved_text)?;
        let config = match config {
            Some(wanted) if wanted != saved => {
                if !accept_changes {
                    return Err(run_err(format!(
                        "the requested config differs from the run's ({}); resume without \
                         --config/--set, or add --accept-config-change to continue with it",
                        describe_changes(&saved, &wanted)
                    )));
                }
                wanted.validate()?;
                write_atomic(&dir.join("config.toml"), wanted.to_toml().as_bytes())?;
                wanted
            }
            _ => saved,
        };
        let g = state.generation;
        let (net, _) = load_checkpoint(
            &checkpoint_path(dir, g),
            &game,
            Some(&config.net),
            &setup.device,
            true,
        )?;
        let mut optimizer = Optimizer::new(&net, config.optimizer.clone())?;
        let opt_path = optimizer_path(dir, g);
        if opt_path.exists() {
            let tensors = candle_core::safetensors::load(&opt_path, &setup.device)?;
            optimizer.load_state(&tensors)?;
        }
        let previous = if g >= 1 {
            Some(
                load_checkpoint(
                    &checkpoint_path(dir, g - 1),
                    &game,
                    Some(&config.net),
                    &setup.device,
                    false,
                )?
                .0,
            )
        } else {
            None
        };
        // Remove what an unfinished generation left behind, and point `latest` and `best` at
        // the committed generations again (an interrupted generation may have moved them).
        remove_generations_after(dir, g)?;
        truncate_metrics(&dir.join("metrics.csv"), g)?;
        copy_checkpoint(&checkpoint_path(dir, g), &dir.join("checkpoints/latest"))?;
        if state.best_score.is_some() || config.evaluation.gate.is_some() {
            copy_checkpoint(
                &checkpoint_path(dir, state.best_generation),
                &dir.join("checkpoints/best"),
            )?;
        }
        let mut replay = ReplayBuffer::new(&game, config.replay.window_generations);
        let [c, h, w] = game.observation_shape();
        let first = g
            .saturating_sub(config.replay.window_generations - 1)
            .max(1);
        for gen in first..=g {
            let path = replay_path(dir, gen);
            if path.exists() {
                replay.push(Shard::load(&path, gen, [c, h, w], game.num_actions())?);
            }
        }
        let gate_best = if config.evaluation.gate.is_some() {
            let best = checkpoint_path(dir, state.best_generation);
            Some(load_checkpoint(&best, &game, Some(&config.net), &setup.device, false)?.0)
        } else {
            None
        };
        let mut trainer = Trainer {
            game,
            config,
            dir: dir.to_path_buf(),
            setup,
            net,
            optimizer,
            replay,
            state,
            previous,
            gate_best,
            episodes: None,
        };
        trainer.episodes = trainer.open_episode_log()?;
        Ok(trainer)
    }

    /// The run's self-play dataset, `episodes/selfplay-v0` (when `selfplay.log_episodes`).
    fn open_episode_log(&self) -> Result<Option<DatasetWriter>, TrainError> {
        if !self.config.selfplay.log_episodes {
            return Ok(None);
        }
        let run = self
            .dir
            .file_name()
            .map_or("run".into(), |n| n.to_string_lossy().to_string());
        let info = DatasetInfo {
            dataset_id: "selfplay-v0".into(),
            game: self.config.game.clone(),
            observation_shape: self.game.observation_shape(),
            num_actions: self.game.num_actions(),
            num_players: self.game.num_players(),
            description: format!(
                "AlphaZero self-play games of run {run}, with each move's search statistics"
            ),
            extra: serde_json::Map::from_iter([
                ("run".to_string(), serde_json::json!(run)),
                ("source".to_string(), serde_json::json!("ludus train")),
            ]),
            ticks: None,
        };
        let dir = self.dir.join("episodes").join("selfplay-v0");
        Ok(Some(DatasetWriter::create(
            &dir,
            info,
            WriterOptions::default(),
        )?))
    }

    /// Hands generation `g`'s games to the episode log (written on its thread; published at
    /// the commit). Both seats played the weights of generation `g − 1`.
    fn log_games(&self, g: usize, records: &[GameRecord]) -> Result<(), TrainError> {
        let Some(writer) = &self.episodes else {
            return Ok(());
        };
        writer.begin_shard(&format!("gen-{g:05}"))?;
        let run = self.dir.display().to_string();
        let player = format!("az:{run}@{}", g - 1);
        let search = serde_json::json!({
            "algorithm": self.config.search.algorithm,
            "simulations": self.config.search.simulations,
        });
        for record in records {
            let mut recorder = EpisodeRecorder::new(
                &self.game,
                vec![player.clone(); self.game.num_players()],
                Some(record.seed),
            );
            recorder.set_attribute("generation", serde_json::json!(g));
            recorder.set_attribute("game_index", serde_json::json!(record.index));
            recorder.set_attribute("search", search.clone());
            let mut state = self.game.initial_state();
            for step in &record.steps {
                recorder.record(&state, step.action, Some(step.search.clone()));
                state.apply_unchecked(step.action);
            }
            writer.write(recorder.finish(&state, None))?;
        }
        Ok(())
    }

    /// The run's configuration.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// The run directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The committed counters.
    pub fn state(&self) -> &RunState {
        &self.state
    }

    /// The network being trained.
    pub fn network(&self) -> &Network {
        &self.net
    }

    /// The replay buffer.
    pub fn replay(&self) -> &ReplayBuffer {
        &self.replay
    }

    /// Runs generations until `config.generations` are done, or `limit` more have run, or
    /// (checked before each generation) `deadline` has passed.
    ///
    /// # Errors
    /// The first failure; everything committed before it stays valid.
    pub fn run(&mut self, observer: &dyn Observer, limit: Option<usize>) -> Result<(), TrainError> {
        self.run_until(observer, limit, None)
    }

    /// [`Trainer::run`] with a wall-clock deadline.
    ///
    /// # Errors
    /// As [`Trainer::run`].
    pub fn run_until(
        &mut self,
        observer: &dyn Observer,
        limit: Option<usize>,
        deadline: Option<Instant>,
    ) -> Result<(), TrainError> {
        let mut ran = 0;
        while self.state.generation < self.config.generations
            && limit.is_none_or(|l| ran < l)
            && deadline.is_none_or(|d| Instant::now() < d)
        {
            self.generation(observer)?;
            ran += 1;
        }
        Ok(())
    }

    /// One generation, as the module docs list it.
    ///
    /// # Errors
    /// Self-play, training, evaluation or I/O failures.
    pub fn generation(&mut self, observer: &dyn Observer) -> Result<Metrics, TrainError> {
        let started = Instant::now();
        let g = self.state.generation + 1;
        observer.generation_started(g, self.config.generations);
        let mut m = Metrics::default();

        // 1. Self-play with the weights the generation starts from (the best ones, when
        //    gating), side by side with 3. training when `training.overlap_selfplay` (see its
        //    docs); the players get a copy, as the learner updates its weights in place.
        let total = self.config.selfplay.games_per_generation;
        let player = match &self.gate_best {
            Some(best) => best.clone(),
            None => self.net.inference_copy()?,
        };
        let (game, search, sp_config) = (
            self.game.clone(),
            self.config.search.clone(),
            self.config.selfplay.clone(),
        );
        let seed = derive_seed(self.config.seed, 1_000_000 + g as u64);
        let selfplay = || {
            play_games(&game, &player, &search, &sp_config, total, seed, &|done| {
                observer.selfplay_progress(done, total)
            })
        };
        let overlap = self.config.training.overlap_selfplay;
        let ((records, sp), losses, train_time) = if overlap {
            std::thread::scope(|scope| -> Result<_, TrainError> {
                let players = scope.spawn(selfplay);
                let train_started = Instant::now();
                let losses = self.train(g, observer);
                let train_time = train_started.elapsed();
                let games = players.join().expect("the self-play thread panicked");
                Ok((games?, losses?, train_time))
            })?
        } else {
            (selfplay()?, TrainLosses::default(), Duration::ZERO)
        };

        // 2. Replay: save this generation's positions, slide the window.
        let shard = Shard::from_games(g, &records, self.config.training.root_value_weight);
        shard.save(
            &replay_path(&self.dir, g),
            self.game.observation_shape(),
            self.game.num_actions(),
        )?;
        self.replay.push(shard);
        self.log_games(g, &records)?;

        // 3. Training (already done, beside self-play, when overlapping).
        let (losses, train_time) = if overlap {
            (losses, train_time)
        } else {
            let train_started = Instant::now();
            (self.train(g, observer)?, train_started.elapsed())
        };

        // 4. Checkpoint.
        self.save_weights(g)?;

        // 5. Evaluation, and the gate.
        let eval_started = Instant::now();
        let evaluation = self.evaluate(g, observer)?;
        let gate_score = self.gate(g)?;
        let eval_time = eval_started.elapsed();

        // 6. Episodes, metrics, best, commit.
        if let Some(writer) = &self.episodes {
            writer.publish()?;
        }
        self.state.generation = g;
        self.state.games += sp.games as u64;
        self.state.positions += sp.positions as u64;
        self.state.elapsed_seconds += started.elapsed().as_secs_f64();
        fill_metrics(
            &mut m,
            &self.state,
            &sp,
            self.replay.len(),
            &losses,
            train_time,
            eval_time,
        );
        let strength = evaluation.strength();
        for (name, score) in &evaluation.scores {
            m.set(&format!("score_vs_{name}"), *score);
        }
        m.set("score_vs_previous", evaluation.previous);
        m.set("optimal_share", evaluation.optimal_share);
        m.set("network_optimal_share", evaluation.network_optimal_share);
        if self.config.evaluation.gate.is_some() {
            m.set("score_vs_best", gate_score);
        } else if let Some(s) = strength {
            if self.state.best_score.is_none_or(|b| s >= b) {
                self.set_best(g, s)?;
            }
        }
        self.append_metrics(&m)?;
        self.previous = Some(self.net.inference_copy()?);
        self.commit()?;
        self.prune_optimizer_states(g)?;
        crate::plots::write_progress(&self.dir).ok();
        observer.generation_done(&m);
        Ok(m)
    }

    /// The evaluation search for games and positions searched in lockstep (one forward pass
    /// per round across all of them, so one leaf per tree).
    fn batched_search(&self) -> SearchConfig {
        SearchConfig {
            leaves_per_batch: 1,
            ..evaluation_search(&self.config)
        }
    }

    /// `net` with the batched evaluation search, as one side of a match.
    fn search_side(&self, net: &Network) -> Result<Side<'static, G>, TrainError> {
        Ok(Side::Search {
            evaluator: Box::new(NetEvaluator::new(self.game.clone(), net)?),
            config: self.batched_search(),
        })
    }

    /// Makes generation `g` (with `score`) the best and copies its checkpoint to `best`.
    fn set_best(&mut self, g: usize, score: f64) -> Result<(), TrainError> {
        self.state.best_generation = g;
        self.state.best_score = Some(score);
        copy_checkpoint(
            &checkpoint_path(&self.dir, g),
            &self.dir.join("checkpoints/best"),
        )
    }

    /// With gating: the new weights against the best; they replace the best (for self-play
    /// and `checkpoints/best`) when they score at least `evaluation.gate`.
    fn gate(&mut self, g: usize) -> Result<Option<f64>, TrainError> {
        let (Some(threshold), Some(best)) = (self.config.evaluation.gate, &self.gate_best) else {
            return Ok(None);
        };
        let side = |net: &Network| self.search_side(net);
        let score = play_match_batched(
            &self.game,
            &mut side(&self.net)?,
            &mut side(best)?,
            self.config.evaluation.games,
            self.config.evaluation.opening_plies,
            derive_seed(self.config.seed, 4_000_000 + g as u64),
        )
        .map_err(|e| TrainError::Config(format!("gating: {e}")))?
        .score();
        if score >= threshold {
            self.gate_best = Some(self.net.inference_copy()?);
            self.set_best(g, score)?;
        }
        Ok(Some(score))
    }

    /// Step 3: AdamW steps on batches from the window (none while it is empty: the first
    /// generation of an overlapped run).
    fn train(&mut self, g: usize, observer: &dyn Observer) -> Result<TrainLosses, TrainError> {
        if self.replay.is_empty() {
            return Ok(TrainLosses::default());
        }
        let steps = self.config.training.steps_per_generation;
        let symmetries = if self.config.replay.augment {
            self.game.symmetries()
        } else {
            vec![Symmetry::identity(
                self.game.observation_shape()[1] * self.game.observation_shape()[2],
                self.game.num_actions(),
            )]
        };
        let mut rng = seeded_rng(derive_seed(self.config.seed, 2_000_000 + g as u64));
        let mut sums = TrainLosses::default();
        for step in 0..steps {
            let batch = self.replay.sample(
                &mut rng,
                self.config.training.batch_size,
                &symmetries,
                &self.setup.device,
            )?;
            let out = self
                .net
                .forward_t(&batch.observations, &batch.legal, true)?;
            let loss = policy_value_loss(
                &out,
                &batch.policy,
                &batch.value,
                self.config.training.value_weight,
            )?;
            let stats = self.optimizer.backward_step(&loss.total)?;
            let p = out.policy()?;
            let entropy = (p.clone() * p.clamp(1e-12f32, 1.0)?.log()?)?
                .sum(1)?
                .mean_all()?
                .neg()?
                .to_scalar::<f32>()?;
            sums.add(
                loss.total.to_scalar::<f32>()? as f64,
                loss.policy as f64,
                loss.value as f64,
                entropy as f64,
                stats.lr,
                stats.grad_norm,
            );
            observer.training_progress(step + 1, steps);
        }
        self.state.train_steps += steps as u64;
        Ok(sums.mean())
    }

    /// Step 5: matches and the optimal-move share, when due.
    fn evaluate(&mut self, g: usize, observer: &dyn Observer) -> Result<Evaluation, TrainError> {
        let every = self.config.evaluation.every;
        let due = every > 0 && (g.is_multiple_of(every) || g == self.config.generations);
        let mut evaluation = Evaluation::default();
        if !due {
            return Ok(evaluation);
        }
        observer.evaluating();
        let games = self.config.evaluation.games;
        let seed = derive_seed(self.config.seed, 3_000_000 + g as u64);
        let search = self.batched_search();
        let side = |net: &Network| self.search_side(net);
        let failed = |e: AgentError| TrainError::Config(format!("evaluation: {e}"));
        for (k, opponent) in self.setup.opponents.iter().enumerate() {
            let score = play_match_batched(
                &self.game,
                &mut side(&self.net)?,
                &mut Side::Agent(&opponent.build),
                games,
                self.config.evaluation.opening_plies,
                derive_seed(seed, k as u64),
            )
            .map_err(failed)?;
            evaluation
                .scores
                .push((opponent.name.clone(), Some(score.score())));
        }
        if let Some(previous) = &self.previous {
            let score = play_match_batched(
                &self.game,
                &mut side(&self.net)?,
                &mut side(previous)?,
                games,
                self.config.evaluation.opening_plies,
                derive_seed(seed, 1000),
            )
            .map_err(failed)?;
            evaluation.previous = Some(score.score());
        }
        if let Some(labelled) = &self.setup.labelled {
            let mut evaluator = NetEvaluator::new(self.game.clone(), &self.net)?;
            evaluation.optimal_share = Some(optimal_move_share_batched(
                &self.game,
                labelled,
                &mut evaluator,
                &search,
                256,
                seed,
            )?);
            evaluation.network_optimal_share =
                Some(network_optimal_share(&self.game, labelled, &self.net)?);
        }
        Ok(evaluation)
    }

    fn save_weights(&self, g: usize) -> Result<(), TrainError> {
        let path = checkpoint_path(&self.dir, g);
        save_checkpoint(&path, &self.net, &self.game, self.state.train_steps)?;
        let state = self.optimizer.state_tensors()?;
        let opt = optimizer_path(&self.dir, g);
        let tmp = opt.with_extension("tmp");
        candle_core::safetensors::save(&state, &tmp)?;
        fs::rename(&tmp, &opt).map_err(io(&opt))?;
        copy_checkpoint(&path, &self.dir.join("checkpoints/latest"))
    }

    /// Keeps the optimiser state of the last two generations only (weights are all kept).
    fn prune_optimizer_states(&self, g: usize) -> Result<(), TrainError> {
        if g >= 2 {
            let old = optimizer_path(&self.dir, g - 2);
            if old.exists() {
                fs::remove_file(&old).map_err(io(&old))?;
            }
        }
        Ok(())
    }

    fn metrics_columns(&self) -> Vec<String> {
        let mut columns: Vec<String> = BASE_COLUMNS.iter().map(|s| s.to_string()).collect();
        columns.extend(
            self.config
                .evaluation
                .opponents
                .iter()
                .map(|o| format!("score_vs_{o}")),
        );
        columns.push("score_vs_previous".into());
        columns.push("optimal_share".into());
        columns.push("network_optimal_share".into());
        if self.config.evaluation.gate.is_some() {
            columns.push("score_vs_best".into());
        }
        columns
    }

    fn write_metrics_header(&self) -> Result<(), TrainError> {
        let header = self.metrics_columns().join(",") + "\n";
        write_atomic(&self.dir.join("metrics.csv"), header.as_bytes())
    }

    fn append_metrics(&self, m: &Metrics) -> Result<(), TrainError> {
        let values: HashMap<&str, Option<f64>> =
            m.values.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        // The file's own header decides the columns (a resumed run whose accepted config
        // change altered the opponents keeps its original layout).
        let path = self.dir.join("metrics.csv");
        let text = fs::read_to_string(&path).map_err(io(&path))?;
        let header: Vec<String> = text
            .lines()
            .next()
            .map(|h| h.split(',').map(str::to_string).collect())
            .unwrap_or_else(|| self.metrics_columns());
        let line: Vec<String> = header
            .iter()
            .map(|c| match values.get(c.as_str()).copied().flatten() {
                Some(v) if v.fract() == 0.0 && v.abs() < 1e15 => format!("{v}"),
                Some(v) => format!("{v:.6}"),
                None => String::new(),
            })
            .collect();
        let mut file = fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(io(&path))?;
        writeln!(file, "{}", line.join(",")).map_err(io(&path))?;
        file.sync_all().map_err(io(&path))
    }

    fn commit(&self) -> Result<(), TrainError> {
        let text = serde_json::to_string_pretty(&self.state).expect("RunState serialises");
        write_atomic(&self.dir.join("state.json"), text.as_bytes())
    }
}

/// The search the trained agent uses when evaluated or played: the self-play search's settings
/// with `evaluation.algorithm` and `evaluation.simulations`, without noise, sending several
/// leaves per network call.
pub fn evaluation_search(config: &TrainConfig) -> SearchConfig {
    let simulations = config
        .evaluation
        .simulations
        .unwrap_or(config.search.simulations);
    SearchConfig {
        algorithm: config.evaluation.algorithm,
        simulations,
        leaves_per_batch: (simulations / 8).clamp(1, 16),
        ..config.search.clone()
    }
}

const BASE_COLUMNS: &[&str] = &[
    "generation",
    "wall_s",
    "games",
    "positions",
    "replay_positions",
    "selfplay_s",
    "games_per_s",
    "simulations_per_s",
    "evaluations_per_s",
    "mean_batch",
    "search_s",
    "inference_s",
    "train_s",
    "train_steps",
    "loss",
    "loss_policy",
    "loss_value",
    "policy_entropy",
    "lr",
    "grad_norm",
    "eval_s",
];

#[derive(Debug, Default, Clone)]
struct TrainLosses {
    n: usize,
    total: f64,
    policy: f64,
    value: f64,
    entropy: f64,
    lr: f64,
    grad_norm: f64,
}

impl TrainLosses {
    fn add(&mut self, total: f64, policy: f64, value: f64, entropy: f64, lr: f64, grad: f64) {
        self.n += 1;
        self.total += total;
        self.policy += policy;
        self.value += value;
        self.entropy += entropy;
        self.lr = lr;
        self.grad_norm += grad;
    }

    fn mean(&self) -> TrainLosses {
        let n = self.n.max(1) as f64;
        TrainLosses {
            n: self.n,
            total: self.total / n,
            policy: self.policy / n,
            value: self.value / n,
            entropy: self.entropy / n,
            lr: self.lr,
            grad_norm: self.grad_norm / n,
        }
    }
}

#[derive(Debug, Default)]
struct Evaluation {
    scores: Vec<(String, Option<f64>)>,
    previous: Option<f64>,
    optimal_share: Option<f64>,
    network_optimal_share: Option<f64>,
}

impl Evaluation {
    /// The number `best` is chosen by: the optimal-move share where known, else the mean score
    /// against the fixed opponents.
    fn strength(&self) -> Option<f64> {
        if self.optimal_share.is_some() {
            return self.optimal_share;
        }
        let scores: Vec<f64> = self.scores.iter().filter_map(|(_, s)| *s).collect();
        (!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64)
    }
}

fn fill_metrics(
    m: &mut Metrics,
    state: &RunState,
    sp: &SelfPlayStats,
    replay: usize,
    losses: &TrainLosses,
    train_time: Duration,
    eval_time: Duration,
) {
    let secs = sp.wall.as_secs_f64().max(1e-9);
    m.set("generation", state.generation as f64);
    m.set("wall_s", state.elapsed_seconds);
    m.set("games", state.games as f64);
    m.set("positions", state.positions as f64);
    m.set("replay_positions", replay as f64);
    m.set("selfplay_s", sp.wall.as_secs_f64());
    m.set("games_per_s", sp.games as f64 / secs);
    m.set("simulations_per_s", sp.simulations as f64 / secs);
    m.set("evaluations_per_s", sp.evaluations as f64 / secs);
    m.set("mean_batch", sp.mean_batch());
    m.set("search_s", sp.search.as_secs_f64());
    m.set("inference_s", sp.inference.as_secs_f64());
    m.set("train_s", train_time.as_secs_f64());
    m.set("train_steps", state.train_steps as f64);
    // No training steps (the first overlapped generation): no losses to report.
    let trained = |v: f64| (losses.n > 0).then_some(v);
    m.set("loss", trained(losses.total));
    m.set("loss_policy", trained(losses.policy));
    m.set("loss_value", trained(losses.value));
    m.set("policy_entropy", trained(losses.entropy));
    m.set("lr", trained(losses.lr));
    m.set("grad_norm", trained(losses.grad_norm));
    m.set("eval_s", eval_time.as_secs_f64());
}

/// `checkpoints/gen-NNNNN` (the checkpoint's two files share this stem).
pub fn checkpoint_path(dir: &Path, generation: usize) -> PathBuf {
    dir.join("checkpoints").join(format!("gen-{generation:05}"))
}

fn optimizer_path(dir: &Path, generation: usize) -> PathBuf {
    dir.join("checkpoints")
        .join(format!("gen-{generation:05}.optimizer.safetensors"))
}

fn replay_path(dir: &Path, generation: usize) -> PathBuf {
    dir.join("replay")
        .join(format!("gen-{generation:05}.safetensors"))
}

/// Writes `bytes` to `path` through a synced temporary file and a rename, so a reader (or a
/// resumed run) sees the old file or the new one, never a part.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), TrainError> {
    let tmp = path.with_extension("tmp");
    let mut file = fs::File::create(&tmp).map_err(io(&tmp))?;
    file.write_all(bytes).map_err(io(&tmp))?;
    file.sync_all().map_err(io(&tmp))?;
    fs::rename(&tmp, path).map_err(io(path))
}

fn copy_checkpoint(from: &Path, to: &Path) -> Result<(), TrainError> {
    let (fw, fm) = checkpoint_files(from);
    let (tw, tm) = checkpoint_files(to);
    for (a, b) in [(fw, tw), (fm, tm)] {
        let bytes = fs::read(&a).map_err(io(&a))?;
        write_atomic(&b, &bytes)?;
    }
    Ok(())
}

/// The generation number in a `gen-NNNNN…` file name.
fn generation_of(name: &str) -> Option<usize> {
    name.strip_prefix("gen-")?.get(..5)?.parse().ok()
}

fn remove_generations_after(dir: &Path, g: usize) -> Result<(), TrainError> {
    for sub in ["checkpoints", "replay"] {
        let folder = dir.join(sub);
        let entries = fs::read_dir(&folder).map_err(io(&folder))?;
        for entry in entries {
            let entry = entry.map_err(io(&folder))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let stale = generation_of(&name).is_some_and(|n| n > g) || name.ends_with(".tmp");
            if stale {
                fs::remove_file(entry.path()).map_err(io(entry.path()))?;
            }
        }
    }
    Ok(())
}

/// Drops `metrics.csv` rows of generations after `g` (written by a generation that was not
/// committed).
fn truncate_metrics(path: &Path, g: usize) -> Result<(), TrainError> {
    let text = fs::read_to_string(path).map_err(io(path))?;
    let mut lines = text.lines();
    let mut kept = String::new();
    if let Some(header) = lines.next() {
        kept.push_str(header);
        kept.push('\n');
    }
    for line in lines {
        let generation = line.split(',').next().and_then(|v| v.parse::<usize>().ok());
        if generation.is_some_and(|n| n <= g) {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    if kept != text {
        write_atomic(path, kept.as_bytes())?;
    }
    Ok(())
}

/// A short list of what differs between two configs, for the refusal message.
fn describe_changes(old: &TrainConfig, new: &TrainConfig) -> String {
    let a = toml::Value::try_from(old).ok();
    let b = toml::Value::try_from(new).ok();
    let mut changes = Vec::new();
    if let (Some(toml::Value::Table(a)), Some(toml::Value::Table(b))) = (a, b) {
        diff_tables("", &a, &b, &mut changes);
    }
    if changes.is_empty() {
        "some values differ".into()
    } else {
        changes.join(", ")
    }
}

fn diff_tables(prefix: &str, a: &toml::Table, b: &toml::Table, out: &mut Vec<String>) {
    for (k, bv) in b {
        let key = format!("{prefix}{k}");
        match (a.get(k), bv) {
            (Some(toml::Value::Table(at)), toml::Value::Table(bt)) => {
                diff_tables(&format!("{key}."), at, bt, out)
            }
            (Some(av), bv) if av == bv => {}
            (Some(av), bv) => out.push(format!("{key}: {av} → {bv}")),
            (None, bv) => out.push(format!("{key}: unset → {bv}")),
        }
    }
}
