//! Entry points: check funds per message, then hand each use case to its
//! module. Governance arrives either as the configured address (`execute`)
//! or as wasmd's x/gov (`sudo`); both reach the same handlers.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{to_json_binary, Binary, Deps, DepsMut, Env, MessageInfo, Reply, Response};
use impulse_types::funds::{must_pay, nonpayable};
use impulse_types::staking::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg, SudoMsg};

use crate::error::ContractError;

use crate::governance::{self, Caller, GOVERNANCE};
use crate::state::{Totals, CONFIG, TOTALS};
use crate::{heartbeat, jobs, notify, provider, query, slash};

pub use crate::governance::{CONTRACT_NAME, CONTRACT_VERSION};

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    nonpayable(&info)?;
    let (config, resp) = GOVERNANCE.instantiate(
        deps.storage,
        deps.api,
        &msg,
        &msg.governance,
        msg.params.clone(),
    )?;
    TOTALS.save(deps.storage, &Totals::default())?;
    Ok(resp.add_attribute("denom", config.params.denom))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    let denom = CONFIG.load(deps.storage)?.params.denom;
    match msg {
        ExecuteMsg::Register {
            capacity,
            backend,
            price_per_step,
            endpoint,
        } => {
            let amount = must_pay(&info, &denom)?;
            provider::register(
                deps,
                env,
                info.sender,
                amount,
                capacity,
                backend,
                price_per_step,
                endpoint,
            )
        }
        ExecuteMsg::Stake {} => {
            let amount = must_pay(&info, &denom)?;
            provider::stake(deps, env, info.sender, amount)
        }
        other => {
            nonpayable(&info)?;
            execute_nonpayable(deps, env, info, other)
        }
    }
}

fn execute_nonpayable(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    let sender = info.sender;
    match msg {
        ExecuteMsg::Register { .. } | ExecuteMsg::Stake {} => {
            unreachable!("payable, handled above")
        }
        ExecuteMsg::UpdateProvider {
            capacity,
            price_per_step,
            endpoint,
        } => provider::update(deps, sender, capacity, price_per_step, endpoint),
        ExecuteMsg::Unstake { amount } => provider::unstake(deps, env, sender, amount),
        ExecuteMsg::Claim {} => provider::claim(deps, env, sender),
        ExecuteMsg::Heartbeat {} => heartbeat::heartbeat(deps, env, sender),
        ExecuteMsg::ReportMissedHeartbeats { provider } => {
            heartbeat::report_missed(deps, env, &provider)
        }
        ExecuteMsg::LockForJob {
            provider,
            job_id,
            need,
        } => jobs::lock(deps, env, sender, &provider, job_id, need),
        ExecuteMsg::ReleaseJob { provider, job_id } => {
            jobs::release(deps, sender, &provider, job_id)
        }
        ExecuteMsg::HoldStake { provider, until } => {
            jobs::hold(deps, env, sender, &provider, until)
        }
        ExecuteMsg::Slash {
            provider,
            evidence,
            kind,
        } => {
            let caller = governance::slasher(deps.as_ref(), &sender)?;
            slash::slash(deps, env, caller, &provider, evidence, kind)
        }
        ExecuteMsg::ConsumeFines { provider } => heartbeat::consume_fines(deps, sender, &provider),
        msg @ (ExecuteMsg::UpdateParams { .. }
        | ExecuteMsg::SetContracts { .. }
        | ExecuteMsg::ProposeGovernance { .. }
        | ExecuteMsg::AcceptGovernance {}) => {
            GOVERNANCE.execute(deps, &sender, &msg, |deps, msg| sudo(deps, env, msg))
        }
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn sudo(deps: DepsMut, env: Env, msg: SudoMsg) -> Result<Response, ContractError> {
    match msg {
        SudoMsg::UpdateParams { params } => Ok(GOVERNANCE.update_params(deps.storage, params)?),
        msg @ SudoMsg::SetContracts { .. } => {
            Ok(GOVERNANCE.set_contracts(deps.storage, deps.api, &msg)?)
        }
        SudoMsg::Slash {
            provider,
            evidence,
            kind,
        } => slash::slash(deps, env, Caller::Governance, &provider, evidence, kind),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn reply(_deps: DepsMut, _env: Env, reply: Reply) -> Result<Response, ContractError> {
    notify::handle_reply(reply)
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    let bin = match msg {
        QueryMsg::Config {} => to_json_binary(&query::config(deps)?),
        QueryMsg::Provider { address } => to_json_binary(&query::provider(deps, env, &address)?),
        QueryMsg::Providers { start_after, limit } => {
            to_json_binary(&query::providers(deps, env, start_after, limit)?)
        }
        QueryMsg::Unbonding { address } => to_json_binary(&query::unbonding(deps, env, &address)?),
        QueryMsg::Totals {} => to_json_binary(&query::totals(deps)?),
    }?;
    Ok(bin)
}

impulse_governance::migrate_entry_point!(GOVERNANCE);
