//! All four contracts wired together (issue 4): the real staking,
//! reputation, marketplace and rewards contracts in one suite
//! (`SuiteBuilder::marketplace().rewards(..)`). A job's fee and work records
//! travel from the marketplace to the rewards contract, shares are paid at
//! claim (with staking's `ConsumeFines`), and `Suite::assert_invariant`
//! checks every contract's balance against what it owes, supply
//! conservation, every job in exactly one state and every settled job's fee
//! received by rewards (or still undelivered) after every message.

#[path = "common/props.rs"]
mod props;

use cosmwasm_std::{Addr, Decimal, Uint128, Uint256};
use impulse_testing::market::{default_spec, moved_to, sequence_spec, Run};
use impulse_testing::rewards::RewardsSetup;
use impulse_testing::{attr, Outcome, Suite, SuiteBuilder};
use impulse_types::marketplace::JobState;
use impulse_types::rewards::RewardsParams;
use impulse_types::Backend;
use proptest::prelude::*;

use props::{assert_covered, run_seeded, Tally};

const L: u64 = 40;
const EPOCH: u64 = 300;
const MAX_ISSUANCE: u128 = 1_000_000;

/// The four contracts. The rewards contract reads `Rep` from a scoreboard
/// the test sets (the real reputation contract stays wired into staking and
/// the marketplace): the real one scores a provider 0 until its first
/// settled job is recorded, which happens after the job's `RecordWork`, and
/// it never scores verifiers' work, so with it every first job and every
/// verifier share would weigh 0 (see `real_reputation_weighs_first_work_zero`).
fn four(reserve: u128) -> Suite {
    let s = SuiteBuilder::new()
        .marketplace()
        .rewards(RewardsSetup {
            params: RewardsParams {
                epoch_blocks: EPOCH,
                max_issuance: Uint128::new(MAX_ISSUANCE),
                ..RewardsParams::default()
            },
            reserve,
            scoreboard: true,
        })
        .build();
    assert!(s.is_four());
    s.assert_invariant();
    s
}

/// `floor(pool * weight / total)`, computed here independently.
fn payout(pool: Uint128, weight: Uint256, total: Uint256) -> u128 {
    if weight.is_zero() {
        return 0;
    }
    Uint128::try_from(Uint256::from(pool).multiply_ratio(weight, total))
        .unwrap()
        .u128()
}

/// Every provider's `Rep` on the scoreboard: 50% to 95% by address order.
fn scores(s: &mut Suite) {
    for (i, p) in s.all_providers().into_iter().enumerate() {
        s.set_score(&p.address, rep_of(i));
    }
}

fn rep_of(i: usize) -> Decimal {
    Decimal::percent(50 + (i as u64 * 7) % 46)
}

/// `Rep x Contribution x Stake`, with Rep as a Decimal in [0, 1].
fn weight(s: &Suite, who: &Addr, contribution: u128) -> Uint256 {
    let i = s
        .all_providers()
        .iter()
        .position(|p| p.address == *who)
        .unwrap();
    let rep = rep_of(i);
    Uint256::from(contribution)
        .checked_mul(Uint256::from(s.provider(who).stake))
        .unwrap()
        .multiply_ratio(rep.atomics(), cosmwasm_std::Decimal::one().atomics())
}

/// Everyone still registered sends a heartbeat (no fines at claim).
fn heartbeats(s: &mut Suite) {
    for p in s.all_providers() {
        if !p.banned {
            s.heartbeat(&p.address).must(s);
        }
    }
}

#[test]
fn a_job_pays_its_fee_into_rewards_and_its_workers_claim_their_shares() {
    let mut s = four(10 * MAX_ISSUANCE);
    let (provers, _) = s.network(2, 5);
    scores(&mut s);
    let trainer = s.addr("trainer");
    let anyone = s.addr("anyone");
    let epoch0 = s.current_epoch().epoch;

    // --- an honest job, settled --------------------------------------
    let (id, res) = s.submit(&trainer, &default_spec(s.height(), L, 1)).unwrap();
    s.assert_invariant();
    assert!(moved_to(&res, id, JobState::Assigned));
    let prover = s.job(id).prover.unwrap();
    assert!(provers.contains(&prover));
    let committee: Vec<Addr> = s
        .round(id)
        .committee
        .iter()
        .map(|m| m.address.clone())
        .collect();
    // What the rewards contract will read at RecordWork: Rep and stake now.
    let units = s.job(id).spec.model_units as u128;
    // Contribution is what the trainer paid (issue 14): L x price 10.
    let _ = units;
    let prover_weight = weight(&s, &prover, L as u128 * 10);
    let rewards_before = s.balance(&s.rewards.clone());
    let vault_before = s.rewards_totals().vault;

    let res = s.drive(id, &Run::honest(1, L), &[]).unwrap();
    assert!(moved_to(&res, id, JobState::Settled));
    let challenged = s.round(id).challenged_steps.len() as u128;
    let fee: u128 = attr(&res, "fee").unwrap().parse().unwrap();
    let to_pool: u128 = attr(&res, "to_pool").unwrap().parse().unwrap();
    let to_vault: u128 = attr(&res, "to_vault").unwrap().parse().unwrap();
    // ceil(5% of L x price 10) = 20, split by fee_to_rewards
    assert_eq!(fee, 20);
    assert_eq!(to_pool + to_vault, fee);
    assert_eq!(
        to_pool,
        Uint128::new(fee)
            .mul_floor(s.market_params().fee_to_rewards)
            .u128()
    );
    // The fee reached the rewards contract: pool and vault.
    assert_eq!(s.balance(&s.rewards.clone()) - rewards_before, fee);
    let cur = s.current_epoch();
    assert_eq!(cur.epoch, epoch0);
    assert_eq!(cur.fees_in.u128(), fee);
    assert_eq!(cur.pool_fees.u128(), to_pool);
    assert_eq!(cur.jobs_settled, 1);
    assert_eq!(
        s.rewards_totals().vault - vault_before,
        Uint128::new(to_vault)
    );
    assert!(s.market_totals().undelivered_fees.is_zero());

    // RecordWork: the prover's pay (L x price), each majority verifier's
    // pay, weighted by Rep x Stake.
    let sh = s.share(&prover, epoch0);
    assert!(sh.exists && !sh.closed);
    assert_eq!(sh.prover_weight, prover_weight);
    assert!(!prover_weight.is_zero(), "a staked prover with Rep > 0");
    assert_eq!(cur.kpis.compute_volume.u128(), L as u128 * 10);
    let verifier_pay = challenged.min(4 + 1) * 10;
    let mut verifier_weights = Uint256::zero();
    for v in &committee {
        let sh = s.share(v, epoch0);
        assert!(sh.exists, "majority verifier {v} recorded");
        assert_eq!(sh.verifier_weight, weight(&s, v, verifier_pay));
        verifier_weights += sh.verifier_weight;
    }
    assert_eq!(cur.providers_weight, prover_weight);
    assert_eq!(cur.verifiers_weight, verifier_weights);
    let idle: Vec<Addr> = s
        .all_providers()
        .into_iter()
        .map(|p| p.address)
        .filter(|a| *a != prover && !committee.contains(a))
        .collect();
    for a in &idle {
        assert!(!s.share(a, epoch0).exists, "{a} did no work");
    }

    // --- close the epoch ---------------------------------------------
    s.next_epoch();
    heartbeats(&mut s);
    s.close_epoch(&anyone).must(&s);
    let e = s.epoch_record(epoch0).unwrap();
    assert_eq!(e.fees_in.u128(), fee);
    assert_eq!(e.jobs_settled, 1);
    assert!(e.multiplier >= RewardsParams::default().m_floor);
    assert_eq!(
        e.issuance,
        Uint128::new(MAX_ISSUANCE).mul_floor(e.multiplier),
        "reserve not binding"
    );
    assert_eq!(e.pool, e.issuance + Uint128::new(to_pool));
    assert_eq!(e.providers_weight, prover_weight);
    assert_eq!(e.verifiers_weight, verifier_weights);

    // --- claims match Share / Claimable and the formula, capped ------
    // A share pays at most its cap: reward_cap_prover x the job's fee for
    // the prover, reward_cap_verifier x its part of the fee for a verifier.
    let caps = RewardsParams::default();
    let prover_cap = Uint128::new(fee).mul_floor(caps.reward_cap_prover).u128();
    let verifier_cap = Uint128::new(fee / committee.len() as u128)
        .mul_floor(caps.reward_cap_verifier)
        .u128();
    let expect_prover = payout(e.providers_pool, prover_weight, e.providers_weight).min(prover_cap);
    assert_eq!(s.share(&prover, epoch0).amount.u128(), expect_prover);
    assert_eq!(s.claimable(&prover).total.u128(), expect_prover);
    let (epochs, amount, fined) = s.claim_rewards_checked(&prover, None, None).unwrap();
    s.assert_invariant();
    // Heartbeat fines (missed intervals during the epoch) go to the vault.
    assert_eq!((epochs, amount), (vec![epoch0], expect_prover));
    assert!(fined <= amount);
    println!(
        "epoch {epoch0}: multiplier {}, issuance {}, fee {fee} (pool {to_pool}, vault {to_vault}), providers pool {}, verifiers pool {}; prover claimed {amount} (fined {fined})",
        e.multiplier, e.issuance, e.providers_pool, e.verifiers_pool
    );
    let mut verifiers_paid = 0;
    for v in &committee {
        let w = s.share(v, epoch0).verifier_weight;
        let expect = payout(e.verifiers_pool, w, e.verifiers_weight).min(verifier_cap);
        assert_eq!(s.claimable(v).total.u128(), expect);
        let (_, amount, fined) = s.claim_rewards_checked(v, None, None).unwrap();
        s.assert_invariant();
        assert_eq!(amount, expect);
        println!("verifier claimed {amount} (fined {fined})");
        verifiers_paid += amount;
    }
    assert!(verifiers_paid <= e.verifiers_pool.u128());
    // What the caps did not pay went back to the reserve, the dust to the
    // vault: the epoch owes nothing any more.
    let e = s.epoch_record(epoch0).unwrap();
    assert!(s.rewards_totals().returned.u128() > 0, "the caps bound");
    assert_eq!(
        e.claimed + e.dust,
        e.providers_pool + e.verifiers_pool,
        "every share of the epoch settled"
    );
    // A claim never pays twice; idle providers have nothing.
    s.claim_rewards(&prover, None, None)
        .must_fail(&s, "nothing to claim");
    s.claim_rewards(&idle[0], None, None)
        .must_fail(&s, "nothing to claim");

    // --- a cheating prover on a second job ---------------------------
    let (id2, _) = s.submit(&trainer, &default_spec(s.height(), L, 2)).unwrap();
    let cheat = s.job(id2).prover.unwrap();
    let stake = s.provider(&cheat).stake;
    let epoch1 = s.current_epoch().epoch;
    let fees_before = s.current_epoch().fees_in;
    let res = s.drive(id2, &Run::cheating(2, L, &[L]), &[]).unwrap();
    assert!(moved_to(&res, id2, JobState::Queued), "re-queued");
    let slashed = stake - s.provider(&cheat).stake;
    assert_eq!(
        slashed,
        stake.mul_ceil(s.staking_config().params.slash_fraud)
    );
    assert!(s.provider(&cheat).banned);
    // No fee and no work for a fraud.
    assert_eq!(s.current_epoch().fees_in, fees_before);
    assert!(s.share(&cheat, epoch1).prover_weight.is_zero());
    println!("cheating prover slashed {slashed} of {stake}");

    // The other prover takes the job over and settles it.
    s.run_scheduler(None).must(&s);
    let job = s.job(id2);
    assert_eq!(job.state, JobState::Assigned);
    let honest = job.prover.unwrap();
    assert_ne!(honest, cheat);
    let res = s.drive(id2, &Run::honest(2, L), &[]).unwrap();
    assert!(moved_to(&res, id2, JobState::Settled));
    assert!(s.share(&honest, epoch1).prover_weight > Uint256::zero());
    s.next_epoch();
    heartbeats(&mut s);
    s.close_epoch(&anyone).must(&s);
    let e1 = s.epoch_record(epoch1).unwrap();
    assert_eq!(e1.jobs_settled, 1);
    assert_eq!(e1.fees_in.u128(), 20);
    // The only prover of the epoch: the whole providers' pool is its share,
    // capped at reward_cap_prover x the job's fee.
    assert_eq!(s.share(&honest, epoch1).prover_weight, e1.providers_weight);
    let cap = Uint128::new(20).mul_floor(RewardsParams::default().reward_cap_prover);
    assert_eq!(s.claimable(&honest).total, e1.providers_pool.min(cap));
    let (_, amount, fined) = s.claim_rewards_checked(&honest, None, None).unwrap();
    s.assert_invariant();
    assert_eq!(amount, e1.providers_pool.min(cap).u128());
    println!("epoch {epoch1}: honest prover claimed {amount} (fined {fined})");
}

/// With the real reputation contract: the marketplace records the job in
/// reputation before it records the work in rewards, so a first job's prover
/// and the majority verifiers (who earn reputation for their replays) weigh
/// more than 0 in the rewards shares.
#[test]
fn real_reputation_weighs_first_work() {
    let mut s = SuiteBuilder::new()
        .marketplace()
        .rewards(RewardsSetup {
            scoreboard: false,
            ..RewardsSetup::default()
        })
        .build();
    s.network(1, 3);
    let trainer = s.addr("trainer");
    let epoch = s.current_epoch().epoch;
    let (id, _) = s.submit(&trainer, &default_spec(s.height(), L, 1)).unwrap();
    let prover = s.job(id).prover.unwrap();
    assert!(s.score(&prover).is_zero(), "no work recorded yet");
    s.drive(id, &Run::honest(1, L), &[]).unwrap();
    assert_eq!(s.job(id).state, JobState::Settled);
    assert!(!s.score(&prover).is_zero(), "reputation recorded the job");
    assert!(
        s.share(&prover, epoch).exists,
        "the first job earns a share"
    );
    let committee = s.round(id).committee;
    for m in committee {
        assert!(!s.score(&m.address).is_zero(), "verifier earned reputation");
        assert!(s.share(&m.address, epoch).exists, "verifier earns a share");
    }
    s.assert_invariant();
}

// ------------------------------------------------------------ property test

#[derive(Clone, Debug)]
enum Op {
    AddProver(u128),
    AddVerifier,
    Stake {
        who: u8,
        amount: u128,
    },
    Unstake {
        who: u8,
        bps: u16,
    },
    Heartbeats,
    Submit {
        steps: u64,
        committee: u32,
        price: u128,
    },
    Scheduler,
    CommitOnly,
    /// Drive the first open job honestly, with the committee
    /// `Behaviour::committee(pick)` ...
    DriveHonest(u8),
    /// ... or with a cheating run.
    DriveCheating(u8),
    Timeouts,
    Advance(u64),
    CloseEpoch,
    Claim {
        who: u8,
        limit: Option<u32>,
    },
    FundReserve(u128),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => (1u128..4).prop_map(|x| Op::AddProver(x * 1_000_000_000)),
        2 => Just(Op::AddVerifier),
        1 => (any::<u8>(), prop::sample::select(vec![1u128, 1_000_000, 2_000_000_000]))
            .prop_map(|(who, amount)| Op::Stake { who, amount }),
        1 => (any::<u8>(), 0u16..=10_000).prop_map(|(who, bps)| Op::Unstake { who, bps }),
        1 => Just(Op::Heartbeats),
        3 => (3u64..30, 3u32..5, 5u128..15)
            .prop_map(|(steps, committee, price)| Op::Submit { steps, committee, price }),
        1 => Just(Op::Scheduler),
        1 => Just(Op::CommitOnly),
        4 => (prop::bool::weighted(0.3), 0u8..6).prop_map(|(cheat, pick)| if cheat { Op::DriveCheating(pick) } else { Op::DriveHonest(pick) }),
        1 => Just(Op::Timeouts),
        2 => prop::sample::select(vec![1u64, 50, 150, 301, 700]).prop_map(Op::Advance),
        2 => Just(Op::CloseEpoch),
        3 => (any::<u8>(), prop::option::of(0u32..3)).prop_map(|(who, limit)| Op::Claim { who, limit }),
        1 => prop::sample::select(vec![0u128, 1, 2_000_000]).prop_map(Op::FundReserve),
    ]
}

fn pick(s: &Suite, who: u8) -> Option<Addr> {
    let ps = s.all_providers();
    (!ps.is_empty()).then(|| ps[who as usize % ps.len()].address.clone())
}

fn apply(s: &mut Suite, op: &Op, n: &mut u32) -> anyhow::Result<()> {
    match op {
        Op::AddProver(stake) => {
            *n += 1;
            s.provider_node(&format!("p{n}"), *stake, Backend::Cpu, 10);
            scores(s);
            Ok(())
        }
        Op::AddVerifier => {
            *n += 1;
            s.provider_node(&format!("v{n}"), 300_000_000, Backend::Cpu, 8);
            scores(s);
            Ok(())
        }
        Op::Stake { who, amount } => match pick(s, *who) {
            Some(p) => s.stake(&p, *amount).map(drop),
            None => Ok(()),
        },
        Op::Unstake { who, bps } => match pick(s, *who) {
            Some(p) => {
                let stake = s.provider(&p).stake.u128();
                s.unstake(&p, stake * *bps as u128 / 10_000).map(drop)
            }
            None => Ok(()),
        },
        Op::Heartbeats => {
            for p in s.all_providers() {
                let _ = s.heartbeat(&p.address);
                s.assert_invariant();
            }
            Ok(())
        }
        Op::Submit {
            steps,
            committee,
            price,
        } => {
            let t = s.addr("trainer");
            let spec = sequence_spec(s.height(), *steps, *n as u64, *committee, *price);
            s.submit(&t, &spec).map(drop)
        }
        Op::Scheduler => s.run_scheduler(None).map(drop),
        Op::CommitOnly => s.commit_open(),
        Op::DriveHonest(pick) => s.drive_open(false, *pick),
        Op::DriveCheating(pick) => s.drive_open(true, *pick),
        Op::Timeouts => s.process_timeouts().map(drop),
        Op::Advance(b) => {
            s.advance(*b);
            Ok(())
        }
        Op::CloseEpoch => {
            let a = s.addr("anyone");
            s.close_epoch(&a).map(drop)
        }
        Op::Claim { who, limit } => match pick(s, *who) {
            Some(p) => s.claim_rewards_checked(&p, None, *limit).map(drop),
            None => Ok(()),
        },
        Op::FundReserve(amount) => {
            let g = s.gov.clone();
            s.fund_reserve(&g, *amount).map(drop)
        }
    }
}

fn run_sequence(ops: &[Op], tally: &Tally) -> Result<(), TestCaseError> {
    // a reserve that can run dry within a sequence
    let mut s = four(3 * MAX_ISSUANCE);
    s.addr("anyone");
    s.addr("trainer");
    s.addr("cranker");
    s.network(1, 3);
    scores(&mut s);
    let mut n = 0u32;
    for op in ops {
        let res = apply(&mut s, op, &mut n);
        s.assert_invariant();
        tally.record(op, res.is_ok());
    }
    // Drain: every deadline passes, every job ends; the last epochs close
    // and everything owed can be claimed.
    let fail = |e: anyhow::Error| TestCaseError::fail(format!("{e:#}"));
    let left = s.drain_jobs().map_err(fail)?;
    prop_assert!(left.is_empty(), "jobs left unfinished: {:?}", left);
    s.advance(EPOCH);
    let anyone = s.addr("anyone");
    let _ = s.close_epoch(&anyone);
    s.assert_invariant();
    for p in s.all_providers() {
        s.claim_all(&p.address, true).map_err(fail)?;
    }
    let t = s.rewards_totals();
    prop_assert!(
        t.issued <= t.funded + t.returned,
        "issuance never exceeds the reserve"
    );
    prop_assert!(
        t.unclaimed.u128() <= s.all_epochs().len() as u128 * 2 * s.all_providers().len() as u128,
        "only rounding dust stays unclaimed: {}",
        t.unclaimed
    );
    Ok(())
}

#[test]
fn four_contracts_stay_balanced_over_random_sequences() {
    let coverage = run_seeded(4, op(), 1..25, run_sequence);
    let ops = "submit drive_honest drive_cheating close_epoch claim fund_reserve timeouts";
    assert_covered(&coverage, true, 1, ops);
}
