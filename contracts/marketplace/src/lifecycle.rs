//! Job lifecycle transitions as stored (protocol.md §4): the state index,
//! deadlines, the queue, re-queueing after a fault and the terminal
//! refunds. Which transitions exist is `impulse_protocol::lifecycle`'s
//! table; every move goes through [`set_state`], which checks it and emits
//! the `impulse_job` event.

use cosmwasm_std::{coins, BankMsg, DepsMut, Env, Event, Response, Storage, Uint128};
use impulse_protocol::lifecycle;
use impulse_types::marketplace::JobState;
use impulse_types::rewards::JobOutcome;

use crate::error::ContractError;
use crate::external::{record_job_msg, release_msg, FeePayload};
use crate::index;
use crate::state::{
    Config, Job, CHALLENGES, DEADLINES, JOBS, JOB_STATES, OPENINGS, QUEUE, ROUNDS, TOTALS, VERDICTS,
};

/// The event of a lifecycle transition.
pub fn transition_event(job_id: u64, action: &str, from: &str, to: JobState) -> Event {
    Event::new("impulse_job")
        .add_attribute("action", action)
        .add_attribute("job_id", job_id.to_string())
        .add_attribute("from", from)
        .add_attribute("to", to.as_str())
}

/// Move `job` to `to`: state index, event. The caller saves the job.
pub fn set_state(
    storage: &mut dyn Storage,
    job: &mut Job,
    to: JobState,
    action: &str,
) -> Result<Event, ContractError> {
    if !lifecycle::can_move(job.state, to) {
        return Err(ContractError::WrongState {
            job_id: job.id,
            state: job.state,
            expected: "a state with a transition to this one",
        });
    }
    JOB_STATES.remove(storage, (job.state.code(), job.id));
    JOB_STATES.save(storage, (to.code(), job.id), &())?;
    let ev = transition_event(job.id, action, job.state.as_str(), to);
    job.state = to;
    Ok(ev)
}

/// Replace the job's pending deadline.
pub fn set_deadline(
    storage: &mut dyn Storage,
    job: &mut Job,
    at: Option<u64>,
) -> Result<(), ContractError> {
    if let Some(old) = job.phase_deadline.take() {
        DEADLINES.remove(storage, (old, job.id));
    }
    if let Some(at) = at {
        DEADLINES.save(storage, (at, job.id), &())?;
        job.phase_deadline = Some(at);
    }
    Ok(())
}

/// Move `job` to `to` (the event's `action`) with its next phase due at
/// block `deadline`, and save it.
pub fn advance(
    storage: &mut dyn Storage,
    job: &mut Job,
    to: JobState,
    action: &str,
    deadline: u64,
) -> Result<Event, ContractError> {
    set_deadline(storage, job, Some(deadline))?;
    let ev = set_state(storage, job, to, action)?;
    JOBS.save(storage, job.id, job)?;
    Ok(ev)
}

pub fn queue_key(job: &Job) -> (u128, u64) {
    (u128::MAX - job.density.u128(), job.id)
}

pub fn load_job(storage: &dyn Storage, job_id: u64) -> Result<Job, ContractError> {
    JOBS.may_load(storage, job_id)?
        .ok_or(ContractError::JobNotFound { job_id })
}

/// End `job` in a terminal state and refund what is left of its escrow.
pub fn close_with_refund(
    storage: &mut dyn Storage,
    config: &Config,
    job: &mut Job,
    to: JobState,
    action: &str,
    mut resp: Response,
) -> Result<Response, ContractError> {
    set_deadline(storage, job, None)?;
    let ev = set_state(storage, job, to, action)?;
    let refund = job.escrow;
    if !refund.is_zero() {
        TOTALS.update(storage, |mut t| -> Result<_, ContractError> {
            t.escrow = t.escrow.checked_sub(refund)?;
            Ok(t)
        })?;
        job.escrow = Uint128::zero();
        resp = resp.add_message(BankMsg::Send {
            to_address: job.trainer.to_string(),
            amount: coins(refund.u128(), &config.params.denom),
        });
    }
    JOBS.save(storage, job.id, job)?;
    Ok(resp.add_event(ev.add_attribute("refund", refund)))
}

/// Queued and past its deadline: expire with a full refund of the escrow.
pub fn expire(
    storage: &mut dyn Storage,
    config: &Config,
    job: &mut Job,
    resp: Response,
) -> Result<Response, ContractError> {
    QUEUE.remove(storage, queue_key(job));
    close_with_refund(storage, config, job, JobState::Expired, "expire", resp)
}

/// Forget the round data of the current attempt (bounded by the committee
/// size and `max_challenges`).
pub fn clear_round(storage: &mut dyn Storage, job_id: u64) -> Result<(), ContractError> {
    if let Some(round) = ROUNDS.may_load(storage, job_id)? {
        for a in round.everyone() {
            VERDICTS.remove(storage, (job_id, &a));
        }
    }
    clear_openings(storage, job_id)?;
    ROUNDS.remove(storage, job_id);
    CHALLENGES.remove(storage, job_id);
    Ok(())
}

pub fn clear_openings(storage: &mut dyn Storage, job_id: u64) -> Result<(), ContractError> {
    if let Some(steps) = CHALLENGES.may_load(storage, job_id)? {
        for s in steps {
            OPENINGS.remove(storage, (job_id, s));
        }
    }
    Ok(())
}

/// The attempt ended without a settlement (fault, fraud, missed quorum):
/// release the prover and queue the job again, or fail it (refund) after
/// `max_attempts`, or expire it if its deadline has passed.
pub fn requeue(
    deps: DepsMut,
    env: &Env,
    config: &Config,
    job: &mut Job,
    reason: &str,
    mut resp: Response,
) -> Result<Response, ContractError> {
    let now = env.block.height;
    if let Some(prover) = job.prover.take() {
        index::release_prover(deps.storage, config, &prover, &job.spec, now)?;
        if let Some(staking) = &config.staking {
            resp = resp.add_submessage(release_msg(staking, &prover, job.id)?);
        }
    }
    clear_round(deps.storage, job.id)?;
    job.price = Uint128::zero();
    resp = resp.add_attribute("requeue_reason", reason);
    if job.attempts >= config.params.max_attempts {
        resp = close_with_refund(deps.storage, config, job, JobState::Failed, reason, resp)?;
        if let Some(rewards) = &config.rewards {
            resp = resp.add_submessage(record_job_msg(
                rewards,
                &config.params.denom,
                FeePayload {
                    job_id: job.id,
                    outcome: JobOutcome::Failed,
                    to_pool: Uint128::zero(),
                    to_vault: Uint128::zero(),
                },
            )?);
        }
        return Ok(resp);
    }
    if now > job.spec.deadline {
        return close_with_refund(deps.storage, config, job, JobState::Expired, reason, resp);
    }
    let deadline = job.spec.deadline;
    set_deadline(deps.storage, job, Some(deadline))?;
    let ev = set_state(deps.storage, job, JobState::Queued, reason)?;
    QUEUE.save(deps.storage, queue_key(job), &())?;
    JOBS.save(deps.storage, job.id, job)?;
    Ok(resp.add_event(ev))
}
