//! Queries. Unbonding amounts are shown as of the current block (releases
//! accrued), so what a query says is what `Claim` would pay.

use cosmwasm_std::{Addr, Deps, Env, Uint128};
use impulse_types::staking::{
    ConfigResponse, ProviderResponse, ProvidersResponse, TotalsResponse, UnbondingResponse,
};

use impulse_governance::addr_page;

use crate::error::ContractError;
use crate::governance::validate_addr;
use crate::provider::load;
use crate::state::{Provider, CONFIG, PROVIDERS, SLASH_REWARDS, TOTALS};

pub fn config(deps: Deps) -> Result<ConfigResponse, ContractError> {
    Ok(CONFIG.load(deps.storage)?)
}

fn accrued(mut p: Provider, now: u64) -> Result<Provider, ContractError> {
    for u in p.unbonding.iter_mut() {
        u.accrue(now)?;
    }
    Ok(p)
}

fn to_response(
    deps: Deps,
    env: &Env,
    address: Addr,
    p: Provider,
) -> Result<ProviderResponse, ContractError> {
    let params = CONFIG.load(deps.storage)?.params;
    let now = env.block.height;
    let p = accrued(p, now)?;
    let (mut pending, mut released) = (Uint128::zero(), Uint128::zero());
    for u in &p.unbonding {
        pending = pending.checked_add(u.pending)?;
        released = released.checked_add(u.released)?;
    }
    let rewards = SLASH_REWARDS
        .may_load(deps.storage, &address)?
        .unwrap_or_default();
    let banned = p.is_banned(now);
    Ok(ProviderResponse {
        capacity_in_use: p.capacity_in_use(),
        can_prove: !banned && p.stake >= params.min_prover_stake,
        can_verify: !banned && p.stake >= params.min_verifier_stake,
        address,
        backend: p.backend,
        capacity: p.capacity,
        price_per_step: p.price_per_step,
        endpoint: p.endpoint,
        stake: p.stake,
        unbonding: pending,
        claimable: released.checked_add(rewards)?,
        banned_until: p.banned_until,
        banned,
        active_jobs: p.active_jobs.iter().map(|j| j.job_id).collect(),
        registered_at: p.registered_at,
        last_heartbeat: p.last_heartbeat,
        consecutive_misses: p.consecutive_misses,
        unpaid_fine_intervals: p.unpaid_fine_intervals,
        chronic_absence: p.chronic_absence,
        held_until: p.held_until,
    })
}

pub fn provider(deps: Deps, env: Env, address: &str) -> Result<ProviderResponse, ContractError> {
    let addr = validate_addr(deps.api, address)?;
    let p = load(deps.storage, &addr)?;
    to_response(deps, &env, addr, p)
}

pub fn providers(
    deps: Deps,
    env: Env,
    start_after: Option<String>,
    limit: Option<u32>,
) -> Result<ProvidersResponse, ContractError> {
    let providers = addr_page(
        deps.storage,
        deps.api,
        &PROVIDERS,
        start_after,
        limit,
        |addr, p| to_response(deps, &env, addr, p),
    )?;
    Ok(ProvidersResponse { providers })
}

pub fn unbonding(deps: Deps, env: Env, address: &str) -> Result<UnbondingResponse, ContractError> {
    let addr = validate_addr(deps.api, address)?;
    let rewards = SLASH_REWARDS
        .may_load(deps.storage, &addr)?
        .unwrap_or_default();
    let entries = match PROVIDERS.may_load(deps.storage, &addr)? {
        Some(p) => accrued(p, env.block.height)?.unbonding,
        None if !rewards.is_zero() => vec![],
        None => {
            return Err(ContractError::ProviderNotFound {
                address: addr.to_string(),
            })
        }
    };
    let mut claimable_now = rewards;
    for u in &entries {
        claimable_now = claimable_now.checked_add(u.released)?;
    }
    Ok(UnbondingResponse {
        entries: entries.iter().map(|u| u.to_entry()).collect(),
        claimable_now,
    })
}

pub fn totals(deps: Deps) -> Result<TotalsResponse, ContractError> {
    let t = TOTALS.load(deps.storage)?;
    Ok(TotalsResponse {
        bonded: t.bonded,
        unbonding: t.unbonding,
        slash_rewards: t.slash_rewards,
        burned: t.burned,
        paid_to_escrow: t.paid_to_escrow,
    })
}
