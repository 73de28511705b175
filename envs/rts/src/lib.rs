//! A real-time strategy engine that follows microRTS's rules closely enough for our agents to
//! play the Java engine's bots: simultaneous moves, durative actions, reservations and
//! conflicts, two unit-type tables, microRTS maps and a map generator.
//!
//! * [`utt`]: unit types and tables (v1, v2, or microRTS's JSON);
//! * [`action`]: orders, their durations and what they reserve;
//! * [`state`]: the game state and its cycle;
//! * [`map`]: maps from XML files or the built-in generator;
//! * [`runner`]: the [`RtsAgent`] trait and the game loop;
//! * [`bots`]: scripted bots in the manner of microRTS's;
//! * [`path`]: A* path-finding for the bots;
//! * [`socket`]: microRTS's socket protocol, the AI's side;
//! * [`views`]: gym-µRTS observations, masks and actions, and entity lists for learning agents.

pub mod action;
pub mod bots;
pub mod error;
pub mod map;
pub mod path;
pub mod runner;
pub mod socket;
pub mod state;
pub mod utt;
pub mod views;

pub use action::{ActionType, Direction, UnitAction, Usage};
pub use bots::{parse_bot, Job, JobBoard, Passive, RandomBot, Rush, RushKind, BOT_NAMES};
pub use error::RtsError;
pub use map::{GeneratedMap, Map};
pub use runner::{apply, decide, play, step, GameOutcome, RtsAgent, RunOptions};
pub use state::{Assignment, GameState, IssueReport, Reservations, Unit, Winner};
pub use utt::{ids, ConflictPolicy, TypeId, UnitType, UnitTypeTable, UttVersion};
