//! Reading datasets back: open one, iterate or filter its episodes, find datasets in a tree.

use std::path::{Path, PathBuf};

use crate::h5::{h5_error, read_episode, read_summary, read_tick_episode, EpisodeSummary};
use crate::store::{io, Store};
use crate::{DatasetInfo, Episode, EpisodeError, TickEpisode};

/// A dataset opened for reading: what `metadata.json` publishes, nothing more (episodes being
/// written are not seen until their shard is published).
#[derive(Debug)]
pub struct Dataset {
    dir: PathBuf,
    info: DatasetInfo,
    episodes: u64,
    steps: u64,
    file: hdf5::File,
}

impl Dataset {
    /// Opens the dataset at `path`: its directory, its `data/` folder, or its
    /// `metadata.json`.
    ///
    /// # Errors
    /// No dataset there, or files that Ludus did not write.
    pub fn open(path: &Path) -> Result<Self, EpisodeError> {
        let dir = if path.file_name().is_some_and(|n| n == "metadata.json") {
            path.parent().unwrap_or(Path::new(".")).to_path_buf()
        } else {
            path.to_path_buf()
        };
        let store = Store::at(&dir);
        let meta_path = store.metadata();
        if !meta_path.is_file() {
            return Err(EpisodeError::Invalid(format!(
                "{} is not an episode dataset (no data/metadata.json); `ludus episodes list` \
                 shows the datasets under runs/",
                path.display()
            )));
        }
        let text = std::fs::read_to_string(&meta_path).map_err(io(&meta_path))?;
        let value: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| EpisodeError::Invalid(format!("{}: {e}", meta_path.display())))?;
        let (info, episodes, steps) = DatasetInfo::from_metadata_json(&value)?;
        let main = store.main();
        let file = hdf5::File::open(&main).map_err(|e| h5_error(&main, e))?;
        Ok(Dataset {
            dir: store.data.parent().unwrap_or(Path::new(".")).to_path_buf(),
            info,
            episodes,
            steps,
            file,
        })
    }

    /// The dataset's directory (the folder holding `data/`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What the dataset holds.
    pub fn info(&self) -> &DatasetInfo {
        &self.info
    }

    /// Number of episodes.
    pub fn len(&self) -> u64 {
        self.episodes
    }

    /// Whether it has no episode yet.
    pub fn is_empty(&self) -> bool {
        self.episodes == 0
    }

    /// Total plies over all episodes.
    pub fn total_steps(&self) -> u64 {
        self.steps
    }

    /// The attributes and moves of episode `index`.
    ///
    /// # Errors
    /// An index past the end, or an unreadable episode.
    pub fn summary(&self, index: u64) -> Result<EpisodeSummary, EpisodeError> {
        self.check(index)?;
        read_summary(&self.file, index).map_err(|e| self.error(index, e))
    }

    /// The whole of episode `index`.
    ///
    /// # Errors
    /// An index past the end, or an unreadable episode.
    pub fn episode(&self, index: u64) -> Result<Episode, EpisodeError> {
        self.check(index)?;
        if self.info.ticks.is_some() {
            return Err(EpisodeError::Invalid(format!(
                "{} holds games of simultaneous moves; read them with tick_episode",
                self.dir.display()
            )));
        }
        read_episode(&self.file, index).map_err(|e| self.error(index, e))
    }

    /// The whole of episode `index` of a simultaneous-move dataset (the RTS).
    ///
    /// # Errors
    /// An index past the end, a turn-based dataset, or an unreadable episode.
    pub fn tick_episode(&self, index: u64) -> Result<TickEpisode, EpisodeError> {
        self.check(index)?;
        if self.info.ticks.is_none() {
            return Err(EpisodeError::Invalid(format!(
                "{} holds turn-based episodes; read them with episode",
                self.dir.display()
            )));
        }
        read_tick_episode(&self.file, index).map_err(|e| self.error(index, e))
    }

    /// Every episode's summary, in order.
    pub fn summaries(&self) -> impl Iterator<Item = Result<EpisodeSummary, EpisodeError>> + '_ {
        (0..self.episodes).map(|i| self.summary(i))
    }

    fn check(&self, index: u64) -> Result<(), EpisodeError> {
        if index >= self.episodes {
            return Err(EpisodeError::Invalid(format!(
                "episode {index} does not exist: {} has episodes 0 to {}",
                self.dir.display(),
                self.episodes.saturating_sub(1)
            )));
        }
        Ok(())
    }

    fn error(&self, index: u64, e: hdf5::Error) -> EpisodeError {
        EpisodeError::Hdf5 {
            path: self
                .dir
                .join(format!("data/main_data.hdf5#episode_{index}")),
            message: e.to_string(),
        }
    }
}

/// The dataset directories under `root` (any folder with a `data/metadata.json`), sorted.
pub fn find_datasets(root: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
        if dir.join("data").join("metadata.json").is_file() {
            out.push(dir.to_path_buf());
            return;
        }
        if depth == 0 {
            return;
        }
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            // Checkpoints and replay shards can be many; they never hold datasets.
            let skip = matches!(
                entry.file_name().to_str(),
                Some("checkpoints" | "replay" | "plots" | "data")
            );
            if path.is_dir() && !hidden && !skip {
                walk(&path, depth - 1, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(root, 6, &mut out);
    out.sort();
    out
}

/// A condition on episodes, `KEY OP VALUE` with OP one of `=`, `!=`, `<`, `<=`, `>`, `>=`.
/// Keys: `plies`, `winner` (a seat, or `draw`), `result`, `termination`, `player` (either
/// seat), `seat0`, `seat1`, …, `move1`, `move2`, … (the n-th move), and any other attribute
/// (`generation`, …).
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    key: String,
    op: Op,
    value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl std::str::FromStr for Filter {
    type Err = EpisodeError;

    fn from_str(text: &str) -> Result<Self, EpisodeError> {
        // Two-character operators first, so that `<=` is not read as `<`.
        for (token, op) in [
            ("!=", Op::Ne),
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("=", Op::Eq),
            ("<", Op::Lt),
            (">", Op::Gt),
        ] {
            if let Some((key, value)) = text.split_once(token) {
                let (key, value) = (key.trim(), value.trim());
                if key.is_empty() || value.is_empty() {
                    break;
                }
                return Ok(Filter {
                    key: key.to_string(),
                    op,
                    value: value.to_string(),
                });
            }
        }
        Err(EpisodeError::Invalid(format!(
            "filter `{text}` is not KEY OP VALUE (e.g. winner=0, plies>=20, player=mcts:sims=200)"
        )))
    }
}

impl Filter {
    /// Whether `episode` passes. A key the episode does not have fails every comparison.
    pub fn matches(&self, e: &EpisodeSummary) -> bool {
        let field: Option<String> = match self.key.as_str() {
            "plies" => Some(e.plies.to_string()),
            "winner" => Some(e.winner.map_or("draw".to_string(), |w| w.to_string())),
            "result" => Some(e.result.clone()),
            "termination" => Some(e.termination.as_str().to_string()),
            "player" => {
                // Either seat: equality asks for one seat holding it, inequality for none.
                let any = e.players.iter().any(|p| p == &self.value);
                return match self.op {
                    Op::Eq => any,
                    Op::Ne => !any,
                    _ => false,
                };
            }
            k => {
                if let Some(n) = k.strip_prefix("seat").and_then(|n| n.parse::<usize>().ok()) {
                    e.players.get(n).cloned()
                } else if let Some(n) = k.strip_prefix("move").and_then(|n| n.parse::<usize>().ok())
                {
                    n.checked_sub(1).and_then(|i| e.moves.get(i)).cloned()
                } else {
                    e.extra.get(k).map(|v| match v {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                }
            }
        };
        let Some(field) = field else {
            return false;
        };
        let ordering = match (field.parse::<f64>(), self.value.parse::<f64>()) {
            (Ok(a), Ok(b)) => a.partial_cmp(&b),
            _ => Some(field.as_str().cmp(self.value.as_str())),
        };
        let Some(o) = ordering else {
            return false;
        };
        match self.op {
            Op::Eq => o.is_eq(),
            Op::Ne => o.is_ne(),
            Op::Lt => o.is_lt(),
            Op::Le => o.is_le(),
            Op::Gt => o.is_gt(),
            Op::Ge => o.is_ge(),
        }
    }
}
