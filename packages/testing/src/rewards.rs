//! The rewards contract in the suite (protocol.md section 8):
//! `SuiteBuilder::rewards(setup)` instantiates it with a funded emission
//! reserve, wires it into staking (so `ConsumeFines` works) and points it at
//! staking and at a reputation contract. Alone, the marketplace is the plain
//! `marketplace` account, which calls `RecordWork` / `RecordJob` itself;
//! with `SuiteBuilder::marketplace` too, it is the real marketplace contract
//! (wired to the real rewards contract: all four contracts together).
//!
//! With `RewardsSetup::scoreboard`, the rewards contract reads `Rep` from a
//! stand-in reputation contract whose scores the test sets per provider
//! (`Suite::set_score`); staking keeps the suite's own reputation contract.

use anyhow::{anyhow, Result};
use cosmwasm_std::{
    coins, to_json_binary, Addr, Binary, Coin, CosmosMsg, Decimal, Deps, DepsMut, Empty, Env,
    MessageInfo, QueryRequest, Response, StdError, StdResult, Uint128, WasmMsg, WasmQuery,
};
use cw_multi_test::{AppResponse, ContractWrapper, Executor};
use cw_storage_plus::Map;
use impulse_types::common::MAX_LIMIT;
use impulse_types::reputation::{QueryMsg as RepQuery, ScoreResponse};
use impulse_types::rewards::{
    self as rw, ClaimableResponse, CurrentEpochResponse, EpochResponse, EpochsResponse, JobOutcome,
    RewardsParams, ShareResponse, TotalsResponse, WorkRole,
};
use impulse_types::staking as stk;
use serde::{Deserialize, Serialize};

use crate::{Suite, SuiteBuilder, DENOM, START_BALANCE};

pub use crate::contracts::rewards as rewards_contract;

/// How the suite sets up the rewards contract.
#[derive(Clone, Debug)]
pub struct RewardsSetup {
    pub params: RewardsParams,
    /// Sent with instantiate: the initial emission reserve.
    pub reserve: u128,
    /// Read `Rep` from a scoreboard the test sets (`Suite::set_score`)
    /// instead of the suite's reputation contract.
    pub scoreboard: bool,
}

impl Default for RewardsSetup {
    fn default() -> Self {
        RewardsSetup {
            params: RewardsParams::default(),
            reserve: 100_000_000_000,
            scoreboard: true,
        }
    }
}

impl SuiteBuilder {
    /// Add the real rewards contract (see the module docs).
    pub fn rewards(mut self, setup: RewardsSetup) -> Self {
        self.rewards = Some(setup);
        self
    }
}

// ------------------------------------------------------------ scoreboard

/// Stand-in reputation contract: `Score` answers what `SetScore` stored
/// (0 for a provider never set); every other execute is accepted.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum ScoreboardMsg {
    SetScore { provider: String, score: Decimal },
}

const SCORES: Map<&str, Decimal> = Map::new("scores");

fn sb_instantiate(_: DepsMut, _: Env, _: MessageInfo, _: Empty) -> StdResult<Response> {
    Ok(Response::new())
}

fn sb_execute(
    deps: DepsMut,
    _: Env,
    _: MessageInfo,
    msg: serde_json::Value,
) -> StdResult<Response> {
    if let Ok(ScoreboardMsg::SetScore { provider, score }) = serde_json::from_value(msg) {
        SCORES.save(deps.storage, &provider, &score)?;
    }
    Ok(Response::new())
}

fn sb_query(deps: Deps, _: Env, msg: RepQuery) -> StdResult<Binary> {
    match msg {
        RepQuery::Score { provider } => to_json_binary(&ScoreResponse {
            score: SCORES
                .may_load(deps.storage, &provider)?
                .unwrap_or_default(),
        }),
        _ => Err(StdError::msg("scoreboard: only Score")),
    }
}

/// Everything the rewards contract shows of its state, to compare before
/// and after a message that must change nothing.
#[derive(Clone, Debug, PartialEq)]
pub struct RewardsSnapshot {
    pub config: rw::ConfigResponse,
    pub totals: TotalsResponse,
    pub current: CurrentEpochResponse,
    pub epochs: Vec<EpochResponse>,
    pub claimable: Vec<ClaimableResponse>,
    pub balance: u128,
}

/// Instantiate the rewards contract and wire it (called by `build`).
#[track_caller]
pub(crate) fn install(s: &mut Suite, setup: RewardsSetup) {
    let gov = s.gov.clone();
    let market = s.marketplace.clone();
    s.mint(&gov, START_BALANCE + setup.reserve, DENOM);
    if s.market.is_none() {
        // The plain account pays the fees of `record_job` itself.
        s.mint(&market, START_BALANCE, DENOM);
    }
    let rep = if setup.scoreboard {
        let code = s
            .app
            .store_code(Box::new(ContractWrapper::<_, _, _, _, _, _, Empty>::new(
                sb_execute,
                sb_instantiate,
                sb_query,
            )));
        let sb = s
            .app
            .instantiate_contract(code, gov.clone(), &Empty {}, &[], "scoreboard", None)
            .expect("instantiate scoreboard");
        s.scoreboard = Some(sb.clone());
        Some(sb)
    } else {
        s.reputation.clone()
    };
    let code = s.app.store_code(rewards_contract());
    let funds = if setup.reserve == 0 {
        vec![]
    } else {
        coins(setup.reserve, DENOM)
    };
    let rewards = s
        .app
        .instantiate_contract(
            code,
            gov.clone(),
            &rw::InstantiateMsg {
                governance: gov.to_string(),
                staking: Some(s.staking.to_string()),
                reputation: rep.map(|r| r.to_string()),
                marketplace: Some(market.to_string()),
                params: Some(setup.params),
            },
            &funds,
            "impulse-rewards",
            Some(gov.to_string()),
        )
        .expect("instantiate rewards");
    s.app
        .execute_contract(
            gov,
            s.staking.clone(),
            &stk::ExecuteMsg::SetContracts {
                marketplace: None,
                reputation: None,
                rewards: Some(rewards.to_string()),
            },
            &[],
        )
        .expect("wire rewards into staking");
    if let Some(contract) = s.market.as_ref().map(|m| m.contract.clone()) {
        s.app
            .execute_contract(
                s.gov.clone(),
                contract,
                &impulse_types::marketplace::ExecuteMsg::SetContracts {
                    staking: None,
                    reputation: None,
                    rewards: Some(rewards.to_string()),
                },
                &[],
            )
            .expect("wire rewards into the marketplace");
        if let Some(m) = s.market.as_mut() {
            m.rewards = rewards.clone();
            m.rewards_kind = crate::market::RewardsKind::Real;
        }
    }
    s.rewards = rewards;
    s.rewards_code = Some(code);
    s.real_rewards = true;
}

impl Suite {
    pub fn exec_rewards(
        &mut self,
        sender: &Addr,
        msg: &rw::ExecuteMsg,
        funds: u128,
    ) -> Result<AppResponse> {
        let funds = if funds == 0 {
            vec![]
        } else {
            coins(funds, DENOM)
        };
        self.exec_rewards_coins(sender, msg, &funds)
    }

    pub fn exec_rewards_coins(
        &mut self,
        sender: &Addr,
        msg: &rw::ExecuteMsg,
        funds: &[Coin],
    ) -> Result<AppResponse> {
        self.app
            .execute_contract(sender.clone(), self.rewards.clone(), msg, funds)
            .map_err(|e| anyhow!("{e}"))
    }

    /// Execute raw bytes (not necessarily JSON) on the rewards contract.
    pub fn exec_rewards_raw(
        &mut self,
        sender: &Addr,
        msg: impl Into<Binary>,
    ) -> Result<AppResponse> {
        let msg: CosmosMsg = WasmMsg::Execute {
            contract_addr: self.rewards.to_string(),
            msg: msg.into(),
            funds: vec![],
        }
        .into();
        self.app
            .execute(sender.clone(), msg)
            .map_err(|e| anyhow!("{e}"))
    }

    /// Query the rewards contract with raw bytes.
    pub fn query_rewards_raw(&self, msg: impl Into<Binary>) -> Result<serde_json::Value> {
        self.app
            .wrap()
            .query(&QueryRequest::Wasm(WasmQuery::Smart {
                contract_addr: self.rewards.to_string(),
                msg: msg.into(),
            }))
            .map_err(|e| anyhow!("{e}"))
    }

    pub fn sudo_rewards(&mut self, msg: &rw::SudoMsg) -> Result<AppResponse> {
        self.app
            .wasm_sudo(self.rewards.clone(), msg)
            .map_err(|e| anyhow!("{e}"))
    }

    /// Set the `Rep` the rewards contract reads for `who` (scoreboard only).
    #[track_caller]
    pub fn set_score(&mut self, who: &Addr, score: Decimal) {
        let sb = self
            .scoreboard
            .clone()
            .expect("suite built with a scoreboard");
        self.app
            .execute_contract(
                self.gov.clone(),
                sb,
                &ScoreboardMsg::SetScore {
                    provider: who.to_string(),
                    score,
                },
                &[],
            )
            .expect("set score");
    }

    /// `RecordWork` from the marketplace account, carrying fees so large
    /// that the reward cap never binds (the share arithmetic alone).
    pub fn record_work(
        &mut self,
        who: &Addr,
        role: WorkRole,
        contribution: u128,
    ) -> Result<AppResponse> {
        self.record_work_with_fee(who, role, contribution, u128::MAX / 4)
    }

    /// `RecordWork` whose work carried `fee` of its job's protocol fee.
    pub fn record_work_with_fee(
        &mut self,
        who: &Addr,
        role: WorkRole,
        contribution: u128,
        fee: u128,
    ) -> Result<AppResponse> {
        let m = self.marketplace.clone();
        self.exec_rewards(
            &m,
            &rw::ExecuteMsg::RecordWork {
                provider: who.to_string(),
                role,
                contribution: Uint128::new(contribution),
                fee: Uint128::new(fee),
            },
            0,
        )
    }

    /// `RecordJob` from the marketplace account, sending `to_pool + to_vault`.
    pub fn record_job(
        &mut self,
        job_id: u64,
        outcome: JobOutcome,
        to_pool: u128,
        to_vault: u128,
    ) -> Result<AppResponse> {
        let m = self.marketplace.clone();
        self.exec_rewards(
            &m,
            &rw::ExecuteMsg::RecordJob {
                job_id,
                outcome,
                to_pool: Uint128::new(to_pool),
                to_vault: Uint128::new(to_vault),
            },
            to_pool + to_vault,
        )
    }

    pub fn close_epoch(&mut self, caller: &Addr) -> Result<AppResponse> {
        self.exec_rewards(caller, &rw::ExecuteMsg::CloseEpoch {}, 0)
    }

    pub fn fund_reserve(&mut self, from: &Addr, amount: u128) -> Result<AppResponse> {
        self.exec_rewards(from, &rw::ExecuteMsg::FundReserve {}, amount)
    }

    pub fn claim_rewards(
        &mut self,
        who: &Addr,
        epochs: Option<Vec<u64>>,
        limit: Option<u32>,
    ) -> Result<AppResponse> {
        self.exec_rewards(who, &rw::ExecuteMsg::Claim { epochs, limit }, 0)
    }

    /// `Claim` as `who`, checked against what `Claimable` promised just
    /// before: the `amount` attribute is the sum of the promised entries of
    /// the epochs paid, `who` received it less the `fined` part, the vault
    /// grew by at least the fine, and no paid share is left. Returns
    /// `(epochs paid, amount, fined)`.
    pub fn claim_rewards_checked(
        &mut self,
        who: &Addr,
        epochs: Option<Vec<u64>>,
        limit: Option<u32>,
    ) -> Result<(Vec<u64>, u128, u128)> {
        let owed = self.claimable(who).entries;
        let before = self.balance(who);
        let vault = self.rewards_totals().vault;
        let res = self.claim_rewards(who, epochs, limit)?;
        let paid_epochs: Vec<u64> = crate::attr(&res, "epochs")
            .ok_or_else(|| anyhow!("claim without an epochs attribute"))?
            .split(',')
            .filter(|x| !x.is_empty())
            .map(|x| x.parse())
            .collect::<Result<_, _>>()?;
        let promised: u128 = owed
            .iter()
            .filter(|e| paid_epochs.contains(&e.epoch))
            .map(|e| e.amount.u128())
            .sum();
        let amount: u128 = crate::attr(&res, "amount")
            .ok_or_else(|| anyhow!("claim without an amount attribute"))?
            .parse()?;
        assert_eq!(amount, promised, "claim pays what Claimable promised");
        let fined: u128 = match crate::attr(&res, "fined") {
            Some(f) => f.parse()?,
            None => 0,
        };
        assert_eq!(
            self.balance(who) - before + fined,
            amount,
            "received + fined != amount"
        );
        assert!(self.rewards_totals().vault.u128() >= vault.u128() + fined);
        for e in &paid_epochs {
            assert!(!self.share(who, *e).exists, "a paid share is gone");
        }
        Ok((paid_epochs, amount, fined))
    }

    pub fn spend_vault(&mut self, caller: &Addr, to: &Addr, amount: u128) -> Result<AppResponse> {
        self.exec_rewards(
            caller,
            &rw::ExecuteMsg::SpendVault {
                to: to.to_string(),
                amount: Uint128::new(amount),
            },
            0,
        )
    }

    /// Move to the first block of the next epoch.
    pub fn next_epoch(&mut self) {
        let end = self.current_epoch().end_height;
        let now = self.height();
        self.advance(end - now);
    }

    /// Send tokens to the rewards contract by plain bank transfer.
    #[track_caller]
    pub fn donate_rewards(&mut self, from: &Addr, amount: u128) {
        self.app
            .send_tokens(from.clone(), self.rewards.clone(), &coins(amount, DENOM))
            .expect("bank send");
        self.rewards_donations += Uint128::new(amount);
    }

    fn query_rewards<T: serde::de::DeserializeOwned>(&self, msg: &rw::QueryMsg) -> Result<T> {
        self.app
            .wrap()
            .query_wasm_smart(&self.rewards, msg)
            .map_err(|e| anyhow!("{e}"))
    }

    #[track_caller]
    pub fn rewards_totals(&self) -> TotalsResponse {
        self.query_rewards(&rw::QueryMsg::Totals {})
            .expect("totals")
    }

    #[track_caller]
    pub fn rewards_config(&self) -> rw::ConfigResponse {
        self.query_rewards(&rw::QueryMsg::Config {})
            .expect("config")
    }

    #[track_caller]
    pub fn current_epoch(&self) -> CurrentEpochResponse {
        self.query_rewards(&rw::QueryMsg::CurrentEpoch {})
            .expect("current epoch")
    }

    pub fn epoch_record(&self, epoch: u64) -> Result<EpochResponse> {
        self.query_rewards(&rw::QueryMsg::Epoch { epoch })
    }

    pub fn epochs_page(
        &self,
        start_after: Option<u64>,
        limit: Option<u32>,
    ) -> Result<Vec<EpochResponse>> {
        let r: EpochsResponse = self.query_rewards(&rw::QueryMsg::Epochs { start_after, limit })?;
        Ok(r.epochs)
    }

    /// Every closed epoch (including one that closes at the next message),
    /// walking the paginated `Epochs` query.
    #[track_caller]
    pub fn all_epochs(&self) -> Vec<EpochResponse> {
        let mut out: Vec<EpochResponse> = vec![];
        loop {
            let page = self
                .epochs_page(out.last().map(|e| e.epoch), Some(MAX_LIMIT))
                .expect("epochs query");
            let done = page.len() < MAX_LIMIT as usize;
            out.extend(page);
            if done {
                return out;
            }
        }
    }

    #[track_caller]
    pub fn share(&self, who: &Addr, epoch: u64) -> ShareResponse {
        self.query_rewards(&rw::QueryMsg::Share {
            provider: who.to_string(),
            epoch,
        })
        .expect("share")
    }

    pub fn claimable_page(
        &self,
        who: &Addr,
        start_after: Option<u64>,
        limit: Option<u32>,
    ) -> Result<ClaimableResponse> {
        self.query_rewards(&rw::QueryMsg::Claimable {
            provider: who.to_string(),
            start_after,
            limit,
        })
    }

    /// Everything `who` can claim in closed epochs (all pages).
    #[track_caller]
    pub fn claimable(&self, who: &Addr) -> ClaimableResponse {
        let mut out = ClaimableResponse {
            entries: vec![],
            total: Uint128::zero(),
        };
        loop {
            let page = self
                .claimable_page(who, out.entries.last().map(|e| e.epoch), Some(MAX_LIMIT))
                .expect("claimable query");
            let done = page.entries.len() < MAX_LIMIT as usize;
            out.total += page.total;
            out.entries.extend(page.entries);
            if done {
                return out;
            }
        }
    }

    /// Config, totals, the open epoch, every closed epoch, what each known
    /// account can claim, and the contract balance.
    #[track_caller]
    pub fn rewards_snapshot(&self) -> RewardsSnapshot {
        RewardsSnapshot {
            config: self.rewards_config(),
            totals: self.rewards_totals(),
            current: self.current_epoch(),
            epochs: self.all_epochs(),
            claimable: self.accounts.iter().map(|a| self.claimable(a)).collect(),
            balance: self.balance(&self.rewards),
        }
    }

    /// Like `rejects`, for the rewards contract: `f` must fail with an error
    /// containing `expected` and change nothing in either contract.
    #[track_caller]
    pub fn rewards_rejects<T: std::fmt::Debug>(
        &mut self,
        f: impl FnOnce(&mut Suite) -> Result<T>,
        expected: impl std::fmt::Display,
    ) {
        let before = (self.rewards_snapshot(), self.snapshot());
        let res = f(self);
        crate::assert_err(res, expected);
        assert_eq!(
            (self.rewards_snapshot(), self.snapshot()),
            before,
            "a failed message changed state"
        );
        self.assert_invariant();
    }

    /// The rewards contract holds exactly what it owes (plus donations):
    /// - balance == reserve + current pool + unclaimed + vault + donations;
    /// - `unclaimed` is what the closed epochs' cohort pools still owe, and
    ///   no epoch paid more than its pools; every record's pool splits
    ///   exactly into providers + verifiers + vault;
    /// - everything claimed was either paid or fined;
    /// - funded == reserve + issued; issuance never exceeded the reserve;
    /// - what the known accounts can claim fits in `unclaimed`.
    #[track_caller]
    pub fn assert_rewards_invariant(&self) {
        let t = self.rewards_totals();
        let held = Uint128::new(self.balance(&self.rewards));
        let owed = t.reserve + t.current_pool + t.unclaimed + t.vault + self.rewards_donations;
        assert_eq!(
            held, owed,
            "rewards balance {held} != reserve {} + current pool {} + unclaimed {} + vault {} + donations {}",
            t.reserve, t.current_pool, t.unclaimed, t.vault, self.rewards_donations
        );
        // Capped shares return what they could not pay to the reserve.
        assert_eq!(
            t.funded + t.returned,
            t.reserve + t.issued,
            "funded + returned != reserve + issued"
        );

        // Stored records only: a record that is due but not yet closed has
        // not moved anything in the totals.
        let mut owed_by_epochs = Uint128::zero();
        let mut claimed = Uint128::zero();
        let mut issued = Uint128::zero();
        for e in self.all_epochs() {
            assert_eq!(
                e.providers_pool + e.verifiers_pool + e.to_vault,
                e.pool,
                "epoch {} pool does not split exactly",
                e.epoch
            );
            assert!(
                e.multiplier <= Decimal::one(),
                "multiplier {} > 1",
                e.multiplier
            );
            assert!(
                e.claimed + e.dust <= e.providers_pool + e.verifiers_pool,
                "epoch {} settled {} + dust {} of pools {}",
                e.epoch,
                e.claimed,
                e.dust,
                e.providers_pool + e.verifiers_pool
            );
            if self.epoch_is_stored(e.epoch) {
                owed_by_epochs += e.providers_pool + e.verifiers_pool - e.claimed - e.dust;
                claimed += e.claimed;
                issued += e.issuance;
            }
        }
        assert_eq!(owed_by_epochs, t.unclaimed, "epoch pools owed != unclaimed");
        assert_eq!(
            claimed,
            t.paid + t.fined + t.returned,
            "claimed != paid + fined + returned"
        );
        assert_eq!(issued, t.issued, "sum of issuance != issued");

        let mut claimable = Uint128::zero();
        for a in &self.accounts {
            claimable += self.claimable(a).total;
        }
        // Claimable includes epochs that close lazily at the next message.
        let pending: Uint128 = self
            .all_epochs()
            .iter()
            .filter(|e| !self.epoch_is_stored(e.epoch))
            .map(|e| e.providers_pool + e.verifiers_pool)
            .sum();
        assert!(
            claimable <= t.unclaimed + pending,
            "claimable {claimable} > unclaimed {} + pending {pending}",
            t.unclaimed
        );
    }

    /// Whether epoch `id`'s record is in storage (not just due to close).
    fn epoch_is_stored(&self, id: u64) -> bool {
        // The contract stores records under "epochs" keyed by big-endian id.
        let mut key = Vec::with_capacity(2 + 6 + 8);
        key.extend_from_slice(&(6u16).to_be_bytes());
        key.extend_from_slice(b"epochs");
        key.extend_from_slice(&id.to_be_bytes());
        self.app
            .wrap()
            .query_wasm_raw(self.rewards.to_string(), key)
            .ok()
            .flatten()
            .is_some()
    }
}
