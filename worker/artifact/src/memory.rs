//! An [`ArtifactStore`] that keeps everything in memory: used by the tests,
//! by the trainer's CLI to serve its dataset, and by small jobs. The daemon's
//! store over the engine's checkpoint directory is described in the README.

use std::collections::{BTreeMap, HashMap};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use bytes::Bytes;
use impulse_protocol::{Hash, MerkleTree};

use crate::pb::{ModelFormat, Phase};
use crate::store::{
    ArtifactStore, DatasetBlob, ModelBlob, Progress, StateBlob, StoreError, Visibility,
};

/// In-memory artifacts of jobs and datasets. Cloning blobs is cheap
/// ([`Bytes`] is reference-counted).
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: RwLock<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    jobs: BTreeMap<u64, Job>,
    datasets: HashMap<Hash, Bytes>,
    /// Datasets that are not public.
    dataset_visibility: HashMap<Hash, Visibility>,
}

#[derive(Debug)]
struct Job {
    visibility: Visibility,
    states: Vec<Bytes>,
    hashes: Vec<Hash>,
    tree: MerkleTree,
    models: Vec<ModelBlob>,
    progress: Progress,
}

fn poisoned<T>(_: T) -> StoreError {
    StoreError::Internal("memory store lock poisoned".into())
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn read(&self) -> Result<RwLockReadGuard<'_, Inner>, StoreError> {
        self.inner.read().map_err(poisoned)
    }

    fn write(&self) -> Result<RwLockWriteGuard<'_, Inner>, StoreError> {
        self.inner.write().map_err(poisoned)
    }

    /// What `f` reads of the job `job` (an error when there is none).
    fn read_job<T>(
        &self,
        job: u64,
        f: impl FnOnce(&Job) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let inner = self.read()?;
        f(inner.jobs.get(&job).ok_or(StoreError::UnknownJob { job })?)
    }

    /// Runs `f` on the job `job` (an error when there is none).
    fn update_job<T>(&self, job: u64, f: impl FnOnce(&mut Job) -> T) -> Result<T, StoreError> {
        let mut inner = self.write()?;
        let j = inner
            .jobs
            .get_mut(&job)
            .ok_or(StoreError::UnknownJob { job })?;
        Ok(f(j))
    }

    /// Adds (or replaces) a job whose states `state_0..state_L` are given in
    /// order; hashes them, builds the Merkle tree and returns its root. The
    /// progress starts as committed at step `L`.
    pub fn add_job(
        &self,
        job: u64,
        visibility: Visibility,
        states: Vec<Bytes>,
    ) -> Result<Hash, StoreError> {
        let hashes: Vec<Hash> = states.iter().map(|s| crate::sha256(s)).collect();
        let tree = MerkleTree::new(&hashes)
            .map_err(|e| StoreError::Internal(format!("job {job}: {e}")))?;
        let root = tree.root();
        let last = (states.len() - 1) as u64;
        let progress = Progress {
            phase: Phase::Committed,
            step: last,
            total_steps: last,
            last_loss: None,
            updated_at_unix_ms: 0,
        };
        self.write()?.jobs.insert(
            job,
            Job {
                visibility,
                states,
                hashes,
                tree,
                models: Vec::new(),
                progress,
            },
        );
        Ok(root)
    }

    /// Sets the final model of `job` in `format` (replacing one of the same
    /// format); returns the SHA-256 of `bytes`.
    pub fn set_model(
        &self,
        job: u64,
        format: ModelFormat,
        bytes: Bytes,
        final_model_sha256: Hash,
    ) -> Result<Hash, StoreError> {
        if format == ModelFormat::Unspecified {
            return Err(StoreError::Internal("a model needs a format".into()));
        }
        let sha256 = crate::sha256(&bytes);
        self.update_job(job, |j| {
            j.models.retain(|m| m.format != format);
            j.models.push(ModelBlob {
                bytes,
                format,
                sha256,
                final_model_sha256,
            });
        })?;
        Ok(sha256)
    }

    /// Adds a dataset file; returns its SHA-256.
    pub fn add_dataset(&self, bytes: Bytes) -> Result<Hash, StoreError> {
        let sha256 = crate::sha256(&bytes);
        self.write()?.datasets.insert(sha256, bytes);
        Ok(sha256)
    }

    /// Replaces the progress of `job`.
    pub fn set_progress(&self, job: u64, progress: Progress) -> Result<(), StoreError> {
        self.update_job(job, |j| j.progress = progress)
    }

    /// Sets who may read a dataset (default: anyone); e.g. a private job's
    /// dataset to its trainer, prover and committee.
    pub fn set_dataset_visibility(
        &self,
        sha256: Hash,
        visibility: Visibility,
    ) -> Result<(), StoreError> {
        let mut inner = self.write()?;
        match visibility {
            Visibility::Public => inner.dataset_visibility.remove(&sha256),
            v => inner.dataset_visibility.insert(sha256, v),
        };
        Ok(())
    }

    /// Replaces the visibility of `job` (e.g. once its committee is drawn).
    pub fn set_visibility(&self, job: u64, visibility: Visibility) -> Result<(), StoreError> {
        self.update_job(job, |j| j.visibility = visibility)
    }
}

impl ArtifactStore for MemoryStore {
    fn state(&self, job: u64, step: u64) -> Result<StateBlob, StoreError> {
        self.read_job(job, |j| {
            let last = j.tree.len() - 1;
            let i = usize::try_from(step)
                .ok()
                .filter(|&i| i < j.states.len())
                .ok_or(StoreError::StepOutOfRange { job, step, last })?;
            let proof = j
                .tree
                .proof(step)
                .map_err(|e| StoreError::Internal(e.to_string()))?;
            Ok(StateBlob {
                bytes: j.states[i].clone(),
                hash: j.hashes[i],
                proof,
                root: j.tree.root(),
            })
        })
    }

    fn model(&self, job: u64, format: ModelFormat) -> Result<ModelBlob, StoreError> {
        self.read_job(job, |j| {
            j.models
                .iter()
                .find(|m| m.format == format)
                .cloned()
                .ok_or_else(|| StoreError::ModelUnavailable {
                    job,
                    format: format.as_str_name().to_owned(),
                })
        })
    }

    fn dataset(&self, sha256: &Hash) -> Result<DatasetBlob, StoreError> {
        let inner = self.read()?;
        let bytes = inner
            .datasets
            .get(sha256)
            .ok_or_else(|| StoreError::UnknownDataset {
                sha256: hex::encode(sha256),
            })?;
        Ok(DatasetBlob {
            bytes: bytes.clone(),
            sha256: *sha256,
        })
    }

    fn dataset_visibility(&self, sha256: &Hash) -> Result<Visibility, StoreError> {
        Ok(self
            .read()?
            .dataset_visibility
            .get(sha256)
            .cloned()
            .unwrap_or(Visibility::Public))
    }

    fn progress(&self, job: u64) -> Result<Progress, StoreError> {
        self.read_job(job, |j| Ok(j.progress.clone()))
    }

    fn visibility(&self, job: u64) -> Result<Visibility, StoreError> {
        self.read_job(job, |j| Ok(j.visibility.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Caller;

    #[test]
    fn states_proofs_and_errors() {
        let s = MemoryStore::new();
        let states: Vec<Bytes> = (0..5u8).map(|i| Bytes::from(vec![i; 10])).collect();
        let root = s.add_job(7, Visibility::Public, states).unwrap();
        for step in 0..5 {
            let b = s.state(7, step).unwrap();
            assert_eq!(b.root, root);
            assert_eq!(b.hash, crate::sha256(&b.bytes));
            assert!(impulse_protocol::verify(&root, &b.hash, &b.proof));
        }
        assert_eq!(
            s.state(7, 5).unwrap_err(),
            StoreError::StepOutOfRange {
                job: 7,
                step: 5,
                last: 4
            }
        );
        assert_eq!(
            s.state(8, 0).unwrap_err(),
            StoreError::UnknownJob { job: 8 }
        );
        assert!(matches!(
            s.add_job(9, Visibility::Public, vec![]),
            Err(StoreError::Internal(_))
        ));
        assert!(matches!(
            s.model(7, ModelFormat::Safetensors),
            Err(StoreError::ModelUnavailable { .. })
        ));
    }

    #[test]
    fn private_jobs_default_policy() {
        let s = MemoryStore::new();
        let readers = ["alice".to_owned()].into_iter().collect();
        s.add_job(
            1,
            Visibility::Private { readers },
            vec![Bytes::from_static(b"x")],
        )
        .unwrap();
        s.add_job(2, Visibility::Public, vec![Bytes::from_static(b"x")])
            .unwrap();
        let alice = Caller::new("alice").unwrap();
        let bob = Caller::new("bob").unwrap();
        assert!(s.may_read(1, Some(&alice)).unwrap());
        assert!(!s.may_read(1, Some(&bob)).unwrap());
        assert!(!s.may_read(1, None).unwrap());
        assert!(s.may_read(2, None).unwrap());
        assert_eq!(
            s.may_read(3, None).unwrap_err(),
            StoreError::UnknownJob { job: 3 }
        );
    }
}
