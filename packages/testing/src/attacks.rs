//! Attacks that a test asserts on and the soundness example measures at
//! several sizes: one function each, so both run the same attack.

use cosmwasm_std::{Decimal, Uint128};
use impulse_types::marketplace::JobState;
use impulse_types::Backend;

use crate::market::{default_spec, Run};
use crate::rewards::RewardsSetup;
use crate::{Outcome, SuiteBuilder};

/// Blocks of the reward epoch of [`wash_trade`].
pub const WASH_EPOCH: u64 = 400;

/// What a [`wash_trade`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WashTrade {
    /// What the attacker's job cost it: what it paid to anyone but itself
    /// (uimp).
    pub cost: u128,
    /// The rewards its prover claimed after the epoch (uimp).
    pub gained: u128,
    /// The honest job of the same epoch settled.
    pub honest_settled: bool,
    /// The attacker's own prover got its job ...
    pub own_prover: bool,
    /// ... and the job settled.
    pub settled: bool,
    /// The prover's claim went through (nothing to claim is an error).
    pub claimed: bool,
}

/// Issue 14, finding 1: a Sybil trainer pays its own Sybil prover (price
/// `price`) for a `steps`-step job that declares 10^9 model units, in an
/// epoch in which an ordinary honest 40-step job settles too; after the
/// epoch the prover claims its rewards. The four contracts, every
/// provider's `Rep` at 0.8, the conservation invariant checked throughout.
pub fn wash_trade(steps: u64, price: u128) -> WashTrade {
    let mut s = SuiteBuilder::new()
        .marketplace()
        .rewards(RewardsSetup::with_epoch_blocks(WASH_EPOCH))
        .build();
    s.assert_invariant();
    let (_, verifiers) = s.network(2, 5);
    let sybil = s.provider_node("sybil-prover", 1_000_000_000, Backend::Cpu, price);
    let sybil_trainer = s.addr("sybil-trainer");
    for p in s.all_providers() {
        s.set_score(&p.address, Decimal::percent(80));
    }
    let trainer = s.addr("trainer");
    let (honest, _) = s
        .submit(&trainer, &default_spec(s.height(), 40, 1))
        .unwrap();
    s.drive(honest, &Run::honest(1, 40), &[]).must(&s);
    let honest_settled = s.job(honest).state == JobState::Settled;

    let mut spec = default_spec(s.height(), steps, 9);
    spec.model_units = 1_000_000_000;
    spec.max_price_per_step = Uint128::new(price);
    let before = s.balance(&sybil) + s.balance(&sybil_trainer);
    let (id, _) = s.submit(&sybil_trainer, &spec).unwrap();
    let own_prover = s.job(id).prover.as_ref() == Some(&sybil);
    s.drive(id, &Run::honest(9, steps), &[]).must(&s);
    let settled = s.job(id).state == JobState::Settled;
    let cost = before - (s.balance(&sybil) + s.balance(&sybil_trainer));

    s.advance(WASH_EPOCH + 1);
    for v in &verifiers {
        s.heartbeat(v).must(&s);
    }
    s.heartbeat(&sybil).must(&s);
    let before = s.balance(&sybil);
    let claimed = s.claim_rewards(&sybil, None, None).is_ok();
    s.assert_invariant();
    WashTrade {
        cost,
        gained: s.balance(&sybil) - before,
        honest_settled,
        own_prover,
        settled,
        claimed,
    }
}
