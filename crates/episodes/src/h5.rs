//! Episodes to and from HDF5 groups, in Minari's layout (see the crate docs for the tree).
//!
//! Every array is written once, at its final shape, as one chunk compressed with shuffle and
//! deflate: h5py and Minari read deflate everywhere, and one chunk per array keeps HDF5's
//! per-chunk index out of the way (writing per step, or letting the crate pick a 64 MiB
//! default chunk, costs orders of magnitude more).

use std::path::Path;
use std::str::FromStr;

use hdf5::types::VarLenUnicode;
use hdf5::{Dataset, File, Group, H5Type};
use ndarray::{ArrayView, IxDyn};
use serde_json::Value;

use crate::{Episode, EpisodeError, SearchLog, Termination, TickEpisode, TickLayout};

/// Creates a file with HDF5 1.10's object format (compact headers, single-chunk index):
/// about a sixth of the metadata per episode of the 1.8 default, and every h5py reads it.
pub(crate) fn create_file(path: &Path) -> Result<File, EpisodeError> {
    File::with_options()
        .with_fapl(|p| p.libver_v110())
        .create(path)
        .map_err(|e| h5_error(path, e))
}

pub(crate) fn h5_error(path: &Path, e: hdf5::Error) -> EpisodeError {
    EpisodeError::Hdf5 {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Writes one array of `shape` (row-major `data`) named `name` under `group`.
fn put<T: H5Type>(
    group: &Group,
    name: &str,
    data: &[T],
    shape: &[usize],
    level: u8,
) -> hdf5::Result<Dataset> {
    let view = ArrayView::from_shape(IxDyn(shape), data)
        .map_err(|e| hdf5::Error::from(format!("{name}: {e}")))?;
    let chunk: Vec<usize> = shape.iter().map(|&d| d.max(1)).collect();
    let builder = group.new_dataset_builder().with_data(view).chunk(chunk);
    if level > 0 {
        builder.shuffle().deflate(level).create(name)
    } else {
        builder.create(name)
    }
}

/// `terminations` and `truncations` of `t` steps: all false but the last step's, which marks
/// how the game ended (by the rules, or cut off).
fn put_endings(g: &Group, t: usize, termination: Termination, level: u8) -> hdf5::Result<()> {
    let ended = |natural: bool| -> Vec<bool> {
        (0..t)
            .map(|i| i + 1 == t && (termination == Termination::Natural) == natural)
            .collect()
    };
    put(g, "terminations", &ended(true), &[t], level)?;
    put(g, "truncations", &ended(false), &[t], level)?;
    Ok(())
}

fn put_strings(group: &Group, name: &str, items: &[String]) -> hdf5::Result<Dataset> {
    let data = items
        .iter()
        .map(|s| vlen(s))
        .collect::<hdf5::Result<Vec<_>>>()?;
    group
        .new_dataset_builder()
        .with_data(&data[..])
        .create(name)
}

fn vlen(s: &str) -> hdf5::Result<VarLenUnicode> {
    VarLenUnicode::from_str(s).map_err(|e| hdf5::Error::from(format!("string {s:?}: {e}")))
}

fn attr_i64(group: &Group, name: &str, v: i64) -> hdf5::Result<()> {
    group.new_attr::<i64>().create(name)?.write_scalar(&v)
}

fn attr_str(group: &Group, name: &str, v: &str) -> hdf5::Result<()> {
    group
        .new_attr::<VarLenUnicode>()
        .create(name)?
        .write_scalar(&vlen(v)?)
}

/// Writes `episode` as group `name` of `file`, with `id` as its Minari id and its
/// observations shaped `planes` (`[C, H, W]`) per position.
pub(crate) fn write_episode(
    file: &File,
    name: &str,
    id: u64,
    episode: &Episode,
    planes: [usize; 3],
    level: u8,
) -> hdf5::Result<()> {
    let t = episode.plies();
    let rows = t + 1;
    let a = episode.action_masks.len() / rows;
    let p = episode.returns.len();
    let g = file.create_group(name)?;

    let observations = g.create_group("observations")?;
    let [c, h, w] = planes;
    put(
        &observations,
        "observation",
        &episode.observations,
        &[rows, c, h, w],
        level,
    )?;
    let mask: Vec<i8> = episode.action_masks.iter().map(|&m| m as i8).collect();
    put(&observations, "action_mask", &mask, &[rows, a], level)?;
    put(&observations, "to_play", &episode.to_play, &[rows], level)?;

    put(&g, "actions", &episode.actions, &[t], level)?;
    put(&g, "rewards", &episode.rewards(), &[t], level)?;
    put_endings(&g, t, episode.termination, level)?;

    let infos = g.create_group("infos")?;
    put(
        &infos,
        "rewards_all",
        &episode.rewards_all(),
        &[rows, p],
        level,
    )?;
    put(
        &infos,
        "value_target",
        &episode.value_target(),
        &[rows],
        level,
    )?;
    put(&infos, "value_pred", &episode.value_pred, &[rows], level)?;
    let mut moves = episode.moves.clone();
    moves.push(String::new());
    put_strings(&infos, "move", &moves)?;
    if let Some(s) = &episode.search {
        let m = infos.create_group("mcts")?;
        put(&m, "visit_counts", &s.visits, &[rows, a], level)?;
        put(&m, "policy", &s.policy, &[rows, a], level)?;
        put(&m, "q", &s.q, &[rows, a], level)?;
        put(&m, "root_value", &s.root_value, &[rows], level)?;
        put(&m, "num_sims", &s.simulations, &[rows], level)?;
    }

    write_attributes(
        &g,
        &Attributes {
            id,
            steps: t,
            seed: episode.seed,
            first_player: episode.to_play.first().copied().unwrap_or(0),
            winner: episode.winner(),
            termination: episode.termination,
            returns: &episode.returns,
            result: episode.result(),
            players: &episode.players,
            extra: &episode.extra,
        },
    )
}

/// The attributes of an episode group, shared by both kinds of episode.
struct Attributes<'a> {
    id: u64,
    steps: usize,
    seed: Option<u64>,
    first_player: i64,
    winner: Option<usize>,
    termination: Termination,
    returns: &'a [f32],
    result: String,
    players: &'a [String],
    extra: &'a serde_json::Map<String, Value>,
}

fn write_attributes(g: &Group, a: &Attributes) -> hdf5::Result<()> {
    attr_i64(g, "id", a.id as i64)?;
    attr_i64(g, "total_steps", a.steps as i64)?;
    if let Some(seed) = a.seed {
        // HDF5 has no unsigned attribute Minari casts back losslessly; the bits are kept.
        attr_i64(g, "seed", seed as i64)?;
    }
    attr_i64(g, "num_players", a.returns.len() as i64)?;
    attr_i64(g, "first_player", a.first_player)?;
    let winner = match (a.winner, a.termination) {
        (Some(w), _) => w as i64,
        (None, Termination::Natural) => -1,
        (None, _) => -2,
    };
    attr_i64(g, "winner", winner)?;
    let returns: Vec<f64> = a.returns.iter().map(|&r| f64::from(r)).collect();
    g.new_attr_builder()
        .with_data(&returns[..])
        .create("returns")?;
    attr_str(g, "result", &a.result)?;
    attr_str(g, "termination", a.termination.as_str())?;
    attr_str(g, "generator", concat!("ludus ", env!("CARGO_PKG_VERSION")))?;
    let players = a
        .players
        .iter()
        .map(|s| vlen(s))
        .collect::<hdf5::Result<Vec<_>>>()?;
    g.new_attr_builder()
        .with_data(&players[..])
        .create("player_ids")?;
    for (key, value) in a.extra {
        match value {
            Value::Number(n) if n.is_i64() => attr_i64(g, key, n.as_i64().unwrap_or(0))?,
            Value::Number(n) => g
                .new_attr::<f64>()
                .create(key.as_str())?
                .write_scalar(&n.as_f64().unwrap_or(f64::NAN))?,
            Value::String(s) => attr_str(g, key, s)?,
            Value::Bool(b) => attr_i64(g, key, i64::from(*b))?,
            other => attr_str(g, key, &other.to_string())?,
        }
    }
    Ok(())
}

/// Writes a game of simultaneous moves as group `name`: `observations/pK`, `actions/pK`,
/// `rewards` (seat 0's), `terminations`, `truncations`, `infos/rewards_all` and
/// `infos/pK/orders` (the exact orders, for replay).
pub(crate) fn write_tick_episode(
    file: &File,
    name: &str,
    id: u64,
    episode: &TickEpisode,
    layout: &TickLayout,
    level: u8,
) -> hdf5::Result<()> {
    let t = episode.ticks();
    let p = episode.returns.len();
    let g = file.create_group(name)?;
    let observations = g.create_group("observations")?;
    let actions = g.create_group("actions")?;
    let infos = g.create_group("infos")?;
    let mut obs_shape = vec![t + 1];
    obs_shape.extend(&layout.observation_shape);
    let mut act_shape = vec![t];
    act_shape.extend(&layout.action_shape);
    for k in 0..p {
        let seat = format!("p{k}");
        put(
            &observations,
            &seat,
            &episode.observations[k],
            &obs_shape,
            level,
        )?;
        put(&actions, &seat, &episode.actions[k], &act_shape, level)?;
        let own = infos.create_group(&seat)?;
        put_strings(&own, "orders", &episode.orders[k])?;
    }
    // Rewards come at the end: the final tick's row holds the returns.
    let mut rewards_all = vec![0f32; (t + 1) * p];
    if t > 0 {
        rewards_all[(t - 1) * p..t * p].copy_from_slice(&episode.returns);
    }
    let rewards: Vec<f32> = (0..t).map(|i| rewards_all[i * p]).collect();
    put(&g, "rewards", &rewards, &[t], level)?;
    put_endings(&g, t, episode.termination, level)?;
    put(&infos, "rewards_all", &rewards_all, &[t + 1, p], level)?;
    let result = match episode.winner() {
        Some(0) => "1-0".to_string(),
        Some(_) => "0-1".to_string(),
        None => "1/2-1/2".to_string(),
    };
    write_attributes(
        &g,
        &Attributes {
            id,
            steps: t,
            seed: episode.seed,
            first_player: 0,
            winner: episode.winner(),
            termination: episode.termination,
            returns: &episode.returns,
            result,
            players: &episode.players,
            extra: &episode.extra,
        },
    )
}

/// Reads the group `episode_<index>` of a simultaneous-move dataset back.
pub(crate) fn read_tick_episode(file: &File, index: u64) -> hdf5::Result<TickEpisode> {
    let summary = read_summary(file, index)?;
    let g = file.group(&format!("episode_{index}"))?;
    let p = summary.players.len();
    let mut observations = Vec::with_capacity(p);
    let mut actions = Vec::with_capacity(p);
    let mut orders = Vec::with_capacity(p);
    for k in 0..p {
        observations.push(g.dataset(&format!("observations/p{k}"))?.read_raw()?);
        actions.push(g.dataset(&format!("actions/p{k}"))?.read_raw()?);
        orders.push(read_strings(
            &g.dataset(&format!("infos/p{k}/orders"))?.read_raw()?,
        ));
    }
    Ok(TickEpisode {
        observations,
        actions,
        orders,
        returns: summary.returns,
        termination: summary.termination,
        players: summary.players,
        seed: summary.seed,
        extra: summary.extra,
    })
}

/// The attributes every reader wants without loading the arrays.
#[derive(Debug, Clone, PartialEq)]
pub struct EpisodeSummary {
    /// The episode's position in its dataset.
    pub index: u64,
    /// Plies played.
    pub plies: usize,
    /// The winning seat, `None` for a draw or an unfinished game.
    pub winner: Option<usize>,
    /// Each seat's final return.
    pub returns: Vec<f32>,
    /// `1-0`, `0-1`, `1/2-1/2`, …
    pub result: String,
    /// How it ended.
    pub termination: Termination,
    /// The agent in each seat.
    pub players: Vec<String>,
    /// The game's seed, when it had one.
    pub seed: Option<u64>,
    /// The moves played, in the game's notation.
    pub moves: Vec<String>,
    /// Every other attribute (search settings, generation, …).
    pub extra: serde_json::Map<String, Value>,
}

const CORE_ATTRIBUTES: &[&str] = &[
    "id",
    "total_steps",
    "seed",
    "num_players",
    "first_player",
    "winner",
    "returns",
    "result",
    "termination",
    "player_ids",
    "generator",
];

fn read_str(g: &Group, name: &str) -> hdf5::Result<String> {
    Ok(g.attr(name)?.read_scalar::<VarLenUnicode>()?.to_string())
}

fn read_strings(raw: &[VarLenUnicode]) -> Vec<String> {
    raw.iter().map(|s| s.to_string()).collect()
}

/// Reads the attributes and moves of the group `episode_<index>`.
pub(crate) fn read_summary(file: &File, index: u64) -> hdf5::Result<EpisodeSummary> {
    let g = file.group(&format!("episode_{index}"))?;
    let plies = g.attr("total_steps")?.read_scalar::<i64>()? as usize;
    let winner = g.attr("winner")?.read_scalar::<i64>()?;
    let returns: Vec<f32> = g
        .attr("returns")?
        .read_raw::<f64>()?
        .into_iter()
        .map(|r| r as f32)
        .collect();
    let termination = read_str(&g, "termination")?;
    let termination = Termination::parse(&termination)
        .ok_or_else(|| hdf5::Error::from(format!("unknown termination `{termination}`")))?;
    let players = read_strings(&g.attr("player_ids")?.as_reader().read_raw()?);
    let seed = if g.attr_names()?.iter().any(|n| n == "seed") {
        Some(g.attr("seed")?.read_scalar::<i64>()? as u64)
    } else {
        None
    };
    // Simultaneous-move episodes have no move notation.
    let mut moves = if g.link_exists("infos/move") {
        read_strings(&g.dataset("infos/move")?.read_raw()?)
    } else {
        Vec::new()
    };
    moves.truncate(plies);
    let mut extra = serde_json::Map::new();
    for name in g.attr_names()? {
        if CORE_ATTRIBUTES.contains(&name.as_str()) {
            continue;
        }
        let attr = g.attr(&name)?;
        let dtype = attr.dtype()?;
        let value = if dtype.is::<i64>() {
            Value::from(attr.read_scalar::<i64>()?)
        } else if dtype.is::<f64>() {
            Value::from(attr.read_scalar::<f64>()?)
        } else {
            Value::from(attr.read_scalar::<VarLenUnicode>()?.to_string())
        };
        extra.insert(name, value);
    }
    Ok(EpisodeSummary {
        index,
        plies,
        winner: usize::try_from(winner).ok(),
        returns,
        result: read_str(&g, "result")?,
        termination,
        players,
        seed,
        moves,
        extra,
    })
}

/// Reads the whole group `episode_<index>` back into an [`Episode`].
pub(crate) fn read_episode(file: &File, index: u64) -> hdf5::Result<Episode> {
    let summary = read_summary(file, index)?;
    let g = file.group(&format!("episode_{index}"))?;
    let search = if g.link_exists("infos/mcts") {
        Some(SearchLog {
            visits: g.dataset("infos/mcts/visit_counts")?.read_raw()?,
            policy: g.dataset("infos/mcts/policy")?.read_raw()?,
            q: g.dataset("infos/mcts/q")?.read_raw()?,
            root_value: g.dataset("infos/mcts/root_value")?.read_raw()?,
            simulations: g.dataset("infos/mcts/num_sims")?.read_raw()?,
        })
    } else {
        None
    };
    let mask: Vec<i8> = g.dataset("observations/action_mask")?.read_raw()?;
    Ok(Episode {
        observations: g.dataset("observations/observation")?.read_raw()?,
        action_masks: mask.into_iter().map(|m| m as u8).collect(),
        to_play: g.dataset("observations/to_play")?.read_raw()?,
        actions: g.dataset("actions")?.read_raw()?,
        moves: summary.moves,
        returns: summary.returns,
        value_pred: g.dataset("infos/value_pred")?.read_raw()?,
        search,
        termination: summary.termination,
        players: summary.players,
        seed: summary.seed,
        extra: summary.extra,
    })
}

/// Number of links (episodes) directly under the root of `file`.
pub(crate) fn count_members(file: &File) -> hdf5::Result<usize> {
    Ok(file.member_names()?.len())
}

/// Adds `episode_<first + k>` → `target:/episode_<k>` external links for `count` episodes.
pub(crate) fn link_episodes(file: &File, target: &str, first: u64, count: u64) -> hdf5::Result<()> {
    for k in 0..count {
        file.link_external(
            target,
            &format!("/episode_{k}"),
            &format!("episode_{}", first + k),
        )?;
    }
    Ok(())
}
