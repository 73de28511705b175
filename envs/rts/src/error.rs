//! Errors of the RTS engine: bad tables, bad maps, bad orders.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum RtsError {
    /// A unit-type table that cannot be used.
    #[error("unit-type table: {0}")]
    UnitTable(String),
    /// A map that cannot be loaded or generated.
    #[error("map {source_name}: {problem}")]
    Map {
        source_name: String,
        problem: String,
    },
    /// An order for a unit that does not exist or belongs to someone else, or one that names an
    /// impossible parameter. Orders that are merely illegal now (moving into an occupied cell)
    /// are not errors: like microRTS, the engine turns them into waits.
    #[error("bad order for unit {unit}: {problem}")]
    Order { unit: u64, problem: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

impl RtsError {
    pub(crate) fn map(source_name: impl Into<String>, problem: impl Into<String>) -> Self {
        RtsError::Map {
            source_name: source_name.into(),
            problem: problem.into(),
        }
    }
}
