use cosmwasm_std::Uint128;

impulse_governance::contract_error! {
    /// `Register` from an address that already has a provider record.
    #[error("{address} is already registered as a provider")]
    AlreadyRegistered { address: String },

    /// A message or query names an address with no provider record.
    #[error("{address} is not a registered provider")]
    ProviderNotFound { address: String },

    /// Registering with less than the minimum stake, or locking a job on a
    /// provider whose bond is below what the job needs.
    #[error("insufficient stake: {required} required, {provided} provided")]
    InsufficientStake {
        required: Uint128,
        provided: Uint128,
    },

    /// `Unstake` of a zero amount.
    #[error("invalid amount: {reason}")]
    InvalidAmount { reason: String },

    /// `Unstake` of more than the provider has bonded.
    #[error("cannot unstake {requested}: only {bonded} is bonded")]
    UnstakeExceedsStake { requested: Uint128, bonded: Uint128 },

    /// `Unstake` that would leave less bonded than the provider's active
    /// jobs require.
    #[error("{active_jobs} active job(s) need at least {required} bonded; unstaking {requested} would leave {remaining}")]
    StakeLockedByJobs {
        active_jobs: u32,
        required: Uint128,
        requested: Uint128,
        remaining: Uint128,
    },

    /// `Unstake` while the provider already has the maximum number of
    /// entries waiting out the unbonding period.
    #[error("too many unbonding entries (max {max}): claim released ones first or wait")]
    TooManyUnbondingEntries { max: u32 },

    /// `ClaimUnbonded` before any unbonding entry has been released.
    #[error("nothing to claim yet{detail}")]
    NothingToClaim { detail: String },

    /// Registration or an update with a malformed or overlong endpoint, or
    /// a capacity without memory or devices.
    #[error("invalid provider details: {reason}")]
    InvalidProvider { reason: String },

    /// The marketplace tries to lock a job on a provider still serving a ban.
    #[error("provider {address} is banned until block {until}")]
    Banned { address: String, until: u64 },

    /// The provider has no free capacity left for another job.
    #[error("provider {address} lacks capacity for job {job_id}")]
    InsufficientCapacity { address: String, job_id: u64 },

    /// The marketplace locks the same job twice on one provider.
    #[error("job {job_id} is already locked on provider {address}")]
    JobAlreadyLocked { address: String, job_id: u64 },

    /// The marketplace releases a job that is not locked on this provider.
    #[error("job {job_id} is not locked on provider {address}")]
    JobNotLocked { address: String, job_id: u64 },

    /// The provider already holds as many jobs as the parameters allow.
    #[error("provider {address} already holds the maximum of {max} jobs")]
    TooManyJobs { address: String, max: u32 },

    /// A slash cites evidence that already slashed someone.
    #[error("evidence {evidence} was already used for a slash at block {height}")]
    DuplicateEvidence { evidence: String, height: u64 },

    /// A slash whose evidence is empty or longer than the limit.
    #[error("invalid evidence: {reason}")]
    InvalidEvidence { reason: String },

    /// A committee slash whose member list is too long, names the offender
    /// or names a member twice.
    #[error("invalid committee: {reason}")]
    InvalidCommittee { reason: String },
}
