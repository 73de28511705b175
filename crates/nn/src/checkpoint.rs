//! Checkpoints: weights as safetensors plus a JSON sidecar describing them.
//!
//! `ckpt.safetensors` opens in Python with `safetensors.numpy.load_file`; `ckpt.json` records
//! the architecture, the game and its parameters, the shapes, the training step, a format
//! version and a checksum of the weights file. Loading checks every one of these against what
//! the caller expects and says exactly what differs.
//!
//! Writes are crash-safe: each file is written to a temporary name, flushed to disk and renamed
//! into place, weights first. A crash between the two renames leaves the old sidecar next to the
//! new weights; the checksum catches that pairing instead of silently loading mismatched files.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use ludus_core::Game;
use serde::{Deserialize, Serialize};

use crate::{NetConfig, NetShape, Network, NnError, Result};

/// Sidecar format written by this build; older versions stay readable as long as possible.
pub const FORMAT_VERSION: u32 = 1;
const FORMAT_NAME: &str = "ludus-checkpoint";

/// The JSON sidecar.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckpointMeta {
    /// Always `ludus-checkpoint`.
    pub format: String,
    pub format_version: u32,
    /// Architecture and value head.
    pub net: NetConfig,
    /// Game name, as `ludus game` lists it.
    pub game: String,
    /// The game's parameters (e.g. Go's board size), which change its shapes and rules.
    pub game_params: BTreeMap<String, String>,
    pub observation_shape: [usize; 3],
    pub num_actions: usize,
    /// Optimiser steps taken when the checkpoint was written.
    pub training_step: u64,
    /// Size and FNV-1a 64 hash of the weights file, to detect a sidecar paired with other weights.
    pub weights_bytes: u64,
    pub weights_fnv1a64: String,
}

/// The two files of a checkpoint `path` (with or without a `.safetensors`/`.json` extension).
pub fn checkpoint_files(path: &Path) -> (PathBuf, PathBuf) {
    let base = match path.extension().and_then(|e| e.to_str()) {
        Some("safetensors") | Some("json") => path.with_extension(""),
        _ => path.to_path_buf(),
    };
    let with = |ext: &str| {
        let mut s = base.clone().into_os_string();
        s.push(".");
        s.push(ext);
        PathBuf::from(s)
    };
    (with("safetensors"), with("json"))
}

fn err(path: &Path, reason: impl Into<String>) -> NnError {
    NnError::Checkpoint {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Writes `bytes` to `path` atomically: temporary file, fsync, rename, fsync of the directory.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = {
        let mut s = path.as_os_str().to_owned();
        s.push(".tmp");
        PathBuf::from(s)
    };
    let io = |e: std::io::Error| err(path, format!("cannot write: {e}"));
    {
        let mut f = fs::File::create(&tmp).map_err(io)?;
        f.write_all(bytes).map_err(io)?;
        f.sync_all().map_err(io)?;
    }
    fs::rename(&tmp, path).map_err(io)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        // Persist the rename itself; not every platform lets a directory be opened, so ignore
        // failure here (the data is already safely in the file).
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

fn game_params<G: Game>(game: &G) -> BTreeMap<String, String> {
    game.params()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

/// Saves `net` (trained for `game`, after `training_step` optimiser steps) at `path`.
/// Returns the weights file's path.
pub fn save_checkpoint<G: Game>(
    path: &Path,
    net: &Network,
    game: &G,
    training_step: u64,
) -> Result<PathBuf> {
    let (weights_path, meta_path) = checkpoint_files(path);
    if NetShape::of(game) != *net.shape() {
        return Err(err(
            path,
            format!(
                "the network's shapes {:?} are not {}'s {:?}",
                net.shape(),
                game.name(),
                NetShape::of(game)
            ),
        ));
    }
    let cpu: HashMap<String, Tensor> = net
        .tensors()
        .into_iter()
        .map(|(k, t)| Ok((k, t.to_device(&Device::Cpu)?)))
        .collect::<Result<_>>()?;
    let bytes = safetensors::serialize(&cpu, None)
        .map_err(|e| err(&weights_path, format!("cannot encode weights: {e}")))?;
    let meta = CheckpointMeta {
        format: FORMAT_NAME.to_string(),
        format_version: FORMAT_VERSION,
        net: net.config().clone(),
        game: game.name().to_string(),
        game_params: game_params(game),
        observation_shape: net.shape().observation,
        num_actions: net.shape().num_actions,
        training_step,
        weights_bytes: bytes.len() as u64,
        weights_fnv1a64: format!("{:016x}", fnv1a64(&bytes)),
    };
    if let Some(dir) = weights_path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(|e| err(dir, format!("cannot create directory: {e}")))?;
    }
    write_atomic(&weights_path, &bytes)?;
    let json = serde_json::to_vec_pretty(&meta)
        .map_err(|e| err(&meta_path, format!("cannot encode sidecar: {e}")))?;
    write_atomic(&meta_path, &json)?;
    Ok(weights_path)
}

/// Reads and checks the sidecar of the checkpoint at `path` (format and version only).
pub fn read_checkpoint_meta(path: &Path) -> Result<CheckpointMeta> {
    let (_, meta_path) = checkpoint_files(path);
    let text = fs::read_to_string(&meta_path).map_err(|e| {
        err(
            &meta_path,
            format!("cannot read the checkpoint's sidecar: {e} (a checkpoint is NAME.safetensors + NAME.json)"),
        )
    })?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| err(&meta_path, format!("not valid JSON: {e}")))?;
    if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT_NAME) {
        return Err(err(
            &meta_path,
            "not a Ludus checkpoint sidecar (no \"format\": \"ludus-checkpoint\")",
        ));
    }
    let version = value
        .get("format_version")
        .and_then(|v| v.as_u64())
        .unwrap_or(0);
    if version != u64::from(FORMAT_VERSION) {
        return Err(err(
            &meta_path,
            format!(
                "format version {version}; this build reads version {FORMAT_VERSION}{}",
                if version > u64::from(FORMAT_VERSION) {
                    " (written by a newer Ludus: upgrade)"
                } else {
                    ""
                }
            ),
        ));
    }
    serde_json::from_value(value).map_err(|e| err(&meta_path, format!("malformed sidecar: {e}")))
}

/// Loads the checkpoint at `path` for `game` onto `device`, checking that it was written for
/// this game with these parameters and shapes, and — when `expected_net` is given — for this
/// architecture. `trainable` gives a network with variables (to resume training); otherwise a
/// frozen inference network.
pub fn load_checkpoint<G: Game>(
    path: &Path,
    game: &G,
    expected_net: Option<&NetConfig>,
    device: &Device,
    trainable: bool,
) -> Result<(Network, CheckpointMeta)> {
    let meta = read_checkpoint_meta(path)?;
    let (weights_path, meta_path) = checkpoint_files(path);
    if meta.game != game.name() {
        return Err(err(
            &meta_path,
            format!("trained for {}, not for {}", meta.game, game.name()),
        ));
    }
    let params = game_params(game);
    if meta.game_params != params {
        let diff: Vec<String> = params
            .keys()
            .chain(meta.game_params.keys())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .filter(|k| meta.game_params.get(*k) != params.get(*k))
            .map(|k| {
                format!(
                    "{k}: checkpoint {}, requested {}",
                    meta.game_params.get(k).map_or("(unset)", |v| v),
                    params.get(k).map_or("(unset)", |v| v)
                )
            })
            .collect();
        return Err(err(
            &meta_path,
            format!("{} parameters differ: {}", game.name(), diff.join("; ")),
        ));
    }
    let shape = NetShape::of(game);
    if meta.observation_shape != shape.observation || meta.num_actions != shape.num_actions {
        return Err(err(
            &meta_path,
            format!(
                "shapes differ: checkpoint has observation {:?} and {} actions, {} has {:?} and {}",
                meta.observation_shape,
                meta.num_actions,
                game.name(),
                shape.observation,
                shape.num_actions
            ),
        ));
    }
    if let Some(want) = expected_net {
        if *want != meta.net {
            let show =
                |c: &NetConfig| serde_json::to_string(c).unwrap_or_else(|_| c.kind().to_string());
            return Err(err(
                &meta_path,
                format!(
                    "holds a different network: checkpoint {}, requested {}",
                    show(&meta.net),
                    show(want)
                ),
            ));
        }
    }
    let bytes = fs::read(&weights_path)
        .map_err(|e| err(&weights_path, format!("cannot read weights: {e}")))?;
    if bytes.len() as u64 != meta.weights_bytes
        || format!("{:016x}", fnv1a64(&bytes)) != meta.weights_fnv1a64
    {
        return Err(err(
            &weights_path,
            "weights do not match their sidecar's checksum (truncated, or from another save)",
        ));
    }
    let tensors = candle_core::safetensors::load_buffer(&bytes, device).map_err(|e| {
        err(
            &weights_path,
            format!("not a readable safetensors file: {e}"),
        )
    })?;
    let net = Network::from_tensors(&meta.net, &shape, device, tensors, trainable)
        .map_err(|e| err(&weights_path, e.to_string()))?;
    Ok((net, meta))
}
