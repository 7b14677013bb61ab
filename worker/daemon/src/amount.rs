//! Amounts as people type them (`1000` or `1000uimp`) and as they read
//! them: IMP with thousands separators (1 IMP = 1,000,000 uimp), and
//! reputation scores to three digits. Chain messages and `report.json`
//! keep raw uimp.

use cosmwasm_std::{Decimal, Uint128};

use crate::error::{DaemonError, Result};

/// uimp in one IMP.
pub const UIMP_PER_IMP: u128 = 1_000_000;

/// Parses an amount: `1000` or `1000uimp` (in `denom`); any other denom is
/// refused.
pub fn parse_amount(s: &str, denom: &str) -> Result<u128> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, d) = s.split_at(split);
    if num.is_empty() {
        return Err(DaemonError::Input(format!(
            "bad amount {s:?}: expected a whole number of {denom}, e.g. 1000{denom}"
        )));
    }
    if !d.is_empty() && d != denom {
        return Err(DaemonError::Input(format!(
            "wrong denom {d:?} in {s:?}: Impulse stakes and pays in {denom}"
        )));
    }
    num.parse::<u128>()
        .map_err(|e| DaemonError::Input(format!("bad amount {s:?}: {e}")))
}

/// `uimp` in IMP: `1,200 IMP`, `0.01563 IMP` (exact: up to six decimals,
/// trailing zeros dropped).
pub fn imp(uimp: Uint128) -> String {
    let (whole, frac) = (uimp.u128() / UIMP_PER_IMP, uimp.u128() % UIMP_PER_IMP);
    let mut s = thousands(whole);
    if frac > 0 {
        let digits = format!("{frac:06}");
        s.push('.');
        s.push_str(digits.trim_end_matches('0'));
    }
    s + " IMP"
}

/// A score to three digits, rounded half up: `0.412`.
pub fn score(d: Decimal) -> String {
    const PER_MILLI: u128 = 1_000_000_000_000_000; // 10^15 atomics
    let millis = d.atomics().u128().saturating_add(PER_MILLI / 2) / PER_MILLI;
    format!("{}.{:03}", thousands(millis / 1000), millis % 1000)
}

/// `n` with a comma every three digits.
fn thousands(n: u128) -> String {
    impulse_types::common::group_digits(n, ',')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_and_denoms() {
        assert_eq!(parse_amount("1000", "uimp").unwrap(), 1000);
        assert_eq!(parse_amount("1000uimp", "uimp").unwrap(), 1000);
        let e = parse_amount("1000uatom", "uimp").unwrap_err().to_string();
        assert!(e.contains("wrong denom \"uatom\""), "{e}");
        assert!(parse_amount("uimp", "uimp").is_err());
        assert!(parse_amount("", "uimp").is_err());
        assert!(parse_amount("99999999999999999999999999999999999999999", "uimp").is_err());
    }

    #[test]
    fn imp_with_separators_and_exact_decimals() {
        assert_eq!(imp(Uint128::new(0)), "0 IMP");
        assert_eq!(imp(Uint128::new(1_200_000_000)), "1,200 IMP");
        assert_eq!(imp(Uint128::new(100_000_000_000)), "100,000 IMP");
        assert_eq!(imp(Uint128::new(15_630)), "0.01563 IMP");
        assert_eq!(imp(Uint128::new(123_539_824)), "123.539824 IMP");
        assert_eq!(imp(Uint128::new(1)), "0.000001 IMP");
    }

    #[test]
    fn scores_to_three_digits() {
        assert_eq!(score(Decimal::zero()), "0.000");
        assert_eq!(score(Decimal::percent(41)), "0.410");
        assert_eq!(score("0.41234567890123456".parse().unwrap()), "0.412");
        assert_eq!(score("0.9995".parse().unwrap()), "1.000");
        assert_eq!(score(Decimal::one()), "1.000");
    }
}
