//! What a job costs (protocol.md §4): the escrow a trainer must bring, what
//! each verifier earns and how a settled job's escrow is split. The
//! contract checks budgets with these functions and clients size their
//! budgets with the same ones.

use cosmwasm_std::{Decimal, Uint128};
use impulse_types::marketplace::{JobSpec, MarketplaceParams};

use crate::verdict::verifier_seats;
use crate::Overflow;

fn over(what: &'static str) -> impl Fn(cosmwasm_std::OverflowError) -> Overflow {
    move |_| Overflow { what }
}

/// The sum of `parts`, or an `Overflow` in `what`.
fn sum(parts: &[Uint128], what: &'static str) -> Result<Uint128, Overflow> {
    parts
        .iter()
        .try_fold(Uint128::zero(), |total, p| total.checked_add(*p))
        .map_err(over(what))
}

/// `ceil(alpha * L)`: the expected number of sampled steps.
pub fn ceil_alpha_l(alpha: Decimal, steps: u64) -> Result<u64, Overflow> {
    let v = Uint128::from(steps)
        .checked_mul_ceil(alpha)
        .map_err(|_| Overflow { what: "alpha * L" })?;
    u64::try_from(v.u128()).map_err(|_| Overflow { what: "alpha * L" })
}

/// Challenged steps a verifier is paid for at most: `ceil(alpha * L) + 1`
/// (the sampled steps plus the always-challenged last step).
pub fn budgeted_replays(alpha: Decimal, steps: u64) -> Result<u64, Overflow> {
    Ok(ceil_alpha_l(alpha, steps)?.saturating_add(1))
}

/// What a job's budget must cover.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// `L * max_price_per_step`.
    pub prover: Uint128,
    /// `(ceil(alpha * L) + 1) * seats * verifier_price`, where `seats` counts
    /// the committee and every committee it may escalate to
    /// ([`verifier_seats`]); what escalation does not use is refunded.
    pub verification: Uint128,
    /// `ceil(prover * protocol_fee)`.
    pub fee: Uint128,
}

impl Budget {
    pub fn total(&self) -> Result<Uint128, Overflow> {
        sum(&[self.prover, self.verification, self.fee], "budget")
    }
}

/// The escrow `spec` needs under the marketplace parameters `p`.
pub fn required_budget(spec: &JobSpec, p: &MarketplaceParams) -> Result<Budget, Overflow> {
    let (verifier_price, protocol_fee) = (p.verifier_price_per_step, p.protocol_fee);
    let seats = verifier_seats(
        spec.verification.committee,
        p.max_escalations,
        p.max_committee,
    );
    let prover = spec
        .max_price_per_step
        .checked_mul(Uint128::from(spec.hyper.steps))
        .map_err(over("L * max price"))?;
    let per_verifier = Uint128::from(budgeted_replays(spec.verification.alpha, spec.hyper.steps)?);
    let verification = per_verifier
        .checked_mul(Uint128::from(seats))
        .and_then(|v| v.checked_mul(verifier_price))
        .map_err(over("verification"))?;
    let fee = prover
        .checked_mul_ceil(protocol_fee)
        .map_err(|_| Overflow { what: "fee" })?;
    Ok(Budget {
        prover,
        verification,
        fee,
    })
}

/// What one verifier earns for a round of `challenged` steps:
/// `min(challenged, ceil(alpha * L) + 1) * verifier_price`.
pub fn verifier_pay(
    alpha: Decimal,
    steps: u64,
    challenged: u32,
    verifier_price: Uint128,
) -> Result<Uint128, Overflow> {
    let paid = budgeted_replays(alpha, steps)?.min(challenged as u64);
    verifier_price
        .checked_mul(Uint128::from(paid))
        .map_err(over("verifier pay"))
}

/// The part of a settled job's protocol `fee` that each piece of its work
/// carries into the rewards contract (where it caps the share it earns):
/// the prover's work carries the whole fee, each of the `verifiers` paid
/// verifiers an equal part of it.
pub fn attribute_fee(fee: Uint128, verifiers: usize) -> (Uint128, Uint128) {
    let per_verifier = if verifiers == 0 {
        Uint128::zero()
    } else {
        fee / Uint128::from(verifiers as u64)
    };
    (fee, per_verifier)
}

/// How a settled job's escrow is spent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settlement {
    pub prover: Uint128,
    /// Paid to each verifier of the majority.
    pub per_verifier: Uint128,
    pub verifiers: Uint128,
    /// The protocol fee, of which `to_pool` goes to the epoch reward pool
    /// and `to_vault` to the community vault.
    pub fee: Uint128,
    pub to_pool: Uint128,
    pub to_vault: Uint128,
}

impl Settlement {
    /// Everything taken out of the escrow (the rest is refunded).
    pub fn spent(&self) -> Result<Uint128, Overflow> {
        sum(&[self.prover, self.verifiers, self.fee], "settlement")
    }
}

/// The settlement of a job trained at `price` per step for `steps` steps,
/// with `paid_verifiers` verifiers earning `per_verifier` each.
pub fn settlement(
    price: Uint128,
    steps: u64,
    per_verifier: Uint128,
    paid_verifiers: usize,
    protocol_fee: Decimal,
    fee_to_rewards: Decimal,
) -> Result<Settlement, Overflow> {
    let prover = price
        .checked_mul(Uint128::from(steps))
        .map_err(over("prover pay"))?;
    let fee = prover
        .checked_mul_ceil(protocol_fee)
        .map_err(|_| Overflow { what: "fee" })?;
    let to_pool = fee.mul_floor(fee_to_rewards);
    let verifiers = per_verifier
        .checked_mul(Uint128::from(paid_verifiers as u64))
        .map_err(over("verifier pay"))?;
    Ok(Settlement {
        prover,
        per_verifier,
        verifiers,
        fee,
        to_pool,
        to_vault: fee - to_pool,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settlement_never_exceeds_the_budget() {
        let b = required_budget_for(30, 100, Decimal::percent(10), 3);
        let s = settlement(
            Uint128::new(100),
            30,
            verifier_pay(Decimal::percent(10), 30, 4, Uint128::new(10)).unwrap(),
            3,
            Decimal::percent(5),
            Decimal::percent(50),
        )
        .unwrap();
        assert!(s.spent().unwrap() <= b.total().unwrap());
        assert_eq!(s.fee, Uint128::new(150));
        assert_eq!(s.to_pool + s.to_vault, s.fee);
        assert_eq!(b.verification, Uint128::new(4 * 3 * 10));
    }

    fn required_budget_for(steps: u64, price: u128, alpha: Decimal, k: u32) -> Budget {
        let p = MarketplaceParams {
            max_escalations: 0,
            ..MarketplaceParams::default()
        };
        let mut spec = crate::tests::spec();
        spec.hyper.steps = steps;
        spec.max_price_per_step = Uint128::new(price);
        spec.verification.alpha = alpha;
        spec.verification.committee = k;
        required_budget(&spec, &p).unwrap()
    }

    #[test]
    fn escalation_seats_are_budgeted() {
        let p = MarketplaceParams::default();
        let spec = crate::tests::spec();
        let b = required_budget(&spec, &p).unwrap();
        // k = 3, one escalation to 7: ten seats of 11 replays at price 10.
        assert_eq!(b.verification, Uint128::new(10 * 11 * 10));
        assert_eq!(
            attribute_fee(Uint128::new(20), 3),
            (Uint128::new(20), Uint128::new(6))
        );
        assert_eq!(attribute_fee(Uint128::new(20), 0).1, Uint128::zero());
    }

    #[test]
    fn overflow_is_an_error() {
        let mut spec = crate::tests::spec();
        spec.max_price_per_step = Uint128::MAX;
        assert_eq!(
            required_budget(&spec, &MarketplaceParams::default()),
            Err(Overflow {
                what: "L * max price"
            })
        );
    }
}
