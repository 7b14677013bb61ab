//! The marketplace in the suite (protocol.md sections 4 to 6): the builder
//! option that instantiates the real contract and wires it into staking and
//! reputation, a mock rewards contract, helpers that play trainers, provers
//! and committee members, and the marketplace half of the invariant.
//!
//! Training is simulated from the contract's point of view: an honest run's
//! step hashes are `h_i = SHA-256("step" || job seed || i)`, its root is the
//! impulse-protocol root of `h_0..h_L`, and a cheating prover alters chosen
//! leaves (and, for step `L`, the final model hash).

use std::collections::BTreeMap;

use anyhow::{anyhow, Result};
use cosmwasm_std::{coins, Addr, Decimal, HexBinary, Uint128};
use cw_multi_test::{App, AppResponse, Executor};
use impulse_protocol::{secret_commitment, verdict_commitment, Hash, MerkleTree};
use impulse_types::common::MAX_LIMIT;
use impulse_types::marketplace::{
    self as mkt, DatasetSpec, ExecuteMsg, HyperParams, JobResponse, JobSpec, JobState,
    JobsResponse, MarketplaceParams, ModelSpec, Opening, ProviderEntryResponse, RoundResponse,
    TotalsResponse, VerificationMode, VerificationSpec,
};
use impulse_types::reputation as rep;
use impulse_types::staking as stk;
use impulse_types::{Backend, Capacity};
use sha2::{Digest, Sha256};

use crate::mock::{self, RewardsQuery, RewardsRecord};
use crate::{Suite, DENOM};

pub use crate::contracts::marketplace as marketplace_contract;

/// Which rewards contract the marketplace is wired to.
#[derive(Clone, Debug, PartialEq)]
pub enum RewardsKind {
    /// The mock that accepts the two marketplace messages and holds the funds.
    Working,
    /// The mock that rejects everything.
    Failing,
    /// None configured.
    None,
    /// The real rewards contract (`SuiteBuilder::marketplace().rewards(..)`;
    /// set by the builder, not by `MarketOptions`).
    Real,
}

#[derive(Clone, Debug)]
pub struct MarketOptions {
    pub params: MarketplaceParams,
    pub rewards: RewardsKind,
}

impl Default for MarketOptions {
    fn default() -> Self {
        MarketOptions {
            params: MarketplaceParams::default(),
            rewards: RewardsKind::Working,
        }
    }
}

/// A simulated training run as the contract sees it.
#[derive(Clone, Debug)]
pub struct Run {
    /// What honest replay gives, `h_0..h_L`.
    pub honest: Vec<Hash>,
    /// What the prover claims (equal to `honest` unless it cheats).
    pub claimed: Vec<Hash>,
    pub tree: MerkleTree,
    pub honest_model: Hash,
    pub claimed_model: Hash,
}

fn sha(parts: &[&[u8]]) -> Hash {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

impl Run {
    pub fn honest(seed: u64, steps: u64) -> Run {
        let honest: Vec<Hash> = (0..=steps)
            .map(|i| sha(&[b"step", &seed.to_be_bytes(), &i.to_be_bytes()]))
            .collect();
        let model = sha(&[b"model", &honest[steps as usize]]);
        Run {
            tree: MerkleTree::new(&honest).expect("at least one leaf"),
            claimed: honest.clone(),
            honest,
            honest_model: model,
            claimed_model: model,
        }
    }

    /// The same run with `steps` falsified (skipped or forged): their leaves
    /// differ; falsifying `L` also fakes the final model.
    pub fn cheating(seed: u64, steps: u64, falsified: &[u64]) -> Run {
        let mut r = Run::honest(seed, steps);
        for &s in falsified {
            r.claimed[s as usize] = sha(&[b"forged", &s.to_be_bytes()]);
            if s == steps {
                r.claimed_model = sha(&[b"fake model"]);
            }
        }
        r.tree = MerkleTree::new(&r.claimed).expect("at least one leaf");
        r
    }

    pub fn root(&self) -> Hash {
        self.tree.root()
    }

    pub fn opening(&self, step: u64) -> Opening {
        let proof = self.tree.proof(step).expect("step in range");
        Opening {
            step,
            hash: hex(&self.claimed[step as usize]),
            proof: proof.siblings.iter().map(|s| hex(s)).collect(),
        }
    }
}

pub fn hex(h: &[u8]) -> HexBinary {
    HexBinary::from(h.to_vec())
}

/// How a committee member behaves.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Behaviour {
    /// Replays and reports the truth.
    Honest,
    /// Reports every challenged step as wrong (a false accusation).
    Accuse,
    /// Reports the prover's claims without replaying (agrees with a cheat).
    Rubberstamp,
    /// Commits no verdict.
    Silent,
    /// Commits but never reveals.
    NoReveal,
    /// Copies the verdict commitment of member `i` (and then its reveal).
    Copy(usize),
}

/// The marketplace half of the suite.
#[derive(Clone, Debug)]
pub struct Market {
    pub contract: Addr,
    pub code_id: u64,
    pub rewards: Addr,
    pub rewards_kind: RewardsKind,
    /// Tokens sent to the marketplace by plain bank transfer.
    pub donations: Uint128,
    /// The challenged steps `drive` saw for each job (the round is cleared
    /// when a job is re-queued).
    pub challenges: BTreeMap<u64, Vec<u64>>,
}

/// Instantiate the marketplace (and the mock rewards) and wire it into
/// staking and reputation.
pub fn install(
    app: &mut App,
    gov: &Addr,
    staking: &Addr,
    reputation: Option<&Addr>,
    opts: MarketOptions,
) -> Market {
    let rewards = match opts.rewards {
        RewardsKind::Working => Some(mock::instantiate_rewards(app, gov, false)),
        RewardsKind::Failing => Some(mock::instantiate_rewards(app, gov, true)),
        RewardsKind::None | RewardsKind::Real => None,
    };
    let code_id = app.store_code(marketplace_contract());
    let contract = app
        .instantiate_contract(
            code_id,
            gov.clone(),
            &mkt::InstantiateMsg {
                governance: gov.to_string(),
                staking: Some(staking.to_string()),
                reputation: reputation.map(|r| r.to_string()),
                rewards: rewards.as_ref().map(|r| r.to_string()),
                params: Some(opts.params),
            },
            &[],
            "impulse-marketplace",
            Some(gov.to_string()),
        )
        .expect("instantiate marketplace");
    app.execute_contract(
        gov.clone(),
        staking.clone(),
        &stk::ExecuteMsg::SetContracts {
            marketplace: Some(contract.to_string()),
            reputation: None,
            rewards: None,
        },
        &[],
    )
    .expect("wire marketplace into staking");
    if let Some(r) = reputation {
        // The mock reputation accepts anything; the real one is rewired.
        let _ = app.execute_contract(
            gov.clone(),
            r.clone(),
            &rep::ExecuteMsg::SetContracts {
                staking: None,
                marketplace: Some(contract.to_string()),
            },
            &[],
        );
    }
    Market {
        contract,
        code_id,
        rewards: rewards.unwrap_or_else(|| app.api().addr_make("rewards")),
        rewards_kind: opts.rewards,
        donations: Uint128::zero(),
        challenges: BTreeMap::new(),
    }
}

/// The smallest budget the marketplace accepts for `spec` under `p`
/// (`impulse_protocol::budget`, the rule the contract checks).
pub fn required_budget(spec: &JobSpec, p: &MarketplaceParams) -> u128 {
    impulse_protocol::budget::required_budget(spec, p)
        .and_then(|b| b.total())
        .expect("a budget that fits in 128 bits")
        .u128()
}

/// The deterministic secret of a committee member.
pub fn secret_of(job_id: u64, attempt: u32, member: &Addr) -> Hash {
    sha(&[
        b"secret",
        &job_id.to_be_bytes(),
        &attempt.to_be_bytes(),
        member.as_bytes(),
    ])
}

pub fn salt_of(job_id: u64, draw: u32, member: &Addr) -> Hash {
    sha(&[
        b"salt",
        &job_id.to_be_bytes(),
        &draw.to_be_bytes(),
        member.as_bytes(),
    ])
}

/// What a member reveals: (hashes, distances, model hash).
pub type Reveal = (Vec<Hash>, Option<Vec<Decimal>>, Option<Hash>);

pub fn reveal_for(
    behaviour: Behaviour,
    run: &Run,
    steps: &[u64],
    mode: &VerificationMode,
) -> Reveal {
    let l = *steps.last().expect("at least step L") as usize;
    let (hashes, model): (Vec<Hash>, Hash) = match behaviour {
        Behaviour::Accuse => (
            steps
                .iter()
                .map(|s| sha(&[b"accuse", &s.to_be_bytes()]))
                .collect(),
            sha(&[b"accuse model"]),
        ),
        Behaviour::Rubberstamp => (
            steps.iter().map(|s| run.claimed[*s as usize]).collect(),
            run.claimed_model,
        ),
        _ => (
            steps.iter().map(|s| run.honest[*s as usize]).collect(),
            run.honest_model,
        ),
    };
    let _ = l;
    match mode {
        VerificationMode::Exact => (hashes, None, Some(model)),
        VerificationMode::Tolerance { .. } => {
            // The model of the state L the prover serves: its forged state
            // when step L is falsified, the honest one otherwise.
            let l = *steps.last().expect("at least step L") as usize;
            let served = if run.claimed[l] != run.honest[l] {
                run.claimed_model
            } else {
                run.honest_model
            };
            let model = match behaviour {
                Behaviour::Accuse => model,
                Behaviour::Rubberstamp => run.claimed_model,
                _ => served,
            };
            let d = steps
                .iter()
                .map(|s| {
                    let differs = run.claimed[*s as usize] != run.honest[*s as usize];
                    match (behaviour, differs) {
                        (Behaviour::Accuse, _) => Decimal::percent(90),
                        (Behaviour::Rubberstamp, _) => Decimal::zero(),
                        (_, true) => Decimal::percent(50),
                        (_, false) => Decimal::permille(1),
                    }
                })
                .collect();
            (hashes, Some(d), Some(model))
        }
    }
}

pub fn commitment_of(member: &Addr, r: &Reveal, salt: &Hash) -> Hash {
    let ds: Option<Vec<u128>> =
        r.1.as_ref()
            .map(|d| d.iter().map(|x| x.atomics().u128()).collect());
    verdict_commitment(member.as_bytes(), &r.0, ds.as_deref(), r.2.as_ref(), salt)
}

/// A job with sensible defaults: `steps` steps, alpha 10%, committee 3,
/// exact mode, max price 10, cpu, 8 GiB / 1 device.
pub fn default_spec(now: u64, steps: u64, seed: u64) -> JobSpec {
    JobSpec {
        model: ModelSpec {
            arch: "lm-ref".to_string(),
            config: None,
            base_weights: None,
        },
        dataset: DatasetSpec {
            sha256: hex(&[7u8; 32]),
            uri: "ipfs://dataset".to_string(),
        },
        hyper: HyperParams {
            steps,
            batch_size: 8,
            learning_rate: Decimal::permille(1),
            optimizer: "adamw".to_string(),
            seed,
        },
        model_units: 2,
        resources: Capacity {
            memory_gib: 8,
            devices: 1,
        },
        backend: Backend::Cpu,
        max_price_per_step: Uint128::new(10),
        min_reputation: Decimal::zero(),
        deadline: now + 10_000,
        verification: VerificationSpec {
            alpha: Decimal::percent(10),
            committee: 3,
            mode: VerificationMode::Exact,
        },
    }
}

/// Every event attribute `key` of the `wasm-impulse_job` events.
pub fn job_events(res: &AppResponse) -> Vec<(String, String, String)> {
    res.events
        .iter()
        .filter(|e| e.ty == "wasm-impulse_job")
        .map(|e| {
            let get = |k: &str| {
                e.attributes
                    .iter()
                    .find(|a| a.key == k)
                    .map(|a| a.value.clone())
                    .unwrap_or_default()
            };
            (get("job_id"), get("from"), get("to"))
        })
        .collect()
}

/// Whether a response shows a transition of `job` to `to`.
pub fn moved_to(res: &AppResponse, job: u64, to: JobState) -> bool {
    job_events(res)
        .iter()
        .any(|(j, _, t)| *j == job.to_string() && t == to.as_str())
}

impl Suite {
    #[track_caller]
    pub fn market(&self) -> &Market {
        self.market
            .as_ref()
            .expect("suite built with .marketplace()")
    }

    #[track_caller]
    pub fn market_addr(&self) -> Addr {
        self.market().contract.clone()
    }

    pub fn exec_market(
        &mut self,
        sender: &Addr,
        msg: &ExecuteMsg,
        funds: u128,
    ) -> Result<AppResponse> {
        let funds = if funds == 0 {
            vec![]
        } else {
            coins(funds, DENOM)
        };
        let m = self.market_addr();
        self.app
            .execute_contract(sender.clone(), m, msg, &funds)
            .map_err(|e| anyhow!("{e:#}"))
    }

    pub fn sudo_market(&mut self, msg: &mkt::SudoMsg) -> Result<AppResponse> {
        let m = self.market_addr();
        self.app.wasm_sudo(m, msg).map_err(|e| anyhow!("{e:#}"))
    }

    #[track_caller]
    pub fn market_params(&self) -> MarketplaceParams {
        self.market_config().params
    }

    #[track_caller]
    pub fn market_config(&self) -> mkt::ConfigResponse {
        self.app
            .wrap()
            .query_wasm_smart(self.market_addr(), &mkt::QueryMsg::Config {})
            .expect("market config")
    }

    /// Register `name` in staking with `stake` on `backend` at `price` and
    /// advertise it to the marketplace.
    #[track_caller]
    pub fn provider_node(
        &mut self,
        name: &str,
        stake: u128,
        backend: Backend,
        price: u128,
    ) -> Addr {
        let a = self.addr(name);
        self.register_with(&a, stake, backend, crate::capacity(), price)
            .expect("register");
        self.advertise(&a).expect("advertise");
        a
    }

    pub fn advertise(&mut self, who: &Addr) -> Result<AppResponse> {
        self.exec_market(who, &ExecuteMsg::Advertise {}, 0)
    }

    /// `n` provers (1e9 stake, price 10) and `m` verifiers (3e8 stake), cpu.
    #[track_caller]
    pub fn network(&mut self, n: usize, m: usize) -> (Vec<Addr>, Vec<Addr>) {
        let provers = (0..n)
            .map(|i| self.provider_node(&format!("prover{i}"), 1_000_000_000, Backend::Cpu, 10))
            .collect();
        let verifiers = (0..m)
            .map(|i| self.provider_node(&format!("verifier{i}"), 300_000_000, Backend::Cpu, 10))
            .collect();
        self.assert_invariant();
        (provers, verifiers)
    }

    /// Submit with exactly the required budget; the job id.
    pub fn submit(&mut self, trainer: &Addr, spec: &JobSpec) -> Result<(u64, AppResponse)> {
        let budget = required_budget(spec, &self.market_params());
        self.submit_with(trainer, spec, budget)
    }

    pub fn submit_with(
        &mut self,
        trainer: &Addr,
        spec: &JobSpec,
        budget: u128,
    ) -> Result<(u64, AppResponse)> {
        let res = self.exec_market(
            trainer,
            &ExecuteMsg::SubmitJob { spec: spec.clone() },
            budget,
        )?;
        let id = crate::attr(&res, "job_id")
            .ok_or_else(|| anyhow!("no job_id"))?
            .parse()?;
        Ok((id, res))
    }

    #[track_caller]
    pub fn job(&self, id: u64) -> JobResponse {
        self.app
            .wrap()
            .query_wasm_smart(self.market_addr(), &mkt::QueryMsg::Job { job_id: id })
            .expect("job query")
    }

    #[track_caller]
    pub fn round(&self, id: u64) -> RoundResponse {
        self.app
            .wrap()
            .query_wasm_smart(self.market_addr(), &mkt::QueryMsg::Round { job_id: id })
            .expect("round query")
    }

    #[track_caller]
    pub fn market_totals(&self) -> TotalsResponse {
        self.app
            .wrap()
            .query_wasm_smart(self.market_addr(), &mkt::QueryMsg::Totals {})
            .expect("totals query")
    }

    pub fn market_provider(&self, who: &Addr) -> Result<ProviderEntryResponse> {
        self.app
            .wrap()
            .query_wasm_smart(
                self.market_addr(),
                &mkt::QueryMsg::Provider {
                    address: who.to_string(),
                },
            )
            .map_err(|e| anyhow!("{e}"))
    }

    #[track_caller]
    pub fn rewards_record(&self) -> RewardsRecord {
        self.app
            .wrap()
            .query_wasm_smart(&self.market().rewards, &RewardsQuery::Record {})
            .expect("rewards record")
    }

    #[track_caller]
    pub fn jobs_page(&self, state: Option<JobState>, start_after: Option<u64>) -> Vec<JobResponse> {
        let r: JobsResponse = self
            .app
            .wrap()
            .query_wasm_smart(
                self.market_addr(),
                &mkt::QueryMsg::Jobs {
                    state,
                    start_after,
                    limit: Some(MAX_LIMIT),
                },
            )
            .expect("jobs query");
        r.jobs
    }

    #[track_caller]
    pub fn all_jobs(&self, state: Option<JobState>) -> Vec<JobResponse> {
        let mut out: Vec<JobResponse> = vec![];
        loop {
            let page = self.jobs_page(state, out.last().map(|j| j.id));
            let done = page.len() < MAX_LIMIT as usize;
            out.extend(page);
            if done {
                return out;
            }
        }
    }

    pub fn run_scheduler(&mut self, limit: Option<u32>) -> Result<AppResponse> {
        let a = self.addr("cranker");
        self.exec_market(&a, &ExecuteMsg::RunScheduler { limit }, 0)
    }

    pub fn process_timeouts(&mut self) -> Result<AppResponse> {
        let a = self.addr("cranker");
        self.exec_market(&a, &ExecuteMsg::ProcessTimeouts { limit: None }, 0)
    }

    /// Every committee member commits its deterministic secret.
    pub fn commit_secrets(&mut self, id: u64) -> Result<()> {
        let r = self.round(id);
        for m in r.committee.iter().filter(|m| m.secret_hash.is_none()) {
            let s = secret_of(id, r.attempt, &m.address);
            self.exec_market(
                &m.address,
                &ExecuteMsg::CommitSecret {
                    job_id: id,
                    secret_hash: hex(&secret_commitment(&s)),
                },
                0,
            )?;
            self.assert_invariant();
        }
        Ok(())
    }

    pub fn commit_result(&mut self, id: u64, run: &Run) -> Result<AppResponse> {
        let job = self.job(id);
        let prover = job
            .prover
            .ok_or_else(|| anyhow!("job {id} has no prover"))?;
        self.exec_market(
            &prover,
            &ExecuteMsg::CommitResult {
                job_id: id,
                root: hex(&run.root()),
                final_model_hash: hex(&run.claimed_model),
                build_identity: "impulse-engine 0.1.0 burn-flex".to_string(),
                backend: job.spec.backend,
            },
            0,
        )
    }

    /// Members `who` (indexes) reveal their secrets; the last response.
    pub fn reveal_secrets(&mut self, id: u64, who: &[usize]) -> Result<Option<AppResponse>> {
        let r = self.round(id);
        let mut last = None;
        for &i in who {
            let m = &r.committee[i];
            let s = secret_of(id, r.attempt, &m.address);
            last = Some(self.exec_market(
                &m.address,
                &ExecuteMsg::RevealSecret {
                    job_id: id,
                    secret: hex(&s),
                },
                0,
            )?);
            self.assert_invariant();
        }
        Ok(last)
    }

    /// The committee commits its verdicts per `behaviour` (one per member).
    pub fn commit_verdicts(
        &mut self,
        id: u64,
        run: &Run,
        behaviour: &[Behaviour],
    ) -> Result<Option<AppResponse>> {
        let r = self.round(id);
        let mode = self.job(id).spec.verification.mode;
        let mut commitments: BTreeMap<usize, HexBinary> = BTreeMap::new();
        let mut last = None;
        for (i, m) in r.committee.iter().enumerate() {
            let b = behaviour.get(i).copied().unwrap_or(Behaviour::Honest);
            let c = match b {
                Behaviour::Silent => continue,
                Behaviour::Copy(j) => commitments
                    .get(&j)
                    .cloned()
                    .ok_or_else(|| anyhow!("member {j} has not committed yet"))?,
                _ => {
                    let rv = reveal_for(b, run, &r.challenged_steps, &mode);
                    hex(&commitment_of(
                        &m.address,
                        &rv,
                        &salt_of(id, r.draw, &m.address),
                    ))
                }
            };
            commitments.insert(i, c.clone());
            last = Some(self.exec_market(
                &m.address,
                &ExecuteMsg::CommitVerdict {
                    job_id: id,
                    commitment: c,
                },
                0,
            )?);
            self.assert_invariant();
        }
        Ok(last)
    }

    /// Reveal message of member `i` per `behaviour` (a copier reveals what it
    /// copied: the original's reveal).
    pub fn reveal_msg(&self, id: u64, run: &Run, i: usize, behaviour: &[Behaviour]) -> ExecuteMsg {
        let r = self.round(id);
        let mode = self.job(id).spec.verification.mode;
        let b = behaviour.get(i).copied().unwrap_or(Behaviour::Honest);
        let (src, b) = match b {
            Behaviour::Copy(j) => (j, behaviour.get(j).copied().unwrap_or(Behaviour::Honest)),
            b => (i, b),
        };
        let src_addr = &r.committee[src].address;
        let rv = reveal_for(b, run, &r.challenged_steps, &mode);
        ExecuteMsg::RevealVerdict {
            job_id: id,
            hashes: rv.0.iter().map(|h| hex(h)).collect(),
            distances: rv.1,
            model_hash: rv.2.map(|h| hex(&h)),
            salt: hex(&salt_of(id, r.draw, src_addr)),
        }
    }

    /// Members reveal per `behaviour`; copiers' reveals are expected to fail.
    pub fn reveal_verdicts(
        &mut self,
        id: u64,
        run: &Run,
        behaviour: &[Behaviour],
    ) -> Result<Option<AppResponse>> {
        let r = self.round(id);
        let mut last = None;
        for (i, m) in r.committee.iter().enumerate() {
            let b = behaviour.get(i).copied().unwrap_or(Behaviour::Honest);
            if matches!(b, Behaviour::Silent | Behaviour::NoReveal) {
                continue;
            }
            let msg = self.reveal_msg(id, run, i, behaviour);
            let res = self.exec_market(&m.address, &msg, 0);
            if let Behaviour::Copy(_) = b {
                crate::assert_err(res, "does not match the verdict commitment");
            } else {
                last = Some(res?);
            }
            self.assert_invariant();
        }
        Ok(last)
    }

    /// The prover opens every challenged step (in chunks of the per-tx max).
    pub fn open_all(&mut self, id: u64, run: &Run) -> Result<Option<AppResponse>> {
        let r = self.round(id);
        let prover = self.job(id).prover.ok_or_else(|| anyhow!("no prover"))?;
        let max = self.market_params().max_openings_per_tx as usize;
        let mut last = None;
        for chunk in r.challenged_steps.chunks(max) {
            let openings = chunk.iter().map(|s| run.opening(*s)).collect();
            last = Some(self.exec_market(
                &prover,
                &ExecuteMsg::OpenSteps {
                    job_id: id,
                    openings,
                },
                0,
            )?);
            self.assert_invariant();
        }
        Ok(last)
    }

    /// An assigned job from commitment to verdict: secrets, result, reveals,
    /// verdict commits, openings, reveals. The response of the last message
    /// (the one that decided, when everyone acted).
    pub fn drive(&mut self, id: u64, run: &Run, behaviour: &[Behaviour]) -> Result<AppResponse> {
        self.commit_secrets(id)?;
        self.commit_result(id, run)?;
        self.assert_invariant();
        let k = self.round(id).committee.len();
        self.reveal_secrets(id, &(0..k).collect::<Vec<_>>())?;
        let ch = self.round(id).challenged_steps;
        if let Some(m) = self.market.as_mut() {
            m.challenges.insert(id, ch);
        }
        self.commit_verdicts(id, run, behaviour)?;
        if self.job(id).state == JobState::Challenged {
            // Someone stayed silent: close the commit window.
            let w = self.market_params().verify_commit_blocks;
            self.advance_live(w + 1);
            self.process_timeouts()?;
            self.assert_invariant();
        }
        self.open_all(id, run)?;
        let last = self.reveal_verdicts(id, run, behaviour)?;
        if self.job(id).state == JobState::Verifying {
            let w = self.market_params().verify_reveal_blocks;
            self.advance_live(w + 1);
            let res = self.process_timeouts()?;
            self.assert_invariant();
            return Ok(res);
        }
        last.ok_or_else(|| anyhow!("nothing revealed"))
    }

    /// `blocks` pass while every registered, unbanned provider keeps sending
    /// heartbeats (live daemons do; the scheduler skips providers whose
    /// heartbeats are overdue).
    pub fn advance_live(&mut self, blocks: u64) {
        let every = self.staking_config().params.heartbeat_blocks.max(2);
        let mut left = blocks;
        while left > 0 {
            let step = left.min(every / 2);
            self.advance(step);
            left -= step;
            self.heartbeats();
        }
    }

    /// Every registered, unbanned provider sends a heartbeat now.
    pub fn heartbeats(&mut self) {
        for p in self.all_providers() {
            if !p.banned {
                self.heartbeat(&p.address).expect("heartbeat");
            }
        }
    }

    /// Send tokens to the marketplace by plain bank transfer.
    #[track_caller]
    pub fn donate_market(&mut self, from: &Addr, amount: u128) {
        let m = self.market_addr();
        self.app
            .send_tokens(from.clone(), m, &coins(amount, DENOM))
            .expect("bank send");
        if let Some(mk) = self.market.as_mut() {
            mk.donations += Uint128::new(amount);
        }
    }

    /// Whether the suite runs all four real contracts together
    /// (`SuiteBuilder::marketplace().rewards(..)`).
    pub fn is_four(&self) -> bool {
        self.market
            .as_ref()
            .is_some_and(|m| m.rewards_kind == RewardsKind::Real)
    }

    /// The fee of a settled job: `ceil(price x L x protocol_fee)` at the
    /// current parameters (the suite never changes `protocol_fee` while jobs
    /// are in flight).
    #[track_caller]
    pub fn job_fee(&self, job: &JobResponse) -> u128 {
        let p = self.market_params();
        job.price_per_step
            .checked_mul(Uint128::from(job.spec.hyper.steps))
            .expect("fits")
            .mul_ceil(p.protocol_fee)
            .u128()
    }

    /// With the real rewards contract: every fee a settled job paid is
    /// either in the rewards contract's epoch records (closed ones and the
    /// open one) or still undelivered at the marketplace; the rewards
    /// contract never counted more finished jobs than the marketplace ended;
    /// the reputation contract holds no funds.
    #[track_caller]
    pub fn assert_fees_delivered(&self, jobs: &[JobResponse], undelivered: Uint128) {
        let owed: u128 = jobs
            .iter()
            .filter(|j| j.state == JobState::Settled)
            .map(|j| self.job_fee(j))
            .sum();
        let epochs = self.all_epochs();
        let current = self.current_epoch();
        let received: Uint128 = epochs.iter().map(|e| e.fees_in).sum::<Uint128>() + current.fees_in;
        assert_eq!(
            received + undelivered,
            Uint128::new(owed),
            "fees received by rewards {received} + undelivered {undelivered} != fees of settled jobs {owed}"
        );
        let settled = jobs.iter().filter(|j| j.state == JobState::Settled).count() as u64;
        let ended = jobs.iter().filter(|j| j.state.is_terminal()).count() as u64;
        let recorded_settled =
            epochs.iter().map(|e| e.jobs_settled).sum::<u64>() + current.jobs_settled;
        let recorded_failed =
            epochs.iter().map(|e| e.jobs_failed).sum::<u64>() + current.jobs_failed;
        assert!(
            recorded_settled <= settled,
            "rewards recorded {recorded_settled} settled jobs of {settled}"
        );
        assert!(
            recorded_settled + recorded_failed <= ended,
            "rewards recorded {} finished jobs of {ended}",
            recorded_settled + recorded_failed
        );
        if let Some(r) = &self.reputation {
            assert_eq!(self.balance(r), 0, "the reputation contract holds funds");
        }
    }

    /// The marketplace holds exactly what it owes, every job is in exactly
    /// one lifecycle state, and the mock rewards contract holds exactly the
    /// fees it recorded (with the real one, `assert_fees_delivered`).
    #[track_caller]
    pub fn assert_market_invariant(&self) {
        let m = self.market();
        let t = self.market_totals();
        let held = self.balance(&m.contract);
        assert_eq!(
            Uint128::new(held),
            t.escrow + t.undelivered_fees + m.donations,
            "marketplace balance {held} != escrow {} + undelivered fees {} + donations {}",
            t.escrow,
            t.undelivered_fees,
            m.donations
        );
        let jobs = self.all_jobs(None);
        assert_eq!(jobs.len() as u64, t.jobs, "job count");
        let escrow: Uint128 = jobs.iter().map(|j| j.escrow).sum();
        assert_eq!(escrow, t.escrow, "job escrows != totals.escrow");
        let mut seen: BTreeMap<u64, JobState> = BTreeMap::new();
        for s in JobState::ALL {
            for j in self.all_jobs(Some(s)) {
                assert_eq!(
                    j.state, s,
                    "job {} listed under {s} but is {}",
                    j.id, j.state
                );
                assert!(seen.insert(j.id, s).is_none(), "job {} in two states", j.id);
            }
        }
        assert_eq!(seen.len(), jobs.len(), "a job is in no state");
        for j in &jobs {
            if j.state.is_terminal() {
                assert!(j.escrow.is_zero(), "ended job {} still holds escrow", j.id);
            }
        }
        if m.rewards_kind == RewardsKind::Real {
            self.assert_fees_delivered(&jobs, t.undelivered_fees);
        }
        if m.rewards_kind == RewardsKind::Working {
            let rec = self.rewards_record();
            assert_eq!(
                Uint128::new(self.balance(&m.rewards)),
                rec.pool + rec.vault,
                "rewards balance != fees recorded"
            );
        }
    }
}
