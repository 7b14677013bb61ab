//! Parameter bounds: every governance parameter is checked before it is
//! stored, and a refusal names the parameter.

use cosmwasm_std::Decimal;

use crate::GovError;

pub fn invalid(name: &'static str, reason: impl Into<String>) -> GovError {
    GovError::InvalidParam {
        name,
        reason: reason.into(),
    }
}

pub fn in_range_u64(name: &'static str, v: u64, min: u64, max: u64) -> Result<(), GovError> {
    if v < min || v > max {
        return Err(invalid(name, format!("{v} is outside [{min}, {max}]")));
    }
    Ok(())
}

pub fn in_range_dec(
    name: &'static str,
    v: Decimal,
    min: Decimal,
    max: Decimal,
) -> Result<(), GovError> {
    if v < min || v > max {
        return Err(invalid(name, format!("{v} is outside [{min}, {max}]")));
    }
    Ok(())
}

/// Upper bound on every window in blocks (about 2 years at 6 s blocks).
pub const MAX_BLOCKS: u64 = 10_000_000;

/// A window of blocks: `v` in [1, MAX_BLOCKS].
pub fn window(name: &'static str, v: u64) -> Result<(), GovError> {
    in_range_u64(name, v, 1, MAX_BLOCKS)
}

/// A count: `v` in [1, max].
pub fn count(name: &'static str, v: impl Into<u64>, max: u64) -> Result<(), GovError> {
    let v = v.into();
    if v == 0 || v > max {
        return Err(invalid(name, format!("must be in [1, {max}]")));
    }
    Ok(())
}

/// A fraction: `v` in [0, 1].
pub fn fraction(name: &'static str, v: Decimal) -> Result<(), GovError> {
    fraction_upto(name, v, Decimal::one())
}

/// A fraction of at least `min`: `v` in [min, 1].
pub fn fraction_from(name: &'static str, v: Decimal, min: Decimal) -> Result<(), GovError> {
    in_range_dec(name, v, min, Decimal::one())
}

/// A fraction of at most `max`: `v` in [0, max].
pub fn fraction_upto(name: &'static str, v: Decimal, max: Decimal) -> Result<(), GovError> {
    in_range_dec(name, v, Decimal::zero(), max)
}

/// A bank denom (3 to 128 characters, a letter first, then letters, digits
/// and `/:._-`), which can never change once `current` is in force (the
/// contract may hold funds of it).
pub fn check_denom(denom: &str, current: Option<&str>, held: &str) -> Result<(), GovError> {
    let ok = (3..=128).contains(&denom.len())
        && denom
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
        && denom
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | ':' | '.' | '_' | '-'));
    if !ok {
        return Err(invalid("denom", format!("{denom:?} is not a valid denom")));
    }
    if current.is_some_and(|c| c != denom) {
        return Err(invalid("denom", format!("cannot change once {held}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn denoms() {
        for ok in ["uimp", "ibc/ABC123", "factory/wasm1x/sub-denom"] {
            check_denom(ok, None, "").unwrap();
        }
        for bad in ["", "ui", "1uimp", "u imp", &"u".repeat(129)] {
            assert!(check_denom(bad, None, "").is_err(), "{bad}");
        }
        let err = check_denom("uother", Some("uimp"), "the contract holds stake").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid parameter denom: cannot change once the contract holds stake"
        );
    }

    #[test]
    fn ranges_name_the_parameter() {
        assert!(in_range_u64("x", 5, 1, 5).is_ok());
        let err = in_range_u64("x", 6, 1, 5).unwrap_err();
        assert_eq!(err.to_string(), "invalid parameter x: 6 is outside [1, 5]");
        assert!(in_range_dec("d", Decimal::percent(101), Decimal::zero(), Decimal::one()).is_err());
    }
}
