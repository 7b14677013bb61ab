use cosmwasm_std::{CheckedFromRatioError, Decimal, DecimalRangeExceeded, OverflowError, StdError};
use impulse_types::funds::FundsError;
use thiserror::Error;

#[derive(Error, Debug)]
pub enum ContractError {
    #[error("{0}")]
    Std(#[from] StdError),

    #[error("{0}")]
    Funds(#[from] FundsError),

    #[error("arithmetic overflow: {0}")]
    Overflow(#[from] OverflowError),

    #[error("arithmetic: {0}")]
    Ratio(#[from] CheckedFromRatioError),

    #[error("arithmetic: {0}")]
    DecimalRange(#[from] DecimalRangeExceeded),

    #[error("unauthorized: {sender} may not {action}")]
    Unauthorized {
        sender: String,
        action: &'static str,
    },

    #[error("no governance transfer is pending")]
    NoPendingGovernance {},

    #[error("invalid parameter {name}: {reason}")]
    InvalidParam { name: &'static str, reason: String },

    #[error("invalid address {address}: {reason}")]
    InvalidAddress { address: String, reason: String },

    #[error("performance must be in [0, 1], got {performance}")]
    InvalidPerformance { performance: Decimal },

    #[error("fraction of stake lost must be in [0, 1], got {fraction_lost}")]
    InvalidFraction { fraction_lost: Decimal },

    #[error("no reputation record for {address}")]
    ProviderNotFound { address: String },

    #[error("cannot migrate from contract {found}: this is {expected}")]
    WrongContract { expected: String, found: String },

    #[error("cannot downgrade from version {stored} to {current}")]
    CannotDowngrade { stored: String, current: String },

    #[error("version {version} is not of the form MAJOR.MINOR.PATCH")]
    InvalidVersion { version: String },
}
