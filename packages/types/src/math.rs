//! Fixed-point math for the contracts (protocol.md sections 1 and 3): the VM
//! has no floats, so the decays, the `ln` of the work score and the `sqrt` of
//! the reputation score are computed here with integer arithmetic only.
//!
//! Results are [`Decimal`] (18 decimals) or [`Uint128`]. Internally the
//! functions work in binary fixed point with 126 or 127 fraction bits and a
//! 256-bit product, so the only error that matters is the final rounding.
//! Every function rounds *down* (never overstates), never panics, and is
//! monotone where the mathematical function is:
//!
//! | function | result `r` vs the exact value `y` |
//! | --- | --- |
//! | [`exp2_neg_ratio`] `2^(-num/den)` | `0 <= y - r < 1.05e-18`; exactly 1 at `num = 0`, exactly `2^-k` at `num = k*den`; non-increasing |
//! | [`decay_half_life`] `v * 2^(-dt/h)` | `y*(1 - 4e-20) - 1 < r <= floor(y)`; exactly `v >> k` at `dt = k*h`; non-increasing in `dt` |
//! | [`ln_1p_ratio`] `ln(1 + num/den)` | `0 <= y - r < 1.1e-18` over the whole `Uint128` range (max ~88.72); non-decreasing |
//! | [`ln`] `ln(x)`, `x >= 1` | as `ln_1p_ratio` |
//! | [`sqrt`] `sqrt(x)` | `r = floor(y)` to 18 decimals exactly (`0 <= y - r < 1e-18`), whole `Decimal` range |
//!
//! `tests/math_vs_f64.rs` checks these bounds against double-precision
//! floats (to their own precision) over log-spaced sweeps and seeded random
//! inputs, and against 30-digit references at known points (to the bounds
//! above).
//!
//! How: `2^-x` for `x` in `[0, 1)` is the product of `2^(-2^-i)` over the set
//! bits `i` of `x` (64 bits, a table of constants); whole half-lives are
//! shifts. `log2(m)` for `m` in `[1, 2)` is read bit by bit by repeated
//! squaring; `ln = log2 * ln 2`. `sqrt` is the integer square root of the
//! 256-bit value `atomics * 10^18`.

use cosmwasm_std::{Decimal, Isqrt, Uint128, Uint256};

/// `10^18`, the scale of [`Decimal`].
const DECIMAL_ONE: u128 = 1_000_000_000_000_000_000;

/// `1.0` in Q1.127 (127 fraction bits).
const Q127_ONE: u128 = 1 << 127;

/// `2.0` in Q2.126 (126 fraction bits).
const Q126_TWO: u128 = 1 << 127;

/// `floor(ln(2) * 2^128)`.
const LN2_Q128: u128 = 0xb17217f7d1cf79abc9e3b39803f2f6af;

/// `EXP2_NEG_POW2[i - 1] = floor(2^(-2^-i) * 2^127)` for `i = 1..=64`.
/// Generated with Python's `decimal` module at 120 digits:
/// `int((D(2) ** -(D(2) ** -i)) * D(2) ** 127)`. A unit test checks that each
/// entry squared gives the previous one, and the first squared gives `1/2`.
const EXP2_NEG_POW2: [u128; 64] = [
    0x5a827999fcef32422cbec4d9baa55f4f,
    0x6ba27e656b4eb57a1cd345dcc8169fef,
    0x75606373ee921c976816bad9b8372a7d,
    0x7a92be8a924366163dce863d76cc07e1,
    0x7d41d96db915019d3e12dd8a18aebfe6,
    0x7e9f06067a4360ba429f9d2c98f07701,
    0x7f4f08ae3dc7c425d6e92ccaf3ce9784,
    0x7fa765aca88f6452980dd10bf78c6ebe,
    0x7fd3ab290e46d768cf9d0da47dca62c4,
    0x7fe9d3a8e07bf085e9dcfc570097df03,
    0x7ff4e9597bed93aaeef8e9451bc521c6,
    0x7ffa748dff8dc61ec419c7075f942526,
    0x7ffd3a3f5002033211c7c97bc9202c02,
    0x7ffe9d1dbc0a75a9e6bb14eb87f508b5,
    0x7fff4e8e6306ed58936f0d762543f3dc,
    0x7fffa74712c3cdfd04f51319b012060d,
    0x7fffd3a381b1fa28aa136bb63b15b5b0,
    0x7fffe9d1beed01899def43d41bce4499,
    0x7ffff4e8defb81d7790f526e7d83416c,
    0x7ffffa746f5f012f1209451ea30398f8,
    0x7ffffd3a37a7d0a833c47de44ba85fb8,
    0x7ffffe9d1bd1fc583f3e2438ee006bb7,
    0x7fffff4e8de8832d284b893abc978e41,
    0x7fffffa746f422d6d63b921e6848a59b,
    0x7fffffd3a37a09bb7ba09266a418c36a,
    0x7fffffe9d1bd02f1c1f0a648139e4a7a,
    0x7ffffff4e8de80fde2005fc116e49b5a,
    0x7ffffffa746f4060314231b2ca4db0d7,
    0x7ffffffd3a37a02868b199235450704d,
    0x7ffffffe9d1bd012485cec9ed1e0f5e7,
    0x7fffffff4e8de808a92f7e52085c755b,
    0x7fffffffa746f40435d8012996b8f2a6,
    0x7fffffffd3a37a02133c1114ed551e7d,
    0x7fffffffe9d1bd0107b20caa7ed3776e,
    0x7ffffffff4e8de80835e075d41694da0,
    0x7ffffffffa746f40419043f0a1333645,
    0x7ffffffffd3a37a020c07208d0b9145f,
    0x7ffffffffe9d1bd0105e4d088864632b,
    0x7fffffffff4e8de8082eab854c342729,
    0x7fffffffffa746f404173702e81a90e4,
    0x7fffffffffd3a37a020b93d1848d67c3,
    0x7fffffffffe9d1bd0105c7fcc666bbb5,
    0x7ffffffffff4e8de8082e383643b5fcf,
    0x7ffffffffffa746f404171a2f25fb065,
    0x7ffffffffffd3a37a020b8c9c9405851,
    0x7ffffffffffe9d1bd0105c62f8a44c30,
    0x7fffffffffff4e8de8082e3101532e1a,
    0x7fffffffffffa746f404171861e9d90d,
    0x7fffffffffffd3a37a020b8c2944fd06,
    0x7fffffffffffe9d1bd0105c612b682a3,
    0x7ffffffffffff4e8de8082e308e04259,
    0x7ffffffffffffa746f4041718451616e,
    0x7ffffffffffffd3a37a020b8c22100c7,
    0x7ffffffffffffe9d1bd0105c610e9468,
    0x7fffffffffffff4e8de8082e3086cf35,
    0x7fffffffffffffa746f40417184348da,
    0x7fffffffffffffd3a37a020b8c219cbd,
    0x7fffffffffffffe9d1bd0105c610cc72,
    0x7ffffffffffffff4e8de8082e30865be,
    0x7ffffffffffffffa746f4041718432c0,
    0x7ffffffffffffffd3a37a020b8c21958,
    0x7ffffffffffffffe9d1bd0105c610caa,
    0x7fffffffffffffff4e8de8082e308654,
    0x7fffffffffffffffa746f4041718432a,
];

/// The full 256-bit product `a * b` as `(high, low)` 128-bit halves.
///
/// Schoolbook multiplication on 64-bit limbs. No step can overflow: each
/// partial product is below `2^128`, `mid` is below `3 * 2^64`, and the high
/// half of a product of two numbers below `2^128` is below `2^128`.
fn mul_wide(a: u128, b: u128) -> (u128, u128) {
    const MASK: u128 = (1 << 64) - 1;
    let (a1, a0) = (a >> 64, a & MASK);
    let (b1, b0) = (b >> 64, b & MASK);
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    let mid = (p00 >> 64) + (p01 & MASK) + (p10 & MASK);
    let low = (p00 & MASK) | ((mid & MASK) << 64);
    let high = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    (high, low)
}

/// `floor(a * b / 2^shift)`, saturating at `u128::MAX` if it does not fit.
///
/// Every caller in this module passes operands whose result provably fits;
/// saturating (rather than panicking) only keeps the function total.
fn mul_shr(a: u128, b: u128, shift: u32) -> u128 {
    let (high, low) = mul_wide(a, b);
    match shift {
        0 if high == 0 => low,
        0 => u128::MAX,
        1..=127 if high >> shift == 0 => (high << (128 - shift)) | (low >> shift),
        1..=127 => u128::MAX,
        128..=255 => high >> (shift - 128),
        _ => 0,
    }
}

/// `2^(-rem/den)` in Q1.127 for `0 <= rem < den`, rounded down.
///
/// `rem/den` is first rounded *up* to 64 fraction bits (so the result can
/// only be lower than the exact value), then `2^-x` is the product of the
/// table entries for the set bits of `x`, each product rounded down. The
/// relative error is below `ln(2) * 2^-64 + 128 * 2^-126 < 3.8e-20`; the
/// result lies in `(2^126, 2^127]` and strictly decreases as `rem/den` grows,
/// since one step of `x` (`2^-64`) moves the exact value by `> 2^62` units,
/// far more than the rounding (`< 2^8` units).
fn exp2_neg_frac_q127(rem: u64, den: u64) -> u128 {
    if rem == 0 || den == 0 {
        return Q127_ONE;
    }
    let numerator = u128::from(rem) << 64;
    let den = u128::from(den);
    // ceil(rem * 2^64 / den) <= 2^64 - 1 because rem <= den - 1 < 2^64.
    let x = numerator / den + u128::from(numerator % den != 0);
    let mut result = Q127_ONE;
    for (i, factor) in EXP2_NEG_POW2.iter().enumerate() {
        if (x >> (63 - i)) & 1 == 1 {
            // result <= 2^127 and factor < 2^127: the product shifted by 127
            // is below 2^127.
            result = mul_shr(result, *factor, 127);
        }
    }
    result
}

/// `2^(-num/den)`, e.g. the decay factor `2^(-dt/half_life)`.
///
/// Error: `0 <= 2^(-num/den) - result < 1.05e-18` (the rounding down to 18
/// decimals plus `< 4e-20` from the internal computation). Exactly 1 at
/// `num = 0` and exactly `2^-k` (rounded down to 18 decimals) at
/// `num = k * den`; non-increasing in `num/den`; 0 once `num/den >= 60`
/// (`2^-60 < 10^-18`).
///
/// `den = 0` is the limit of an infinitely short half-life: 1 for `num = 0`,
/// 0 otherwise. It never panics.
pub fn exp2_neg_ratio(num: u64, den: u64) -> Decimal {
    if num == 0 {
        return Decimal::one();
    }
    if den == 0 {
        return Decimal::zero();
    }
    let whole = num / den;
    if whole >= 128 {
        return Decimal::zero();
    }
    // whole < 128, so the shift is at most 254.
    let shift = 127 + whole as u32;
    let frac = exp2_neg_frac_q127(num % den, den);
    // frac <= 2^127, so the result is at most 10^18.
    Decimal::new(Uint128::new(mul_shr(frac, DECIMAL_ONE, shift)))
}

/// `value * 2^(-dt/half_life)` rounded down: exponential decay with a
/// half-life, over the full `Uint128` range (the 256-bit product never
/// overflows).
///
/// Error: `y*(1 - 4e-20) - 1 < result <= floor(y)` where `y` is the exact
/// value, so it is `floor(y)` or one below for `value < 2.5e19` and within a
/// relative `4e-20` above that. Exactly `value` at `dt = 0` and exactly
/// `value >> k` at `dt = k * half_life`; non-increasing in `dt`; never above
/// `value`.
///
/// `half_life = 0` decays instantly: `value` at `dt = 0`, 0 after.
pub fn decay_half_life(value: Uint128, dt: u64, half_life: u64) -> Uint128 {
    if dt == 0 {
        return value;
    }
    if half_life == 0 {
        return Uint128::zero();
    }
    let whole = dt / half_life;
    if whole >= 128 {
        return Uint128::zero();
    }
    let frac = exp2_neg_frac_q127(dt % half_life, half_life);
    // frac <= 2^127, so value * frac / 2^(127 + whole) <= value.
    Uint128::new(mul_shr(value.u128(), frac, 127 + whole as u32))
}

/// `floor(log2(n / d) * 2^64)` for `n > d >= 1` (so the result is >= 0),
/// with `n < 2^129` and `d < 2^128`.
///
/// `n/d = 2^k * m` with `m` in `[1, 2)` taken exactly (floored to 126 bits);
/// the fraction bits of `log2(m)` are read by squaring: `m^2 >= 2` means the
/// next bit is 1 (and `m` is halved). Each state `(bits, m)` is a
/// lexicographically non-decreasing function of `m`, so the result is
/// non-decreasing in `n/d`; every rounding is downward, so it never exceeds
/// the exact value, and falls short by less than `2^-64 + 2^-120`.
fn log2_ratio_q64(n: Uint256, d: Uint256) -> Option<u128> {
    if n.is_zero() || d.is_zero() {
        return None;
    }
    // ilog2 is only called on non-zero values.
    let e = n.ilog2().checked_sub(d.ilog2())?;
    // 2^(e-1) < n/d < 2^(e+1): k = floor(log2(n/d)) is e or e - 1.
    let k = if n >= d.checked_shl(e).ok()? {
        e
    } else {
        e.checked_sub(1)?
    };
    // m = n / (d * 2^k) in [1, 2), as floor(n * 2^126 / (d * 2^k)).
    // n < 2^129, so n * 2^126 < 2^255; d * 2^k <= n.
    let m = n
        .checked_shl(126)
        .ok()?
        .checked_div(d.checked_shl(k).ok()?)
        .ok()?;
    let mut m = Uint128::try_from(m).ok()?.u128();
    let mut frac: u128 = 0;
    for bit in (0..64).rev() {
        // m < 2^127 (below 2.0 in Q2.126), so m^2 >> 126 < 2^128.
        m = mul_shr(m, m, 126);
        if m >= Q126_TWO {
            m >>= 1;
            frac |= 1 << bit;
        }
    }
    // k <= 128, so k * 2^64 + frac < 2^72.
    Some((u128::from(k) << 64) | frac)
}

/// `ln(1 + num/den)`, the work score's `ln(1 + V / work_unit)`.
///
/// Defined over the whole range: `num` up to `Uint128::MAX` with `den` as
/// small as 1 gives `128 * ln 2 ~ 88.72`. Error:
/// `0 <= ln(1 + num/den) - result < 1.1e-18` (rounded down: `2^-64` from
/// the bit-by-bit `log2`, `2^-64` from the multiplication by `ln 2`, then
/// the rounding to 18 decimals). Exactly 0 at `num = 0`; non-decreasing in
/// `num/den`.
///
/// Returns `None` for `den = 0` (the logarithm of infinity).
pub fn ln_1p_ratio(num: Uint128, den: Uint128) -> Option<Decimal> {
    if den.is_zero() {
        return None;
    }
    if num.is_zero() {
        return Some(Decimal::zero());
    }
    // 1 + num/den = (num + den) / den; num + den < 2^129 fits in 256 bits.
    let n = Uint256::from(num).checked_add(Uint256::from(den)).ok()?;
    let log2_q64 = log2_ratio_q64(n, Uint256::from(den))?;
    // log2 < 2^72 (Q64) times ln 2 (Q128) shifted by 128: ln in Q64, < 2^71.
    let ln_q64 = mul_shr(log2_q64, LN2_Q128, 128);
    // ln < 89, so ln * 10^18 fits.
    Some(Decimal::new(Uint128::new(mul_shr(ln_q64, DECIMAL_ONE, 64))))
}

/// `ln(x)` for `x >= 1`, with the error bound of [`ln_1p_ratio`]; `None` for
/// `x < 1` (where the result would be negative).
pub fn ln(x: Decimal) -> Option<Decimal> {
    let above_one = x.atomics().checked_sub(Uint128::new(DECIMAL_ONE)).ok()?;
    ln_1p_ratio(above_one, Uint128::new(DECIMAL_ONE))
}

/// `sqrt(x)` rounded down to 18 decimals, exact over the whole `Decimal`
/// range: the integer square root of `atomics * 10^18` (a 256-bit value).
/// Error: `0 <= sqrt(x) - result < 1e-18`; non-decreasing.
///
/// (`Decimal::sqrt` from cosmwasm-std gives the same result for `x <= 340`
/// but drops decimals above that; this one never does.)
pub fn sqrt(x: Decimal) -> Decimal {
    // atomics < 2^128 and 10^18 < 2^60: the product is below 2^188, its
    // square root below 2^94.
    let scaled = x.atomics().full_mul(Uint128::new(DECIMAL_ONE));
    let root = scaled.isqrt();
    Decimal::new(Uint128::try_from(root).unwrap_or(Uint128::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mul_wide_extremes() {
        assert_eq!(mul_wide(0, u128::MAX), (0, 0));
        assert_eq!(mul_wide(u128::MAX, 1), (0, u128::MAX));
        // (2^128 - 1)^2 = 2^256 - 2^129 + 1
        assert_eq!(mul_wide(u128::MAX, u128::MAX), (u128::MAX - 1, 1));
        assert_eq!(mul_wide(1 << 64, 1 << 64), (1, 0));
        assert_eq!(mul_shr(u128::MAX, u128::MAX, 256), 0);
        assert_eq!(mul_shr(u128::MAX, u128::MAX, 255), 1);
        assert_eq!(mul_shr(u128::MAX, u128::MAX, 128), u128::MAX - 1);
        assert_eq!(mul_shr(u128::MAX, u128::MAX, 127), u128::MAX);
        assert_eq!(mul_shr(u128::MAX, 2, 1), u128::MAX);
        assert_eq!(mul_shr(u128::MAX, 2, 0), u128::MAX);
        assert_eq!(mul_shr(3, 5, 0), 15);
        assert_eq!(mul_shr(3, 5, 1), 7);
    }

    /// Each table entry squared is the previous one (`2^(-2^-i)` squared is
    /// `2^(-2^-(i-1))`), the first squared is 1/2: catches any mistyped
    /// constant. Flooring costs at most a couple of units of `2^-127`.
    #[test]
    fn exp2_table_is_self_consistent() {
        let mut previous = 1u128 << 126; // 1/2 in Q1.127
        for (i, entry) in EXP2_NEG_POW2.iter().enumerate() {
            let squared = mul_shr(*entry, *entry, 127);
            assert!(
                squared <= previous && previous - squared <= 2,
                "entry {} squared is {squared:#x}, expected {previous:#x}",
                i + 1
            );
            previous = *entry;
        }
    }

    #[test]
    fn ln2_constant_matches_30_digits() {
        // ln 2 = 0.693147180559945309417232121458176568...
        assert_eq!(
            mul_shr(LN2_Q128, 10u128.pow(30), 128),
            693_147_180_559_945_309_417_232_121_458
        );
    }

    #[test]
    fn exact_points() {
        assert_eq!(exp2_neg_ratio(0, 0), Decimal::one());
        assert_eq!(exp2_neg_ratio(5, 0), Decimal::zero());
        assert_eq!(exp2_neg_ratio(0, 7), Decimal::one());
        assert_eq!(exp2_neg_ratio(7, 7), Decimal::percent(50));
        assert_eq!(exp2_neg_ratio(14, 7), Decimal::percent(25));
        assert_eq!(exp2_neg_ratio(u64::MAX, 1), Decimal::zero());
        assert_eq!(exp2_neg_ratio(u64::MAX, u64::MAX), Decimal::percent(50));
        let v = Uint128::MAX;
        assert_eq!(decay_half_life(v, 0, 10), v);
        assert_eq!(decay_half_life(v, 10, 10), v >> 1);
        assert_eq!(decay_half_life(v, 1270, 10), v >> 127);
        assert_eq!(decay_half_life(v, 1280, 10), Uint128::zero());
        assert_eq!(decay_half_life(v, 1, 0), Uint128::zero());
        assert_eq!(decay_half_life(v, 0, 0), v);
        assert_eq!(
            ln_1p_ratio(Uint128::zero(), Uint128::one()),
            Some(Decimal::zero())
        );
        assert_eq!(ln_1p_ratio(Uint128::one(), Uint128::zero()), None);
        assert_eq!(ln(Decimal::percent(99)), None);
        assert_eq!(ln(Decimal::one()), Some(Decimal::zero()));
        assert_eq!(sqrt(Decimal::zero()), Decimal::zero());
        assert_eq!(sqrt(Decimal::one()), Decimal::one());
        assert_eq!(sqrt(Decimal::percent(25)), Decimal::percent(50));
    }

    #[test]
    fn ln_of_powers_of_two_is_k_ln2() {
        // ln(2^k) = k * ln 2 = k * 0.693147180559945309417232121458...
        for k in 1..=128u32 {
            let num = if k == 128 {
                Uint128::MAX
            } else {
                Uint128::new((1u128 << k) - 1)
            };
            let got = ln_1p_ratio(num, Uint128::one()).unwrap().atomics().u128();
            // k * ln2 * 1e30, then compare at 1e-18 resolution.
            let exact_e30 = u128::from(k) * 693_147_180_559_945_309_417_232_121_458;
            let got_e30 = got * 1_000_000_000_000;
            assert!(got_e30 <= exact_e30 + 1_000, "k={k}");
            assert!(exact_e30 - got_e30 < 1_100_000_000_000, "k={k}");
        }
    }
}
