//! Trained agents: a run's (or a checkpoint's) network with its search, as an `Agent`.

use std::path::{Path, PathBuf};

use candle_core::Device;
use ludus_core::Game;
use ludus_nn::checkpoint::load_checkpoint;
use ludus_search::{Algorithm, SearchAgent, SearchConfig};

use crate::{checkpoint_path, evaluation_search, NetEvaluator, TrainConfig, TrainError};

/// Options of a trained agent (the `az:` spec's keys).
#[derive(Debug, Clone)]
pub struct AgentOptions {
    /// Simulations per move (default: the run's evaluation setting, or 200 for a bare
    /// checkpoint).
    pub simulations: Option<usize>,
    /// Move temperature (default 0: the best move; PUCT only).
    pub temperature: f32,
    /// Which search (default: the run's evaluation search, or PUCT for a bare checkpoint).
    pub algorithm: Option<Algorithm>,
    /// Leaves one tree sends per network call (default: simulations / 8, between 1 and 16).
    /// More leaves fill the network's batches better; fewer keep the search closer to
    /// sequential (each pending leaf is a virtual loss that steers the others away).
    pub leaves_per_batch: Option<usize>,
    /// PUCT's exploration weight `c_init` (default: the run's search setting).
    pub c_init: Option<f32>,
    /// First-play urgency reduction (default: the run's search setting).
    pub fpu_reduction: Option<f32>,
    /// Where the network runs.
    pub device: Device,
}

impl Default for AgentOptions {
    fn default() -> Self {
        AgentOptions {
            simulations: None,
            temperature: 0.0,
            algorithm: None,
            leaves_per_batch: None,
            c_init: None,
            fpu_reduction: None,
            device: Device::Cpu,
        }
    }
}

/// Loads a trained agent for `game` from `target`:
/// * a run directory, `runs/NAME`, plays its latest weights; `runs/NAME@7` generation 7,
///   `runs/NAME@best` the best-evaluated; the search is the run's evaluation search;
/// * a checkpoint (`path/to/gen-00007`, with or without `.safetensors`) plays with a PUCT search.
///
/// # Errors
/// A target that is neither, a missing generation, or a checkpoint for another game or shape
/// (the checkpoint loader explains which).
pub fn load_agent<G: Game>(
    game: &G,
    target: &str,
    options: &AgentOptions,
    seed: u64,
) -> Result<SearchAgent<G, NetEvaluator<G>>, TrainError> {
    let (path, which) = match target.rsplit_once('@') {
        Some((p, w)) => (PathBuf::from(p), Some(w)),
        None => (PathBuf::from(target), None),
    };
    let run_config = path.join("config.toml");
    let (checkpoint, mut search) = if run_config.is_file() {
        let text = std::fs::read_to_string(&run_config).map_err(crate::error::io(&run_config))?;
        let config = TrainConfig::from_toml(&text)?;
        let checkpoint = match which {
            None | Some("latest") => path.join("checkpoints").join("latest"),
            Some("best") => path.join("checkpoints").join("best"),
            Some(n) => match n.parse::<usize>() {
                Ok(g) => checkpoint_path(&path, g),
                Err(_) => {
                    return Err(TrainError::Config(format!(
                        "`{target}`: after @ comes a generation number, `best` or `latest`, not \
                         `{n}`"
                    )))
                }
            },
        };
        let mut search = evaluation_search(&config);
        if let Some(n) = options.simulations {
            search.simulations = n;
            search.leaves_per_batch = (n / 8).clamp(1, 16);
        }
        (checkpoint, search)
    } else {
        if which.is_some() || !checkpoint_exists(&path) {
            return Err(TrainError::Config(format!(
                "`{target}` is neither a run directory (with config.toml) nor a checkpoint \
                 (NAME.safetensors + NAME.json); train one with `ludus train`"
            )));
        }
        let n = options.simulations.unwrap_or(200);
        let search = SearchConfig {
            leaves_per_batch: (n / 8).clamp(1, 16),
            ..SearchConfig::puct(n)
        };
        (path.clone(), search)
    };
    if let Some(algorithm) = options.algorithm {
        search.algorithm = algorithm;
    }
    if let Some(leaves) = options.leaves_per_batch {
        search.leaves_per_batch = leaves;
    }
    if let Some(c) = options.c_init {
        search.c_init = c;
    }
    if let Some(fpu) = options.fpu_reduction {
        search.fpu_reduction = fpu;
    }
    search.validate()?;
    if !checkpoint_exists(&checkpoint) {
        return Err(TrainError::Config(format!(
            "`{target}`: no checkpoint at {} (has the run finished a generation?)",
            checkpoint.display()
        )));
    }
    let (net, _) = load_checkpoint(&checkpoint, game, None, &options.device, false)?;
    let evaluator = NetEvaluator::new(game.clone(), &net)?;
    let agent = SearchAgent::new(
        format!("az:{target}"),
        game.clone(),
        search,
        evaluator,
        seed,
    )?;
    Ok(agent.with_temperature(options.temperature))
}

fn checkpoint_exists(path: &Path) -> bool {
    let (weights, meta) = ludus_nn::checkpoint::checkpoint_files(path);
    weights.is_file() && meta.is_file()
}
