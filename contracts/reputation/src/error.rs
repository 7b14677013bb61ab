use cosmwasm_std::{CheckedFromRatioError, Decimal, DecimalRangeExceeded, OverflowError, StdError};
use impulse_governance::GovError;
use impulse_types::funds::FundsError;
use thiserror::Error;

#[derive(Error, Debug)]
pub enum ContractError {
    #[error("{0}")]
    Std(#[from] StdError),

    #[error("{0}")]
    Funds(#[from] FundsError),

    #[error(transparent)]
    Gov(#[from] GovError),

    #[error("arithmetic overflow: {0}")]
    Overflow(#[from] OverflowError),

    #[error("arithmetic: {0}")]
    Ratio(#[from] CheckedFromRatioError),

    #[error("arithmetic: {0}")]
    DecimalRange(#[from] DecimalRangeExceeded),

    #[error("performance must be in [0, 1], got {performance}")]
    InvalidPerformance { performance: Decimal },

    #[error("fraction of stake lost must be in [0, 1], got {fraction_lost}")]
    InvalidFraction { fraction_lost: Decimal },

    #[error("no reputation record for {address}")]
    ProviderNotFound { address: String },
}
