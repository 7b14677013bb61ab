//! The suite builder: stores the real contract code, instantiates it wired
//! together (protocol.md section 1: staking, reputation, marketplace and
//! rewards each know the others' addresses), funds accounts and advances
//! blocks. The per-contract helpers live in `staking`, `market` and
//! `rewards`; the conservation checks in `invariant`.

use anyhow::{anyhow, Result};
use cosmwasm_std::{
    coins, Addr, Binary, Coin, CosmosMsg, Decimal, Empty, QueryRequest, Uint128, Uint256, WasmMsg,
    WasmQuery,
};
use cw_multi_test::{App, AppResponse, Executor};
use impulse_types::reputation::ReputationParams;
use impulse_types::staking::{self as stk, StakingParams};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt::Debug;

pub use crate::app::{deploy, funds, govern};
use crate::contracts::{reputation as reputation_contract, staking as staking_contract};
use crate::fixtures::Wiring;
use crate::{market, mock, rewards, DENOM, START_BALANCE};

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
    pub(crate) rewards: Option<rewards::RewardsSetup>,
    /// With `Some`, the real marketplace (and a mock rewards contract, or
    /// the real one when `rewards` is set too) is instantiated and wired in;
    /// see `market`.
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

    /// Staking without the benign-slash floor (`min_benign_slash = 0`):
    /// for the tests of the `slash_benign` share of the cost alone.
    pub fn without_benign_floor(self) -> Self {
        self.staking_params(|p| p.min_benign_slash = Uint128::zero())
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

        let mut wiring = Wiring {
            marketplace: Some(marketplace.to_string()),
            rewards: Some(rewards.to_string()),
            ..Wiring::governed_by(&gov)
        };
        let (staking_code, staking) = deploy(
            &mut app,
            staking_contract(),
            &gov,
            &wiring.staking(Some(self.staking_params)),
            &[],
            "impulse-staking",
        );
        wiring.staking = Some(staking.to_string());

        let real_reputation = matches!(self.reputation, ReputationKind::Real);
        let reputation = match self.reputation {
            ReputationKind::Real => Some(
                deploy(
                    &mut app,
                    reputation_contract(),
                    &gov,
                    &wiring.reputation(Some(self.reputation_params)),
                    &[],
                    "impulse-reputation",
                )
                .1,
            ),
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
            let wire = stk::ExecuteMsg::SetContracts {
                marketplace: None,
                reputation: Some(r.to_string()),
                rewards: None,
            };
            govern(
                &mut app,
                &gov,
                &staking,
                &wire,
                "wire reputation into staking",
            );
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
            accounts: vec![gov, marketplace.clone(), rewards.clone()],
            minted: Uint256::zero(),
            staking,
            staking_code,
            donations: Uint128::zero(),
            reputation,
            real_reputation,
            marketplace,
            market,
            rewards,
            rewards_code: None,
            real_rewards: false,
            rewards_donations: Uint128::zero(),
            scoreboard: None,
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
    /// Every account the suite knows (made with `addr`, plus the protocol
    /// roles): `assert_invariant` looks up their slash shares.
    pub accounts: Vec<Addr>,
    /// Everything of `DENOM` the suite has minted; the bank supply equals it
    /// minus what the staking contract burned.
    pub minted: Uint256,

    pub staking: Addr,
    pub staking_code: u64,
    /// Tokens sent to the staking contract by plain bank transfer; they are
    /// nobody's stake (checklist item 8) and sit beside what it owes.
    pub donations: Uint128,

    pub reputation: Option<Addr>,
    /// Whether `reputation` is the real contract (its records are then
    /// checked by `assert_invariant`).
    pub real_reputation: bool,

    /// Plays the marketplace contract until it exists.
    pub marketplace: Addr,
    /// The marketplace contract and its test state, when built with
    /// `SuiteBuilder::marketplace` (`marketplace` and `rewards` then hold the
    /// contract addresses).
    pub market: Option<market::Market>,

    /// Plays the rewards contract, or is it with `SuiteBuilder::rewards`.
    pub rewards: Addr,
    pub rewards_code: Option<u64>,
    /// Whether `rewards` is the real contract (then checked by `assert_invariant`).
    pub real_rewards: bool,
    /// Tokens sent to the rewards contract by plain bank transfer.
    pub rewards_donations: Uint128,
    /// Where the rewards contract reads `Rep` when built with a scoreboard.
    pub scoreboard: Option<Addr>,
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

    /// Execute `msg` on `contract` as `sender` with `funds` of the denom.
    pub fn exec(
        &mut self,
        contract: &Addr,
        sender: &Addr,
        msg: &(impl Serialize + Debug),
        funds: u128,
    ) -> Result<AppResponse> {
        self.exec_coins(contract, sender, msg, &self::funds(funds))
    }

    /// Execute `msg` on `contract` as `sender` with any coins attached.
    pub fn exec_coins(
        &mut self,
        contract: &Addr,
        sender: &Addr,
        msg: &(impl Serialize + Debug),
        funds: &[Coin],
    ) -> Result<AppResponse> {
        self.app
            .execute_contract(sender.clone(), contract.clone(), msg, funds)
            .map_err(|e| anyhow!("{e}"))
    }

    /// Execute raw bytes (not necessarily JSON) on `contract`.
    pub fn exec_raw(
        &mut self,
        contract: &Addr,
        sender: &Addr,
        msg: impl Into<Binary>,
        funds: &[Coin],
    ) -> Result<AppResponse> {
        let msg: CosmosMsg = WasmMsg::Execute {
            contract_addr: contract.to_string(),
            msg: msg.into(),
            funds: funds.to_vec(),
        }
        .into();
        self.app
            .execute(sender.clone(), msg)
            .map_err(|e| anyhow!("{e}"))
    }

    /// A smart query of `contract`.
    pub fn query<T: DeserializeOwned>(&self, contract: &Addr, msg: &impl Serialize) -> Result<T> {
        self.app
            .wrap()
            .query_wasm_smart(contract, msg)
            .map_err(|e| anyhow!("{e}"))
    }

    /// Query `contract` with raw bytes.
    pub fn query_raw(&self, contract: &Addr, msg: impl Into<Binary>) -> Result<serde_json::Value> {
        self.app
            .wrap()
            .query(&QueryRequest::Wasm(WasmQuery::Smart {
                contract_addr: contract.to_string(),
                msg: msg.into(),
            }))
            .map_err(|e| anyhow!("{e}"))
    }

    /// Call `contract`'s `sudo` entry point (wasmd's x/gov).
    pub fn sudo(&mut self, contract: &Addr, msg: &impl Serialize) -> Result<AppResponse> {
        self.app
            .wasm_sudo(contract.clone(), msg)
            .map_err(|e| anyhow!("{e}"))
    }

    /// Instantiate `code` again as governance (no admin): the new address,
    /// or why the contract refused.
    pub fn instantiate(&mut self, code: u64, msg: &impl Serialize, funds: &[Coin]) -> Result<Addr> {
        self.app
            .instantiate_contract(code, self.gov.clone(), msg, funds, "again", None)
            .map_err(|e| anyhow!("{e}"))
    }

    /// Overwrite the cw2 version record of `contract`.
    #[track_caller]
    pub fn set_version(&mut self, contract: &Addr, name: &str, version: &str) {
        let mut storage = self.app.contract_storage_mut(contract);
        cw2::set_contract_version(storage.as_mut(), name, version).expect("cw2 record");
    }

    /// Governance migrates `contract` to `code` (`MigrateMsg {}`).
    pub fn migrate(&mut self, contract: &Addr, code: u64) -> Result<AppResponse> {
        self.app
            .migrate_contract(self.gov.clone(), contract.clone(), &Empty {}, code)
            .map_err(|e| anyhow!("{e}"))
    }

    /// Send tokens to `to` by plain bank transfer.
    #[track_caller]
    pub fn bank_send(&mut self, from: &Addr, to: &Addr, amount: u128) {
        self.app
            .send_tokens(from.clone(), to.clone(), &coins(amount, DENOM))
            .expect("bank send");
    }
}
