//! Checked ledger arithmetic: every overflow is a `MathOverflow` naming
//! the quantity that overflowed.

use cosmwasm_std::{OverflowError, Uint128, Uint256};

use crate::error::ContractError;

pub fn overflow(what: &'static str) -> ContractError {
    ContractError::MathOverflow { what }
}

/// The unsigned integers of the ledger: amounts and weights.
pub trait Amount: Copy {
    fn plus(self, other: Self) -> Result<Self, OverflowError>;
    fn minus(self, other: Self) -> Result<Self, OverflowError>;
}

impl Amount for Uint128 {
    fn plus(self, other: Self) -> Result<Self, OverflowError> {
        self.checked_add(other)
    }
    fn minus(self, other: Self) -> Result<Self, OverflowError> {
        self.checked_sub(other)
    }
}

impl Amount for Uint256 {
    fn plus(self, other: Self) -> Result<Self, OverflowError> {
        self.checked_add(other)
    }
    fn minus(self, other: Self) -> Result<Self, OverflowError> {
        self.checked_sub(other)
    }
}

/// `*total += amount`, or `MathOverflow { what }`.
pub fn add<T: Amount>(total: &mut T, amount: T, what: &'static str) -> Result<(), ContractError> {
    *total = total.plus(amount).map_err(|_| overflow(what))?;
    Ok(())
}

/// `*total -= amount`, or `MathOverflow { what }` when it would go below zero.
pub fn sub<T: Amount>(total: &mut T, amount: T, what: &'static str) -> Result<(), ContractError> {
    *total = total.minus(amount).map_err(|_| overflow(what))?;
    Ok(())
}
