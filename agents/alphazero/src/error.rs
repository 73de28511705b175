use std::path::PathBuf;

/// Why training (or loading a trained agent) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrainError {
    /// A configuration value is wrong; the message names the key and the accepted values.
    #[error("config: {0}")]
    Config(String),
    /// The network failed (device, shapes, checkpoint contents).
    #[error(transparent)]
    Nn(#[from] ludus_nn::NnError),
    /// The search failed.
    #[error(transparent)]
    Search(#[from] ludus_search::SearchError),
    /// The episode log could not be written.
    #[error("episode log: {0}")]
    Episodes(#[from] ludus_episodes::EpisodeError),
    /// A run directory file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// A run directory is not in a state this operation accepts (missing, already present,
    /// corrupted, or its config differs); the message says what to do.
    #[error("run {}: {reason}", path.display())]
    Run {
        /// The run directory.
        path: PathBuf,
        /// What is wrong and how to fix it.
        reason: String,
    },
}

impl From<candle_core::Error> for TrainError {
    fn from(e: candle_core::Error) -> Self {
        TrainError::Nn(ludus_nn::NnError::Candle(e))
    }
}

/// Attaches a path to an I/O error.
pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> TrainError {
    let path = path.into();
    move |source| TrainError::Io { path, source }
}
