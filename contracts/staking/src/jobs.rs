//! Reserving a provider for a job (protocol.md sections 2 and 5). Only the
//! marketplace calls these; the checks here are the last line that keeps a
//! banned, under-staked or full provider from taking new work.

use cosmwasm_std::{Addr, DepsMut, Env, Response};
use impulse_types::Capacity;

use crate::error::ContractError;
use crate::governance::{validate_addr, GOVERNANCE};
use crate::provider::load;
use crate::state::{ActiveJob, Config, Provider, PROVIDERS};

/// Refuse any sender but the marketplace, then load `provider`: the
/// configuration, the provider's address and its record.
fn from_marketplace(
    deps: &DepsMut,
    sender: &Addr,
    provider: &str,
    action: &'static str,
) -> Result<(Config, Addr, Provider), ContractError> {
    let config = GOVERNANCE.ensure_wired(deps.storage, "marketplace", sender, action)?;
    let addr = validate_addr(deps.api, provider)?;
    let p = load(deps.storage, &addr)?;
    Ok((config, addr, p))
}

pub fn lock(
    deps: DepsMut,
    env: Env,
    sender: Addr,
    provider: &str,
    job_id: u64,
    need: Capacity,
) -> Result<Response, ContractError> {
    let (config, addr, mut p) =
        from_marketplace(&deps, &sender, provider, "lock a provider for a job")?;
    let params = config.params;
    let now = env.block.height;
    if p.is_banned(now) {
        return Err(ContractError::Banned {
            address: addr.to_string(),
            until: p.banned_until,
        });
    }
    if p.stake < params.min_prover_stake {
        return Err(ContractError::InsufficientStake {
            required: params.min_prover_stake,
            provided: p.stake,
        });
    }
    if p.active_jobs.iter().any(|j| j.job_id == job_id) {
        return Err(ContractError::JobAlreadyLocked {
            address: addr.to_string(),
            job_id,
        });
    }
    if p.active_jobs.len() >= params.max_active_jobs as usize {
        return Err(ContractError::TooManyJobs {
            address: addr.to_string(),
            max: params.max_active_jobs,
        });
    }
    if !p.capacity.fits(&p.capacity_in_use(), &need) {
        return Err(ContractError::InsufficientCapacity {
            address: addr.to_string(),
            job_id,
        });
    }
    p.active_jobs.push(ActiveJob { job_id, need });
    PROVIDERS.save(deps.storage, &addr, &p)?;
    Ok(Response::new()
        .add_attribute("action", "lock_for_job")
        .add_attribute("provider", addr.as_str())
        .add_attribute("job_id", job_id.to_string())
        .add_attribute("memory_gib", need.memory_gib.to_string())
        .add_attribute("devices", need.devices.to_string()))
}

pub fn release(
    deps: DepsMut,
    sender: Addr,
    provider: &str,
    job_id: u64,
) -> Result<Response, ContractError> {
    let (_, addr, mut p) =
        from_marketplace(&deps, &sender, provider, "release a provider from a job")?;
    let before = p.active_jobs.len();
    p.active_jobs.retain(|j| j.job_id != job_id);
    if p.active_jobs.len() == before {
        return Err(ContractError::JobNotLocked {
            address: addr.to_string(),
            job_id,
        });
    }
    PROVIDERS.save(deps.storage, &addr, &p)?;
    Ok(Response::new()
        .add_attribute("action", "release_job")
        .add_attribute("provider", addr.as_str())
        .add_attribute("job_id", job_id.to_string()))
}

/// `HoldStake`: nothing `provider` unbonds is released before `until`.
pub fn hold(
    deps: DepsMut,
    env: Env,
    sender: Addr,
    provider: &str,
    until: u64,
) -> Result<Response, ContractError> {
    let (_, addr, mut p) = from_marketplace(&deps, &sender, provider, "hold a provider's stake")?;
    let now = env.block.height;
    p.held_until = p.held_until.max(until);
    for u in p.unbonding.iter_mut() {
        u.hold(now, p.held_until)?;
    }
    PROVIDERS.save(deps.storage, &addr, &p)?;
    Ok(Response::new()
        .add_attribute("action", "hold_stake")
        .add_attribute("provider", addr.as_str())
        .add_attribute("held_until", p.held_until.to_string()))
}
