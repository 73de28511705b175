use crate::Action;

/// What can go wrong when using a game: an illegal or unreadable move, a bad parameter, or a
/// serialized state that does not describe a reachable position.
///
/// Game logic itself is infallible; only inputs that come from outside (users, files, the
/// network) produce these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GameError {
    /// `apply` was given an action that is not legal in the current position.
    #[error("action {action} is not legal in this position")]
    IllegalAction { action: Action },
    /// `apply` was called on a finished game.
    #[error("the game is over: no move can be played")]
    GameOver,
    /// A move in text form could not be read.
    #[error("cannot read move `{text}`: expected {expected}")]
    ParseAction { text: String, expected: String },
    /// A game parameter is outside what the game supports.
    #[error("bad value `{value}` for parameter `{key}`: expected {expected}")]
    BadParameter {
        key: String,
        value: String,
        expected: String,
    },
    /// A serialized state is inconsistent (for example overlapping stones).
    #[error("invalid state: {0}")]
    InvalidState(String),
}
