//! What moves the epochs (protocol.md section 8): the marketplace's reports
//! of verified work and finished jobs (O(1) KPI and weight updates), deposits
//! into the emission reserve, and the permissionless close crank. Every
//! message first closes the epochs that have ended ("catch up").

use cosmwasm_std::{Addr, Decimal, Deps, DepsMut, Env, Event, Response, Storage, Uint128, Uint256};
use impulse_types::reputation::{QueryMsg as RepQuery, ScoreResponse};
use impulse_types::rewards::{EpochResponse, JobOutcome, RewardsParams, WorkRole};
use impulse_types::staking::{ProviderResponse, QueryMsg as StakingQuery};

use crate::checked::{add, overflow};
use crate::epoch;
use crate::error::ContractError;
use crate::governance::validate_addr;
use crate::state::{Config, Ledger, Share, ACTIVE, CONFIG, EPOCHS, LEDGER, SHARES};

/// The event of a closed epoch.
pub fn close_event(r: &EpochResponse) -> Event {
    Event::new("close_epoch")
        .add_attribute("epoch", r.epoch.to_string())
        .add_attribute("span", r.span.to_string())
        .add_attribute("multiplier", r.multiplier.to_string())
        .add_attribute("issuance", r.issuance)
        .add_attribute("pool", r.pool)
        .add_attribute("providers_pool", r.providers_pool)
        .add_attribute("verifiers_pool", r.verifiers_pool)
        .add_attribute("to_vault", r.to_vault)
}

/// Close every epoch that ended before `height` (at most two records) and
/// return the ledger plus one event per closed record.
pub fn catch_up(
    storage: &mut dyn Storage,
    params: &RewardsParams,
    height: u64,
) -> Result<(Ledger, Vec<Event>), ContractError> {
    let mut ledger = LEDGER.load(storage)?;
    let closed = epoch::advance(&mut ledger, params, height)?;
    let mut events = Vec::with_capacity(closed.len());
    for r in &closed {
        EPOCHS.save(storage, r.epoch, r)?;
        events.push(close_event(r));
    }
    if !closed.is_empty() {
        LEDGER.save(storage, &ledger)?;
    }
    Ok((ledger, events))
}

/// The provider's reputation score, or 0 when there is no reputation
/// contract or it cannot answer (an outage never inflates a share).
fn score(deps: Deps, config: &Config, provider: &Addr) -> Decimal {
    let Some(rep) = &config.reputation else {
        return Decimal::zero();
    };
    deps.querier
        .query_wasm_smart::<ScoreResponse>(
            rep,
            &RepQuery::Score {
                provider: provider.to_string(),
            },
        )
        .map(|r| r.score.min(Decimal::one()))
        .unwrap_or_default()
}

/// The provider's bonded stake, or 0 when there is no staking contract, the
/// provider is unknown there, or it cannot answer.
fn bonded(deps: Deps, config: &Config, provider: &Addr) -> Uint128 {
    let Some(staking) = &config.staking else {
        return Uint128::zero();
    };
    deps.querier
        .query_wasm_smart::<ProviderResponse>(
            staking,
            &StakingQuery::Provider {
                address: provider.to_string(),
            },
        )
        .map(|p| p.stake)
        .unwrap_or_default()
}

/// `Rep x Contribution x Stake` with Rep in [0, 1] (exact: 256-bit product,
/// 512-bit intermediate for the Rep factor, rounded down).
pub fn weight(
    rep: Decimal,
    contribution: Uint128,
    stake: Uint128,
) -> Result<Uint256, ContractError> {
    Uint256::from(contribution)
        .checked_mul(Uint256::from(stake))
        .map_err(|_| overflow("share weight"))?
        .checked_multiply_ratio(rep.atomics(), Decimal::one().atomics())
        .map_err(|_| overflow("share weight"))
}

pub fn record_work(
    deps: DepsMut,
    env: Env,
    provider: String,
    role: WorkRole,
    contribution: Uint128,
    fee: Uint128,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let provider = validate_addr(deps.api, &provider)?;
    if contribution.is_zero() {
        return Err(ContractError::ZeroContribution {});
    }
    let (mut ledger, events) = catch_up(deps.storage, &config.params, env.block.height)?;
    let rep = score(deps.as_ref(), &config, &provider);
    let stake = bonded(deps.as_ref(), &config, &provider);
    let w = weight(rep, contribution, stake)?;
    let open = &mut ledger.open;
    let id = open.epoch;

    let mut counted_active = false;
    match role {
        WorkRole::Prover => {
            add(&mut open.compute_volume, contribution, "compute volume")?;
            add(&mut open.providers_weight, w, "providers weight")?;
            if rep > config.params.active_rep_threshold
                && !ACTIVE.has(deps.storage, (id, &provider))
            {
                ACTIVE.save(deps.storage, (id, &provider), &true)?;
                open.active_providers += 1;
                counted_active = true;
            }
        }
        WorkRole::Verifier => {
            add(&mut open.verifiers_weight, w, "verifiers weight")?;
        }
    }
    let cap_ratio = match role {
        WorkRole::Prover => config.params.reward_cap_prover,
        WorkRole::Verifier => config.params.reward_cap_verifier,
    };
    let cap = fee.mul_floor(cap_ratio);
    if !w.is_zero() {
        let mut share = match SHARES.may_load(deps.storage, (&provider, id))? {
            Some(s) => s,
            None => Share {
                cap: Some(Uint128::zero()),
                ..Share::default()
            },
        };
        share.cap = share.cap.map(|c| c.saturating_add(cap));
        match role {
            WorkRole::Prover => {
                share.prover = share.prover.checked_add(w).map_err(|_| overflow("share"))?
            }
            WorkRole::Verifier => {
                share.verifier = share
                    .verifier
                    .checked_add(w)
                    .map_err(|_| overflow("share"))?
            }
        }
        SHARES.save(deps.storage, (&provider, id), &share)?;
    }
    LEDGER.save(deps.storage, &ledger)?;
    let role = match role {
        WorkRole::Prover => "prover",
        WorkRole::Verifier => "verifier",
    };
    Ok(Response::new()
        .add_events(events)
        .add_attribute("action", "record_work")
        .add_attribute("epoch", id.to_string())
        .add_attribute("provider", provider.as_str())
        .add_attribute("role", role)
        .add_attribute("contribution", contribution)
        .add_attribute("fee", fee)
        .add_attribute("cap", cap)
        .add_attribute("reputation", rep.to_string())
        .add_attribute("stake", stake)
        .add_attribute("weight", w.to_string())
        .add_attribute("counted_active", counted_active.to_string()))
}

pub fn record_job(
    deps: DepsMut,
    env: Env,
    paid: Uint128,
    job_id: u64,
    outcome: JobOutcome,
    to_pool: Uint128,
    to_vault: Uint128,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let fees = to_pool
        .checked_add(to_vault)
        .map_err(|_| overflow("job fees"))?;
    if fees != paid {
        return Err(ContractError::FundsMismatch {
            expected: fees,
            sent: paid,
        });
    }
    let (mut ledger, events) = catch_up(deps.storage, &config.params, env.block.height)?;
    let open = &mut ledger.open;
    match outcome {
        JobOutcome::Settled => open.settled += 1,
        JobOutcome::Failed => open.failed += 1,
    }
    add(&mut open.fees_in, fees, "fees in")?;
    add(&mut open.pool_fees, to_pool, "pool fees")?;
    let id = open.epoch;
    add(&mut ledger.vault, to_vault, "vault")?;
    LEDGER.save(deps.storage, &ledger)?;
    let outcome = match outcome {
        JobOutcome::Settled => "settled",
        JobOutcome::Failed => "failed",
    };
    Ok(Response::new()
        .add_events(events)
        .add_attribute("action", "record_job")
        .add_attribute("epoch", id.to_string())
        .add_attribute("job_id", job_id.to_string())
        .add_attribute("outcome", outcome)
        .add_attribute("to_pool", to_pool)
        .add_attribute("to_vault", to_vault))
}

pub fn fund_reserve(
    deps: DepsMut,
    env: Env,
    sender: Addr,
    amount: Uint128,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let (mut ledger, events) = catch_up(deps.storage, &config.params, env.block.height)?;
    add(&mut ledger.reserve, amount, "reserve")?;
    add(&mut ledger.funded, amount, "funded")?;
    LEDGER.save(deps.storage, &ledger)?;
    Ok(Response::new()
        .add_events(events)
        .add_attribute("action", "fund_reserve")
        .add_attribute("from", sender.as_str())
        .add_attribute("amount", amount)
        .add_attribute("reserve", ledger.reserve))
}

pub fn close_epoch(deps: DepsMut, env: Env) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let (ledger, events) = catch_up(deps.storage, &config.params, env.block.height)?;
    if events.is_empty() {
        return Err(ContractError::EpochNotOver {
            epoch: ledger.open.epoch,
            ends_at: ledger.open.end_height,
        });
    }
    Ok(Response::new()
        .add_events(events)
        .add_attribute("action", "close_epoch")
        .add_attribute("open_epoch", ledger.open.epoch.to_string())
        .add_attribute("reserve", ledger.reserve))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Share;

    #[test]
    fn weight_is_exact_and_never_overflows_silently() {
        let w = weight(Decimal::percent(50), Uint128::new(10), Uint128::new(7)).unwrap();
        assert_eq!(w, Uint256::from(35u128));
        let w = weight(Decimal::one(), Uint128::MAX, Uint128::MAX).unwrap();
        assert_eq!(w, Uint256::from(Uint128::MAX) * Uint256::from(Uint128::MAX));
        assert_eq!(
            weight(Decimal::zero(), Uint128::MAX, Uint128::MAX).unwrap(),
            Uint256::zero()
        );
    }

    #[test]
    fn shares_default_to_zero() {
        let s = Share::default();
        assert!(s.prover.is_zero() && s.verifier.is_zero());
    }
}
