//! The other contracts as a scenario's querier sees them: each scenario runs
//! one contract's wasm, and the contracts it queries (staking's `Provider`
//! and `Config`, reputation's `Score`) answer from here.

use cosmwasm_std::{
    Addr, Binary, ContractResult, Decimal, QuerierResult, SystemError, SystemResult, WasmQuery,
};
use impulse_types::reputation::{QueryMsg as RepQuery, ScoreResponse};
use impulse_types::staking::{ConfigResponse, ProviderResponse, QueryMsg as StakingQuery};
use serde::Serialize;

use super::WasmHandler;

/// How one mocked contract answers a smart query (its message bytes).
pub type Contract = Box<dyn Fn(&Binary) -> QuerierResult>;

/// A smart-query answer for the mock querier.
pub fn answer(json: &impl Serialize) -> QuerierResult {
    match cosmwasm_std::to_json_binary(json) {
        Ok(bin) => SystemResult::Ok(ContractResult::Ok(bin)),
        Err(err) => SystemResult::Err(SystemError::InvalidResponse {
            error: err.to_string(),
            response: Binary::default(),
        }),
    }
}

fn unsupported(kind: &str) -> QuerierResult {
    SystemResult::Err(SystemError::UnsupportedRequest {
        kind: kind.to_string(),
    })
}

/// Smart queries to each `(address, contract)` go to that contract; any
/// other query finds no contract.
pub fn contracts(routes: Vec<(String, Contract)>) -> Box<WasmHandler> {
    Box::new(move |q| match q {
        WasmQuery::Smart { contract_addr, msg } => {
            match routes.iter().find(|(a, _)| a == contract_addr) {
                Some((_, contract)) => contract(msg),
                None => no_such_contract(q),
            }
        }
        other => no_such_contract(other),
    })
}

fn no_such_contract(q: &WasmQuery) -> QuerierResult {
    SystemResult::Err(SystemError::NoSuchContract {
        addr: format!("{q:?}"),
    })
}

/// A reputation contract that scores everyone `score`.
pub fn reputation(score: Decimal) -> Contract {
    Box::new(move |msg| match cosmwasm_std::from_json::<RepQuery>(msg) {
        Ok(RepQuery::Score { .. }) => answer(&ScoreResponse { score }),
        _ => unsupported("reputation query"),
    })
}

/// A staking contract where every address is the registered provider
/// `provider(address)`, under the default parameters.
pub fn staking(provider: impl Fn(&str) -> ProviderResponse + 'static) -> Contract {
    Box::new(
        move |msg| match cosmwasm_std::from_json::<StakingQuery>(msg) {
            Ok(StakingQuery::Provider { address }) => answer(&provider(&address)),
            Ok(StakingQuery::Config {}) => answer(&ConfigResponse {
                governance: Addr::unchecked("gov"),
                pending_governance: None,
                marketplace: None,
                reputation: None,
                rewards: None,
                params: Default::default(),
            }),
            _ => unsupported("staking query"),
        },
    )
}
