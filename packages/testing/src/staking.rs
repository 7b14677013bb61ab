//! The staking vault in the suite (protocol.md section 2): one helper per
//! message (the marketplace's `LockForJob`, `ReleaseJob` and `Slash` are sent
//! from `Suite::marketplace`), the queries, and `rejects`, which proves that
//! a failed message changed nothing.

use anyhow::{anyhow, Result};
use cosmwasm_std::{Addr, Decimal, Uint128};
use cw_multi_test::AppResponse;
use impulse_types::common::MAX_LIMIT;
use impulse_types::reputation::{self as rep, ReputationResponse, ScoreResponse};
use impulse_types::staking::{
    self as stk, ProviderResponse, ProvidersResponse, SlashKind, TotalsResponse, UnbondingResponse,
};
use impulse_types::{Backend, Capacity};

use crate::app::entry_points;
use crate::fixtures::{self, capacity};
use crate::{Outcome, Suite};

/// What the staking contract shows of its state, to compare before and after
/// a message that must change nothing.
#[derive(Clone, Debug, PartialEq)]
pub struct StakingSnapshot {
    pub config: stk::ConfigResponse,
    pub totals: TotalsResponse,
    pub providers: Vec<ProviderResponse>,
    pub balance: u128,
}

/// The staking contract's answer about an address that is no provider.
pub fn not_found(who: &Addr) -> impulse_staking::ContractError {
    impulse_staking::ContractError::ProviderNotFound {
        address: who.to_string(),
    }
}

pub use crate::app::paginate;

entry_points!(
    "staking",
    staking,
    stk,
    exec_staking,
    exec_staking_coins,
    exec_staking_raw,
    query_staking_raw,
    sudo_staking
);

impl Suite {
    /// A message to staking from the account (or contract) playing the
    /// marketplace.
    fn as_marketplace(&mut self, msg: &stk::ExecuteMsg) -> Result<AppResponse> {
        let m = self.marketplace.clone();
        self.exec_staking(&m, msg, 0)
    }

    /// The account `name`, registered as a provider with `stake` (the
    /// default details of `register`); the invariant holds afterwards.
    #[track_caller]
    pub fn registered(&mut self, name: &str, stake: u128) -> Addr {
        let a = self.addr(name);
        self.register(&a, stake).must(self);
        a
    }

    pub fn register(&mut self, who: &Addr, stake: u128) -> Result<AppResponse> {
        self.register_with(who, stake, Backend::Cpu, capacity(), 10)
    }

    pub fn register_with(
        &mut self,
        who: &Addr,
        stake: u128,
        backend: Backend,
        capacity: Capacity,
        price: u128,
    ) -> Result<AppResponse> {
        let msg = fixtures::register(capacity, backend, price, fixtures::ENDPOINT);
        self.exec_staking(who, &msg, stake)
    }

    pub fn stake(&mut self, who: &Addr, amount: u128) -> Result<AppResponse> {
        self.exec_staking(who, &stk::ExecuteMsg::Stake {}, amount)
    }

    pub fn unstake(&mut self, who: &Addr, amount: u128) -> Result<AppResponse> {
        let amount = Uint128::new(amount);
        self.exec_staking(who, &stk::ExecuteMsg::Unstake { amount }, 0)
    }

    pub fn claim(&mut self, who: &Addr) -> Result<AppResponse> {
        self.exec_staking(who, &stk::ExecuteMsg::Claim {}, 0)
    }

    pub fn heartbeat(&mut self, who: &Addr) -> Result<AppResponse> {
        self.exec_staking(who, &stk::ExecuteMsg::Heartbeat {}, 0)
    }

    pub fn report_missed(&mut self, caller: &Addr, who: &Addr) -> Result<AppResponse> {
        let provider = who.to_string();
        let msg = stk::ExecuteMsg::ReportMissedHeartbeats { provider };
        self.exec_staking(caller, &msg, 0)
    }

    /// `ConsumeFines` as `caller`; on success, the data it returned.
    pub fn consume_fines(
        &mut self,
        caller: &Addr,
        who: &Addr,
    ) -> Result<stk::ConsumeFinesResponse> {
        let provider = who.to_string();
        let res = self.exec_staking(caller, &stk::ExecuteMsg::ConsumeFines { provider }, 0)?;
        let data = res
            .data
            .ok_or_else(|| anyhow!("ConsumeFines returned no data"))?;
        cosmwasm_std::from_json(data).map_err(|e| anyhow!("{e}"))
    }

    pub fn lock_for_job(&mut self, who: &Addr, job_id: u64) -> Result<AppResponse> {
        self.lock_for_job_with(who, job_id, fixtures::job_need())
    }

    pub fn lock_for_job_with(
        &mut self,
        who: &Addr,
        job_id: u64,
        need: Capacity,
    ) -> Result<AppResponse> {
        let provider = who.to_string();
        self.as_marketplace(&stk::ExecuteMsg::LockForJob {
            provider,
            job_id,
            need,
        })
    }

    pub fn release_job(&mut self, who: &Addr, job_id: u64) -> Result<AppResponse> {
        let provider = who.to_string();
        self.as_marketplace(&stk::ExecuteMsg::ReleaseJob { provider, job_id })
    }

    pub fn slash_fraud(
        &mut self,
        who: &Addr,
        evidence: &str,
        committee: &[&Addr],
    ) -> Result<AppResponse> {
        let honest_committee = committee.iter().map(|a| a.to_string()).collect();
        self.slash(who, evidence, SlashKind::Fraud { honest_committee })
    }

    pub fn slash_benign(
        &mut self,
        who: &Addr,
        evidence: &str,
        job_id: u64,
        compute_cost: u128,
    ) -> Result<AppResponse> {
        let compute_cost = Uint128::new(compute_cost);
        self.slash(
            who,
            evidence,
            SlashKind::Benign {
                job_id,
                compute_cost,
            },
        )
    }

    fn slash(&mut self, who: &Addr, evidence: &str, kind: SlashKind) -> Result<AppResponse> {
        self.as_marketplace(&stk::ExecuteMsg::Slash {
            provider: who.to_string(),
            evidence: evidence.to_string(),
            kind,
        })
    }

    #[track_caller]
    pub fn provider(&self, who: &Addr) -> ProviderResponse {
        self.try_provider(who).expect("provider query")
    }

    pub fn try_provider(&self, who: &Addr) -> Result<ProviderResponse> {
        let address = who.to_string();
        self.query(&self.staking, &stk::QueryMsg::Provider { address })
    }

    pub fn providers_page(
        &self,
        start_after: Option<&Addr>,
        limit: Option<u32>,
    ) -> Result<Vec<ProviderResponse>> {
        let start_after = start_after.map(|a| a.to_string());
        let msg = stk::QueryMsg::Providers { start_after, limit };
        let r: ProvidersResponse = self.query(&self.staking, &msg)?;
        Ok(r.providers)
    }

    /// Every provider, walking the paginated `Providers` query.
    #[track_caller]
    pub fn all_providers(&self) -> Vec<ProviderResponse> {
        paginate(
            |after: Option<Addr>| self.providers_page(after.as_ref(), Some(MAX_LIMIT)),
            |p| p.address.clone(),
        )
    }

    pub fn try_unbonding(&self, who: &Addr) -> Result<UnbondingResponse> {
        let address = who.to_string();
        self.query(&self.staking, &stk::QueryMsg::Unbonding { address })
    }

    #[track_caller]
    pub fn unbonding(&self, who: &Addr) -> UnbondingResponse {
        self.try_unbonding(who).expect("unbonding query")
    }

    #[track_caller]
    pub fn totals(&self) -> TotalsResponse {
        self.query(&self.staking, &stk::QueryMsg::Totals {})
            .expect("totals query")
    }

    #[track_caller]
    pub fn staking_config(&self) -> stk::ConfigResponse {
        self.query(&self.staking, &stk::QueryMsg::Config {})
            .expect("config query")
    }

    /// Config, totals, every provider and the contract balance.
    #[track_caller]
    pub fn snapshot(&self) -> StakingSnapshot {
        StakingSnapshot {
            config: self.staking_config(),
            totals: self.totals(),
            providers: self.all_providers(),
            balance: self.balance(&self.staking),
        }
    }

    pub fn reputation_of(&self, who: &Addr) -> Result<ReputationResponse> {
        let r = self
            .reputation
            .as_ref()
            .ok_or_else(|| anyhow!("no reputation contract"))?;
        let provider = who.to_string();
        self.query(r, &rep::QueryMsg::Reputation { provider })
    }

    #[track_caller]
    pub fn score(&self, who: &Addr) -> Decimal {
        let r = self.reputation.as_ref().expect("reputation contract");
        let provider = who.to_string();
        let s: ScoreResponse = self
            .query(r, &rep::QueryMsg::Score { provider })
            .expect("score query");
        s.score
    }

    /// Send tokens to the staking contract by plain bank transfer.
    #[track_caller]
    pub fn donate(&mut self, from: &Addr, amount: u128) {
        let staking = self.staking.clone();
        self.bank_send(from, &staking, amount);
        self.donations += Uint128::new(amount);
    }

    /// Run `f`, which must fail with an error containing `expected`, and
    /// check that it changed nothing (config, totals, every provider, the
    /// contract balance) and that the invariant still holds.
    #[track_caller]
    pub fn rejects<T: std::fmt::Debug>(
        &mut self,
        f: impl FnOnce(&mut Suite) -> Result<T>,
        expected: impl std::fmt::Display,
    ) {
        self.rejects_unchanged(Suite::snapshot, f, expected);
    }
}
