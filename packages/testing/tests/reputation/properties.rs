//! Seeded random sequences of RecordJob / RecordFault / RecordStake /
//! RecordMissedHeartbeats / block advances, against an independent `f64`
//! model of protocol.md section 3. After every step: `s` and the score are
//! in [0, 1], nothing panicked, every value matches the model, `Score`
//! agrees with `Reputation`, and a rejected input changed no byte of state.

use cosmwasm_std::{Decimal, Uint128};
use impulse_types::reputation::{Fault, QueryMsg, ReputationResponse};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

use crate::suite::Suite;

const PROVIDERS: usize = 3;
const ONE: u128 = 1_000_000_000_000_000_000;
const WORK_HALF_LIFE: f64 = 1_000_000.0;
const STAKE_HALF_LIFE: f64 = 200_000.0;

#[derive(Debug, Clone)]
enum Op {
    Job {
        p: usize,
        performance: u128,
        earned: u128,
    },
    Benign {
        p: usize,
        by_marketplace: bool,
    },
    Fraud {
        p: usize,
        fraction: u128,
        cooling: u64,
    },
    Stake {
        p: usize,
        stake: u128,
    },
    Missed {
        p: usize,
        intervals: u64,
    },
    Advance {
        blocks: u64,
    },
}

impl Op {
    fn provider(&self) -> Option<usize> {
        match self {
            Op::Job { p, .. }
            | Op::Benign { p, .. }
            | Op::Fraud { p, .. }
            | Op::Stake { p, .. }
            | Op::Missed { p, .. } => Some(*p),
            Op::Advance { .. } => None,
        }
    }
}

/// A `u128` of uniformly random bit length.
fn magnitude() -> impl Strategy<Value = u128> {
    // The low `bits` bits of `raw`: a mask of `bits` ones.
    (0u32..=128, any::<u128>())
        .prop_map(|(bits, raw)| raw & u128::MAX.checked_shr(128 - bits).unwrap_or(0))
}

/// Mostly in [0, 1]; about one in eleven just above (a typed error).
fn unit_atomics() -> impl Strategy<Value = u128> {
    prop_oneof![
        10 => 0..=ONE,
        1 => ONE + 1..=ONE * 11 / 10,
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let p = 0..PROVIDERS;
    prop_oneof![
        5 => (p.clone(), unit_atomics(), magnitude())
            .prop_map(|(p, performance, earned)| Op::Job { p, performance, earned }),
        1 => (p.clone(), any::<bool>()).prop_map(|(p, by_marketplace)| Op::Benign { p, by_marketplace }),
        1 => (p.clone(), unit_atomics(), prop_oneof![0u64..1_000, 0u64..500_000, Just(u64::MAX)])
            .prop_map(|(p, fraction, cooling)| Op::Fraud { p, fraction, cooling }),
        3 => (p.clone(), magnitude()).prop_map(|(p, stake)| Op::Stake { p, stake }),
        2 => (p, prop_oneof![3 => 0u64..50, 1 => any::<u64>()])
            .prop_map(|(p, intervals)| Op::Missed { p, intervals }),
        4 => prop_oneof![4 => 0u64..2_000, 4 => 0u64..3_000_000, 1 => Just(1_000_000_000)]
            .prop_map(|blocks| Op::Advance { blocks }),
    ]
}

/// The protocol in `f64`, straight from protocol.md section 3.
#[derive(Debug, Clone, Default)]
struct Model {
    exists: bool,
    s: f64,
    v: f64,
    v_height: u64,
    s_from: f64,
    s_target: f64,
    s_height: u64,
    cooling_until: u64,
}

impl Model {
    fn fresh(height: u64) -> Self {
        Model {
            exists: true,
            s: 0.5,
            v_height: height,
            s_height: height,
            ..Model::default()
        }
    }

    fn v_at(&self, h: u64) -> f64 {
        self.v * (-((h - self.v_height) as f64) / WORK_HALF_LIFE).exp2()
    }

    fn stake_at(&self, h: u64) -> f64 {
        if self.s_from <= self.s_target {
            return self.s_target;
        }
        self.s_target
            + (self.s_from - self.s_target)
                * (-((h - self.s_height) as f64) / STAKE_HALF_LIFE).exp2()
    }

    fn smooth(&mut self, r: f64) {
        self.s = 0.9 * self.s + 0.1 * r;
    }

    fn score_at(&self, h: u64) -> f64 {
        if h < self.cooling_until {
            return 0.0;
        }
        let w = (self.v_at(h) / 1e7).ln_1p();
        let stake = self.stake_at(h);
        (self.s * (w / (w + 5.0) * stake / (stake + 1e9)).sqrt()).min(1.0)
    }
}

fn atomics(d: Decimal) -> f64 {
    d.atomics().u128() as f64 / 1e18
}

#[track_caller]
fn close(got: f64, want: f64, relative: f64, absolute: f64, what: &str) {
    assert!(
        (got - want).abs() <= absolute + relative * want.abs(),
        "{what}: contract {got:e}, model {want:e}"
    );
}

fn check(suite: &Suite, providers: &[cosmwasm_std::Addr], models: &[Model]) {
    let h = suite.height();
    for (addr, model) in providers.iter().zip(models) {
        let score = suite.score(addr);
        assert!(score <= Decimal::one(), "score {score} > 1");
        if !model.exists {
            assert_eq!(score, Decimal::zero());
            assert!(suite
                .query::<ReputationResponse>(&QueryMsg::Reputation {
                    provider: addr.to_string()
                })
                .is_err());
            continue;
        }
        let rep = suite.reputation(addr);
        assert!(
            rep.success_rate <= Decimal::one(),
            "s {} > 1",
            rep.success_rate
        );
        assert!(rep.score <= Decimal::one(), "score {} > 1", rep.score);
        assert_eq!(rep.score, score, "Score and Reputation disagree");
        assert_eq!(rep.cooling_off_until, model.cooling_until);
        close(atomics(rep.success_rate), model.s, 0.0, 1e-12, "s");
        close(rep.work_value.u128() as f64, model.v_at(h), 1e-9, 2.0, "V");
        close(
            rep.stake_level.u128() as f64,
            model.stake_at(h),
            1e-9,
            2.0,
            "S",
        );
        // The score from the contract's own V and S (each already within a
        // unit of the model: flooring V = 1 to 0 must not count as an error).
        let mut at = model.clone();
        at.v = rep.work_value.u128() as f64;
        at.v_height = h;
        at.s_from = rep.stake_level.u128() as f64;
        at.s_target = at.s_from;
        at.s = atomics(rep.success_rate);
        let w = (at.v / 1e7).ln_1p();
        close(atomics(rep.work_score), w, 1e-12, 1e-17, "W");
        close(atomics(rep.score), at.score_at(h), 1e-8, 1e-8, "score");
    }
}

fn run(ops: Vec<Op>) {
    let mut suite = Suite::new();
    let providers: Vec<_> = (0..PROVIDERS)
        .map(|i| suite.addr(&format!("p{i}")))
        .collect();
    let mut models = vec![Model::default(); PROVIDERS];
    for op in ops {
        let h = suite.height();
        let before = suite.raw_state();
        let result = match &op {
            Op::Job {
                p,
                performance,
                earned,
            } => suite.job(
                &providers[*p],
                Decimal::new(Uint128::new(*performance)),
                *earned,
            ),
            Op::Benign { p, by_marketplace } => {
                let sender = if *by_marketplace {
                    suite.marketplace.clone()
                } else {
                    suite.staking.clone()
                };
                suite.execute_as(
                    &sender,
                    &impulse_types::reputation::ExecuteMsg::RecordFault {
                        provider: providers[*p].to_string(),
                        fault: Fault::Benign {},
                    },
                )
            }
            Op::Fraud {
                p,
                fraction,
                cooling,
            } => suite.fault(
                &providers[*p],
                Fault::Fraud {
                    fraction_lost: Decimal::new(Uint128::new(*fraction)),
                    cooling_off_blocks: *cooling,
                },
            ),
            Op::Stake { p, stake } => suite.stake(&providers[*p], *stake),
            Op::Missed { p, intervals } => suite.missed(&providers[*p], *intervals),
            Op::Advance { blocks } => {
                suite.advance(*blocks);
                check(&suite, &providers, &models);
                continue;
            }
        };
        // Invalid inputs: a typed error and not one byte changed.
        let invalid = match &op {
            Op::Job { performance, .. } => *performance > ONE,
            Op::Fraud { fraction, .. } => *fraction > ONE,
            _ => false,
        };
        if invalid {
            assert!(result.is_err(), "{op:?} accepted");
            assert_eq!(suite.raw_state(), before, "{op:?} changed state");
            check(&suite, &providers, &models);
            continue;
        }
        result.unwrap_or_else(|e| panic!("{op:?} failed: {e}"));
        let m = &mut models[op.provider().expect("not an advance")];
        if !m.exists {
            *m = Model::fresh(h);
        }
        match op {
            Op::Job {
                performance,
                earned,
                ..
            } => {
                m.smooth(performance as f64 / ONE as f64);
                m.v = (m.v_at(h) + earned as f64).min(u128::MAX as f64);
                m.v_height = h;
            }
            Op::Benign { .. } => m.smooth(0.0),
            Op::Fraud {
                fraction, cooling, ..
            } => {
                m.smooth(0.0);
                m.s *= 1.0 - fraction as f64 / ONE as f64;
                m.cooling_until = m.cooling_until.max(h.saturating_add(cooling));
            }
            Op::Stake { stake, .. } => {
                let level = m.stake_at(h);
                m.s_from = level.max(stake as f64);
                m.s_target = stake as f64;
                m.s_height = h;
            }
            Op::Missed { intervals, .. } => {
                m.s = (m.s - 0.005 * intervals as f64).max(0.0);
            }
            Op::Advance { .. } => unreachable!(),
        }
        check(&suite, &providers, &models);
    }
}

proptest! {
    #![proptest_config(Config {
        cases: 512,
        rng_seed: RngSeed::Fixed(0x5c0e_5eed),
        failure_persistence: None,
        ..Config::default()
    })]

    #[test]
    fn random_sequences_keep_score_and_success_in_unit_interval(
        ops in prop::collection::vec(op(), 1..40)
    ) {
        run(ops);
    }
}
