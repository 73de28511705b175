/// Why a search could not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SearchError {
    /// A configuration value is out of range; the message names the field.
    #[error("{0}")]
    Config(String),
    /// The root is a finished game: there is nothing to search.
    #[error("cannot search a finished game")]
    GameOver,
    /// A move given to [`crate::Search::advance`] is not legal at the root.
    #[error("move {action} is not legal in the searched position")]
    IllegalMove {
        /// The move in the game's notation.
        action: String,
    },
    /// The evaluator failed or returned something unusable.
    #[error("evaluation failed: {0}")]
    Evaluator(String),
}
