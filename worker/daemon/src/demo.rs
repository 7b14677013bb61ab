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
use cosmwasm_std::{Decimal, HexBinary, Uint128};
use impulse_artifact::{ArtifactClient, ClientConfig, ServerConfig};
use impulse_chain::api::Chain;
use impulse_chain::Coin;
use impulse_embedded::{Clock, DeployParams, EmbeddedChain, EmbeddedSigner};
use impulse_engine::job::LoraSpec;
use impulse_engine::{BackendKind, Dataset, Engine};
use impulse_types::marketplace::{
    self as mkt, BaseWeights, DatasetSpec, ExecuteMsg, HyperParams, JobSpec, JobState, ModelSpec,
    VerificationMode, VerificationSpec,
};
use impulse_types::{reputation as rep, rewards as rw, staking as stk, Backend, Capacity};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use crate::error::{io, ChainContext, DaemonError, Result};
use crate::provider::{Event, Provider, ProviderConfig};
use crate::scenario::Scenario;
use crate::spec::{f64_decimal, EngineConfig};
use crate::store::NodeStore;

/// The shipped corpus and base model (worker/engine/data).
const CORPUS: &[u8] = include_bytes!("../../engine/data/tiny_tales.txt");
const BASE: &[u8] = include_bytes!("../../engine/data/base-lm-ref.safetensors");
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

/// The corpus split: (first 90 %, last 10 %) at a char boundary.
pub fn corpus_split() -> (Vec<u8>, Vec<u8>) {
    let text = std::str::from_utf8(CORPUS).expect("the corpus is UTF-8");
    let mut cut = text.len() * 9 / 10;
    while !text.is_char_boundary(cut) {
        cut += 1;
    }
    (
        text.as_bytes()[..cut].to_vec(),
        text.as_bytes()[cut..].to_vec(),
    )
}

fn dec(x: f64) -> Result<Decimal> {
    f64_decimal(x)
}

/// The smallest budget the marketplace accepts for `spec` (protocol.md §5),
/// computed by the contract's own `required_budget` with its current
/// parameters.
pub async fn min_budget<C: Chain>(c: &C, spec: &JobSpec) -> Result<u128> {
    let cfg: mkt::ConfigResponse = c
        .query(&c.deployment().marketplace, &mkt::QueryMsg::Config {})
        .await
        .ctx(|| "reading the marketplace config".into())?;
    let p = cfg.params;
    let (prover, verification, fee) =
        impulse_marketplace::required_budget(spec, p.verifier_price_per_step, p.protocol_fee)
            .map_err(|e| DaemonError::BadJob(format!("budget: {e}")))?;
    Ok(prover.u128() + verification.u128() + fee.u128())
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
    io(&opts.out, std::fs::create_dir_all(&opts.out))?;
    let work = opts.out.join("work");
    let _ = std::fs::remove_dir_all(&work);

    // --- chain -----------------------------------------------------------
    let mut params = DeployParams {
        block_secs: 6,
        clock: Clock::Every(Duration::from_millis(s.block_ms)),
        ..DeployParams::default()
    };
    let c = &s.chain;
    params.rewards.epoch_blocks = c.epoch_blocks;
    params.staking.heartbeat_blocks = c.heartbeat_blocks;
    params.marketplace.train_base_blocks = c.train_base_blocks;
    params.marketplace.blocks_per_step = c.blocks_per_step;
    params.marketplace.reveal_blocks = c.reveal_blocks;
    params.marketplace.verify_commit_blocks = c.verify_commit_blocks;
    params.marketplace.verify_reveal_blocks = c.verify_reveal_blocks;
    params.marketplace.verifier_price_per_step = Uint128::new(c.verifier_price_per_step);
    let min_prover = params.staking.min_prover_stake.u128();
    let min_verifier = params.staking.min_verifier_stake.u128();
    let mut names: Vec<String> = s.providers.iter().map(|p| p.name.clone()).collect();
    names.push("trainer".into());
    names.push("keeper".into());
    params.accounts = names.iter().map(|n| (n.clone(), BALANCE)).collect();
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
    let chain = EmbeddedChain::deploy(params).ctx(|| "deploying the contracts".into())?;
    let d = chain.deployment().clone();
    let start_height = chain.height();
    let signer = |n: &str| -> Result<EmbeddedSigner> {
        chain
            .signer(&chain.address_of(n))
            .ctx(|| format!("signer {n}"))
    };
    let trainer = signer("trainer")?;
    let keeper = signer("keeper")?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut nar = Narrator {
        start,
        narrate: opts.narrate,
        lines: Vec::new(),
        losses: BTreeMap::new(),
        claimed: BTreeMap::new(),
    };
    nar.say(
        chain.height(),
        format!(
            "deployed staking, reputation, marketplace and rewards on the embedded chain ({} ms blocks, epochs of {} blocks)",
            s.block_ms, c.epoch_blocks
        ),
    );

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
        let prov = Provider::new(
            cfg,
            Arc::new(signer(&p.name)?),
            Some(tx.clone()),
            stop.clone(),
        )?;
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
            provider_view(&trainer, &p.address()).await?,
        );
    }
    let mut handles = Vec::new();
    for p in &providers {
        handles.push(tokio::spawn(p.clone().run()));
    }

    // --- jobs ------------------------------------------------------------------
    let now = trainer.height().await.ctx(|| "height".into())?;
    let mut jobs: Vec<(String, u64, JobSpec, u128)> = Vec::new();
    for (i, j) in s.jobs.iter().enumerate() {
        let cfg = EngineConfig {
            lora: (j.lora_rank > 0).then_some(LoraSpec {
                rank: j.lora_rank,
                alpha: j.lora_alpha,
            }),
            checkpoint_every: Some(1),
            tokenizer_sha256: None,
        };
        let spec = JobSpec {
            model: ModelSpec {
                arch: j.model.clone(),
                config: cfg.to_config(),
                base_weights: (j.base == "shipped").then(|| BaseWeights {
                    sha256: HexBinary::from(base_hash.to_vec()),
                    uri: uri.clone(),
                }),
            },
            dataset: DatasetSpec {
                sha256: HexBinary::from(data_hash.to_vec()),
                uri: uri.clone(),
            },
            hyper: HyperParams {
                steps: j.steps,
                batch_size: j.batch_size,
                learning_rate: dec(j.lr)?,
                optimizer: "adamw".into(),
                seed: j.seed.unwrap_or(s.seed.wrapping_mul(1000) + i as u64),
            },
            model_units: 1,
            resources: Capacity {
                memory_gib: j.memory_gib,
                devices: 1,
            },
            backend: Backend::Cpu,
            max_price_per_step: Uint128::new(j.max_price),
            min_reputation: Decimal::zero(),
            deadline: now + 100_000,
            verification: VerificationSpec {
                alpha: dec(j.alpha)?,
                committee: j.committee,
                mode: if j.mode == "tolerance" {
                    VerificationMode::Tolerance { tau: dec(j.tau)? }
                } else {
                    VerificationMode::Exact
                },
            },
        };
        let budget = match j.budget {
            Some(b) => b,
            None => min_budget(&trainer, &spec).await?,
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
    let mut all_addrs: Vec<String> = names.iter().map(|n| chain.address_of(n)).collect();
    all_addrs.push(chain.governance());
    all_addrs.extend([
        d.staking.clone(),
        d.reputation.clone(),
        d.marketplace.clone(),
        d.rewards.clone(),
    ]);
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let h = chain.height();
        while let Ok(e) = rx.try_recv() {
            nar.event(h, e);
        }
        let cr = crate::keeper::crank(&keeper, h).await?;
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
        let supply = chain.supply().await.ctx(|| "supply".into())?;
        let mut sum = 0u128;
        for a in &all_addrs {
            sum += trainer
                .balance(a, &d.denom)
                .await
                .ctx(|| "balance".into())?;
        }
        let totals: mkt::TotalsResponse = trainer
            .query(&d.marketplace, &mkt::QueryMsg::Totals {})
            .await
            .ctx(|| "totals".into())?;
        let held = trainer
            .balance(&d.marketplace, &d.denom)
            .await
            .ctx(|| "balance".into())?;
        checks += 1;
        if sum != supply {
            violations.push(format!(
                "block {h}: balances sum to {sum}, supply is {supply}"
            ));
        }
        if held != totals.escrow.u128() + totals.undelivered_fees.u128() {
            violations.push(format!(
                "block {h}: marketplace holds {held}, owes {} + {}",
                totals.escrow, totals.undelivered_fees
            ));
        }
        // Job transitions.
        for (name, id, _, _) in &jobs {
            let j: mkt::JobResponse = trainer
                .query(&d.marketplace, &mkt::QueryMsg::Job { job_id: *id })
                .await
                .ctx(|| "job".into())?;
            if states.get(id) != Some(&j.state) {
                states.insert(*id, j.state);
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
                let v = provider_view(&trainer, &p.address()).await?;
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
                let c: rw::ClaimableResponse = trainer
                    .query(
                        &d.rewards,
                        &rw::QueryMsg::Claimable {
                            provider: p.address(),
                            start_after: None,
                            limit: None,
                        },
                    )
                    .await
                    .ctx(|| "claimable".into())?;
                if p.behaviour() != crate::Behaviour::Offline {
                    unclaimed += c.total.u128();
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
        });
        if j.state == JobState::Settled {
            match fetch_and_check(&j, &r, &train_path, &held_path, &opts.out, &trainer).await {
                Ok(v) => {
                    nar.say(chain.height(), format!(
                        "trainer: fetched job {id}'s final state, model hash matches the commitment; held-out loss {:.4} (base) -> {:.4}",
                        v["base"].as_f64().unwrap_or(f64::NAN), v["trained"].as_f64().unwrap_or(f64::NAN)));
                    rec["final_model_hash"] = rec["committed_model_hash"].clone();
                    rec["model_hash_matches"] = json!(true);
                    rec["held_out_loss"] = v;
                }
                Err(e) => {
                    nar.say(
                        chain.height(),
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
    while let Ok(e) = rx.try_recv() {
        nar.event(chain.height(), e);
    }

    // --- providers and epochs -------------------------------------------------------
    let mut prov_reports = Vec::new();
    for p in &providers {
        let b = &before[p.name()];
        let a = provider_view(&trainer, &p.address()).await?;
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
        "chain": {"kind": "embedded", "chain_id": d.chain_id, "block_ms": s.block_ms, "start_height": start_height, "end_height": chain.height()},
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

struct View {
    stake: u128,
    reputation: Decimal,
    banned: bool,
    misses: u32,
}

async fn provider_view<C: Chain>(c: &C, addr: &str) -> Result<View> {
    let d = c.deployment();
    let p: stk::ProviderResponse = c
        .query(
            &d.staking,
            &stk::QueryMsg::Provider {
                address: addr.to_string(),
            },
        )
        .await
        .ctx(|| format!("reading provider {addr}"))?;
    let s: rep::ScoreResponse = c
        .query(
            &d.reputation,
            &rep::QueryMsg::Score {
                provider: addr.to_string(),
            },
        )
        .await
        .ctx(|| format!("reading the reputation of {addr}"))?;
    Ok(View {
        stake: p.stake.u128(),
        reputation: s.score,
        banned: p.banned,
        misses: p.consecutive_misses,
    })
}

/// Downloads state `L` from the prover (checked against the committed
/// root), decodes it, checks its model hash against the committed one,
/// writes the model as safetensors and measures the held-out loss against
/// the base model's.
async fn fetch_and_check<C: Chain>(
    j: &mkt::JobResponse,
    r: &mkt::RoundResponse,
    train: &std::path::Path,
    held: &std::path::Path,
    out: &std::path::Path,
    c: &C,
) -> Result<Value> {
    let root = crate::spec::hash32(
        r.root
            .as_ref()
            .ok_or_else(|| DaemonError::Check("no root".into()))?,
        "root",
    )?;
    let committed = crate::spec::hash32(
        r.final_model_hash
            .as_ref()
            .ok_or_else(|| DaemonError::Check("no model hash".into()))?,
        "final model hash",
    )?;
    let prover = j
        .prover
        .as_ref()
        .ok_or_else(|| DaemonError::Check("no prover".into()))?;
    let p: stk::ProviderResponse = c
        .query(
            &c.deployment().staking,
            &stk::QueryMsg::Provider {
                address: prover.to_string(),
            },
        )
        .await
        .ctx(|| "prover endpoint".into())?;
    let client = ArtifactClient::connect(&p.endpoint, ClientConfig::default())
        .await
        .ctx(|| format!("connecting to {}", p.endpoint))?;
    let l = j.spec.hyper.steps;
    let st = client
        .fetch_state(j.id, l, &root)
        .await
        .ctx(|| format!("fetching state {l}"))?;
    let ej = crate::spec::engine_job(&j.spec)?;
    let (train, held, out) = (train.to_path_buf(), held.to_path_buf(), out.to_path_buf());
    let id = j.id;
    tokio::task::spawn_blocking(move || -> Result<Value> {
        let engine = Engine::load_with(ej, &train, None, BackendKind::Flex, Some(BASE))
            .ctx(|| "loading the job".into())?;
        let state = engine
            .decode(&st.bytes)
            .ctx(|| "decoding the final state".into())?;
        if state.model_hash() != committed {
            return Err(DaemonError::Check(
                "the final state's model hash differs from the commitment".into(),
            ));
        }
        let meta = BTreeMap::from([("impulse.job_id".to_string(), id.to_string())]);
        let path = out.join(format!("model-job{id}.safetensors"));
        io(
            &path,
            std::fs::write(
                &path,
                impulse_engine::export::export_safetensors(&state, &meta),
            ),
        )?;
        let heldout = Dataset::load(&held, None).ctx(|| "held-out set".into())?;
        let base = engine.init_state().ctx(|| "base".into())?;
        let b = engine.eval_loss_on(&base, &heldout, 4);
        let t = engine.eval_loss_on(&state, &heldout, 4);
        Ok(json!({"base": b, "trained": t, "model_file": path.display().to_string()}))
    })
    .await
    .map_err(|e| DaemonError::Check(format!("check task: {e}")))?
}
