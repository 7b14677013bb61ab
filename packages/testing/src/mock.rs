//! A stand-in reputation contract for tests that need an exact score (the
//! lock-up multiplier at reputation 0, 0.5 and 1) or a downstream contract
//! that always fails (checklist item 13).

use cosmwasm_std::{
    to_json_binary, Addr, Binary, Decimal, Deps, DepsMut, Empty, Env, MessageInfo, Response,
    StdError, StdResult,
};
use cw_multi_test::{App, ContractWrapper};
use cw_storage_plus::Item;
use impulse_types::reputation::{QueryMsg, ScoreResponse};
use serde::{Deserialize, Serialize};

use crate::app::deploy;

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
    let code = Box::new(ContractWrapper::<_, _, _, _, _, _, Empty>::new(
        execute,
        instantiate,
        query,
    ));
    let init = MockInit { score, fail };
    deploy(app, code, gov, &init, &[], "mock-reputation").1
}

// ---------------------------------------------------------------------------
// A stand-in rewards contract for the marketplace tests: it accepts exactly
// the two marketplace messages of `impulse_types::rewards::RewardsHookMsg`,
// checks that `RecordJob` carries exactly `to_pool + to_vault`, and holds the
// funds. The failing variant rejects everything (a broken downstream).

use impulse_types::rewards::{JobOutcome, RewardsHookMsg, WorkRole};

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct RewardsRecord {
    /// Sum of `to_pool` received.
    pub pool: cosmwasm_std::Uint128,
    /// Sum of `to_vault` received.
    pub vault: cosmwasm_std::Uint128,
    pub settled: u64,
    pub failed: u64,
    /// (provider, role as "prover"/"verifier", contribution) in arrival order.
    pub work: Vec<(String, String, cosmwasm_std::Uint128)>,
    /// Job ids recorded, in arrival order.
    pub jobs: Vec<u64>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct RewardsInit {
    pub fail: bool,
    pub denom: String,
}

const REWARDS_CFG: Item<RewardsInit> = Item::new("rewards_cfg");
const REWARDS_REC: Item<RewardsRecord> = Item::new("rewards_rec");

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum RewardsQuery {
    Record {},
}

fn rewards_instantiate(
    deps: DepsMut,
    _: Env,
    _: MessageInfo,
    msg: RewardsInit,
) -> StdResult<Response> {
    REWARDS_CFG.save(deps.storage, &msg)?;
    REWARDS_REC.save(deps.storage, &RewardsRecord::default())?;
    Ok(Response::new())
}

fn rewards_execute(
    deps: DepsMut,
    _: Env,
    info: MessageInfo,
    msg: RewardsHookMsg,
) -> StdResult<Response> {
    let cfg = REWARDS_CFG.load(deps.storage)?;
    if cfg.fail {
        return Err(StdError::msg("mock rewards: failing on purpose"));
    }
    let mut rec = REWARDS_REC.load(deps.storage)?;
    match msg {
        RewardsHookMsg::RecordWork {
            provider,
            role,
            contribution,
            fee: _,
        } => {
            if !info.funds.is_empty() {
                return Err(StdError::msg("RecordWork takes no funds"));
            }
            let role = match role {
                WorkRole::Prover => "prover",
                WorkRole::Verifier => "verifier",
            };
            rec.work.push((provider, role.to_string(), contribution));
        }
        RewardsHookMsg::RecordJob {
            job_id,
            outcome,
            to_pool,
            to_vault,
        } => {
            let total = to_pool + to_vault;
            let sent: Vec<_> = info.funds.iter().filter(|c| !c.amount.is_zero()).collect();
            let ok = match sent.as_slice() {
                [] => total.is_zero(),
                [c] => c.denom == cfg.denom && c.amount == cosmwasm_std::Uint256::from(total),
                _ => false,
            };
            if !ok {
                return Err(StdError::msg(format!(
                    "RecordJob funds {:?} != to_pool + to_vault {total}",
                    info.funds
                )));
            }
            rec.pool += to_pool;
            rec.vault += to_vault;
            match outcome {
                JobOutcome::Settled => rec.settled += 1,
                JobOutcome::Failed => rec.failed += 1,
            }
            rec.jobs.push(job_id);
        }
    }
    REWARDS_REC.save(deps.storage, &rec)?;
    Ok(Response::new())
}

fn rewards_query(deps: Deps, _: Env, msg: RewardsQuery) -> StdResult<Binary> {
    match msg {
        RewardsQuery::Record {} => to_json_binary(&REWARDS_REC.load(deps.storage)?),
    }
}

/// Instantiate the mock rewards contract (`fail`: every execute errors).
pub fn instantiate_rewards(app: &mut App, gov: &Addr, fail: bool) -> Addr {
    let code = Box::new(ContractWrapper::<_, _, _, _, _, _, Empty>::new(
        rewards_execute,
        rewards_instantiate,
        rewards_query,
    ));
    let denom = crate::DENOM.to_string();
    deploy(
        app,
        code,
        gov,
        &RewardsInit { fail, denom },
        &[],
        "mock-rewards",
    )
    .1
}
