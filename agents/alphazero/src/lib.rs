//! AlphaZero self-play training for the Ludus board games.
//!
//! * [`TrainConfig`] — every hyper-parameter, with per-game defaults (`TrainConfig::for_game`).
//! * [`play_games`] — self-play: many games per worker thread, all their search leaves in one
//!   network batch; returns finished [`GameRecord`]s. With [`Trainer`]'s weights-in, games-out
//!   boundary this is the actor side of the actor/learner split.
//! * [`ReplayBuffer`] / [`Shard`] — the sliding window of positions, sampled with random board
//!   symmetries, one file per generation.
//! * [`Trainer`] — the loop (self-play → replay → AdamW → checkpoint → evaluation → commit) in
//!   a resumable run directory; see the `trainer` module docs for the layout and the crash
//!   guarantees.
//! * [`NetEvaluator`] — a network as the search's evaluator; [`evaluate`] — matches and the
//!   share of optimal moves.

mod agent;
mod config;
mod error;
pub mod evaluate;
mod net_eval;
pub mod plots;
mod replay;
mod selfplay;
mod trainer;

pub use agent::{load_agent, AgentOptions};
pub use config::{EvaluationConfig, ReplayConfig, SelfPlayConfig, TrainConfig, TrainingConfig};
pub use error::TrainError;
pub use evaluate::{MatchScore, Opponent};
/// The search algorithms, re-exported so that `AgentOptions` can be filled without depending on
/// `ludus-search`.
pub use ludus_search::Algorithm;
pub use net_eval::NetEvaluator;
pub use replay::{Batch, ReplayBuffer, Shard};
pub use selfplay::{play_games, GameRecord, SelfPlayStats, Step};
pub use trainer::{
    checkpoint_path, evaluation_search, Metrics, Observer, RunState, Silent, TrainSetup, Trainer,
};
