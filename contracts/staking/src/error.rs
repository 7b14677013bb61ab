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

    #[error("{address} is already registered as a provider")]
    AlreadyRegistered { address: String },

    #[error("{address} is not a registered provider")]
    ProviderNotFound { address: String },

    #[error("insufficient stake: {required} required, {provided} provided")]
    InsufficientStake {
        required: Uint128,
        provided: Uint128,
    },

    #[error("invalid amount: {reason}")]
    InvalidAmount { reason: String },

    #[error("cannot unstake {requested}: only {bonded} is bonded")]
    UnstakeExceedsStake { requested: Uint128, bonded: Uint128 },

    #[error("{active_jobs} active job(s) need at least {required} bonded; unstaking {requested} would leave {remaining}")]
    StakeLockedByJobs {
        active_jobs: u32,
        required: Uint128,
        requested: Uint128,
        remaining: Uint128,
    },

    #[error("too many unbonding entries (max {max}): claim released ones first or wait")]
    TooManyUnbondingEntries { max: u32 },

    #[error("nothing to claim yet{detail}")]
    NothingToClaim { detail: String },

    #[error("invalid provider details: {reason}")]
    InvalidProvider { reason: String },

    #[error("provider {address} is banned until block {until}")]
    Banned { address: String, until: u64 },

    #[error("provider {address} lacks capacity for job {job_id}")]
    InsufficientCapacity { address: String, job_id: u64 },

    #[error("job {job_id} is already locked on provider {address}")]
    JobAlreadyLocked { address: String, job_id: u64 },

    #[error("job {job_id} is not locked on provider {address}")]
    JobNotLocked { address: String, job_id: u64 },

    #[error("provider {address} already holds the maximum of {max} jobs")]
    TooManyJobs { address: String, max: u32 },

    #[error("evidence {evidence} was already used for a slash at block {height}")]
    DuplicateEvidence { evidence: String, height: u64 },

    #[error("invalid evidence: {reason}")]
    InvalidEvidence { reason: String },

    #[error("invalid committee: {reason}")]
    InvalidCommittee { reason: String },

    #[error("the marketplace contract is not configured")]
    MarketplaceNotSet {},

    #[error("unknown reply id {id}")]
    UnknownReplyId { id: u64 },
}
