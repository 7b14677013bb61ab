//! Epoch arithmetic (protocol.md section 8), pure functions over the ledger:
//! KPIs, the multiplier `m = max(m_floor, sum_j w_j * min(1, KPI_j /
//! target_j))`, issuance capped by the reserve, the cohort split, target
//! growth, and closing. Closing is O(1): at most two records per message,
//! the epoch that ended and one record for any run of empty epochs after it.

use cosmwasm_std::{Decimal, Uint128, Uint256};
use impulse_types::rewards::{EpochResponse, KpiTargets, Kpis, RewardsParams};

use crate::checked::{add, overflow, sub};
use crate::error::ContractError;
use crate::state::{Ledger, OpenEpoch};

/// Epochs in the moving average of fee revenue.
pub const FEE_WINDOW: usize = 7;

/// Average fees of the epochs in the history (0 with none).
pub fn fee_average(history: &[Uint128]) -> Uint128 {
    if history.is_empty() {
        return Uint128::zero();
    }
    // Each entry is at most the total supply; the sum of 7 cannot overflow in
    // practice, but saturate rather than fail a close.
    let sum = history
        .iter()
        .fold(Uint128::zero(), |acc, f| acc.saturating_add(*f));
    sum / Uint128::new(history.len() as u128)
}

/// `min(1, kpi / target)` for a count or a volume; `target > 0` by the bounds.
pub fn ratio_uint(kpi: Uint128, target: Decimal) -> Decimal {
    if target.is_zero() {
        return Decimal::one();
    }
    match Decimal::from_atomics(kpi, 0) {
        Ok(k) if k < target => k.checked_div(target).unwrap_or(Decimal::one()),
        // `kpi` at or above the target, or too large for a Decimal.
        _ => Decimal::one(),
    }
}

/// `min(1, kpi / target)` for a ratio KPI.
pub fn ratio_dec(kpi: Decimal, target: Decimal) -> Decimal {
    if target.is_zero() || kpi >= target {
        return Decimal::one();
    }
    kpi.checked_div(target).unwrap_or(Decimal::one())
}

/// The KPIs of an epoch's counters.
pub fn kpis(open: &OpenEpoch, fee_average: Uint128) -> Kpis {
    let fee_growth = if fee_average.is_zero() {
        if open.fees_in.is_zero() {
            Decimal::zero()
        } else {
            // No history to grow against: revenue counts as meeting the target.
            open.targets.fee_growth
        }
    } else {
        Decimal::checked_from_ratio(open.fees_in, fee_average).unwrap_or(Decimal::MAX)
    };
    let jobs = open.settled as u128 + open.failed as u128;
    let success_rate = if jobs == 0 {
        Decimal::zero()
    } else {
        Decimal::from_ratio(open.settled as u128, jobs)
    };
    Kpis {
        compute_volume: open.compute_volume,
        active_providers: open.active_providers,
        fee_growth,
        success_rate,
    }
}

/// `max(m_floor, sum_j w_j * min(1, KPI_j / target_j))`, in [0, 1].
pub fn multiplier(params: &RewardsParams, kpis: &Kpis, targets: &KpiTargets) -> Decimal {
    let w = &params.kpi_weights;
    let terms = [
        (
            w.compute_volume,
            ratio_uint(kpis.compute_volume, targets.compute_volume),
        ),
        (
            w.active_providers,
            ratio_uint(
                Uint128::from(kpis.active_providers),
                targets.active_providers,
            ),
        ),
        (w.fee_growth, ratio_dec(kpis.fee_growth, targets.fee_growth)),
        (
            w.success_rate,
            ratio_dec(kpis.success_rate, targets.success_rate),
        ),
    ];
    // Each term is at most its weight and the weights add up to 1.
    let sum = terms.iter().fold(Decimal::zero(), |acc, (w, r)| {
        acc.saturating_add(w.saturating_mul(*r))
    });
    sum.max(params.m_floor).min(Decimal::one())
}

/// `min(reserve, span * floor(max_issuance * m))`.
pub fn issuance(params: &RewardsParams, m: Decimal, span: u64, reserve: Uint128) -> Uint128 {
    let per_epoch = params.max_issuance.mul_floor(m);
    per_epoch
        .checked_mul(Uint128::from(span))
        .unwrap_or(Uint128::MAX)
        .min(reserve)
}

/// Targets after `epochs` growth steps; volume targets saturate instead of
/// overflowing, so a long-lived chain can always close its epochs.
pub fn grow(targets: &KpiTargets, growth: Decimal, epochs: u64) -> KpiTargets {
    let factor = Decimal::one().saturating_add(growth);
    let exp = u32::try_from(epochs).unwrap_or(u32::MAX);
    let f = factor.saturating_pow(exp);
    KpiTargets {
        compute_volume: targets.compute_volume.saturating_mul(f),
        active_providers: targets.active_providers.saturating_mul(f),
        fee_growth: targets.fee_growth,
        success_rate: targets.success_rate,
    }
}

/// (providers pool, verifiers pool, to vault) of `pool`. A cohort nobody
/// earned in sends its part to the vault; rounding dust goes to the vault.
pub fn split(
    params: &RewardsParams,
    pool: Uint128,
    providers_weight: Uint256,
    verifiers_weight: Uint256,
) -> (Uint128, Uint128, Uint128) {
    let providers = if providers_weight.is_zero() {
        Uint128::zero()
    } else {
        pool.mul_floor(params.split.providers)
    };
    let verifiers = if verifiers_weight.is_zero() {
        Uint128::zero()
    } else {
        pool.mul_floor(params.split.verifiers)
    };
    // providers + verifiers <= pool because the split parts add up to 1.
    let to_vault = pool - providers - verifiers;
    (providers, verifiers, to_vault)
}

/// What a share of `weight` in a cohort pays: `floor(pool * weight / total)`.
pub fn payout(pool: Uint128, weight: Uint256, total: Uint256) -> Result<Uint128, ContractError> {
    if weight.is_zero() || total.is_zero() {
        return Ok(Uint128::zero());
    }
    let amount = Uint256::from(pool)
        .checked_multiply_ratio(weight, total)
        .map_err(|_| overflow("share payout"))?;
    Uint128::try_from(amount).map_err(|_| overflow("share payout"))
}

/// A share's payout in a closed epoch, both cohorts.
pub fn share_payout(
    record: &EpochResponse,
    prover: Uint256,
    verifier: Uint256,
) -> Result<Uint128, ContractError> {
    let a = payout(record.providers_pool, prover, record.providers_weight)?;
    let b = payout(record.verifiers_pool, verifier, record.verifiers_weight)?;
    a.checked_add(b).map_err(|_| overflow("share payout"))
}

/// Close the open epoch as a record covering `span` calendar epochs (more
/// than 1 only for a run of empty epochs) and open the next one.
fn close_open(
    ledger: &mut Ledger,
    params: &RewardsParams,
    span: u64,
) -> Result<EpochResponse, ContractError> {
    let open = ledger.open.clone();
    let fee_average = fee_average(&ledger.fee_history);
    let kpis = kpis(&open, fee_average);
    let multiplier = multiplier(params, &kpis, &open.targets);
    let issuance = issuance(params, multiplier, span, ledger.reserve);
    let pool = issuance
        .checked_add(open.pool_fees)
        .map_err(|_| overflow("epoch pool"))?;
    let (providers_pool, verifiers_pool, to_vault) =
        split(params, pool, open.providers_weight, open.verifiers_weight);

    sub(&mut ledger.reserve, issuance, "reserve")?;
    add(&mut ledger.issued, issuance, "total issued")?;
    add(
        &mut ledger.unclaimed,
        providers_pool + verifiers_pool,
        "unclaimed",
    )?;
    add(&mut ledger.vault, to_vault, "vault")?;
    // One entry per calendar epoch, at most the window's worth.
    let pushes = span.min(FEE_WINDOW as u64);
    for i in 0..pushes {
        ledger.fee_history.push(if i == 0 {
            open.fees_in
        } else {
            Uint128::zero()
        });
    }
    let excess = ledger.fee_history.len().saturating_sub(FEE_WINDOW);
    ledger.fee_history.drain(..excess);

    let record = EpochResponse {
        epoch: open.epoch,
        start_height: open.start_height,
        end_height: open.end_height,
        span,
        kpis,
        targets: open.targets,
        multiplier,
        issuance,
        fees_in: open.fees_in,
        fee_average,
        jobs_settled: open.settled,
        jobs_failed: open.failed,
        pool,
        providers_pool,
        verifiers_pool,
        to_vault,
        providers_weight: open.providers_weight,
        verifiers_weight: open.verifiers_weight,
        claimed: Uint128::zero(),
        claimed_providers_weight: Uint256::zero(),
        claimed_verifiers_weight: Uint256::zero(),
        dust: Uint128::zero(),
    };
    let next_end = open
        .end_height
        .checked_add(params.epoch_blocks)
        .ok_or(overflow("epoch end"))?;
    let next_id = open.epoch.checked_add(1).ok_or(overflow("epoch id"))?;
    ledger.open = OpenEpoch::new(
        next_id,
        open.end_height,
        next_end,
        grow(&open.targets, params.target_growth, span),
    );
    Ok(record)
}

/// Close what has ended by `height`: the open epoch, then (in one record)
/// every further epoch that ended with nothing recorded in it. Returns the
/// new records, at most two, oldest first.
pub fn advance(
    ledger: &mut Ledger,
    params: &RewardsParams,
    height: u64,
) -> Result<Vec<EpochResponse>, ContractError> {
    let mut closed = vec![];
    if height < ledger.open.end_height {
        return Ok(closed);
    }
    closed.push(close_open(ledger, params, 1)?);
    if height >= ledger.open.end_height {
        // Nothing can have been recorded in epochs that ended before this
        // message: close them together.
        let blocks = params.epoch_blocks.max(1);
        let span = (height - ledger.open.start_height) / blocks;
        ledger.open.end_height = ledger
            .open
            .start_height
            .checked_add(span.checked_mul(blocks).ok_or(overflow("epoch end"))?)
            .ok_or(overflow("epoch end"))?;
        closed.push(close_open(ledger, params, span)?);
    }
    Ok(closed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ledger(params: &RewardsParams, reserve: u128) -> Ledger {
        let open = OpenEpoch::new(0, 100, 100 + params.epoch_blocks, params.initial_targets);
        Ledger::new(open, Uint128::new(reserve))
    }

    #[test]
    fn ratios_cap_at_one() {
        let t = Decimal::from_ratio(1_000u128, 1u128);
        assert_eq!(ratio_uint(Uint128::new(500), t), Decimal::percent(50));
        assert_eq!(ratio_uint(Uint128::new(5_000), t), Decimal::one());
        assert_eq!(ratio_uint(Uint128::MAX, t), Decimal::one());
        assert_eq!(
            ratio_dec(Decimal::percent(90), Decimal::percent(95)),
            Decimal::from_ratio(90u128, 95u128)
        );
    }

    #[test]
    fn an_empty_epoch_issues_at_the_floor_to_the_vault() {
        let p = RewardsParams::default();
        let mut l = ledger(&p, 10_000_000_000);
        let closed = advance(&mut l, &p, 100 + p.epoch_blocks).unwrap();
        assert_eq!(closed.len(), 1);
        assert_eq!(closed[0].multiplier, Decimal::percent(25));
        assert_eq!(closed[0].issuance, Uint128::new(250_000_000));
        assert_eq!(closed[0].to_vault, Uint128::new(250_000_000));
        assert_eq!(l.vault, Uint128::new(250_000_000));
        assert_eq!(l.open.epoch, 1);
    }

    #[test]
    fn a_long_idle_run_closes_in_two_records() {
        let p = RewardsParams::default();
        let mut l = ledger(&p, u128::MAX / 2);
        let h = 100 + p.epoch_blocks * 1_000 + 7;
        let closed = advance(&mut l, &p, h).unwrap();
        assert_eq!(closed.len(), 2);
        assert_eq!(closed[1].span, 999);
        assert_eq!(closed[1].issuance, Uint128::new(250_000_000 * 999));
        assert_eq!(l.open.epoch, 2);
        assert_eq!(l.open.start_height, 100 + p.epoch_blocks * 1_000);
        assert!(l.open.start_height <= h && h < l.open.end_height);
        assert_eq!(l.fee_history.len(), FEE_WINDOW);
        // targets grew once per calendar epoch
        let first = grow(&p.initial_targets, p.target_growth, 1);
        assert_eq!(l.open.targets, grow(&first, p.target_growth, 999));
    }

    #[test]
    fn targets_saturate_instead_of_failing() {
        let p = RewardsParams::default();
        let t = grow(&p.initial_targets, Decimal::percent(10), 10_000_000);
        assert_eq!(t.compute_volume, Decimal::MAX);
        assert_eq!(t.success_rate, p.initial_targets.success_rate);
    }

    #[test]
    fn issuance_never_exceeds_the_reserve() {
        let p = RewardsParams::default();
        assert_eq!(
            issuance(&p, Decimal::one(), 1, Uint128::new(7)),
            Uint128::new(7)
        );
        assert_eq!(
            issuance(&p, Decimal::one(), u64::MAX, Uint128::MAX),
            Uint128::new(1_000_000_000 * u64::MAX as u128)
        );
        let big = RewardsParams {
            max_issuance: Uint128::MAX,
            ..RewardsParams::default()
        };
        assert_eq!(
            issuance(&big, Decimal::one(), 2, Uint128::MAX),
            Uint128::MAX
        );
    }

    #[test]
    fn split_sends_an_empty_cohort_to_the_vault() {
        let p = RewardsParams::default();
        let (a, b, c) = split(&p, Uint128::new(1_001), Uint256::one(), Uint256::zero());
        assert_eq!(
            (a, b, c),
            (Uint128::new(600), Uint128::zero(), Uint128::new(401))
        );
        let (a, b, c) = split(&p, Uint128::new(1_001), Uint256::one(), Uint256::one());
        assert_eq!(a + b + c, Uint128::new(1_001));
    }
}
