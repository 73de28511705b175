//! The training loop and its run directory, read top to bottom in [`Trainer::update_once`]:
//!
//! 1. **Collect**: `collect.games` games in lockstep, `collect.steps` decisions each, against
//!    opponents the league draws (PFSP over the bots and frozen snapshots, or the current self).
//! 2. **League**: every finished game's result goes into the payoff table.
//! 3. **Update**: PPO epochs over the sequences.
//! 4. **Snapshots** on schedule join the league as fixed opponents.
//! 5. **Evaluation** against the evaluation bots, when due.
//! 6. **Metrics** row; every `checkpoint_every` updates a **checkpoint** (weights, optimiser,
//!    snapshots, league and counters), `state.json` last, atomically: the commit point.
//!
//! ```text
//! runs/NAME/
//!   config.toml        the resolved configuration
//!   state.json         the last committed update, counters and the league's payoff table
//!   metrics.csv        one row per update
//!   checkpoints/update-NNNNNN.safetensors (+ .optimizer.safetensors), latest.safetensors
//!   snapshots/update-NNNNNN.safetensors   the league's frozen opponents
//!   plots/progress.{png,svg}               losses, strength and speed, redrawn at checkpoints
//!   episodes/training-v0/                  the learner's games of every `collect.episodes_every`-th
//!                                          update (HDF5, the RTS layout of ludus-episodes)
//! ```
//!
//! A run killed at any moment resumes from its last checkpoint: rows and files of later updates
//! are removed, and the games in progress start afresh. Every random choice derives from
//! `(seed, update)`, so on a CPU a resumed run repeats what the interrupted one did after that
//! checkpoint only when it, too, started its games there; the weights, optimiser and league
//! are exactly those saved. The episode log keeps one shard per update, named after it, so an
//! update played again replaces its games.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use candle_core::Device;
use ludus_episodes::{rts_dataset_info, DatasetWriter, TickRecorder, WriterOptions};
use ludus_nn::train::Optimizer;
use ludus_rts::{parse_bot, play, Map, RtsAgent, RunOptions, UnitTypeTable};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::agent::PolicyAgent;
use crate::config::RtsTrainConfig;
use crate::league::{League, Opponent};
use crate::policy::{Policy, PolicyShape};
use crate::ppo::update;
use crate::rollout::{Collector, EpisodeEnd, NewGame};
use crate::PpoError;

/// Counters and the league: what `state.json` holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunState {
    /// Updates committed.
    pub update: u64,
    /// Games finished by the learner.
    pub games: u64,
    /// Decisions collected.
    pub decisions: u64,
    /// Training time, summed over invocations.
    pub elapsed_seconds: f64,
    pub league: League,
}

/// One metrics row: named values.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Metrics {
    pub values: Vec<(String, Option<f64>)>,
}

impl Metrics {
    fn set(&mut self, key: &str, value: impl Into<Option<f64>>) {
        self.values.push((key.to_string(), value.into()));
    }

    pub fn get(&self, key: &str) -> Option<f64> {
        self.values
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| *v)
    }
}

/// Progress callbacks (from the training thread).
pub trait Observer {
    fn update_done(&self, _row: &Metrics, _of: u64) {}
}

/// A silent observer.
#[derive(Debug)]
pub struct Silent;
impl Observer for Silent {}

fn io(path: &Path) -> impl Fn(std::io::Error) -> PpoError + '_ {
    move |e| PpoError::Input(format!("{}: {e}", path.display()))
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), PpoError> {
    let tmp = path.with_extension("tmp");
    let mut f = fs::File::create(&tmp).map_err(io(&tmp))?;
    f.write_all(bytes).map_err(io(&tmp))?;
    f.sync_all().map_err(io(&tmp))?;
    fs::rename(&tmp, path).map_err(io(path))
}

fn checkpoint_path(dir: &Path, update: u64) -> PathBuf {
    dir.join(format!("checkpoints/update-{update:06}.safetensors"))
}

fn optimizer_path(dir: &Path, update: u64) -> PathBuf {
    dir.join(format!(
        "checkpoints/update-{update:06}.optimizer.safetensors"
    ))
}

fn snapshot_path(dir: &Path, update: u64) -> PathBuf {
    dir.join(format!("snapshots/update-{update:06}.safetensors"))
}

/// The unit table of a config.
pub fn unit_table(config: &RtsTrainConfig) -> UnitTypeTable {
    if config.game.utt == 1 {
        UnitTypeTable::v1()
    } else {
        UnitTypeTable::v2()
    }
}

/// The network shape a config's map gives.
///
/// # Errors
/// An unreadable map.
pub fn shape_of(config: &RtsTrainConfig) -> Result<(Map, PolicyShape), PpoError> {
    let utt = unit_table(config);
    let map = Map::from_spec(&config.game.map, &utt)?;
    let shape = PolicyShape {
        height: map.height as usize,
        width: map.width as usize,
        unit_types: utt.types().len(),
    };
    Ok((map, shape))
}

/// A training run in its directory.
pub struct Trainer {
    dir: PathBuf,
    config: RtsTrainConfig,
    state: RunState,
    policy: Policy,
    optimizer: Optimizer,
    map: Map,
    utt: Arc<UnitTypeTable>,
    max_cycles: i32,
    collector: Option<Collector>,
    snapshots: HashMap<u64, Policy>,
    /// The training-game log (`collect.episodes_every > 0`).
    episodes: Option<DatasetWriter>,
}

impl std::fmt::Debug for Trainer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trainer")
            .field("dir", &self.dir)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

const COLUMNS: &[&str] = &[
    "update",
    "wall_s",
    "games",
    "decisions",
    "decisions_per_s",
    "collect_s",
    "update_s",
    "shaped_weight",
    "mean_reward",
    "win_rate",
    "policy_loss",
    "value_loss",
    "entropy",
    "approx_kl",
    "clip_fraction",
    "grad_norm",
    "lr",
];

impl Trainer {
    /// Starts a run in `dir` (which must not exist yet, or be empty).
    ///
    /// # Errors
    /// A bad config, an unreadable map, or an I/O failure.
    pub fn create(dir: &Path, config: RtsTrainConfig, device: &Device) -> Result<Self, PpoError> {
        config.validate()?;
        if dir.exists() && fs::read_dir(dir).map_err(io(dir))?.next().is_some() {
            return Err(PpoError::Config(format!(
                "{} already holds a run; resume it or pick another name",
                dir.display()
            )));
        }
        for sub in ["checkpoints", "snapshots"] {
            fs::create_dir_all(dir.join(sub)).map_err(io(dir))?;
        }
        let (map, shape) = shape_of(&config)?;
        let policy = Policy::new(&config.policy, shape, device, config.seed)?;
        let optimizer = Optimizer::from_vars(policy.vars(), config.optimizer.clone())?;
        let text = toml::to_string(&config).map_err(|e| PpoError::Config(e.to_string()))?;
        write_atomic(&dir.join("config.toml"), text.as_bytes())?;
        let mut header = COLUMNS.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        header.extend(
            config
                .evaluation
                .opponents
                .iter()
                .map(|o| format!("score_vs_{o}")),
        );
        write_atomic(
            &dir.join("metrics.csv"),
            (header.join(",") + "\n").as_bytes(),
        )?;
        let state = RunState {
            update: 0,
            games: 0,
            decisions: 0,
            elapsed_seconds: 0.0,
            league: League::new(config.league.clone()),
        };
        let trainer = Trainer::assemble(dir, config, state, policy, optimizer, map)?;
        trainer.commit()?;
        Ok(trainer)
    }

    /// Continues the run in `dir` from its last checkpoint.
    ///
    /// # Errors
    /// A directory that is not a run, or files that do not fit its config.
    pub fn resume(dir: &Path, device: &Device) -> Result<Self, PpoError> {
        let text = fs::read_to_string(dir.join("config.toml")).map_err(|e| {
            PpoError::Config(format!("{} is not a run directory ({e})", dir.display()))
        })?;
        let config: RtsTrainConfig = toml::from_str(&text)
            .map_err(|e| PpoError::Config(format!("{}/config.toml: {e}", dir.display())))?;
        config.validate()?;
        let state: RunState = serde_json::from_slice(
            &fs::read(dir.join("state.json")).map_err(io(&dir.join("state.json")))?,
        )
        .map_err(|e| PpoError::Config(format!("{}/state.json: {e}", dir.display())))?;
        let (map, shape) = shape_of(&config)?;
        let (policy, mut optimizer);
        if state.update == 0 {
            policy = Policy::new(&config.policy, shape, device, config.seed)?;
            optimizer = Optimizer::from_vars(policy.vars(), config.optimizer.clone())?;
        } else {
            policy = Policy::load(
                &config.policy,
                shape,
                &checkpoint_path(dir, state.update),
                device,
            )?;
            optimizer = Optimizer::from_vars(policy.vars(), config.optimizer.clone())?;
            let saved = candle_core::safetensors::load(optimizer_path(dir, state.update), device)?;
            optimizer.load_state(&saved)?;
        }
        // Forget what an unfinished interval left behind.
        truncate_metrics(&dir.join("metrics.csv"), state.update)?;
        for sub in ["checkpoints", "snapshots"] {
            for entry in fs::read_dir(dir.join(sub)).map_err(io(dir))?.flatten() {
                let name = entry.file_name().to_string_lossy().to_string();
                let later = name
                    .strip_prefix("update-")
                    .and_then(|r| r.get(..6))
                    .and_then(|n| n.parse::<u64>().ok())
                    .is_some_and(|u| u > state.update);
                if later || name.ends_with(".tmp") {
                    fs::remove_file(entry.path()).map_err(io(&entry.path()))?;
                }
            }
        }
        Trainer::assemble(dir, config, state, policy, optimizer, map)
    }

    fn assemble(
        dir: &Path,
        config: RtsTrainConfig,
        state: RunState,
        policy: Policy,
        optimizer: Optimizer,
        map: Map,
    ) -> Result<Self, PpoError> {
        let utt = Arc::new(unit_table(&config));
        let max_cycles = config
            .game
            .max_cycles
            .unwrap_or_else(|| map.competition_cycles());
        let mut snapshots = HashMap::new();
        for u in state.league.snapshots() {
            let p = Policy::load(
                &config.policy,
                *policy.shape(),
                &snapshot_path(dir, u),
                policy.device(),
            )?;
            snapshots.insert(u, p);
        }
        let episodes = if config.collect.episodes_every > 0 {
            Some(open_episode_log(dir, &config, &map, max_cycles)?)
        } else {
            None
        };
        Ok(Trainer {
            dir: dir.to_path_buf(),
            config,
            state,
            policy,
            optimizer,
            map,
            utt,
            max_cycles,
            collector: None,
            snapshots,
            episodes,
        })
    }

    pub fn config(&self) -> &RtsTrainConfig {
        &self.config
    }

    pub fn state(&self) -> &RunState {
        &self.state
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Updates until the run's end, `limit` more updates, or `deadline` (checked between
    /// updates); commits a checkpoint at the end too.
    ///
    /// # Errors
    /// The first failure; the last checkpoint stays valid.
    pub fn run(
        &mut self,
        observer: &dyn Observer,
        limit: Option<u64>,
        deadline: Option<Instant>,
    ) -> Result<(), PpoError> {
        let mut done = 0;
        while self.state.update < self.config.updates
            && limit.is_none_or(|l| done < l)
            && deadline.is_none_or(|d| Instant::now() < d)
        {
            let row = self.update_once()?;
            observer.update_done(&row, self.config.updates);
            done += 1;
        }
        if done > 0
            && !self
                .state
                .update
                .is_multiple_of(self.config.checkpoint_every)
        {
            self.checkpoint()?;
        }
        Ok(())
    }

    /// The opponent of a new game, as the league's entry `index` says.
    fn opponent(&self, index: usize, current: &Policy, seed: u64) -> Box<dyn RtsAgent> {
        let entry = &self.state.league.entries[index];
        match &entry.opponent {
            Opponent::Bot(name) => parse_bot(name, seed).expect("league bots were validated"),
            Opponent::Snapshot { update } => {
                let mut a = PolicyAgent::new(
                    format!("snapshot@{update}"),
                    self.snapshots[update].clone(),
                    self.max_cycles,
                    false,
                );
                a.reseed(seed);
                Box::new(a)
            }
            Opponent::SelfPlay => {
                let mut a =
                    PolicyAgent::new("self".into(), current.clone(), self.max_cycles, false);
                a.reseed(seed);
                Box::new(a)
            }
        }
    }

    /// One update, as the module docs list it.
    ///
    /// # Errors
    /// A network, engine or I/O failure.
    pub fn update_once(&mut self) -> Result<Metrics, PpoError> {
        let started = Instant::now();
        let u = self.state.update + 1;
        let seed = ludus_core::derive_seed(self.config.seed, u);
        let mut act_rng = ChaCha8Rng::seed_from_u64(seed);
        let mut pick_rng = ChaCha8Rng::seed_from_u64(ludus_core::derive_seed(seed, 1));
        let current = self.policy.snapshot()?;
        let existing = self.collector.take();

        // 1. Collect, against opponents the league draws.
        let mut started_here = 0u64;
        let every = self.config.collect.episodes_every;
        let logged = every > 0 && u.is_multiple_of(every);
        let mut new_game = |i: usize| -> NewGame {
            started_here += 1;
            let game_seed = ludus_core::derive_seed(seed, 1000 + started_here);
            let index = self.state.league.pick(&mut pick_rng);
            let state = self
                .map
                .start(self.utt.clone(), game_seed)
                .expect("the map was checked when the run started");
            let log = logged.then(|| {
                TickRecorder::new(
                    &state,
                    &self.map.name,
                    self.max_cycles,
                    self.config.game.partial_observability,
                )
            });
            NewGame {
                state,
                opponent: self.opponent(index, &current, game_seed),
                opponent_id: index,
                seat: (i + started_here as usize) % 2,
                seed: game_seed,
                log,
            }
        };
        let mut collector = match existing {
            Some(c) => c,
            None => {
                let mut c = Collector::new(
                    self.config.collect.games,
                    self.max_cycles,
                    self.config.game.partial_observability,
                    self.config.policy.core_hidden,
                    &mut new_game,
                );
                c.prime(&mut new_game)?;
                c
            }
        };
        let shaped = self.config.shaped_weight(u - 1);
        let (seqs, mut ends) = collector.collect(
            &self.policy,
            self.config.collect.steps,
            &self.config.rewards,
            shaped,
            &mut act_rng,
            &mut new_game,
        )?;
        self.collector = Some(collector);
        let collect_s = started.elapsed().as_secs_f64();

        // 2. League, and the episode log.
        for e in &ends {
            self.state.league.record(e.opponent_id, e.score);
        }
        self.log_episodes(u, &mut ends)?;

        // 3. PPO.
        let update_started = Instant::now();
        let lr = self.optimizer.current_lr();
        let stats = update(
            &self.policy,
            &mut self.optimizer,
            &seqs,
            &self.config.ppo,
            &mut act_rng,
        )?;
        let update_s = update_started.elapsed().as_secs_f64();

        // 4. Snapshots.
        let every = self.config.league.snapshot_every;
        if every > 0 && u.is_multiple_of(every) {
            let snap = self.policy.snapshot()?;
            snap.save(&snapshot_path(&self.dir, u))?;
            self.snapshots.insert(u, snap);
            for gone in self.state.league.add_snapshot(u) {
                self.snapshots.remove(&gone);
                let _ = fs::remove_file(snapshot_path(&self.dir, gone));
            }
        }

        // 5. Evaluation.
        let eval_every = self.config.evaluation.every;
        let scores = if eval_every > 0 && (u.is_multiple_of(eval_every) || u == self.config.updates)
        {
            Some(self.evaluate(u)?)
        } else {
            None
        };

        // 6. Metrics and checkpoint.
        let decisions: usize = seqs.iter().map(|s| s.steps.len()).sum();
        let reward: f64 = seqs
            .iter()
            .flat_map(|s| s.steps.iter())
            .map(|s| f64::from(s.reward))
            .sum();
        self.state.update = u;
        self.state.games += ends.len() as u64;
        self.state.decisions += decisions as u64;
        self.state.elapsed_seconds += started.elapsed().as_secs_f64();
        let mut m = Metrics::default();
        m.set("update", u as f64);
        m.set("wall_s", self.state.elapsed_seconds);
        m.set("games", self.state.games as f64);
        m.set("decisions", self.state.decisions as f64);
        m.set("decisions_per_s", decisions as f64 / collect_s.max(1e-9));
        m.set("collect_s", collect_s);
        m.set("update_s", update_s);
        m.set("shaped_weight", shaped);
        m.set("mean_reward", reward / decisions.max(1) as f64);
        m.set("win_rate", win_rate(&ends));
        m.set("policy_loss", stats.policy_loss);
        m.set("value_loss", stats.value_loss);
        m.set("entropy", stats.entropy);
        m.set("approx_kl", stats.approx_kl);
        m.set("clip_fraction", stats.clip_fraction);
        m.set("grad_norm", stats.grad_norm);
        m.set("lr", lr);
        for (i, bot) in self.config.evaluation.opponents.iter().enumerate() {
            m.set(&format!("score_vs_{bot}"), scores.as_ref().map(|s| s[i]));
        }
        self.append_metrics(&m)?;
        if u.is_multiple_of(self.config.checkpoint_every) {
            self.checkpoint()?;
        }
        Ok(m)
    }

    /// Writes the recorded games among `ends` (taking them out) to update `u`'s shard.
    fn log_episodes(&self, u: u64, ends: &mut [EpisodeEnd]) -> Result<(), PpoError> {
        let Some(writer) = &self.episodes else {
            return Ok(());
        };
        let mut shard_open = false;
        for end in ends.iter_mut() {
            let Some(mut episode) = end.episode.take() else {
                continue;
            };
            if !shard_open {
                writer.begin_shard(&format!("update-{u:06}"))?;
                shard_open = true;
            }
            episode.players[end.seat] = format!("ppo:{}", self.dir.display());
            episode
                .extra
                .insert("ended_in_update".into(), serde_json::json!(u));
            writer.write_ticks(*episode)?;
        }
        if shard_open {
            writer.publish()?;
        }
        Ok(())
    }

    /// The learner's score (1 win, 0.5 draw) against each evaluation bot, sampling its
    /// choices, half the games from each seat.
    fn evaluate(&self, u: u64) -> Result<Vec<f64>, PpoError> {
        let options = RunOptions {
            max_cycles: self.max_cycles,
            partial_observability: self.config.game.partial_observability,
        };
        let mut out = Vec::new();
        for (k, bot) in self.config.evaluation.opponents.iter().enumerate() {
            let mut total = 0.0;
            for g in 0..self.config.evaluation.games {
                let seed = ludus_core::derive_seed(
                    ludus_core::derive_seed(self.config.seed, u),
                    (1 << 32) | ((k as u64) << 16) | g as u64,
                );
                let mut me = PolicyAgent::new(
                    "learner".into(),
                    self.policy.clone(),
                    self.max_cycles,
                    false,
                );
                me.reseed(seed);
                let mut other = parse_bot(bot, seed).expect("evaluation bots were validated");
                let seat = g % 2;
                let state = self.map.start(self.utt.clone(), seed)?;
                let outcome = if seat == 0 {
                    play(state, &mut [&mut me, other.as_mut()], &options, |_| {})?
                } else {
                    play(state, &mut [other.as_mut(), &mut me], &options, |_| {})?
                };
                total += match outcome.winner {
                    Some(w) if w == seat => 1.0,
                    Some(_) => 0.0,
                    None => 0.5,
                };
            }
            out.push(total / self.config.evaluation.games.max(1) as f64);
        }
        Ok(out)
    }

    fn append_metrics(&self, m: &Metrics) -> Result<(), PpoError> {
        let path = self.dir.join("metrics.csv");
        let text = fs::read_to_string(&path).map_err(io(&path))?;
        let header: Vec<&str> = text.lines().next().unwrap_or("").split(',').collect();
        let line: Vec<String> = header
            .iter()
            .map(|c| match m.get(c) {
                Some(v) if v.fract() == 0.0 && v.abs() < 1e15 => format!("{v}"),
                Some(v) => format!("{v:.6}"),
                None => String::new(),
            })
            .collect();
        let mut f = fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(io(&path))?;
        writeln!(f, "{}", line.join(",")).map_err(io(&path))
    }

    /// Weights, optimiser state, then `state.json` (the commit point).
    fn checkpoint(&self) -> Result<(), PpoError> {
        let u = self.state.update;
        self.policy.save(&checkpoint_path(&self.dir, u))?;
        let opt = optimizer_path(&self.dir, u);
        let tmp = opt.with_extension("tmp");
        candle_core::safetensors::save(&self.optimizer.state_tensors()?, &tmp)?;
        fs::rename(&tmp, &opt).map_err(io(&opt))?;
        let latest = self.dir.join("checkpoints/latest.safetensors");
        fs::copy(checkpoint_path(&self.dir, u), &latest).map_err(io(&latest))?;
        self.commit()?;
        // A missing figure must not stop training.
        crate::plots::write_progress(&self.dir).ok();
        // Older optimiser states are not needed to resume.
        for entry in fs::read_dir(self.dir.join("checkpoints"))
            .map_err(io(&self.dir))?
            .flatten()
        {
            let name = entry.file_name().to_string_lossy().to_string();
            if name.ends_with(".optimizer.safetensors") && entry.path() != opt {
                let _ = fs::remove_file(entry.path());
            }
        }
        Ok(())
    }

    fn commit(&self) -> Result<(), PpoError> {
        let json =
            serde_json::to_vec_pretty(&self.state).map_err(|e| PpoError::Input(e.to_string()))?;
        write_atomic(&self.dir.join("state.json"), &json)
    }
}

/// The run's training-game dataset, `episodes/training-v0`.
fn open_episode_log(
    dir: &Path,
    config: &RtsTrainConfig,
    map: &Map,
    max_cycles: i32,
) -> Result<DatasetWriter, PpoError> {
    let run = dir
        .file_name()
        .map_or("run".into(), |n| n.to_string_lossy().to_string());
    let info = rts_dataset_info(
        "training-v0".into(),
        // The game as `ludus match --game` takes it.
        format!(
            "rts:utt={}:cycles={max_cycles}{}:{}",
            config.game.utt,
            if config.game.partial_observability {
                ":po"
            } else {
                ""
            },
            config.game.map
        ),
        map,
        config.game.partial_observability,
        format!("PPO training games of run {run} (the learner against its league)"),
        serde_json::Map::from_iter([
            ("run".to_string(), serde_json::json!(run)),
            ("source".to_string(), serde_json::json!("ludus train")),
        ]),
    );
    let path = dir.join("episodes").join("training-v0");
    Ok(DatasetWriter::create(
        &path,
        info,
        WriterOptions::default(),
    )?)
}

/// Share of the learner's wins (draws count half) among `ends`.
fn win_rate(ends: &[EpisodeEnd]) -> Option<f64> {
    (!ends.is_empty()).then(|| ends.iter().map(|e| e.score).sum::<f64>() / ends.len() as f64)
}

/// Keeps the header and the rows of updates ≤ `update`.
fn truncate_metrics(path: &Path, update: u64) -> Result<(), PpoError> {
    let text = fs::read_to_string(path).map_err(io(path))?;
    let mut kept = String::new();
    for (i, line) in text.lines().enumerate() {
        let keep = i == 0
            || line
                .split(',')
                .next()
                .and_then(|v| v.parse::<u64>().ok())
                .is_some_and(|u| u <= update);
        if keep {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    write_atomic(path, kept.as_bytes())
}

/// A policy from a run directory: `latest` or the checkpoint of one update.
///
/// # Errors
/// A directory that is not a run, or a missing checkpoint.
pub fn load_run_policy(
    dir: &Path,
    update: Option<u64>,
    device: &Device,
) -> Result<(Policy, RtsTrainConfig), PpoError> {
    let text = fs::read_to_string(dir.join("config.toml"))
        .map_err(|e| PpoError::Config(format!("{} is not a run directory ({e})", dir.display())))?;
    let config: RtsTrainConfig = toml::from_str(&text)
        .map_err(|e| PpoError::Config(format!("{}/config.toml: {e}", dir.display())))?;
    let (_, shape) = shape_of(&config)?;
    let path = match update {
        Some(u) => checkpoint_path(dir, u),
        None => dir.join("checkpoints/latest.safetensors"),
    };
    if !path.exists() {
        return Err(PpoError::Config(format!(
            "{} has no checkpoint {} (the run saves one every {} updates)",
            dir.display(),
            path.file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default(),
            config.checkpoint_every
        )));
    }
    Ok((Policy::load(&config.policy, shape, &path, device)?, config))
}
