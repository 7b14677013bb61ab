//! The scheduler (protocol.md section 5) and the committee draw (section 6.4).
//!
//! Providers opt in with `Advertise`; the contract caches what staking and
//! reputation say and keeps two indexes:
//! - the prover index `(backend, u128::MAX - score_per_price, addr)`, where
//!   `score_per_price = max(Rep, score_floor) * damp / price` at the last
//!   touch. A match reads at most `max_candidates` entries from the front,
//!   ranks them by their score per price NOW (the damp recovers between
//!   touches), and confirms the best eligible one with one staking query;
//! - a Fenwick tree of verifier weights `stake * max(Rep, score_floor)` per
//!   backend, from which the committee is drawn in O(log n) per member.
//!
//! So a match costs the same with 10 or 10,000 registered providers.
//! Randomness comes from the contract's entropy chain (see the crate README
//! for its bias analysis).

use cosmwasm_std::{
    Addr, Decimal, Deps, DepsMut, Env, HexBinary, Order, Response, Storage, Uint128,
};
use cw_storage_plus::Bound;
use impulse_types::common::MAX_LIMIT;
use impulse_types::marketplace::{JobSpec, JobState, MarketplaceParams};
use impulse_types::math::exp2_neg_ratio;
use impulse_types::staking::{ConfigResponse as StakingConfig, ProviderResponse};
use impulse_types::Capacity;
use sha2::{Digest, Sha256};

use crate::error::ContractError;
use crate::external::{lock_msg, reputation_score, staking_config, staking_provider};
use crate::fenwick;
use crate::jobs::{expire, load_job, queue_key, set_deadline, set_state};
use crate::state::{
    backend_code, Config, Job, Member, ProviderEntry, Round, CONFIG, ENTROPY, JOBS, PROVER_INDEX,
    PROVIDERS, QUEUE, ROUNDS, SCHED_CURSOR,
};

/// Scale of `score_per_price` in the index key.
const KEY_SCALE: u128 = 1_000_000_000_000;
/// ln 2 * 10^9, to turn a time constant into a half-life.
const LN2_E9: u64 = 693_147_181;

/// Per-transaction context: the config and, once needed, staking's config.
pub struct Ctx {
    pub config: Config,
    staking_cfg: Option<StakingConfig>,
}

impl Ctx {
    pub fn new(config: Config) -> Self {
        Ctx {
            config,
            staking_cfg: None,
        }
    }

    fn staking_cfg(&mut self, deps: Deps, staking: &Addr) -> Result<&StakingConfig, ContractError> {
        if self.staking_cfg.is_none() {
            self.staking_cfg = Some(staking_config(deps, staking)?);
        }
        Ok(self.staking_cfg.as_ref().expect("set above"))
    }
}

/// Fold `tag`, `data`, the height and the time into the entropy chain and
/// return the new value.
pub fn mix_entropy(
    storage: &mut dyn Storage,
    env: &Env,
    tag: &[u8],
    data: &[u8],
) -> Result<[u8; 32], ContractError> {
    let prev = ENTROPY.may_load(storage)?.unwrap_or_default();
    let mut h = Sha256::new();
    h.update(b"impulse/entropy/v1");
    h.update(prev.as_slice());
    h.update(tag);
    h.update(data);
    h.update(env.block.height.to_be_bytes());
    h.update(env.block.time.nanos().to_be_bytes());
    let out: [u8; 32] = h.finalize().into();
    ENTROPY.save(storage, &HexBinary::from(out.to_vec()))?;
    Ok(out)
}

/// The damp at `now`: `1 - (1 - damp) * e^(-dt / damp_recovery_blocks)`.
pub fn damp_now(e: &ProviderEntry, p: &MarketplaceParams, now: u64) -> Decimal {
    let dt = now.saturating_sub(e.damp_at);
    if dt == 0 || e.damp >= Decimal::one() {
        return e.damp.min(Decimal::one());
    }
    let tau = p.damp_recovery_blocks.max(1);
    // e^(-dt/tau) = 2^(-dt / (tau * ln 2)); beyond 100 tau it is below 1e-18.
    let left = if dt >= tau.saturating_mul(100) {
        Decimal::zero()
    } else {
        exp2_neg_ratio(dt.saturating_mul(1_000_000_000), tau.saturating_mul(LN2_E9))
    };
    let gap = (Decimal::one() - e.damp) * left;
    Decimal::one() - gap.min(Decimal::one())
}

/// `max(Rep, floor) * damp` at `now`.
pub fn effective_score(e: &ProviderEntry, p: &MarketplaceParams, now: u64) -> Decimal {
    e.score.max(p.score_floor) * damp_now(e, p, now)
}

fn score_per_price(eff: Decimal, price: Uint128) -> u128 {
    let price = price.u128().max(1);
    eff.atomics().u128().saturating_mul(KEY_SCALE) / price
}

fn has_room(e: &ProviderEntry) -> bool {
    e.used.devices < e.capacity.devices && e.used.memory_gib < e.capacity.memory_gib
}

/// Put the provider back in the indexes as it is now: the prover index if it
/// can prove, is not banned and has room; the verifier tree with its weight.
/// The damp is normalised to `now` (the recovery is memoryless).
pub fn reindex(
    storage: &mut dyn Storage,
    p: &MarketplaceParams,
    addr: &Addr,
    e: &mut ProviderEntry,
    now: u64,
) -> Result<(), ContractError> {
    let b = backend_code(e.backend);
    e.damp = damp_now(e, p, now);
    e.damp_at = now;
    if let Some(k) = e.index_key.take() {
        PROVER_INDEX.remove(storage, (b, k, addr));
    }
    let banned = now < e.banned_until;
    if e.can_prove && !banned && has_room(e) {
        let key = u128::MAX - score_per_price(effective_score(e, p, now), e.price);
        PROVER_INDEX.save(storage, (b, key, addr), &())?;
        e.index_key = Some(key);
    }
    let weight = if e.can_verify && !banned {
        e.stake.mul_floor(e.score.max(p.score_floor))
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
    }
    Ok(())
}

/// Take the fresh staking view into the cache.
fn refresh(e: &mut ProviderEntry, s: &ProviderResponse) {
    e.capacity = s.capacity;
    e.price = s.price_per_step;
    e.can_prove = s.can_prove;
    e.can_verify = s.can_verify;
    e.stake = s.stake;
    e.banned_until = s.banned_until;
}

pub fn advertise(deps: DepsMut, env: Env, sender: Addr) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let staking = config
        .staking
        .clone()
        .ok_or(ContractError::ContractNotSet {
            contract: "staking",
        })?;
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
        }
        e.vweight = Uint128::zero();
        e.backend = s.backend;
    }
    refresh(&mut e, &s);
    e.score = score;
    reindex(deps.storage, &config.params, &sender, &mut e, now)?;
    PROVIDERS.save(deps.storage, &sender, &e)?;
    Ok(Response::new()
        .add_attribute("action", "advertise")
        .add_attribute("provider", sender.as_str())
        .add_attribute("backend", e.backend.as_str())
        .add_attribute("price_per_step", e.price)
        .add_attribute("score", e.score.to_string())
        .add_attribute("indexed", e.index_key.is_some().to_string())
        .add_attribute("verifier_weight", e.vweight))
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
    if let Some(mut e) = PROVIDERS.may_load(storage, prover)? {
        e.used = Capacity {
            memory_gib: e.used.memory_gib.saturating_sub(spec.resources.memory_gib),
            devices: e.used.devices.saturating_sub(spec.resources.devices),
        };
        e.active_jobs = e.active_jobs.saturating_sub(1);
        reindex(storage, &config.params, prover, &mut e, now)?;
        PROVIDERS.save(storage, prover, &e)?;
    }
    Ok(())
}

/// A provider convicted of fraud leaves both indexes until it advertises
/// again (which reads its ban and its new score).
pub fn punish(
    storage: &mut dyn Storage,
    config: &Config,
    addr: &Addr,
    now: u64,
) -> Result<(), ContractError> {
    if let Some(mut e) = PROVIDERS.may_load(storage, addr)? {
        e.score = Decimal::zero();
        e.can_prove = false;
        e.can_verify = false;
        reindex(storage, &config.params, addr, &mut e, now)?;
        PROVIDERS.save(storage, addr, &e)?;
    }
    Ok(())
}

fn eligible(e: &ProviderEntry, job: &Job, now: u64) -> bool {
    e.can_prove
        && e.backend == job.spec.backend
        && e.price <= job.spec.max_price_per_step
        && e.score >= job.spec.min_reputation
        && now >= e.banned_until
        && e.capacity.fits(&e.used, &job.spec.resources)
}

fn draw_u128(seed: &[u8; 32], job_id: u64, attempt: u32, draw: u32, n: u32) -> u128 {
    let mut h = Sha256::new();
    h.update(b"impulse/committee/v1");
    h.update(seed);
    h.update(job_id.to_be_bytes());
    h.update(attempt.to_be_bytes());
    h.update(draw.to_be_bytes());
    h.update(n.to_be_bytes());
    let d: [u8; 32] = h.finalize().into();
    let mut first = [0u8; 16];
    first.copy_from_slice(&d[..16]);
    u128::from_be_bytes(first)
}

/// Draw `k` distinct verifiers of the job's backend, stake x reputation
/// weighted, excluding `exclude`; each confirmed with staking. `None` when
/// the draws (at most `k + max_draw_retries`) do not find `k`.
pub fn draw_committee(
    deps: &mut DepsMut,
    env: &Env,
    config: &Config,
    job: &Job,
    attempt: u32,
    draw: u32,
    exclude: &[Addr],
) -> Result<Option<Vec<Addr>>, ContractError> {
    let staking = config
        .staking
        .clone()
        .ok_or(ContractError::ContractNotSet {
            contract: "staking",
        })?;
    let p = &config.params;
    let k = job.spec.verification.committee as usize;
    let b = backend_code(job.spec.backend);
    let now = env.block.height;
    let seed = mix_entropy(deps.storage, env, b"committee", &job.id.to_be_bytes())?;
    let max_tries = (k as u32).saturating_add(p.max_draw_retries);
    let mut members: Vec<Addr> = Vec::with_capacity(k);
    let mut n = 0u32;
    while members.len() < k && n < max_tries {
        n += 1;
        let total = fenwick::total(deps.storage, b)?;
        if total.is_zero() {
            break;
        }
        let r = Uint128::new(draw_u128(&seed, job.id, attempt, draw, n) % total.u128());
        let slot = fenwick::find(deps.storage, b, r)?;
        let Some(addr) = fenwick::slot_addr(deps.storage, b, slot)? else {
            continue;
        };
        if exclude.contains(&addr) || members.contains(&addr) {
            continue;
        }
        let Some(mut e) = PROVIDERS.may_load(deps.storage, &addr)? else {
            continue;
        };
        match staking_provider(deps.as_ref(), &staking, &addr) {
            None => {
                e.can_verify = false;
                e.can_prove = false;
            }
            Some(s) => refresh(&mut e, &s),
        }
        let ok = e.can_verify && now >= e.banned_until && e.backend == job.spec.backend;
        reindex(deps.storage, p, &addr, &mut e, now)?;
        PROVIDERS.save(deps.storage, &addr, &e)?;
        if ok {
            members.push(addr);
        }
    }
    Ok((members.len() == k).then_some(members))
}

/// Try to assign queued job `job_id` (expiring it if its deadline passed).
pub fn try_match(
    mut deps: DepsMut,
    env: &Env,
    ctx: &mut Ctx,
    job_id: u64,
    mut resp: Response,
) -> Result<Response, ContractError> {
    let mut job = load_job(deps.storage, job_id)?;
    if job.state != JobState::Queued {
        return Ok(resp);
    }
    let now = env.block.height;
    if now > job.spec.deadline {
        return expire(deps.storage, &ctx.config, &mut job, resp);
    }
    let Some(staking) = ctx.config.staking.clone() else {
        return Ok(resp);
    };
    let p = ctx.config.params.clone();
    let b = backend_code(job.spec.backend);
    let keys: Vec<(u128, Addr)> = PROVER_INDEX
        .sub_prefix(b)
        .keys(deps.storage, None, None, Order::Ascending)
        .take(p.max_candidates as usize)
        .collect::<Result<_, _>>()?;
    let mut ranked: Vec<(u128, Addr, ProviderEntry)> = Vec::with_capacity(keys.len());
    for (_, addr) in keys {
        let e = PROVIDERS.load(deps.storage, &addr)?;
        if eligible(&e, &job, now) {
            let v = score_per_price(effective_score(&e, &p, now), e.price);
            ranked.push((v, addr, e));
        }
    }
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));

    let need = job.spec.resources;
    let mut chosen: Option<(Addr, ProviderEntry)> = None;
    for (_, addr, mut e) in ranked {
        let fresh = staking_provider(deps.as_ref(), &staking, &addr);
        let ok = match &fresh {
            None => {
                e.can_prove = false;
                e.can_verify = false;
                false
            }
            Some(s) => {
                refresh(&mut e, s);
                let sp = &ctx.staking_cfg(deps.as_ref(), &staking)?.params;
                let (max_jobs, min_stake) = (sp.max_active_jobs, sp.min_prover_stake);
                // The marketplace's accounting includes locks sent earlier in
                // this transaction, which staking has not seen yet.
                let in_use = Capacity {
                    memory_gib: s.capacity_in_use.memory_gib.max(e.used.memory_gib),
                    devices: s.capacity_in_use.devices.max(e.used.devices),
                };
                let jobs = (s.active_jobs.len() as u32).max(e.active_jobs);
                s.can_prove
                    && s.stake >= min_stake
                    && now >= s.banned_until
                    && s.backend == job.spec.backend
                    && s.price_per_step <= job.spec.max_price_per_step
                    && jobs < max_jobs
                    && s.capacity.fits(&in_use, &need)
            }
        };
        if ok {
            chosen = Some((addr, e));
            break;
        }
        // Stale: re-index with what staking says and try the next one.
        reindex(deps.storage, &p, &addr, &mut e, now)?;
        PROVIDERS.save(deps.storage, &addr, &e)?;
    }
    let Some((prover, mut e)) = chosen else {
        return Ok(resp.add_attribute("unmatched", job_id.to_string()));
    };
    let attempt = job
        .attempts
        .checked_add(1)
        .ok_or(ContractError::MathOverflow { what: "attempts" })?;
    let Some(committee) = draw_committee(
        &mut deps,
        env,
        &ctx.config,
        &job,
        attempt,
        1,
        std::slice::from_ref(&prover),
    )?
    else {
        reindex(deps.storage, &p, &prover, &mut e, now)?;
        PROVIDERS.save(deps.storage, &prover, &e)?;
        return Ok(resp.add_attribute("no_committee", job_id.to_string()));
    };

    // Assign.
    QUEUE.remove(deps.storage, queue_key(&job));
    job.attempts = attempt;
    job.prover = Some(prover.clone());
    job.price = e.price;
    job.assigned_at = now;
    let train = p
        .blocks_per_step
        .checked_mul(job.spec.hyper.steps)
        .and_then(|v| v.checked_add(p.train_base_blocks))
        .and_then(|v| v.checked_add(now))
        .ok_or(ContractError::MathOverflow {
            what: "training deadline",
        })?;
    set_deadline(deps.storage, &mut job, Some(train))?;
    let ev = set_state(deps.storage, &mut job, JobState::Assigned, "assign")?;
    JOBS.save(deps.storage, job.id, &job)?;
    ROUNDS.save(
        deps.storage,
        job.id,
        &Round {
            attempt,
            draw: 1,
            committee: committee
                .iter()
                .map(|a| Member {
                    addr: a.clone(),
                    secret_hash: None,
                    secret: None,
                    verdict: None,
                    revealed: false,
                })
                .collect(),
            root: None,
            final_model_hash: None,
            build_identity: None,
            seed: None,
            challenged: 0,
            opened: 0,
        },
    )?;
    // The winner yields to idle providers: damp *= damp_factor.
    e.damp = damp_now(&e, &p, now) * p.damp_factor;
    e.damp_at = now;
    e.used = Capacity {
        memory_gib: e.used.memory_gib.saturating_add(need.memory_gib),
        devices: e.used.devices.saturating_add(need.devices),
    };
    e.active_jobs = e.active_jobs.saturating_add(1);
    reindex(deps.storage, &p, &prover, &mut e, now)?;
    PROVIDERS.save(deps.storage, &prover, &e)?;
    mix_entropy(deps.storage, env, b"assign", &job.id.to_be_bytes())?;
    resp = resp
        .add_message(lock_msg(&staking, &prover, job.id, need)?)
        .add_event(
            ev.add_attribute("prover", prover.as_str())
                .add_attribute("price_per_step", job.price)
                .add_attribute("attempt", attempt.to_string())
                .add_attribute(
                    "committee",
                    committee
                        .iter()
                        .map(|a| a.as_str())
                        .collect::<Vec<_>>()
                        .join(","),
                )
                .add_attribute("training_deadline", train.to_string()),
        );
    Ok(resp)
}

/// Permissionless crank: examine up to `limit` queued jobs in queue order,
/// starting after where the last run stopped and wrapping around, so an
/// unmatchable job never blocks the ones behind it.
pub fn run_scheduler(
    mut deps: DepsMut,
    env: Env,
    limit: Option<u32>,
) -> Result<Response, ContractError> {
    let limit = limit.unwrap_or(MAX_LIMIT).clamp(1, MAX_LIMIT) as usize;
    let cursor = SCHED_CURSOR.may_load(deps.storage)?;
    let mut keys: Vec<(u128, u64)> = QUEUE
        .keys(
            deps.storage,
            cursor.map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(limit)
        .collect::<Result<_, _>>()?;
    if keys.len() < limit && cursor.is_some() {
        let more: Vec<(u128, u64)> = QUEUE
            .keys(
                deps.storage,
                None,
                cursor.map(Bound::inclusive),
                Order::Ascending,
            )
            .take(limit - keys.len())
            .collect::<Result<_, _>>()?;
        keys.extend(more);
    }
    let mut ctx = Ctx::new(CONFIG.load(deps.storage)?);
    let mut resp = Response::new().add_attribute("action", "run_scheduler");
    let mut assigned = 0u32;
    for key in &keys {
        let before = resp.events.len();
        resp = try_match(deps.branch(), &env, &mut ctx, key.1, resp)?;
        if resp.events[before..].iter().any(|e| {
            e.attributes
                .iter()
                .any(|a| a.key == "to" && a.value == "assigned")
        }) {
            assigned += 1;
        }
    }
    if let Some(last) = keys.last() {
        SCHED_CURSOR.save(deps.storage, last)?;
    }
    Ok(resp
        .add_attribute("examined", keys.len().to_string())
        .add_attribute("assigned", assigned.to_string()))
}
