//! One provider's life (protocol.md §4-§8): register and stake, heartbeat
//! on schedule, train the jobs it is assigned and commit them, serve its
//! states over the artifact service, open the challenged steps; as a
//! committee member commit and reveal a secret, fetch `state_{i-1}` from
//! the prover, replay, commit and reveal a verdict; claim rewards.
//!
//! The daemon talks to the chain only through [`Chain`], so the same code
//! runs on the embedded chain and on wasmd. It polls: every `poll` it reads
//! the active jobs and rounds and does whatever its role asks that it has
//! not done yet. Every action is idempotent against the chain's state, and
//! what must survive a restart (committee secrets and salts, verdicts,
//! training checkpoints) is written under `data_dir` first, so a daemon
//! stopped with SIGTERM (or killed) resumes where it was.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use cosmwasm_std::{Decimal, HexBinary, Uint128};
use impulse_artifact::{ArtifactClient, ClientConfig, ModelBlob, ModelFormat, Phase, ServerConfig};
use impulse_chain::api::Chain;
use impulse_chain::Coin;
use impulse_engine::{BackendKind, Engine, TrainState};
use impulse_protocol::{secret_commitment, verdict_commitment, Hash, MerkleTree};
use impulse_types::marketplace::{
    self as mkt, ExecuteMsg, JobResponse, JobState, Opening, RoundResponse, VerificationMode,
};
use impulse_types::{rewards as rw, staking as stk, Backend, Capacity};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use crate::behaviour::Behaviour;
use crate::error::{io, ChainContext, DaemonError, Result};
use crate::spec::{self, engine_job};
use crate::store::NodeStore;

/// What a daemon reports while it works (narration and progress).
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// Something worth telling a person.
    Say {
        who: String,
        job: Option<u64>,
        text: String,
    },
    /// A training step finished.
    Step {
        who: String,
        job: u64,
        attempt: u32,
        step: u64,
        total: u64,
        loss: Option<f32>,
    },
}

/// Where events go (the demo's narrator, the CLI's progress bars).
pub type Events = UnboundedSender<Event>;

/// A provider daemon's settings.
#[derive(Clone, Debug)]
pub struct ProviderConfig {
    /// Name used in narration (the address is the chain signer's).
    pub name: String,
    pub behaviour: Behaviour,
    /// Stake sent with `Register` (uimp).
    pub stake: u128,
    pub price_per_step: u128,
    pub capacity: Capacity,
    pub backend: Backend,
    /// Checkpoints, secrets and fetched blobs.
    pub data_dir: PathBuf,
    /// Artifact service address (`127.0.0.1:0` picks a free port).
    pub listen: SocketAddr,
    /// How often to look at the chain.
    pub poll: Duration,
    /// Also run the permissionless cranks (timeouts, scheduler, epoch
    /// close, missed-heartbeat reports).
    pub keeper: bool,
}

/// What must survive a restart.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Persisted {
    /// Committee secrets by "job/attempt/draw".
    secrets: BTreeMap<String, String>,
    /// Verdicts (hashes, model hash, distances, salt) by "job/attempt/draw".
    verdicts: BTreeMap<String, Verdict>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Verdict {
    hashes: Vec<String>,
    model_hash: Option<String>,
    distances: Option<Vec<Decimal>>,
    salt: String,
}

/// A training run in progress or finished.
enum TrainSlot {
    Running(tokio::task::JoinHandle<Result<Trained>>),
    Done(Trained),
    Committed,
    Failed,
}

struct Trained {
    root: Hash,
    final_model: Hash,
    build: String,
}

/// A provider daemon.
pub struct Provider<C: Chain> {
    cfg: ProviderConfig,
    chain: Arc<C>,
    store: NodeStore,
    events: Option<Events>,
    endpoint: Mutex<String>,
    persisted: Mutex<Persisted>,
    training: Mutex<HashMap<(u64, u32), TrainSlot>>,
    verifying: Mutex<HashMap<String, tokio::task::JoinHandle<Result<Verdict>>>>,
    engines: tokio::sync::Mutex<HashMap<u64, Arc<Engine>>>,
    opened: Mutex<HashMap<(u64, u32), bool>>,
    last_heartbeat: Mutex<u64>,
    last_claim_check: Mutex<u64>,
    joined: std::sync::atomic::AtomicBool,
    shutdown: CancellationToken,
}

fn key(job: u64, attempt: u32, draw: u32) -> String {
    format!("{job}/{attempt}/{draw}")
}

fn hexb(h: &[u8]) -> HexBinary {
    HexBinary::from(h.to_vec())
}

fn random32() -> [u8; 32] {
    use rand_core::RngCore;
    let mut b = [0u8; 32];
    rand_core::OsRng.fill_bytes(&mut b);
    b
}

fn unhex32(s: &str) -> Result<Hash> {
    hex::decode(s)
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| DaemonError::Input(format!("{s:?} is not 32 bytes of hex")))
}

impl<C: Chain + 'static> Provider<C> {
    /// A daemon for the signer of `chain`. Reads what an earlier run of it
    /// left in `data_dir`.
    pub fn new(
        cfg: ProviderConfig,
        chain: Arc<C>,
        events: Option<Events>,
        shutdown: CancellationToken,
    ) -> Result<Arc<Self>> {
        io(&cfg.data_dir, std::fs::create_dir_all(&cfg.data_dir))?;
        let path = cfg.data_dir.join("daemon-state.json");
        let persisted = if path.exists() {
            let text = io(&path, std::fs::read_to_string(&path))?;
            serde_json::from_str(&text)
                .map_err(|e| DaemonError::Input(format!("{}: {e}", path.display())))?
        } else {
            Persisted::default()
        };
        Ok(Arc::new(Provider {
            cfg,
            chain,
            store: NodeStore::new(),
            events,
            endpoint: Mutex::new(String::new()),
            persisted: Mutex::new(persisted),
            training: Mutex::new(HashMap::new()),
            verifying: Mutex::new(HashMap::new()),
            engines: tokio::sync::Mutex::new(HashMap::new()),
            opened: Mutex::new(HashMap::new()),
            last_heartbeat: Mutex::new(0),
            last_claim_check: Mutex::new(0),
            joined: std::sync::atomic::AtomicBool::new(false),
            shutdown,
        }))
    }

    /// The signer's address.
    pub fn address(&self) -> String {
        self.chain.address()
    }

    pub fn name(&self) -> &str {
        &self.cfg.name
    }

    pub fn behaviour(&self) -> Behaviour {
        self.cfg.behaviour
    }

    /// The artifact store (blobs the daemon can serve).
    pub fn store(&self) -> &NodeStore {
        &self.store
    }

    /// The artifact service endpoint (`http://host:port`), once serving.
    pub fn endpoint(&self) -> String {
        self.endpoint.lock().unwrap().clone()
    }

    fn say(&self, job: Option<u64>, text: impl Into<String>) {
        let text = text.into();
        tracing::info!(provider = %self.cfg.name, job = ?job, "{text}");
        if let Some(tx) = &self.events {
            let _ = tx.send(Event::Say {
                who: self.cfg.name.clone(),
                job,
                text,
            });
        }
    }

    fn save(&self) -> Result<()> {
        let path = self.cfg.data_dir.join("daemon-state.json");
        let tmp = self.cfg.data_dir.join("daemon-state.json.tmp");
        let text = serde_json::to_string_pretty(&*self.persisted.lock().unwrap())
            .expect("state serializes");
        io(&tmp, std::fs::write(&tmp, text))?;
        io(&path, std::fs::rename(&tmp, &path))
    }

    /// Starts the artifact server; returns its endpoint.
    pub async fn serve(self: &Arc<Self>) -> Result<String> {
        let listener = tokio::net::TcpListener::bind(self.cfg.listen)
            .await
            .map_err(|source| DaemonError::Io {
                path: PathBuf::from(self.cfg.listen.to_string()),
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| DaemonError::Io {
            path: PathBuf::from(self.cfg.listen.to_string()),
            source,
        })?;
        let endpoint = format!("http://{addr}");
        *self.endpoint.lock().unwrap() = endpoint.clone();
        let store = self.store.clone();
        let stop = self.shutdown.clone();
        let config = ServerConfig {
            drain_timeout: Duration::from_secs(2),
            ..ServerConfig::default()
        };
        tokio::spawn(async move {
            if let Err(e) = impulse_artifact::serve(listener, store, config, stop).await {
                tracing::error!("artifact server: {e}");
            }
        });
        Ok(endpoint)
    }

    /// Registers with the staking contract (once) and advertises to the
    /// marketplace.
    pub async fn join(&self) -> Result<()> {
        let d = self.chain.deployment().clone();
        let me = self.address();
        let existing: std::result::Result<stk::ProviderResponse, _> = self
            .chain
            .query(
                &d.staking,
                &stk::QueryMsg::Provider {
                    address: me.clone(),
                },
            )
            .await;
        let endpoint = self.endpoint();
        match existing {
            Ok(p) => {
                *self.last_heartbeat.lock().unwrap() = p.last_heartbeat;
                if p.endpoint != endpoint && !endpoint.is_empty() {
                    self.chain
                        .execute(
                            &d.staking,
                            &stk::ExecuteMsg::UpdateProvider {
                                capacity: None,
                                price_per_step: None,
                                endpoint: Some(endpoint.clone()),
                            },
                            &[],
                        )
                        .await
                        .ctx(|| "updating the provider's endpoint".into())?;
                }
                self.say(
                    None,
                    format!(
                        "back online (stake {} uimp), serving at {endpoint}",
                        p.stake
                    ),
                );
            }
            Err(_) => {
                self.chain
                    .execute(
                        &d.staking,
                        &stk::ExecuteMsg::Register {
                            capacity: self.cfg.capacity,
                            backend: self.cfg.backend,
                            price_per_step: Uint128::new(self.cfg.price_per_step),
                            endpoint: endpoint.clone(),
                        },
                        &[Coin::new(self.cfg.stake, &d.denom)],
                    )
                    .await
                    .ctx(|| {
                        format!(
                            "registering {} with stake {}",
                            self.cfg.name, self.cfg.stake
                        )
                    })?;
                *self.last_heartbeat.lock().unwrap() = self.chain.height().await.unwrap_or(0);
                self.say(
                    None,
                    format!(
                        "registered, staked {} uimp, price {} per step, behaviour {}",
                        self.cfg.stake, self.cfg.price_per_step, self.cfg.behaviour
                    ),
                );
            }
        }
        self.chain
            .execute(&d.marketplace, &ExecuteMsg::Advertise {}, &[])
            .await
            .ctx(|| "advertising to the marketplace".into())?;
        self.joined.store(true, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }

    /// Serves, joins and runs until `shutdown`; then checkpoints and
    /// returns.
    pub async fn run(self: Arc<Self>) -> Result<()> {
        if self.endpoint().is_empty() {
            self.serve().await?;
        }
        if !self.joined.load(std::sync::atomic::Ordering::SeqCst) {
            self.join().await?;
        }
        let mut failures = 0u32;
        loop {
            tokio::select! {
                () = self.shutdown.cancelled() => break,
                () = tokio::time::sleep(self.cfg.poll) => {}
            }
            if self.cfg.behaviour == Behaviour::Offline {
                continue;
            }
            match self.tick().await {
                Ok(()) => failures = 0,
                Err(e) => {
                    failures += 1;
                    // A chain restart or a lost race: log and retry next
                    // tick; the state on chain tells what is still to do.
                    if failures == 1 || failures.is_multiple_of(20) {
                        tracing::warn!(provider = %self.cfg.name, "tick failed ({failures}x): {e}");
                    }
                }
            }
        }
        self.stop_training().await;
        Ok(())
    }

    /// Waits for the training tasks to checkpoint and stop.
    async fn stop_training(&self) {
        let handles: Vec<_> = {
            let mut t = self.training.lock().unwrap();
            t.drain()
                .filter_map(|(_, s)| match s {
                    TrainSlot::Running(h) => Some(h),
                    _ => None,
                })
                .collect()
        };
        for h in handles {
            let _ = h.await;
        }
    }

    /// One look at the chain.
    async fn tick(self: &Arc<Self>) -> Result<()> {
        let d = self.chain.deployment().clone();
        let height = self
            .chain
            .height()
            .await
            .ctx(|| "reading the height".into())?;
        self.heartbeat(height).await?;
        let me = self.address();
        for job in self.active_jobs().await? {
            if job.prover.as_ref().map(|p| p.as_str()) == Some(me.as_str()) {
                self.prover_duty(&job).await?;
            }
            if matches!(job.state, JobState::Queued) {
                continue;
            }
            let round: RoundResponse = self
                .chain
                .query(&d.marketplace, &mkt::QueryMsg::Round { job_id: job.id })
                .await
                .ctx(|| format!("reading the round of job {}", job.id))?;
            if let Some(i) = round
                .committee
                .iter()
                .position(|m| m.address.as_str() == me)
            {
                self.member_duty(&job, &round, i).await?;
            }
        }
        if self.cfg.keeper {
            crate::keeper::crank(&*self.chain, height).await?;
        }
        self.claim(height).await?;
        Ok(())
    }

    async fn heartbeat(&self, height: u64) -> Result<()> {
        let last = *self.last_heartbeat.lock().unwrap();
        let every = crate::keeper::heartbeat_blocks(&*self.chain).await?;
        if height < last + (every / 3).max(1) {
            return Ok(());
        }
        let d = self.chain.deployment();
        self.chain
            .execute(&d.staking, &stk::ExecuteMsg::Heartbeat {}, &[])
            .await
            .ctx(|| "heartbeat".into())?;
        *self.last_heartbeat.lock().unwrap() = height;
        Ok(())
    }

    async fn claim(&self, height: u64) -> Result<()> {
        {
            let mut last = self.last_claim_check.lock().unwrap();
            if height < *last + 10 {
                return Ok(());
            }
            *last = height;
        }
        let d = self.chain.deployment();
        let total = crate::trainer::claimable(&*self.chain, &self.address()).await?;
        if total == 0 {
            return Ok(());
        }
        self.chain
            .execute(
                &d.rewards,
                &rw::ExecuteMsg::Claim {
                    epochs: None,
                    limit: None,
                },
                &[],
            )
            .await
            .ctx(|| "claiming rewards".into())?;
        self.say(None, format!("claimed {total} uimp of rewards"));
        Ok(())
    }

    /// Jobs in the states where someone still has to act.
    async fn active_jobs(&self) -> Result<Vec<JobResponse>> {
        let d = self.chain.deployment();
        let mut out = Vec::new();
        for state in [
            JobState::Assigned,
            JobState::Committed,
            JobState::Challenged,
            JobState::Verifying,
        ] {
            let mut start_after = None;
            loop {
                let page: mkt::JobsResponse = self
                    .chain
                    .query(
                        &d.marketplace,
                        &mkt::QueryMsg::Jobs {
                            state: Some(state),
                            start_after,
                            limit: Some(30),
                        },
                    )
                    .await
                    .ctx(|| "listing jobs".into())?;
                let n = page.jobs.len();
                start_after = page.jobs.last().map(|j| j.id);
                out.extend(page.jobs);
                if n < 30 {
                    break;
                }
            }
        }
        Ok(out)
    }

    // ------------------------------------------------------------ prover

    async fn prover_duty(self: &Arc<Self>, job: &JobResponse) -> Result<()> {
        let key = (job.id, job.attempts);
        match job.state {
            JobState::Assigned => {
                let finished = {
                    let mut t = self.training.lock().unwrap();
                    match t.get(&key) {
                        None => {
                            let me = self.clone();
                            let j = job.clone();
                            let h = tokio::spawn(async move { me.train(j).await });
                            t.insert(key, TrainSlot::Running(h));
                            None
                        }
                        Some(TrainSlot::Running(h)) if h.is_finished() => {
                            let Some(TrainSlot::Running(h)) = t.remove(&key) else {
                                unreachable!()
                            };
                            Some(h)
                        }
                        _ => None,
                    }
                };
                if let Some(h) = finished {
                    match h.await {
                        Ok(Ok(trained)) => {
                            self.training
                                .lock()
                                .unwrap()
                                .insert(key, TrainSlot::Done(trained));
                        }
                        Ok(Err(DaemonError::Stopped)) => {}
                        Ok(Err(e)) => {
                            self.say(Some(job.id), format!("training failed: {e}"));
                            self.training.lock().unwrap().insert(key, TrainSlot::Failed);
                        }
                        Err(e) => {
                            self.say(Some(job.id), format!("training task died: {e}"));
                            self.training.lock().unwrap().insert(key, TrainSlot::Failed);
                        }
                    }
                }
                let done = {
                    let t = self.training.lock().unwrap();
                    match t.get(&key) {
                        Some(TrainSlot::Done(tr)) => {
                            Some((tr.root, tr.final_model, tr.build.clone()))
                        }
                        _ => None,
                    }
                };
                if let Some((root, model, build)) = done {
                    let d = self.chain.deployment();
                    self.chain
                        .execute(
                            &d.marketplace,
                            &ExecuteMsg::CommitResult {
                                job_id: job.id,
                                root: hexb(&root),
                                final_model_hash: hexb(&model),
                                build_identity: build,
                                backend: self.cfg.backend,
                            },
                            &[],
                        )
                        .await
                        .ctx(|| format!("committing the result of job {}", job.id))?;
                    self.training
                        .lock()
                        .unwrap()
                        .insert(key, TrainSlot::Committed);
                    self.say(
                        Some(job.id),
                        format!(
                            "committed root {} and final model {}",
                            &hex::encode(root)[..12],
                            &hex::encode(model)[..12]
                        ),
                    );
                }
            }
            JobState::Committed | JobState::Challenged | JobState::Verifying
                if self.store.hashes(job.id).is_empty() =>
            {
                // Restarted after committing: rebuild the served states from
                // the checkpoints (the same function, so the same bytes)
                // before anything is opened or served.
                let mut t = self.training.lock().unwrap();
                match t.get(&key) {
                    None => {
                        self.say(
                            Some(job.id),
                            "reloading the committed states from the checkpoints",
                        );
                        let me = self.clone();
                        let j = job.clone();
                        t.insert(
                            key,
                            TrainSlot::Running(tokio::spawn(async move { me.train(j).await })),
                        );
                    }
                    Some(TrainSlot::Running(h)) if h.is_finished() => {
                        // Loaded (the next tick sees the states) or failed
                        // (the next tick tries again).
                        t.remove(&key);
                    }
                    _ => {}
                }
            }
            JobState::Verifying => {
                if self.cfg.behaviour == Behaviour::Withhold {
                    return Ok(());
                }
                if self
                    .opened
                    .lock()
                    .unwrap()
                    .get(&key)
                    .copied()
                    .unwrap_or(false)
                {
                    return Ok(());
                }
                self.open_steps(job).await?;
                self.opened.lock().unwrap().insert(key, true);
            }
            _ => {}
        }
        Ok(())
    }

    async fn open_steps(&self, job: &JobResponse) -> Result<()> {
        let d = self.chain.deployment().clone();
        let round: RoundResponse = self
            .chain
            .query(&d.marketplace, &mkt::QueryMsg::Round { job_id: job.id })
            .await
            .ctx(|| format!("reading the round of job {}", job.id))?;
        if round.opened as usize >= round.challenged_steps.len() {
            return Ok(());
        }
        let hashes = self.store.hashes(job.id);
        if hashes.len() as u64 != job.spec.hyper.steps + 1 {
            return Err(DaemonError::Check(format!(
                "job {}: this worker holds {} leaves, the job has {}",
                job.id,
                hashes.len(),
                job.spec.hyper.steps + 1
            )));
        }
        let tree = MerkleTree::new(&hashes).map_err(|e| DaemonError::Check(e.to_string()))?;
        let cfg: mkt::ConfigResponse = self
            .chain
            .query(&d.marketplace, &mkt::QueryMsg::Config {})
            .await
            .ctx(|| "reading the marketplace config".into())?;
        let openings: Vec<Opening> = round
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
        for chunk in openings.chunks(cfg.params.max_openings_per_tx.max(1) as usize) {
            self.chain
                .execute(
                    &d.marketplace,
                    &ExecuteMsg::OpenSteps {
                        job_id: job.id,
                        openings: chunk.to_vec(),
                    },
                    &[],
                )
                .await
                .ctx(|| format!("opening the challenged steps of job {}", job.id))?;
        }
        self.say(
            Some(job.id),
            format!(
                "opened {} challenged steps {:?}",
                openings.len(),
                round.challenged_steps
            ),
        );
        Ok(())
    }

    /// The engine of a job: dataset (and base weights) fetched by hash from
    /// the URIs the job names, checked, cached.
    async fn engine(&self, job: &JobResponse) -> Result<Arc<Engine>> {
        let mut engines = self.engines.lock().await;
        if let Some(e) = engines.get(&job.id) {
            return Ok(e.clone());
        }
        let ej = engine_job(&job.spec)?;
        let data_hash = spec::hash32(&job.spec.dataset.sha256, "dataset.sha256")?;
        let data_path = self.fetch_blob(&data_hash, &job.spec.dataset.uri).await?;
        let base = match &job.spec.model.base_weights {
            Some(b) => {
                let h = spec::hash32(&b.sha256, "base_weights.sha256")?;
                let p = self.fetch_blob(&h, &b.uri).await?;
                Some(io(&p, std::fs::read(&p))?)
            }
            None => None,
        };
        let tok = match &ej.tokenizer_sha256 {
            Some(t) => {
                let h = unhex32(t)?;
                Some(self.fetch_blob(&h, &job.spec.dataset.uri).await?)
            }
            None => None,
        };
        let id = job.id;
        let engine = tokio::task::spawn_blocking(move || {
            Engine::load_with(
                ej,
                &data_path,
                tok.as_deref(),
                BackendKind::Flex,
                base.as_deref(),
            )
        })
        .await
        .map_err(|e| DaemonError::Check(format!("engine task: {e}")))?
        .ctx(|| format!("preparing the engine for job {id}"))?;
        let e = Arc::new(engine);
        engines.insert(job.id, e.clone());
        Ok(e)
    }

    /// A blob by hash: from the local cache, or downloaded from `uri`
    /// (hash-checked), then cached and served.
    async fn fetch_blob(&self, h: &Hash, uri: &str) -> Result<PathBuf> {
        let dir = self.cfg.data_dir.join("blobs");
        io(&dir, std::fs::create_dir_all(&dir))?;
        let path = dir.join(hex::encode(h));
        if path.exists() {
            let bytes = io(&path, std::fs::read(&path))?;
            if &impulse_artifact::sha256(&bytes) == h {
                self.store.add_blob(Bytes::from(bytes));
                return Ok(path);
            }
        }
        let bytes = match self.store.blob(h) {
            Some(b) => b,
            None => {
                let endpoint = spec::endpoint_of(uri)?;
                let client = ArtifactClient::connect(&endpoint, self.client_config())
                    .await
                    .ctx(|| format!("connecting to {endpoint}"))?;
                client
                    .fetch_dataset(h)
                    .await
                    .ctx(|| format!("fetching {} from {endpoint}", hex::encode(h)))?
            }
        };
        io(&path, std::fs::write(&path, &bytes))?;
        self.store.add_blob(bytes);
        Ok(path)
    }

    fn client_config(&self) -> ClientConfig {
        ClientConfig {
            caller: impulse_artifact::Caller::new(&self.address()),
            connect_attempts: 3,
            ..ClientConfig::default()
        }
    }

    /// Trains a job (resuming from checkpoints of an earlier run) and seals
    /// it in the store.
    async fn train(self: Arc<Self>, job: JobResponse) -> Result<Trained> {
        self.store.set_phase(job.id, Phase::Preparing);
        let engine = self.engine(&job).await?;
        let me = self.clone();
        let stop = self.shutdown.clone();
        tokio::task::spawn_blocking(move || me.train_blocking(&engine, &job, &stop))
            .await
            .map_err(|e| DaemonError::Check(format!("training task: {e}")))?
    }

    fn job_dir(&self, job: u64, attempt: u32) -> PathBuf {
        self.cfg.data_dir.join(format!("jobs/{job}-{attempt}"))
    }

    fn train_blocking(
        &self,
        engine: &Engine,
        job: &JobResponse,
        stop: &CancellationToken,
    ) -> Result<Trained> {
        let steps = job.spec.hyper.steps;
        let dir = self.job_dir(job.id, job.attempts);
        io(&dir, std::fs::create_dir_all(&dir))?;
        let behaviour = self.cfg.behaviour.engine(steps);
        let every = engine.job.checkpoint_every.max(1);
        let ctx = |what: &str| format!("job {}: {what}", job.id);
        // Resume: the stored checkpoints, the states between them
        // recomputed (the same function, so the same bytes).
        let mut stored: BTreeMap<u64, PathBuf> = BTreeMap::new();
        if let Ok(rd) = std::fs::read_dir(&dir) {
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().to_string();
                if let Some(n) = name
                    .strip_prefix("state-")
                    .and_then(|s| s.strip_suffix(".bin"))
                {
                    if let Ok(n) = n.parse::<u64>() {
                        stored.insert(n, e.path());
                    }
                }
            }
        }
        let resume_at = stored.keys().next_back().copied().unwrap_or(0);
        let mut state: TrainState = engine.init_state().ctx(|| ctx("state_0"))?;
        let mut states = vec![(Bytes::from(state.encode()), state.hash())];
        for i in 1..=resume_at {
            state = match stored.get(&i) {
                Some(p) => {
                    let bytes = io(p, std::fs::read(p))?;
                    engine
                        .decode(&bytes)
                        .ctx(|| ctx(&format!("checkpoint {i}")))?
                }
                None => {
                    engine
                        .prove_step(&behaviour, &state)
                        .ctx(|| ctx("recompute"))?
                        .0
                }
            };
            states.push((Bytes::from(state.encode()), state.hash()));
        }
        if resume_at > 0 {
            self.say(
                Some(job.id),
                format!("resuming training at step {resume_at}/{steps} from checkpoints"),
            );
        } else {
            self.say(
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
        self.store.start_job(
            job.id,
            steps,
            states,
            self.cfg.behaviour == Behaviour::Withhold,
        );
        for i in resume_at + 1..=steps {
            if stop.is_cancelled() {
                self.say(
                    Some(job.id),
                    format!(
                        "stopping: checkpoint at step {} kept in {}",
                        i - 1,
                        dir.display()
                    ),
                );
                return Err(DaemonError::Stopped);
            }
            let (next, loss) = engine
                .prove_step(&behaviour, &state)
                .ctx(|| ctx("training step"))?;
            state = next;
            let bytes = Bytes::from(state.encode());
            let h = impulse_artifact::sha256(&bytes);
            if i % every == 0 || i == steps {
                let p = dir.join(format!("state-{i:08}.bin"));
                let tmp = dir.join(format!("state-{i:08}.tmp"));
                io(&tmp, std::fs::write(&tmp, &bytes))?;
                io(&p, std::fs::rename(&tmp, &p))?;
            }
            self.store.push_state(job.id, bytes, h, loss);
            if let Some(tx) = &self.events {
                let _ = tx.send(Event::Step {
                    who: self.cfg.name.clone(),
                    job: job.id,
                    attempt: job.attempts,
                    step: i,
                    total: steps,
                    loss,
                });
            }
        }
        let hashes = self.store.hashes(job.id);
        let commitment = engine
            .commitment(&hashes, &state)
            .ctx(|| ctx("commitment"))?;
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
        let st = Bytes::from(impulse_engine::export::export_safetensors(&state, &meta));
        let model = ModelBlob {
            sha256: impulse_artifact::sha256(&st),
            bytes: st,
            format: ModelFormat::Safetensors,
            final_model_sha256: final_model,
        };
        let root = self
            .store
            .seal(job.id, vec![model])
            .ok_or_else(|| DaemonError::Check(format!("job {}: nothing to seal", job.id)))?;
        Ok(Trained {
            root,
            final_model,
            build: spec::build_identity(&commitment.build),
        })
    }

    // ---------------------------------------------------------- verifier

    async fn member_duty(
        self: &Arc<Self>,
        job: &JobResponse,
        round: &RoundResponse,
        i: usize,
    ) -> Result<()> {
        let m = &round.committee[i];
        let k = key(job.id, round.attempt, round.draw);
        let d = self.chain.deployment().clone();
        match round.state {
            JobState::Assigned if m.secret_hash.is_none() => {
                let secret = random32();
                self.persisted
                    .lock()
                    .unwrap()
                    .secrets
                    .insert(k.clone(), hex::encode(secret));
                self.save()?;
                self.chain
                    .execute(
                        &d.marketplace,
                        &ExecuteMsg::CommitSecret {
                            job_id: job.id,
                            secret_hash: hexb(&secret_commitment(&secret)),
                        },
                        &[],
                    )
                    .await
                    .ctx(|| format!("committing a secret for job {}", job.id))?;
            }
            JobState::Committed if m.secret.is_none() && m.secret_hash.is_some() => {
                let secret = self.persisted.lock().unwrap().secrets.get(&k).cloned();
                let Some(secret) = secret else {
                    return Ok(()); // lost: the contract will count a fault
                };
                self.chain
                    .execute(
                        &d.marketplace,
                        &ExecuteMsg::RevealSecret {
                            job_id: job.id,
                            secret: hexb(&unhex32(&secret)?),
                        },
                        &[],
                    )
                    .await
                    .ctx(|| format!("revealing the secret for job {}", job.id))?;
            }
            JobState::Challenged if m.verdict_commitment.is_none() => {
                let known = self.persisted.lock().unwrap().verdicts.get(&k).cloned();
                let verdict = match known {
                    Some(v) => Some(v),
                    None => self.verdict_ready(job, round, &k)?,
                };
                let Some(v) = verdict else { return Ok(()) };
                let hashes: Vec<Hash> =
                    v.hashes.iter().map(|h| unhex32(h)).collect::<Result<_>>()?;
                let model = v.model_hash.as_deref().map(unhex32).transpose()?;
                let salt = unhex32(&v.salt)?;
                let atomics: Option<Vec<u128>> = v
                    .distances
                    .as_ref()
                    .map(|d| d.iter().map(|x| x.atomics().u128()).collect());
                let c = verdict_commitment(
                    self.address().as_bytes(),
                    &hashes,
                    atomics.as_deref(),
                    model.as_ref(),
                    &salt,
                );
                self.chain
                    .execute(
                        &d.marketplace,
                        &ExecuteMsg::CommitVerdict {
                            job_id: job.id,
                            commitment: hexb(&c),
                        },
                        &[],
                    )
                    .await
                    .ctx(|| format!("committing the verdict for job {}", job.id))?;
            }
            JobState::Verifying if !m.revealed && m.verdict_commitment.is_some() => {
                let v = self.persisted.lock().unwrap().verdicts.get(&k).cloned();
                let Some(v) = v else { return Ok(()) };
                let hashes = v
                    .hashes
                    .iter()
                    .map(|h| Ok(hexb(&unhex32(h)?)))
                    .collect::<Result<_>>()?;
                self.chain
                    .execute(
                        &d.marketplace,
                        &ExecuteMsg::RevealVerdict {
                            job_id: job.id,
                            hashes,
                            distances: v.distances.clone(),
                            model_hash: v
                                .model_hash
                                .as_deref()
                                .map(|h| Ok::<_, DaemonError>(hexb(&unhex32(h)?)))
                                .transpose()?,
                            salt: hexb(&unhex32(&v.salt)?),
                        },
                        &[],
                    )
                    .await
                    .ctx(|| format!("revealing the verdict for job {}", job.id))?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Starts (or collects) the replay of a round's challenged steps; the
    /// verdict once it is ready (also persisted).
    fn verdict_ready(
        self: &Arc<Self>,
        job: &JobResponse,
        round: &RoundResponse,
        k: &str,
    ) -> Result<Option<Verdict>> {
        let mut v = self.verifying.lock().unwrap();
        match v.get(k) {
            None => {
                let me = self.clone();
                let (job, round) = (job.clone(), round.clone());
                v.insert(
                    k.to_string(),
                    tokio::spawn(async move { me.replay(job, round).await }),
                );
                Ok(None)
            }
            Some(h) if h.is_finished() => {
                let h = v.remove(k).expect("present");
                drop(v);
                let result = futures_now(h);
                match result {
                    Some(Ok(verdict)) => {
                        self.persisted
                            .lock()
                            .unwrap()
                            .verdicts
                            .insert(k.to_string(), verdict.clone());
                        self.save()?;
                        Ok(Some(verdict))
                    }
                    Some(Err(e)) => {
                        self.say(Some(job.id), format!("verification failed, retrying: {e}"));
                        Ok(None)
                    }
                    None => Ok(None),
                }
            }
            Some(_) => Ok(None),
        }
    }

    /// Replays every challenged step from the prover's served states.
    async fn replay(self: Arc<Self>, job: JobResponse, round: RoundResponse) -> Result<Verdict> {
        let steps = &round.challenged_steps;
        let l = job.spec.hyper.steps;
        let salt = hex::encode(random32());
        if self.cfg.behaviour == Behaviour::LazyVerifier {
            self.say(
                Some(job.id),
                format!(
                    "lazily approving {} challenged steps without replaying them",
                    steps.len()
                ),
            );
            let zero = hex::encode([0u8; 32]);
            return Ok(Verdict {
                hashes: vec![zero.clone(); steps.len()],
                model_hash: Some(zero),
                distances: match job.spec.verification.mode {
                    VerificationMode::Tolerance { .. } => Some(vec![Decimal::zero(); steps.len()]),
                    VerificationMode::Exact => None,
                },
                salt,
            });
        }
        let root = spec::hash32(
            round
                .root
                .as_ref()
                .ok_or_else(|| DaemonError::Check("no root".into()))?,
            "root",
        )?;
        let d = self.chain.deployment().clone();
        let prover = job
            .prover
            .clone()
            .ok_or_else(|| DaemonError::Check("no prover".into()))?;
        let p: stk::ProviderResponse = self
            .chain
            .query(
                &d.staking,
                &stk::QueryMsg::Provider {
                    address: prover.to_string(),
                },
            )
            .await
            .ctx(|| "reading the prover's endpoint".into())?;
        let engine = self.engine(&job).await?;
        let tolerance = matches!(
            job.spec.verification.mode,
            VerificationMode::Tolerance { .. }
        );
        let client = ArtifactClient::connect(&p.endpoint, self.client_config()).await;
        let mut hashes = Vec::new();
        let mut distances = Vec::new();
        let mut model_hash = None;
        let mut mismatches = Vec::new();
        for &s in steps {
            let served = match &client {
                Ok(c) => c
                    .fetch_state(job.id, s - 1, &root)
                    .await
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            let served = match served {
                Ok(st) => st,
                Err(e) => {
                    // Nothing to replay from: report no hash (a mismatch);
                    // the prover must also open the step on chain.
                    self.say(
                        Some(job.id),
                        format!("cannot fetch state {} from the prover: {e}", s - 1),
                    );
                    hashes.push(hex::encode([0u8; 32]));
                    distances.push(Decimal::MAX);
                    if s == l {
                        model_hash = Some(hex::encode([0u8; 32]));
                    }
                    mismatches.push(s);
                    continue;
                }
            };
            let e = engine.clone();
            let claimed = if tolerance {
                match &client {
                    Ok(c) => c.fetch_state(job.id, s, &root).await.ok().map(|v| v.bytes),
                    Err(_) => None,
                }
            } else {
                None
            };
            let (h, mh, dist) = tokio::task::spawn_blocking(move || -> Result<_> {
                let (next, h) = e
                    .replay(&served.bytes, &served.hash, s)
                    .ctx(|| format!("replaying step {s}"))?;
                let mh = (s == e.job.steps).then(|| next.model_hash());
                let dist = match claimed {
                    Some(b) => {
                        let c = e.decode(&b).ctx(|| format!("decoding claimed state {s}"))?;
                        impulse_engine::relative_l2(&next, &c)
                    }
                    None => f64::INFINITY,
                };
                Ok((h, mh, dist))
            })
            .await
            .map_err(|e| DaemonError::Check(format!("replay task: {e}")))??;
            hashes.push(hex::encode(h));
            if tolerance {
                let dd = if dist.is_finite() {
                    Decimal::from_atomics(Uint128::new((dist * 1e12).round() as u128), 12)
                        .unwrap_or(Decimal::MAX)
                } else {
                    Decimal::MAX
                };
                distances.push(dd);
            }
            if let Some(mh) = mh {
                model_hash = Some(hex::encode(mh));
            }
        }
        if self.cfg.behaviour == Behaviour::FalseAccuser && !hashes.is_empty() {
            let mut h = unhex32(&hashes[0])?;
            h[0] ^= 0xff;
            hashes[0] = hex::encode(h);
            if let Some(d) = distances.first_mut() {
                *d = Decimal::one();
            }
            self.say(
                Some(job.id),
                format!("falsely accusing the prover at step {}", steps[0]),
            );
        } else {
            self.say(
                Some(job.id),
                format!(
                    "replayed {} challenged steps {:?}{}",
                    steps.len(),
                    steps,
                    if mismatches.is_empty() {
                        String::new()
                    } else {
                        format!(", unavailable: {mismatches:?}")
                    }
                ),
            );
        }
        Ok(Verdict {
            hashes,
            model_hash,
            distances: tolerance.then_some(distances),
            salt,
        })
    }
}

/// The output of a finished task without blocking (it is finished).
fn futures_now<T>(h: tokio::task::JoinHandle<T>) -> Option<T> {
    use std::future::Future;
    use std::task::{Context, Poll, Waker};
    let mut h = h;
    let mut cx = Context::from_waker(Waker::noop());
    match std::pin::Pin::new(&mut h).poll(&mut cx) {
        Poll::Ready(Ok(v)) => Some(v),
        _ => None,
    }
}
