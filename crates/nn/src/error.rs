//! The one error type of `ludus-nn`.

use std::path::PathBuf;

/// Everything that can go wrong building, running, saving or loading a network.
#[derive(Debug, thiserror::Error)]
pub enum NnError {
    /// A tensor operation failed inside candle (shape mismatch, device error, ...).
    #[error("tensor operation failed: {0}")]
    Candle(#[from] candle_core::Error),
    /// The network configuration is invalid; the message names the field and the fix.
    #[error("invalid network config: {0}")]
    Config(String),
    /// The requested device does not exist or this build cannot use it.
    #[error("device `{spec}`: {reason}")]
    Device { spec: String, reason: String },
    /// Inputs handed to a network do not match what it was built for.
    #[error("bad network input: {0}")]
    Input(String),
    /// A checkpoint could not be written, read, or does not match what the caller expects.
    #[error("checkpoint {}: {reason}", path.display())]
    Checkpoint { path: PathBuf, reason: String },
    /// The batched evaluator's worker has stopped (it failed earlier or was shut down).
    #[error("the batched evaluator has stopped: {0}")]
    EvaluatorStopped(String),
}

/// `Result` with [`NnError`].
pub type Result<T> = std::result::Result<T, NnError>;
