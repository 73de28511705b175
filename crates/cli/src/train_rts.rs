//! `ludus train --game microrts`: the RTS agent (entity Transformer + LSTM, PPO against a
//! league) in a resumable run directory.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use ludus_rts_ppo::trainer::{Metrics, Observer, Trainer};
use ludus_rts_ppo::RtsTrainConfig;

use crate::train::Args;

/// Whether `args` ask for the RTS trainer: `--game microrts` (or `rts`), or `--resume` of an
/// RTS run (its config has a `[game]` table where board-game runs have a name).
pub(crate) fn wanted(args: &Args) -> anyhow::Result<bool> {
    if let Some(game) = &args.game {
        return Ok(matches!(game.split(':').next(), Some("microrts" | "rts")));
    }
    let dir = match &args.resume {
        Some(dir) => dir,
        None => return Ok(false),
    };
    let path = dir.join("config.toml");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(false); // the board-game path reports the missing run
    };
    let tree: toml::Value =
        toml::from_str(&text).with_context(|| format!("{} is not valid TOML", path.display()))?;
    Ok(tree.get("game").is_some_and(toml::Value::is_table))
}

fn config_from(args: &Args, base: RtsTrainConfig) -> anyhow::Result<RtsTrainConfig> {
    let mut config = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            RtsTrainConfig::from_toml(&text).with_context(|| format!("{}", path.display()))?
        }
        None => base,
    };
    if let Some(map) = &args.map {
        config.game.map = map.clone();
    }
    let config = config.with_overrides(&args.set)?;
    config
        .validate()
        .map_err(|e| anyhow::anyhow!("{e} (in the config or a --set)"))?;
    Ok(config)
}

struct Bar(ProgressBar);

impl Observer for Bar {
    fn update_done(&self, m: &Metrics, _of: u64) {
        let f = |k: &str| m.get(k).unwrap_or(f64::NAN);
        let mut line = format!(
            "update {:>5}  reward/decision {:+.3}  train win rate {:>4}  entropy {:.2}  {:.0} decisions/s  {:.0}s",
            f("update"),
            f("mean_reward"),
            // No game of the learner's ended during this update: say so rather than "NaN%".
            m.get("win_rate")
                .map_or("–".to_string(), |w| format!("{:.0}%", 100.0 * w)),
            f("entropy"),
            f("decisions_per_s"),
            f("wall_s"),
        );
        for (k, v) in &m.values {
            if let (Some(name), Some(v)) = (k.strip_prefix("score_vs_"), v) {
                line.push_str(&format!("  vs {name} {:.0}%", 100.0 * v));
            }
        }
        self.0.inc(1);
        self.0.suspend(|| eprintln!("{line}"));
    }
}

pub(crate) fn run(args: &Args) -> anyhow::Result<()> {
    if args.no_log {
        bail!(
            "--no-log: the RTS trainer does not log its games yet, so there is nothing to turn off"
        );
    }
    let device = ludus_nn::parse_device(&args.device)?;
    let mut trainer = match &args.resume {
        Some(dir) => {
            if args.config.is_some() || !args.set.is_empty() || args.map.is_some() {
                let saved = read_config(dir)?;
                let wanted = config_from(args, saved.clone())?;
                if wanted != saved {
                    if !args.accept_config_change {
                        bail!(
                            "--config/--set/--map change the config of {}; add --accept-config-change to continue with the new one",
                            dir.display()
                        );
                    }
                    let text = toml::to_string(&wanted)?;
                    std::fs::write(dir.join("config.toml"), text)?;
                }
            }
            let t = Trainer::resume(dir, &device)?;
            eprintln!(
                "resuming {} at update {} of {}",
                dir.display(),
                t.state().update,
                t.config().updates
            );
            t
        }
        None => {
            let config = config_from(args, RtsTrainConfig::default())?;
            let dir = match &args.name {
                Some(n) if n.is_empty() || n.contains(['/', '\\']) || n == "." || n == ".." => {
                    bail!("--name `{n}` must be a plain folder name (no slashes)")
                }
                Some(n) => args.runs_dir.join(n),
                None => (1..)
                    .map(|k| args.runs_dir.join(format!("microrts-{k}")))
                    .find(|p| !p.exists())
                    .expect("some number is free"),
            };
            let t = Trainer::create(&dir, config, &device)?;
            eprintln!(
                "training in {} (Ctrl-C stops; `ludus train --resume {}` continues)",
                dir.display(),
                dir.display()
            );
            t
        }
    };
    let bar =
        ProgressBar::with_draw_target(Some(trainer.config().updates), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("[{bar:30}] {pos}/{len} updates · {elapsed} · ETA {eta}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_position(trainer.state().update);
    let deadline = match args.max_minutes {
        Some(m) if m.is_finite() && m >= 0.0 => {
            Some(Instant::now() + Duration::from_secs_f64(m * 60.0))
        }
        Some(m) => bail!("--max-minutes must be a number ≥ 0, not {m}"),
        None => None,
    };
    let bar = Bar(bar);
    trainer.run(&bar, args.max_generations.map(|g| g as u64), deadline)?;
    bar.0.finish();
    let s = trainer.state();
    println!(
        "{} updates, {} games, {} decisions in {:.0} s",
        s.update, s.games, s.decisions, s.elapsed_seconds
    );
    println!(
        "run: {}  (metrics.csv, checkpoints/latest; play it with `ludus rts play --p0 ppo:{}`)",
        trainer.dir().display(),
        trainer.dir().display()
    );
    Ok(())
}

fn read_config(dir: &Path) -> anyhow::Result<RtsTrainConfig> {
    let path = dir.join("config.toml");
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "{} is not a run directory (no readable config.toml)",
            dir.display()
        )
    })?;
    RtsTrainConfig::from_toml(&text).with_context(|| format!("{}", path.display()))
}
