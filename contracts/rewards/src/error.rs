use cosmwasm_std::{OverflowError, StdError, Uint128};
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

    #[error("arithmetic overflow in {what}")]
    MathOverflow { what: &'static str },

    #[error("the marketplace contract is not configured")]
    MarketplaceNotSet {},

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

    #[error("{provider} has nothing to claim in closed epochs")]
    NothingToClaim { provider: String },

    #[error("the vault holds {vault}, cannot spend {requested}")]
    VaultInsufficient { vault: Uint128, requested: Uint128 },

    #[error("amount must be greater than zero")]
    ZeroAmount {},

    #[error("unknown reply id {id}")]
    UnknownReplyId { id: u64 },
}
