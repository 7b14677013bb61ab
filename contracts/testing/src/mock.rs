//! A stand-in reputation contract for tests that need an exact score (the
//! lock-up multiplier at reputation 0, 0.5 and 1) or a downstream contract
//! that always fails (checklist item 13).

use cosmwasm_std::{
    to_json_binary, Addr, Binary, Decimal, Deps, DepsMut, Empty, Env, MessageInfo, Response,
    StdError, StdResult,
};
use cw_multi_test::{App, ContractWrapper, Executor};
use cw_storage_plus::Item;
use impulse_types::reputation::{QueryMsg, ScoreResponse};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct MockInit {
    pub score: Decimal,
    pub fail: bool,
}

const STATE: Item<MockInit> = Item::new("mock");

fn instantiate(deps: DepsMut, _: Env, _: MessageInfo, msg: MockInit) -> StdResult<Response> {
    STATE.save(deps.storage, &msg)?;
    Ok(Response::new())
}

fn execute(deps: DepsMut, _: Env, _: MessageInfo, _: serde_json::Value) -> StdResult<Response> {
    if STATE.load(deps.storage)?.fail {
        return Err(StdError::msg("mock reputation: failing on purpose"));
    }
    Ok(Response::new())
}

fn query(deps: Deps, _: Env, msg: QueryMsg) -> StdResult<Binary> {
    let state = STATE.load(deps.storage)?;
    match msg {
        QueryMsg::Score { .. } if !state.fail => {
            to_json_binary(&ScoreResponse { score: state.score })
        }
        _ => Err(StdError::msg("mock reputation: query not supported")),
    }
}

pub fn instantiate_reputation(app: &mut App, gov: &Addr, score: Decimal, fail: bool) -> Addr {
    let code = app.store_code(Box::new(ContractWrapper::<_, _, _, _, _, _, Empty>::new(
        execute,
        instantiate,
        query,
    )));
    app.instantiate_contract(
        code,
        gov.clone(),
        &MockInit { score, fail },
        &[],
        "mock-reputation",
        None,
    )
    .expect("instantiate mock reputation")
}
