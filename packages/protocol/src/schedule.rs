//! The scheduler's ranking (protocol.md §5): a provider's effective score is
//! `max(Rep, score_floor) * damp`, where the damp drops by `damp_factor` on
//! every win and recovers toward 1 with time constant
//! `damp_recovery_blocks`; the best effective score per price wins.

use cosmwasm_std::{Decimal, Uint128};
use impulse_types::marketplace::MarketplaceParams;
use impulse_types::math::exp2_neg_ratio;

/// Scale of `score_per_price` (the prover index key).
pub const KEY_SCALE: u128 = 1_000_000_000_000;
/// ln 2 * 10^9, to turn a time constant into a half-life.
const LN2_E9: u64 = 693_147_181;

/// The damp at `now` of a damp that was `damp` at `damp_at`:
/// `1 - (1 - damp) * e^(-dt / damp_recovery_blocks)`.
pub fn damp_now(damp: Decimal, damp_at: u64, p: &MarketplaceParams, now: u64) -> Decimal {
    let dt = now.saturating_sub(damp_at);
    if dt == 0 || damp >= Decimal::one() {
        return damp.min(Decimal::one());
    }
    let tau = p.damp_recovery_blocks.max(1);
    // e^(-dt/tau) = 2^(-dt / (tau * ln 2)); beyond 100 tau it is below 1e-18.
    let left = if dt >= tau.saturating_mul(100) {
        Decimal::zero()
    } else {
        exp2_neg_ratio(dt.saturating_mul(1_000_000_000), tau.saturating_mul(LN2_E9))
    };
    let gap = (Decimal::one() - damp) * left;
    Decimal::one() - gap.min(Decimal::one())
}

/// The damp right after a win at `now`.
pub fn damp_after_win(damp: Decimal, damp_at: u64, p: &MarketplaceParams, now: u64) -> Decimal {
    damp_now(damp, damp_at, p, now) * p.damp_factor
}

/// `max(Rep, score_floor) * damp`.
pub fn effective_score(score: Decimal, damp: Decimal, p: &MarketplaceParams) -> Decimal {
    score.max(p.score_floor) * damp
}

/// The ranking value: effective score per unit of price, scaled by
/// [`KEY_SCALE`] (a price of 0 counts as 1).
pub fn score_per_price(effective: Decimal, price: Uint128) -> u128 {
    let price = price.u128().max(1);
    effective.atomics().u128().saturating_mul(KEY_SCALE) / price
}

/// A verifier's draw weight: `stake * max(Rep, score_floor)`.
pub fn verifier_weight(stake: Uint128, score: Decimal, p: &MarketplaceParams) -> Uint128 {
    stake.mul_floor(score.max(p.score_floor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn damp_recovers_and_ranks() {
        let p = MarketplaceParams::default();
        let d = damp_after_win(Decimal::one(), 0, &p, 0);
        assert_eq!(d, p.damp_factor);
        let later = damp_now(d, 0, &p, p.damp_recovery_blocks);
        assert!(later > d && later < Decimal::one());
        assert_eq!(
            damp_now(d, 0, &p, 200 * p.damp_recovery_blocks),
            Decimal::one()
        );
        let busy = score_per_price(effective_score(Decimal::one(), d, &p), Uint128::new(10));
        let idle = score_per_price(
            effective_score(Decimal::one(), Decimal::one(), &p),
            Uint128::new(10),
        );
        assert!(idle > busy);
        assert_eq!(
            score_per_price(Decimal::one(), Uint128::zero()),
            score_per_price(Decimal::one(), Uint128::one())
        );
    }
}
