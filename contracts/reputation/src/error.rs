use cosmwasm_std::{CheckedFromRatioError, Decimal, DecimalRangeExceeded};

impulse_governance::contract_error! {
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
