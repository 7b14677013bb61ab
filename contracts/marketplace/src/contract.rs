//! Entry points: check funds per message, then hand each use case to its
//! module. Governance arrives either as the configured address (`execute`)
//! or as wasmd's x/gov (`sudo`); both reach the same handlers.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    to_json_binary, Binary, Deps, DepsMut, Env, HexBinary, MessageInfo, MigrateInfo, Reply,
    Response,
};
use impulse_types::funds::{must_pay, nonpayable};
use impulse_types::marketplace::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg, SudoMsg};

use crate::error::ContractError;
use crate::governance::{self, GOVERNANCE};
use crate::state::{Config, Totals, CONFIG, ENTROPY, TOTALS};
use crate::{cranks, entropy, external, index, jobs, query, rounds, scheduler};

pub const CONTRACT_NAME: &str = "crates.io:impulse-marketplace";
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    nonpayable(&info)?;
    let params = msg.params.unwrap_or_default();
    governance::validate_params(&params, None)?;
    let config = Config {
        governance: governance::validate_addr(deps.api, &msg.governance)?,
        pending_governance: None,
        staking: governance::validate_opt(deps.api, msg.staking.as_deref())?,
        reputation: governance::validate_opt(deps.api, msg.reputation.as_deref())?,
        rewards: governance::validate_opt(deps.api, msg.rewards.as_deref())?,
        params,
    };
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    CONFIG.save(deps.storage, &config)?;
    TOTALS.save(deps.storage, &Totals::default())?;
    ENTROPY.save(deps.storage, &HexBinary::from(vec![0u8; 32]))?;
    entropy::mix_entropy(
        deps.storage,
        &env,
        b"instantiate",
        env.contract.address.as_bytes(),
    )?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("governance", config.governance.as_str())
        .add_attribute("denom", config.params.denom))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
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
        ExecuteMsg::UpdateParams { params } => {
            GOVERNANCE.ensure(deps.storage, &sender, "update params")?;
            governance::update_params(deps, params)
        }
        ExecuteMsg::SetContracts {
            staking,
            reputation,
            rewards,
        } => {
            GOVERNANCE.ensure(deps.storage, &sender, "set contracts")?;
            governance::set_contracts(deps, staking, reputation, rewards)
        }
        ExecuteMsg::ProposeGovernance { address } => {
            Ok(GOVERNANCE.propose(deps.storage, deps.api, &sender, &address)?)
        }
        ExecuteMsg::AcceptGovernance {} => Ok(GOVERNANCE.accept(deps.storage, &sender)?),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn sudo(deps: DepsMut, _env: Env, msg: SudoMsg) -> Result<Response, ContractError> {
    match msg {
        SudoMsg::UpdateParams { params } => governance::update_params(deps, params),
        SudoMsg::SetContracts {
            staking,
            reputation,
            rewards,
        } => governance::set_contracts(deps, staking, reputation, rewards),
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

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(
    deps: DepsMut,
    _env: Env,
    _msg: MigrateMsg,
    _info: MigrateInfo,
) -> Result<Response, ContractError> {
    Ok(GOVERNANCE.migrate(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?)
}
