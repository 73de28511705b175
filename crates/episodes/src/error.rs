//! The crate's error type.

use std::path::PathBuf;

/// Why an episode log could not be written or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EpisodeError {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The HDF5 library refused an operation.
    #[error("{}: HDF5: {message}", path.display())]
    Hdf5 {
        /// The file (and, after `#`, the object) concerned.
        path: PathBuf,
        /// What the library said.
        message: String,
    },
    /// Bad input: an id, a shape, a filter, a dataset of another game.
    #[error("{0}")]
    Invalid(String),
}
