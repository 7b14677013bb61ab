//! What every role of a provider daemon shares: its settings, the chain
//! handle, the artifact store it serves, narration, and the engines of
//! its jobs (dataset and base weights fetched by hash, checked, cached).
//! The prover (`prover.rs`) and the committee member (`verifier.rs`) each
//! hold one of these; the orchestrator (`provider.rs`) builds it.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use impulse_artifact::{ArtifactClient, ClientConfig, Identity, RequestSigner, TlsFiles};
use impulse_chain::api::Chain;
use impulse_engine::{BackendKind, Engine};
use impulse_protocol::Hash;
use impulse_types::marketplace::JobResponse;
use impulse_types::{Backend, Capacity};
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use crate::access::{self, Access};
use crate::adversary::{Behaviour, CheatSteps, Conduct};
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
    /// The steps a cheating prover cheats at (default: every step).
    pub cheat_steps: CheatSteps,
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
    /// Serve artifacts over TLS (the endpoint on chain is then `https://`).
    pub tls: Option<TlsFiles>,
    /// CA certificates (PEM) trusted for other workers' `https://` endpoints.
    pub tls_ca_pem: Option<Vec<u8>>,
}

/// The context the roles of one daemon share.
pub struct Node<C: Chain> {
    pub cfg: ProviderConfig,
    pub conduct: Conduct,
    pub chain: Arc<C>,
    pub store: NodeStore,
    pub shutdown: CancellationToken,
    events: Option<Events>,
    engines: tokio::sync::Mutex<HashMap<u64, Arc<Engine>>>,
}

impl<C: Chain + 'static> Node<C> {
    pub fn new(
        cfg: ProviderConfig,
        chain: Arc<C>,
        events: Option<Events>,
        shutdown: CancellationToken,
    ) -> Node<C> {
        Node {
            conduct: Conduct::new(cfg.behaviour, cfg.cheat_steps.clone()),
            cfg,
            store: node_store(&chain),
            chain,
            shutdown,
            events,
            engines: tokio::sync::Mutex::new(HashMap::new()),
        }
    }

    /// The signer's address.
    pub fn address(&self) -> String {
        self.chain.address()
    }

    /// Narrates (and logs) something this provider did.
    pub fn say(&self, job: Option<u64>, text: impl Into<String>) {
        let text = text.into();
        tracing::info!(provider = %self.cfg.name, job = ?job, "{text}");
        self.emit(Event::Say {
            who: self.cfg.name.clone(),
            job,
            text,
        });
    }

    /// Sends an event to whoever listens.
    pub fn emit(&self, event: Event) {
        if let Some(tx) = &self.events {
            let _ = tx.send(event);
        }
    }

    /// The engine of a job: dataset (and base weights, tokenizer) fetched
    /// by hash from the URIs the job names, checked, cached.
    pub async fn engine(&self, job: &JobResponse) -> Result<Arc<Engine>> {
        let mut engines = self.engines.lock().await;
        if let Some(e) = engines.get(&job.id) {
            return Ok(e.clone());
        }
        let ej = engine_job(&job.spec)?;
        let data_hash = spec::hash32(&job.spec.dataset.sha256, "dataset.sha256")?;
        let base_hash = match &job.spec.model.base_weights {
            Some(b) => Some(spec::hash32(&b.sha256, "base_weights.sha256")?),
            None => None,
        };
        let tok_hash = ej.tokenizer_sha256.as_deref().map(unhex32).transpose()?;
        // Before anything is fetched (and so served again from here): a
        // private job's blobs go only to its readers.
        let blobs: Vec<Hash> = [Some(data_hash), base_hash, tok_hash]
            .into_iter()
            .flatten()
            .collect();
        self.store.access().bind(job.id, job.spec.private, &blobs);
        let data_path = self.fetch_blob(&data_hash, &job.spec.dataset.uri).await?;
        let base = match (&job.spec.model.base_weights, base_hash) {
            (Some(b), Some(h)) => {
                let p = self.fetch_blob(&h, &b.uri).await?;
                Some(io(&p, std::fs::read(&p))?)
            }
            _ => None,
        };
        let tok = match tok_hash {
            Some(h) => Some(self.fetch_blob(&h, &job.spec.dataset.uri).await?),
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

    /// How this provider calls other workers' artifact services: every
    /// request signed with its chain account's key.
    pub fn client_config(&self) -> ClientConfig {
        ClientConfig {
            connect_attempts: 3,
            tls_ca_pem: self.cfg.tls_ca_pem.clone(),
            ..signed_client(&self.chain)
        }
    }
}

/// An artifact client configuration whose requests are signed with
/// `chain`'s account (unsigned when the handle holds no key): what a
/// private job's readers need.
pub fn signed_client<C: Chain + 'static>(chain: &Arc<C>) -> ClientConfig {
    ClientConfig {
        identity: identity(chain),
        ..ClientConfig::default()
    }
}

/// A store whose artifact server checks signed requests against `chain`'s
/// accounts (`Chain::owns_key`) and reads the readers of private jobs from
/// it ([`crate::access`]). Must be built inside a tokio runtime.
pub fn node_store<C: Chain + 'static>(chain: &Arc<C>) -> NodeStore {
    let keys = chain.clone();
    NodeStore::with_chain_rules(
        Arc::new(move |address: &str, key: &[u8; 33]| keys.owns_key(address, key)),
        Access::with_source(access::chain_source(chain.clone())),
    )
}

/// The chain signer's account as an artifact client identity; `None` when
/// the chain handle holds no key (requests then go unsigned).
pub fn identity<C: Chain + 'static>(chain: &Arc<C>) -> Option<Identity> {
    chain.account_public_key()?;
    let caller = impulse_artifact::Caller::new(&chain.address())?;
    Some(Identity::new(caller, Arc::new(AccountKey(chain.clone()))))
}

/// The chain signer's key as the artifact client's request signer.
struct AccountKey<C>(Arc<C>);

impl<C: Chain> RequestSigner for AccountKey<C> {
    fn public_key(&self) -> Option<[u8; 33]> {
        self.0.account_public_key()
    }
    fn sign(&self, message: &[u8]) -> Option<[u8; 64]> {
        self.0.sign_bytes(message)
    }
}

/// 32 bytes of hex.
pub fn unhex32(s: &str) -> Result<Hash> {
    hex::decode(s)
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| DaemonError::Input(format!("{s:?} is not 32 bytes of hex")))
}

/// 32 random bytes (committee secrets, verdict salts).
pub fn random32() -> Hash {
    use rand_core::RngCore;
    let mut b = [0u8; 32];
    rand_core::OsRng.fill_bytes(&mut b);
    b
}
