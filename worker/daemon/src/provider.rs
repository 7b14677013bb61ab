//! One provider's life (protocol.md §4-§8): register and stake, serve its
//! states over the artifact service, heartbeat on schedule, and every
//! `poll` look at the chain and hand each active job to the role it asks
//! of this provider: the prover (`prover.rs`), the committee member
//! (`verifier.rs`), and with `keeper` the cranks (`keeper.rs`); then claim
//! rewards.
//!
//! The daemon talks to the chain only through [`Chain`], so the same code
//! runs on the embedded chain and on wasmd. Every action is idempotent
//! against the chain's state, and what must survive a restart (committee
//! secrets and verdicts, training checkpoints) is written under `data_dir`
//! first, so a daemon stopped with SIGTERM (or killed) resumes where it
//! was.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use impulse_artifact::ServerConfig;
use impulse_chain::api::Chain;
use impulse_chain::contracts::{Marketplace, Rewards, Staking};
use tokio_util::sync::CancellationToken;

use crate::adversary::Behaviour;
use crate::error::{ChainContext, DaemonError, Result};
use crate::keeper;
use crate::node::Node;
pub use crate::node::{Event, Events, ProviderConfig};
use crate::prover::Prover;
use crate::store::NodeStore;
use crate::verifier::Verifier;

/// When this provider last sent a heartbeat and looked for rewards.
#[derive(Default)]
struct Clock {
    last_heartbeat: u64,
    last_claim_check: u64,
    /// The cranks' memory (with `keeper`).
    keeper: keeper::Keeper,
}

/// A provider daemon.
pub struct Provider<C: Chain> {
    node: Arc<Node<C>>,
    prover: Arc<Prover<C>>,
    verifier: Arc<Verifier<C>>,
    endpoint: OnceLock<String>,
    clock: Mutex<Clock>,
    joined: AtomicBool,
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
        crate::error::io(&cfg.data_dir, std::fs::create_dir_all(&cfg.data_dir))?;
        let node = Arc::new(Node::new(cfg, chain, events, shutdown));
        Ok(Arc::new(Provider {
            prover: Arc::new(Prover::new(node.clone())),
            verifier: Arc::new(Verifier::load(node.clone())?),
            node,
            endpoint: OnceLock::new(),
            clock: Mutex::new(Clock::default()),
            joined: AtomicBool::new(false),
        }))
    }

    /// The signer's address.
    pub fn address(&self) -> String {
        self.node.address()
    }

    pub fn name(&self) -> &str {
        &self.node.cfg.name
    }

    pub fn behaviour(&self) -> Behaviour {
        self.node.cfg.behaviour
    }

    /// The artifact store (blobs the daemon can serve).
    pub fn store(&self) -> &NodeStore {
        &self.node.store
    }

    /// The artifact service endpoint (`http://host:port`), once serving.
    pub fn endpoint(&self) -> String {
        self.endpoint.get().cloned().unwrap_or_default()
    }

    fn clock(&self) -> std::sync::MutexGuard<'_, Clock> {
        self.clock.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts the artifact server; returns its endpoint.
    pub async fn serve(self: &Arc<Self>) -> Result<String> {
        let cfg = &self.node.cfg;
        let io_err = |source| DaemonError::Io {
            path: PathBuf::from(cfg.listen.to_string()),
            source,
        };
        let listener = tokio::net::TcpListener::bind(cfg.listen)
            .await
            .map_err(io_err)?;
        let addr = listener.local_addr().map_err(io_err)?;
        let scheme = if cfg.tls.is_some() { "https" } else { "http" };
        let endpoint = format!("{scheme}://{addr}");
        let _ = self.endpoint.set(endpoint.clone());
        let store = self.node.store.clone();
        let stop = self.node.shutdown.clone();
        let config = ServerConfig {
            drain_timeout: Duration::from_secs(2),
            tls: cfg.tls.clone(),
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
        let chain = &*self.node.chain;
        let cfg = &self.node.cfg;
        let staking = Staking::new(chain);
        let endpoint = self.endpoint();
        match staking.provider(&self.address()).await {
            Ok(p) => {
                self.clock().last_heartbeat = p.last_heartbeat;
                if p.endpoint != endpoint && !endpoint.is_empty() {
                    staking
                        .update_provider(None, None, Some(endpoint.clone()))
                        .await
                        .ctx(|| "updating the provider's endpoint".into())?;
                }
                self.node.say(
                    None,
                    format!(
                        "back online (stake {} uimp), serving at {endpoint}",
                        p.stake
                    ),
                );
            }
            Err(_) => {
                staking
                    .register(
                        cfg.capacity,
                        cfg.backend,
                        cfg.price_per_step,
                        endpoint.clone(),
                        cfg.stake,
                    )
                    .await
                    .ctx(|| format!("registering {} with stake {}", cfg.name, cfg.stake))?;
                self.clock().last_heartbeat = chain.height().await.unwrap_or(0);
                self.node.say(
                    None,
                    format!(
                        "registered, staked {} uimp, price {} per step, behaviour {}",
                        cfg.stake, cfg.price_per_step, cfg.behaviour
                    ),
                );
            }
        }
        Marketplace::new(chain)
            .advertise()
            .await
            .ctx(|| "advertising to the marketplace".into())?;
        self.joined.store(true, Ordering::SeqCst);
        Ok(())
    }

    /// Serves, joins and runs until `shutdown`; then checkpoints and
    /// returns.
    pub async fn run(self: Arc<Self>) -> Result<()> {
        if self.endpoint().is_empty() {
            self.serve().await?;
        }
        if !self.joined.load(Ordering::SeqCst) {
            self.join().await?;
        }
        let mut failures = 0u32;
        loop {
            tokio::select! {
                () = self.node.shutdown.cancelled() => break,
                () = tokio::time::sleep(self.node.cfg.poll) => {}
            }
            if !self.node.conduct.acts() {
                continue;
            }
            match self.tick().await {
                Ok(()) => failures = 0,
                Err(e) => {
                    failures += 1;
                    // A chain restart or a lost race: log and retry next
                    // tick; the state on chain tells what is still to do.
                    if failures == 1 || failures.is_multiple_of(20) {
                        tracing::warn!(provider = %self.node.cfg.name, "tick failed ({failures}x): {e}");
                    }
                }
            }
        }
        self.prover.stop().await;
        Ok(())
    }

    /// One look at the chain.
    async fn tick(self: &Arc<Self>) -> Result<()> {
        let chain = &*self.node.chain;
        let height = chain.height().await.ctx(|| "reading the height".into())?;
        self.heartbeat(height).await?;
        let me = self.address();
        let market = Marketplace::new(chain);
        for job in keeper::active_jobs(chain).await? {
            let round = market
                .round(job.id)
                .await
                .ctx(|| format!("reading the round of job {}", job.id))?;
            if job.prover.as_ref().is_some_and(|p| p.as_str() == me) {
                self.prover.duty(&job, &round).await?;
            }
            if let Some(i) = round
                .committee
                .iter()
                .position(|m| m.address.as_str() == me)
            {
                self.verifier.duty(&job, &round, i).await?;
            }
        }
        if self.node.cfg.keeper {
            let mut k = self.clock().keeper;
            k.crank(chain, height).await?;
            self.clock().keeper = k;
        }
        self.claim(height).await?;
        Ok(())
    }

    /// A `Heartbeat` every third of the staking contract's interval.
    async fn heartbeat(&self, height: u64) -> Result<()> {
        let last = self.clock().last_heartbeat;
        let every = keeper::heartbeat_blocks(&*self.node.chain).await?;
        if height < last + (every / 3).max(1) {
            return Ok(());
        }
        Staking::new(&*self.node.chain)
            .heartbeat()
            .await
            .ctx(|| "heartbeat".into())?;
        self.clock().last_heartbeat = height;
        Ok(())
    }

    /// Every 10 blocks a look at the claimable rewards; a `Claim` when
    /// there are some.
    async fn claim(&self, height: u64) -> Result<()> {
        {
            let mut clock = self.clock();
            if height < clock.last_claim_check + 10 {
                return Ok(());
            }
            clock.last_claim_check = height;
        }
        let chain = &*self.node.chain;
        let total = crate::trainer::claimable(chain, &self.address()).await?;
        if total == 0 {
            return Ok(());
        }
        Rewards::new(chain)
            .claim(None, None)
            .await
            .ctx(|| "claiming rewards".into())?;
        self.node
            .say(None, format!("claimed {total} uimp of rewards"));
        Ok(())
    }
}
