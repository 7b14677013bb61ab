//! Each update rule of protocol.md section 3 against a hand-computed value.

use cosmwasm_std::{Decimal, Uint128};
use impulse_reputation::ContractError;
use impulse_types::reputation::{Fault, QueryMsg, ReputationResponse};

use crate::suite::{assert_err, attr, dec, Suite};

const WORK_HALF_LIFE: u64 = 1_000_000;
const STAKE_HALF_LIFE: u64 = 200_000;

fn to_f64(d: Decimal) -> f64 {
    d.to_string().parse().unwrap()
}

#[test]
fn unknown_provider_has_no_record_but_scores_as_new() {
    let suite = Suite::new();
    let p = suite.addr("provider");
    assert_eq!(suite.score(&p), Decimal::zero());
    assert_err(
        suite.query::<ReputationResponse>(&QueryMsg::Reputation {
            provider: p.to_string(),
        }),
        ContractError::ProviderNotFound {
            address: p.to_string(),
        },
    );
}

#[test]
fn first_record_creates_provider_at_initial_success() {
    let mut suite = Suite::new();
    let p = suite.addr("provider");
    suite.stake(&p, 1_000_000_000).unwrap();
    let rep = suite.reputation(&p);
    assert_eq!(rep.success_rate, dec("0.5"));
    assert_eq!(rep.stake_level, Uint128::new(1_000_000_000));
    assert_eq!(rep.work_value, Uint128::zero());
    // No work yet: W = 0, so the score is 0 whatever the stake.
    assert_eq!(rep.work_score, Decimal::zero());
    assert_eq!(rep.score, Decimal::zero());
    assert_eq!(rep.updated_at, suite.height());
}

#[test]
fn record_job_smooths_success_rate() {
    let mut suite = Suite::new();
    let p = suite.addr("provider");
    // s = 0.9 * 0.5 + 0.1 * 1 = 0.55
    let resp = suite.job(&p, Decimal::one(), 0).unwrap();
    assert_eq!(attr(&resp, "action"), "record_job");
    assert_eq!(attr(&resp, "provider"), p.to_string());
    assert_eq!(attr(&resp, "success_rate"), "0.55");
    // s = 0.9 * 0.55 + 0.1 * 0.2 = 0.515
    suite.job(&p, dec("0.2"), 0).unwrap();
    let rep = suite.reputation(&p);
    assert_eq!(rep.success_rate, dec("0.515"));
    assert_eq!(rep.jobs_recorded, 2);
}

#[test]
fn performance_above_one_is_a_typed_error_and_changes_nothing() {
    let mut suite = Suite::new();
    let p = suite.addr("provider");
    suite.job(&p, dec("0.5"), 10).unwrap();
    let before = suite.raw_state();
    assert_err(
        suite.job(&p, dec("1.000000000000000001"), 10),
        ContractError::InvalidPerformance {
            performance: dec("1.000000000000000001"),
        },
    );
    assert_eq!(suite.raw_state(), before);
}

#[test]
fn missed_heartbeats_subtract_penalty_and_floor_at_zero() {
    let mut suite = Suite::new();
    let p = suite.addr("provider");
    // s = 0.5 - 0.005 * 10 = 0.45
    let resp = suite.missed(&p, 10).unwrap();
    assert_eq!(attr(&resp, "intervals"), "10");
    assert_eq!(suite.reputation(&p).success_rate, dec("0.45"));
    // 0.45 - 0.005 * 89 = 0.005
    suite.missed(&p, 89).unwrap();
    assert_eq!(suite.reputation(&p).success_rate, dec("0.005"));
    suite.missed(&p, 2).unwrap();
    assert_eq!(suite.reputation(&p).success_rate, Decimal::zero());
    suite.missed(&p, u64::MAX).unwrap();
    assert_eq!(suite.reputation(&p).success_rate, Decimal::zero());
}

#[test]
fn benign_fault_is_a_zero_performance_job() {
    let mut suite = Suite::new();
    let p = suite.addr("provider");
    let resp = suite.fault(&p, Fault::Benign {}).unwrap();
    assert_eq!(attr(&resp, "fault"), "benign");
    let rep = suite.reputation(&p);
    // s = 0.9 * 0.5 = 0.45
    assert_eq!(rep.success_rate, dec("0.45"));
    assert_eq!(rep.faults, 1);
    assert_eq!(rep.cooling_off_until, 0);
    // The marketplace may report faults too.
    let marketplace = suite.marketplace.clone();
    suite
        .execute_as(
            &marketplace,
            &impulse_types::reputation::ExecuteMsg::RecordFault {
                provider: p.to_string(),
                fault: Fault::Benign {},
            },
        )
        .unwrap();
    assert_eq!(suite.reputation(&p).success_rate, dec("0.405"));
}

#[test]
fn fraud_scales_success_rate_and_cools_off_with_zero_score() {
    let (mut suite, p) = Suite::with_record();
    assert!(suite.score(&p) > Decimal::zero());
    let at = suite.height();
    let resp = suite
        .fault(
            &p,
            Fault::Fraud {
                fraction_lost: dec("0.75"),
                cooling_off_blocks: 100_000,
            },
        )
        .unwrap();
    assert_eq!(attr(&resp, "fault"), "fraud");
    assert_eq!(attr(&resp, "fraction_lost"), "0.75");
    assert_eq!(attr(&resp, "cooling_off_until"), (at + 100_000).to_string());
    let rep = suite.reputation(&p);
    // s = (0.9 * 0.55) * (1 - 0.75) = 0.495 * 0.25 = 0.12375
    assert_eq!(rep.success_rate, dec("0.12375"));
    assert_eq!(rep.cooling_off_until, at + 100_000);
    assert_eq!(rep.score, Decimal::zero());
    assert_eq!(suite.score(&p), Decimal::zero());

    // A later, shorter cooling-off never shortens the current one.
    suite.advance(50);
    suite
        .fault(
            &p,
            Fault::Fraud {
                fraction_lost: Decimal::zero(),
                cooling_off_blocks: 10,
            },
        )
        .unwrap();
    assert_eq!(suite.reputation(&p).cooling_off_until, at + 100_000);

    // Last block of the cooling-off: still 0; the next one: scored again.
    suite.advance(100_000 - 51);
    assert_eq!(suite.score(&p), Decimal::zero());
    suite.advance(1);
    let rep = suite.reputation(&p);
    assert!(rep.score > Decimal::zero());
    assert_eq!(suite.score(&p), rep.score);
}

#[test]
fn fraud_fraction_outside_unit_interval_is_a_typed_error() {
    let mut suite = Suite::new();
    let p = suite.addr("provider");
    suite.job(&p, Decimal::one(), 1).unwrap();
    let before = suite.raw_state();
    assert_err(
        suite.fault(
            &p,
            Fault::Fraud {
                fraction_lost: dec("1.5"),
                cooling_off_blocks: 1,
            },
        ),
        ContractError::InvalidFraction {
            fraction_lost: dec("1.5"),
        },
    );
    assert_eq!(suite.raw_state(), before);
    // Exactly 1 is allowed and zeroes s.
    suite
        .fault(
            &p,
            Fault::Fraud {
                fraction_lost: Decimal::one(),
                cooling_off_blocks: 1,
            },
        )
        .unwrap();
    assert_eq!(suite.reputation(&p).success_rate, Decimal::zero());
}

#[test]
fn work_value_halves_every_half_life() {
    let mut suite = Suite::new();
    let p = suite.addr("provider");
    suite.job(&p, Decimal::one(), 1_000_000_000).unwrap();
    assert_eq!(suite.reputation(&p).work_value, Uint128::new(1_000_000_000));
    // Half a half-life: floor(1e9 / sqrt(2)).
    suite.advance(WORK_HALF_LIFE / 2);
    assert_eq!(suite.reputation(&p).work_value, Uint128::new(707_106_781));
    suite.advance(WORK_HALF_LIFE / 2);
    for n in 1..=10u32 {
        assert_eq!(
            suite.reputation(&p).work_value,
            Uint128::new(1_000_000_000 >> n),
            "after {n} half-lives"
        );
        suite.advance(WORK_HALF_LIFE);
    }
    // Decay is evaluated lazily: the stored record did not move.
    assert_eq!(suite.reputation(&p).updated_at, crate::suite::START_HEIGHT);
}

#[test]
fn work_value_is_decayed_value_plus_earned() {
    let mut suite = Suite::new();
    let p = suite.addr("provider");
    suite.job(&p, Decimal::one(), 1_000_000_000).unwrap();
    suite.advance(WORK_HALF_LIFE);
    suite.job(&p, Decimal::one(), 1_000_000_000).unwrap();
    let rep = suite.reputation(&p);
    assert_eq!(rep.work_value, Uint128::new(1_500_000_000));
    suite.advance(2 * WORK_HALF_LIFE);
    assert_eq!(suite.reputation(&p).work_value, Uint128::new(375_000_000));
}

#[test]
fn work_score_is_ln_of_one_plus_value_over_unit() {
    let mut suite = Suite::new();
    let p = suite.addr("provider");
    // V = 1e9, work_unit = 1e7: W = ln(101) = 4.615120516841259450884...
    suite.job(&p, Decimal::one(), 1_000_000_000).unwrap();
    assert_eq!(suite.reputation(&p).work_score, dec("4.615120516841259450"));
}

#[test]
fn stake_level_jumps_up_and_decays_down_with_half_life() {
    let mut suite = Suite::new();
    let p = suite.addr("provider");
    suite.stake(&p, 2_000_000_000).unwrap();
    assert_eq!(suite.stake_level(&p), 2_000_000_000);
    // Unstake to 1e9: S does not drop at once ...
    let resp = suite.stake(&p, 1_000_000_000).unwrap();
    assert_eq!(attr(&resp, "stake_level"), "2000000000");
    // ... but halves its distance to the target every half-life.
    suite.advance(STAKE_HALF_LIFE);
    assert_eq!(suite.stake_level(&p), 1_500_000_000);
    suite.advance(STAKE_HALF_LIFE);
    assert_eq!(suite.stake_level(&p), 1_250_000_000);
    // A partial restake below the current level decays from there.
    suite.stake(&p, 1_200_000_000).unwrap();
    assert_eq!(suite.stake_level(&p), 1_250_000_000);
    suite.advance(STAKE_HALF_LIFE);
    assert_eq!(suite.stake_level(&p), 1_225_000_000);
    // Staking above the level jumps to it.
    suite.stake(&p, 3_000_000_000).unwrap();
    assert_eq!(suite.stake_level(&p), 3_000_000_000);
    suite.advance(10 * STAKE_HALF_LIFE);
    assert_eq!(suite.stake_level(&p), 3_000_000_000);
    // Everything leaves: S decays to 0 over many half-lives.
    suite.stake(&p, 0).unwrap();
    suite.advance(STAKE_HALF_LIFE);
    assert_eq!(suite.stake_level(&p), 1_500_000_000);
    suite.advance(200 * STAKE_HALF_LIFE);
    assert_eq!(suite.stake_level(&p), 0);
}

#[test]
fn score_matches_hand_computation() {
    let (mut suite, p) = Suite::with_record();
    let rep = suite.reputation(&p);
    // s = 0.55, W = ln(101), S = s_half so S/(S + s_half) = 1/2.
    let w = 101f64.ln();
    let expected = 0.55 * (w / (w + 5.0) * 0.5).sqrt();
    let got = to_f64(rep.score);
    assert!((got - expected).abs() < 1e-15, "score {got} vs {expected}");
    assert_eq!(suite.score(&p), rep.score);

    // Doubling the stake: S/(S + s_half) = 2/3.
    suite.stake(&p, 2_000_000_000).unwrap();
    let expected = 0.55 * (w / (w + 5.0) * 2.0 / 3.0).sqrt();
    let got = to_f64(suite.score(&p));
    assert!((got - expected).abs() < 1e-15, "score {got} vs {expected}");
}

#[test]
fn score_stays_below_one_at_the_extremes() {
    let mut suite = Suite::new();
    let p = suite.addr("provider");
    suite.stake(&p, u128::MAX).unwrap();
    for _ in 0..400 {
        suite.job(&p, Decimal::one(), u128::MAX).unwrap();
    }
    let rep = suite.reputation(&p);
    assert_eq!(rep.work_value, Uint128::MAX);
    assert!(rep.success_rate <= Decimal::one());
    assert!(rep.score <= Decimal::one());
    // s -> 1, S/(S + s_half) -> 1, W = ln(1 + 2^128/1e7) = 72.6...
    let w = to_f64(rep.work_score);
    assert!((w - (u128::MAX as f64 / 1e7).ln_1p()).abs() < 1e-12);
    let expected = (w / (w + 5.0)).sqrt();
    assert!((to_f64(rep.score) - expected).abs() < 1e-12);
}

/// Anti score-farming (protocol.md section 3, threat "score farming with tiny
/// jobs"): the same provider behaviour, but 1,000 jobs earning 1,000 each
/// against 10 earning 1e9 each. `ln` makes volume of tiny work count little.
#[test]
fn anti_score_farming_tiny_jobs_score_far_lower() {
    let mut suite = Suite::new();
    let farmer = suite.addr("farmer");
    let worker = suite.addr("worker");
    suite.stake(&farmer, 1_000_000_000).unwrap();
    suite.stake(&worker, 1_000_000_000).unwrap();
    for _ in 0..1_000 {
        suite.job(&farmer, Decimal::one(), 1_000).unwrap();
    }
    for _ in 0..10 {
        suite.job(&worker, Decimal::one(), 1_000_000_000).unwrap();
    }
    let f = suite.reputation(&farmer);
    let w = suite.reputation(&worker);
    println!(
        "farmer: 1000 jobs x 1e3: s={} V={} W={} score={}",
        f.success_rate, f.work_value, f.work_score, f.score
    );
    println!(
        "worker:   10 jobs x 1e9: s={} V={} W={} score={}",
        w.success_rate, w.work_value, w.work_score, w.score
    );
    // Even with a better success rate (1000 flawless jobs), the farmer's
    // work score is ln(1.1) ~ 0.095 against ln(1001) ~ 6.9 ...
    assert!(f.success_rate > w.success_rate);
    assert!(f.work_score * Decimal::from_ratio(50u128, 1u128) < w.work_score);
    // ... and its score is less than a quarter of the worker's.
    assert!(f.score * Decimal::from_ratio(4u128, 1u128) < w.score);
}
