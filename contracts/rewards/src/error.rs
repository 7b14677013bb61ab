use cosmwasm_std::Uint128;

impulse_governance::contract_error! {
    /// `RecordWork` with a contribution of zero.
    #[error("contribution must be greater than zero")]
    ZeroContribution {},

    /// Job fees whose funds sent differ from the pool and vault shares
    /// they name.
    #[error("funds sent ({sent}) must equal to_pool + to_vault ({expected})")]
    FundsMismatch { expected: Uint128, sent: Uint128 },

    /// `CloseEpoch` before the open epoch has reached its end.
    #[error("epoch {epoch} is still open until block {ends_at}; nothing to close")]
    EpochNotOver { epoch: u64, ends_at: u64 },

    /// A claim names an epoch that is still open.
    #[error("epoch {epoch} is not closed yet (the open epoch is {current})")]
    EpochNotClosed { epoch: u64, current: u64 },

    /// A query or claim names an epoch that does not exist.
    #[error("epoch {epoch} not found")]
    EpochNotFound { epoch: u64 },

    /// A claim names the same epoch twice.
    #[error("epoch {epoch} is listed twice in the claim")]
    DuplicateEpoch { epoch: u64 },

    /// A claim names more epochs than one claim may.
    #[error("a claim lists at most {max} epochs, got {got}")]
    TooManyEpochs { max: u32, got: usize },

    /// A claim names an epoch in which the provider has nothing unpaid.
    #[error("{provider} has no unpaid share in epoch {epoch}")]
    NoShare { provider: String, epoch: u64 },

    /// A claim of some epochs while missed heartbeat fines are unpaid:
    /// the fine applies to a claim of all closed epochs.
    #[error("{intervals} missed heartbeat interval(s) are unpaid: claim all {held} closed epochs at once (omit `epochs`), the fine applies to the whole claim")]
    FinesOutstanding { intervals: u32, held: u32 },

    /// A claim when the provider has nothing unpaid in any closed epoch.
    #[error("{provider} has nothing to claim in closed epochs")]
    NothingToClaim { provider: String },

    /// Governance spends more from the vault than it holds.
    #[error("the vault holds {vault}, cannot spend {requested}")]
    VaultInsufficient { vault: Uint128, requested: Uint128 },
}
