//! The writer: a thread that owns the HDF5 file being filled and takes finished episodes over a
//! channel (HDF5 serialises every call anyway, so one thread loses nothing and keeps the
//! players from waiting on compression).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::h5::{h5_error, write_episode, write_tick_episode};
use crate::store::{Store, Totals};
use crate::{DatasetInfo, Episode, EpisodeError, TickEpisode};

/// When the writer closes a shard and publishes it.
#[derive(Debug, Clone, PartialEq)]
pub struct WriterOptions {
    /// Episodes per shard (default 1,000).
    pub shard_episodes: usize,
    /// Longest time an episode waits unpublished (default 30 s): a crash loses at most this
    /// much play.
    pub shard_seconds: f64,
    /// Deflate level 0–9 (default 4; 0 stores the arrays uncompressed).
    pub compression: u8,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            shard_episodes: 1000,
            shard_seconds: 30.0,
            compression: 4,
        }
    }
}

enum Command {
    Episode(Box<Episode>),
    Ticks(Box<TickEpisode>),
    Begin {
        name: String,
        reply: mpsc::Sender<Result<Totals, EpisodeError>>,
    },
    Publish {
        reply: mpsc::Sender<Result<Totals, EpisodeError>>,
    },
}

/// Writes episodes to a dataset directory (created if needed; appended to if it exists).
///
/// Episodes become visible to readers when their shard is published: after
/// [`WriterOptions::shard_episodes`] episodes, after [`WriterOptions::shard_seconds`], on
/// [`DatasetWriter::publish`], and when the writer is finished or dropped.
///
/// HDF5 opens files without close-on-exec: a child process started while a shard is open
/// inherits the shard's lock and holds it until the child exits, so readers in this process
/// cannot open that shard until then. Start children before writing, or after publishing.
#[derive(Debug)]
pub struct DatasetWriter {
    info: DatasetInfo,
    dir: PathBuf,
    sender: Option<SyncSender<Command>>,
    thread: Option<JoinHandle<()>>,
    failure: Arc<Mutex<Option<EpisodeError>>>,
}

impl DatasetWriter {
    /// Opens (or creates) the dataset at `dir` for `info`'s game and starts the writer thread.
    ///
    /// # Errors
    /// A bad id, a directory that cannot be written, or an existing dataset of another game.
    pub fn create(
        dir: &Path,
        info: DatasetInfo,
        options: WriterOptions,
    ) -> Result<Self, EpisodeError> {
        info.validate()?;
        if options.compression > 9 || options.shard_episodes == 0 {
            return Err(EpisodeError::Invalid(
                "compression must be 0–9 and shard_episodes at least 1".into(),
            ));
        }
        let store = Store::at(dir);
        let totals = store.open_or_create(&info)?;
        let (sender, receiver) = mpsc::sync_channel(256);
        let failure = Arc::new(Mutex::new(None));
        let mut worker = Worker {
            store,
            info: info.clone(),
            options,
            shard: None,
            totals,
        };
        let fail = Arc::clone(&failure);
        let thread = std::thread::Builder::new()
            .name("episode-writer".into())
            .spawn(move || {
                if let Err(e) = worker.run(&receiver) {
                    *fail.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                }
            })
            .map_err(|e| EpisodeError::Invalid(format!("cannot start the writer thread: {e}")))?;
        Ok(DatasetWriter {
            info,
            dir: dir.to_path_buf(),
            sender: Some(sender),
            thread: Some(thread),
            failure,
        })
    }

    /// The dataset's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Queues a finished episode.
    ///
    /// # Errors
    /// An episode whose arrays do not fit the dataset's shapes, or the writer's own failure
    /// (a full disk, say), reported on the first call after it happened.
    pub fn write(&self, episode: Episode) -> Result<(), EpisodeError> {
        check_shapes(&self.info, &episode)?;
        self.send(Command::Episode(Box::new(episode)))
    }

    /// Queues a finished game of simultaneous moves (for datasets with a
    /// [`DatasetInfo::ticks`] layout).
    ///
    /// # Errors
    /// As [`DatasetWriter::write`].
    pub fn write_ticks(&self, episode: TickEpisode) -> Result<(), EpisodeError> {
        check_tick_shapes(&self.info, &episode)?;
        self.send(Command::Ticks(Box::new(episode)))
    }

    fn send(&self, command: Command) -> Result<(), EpisodeError> {
        let sent = self
            .sender
            .as_ref()
            .is_some_and(|s| s.send(command).is_ok());
        if sent {
            Ok(())
        } else {
            Err(self.failure())
        }
    }

    /// Publishes the current shard, then starts one called `name` that holds every episode
    /// written until the next [`DatasetWriter::publish`] (no rotation by count or time) and
    /// that replaces a published shard of the same name. The trainer names each generation's
    /// shard: a generation played again after a crash then replaces its games instead of
    /// logging them twice.
    ///
    /// # Errors
    /// A name that is not a plain file name, or the writer's failure.
    pub fn begin_shard(&self, name: &str) -> Result<Totals, EpisodeError> {
        let plain = !name.is_empty()
            && !name.starts_with('.')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
        if !plain {
            return Err(EpisodeError::Invalid(format!(
                "shard name `{name}`: use letters, digits, `-`, `_` and `.` only"
            )));
        }
        self.ask(|reply| Command::Begin {
            name: name.to_string(),
            reply,
        })
    }

    /// Closes the current shard and publishes it, waiting until it is on disk and counted.
    ///
    /// # Errors
    /// The writer's failure.
    pub fn publish(&self) -> Result<Totals, EpisodeError> {
        self.ask(|reply| Command::Publish { reply })
    }

    fn ask(
        &self,
        command: impl FnOnce(mpsc::Sender<Result<Totals, EpisodeError>>) -> Command,
    ) -> Result<Totals, EpisodeError> {
        let (reply, answer) = mpsc::channel();
        let sender = self.sender.as_ref().ok_or_else(|| self.failure())?;
        sender.send(command(reply)).map_err(|_| self.failure())?;
        answer.recv().map_err(|_| self.failure())?
    }

    /// Publishes what is left and stops the writer.
    ///
    /// # Errors
    /// The writer's failure.
    pub fn finish(mut self) -> Result<Totals, EpisodeError> {
        let totals = self.publish();
        self.stop();
        totals
    }

    fn stop(&mut self) {
        self.sender = None;
        if let Some(t) = self.thread.take() {
            t.join().ok();
        }
    }

    fn failure(&self) -> EpisodeError {
        self.failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .unwrap_or_else(|| EpisodeError::Invalid("the episode writer has stopped".into()))
    }
}

impl Drop for DatasetWriter {
    /// Publishes what was written (errors cannot be reported from here; call
    /// [`DatasetWriter::finish`] to see them).
    fn drop(&mut self) {
        if self.sender.is_some() {
            self.publish().ok();
        }
        self.stop();
    }
}

fn check_tick_shapes(info: &DatasetInfo, e: &TickEpisode) -> Result<(), EpisodeError> {
    let Some(layout) = &info.ticks else {
        return Err(EpisodeError::Invalid(format!(
            "dataset `{}` holds turn-based episodes, not games of simultaneous moves",
            info.dataset_id
        )));
    };
    let t = e.ticks();
    let p = info.num_players;
    let obs: usize = layout.observation_shape.iter().product();
    let act: usize = layout.action_shape.iter().product();
    let ok = e.observations.len() == p
        && e.actions.len() == p
        && e.orders.len() == p
        && e.returns.len() == p
        && e.players.len() == p
        && e.observations.iter().all(|o| o.len() == (t + 1) * obs)
        && e.actions.iter().all(|a| a.len() == t * act)
        && e.orders.iter().all(|o| o.len() == t);
    if ok {
        Ok(())
    } else {
        Err(EpisodeError::Invalid(format!(
            "a game of {t} ticks does not fit dataset `{}` ({p} players, observations {:?}, \
             actions {:?} per tick)",
            info.dataset_id, layout.observation_shape, layout.action_shape
        )))
    }
}

fn check_shapes(info: &DatasetInfo, e: &Episode) -> Result<(), EpisodeError> {
    if info.ticks.is_some() {
        return Err(EpisodeError::Invalid(format!(
            "dataset `{}` holds games of simultaneous moves: write them with write_ticks",
            info.dataset_id
        )));
    }
    let rows = e.plies() + 1;
    let obs: usize = info.observation_shape.iter().product();
    let a = info.num_actions;
    let search_ok = e.search.as_ref().is_none_or(|s| {
        s.visits.len() == rows * a
            && s.policy.len() == rows * a
            && s.q.len() == rows * a
            && s.root_value.len() == rows
            && s.simulations.len() == rows
    });
    let ok = e.observations.len() == rows * obs
        && e.action_masks.len() == rows * a
        && e.to_play.len() == rows
        && e.moves.len() == e.plies()
        && e.value_pred.len() == rows
        && e.returns.len() == info.num_players
        && e.players.len() == info.num_players
        && search_ok;
    if ok {
        Ok(())
    } else {
        Err(EpisodeError::Invalid(format!(
            "an episode of {} plies does not fit dataset `{}` ({:?} planes, {a} actions, {} \
             players): record it with EpisodeRecorder for the same game",
            e.plies(),
            info.dataset_id,
            info.observation_shape,
            info.num_players
        )))
    }
}

struct OpenShard {
    name: String,
    /// Named shards are closed only when asked (see [`DatasetWriter::begin_shard`]).
    named: bool,
    /// The dataset index of its first episode.
    first_id: u64,
    file: hdf5::File,
    path: PathBuf,
    episodes: u64,
    steps: u64,
    opened: Instant,
}

struct Worker {
    store: Store,
    info: DatasetInfo,
    options: WriterOptions,
    shard: Option<OpenShard>,
    totals: Totals,
}

impl Worker {
    fn run(&mut self, receiver: &Receiver<Command>) -> Result<(), EpisodeError> {
        let max_age = Duration::from_secs_f64(self.options.shard_seconds.max(0.001));
        loop {
            let command = match &self.shard {
                Some(s) if !s.named => {
                    let wait = max_age.saturating_sub(s.opened.elapsed());
                    match receiver.recv_timeout(wait) {
                        Ok(c) => c,
                        Err(RecvTimeoutError::Timeout) => {
                            self.close_and_publish()?;
                            continue;
                        }
                        Err(RecvTimeoutError::Disconnected) => break,
                    }
                }
                _ => match receiver.recv() {
                    Ok(c) => c,
                    Err(_) => break,
                },
            };
            match &command {
                Command::Episode(_) | Command::Ticks(_) => {
                    self.append(&command)?;
                    if self.shard.as_ref().is_some_and(|s| {
                        !s.named && s.episodes as usize >= self.options.shard_episodes
                    }) {
                        self.close_and_publish()?;
                    }
                }
                Command::Begin { name, reply } => {
                    let result = self
                        .close_and_publish()
                        .and_then(|_| self.open_named(name.clone()));
                    let failed = result.as_ref().err().map(ToString::to_string);
                    reply.send(result).ok();
                    if let Some(message) = failed {
                        return Err(EpisodeError::Invalid(message));
                    }
                }
                Command::Publish { reply } => {
                    let result = self.close_and_publish();
                    let failed = result.as_ref().err().map(ToString::to_string);
                    reply.send(result).ok();
                    if let Some(message) = failed {
                        return Err(EpisodeError::Invalid(message));
                    }
                }
            }
        }
        self.close_and_publish().map(|_| ())
    }

    fn open(&mut self, name: String, named: bool, first_id: u64) -> Result<(), EpisodeError> {
        let (path, file) = self.store.create_partial(&name)?;
        self.shard = Some(OpenShard {
            name,
            named,
            first_id,
            file,
            path,
            episodes: 0,
            steps: 0,
            opened: Instant::now(),
        });
        Ok(())
    }

    /// Opens shard `name`; its episodes take the place of a published shard of that name.
    fn open_named(&mut self, name: String) -> Result<Totals, EpisodeError> {
        let index = self.store.read_index()?;
        let file = format!("shards/{name}.hdf5");
        let first_id = match index.shards.iter().position(|s| s.file == file) {
            Some(k) => index.shards[..k].iter().map(|s| s.episodes).sum(),
            None => index.episodes(),
        };
        self.open(name, true, first_id)?;
        Ok(self.totals)
    }

    fn append(&mut self, command: &Command) -> Result<(), EpisodeError> {
        if self.shard.is_none() {
            let name = self.fresh_name();
            self.open(name, false, self.totals.episodes)?;
        }
        let shard = self.shard.as_mut().expect("opened above");
        let k = shard.episodes;
        let (name, id, level) = (
            format!("episode_{k}"),
            shard.first_id + k,
            self.options.compression,
        );
        let steps = match command {
            Command::Episode(e) => write_episode(
                &shard.file,
                &name,
                id,
                e,
                self.info.observation_shape,
                level,
            )
            .map(|()| e.plies()),
            Command::Ticks(e) => {
                let layout = self.info.ticks.as_ref().expect("checked when queued");
                write_tick_episode(&shard.file, &name, id, e, layout, level).map(|()| e.ticks())
            }
            _ => return Ok(()),
        }
        .map_err(|e| h5_error(&shard.path, e))?;
        shard.episodes += 1;
        shard.steps += steps as u64;
        Ok(())
    }

    /// A shard name no other writer uses: the time, this process and a counter shared by all
    /// writers of the process (two writers of one process may open shards in the same
    /// millisecond, even into the same dataset).
    fn fresh_name(&mut self) -> String {
        static SEQUENCE: AtomicU64 = AtomicU64::new(0);
        let sequence = SEQUENCE.fetch_add(1, Ordering::Relaxed);
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        format!("shard-{ms}-{}-{sequence}", std::process::id())
    }

    fn close_and_publish(&mut self) -> Result<Totals, EpisodeError> {
        let Some(shard) = self.shard.take() else {
            return Ok(self.totals);
        };
        if shard.episodes == 0 && !shard.named {
            shard.file.close().map_err(|e| h5_error(&shard.path, e))?;
            std::fs::remove_file(&shard.path).ok();
            return Ok(self.totals);
        }
        self.totals = self.store.publish(
            &self.info,
            shard.file,
            &shard.name,
            shard.episodes,
            shard.steps,
        )?;
        Ok(self.totals)
    }
}
