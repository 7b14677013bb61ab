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
use crate::governance::{self, validate_addr, validate_opt};
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
            let config = CONFIG.load(deps.storage)?;
            governance::ensure_governance(&config, &info, "update params")?;
            governance::update_params(deps, params)
        }
        ExecuteMsg::SetContracts {
            staking,
            marketplace,
        } => {
            let config = CONFIG.load(deps.storage)?;
            governance::ensure_governance(&config, &info, "set contracts")?;
            governance::set_contracts(deps, staking, marketplace)
        }
        ExecuteMsg::ProposeGovernance { address } => {
            governance::propose_governance(deps, info, address)
        }
        ExecuteMsg::AcceptGovernance {} => governance::accept_governance(deps, info),
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

/// `MAJOR.MINOR.PATCH` as numbers, for comparing versions.
fn parse_version(version: &str) -> Result<(u64, u64, u64), ContractError> {
    impulse_types::version::parse_semver(version).ok_or_else(|| ContractError::InvalidVersion {
        version: version.to_string(),
    })
}

/// Refuses another contract's state and any downgrade. The storage layout has
/// not changed since 0.0.1, so no data is rewritten; the config is loaded to
/// prove it still decodes before the version is bumped. (wasmd lets only
/// the contract's admin migrate, so `info` needs no further check.)
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(
    deps: DepsMut,
    _env: Env,
    _msg: MigrateMsg,
    _info: MigrateInfo,
) -> Result<Response, ContractError> {
    let stored = cw2::get_contract_version(deps.storage)?;
    if stored.contract != CONTRACT_NAME {
        return Err(ContractError::WrongContract {
            expected: CONTRACT_NAME.to_string(),
            found: stored.contract,
        });
    }
    if parse_version(&stored.version)? > parse_version(CONTRACT_VERSION)? {
        return Err(ContractError::CannotDowngrade {
            stored: stored.version,
            current: CONTRACT_VERSION.to_string(),
        });
    }
    CONFIG.load(deps.storage)?;
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new()
        .add_attribute("action", "migrate")
        .add_attribute("from_version", stored.version)
        .add_attribute("to_version", CONTRACT_VERSION))
}
