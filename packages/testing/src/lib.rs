//! A suite builder over cw-multi-test for the Impulse contracts: it stores
//! and instantiates the real contract code wired together, funds accounts,
//! advances blocks, and checks the conservation invariant (protocol.md
//! section 4: contract balances equal everything they owe) on demand.
//!
//! Without `SuiteBuilder::marketplace`, a plain account named `marketplace`
//! plays its role (it is the configured caller of `LockForJob`,
//! `ReleaseJob` and `Slash`). `SuiteBuilder::marketplace().rewards(setup)`
//! wires all four contracts together (`Suite::is_four`).

pub mod analysis;
pub mod committees;
pub mod contracts;
pub mod market;
pub mod mock;
pub mod rewards;

use anyhow::{anyhow, Result};
use cosmwasm_std::{
    coins, Addr, Binary, Coin, CosmosMsg, Decimal, QueryRequest, Uint128, Uint256, WasmMsg,
    WasmQuery,
};
use cw_multi_test::{App, AppResponse, Executor};
use impulse_types::common::MAX_LIMIT;
use impulse_types::reputation::{self as rep, ReputationParams, ReputationResponse, ScoreResponse};
use impulse_types::staking::{
    self as stk, ProviderResponse, ProvidersResponse, SlashKind, StakingParams, TotalsResponse,
    UnbondingResponse,
};
use impulse_types::{Backend, Capacity, DEFAULT_DENOM};

pub const DENOM: &str = DEFAULT_DENOM;
/// What every named account starts with (enough for any test).
pub const START_BALANCE: u128 = 1_000_000_000_000_000;

pub use contracts::{reputation as reputation_contract, staking as staking_contract};

/// Which reputation contract the suite wires to staking.
#[derive(Clone, Debug)]
pub enum ReputationKind {
    /// The real contract.
    Real,
    /// A stub that answers `Score` with a fixed value and accepts updates.
    Fixed(Decimal),
    /// A stub whose every execute fails (a broken downstream contract).
    Failing,
    /// No reputation contract configured at all.
    None,
}

pub struct SuiteBuilder {
    staking_params: StakingParams,
    reputation_params: ReputationParams,
    reputation: ReputationKind,
    rewards: Option<rewards::RewardsSetup>,
    /// With `Some`, the real marketplace (and a mock rewards contract, or
    /// the real one when `rewards` is set too) is instantiated and wired in;
    /// see `market.rs`.
    market: Option<market::MarketOptions>,
}

impl Default for SuiteBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl SuiteBuilder {
    pub fn new() -> Self {
        SuiteBuilder {
            staking_params: StakingParams::default(),
            reputation_params: ReputationParams::default(),
            reputation: ReputationKind::Real,
            rewards: None,
            market: None,
        }
    }

    /// Instantiate the real marketplace contract (default parameters, a
    /// working mock rewards contract) instead of the plain `marketplace`
    /// account. Combined with `.rewards(setup)`, the real rewards contract
    /// takes the mock's place and all four contracts are wired together.
    pub fn marketplace(self) -> Self {
        self.marketplace_with(market::MarketOptions::default())
    }

    pub fn marketplace_with(mut self, opts: market::MarketOptions) -> Self {
        self.market = Some(opts);
        self
    }

    pub fn staking_params(mut self, f: impl FnOnce(&mut StakingParams)) -> Self {
        f(&mut self.staking_params);
        self
    }

    pub fn reputation_params(mut self, f: impl FnOnce(&mut ReputationParams)) -> Self {
        f(&mut self.reputation_params);
        self
    }

    pub fn reputation(mut self, kind: ReputationKind) -> Self {
        self.reputation = kind;
        self
    }

    #[track_caller]
    pub fn build(self) -> Suite {
        let mut app = App::default();
        let gov = app.api().addr_make("governance");
        let marketplace = app.api().addr_make("marketplace");
        let rewards = app.api().addr_make("rewards");

        let staking_code = app.store_code(staking_contract());
        let staking = app
            .instantiate_contract(
                staking_code,
                gov.clone(),
                &stk::InstantiateMsg {
                    governance: gov.to_string(),
                    marketplace: Some(marketplace.to_string()),
                    reputation: None,
                    rewards: Some(rewards.to_string()),
                    params: Some(self.staking_params),
                },
                &[],
                "impulse-staking",
                Some(gov.to_string()),
            )
            .expect("instantiate staking");

        let real_reputation = matches!(self.reputation, ReputationKind::Real);
        let reputation = match self.reputation {
            ReputationKind::Real => {
                let code = app.store_code(reputation_contract());
                Some(
                    app.instantiate_contract(
                        code,
                        gov.clone(),
                        &rep::InstantiateMsg {
                            governance: gov.to_string(),
                            staking: Some(staking.to_string()),
                            marketplace: Some(marketplace.to_string()),
                            params: Some(self.reputation_params),
                        },
                        &[],
                        "impulse-reputation",
                        Some(gov.to_string()),
                    )
                    .expect("instantiate reputation"),
                )
            }
            ReputationKind::Fixed(score) => {
                Some(mock::instantiate_reputation(&mut app, &gov, score, false))
            }
            ReputationKind::Failing => Some(mock::instantiate_reputation(
                &mut app,
                &gov,
                Decimal::zero(),
                true,
            )),
            ReputationKind::None => None,
        };
        if let Some(r) = &reputation {
            app.execute_contract(
                gov.clone(),
                staking.clone(),
                &stk::ExecuteMsg::SetContracts {
                    marketplace: None,
                    reputation: Some(r.to_string()),
                    rewards: None,
                },
                &[],
            )
            .expect("wire reputation into staking");
        }
        // With both `.marketplace()` and `.rewards(..)`, the real rewards
        // contract replaces the mock: the marketplace starts with none and is
        // wired to the real one once it exists (`rewards::install`).
        let four = self.market.is_some() && self.rewards.is_some();
        let (marketplace, rewards, market) = match self.market {
            None => (marketplace, rewards, None),
            Some(mut opts) => {
                if four {
                    opts.rewards = market::RewardsKind::None;
                }
                let m = market::install(&mut app, &gov, &staking, reputation.as_ref(), opts);
                (m.contract.clone(), m.rewards.clone(), Some(m))
            }
        };
        let mut suite = Suite {
            app,
            gov: gov.clone(),
            marketplace: marketplace.clone(),
            rewards: rewards.clone(),
            market,
            staking,
            staking_code,
            reputation,
            real_reputation,
            donations: Uint128::zero(),
            minted: Uint256::zero(),
            accounts: vec![gov, marketplace, rewards],
            scoreboard: None,
            rewards_code: None,
            real_rewards: false,
            rewards_donations: Uint128::zero(),
        };
        if let Some(setup) = self.rewards {
            rewards::install(&mut suite, setup);
        }
        suite
    }
}

pub struct Suite {
    pub app: App,
    pub gov: Addr,
    /// Plays the marketplace contract until it exists.
    pub marketplace: Addr,
    /// Plays the rewards contract, or is it with `SuiteBuilder::rewards`.
    pub rewards: Addr,
    /// The marketplace contract and its test state, when built with
    /// `SuiteBuilder::marketplace` (`marketplace` and `rewards` then hold the
    /// contract addresses).
    pub market: Option<market::Market>,
    pub staking: Addr,
    pub staking_code: u64,
    pub reputation: Option<Addr>,
    /// Whether `reputation` is the real contract (its records are then
    /// checked by `assert_invariant`).
    pub real_reputation: bool,
    /// Tokens sent to the staking contract by plain bank transfer; they are
    /// nobody's stake (checklist item 8) and sit beside what it owes.
    pub donations: Uint128,
    /// Everything of `DENOM` the suite has minted; the bank supply equals it
    /// minus what the staking contract burned.
    pub minted: Uint256,
    /// Every account the suite knows (made with `addr`, plus the protocol
    /// roles): `assert_invariant` looks up their slash shares.
    pub accounts: Vec<Addr>,
    /// Where the rewards contract reads `Rep` when built with a scoreboard.
    pub scoreboard: Option<Addr>,
    pub rewards_code: Option<u64>,
    /// Whether `rewards` is the real contract (then checked by `assert_invariant`).
    pub real_rewards: bool,
    /// Tokens sent to the rewards contract by plain bank transfer.
    pub rewards_donations: Uint128,
}

/// Default capacity used by `register`.
pub fn capacity() -> Capacity {
    Capacity {
        memory_gib: 80,
        devices: 4,
    }
}

/// What the staking contract shows of its state, to compare before and after
/// a message that must change nothing.
#[derive(Clone, Debug, PartialEq)]
pub struct StakingSnapshot {
    pub config: stk::ConfigResponse,
    pub totals: TotalsResponse,
    pub providers: Vec<ProviderResponse>,
    pub balance: u128,
}

impl Suite {
    /// A deterministic bech32 address for `name`, funded on first use.
    #[track_caller]
    pub fn addr(&mut self, name: &str) -> Addr {
        let a = self.app.api().addr_make(name);
        if !self.accounts.contains(&a) {
            self.accounts.push(a.clone());
            self.mint(&a, START_BALANCE, DENOM);
        }
        a
    }

    /// Add `amount` of `denom` to `to`'s balance out of thin air (recorded, so
    /// that the supply check of `assert_invariant` still holds).
    #[track_caller]
    pub fn mint(&mut self, to: &Addr, amount: impl Into<Uint256>, denom: &str) {
        let amount: Uint256 = amount.into();
        // `init_balance` replaces an account's coins, so fill an otherwise
        // empty faucet and send from it.
        let faucet = self.app.api().addr_make("faucet");
        let coin = Coin::new(amount, denom);
        let fill = vec![coin.clone()];
        self.app
            .init_modules(|router, _, storage| router.bank.init_balance(storage, &faucet, fill))
            .expect("fill faucet");
        self.app
            .send_tokens(faucet, to.clone(), &[coin])
            .expect("mint");
        if denom == DENOM {
            self.minted = self.minted.checked_add(amount).expect("minted overflow");
        }
    }

    pub fn height(&self) -> u64 {
        self.app.block_info().height
    }

    pub fn advance(&mut self, blocks: u64) {
        self.app.update_block(|b| {
            b.height += blocks;
            b.time = b.time.plus_seconds(blocks * 6);
        });
    }

    #[track_caller]
    pub fn balance(&self, addr: &Addr) -> u128 {
        let c = self.app.wrap().query_balance(addr, DENOM).expect("balance");
        Uint128::try_from(c.amount).expect("fits").u128()
    }

    #[track_caller]
    pub fn supply(&self) -> u128 {
        Uint128::try_from(self.supply256()).expect("fits").u128()
    }

    #[track_caller]
    pub fn supply256(&self) -> Uint256 {
        self.app.wrap().query_supply(DENOM).expect("supply").amount
    }

    pub fn exec_staking(
        &mut self,
        sender: &Addr,
        msg: &stk::ExecuteMsg,
        funds: u128,
    ) -> Result<AppResponse> {
        let funds = if funds == 0 {
            vec![]
        } else {
            coins(funds, DENOM)
        };
        self.exec_staking_coins(sender, msg, &funds)
    }

    /// Execute on the staking contract with any coins attached.
    pub fn exec_staking_coins(
        &mut self,
        sender: &Addr,
        msg: &stk::ExecuteMsg,
        funds: &[Coin],
    ) -> Result<AppResponse> {
        self.app
            .execute_contract(sender.clone(), self.staking.clone(), msg, funds)
            .map_err(|e| anyhow!("{e}"))
    }

    /// Execute raw bytes (not necessarily JSON) on the staking contract.
    pub fn exec_staking_raw(
        &mut self,
        sender: &Addr,
        msg: impl Into<Binary>,
        funds: &[Coin],
    ) -> Result<AppResponse> {
        let msg: CosmosMsg = WasmMsg::Execute {
            contract_addr: self.staking.to_string(),
            msg: msg.into(),
            funds: funds.to_vec(),
        }
        .into();
        self.app
            .execute(sender.clone(), msg)
            .map_err(|e| anyhow!("{e}"))
    }

    /// Query the staking contract with raw bytes.
    pub fn query_staking_raw(&self, msg: impl Into<Binary>) -> Result<serde_json::Value> {
        self.app
            .wrap()
            .query(&QueryRequest::Wasm(WasmQuery::Smart {
                contract_addr: self.staking.to_string(),
                msg: msg.into(),
            }))
            .map_err(|e| anyhow!("{e}"))
    }

    /// Call the staking contract's `sudo` entry point (wasmd's x/gov).
    pub fn sudo_staking(&mut self, msg: &stk::SudoMsg) -> Result<AppResponse> {
        self.app
            .wasm_sudo(self.staking.clone(), msg)
            .map_err(|e| anyhow!("{e}"))
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
        self.exec_staking(
            who,
            &stk::ExecuteMsg::Register {
                capacity,
                backend,
                price_per_step: Uint128::new(price),
                endpoint: "http://127.0.0.1:7070".to_string(),
            },
            stake,
        )
    }

    pub fn stake(&mut self, who: &Addr, amount: u128) -> Result<AppResponse> {
        self.exec_staking(who, &stk::ExecuteMsg::Stake {}, amount)
    }

    pub fn unstake(&mut self, who: &Addr, amount: u128) -> Result<AppResponse> {
        self.exec_staking(
            who,
            &stk::ExecuteMsg::Unstake {
                amount: Uint128::new(amount),
            },
            0,
        )
    }

    pub fn claim(&mut self, who: &Addr) -> Result<AppResponse> {
        self.exec_staking(who, &stk::ExecuteMsg::Claim {}, 0)
    }

    pub fn heartbeat(&mut self, who: &Addr) -> Result<AppResponse> {
        self.exec_staking(who, &stk::ExecuteMsg::Heartbeat {}, 0)
    }

    pub fn report_missed(&mut self, caller: &Addr, who: &Addr) -> Result<AppResponse> {
        self.exec_staking(
            caller,
            &stk::ExecuteMsg::ReportMissedHeartbeats {
                provider: who.to_string(),
            },
            0,
        )
    }

    /// `ConsumeFines` as `caller`; on success, the data it returned.
    pub fn consume_fines(
        &mut self,
        caller: &Addr,
        who: &Addr,
    ) -> Result<stk::ConsumeFinesResponse> {
        let res = self.exec_staking(
            caller,
            &stk::ExecuteMsg::ConsumeFines {
                provider: who.to_string(),
            },
            0,
        )?;
        let data = res
            .data
            .ok_or_else(|| anyhow!("ConsumeFines returned no data"))?;
        cosmwasm_std::from_json(data).map_err(|e| anyhow!("{e}"))
    }

    pub fn lock_for_job(&mut self, who: &Addr, job_id: u64) -> Result<AppResponse> {
        self.lock_for_job_with(
            who,
            job_id,
            Capacity {
                memory_gib: 8,
                devices: 1,
            },
        )
    }

    pub fn lock_for_job_with(
        &mut self,
        who: &Addr,
        job_id: u64,
        need: Capacity,
    ) -> Result<AppResponse> {
        let m = self.marketplace.clone();
        self.exec_staking(
            &m,
            &stk::ExecuteMsg::LockForJob {
                provider: who.to_string(),
                job_id,
                need,
            },
            0,
        )
    }

    pub fn release_job(&mut self, who: &Addr, job_id: u64) -> Result<AppResponse> {
        let m = self.marketplace.clone();
        self.exec_staking(
            &m,
            &stk::ExecuteMsg::ReleaseJob {
                provider: who.to_string(),
                job_id,
            },
            0,
        )
    }

    pub fn slash_fraud(
        &mut self,
        who: &Addr,
        evidence: &str,
        committee: &[&Addr],
    ) -> Result<AppResponse> {
        let m = self.marketplace.clone();
        self.exec_staking(
            &m,
            &stk::ExecuteMsg::Slash {
                provider: who.to_string(),
                evidence: evidence.to_string(),
                kind: SlashKind::Fraud {
                    honest_committee: committee.iter().map(|a| a.to_string()).collect(),
                },
            },
            0,
        )
    }

    pub fn slash_benign(
        &mut self,
        who: &Addr,
        evidence: &str,
        job_id: u64,
        compute_cost: u128,
    ) -> Result<AppResponse> {
        let m = self.marketplace.clone();
        self.exec_staking(
            &m,
            &stk::ExecuteMsg::Slash {
                provider: who.to_string(),
                evidence: evidence.to_string(),
                kind: SlashKind::Benign {
                    job_id,
                    compute_cost: Uint128::new(compute_cost),
                },
            },
            0,
        )
    }

    #[track_caller]
    pub fn provider(&self, who: &Addr) -> ProviderResponse {
        self.try_provider(who).expect("provider query")
    }

    pub fn try_provider(&self, who: &Addr) -> Result<ProviderResponse> {
        self.app
            .wrap()
            .query_wasm_smart(
                &self.staking,
                &stk::QueryMsg::Provider {
                    address: who.to_string(),
                },
            )
            .map_err(|e| anyhow!("{e}"))
    }

    pub fn providers_page(
        &self,
        start_after: Option<&Addr>,
        limit: Option<u32>,
    ) -> Result<Vec<ProviderResponse>> {
        let r: ProvidersResponse = self
            .app
            .wrap()
            .query_wasm_smart(
                &self.staking,
                &stk::QueryMsg::Providers {
                    start_after: start_after.map(|a| a.to_string()),
                    limit,
                },
            )
            .map_err(|e| anyhow!("{e}"))?;
        Ok(r.providers)
    }

    /// Every provider, walking the paginated `Providers` query.
    #[track_caller]
    pub fn all_providers(&self) -> Vec<ProviderResponse> {
        let mut out: Vec<ProviderResponse> = vec![];
        loop {
            let page = self
                .providers_page(out.last().map(|p| &p.address), Some(MAX_LIMIT))
                .expect("providers query");
            let done = page.len() < MAX_LIMIT as usize;
            out.extend(page);
            if done {
                return out;
            }
        }
    }

    #[track_caller]
    pub fn unbonding(&self, who: &Addr) -> UnbondingResponse {
        self.try_unbonding(who).expect("unbonding query")
    }

    pub fn try_unbonding(&self, who: &Addr) -> Result<UnbondingResponse> {
        self.app
            .wrap()
            .query_wasm_smart(
                &self.staking,
                &stk::QueryMsg::Unbonding {
                    address: who.to_string(),
                },
            )
            .map_err(|e| anyhow!("{e}"))
    }

    #[track_caller]
    pub fn totals(&self) -> TotalsResponse {
        self.app
            .wrap()
            .query_wasm_smart(&self.staking, &stk::QueryMsg::Totals {})
            .expect("totals query")
    }

    #[track_caller]
    pub fn staking_config(&self) -> stk::ConfigResponse {
        self.app
            .wrap()
            .query_wasm_smart(&self.staking, &stk::QueryMsg::Config {})
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
        self.app
            .wrap()
            .query_wasm_smart(
                r,
                &rep::QueryMsg::Reputation {
                    provider: who.to_string(),
                },
            )
            .map_err(|e| anyhow!("{e}"))
    }

    #[track_caller]
    pub fn score(&self, who: &Addr) -> Decimal {
        let r = self.reputation.as_ref().expect("reputation contract");
        let s: ScoreResponse = self
            .app
            .wrap()
            .query_wasm_smart(
                r,
                &rep::QueryMsg::Score {
                    provider: who.to_string(),
                },
            )
            .expect("score query");
        s.score
    }

    /// Send tokens to the staking contract by plain bank transfer.
    #[track_caller]
    pub fn donate(&mut self, from: &Addr, amount: u128) {
        self.app
            .send_tokens(from.clone(), self.staking.clone(), &coins(amount, DENOM))
            .expect("bank send");
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
        let before = self.snapshot();
        let res = f(self);
        assert_err(res, expected);
        assert_eq!(self.snapshot(), before, "a failed message changed state");
        self.assert_invariant();
    }

    /// The staking contract holds exactly what it owes (plus donations), and
    /// what it owes adds up:
    /// - bank balance == bonded + unbonding + slash rewards + donations;
    /// - the providers' stakes add up to `bonded`, and their unbonding plus
    ///   claimable amounts (with the slash shares of the suite's other
    ///   accounts) to `unbonding + slash_rewards`;
    /// - the bank supply is what the suite minted minus what was burned;
    /// - with the real reputation contract, every provider's score and
    ///   success rate are in [0, 1].
    #[track_caller]
    pub fn assert_invariant(&self) {
        let t = self.totals();
        let owed = t.bonded + t.unbonding + t.slash_rewards + self.donations;
        let held = self.balance(&self.staking);
        assert_eq!(
            Uint128::new(held),
            owed,
            "staking balance {held} != bonded {} + unbonding {} + slash rewards {} + donations {}",
            t.bonded,
            t.unbonding,
            t.slash_rewards,
            self.donations
        );

        let providers = self.all_providers();
        let mut stakes = Uint128::zero();
        let mut outgoing = Uint128::zero();
        for p in &providers {
            stakes = stakes.checked_add(p.stake).expect("stake sum overflows");
            outgoing = outgoing
                .checked_add(p.unbonding)
                .and_then(|v| v.checked_add(p.claimable))
                .expect("unbonding sum overflows");
        }
        for a in &self.accounts {
            if providers.iter().any(|p| p.address == *a) {
                continue;
            }
            if let Ok(u) = self.try_unbonding(a) {
                outgoing = outgoing
                    .checked_add(u.claimable_now)
                    .expect("slash share sum overflows");
            }
        }
        assert_eq!(stakes, t.bonded, "provider stakes != totals.bonded");
        assert_eq!(
            outgoing,
            t.unbonding + t.slash_rewards,
            "provider unbonding + claimable != totals.unbonding {} + totals.slash_rewards {}",
            t.unbonding,
            t.slash_rewards
        );

        let supply = self.supply256();
        assert_eq!(
            supply + Uint256::from(t.burned),
            self.minted,
            "supply {supply} + burned {} != minted {}",
            t.burned,
            self.minted
        );

        if self.real_rewards {
            self.assert_rewards_invariant();
        }
        if self.market.is_some() {
            self.assert_market_invariant();
        }

        if self.real_reputation {
            for p in &providers {
                if let Ok(r) = self.reputation_of(&p.address) {
                    assert!(r.score <= Decimal::one(), "score {} > 1", r.score);
                    assert!(
                        r.success_rate <= Decimal::one(),
                        "success rate {} > 1",
                        r.success_rate
                    );
                }
            }
        }
    }
}

/// Assert that `res` failed with an error whose message contains `expected`'s
/// message (errors cross cw-multi-test as text).
#[track_caller]
pub fn assert_err<T: std::fmt::Debug>(res: Result<T>, expected: impl std::fmt::Display) {
    let expected = expected.to_string();
    match res {
        Ok(v) => panic!("expected error {expected:?}, got Ok({v:?})"),
        Err(e) => {
            let got = format!("{e:#}");
            assert!(
                got.contains(&expected),
                "expected error containing {expected:?}, got {got:?}"
            );
        }
    }
}

/// Find an attribute of a wasm event in a response (the first one).
pub fn attr(res: &AppResponse, key: &str) -> Option<String> {
    attrs(res, key).into_iter().next()
}

/// Every value of an attribute of the wasm events in a response, in order
/// (replies add events of their own).
pub fn attrs(res: &AppResponse, key: &str) -> Vec<String> {
    res.events
        .iter()
        .filter(|e| e.ty == "wasm")
        .flat_map(|e| e.attributes.iter())
        .filter(|a| a.key == key)
        .map(|a| a.value.clone())
        .collect()
}

/// Whether any wasm event of the response has `key = value`.
pub fn has_attr(res: &AppResponse, key: &str, value: &str) -> bool {
    attrs(res, key).iter().any(|v| v == value)
}

/// Check the outcome of a message and the suite invariant in one call:
/// `suite.stake(&a, 5).must(&suite)`.
pub trait Outcome {
    /// The message succeeded; the invariant holds afterwards.
    fn must(self, suite: &Suite) -> AppResponse;
    /// The message failed with an error containing `expected`; the
    /// invariant holds afterwards.
    fn must_fail(self, suite: &Suite, expected: impl std::fmt::Display);
}

impl Outcome for Result<AppResponse> {
    #[track_caller]
    fn must(self, suite: &Suite) -> AppResponse {
        let res = match self {
            Ok(r) => r,
            Err(e) => panic!("expected success, got {e:#}"),
        };
        suite.assert_invariant();
        res
    }

    #[track_caller]
    fn must_fail(self, suite: &Suite, expected: impl std::fmt::Display) {
        assert_err(self, expected);
        suite.assert_invariant();
    }
}
