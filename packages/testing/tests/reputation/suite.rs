//! A cw-multi-test suite around one reputation contract. The staking and
//! marketplace contracts are plain accounts here: the contract only checks
//! who calls it.

use cosmwasm_std::{coins, Addr, Decimal, StdResult, Uint128};
use cw_multi_test::{App, AppBuilder, AppResponse, Executor};
use impulse_types::reputation::{
    ConfigResponse, ExecuteMsg, Fault, InstantiateMsg, QueryMsg, ReputationParams,
    ReputationResponse, ReputationsResponse, ScoreResponse,
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
        let governance = app.api().addr_make("governance");
        let staking = app.api().addr_make("staking");
        let marketplace = app.api().addr_make("marketplace");
        let stranger = app.api().addr_make("stranger");
        let code_id = app.store_code(contract());
        let contract = app
            .instantiate_contract(
                code_id,
                governance.clone(),
                &InstantiateMsg {
                    governance: governance.to_string(),
                    staking: Some(staking.to_string()),
                    marketplace: Some(marketplace.to_string()),
                    params: Some(params),
                },
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

    pub fn job(
        &mut self,
        provider: &Addr,
        performance: Decimal,
        earned: u128,
    ) -> StdResult<AppResponse> {
        let marketplace = self.marketplace.clone();
        self.execute_as(
            &marketplace,
            &ExecuteMsg::RecordJob {
                provider: provider.to_string(),
                performance,
                earned: Uint128::new(earned),
            },
        )
    }

    pub fn stake(&mut self, provider: &Addr, stake: u128) -> StdResult<AppResponse> {
        let staking = self.staking.clone();
        self.execute_as(
            &staking,
            &ExecuteMsg::RecordStake {
                provider: provider.to_string(),
                stake: Uint128::new(stake),
            },
        )
    }

    pub fn missed(&mut self, provider: &Addr, intervals: u64) -> StdResult<AppResponse> {
        let staking = self.staking.clone();
        self.execute_as(
            &staking,
            &ExecuteMsg::RecordMissedHeartbeats {
                provider: provider.to_string(),
                intervals,
            },
        )
    }

    pub fn fault(&mut self, provider: &Addr, fault: Fault) -> StdResult<AppResponse> {
        let staking = self.staking.clone();
        self.execute_as(
            &staking,
            &ExecuteMsg::RecordFault {
                provider: provider.to_string(),
                fault,
            },
        )
    }

    pub fn query<T: serde::de::DeserializeOwned>(&self, msg: &QueryMsg) -> StdResult<T> {
        self.app.wrap().query_wasm_smart(self.contract.clone(), msg)
    }

    #[track_caller]
    pub fn reputation(&self, provider: &Addr) -> ReputationResponse {
        self.query(&QueryMsg::Reputation {
            provider: provider.to_string(),
        })
        .unwrap()
    }

    #[track_caller]
    pub fn score(&self, provider: &Addr) -> Decimal {
        self.query::<ScoreResponse>(&QueryMsg::Score {
            provider: provider.to_string(),
        })
        .unwrap()
        .score
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
