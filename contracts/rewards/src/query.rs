//! Queries: configuration, closed-epoch records, the live open epoch (as it
//! stands at the current block, after any close that is due), shares,
//! claimables and totals. Lists are paginated and capped at `MAX_LIMIT`.

use cosmwasm_std::{Deps, Env, Order, Uint128};
use cw_storage_plus::Bound;
use impulse_types::common::page_limit;
use impulse_types::rewards::{
    ClaimableEntry, ClaimableResponse, ConfigResponse, CurrentEpochResponse, EpochResponse,
    EpochsResponse, ShareResponse, TotalsResponse,
};

use crate::epoch;
use crate::error::ContractError;
use crate::governance::validate_addr;
use crate::state::{Ledger, CONFIG, EPOCHS, LEDGER, SHARES};

pub fn config(deps: Deps) -> Result<ConfigResponse, ContractError> {
    Ok(CONFIG.load(deps.storage)?)
}

/// The ledger as it would be after closing what has ended by now, and the
/// records that close would write (not saved: queries are read-only).
fn live(deps: Deps, env: &Env) -> Result<(Ledger, Vec<EpochResponse>), ContractError> {
    let params = CONFIG.load(deps.storage)?.params;
    let mut ledger = LEDGER.load(deps.storage)?;
    let closed = epoch::advance(&mut ledger, &params, env.block.height)?;
    Ok((ledger, closed))
}

/// A closed record, including one that closes lazily at the next message.
fn record(deps: Deps, env: &Env, id: u64) -> Result<Option<EpochResponse>, ContractError> {
    if let Some(r) = EPOCHS.may_load(deps.storage, id)? {
        return Ok(Some(r));
    }
    let (_, pending) = live(deps, env)?;
    Ok(pending.into_iter().find(|r| r.epoch == id))
}

pub fn epoch(deps: Deps, env: Env, id: u64) -> Result<EpochResponse, ContractError> {
    record(deps, &env, id)?.ok_or(ContractError::EpochNotFound { epoch: id })
}

pub fn epochs(
    deps: Deps,
    env: Env,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> Result<EpochsResponse, ContractError> {
    let limit = page_limit(limit);
    let mut epochs = EPOCHS
        .range(
            deps.storage,
            start_after.map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(limit)
        .map(|r| r.map(|(_, v)| v))
        .collect::<Result<Vec<_>, _>>()?;
    if epochs.len() < limit {
        let (_, pending) = live(deps, &env)?;
        let after = epochs.last().map(|r| r.epoch).or(start_after);
        epochs.extend(
            pending
                .into_iter()
                .filter(|r| after.is_none_or(|a| r.epoch > a))
                .take(limit - epochs.len()),
        );
    }
    Ok(EpochsResponse { epochs })
}

pub fn current_epoch(deps: Deps, env: Env) -> Result<CurrentEpochResponse, ContractError> {
    let params = CONFIG.load(deps.storage)?.params;
    let (ledger, _) = live(deps, &env)?;
    let o = &ledger.open;
    let fee_average = epoch::fee_average(&ledger.fee_history);
    let kpis = epoch::kpis(o, fee_average);
    let multiplier = epoch::multiplier(&params, &kpis, &o.targets);
    Ok(CurrentEpochResponse {
        epoch: o.epoch,
        start_height: o.start_height,
        end_height: o.end_height,
        targets: o.targets,
        fees_in: o.fees_in,
        fee_average,
        jobs_settled: o.settled,
        jobs_failed: o.failed,
        multiplier,
        issuance: epoch::issuance(&params, multiplier, 1, ledger.reserve),
        pool_fees: o.pool_fees,
        providers_weight: o.providers_weight,
        verifiers_weight: o.verifiers_weight,
        kpis,
    })
}

pub fn share(
    deps: Deps,
    env: Env,
    provider: String,
    id: u64,
) -> Result<ShareResponse, ContractError> {
    let addr = validate_addr(deps.api, &provider)?;
    let share = SHARES.may_load(deps.storage, (&addr, id))?;
    let closed = record(deps, &env, id)?;
    let amount = match (&share, &closed) {
        (Some(s), Some(r)) => s.capped(epoch::share_payout(r, s.prover, s.verifier)?),
        _ => Uint128::zero(),
    };
    let share = share.unwrap_or_default();
    Ok(ShareResponse {
        provider: addr,
        epoch: id,
        exists: !(share.prover.is_zero() && share.verifier.is_zero()),
        prover_weight: share.prover,
        verifier_weight: share.verifier,
        cap: share.cap,
        amount,
        closed: closed.is_some(),
    })
}

pub fn claimable(
    deps: Deps,
    env: Env,
    provider: String,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> Result<ClaimableResponse, ContractError> {
    let addr = validate_addr(deps.api, &provider)?;
    let (ledger, pending) = live(deps, &env)?;
    let shares = SHARES
        .prefix(&addr)
        .range(
            deps.storage,
            start_after.map(Bound::exclusive),
            Some(Bound::exclusive(ledger.open.epoch)),
            Order::Ascending,
        )
        .take(page_limit(limit))
        .collect::<Result<Vec<_>, _>>()?;
    let mut entries = Vec::with_capacity(shares.len());
    let mut total = Uint128::zero();
    for (id, s) in shares {
        let r = match EPOCHS.may_load(deps.storage, id)? {
            Some(r) => r,
            None => pending
                .iter()
                .find(|r| r.epoch == id)
                .cloned()
                .ok_or(ContractError::EpochNotFound { epoch: id })?,
        };
        let amount = s.capped(epoch::share_payout(&r, s.prover, s.verifier)?);
        total = total.checked_add(amount)?;
        entries.push(ClaimableEntry { epoch: id, amount });
    }
    Ok(ClaimableResponse { entries, total })
}

/// Totals as stored (a close that is due but not yet done moves amounts
/// between the reserve, the pools and the vault, never out of the contract).
pub fn totals(deps: Deps) -> Result<TotalsResponse, ContractError> {
    let l = LEDGER.load(deps.storage)?;
    Ok(TotalsResponse {
        reserve: l.reserve,
        current_pool: l.open.pool_fees,
        unclaimed: l.unclaimed,
        vault: l.vault,
        funded: l.funded,
        issued: l.issued,
        paid: l.paid,
        fined: l.fined,
        vault_spent: l.vault_spent,
        returned: l.returned,
        dust: l.dust,
    })
}
