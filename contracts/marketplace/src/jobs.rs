//! Jobs and their escrow (protocol.md section 4): submission and validation,
//! the lifecycle state index (every transition emits an `impulse_job`
//! event), cancel, expire, re-queue after a fault and the terminal refunds.

use cosmwasm_std::{
    coins, Addr, BankMsg, Decimal, DepsMut, Env, Event, HexBinary, Response, Storage, Uint128,
    Uint256,
};
use impulse_types::marketplace::{JobSpec, JobState, MarketplaceParams, VerificationMode};
use impulse_types::rewards::JobOutcome;

use crate::error::ContractError;
use crate::external::{record_job_msg, release_msg, FeePayload};
use crate::scheduler;
use crate::state::{
    Config, Job, CHALLENGES, CONFIG, DEADLINES, JOBS, JOB_STATES, OPENINGS, QUEUE, ROUNDS, TOTALS,
    VERDICTS,
};

pub const MAX_URI_LEN: usize = 512;
pub const MAX_NAME_LEN: usize = 64;
pub const MAX_CONFIG_LEN: usize = 4_096;

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

pub fn queue_key(job: &Job) -> (u128, u64) {
    (u128::MAX - job.density.u128(), job.id)
}

pub fn load_job(storage: &dyn Storage, job_id: u64) -> Result<Job, ContractError> {
    JOBS.may_load(storage, job_id)?
        .ok_or(ContractError::JobNotFound { job_id })
}

fn invalid(field: &'static str, reason: impl Into<String>) -> ContractError {
    ContractError::InvalidJob {
        field,
        reason: reason.into(),
    }
}

fn check_hash(field: &'static str, h: &HexBinary) -> Result<(), ContractError> {
    if h.len() != 32 {
        return Err(ContractError::InvalidHash {
            field,
            len: h.len(),
        });
    }
    Ok(())
}

fn check_text(
    field: &'static str,
    s: &str,
    max: usize,
    empty_ok: bool,
) -> Result<(), ContractError> {
    if (!empty_ok && s.is_empty()) || s.len() > max {
        return Err(invalid(
            field,
            format!("length {} outside [1, {max}]", s.len()),
        ));
    }
    if s.chars().any(|c| c.is_control()) {
        return Err(invalid(field, "control characters are not allowed"));
    }
    Ok(())
}

/// `ceil(alpha * L)`.
pub fn ceil_alpha_l(alpha: Decimal, steps: u64) -> Result<u64, ContractError> {
    let v = Uint128::from(steps)
        .checked_mul_ceil(alpha)
        .map_err(|_| ContractError::MathOverflow { what: "alpha * L" })?;
    u64::try_from(v.u128()).map_err(|_| ContractError::MathOverflow { what: "alpha * L" })
}

/// What the budget must cover, split as (prover, verification, fee).
pub fn required_budget(
    spec: &JobSpec,
    verifier_price: Uint128,
    protocol_fee: Decimal,
) -> Result<(Uint128, Uint128, Uint128), ContractError> {
    let over = |what| move |_| ContractError::MathOverflow { what };
    let prover = spec
        .max_price_per_step
        .checked_mul(Uint128::from(spec.hyper.steps))
        .map_err(over("L * max price"))?;
    let per_verifier = Uint128::from(ceil_alpha_l(spec.verification.alpha, spec.hyper.steps)?)
        .checked_add(Uint128::one())
        .map_err(over("verification"))?;
    let verification = per_verifier
        .checked_mul(Uint128::from(spec.verification.committee))
        .and_then(|v| v.checked_mul(verifier_price))
        .map_err(over("verification"))?;
    let fee = prover
        .checked_mul_ceil(protocol_fee)
        .map_err(|_| ContractError::MathOverflow { what: "fee" })?;
    Ok((prover, verification, fee))
}

pub fn validate_spec(spec: &JobSpec, p: &MarketplaceParams, now: u64) -> Result<(), ContractError> {
    check_text("model.arch", &spec.model.arch, MAX_NAME_LEN, false)?;
    if let Some(c) = &spec.model.config {
        check_text("model.config", c, MAX_CONFIG_LEN, false)?;
    }
    if let Some(w) = &spec.model.base_weights {
        check_hash("model.base_weights.sha256", &w.sha256)?;
        check_text("model.base_weights.uri", &w.uri, MAX_URI_LEN, false)?;
    }
    check_hash("dataset.sha256", &spec.dataset.sha256)?;
    check_text("dataset.uri", &spec.dataset.uri, MAX_URI_LEN, false)?;
    check_text(
        "hyper.optimizer",
        &spec.hyper.optimizer,
        MAX_NAME_LEN,
        false,
    )?;
    let h = &spec.hyper;
    if h.steps == 0 || h.steps > p.max_steps {
        return Err(invalid(
            "hyper.steps",
            format!("{} outside [1, {}]", h.steps, p.max_steps),
        ));
    }
    if h.batch_size == 0 || h.batch_size > 1_000_000 {
        return Err(invalid("hyper.batch_size", "must be in [1, 1000000]"));
    }
    if h.learning_rate.is_zero() || h.learning_rate > Decimal::from_ratio(10u128, 1u128) {
        return Err(invalid("hyper.learning_rate", "must be in (0, 10]"));
    }
    if spec.model_units == 0 || spec.model_units > 1_000_000_000 {
        return Err(invalid("model_units", "must be in [1, 10^9]"));
    }
    if spec.resources.devices == 0 {
        return Err(invalid(
            "resources.devices",
            "a job needs at least one device",
        ));
    }
    if spec.resources.memory_gib > 1_000_000 || spec.resources.devices > 1_024 {
        return Err(invalid("resources", "more than any provider can have"));
    }
    if spec.max_price_per_step.is_zero() {
        return Err(invalid("max_price_per_step", "must be greater than zero"));
    }
    if spec.min_reputation > Decimal::one() {
        return Err(invalid("min_reputation", "must be in [0, 1]"));
    }
    if spec.deadline <= now {
        return Err(invalid(
            "deadline",
            format!(
                "block {} is not after the current block {now}",
                spec.deadline
            ),
        ));
    }
    if spec.deadline - now > crate::governance::MAX_BLOCKS {
        return Err(invalid("deadline", "too far in the future"));
    }
    let v = &spec.verification;
    if v.alpha < p.min_alpha || v.alpha > Decimal::one() {
        return Err(invalid(
            "verification.alpha",
            format!("{} outside [min_alpha {}, 1]", v.alpha, p.min_alpha),
        ));
    }
    if v.committee < p.min_committee || v.committee > p.max_committee {
        return Err(invalid(
            "verification.committee",
            format!(
                "{} outside [{}, {}]",
                v.committee, p.min_committee, p.max_committee
            ),
        ));
    }
    if let VerificationMode::Tolerance { tau } = v.mode {
        if tau.is_zero() || tau > Decimal::one() {
            return Err(invalid("verification.mode.tau", "must be in (0, 1]"));
        }
    }
    let expected = ceil_alpha_l(v.alpha, h.steps)?;
    let need = expected.saturating_mul(2).saturating_add(8);
    if need > p.max_challenges as u64 {
        return Err(invalid(
            "verification.alpha",
            format!(
                "ceil(alpha*L)*2+8 = {need} exceeds max_challenges {}",
                p.max_challenges
            ),
        ));
    }
    Ok(())
}

/// `budget / (L * model_units)`, scaled by 10^6 and saturated to fit the key.
pub fn density(budget: Uint128, spec: &JobSpec) -> Uint128 {
    let load = Uint256::from(spec.hyper.steps) * Uint256::from(spec.model_units);
    let d = Uint256::from(budget) * Uint256::from(1_000_000u128) / load.max(Uint256::one());
    Uint128::try_from(d).unwrap_or(Uint128::MAX)
}

pub fn submit(
    deps: DepsMut,
    env: Env,
    trainer: Addr,
    budget: Uint128,
    spec: JobSpec,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let p = &config.params;
    let now = env.block.height;
    validate_spec(&spec, p, now)?;
    let (prover, verification, fee) =
        required_budget(&spec, p.verifier_price_per_step, p.protocol_fee)?;
    let required = prover
        .checked_add(verification)
        .and_then(|v| v.checked_add(fee))
        .map_err(|_| ContractError::MathOverflow { what: "budget" })?;
    if budget < required {
        return Err(ContractError::BudgetTooSmall {
            required,
            provided: budget,
        });
    }
    let mut totals = TOTALS.load(deps.storage)?;
    let id = totals
        .jobs
        .checked_add(1)
        .ok_or(ContractError::MathOverflow { what: "job id" })?;
    totals.jobs = id;
    totals.escrow = totals.escrow.checked_add(budget)?;
    TOTALS.save(deps.storage, &totals)?;
    let mut job = Job {
        id,
        trainer: trainer.clone(),
        density: density(budget, &spec),
        spec,
        state: JobState::Queued,
        budget,
        escrow: budget,
        attempts: 0,
        prover: None,
        price: Uint128::zero(),
        submitted_at: now,
        assigned_at: 0,
        phase_deadline: None,
        verifier_price: p.verifier_price_per_step,
        protocol_fee: p.protocol_fee,
        fee_to_rewards: p.fee_to_rewards,
    };
    JOB_STATES.save(deps.storage, (JobState::Queued.code(), id), &())?;
    QUEUE.save(deps.storage, queue_key(&job), &())?;
    let deadline = job.spec.deadline;
    set_deadline(deps.storage, &mut job, Some(deadline))?;
    JOBS.save(deps.storage, id, &job)?;
    scheduler::mix_entropy(deps.storage, &env, b"submit", &id.to_be_bytes())?;
    let mut resp = Response::new()
        .add_attribute("action", "submit_job")
        .add_attribute("job_id", id.to_string())
        .add_attribute("trainer", trainer.as_str())
        .add_attribute("budget", budget)
        .add_attribute("required", required)
        .add_event(transition_event(
            id,
            "submit",
            "submitted",
            JobState::Queued,
        ));
    // Match this job at once if possible; it stays queued otherwise.
    let mut ctx = scheduler::Ctx::new(config);
    resp = scheduler::try_match(deps, &env, &mut ctx, id, resp)?;
    Ok(resp)
}

pub fn cancel(deps: DepsMut, sender: Addr, job_id: u64) -> Result<Response, ContractError> {
    let mut job = load_job(deps.storage, job_id)?;
    if sender != job.trainer {
        return Err(ContractError::Unauthorized {
            sender: sender.to_string(),
            action: "cancel another trainer's job",
        });
    }
    if job.state != JobState::Queued {
        return Err(ContractError::WrongState {
            job_id,
            state: job.state,
            expected: "queued",
        });
    }
    let config = CONFIG.load(deps.storage)?;
    QUEUE.remove(deps.storage, queue_key(&job));
    let resp = Response::new()
        .add_attribute("action", "cancel_job")
        .add_attribute("job_id", job_id.to_string());
    close_with_refund(
        deps.storage,
        &config,
        &mut job,
        JobState::Cancelled,
        "cancel",
        resp,
    )
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
        for m in &round.committee {
            VERDICTS.remove(storage, (job_id, &m.addr));
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
        scheduler::release_prover(deps.storage, config, &prover, &job.spec, now)?;
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
