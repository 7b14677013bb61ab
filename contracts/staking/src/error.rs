use cosmwasm_std::Uint128;

impulse_governance::contract_error! {
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

    #[error("unknown reply id {id}")]
    UnknownReplyId { id: u64 },
}
