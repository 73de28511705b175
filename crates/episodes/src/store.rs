//! A dataset's directory and how shards are published into it.
//!
//! ```text
//! DATASET/                      e.g. runs/c4/episodes/selfplay-v0
//! └── data/
//!     ├── metadata.json         Minari's metadata; total_episodes counts what is published
//!     ├── main_data.hdf5        one external link per episode: episode_i → shards/X.hdf5:/episode_k
//!     ├── shards.json           the published shards in order, with their episode and ply counts
//!     ├── shards/NAME.hdf5      closed shards, each a Minari-layout file of its own
//!     └── .lock                 held while publishing, so several processes can share a dataset
//! ```
//!
//! A writer fills a hidden `shards/.NAME.partial.hdf5`; publishing closes it, renames it into
//! place, and then — under the lock — rewrites `main_data.hdf5`, `shards.json` and
//! `metadata.json`, each by writing a temporary file and renaming it over the old one. A
//! reader therefore never sees a half-written file, and `metadata.json`, written last, never
//! counts an episode whose link and shard are not already on disk. A crash loses only the
//! partial shard.

use std::fs::{self, File as StdFile};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::h5::{count_members, create_file, h5_error, link_episodes};
use crate::{DatasetInfo, EpisodeError};

/// One published shard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ShardEntry {
    /// Its file, relative to `data/`.
    pub file: String,
    pub episodes: u64,
    pub steps: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ShardIndex {
    pub shards: Vec<ShardEntry>,
}

impl ShardIndex {
    pub fn episodes(&self) -> u64 {
        self.shards.iter().map(|s| s.episodes).sum()
    }

    pub fn steps(&self) -> u64 {
        self.shards.iter().map(|s| s.steps).sum()
    }
}

/// The totals of a dataset after a publication.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Episodes readers can see.
    pub episodes: u64,
    /// Their plies.
    pub steps: u64,
}

/// Paths inside one dataset directory.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    pub data: PathBuf,
}

impl Store {
    /// The dataset at `dir` (its root, or its `data/` folder).
    pub fn at(dir: &Path) -> Self {
        let data = if dir.file_name().is_some_and(|n| n == "data") {
            dir.to_path_buf()
        } else {
            dir.join("data")
        };
        Store { data }
    }

    pub fn metadata(&self) -> PathBuf {
        self.data.join("metadata.json")
    }

    pub fn main(&self) -> PathBuf {
        self.data.join("main_data.hdf5")
    }

    fn index_path(&self) -> PathBuf {
        self.data.join("shards.json")
    }

    pub fn shards(&self) -> PathBuf {
        self.data.join("shards")
    }

    pub fn partial(&self, name: &str) -> PathBuf {
        self.shards().join(format!(".{name}.partial.hdf5"))
    }

    /// Creates the partial shard `name`, under the dataset's lock so that orphan removal never
    /// sees it before HDF5 has locked it.
    pub fn create_partial(&self, name: &str) -> Result<(PathBuf, hdf5::File), EpisodeError> {
        let path = self.partial(name);
        let _lock = DirLock::acquire(&self.data)?;
        let file = create_file(&path)?;
        Ok((path, file))
    }

    /// Creates the dataset if it does not exist (empty, but already loadable), or checks that
    /// the existing one holds the same game with the same shapes.
    pub fn open_or_create(&self, info: &DatasetInfo) -> Result<Totals, EpisodeError> {
        fs::create_dir_all(self.shards()).map_err(io(&self.shards()))?;
        let _lock = DirLock::acquire(&self.data)?;
        if self.metadata().is_file() {
            let text = fs::read_to_string(self.metadata()).map_err(io(&self.metadata()))?;
            let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
                EpisodeError::Invalid(format!("{}: {e}", self.metadata().display()))
            })?;
            let (existing, _, _) = DatasetInfo::from_metadata_json(&value)?;
            if existing.game != info.game
                || existing.observation_shape != info.observation_shape
                || existing.num_actions != info.num_actions
                || existing.num_players != info.num_players
            {
                return Err(EpisodeError::Invalid(format!(
                    "{} holds `{}` episodes ({:?} planes, {} actions); these are `{}` ({:?}, {}): \
                     log them to another directory",
                    self.data.display(),
                    existing.game,
                    existing.observation_shape,
                    existing.num_actions,
                    info.game,
                    info.observation_shape,
                    info.num_actions
                )));
            }
            let index = self.read_index()?;
            self.remove_orphans();
            return Ok(Totals {
                episodes: index.episodes(),
                steps: index.steps(),
            });
        }
        let tmp = self.data.join(".main_data.hdf5.tmp");
        create_file(&tmp)?.close().map_err(|e| h5_error(&tmp, e))?;
        sync_file(&tmp)?;
        rename(&tmp, &self.main())?;
        self.write_index(&ShardIndex::default())?;
        write_atomic(
            &self.metadata(),
            serde_json::to_string_pretty(&info.metadata_json(0, 0))
                .expect("metadata serialises")
                .as_bytes(),
        )?;
        Ok(Totals::default())
    }

    /// Partial shards left by writers that died: HDF5 holds an exclusive lock on a file it
    /// writes, so one whose lock can be taken has no writer any more.
    fn remove_orphans(&self) {
        let Ok(entries) = fs::read_dir(self.shards()) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            if !(name.starts_with('.') && name.ends_with(".partial.hdf5")) {
                continue;
            }
            if let Ok(f) = StdFile::open(entry.path()) {
                if f.try_lock().is_ok() {
                    drop(f);
                    fs::remove_file(entry.path()).ok();
                }
            }
        }
    }

    pub fn read_index(&self) -> Result<ShardIndex, EpisodeError> {
        let path = self.index_path();
        if !path.exists() {
            return Ok(ShardIndex::default());
        }
        let text = fs::read_to_string(&path).map_err(io(&path))?;
        serde_json::from_str(&text)
            .map_err(|e| EpisodeError::Invalid(format!("{}: {e}", path.display())))
    }

    fn write_index(&self, index: &ShardIndex) -> Result<(), EpisodeError> {
        let text = serde_json::to_string_pretty(index).expect("index serialises");
        write_atomic(&self.index_path(), text.as_bytes())
    }

    /// Publishes the closed partial shard `name` holding `episodes` episodes of `steps` plies.
    /// A shard of the same name that was published before is replaced (a generation played
    /// again after a crash writes the same games again, so it must not count them twice).
    ///
    /// The file is closed under the dataset's lock: once HDF5 lets go of a partial shard,
    /// another writer's [`Store::open_or_create`] would take it for an orphan and delete it
    /// before the rename.
    pub fn publish(
        &self,
        info: &DatasetInfo,
        file: hdf5::File,
        name: &str,
        episodes: u64,
        steps: u64,
    ) -> Result<Totals, EpisodeError> {
        let partial = self.partial(name);
        let _lock = DirLock::acquire(&self.data)?;
        file.close().map_err(|e| h5_error(&partial, e))?;
        sync_file(&partial)?;
        let file = format!("shards/{name}.hdf5");
        let target = self.data.join(&file);
        rename(&partial, &target)?;
        sync_dir(&self.shards());

        let mut index = self.read_index()?;
        let linked_before = index.episodes();
        let entry = ShardEntry {
            file: file.clone(),
            episodes,
            steps,
        };
        // What `main_data.hdf5` needs: nothing when a shard is replaced by one of the same
        // size (its links name the file, not its contents); links for a new last shard;
        // otherwise a rebuild.
        let (new_links, rebuild) = match index.shards.iter().position(|s| s.file == file) {
            Some(k) => {
                let same = index.shards[k].episodes == episodes;
                index.shards[k] = entry;
                (None, !same)
            }
            None => {
                index.shards.push(entry);
                (Some((linked_before, episodes)), false)
            }
        };
        let main = self.main();
        let consistent = hdf5::File::open(&main)
            .and_then(|f| count_members(&f))
            .is_ok_and(|n| n as u64 == linked_before);
        if rebuild || !consistent {
            let tmp = self.data.join(".main_data.hdf5.tmp");
            let f = create_file(&tmp)?;
            let mut first = 0;
            for s in &index.shards {
                link_episodes(&f, &s.file, first, s.episodes).map_err(|e| h5_error(&tmp, e))?;
                first += s.episodes;
            }
            f.close().map_err(|e| h5_error(&tmp, e))?;
            sync_file(&tmp)?;
            rename(&tmp, &main)?;
        } else if let Some((first, count)) = new_links {
            let tmp = self.data.join(".main_data.hdf5.tmp");
            fs::copy(&main, &tmp).map_err(io(&tmp))?;
            let f = hdf5::File::open_rw(&tmp).map_err(|e| h5_error(&tmp, e))?;
            link_episodes(&f, &file, first, count).map_err(|e| h5_error(&tmp, e))?;
            f.close().map_err(|e| h5_error(&tmp, e))?;
            sync_file(&tmp)?;
            rename(&tmp, &main)?;
        }
        self.write_index(&index)?;
        let totals = Totals {
            episodes: index.episodes(),
            steps: index.steps(),
        };
        let metadata = info.metadata_json(totals.episodes, totals.steps);
        write_atomic(
            &self.metadata(),
            serde_json::to_string_pretty(&metadata)
                .expect("metadata serialises")
                .as_bytes(),
        )?;
        Ok(totals)
    }
}

/// An exclusive lock on `data/.lock`, released when dropped (or when the process dies).
struct DirLock(StdFile);

impl DirLock {
    fn acquire(data: &Path) -> Result<Self, EpisodeError> {
        let path = data.join(".lock");
        let f = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io(&path))?;
        f.lock().map_err(io(&path))?;
        Ok(DirLock(f))
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        self.0.unlock().ok();
    }
}

pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> EpisodeError + '_ {
    move |e| EpisodeError::Io {
        path: path.to_path_buf(),
        source: e,
    }
}

fn rename(from: &Path, to: &Path) -> Result<(), EpisodeError> {
    fs::rename(from, to).map_err(io(from))
}

fn sync_file(path: &Path) -> Result<(), EpisodeError> {
    StdFile::open(path)
        .and_then(|f| f.sync_all())
        .map_err(io(path))
}

fn sync_dir(path: &Path) {
    // Makes a rename durable; not every platform can open a directory, so failures are
    // ignored (the rename itself already happened).
    if let Ok(d) = StdFile::open(path) {
        d.sync_all().ok();
    }
}

/// Writes `path` through a temporary file and a rename, so that it is never seen half-written.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), EpisodeError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    {
        let mut f = StdFile::create(&tmp).map_err(io(&tmp))?;
        f.write_all(bytes).map_err(io(&tmp))?;
        f.sync_all().map_err(io(&tmp))?;
    }
    rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        sync_dir(dir);
    }
    Ok(())
}
