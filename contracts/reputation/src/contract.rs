//! Entry points: reject funds, then hand each message to its use case.
//! Governance arrives either as the configured address (`execute`) or as
//! wasmd's x/gov (`sudo`); both reach the same handlers in `governance.rs`.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{to_json_binary, Binary, Deps, DepsMut, Env, MessageInfo, Response};
use impulse_types::funds::nonpayable;
use impulse_types::reputation::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg, SudoMsg};

use crate::error::ContractError;

use crate::governance::GOVERNANCE;
use crate::{query, update};

pub use crate::governance::{CONTRACT_NAME, CONTRACT_VERSION};

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    nonpayable(&info)?;
    let (_, resp) = GOVERNANCE.instantiate(
        deps.storage,
        deps.api,
        &msg,
        &msg.governance,
        msg.params.clone(),
    )?;
    Ok(resp)
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    nonpayable(&info)?;
    match msg {
        ExecuteMsg::RecordJob {
            provider,
            performance,
            earned,
        } => update::record_job(deps, env, info, provider, performance, earned),
        ExecuteMsg::RecordFault { provider, fault } => {
            update::record_fault(deps, env, info, provider, fault)
        }
        ExecuteMsg::RecordStake { provider, stake } => {
            update::record_stake(deps, env, info, provider, stake)
        }
        ExecuteMsg::RecordMissedHeartbeats {
            provider,
            intervals,
        } => update::record_missed_heartbeats(deps, env, info, provider, intervals),
        msg @ (ExecuteMsg::UpdateParams { .. }
        | ExecuteMsg::SetContracts { .. }
        | ExecuteMsg::ProposeGovernance { .. }
        | ExecuteMsg::AcceptGovernance {}) => {
            GOVERNANCE.execute(deps, &info.sender, &msg, |deps, msg| sudo(deps, env, msg))
        }
    }
}

/// x/gov: the same handlers as the governance address's `execute`.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn sudo(deps: DepsMut, _env: Env, msg: SudoMsg) -> Result<Response, ContractError> {
    match msg {
        SudoMsg::UpdateParams { params } => Ok(GOVERNANCE.update_params(deps.storage, params)?),
        msg @ SudoMsg::SetContracts { .. } => {
            Ok(GOVERNANCE.set_contracts(deps.storage, deps.api, &msg)?)
        }
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    Ok(match msg {
        QueryMsg::Config {} => to_json_binary(&query::config(deps)?)?,
        QueryMsg::Reputation { provider } => {
            to_json_binary(&query::reputation(deps, env, provider)?)?
        }
        QueryMsg::Score { provider } => to_json_binary(&query::score(deps, env, provider)?)?,
        QueryMsg::Reputations { start_after, limit } => {
            to_json_binary(&query::reputations(deps, env, start_after, limit)?)?
        }
    })
}

// Refuses another contract's state and any downgrade. The storage layout has
// not changed since 0.0.1, so no data is rewritten.
impulse_governance::migrate_entry_point!(GOVERNANCE);
