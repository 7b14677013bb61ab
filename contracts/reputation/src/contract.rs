//! Entry points: reject funds, then hand each message to its use case.
//! Governance arrives either as the configured address (`execute`) or as
//! wasmd's x/gov (`sudo`); both reach the same handlers in `governance.rs`.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    to_json_binary, Binary, Deps, DepsMut, Env, MessageInfo, MigrateInfo, Response,
};
use impulse_types::funds::nonpayable;
use impulse_types::reputation::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg, SudoMsg};

use crate::error::ContractError;
use crate::governance::{self, validate_addr, validate_opt, GOVERNANCE};
use crate::state::{Config, CONFIG};
use crate::{query, update};

pub const CONTRACT_NAME: &str = "crates.io:impulse-reputation";
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    nonpayable(&info)?;
    let params = msg.params.unwrap_or_default();
    governance::validate_params(&params)?;
    let config = Config {
        governance: validate_addr(deps.api, &msg.governance)?,
        pending_governance: None,
        staking: validate_opt(deps.api, msg.staking.as_deref())?,
        marketplace: validate_opt(deps.api, msg.marketplace.as_deref())?,
        params,
    };
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    CONFIG.save(deps.storage, &config)?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("governance", config.governance.as_str()))
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
        ExecuteMsg::UpdateParams { params } => {
            GOVERNANCE.ensure(deps.storage, &info.sender, "update params")?;
            governance::update_params(deps, params)
        }
        ExecuteMsg::SetContracts {
            staking,
            marketplace,
        } => {
            GOVERNANCE.ensure(deps.storage, &info.sender, "set contracts")?;
            governance::set_contracts(deps, staking, marketplace)
        }
        ExecuteMsg::ProposeGovernance { address } => {
            Ok(GOVERNANCE.propose(deps.storage, deps.api, &info.sender, &address)?)
        }
        ExecuteMsg::AcceptGovernance {} => Ok(GOVERNANCE.accept(deps.storage, &info.sender)?),
    }
}

/// x/gov: the same handlers as the governance address's `execute`.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn sudo(deps: DepsMut, _env: Env, msg: SudoMsg) -> Result<Response, ContractError> {
    match msg {
        SudoMsg::UpdateParams { params } => governance::update_params(deps, params),
        SudoMsg::SetContracts {
            staking,
            marketplace,
        } => governance::set_contracts(deps, staking, marketplace),
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

/// Refuses another contract's state and any downgrade. The storage layout has
/// not changed since 0.0.1, so no data is rewritten.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(
    deps: DepsMut,
    _env: Env,
    _msg: MigrateMsg,
    _info: MigrateInfo,
) -> Result<Response, ContractError> {
    Ok(GOVERNANCE.migrate(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?)
}
