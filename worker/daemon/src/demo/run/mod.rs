//! The demo's steps, the same on both chains: [`Demo::start`] the
//! trainer's artifact server and the daemons, [`Demo::submit`] the jobs,
//! watch until every job ended and the epochs closed (`run/watch.rs`), then
//! [`Demo::finish`]: fetch and check each settled model, and build and
//! write the [`Report`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use cosmwasm_std::{Decimal, Uint128};
use impulse_artifact::ServerConfig;
use impulse_chain::api::{Chain, Deployment};
use impulse_chain::contracts::{Marketplace, Rewards, Staking};
use impulse_protocol::Hash;
use impulse_types::marketplace::{JobResponse, JobState, RoundResponse};
use impulse_types::{Backend, Capacity};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

mod watch;

use super::ledger::{Ledger, Recorded};
use super::narrator::Narrator;
use super::{min_budget, DemoOptions, Net};
use crate::assets;
use crate::error::{io, ChainContext, DaemonError, Result};
use crate::provider::{Event, Provider, ProviderConfig};
use crate::report::{
    tenths, ChainInfo, EpochReport, HeldOutLoss, JobReport, ProviderReport, Report, ScenarioInfo,
    Verdict,
};
use crate::store::NodeStore;
use crate::trainer::{corpus_split, fetch_and_check, job_spec, provider_view};

/// A demo in progress: who is who, what was submitted, what was seen.
pub(super) struct Demo<'o, C: Chain> {
    pub opts: &'o DemoOptions,
    pub start: Instant,
    pub trainer: Arc<Recorded<C>>,
    pub keeper: Arc<Recorded<C>>,
    /// The keeper's memory between passes.
    pub cranks: crate::keeper::Keeper,
    pub d: Deployment,
    pub start_height: u64,
    pub nar: Narrator,
    pub events: UnboundedReceiver<Event>,
    pub ledger: Arc<Mutex<Ledger>>,
    pub stop: CancellationToken,
    pub providers: Vec<Arc<Provider<Recorded<C>>>>,
    handles: Vec<JoinHandle<Result<()>>>,
    /// Scenario name by address.
    names: BTreeMap<String, String>,
    /// Stake, reputation and liquid balance (after staking) by name.
    before: BTreeMap<String, (u128, Decimal, u128)>,
    data: TrainerData,
    pub jobs: Vec<Submitted>,
    work: PathBuf,
}

/// What the trainer serves: the corpus split and the shipped base model.
struct TrainerData {
    /// The trainer's store (binds private jobs to their dataset).
    store: NodeStore,
    train: Vec<u8>,
    held_out: Vec<u8>,
    train_hash: Hash,
    base_hash: Hash,
    uri: String,
}

/// A submitted job.
pub(super) struct Submitted {
    pub name: String,
    pub id: u64,
    pub budget: u128,
    /// Seconds since the start at submission and when it ended.
    pub submitted_secs: f64,
    pub ended_secs: Option<f64>,
}

/// Runs the demo over `net`'s accounts; the report, also written to
/// `out/report.json` and `out/index.html`.
pub(super) async fn run_with<C: Chain + 'static>(
    opts: &DemoOptions,
    start: Instant,
    net: Net<'_, C>,
) -> Result<Report> {
    let mut demo = Demo::start(opts, start, &net).await?;
    demo.submit().await?;
    let watched = watch::watch(&mut demo, &net).await?;
    let report = demo.finish(&net, watched).await?;
    let rp = opts.out.join("report.json");
    let json = serde_json::to_string_pretty(&report).expect("the report serializes");
    io(&rp, std::fs::write(&rp, json))?;
    let hp = opts.out.join("index.html");
    io(&hp, std::fs::write(&hp, crate::html::render(&report)))?;
    Ok(report)
}

impl<'o, C: Chain + 'static> Demo<'o, C> {
    /// Starts the trainer's artifact server and one daemon per provider
    /// (registered, serving), and records where everyone starts.
    async fn start(opts: &'o DemoOptions, start: Instant, net: &Net<'_, C>) -> Result<Self> {
        io(&opts.out, std::fs::create_dir_all(&opts.out))?;
        let work = opts.out.join("work");
        let _ = std::fs::remove_dir_all(&work);
        let ledger = Arc::new(Mutex::new(Ledger::default()));
        let signer = |n: &str| -> Result<Arc<Recorded<C>>> {
            let c = net
                .signers
                .get(n)
                .ok_or_else(|| DaemonError::Scenario(format!("no account for {n}")))?;
            Ok(Arc::new(Recorded::new(c.clone(), ledger.clone())))
        };
        let trainer = signer("trainer")?;
        let keeper = signer("keeper")?;
        let d = trainer.deployment().clone();
        let start_height = trainer.height().await.ctx(|| "height".into())?;
        let mut nar = Narrator::new(start, opts.narrate);
        nar.say(start_height, net.info.clone());
        let stop = CancellationToken::new();
        let private = opts.scenario.jobs.iter().any(|j| j.private);
        let store = crate::node::node_store(&trainer);
        let data = serve_trainer_data(store, private, stop.clone()).await?;
        let (tx, events) = tokio::sync::mpsc::unbounded_channel();
        let s = &opts.scenario;
        let mut providers = Vec::new();
        for p in &s.providers {
            let cfg = ProviderConfig {
                name: p.name.clone(),
                behaviour: p.behaviour,
                cheat_steps: p.cheat_steps.clone(),
                stake: p.stake,
                price_per_step: p.price,
                capacity: Capacity {
                    memory_gib: p.memory_gib,
                    devices: p.devices,
                },
                backend: Backend::Cpu,
                data_dir: work.join(&p.name),
                listen: "127.0.0.1:0".parse().expect("addr"),
                poll: Duration::from_millis(s.block_ms.max(100)),
                tls: None,
                tls_ca_pem: None,
                keeper: false,
            };
            let prov = Provider::new(cfg, signer(&p.name)?, Some(tx.clone()), stop.clone())?;
            prov.serve().await?;
            prov.join().await?;
            providers.push(prov);
        }
        let names = providers
            .iter()
            .map(|p| (p.address(), p.name().to_string()))
            .collect();
        let mut before = BTreeMap::new();
        for p in &providers {
            let v = provider_view(&*trainer, &p.address()).await?;
            let liquid = trainer
                .balance(&p.address(), &d.denom)
                .await
                .ctx(|| "balance".into())?;
            before.insert(p.name().to_string(), (v.stake, v.reputation, liquid));
        }
        let handles = providers
            .iter()
            .map(|p| tokio::spawn(p.clone().run()))
            .collect();
        Ok(Demo {
            opts,
            start,
            keeper,
            cranks: Default::default(),
            trainer,
            d,
            start_height,
            nar,
            events,
            ledger,
            stop,
            providers,
            handles,
            names,
            before,
            data,
            jobs: Vec::new(),
            work,
        })
    }

    /// The scenario name of `address` (the address itself if unknown).
    pub fn name_of(&self, address: &str) -> String {
        self.names
            .get(address)
            .cloned()
            .unwrap_or_else(|| address.to_string())
    }

    pub fn secs(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }

    /// Submits the scenario's jobs (the smallest accepted budget unless
    /// the scenario names one).
    async fn submit(&mut self) -> Result<()> {
        let s = &self.opts.scenario;
        let trainer = &*self.trainer;
        let market = Marketplace::new(trainer);
        let now = trainer.height().await.ctx(|| "height".into())?;
        let data = &self.data;
        for (i, j) in s.jobs.iter().enumerate() {
            let spec = job_spec(
                j,
                j.seed.unwrap_or(s.seed.wrapping_mul(1000) + i as u64),
                (&data.train_hash, &data.uri),
                (j.base == "shipped").then_some((&data.base_hash, data.uri.as_str())),
                now + 100_000,
            )?;
            let budget = match j.budget {
                Some(b) => b,
                None => min_budget(trainer, &spec).await?,
            };
            let out = market
                .submit_job(spec, budget)
                .await
                .ctx(|| format!("submitting job {}", j.name))?;
            let id: u64 = out
                .attr("wasm", "job_id")
                .and_then(|x| x.parse().ok())
                .ok_or_else(|| DaemonError::Check("SubmitJob returned no job_id".into()))?;
            data.store.access().bind(id, j.private, &[data.train_hash]);
            let job = market.job(id).await.ctx(|| "reading the job".into())?;
            let placed = match &job.prover {
                Some(p) => format!("assigned to {}", self.name_of(p.as_str())),
                None => "queued".into(),
            };
            self.nar.say(
                out.height,
                format!(
                    "trainer: submitted {}job {id} ({}: {} steps of {}{}, alpha {}, committee {}), budget {budget} uimp; {placed}",
                    if j.private { "private " } else { "" },
                    j.name,
                    j.steps,
                    j.model,
                    if j.lora_rank > 0 { " LoRA" } else { "" },
                    j.alpha,
                    j.committee,
                ),
            );
            let submitted_secs = self.secs();
            self.jobs.push(Submitted {
                name: j.name.clone(),
                id,
                budget,
                submitted_secs,
                ended_secs: None,
            });
        }
        Ok(())
    }

    /// Fetches and checks the settled models, stops the daemons, and
    /// builds the report.
    async fn finish(mut self, net: &Net<'_, C>, w: watch::Watched) -> Result<Report> {
        let held = self.work.join("held-out.txt");
        io(&held, std::fs::write(&held, &self.data.held_out))?;
        let train = self.work.join("train.txt");
        io(&train, std::fs::write(&train, &self.data.train))?;
        let mut jobs = Vec::new();
        for i in 0..self.jobs.len() {
            jobs.push(self.job_report(i, &train, &held).await?);
        }
        self.stop.cancel();
        for h in std::mem::take(&mut self.handles) {
            let _ = h.await;
        }
        let end_height = height_now(&*self.trainer).await;
        let txs = (net.stats)();
        while let Ok(e) = self.events.try_recv() {
            self.nar.event(end_height, e);
        }
        let mut providers = Vec::new();
        for p in &self.providers {
            providers.push(self.provider_report(p).await?);
        }
        let s = &self.opts.scenario;
        Ok(Report {
            impulse_version: env!("CARGO_PKG_VERSION").to_string(),
            scenario: ScenarioInfo {
                name: s.name.clone(),
                seed: s.seed,
                source: self.opts.source.clone(),
            },
            chain: ChainInfo {
                kind: net.kind.to_string(),
                chain_id: self.d.chain_id.clone(),
                block_ms: net.embedded.is_some().then_some(s.block_ms),
                start_height: self.start_height,
                end_height,
                txs,
            },
            wall_secs: tenths(self.secs()),
            invariant: w.invariant,
            jobs,
            providers,
            epochs: self.epoch_reports().await?,
            samples: w.samples,
            narration: std::mem::take(&mut self.nar.lines),
        })
    }

    /// Job `i` as it ended; a settled job's model is fetched from its
    /// prover and checked against the commitment.
    async fn job_report(&mut self, i: usize, train: &Path, held: &Path) -> Result<JobReport> {
        let sub = &self.jobs[i];
        let market = Marketplace::new(&*self.trainer);
        let j = market.job(sub.id).await.ctx(|| "job".into())?;
        // A job that failed or expired has no round any more.
        let round = match market.round(sub.id).await {
            Ok(r) => Some(r),
            Err(e) if e.contract_message().is_some() => None,
            Err(e) => {
                return Err(DaemonError::Chain {
                    context: "round".into(),
                    source: e,
                })
            }
        };
        let (assigned, closing) = {
            let l = self.ledger.lock().unwrap_or_else(PoisonError::into_inner);
            let assigned = l.assigned.get(&sub.id).cloned().unwrap_or_default();
            (assigned, l.closed.get(&sub.id).copied().unwrap_or_default())
        };
        let mut rec = JobReport {
            name: sub.name.clone(),
            id: sub.id,
            status: j.state,
            trainer: j.trainer.to_string(),
            prover: j.prover.as_ref().map(|p| self.name_of(p.as_str())),
            provers: assigned.iter().map(|(_, p)| self.name_of(p)).collect(),
            attempts: j.attempts,
            challenged_steps: vec![],
            committee: vec![],
            verdicts: vec![],
            budget: Uint128::new(sub.budget),
            escrow_left: j.escrow,
            paid_prover: Uint128::new(closing.prover),
            paid_verifiers: Uint128::new(closing.verifiers),
            fees: Uint128::new(closing.fee),
            refunded: Uint128::new(closing.refund),
            committed_model_hash: None,
            final_model_hash: None,
            model_hash_matches: None,
            model_error: None,
            model_file: None,
            held_out_loss: None,
            loss_curve: self.nar.losses.get(&sub.id).cloned().unwrap_or_default(),
            submitted_secs: Some(tenths(sub.submitted_secs)),
            ended_secs: sub.ended_secs.map(tenths),
        };
        if let Some(r) = &round {
            rec.challenged_steps = r.challenged_steps.clone();
            rec.committee = r
                .committee
                .iter()
                .map(|m| self.name_of(m.address.as_str()))
                .collect();
            rec.verdicts = r
                .committee
                .iter()
                .map(|m| Verdict {
                    verifier: self.name_of(m.address.as_str()),
                    revealed: m.revealed,
                })
                .collect();
            rec.committed_model_hash = r.final_model_hash.as_ref().map(|h| h.to_hex());
        }
        if let (JobState::Settled, Some(r)) = (j.state, &round) {
            self.check_model(&j, r, train, held, &mut rec).await;
        }
        Ok(rec)
    }

    /// The trainer's check of a settled job: its final state from the
    /// prover, against the committed root and model hash; held-out loss.
    async fn check_model(
        &mut self,
        j: &JobResponse,
        r: &RoundResponse,
        train: &Path,
        held: &Path,
        rec: &mut JobReport,
    ) {
        let id = j.id;
        let out = &self.opts.out;
        let client = crate::node::signed_client(&self.trainer);
        let checked = fetch_and_check(j, r, train, Some(held), out, &self.trainer, client).await;
        let h = height_now(&*self.trainer).await;
        match checked {
            Ok(v) => {
                let loss = HeldOutLoss {
                    base: v["base"].as_f64().unwrap_or(f64::NAN),
                    trained: v["trained"].as_f64().unwrap_or(f64::NAN),
                };
                self.nar.say(h, format!(
                    "trainer: fetched job {id}'s final state, model hash matches the commitment; held-out loss {:.4} (base) -> {:.4}",
                    loss.base, loss.trained));
                rec.final_model_hash = rec.committed_model_hash.clone();
                rec.model_hash_matches = Some(true);
                rec.model_file = v["model_file"].as_str().map(String::from);
                rec.held_out_loss = Some(loss);
            }
            Err(e) => {
                self.nar
                    .say(h, format!("trainer: job {id}: model check FAILED: {e}"));
                rec.model_hash_matches = Some(false);
                rec.model_error = Some(e.to_string());
            }
        }
    }

    async fn provider_report(&self, p: &Provider<Recorded<C>>) -> Result<ProviderReport> {
        let trainer = &*self.trainer;
        let (stake_before, reputation_before, balance_before) = self.before[p.name()];
        let a = provider_view(trainer, &p.address()).await?;
        let balance_after = trainer
            .balance(&p.address(), &self.d.denom)
            .await
            .ctx(|| "balance".into())?;
        let st = Staking::new(trainer)
            .provider(&p.address())
            .await
            .ctx(|| "reading a provider".into())?;
        let roles = self
            .opts
            .scenario
            .providers
            .iter()
            .find(|x| x.name == p.name())
            .map(|x| x.roles.clone())
            .unwrap_or_default();
        Ok(ProviderReport {
            name: p.name().to_string(),
            address: p.address(),
            behaviour: p.behaviour().as_str().to_string(),
            roles,
            stake_before: Uint128::new(stake_before),
            stake_after: Uint128::new(a.stake),
            slashed: Uint128::new(stake_before.saturating_sub(a.stake)),
            banned: a.banned,
            missed_heartbeats: a.misses,
            reputation_before,
            reputation_after: a.reputation,
            rewards_claimed: Uint128::new(self.nar.claimed.get(p.name()).copied().unwrap_or(0)),
            balance_before: Uint128::new(balance_before),
            balance_after: Uint128::new(balance_after),
            stake_claimable: st.claimable,
            unpaid_fine_intervals: st.unpaid_fine_intervals,
        })
    }

    async fn epoch_reports(&self) -> Result<Vec<EpochReport>> {
        let ep = Rewards::new(&*self.trainer)
            .epochs(None, Some(30))
            .await
            .ctx(|| "epochs".into())?;
        Ok(ep
            .epochs
            .into_iter()
            .map(|e| EpochReport {
                epoch: e.epoch,
                start_height: e.start_height,
                end_height: e.end_height,
                issuance: e.issuance,
                multiplier: e.multiplier,
                kpis: e.kpis,
                fees_in: e.fees_in,
                jobs_settled: e.jobs_settled,
                jobs_failed: e.jobs_failed,
            })
            .collect())
    }
}

/// Serves the corpus's training split and the shipped base model on
/// loopback from `store` (which checks signed requests against the chain's
/// accounts) until `stop`. With `private` (a private job will name it) the
/// split is served to nobody until a job binds it.
async fn serve_trainer_data(
    store: NodeStore,
    private: bool,
    stop: CancellationToken,
) -> Result<TrainerData> {
    let (train, held_out) = corpus_split();
    let train_hash = impulse_artifact::sha256(&train);
    if private {
        store.access().guard_blob(train_hash);
    }
    store.add_blob(Bytes::from(train.clone()));
    let base_hash = store.add_blob(Bytes::from_static(assets::BASE_MODEL));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| DaemonError::Input(format!("binding the trainer's server: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| DaemonError::Input(e.to_string()))?;
    let served = store.clone();
    tokio::spawn(async move {
        let _ = impulse_artifact::serve(listener, served, ServerConfig::default(), stop).await;
    });
    Ok(TrainerData {
        store,
        train,
        held_out,
        train_hash,
        base_hash,
        uri: format!("grpc://{addr}"),
    })
}

pub(super) async fn height_now<C: Chain>(c: &C) -> u64 {
    c.height().await.unwrap_or(0)
}
