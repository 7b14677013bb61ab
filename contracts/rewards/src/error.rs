use cosmwasm_std::Uint128;

impulse_governance::contract_error! {
    #[error("contribution must be greater than zero")]
    ZeroContribution {},

    #[error("funds sent ({sent}) must equal to_pool + to_vault ({expected})")]
    FundsMismatch { expected: Uint128, sent: Uint128 },

    #[error("epoch {epoch} is still open until block {ends_at}; nothing to close")]
    EpochNotOver { epoch: u64, ends_at: u64 },

    #[error("epoch {epoch} is not closed yet (the open epoch is {current})")]
    EpochNotClosed { epoch: u64, current: u64 },

    #[error("epoch {epoch} not found")]
    EpochNotFound { epoch: u64 },

    #[error("epoch {epoch} is listed twice in the claim")]
    DuplicateEpoch { epoch: u64 },

    #[error("a claim lists at most {max} epochs, got {got}")]
    TooManyEpochs { max: u32, got: usize },

    #[error("{provider} has no unpaid share in epoch {epoch}")]
    NoShare { provider: String, epoch: u64 },

    #[error("{intervals} missed heartbeat interval(s) are unpaid: claim all {held} closed epochs at once (omit `epochs`), the fine applies to the whole claim")]
    FinesOutstanding { intervals: u32, held: u32 },

    #[error("{provider} has nothing to claim in closed epochs")]
    NothingToClaim { provider: String },

    #[error("the vault holds {vault}, cannot spend {requested}")]
    VaultInsufficient { vault: Uint128, requested: Uint128 },

    #[error("amount must be greater than zero")]
    ZeroAmount {},

    #[error("unknown reply id {id}")]
    UnknownReplyId { id: u64 },
}
