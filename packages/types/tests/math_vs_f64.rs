//! `impulse_types::math` against `f64` and against 30-digit references.
//!
//! Two kinds of check, because `f64` alone cannot see errors of `1e-18`:
//! - against `f64` over log-spaced sweeps of the whole input range (0, 1,
//!   tiny, huge, `u64::MAX`, `Uint128::MAX`, every power of two and ten and
//!   their neighbours) and a seeded proptest: the difference must stay within
//!   the documented bound plus `f64`'s own rounding of the input and result;
//! - against constants computed with Python's `decimal` module at 80 digits
//!   (`int((D(2) ** -(D(n)/D(d))) * 10**30)`, `int((1 + D(n)/D(d)).ln() * 10**30)`,
//!   `int(D(v) * D(2) ** -(D(dt)/D(h)))`, all floored): the exact documented bound.
//!
//! And monotonicity over every sweep, exact values at the exact points, and
//! an integer proof of every square root.

use cosmwasm_std::{Decimal, Uint128, Uint256};
use impulse_types::math::{decay_half_life, exp2_neg_ratio, ln, ln_1p_ratio, sqrt};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use std::cmp::Ordering;

const LN2: f64 = std::f64::consts::LN_2;
/// Relative rounding of one `f64` operation or conversion, with margin.
const F64_EPS: f64 = 1.2e-16;
/// Documented bounds (math.rs).
const EXP2_BOUND: f64 = 1.05e-18;
const LN_BOUND: f64 = 1.1e-18;
/// Same, in units of 1e-30 for the 30-digit references.
const EXP2_BOUND_E30: u128 = 1_050_000_000_000;
const LN_BOUND_E30: u128 = 1_100_000_000_000;
const E12: u128 = 1_000_000_000_000;

const EXP2_REF: &[(u64, u64, u128)] = &[
    (1, 2, 707106781186547524400844362104),
    (1, 3, 793700525984099737375852819636),
    (2, 3, 629960524947436582383605303639),
    (1, 10, 933032991536807415981343266149),
    (9, 10, 535886731268146582106503162511),
    (1, 1000000, 999999306853059666506145584433),
    (999999, 1000000, 500000346573710393253886318113),
    (1, 18446744073709551615, 999999999999999999962424416049),
    (
        18446744073709551614,
        18446744073709551615,
        500000000000000000018787791975,
    ),
    (3, 2, 353553390593273762200422181052),
    (100, 7, 50069296631325557322405070),
    (123456789, 1000000, 0),
    (1000000, 200000, 31250000000000000000000000000),
    (1, 1000000000, 999999999306852819680281197486),
    (59, 1, 1734723475976),
    (119, 2, 1226634733346),
    (
        18446744073709551615,
        1000000000000000000,
        2798831231625246841903595,
    ),
    (12345, 1, 0),
    (5, 4, 420448207626857271515562738116),
    (7, 1000000, 999995147981507160185943835351),
];
const LN1P_REF: &[(u128, u128, u128)] = &[
    (1, 1, 693147180559945309417232121458),
    (1, 2, 405465108108164381978013115464),
    (2, 1, 1098612288668109691395245236922),
    (1, 1000000000000000000, 999999999999),
    (1, 1000000000000000000000000000000, 0),
    (
        340282366920938463463374607431768211455,
        1,
        88722839111672999605405711546646,
    ),
    (
        340282366920938463463374607431768211455,
        340282366920938463463374607431768211455,
        693147180559945309417232121458,
    ),
    (1, 340282366920938463463374607431768211455, 0),
    (
        340282366920938463463374607431768211454,
        2,
        88029691931113054295988479425188,
    ),
    (
        1000000000000000000,
        10000000,
        25328436022944502524197856001528,
    ),
    (1000000000, 10000000, 4615120516841259450884198266912),
    (3, 1, 1386294361119890618834464242916),
    (9, 1, 2302585092994045684017991454684),
    (
        1000000000000000000000000000000,
        1,
        69077552789821370520539743640531,
    ),
    (
        340282366920938463463374607431768211455,
        10000000,
        72604743460714679817279771363856,
    ),
    (
        12345678901234567890,
        98765432109876543210,
        117783034643883454038872234137,
    ),
    (
        1267650600228229401496703205376,
        3,
        68216105767326421250327966908897,
    ),
    (7, 5, 875468737353899935628950146612),
    (9999999, 10000000, 693147130559944059417190454789),
];
const DECAY_REF: &[(u128, u64, u64, u128)] = &[
    (
        340282366920938463463374607431768211455,
        1,
        2,
        240615969168004511545033772477625056926,
    ),
    (
        340282366920938463463374607431768211455,
        1,
        3,
        270082293608263279864102872957453496184,
    ),
    (
        340282366920938463463374607431768211455,
        3,
        2,
        120307984584002255772516886238812528463,
    ),
    (
        340282366920938463463374607431768211455,
        199999,
        200000,
        170141773125899107250180414318612077287,
    ),
    (
        340282366920938463463374607431768211455,
        1000000,
        1000000,
        170141183460469231731687303715884105727,
    ),
    (
        1000000000000000000000000000000,
        123456,
        1000000,
        917985963922591881190767875434,
    ),
    (2000000000, 200000, 200000, 1000000000),
    (1000000000, 100000, 200000, 707106781),
    (12345678901234567890123, 777, 1000, 7204679576012620844549),
    (1, 1, 2, 0),
    (3, 1, 2, 2),
    (340282366920938463463374607431768211455, 127999, 1000, 1),
    (10000000000000000000, 1, 1000000, 9999993068530596665),
    (
        340282366920938463463374607431768211455,
        1,
        18446744073709551615,
        340282366920938463450588298786565555794,
    ),
];

fn to_f64(d: Decimal) -> f64 {
    d.atomics().u128() as f64 / 1e18
}

/// 0, 1, 2, 3, every `2^i - 1, 2^i, 2^i + 1`, every `10^i`, and the maximum.
fn log_u64() -> Vec<u64> {
    let mut v = vec![0, 1, 2, 3, u64::MAX - 1, u64::MAX];
    for i in 0..64 {
        let p = 1u64 << i;
        v.extend([p - 1, p, p.saturating_add(1)]);
    }
    v.extend((0..20).map(|i| 10u64.pow(i)));
    v.sort_unstable();
    v.dedup();
    v
}

fn log_u128() -> Vec<u128> {
    let mut v = vec![0, 1, 2, 3, u128::MAX - 1, u128::MAX];
    for i in 0..128 {
        let p = 1u128 << i;
        v.extend([p - 1, p, p.saturating_add(1)]);
    }
    v.extend((0..39).map(|i| 10u128.pow(i)));
    v.sort_unstable();
    v.dedup();
    v
}

/// Tolerance of a comparison of `2^-x` with `f64`: the bound, plus `f64`'s
/// rounding of `x` (three operations, amplified by `ln 2 * x`) and of the result.
fn exp2_tolerance(x: f64, y: f64) -> f64 {
    EXP2_BOUND + y * (3.0 * F64_EPS * LN2 * x + 3.0 * F64_EPS)
}

fn check_exp2_f64(num: u64, den: u64) {
    let got = exp2_neg_ratio(num, den);
    assert!(got <= Decimal::one(), "2^-({num}/{den}) = {got} > 1");
    if den == 0 {
        let expected = if num == 0 {
            Decimal::one()
        } else {
            Decimal::zero()
        };
        assert_eq!(got, expected);
        return;
    }
    let x = num as f64 / den as f64;
    let y = (-x).exp2();
    let diff = (to_f64(got) - y).abs();
    assert!(
        diff <= exp2_tolerance(x, y),
        "2^-({num}/{den}): got {got}, f64 {y:e}, diff {diff:e}"
    );
}

fn ln_tolerance(x: f64, y: f64) -> f64 {
    LN_BOUND + 3.0 * F64_EPS * y + 3.0 * F64_EPS * x / (1.0 + x)
}

fn check_ln_f64(num: u128, den: u128) -> Decimal {
    let got = ln_1p_ratio(Uint128::new(num), Uint128::new(den)).expect("den > 0");
    let x = num as f64 / den as f64;
    let y = x.ln_1p();
    let diff = (to_f64(got) - y).abs();
    assert!(
        diff <= ln_tolerance(x, y),
        "ln(1 + {num}/{den}): got {got}, f64 {y:e}, diff {diff:e}"
    );
    got
}

fn check_decay_f64(value: u128, dt: u64, h: u64) -> u128 {
    let got = decay_half_life(Uint128::new(value), dt, h).u128();
    assert!(got <= value, "decay({value}, {dt}, {h}) = {got} grew");
    let x = dt as f64 / h as f64;
    let y = value as f64 * (-x).exp2();
    let tolerance = 1.0 + y * (3.0 * F64_EPS * LN2 * x + 4.0 * F64_EPS);
    let diff = (got as f64 - y).abs();
    assert!(
        diff <= tolerance,
        "decay({value}, {dt}, {h}): got {got}, f64 {y:e}, diff {diff:e}"
    );
    got
}

/// `r^2 <= x * 10^18 < (r + 1)^2` in integers: `r` is exactly `floor(sqrt(x))`
/// to 18 decimals.
fn check_sqrt_exact(atomics: u128) -> Decimal {
    let x = Decimal::new(Uint128::new(atomics));
    let r = sqrt(x);
    let scaled = Uint256::from(atomics) * Uint256::from(1_000_000_000_000_000_000u128);
    let r256 = Uint256::from(r.atomics());
    assert!(r256 * r256 <= scaled, "sqrt({x}) = {r} too large");
    let next = r256 + Uint256::one();
    assert!(next * next > scaled, "sqrt({x}) = {r} too small");
    r
}

// --- references at 30 digits -------------------------------------------------

#[test]
fn exp2_within_bound_of_30_digit_references() {
    for &(num, den, exact_e30) in EXP2_REF {
        let got_e30 = exp2_neg_ratio(num, den).atomics().u128() * E12;
        assert!(got_e30 <= exact_e30, "2^-({num}/{den}) rounded up");
        assert!(
            exact_e30 - got_e30 < EXP2_BOUND_E30,
            "2^-({num}/{den}): error {}e-30",
            exact_e30 - got_e30
        );
    }
}

#[test]
fn ln_within_bound_of_30_digit_references() {
    for &(num, den, exact_e30) in LN1P_REF {
        let got = ln_1p_ratio(Uint128::new(num), Uint128::new(den)).unwrap();
        let got_e30 = got.atomics().u128() * E12;
        assert!(got_e30 <= exact_e30, "ln(1 + {num}/{den}) rounded up");
        assert!(
            exact_e30 - got_e30 < LN_BOUND_E30,
            "ln(1 + {num}/{den}): error {}e-30",
            exact_e30 - got_e30
        );
    }
    // The largest input: ln(2^128) = 88.722839111672999605...
    let max = ln_1p_ratio(Uint128::MAX, Uint128::one()).unwrap();
    assert_eq!(max.to_string(), "88.722839111672999605");
}

#[test]
fn decay_within_bound_of_30_digit_references() {
    for &(value, dt, h, exact) in DECAY_REF {
        let got = decay_half_life(Uint128::new(value), dt, h).u128();
        assert!(got <= exact, "decay({value}, {dt}, {h}) = {got} > {exact}");
        // y * (1 - 4e-20) - 1 < got
        let slack = value / 25_000_000_000_000_000_000 + 1;
        assert!(
            exact - got <= slack,
            "decay({value}, {dt}, {h}) = {got}, exact {exact}"
        );
    }
}

// --- sweeps against f64 ------------------------------------------------------

#[test]
fn exp2_sweep_vs_f64_exact_points_and_monotone() {
    let grid = log_u64();
    let mut all: Vec<(u64, u64, Decimal)> = vec![];
    for &den in grid.iter().filter(|&&d| d > 0) {
        let mut nums = grid.clone();
        for k in 0..130u64 {
            if let Some(base) = den.checked_mul(k) {
                nums.extend([base.saturating_sub(1), base, base.saturating_add(1)]);
            }
        }
        nums.sort_unstable();
        nums.dedup();
        let mut previous = Decimal::MAX;
        for &num in &nums {
            check_exp2_f64(num, den);
            let got = exp2_neg_ratio(num, den);
            assert!(got <= previous, "not monotone at {num}/{den}");
            previous = got;
            if num % den == 0 {
                // Exactly 2^-k, floored to 18 decimals.
                let k = num / den;
                let exact = if k >= 128 {
                    0
                } else {
                    1_000_000_000_000_000_000u128 >> k
                };
                assert_eq!(got.atomics().u128(), exact, "2^-{k}");
            }
            all.push((num, den, got));
        }
    }
    // Monotone across denominators too: sort by the exact ratio.
    all.sort_by(|a, b| {
        let lhs = u128::from(a.0) * u128::from(b.1);
        let rhs = u128::from(b.0) * u128::from(a.1);
        lhs.cmp(&rhs)
    });
    for pair in all.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        let same = u128::from(a.0) * u128::from(b.1) == u128::from(b.0) * u128::from(a.1);
        if same {
            assert_eq!(a.2, b.2, "{}/{} vs {}/{}", a.0, a.1, b.0, b.1);
        } else {
            assert!(a.2 >= b.2, "{}/{} vs {}/{}", a.0, a.1, b.0, b.1);
        }
    }
    for num in [0, 1, u64::MAX] {
        check_exp2_f64(num, 0);
    }
}

#[test]
fn decay_sweep_vs_f64_exact_points_and_monotone() {
    let values: Vec<u128> = log_u128()
        .into_iter()
        .step_by(3)
        .chain([u128::MAX])
        .collect();
    let dts: Vec<u64> = log_u64().into_iter().step_by(2).chain([u64::MAX]).collect();
    let half_lives = [
        1u64,
        2,
        3,
        7,
        1_000,
        200_000,
        1_000_000,
        100_000_000,
        u64::MAX,
    ];
    for &h in &half_lives {
        for &value in &values {
            let mut previous = u128::MAX;
            let mut dts = dts.clone();
            dts.extend((0..130u64).filter_map(|k| h.checked_mul(k)));
            dts.sort_unstable();
            dts.dedup();
            for &dt in &dts {
                let got = check_decay_f64(value, dt, h);
                assert!(got <= previous, "decay({value}, {dt}, {h}) not monotone");
                previous = got;
                if dt % h == 0 {
                    let k = dt / h;
                    let exact = if k >= 128 { 0 } else { value >> k };
                    assert_eq!(got, exact, "decay({value}, {k} half-lives)");
                }
            }
        }
    }
    // half_life = 0: instant.
    assert_eq!(decay_half_life(Uint128::MAX, 0, 0), Uint128::MAX);
    assert_eq!(decay_half_life(Uint128::MAX, 1, 0), Uint128::zero());
}

#[test]
fn ln_sweep_vs_f64_and_monotone() {
    let grid: Vec<u128> = log_u128()
        .into_iter()
        .step_by(2)
        .chain([u128::MAX])
        .collect();
    for &den in grid.iter().filter(|&&d| d > 0) {
        let mut previous = Decimal::zero();
        for &num in &grid {
            let got = check_ln_f64(num, den);
            assert!(got >= previous, "ln(1 + {num}/{den}) not monotone in num");
            previous = got;
        }
    }
    for &num in &grid {
        let mut previous = Decimal::MAX;
        for &den in grid.iter().filter(|&&d| d > 0) {
            let got = ln_1p_ratio(Uint128::new(num), Uint128::new(den)).unwrap();
            assert!(got <= previous, "ln(1 + {num}/{den}) not monotone in den");
            previous = got;
        }
    }
    // Around every power of two (where the range reduction changes k), step by 1.
    for k in 1..128u32 {
        let p = 1u128 << k;
        let mut previous = Decimal::zero();
        for num in p.saturating_sub(3)..=p.saturating_add(2) {
            let got = ln_1p_ratio(Uint128::new(num), Uint128::one()).unwrap();
            assert!(got >= previous, "ln(1 + {num}) not monotone at 2^{k}");
            previous = got;
        }
    }
    assert_eq!(ln_1p_ratio(Uint128::MAX, Uint128::zero()), None);
}

#[test]
fn ln_of_decimal_matches_ln_1p_ratio() {
    let one = Uint128::new(1_000_000_000_000_000_000);
    for atomics in log_u128().into_iter().filter(|&a| a >= one.u128()) {
        let x = Decimal::new(Uint128::new(atomics));
        let expected = ln_1p_ratio(Uint128::new(atomics) - one, one);
        assert_eq!(ln(x), expected);
        let y = to_f64(x).ln();
        let got = to_f64(ln(x).unwrap());
        assert!((got - y).abs() <= LN_BOUND + 4.0 * F64_EPS * y, "ln({x})");
    }
    assert_eq!(ln(Decimal::zero()), None);
}

#[test]
fn sqrt_exact_over_the_whole_range() {
    let grid = log_u128();
    let mut previous = Decimal::zero();
    for &atomics in &grid {
        let r = check_sqrt_exact(atomics);
        assert!(r >= previous, "sqrt not monotone");
        previous = r;
        let x = Decimal::new(Uint128::new(atomics));
        let y = to_f64(x).sqrt();
        assert!(
            (to_f64(r) - y).abs() <= 1e-18 + 3.0 * F64_EPS * y,
            "sqrt({x})"
        );
        // cosmwasm-std's sqrt is exact up to 340 and agrees there.
        if x <= Decimal::from_ratio(340u128, 1u128) {
            assert_eq!(r, x.sqrt(), "sqrt({x}) vs Decimal::sqrt");
        }
    }
    assert_eq!(
        sqrt(Decimal::MAX).to_string(),
        "18446744073.709551615999999999"
    );
}

// --- seeded property tests ---------------------------------------------------

/// A `u128` with a uniformly chosen bit length, so every magnitude is tried.
fn log_uniform_u128() -> impl Strategy<Value = u128> {
    (0u32..=128, any::<u128>()).prop_map(|(bits, raw)| match bits {
        0 => 0,
        128 => raw,
        b => raw & ((1u128 << b) - 1),
    })
}

fn log_uniform_u64() -> impl Strategy<Value = u64> {
    (0u32..=64, any::<u64>()).prop_map(|(bits, raw)| match bits {
        0 => 0,
        64 => raw,
        b => raw & ((1u64 << b) - 1),
    })
}

fn config() -> Config {
    Config {
        cases: 4096,
        rng_seed: RngSeed::Fixed(0x1a9_5eed),
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn prop_exp2_vs_f64_and_monotone(a in log_uniform_u64(), b in log_uniform_u64(), den in log_uniform_u64()) {
        check_exp2_f64(a, den);
        check_exp2_f64(b, den);
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        prop_assert!(exp2_neg_ratio(lo, den) >= exp2_neg_ratio(hi, den));
    }

    #[test]
    fn prop_decay_vs_f64_and_monotone(value in log_uniform_u128(), a in log_uniform_u64(), b in log_uniform_u64(), h in log_uniform_u64()) {
        let h = h.max(1);
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let early = check_decay_f64(value, lo, h);
        let late = check_decay_f64(value, hi, h);
        prop_assert!(late <= early);
        // Decaying in two steps loses at most one unit per step to flooring
        // beyond the relative 4e-20.
        if let Some(total) = lo.checked_add(hi) {
            let once = decay_half_life(Uint128::new(value), total, h).u128();
            let twice = decay_half_life(Uint128::new(early), hi, h).u128();
            let slack = value / 10_000_000_000_000_000_000 + 2;
            prop_assert!(once.abs_diff(twice) <= slack, "{} vs {}", once, twice);
        }
    }

    #[test]
    fn prop_ln_vs_f64_and_monotone(a in log_uniform_u128(), b in log_uniform_u128(), den in log_uniform_u128()) {
        let den = den.max(1);
        let x = check_ln_f64(a, den);
        let y = check_ln_f64(b, den);
        match a.cmp(&b) {
            Ordering::Less => prop_assert!(x <= y),
            Ordering::Equal => prop_assert_eq!(x, y),
            Ordering::Greater => prop_assert!(x >= y),
        }
    }

    #[test]
    fn prop_sqrt_exact(atomics in log_uniform_u128()) {
        check_sqrt_exact(atomics);
    }
}
