//! `impulse demo`: the whole protocol in one process. Deploys the four
//! contracts on the embedded chain (blocks on a clock), starts one provider
//! daemon per scenario entry (each with its artifact server on loopback),
//! serves the trainer's dataset and base weights, submits the jobs, and lets
//! the daemons train, verify, settle, slash and claim while a keeper turns
//! the cranks. It narrates, checks the conservation invariant every
//! half-second, fetches and checks each settled model, and writes
//! `report.json` and `index.html`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use impulse_artifact::ServerConfig;
use impulse_chain::api::Chain;
use impulse_chain::Coin;
use impulse_embedded::{Clock, DeployParams, EmbeddedChain};
use impulse_types::marketplace::{self as mkt, ExecuteMsg, JobSpec, JobState};
use impulse_types::{rewards as rw, staking as stk, Backend, Capacity};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use crate::error::{io, ChainContext, DaemonError, Result};
use crate::provider::{Event, Provider, ProviderConfig};
use crate::scenario::Scenario;
use crate::store::NodeStore;

use crate::trainer::{claimable, corpus_split, fetch_and_check, provider_view, BASE};

const BALANCE: u128 = 100_000_000_000;

/// Demo options.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    pub scenario: Scenario,
    pub source: String,
    /// Report directory (created).
    pub out: PathBuf,
    /// Print the narration on stderr.
    pub narrate: bool,
}

/// The smallest budget the marketplace accepts for `spec` (protocol.md §4),
/// computed by the rule the contract checks (`impulse_protocol::budget`)
/// with its current parameters.
pub async fn min_budget<C: Chain>(c: &C, spec: &JobSpec) -> Result<u128> {
    let cfg: mkt::ConfigResponse = c
        .query(&c.deployment().marketplace, &mkt::QueryMsg::Config {})
        .await
        .ctx(|| "reading the marketplace config".into())?;
    let p = cfg.params;
    impulse_protocol::budget::required_budget(spec, p.verifier_price_per_step, p.protocol_fee)
        .and_then(|b| b.total())
        .map(|t| t.u128())
        .map_err(|e| DaemonError::BadJob(format!("budget: {e}")))
}

struct Narrator {
    start: Instant,
    narrate: bool,
    lines: Vec<Value>,
    losses: BTreeMap<u64, Vec<Value>>,
    claimed: BTreeMap<String, u128>,
}

impl Narrator {
    fn say(&mut self, height: u64, text: String) {
        let secs = self.start.elapsed().as_secs_f64();
        if self.narrate {
            eprintln!("[{secs:6.1}s #{height:>5}] {text}");
        }
        self.lines
            .push(json!({"height": height, "secs": (secs * 10.0).round() / 10.0, "text": text}));
    }

    fn event(&mut self, height: u64, e: Event) {
        match e {
            Event::Say { who, job, text } => {
                if let Some(n) = text
                    .strip_prefix("claimed ")
                    .and_then(|t| t.split(' ').next())
                    .and_then(|n| n.parse::<u128>().ok())
                {
                    *self.claimed.entry(who.clone()).or_default() += n;
                }
                let j = job.map(|j| format!(" job {j}:")).unwrap_or_default();
                self.say(height, format!("{who}:{j} {text}"));
            }
            Event::Step {
                who,
                job,
                attempt,
                step,
                total,
                loss,
            } => {
                if let Some(l) = loss {
                    self.losses
                        .entry(job)
                        .or_default()
                        .push(json!({"attempt": attempt, "prover": who, "step": step, "loss": l}));
                }
                if self.narrate && (step % 10 == 0 || step == total) {
                    eprintln!(
                        "             {who}: job {job} step {step}/{total} loss {}",
                        loss.map(|l| format!("{l:.4}"))
                            .unwrap_or_else(|| "-".into())
                    );
                }
            }
        }
    }
}

/// Runs the demo; the report (also written to `out/report.json`).
pub async fn run(opts: DemoOptions) -> Result<Value> {
    let s = &opts.scenario;
    let start = Instant::now();

    // --- chain -----------------------------------------------------------
    let mut params = DeployParams {
        block_secs: 6,
        clock: Clock::Every(Duration::from_millis(s.block_ms)),
        ..DeployParams::default()
    };
    let c = &s.chain;
    let pp = c.protocol_params();
    params.staking = pp.staking;
    params.reputation = pp.reputation;
    params.marketplace = pp.marketplace;
    params.rewards = pp.rewards;
    let min_prover = params.staking.min_prover_stake.u128();
    let min_verifier = params.staking.min_verifier_stake.u128();
    let names = account_names(s);
    params.accounts = names.iter().map(|n| (n.clone(), BALANCE)).collect();
    check_stakes(s, min_prover, min_verifier)?;
    let chain = EmbeddedChain::deploy(params).ctx(|| "deploying the contracts".into())?;
    let mut signers = BTreeMap::new();
    for n in &names {
        let sg = chain
            .signer(&chain.address_of(n))
            .ctx(|| format!("signer {n}"))?;
        signers.insert(n.clone(), Arc::new(sg));
    }
    let mut extra: Vec<String> = vec![chain.governance()];
    let d = chain.deployment().clone();
    extra.extend([
        d.staking.clone(),
        d.reputation.clone(),
        d.marketplace.clone(),
        d.rewards.clone(),
    ]);
    let info = format!(
        "deployed staking, reputation, marketplace and rewards on the embedded chain ({} ms blocks, epochs of {} blocks)",
        s.block_ms, c.epoch_blocks
    );
    let net = Net {
        signers,
        embedded: Some((&chain, extra)),
        kind: "embedded",
        info,
        stats: Box::new(|| Value::Null),
    };
    run_with(&opts, start, net).await
}

/// The demo's accounts: one per provider, the trainer and the keeper.
fn account_names(s: &Scenario) -> Vec<String> {
    let mut names: Vec<String> = s.providers.iter().map(|p| p.name.clone()).collect();
    names.push("trainer".into());
    names.push("keeper".into());
    names
}

/// Every provider's stake fits its roles and its demo balance.
fn check_stakes(s: &Scenario, min_prover: u128, min_verifier: u128) -> Result<()> {
    for p in &s.providers {
        if p.roles.iter().any(|r| r == "prover") && p.stake < min_prover {
            return Err(DaemonError::Scenario(format!(
                "provider {} has role prover but stake {} < the minimum prover stake {min_prover}",
                p.name, p.stake
            )));
        }
        if p.stake < min_verifier {
            return Err(DaemonError::Scenario(format!(
                "provider {}: stake {} < the minimum stake {min_verifier}",
                p.name, p.stake
            )));
        }
        if p.stake >= BALANCE {
            return Err(DaemonError::Scenario(format!(
                "provider {}: stake {} exceeds its demo balance {BALANCE}",
                p.name, p.stake
            )));
        }
    }
    Ok(())
}

/// The demo on a wasmd chain with the contracts of `net`'s deployment
/// (`impulse deploy`): fresh TEST-ONLY accounts for this run (named
/// `demo-<run>-<name>`, funded by `funder`), the same daemons, jobs,
/// narration and report as on the embedded chain. The conservation check
/// is the marketplace's (its balance equals escrow plus undelivered fees);
/// the chain-wide supply check needs the embedded chain.
pub async fn run_on_wasmd(
    opts: DemoOptions,
    net: &crate::net::ChainOpts,
    funder: &str,
) -> Result<Value> {
    use impulse_chain::api::WasmdChain;
    use impulse_chain::proto::cosmos::bank::v1beta1::MsgSend;
    use impulse_chain::proto::cosmos::base::v1beta1::Coin as ProtoCoin;
    let s = &opts.scenario;
    let start = Instant::now();
    let d = net.load_deployment()?;
    let fund = net.client(funder).await?;
    let cfg: stk::ConfigResponse = fund
        .query_smart(&d.staking, &stk::QueryMsg::Config {})
        .await
        .map_err(|e| DaemonError::Input(format!("reading the staking config: {e}")))?;
    check_stakes(
        s,
        cfg.params.min_prover_stake.u128(),
        cfg.params.min_verifier_stake.u128(),
    )?;
    let existing: stk::ProvidersResponse = fund
        .query_smart(
            &d.staking,
            &stk::QueryMsg::Providers {
                start_after: None,
                limit: Some(1),
            },
        )
        .await
        .map_err(|e| DaemonError::Input(format!("reading the providers: {e}")))?;
    if !existing.providers.is_empty() {
        return Err(DaemonError::Input(format!(
            "the deployment in {} already has registered providers (an earlier run?): the demo needs fresh contracts, where only its own daemons can be matched; run `impulse deploy --force` first",
            net.deployment.display()
        )));
    }
    let mcfg: mkt::ConfigResponse = fund
        .query_smart(&d.marketplace, &mkt::QueryMsg::Config {})
        .await
        .map_err(|e| DaemonError::Input(format!("reading the marketplace config: {e}")))?;
    let run = hex::encode(rand_core::RngCore::next_u32(&mut rand_core::OsRng).to_be_bytes());
    let names = account_names(s);
    let mut signers = BTreeMap::new();
    let mut sends = Vec::new();
    for n in &names {
        let signer = net.signer(&format!("test:demo-{run}-{n}"))?;
        sends.push(impulse_chain::to_any(&MsgSend {
            from_address: fund.address(),
            to_address: signer.address().to_string(),
            amount: vec![ProtoCoin {
                denom: d.denom.clone(),
                amount: BALANCE.to_string(),
            }],
        }));
        let client = net.client_for(signer).await?;
        signers.insert(n.clone(), Arc::new(WasmdChain::new(client, d.clone())));
    }
    fund.broadcast(sends, "impulse demo: funding the demo accounts")
        .await
        .map_err(|e| DaemonError::Input(format!("funding the demo accounts from {funder}: {e}")))?;
    let p = &mcfg.params;
    let mut info = format!(
        "using the contracts deployed on {} (node {}); demo accounts demo-{run}-*, funded by {funder}",
        d.chain_id, net.node
    );
    if p.train_base_blocks != s.chain.train_base_blocks
        || p.blocks_per_step != s.chain.blocks_per_step
        || p.reveal_blocks != s.chain.reveal_blocks
    {
        info.push_str(" (note: the deployed timings differ from the scenario's [chain] table; the deployment's apply)");
    }
    let all: Vec<Arc<WasmdChain>> = signers.values().cloned().collect();
    let demo_net = Net {
        signers,
        embedded: None,
        kind: "wasmd",
        info,
        stats: Box::new(move || {
            let (mut txs, mut gas) = (0u64, 0u64);
            for c in &all {
                let (t, g) = c.stats();
                txs += t;
                gas += g;
            }
            json!({"count": txs, "gas_used": gas})
        }),
    };
    run_with(&opts, start, demo_net).await
}

/// What differs between the embedded chain and wasmd.
struct Net<'a, C: Chain> {
    /// A signer per scenario name, plus "trainer" and "keeper".
    signers: BTreeMap<String, Arc<C>>,
    /// The embedded chain (supply checks) and the addresses other than the
    /// named accounts that hold tokens.
    embedded: Option<(&'a EmbeddedChain, Vec<String>)>,
    kind: &'static str,
    info: String,
    /// Transactions and gas, where the chain counts them.
    stats: Box<dyn Fn() -> Value + Send + Sync + 'a>,
}

async fn run_with<C: Chain + 'static>(
    opts: &DemoOptions,
    start: Instant,
    net: Net<'_, C>,
) -> Result<Value> {
    let s = &opts.scenario;
    io(&opts.out, std::fs::create_dir_all(&opts.out))?;
    let work = opts.out.join("work");
    let _ = std::fs::remove_dir_all(&work);
    let signer = |n: &str| -> Result<Arc<C>> {
        net.signers
            .get(n)
            .cloned()
            .ok_or_else(|| DaemonError::Scenario(format!("no account for {n}")))
    };
    let trainer_handle = signer("trainer")?;
    let keeper_handle = signer("keeper")?;
    let (trainer, keeper): (&C, &C) = (&trainer_handle, &keeper_handle);
    let d = trainer.deployment().clone();
    let start_height = trainer.height().await.ctx(|| "height".into())?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut nar = Narrator {
        start,
        narrate: opts.narrate,
        lines: Vec::new(),
        losses: BTreeMap::new(),
        claimed: BTreeMap::new(),
    };
    nar.say(start_height, net.info.clone());

    // --- the trainer's artifact server (dataset, base weights) -------------
    let (train_text, held_text) = corpus_split();
    let tstore = NodeStore::new();
    let data_hash = tstore.add_blob(Bytes::from(train_text.clone()));
    let base_hash = tstore.add_blob(Bytes::from_static(BASE));
    let stop = CancellationToken::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| DaemonError::Input(format!("binding the trainer's server: {e}")))?;
    let taddr: SocketAddr = listener
        .local_addr()
        .map_err(|e| DaemonError::Input(e.to_string()))?;
    {
        let (st, stop) = (tstore.clone(), stop.clone());
        tokio::spawn(async move {
            let _ = impulse_artifact::serve(listener, st, ServerConfig::default(), stop).await;
        });
    }
    let uri = format!("grpc://{taddr}");

    // --- providers -----------------------------------------------------------
    let mut providers = Vec::new();
    for p in &s.providers {
        let cfg = ProviderConfig {
            name: p.name.clone(),
            behaviour: p.behaviour,
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
            keeper: false,
        };
        let prov = Provider::new(cfg, signer(&p.name)?, Some(tx.clone()), stop.clone())?;
        prov.serve().await?;
        prov.join().await?;
        providers.push(prov);
    }
    let by_addr: BTreeMap<String, String> = providers
        .iter()
        .map(|p| (p.address(), p.name().to_string()))
        .collect();
    let name_of = |a: &str| by_addr.get(a).cloned().unwrap_or_else(|| a.to_string());
    let mut before = BTreeMap::new();
    for p in &providers {
        before.insert(
            p.name().to_string(),
            provider_view(trainer, &p.address()).await?,
        );
    }
    // Liquid balances after staking, for the payouts in the report.
    let mut balance_before = BTreeMap::new();
    for p in &providers {
        let b = trainer
            .balance(&p.address(), &d.denom)
            .await
            .ctx(|| "balance".into())?;
        balance_before.insert(p.name().to_string(), b);
    }
    let mut handles = Vec::new();
    for p in &providers {
        handles.push(tokio::spawn(p.clone().run()));
    }

    // --- jobs ------------------------------------------------------------------
    let now = trainer.height().await.ctx(|| "height".into())?;
    // Seconds since the start at submission and at the end state.
    let mut timing: BTreeMap<u64, (f64, Option<f64>)> = BTreeMap::new();
    let mut jobs: Vec<(String, u64, JobSpec, u128)> = Vec::new();
    for (i, j) in s.jobs.iter().enumerate() {
        let spec = crate::trainer::job_spec(
            j,
            j.seed.unwrap_or(s.seed.wrapping_mul(1000) + i as u64),
            (&data_hash, &uri),
            (j.base == "shipped").then_some((&base_hash, uri.as_str())),
            now + 100_000,
        )?;
        let budget = match j.budget {
            Some(b) => b,
            None => min_budget(trainer, &spec).await?,
        };
        let out = trainer
            .execute(
                &d.marketplace,
                &ExecuteMsg::SubmitJob { spec: spec.clone() },
                &[Coin::new(budget, &d.denom)],
            )
            .await
            .ctx(|| format!("submitting job {}", j.name))?;
        let id: u64 = out
            .attr("wasm", "job_id")
            .and_then(|x| x.parse().ok())
            .ok_or_else(|| DaemonError::Check("SubmitJob returned no job_id".into()))?;
        let job: mkt::JobResponse = trainer
            .query(&d.marketplace, &mkt::QueryMsg::Job { job_id: id })
            .await
            .ctx(|| "reading the job".into())?;
        nar.say(
            out.height,
            format!(
                "trainer: submitted job {id} ({}: {} steps of {}{}, alpha {}, committee {}), budget {budget} uimp; {}",
                j.name,
                j.steps,
                j.model,
                if j.lora_rank > 0 { " LoRA" } else { "" },
                j.alpha,
                j.committee,
                match &job.prover {
                    Some(p) => format!("assigned to {}", name_of(p.as_str())),
                    None => "queued".into(),
                }
            ),
        );
        timing.insert(id, (start.elapsed().as_secs_f64(), None));
        jobs.push((j.name.clone(), id, spec, budget));
    }

    // --- watch -------------------------------------------------------------------
    let mut checks = 0u64;
    let mut violations: Vec<String> = Vec::new();
    let mut samples = Vec::new();
    let mut last_sample = 0u64;
    let mut states: BTreeMap<u64, JobState> = BTreeMap::new();
    let mut epochs_seen = 0u64;
    let deadline = start + Duration::from_secs(s.timeout_secs);
    let all_addrs: Vec<String> = net
        .signers
        .values()
        .map(|c| c.address())
        .chain(net.embedded.iter().flat_map(|(_, a)| a.iter().cloned()))
        .collect();
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let h = match trainer.height().await {
            Ok(h) => h,
            Err(e) if e.is_unavailable() => continue,
            Err(e) => {
                return Err(DaemonError::Chain {
                    context: "height".into(),
                    source: e,
                })
            }
        };
        while let Ok(e) = rx.try_recv() {
            nar.event(h, e);
        }
        let cr = crate::keeper::crank(keeper, h).await?;
        if cr.timeouts {
            nar.say(h, "keeper: processed passed deadlines".into());
        }
        if cr.epoch_closed {
            nar.say(h, "keeper: closed the reward epoch".into());
        }
        for a in &cr.reported {
            nar.say(
                h,
                format!("keeper: reported missed heartbeats of {}", name_of(a)),
            );
        }
        // Invariant: every token is held by a known account or contract,
        // and the marketplace holds exactly its escrow + undelivered fees.
        // The reads are not atomic: a transaction between two of them (a
        // claim moving tokens from the rewards contract to a provider read
        // before it) looks like a mismatch. A real violation persists, so a
        // mismatch is read again, up to 5 times, before it is reported.
        if let Some((chain, _)) = &net.embedded {
            for read in 1..=5 {
                let supply = chain.supply().await.ctx(|| "supply".into())?;
                let mut sum = 0u128;
                for a in &all_addrs {
                    sum += trainer
                        .balance(a, &d.denom)
                        .await
                        .ctx(|| "balance".into())?;
                }
                if sum == supply {
                    break;
                }
                if read == 5 {
                    violations.push(format!(
                        "block {h}: balances sum to {sum}, supply is {supply}"
                    ));
                }
            }
        }
        for read in 1..=5 {
            let totals: mkt::TotalsResponse = trainer
                .query(&d.marketplace, &mkt::QueryMsg::Totals {})
                .await
                .ctx(|| "totals".into())?;
            let held = trainer
                .balance(&d.marketplace, &d.denom)
                .await
                .ctx(|| "balance".into())?;
            if held == totals.escrow.u128() + totals.undelivered_fees.u128() {
                break;
            }
            if read == 5 {
                violations.push(format!(
                    "block {h}: marketplace holds {held}, owes {} + {}",
                    totals.escrow, totals.undelivered_fees
                ));
            }
        }
        checks += 1;
        // Job transitions.
        for (name, id, _, _) in &jobs {
            let j: mkt::JobResponse = trainer
                .query(&d.marketplace, &mkt::QueryMsg::Job { job_id: *id })
                .await
                .ctx(|| "job".into())?;
            if states.get(id) != Some(&j.state) {
                states.insert(*id, j.state);
                if j.state.is_terminal() {
                    if let Some(t) = timing.get_mut(id) {
                        t.1.get_or_insert(start.elapsed().as_secs_f64());
                    }
                }
                let who = j
                    .prover
                    .as_ref()
                    .map(|p| name_of(p.as_str()))
                    .unwrap_or_default();
                nar.say(
                    h,
                    format!(
                        "chain: job {id} ({name}) is {} (attempt {}, prover {who})",
                        j.state, j.attempts
                    ),
                );
            }
        }
        if h >= last_sample + 5 {
            last_sample = h;
            for p in &providers {
                let v = provider_view(trainer, &p.address()).await?;
                samples.push(json!({"height": h, "provider": p.name(), "stake": v.stake.to_string(), "reputation": v.reputation.to_string()}));
            }
        }
        let cur: rw::CurrentEpochResponse = trainer
            .query(&d.rewards, &rw::QueryMsg::CurrentEpoch {})
            .await
            .ctx(|| "epoch".into())?;
        // Epochs are numbered from 0: the open one's number is how many
        // have closed.
        epochs_seen = epochs_seen.max(cur.epoch);
        let terminal = states.values().all(|s| s.is_terminal()) && states.len() == jobs.len();
        let mut unclaimed = 0u128;
        if terminal && epochs_seen >= s.epochs {
            for p in &providers {
                if p.behaviour() != crate::Behaviour::Offline {
                    unclaimed += claimable(trainer, &p.address()).await?;
                }
            }
            if unclaimed == 0 {
                break;
            }
        }
        if Instant::now() > deadline {
            stop.cancel();
            return Err(DaemonError::Check(format!(
                "the demo did not finish within {} s (jobs: {:?}, epochs closed {epochs_seen}, unclaimed {unclaimed})",
                s.timeout_secs, states
            )));
        }
    }

    // --- the trainer fetches and checks each settled model ---------------------
    let held_path = work.join("held-out.txt");
    io(&held_path, std::fs::write(&held_path, &held_text))?;
    let train_path = work.join("train.txt");
    io(&train_path, std::fs::write(&train_path, &train_text))?;
    let mut job_reports = Vec::new();
    for (name, id, spec, budget) in &jobs {
        let j: mkt::JobResponse = trainer
            .query(&d.marketplace, &mkt::QueryMsg::Job { job_id: *id })
            .await
            .ctx(|| "job".into())?;
        let r: mkt::RoundResponse = trainer
            .query(&d.marketplace, &mkt::QueryMsg::Round { job_id: *id })
            .await
            .ctx(|| "round".into())?;
        let mut rec = json!({
            "name": name, "id": id, "status": j.state.as_str(), "trainer": j.trainer.to_string(),
            "prover": j.prover.as_ref().map(|p| name_of(p.as_str())),
            "attempts": j.attempts, "challenged_steps": r.challenged_steps,
            "committee": r.committee.iter().map(|m| name_of(m.address.as_str())).collect::<Vec<_>>(),
            "verdicts": r.committee.iter().map(|m| json!({"verifier": name_of(m.address.as_str()), "revealed": m.revealed})).collect::<Vec<_>>(),
            "budget": budget.to_string(), "escrow_left": j.escrow.to_string(),
            "paid_prover": (j.price_per_step.u128() * spec.hyper.steps as u128).to_string(),
            "committed_model_hash": r.final_model_hash.as_ref().map(|h| h.to_hex()),
            "loss_curve": nar.losses.get(id).cloned().unwrap_or_default(),
            "submitted_secs": timing.get(id).map(|t| (t.0 * 10.0).round() / 10.0),
            "ended_secs": timing.get(id).and_then(|t| t.1).map(|t| (t * 10.0).round() / 10.0),
        });
        if j.state == JobState::Settled {
            match fetch_and_check(&j, &r, &train_path, Some(&held_path), &opts.out, trainer).await {
                Ok(v) => {
                    nar.say(height_now(trainer).await, format!(
                        "trainer: fetched job {id}'s final state, model hash matches the commitment; held-out loss {:.4} (base) -> {:.4}",
                        v["base"].as_f64().unwrap_or(f64::NAN), v["trained"].as_f64().unwrap_or(f64::NAN)));
                    rec["final_model_hash"] = rec["committed_model_hash"].clone();
                    rec["model_hash_matches"] = json!(true);
                    rec["held_out_loss"] = v;
                }
                Err(e) => {
                    nar.say(
                        height_now(trainer).await,
                        format!("trainer: job {id}: model check FAILED: {e}"),
                    );
                    rec["model_hash_matches"] = json!(false);
                    rec["model_error"] = json!(e.to_string());
                }
            }
        }
        job_reports.push(rec);
    }

    stop.cancel();
    for h in handles {
        let _ = h.await;
    }
    let end_height = height_now(trainer).await;
    let tx_stats = (net.stats)();
    while let Ok(e) = rx.try_recv() {
        nar.event(end_height, e);
    }

    // --- providers and epochs -------------------------------------------------------
    let mut prov_reports = Vec::new();
    for p in &providers {
        let b = &before[p.name()];
        let a = provider_view(trainer, &p.address()).await?;
        let balance_after = trainer
            .balance(&p.address(), &d.denom)
            .await
            .ctx(|| "balance".into())?;
        let st: stk::ProviderResponse = trainer
            .query(
                &d.staking,
                &stk::QueryMsg::Provider {
                    address: p.address(),
                },
            )
            .await
            .ctx(|| "reading a provider".into())?;
        let spec = s
            .providers
            .iter()
            .find(|x| x.name == p.name())
            .expect("from the scenario");
        prov_reports.push(json!({
            "name": p.name(), "address": p.address(), "behaviour": p.behaviour().as_str(), "roles": spec.roles,
            "stake_before": b.stake.to_string(), "stake_after": a.stake.to_string(),
            "slashed": b.stake.saturating_sub(a.stake).to_string(), "banned": a.banned,
            "missed_heartbeats": a.misses,
            "reputation_before": b.reputation.to_string(), "reputation_after": a.reputation.to_string(),
            "rewards_claimed": nar.claimed.get(p.name()).copied().unwrap_or(0).to_string(),
            "balance_before": balance_before[p.name()].to_string(), "balance_after": balance_after.to_string(),
            "stake_claimable": st.claimable.to_string(), "unpaid_fine_intervals": st.unpaid_fine_intervals,
        }));
    }
    let ep: rw::EpochsResponse = trainer
        .query(
            &d.rewards,
            &rw::QueryMsg::Epochs {
                start_after: None,
                limit: Some(30),
            },
        )
        .await
        .ctx(|| "epochs".into())?;
    let epochs: Vec<Value> = ep
        .epochs
        .iter()
        .map(|e| json!({
            "epoch": e.epoch, "start_height": e.start_height, "end_height": e.end_height,
            "issuance": e.issuance.to_string(), "multiplier": e.multiplier.to_string(),
            "kpis": {"compute_volume": e.kpis.compute_volume.to_string(), "active_providers": e.kpis.active_providers,
                     "fee_growth": e.kpis.fee_growth.to_string(), "success_rate": e.kpis.success_rate.to_string()},
            "fees_in": e.fees_in.to_string(), "jobs_settled": e.jobs_settled, "jobs_failed": e.jobs_failed,
        }))
        .collect();
    let report = json!({
        "impulse_version": env!("CARGO_PKG_VERSION"),
        "scenario": {"name": s.name, "seed": s.seed, "source": opts.source},
        "chain": {"kind": net.kind, "chain_id": d.chain_id, "block_ms": if net.kind == "embedded" { json!(s.block_ms) } else { Value::Null }, "start_height": start_height, "end_height": end_height, "txs": tx_stats},
        "wall_secs": (start.elapsed().as_secs_f64() * 10.0).round() / 10.0,
        "invariant": {"held": violations.is_empty(), "checks": checks, "violations": violations},
        "jobs": job_reports, "providers": prov_reports, "epochs": epochs, "samples": samples,
        "narration": nar.lines,
    });
    let rp = opts.out.join("report.json");
    io(
        &rp,
        std::fs::write(&rp, serde_json::to_string_pretty(&report).expect("json")),
    )?;
    let hp = opts.out.join("index.html");
    io(&hp, std::fs::write(&hp, crate::html::render(&report)))?;
    Ok(report)
}

async fn height_now<C: Chain>(c: &C) -> u64 {
    c.height().await.unwrap_or(0)
}
