//! Jobs and their escrow (protocol.md section 4): submission and
//! validation, and cancellation. The budget a job needs is
//! `impulse_protocol::budget`'s; its lifecycle moves are in `lifecycle.rs`.

use cosmwasm_std::{Addr, Decimal, DepsMut, Env, HexBinary, Response, Uint128, Uint256};
use impulse_governance::GovError;
use impulse_protocol::budget::{ceil_alpha_l, required_budget};
use impulse_types::marketplace::{JobSpec, JobState, MarketplaceParams, VerificationMode};

use crate::entropy::mix_entropy;
use crate::error::ContractError;
use crate::lifecycle::{close_with_refund, load_job, queue_key, set_deadline, transition_event};
use crate::scheduler;
use crate::state::{Job, CONFIG, JOBS, JOB_STATES, QUEUE, TOTALS};

pub const MAX_URI_LEN: usize = 512;
pub const MAX_NAME_LEN: usize = 64;
pub const MAX_CONFIG_LEN: usize = 4_096;

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
    let required = required_budget(&spec, p)?.total()?;
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
        escalations: p.max_escalations,
        excluded: vec![],
    };
    JOB_STATES.save(deps.storage, (JobState::Queued.code(), id), &())?;
    QUEUE.save(deps.storage, queue_key(&job), &())?;
    let deadline = job.spec.deadline;
    set_deadline(deps.storage, &mut job, Some(deadline))?;
    JOBS.save(deps.storage, id, &job)?;
    mix_entropy(deps.storage, &env, b"submit", &id.to_be_bytes())?;
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
        return Err(GovError::unauthorized(&sender, "cancel another trainer's job").into());
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
