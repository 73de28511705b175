//! An AlphaStar-style agent for the Ludus RTS: the policy network ([`policy`]), what it sees
//! ([`features`]), how its logits become one conflict-free order per idle unit ([`decode`]),
//! experience collection ([`rollout`]), PPO ([`ppo`]), the league of opponents ([`league`]) and
//! the training run ([`trainer`], set by [`RtsTrainConfig`], drawn by [`plots`]).

pub mod agent;
pub mod config;
pub mod decode;
mod error;
pub mod features;
pub mod league;
pub mod plots;
pub mod policy;
pub mod ppo;
pub mod rollout;
pub mod trainer;

pub use agent::PolicyAgent;
pub use config::RtsTrainConfig;
pub use error::PpoError;
pub use features::{observe, Observation};
pub use policy::{Batch, Core, EntityEncoder, Policy, PolicyConfig, PolicyOutput, PolicyShape};
