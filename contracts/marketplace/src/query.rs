//! Read-only views. Every list is paginated and capped at `MAX_LIMIT`.

use cosmwasm_std::{Deps, Env, Order, StdResult};
use cw_storage_plus::Bound;
use impulse_protocol::schedule::effective_score;
use impulse_types::common::page_limit;
use impulse_types::marketplace::{
    ConfigResponse, JobResponse, JobState, JobsResponse, MemberResponse, ProviderEntryResponse,
    QueueEntry, QueueResponse, RoundResponse, TotalsResponse,
};

use crate::error::ContractError;
use crate::governance::validate_addr;
use crate::index::entry_damp;
use crate::lifecycle::load_job;
use crate::state::{Job, CHALLENGES, CONFIG, JOBS, JOB_STATES, PROVIDERS, QUEUE, ROUNDS, TOTALS};

pub fn config(deps: Deps) -> Result<ConfigResponse, ContractError> {
    Ok(CONFIG.load(deps.storage)?)
}

fn to_response(j: Job) -> JobResponse {
    JobResponse {
        id: j.id,
        trainer: j.trainer,
        spec: j.spec,
        state: j.state,
        budget: j.budget,
        escrow: j.escrow,
        attempts: j.attempts,
        prover: j.prover,
        price_per_step: j.price,
        submitted_at: j.submitted_at,
        phase_deadline: j.phase_deadline,
        density: j.density,
        excluded_provers: j.excluded,
    }
}

pub fn job(deps: Deps, job_id: u64) -> Result<JobResponse, ContractError> {
    Ok(to_response(load_job(deps.storage, job_id)?))
}

pub fn jobs(
    deps: Deps,
    state: Option<JobState>,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> Result<JobsResponse, ContractError> {
    let limit = page_limit(limit);
    let start = start_after.map(Bound::exclusive);
    let keys: Box<dyn Iterator<Item = StdResult<u64>>> = match state {
        Some(s) => JOB_STATES
            .prefix(s.code())
            .keys(deps.storage, start, None, Order::Ascending),
        None => JOBS.keys(deps.storage, start, None, Order::Ascending),
    };
    let ids: Vec<u64> = keys.take(limit).collect::<Result<_, _>>()?;
    let jobs = ids
        .into_iter()
        .map(|id| JOBS.load(deps.storage, id).map(to_response))
        .collect::<Result<_, _>>()?;
    Ok(JobsResponse { jobs })
}

pub fn queue(
    deps: Deps,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> Result<QueueResponse, ContractError> {
    let limit = page_limit(limit);
    let start = match start_after {
        Some(id) => {
            let j = load_job(deps.storage, id)?;
            Some(Bound::exclusive(crate::lifecycle::queue_key(&j)))
        }
        None => None,
    };
    let entries = QUEUE
        .keys(deps.storage, start, None, Order::Ascending)
        .take(limit)
        .map(|k| {
            k.map(|(inv, id)| QueueEntry {
                job_id: id,
                density: (u128::MAX - inv).into(),
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(QueueResponse { entries })
}

pub fn provider(
    deps: Deps,
    env: Env,
    address: &str,
) -> Result<ProviderEntryResponse, ContractError> {
    let addr = validate_addr(deps.api, address)?;
    let e =
        PROVIDERS
            .may_load(deps.storage, &addr)?
            .ok_or_else(|| ContractError::NotAProvider {
                address: address.to_string(),
            })?;
    let p = CONFIG.load(deps.storage)?.params;
    let now = env.block.height;
    Ok(ProviderEntryResponse {
        address: addr,
        backend: e.backend,
        capacity: e.capacity,
        capacity_in_use: e.used,
        price_per_step: e.price,
        can_prove: e.can_prove,
        can_verify: e.can_verify,
        stake: e.stake,
        score: e.score,
        banned_until: e.banned_until,
        damp: entry_damp(&e, &p, now),
        effective_score: effective_score(e.score, entry_damp(&e, &p, now), &p),
        indexed: e.index_key.is_some(),
        verifier_weight: e.vweight,
        active_jobs: e.active_jobs,
        suspended: e.suspended,
    })
}

pub fn round(deps: Deps, job_id: u64) -> Result<RoundResponse, ContractError> {
    let job = load_job(deps.storage, job_id)?;
    let r = ROUNDS
        .may_load(deps.storage, job_id)?
        .ok_or(ContractError::MissingPrerequisite {
            job_id,
            what: "an assignment",
        })?;
    let steps = CHALLENGES
        .may_load(deps.storage, job_id)?
        .unwrap_or_default();
    Ok(RoundResponse {
        job_id,
        attempt: r.attempt,
        draw: r.draw,
        state: job.state,
        committee: r
            .committee
            .into_iter()
            .map(|m| MemberResponse {
                address: m.addr,
                secret_hash: m.secret_hash,
                secret: m.secret,
                verdict_commitment: m.verdict,
                revealed: m.revealed,
            })
            .collect(),
        root: r.root,
        final_model_hash: r.final_model_hash,
        build_identity: r.build_identity,
        seed: r.seed,
        seed_entropy: r.seed_entropy,
        challenged_steps: steps,
        opened: r.opened,
        phase_deadline: job.phase_deadline,
        level: r.level,
        secrets_due: r.secrets_due,
        past_members: r.past,
    })
}

pub fn totals(deps: Deps) -> Result<TotalsResponse, ContractError> {
    let t = TOTALS.load(deps.storage)?;
    Ok(TotalsResponse {
        escrow: t.escrow,
        undelivered_fees: t.undelivered_fees,
        jobs: t.jobs,
    })
}
