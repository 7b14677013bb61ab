//! Errors of the daemon, the demo and the CLI. Each carries what a user
//! needs to act on it; the CLI prints them on one line.

use std::path::PathBuf;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// The chain rejected a message or could not be reached.
    #[error("{context}: {source}")]
    Chain {
        context: String,
        #[source]
        source: impulse_chain::api::Error,
    },
    /// The training engine failed (bad job, bad dataset, corrupt state...).
    #[error("{context}: {source}")]
    Engine {
        context: String,
        #[source]
        source: impulse_engine::EngineError,
    },
    /// Downloading an artifact from a worker failed.
    #[error("{context}: {source}")]
    Artifact {
        context: String,
        #[source]
        source: impulse_artifact::ClientError,
    },
    /// A job on chain cannot be run by this engine.
    #[error("unsupported job: {0}")]
    BadJob(String),
    /// A scenario file is invalid.
    #[error("scenario: {0}")]
    Scenario(String),
    /// Bad user input (CLI arguments, addresses, amounts).
    #[error("{0}")]
    Input(String),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The demo's checks found something wrong (invariant, outcome).
    #[error("{0}")]
    Check(String),
    /// Stopped by a signal or a shutdown request.
    #[error("stopped")]
    Stopped,
}

pub type Result<T, E = DaemonError> = std::result::Result<T, E>;

/// Adds context to chain errors.
pub trait ChainContext<T> {
    fn ctx(self, context: impl FnOnce() -> String) -> Result<T>;
}

impl<T> ChainContext<T> for std::result::Result<T, impulse_chain::api::Error> {
    fn ctx(self, context: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| DaemonError::Chain {
            context: context(),
            source,
        })
    }
}

impl<T> ChainContext<T> for std::result::Result<T, impulse_engine::EngineError> {
    fn ctx(self, context: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| DaemonError::Engine {
            context: context(),
            source,
        })
    }
}

impl<T> ChainContext<T> for std::result::Result<T, impulse_artifact::ClientError> {
    fn ctx(self, context: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| DaemonError::Artifact {
            context: context(),
            source,
        })
    }
}

/// `std::fs` errors with the path.
pub fn io<T>(path: &std::path::Path, r: std::io::Result<T>) -> Result<T> {
    r.map_err(|source| DaemonError::Io {
        path: path.to_path_buf(),
        source,
    })
}
