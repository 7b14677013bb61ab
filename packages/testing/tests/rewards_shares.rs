//! Shares within each cohort (protocol.md section 8): proportional to
//! `Rep x Contribution x Stake` accumulated when the work is recorded, paid
//! by pull claims, heartbeat fines taken at claim. Expected payouts are
//! recomputed here in exact integer arithmetic.

use cosmwasm_std::{Addr, Decimal, Uint128, Uint256};
use impulse_testing::rewards::RewardsSetup;
use impulse_testing::{attr, Outcome, Suite, SuiteBuilder};
use impulse_types::rewards::{JobOutcome, WorkRole};

const MIN_STAKE: u128 = 250_000_000;

fn suite() -> Suite {
    SuiteBuilder::new().rewards(RewardsSetup::default()).build()
}

/// A provider of the test: score in percent, stake, prover and verifier work.
struct Cp {
    name: &'static str,
    rep_pct: u128,
    stake: u128,
    prover: u128,
    verifier: u128,
}

/// `floor(contribution * stake * rep)` with rep = pct / 100, exactly as the
/// contract's 18-decimal Decimal gives it for whole percents.
fn weight(cp: &Cp, contribution: u128) -> u128 {
    contribution * cp.stake * cp.rep_pct / 100
}

fn close(s: &mut Suite) -> u64 {
    let id = s.current_epoch().epoch;
    s.next_epoch();
    let anyone = s.addr("anyone");
    s.close_epoch(&anyone).must(s);
    id
}

#[test]
fn shares_follow_rep_times_contribution_times_stake() {
    let mut s = suite();
    let cps = [
        // a trusted, well-staked prover that also verifies
        Cp {
            name: "a",
            rep_pct: 90,
            stake: 4_000_000_000,
            prover: 300_000,
            verifier: 50,
        },
        // half the reputation, twice the work
        Cp {
            name: "b",
            rep_pct: 50,
            stake: 1_000_000_000,
            prover: 600_000,
            verifier: 0,
        },
        // the best reputation but only the minimum stake: earns little
        Cp {
            name: "c",
            rep_pct: 95,
            stake: MIN_STAKE,
            prover: 300_000,
            verifier: 0,
        },
        // stakes a lot but does no work: earns nothing
        Cp {
            name: "d",
            rep_pct: 90,
            stake: 10_000_000_000,
            prover: 0,
            verifier: 0,
        },
        // verifiers
        Cp {
            name: "v1",
            rep_pct: 80,
            stake: 500_000_000,
            prover: 0,
            verifier: 100,
        },
        Cp {
            name: "v2",
            rep_pct: 60,
            stake: 2_000_000_000,
            prover: 0,
            verifier: 300,
        },
        // no reputation at all: its work weighs nothing
        Cp {
            name: "z",
            rep_pct: 0,
            stake: 5_000_000_000,
            prover: 300_000,
            verifier: 0,
        },
    ];
    let addrs: Vec<Addr> = cps.iter().map(|c| s.addr(c.name)).collect();
    for (cp, a) in cps.iter().zip(&addrs) {
        s.register(a, cp.stake).must(&s);
        s.set_score(a, Decimal::percent(cp.rep_pct as u64));
    }
    // Work in two pieces each, to show accumulation.
    for (cp, a) in cps.iter().zip(&addrs) {
        for part in [cp.prover / 3, cp.prover - cp.prover / 3] {
            if part > 0 {
                s.record_work(a, WorkRole::Prover, part).must(&s);
            }
        }
        if cp.verifier > 0 {
            s.record_work(a, WorkRole::Verifier, cp.verifier).must(&s);
        }
    }
    s.record_job(1, JobOutcome::Settled, 12_345, 6_789).must(&s);
    let epoch = close(&mut s);
    let rec = s.epoch_record(epoch).unwrap();

    let wp: Vec<u128> = cps
        .iter()
        .map(|c| weight(c, c.prover / 3) + weight(c, c.prover - c.prover / 3))
        .collect();
    let wv: Vec<u128> = cps.iter().map(|c| weight(c, c.verifier)).collect();
    let (tp, tv): (u128, u128) = (wp.iter().sum(), wv.iter().sum());
    assert_eq!(rec.providers_weight, Uint256::from(tp));
    assert_eq!(rec.verifiers_weight, Uint256::from(tv));
    let pool = rec.pool.u128();
    assert_eq!(pool, rec.issuance.u128() + 12_345);
    let (pp, vp) = (pool * 6 / 10, pool * 3 / 10);
    assert_eq!(rec.providers_pool.u128(), pp);
    assert_eq!(rec.verifiers_pool.u128(), vp);
    assert_eq!(rec.to_vault.u128(), pool - pp - vp);

    let vault_before = s.rewards_totals().vault;
    let mut paid = vec![0u128; cps.len()];
    for (i, (cp, a)) in cps.iter().zip(&addrs).enumerate() {
        let expected = pp * wp[i] / tp + vp * wv[i] / tv;
        let share = s.share(a, epoch);
        assert_eq!(share.prover_weight, Uint256::from(wp[i]), "{}", cp.name);
        assert_eq!(share.verifier_weight, Uint256::from(wv[i]), "{}", cp.name);
        assert_eq!(
            share.amount.u128(),
            if wp[i] + wv[i] == 0 { 0 } else { expected },
            "{}",
            cp.name
        );
        if wp[i] + wv[i] == 0 {
            // d staked without working; z worked with Rep 0.
            s.rewards_rejects(|s| s.claim_rewards(a, None, None), "nothing to claim");
            continue;
        }
        assert_eq!(s.claimable(a).total.u128(), expected, "{}", cp.name);
        let before = s.balance(a);
        let res = s.claim_rewards(a, None, None).must(&s);
        paid[i] = s.balance(a) - before;
        assert_eq!(paid[i], expected, "{} is paid its share", cp.name);
        assert_eq!(attr(&res, "fine").as_deref(), Some("0"));
    }
    // Payouts round down: at most one unit of dust per claimant; once every
    // share of the epoch is claimed the dust goes to the vault (no fines
    // here, so that is all the vault gets).
    let rec = s.epoch_record(epoch).unwrap();
    let dust = (pp + vp) - paid.iter().sum::<u128>();
    assert!(dust <= 6, "dust {dust}");
    assert_eq!(s.rewards_totals().unclaimed.u128(), 0);
    assert_eq!(s.rewards_totals().vault.u128(), vault_before.u128() + dust);
    assert_eq!(rec.dust.u128(), dust);
    assert_eq!(rec.claimed.u128(), paid.iter().sum::<u128>());

    let share = |i: usize| paid[i] as f64 / pp as f64;
    println!("providers pool {pp}, verifiers pool {vp}");
    for (i, cp) in cps.iter().enumerate() {
        println!(
            "| {} | rep {}% | stake {} | prover {} | verifier {} | paid {} |",
            cp.name, cp.rep_pct, cp.stake, cp.prover, cp.verifier, paid[i]
        );
    }
    // The spec's intent: reputation, work and stake all count.
    assert!(share(2) < 0.05, "minimum stake earns little: {}", share(2));
    assert!(paid[0] > 10 * paid[2], "same work, 16x the stake");
    assert_eq!(paid[3], 0, "stake without work earns nothing");
    assert_eq!(paid[6], 0, "work without reputation earns nothing");
    assert!(
        paid[5] > paid[4],
        "v2: more stake and work outweigh less reputation"
    );
}

#[test]
fn heartbeat_fines_are_taken_at_claim_once_and_go_to_the_vault() {
    // Heartbeats due every 20,000 blocks, so that only the misses this test
    // makes count (an epoch is 14,400 blocks).
    let mut s = SuiteBuilder::new()
        .staking_params(|p| p.heartbeat_blocks = 20_000)
        .rewards(RewardsSetup::default())
        .build();
    let a = s.addr("a");
    let b = s.addr("b");
    let anyone = s.addr("anyone");
    for p in [&a, &b] {
        s.register(p, 1_000_000_000).must(&s);
        s.set_score(p, Decimal::percent(90));
        s.record_work(p, WorkRole::Prover, 1_000).must(&s);
    }
    let e0 = close(&mut s);
    for p in [&a, &b] {
        s.heartbeat(p).must(&s);
        s.record_work(p, WorkRole::Prover, 1_000).must(&s);
    }
    let e1 = close(&mut s);
    // a misses five intervals, reported by anyone.
    s.heartbeat(&a).must(&s);
    s.heartbeat(&b).must(&s);
    s.advance(100_001);
    s.report_missed(&anyone, &a).must(&s);
    assert_eq!(s.provider(&a).unpaid_fine_intervals, 5);
    // Close the idle epochs now, so the vault below moves only by the fine.
    s.close_epoch(&anyone).must(&s);

    let owed = s.claimable(&a).entries;
    assert_eq!(owed.len(), 2);
    // Claiming the smallest share first would dodge most of the fine: a
    // claim while fines are unpaid takes every closed share (issue 14).
    s.rewards_rejects(
        |s| s.claim_rewards(&a, Some(vec![e0]), None),
        "claim all 2 closed epochs at once",
    );
    let amount = owed.iter().map(|e| e.amount.u128()).sum::<u128>();
    let vault = s.rewards_totals().vault;
    let before = s.balance(&a);
    let res = s.claim_rewards(&a, Some(vec![e0, e1]), None).must(&s);
    let fined = (amount * 5).div_ceil(100);
    assert_eq!(s.balance(&a) - before, amount - fined, "5 x 1% fined");
    assert_eq!(attr(&res, "fine").as_deref(), Some("0.05"));
    assert!(s.rewards_totals().vault.u128() >= vault.u128() + fined);
    assert_eq!(s.rewards_totals().fined.u128(), fined);
    assert_eq!(s.provider(&a).unpaid_fine_intervals, 0, "consumed");

    // More work, another epoch: not fined again; b was never fined.
    s.heartbeat(&a).must(&s);
    s.record_work(&a, WorkRole::Prover, 1_000).must(&s);
    close(&mut s);
    let amount1 = s.claimable(&a).total.u128();
    let before = s.balance(&a);
    s.claim_rewards(&a, None, None).must(&s);
    assert_eq!(s.balance(&a) - before, amount1);
    let before = s.balance(&b);
    let all = s.claimable(&b).total.u128();
    s.claim_rewards(&b, None, None).must(&s);
    assert_eq!(s.balance(&b) - before, all);
}

#[test]
fn checklist_11_a_late_staker_cannot_claim_earlier_epochs() {
    let mut s = suite();
    let early = s.registered("early", 1_000_000_000);
    let late = s.addr("late");
    s.set_score(&early, Decimal::percent(90));
    s.set_score(&late, Decimal::percent(90));
    s.record_work(&early, WorkRole::Prover, 1_000).must(&s);
    // Work reported for someone not staked yet weighs nothing.
    s.record_work(&late, WorkRole::Prover, 1_000).must(&s);
    let e0 = close(&mut s);
    s.record_work(&early, WorkRole::Prover, 1_000).must(&s);
    let e1 = close(&mut s);
    let w0 = s.share(&early, e0).prover_weight;

    // The late staker arrives (with a huge stake) in epoch 2.
    s.register(&late, 100_000_000_000).must(&s);
    // The early one stakes more: its past weights do not change.
    s.stake(&early, 50_000_000_000).must(&s);
    assert_eq!(s.share(&early, e0).prover_weight, w0);
    assert!(!s.share(&late, e0).exists);
    for e in [e0, e1] {
        s.rewards_rejects(
            |s| s.claim_rewards(&late, Some(vec![e]), None),
            "has no unpaid share in epoch",
        );
    }
    s.rewards_rejects(|s| s.claim_rewards(&late, None, None), "nothing to claim");
    s.record_work(&late, WorkRole::Prover, 1_000).must(&s);
    // Not before its epoch closes.
    let e2 = s.current_epoch().epoch;
    s.rewards_rejects(
        |s| s.claim_rewards(&late, Some(vec![e2]), None),
        "is not closed yet",
    );
    close(&mut s);
    let c = s.claimable(&late);
    assert_eq!(c.entries.len(), 1);
    assert_eq!(c.entries[0].epoch, e2);
    s.claim_rewards(&late, None, None).must(&s);
    // The early staker's earlier shares are untouched and still paid in full.
    let owed = s.claimable(&early).total;
    assert!(owed > Uint128::zero());
    let before = s.balance(&early);
    s.claim_rewards(&early, None, None).must(&s);
    assert_eq!(s.balance(&early) - before, owed.u128());
}
