//! `ludus train`: AlphaZero self-play training in a resumable run directory.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use ludus_alphazero::{Metrics, Observer, Opponent, TrainConfig, TrainSetup, Trainer};
use ludus_core::AgentError;
use ludus_registry::{agent_from_spec, game_from_spec, GameVisitor, RegisteredGame};

/// Train an agent by self-play (AlphaZero: search + network), writing everything to a run
/// directory that `--resume` continues after Ctrl-C or a crash.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  ludus train --game tictactoe                      # learns perfect play in a few minutes
  ludus train --game connect4 --name c4 --set search.simulations=64
  ludus train --resume runs/c4                      # continue after Ctrl-C or kill -9
  ludus train --game connect4 --config run.toml --device cuda
  ludus train --game microrts --map gen:8x8 --name rts  # the RTS agent: PPO against a league

Writes runs/NAME/: config.toml, state.json, metrics.csv, checkpoints/ (every generation, latest,
best), replay/ and plots/progress.{png,svg}. The [net], [search], [selfplay], [replay],
[training], [optimizer] and [evaluation] tables of config.toml are the hyper-parameters.")]
pub struct Args {
    /// The game (tictactoe, connect4, othello, go[:size=N], or microrts for the RTS agent);
    /// default: the config's, or connect4.
    #[arg(long)]
    pub(crate) game: Option<String>,
    /// A TOML run config; keys it leaves out take the game's defaults.
    #[arg(long)]
    pub(crate) config: Option<PathBuf>,
    /// Override one config value, e.g. `--set search.simulations=64` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub(crate) set: Vec<String>,
    /// Name of the run directory under --runs-dir (default: the game and a number).
    #[arg(long)]
    pub(crate) name: Option<String>,
    /// Where run directories live.
    #[arg(long, default_value = "runs")]
    pub(crate) runs_dir: PathBuf,
    /// Continue the run in this directory.
    #[arg(long, value_name = "RUN_DIR", conflicts_with_all = ["game", "name"])]
    pub(crate) resume: Option<PathBuf>,
    /// With --resume: continue even though --config/--set change the run's config.
    #[arg(long, requires = "resume")]
    pub(crate) accept_config_change: bool,
    /// cpu, cuda or cuda:N.
    #[arg(long, default_value = "cpu")]
    pub(crate) device: String,
    /// microrts only: the map (a microRTS map file or `gen:WxH…`; default gen:8x8).
    #[arg(long)]
    pub(crate) map: Option<String>,
    /// Stop after this many generations (PPO updates for microrts) in this invocation (the run
    /// can be resumed later).
    #[arg(long)]
    pub(crate) max_generations: Option<usize>,
    /// Start no new generation after this many minutes (the run can be resumed later).
    #[arg(long)]
    pub(crate) max_minutes: Option<f64>,
    /// Do not log the self-play games to `RUN/episodes/selfplay-v0` (the same as
    /// `--set selfplay.log_episodes=false`).
    #[arg(long)]
    pub(crate) no_log: bool,
}

pub fn run(mut args: Args) -> anyhow::Result<()> {
    if crate::train_rts::wanted(&args)? {
        return crate::train_rts::run(&args);
    }
    if args.map.is_some() {
        bail!("--map is for `--game microrts` (the RTS); board games have no maps");
    }
    if args.no_log {
        args.set.push("selfplay.log_episodes=false".into());
    }
    let game_spec = match (&args.resume, &args.game, &args.config) {
        (Some(dir), _, _) => read_run_config(dir)?.game,
        (None, Some(game), _) => game.clone(),
        (None, None, Some(path)) => load_config_file(path, None)?.game,
        (None, None, None) => "connect4".to_string(),
    };
    game_from_spec(&game_spec)?.visit(Train { args, game_spec })
}

struct Train {
    args: Args,
    game_spec: String,
}

impl GameVisitor for Train {
    type Output = anyhow::Result<()>;

    fn visit<G: RegisteredGame>(self, game: G) -> anyhow::Result<()> {
        let Train { args, game_spec } = self;
        let device = ludus_nn::parse_device(&args.device)?;
        let mut trainer = if let Some(dir) = &args.resume {
            let saved = read_run_config(dir)?;
            let wanted = if args.config.is_some() || !args.set.is_empty() {
                let base = match &args.config {
                    Some(path) => load_config_file(path, Some(&game_spec))?,
                    None => saved.clone(),
                };
                Some(base.with_overrides(&args.set)?)
            } else {
                None
            };
            split_cpu_threads(wanted.as_ref().unwrap_or(&saved), &device);
            let setup = setup(&game, wanted.as_ref().unwrap_or(&saved), device)?;
            let trainer = Trainer::resume(game, dir, wanted, args.accept_config_change, setup)?;
            eprintln!(
                "resuming {} at generation {} of {}",
                dir.display(),
                trainer.state().generation,
                trainer.config().generations
            );
            trainer
        } else {
            let name = game_spec.split(':').next().unwrap_or("").to_string();
            let base = match &args.config {
                Some(path) => load_config_file(path, Some(&game_spec))?,
                None => TrainConfig::for_game(&name),
            };
            let mut config = base.with_overrides(&args.set)?;
            config.game = game_spec.clone();
            config
                .validate()
                .map_err(|e| anyhow::anyhow!("{e} (in the config or a --set)"))?;
            let dir = match &args.name {
                Some(n) => {
                    if n.is_empty() || n.contains(['/', '\\']) || n == "." || n == ".." {
                        bail!("--name `{n}` must be a plain folder name (no slashes)");
                    }
                    args.runs_dir.join(n)
                }
                None => next_free_dir(&args.runs_dir, &name),
            };
            split_cpu_threads(&config, &device);
            let setup = setup(&game, &config, device)?;
            let trainer = Trainer::create(game, config, &dir, setup)?;
            eprintln!(
                "training in {} (Ctrl-C stops; `ludus train --resume {}` continues)",
                dir.display(),
                dir.display()
            );
            trainer
        };
        let bars = Bars::new(trainer.state().generation, trainer.config().generations);
        let deadline = match args.max_minutes {
            Some(m) if m.is_finite() && m >= 0.0 => {
                Some(std::time::Instant::now() + Duration::from_secs_f64(m * 60.0))
            }
            Some(m) => bail!("--max-minutes must be a number ≥ 0, not {m}"),
            None => None,
        };
        trainer.run_until(&bars, args.max_generations, deadline)?;
        bars.finish();
        summary(&trainer);
        Ok(())
    }
}

/// With `training.overlap_selfplay` on a CPU, self-play and the learner run side by side, each
/// on its own thread. Left alone, candle spreads each one's kernels over every core, the two
/// contend, and a Connect Four generation took as long as playing and training one after the
/// other; with half the cores each (1 and 1 on 2 cores) it took 1.75× less. So this gives
/// candle half the cores, unless `RAYON_NUM_THREADS` or `CANDLE_NUM_THREADS` says otherwise.
/// It must run before candle's first kernel (candle sizes its pools then), and before this
/// process starts any thread that could read the environment.
fn split_cpu_threads(config: &TrainConfig, device: &ludus_nn::candle_core::Device) {
    if !config.training.overlap_selfplay || !device.is_cpu() || crate::threads::chosen_by_user() {
        return;
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let half = (cores / 2).max(1).to_string();
    std::env::set_var("RAYON_NUM_THREADS", &half);
    std::env::set_var("CANDLE_NUM_THREADS", &half);
}

/// The evaluation opponents (from the config's specs) and the labelled positions.
fn setup<G: RegisteredGame>(
    game: &G,
    config: &TrainConfig,
    device: ludus_nn::candle_core::Device,
) -> anyhow::Result<TrainSetup<G>> {
    let mut opponents = Vec::new();
    for spec in &config.evaluation.opponents {
        // Build once now so that a bad spec fails before training starts.
        agent_from_spec(game, spec, 0).with_context(|| format!("evaluation opponent `{spec}`"))?;
        let (game, text) = (game.clone(), spec.clone());
        opponents.push(Opponent {
            name: spec.clone(),
            build: Box::new(move |seed| {
                agent_from_spec(&game, &text, seed).map_err(|e| AgentError::Failed(e.to_string()))
            }),
        });
    }
    Ok(TrainSetup {
        device,
        opponents,
        labelled: game.labelled_positions(),
    })
}

fn read_run_config(dir: &Path) -> anyhow::Result<TrainConfig> {
    let path = dir.join("config.toml");
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "{} is not a run directory (no readable config.toml)",
            dir.display()
        )
    })?;
    TrainConfig::from_toml(&text).with_context(|| format!("{}", path.display()))
}

fn load_config_file(path: &Path, game: Option<&str>) -> anyhow::Result<TrainConfig> {
    let mut text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    if let Some(game) = game {
        // The command line's game decides the defaults the file is laid over.
        if !text.lines().any(|l| l.trim_start().starts_with("game")) {
            text = format!("game = {game:?}\n{text}");
        }
    }
    TrainConfig::from_toml(&text).with_context(|| format!("{}", path.display()))
}

fn next_free_dir(runs: &Path, name: &str) -> PathBuf {
    (1..)
        .map(|k| runs.join(format!("{name}-{k}")))
        .find(|p| !p.exists())
        .expect("some number is free")
}

/// Progress bars: generations (with ETA), self-play or evaluation, and training (which runs
/// beside self-play when `training.overlap_selfplay`).
struct Bars {
    multi: MultiProgress,
    overall: ProgressBar,
    phase: ProgressBar,
    learner: ProgressBar,
}

impl Bars {
    fn new(done: usize, total: usize) -> Self {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let overall = multi.add(ProgressBar::new(total as u64));
        overall.set_style(
            ProgressStyle::with_template(
                "{prefix:>10} [{bar:30}] {pos}/{len} generations · {elapsed} · ETA {eta}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        overall.set_prefix("training");
        overall.set_position(done as u64);
        let bar = || {
            let bar = multi.add(ProgressBar::new(1));
            bar.set_style(
                ProgressStyle::with_template("{prefix:>10} [{bar:30}] {pos}/{len} {msg}")
                    .expect("valid template")
                    .progress_chars("=> "),
            );
            bar.enable_steady_tick(Duration::from_millis(250));
            bar
        };
        let (phase, learner) = (bar(), bar());
        learner.set_prefix("training");
        learner.set_message("steps");
        Bars {
            multi,
            overall,
            phase,
            learner,
        }
    }

    fn finish(&self) {
        self.phase.finish_and_clear();
        self.learner.finish_and_clear();
        self.overall.finish();
    }
}

impl Observer for Bars {
    fn generation_started(&self, generation: usize, of: usize) {
        self.overall.set_prefix(format!("gen {generation}/{of}"));
    }

    fn selfplay_progress(&self, done: usize, total: usize) {
        self.phase.set_prefix("self-play");
        self.phase.set_length(total as u64);
        self.phase.set_position(done as u64);
        self.phase.set_message("games");
    }

    fn training_progress(&self, done: usize, total: usize) {
        self.learner.set_length(total as u64);
        self.learner.set_position(done as u64);
    }

    fn evaluating(&self) {
        self.phase.set_prefix("evaluating");
        self.phase.set_message("matches");
    }

    fn generation_done(&self, row: &Metrics) {
        self.overall.inc(1);
        let line = generation_line(row);
        self.multi.suspend(|| eprintln!("{line}"));
    }
}

/// One line of key figures per generation.
fn generation_line(m: &Metrics) -> String {
    let f = |k: &str| m.get(k).unwrap_or(f64::NAN);
    let loss = match m.get("loss") {
        Some(loss) => format!(
            "loss {loss:.3} (policy {:.3}, value {:.3})",
            f("loss_policy"),
            f("loss_value")
        ),
        // The first generation of an overlapped run only plays.
        None => "no training yet".to_string(),
    };
    let mut line = format!(
        "gen {:>4}  {loss}  {:.0} sims/s  batch {:.0}  {:.0}s",
        f("generation"),
        f("simulations_per_s"),
        f("mean_batch"),
        f("wall_s"),
    );
    for (k, v) in &m.values {
        if let (Some(name), Some(v)) = (k.strip_prefix("score_vs_"), v) {
            line.push_str(&format!("  vs {name} {:.0}%", 100.0 * v));
        }
    }
    if let Some(v) = m.get("optimal_share") {
        line.push_str(&format!("  optimal {:.1}%", 100.0 * v));
    }
    line
}

fn summary<G: RegisteredGame>(trainer: &Trainer<G>) {
    let s = trainer.state();
    let dir = trainer.dir();
    println!(
        "{} generations, {} games, {} positions, {} training steps in {:.0} s",
        s.generation, s.games, s.positions, s.train_steps, s.elapsed_seconds
    );
    if let Some(score) = s.best_score {
        println!(
            "best: generation {} (evaluation score {:.3})",
            s.best_generation, score
        );
    }
    println!(
        "run: {d}  (metrics.csv, plots/progress.png, checkpoints/latest, checkpoints/best)",
        d = dir.display()
    );
    if trainer.config().selfplay.log_episodes {
        let episodes = dir.join("episodes").join("selfplay-v0");
        println!(
            "self-play games: {}  (`ludus episodes stats {}`)",
            episodes.display(),
            episodes.display()
        );
    }
}
