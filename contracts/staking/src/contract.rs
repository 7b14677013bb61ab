//! Entry points: check funds per message, then hand each use case to its
//! module. Governance arrives either as the configured address (`execute`)
//! or as wasmd's x/gov (`sudo`); both reach the same handlers.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{to_json_binary, Addr, Binary, Deps, DepsMut, Env, Reply, Response};
use impulse_types::funds::{must_pay, nonpayable};
use impulse_types::staking::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg, SudoMsg};

use crate::error::ContractError;

use crate::governance::{self, Caller, GOVERNANCE};
use crate::state::{Totals, CONFIG, TOTALS};
use crate::{heartbeat, jobs, notify, provider, query, slash};

pub use crate::governance::{CONTRACT_NAME, CONTRACT_VERSION};

impulse_governance::instantiate_entry_point!(GOVERNANCE, |deps, _, config, resp| {
    TOTALS.save(deps.storage, &Totals::default())?;
    Ok(resp.add_attribute("denom", config.params.denom))
});

impulse_governance::execute_entry_point!(GOVERNANCE, |deps, env, info, msg| {
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
            execute_nonpayable(deps, env, info.sender, other)
        }
    }
});

fn execute_nonpayable(
    deps: DepsMut,
    env: Env,
    sender: Addr,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
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
        impulse_governance::governance_msgs!(ExecuteMsg) => {
            unreachable!("governance, handled by GOVERNANCE.execute_entry")
        }
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn sudo(deps: DepsMut, env: Env, msg: SudoMsg) -> Result<Response, ContractError> {
    GOVERNANCE.sudo(deps, msg, |deps, msg| match msg {
        SudoMsg::Slash {
            provider,
            evidence,
            kind,
        } => slash::slash(deps, env, Caller::Governance, &provider, evidence, kind),
        SudoMsg::UpdateParams { .. } | SudoMsg::SetContracts { .. } => {
            unreachable!("shared governance, handled by GOVERNANCE.sudo")
        }
    })
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
