//! What the server serves: the [`ArtifactStore`] trait the daemon implements
//! over the engine's checkpoints, the blobs it returns and the access policy
//! for private jobs (checklist item 27).

use std::collections::BTreeSet;

use bytes::Bytes;
use impulse_protocol::{Hash, Proof};

pub use crate::auth::Caller;
use crate::pb::{ModelFormat, Phase};

/// One state of a job as the prover committed to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateBlob {
    /// The engine's canonical encoding of `state_step` (also its checkpoint
    /// file format).
    pub bytes: Bytes,
    /// `h_step` = SHA-256 of `bytes`, the leaf of the Merkle tree.
    pub hash: Hash,
    /// Proof of `hash` at leaf `step` under `root`.
    pub proof: Proof,
    /// The Merkle root the job committed to on chain.
    pub root: Hash,
}

/// The final model of a job in one format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelBlob {
    /// The model file.
    pub bytes: Bytes,
    /// Format of `bytes`; never [`ModelFormat::Unspecified`].
    pub format: ModelFormat,
    /// SHA-256 of `bytes`.
    pub sha256: Hash,
    /// The committed final model hash (SHA-256 of the canonical model
    /// encoding); equals `sha256` for [`ModelFormat::ImpulseV1`].
    pub final_model_sha256: Hash,
}

/// A dataset file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetBlob {
    /// The file's bytes.
    pub bytes: Bytes,
    /// SHA-256 of `bytes`.
    pub sha256: Hash,
}

/// Training progress of a job on this worker.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    /// Current phase.
    pub phase: Phase,
    /// Last completed step (0 before the first).
    pub step: u64,
    /// Total steps `L`.
    pub total_steps: u64,
    /// Loss of the last completed step; `None` before the first. Sent as a
    /// decimal string (shortest representation that parses back exactly).
    pub last_loss: Option<f64>,
    /// When this progress was recorded, milliseconds since the Unix epoch.
    pub updated_at_unix_ms: u64,
}

/// Who may read a job's artifacts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visibility {
    /// Anyone.
    Public,
    /// Only these addresses (the trainer and the job's committee members,
    /// as the daemon reads them on chain).
    Private {
        /// Addresses allowed to read.
        readers: BTreeSet<String>,
    },
}

/// Why a store could not answer. Each maps to one gRPC status code
/// ([`StoreError::code`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// This worker holds no job with this id.
    #[error("unknown job {job}")]
    UnknownJob {
        /// The requested job.
        job: u64,
    },
    /// The step is past the job's last step.
    #[error("step {step} of job {job} is out of range (the job has steps 0..={last})")]
    StepOutOfRange {
        /// The requested job.
        job: u64,
        /// The requested step.
        step: u64,
        /// The job's last step `L`.
        last: u64,
    },
    /// The step exists but its state is not available (not trained yet, or
    /// pruned and not recomputable).
    #[error("state {step} of job {job} is not available: {reason}")]
    StateUnavailable {
        /// The requested job.
        job: u64,
        /// The requested step.
        step: u64,
        /// Why.
        reason: String,
    },
    /// The job has no final model (yet) in this format.
    #[error("job {job} has no model in format {format}")]
    ModelUnavailable {
        /// The requested job.
        job: u64,
        /// The requested format's name.
        format: String,
    },
    /// No dataset with this hash is held here.
    #[error("unknown dataset {sha256}")]
    UnknownDataset {
        /// Hex of the requested hash.
        sha256: String,
    },
    /// The caller may not read this job's artifacts.
    #[error("{caller} may not read the artifacts of private job {job}")]
    PermissionDenied {
        /// The job.
        job: u64,
        /// The caller's address, or "anonymous".
        caller: String,
    },
    /// The store failed (I/O, corrupt checkpoint, ...).
    #[error("artifact store failure: {0}")]
    Internal(String),
}

impl StoreError {
    /// The gRPC status code this error is answered with.
    pub fn code(&self) -> tonic::Code {
        match self {
            StoreError::UnknownJob { .. }
            | StoreError::StateUnavailable { .. }
            | StoreError::ModelUnavailable { .. }
            | StoreError::UnknownDataset { .. } => tonic::Code::NotFound,
            StoreError::StepOutOfRange { .. } => tonic::Code::OutOfRange,
            StoreError::PermissionDenied { .. } => tonic::Code::PermissionDenied,
            StoreError::Internal(_) => tonic::Code::Internal,
        }
    }
}

impl From<StoreError> for tonic::Status {
    fn from(e: StoreError) -> Self {
        tonic::Status::new(e.code(), e.to_string())
    }
}

/// The artifacts a worker holds. Synchronous: the server calls it on
/// tokio's blocking pool, so an implementation may read files or recompute
/// a pruned state from the previous checkpoint.
///
/// The server does not re-hash what a store returns (a 40 MB state costs
/// ~0.1 s): the client verifies everything anyway, and an adversarial
/// prover in the tests must be able to serve bad bytes.
pub trait ArtifactStore: Send + Sync + 'static {
    /// `state_step` of `job` with its hash and Merkle proof.
    fn state(&self, job: u64, step: u64) -> Result<StateBlob, StoreError>;

    /// The final model of `job` in `format` (never
    /// [`ModelFormat::Unspecified`]: the server maps it to safetensors).
    fn model(&self, job: u64, format: ModelFormat) -> Result<ModelBlob, StoreError>;

    /// The dataset with this SHA-256.
    fn dataset(&self, sha256: &Hash) -> Result<DatasetBlob, StoreError>;

    /// Training progress of `job`.
    fn progress(&self, job: u64) -> Result<Progress, StoreError>;

    /// Who may read `job`'s artifacts; [`StoreError::UnknownJob`] if the job
    /// is not held here.
    fn visibility(&self, job: u64) -> Result<Visibility, StoreError>;

    /// Access policy hook, called before every per-job request (state, model,
    /// progress). Default: public jobs are readable by anyone, private jobs
    /// only by the addresses in their allow-list.
    fn may_read(&self, job: u64, caller: Option<&Caller>) -> Result<bool, StoreError> {
        Ok(match self.visibility(job)? {
            Visibility::Public => true,
            Visibility::Private { readers } => caller.is_some_and(|c| readers.contains(c.as_str())),
        })
    }

    /// Who may read the dataset with this SHA-256. Default: anyone.
    /// A store marks a dataset that only private jobs train on as
    /// [`Visibility::Private`] with the union of those jobs' readers (their
    /// trainer, prover and committee members); a dataset any public job
    /// names stays public (the public job's verifiers must replay it).
    fn dataset_visibility(&self, _sha256: &Hash) -> Result<Visibility, StoreError> {
        Ok(Visibility::Public)
    }

    /// Access policy hook for datasets, called before [`Self::dataset`].
    /// Default: by [`Self::dataset_visibility`], as [`Self::may_read`] does
    /// for jobs.
    fn may_read_dataset(&self, sha256: &Hash, caller: Option<&Caller>) -> Result<bool, StoreError> {
        Ok(match self.dataset_visibility(sha256)? {
            Visibility::Public => true,
            Visibility::Private { readers } => caller.is_some_and(|c| readers.contains(c.as_str())),
        })
    }

    /// Whether `public_key` (compressed secp256k1) is the key of account
    /// `address` on the chain this store answers for. Called for every
    /// signed request, after its signature verified and before the access
    /// hooks; keep it fast (a cache, not a chain query per request).
    /// Default: the Cosmos rule [`crate::auth::cosmos_owns`] (the address
    /// is bech32 of RIPEMD-160(SHA-256(key))).
    fn owns_key(&self, address: &str, public_key: &[u8; 33]) -> bool {
        crate::auth::cosmos_owns(address, public_key)
    }
}

impl<T: ArtifactStore + ?Sized> ArtifactStore for std::sync::Arc<T> {
    fn state(&self, job: u64, step: u64) -> Result<StateBlob, StoreError> {
        (**self).state(job, step)
    }
    fn model(&self, job: u64, format: ModelFormat) -> Result<ModelBlob, StoreError> {
        (**self).model(job, format)
    }
    fn dataset(&self, sha256: &Hash) -> Result<DatasetBlob, StoreError> {
        (**self).dataset(sha256)
    }
    fn progress(&self, job: u64) -> Result<Progress, StoreError> {
        (**self).progress(job)
    }
    fn visibility(&self, job: u64) -> Result<Visibility, StoreError> {
        (**self).visibility(job)
    }
    fn may_read(&self, job: u64, caller: Option<&Caller>) -> Result<bool, StoreError> {
        (**self).may_read(job, caller)
    }
    fn dataset_visibility(&self, sha256: &Hash) -> Result<Visibility, StoreError> {
        (**self).dataset_visibility(sha256)
    }
    fn may_read_dataset(&self, sha256: &Hash, caller: Option<&Caller>) -> Result<bool, StoreError> {
        (**self).may_read_dataset(sha256, caller)
    }
    fn owns_key(&self, address: &str, public_key: &[u8; 33]) -> bool {
        (**self).owns_key(address, public_key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caller_validation() {
        assert!(Caller::new("impulse1qxyz09").is_some());
        assert!(Caller::new("").is_none());
        assert!(Caller::new("has space").is_none());
        assert!(Caller::new("é").is_none());
        assert!(Caller::new(&"a".repeat(crate::MAX_CALLER_LEN)).is_some());
        assert!(Caller::new(&"a".repeat(crate::MAX_CALLER_LEN + 1)).is_none());
    }

    #[test]
    fn error_codes() {
        assert_eq!(
            StoreError::UnknownJob { job: 1 }.code(),
            tonic::Code::NotFound
        );
        let e = StoreError::StepOutOfRange {
            job: 1,
            step: 9,
            last: 3,
        };
        assert_eq!(e.code(), tonic::Code::OutOfRange);
        let s: tonic::Status = e.into();
        assert!(s.message().contains("0..=3"), "{}", s.message());
        let e = StoreError::PermissionDenied {
            job: 1,
            caller: "x".into(),
        };
        assert_eq!(e.code(), tonic::Code::PermissionDenied);
    }
}
