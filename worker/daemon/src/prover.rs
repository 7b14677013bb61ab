//! The prover's role (protocol.md §6, points 1-2 and 6.6): for a job
//! assigned to this provider, fetch its inputs, train it step by step on a
//! blocking thread (every K-th state checkpointed to disk, every state
//! served), seal the states and `CommitResult`; once challenged,
//! `OpenSteps` with Merkle proofs. A restart resumes training from the
//! checkpoints, or rebuilds the served states of a committed job from them
//! before anything is opened or served.
//!
//! Its state is per attempt ([`AttemptKey`]): the training run, and
//! whether the challenged steps were opened.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use impulse_artifact::{ModelBlob, ModelFormat, Phase};
use impulse_chain::api::Chain;
use impulse_chain::contracts::Marketplace;
use impulse_engine::{Engine, TrainState};
use impulse_protocol::{Hash, MerkleTree};
use impulse_types::marketplace::{JobResponse, JobState, Opening, RoundResponse};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::error::{io, ChainContext, DaemonError, Result};
use crate::node::{unhex32, Event, Node};
use crate::round::AttemptKey;
use crate::spec;

/// A training run of one attempt.
enum Run {
    Training(JoinHandle<Result<Trained>>),
    Trained(Trained),
    Committed,
    Failed,
}

/// What a finished run commits.
struct Trained {
    root: Hash,
    final_model: Hash,
    build: String,
}

/// The prover's book: its runs and the attempts it opened.
#[derive(Default)]
struct Book {
    runs: HashMap<AttemptKey, Run>,
    opened: HashSet<AttemptKey>,
}

/// The prover role of a daemon.
pub struct Prover<C: Chain> {
    node: Arc<Node<C>>,
    book: Mutex<Book>,
}

fn attempt(job: &JobResponse) -> AttemptKey {
    AttemptKey {
        job: job.id,
        attempt: job.attempts,
    }
}

impl<C: Chain + 'static> Prover<C> {
    pub fn new(node: Arc<Node<C>>) -> Prover<C> {
        Prover {
            node,
            book: Mutex::new(Book::default()),
        }
    }

    fn book(&self) -> std::sync::MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// What a job assigned to this provider still needs from it.
    pub async fn duty(self: &Arc<Self>, job: &JobResponse, round: &RoundResponse) -> Result<()> {
        match job.state {
            JobState::Assigned => self.train_and_commit(job, round).await,
            JobState::Committed | JobState::Challenged | JobState::Verifying
                if self.node.store.hashes(job.id).is_empty() =>
            {
                self.reload(job);
                Ok(())
            }
            JobState::Verifying => {
                let key = attempt(job);
                if self.book().opened.contains(&key) {
                    return Ok(());
                }
                self.open_steps(job).await?;
                self.book().opened.insert(key);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Waits for the training runs to checkpoint and stop.
    pub async fn stop(&self) {
        let handles: Vec<_> = self
            .book()
            .runs
            .drain()
            .filter_map(|(_, r)| match r {
                Run::Training(h) => Some(h),
                _ => None,
            })
            .collect();
        for h in handles {
            let _ = h.await;
        }
    }

    /// `Assigned`: starts the run, collects it when it ends, commits it once
    /// the committee's secrets are in (the contract refuses a root before
    /// them, protocol.md §6.3).
    async fn train_and_commit(
        self: &Arc<Self>,
        job: &JobResponse,
        round: &RoundResponse,
    ) -> Result<()> {
        let key = attempt(job);
        let finished = {
            let mut book = self.book();
            match book.runs.get(&key) {
                None => {
                    let me = self.clone();
                    let j = job.clone();
                    let h = tokio::spawn(async move { me.train(j).await });
                    book.runs.insert(key, Run::Training(h));
                    None
                }
                Some(Run::Training(h)) if h.is_finished() => match book.runs.remove(&key) {
                    Some(Run::Training(h)) => Some(h),
                    _ => None,
                },
                _ => None,
            }
        };
        if let Some(h) = finished {
            let run = match h.await {
                Ok(Ok(trained)) => Some(Run::Trained(trained)),
                Ok(Err(DaemonError::Stopped)) => None,
                Ok(Err(e)) => {
                    self.node.say(Some(job.id), format!("training failed: {e}"));
                    Some(Run::Failed)
                }
                Err(e) => {
                    self.node
                        .say(Some(job.id), format!("training task died: {e}"));
                    Some(Run::Failed)
                }
            };
            if let Some(run) = run {
                self.book().runs.insert(key, run);
            }
        }
        let done = match self.book().runs.get(&key) {
            Some(Run::Trained(t)) => Some((t.root, t.final_model, t.build.clone())),
            _ => None,
        };
        let Some((root, model, build)) = done else {
            return Ok(());
        };
        if round.secrets_due.is_some() {
            return Ok(()); // the committee is still committing its secrets
        }
        Marketplace::new(&*self.node.chain)
            .commit_result(job.id, &root, &model, build, self.node.cfg.backend)
            .await
            .ctx(|| format!("committing the result of job {}", job.id))?;
        self.book().runs.insert(key, Run::Committed);
        self.node.say(
            Some(job.id),
            format!(
                "committed root {} and final model {}",
                &hex::encode(root)[..12],
                &hex::encode(model)[..12]
            ),
        );
        Ok(())
    }

    /// Restarted after committing: rebuilds the served states from the
    /// checkpoints (the same function, so the same bytes) before anything
    /// is opened or served.
    fn reload(self: &Arc<Self>, job: &JobResponse) {
        let key = attempt(job);
        let mut book = self.book();
        match book.runs.get(&key) {
            None => {
                self.node.say(
                    Some(job.id),
                    "reloading the committed states from the checkpoints",
                );
                let me = self.clone();
                let j = job.clone();
                let h = tokio::spawn(async move { me.train(j).await });
                book.runs.insert(key, Run::Training(h));
            }
            Some(Run::Training(h)) if h.is_finished() => {
                // Loaded (the next tick sees the states) or failed (the
                // next tick tries again).
                book.runs.remove(&key);
            }
            _ => {}
        }
    }

    /// `Verifying`: opens the challenged steps not opened yet (as many per
    /// transaction as the marketplace allows).
    async fn open_steps(&self, job: &JobResponse) -> Result<()> {
        let market = Marketplace::new(&*self.node.chain);
        let round = market
            .round(job.id)
            .await
            .ctx(|| format!("reading the round of job {}", job.id))?;
        if round.opened as usize >= round.challenged_steps.len() {
            return Ok(());
        }
        let hashes = self.node.store.hashes(job.id);
        if hashes.len() as u64 != job.spec.hyper.steps + 1 {
            return Err(DaemonError::Check(format!(
                "job {}: this worker holds {} leaves, the job has {}",
                job.id,
                hashes.len(),
                job.spec.hyper.steps + 1
            )));
        }
        let tree = MerkleTree::new(&hashes).map_err(|e| DaemonError::Check(e.to_string()))?;
        let honest: Vec<Opening> = round
            .challenged_steps
            .iter()
            .map(|&s| {
                let proof = tree.proof(s).expect("challenged steps are leaves");
                Opening {
                    step: s,
                    hash: hexb(&hashes[s as usize]),
                    proof: proof.siblings.iter().map(|x| hexb(x)).collect(),
                }
            })
            .collect();
        let openings = self.node.conduct.openings(honest);
        if openings.is_empty() {
            return Ok(());
        }
        let cfg = market
            .config()
            .await
            .ctx(|| "reading the marketplace config".into())?;
        for chunk in openings.chunks(cfg.params.max_openings_per_tx.max(1) as usize) {
            market
                .open_steps(job.id, chunk.to_vec())
                .await
                .ctx(|| format!("opening the challenged steps of job {}", job.id))?;
        }
        self.node.say(
            Some(job.id),
            format!(
                "opened {} challenged steps {:?}",
                openings.len(),
                round.challenged_steps
            ),
        );
        Ok(())
    }

    /// Trains a job (resuming from checkpoints of an earlier run) and seals
    /// it in the store.
    async fn train(self: Arc<Self>, job: JobResponse) -> Result<Trained> {
        self.node.store.set_phase(job.id, Phase::Preparing);
        let engine = self.node.engine(&job).await?;
        let me = self.clone();
        let stop = self.node.shutdown.clone();
        tokio::task::spawn_blocking(move || me.train_blocking(&engine, &job, &stop))
            .await
            .map_err(|e| DaemonError::Check(format!("training task: {e}")))?
    }

    fn job_dir(&self, key: AttemptKey) -> PathBuf {
        self.node
            .cfg
            .data_dir
            .join(format!("jobs/{}-{}", key.job, key.attempt))
    }

    /// What the artifact service serves for `state` (canonical encoding
    /// `bytes`), with its leaf.
    fn served(
        &self,
        engine: &Engine,
        state: &TrainState,
        bytes: Bytes,
    ) -> Result<(Option<Bytes>, Hash)> {
        let h = impulse_artifact::sha256(&bytes);
        let served = self
            .node
            .conduct
            .served(engine, state, bytes)
            .ctx(|| format!("serving state {}", state.step))?;
        Ok((served, h))
    }

    fn train_blocking(
        &self,
        engine: &Engine,
        job: &JobResponse,
        stop: &CancellationToken,
    ) -> Result<Trained> {
        let conduct = &self.node.conduct;
        let steps = job.spec.hyper.steps;
        let dir = self.job_dir(attempt(job));
        io(&dir, std::fs::create_dir_all(&dir))?;
        let every = engine.job.checkpoint_every.max(1);
        let ctx = |what: &str| format!("job {}: {what}", job.id);
        // Resume: the stored checkpoints, the states between them
        // recomputed (the same function, so the same bytes).
        let stored = checkpoints(&dir);
        let resume_at = stored.keys().next_back().copied().unwrap_or(0);
        let mut state: TrainState = engine.init_state().ctx(|| ctx("state_0"))?;
        let mut states = vec![self.served(engine, &state, Bytes::from(state.encode()))?];
        for i in 1..=resume_at {
            state = match stored.get(&i) {
                Some(p) => {
                    let bytes = io(p, std::fs::read(p))?;
                    engine
                        .decode(&bytes)
                        .ctx(|| ctx(&format!("checkpoint {i}")))?
                }
                None => {
                    conduct
                        .next_state(engine, &state)
                        .ctx(|| ctx("recompute"))?
                        .0
                }
            };
            states.push(self.served(engine, &state, Bytes::from(state.encode()))?);
        }
        if resume_at > 0 {
            self.node.say(
                Some(job.id),
                format!("resuming training at step {resume_at}/{steps} from checkpoints"),
            );
        } else {
            self.node.say(
                Some(job.id),
                format!(
                    "training {} steps of {}{} (attempt {})",
                    steps,
                    job.spec.model.arch,
                    if engine.job.lora.is_some() {
                        " LoRA"
                    } else {
                        ""
                    },
                    job.attempts
                ),
            );
        }
        self.node.store.start_job(job.id, steps, states);
        for i in resume_at + 1..=steps {
            if stop.is_cancelled() {
                self.node.say(
                    Some(job.id),
                    format!(
                        "stopping: checkpoint at step {} kept in {}",
                        i - 1,
                        dir.display()
                    ),
                );
                return Err(DaemonError::Stopped);
            }
            let (next, loss) = conduct
                .next_state(engine, &state)
                .ctx(|| ctx("training step"))?;
            state = next;
            let bytes = Bytes::from(state.encode());
            if i % every == 0 || i == steps {
                let p = dir.join(format!("state-{i:08}.bin"));
                let tmp = dir.join(format!("state-{i:08}.tmp"));
                io(&tmp, std::fs::write(&tmp, &bytes))?;
                io(&p, std::fs::rename(&tmp, &p))?;
            }
            let (served, h) = self.served(engine, &state, bytes)?;
            self.node.store.push_state(job.id, served, h, loss);
            self.node.emit(Event::Step {
                who: self.node.cfg.name.clone(),
                job: job.id,
                attempt: job.attempts,
                step: i,
                total: steps,
                loss,
            });
        }
        self.seal(engine, job, &state)
    }

    /// Commits to the trained states: the commitment, the final model as
    /// safetensors, the Merkle tree in the store.
    fn seal(&self, engine: &Engine, job: &JobResponse, last: &TrainState) -> Result<Trained> {
        let hashes = self.node.store.hashes(job.id);
        let commitment = engine
            .commitment(&hashes, last)
            .ctx(|| format!("job {}: commitment", job.id))?;
        let final_model = unhex32(&commitment.final_model_sha256)?;
        let meta = BTreeMap::from([
            ("impulse.job_id".to_string(), job.id.to_string()),
            (
                "impulse.merkle_root".to_string(),
                commitment.merkle_root.clone(),
            ),
            (
                "impulse.final_model_sha256".to_string(),
                commitment.final_model_sha256.clone(),
            ),
        ]);
        let st = Bytes::from(impulse_engine::export::export_safetensors(last, &meta));
        let model = ModelBlob {
            sha256: impulse_artifact::sha256(&st),
            bytes: st,
            format: ModelFormat::Safetensors,
            final_model_sha256: final_model,
        };
        let root = self
            .node
            .store
            .seal(job.id, vec![model])
            .ok_or_else(|| DaemonError::Check(format!("job {}: nothing to seal", job.id)))?;
        Ok(Trained {
            root,
            final_model,
            build: spec::build_identity(&commitment.build),
        })
    }
}

/// The checkpoints `state-<step>.bin` an earlier run left in `dir`.
fn checkpoints(dir: &std::path::Path) -> BTreeMap<u64, PathBuf> {
    let mut stored = BTreeMap::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            let step = name
                .strip_prefix("state-")
                .and_then(|s| s.strip_suffix(".bin"))
                .and_then(|n| n.parse::<u64>().ok());
            if let Some(n) = step {
                stored.insert(n, e.path());
            }
        }
    }
    stored
}

fn hexb(h: &[u8]) -> cosmwasm_std::HexBinary {
    cosmwasm_std::HexBinary::from(h.to_vec())
}
