use cosmwasm_std::{CheckedFromRatioError, Decimal, DecimalRangeExceeded};

impulse_governance::contract_error! {
    /// A score update divides out of the range of `Decimal`.
    #[error("arithmetic: {0}")]
    Ratio(#[from] CheckedFromRatioError),

    /// A score update leaves the range of `Decimal`.
    #[error("arithmetic: {0}")]
    DecimalRange(#[from] DecimalRangeExceeded),

    /// A job outcome reports a performance outside [0, 1].
    #[error("performance must be in [0, 1], got {performance}")]
    InvalidPerformance { performance: Decimal },

    /// A slash reports a fraction of stake lost outside [0, 1].
    #[error("fraction of stake lost must be in [0, 1], got {fraction_lost}")]
    InvalidFraction { fraction_lost: Decimal },

    /// A query names a provider with no reputation record yet.
    #[error("no reputation record for {address}")]
    ProviderNotFound { address: String },
}
