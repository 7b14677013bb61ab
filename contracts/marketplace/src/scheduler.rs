//! The scheduler (protocol.md section 5) and the committee draw (section
//! 6.4). A match reads at most `max_candidates` entries from the front of
//! the prover index (`index.rs`), ranks them by `impulse_protocol::schedule`
//! NOW (the damp recovers between touches), and confirms the best eligible
//! one with one staking query. Committees are drawn from the verifier
//! weight tree in O(log n) per member. So a match costs the same with 10 or
//! 10,000 registered providers.

use cosmwasm_std::{Addr, Deps, DepsMut, Env, Order, Response, Uint128};
use cw_storage_plus::Bound;
use impulse_governance::wired;
use impulse_protocol::{committee, deadlines, heartbeat, schedule};
use impulse_types::common::MAX_LIMIT;
use impulse_types::marketplace::JobState;
use impulse_types::staking::{ConfigResponse as StakingConfig, ProviderResponse};
use impulse_types::Capacity;

use crate::entropy::mix_entropy;
use crate::error::ContractError;
use crate::external::{hold_msg, lock_msg, staking_config, staking_provider};
use crate::fenwick;
use crate::index::{eligible, entry_rank, refresh, reindex};
use crate::lifecycle::{advance, expire, load_job, queue_key};
use crate::state::{
    backend_code, Config, Job, ProviderEntry, Round, CONFIG, PROVER_INDEX, PROVIDERS, QUEUE,
    ROUNDS, SCHED_CURSOR,
};

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

    pub fn staking_cfg(
        &mut self,
        deps: Deps,
        staking: &Addr,
    ) -> Result<&StakingConfig, ContractError> {
        if self.staking_cfg.is_none() {
            self.staking_cfg = Some(staking_config(deps, staking)?);
        }
        Ok(self.staking_cfg.as_ref().expect("set above"))
    }
}

/// A committee to draw: `size` members, the `draw`-th committee of the
/// job's `attempt` (every new committee of an attempt, redrawn or
/// escalated, has its own number), none of `exclude`.
pub struct Draw<'a> {
    pub size: usize,
    pub attempt: u32,
    pub draw: u32,
    pub exclude: &'a [Addr],
}

/// Whether staking's view of a provider says it is alive: its last
/// heartbeat is not overdue (`impulse_protocol::heartbeat`).
pub fn alive(s: &ProviderResponse, now: u64, heartbeat_every: u64) -> bool {
    heartbeat::missed_intervals(s.last_heartbeat, now, heartbeat_every) == 0
}

/// Draw `d.size` distinct verifiers of the job's backend, stake x
/// reputation weighted, excluding `d.exclude`; each confirmed with staking
/// (not banned, heartbeats not overdue). `None` when the draws (at most
/// `size + max_draw_retries`) do not find them all.
pub fn draw_committee(
    deps: &mut DepsMut,
    env: &Env,
    ctx: &mut Ctx,
    job: &Job,
    d: &Draw,
) -> Result<Option<Vec<Addr>>, ContractError> {
    let config = ctx.config.clone();
    let staking = wired(&config, "staking")?.clone();
    let every = ctx
        .staking_cfg(deps.as_ref(), &staking)?
        .params
        .heartbeat_blocks;
    let p = &config.params;
    let (k, attempt, draw, exclude) = (d.size, d.attempt, d.draw, d.exclude);
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
        let r = Uint128::new(committee::pick(
            &seed,
            job.id,
            attempt,
            draw,
            n,
            total.u128(),
        ));
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
        let live = match staking_provider(deps.as_ref(), &staking, &addr) {
            None => {
                e.can_verify = false;
                e.can_prove = false;
                false
            }
            Some(s) => {
                refresh(&mut e, &s);
                alive(&s, now, every)
            }
        };
        let ok = live && e.can_verify && now >= e.banned_until && e.backend == job.spec.backend;
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
        if eligible(&addr, &e, &job, now) {
            let v = entry_rank(&e, &p, now);
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
                let live = alive(s, now, sp.heartbeat_blocks);
                // The marketplace's accounting includes locks sent earlier in
                // this transaction, which staking has not seen yet.
                let in_use = Capacity {
                    memory_gib: s.capacity_in_use.memory_gib.max(e.used.memory_gib),
                    devices: s.capacity_in_use.devices.max(e.used.devices),
                };
                let jobs = (s.active_jobs.len() as u32).max(e.active_jobs);
                live && s.can_prove
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
    let draw = Draw {
        size: job.spec.verification.committee as usize,
        attempt,
        draw: 1,
        exclude: std::slice::from_ref(&prover),
    };
    let Some(committee) = draw_committee(&mut deps, env, ctx, &job, &draw)? else {
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
    // The committee commits its secrets first; the prover's root may only
    // follow them (nobody can predict the challenge when the root is fixed).
    let train = deadlines::training(now, job.spec.hyper.steps, &p)?;
    let secrets_due = deadlines::after(now, p.secret_blocks)?;
    let ev = advance(
        deps.storage,
        &mut job,
        JobState::Assigned,
        "assign",
        secrets_due,
    )?;
    ROUNDS.save(
        deps.storage,
        job.id,
        &Round {
            attempt,
            draw: 1,
            committee: Round::fresh_committee(committee.clone()),
            level: 0,
            past: vec![],
            secrets_due: Some(secrets_due),
            training_due: Some(train),
            root: None,
            final_model_hash: None,
            build_identity: None,
            seed: None,
            seed_entropy: None,
            challenged: 0,
            opened: 0,
        },
    )?;
    // The winner yields to idle providers: damp *= damp_factor.
    e.damp = schedule::damp_after_win(e.damp, e.damp_at, &p, now);
    e.damp_at = now;
    e.used = Capacity {
        memory_gib: e.used.memory_gib.saturating_add(need.memory_gib),
        devices: e.used.devices.saturating_add(need.devices),
    };
    e.active_jobs = e.active_jobs.saturating_add(1);
    reindex(deps.storage, &p, &prover, &mut e, now)?;
    PROVIDERS.save(deps.storage, &prover, &e)?;
    mix_entropy(deps.storage, env, b"assign", &job.id.to_be_bytes())?;
    // Until the job is judged, nothing its prover or committee unbonds is
    // released: every stake that backs it stays slashable.
    let judged = deadlines::judged_by(now, job.spec.hyper.steps, &p)?;
    resp = resp.add_message(lock_msg(&staking, &prover, job.id, need)?);
    for who in std::iter::once(&prover).chain(committee.iter()) {
        resp = resp.add_message(hold_msg(&staking, who, judged)?);
    }
    resp = resp.add_event(
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
            .add_attribute("secrets_due", secrets_due.to_string())
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
