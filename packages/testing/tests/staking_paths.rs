//! Every path of the staking vault (protocol.md section 2): registration,
//! lock-ups, heartbeats, slashing, bans and job locks, each followed by the
//! conservation invariant.

use anyhow::Result;
use cosmwasm_std::{Addr, Decimal, Uint128};
use cw_multi_test::AppResponse;
use impulse_governance::GovError;
use impulse_staking::ContractError;
use impulse_testing::staking::not_found;
use impulse_testing::{
    attr, attrs, capacity, has_attr, Outcome, ReputationKind, Suite, SuiteBuilder,
};
use impulse_types::staking::{
    ConsumeFinesResponse, ExecuteMsg, SlashKind, SlashResponse, StakingParams, SudoMsg,
};
use impulse_types::{Backend, Capacity};

const PROVER: u128 = 1_000_000_000;
const VERIFIER: u128 = 250_000_000;
const FROZEN: u64 = 50_400;
const RELEASE: u64 = 100_800;

/// The real reputation contract: without recorded work every score is 0, so
/// lock-ups are doubled throughout these tests.
fn suite() -> Suite {
    SuiteBuilder::new().reputation(ReputationKind::Real).build()
}

fn suite_rep(rep: Decimal) -> Suite {
    SuiteBuilder::new()
        .reputation(ReputationKind::Fixed(rep))
        .build()
}

/// No reputation contract, and staking parameters changed by `change`.
fn suite_without_reputation(change: impl FnOnce(&mut StakingParams)) -> Suite {
    SuiteBuilder::new()
        .reputation(ReputationKind::None)
        .staking_params(change)
        .build()
}

fn u(v: u128) -> Uint128 {
    Uint128::new(v)
}

fn ceil_mul(blocks: u64, m: Decimal) -> u64 {
    Uint128::from(blocks).mul_ceil(m).u128() as u64
}

// ---------------------------------------------------------------- register

#[test]
fn register_as_verifier_only() {
    let mut s = suite();
    let a = s.addr("alice");
    let before = s.balance(&a);
    let res = s.register(&a, VERIFIER).must(&s);
    assert_eq!(attr(&res, "action").as_deref(), Some("register"));
    assert_eq!(attr(&res, "can_prove").as_deref(), Some("false"));
    let p = s.provider(&a);
    assert_eq!(p.stake, u(VERIFIER));
    assert!(p.can_verify);
    assert!(!p.can_prove);
    assert_eq!(p.registered_at, s.height());
    assert_eq!(p.last_heartbeat, s.height());
    assert_eq!(s.balance(&a), before - VERIFIER);
    assert_eq!(s.totals().bonded, u(VERIFIER));
}

#[test]
fn register_as_prover() {
    let mut s = suite();
    let a = s.addr("alice");
    let res = s
        .register_with(
            &a,
            PROVER,
            Backend::Cuda,
            Capacity {
                memory_gib: 640,
                devices: 8,
            },
            42,
        )
        .must(&s);
    assert_eq!(attr(&res, "can_prove").as_deref(), Some("true"));
    assert_eq!(attr(&res, "backend").as_deref(), Some("cuda"));
    let p = s.provider(&a);
    assert!(p.can_prove && p.can_verify);
    assert_eq!(p.backend, Backend::Cuda);
    assert_eq!(p.capacity.memory_gib, 640);
    assert_eq!(p.price_per_step, u(42));
    assert_eq!(p.endpoint, "http://127.0.0.1:7070");
}

#[test]
fn register_below_minimum_is_insufficient_stake() {
    let mut s = suite();
    let a = s.addr("alice");
    s.rejects(
        |s| s.register(&a, VERIFIER - 1),
        ContractError::InsufficientStake {
            required: u(VERIFIER),
            provided: u(VERIFIER - 1),
        },
    );
    assert!(s.try_provider(&a).is_err());
}

#[test]
fn register_twice_is_already_registered() {
    let mut s = suite();
    let a = s.registered("alice", PROVER);
    s.rejects(
        |s| s.register(&a, PROVER),
        ContractError::AlreadyRegistered {
            address: a.to_string(),
        },
    );
}

fn register_msg(endpoint: &str, capacity: Capacity, price: u128) -> ExecuteMsg {
    ExecuteMsg::Register {
        capacity,
        backend: Backend::Cpu,
        price_per_step: u(price),
        endpoint: endpoint.to_string(),
    }
}

#[test]
fn register_with_bad_details_is_invalid_provider() {
    let mut s = suite();
    let a = s.addr("alice");
    let good = capacity();
    let long = format!("http://{}", "a".repeat(300));
    let cases = [
        register_msg("ftp://example", good, 1),
        register_msg("", good, 1),
        register_msg("http://", good, 1),
        register_msg("http://a b", good, 1),
        register_msg("http://a\nb", good, 1),
        register_msg(&long, good, 1),
        register_msg(
            "http://a",
            Capacity {
                memory_gib: 0,
                devices: 1,
            },
            1,
        ),
        register_msg(
            "http://a",
            Capacity {
                memory_gib: 1,
                devices: 0,
            },
            1,
        ),
        register_msg("http://a", good, 0),
    ];
    for msg in cases {
        s.rejects(
            |s| s.exec_staking(&a, &msg, PROVER),
            "invalid provider details",
        );
    }
}

#[test]
fn update_provider_changes_what_is_advertised() {
    let mut s = suite();
    let a = s.registered("alice", PROVER);
    let new_cap = Capacity {
        memory_gib: 24,
        devices: 1,
    };
    let res = s
        .exec_staking(
            &a,
            &ExecuteMsg::UpdateProvider {
                capacity: Some(new_cap),
                price_per_step: Some(u(7)),
                endpoint: Some("https://prover.example:443".to_string()),
            },
            0,
        )
        .must(&s);
    assert_eq!(attr(&res, "action").as_deref(), Some("update_provider"));
    let p = s.provider(&a);
    assert_eq!(p.capacity, new_cap);
    assert_eq!(p.price_per_step, u(7));
    assert_eq!(p.endpoint, "https://prover.example:443");
    assert_eq!(p.stake, u(PROVER), "advertising never touches stake");

    // Only the given fields change.
    s.exec_staking(
        &a,
        &ExecuteMsg::UpdateProvider {
            capacity: None,
            price_per_step: Some(u(9)),
            endpoint: None,
        },
        0,
    )
    .must(&s);
    let p = s.provider(&a);
    assert_eq!((p.capacity, p.price_per_step), (new_cap, u(9)));

    for msg in [
        ExecuteMsg::UpdateProvider {
            capacity: Some(Capacity::default()),
            price_per_step: None,
            endpoint: None,
        },
        ExecuteMsg::UpdateProvider {
            capacity: None,
            price_per_step: Some(Uint128::zero()),
            endpoint: None,
        },
        ExecuteMsg::UpdateProvider {
            capacity: None,
            price_per_step: None,
            endpoint: Some("grpc://x".to_string()),
        },
    ] {
        s.rejects(|s| s.exec_staking(&a, &msg, 0), "invalid provider details");
    }
    let stranger = s.addr("stranger");
    s.rejects(
        |s| {
            s.exec_staking(
                &stranger,
                &ExecuteMsg::UpdateProvider {
                    capacity: None,
                    price_per_step: Some(u(1)),
                    endpoint: None,
                },
                0,
            )
        },
        not_found(&stranger),
    );
}

#[test]
fn staking_more_upgrades_a_verifier_to_a_prover() {
    let mut s = suite();
    let a = s.registered("alice", VERIFIER);
    assert!(!s.provider(&a).can_prove);
    let res = s.stake(&a, PROVER - VERIFIER - 1).must(&s);
    assert_eq!(attr(&res, "stake"), Some((PROVER - 1).to_string()));
    assert!(!s.provider(&a).can_prove, "one short of the prover minimum");
    s.stake(&a, 1).must(&s);
    let p = s.provider(&a);
    assert!(p.can_prove);
    assert_eq!(p.stake, u(PROVER));
    assert_eq!(s.totals().bonded, u(PROVER));

    let stranger = s.addr("stranger");
    s.rejects(|s| s.stake(&stranger, PROVER), not_found(&stranger));
}

// ---------------------------------------------------------------- unstake / claim

#[test]
fn unstake_creates_an_entry_with_the_lockup() {
    let mut s = suite();
    let a = s.registered("alice", 3 * PROVER);
    let h = s.height();
    let res = s.unstake(&a, PROVER).must(&s);
    assert_eq!(attr(&res, "action").as_deref(), Some("unstake"));
    let p = s.provider(&a);
    assert_eq!(p.stake, u(2 * PROVER));
    assert_eq!(p.unbonding, u(PROVER));
    assert_eq!(p.claimable, Uint128::zero());
    let ub = s.unbonding(&a);
    assert_eq!(ub.entries.len(), 1);
    let e = &ub.entries[0];
    assert_eq!(e.created_at, h);
    assert_eq!(e.release_start, h + 2 * FROZEN, "rep 0 doubles the lock-up");
    assert_eq!(e.release_end, h + 2 * FROZEN + 2 * RELEASE);
    assert_eq!((e.pending, e.released), (u(PROVER), Uint128::zero()));
    let t = s.totals();
    assert_eq!((t.bonded, t.unbonding), (u(2 * PROVER), u(PROVER)));
}

#[test]
fn unstake_more_than_staked_or_zero_is_refused() {
    let mut s = suite();
    let a = s.registered("alice", PROVER);
    s.rejects(
        |s| s.unstake(&a, PROVER + 1),
        ContractError::UnstakeExceedsStake {
            requested: u(PROVER + 1),
            bonded: u(PROVER),
        },
    );
    s.rejects(
        |s| s.unstake(&a, 0),
        ContractError::InvalidAmount {
            reason: "unstake amount must be greater than zero".to_string(),
        },
    );
    let stranger = s.addr("stranger");
    s.rejects(|s| s.unstake(&stranger, 1), not_found(&stranger));
    // All of it is fine: a provider may leave entirely.
    s.unstake(&a, PROVER).must(&s);
    let p = s.provider(&a);
    assert_eq!(p.stake, Uint128::zero());
    assert!(!p.can_verify);
}

#[test]
fn unstake_is_bounded_by_max_unbonding_entries() {
    let mut s = suite_without_reputation(|p| p.max_unbonding_entries = 3);
    let a = s.registered("alice", PROVER);
    for _ in 0..3 {
        s.unstake(&a, 1).must(&s);
    }
    s.rejects(
        |s| s.unstake(&a, 1),
        ContractError::TooManyUnbondingEntries { max: 3 },
    );
    // Once an entry is fully claimed a slot frees up.
    s.advance(3 * (FROZEN + RELEASE));
    s.claim(&a).must(&s);
    assert!(s.unbonding(&a).entries.is_empty());
    s.unstake(&a, 1).must(&s);
}

#[test]
fn claim_early_partial_full_and_repeated() -> Result<()> {
    let mut s = suite();
    let a = s.addr("alice");
    let amount = 1_000_000_007u128;
    s.register(&a, 2 * PROVER).must(&s);
    let h = s.height();
    s.unstake(&a, amount).must(&s);
    let (start, end) = (h + 2 * FROZEN, h + 2 * FROZEN + 2 * RELEASE);

    // Frozen: nothing to claim, and the error says when that changes.
    s.rejects(
        |s| s.claim(&a),
        ContractError::NothingToClaim {
            detail: format!(": the next amount starts to unlock at block {start}"),
        },
    );
    s.advance(start - s.height());
    s.rejects(|s| s.claim(&a), "nothing to claim yet");

    // A quarter of the way through the linear release.
    let span = (end - start) as u128;
    s.advance((end - start) / 4);
    let expect1 = amount * (span / 4) / span;
    assert_eq!(s.unbonding(&a).claimable_now, u(expect1));
    let bal = s.balance(&a);
    let res = s.claim(&a).must(&s);
    assert_eq!(attr(&res, "amount"), Some(expect1.to_string()));
    assert_eq!(s.balance(&a), bal + expect1);

    // Claiming again in the same block pays nothing.
    s.rejects(|s| s.claim(&a), "nothing to claim yet");

    // Half way: the next slice of what is left.
    s.advance((end - start) / 4);
    let got2 = s.unbonding(&a).claimable_now.u128();
    let left = amount - expect1;
    let remaining_span = span - span / 4;
    assert_eq!(got2, left * (span / 4) / remaining_span);
    s.claim(&a).must(&s);

    // After the end everything is out and the entry is gone.
    s.advance(end);
    let got3 = s.unbonding(&a).claimable_now.u128();
    assert_eq!(
        expect1 + got2 + got3,
        amount,
        "pays exactly what was unstaked"
    );
    s.claim(&a).must(&s);
    assert!(s.unbonding(&a).entries.is_empty());
    assert_eq!(s.balance(&a), bal + amount);
    s.rejects(
        |s| s.claim(&a),
        ContractError::NothingToClaim {
            detail: String::new(),
        },
    );
    let t = s.totals();
    assert_eq!((t.bonded, t.unbonding), (u(2 * PROVER - amount), u(0)));
    Ok(())
}

#[test]
fn claim_by_a_stranger_is_nothing_to_claim() {
    let mut s = suite();
    let x = s.addr("stranger");
    s.rejects(|s| s.claim(&x), "nothing to claim yet");
}

// ---------------------------------------------------------------- lock-up multiplier

fn check_lockup(rep: Decimal, chronic: bool) {
    let mut s = suite_rep(rep);
    let a = s.registered("alice", 2 * PROVER);
    if chronic {
        s.advance(1_001);
        s.report_missed(&a, &a).must(&s);
        assert!(s.provider(&a).chronic_absence);
    }
    let m = Decimal::from_ratio(2u128, 1u128) - rep * Decimal::permille(1500);
    let m = if chronic {
        m * Decimal::permille(1500)
    } else {
        m
    };
    let h = s.height();
    let res = s.unstake(&a, PROVER).must(&s);
    let e = s.unbonding(&a).entries[0].clone();
    let frozen = ceil_mul(FROZEN, m);
    let release = ceil_mul(RELEASE, m);
    assert_eq!(e.release_start, h + frozen, "rep {rep}, chronic {chronic}");
    assert_eq!(e.release_end, h + frozen + release, "rep {rep}");
    assert_eq!(attr(&res, "lockup_multiplier"), Some(m.to_string()));
    assert_eq!(attr(&res, "release_start"), Some((h + frozen).to_string()));
}

/// Alice registers with `PROVER` and unstakes 1: how many blocks from now
/// her entry starts and ends releasing, and the unstake response.
fn lockup_of(mut s: Suite) -> ((u64, u64), AppResponse) {
    let a = s.registered("alice", PROVER);
    let h = s.height();
    let res = s.unstake(&a, 1).must(&s);
    let e = &s.unbonding(&a).entries[0];
    ((e.release_start - h, e.release_end - h), res)
}

/// `check_lockup` at reputation `rep`, and a fresh entry starts and ends
/// releasing `expected` blocks from now.
fn assert_lockup(rep: Decimal, expected: (u64, u64)) {
    check_lockup(rep, false);
    assert_eq!(lockup_of(suite_rep(rep)).0, expected);
}

#[test]
fn lockup_at_reputation_zero_is_doubled() {
    assert_lockup(Decimal::zero(), (100_800, 302_400));
}

#[test]
fn lockup_at_reputation_half_is_five_quarters() {
    assert_lockup(Decimal::percent(50), (63_000, 189_000));
}

#[test]
fn lockup_at_reputation_one_is_halved() {
    assert_lockup(Decimal::one(), (25_200, 75_600));
}

#[test]
fn lockup_rounds_up_odd_block_counts() {
    // m = 1.25: 101 * 1.25 = 126.25 -> 127, 203 * 1.25 = 253.75 -> 254.
    let s = SuiteBuilder::new()
        .reputation(ReputationKind::Fixed(Decimal::percent(50)))
        .staking_params(|p| {
            p.lock_min_blocks = 101;
            p.unlock_blocks = 203;
        })
        .build();
    let (lockup, _) = lockup_of(s);
    assert_eq!(lockup, (127, 127 + 254));
}

#[test]
fn lockup_score_above_one_is_capped() {
    // A misbehaving reputation contract cannot shorten a lock-up below m(1).
    check_lockup(Decimal::one(), false);
    let ((start, _), _) = lockup_of(suite_rep(Decimal::percent(500)));
    assert_eq!(start, 25_200);
}

#[test]
fn lockup_without_reputation_contract_assumes_the_least_trusted() {
    let ((start, _), res) = lockup_of(suite_without_reputation(|_| {}));
    assert!(has_attr(&res, "reputation_unavailable", "true"));
    assert_eq!(start, 2 * FROZEN);
}

#[test]
fn lockup_with_chronic_absence_is_stretched_for_new_unstakes() {
    check_lockup(Decimal::zero(), true);
    check_lockup(Decimal::percent(50), true);
    check_lockup(Decimal::one(), true);
}

#[test]
fn lockup_with_real_reputation_of_a_fresh_provider_is_doubled() {
    let mut s = SuiteBuilder::new().reputation(ReputationKind::Real).build();
    let a = s.registered("alice", 2 * PROVER);
    assert_eq!(s.score(&a), Decimal::zero(), "no work yet: score 0");
    let h = s.height();
    let res = s.unstake(&a, PROVER).must(&s);
    assert_eq!(attr(&res, "reputation"), Some("0".to_string()));
    assert_eq!(attr(&res, "lockup_multiplier"), Some("2".to_string()));
    let e = &s.unbonding(&a).entries[0];
    assert_eq!(
        (e.release_start, e.release_end),
        (h + 2 * FROZEN, h + 2 * FROZEN + 2 * RELEASE)
    );
}

// ---------------------------------------------------------------- heartbeats

#[test]
fn heartbeat_on_time() {
    let mut s = suite();
    let a = s.registered("alice", PROVER);
    for _ in 0..5 {
        s.advance(100);
        let res = s.heartbeat(&a).must(&s);
        assert_eq!(attr(&res, "on_time").as_deref(), Some("true"));
        assert_eq!(attr(&res, "missed_intervals").as_deref(), Some("0"));
    }
    let p = s.provider(&a);
    assert_eq!(p.last_heartbeat, s.height());
    assert_eq!((p.consecutive_misses, p.unpaid_fine_intervals), (0, 0));
    // Heartbeats only from providers.
    let x = s.addr("stranger");
    s.rejects(|s| s.heartbeat(&x), not_found(&x));
}

#[test]
fn a_heartbeat_fine_is_applied_once() {
    let mut s = suite();
    let a = s.registered("alice", PROVER);
    let cranker = s.addr("cranker");

    // Block 100 after the last heartbeat is still on time.
    s.advance(100);
    let res = s.report_missed(&cranker, &a).must(&s);
    assert_eq!(attr(&res, "missed_intervals").as_deref(), Some("0"));

    // One interval missed: the crank counts it ...
    s.advance(50);
    let res = s.report_missed(&cranker, &a).must(&s);
    assert_eq!(attr(&res, "missed_intervals").as_deref(), Some("1"));
    // ... a second crank does not ...
    let res = s.report_missed(&cranker, &a).must(&s);
    assert_eq!(attr(&res, "missed_intervals").as_deref(), Some("0"));
    // ... and neither does the late heartbeat that sees the same interval.
    s.advance(30);
    let res = s.heartbeat(&a).must(&s);
    assert_eq!(attr(&res, "on_time").as_deref(), Some("false"));
    assert_eq!(attr(&res, "missed_intervals").as_deref(), Some("0"));
    let p = s.provider(&a);
    assert_eq!(p.unpaid_fine_intervals, 1);
    assert_eq!(p.stake, u(PROVER), "missing a heartbeat never slashes");

    // The other order: the heartbeat counts first, the crank finds nothing.
    s.advance(250);
    let res = s.heartbeat(&a).must(&s);
    assert_eq!(attr(&res, "missed_intervals").as_deref(), Some("2"));
    let res = s.report_missed(&cranker, &a).must(&s);
    assert_eq!(attr(&res, "missed_intervals").as_deref(), Some("0"));
    assert_eq!(s.provider(&a).unpaid_fine_intervals, 3);

    // The rewards contract takes 3 * 1% once.
    let f = fines_taken(&mut s, &a);
    assert_eq!(f.provider, a);
    assert_eq!(f.intervals, 3);
    assert_eq!(f.fine, Decimal::percent(3));
    assert_eq!(s.provider(&a).unpaid_fine_intervals, 0);
    let f = fines_taken(&mut s, &a);
    assert_eq!((f.intervals, f.fine), (0, Decimal::zero()));
}

/// The rewards contract consumes `a`'s fines; the invariant holds.
#[track_caller]
fn fines_taken(s: &mut Suite, a: &Addr) -> ConsumeFinesResponse {
    let r = s.rewards.clone();
    let f = s.consume_fines(&r, a).unwrap();
    s.assert_invariant();
    f
}

#[test]
fn consume_fines_is_capped_at_the_whole_reward() {
    let mut s = suite();
    let a = s.registered("alice", PROVER);
    s.advance(100 * 150 + 1);
    s.report_missed(&a, &a).must(&s);
    assert_eq!(s.provider(&a).unpaid_fine_intervals, 150);
    let f = fines_taken(&mut s, &a);
    assert_eq!((f.intervals, f.fine), (150, Decimal::one()));
}

#[test]
fn consume_fines_by_others_is_unauthorized() {
    let mut s = suite();
    let a = s.registered("alice", PROVER);
    s.advance(201);
    s.report_missed(&a, &a).must(&s);
    let callers = [s.gov.clone(), s.marketplace.clone(), a.clone(), s.addr("x")];
    for c in callers {
        s.rejects(
            |s| s.consume_fines(&c, &a),
            GovError::Unauthorized {
                sender: c.to_string(),
                action: "consume heartbeat fines",
            },
        );
    }
    assert_eq!(s.provider(&a).unpaid_fine_intervals, 2);
}

#[test]
fn ten_misses_are_chronic_absence_and_stretch_open_lockups() {
    let mut s = suite();
    let a = s.registered("alice", 3 * PROVER);
    let h0 = s.height();
    s.unstake(&a, PROVER).must(&s);
    let before = s.unbonding(&a).entries[0].clone();
    assert_eq!(before.release_start, h0 + 2 * FROZEN);

    // Nine missed intervals are not yet chronic.
    s.advance(901);
    let res = s.report_missed(&a, &a).must(&s);
    assert_eq!(attr(&res, "missed_intervals").as_deref(), Some("9"));
    assert!(!s.provider(&a).chronic_absence);
    assert_eq!(s.unbonding(&a).entries[0], before);

    // The tenth is.
    s.advance(100);
    let now = s.height();
    let res = s.report_missed(&a, &a).must(&s);
    assert_eq!(attr(&res, "chronic_absence").as_deref(), Some("true"));
    let p = s.provider(&a);
    assert!(p.chronic_absence);
    assert_eq!(p.consecutive_misses, 10);
    assert_eq!(p.stake, u(2 * PROVER), "absence never slashes");
    let after = s.unbonding(&a).entries[0].clone();
    let frozen_left = before.release_start - now;
    let expect_start = now + (frozen_left * 3).div_ceil(2);
    assert_eq!(after.release_start, expect_start);
    assert_eq!(after.release_end, expect_start + 2 * RELEASE * 3 / 2);
    assert_eq!(after.pending, u(PROVER));

    // More misses do not stretch again.
    s.advance(1_000);
    s.report_missed(&a, &a).must(&s);
    assert_eq!(s.unbonding(&a).entries[0], after);

    // A new unstake gets 2 * 1.5 = 3x.
    let h = s.height();
    s.unstake(&a, PROVER).must(&s);
    let e = s.unbonding(&a).entries[1].clone();
    assert_eq!(e.release_start, h + 3 * FROZEN);
    assert_eq!(e.release_end, h + 3 * FROZEN + 3 * RELEASE);
}

#[test]
fn chronic_absence_stretches_an_entry_already_releasing() {
    let mut s = SuiteBuilder::new()
        .reputation(ReputationKind::Fixed(Decimal::zero()))
        .staking_params(|p| {
            p.lock_min_blocks = 1_000;
            p.unlock_blocks = 100_000;
        })
        .build();
    let a = s.registered("alice", 2 * PROVER);
    let h0 = s.height();
    s.unstake(&a, PROVER).must(&s);
    // Keep heartbeats going until the release starts, then go silent.
    let start = h0 + 2_000;
    let end = start + 200_000;
    assert_eq!(s.unbonding(&a).entries[0].release_end, end);
    while s.height() + 100 <= start {
        s.advance(100);
        s.heartbeat(&a).must(&s);
    }
    s.advance(1_001);
    let now = s.height();
    assert!(now > start);
    let released_before = s.unbonding(&a).claimable_now;
    assert!(!released_before.is_zero());
    s.report_missed(&a, &a).must(&s);
    assert!(s.provider(&a).chronic_absence);
    let e = s.unbonding(&a).entries[0].clone();
    assert_eq!(e.release_start, start);
    assert_eq!(e.release_end, now + ((end - now) * 3).div_ceil(2));
    assert_eq!(
        s.unbonding(&a).claimable_now,
        released_before,
        "what was released stays released"
    );
    // Claiming everything still pays exactly the unstaked amount.
    let bal = s.balance(&a);
    s.advance(1_000_000);
    s.claim(&a).must(&s);
    assert_eq!(s.balance(&a), bal + PROVER);
}

#[test]
fn chronic_absence_clears_after_ten_on_time_heartbeats() {
    let mut s = suite();
    let a = s.registered("alice", 2 * PROVER);
    s.advance(1_001);
    s.report_missed(&a, &a).must(&s);
    assert!(s.provider(&a).chronic_absence);
    // Coming back late ends the run of misses but is not on time.
    let res = s.heartbeat(&a).must(&s);
    assert_eq!(attr(&res, "on_time").as_deref(), Some("false"));
    let p = s.provider(&a);
    assert!(p.chronic_absence);
    assert_eq!(p.consecutive_misses, 0);
    for i in 1..=10 {
        s.advance(100);
        let res = s.heartbeat(&a).must(&s);
        assert_eq!(attr(&res, "on_time").as_deref(), Some("true"));
        assert_eq!(
            s.provider(&a).chronic_absence,
            i < 10,
            "after {i} heartbeats"
        );
    }
    // Lock-ups are back to normal.
    let h = s.height();
    s.unstake(&a, 1).must(&s);
    assert_eq!(s.unbonding(&a).entries[0].release_start, h + 2 * FROZEN);
    assert_eq!(s.provider(&a).unpaid_fine_intervals, 10);
}

#[test]
fn missing_heartbeats_never_changes_stake() {
    let mut s = suite();
    let a = s.registered("alice", PROVER);
    s.unstake(&a, 1_000).must(&s);
    let t0 = s.totals();
    for gap in [150u64, 1_001, 10_000, 1_000_000] {
        s.advance(gap);
        s.report_missed(&a, &a).must(&s);
        s.heartbeat(&a).must(&s);
        let p = s.provider(&a);
        assert_eq!(p.stake, u(PROVER - 1_000));
        assert_eq!(p.unbonding + p.claimable, u(1_000));
        let t = s.totals();
        assert_eq!((t.bonded, t.unbonding), (t0.bonded, t0.unbonding));
    }
}

#[test]
fn report_missed_for_an_unknown_provider_is_not_found() {
    let mut s = suite();
    let a = s.addr("alice");
    let x = s.addr("nobody");
    s.rejects(|s| s.report_missed(&a, &x), not_found(&x));
}

// ---------------------------------------------------------------- slashing

fn slash_data(res: &cw_multi_test::AppResponse) -> SlashResponse {
    cosmwasm_std::from_json(res.data.as_ref().expect("slash data")).expect("slash data json")
}

#[test]
fn fraud_takes_75_percent_of_bonded_and_unbonding_burns_half_and_pays_the_committee() {
    let mut s = suite();
    let bad = s.addr("bad");
    let v: Vec<_> = (0..3).map(|i| s.addr(&format!("verifier{i}"))).collect();
    s.register(&bad, 4 * PROVER).must(&s);
    s.unstake(&bad, 2 * PROVER).must(&s);
    let supply = s.supply();
    s.advance(10);

    let res = s
        .slash_fraud(&bad, "job-1/step-7", &[&v[0], &v[1], &v[2]])
        .must(&s);
    let d = slash_data(&res);
    assert_eq!(d.slashed, u(3 * PROVER));
    assert_eq!(d.burned, u(3 * PROVER / 2));
    assert_eq!(d.to_committee, u(3 * PROVER / 2));
    assert_eq!(d.to_escrow, Uint128::zero());
    assert_eq!(d.fraction_lost, Decimal::percent(75));
    assert_eq!(attr(&res, "kind").as_deref(), Some("fraud"));
    assert_eq!(attr(&res, "fraction_lost").as_deref(), Some("0.75"));
    assert_eq!(attr(&res, "from_stake"), Some((3 * PROVER / 2).to_string()));
    assert_eq!(
        attr(&res, "from_unbonding"),
        Some((3 * PROVER / 2).to_string())
    );

    // Burned: the supply drops by exactly that.
    assert_eq!(s.supply(), supply - 3 * PROVER / 2);
    let t = s.totals();
    assert_eq!(t.burned, u(3 * PROVER / 2));
    assert_eq!(t.slash_rewards, u(3 * PROVER / 2));

    // The offender keeps a quarter, bonded and unbonding.
    let p = s.provider(&bad);
    assert_eq!(p.stake, u(PROVER / 2));
    assert_eq!(p.unbonding, u(PROVER / 2));
    assert!(p.banned);
    assert_eq!(p.banned_until, s.height() + 100_000);

    // Each honest member claims an equal share, once.
    for m in &v {
        assert_eq!(s.unbonding(m).claimable_now, u(PROVER / 2));
        let bal = s.balance(m);
        let res = s.claim(m).must(&s);
        assert_eq!(attr(&res, "from_slashes"), Some((PROVER / 2).to_string()));
        assert_eq!(s.balance(m), bal + PROVER / 2);
        s.rejects(|s| s.claim(m), "nothing to claim yet");
    }
    assert_eq!(s.totals().slash_rewards, Uint128::zero());
}

#[test]
fn fraud_remainder_that_does_not_divide_is_burned() {
    let mut s = suite();
    let bad = s.addr("bad");
    let v: Vec<_> = (0..3).map(|i| s.addr(&format!("verifier{i}"))).collect();
    s.register(&bad, 1_000_000_001).must(&s);
    let supply = s.supply();
    let res = s.slash_fraud(&bad, "ev", &[&v[0], &v[1], &v[2]]).must(&s);
    let d = slash_data(&res);
    // ceil(0.75 * 1_000_000_001) = 750_000_001; half (floored) burned, the
    // other 375_000_001 shared: 125_000_000 each, 1 of dust burned.
    assert_eq!(d.slashed, u(750_000_001));
    assert_eq!(d.to_committee, u(375_000_000));
    assert_eq!(d.burned, u(375_000_001));
    assert_eq!(s.supply(), supply - 375_000_001);
    assert_eq!(s.provider(&bad).stake, u(250_000_000));
    for m in &v {
        assert_eq!(s.unbonding(m).claimable_now, u(125_000_000));
    }
}

#[test]
fn fraud_with_no_committee_burns_everything() {
    let mut s = suite();
    let bad = s.registered("bad", PROVER);
    let supply = s.supply();
    let res = s.slash_fraud(&bad, "ev", &[]).must(&s);
    let d = slash_data(&res);
    assert_eq!((d.slashed, d.burned), (u(750_000_000), u(750_000_000)));
    assert_eq!(s.supply(), supply - 750_000_000);
}

#[test]
fn fraud_committee_must_be_valid() {
    let mut s = suite();
    let bad = s.registered("bad", PROVER);
    let v = s.addr("v");
    s.rejects(
        |s| s.slash_fraud(&bad, "ev", &[&v, &bad]),
        ContractError::InvalidCommittee {
            reason: "the offender cannot share its own slash".to_string(),
        },
    );
    s.rejects(
        |s| s.slash_fraud(&bad, "ev", &[&v, &v]),
        ContractError::InvalidCommittee {
            reason: format!("{v} appears twice"),
        },
    );
    let many: Vec<_> = (0..65).map(|i| s.addr(&format!("m{i}"))).collect();
    let refs: Vec<_> = many.iter().collect();
    s.rejects(
        |s| s.slash_fraud(&bad, "ev", &refs),
        ContractError::InvalidCommittee {
            reason: "65 members; at most 64".to_string(),
        },
    );
    // The failed attempts did not use up the evidence.
    s.slash_fraud(&bad, "ev", &[&v]).must(&s);
}

#[test]
fn evidence_must_be_non_empty_and_short() {
    let mut s = suite();
    let bad = s.registered("bad", PROVER);
    for ev in [String::new(), "x".repeat(129)] {
        s.rejects(
            |s| s.slash_fraud(&bad, &ev, &[]),
            "invalid evidence: evidence must be 1 to 128 bytes",
        );
    }
    s.slash_fraud(&bad, &"x".repeat(128), &[]).must(&s);
}

#[test]
fn slash_during_unbonding_shrinks_the_entry_and_the_claim() {
    let mut s = suite();
    let bad = s.registered("bad", 2 * PROVER);
    let v = s.addr("v");
    let h = s.height();
    s.unstake(&bad, 2 * PROVER).must(&s);
    s.advance(2 * FROZEN - 1); // still frozen
    s.slash_fraud(&bad, "ev", &[&v]).must(&s);
    let e = &s.unbonding(&bad).entries[0];
    assert_eq!(e.pending, u(PROVER / 2));
    assert_eq!(e.release_end, h + 2 * FROZEN + 2 * RELEASE);
    let bal = s.balance(&bad);
    s.advance(2 * RELEASE + 1);
    s.claim(&bad).must(&s);
    assert_eq!(
        s.balance(&bad),
        bal + PROVER / 2,
        "claim pays the reduced amount"
    );
    assert_eq!(s.totals().unbonding, Uint128::zero());
}

#[test]
fn fraction_lost_counts_only_what_was_still_slashable() {
    // Half of an entry has been released (not slashable any more) when fraud
    // is proven: the fraction reported is that of the slashable stake.
    let mut s = suite();
    let bad = s.registered("bad", 2 * PROVER);
    s.unstake(&bad, PROVER).must(&s);
    s.advance(2 * FROZEN + RELEASE);
    assert_eq!(s.unbonding(&bad).claimable_now, u(PROVER / 2));
    let res = s.slash_fraud(&bad, "ev", &[]).must(&s);
    let d = slash_data(&res);
    assert_eq!(d.slashed, u(750_000_000 + 375_000_000));
    assert_eq!(d.fraction_lost, Decimal::percent(75));
    // The released half is untouched and still claimable.
    assert_eq!(s.unbonding(&bad).claimable_now, u(PROVER / 2));
}

#[test]
fn ban_blocking_new_work() {
    let mut s = suite();
    let bad = s.registered("bad", 4 * PROVER);
    s.lock_for_job(&bad, 1).must(&s);
    let h = s.height();
    s.slash_fraud(&bad, "ev", &[]).must(&s);
    assert_eq!(s.provider(&bad).stake, u(PROVER));
    let until = h + 100_000;
    s.rejects(
        |s| s.lock_for_job(&bad, 2),
        ContractError::Banned {
            address: bad.to_string(),
            until,
        },
    );
    s.advance(99_999);
    s.rejects(|s| s.lock_for_job(&bad, 2), "is banned until block");
    let p = s.provider(&bad);
    assert!(p.banned && !p.can_prove && !p.can_verify);
    // A job held from before the ban can still be released.
    s.release_job(&bad, 1).must(&s);
    s.advance(1);
    assert!(!s.provider(&bad).banned);
    s.lock_for_job(&bad, 2).must(&s);
    assert!(s.provider(&bad).can_prove);
}

#[test]
fn a_second_fraud_during_a_ban_extends_it_never_shortens_it() {
    let mut s = suite_without_reputation(|_| {});
    let bad = s.registered("bad", 16 * PROVER);
    let h = s.height();
    s.slash_fraud(&bad, "ev1", &[]).must(&s);
    s.advance(10);
    s.slash_fraud(&bad, "ev2", &[]).must(&s);
    assert_eq!(s.provider(&bad).banned_until, h + 10 + 100_000);
    assert_eq!(s.provider(&bad).stake, u(PROVER));
}

#[test]
fn same_evidence_slashes_once() {
    let mut s = suite();
    let bad = s.registered("bad", 4 * PROVER);
    let other = s.registered("other", 4 * PROVER);
    let h = s.height();
    s.slash_fraud(&bad, "ev", &[]).must(&s);
    s.advance(5);
    let dup = ContractError::DuplicateEvidence {
        evidence: "ev".to_string(),
        height: h,
    };
    s.rejects(|s| s.slash_fraud(&bad, "ev", &[]), &dup);
    s.rejects(|s| s.slash_benign(&bad, "ev", 1, 1_000), &dup);
    s.rejects(|s| s.slash_fraud(&other, "ev", &[]), &dup);
    assert_eq!(s.provider(&bad).stake, u(PROVER));
    assert_eq!(s.provider(&other).stake, u(4 * PROVER));
}

#[test]
fn a_benign_fault_costs_at_least_the_floor_and_never_more_than_the_stake() {
    // Issue 14: a timeout of a price-1 job must not be free.
    let mut s = suite();
    let floor = s.staking_config().params.min_benign_slash;
    let a = s.registered("alice", PROVER);
    let res = s.slash_benign(&a, "timeout/job-1", 1, 20).must(&s);
    assert_eq!(attr(&res, "to_escrow"), Some(floor.to_string()));
    assert_eq!(s.provider(&a).stake, u(PROVER) - floor);
    // 5% of a large cost is above the floor: the 5% applies.
    let res = s.slash_benign(&a, "timeout/job-2", 2, 100_000_000).must(&s);
    assert_eq!(attr(&res, "to_escrow"), Some("5000000".to_string()));
    // A floor above the stake takes the stake, never more.
    let b = s.registered("bob", VERIFIER);
    s.sudo_staking(&SudoMsg::UpdateParams {
        params: StakingParams {
            min_benign_slash: Uint128::new(VERIFIER * 2),
            ..s.staking_config().params
        },
    })
    .must(&s);
    s.slash_benign(&b, "timeout/job-3", 3, 1).must(&s);
    assert!(s.provider(&b).stake.is_zero());
    s.assert_invariant();
}

#[test]
fn benign_slash_pays_ceil_five_percent_of_compute_cost_to_the_marketplace() {
    let mut s = SuiteBuilder::new()
        .reputation(ReputationKind::Real)
        .without_benign_floor()
        .build();
    let a = s.registered("alice", PROVER);
    let m = s.marketplace.clone();
    let (bal_m, supply) = (s.balance(&m), s.supply());
    let res = s.slash_benign(&a, "timeout/job-9", 9, 1_000_001).must(&s);
    let d = slash_data(&res);
    assert_eq!(d.to_escrow, u(50_001), "ceil(5% of 1_000_001)");
    assert_eq!((d.burned, d.to_committee), (u(0), u(0)));
    assert_eq!(attr(&res, "kind").as_deref(), Some("benign"));
    assert_eq!(attr(&res, "job_id").as_deref(), Some("9"));
    assert_eq!(s.balance(&m), bal_m + 50_001);
    assert_eq!(s.supply(), supply, "nothing burned");
    assert_eq!(s.provider(&a).stake, u(PROVER - 50_001));
    assert!(!s.provider(&a).banned, "a benign fault never bans");
    assert_eq!(s.totals().paid_to_escrow, u(50_001));
}

#[test]
fn benign_slash_takes_from_stake_then_unbonding() {
    let mut s = suite();
    let a = s.registered("alice", VERIFIER);
    s.unstake(&a, 200_000_000).must(&s);
    let m = s.marketplace.clone();
    let bal_m = s.balance(&m);
    // 5% of 1.2e9 = 6e7: 5e7 from stake, 1e7 from the unbonding entry.
    let res = s.slash_benign(&a, "oom", 1, 1_200_000_000).must(&s);
    assert_eq!(attr(&res, "from_stake").as_deref(), Some("50000000"));
    assert_eq!(attr(&res, "from_unbonding").as_deref(), Some("10000000"));
    let p = s.provider(&a);
    assert_eq!((p.stake, p.unbonding), (u(0), u(190_000_000)));
    assert_eq!(s.balance(&m), bal_m + 60_000_000);
    // More than everything: takes what there is, never more.
    let res = s.slash_benign(&a, "oom2", 2, u128::MAX / 2).must(&s);
    assert_eq!(attr(&res, "to_escrow").as_deref(), Some("190000000"));
    let p = s.provider(&a);
    assert_eq!((p.stake, p.unbonding), (u(0), u(0)));
    assert_eq!(s.balance(&m), bal_m + 250_000_000);
}

#[test]
fn governance_may_slash_fraud_but_not_benign() {
    let mut s = suite();
    let bad = s.registered("bad", PROVER);
    let g = s.gov.clone();
    let fraud = ExecuteMsg::Slash {
        provider: bad.to_string(),
        evidence: "gov-1".to_string(),
        kind: SlashKind::Fraud {
            honest_committee: vec![],
        },
    };
    s.exec_staking(&g, &fraud, 0).must(&s);
    assert_eq!(s.provider(&bad).stake, u(250_000_000));
    let benign = ExecuteMsg::Slash {
        provider: bad.to_string(),
        evidence: "gov-2".to_string(),
        kind: SlashKind::Benign {
            job_id: 1,
            compute_cost: u(1_000),
        },
    };
    s.rejects(|s| s.exec_staking(&g, &benign, 0), "unauthorized");
}

#[test]
fn a_stranger_or_the_provider_cannot_slash() {
    let mut s = suite();
    let bad = s.registered("bad", PROVER);
    let x = s.addr("x");
    let msg = ExecuteMsg::Slash {
        provider: bad.to_string(),
        evidence: "e".to_string(),
        kind: SlashKind::Fraud {
            honest_committee: vec![x.to_string()],
        },
    };
    for who in [x.clone(), bad.clone(), s.rewards.clone()] {
        s.rejects(
            |s| s.exec_staking(&who, &msg, 0),
            GovError::Unauthorized {
                sender: who.to_string(),
                action: "slash",
            },
        );
    }
}

#[test]
fn sudo_slash_works_for_fraud_only() {
    let mut s = suite();
    let bad = s.registered("bad", PROVER);
    let v = s.addr("v");
    let res = s
        .sudo_staking(&SudoMsg::Slash {
            provider: bad.to_string(),
            evidence: "x/gov proposal 7".to_string(),
            kind: SlashKind::Fraud {
                honest_committee: vec![v.to_string()],
            },
        })
        .must(&s);
    assert_eq!(attr(&res, "slashed").as_deref(), Some("750000000"));
    assert!(s.provider(&bad).banned);
    assert_eq!(s.unbonding(&v).claimable_now, u(375_000_000));
    s.rejects(
        |s| {
            s.sudo_staking(&SudoMsg::Slash {
                provider: bad.to_string(),
                evidence: "x/gov proposal 8".to_string(),
                kind: SlashKind::Benign {
                    job_id: 1,
                    compute_cost: u(100),
                },
            })
        },
        "unauthorized",
    );
}

#[test]
fn slash_of_an_unknown_provider_is_not_found() {
    let mut s = suite();
    let x = s.addr("x");
    s.rejects(|s| s.slash_fraud(&x, "e", &[]), not_found(&x));
}

#[test]
fn decay_of_stake_level_after_unstake() {
    let mut s = SuiteBuilder::new().reputation(ReputationKind::Real).build();
    let a = s.registered("alice", 2 * PROVER);
    assert_eq!(s.reputation_of(&a).unwrap().stake_level, u(2 * PROVER));
    s.unstake(&a, PROVER).must(&s);
    let right_after = s.reputation_of(&a).unwrap().stake_level;
    assert!(
        right_after > u(1_990_000_000),
        "the level does not drop at once: {right_after}"
    );
    s.advance(200_000);
    let level = s.reputation_of(&a).unwrap().stake_level.u128();
    // Half of the gap closed after one half-life: 1.5e9, up to rounding.
    assert!(
        level.abs_diff(1_500_000_000) <= 1_000,
        "stake level after one half-life: {level}"
    );
    s.advance(2_000_000);
    let level = s.reputation_of(&a).unwrap().stake_level.u128();
    assert!(level.abs_diff(PROVER) <= 1_000_000, "converges: {level}");
}

// ---------------------------------------------------------------- jobs

#[test]
fn lock_and_release_a_job() {
    let mut s = suite();
    let a = s.registered("alice", PROVER);
    let res = s.lock_for_job(&a, 7).must(&s);
    assert_eq!(attr(&res, "action").as_deref(), Some("lock_for_job"));
    let p = s.provider(&a);
    assert_eq!(p.active_jobs, vec![7]);
    assert_eq!(
        p.capacity_in_use,
        Capacity {
            memory_gib: 8,
            devices: 1
        }
    );
    s.rejects(
        |s| s.lock_for_job(&a, 7),
        ContractError::JobAlreadyLocked {
            address: a.to_string(),
            job_id: 7,
        },
    );
    let res = s.release_job(&a, 7).must(&s);
    assert_eq!(attr(&res, "action").as_deref(), Some("release_job"));
    let p = s.provider(&a);
    assert!(p.active_jobs.is_empty());
    assert_eq!(p.capacity_in_use, Capacity::default());
    // Releasing twice (or an unknown job) is an error.
    s.rejects(
        |s| s.release_job(&a, 7),
        ContractError::JobNotLocked {
            address: a.to_string(),
            job_id: 7,
        },
    );
    let x = s.addr("x");
    s.rejects(|s| s.lock_for_job(&x, 1), not_found(&x));
}

#[test]
fn only_the_marketplace_locks_and_releases() {
    let mut s = suite();
    let a = s.registered("alice", PROVER);
    s.lock_for_job(&a, 1).must(&s);
    let need = Capacity {
        memory_gib: 1,
        devices: 1,
    };
    for who in [a.clone(), s.gov.clone(), s.addr("x")] {
        s.rejects(
            |s| {
                s.exec_staking(
                    &who,
                    &ExecuteMsg::LockForJob {
                        provider: a.to_string(),
                        job_id: 2,
                        need,
                    },
                    0,
                )
            },
            GovError::Unauthorized {
                sender: who.to_string(),
                action: "lock a provider for a job",
            },
        );
        s.rejects(
            |s| {
                s.exec_staking(
                    &who,
                    &ExecuteMsg::ReleaseJob {
                        provider: a.to_string(),
                        job_id: 1,
                    },
                    0,
                )
            },
            GovError::Unauthorized {
                sender: who.to_string(),
                action: "release a provider from a job",
            },
        );
    }
}

/// `a` takes the jobs `jobs`; the next one is refused with `expected`.
#[track_caller]
fn lock_until_refused(
    s: &mut Suite,
    a: &Addr,
    jobs: std::ops::RangeInclusive<u64>,
    expected: ContractError,
) {
    let next = jobs.end() + 1;
    for job in jobs {
        s.lock_for_job(a, job).must(s);
    }
    s.rejects(|s| s.lock_for_job(a, next), expected);
}

#[test]
fn capacity_exhausted_is_insufficient_capacity() {
    let mut s = suite();
    let a = s.registered("alice", PROVER); // 80 GiB, 4 devices
    let full = ContractError::InsufficientCapacity {
        address: a.to_string(),
        job_id: 5,
    };
    lock_until_refused(&mut s, &a, 1..=4, full);
    // Memory is checked too.
    s.release_job(&a, 4).must(&s);
    s.rejects(
        |s| {
            s.lock_for_job_with(
                &a,
                6,
                Capacity {
                    memory_gib: 57,
                    devices: 1,
                },
            )
        },
        "lacks capacity",
    );
    s.lock_for_job_with(
        &a,
        6,
        Capacity {
            memory_gib: 56,
            devices: 1,
        },
    )
    .must(&s);
    // Huge needs cannot overflow the check.
    s.release_job(&a, 6).must(&s);
    s.rejects(
        |s| {
            s.lock_for_job_with(
                &a,
                7,
                Capacity {
                    memory_gib: u32::MAX,
                    devices: u32::MAX,
                },
            )
        },
        "lacks capacity",
    );
}

#[test]
fn an_under_staked_provider_cannot_take_jobs() {
    let mut s = suite();
    let a = s.registered("alice", VERIFIER);
    s.rejects(
        |s| s.lock_for_job(&a, 1),
        ContractError::InsufficientStake {
            required: u(PROVER),
            provided: u(VERIFIER),
        },
    );
    s.stake(&a, PROVER - VERIFIER).must(&s);
    s.lock_for_job(&a, 1).must(&s);
}

#[test]
fn unstaking_below_the_prover_minimum_while_holding_a_job_is_refused() {
    let mut s = suite();
    let a = s.registered("alice", PROVER + 10);
    s.lock_for_job(&a, 1).must(&s);
    s.unstake(&a, 10).must(&s);
    s.rejects(
        |s| s.unstake(&a, 1),
        ContractError::StakeLockedByJobs {
            active_jobs: 1,
            required: u(PROVER),
            requested: u(1),
            remaining: u(PROVER - 1),
        },
    );
    s.release_job(&a, 1).must(&s);
    s.unstake(&a, PROVER).must(&s);
}

#[test]
fn max_active_jobs_bounds_what_a_provider_holds() {
    let mut s = suite_without_reputation(|p| p.max_active_jobs = 5);
    let a = s.addr("alice");
    s.register_with(
        &a,
        PROVER,
        Backend::Cuda,
        Capacity {
            memory_gib: 10_000,
            devices: 1_000,
        },
        1,
    )
    .must(&s);
    let too_many = ContractError::TooManyJobs {
        address: a.to_string(),
        max: 5,
    };
    lock_until_refused(&mut s, &a, 0..=4, too_many);
    assert_eq!(s.provider(&a).active_jobs, vec![0, 1, 2, 3, 4]);
}

// ---------------------------------------------------------------- misc

#[test]
fn params_default_to_the_protocol() {
    let s = suite();
    assert_eq!(s.staking_config().params, StakingParams::default());
    let p = StakingParams::default();
    assert_eq!(p.lock_min_blocks, FROZEN);
    assert_eq!(p.unlock_blocks, RELEASE);
    assert_eq!(p.min_prover_stake, u(PROVER));
    assert_eq!(p.min_verifier_stake, u(VERIFIER));
}

#[test]
fn events_carry_the_action_on_every_state_change() {
    let mut s = suite();
    let a = s.addr("alice");
    let v = s.addr("v");
    let actions = [
        ("register", s.register(&a, 2 * PROVER).must(&s)),
        ("stake", s.stake(&a, 1).must(&s)),
        ("unstake", s.unstake(&a, 1).must(&s)),
        ("heartbeat", s.heartbeat(&a).must(&s)),
        ("report_missed_heartbeats", s.report_missed(&v, &a).must(&s)),
        ("lock_for_job", s.lock_for_job(&a, 1).must(&s)),
        ("release_job", s.release_job(&a, 1).must(&s)),
        ("slash", s.slash_benign(&a, "b", 1, 100).must(&s)),
        ("slash", s.slash_fraud(&a, "f", &[&v]).must(&s)),
        ("claim", s.claim(&v).must(&s)),
    ];
    for (action, res) in actions {
        assert!(
            attrs(&res, "action").iter().any(|x| x == action),
            "{action} missing from {:?}",
            res.events
        );
    }
}

#[test]
fn heartbeats_and_slashes_reach_the_reputation_contract_once() {
    let mut s = suite();
    let a = s.registered("alice", 4 * PROVER);
    let x = s.addr("cranker");
    let r = s.reputation_of(&a).unwrap();
    assert_eq!(r.success_rate, Decimal::percent(50), "a new provider");
    assert_eq!(r.stake_level, u(4 * PROVER));

    // Two missed intervals lower the success rate by 2 * 0.005, once.
    s.advance(250);
    s.report_missed(&x, &a).must(&s);
    s.report_missed(&x, &a).must(&s);
    s.heartbeat(&a).must(&s);
    assert_eq!(
        s.reputation_of(&a).unwrap().success_rate,
        Decimal::permille(490)
    );

    // A benign fault: r = 0.
    s.slash_benign(&a, "b", 1, 1_000).must(&s);
    let r = s.reputation_of(&a).unwrap();
    assert_eq!(r.success_rate, Decimal::permille(441));
    assert_eq!(r.faults, 1);

    // Fraud: r = 0, then s *= 1 - 0.75 (the fraction of stake lost), and
    // the cooling-off period is the ban.
    let h = s.height();
    let res = s.slash_fraud(&a, "f", &[&x]).must(&s);
    let lost = slash_data(&res).fraction_lost;
    assert!(lost >= Decimal::percent(75) && lost < Decimal::permille(751));
    let r = s.reputation_of(&a).unwrap();
    let expected = Decimal::from_ratio(3_969u128, 10_000u128) * (Decimal::one() - lost);
    assert_eq!(r.success_rate, expected);
    assert_eq!(r.faults, 2);
    assert_eq!(r.cooling_off_until, h + 100_000);
    assert_eq!(r.cooling_off_until, s.provider(&a).banned_until);
    assert!(r.score <= Decimal::one());
}
