//! Entry points: check funds per message, then hand each use case to its
//! module. Governance arrives either as the configured address (`execute`)
//! or as wasmd's x/gov (`sudo`); both reach the same handlers.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    to_json_binary, Addr, Binary, Deps, DepsMut, Env, HexBinary, MessageInfo, Reply, Response,
};
use impulse_types::funds::{must_pay, nonpayable};
use impulse_types::marketplace::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg, SudoMsg};

use crate::error::ContractError;

use crate::governance::GOVERNANCE;
use crate::state::{Totals, CONFIG, ENTROPY, TOTALS};
use crate::{cranks, entropy, external, index, jobs, query, rounds, scheduler};

pub use crate::governance::{CONTRACT_NAME, CONTRACT_VERSION};

impulse_governance::instantiate_entry_point!(GOVERNANCE, |deps, env, config, resp| {
    TOTALS.save(deps.storage, &Totals::default())?;
    ENTROPY.save(deps.storage, &HexBinary::from(vec![0u8; 32]))?;
    entropy::mix_entropy(
        deps.storage,
        &env,
        b"instantiate",
        env.contract.address.as_bytes(),
    )?;
    Ok(resp.add_attribute("denom", config.params.denom))
});

impulse_governance::execute_entry_point!(GOVERNANCE, |deps, env, info, msg| {
    if draws_randomness(&msg) {
        refuse_contract(deps.as_ref(), &info.sender)?;
    }
    match msg {
        ExecuteMsg::SubmitJob { spec } => {
            let denom = CONFIG.load(deps.storage)?.params.denom;
            let budget = must_pay(&info, &denom)?;
            jobs::submit(deps, env, info.sender, budget, spec)
        }
        other => {
            nonpayable(&info)?;
            execute_nonpayable(deps, env, info, other)
        }
    }
});

/// Messages that may draw a committee or a challenge in their transaction.
fn draws_randomness(msg: &ExecuteMsg) -> bool {
    matches!(
        msg,
        ExecuteMsg::SubmitJob { .. }
            | ExecuteMsg::RunScheduler { .. }
            | ExecuteMsg::ProcessTimeouts { .. }
            | ExecuteMsg::RevealSecret { .. }
            | ExecuteMsg::RevealVerdict { .. }
            | ExecuteMsg::OpenSteps { .. }
    )
}

/// A contract could look at the committee or challenge drawn in its own
/// transaction and revert when it dislikes them (simulate-and-revert), so
/// the messages that draw randomness come from accounts only.
fn refuse_contract(deps: Deps, sender: &Addr) -> Result<(), ContractError> {
    if deps.querier.query_wasm_contract_info(sender).is_ok() {
        return Err(ContractError::ContractCaller {
            sender: sender.to_string(),
        });
    }
    Ok(())
}

fn execute_nonpayable(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    let sender = info.sender;
    match msg {
        ExecuteMsg::SubmitJob { .. } => unreachable!("payable, handled above"),
        ExecuteMsg::CancelJob { job_id } => jobs::cancel(deps, sender, job_id),
        ExecuteMsg::Advertise {} => index::advertise(deps, env, sender),
        ExecuteMsg::RunScheduler { limit } => scheduler::run_scheduler(deps, env, limit),
        ExecuteMsg::ProcessTimeouts { limit } => cranks::process_timeouts(deps, env, limit),
        ExecuteMsg::CommitSecret {
            job_id,
            secret_hash,
        } => rounds::commit_secret(deps, env, sender, job_id, secret_hash),
        ExecuteMsg::CommitResult {
            job_id,
            root,
            final_model_hash,
            build_identity,
            backend,
        } => rounds::commit_result(
            deps,
            env,
            sender,
            job_id,
            root,
            final_model_hash,
            build_identity,
            backend,
        ),
        ExecuteMsg::RevealSecret { job_id, secret } => {
            rounds::reveal_secret(deps, env, sender, job_id, secret)
        }
        ExecuteMsg::CommitVerdict { job_id, commitment } => {
            rounds::commit_verdict(deps, env, sender, job_id, commitment)
        }
        ExecuteMsg::RevealVerdict {
            job_id,
            hashes,
            distances,
            model_hash,
            salt,
        } => rounds::reveal_verdict(
            deps, env, sender, job_id, hashes, distances, model_hash, salt,
        ),
        ExecuteMsg::OpenSteps { job_id, openings } => {
            rounds::open_steps(deps, env, sender, job_id, openings)
        }
        ExecuteMsg::FlushFees { limit } => cranks::flush_fees(deps, limit),
        impulse_governance::governance_msgs!(ExecuteMsg) => {
            unreachable!("governance, handled by GOVERNANCE.execute_entry")
        }
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn reply(deps: DepsMut, env: Env, reply: Reply) -> Result<Response, ContractError> {
    external::handle_reply(deps, env, reply)
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    let bin = match msg {
        QueryMsg::Config {} => to_json_binary(&query::config(deps)?),
        QueryMsg::Job { job_id } => to_json_binary(&query::job(deps, job_id)?),
        QueryMsg::Jobs {
            state,
            start_after,
            limit,
        } => to_json_binary(&query::jobs(deps, state, start_after, limit)?),
        QueryMsg::Queue { start_after, limit } => {
            to_json_binary(&query::queue(deps, start_after, limit)?)
        }
        QueryMsg::Provider { address } => to_json_binary(&query::provider(deps, env, &address)?),
        QueryMsg::Round { job_id } => to_json_binary(&query::round(deps, job_id)?),
        QueryMsg::Totals {} => to_json_binary(&query::totals(deps)?),
    }?;
    Ok(bin)
}

impulse_governance::sudo_entry_point!(GOVERNANCE);
impulse_governance::migrate_entry_point!(GOVERNANCE);
