//! Head-to-head statistics, results in and ratings out, for `ludus match`, `ludus tournament`
//! and the trainer:
//! - [`elo`]: the logistic Elo scale, one match's estimate with its interval and likelihood of
//!   superiority, from single games (trinomial) or game pairs (pentanomial);
//! - [`fit`]: Bradley–Terry ratings for many players from all games at once, anchored, with
//!   bootstrap intervals over game pairs and the superiority matrix;
//! - [`sprt`]: fishtest's generalised sequential probability ratio test.
//!
//! The formulas follow fishtest (`LLRcalc`), cutechess-cli and Ordo/BayesElo; each module says
//! which.

pub mod elo;
pub mod fit;
pub mod sprt;

pub use elo::{elo_from_score, estimate, expected_score, EloEstimate, Results};
pub use fit::{fit, FitOptions, GameResult, Ratings};
pub use sprt::{Decision, EloModel, Sprt, SprtStatus};

/// Bad input to a statistic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RatingError {
    /// The message says what was wrong and how to fix it.
    #[error("{0}")]
    Invalid(String),
}
