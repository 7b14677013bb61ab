//! Checklist item 20 for the staking vault: seeded random sequences of
//! register / stake / unstake / heartbeat / crank / lock / release / slash /
//! claim / donate / advance over five providers and a committee, with the
//! real reputation contract. Ops may be invalid; after every op the vault
//! must still add up (see `Suite::assert_invariant`), a failed op must have
//! changed nothing, and what a query promises is what a claim pays.

use std::cell::RefCell;
use std::collections::BTreeMap;

use cosmwasm_std::{Addr, Uint128};
use impulse_testing::{ReputationKind, Suite, SuiteBuilder};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

const PROVIDERS: usize = 5;
const COMMITTEE: usize = 3;
const PROVER: u128 = 1_000_000_000;
const VERIFIER: u128 = 250_000_000;

/// How much to unstake, decided against the provider's stake at the time.
#[derive(Clone, Debug)]
enum Amount {
    Zero,
    One,
    Odd(u32),
    /// Basis points of the current stake.
    Bps(u16),
    All,
    AllPlusOne,
    Max,
}

#[derive(Clone, Debug)]
enum Op {
    Register {
        who: usize,
        amount: u128,
    },
    Stake {
        who: usize,
        amount: u128,
    },
    Unstake {
        who: usize,
        amount: Amount,
    },
    Heartbeat {
        who: usize,
    },
    ReportMissed {
        who: usize,
    },
    Lock {
        who: usize,
        job: u64,
    },
    /// Mostly one of the provider's active jobs (`pick` modulo their
    /// number), sometimes (`pick >= 200`) a job id that may not be locked.
    Release {
        who: usize,
        pick: u8,
    },
    SlashFraud {
        who: usize,
        committee: u8,
        evidence: u8,
    },
    SlashBenign {
        who: usize,
        job: u64,
        cost: u128,
        evidence: u8,
    },
    Claim {
        who: usize,
    },
    ConsumeFines {
        who: usize,
    },
    Donate {
        amount: u128,
    },
    Advance {
        blocks: u64,
    },
}

impl Op {
    fn kind(&self) -> &'static str {
        match self {
            Op::Register { .. } => "register",
            Op::Stake { .. } => "stake",
            Op::Unstake { .. } => "unstake",
            Op::Heartbeat { .. } => "heartbeat",
            Op::ReportMissed { .. } => "report_missed",
            Op::Lock { .. } => "lock",
            Op::Release { .. } => "release",
            Op::SlashFraud { .. } => "slash_fraud",
            Op::SlashBenign { .. } => "slash_benign",
            Op::Claim { .. } => "claim",
            Op::ConsumeFines { .. } => "consume_fines",
            Op::Donate { .. } => "donate",
            Op::Advance { .. } => "advance",
        }
    }
}

/// Per op kind: how many succeeded and how many failed.
type Coverage = RefCell<BTreeMap<&'static str, (u32, u32)>>;

fn amount() -> impl Strategy<Value = Amount> {
    prop_oneof![
        1 => Just(Amount::Zero),
        1 => Just(Amount::One),
        2 => any::<u32>().prop_map(Amount::Odd),
        4 => (0u16..=10_000).prop_map(Amount::Bps),
        2 => Just(Amount::All),
        1 => Just(Amount::AllPlusOne),
        1 => Just(Amount::Max),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let who = 0..PROVIDERS;
    let anyone = 0..PROVIDERS + COMMITTEE;
    prop_oneof![
        3 => (who.clone(), prop::sample::select(vec![
            VERIFIER - 1, VERIFIER, VERIFIER + 7, PROVER, PROVER + 1_000_000_007, 4 * PROVER,
        ])).prop_map(|(who, amount)| Op::Register { who, amount }),
        2 => (who.clone(), prop::sample::select(vec![
            1u128, 7, 999_999, PROVER, 123_456_789_012,
        ])).prop_map(|(who, amount)| Op::Stake { who, amount }),
        4 => (who.clone(), amount()).prop_map(|(who, amount)| Op::Unstake { who, amount }),
        3 => who.clone().prop_map(|who| Op::Heartbeat { who }),
        2 => who.clone().prop_map(|who| Op::ReportMissed { who }),
        2 => (who.clone(), 0u64..6).prop_map(|(who, job)| Op::Lock { who, job }),
        2 => (who.clone(), any::<u8>()).prop_map(|(who, pick)| Op::Release { who, pick }),
        2 => (who.clone(), any::<u8>(), 0u8..24)
            .prop_map(|(who, committee, evidence)| Op::SlashFraud { who, committee, evidence }),
        2 => (who.clone(), 0u64..6, prop::sample::select(vec![
            0u128, 1, 21, 1_000_001, 1_000_000_000_000, u128::MAX,
        ]), 0u8..24)
            .prop_map(|(who, job, cost, evidence)| Op::SlashBenign { who, job, cost, evidence }),
        3 => anyone.prop_map(|who| Op::Claim { who }),
        1 => who.clone().prop_map(|who| Op::ConsumeFines { who }),
        1 => (1u128..1_000_000).prop_map(|amount| Op::Donate { amount }),
        3 => (1u64..=250).prop_map(|blocks| Op::Advance { blocks }),
        2 => (1_000u64..=400_000).prop_map(|blocks| Op::Advance { blocks }),
    ]
}

struct World {
    s: Suite,
    providers: Vec<Addr>,
    committee: Vec<Addr>,
    cranker: Addr,
}

impl World {
    fn new() -> Self {
        let mut s = SuiteBuilder::new().reputation(ReputationKind::Real).build();
        let providers = (0..PROVIDERS)
            .map(|i| s.addr(&format!("provider-{i}")))
            .collect();
        let committee = (0..COMMITTEE)
            .map(|i| s.addr(&format!("committee-{i}")))
            .collect();
        let cranker = s.addr("cranker");
        World {
            s,
            providers,
            committee,
            cranker,
        }
    }

    fn account(&self, i: usize) -> Addr {
        if i < PROVIDERS {
            self.providers[i].clone()
        } else {
            self.committee[i - PROVIDERS].clone()
        }
    }

    fn stake_of(&self, who: &Addr) -> u128 {
        self.s
            .try_provider(who)
            .map(|p| p.stake.u128())
            .unwrap_or(0)
    }

    /// Apply one op. `Err` carries a failed message's error (allowed).
    fn apply(&mut self, op: &Op) -> Result<(), String> {
        let s = &mut self.s;
        let res = match op {
            Op::Register { who, amount } => s.register(&self.providers[*who], *amount).map(drop),
            Op::Stake { who, amount } => s.stake(&self.providers[*who], *amount).map(drop),
            Op::Unstake { who, amount } => {
                let p = self.providers[*who].clone();
                let stake = self.s.try_provider(&p).map(|r| r.stake.u128()).unwrap_or(0);
                let n = match amount {
                    Amount::Zero => 0,
                    Amount::One => 1,
                    Amount::Odd(v) => *v as u128 | 1,
                    Amount::Bps(b) => stake * *b as u128 / 10_000,
                    Amount::All => stake,
                    Amount::AllPlusOne => stake + 1,
                    Amount::Max => u128::MAX,
                };
                self.s.unstake(&p, n).map(drop)
            }
            Op::Heartbeat { who } => s.heartbeat(&self.providers[*who]).map(drop),
            Op::ReportMissed { who } => s
                .report_missed(&self.cranker, &self.providers[*who])
                .map(drop),
            Op::Lock { who, job } => s.lock_for_job(&self.providers[*who], *job).map(drop),
            Op::Release { who, pick } => {
                let p = self.providers[*who].clone();
                let active = self
                    .s
                    .try_provider(&p)
                    .map(|r| r.active_jobs)
                    .unwrap_or_default();
                let job = match active.len() {
                    n if n > 0 && *pick < 200 => active[*pick as usize % n],
                    _ => u64::from(*pick % 6),
                };
                self.s.release_job(&p, job).map(drop)
            }
            Op::SlashFraud {
                who,
                committee,
                evidence,
            } => {
                // Bits 0..8 pick from the other providers and the committee
                // (the offender itself included now and then: an error).
                let members: Vec<Addr> = (0..PROVIDERS + COMMITTEE)
                    .filter(|i| committee & (1 << (i % 8)) != 0)
                    .map(|i| self.account(i))
                    .collect();
                let refs: Vec<&Addr> = members.iter().collect();
                let p = self.providers[*who].clone();
                self.s
                    .slash_fraud(&p, &format!("ev-{evidence}"), &refs)
                    .map(drop)
            }
            Op::SlashBenign {
                who,
                job,
                cost,
                evidence,
            } => s
                .slash_benign(
                    &self.providers[*who],
                    &format!("ev-{evidence}"),
                    *job,
                    *cost,
                )
                .map(drop),
            Op::Claim { who } => {
                let a = self.account(*who);
                let promised = self
                    .s
                    .try_unbonding(&a)
                    .map(|u| u.claimable_now.u128())
                    .unwrap_or(0);
                let bal = self.s.balance(&a);
                let res = self.s.claim(&a).map(drop);
                let paid = self.s.balance(&a) - bal;
                assert_eq!(paid, if res.is_ok() { promised } else { 0 }, "claim of {a}");
                assert_eq!(res.is_err(), promised == 0, "claim of {a}: {res:?}");
                res
            }
            Op::ConsumeFines { who } => {
                let r = self.s.rewards.clone();
                let p = self.providers[*who].clone();
                let owed = self.s.try_provider(&p).map(|r| r.unpaid_fine_intervals);
                let res = self.s.consume_fines(&r, &p);
                if let (Ok(f), Ok(owed)) = (&res, owed) {
                    assert_eq!(f.intervals, owed);
                    assert_eq!(self.s.provider(&p).unpaid_fine_intervals, 0);
                }
                res.map(drop)
            }
            Op::Donate { amount } => {
                let from = self.cranker.clone();
                self.s.donate(&from, *amount);
                Ok(())
            }
            Op::Advance { blocks } => {
                self.s.advance(*blocks);
                Ok(())
            }
        };
        res.map_err(|e| format!("{e:#}"))
    }
}

fn run_sequence(ops: &[Op], coverage: &Coverage) -> Result<(), TestCaseError> {
    let mut w = World::new();
    // Some providers exist from the start so that most ops mean something.
    for i in 0..3 {
        let p = w.providers[i].clone();
        w.s.register(&p, 2 * PROVER).expect("seed provider");
    }
    w.s.assert_invariant();
    let mut last = w.s.totals();
    let market = w.s.marketplace.clone();
    for op in ops {
        let before = w.s.snapshot();
        let market_before = w.s.balance(&market);
        let stakes_before: Vec<u128> = w.providers.iter().map(|p| w.stake_of(p)).collect();
        let res = w.apply(op);
        {
            let mut c = coverage.borrow_mut();
            let e = c.entry(op.kind()).or_default();
            if res.is_ok() {
                e.0 += 1;
            } else {
                e.1 += 1;
            }
        }
        w.s.assert_invariant();
        let t = w.s.totals();
        prop_assert!(t.burned >= last.burned, "burned went down after {op:?}");
        prop_assert!(t.paid_to_escrow >= last.paid_to_escrow);
        prop_assert_eq!(
            Uint128::new(w.s.balance(&market) - market_before),
            t.paid_to_escrow - last.paid_to_escrow,
            "the marketplace received exactly what benign slashes paid"
        );
        match &res {
            Err(_) => prop_assert_eq!(&w.s.snapshot(), &before, "failed {:?} changed state", op),
            Ok(()) => {
                // Only stake ops, unstakes and slashes move stake.
                if !matches!(
                    op,
                    Op::Register { .. }
                        | Op::Stake { .. }
                        | Op::Unstake { .. }
                        | Op::SlashFraud { .. }
                        | Op::SlashBenign { .. }
                ) {
                    let stakes: Vec<u128> = w.providers.iter().map(|p| w.stake_of(p)).collect();
                    prop_assert_eq!(&stakes, &stakes_before, "{:?} moved stake", op);
                }
            }
        }
        last = t;
    }
    Ok(())
}

#[test]
fn checklist_20_random_sequences_keep_the_vault_balanced() {
    let config = Config {
        cases: 256,
        failure_persistence: None,
        rng_algorithm: RngAlgorithm::ChaCha,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]));
    let coverage = Coverage::default();
    runner
        .run(&prop::collection::vec(op(), 20..=60), |ops| {
            run_sequence(&ops, &coverage)
        })
        .unwrap();
    // The sequences were not vacuous: every kind of op both succeeded and
    // (except the ones that cannot) failed a fair number of times.
    let coverage = coverage.into_inner();
    println!("op: (succeeded, failed) {coverage:#?}");
    for kind in [
        "register",
        "stake",
        "unstake",
        "heartbeat",
        "report_missed",
        "lock",
        "release",
        "slash_fraud",
        "slash_benign",
        "claim",
        "consume_fines",
        "donate",
        "advance",
    ] {
        let (ok, _) = coverage.get(kind).copied().unwrap_or_default();
        assert!(ok >= 20, "{kind} succeeded only {ok} times");
    }
    for kind in [
        "register",
        "stake",
        "unstake",
        "lock",
        "release",
        "slash_fraud",
        "claim",
    ] {
        let (_, err) = coverage.get(kind).copied().unwrap_or_default();
        assert!(err >= 20, "{kind} failed only {err} times");
    }
}
