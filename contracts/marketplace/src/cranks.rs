//! Permissionless cranks of the rounds (protocol.md §4, §6): passed
//! deadlines (`ProcessTimeouts`) and undelivered fees (`FlushFees`).

use cosmwasm_std::{DepsMut, Env, Order, Response, Uint128};
use cw_storage_plus::Bound;
use impulse_governance::wired;
use impulse_types::common::MAX_LIMIT;
use impulse_types::marketplace::JobState;

use crate::error::ContractError;
use crate::external::{record_job_msg, slash_benign_msg, FeePayload};
use crate::index;
use crate::lifecycle::{expire, load_job, requeue};
use crate::rounds::{close_secrets, evidence, finalize, start_challenge, start_verifying};
use crate::state::{
    Config, Job, Round, Undelivered, CONFIG, DEADLINES, ROUNDS, TOTALS, UNDELIVERED,
};

/// Permissionless crank: handle up to `limit` passed deadlines, oldest first.
pub fn process_timeouts(
    mut deps: DepsMut,
    env: Env,
    limit: Option<u32>,
) -> Result<Response, ContractError> {
    let limit = limit.unwrap_or(MAX_LIMIT).clamp(1, MAX_LIMIT) as usize;
    let now = env.block.height;
    let due: Vec<(u64, u64)> = DEADLINES
        .keys(
            deps.storage,
            None,
            Some(Bound::exclusive((now, 0u64))),
            Order::Ascending,
        )
        .take(limit)
        .collect::<Result<_, _>>()?;
    let config = CONFIG.load(deps.storage)?;
    let mut resp = Response::new()
        .add_attribute("action", "process_timeouts")
        .add_attribute("handled", due.len().to_string());
    for (_, job_id) in due {
        resp = timeout(deps.branch(), &env, &config, job_id, resp)?;
    }
    Ok(resp)
}

fn timeout(
    deps: DepsMut,
    env: &Env,
    config: &Config,
    job_id: u64,
    resp: Response,
) -> Result<Response, ContractError> {
    let mut job = load_job(deps.storage, job_id)?;
    let now = env.block.height;
    match job.state {
        JobState::Queued => expire(deps.storage, config, &mut job, resp),
        JobState::Assigned | JobState::Committed => {
            let round = ROUNDS.load(deps.storage, job_id)?;
            if round.secrets_due.is_some() {
                return close_secrets(deps, env, config, &mut job, round, resp);
            }
            if job.state == JobState::Committed {
                return start_challenge(deps, env, config, &mut job, round, resp);
            }
            training_timeout(deps, env, config, &mut job, &round, resp)
        }
        JobState::Challenged => start_verifying(deps, now, config, &mut job, resp),
        JobState::Verifying => {
            let round = ROUNDS.load(deps.storage, job_id)?;
            finalize(deps, env, config, &mut job, round, resp)
        }
        // Terminal jobs hold no deadline; nothing to do.
        _ => Ok(resp),
    }
}

/// The prover missed its training deadline: a benign fault (at least
/// staking's `min_benign_slash`), it never gets this job again, and it
/// leaves the prover index until it advertises (shows it is alive).
fn training_timeout(
    deps: DepsMut,
    env: &Env,
    config: &Config,
    job: &mut Job,
    round: &Round,
    mut resp: Response,
) -> Result<Response, ContractError> {
    let prover = job.prover.clone().expect("assigned jobs have a prover");
    if let Some(staking) = &config.staking {
        let cost = job.price.checked_mul(Uint128::from(job.spec.hyper.steps))?;
        resp = resp.add_submessage(slash_benign_msg(
            staking,
            &prover,
            evidence(env, job, round, "late", 0),
            job.id,
            cost,
        )?);
    }
    index::suspend(deps.storage, config, &prover, env.block.height)?;
    if !job.excluded.contains(&prover) {
        job.excluded.push(prover);
    }
    requeue(deps, env, config, job, "training_timeout", resp)
}

/// Permissionless: resend undelivered fees (one `RecordJob` per job).
pub fn flush_fees(deps: DepsMut, limit: Option<u32>) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let rewards = wired(&config, "rewards")?.clone();
    let limit = limit.unwrap_or(MAX_LIMIT).clamp(1, MAX_LIMIT) as usize;
    let entries: Vec<(u64, Undelivered)> = UNDELIVERED
        .range(deps.storage, None, None, Order::Ascending)
        .take(limit)
        .collect::<Result<_, _>>()?;
    let mut resp = Response::new().add_attribute("action", "flush_fees");
    let mut total = Uint128::zero();
    for (job_id, u) in entries {
        let amount = u.to_pool.checked_add(u.to_vault)?;
        total = total.checked_add(amount)?;
        UNDELIVERED.remove(deps.storage, job_id);
        resp = resp.add_submessage(record_job_msg(
            &rewards,
            &config.params.denom,
            FeePayload {
                job_id,
                outcome: u.outcome,
                to_pool: u.to_pool,
                to_vault: u.to_vault,
            },
        )?);
    }
    TOTALS.update(deps.storage, |mut t| -> Result<_, ContractError> {
        t.undelivered_fees = t.undelivered_fees.checked_sub(total)?;
        Ok(t)
    })?;
    Ok(resp.add_attribute("amount", total))
}
