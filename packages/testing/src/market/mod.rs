//! The marketplace in the suite (protocol.md sections 4 to 6): the builder
//! option that instantiates the real contract and wires it into staking and
//! reputation, a mock rewards contract, the queries and the trainer's and
//! provider's messages. `flow` plays provers and committee members through a
//! round; the simulated training runs are in `fixtures`; the marketplace
//! half of the invariant is in `invariant`.

mod flow;

use std::collections::BTreeMap;

use anyhow::{anyhow, Result};
use cosmwasm_std::{Addr, Uint128};
use cw_multi_test::{App, AppResponse};
use impulse_types::common::MAX_LIMIT;
use impulse_types::marketplace::{
    self as mkt, ExecuteMsg, JobResponse, JobSpec, JobState, JobsResponse, MarketplaceParams,
    ProviderEntryResponse, RoundResponse, TotalsResponse,
};
use impulse_types::reputation as rep;
use impulse_types::staking as stk;
use impulse_types::Backend;

use crate::app::paginate;
use crate::app::{deploy, govern};
pub use crate::contracts::marketplace as marketplace_contract;
use crate::fixtures::Wiring;
pub use crate::fixtures::{
    commitment_of, default_spec, hex, required_budget, reveal_for, salt_of, secret_of,
    sequence_spec, Behaviour, Reveal, Run,
};
use crate::mock::{self, RewardsQuery, RewardsRecord};
use crate::Suite;

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
    let wiring = Wiring {
        staking: Some(staking.to_string()),
        reputation: reputation.map(|r| r.to_string()),
        rewards: rewards.as_ref().map(|r| r.to_string()),
        ..Wiring::governed_by(gov)
    };
    let msg = wiring.marketplace(Some(opts.params));
    let (code_id, contract) = deploy(
        app,
        marketplace_contract(),
        gov,
        &msg,
        &[],
        "impulse-marketplace",
    );
    let wire = stk::ExecuteMsg::SetContracts {
        marketplace: Some(contract.to_string()),
        reputation: None,
        rewards: None,
    };
    govern(app, gov, staking, &wire, "wire marketplace into staking");
    if let Some(r) = reputation {
        // The mock reputation accepts anything; the real one is rewired.
        let wire = rep::ExecuteMsg::SetContracts {
            staking: None,
            marketplace: Some(contract.to_string()),
        };
        let _ = cw_multi_test::Executor::execute_contract(app, gov.clone(), r.clone(), &wire, &[]);
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

/// The marketplace with `provers` provers and `verifiers` verifiers
/// (`Suite::network`) and the default job of `steps` steps seeded `seed`,
/// submitted by `trainer` (assigned at once): the suite and the job id.
#[track_caller]
pub fn with_job(provers: usize, verifiers: usize, steps: u64, seed: u64) -> (Suite, u64) {
    let mut s = with_network(provers, verifiers);
    let id = s.submit_default(steps, seed);
    (s, id)
}

/// The marketplace with `provers` provers and `verifiers` verifiers
/// (`Suite::network`).
#[track_caller]
pub fn with_network(provers: usize, verifiers: usize) -> Suite {
    let mut s = crate::SuiteBuilder::new().marketplace().build();
    s.network(provers, verifiers);
    s
}

/// Every `(job_id, from, to)` of the `wasm-impulse_job` events.
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
        let m = self.market_addr();
        self.exec(&m, sender, msg, funds)
    }

    pub fn sudo_market(&mut self, msg: &mkt::SudoMsg) -> Result<AppResponse> {
        let m = self.market_addr();
        self.sudo(&m, msg)
    }

    #[track_caller]
    fn query_market<T: serde::de::DeserializeOwned>(&self, msg: &mkt::QueryMsg) -> T {
        self.query(&self.market_addr(), msg)
            .unwrap_or_else(|e| panic!("marketplace query {msg:?}: {e}"))
    }

    #[track_caller]
    pub fn market_params(&self) -> MarketplaceParams {
        self.market_config().params
    }

    #[track_caller]
    pub fn market_config(&self) -> mkt::ConfigResponse {
        self.query_market(&mkt::QueryMsg::Config {})
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

    /// The account `trainer` submits `default_spec(now, steps, seed)` with
    /// exactly the required budget; the job id.
    #[track_caller]
    pub fn submit_default(&mut self, steps: u64, seed: u64) -> u64 {
        let trainer = self.addr("trainer");
        let spec = default_spec(self.height(), steps, seed);
        self.submit(&trainer, &spec).expect("submit").0
    }

    pub fn submit_with(
        &mut self,
        trainer: &Addr,
        spec: &JobSpec,
        budget: u128,
    ) -> Result<(u64, AppResponse)> {
        let msg = ExecuteMsg::SubmitJob { spec: spec.clone() };
        let res = self.exec_market(trainer, &msg, budget)?;
        let id = crate::attr(&res, "job_id")
            .ok_or_else(|| anyhow!("no job_id"))?
            .parse()?;
        Ok((id, res))
    }

    #[track_caller]
    pub fn job(&self, id: u64) -> JobResponse {
        self.query_market(&mkt::QueryMsg::Job { job_id: id })
    }

    /// The prover of job `id` and its stake now.
    #[track_caller]
    pub fn prover_of(&self, id: u64) -> (Addr, Uint128) {
        let prover = self.job(id).prover.expect("an assigned job");
        let stake = self.provider(&prover).stake;
        (prover, stake)
    }

    #[track_caller]
    pub fn round(&self, id: u64) -> RoundResponse {
        self.query_market(&mkt::QueryMsg::Round { job_id: id })
    }

    #[track_caller]
    pub fn market_totals(&self) -> TotalsResponse {
        self.query_market(&mkt::QueryMsg::Totals {})
    }

    pub fn market_provider(&self, who: &Addr) -> Result<ProviderEntryResponse> {
        let address = who.to_string();
        self.query(&self.market_addr(), &mkt::QueryMsg::Provider { address })
    }

    #[track_caller]
    pub fn rewards_record(&self) -> RewardsRecord {
        self.query(&self.market().rewards, &RewardsQuery::Record {})
            .expect("rewards record")
    }

    #[track_caller]
    pub fn jobs_page(&self, state: Option<JobState>, start_after: Option<u64>) -> Vec<JobResponse> {
        let limit = Some(MAX_LIMIT);
        let msg = mkt::QueryMsg::Jobs {
            state,
            start_after,
            limit,
        };
        let r: JobsResponse = self.query_market(&msg);
        r.jobs
    }

    #[track_caller]
    pub fn all_jobs(&self, state: Option<JobState>) -> Vec<JobResponse> {
        paginate(|after| Ok(self.jobs_page(state, after)), |j| j.id)
    }

    pub fn run_scheduler(&mut self, limit: Option<u32>) -> Result<AppResponse> {
        let a = self.addr("cranker");
        self.exec_market(&a, &ExecuteMsg::RunScheduler { limit }, 0)
    }

    pub fn process_timeouts(&mut self) -> Result<AppResponse> {
        let a = self.addr("cranker");
        self.exec_market(&a, &ExecuteMsg::ProcessTimeouts { limit: None }, 0)
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
        self.bank_send(from, &m, amount);
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
}
