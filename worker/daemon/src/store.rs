//! What a worker serves over its artifact service ([`impulse_artifact`]):
//! the states of the jobs it trained (with Merkle proofs under the root it
//! committed), their final models, and blobs by hash (datasets and base
//! weights; the trainer's CLI serves its dataset the same way).
//!
//! Every state of a job is kept (the demo's LoRA states are small); the
//! daemon also writes every K-th one to disk to resume after a restart.
//! What is served for each state is the prover's to say (the `served`
//! hook of `adversary.rs`): its bytes, or nothing; the leaves are always
//! the committed ones.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use bytes::Bytes;
use impulse_artifact::{
    ArtifactStore, Caller, DatasetBlob, ModelBlob, ModelFormat, Phase, Progress, StateBlob,
    StoreError, Visibility,
};
use impulse_protocol::{Hash, MerkleTree};

use crate::access::Access;

/// One job this worker trains or trained.
#[derive(Debug)]
struct JobArtifacts {
    /// What is served as each state (`None`: nothing).
    states: Vec<Option<Bytes>>,
    /// The committed leaves `h_0..h_k`.
    hashes: Vec<Hash>,
    tree: Option<MerkleTree>,
    models: Vec<ModelBlob>,
    progress: Progress,
}

impl JobArtifacts {
    /// A worker that does not serve its final state does not serve its
    /// model either.
    fn serves_model(&self) -> bool {
        self.states.last().is_some_and(Option::is_some)
    }
}

#[derive(Debug, Default)]
struct Inner {
    jobs: BTreeMap<u64, JobArtifacts>,
    blobs: HashMap<Hash, Bytes>,
}

/// Whether a public key owns an address on the chain the daemon runs on
/// (`Chain::owns_key`); the artifact service checks every signed request
/// with it.
pub type KeyCheck = Arc<dyn Fn(&str, &[u8; 33]) -> bool + Send + Sync>;

/// The worker's store; cheap to clone (shared).
#[derive(Clone, Default)]
pub struct NodeStore {
    inner: Arc<RwLock<Inner>>,
    /// `None`: the Cosmos rule (a wasmd chain).
    keys: Option<KeyCheck>,
    /// Who may read private jobs and their blobs.
    access: Arc<Access>,
}

impl std::fmt::Debug for NodeStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeStore")
            .field("inner", &self.inner)
            .field("chain_key_check", &self.keys.is_some())
            .field("access", &self.access)
            .finish()
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl NodeStore {
    pub fn new() -> NodeStore {
        NodeStore::default()
    }

    /// A store whose server checks the keys of signed requests with
    /// `keys` (the chain's `owns_key`) instead of the Cosmos rule, and
    /// whose private jobs' readers come from `access`.
    pub fn with_chain_rules(keys: KeyCheck, access: Access) -> NodeStore {
        NodeStore {
            keys: Some(keys),
            access: Arc::new(access),
            ..NodeStore::default()
        }
    }

    /// Who may read this store's private jobs and blobs: a private job's
    /// dataset is guarded or bound here ([`Access::guard_blob`],
    /// [`Access::bind`]).
    pub fn access(&self) -> &Access {
        &self.access
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds a blob (dataset, base weights, tokenizer); its SHA-256.
    pub fn add_blob(&self, bytes: Bytes) -> Hash {
        let h = impulse_artifact::sha256(&bytes);
        self.write().blobs.insert(h, bytes);
        h
    }

    /// A blob this worker has.
    pub fn blob(&self, h: &Hash) -> Option<Bytes> {
        self.read().blobs.get(h).cloned()
    }

    /// Starts (or restarts) a job: its states so far (`state_0..state_k`),
    /// each as served and with its leaf.
    pub fn start_job(&self, job: u64, total_steps: u64, states: Vec<(Option<Bytes>, Hash)>) {
        let step = states.len().saturating_sub(1) as u64;
        let (states, hashes) = states.into_iter().unzip();
        self.write().jobs.insert(
            job,
            JobArtifacts {
                states,
                hashes,
                tree: None,
                models: Vec::new(),
                progress: Progress {
                    phase: Phase::Training,
                    step,
                    total_steps,
                    last_loss: None,
                    updated_at_unix_ms: now_ms(),
                },
            },
        );
    }

    /// Records `state_step` (the next one): what is served for it, its
    /// leaf and its loss.
    pub fn push_state(&self, job: u64, served: Option<Bytes>, hash: Hash, loss: Option<f32>) {
        let mut inner = self.write();
        if let Some(j) = inner.jobs.get_mut(&job) {
            j.states.push(served);
            j.hashes.push(hash);
            j.progress.step = (j.states.len() - 1) as u64;
            if let Some(l) = loss {
                j.progress.last_loss = Some(f64::from(l));
            }
            j.progress.updated_at_unix_ms = now_ms();
        }
    }

    /// Seals a trained job: builds its tree, stores its final model; the
    /// Merkle root.
    pub fn seal(&self, job: u64, models: Vec<ModelBlob>) -> Option<Hash> {
        let mut inner = self.write();
        let j = inner.jobs.get_mut(&job)?;
        let tree = MerkleTree::new(&j.hashes).ok()?;
        let root = tree.root();
        j.tree = Some(tree);
        j.models = models;
        j.progress.phase = Phase::Committed;
        j.progress.updated_at_unix_ms = now_ms();
        Some(root)
    }

    /// Sets the phase shown by `Progress`.
    pub fn set_phase(&self, job: u64, phase: Phase) {
        if let Some(j) = self.write().jobs.get_mut(&job) {
            j.progress.phase = phase;
            j.progress.updated_at_unix_ms = now_ms();
        }
    }

    /// `h_0..h_k` of a job so far.
    pub fn hashes(&self, job: u64) -> Vec<Hash> {
        self.read()
            .jobs
            .get(&job)
            .map(|j| j.hashes.clone())
            .unwrap_or_default()
    }

    /// [`StoreError::UnknownJob`] unless the job is held here.
    fn known(&self, job: u64) -> Result<(), StoreError> {
        match self.read().jobs.contains_key(&job) {
            true => Ok(()),
            false => Err(StoreError::UnknownJob { job }),
        }
    }

    /// Forgets a job (settled, or re-queued away).
    pub fn drop_job(&self, job: u64) {
        self.write().jobs.remove(&job);
    }
}

impl ArtifactStore for NodeStore {
    fn state(&self, job: u64, step: u64) -> Result<StateBlob, StoreError> {
        let inner = self.read();
        let j = inner.jobs.get(&job).ok_or(StoreError::UnknownJob { job })?;
        let unavailable = |reason: &str| StoreError::StateUnavailable {
            job,
            step,
            reason: reason.into(),
        };
        let tree = j
            .tree
            .as_ref()
            .ok_or_else(|| unavailable("the job is still training (no commitment yet)"))?;
        let last = (j.states.len() - 1) as u64;
        if step > last {
            return Err(StoreError::StepOutOfRange { job, step, last });
        }
        let bytes = j.states[step as usize]
            .clone()
            .ok_or_else(|| unavailable("this worker does not serve its states"))?;
        let proof = tree
            .proof(step)
            .map_err(|e| StoreError::Internal(format!("proof of step {step}: {e}")))?;
        Ok(StateBlob {
            bytes,
            hash: j.hashes[step as usize],
            proof,
            root: tree.root(),
        })
    }

    fn model(&self, job: u64, format: ModelFormat) -> Result<ModelBlob, StoreError> {
        let inner = self.read();
        let j = inner.jobs.get(&job).ok_or(StoreError::UnknownJob { job })?;
        let format = if format == ModelFormat::Unspecified {
            ModelFormat::Safetensors
        } else {
            format
        };
        j.models
            .iter()
            .find(|m| m.format == format && j.serves_model())
            .cloned()
            .ok_or_else(|| StoreError::ModelUnavailable {
                job,
                format: impulse_artifact::server::format_name(format).to_string(),
            })
    }

    fn dataset(&self, sha256: &Hash) -> Result<DatasetBlob, StoreError> {
        self.read()
            .blobs
            .get(sha256)
            .map(|b| DatasetBlob {
                bytes: b.clone(),
                sha256: *sha256,
            })
            .ok_or_else(|| StoreError::UnknownDataset {
                sha256: hex::encode(sha256),
            })
    }

    fn progress(&self, job: u64) -> Result<Progress, StoreError> {
        self.read()
            .jobs
            .get(&job)
            .map(|j| j.progress.clone())
            .ok_or(StoreError::UnknownJob { job })
    }

    /// Public unless bound as private ([`Access::bind`]), with the
    /// readers last read from the chain.
    fn visibility(&self, job: u64) -> Result<Visibility, StoreError> {
        self.known(job)?;
        Ok(self.access.job_visibility(job))
    }

    /// A private job: its readers, read again from the chain when a
    /// signed caller is not among them.
    fn may_read(&self, job: u64, caller: Option<&Caller>) -> Result<bool, StoreError> {
        self.known(job)?;
        Ok(self.access.may_read_job(job, caller))
    }

    /// Public unless only private jobs name it ([`Access`]).
    fn dataset_visibility(&self, sha256: &Hash) -> Result<Visibility, StoreError> {
        Ok(self.access.blob_visibility(sha256))
    }

    fn may_read_dataset(&self, sha256: &Hash, caller: Option<&Caller>) -> Result<bool, StoreError> {
        Ok(self.access.may_read_blob(sha256, caller))
    }

    fn owns_key(&self, address: &str, public_key: &[u8; 33]) -> bool {
        match &self.keys {
            Some(check) => check(address, public_key),
            None => impulse_artifact::auth::cosmos_owns(address, public_key),
        }
    }
}
