//! Who may download a private job's dataset, states and model
//! (docs/protocol.md §10): its trainer, its prover and every member of its
//! committee, earlier escalation levels included. The rule is [`readers`],
//! here once; the trainer's dataset server and every provider's artifact
//! server apply it through the [`Access`] table of their store (`NodeStore`
//! in `store.rs`), after the artifact service has checked the caller's
//! signature.
//!
//! The table keeps the readers it last read from the chain. A signed caller
//! not among them makes it read the chain again before the answer, so a
//! member drawn a block ago is never refused for a stale list (a refusal
//! would make an honest member report the prover's states as missing).
//! Reads of one job are at least [`REFRESH_GAP`] apart: a stranger asking
//! in a loop costs the node a bounded number of chain queries.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use impulse_artifact::{Caller, Visibility};
use impulse_chain::api::Chain;
use impulse_chain::contracts::Marketplace;
use impulse_protocol::Hash;

use crate::error::{ChainContext, Result};

/// The least time between two chain reads of one job's readers.
pub const REFRESH_GAP: Duration = Duration::from_millis(100);

/// The readers of private job `job` as the chain says now: its trainer,
/// its prover (once assigned) and the members of the attempt's committee
/// at every level. Blocking callers go through [`chain_source`].
pub async fn readers<C: Chain>(chain: &C, job: u64) -> Result<BTreeSet<String>> {
    let market = Marketplace::new(chain);
    let j = market.job(job).await.ctx(|| format!("reading job {job}"))?;
    let mut readers = BTreeSet::from([j.trainer.to_string()]);
    if let Some(prover) = &j.prover {
        readers.insert(prover.to_string());
        // No round yet (a job between assignment and its first draw):
        // trainer and prover only.
        if let Ok(r) = market.round(job).await {
            readers.extend(r.committee.iter().map(|m| m.address.to_string()));
            readers.extend(r.past_members.iter().map(|a| a.to_string()));
        }
    }
    Ok(readers)
}

/// Reads the readers of a job from the chain, blocking (the artifact
/// server calls its store on tokio's blocking pool); `None` when the chain
/// cannot answer (the last list read is kept).
pub type ReaderSource = Arc<dyn Fn(u64) -> Option<BTreeSet<String>> + Send + Sync>;

/// [`readers`] on `chain`, for the blocking pool of the current runtime.
/// Must be built inside a tokio runtime.
pub fn chain_source<C: Chain + 'static>(chain: Arc<C>) -> ReaderSource {
    let handle = tokio::runtime::Handle::current();
    Arc::new(move |job| match handle.block_on(readers(&*chain, job)) {
        Ok(r) => Some(r),
        Err(e) => {
            tracing::warn!(job, "cannot read the readers of a private job: {e}");
            None
        }
    })
}

/// Who may read a blob (dataset, base weights, tokenizer) this node
/// serves.
#[derive(Clone, Debug, PartialEq)]
enum BlobAccess {
    /// A public job names it (its verifiers must replay it): anyone.
    Public,
    /// Only private jobs name it: the readers of those jobs (none yet for
    /// a dataset guarded before its job was submitted).
    Private(BTreeSet<u64>),
}

#[derive(Debug, Default)]
struct JobReaders {
    readers: BTreeSet<String>,
    read_at: Option<Instant>,
}

#[derive(Debug, Default)]
struct Table {
    /// The private jobs this node serves, with their last read readers.
    jobs: HashMap<u64, JobReaders>,
    /// Blobs with a rule; a blob without one is public.
    blobs: HashMap<Hash, BlobAccess>,
}

/// The access table of one node's artifact store.
#[derive(Default)]
pub struct Access {
    table: Mutex<Table>,
    /// One chain read at a time (a burst of misses waits for one read).
    reading: Mutex<()>,
    /// `None`: no chain to ask (a private job is then read by nobody but
    /// the readers a test sets).
    source: Option<ReaderSource>,
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Access")
            .field("table", &*self.lock())
            .field("reads_chain", &self.source.is_some())
            .finish()
    }
}

impl Access {
    /// A table that reads readers from `source` when a caller is missing.
    pub fn with_source(source: ReaderSource) -> Access {
        Access {
            source: Some(source),
            ..Access::default()
        }
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Serves the blob to nobody until a private job names it with
    /// [`Access::bind`]: how a trainer serves a private dataset before the
    /// job (and so its readers) exists. No effect on a public blob.
    pub fn guard_blob(&self, h: Hash) {
        self.lock()
            .blobs
            .entry(h)
            .or_insert_with(|| BlobAccess::Private(BTreeSet::new()));
    }

    /// Records that `job` (private or not) names `blobs`. A private job
    /// becomes readable by its readers only, and so do its blobs unless a
    /// public job names them too (then they stay public).
    pub fn bind(&self, job: u64, private: bool, blobs: &[Hash]) {
        let mut t = self.lock();
        if private {
            t.jobs.entry(job).or_default();
        }
        for h in blobs {
            let access = t
                .blobs
                .entry(*h)
                .or_insert_with(|| BlobAccess::Private(BTreeSet::new()));
            match (private, &mut *access) {
                (false, _) => *access = BlobAccess::Public,
                (true, BlobAccess::Private(jobs)) => {
                    jobs.insert(job);
                }
                (true, BlobAccess::Public) => {}
            }
        }
    }

    /// Sets the readers of a private job by hand (a node without a chain
    /// source, in the tests).
    #[cfg(test)]
    pub fn set_readers(&self, job: u64, readers: BTreeSet<String>) {
        self.lock().jobs.insert(
            job,
            JobReaders {
                readers,
                read_at: Some(Instant::now()),
            },
        );
    }

    /// `job`'s visibility with the readers last read.
    pub fn job_visibility(&self, job: u64) -> Visibility {
        match self.lock().jobs.get(&job) {
            Some(r) => Visibility::Private {
                readers: r.readers.clone(),
            },
            None => Visibility::Public,
        }
    }

    /// A blob's visibility: the union of the readers of the private jobs
    /// that name it, as last read.
    pub fn blob_visibility(&self, h: &Hash) -> Visibility {
        let t = self.lock();
        match t.blobs.get(h) {
            None | Some(BlobAccess::Public) => Visibility::Public,
            Some(BlobAccess::Private(jobs)) => Visibility::Private {
                readers: jobs
                    .iter()
                    .filter_map(|j| t.jobs.get(j))
                    .flat_map(|r| r.readers.iter().cloned())
                    .collect(),
            },
        }
    }

    /// Whether `caller` may read `job`'s artifacts; reads the chain again
    /// when a signed caller is not among the readers of a private job.
    pub fn may_read_job(&self, job: u64, caller: Option<&Caller>) -> bool {
        self.check(caller, || self.job_visibility(job), || vec![job])
    }

    /// Whether `caller` may read the blob; reads the chain again for the
    /// private jobs that name it when a signed caller is not a reader.
    pub fn may_read_blob(&self, h: &Hash, caller: Option<&Caller>) -> bool {
        self.check(
            caller,
            || self.blob_visibility(h),
            || match self.lock().blobs.get(h) {
                Some(BlobAccess::Private(jobs)) => jobs.iter().copied().collect(),
                _ => Vec::new(),
            },
        )
    }

    fn check(
        &self,
        caller: Option<&Caller>,
        visibility: impl Fn() -> Visibility,
        jobs: impl FnOnce() -> Vec<u64>,
    ) -> bool {
        let allowed = || match visibility() {
            Visibility::Public => true,
            Visibility::Private { readers } => caller.is_some_and(|c| readers.contains(c.as_str())),
        };
        if allowed() {
            return true;
        }
        // Unsigned callers never read private data: no chain read for them.
        if caller.is_none() || self.source.is_none() {
            return false;
        }
        for job in jobs() {
            self.refresh(job);
        }
        allowed()
    }

    /// Reads `job`'s readers from the chain, at least [`REFRESH_GAP`]
    /// after the last read (blocking: the store runs on the blocking pool).
    fn refresh(&self, job: u64) {
        let Some(source) = &self.source else { return };
        let _one = self.reading.lock().unwrap_or_else(|p| p.into_inner());
        let last = match self.lock().jobs.get(&job) {
            Some(r) => r.read_at,
            None => return,
        };
        if let Some(wait) = last.and_then(|t| REFRESH_GAP.checked_sub(t.elapsed())) {
            std::thread::sleep(wait);
        }
        let read = source(job);
        let mut t = self.lock();
        if let Some(r) = t.jobs.get_mut(&job) {
            r.read_at = Some(Instant::now());
            if let Some(readers) = read {
                r.readers = readers;
            }
        }
    }
}

#[cfg(test)]
mod tests;
