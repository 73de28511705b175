use thiserror::Error;

/// Errors of the RTS agent's library.
#[derive(Debug, Error)]
pub enum PpoError {
    /// A bad setting, naming it.
    #[error("{0}")]
    Config(String),
    /// Input of the wrong shape or content.
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    Nn(#[from] ludus_nn::NnError),
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
    #[error(transparent)]
    Rts(#[from] ludus_rts::RtsError),
    /// The episode log failed (a full disk, say).
    #[error("episode log: {0}")]
    Episodes(#[from] ludus_episodes::EpisodeError),
}
