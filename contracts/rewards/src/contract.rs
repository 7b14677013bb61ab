//! Entry points: check funds per message, then hand each use case to its
//! module. Governance arrives either as the configured address (`execute`)
//! or as wasmd's x/gov (`sudo`); both reach the same handlers. Every message
//! first closes the epochs that have ended.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    to_json_binary, Binary, Deps, DepsMut, Env, MessageInfo, Reply, Response, Uint128,
};
use impulse_types::funds::{must_pay, nonpayable};
use impulse_types::rewards::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg, SudoMsg};

use crate::error::ContractError;

use crate::governance::{self, GOVERNANCE};
use crate::record::{self, catch_up};
use crate::state::{Ledger, OpenEpoch, CONFIG, LEDGER};
use crate::{claim, query};

pub use crate::governance::{CONTRACT_NAME, CONTRACT_VERSION};

/// Funds of the denom sent with a message that may take none.
fn optional_payment(info: &MessageInfo, denom: &str) -> Result<Uint128, ContractError> {
    if info.funds.iter().all(|c| c.amount.is_zero()) {
        Ok(Uint128::zero())
    } else {
        Ok(must_pay(info, denom)?)
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    let (config, resp) = GOVERNANCE.instantiate(deps.storage, deps.api, &msg)?;
    let reserve = optional_payment(&info, &config.params.denom)?;
    let start = env.block.height;
    let end = start
        .checked_add(config.params.epoch_blocks)
        .ok_or(ContractError::MathOverflow { what: "epoch end" })?;
    let open = OpenEpoch::new(0, start, end, config.params.initial_targets);
    let ledger = Ledger::new(open, reserve);
    LEDGER.save(deps.storage, &ledger)?;
    Ok(resp
        .add_attribute("denom", config.params.denom)
        .add_attribute("reserve", reserve)
        .add_attribute("epoch_ends_at", end.to_string()))
}

impulse_governance::execute_entry_point!(GOVERNANCE, |deps, env, info, msg| {
    let denom = CONFIG.load(deps.storage)?.params.denom;
    let sender = info.sender.clone();
    if !matches!(
        msg,
        ExecuteMsg::RecordJob { .. } | ExecuteMsg::FundReserve {}
    ) {
        nonpayable(&info)?;
    }
    match msg {
        ExecuteMsg::RecordJob {
            job_id,
            outcome,
            to_pool,
            to_vault,
        } => {
            GOVERNANCE.ensure_wired(deps.storage, "marketplace", &sender, "record a job")?;
            let paid = optional_payment(&info, &denom)?;
            record::record_job(deps, env, paid, job_id, outcome, to_pool, to_vault)
        }
        ExecuteMsg::FundReserve {} => {
            let amount = must_pay(&info, &denom)?;
            record::fund_reserve(deps, env, sender, amount)
        }
        ExecuteMsg::RecordWork {
            provider,
            role,
            contribution,
            fee,
        } => {
            GOVERNANCE.ensure_wired(deps.storage, "marketplace", &sender, "record work")?;
            record::record_work(deps, env, provider, role, contribution, fee)
        }
        ExecuteMsg::CloseEpoch {} => record::close_epoch(deps, env),
        ExecuteMsg::Claim { epochs, limit } => claim::claim(deps, env, sender, epochs, limit),
        msg @ ExecuteMsg::SpendVault { .. } => {
            GOVERNANCE.execute(deps, &sender, &msg, |deps, msg| sudo(deps, env, msg))
        }
        impulse_governance::governance_msgs!(ExecuteMsg) => {
            unreachable!("governance, handled by GOVERNANCE.execute_entry")
        }
    }
});

/// Close what has ended under the parameters in force, then run `f`.
fn with_catch_up(
    deps: DepsMut,
    env: Env,
    f: impl FnOnce(DepsMut, Env) -> Result<Response, ContractError>,
) -> Result<Response, ContractError> {
    let params = CONFIG.load(deps.storage)?.params;
    let (_, events) = catch_up(deps.storage, &params, env.block.height)?;
    Ok(f(deps, env)?.add_events(events))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn sudo(deps: DepsMut, env: Env, msg: SudoMsg) -> Result<Response, ContractError> {
    match msg {
        SudoMsg::UpdateParams { params } => {
            with_catch_up(deps, env, |deps, _| governance::update_params(deps, params))
        }
        msg @ SudoMsg::SetContracts { .. } => {
            Ok(GOVERNANCE.set_contracts(deps.storage, deps.api, &msg)?)
        }
        SudoMsg::SpendVault { to, amount } => with_catch_up(deps, env, |deps, _| {
            governance::spend_vault(deps, to, amount)
        }),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn reply(deps: DepsMut, _env: Env, reply: Reply) -> Result<Response, ContractError> {
    claim::handle_reply(deps, reply)
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    let bin = match msg {
        QueryMsg::Config {} => to_json_binary(&query::config(deps)?),
        QueryMsg::Epoch { epoch } => to_json_binary(&query::epoch(deps, env, epoch)?),
        QueryMsg::Epochs { start_after, limit } => {
            to_json_binary(&query::epochs(deps, env, start_after, limit)?)
        }
        QueryMsg::CurrentEpoch {} => to_json_binary(&query::current_epoch(deps, env)?),
        QueryMsg::Share { provider, epoch } => {
            to_json_binary(&query::share(deps, env, provider, epoch)?)
        }
        QueryMsg::Claimable {
            provider,
            start_after,
            limit,
        } => to_json_binary(&query::claimable(deps, env, provider, start_after, limit)?),
        QueryMsg::Totals {} => to_json_binary(&query::totals(deps)?),
    }?;
    Ok(bin)
}

impulse_governance::migrate_entry_point!(GOVERNANCE);
