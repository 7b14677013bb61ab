//! Errors of the training engine. Every bad input maps to a variant that
//! names what was wrong (path, expected and actual hash, sizes).

use std::path::PathBuf;

/// Engine error.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("dataset not found at {path}: {source}")]
    DatasetMissing {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("dataset hash mismatch for {path}: expected {expected}, found {actual}")]
    DatasetHashMismatch {
        path: PathBuf,
        expected: String,
        actual: String,
    },
    #[error("dataset {path} is unusable: {reason}")]
    DatasetCorrupt { path: PathBuf, reason: String },
    #[error("tokenizer not found at {path}: {source}")]
    TokenizerMissing {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("tokenizer hash mismatch for {path}: expected {expected}, found {actual}")]
    TokenizerHashMismatch {
        path: PathBuf,
        expected: String,
        actual: String,
    },
    #[error("tokenizer {path} is unusable: {reason}")]
    TokenizerCorrupt { path: PathBuf, reason: String },
    /// The dataset was tokenized with another tokenizer than the job names
    /// (`byte` for the byte tokenizer, else the `tokenizer.json` SHA-256).
    #[error("dataset tokenizer is {actual} but the job names {expected}")]
    TokenizerMismatch { expected: String, actual: String },
    #[error("unknown model id {id:?} (known: {known})")]
    UnknownModel { id: String, known: String },
    #[error("invalid model config: {0}")]
    InvalidConfig(String),
    #[error("job needs about {required} bytes of memory but only {available} are available")]
    ConfigTooLarge { required: u64, available: u64 },
    #[error("checkpoint is corrupt: {0}")]
    CorruptCheckpoint(String),
    #[error("state hash mismatch at step {step}: expected {expected}, found {actual}")]
    StateHashMismatch {
        step: u64,
        expected: String,
        actual: String,
    },
    #[error("no checkpoint at or before step {0}")]
    NoCheckpoint(u64),
    #[error("step {step} is outside the job (0..={steps})")]
    StepOutOfRange { step: u64, steps: u64 },
    #[error("I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid job: {0}")]
    InvalidJob(String),
}

/// Result alias.
pub type Result<T> = std::result::Result<T, EngineError>;
