//! Episode logs: every game Ludus plays, kept in HDF5 files that Farama's Minari
//! (`minari.MinariDataset(path)`) and plain `h5py` open as they are.
//!
//! One episode is one game, one step one ply. A dataset is a directory (see
//! [Layout](#layout)); inside `main_data.hdf5` each `episode_<i>` group holds:
//!
//! ```text
//! episode_<i>/
//!   @id @total_steps @seed @num_players @first_player
//!   @winner (seat, −1 draw, −2 unfinished) @returns @result ("1-0", "0-1", "1/2-1/2")
//!   @termination ("natural", "move_limit", "aborted") @player_ids (agent per seat)
//!   @generator ("ludus 0.1.0")
//!   @… extra attributes: search settings, generation
//!   observations/observation  (T+1, C, H, W) f32   planes from the mover's view
//!   observations/action_mask  (T+1, A) i8          legal moves (final row all zero)
//!   observations/to_play      (T+1,) i64
//!   actions (T,) i64    rewards (T,) f64 (to the mover)    terminations, truncations (T,) bool
//!   infos/rewards_all (T+1, P) f32   infos/value_target (T+1,) f32 (outcome for the mover)
//!   infos/value_pred (T+1,) f32 (network value, NaN if none)   infos/move (T+1,) str
//!   infos/mcts/{visit_counts u32, policy f32, q f32} (T+1, A), {root_value f32, num_sims i32} (T+1,)
//! ```
//!
//! Row `t` of every `T + 1`-row array describes the position before ply `t` — where the search
//! that chose `actions[t]` ran — and the last row the final position (Minari's convention).
//!
//! Games of simultaneous moves (the RTS) are [`TickEpisode`]s, one step per tick, in datasets
//! whose [`DatasetInfo::ticks`] gives each player's shapes; Minari sees Dict spaces keyed `p0`,
//! `p1`:
//!
//! ```text
//! episode_<i>/
//!   @… the same attributes (first_player 0)
//!   observations/p0, observations/p1  (T+1, …observation shape) i8
//!   actions/p0, actions/p1            (T, …action shape) i32
//!   rewards (T,) f32 (seat 0's)   terminations, truncations (T,) bool
//!   infos/rewards_all (T+1, P) f32   infos/p0/orders, infos/p1/orders (T,) str (exact orders)
//! ```
//!
//! # Layout
//! A dataset directory holds `data/metadata.json`, `data/main_data.hdf5` (external links
//! only), and closed shards under `data/shards/`. [`DatasetWriter`] fills one shard at a time
//! on its own thread and publishes it (rename into place, then relink, then count) so that a
//! crash at any moment loses only the shard being filled; several processes can write into one
//! dataset, one shard each. [`Dataset`] reads what was published.

mod episode;
mod error;
mod h5;
mod metadata;
mod reader;
mod rts;
mod store;
mod writer;

pub use episode::{Episode, EpisodeRecorder, SearchLog, Termination, TickEpisode};
pub use error::EpisodeError;
pub use h5::EpisodeSummary;
pub use metadata::{DatasetInfo, TickLayout, MINARI_VERSION, SCHEMA};
pub use reader::{find_datasets, Dataset, Filter};
pub use rts::{rts_dataset_info, TickRecorder};
pub use store::Totals;
pub use writer::{DatasetWriter, WriterOptions};

/// The HDF5 library version this build runs against, as `(major, minor, release)`.
pub fn hdf5_version() -> (u8, u8, u8) {
    hdf5::library_version()
}
