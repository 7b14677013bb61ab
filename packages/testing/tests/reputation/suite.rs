//! A cw-multi-test suite around one reputation contract. The staking and
//! marketplace contracts are plain accounts here: the contract only checks
//! who calls it.

use cosmwasm_std::{coins, Addr, Coin, Decimal, StdResult};
use cw_multi_test::{App, AppBuilder, AppResponse, Executor};
use impulse_testing::fixtures::{reputation_job, reputation_stake, Wiring};
use impulse_types::reputation::{
    ConfigResponse, ExecuteMsg, Fault, InstantiateMsg, QueryMsg, ReputationParams,
    ReputationResponse, ReputationsResponse, ScoreResponse, SudoMsg,
};

pub const DENOM: &str = "uimp";
pub const START_HEIGHT: u64 = 12_345;

pub use impulse_testing::contracts::reputation as contract;

pub struct Suite {
    pub app: App,
    pub code_id: u64,
    pub contract: Addr,
    pub governance: Addr,
    pub staking: Addr,
    pub marketplace: Addr,
    pub stranger: Addr,
}

impl Suite {
    pub fn new() -> Self {
        Self::with_params(ReputationParams::default())
    }

    pub fn with_params(params: ReputationParams) -> Self {
        let mut app = AppBuilder::new().build(|router, api, storage| {
            for name in ["governance", "staking", "marketplace", "stranger"] {
                router
                    .bank
                    .init_balance(storage, &api.addr_make(name), coins(1_000_000, DENOM))
                    .unwrap();
            }
        });
        app.update_block(|b| b.height = START_HEIGHT);
        let [governance, staking, marketplace, stranger] =
            ["governance", "staking", "marketplace", "stranger"].map(|n| app.api().addr_make(n));
        let code_id = app.store_code(contract());
        let wiring = Wiring {
            staking: Some(staking.to_string()),
            marketplace: Some(marketplace.to_string()),
            ..Wiring::governed_by(&governance)
        };
        let contract = app
            .instantiate_contract(
                code_id,
                governance.clone(),
                &wiring.reputation(Some(params)),
                &[],
                "reputation",
                Some(governance.to_string()),
            )
            .unwrap();
        Suite {
            app,
            code_id,
            contract,
            governance,
            staking,
            marketplace,
            stranger,
        }
    }

    /// A provider with 1e9 staked and one flawless job worth 1e9 recorded.
    pub fn with_record() -> (Self, Addr) {
        let mut suite = Suite::new();
        let p = suite.addr("provider");
        suite.stake(&p, 1_000_000_000).unwrap();
        suite.job(&p, Decimal::one(), 1_000_000_000).unwrap();
        (suite, p)
    }

    pub fn addr(&self, name: &str) -> Addr {
        self.app.api().addr_make(name)
    }

    pub fn height(&self) -> u64 {
        self.app.block_info().height
    }

    pub fn advance(&mut self, blocks: u64) {
        self.app.update_block(|b| b.height += blocks);
    }

    pub fn execute_as(&mut self, sender: &Addr, msg: &ExecuteMsg) -> StdResult<AppResponse> {
        self.app
            .execute_contract(sender.clone(), self.contract.clone(), msg, &[])
    }

    /// x/gov through the `sudo` entry point.
    pub fn sudo(&mut self, msg: &SudoMsg) -> StdResult<AppResponse> {
        self.app.wasm_sudo(self.contract.clone(), msg)
    }

    /// Another instance of the code, instantiated by governance (no admin).
    pub fn instantiate(&mut self, msg: &InstantiateMsg, funds: &[Coin]) -> StdResult<Addr> {
        let (code, gov) = (self.code_id, self.governance.clone());
        self.app
            .instantiate_contract(code, gov, msg, funds, "another", None)
    }

    pub fn job(&mut self, p: &Addr, performance: Decimal, earned: u128) -> StdResult<AppResponse> {
        let marketplace = self.marketplace.clone();
        self.execute_as(
            &marketplace,
            &reputation_job(p.as_str(), performance, earned),
        )
    }

    pub fn stake(&mut self, provider: &Addr, stake: u128) -> StdResult<AppResponse> {
        let staking = self.staking.clone();
        self.execute_as(&staking, &reputation_stake(provider.as_str(), stake))
    }

    pub fn missed(&mut self, provider: &Addr, intervals: u64) -> StdResult<AppResponse> {
        let staking = self.staking.clone();
        let provider = provider.to_string();
        let msg = ExecuteMsg::RecordMissedHeartbeats {
            provider,
            intervals,
        };
        self.execute_as(&staking, &msg)
    }

    pub fn fault(&mut self, provider: &Addr, fault: Fault) -> StdResult<AppResponse> {
        let staking = self.staking.clone();
        let provider = provider.to_string();
        self.execute_as(&staking, &ExecuteMsg::RecordFault { provider, fault })
    }

    pub fn query<T: serde::de::DeserializeOwned>(&self, msg: &QueryMsg) -> StdResult<T> {
        self.app.wrap().query_wasm_smart(self.contract.clone(), msg)
    }

    #[track_caller]
    pub fn reputation(&self, provider: &Addr) -> ReputationResponse {
        let provider = provider.to_string();
        self.query(&QueryMsg::Reputation { provider }).unwrap()
    }

    /// The provider's stake level `S`.
    #[track_caller]
    pub fn stake_level(&self, provider: &Addr) -> u128 {
        self.reputation(provider).stake_level.u128()
    }

    #[track_caller]
    pub fn score(&self, provider: &Addr) -> Decimal {
        let provider = provider.to_string();
        let r: ScoreResponse = self.query(&QueryMsg::Score { provider }).unwrap();
        r.score
    }

    #[track_caller]
    pub fn config(&self) -> ConfigResponse {
        self.query(&QueryMsg::Config {}).unwrap()
    }

    #[track_caller]
    pub fn reputations(
        &self,
        start_after: Option<String>,
        limit: Option<u32>,
    ) -> ReputationsResponse {
        self.query(&QueryMsg::Reputations { start_after, limit })
            .unwrap()
    }

    /// Every byte the contract has stored, to prove a failure changed nothing.
    pub fn raw_state(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.app.dump_wasm_raw(&self.contract)
    }
}

/// The error is exactly `expected` (multi-test keeps only the message).
#[track_caller]
pub fn assert_err<T: std::fmt::Debug>(result: StdResult<T>, expected: impl std::fmt::Display) {
    let err = result.expect_err("expected an error");
    let (got, want) = (err.to_string(), expected.to_string());
    assert!(got.contains(&want), "got error `{got}`, expected `{want}`");
}

/// The value of attribute `key` in the contract's event.
#[track_caller]
pub fn attr(resp: &AppResponse, key: &str) -> String {
    resp.events
        .iter()
        .filter(|e| e.ty == "wasm")
        .flat_map(|e| e.attributes.iter())
        .find(|a| a.key == key)
        .unwrap_or_else(|| panic!("no attribute {key} in {:?}", resp.events))
        .value
        .clone()
}

pub fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}
