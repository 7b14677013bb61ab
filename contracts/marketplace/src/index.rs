//! The scheduler's cached view of providers (protocol.md §5): providers
//! opt in with `Advertise`; the contract caches what staking and reputation
//! say and keeps two indexes:
//! - the prover index `(backend, u128::MAX - score_per_price, addr)`, where
//!   `score_per_price` is `impulse_protocol::schedule`'s ranking at the last
//!   touch;
//! - a Fenwick tree of verifier weights `stake * max(Rep, score_floor)` per
//!   backend, from which committees are drawn.

use cosmwasm_std::{Addr, Decimal, DepsMut, Env, Response, Storage, Uint128};
use impulse_governance::wired;
use impulse_protocol::schedule::{damp_now, effective_score, score_per_price, verifier_weight};
use impulse_types::marketplace::{JobSpec, MarketplaceParams};
use impulse_types::staking::ProviderResponse;
use impulse_types::Capacity;

use crate::error::ContractError;
use crate::external::{reputation_score, staking_provider};
use crate::fenwick;
use crate::state::{backend_code, Config, Job, ProviderEntry, CONFIG, PROVER_INDEX, PROVIDERS};

/// The damp of `e` at `now`.
pub fn entry_damp(e: &ProviderEntry, p: &MarketplaceParams, now: u64) -> Decimal {
    damp_now(e.damp, e.damp_at, p, now)
}

/// The ranking value of `e` at `now`.
pub fn entry_rank(e: &ProviderEntry, p: &MarketplaceParams, now: u64) -> u128 {
    score_per_price(effective_score(e.score, entry_damp(e, p, now), p), e.price)
}

fn has_room(e: &ProviderEntry) -> bool {
    e.used.devices < e.capacity.devices && e.used.memory_gib < e.capacity.memory_gib
}

/// Put the provider back in the indexes as it is now: the prover index if it
/// can prove, is not banned, not suspended and has room; the verifier tree
/// with its weight (a slot at weight 0 is freed for reuse). The damp is
/// normalised to `now` (the recovery is memoryless).
pub fn reindex(
    storage: &mut dyn Storage,
    p: &MarketplaceParams,
    addr: &Addr,
    e: &mut ProviderEntry,
    now: u64,
) -> Result<(), ContractError> {
    let b = backend_code(e.backend);
    e.damp = entry_damp(e, p, now);
    e.damp_at = now;
    if let Some(k) = e.index_key.take() {
        PROVER_INDEX.remove(storage, (b, k, addr));
    }
    let banned = now < e.banned_until;
    if e.can_prove && !banned && !e.suspended && has_room(e) {
        let key = u128::MAX - entry_rank(e, p, now);
        PROVER_INDEX.save(storage, (b, key, addr), &())?;
        e.index_key = Some(key);
    }
    let weight = if e.can_verify && !banned {
        verifier_weight(e.stake, e.score, p)
    } else {
        Uint128::zero()
    };
    if e.vslot.is_none() && !weight.is_zero() {
        match fenwick::allocate(storage, b, addr)? {
            Some(slot) => e.vslot = Some(slot),
            None => {
                return Err(ContractError::VerifierSlotsFull {
                    backend: e.backend.to_string(),
                    max: fenwick::FENWICK_SIZE,
                })
            }
        }
    }
    if let Some(slot) = e.vslot {
        fenwick::set_weight(storage, b, slot, e.vweight, weight)?;
        e.vweight = weight;
        if weight.is_zero() {
            fenwick::free(storage, b, slot)?;
            e.vslot = None;
        }
    }
    Ok(())
}

/// Take the fresh staking view into the cache.
pub fn refresh(e: &mut ProviderEntry, s: &ProviderResponse) {
    e.capacity = s.capacity;
    e.price = s.price_per_step;
    e.can_prove = s.can_prove;
    e.can_verify = s.can_verify;
    e.stake = s.stake;
    e.banned_until = s.banned_until;
}

pub fn advertise(deps: DepsMut, env: Env, sender: Addr) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let staking = wired(&config, "staking")?.clone();
    let s = staking_provider(deps.as_ref(), &staking, &sender).ok_or_else(|| {
        ContractError::NotAProvider {
            address: sender.to_string(),
        }
    })?;
    let score = reputation_score(deps.as_ref(), config.reputation.as_ref(), &sender);
    let now = env.block.height;
    let mut e = match PROVIDERS.may_load(deps.storage, &sender)? {
        Some(e) => e,
        None => ProviderEntry {
            backend: s.backend,
            capacity: s.capacity,
            used: Capacity::default(),
            price: s.price_per_step,
            can_prove: false,
            can_verify: false,
            stake: Uint128::zero(),
            score,
            banned_until: 0,
            damp: Decimal::one(),
            damp_at: now,
            active_jobs: 0,
            index_key: None,
            vslot: None,
            vweight: Uint128::zero(),
            suspended: false,
        },
    };
    if e.backend != s.backend {
        // Leave the old backend's indexes before joining the new one's.
        let old = backend_code(e.backend);
        if let Some(k) = e.index_key.take() {
            PROVER_INDEX.remove(deps.storage, (old, k, &sender));
        }
        if let Some(slot) = e.vslot.take() {
            fenwick::set_weight(deps.storage, old, slot, e.vweight, Uint128::zero())?;
            fenwick::free(deps.storage, old, slot)?;
        }
        e.vweight = Uint128::zero();
        e.backend = s.backend;
    }
    refresh(&mut e, &s);
    e.score = score;
    // Advertising is a signed message: the provider is alive again.
    let resumed = std::mem::take(&mut e.suspended);
    reindex(deps.storage, &config.params, &sender, &mut e, now)?;
    PROVIDERS.save(deps.storage, &sender, &e)?;
    Ok(Response::new()
        .add_attribute("action", "advertise")
        .add_attribute("provider", sender.as_str())
        .add_attribute("backend", e.backend.as_str())
        .add_attribute("price_per_step", e.price)
        .add_attribute("score", e.score.to_string())
        .add_attribute("indexed", e.index_key.is_some().to_string())
        .add_attribute("verifier_weight", e.vweight)
        .add_attribute("resumed", resumed.to_string()))
}

/// Change the cached entry of `addr` (if the marketplace knows it) with
/// `change`, then re-index and save it.
fn update_entry(
    storage: &mut dyn Storage,
    config: &Config,
    addr: &Addr,
    now: u64,
    change: impl FnOnce(&mut ProviderEntry),
) -> Result<(), ContractError> {
    if let Some(mut e) = PROVIDERS.may_load(storage, addr)? {
        change(&mut e);
        reindex(storage, &config.params, addr, &mut e, now)?;
        PROVIDERS.save(storage, addr, &e)?;
    }
    Ok(())
}

/// The prover's job ended: free its capacity in the marketplace's accounting
/// and re-index it.
pub fn release_prover(
    storage: &mut dyn Storage,
    config: &Config,
    prover: &Addr,
    spec: &JobSpec,
    now: u64,
) -> Result<(), ContractError> {
    update_entry(storage, config, prover, now, |e| {
        e.used = Capacity {
            memory_gib: e.used.memory_gib.saturating_sub(spec.resources.memory_gib),
            devices: e.used.devices.saturating_sub(spec.resources.devices),
        };
        e.active_jobs = e.active_jobs.saturating_sub(1);
    })
}

/// A provider convicted of fraud leaves both indexes until it advertises
/// again (which reads its ban and its new score).
pub fn punish(
    storage: &mut dyn Storage,
    config: &Config,
    addr: &Addr,
    now: u64,
) -> Result<(), ContractError> {
    update_entry(storage, config, addr, now, |e| {
        e.score = Decimal::zero();
        e.can_prove = false;
        e.can_verify = false;
    })
}

/// A prover that timed out leaves the prover index until it advertises
/// again: it ranks behind every provider that shows it is alive.
pub fn suspend(
    storage: &mut dyn Storage,
    config: &Config,
    addr: &Addr,
    now: u64,
) -> Result<(), ContractError> {
    update_entry(storage, config, addr, now, |e| e.suspended = true)
}

pub fn eligible(addr: &Addr, e: &ProviderEntry, job: &Job, now: u64) -> bool {
    e.can_prove
        && !e.suspended
        && !job.excluded.contains(addr)
        && e.backend == job.spec.backend
        && e.price <= job.spec.max_price_per_step
        && e.score >= job.spec.min_reputation
        && now >= e.banned_until
        && e.capacity.fits(&e.used, &job.spec.resources)
}
