//! What a benign fault costs (protocol.md §2): a share of the job's
//! compute cost, never less than the floor governance sets, so that a
//! timeout at price 1 still costs something. The staking contract slashes
//! this amount; the daemon's tests expect it.

use cosmwasm_std::{Decimal, Uint128};

use crate::Overflow;

/// `max(ceil(slash_benign x compute_cost), min_benign_slash)`.
pub fn benign_slash(
    compute_cost: Uint128,
    slash_benign: Decimal,
    min_benign_slash: Uint128,
) -> Result<Uint128, Overflow> {
    compute_cost
        .checked_mul_ceil(slash_benign)
        .map(|due| due.max(min_benign_slash))
        .map_err(|_| Overflow {
            what: "benign slash",
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_share_of_the_cost_rounded_up_and_never_below_the_floor() {
        let five = Decimal::percent(5);
        let floor = Uint128::new(1_000_000);
        // 5% of 1e9 = 5e7, above the floor.
        assert_eq!(
            benign_slash(Uint128::new(1_000_000_000), five, floor),
            Ok(Uint128::new(50_000_000))
        );
        // Rounded up: 5% of 30,000,001 is 1,500,000.05.
        assert_eq!(
            benign_slash(Uint128::new(30_000_001), five, floor),
            Ok(Uint128::new(1_500_001))
        );
        // A price-1 timeout: the floor.
        assert_eq!(benign_slash(Uint128::new(12), five, floor), Ok(floor));
        assert_eq!(benign_slash(Uint128::zero(), five, floor), Ok(floor));
        assert!(benign_slash(Uint128::MAX, Decimal::MAX, floor).is_err());
    }
}
