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
    to_json_binary, Addr, Binary, Decimal, Deps, DepsMut, Empty, Env, MessageInfo, Response,
    StdError, StdResult, Uint128,
};
use cw_multi_test::{AppResponse, ContractWrapper};
use cw_storage_plus::Map;
use impulse_types::common::MAX_LIMIT;
use impulse_types::reputation::{QueryMsg as RepQuery, ScoreResponse};
use impulse_types::rewards::{
    self as rw, ClaimableResponse, CurrentEpochResponse, EpochResponse, EpochsResponse, JobOutcome,
    RewardsParams, ShareResponse, TotalsResponse, WorkRole,
};
use impulse_types::staking as stk;
use serde::{Deserialize, Serialize};

use crate::app::paginate;
use crate::app::{deploy, entry_points, funds, govern};
use crate::fixtures::{self, Wiring};
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

impl RewardsSetup {
    /// The default setup with reward epochs of `epoch_blocks` blocks.
    pub fn with_epoch_blocks(epoch_blocks: u64) -> Self {
        RewardsSetup {
            params: RewardsParams {
                epoch_blocks,
                ..RewardsParams::default()
            },
            ..RewardsSetup::default()
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
    pub balance: u128,
    pub config: rw::ConfigResponse,
    pub totals: TotalsResponse,
    pub current: CurrentEpochResponse,
    pub epochs: Vec<EpochResponse>,
    pub claimable: Vec<ClaimableResponse>,
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
        let scoreboard = Box::new(ContractWrapper::<_, _, _, _, _, _, Empty>::new(
            sb_execute,
            sb_instantiate,
            sb_query,
        ));
        let (_, sb) = deploy(&mut s.app, scoreboard, &gov, &Empty {}, &[], "scoreboard");
        s.scoreboard = Some(sb.clone());
        Some(sb)
    } else {
        s.reputation.clone()
    };
    let wiring = Wiring {
        staking: Some(s.staking.to_string()),
        reputation: rep.map(|r| r.to_string()),
        marketplace: Some(market.to_string()),
        ..Wiring::governed_by(&gov)
    };
    let msg = wiring.rewards(Some(setup.params));
    let reserve = funds(setup.reserve);
    let (code, rewards) = deploy(
        &mut s.app,
        rewards_contract(),
        &gov,
        &msg,
        &reserve,
        "impulse-rewards",
    );
    let wire = stk::ExecuteMsg::SetContracts {
        marketplace: None,
        reputation: None,
        rewards: Some(rewards.to_string()),
    };
    govern(
        &mut s.app,
        &gov,
        &s.staking,
        &wire,
        "wire rewards into staking",
    );
    if let Some(m) = s.market.as_mut() {
        let wire = impulse_types::marketplace::ExecuteMsg::SetContracts {
            staking: None,
            reputation: None,
            rewards: Some(rewards.to_string()),
        };
        govern(
            &mut s.app,
            &gov,
            &m.contract,
            &wire,
            "wire rewards into the marketplace",
        );
        m.rewards = rewards.clone();
        m.rewards_kind = crate::market::RewardsKind::Real;
    }
    s.rewards = rewards;
    s.rewards_code = Some(code);
    s.real_rewards = true;
}

entry_points!(
    "rewards",
    rewards,
    rw,
    exec_rewards,
    exec_rewards_coins,
    exec_rewards_raw,
    query_rewards_raw,
    sudo_rewards
);

impl Suite {
    /// Set the `Rep` the rewards contract reads for `who` (scoreboard only).
    #[track_caller]
    pub fn set_score(&mut self, who: &Addr, score: Decimal) {
        let sb = self
            .scoreboard
            .clone()
            .expect("suite built with a scoreboard");
        let provider = who.to_string();
        let msg = ScoreboardMsg::SetScore { provider, score };
        govern(&mut self.app, &self.gov, &sb, &msg, "set score");
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
        let msg = fixtures::record_work(who.as_str(), role, contribution, fee);
        self.exec_rewards(&m, &msg, 0)
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
        let msg = fixtures::record_job(job_id, outcome, to_pool, to_vault);
        self.exec_rewards(&m, &msg, to_pool + to_vault)
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

    /// Claim in pages of 100 epochs until `who` has nothing left to claim
    /// (each claim checked against `Claimable` when `checked`); the
    /// invariant holds after every claim.
    pub fn claim_all(&mut self, who: &Addr, checked: bool) -> Result<()> {
        while !self.claimable(who).entries.is_empty() {
            if checked {
                self.claim_rewards_checked(who, None, Some(100))?;
            } else {
                self.claim_rewards(who, None, Some(100))?;
            }
            self.assert_invariant();
        }
        Ok(())
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
        let rewards = self.rewards.clone();
        self.bank_send(from, &rewards, amount);
        self.rewards_donations += Uint128::new(amount);
    }

    fn query_rewards<T: serde::de::DeserializeOwned>(&self, msg: &rw::QueryMsg) -> Result<T> {
        self.query(&self.rewards, msg)
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
        paginate(
            |after| self.epochs_page(after, Some(MAX_LIMIT)),
            |e| e.epoch,
        )
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
        self.rejects_unchanged(|s| (s.rewards_snapshot(), s.snapshot()), f, expected);
    }
}
